//! RPM versions: `[epoch:]version[-release]`, each part compared by `rpmvercmp` (rpm ≥ 4.15):
//! alphanumeric segments, separators ignored, numeric segments newer than alphabetic ones,
//! `~` sorts before everything (pre-release) and `^` after the base version but before
//! any further segment (post-release snapshot).

use crate::util::cmp_digits;
use std::cmp::Ordering;

/// A parsed RPM EVR.
#[derive(Debug, Clone)]
pub(crate) struct RpmVersion {
    epoch: String,
    version: String,
    release: Option<String>,
}

fn check_chars(part: &str, what: &str) -> Result<(), String> {
    match part
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._+~^".contains(*c)))
    {
        Some(c) => Err(format!("invalid character {c:?} in {what}")),
        None => Ok(()),
    }
}

impl RpmVersion {
    /// Parses like rpm's `parseEVR`: an all-digit prefix followed by `:` is the epoch, the
    /// release is everything after the last `-`.
    pub(crate) fn parse(s: &str) -> Result<RpmVersion, String> {
        let s = s.trim();
        if s.chars().any(char::is_whitespace) {
            return Err("embedded whitespace".into());
        }
        let digits = s.bytes().take_while(u8::is_ascii_digit).count();
        let (epoch, rest) = if s.as_bytes().get(digits) == Some(&b':') {
            let e = &s[..digits];
            (if e.is_empty() { "0" } else { e }, &s[digits + 1..])
        } else {
            ("0", s)
        };
        let (version, release) = match rest.rfind('-') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        if version.is_empty() {
            return Err("empty version".into());
        }
        check_chars(version, "version")?;
        if let Some(r) = release {
            if r.is_empty() {
                return Err("empty release after '-'".into());
            }
            check_chars(r, "release")?;
        }
        Ok(RpmVersion {
            epoch: epoch.trim_start_matches('0').to_string(),
            version: version.to_string(),
            release: release.map(str::to_string),
        })
    }

    /// Compares an installed version with a range bound. A bound without a release means
    /// any release of its version (rpm's dependency-range rule, `rpmdsCompare`), so only
    /// epoch and version are compared; otherwise this is the plain order, in which an
    /// installed `3.0.7` is older than a bound `3.0.7-27.el9`.
    pub(crate) fn cmp_to_bound(&self, bound: &RpmVersion) -> Ordering {
        match (&self.release, &bound.release) {
            (Some(_), None) => {
                cmp_digits(&self.epoch, &bound.epoch).then_with(|| rpmvercmp(&self.version, &bound.version))
            }
            _ => self.cmp(bound),
        }
    }
}

impl Ord for RpmVersion {
    /// rpm's own order of two EVRs (`rpm.labelCompare`, `rpmdev-vercmp`): epoch, version,
    /// then release, where a missing release is older than any release.
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_digits(&self.epoch, &other.epoch)
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| match (&self.release, &other.release) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Less,
                (Some(_), None) => Ordering::Greater,
                (Some(a), Some(b)) => rpmvercmp(a, b),
            })
    }
}

impl PartialOrd for RpmVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RpmVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for RpmVersion {}

/// rpm's `rpmvercmp` (lib/rpmvercmp.c), ported to byte slices.
pub(crate) fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let a = a.as_bytes();
    let b = b.as_bytes();
    let (mut i, mut j) = (0usize, 0usize);
    let is_sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        if i >= a.len() && j >= b.len() {
            break;
        }
        while i < a.len() && is_sep(a[i]) {
            i += 1;
        }
        while j < b.len() && is_sep(b[j]) {
            j += 1;
        }
        let ca = a.get(i).copied();
        let cb = b.get(j).copied();
        // Tilde: sorts before everything else, including the end of the string.
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // Caret: like tilde, but the end of the string (the base version) sorts lower.
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca.is_none() || cb.is_none() {
            break;
        }
        let (si, sj) = (i, j);
        let isnum = a[i].is_ascii_digit();
        if isnum {
            while i < a.len() && a[i].is_ascii_digit() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_digit() {
                j += 1;
            }
        } else {
            while i < a.len() && a[i].is_ascii_alphabetic() {
                i += 1;
            }
            while j < b.len() && b[j].is_ascii_alphabetic() {
                j += 1;
            }
        }
        // Segments of different types: numeric is newer than alphabetic.
        if sj == j {
            return if isnum { Ordering::Greater } else { Ordering::Less };
        }
        let sa = std::str::from_utf8(&a[si..i]).unwrap_or("");
        let sb = std::str::from_utf8(&b[sj..j]).unwrap_or("");
        let r = if isnum { cmp_digits(sa, sb) } else { sa.cmp(sb) };
        if r != Ordering::Equal {
            return r;
        }
    }
    match (i >= a.len(), j >= b.len()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, _) => Ordering::Greater,
    }
}
