//! RubyGems versions (`Gem::Version`): segments split on `.` and at letter/digit
//! boundaries; any letter makes the version a pre-release; trailing zeros of the
//! numeric part and of the pre-release part are dropped; a string segment sorts before
//! a number; `-` is read as `.pre.`.

use crate::util::{cmp_digits, digits_are_zero};
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Num(String),
    Str(String),
}

impl Seg {
    fn is_zero(&self) -> bool {
        matches!(self, Seg::Num(n) if digits_are_zero(n))
    }
}

/// A parsed gem version, as its canonical segments.
#[derive(Debug, Clone)]
pub(crate) struct GemVersion {
    canonical: Vec<Seg>,
}

impl GemVersion {
    /// Validates against `Gem::Version::ANCHORED_VERSION_PATTERN`
    /// (`[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`).
    pub(crate) fn parse(s: &str) -> Result<GemVersion, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("empty version".into());
        }
        let (main, pre) = match s.split_once('-') {
            Some((m, p)) => (m, Some(p)),
            None => (s, None),
        };
        let mut parts = main.split('.');
        let first = parts.next().unwrap_or("");
        if first.is_empty() || !first.bytes().all(|c| c.is_ascii_digit()) {
            return Err("must start with a number".into());
        }
        for p in parts {
            if p.is_empty() || !p.bytes().all(|c| c.is_ascii_alphanumeric()) {
                return Err(format!("malformed segment {p:?}"));
            }
        }
        if let Some(pre) = pre {
            for p in pre.split('.') {
                if p.is_empty() || !p.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
                    return Err(format!("malformed pre-release segment {p:?}"));
                }
            }
        }
        let normalised = s.replace('-', ".pre.");
        // scan(/[0-9]+|[a-z]+/i)
        let mut segs = Vec::new();
        let b = normalised.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let start = i;
            if b[i].is_ascii_digit() {
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
                segs.push(Seg::Num(normalised[start..i].to_string()));
            } else if b[i].is_ascii_alphabetic() {
                while i < b.len() && b[i].is_ascii_alphabetic() {
                    i += 1;
                }
                segs.push(Seg::Str(normalised[start..i].to_string()));
            } else {
                i += 1;
            }
        }
        // canonical_segments: split at the first string segment, drop trailing zeros of each half.
        let split = segs.iter().position(|s| matches!(s, Seg::Str(_))).unwrap_or(segs.len());
        let mut strings = segs.split_off(split);
        while segs.last().is_some_and(Seg::is_zero) {
            segs.pop();
        }
        while strings.last().is_some_and(Seg::is_zero) {
            strings.pop();
        }
        segs.extend(strings);
        Ok(GemVersion { canonical: segs })
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Seg::Num("0".into());
        let n = self.canonical.len().max(other.canonical.len());
        for i in 0..n {
            let l = self.canonical.get(i).unwrap_or(&zero);
            let r = other.canonical.get(i).unwrap_or(&zero);
            let o = match (l, r) {
                (Seg::Num(a), Seg::Num(b)) => cmp_digits(a, b),
                (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
                (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
                (Seg::Str(a), Seg::Str(b)) => a.as_bytes().cmp(b.as_bytes()),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}
