//! Dates and times in UTC on the proleptic Gregorian calendar, the one place drydock turns
//! RFC 3339 text into Unix seconds and back (SBOM timestamps, database ages, allowlist
//! expiry, ignore-rule dates, Go pseudo-versions). No time zone database: offsets only.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

/// Seconds since 1970-01-01T00:00:00Z now (0 if the clock is before it).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    format_rfc3339(now_unix())[..10].to_string()
}

/// Days since 1970-01-01 of a date (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let (m, d) = (i64::from(month), i64::from(day));
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `days` after 1970-01-01 as (year, month, day) (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Unix seconds as an RFC 3339 UTC timestamp with second precision
/// (`2024-10-10T17:35:05Z`), clamped to the years 0000..=9999.
pub fn format_rfc3339(unix_seconds: i64) -> String {
    // 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
    let secs = unix_seconds.clamp(-62_167_219_200, 253_402_300_799);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Parses an RFC 3339 timestamp, `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (`T` or `t`), to Unix
/// seconds (the fraction dropped); `None` when malformed.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let (days, rest) = parse_date_prefix(s)?;
    let rest = rest.strip_prefix('T').or_else(|| rest.strip_prefix('t'))?;
    parse_time_of_day(days, rest)
}

/// Parses a date (`YYYY-MM-DD`, midnight UTC) or a timestamp as [`parse_timestamp`] does, with
/// a space also allowed between date and time (as RFC 3339 permits); `None` when malformed.
pub fn parse_date_or_timestamp(s: &str) -> Option<i64> {
    let (days, rest) = parse_date_prefix(s.trim())?;
    if rest.is_empty() {
        return Some(days * 86_400);
    }
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .or_else(|| rest.strip_prefix(' '))?;
    parse_time_of_day(days, rest)
}

/// `YYYY-MM-DD` at the start of `s`: its day number and what follows.
fn parse_date_prefix(s: &str) -> Option<(i64, &str)> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y: i64 = digits(s.get(0..4)?)?;
    let m = digits(s.get(5..7)?)? as u32;
    let d = digits(s.get(8..10)?)? as u32;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some((days_from_civil(y, m, d), &s[10..]))
}

/// `HH:MM:SS[.frac](Z|±HH:MM)` after a date: the Unix seconds of the whole timestamp.
fn parse_time_of_day(days: i64, s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 9 || b[2] != b':' || b[5] != b':' {
        return None;
    }
    let (h, mi, sec) = (digits(s.get(0..2)?)?, digits(s.get(3..5)?)?, digits(s.get(6..8)?)?);
    if h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut tz = &s[8..];
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
            let t = tz.as_bytes();
            if t.len() != 6 || t[3] != b':' {
                return None;
            }
            let sign = match t[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (oh, om) = (digits(tz.get(1..3)?)?, digits(tz.get(4..6)?)?);
            if oh > 23 || om > 59 {
                return None;
            }
            sign * (oh * 3600 + om * 60)
        }
    };
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// A field of ASCII digits only (no sign, no spaces).
fn digits(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|c| c.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_round_trip_across_eras() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }

    #[test]
    fn formats_and_parses_rfc3339() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_728_581_705), "2024-10-10T17:35:05Z");
        assert_eq!(format_rfc3339(i64::MAX), "9999-12-31T23:59:59Z");
        assert_eq!(format_rfc3339(i64::MIN), "0000-01-01T00:00:00Z");
        assert_eq!(parse_timestamp("2024-10-10T17:35:05Z"), Some(1_728_581_705));
        assert_eq!(parse_timestamp("2024-02-29T12:30:15.25+02:00"), Some(1_709_202_615));
        assert_eq!(parse_timestamp("2019-12-30t12:00:00-01:30"), Some(1_577_712_600));
        assert_eq!(parse_timestamp("2024-10-10"), None, "a timestamp needs a time");
        assert_eq!(parse_date_or_timestamp("1970-01-02"), Some(86_400));
        assert_eq!(parse_date_or_timestamp(" 2000-03-01 00:00:00Z "), Some(951_868_800));
        for bad in [
            "",
            "2024-13-01",
            "2024-00-10",
            "2024-01-01T25:00:00Z",
            "2024-01-01T10:00:00",
            "2024-01-01T10:00:00.Z",
            "2024-01-01T10:00:00+0100",
            "2024-01-01T10:00:00+01:60",
            "+024-01-01",
            "2024-1-01",
            "２０２４-01-01",
            "2024-01-01T1é:00:00Z",
            "2024-01-01T10:00:00+0é:00",
        ] {
            assert_eq!(parse_date_or_timestamp(bad), None, "{bad}");
        }
        assert_eq!(today_utc().len(), 10);
    }
}
