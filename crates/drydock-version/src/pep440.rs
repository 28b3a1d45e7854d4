//! PEP 440 versions, parsed and ordered by astral's `pep440_rs` (epochs, release
//! segments, pre/post/dev releases with the spec's normalisations, local versions).

use std::cmp::Ordering;
use std::str::FromStr;

/// A parsed PEP 440 version.
#[derive(Debug, Clone)]
pub(crate) struct Pep440Version(pep440_rs::Version);

impl Pep440Version {
    /// Parses with PEP 440's normalisation rules (case, separators, `alpha`→`a`,
    /// `-N`→`.postN`, a leading `v`, surrounding whitespace).
    pub(crate) fn parse(s: &str) -> Result<Pep440Version, String> {
        pep440_rs::Version::from_str(s.trim())
            .map(Pep440Version)
            .map_err(|e| e.to_string())
    }
}

impl Ord for Pep440Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Pep440Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Pep440Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Pep440Version {}
