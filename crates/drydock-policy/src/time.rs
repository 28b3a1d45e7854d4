//! RFC 3339 times and dates to Unix seconds (for allowlist expiry and age checks).

/// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)`; `None` when malformed.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim();
    let date = s.get(..10)?;
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || date.as_bytes()[4] != b'-' {
        return None;
    }
    let days = days_from_civil(y, m, d);
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(days * 86400);
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .or_else(|| rest.strip_prefix(' '))?;
    let hh: i64 = rest.get(0..2)?.parse().ok()?;
    let mm: i64 = rest.get(3..5)?.parse().ok()?;
    let ss: i64 = rest.get(6..8)?.parse().ok()?;
    if rest.get(2..3)? != ":" || rest.get(5..6)? != ":" || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let mut tz = &rest[8..];
    if let Some(frac) = tz.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return None;
        }
        tz = &frac[n..];
    }
    let offset = match tz {
        "Z" | "z" => 0,
        _ => {
            let sign = match tz.get(0..1)? {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let oh: i64 = tz.get(1..3)?.parse().ok()?;
            let om: i64 = tz.get(4..6)?.parse().ok()?;
            if tz.len() != 6 || tz.get(3..4)? != ":" {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days * 86400 + hh * 3600 + mm * 60 + ss - offset)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn parses_dates_and_times() {
        assert_eq!(parse_time("1970-01-01"), Some(0));
        assert_eq!(parse_time("2000-03-01T00:00:00Z"), Some(951868800));
        assert_eq!(parse_time("2024-02-29T12:30:15.25+02:00"), Some(1709202615));
        assert_eq!(parse_time("2019-12-30T12:00:00Z"), Some(1577707200));
        for bad in [
            "",
            "2024-13-01",
            "2024-01-01T25:00:00Z",
            "2024-01-01T10:00:00",
            "yesterday",
        ] {
            assert_eq!(parse_time(bad), None, "{bad}");
        }
    }
}
