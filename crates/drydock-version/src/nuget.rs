//! NuGet versions, parsed and ordered like NuGet.Versioning's `NuGetVersion.TryParse` and
//! `VersionComparer.Default`: two to four release numbers (each a 32-bit integer, leading
//! zeros allowed, missing ones 0, so `1.0` = `1.0.0` = `1.0.0.0`), then `-` release
//! labels separated by `.`, then `+` metadata (ignored). Labels compare one by one:
//! numeric labels numerically and below alphanumeric ones, alphanumeric labels
//! case-insensitively (`1.0.0-BETA` = `1.0.0-beta`); more labels sort higher when the
//! common ones are equal, and a version without labels is above all with labels.

use std::cmp::Ordering;

/// A parsed NuGet version.
#[derive(Debug, Clone)]
pub(crate) struct NuGetVersion {
    release: [i32; 4],
    labels: Vec<String>,
}

/// `IsValidPart`: non-empty, `[0-9A-Za-z-]`, and (for labels) no leading zero on an
/// all-digit part.
fn valid_part(s: &str, allow_leading_zeros: bool) -> Result<(), String> {
    if s.is_empty() {
        return Err("empty label".into());
    }
    let b = s.as_bytes();
    if !allow_leading_zeros && b.len() > 1 && b[0] == b'0' && b[1..].iter().all(u8::is_ascii_digit) {
        return Err(format!("numeric label {s:?} has a leading zero"));
    }
    match s.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
        Some(c) => Err(format!("invalid character {c:?}")),
        None => Ok(()),
    }
}

/// .NET's `int.TryParse(s, NumberStyles.Integer, InvariantCulture)`: optional surrounding
/// white space and a leading sign, decimal digits, within `i32`.
fn dotnet_int(s: &str) -> Option<i32> {
    let t = s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r'));
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut n: i64 = 0;
    for c in digits.bytes() {
        n = n * 10 + i64::from(c - b'0');
        if n > i64::from(i32::MAX) + 1 {
            return None;
        }
    }
    let n = if neg { -n } else { n };
    i32::try_from(n).ok()
}

impl NuGetVersion {
    pub(crate) fn parse(s: &str) -> Result<NuGetVersion, String> {
        let s = s.trim();
        // ParseSections: the version runs to the first '-' or '+', labels to the next '+'.
        let (version, rest) = match s.find(['-', '+']) {
            Some(i) => (&s[..i], Some(&s[i..])),
            None => (s, None),
        };
        let (labels, metadata) = match rest {
            None => (None, None),
            Some(r) if r.starts_with('+') => (None, Some(&r[1..])),
            Some(r) => match r[1..].split_once('+') {
                Some((l, m)) => (Some(l), Some(m)),
                None => (Some(&r[1..]), None),
            },
        };
        if version.is_empty() {
            return Err("missing version number".into());
        }
        let parts: Vec<&str> = version.split('.').collect();
        if parts.len() > 4 {
            return Err("more than four release numbers".into());
        }
        let mut release = [0i32; 4];
        for (i, p) in parts.iter().enumerate() {
            match dotnet_int(p) {
                Some(n) if n >= 0 => release[i] = n,
                _ => return Err(format!("release part {p:?} is not a number from 0 to 2147483647")),
            }
        }
        let labels = match labels {
            None => Vec::new(),
            Some(l) => {
                let mut out = Vec::new();
                for part in l.split('.') {
                    valid_part(part, false).map_err(|e| format!("release label: {e}"))?;
                    out.push(part.to_string());
                }
                out
            }
        };
        if let Some(m) = metadata {
            for part in m.split('.') {
                valid_part(part, true).map_err(|e| format!("metadata: {e}"))?;
            }
        }
        Ok(NuGetVersion { release, labels })
    }
}

/// `VersionComparer.CompareRelease`: numeric labels (as `int.TryParse` reads them)
/// numerically and first, others ordinally ignoring case.
fn cmp_label(a: &str, b: &str) -> Ordering {
    match (dotnet_int(a), dotnet_int(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a
            .bytes()
            .map(|c| c.to_ascii_uppercase())
            .cmp(b.bytes().map(|c| c.to_ascii_uppercase())),
    }
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.release
            .cmp(&other.release)
            .then_with(|| match (self.labels.is_empty(), other.labels.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.labels.iter().zip(&other.labels) {
                        let r = cmp_label(a, b);
                        if r != Ordering::Equal {
                            return r;
                        }
                    }
                    self.labels.len().cmp(&other.labels.len())
                }
            })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}
