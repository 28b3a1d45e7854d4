//! Debian package versions: `[epoch:]upstream_version[-debian_revision]`, compared by the
//! algorithm of Debian Policy §5.6.12 (dpkg's `verrevcmp`): alternating non-digit and
//! digit parts; in non-digit parts letters sort before non-letters and `~` before
//! everything, even the end of the part; digit parts compare numerically.

use std::cmp::Ordering;

/// A parsed dpkg version.
#[derive(Debug, Clone)]
pub(crate) struct DpkgVersion {
    epoch: u32,
    upstream: String,
    revision: String,
}

impl DpkgVersion {
    /// Parses like dpkg's `parseversion`: surrounding whitespace is ignored, the epoch is
    /// everything before the first `:`, the revision everything after the last `-`.
    pub(crate) fn parse(s: &str) -> Result<DpkgVersion, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err("version string is empty".into());
        }
        if s.chars().any(char::is_whitespace) {
            return Err("version string has embedded spaces".into());
        }
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) => {
                if e.is_empty() {
                    return Err("epoch in version is empty".into());
                }
                if !e.bytes().all(|c| c.is_ascii_digit()) {
                    return Err("epoch in version is not number".into());
                }
                let epoch: u32 = e.parse().map_err(|_| "epoch in version is too big".to_string())?;
                if epoch > i32::MAX as u32 {
                    return Err("epoch in version is too big".into());
                }
                if rest.is_empty() {
                    return Err("nothing after colon in version number".into());
                }
                (epoch, rest)
            }
            None => (0, s),
        };
        let (upstream, revision) = match rest.rfind('-') {
            Some(i) => {
                let rev = &rest[i + 1..];
                if rev.is_empty() {
                    return Err("revision number is empty".into());
                }
                (&rest[..i], rev)
            }
            None => (rest, ""),
        };
        if upstream.is_empty() {
            return Err("version number is empty".into());
        }
        // dpkg only warns about a non-digit first character; we accept it like dpkg does,
        // but reject characters outside the policy's set (they mean the string is not a
        // version at all, e.g. "<unfixed>").
        if let Some(c) = upstream
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ".-+~:".contains(*c)))
        {
            return Err(format!("invalid character {c:?} in version number"));
        }
        if let Some(c) = revision
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || ".+~".contains(*c)))
        {
            return Err(format!("invalid character {c:?} in revision number"));
        }
        Ok(DpkgVersion {
            epoch,
            upstream: upstream.to_string(),
            revision: revision.to_string(),
        })
    }
}

/// The sort weight of one character in a non-digit part (dpkg's `order`).
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(b'~') => -1,
        Some(c) => c as i32 + 256,
    }
}

/// dpkg's `verrevcmp`, over byte strings, with unbounded digit runs.
pub(crate) fn verrevcmp(a: &str, b: &str) -> Ordering {
    let a = a.as_bytes();
    let b = b.as_bytes();
    let (mut i, mut j) = (0usize, 0usize);
    let at = |k: usize| a.get(k).copied();
    let bt = |k: usize| b.get(k).copied();
    while i < a.len() || j < b.len() {
        // Non-digit prefix.
        while at(i).is_some_and(|c| !c.is_ascii_digit()) || bt(j).is_some_and(|c| !c.is_ascii_digit()) {
            let ac = order(at(i));
            let bc = order(bt(j));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // Digit run: skip leading zeros, longer run wins, else first difference.
        while at(i) == Some(b'0') {
            i += 1;
        }
        while bt(j) == Some(b'0') {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while at(i).is_some_and(|c| c.is_ascii_digit()) && bt(j).is_some_and(|c| c.is_ascii_digit()) {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if at(i).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Greater;
        }
        if bt(j).is_some_and(|c| c.is_ascii_digit()) {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| verrevcmp(&self.upstream, &other.upstream))
            .then_with(|| verrevcmp(&self.revision, &other.revision))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for DpkgVersion {}
