//! Version schemes and range checks. Each scheme parses and compares versions by its
//! own ecosystem's rules; ranges follow OSV's event model. A version that does not
//! parse is an error, never compared as a string.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

/// A version ordering scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Dpkg,
    Rpm,
    Apk,
    Semver,
    Pep440,
    Maven,
    Gem,
    Go,
    Generic,
}

impl Scheme {
    /// The scheme an OSV ecosystem (or distro namespace) uses: `PyPI` → PEP 440,
    /// `Debian:12` → dpkg, `crates.io` → semver, `Go` → Go, …; unknown → generic.
    pub fn for_ecosystem(ecosystem: &str) -> Scheme {
        let base = ecosystem.split(':').next().unwrap_or(ecosystem).to_ascii_lowercase();
        match base.as_str() {
            "debian" | "ubuntu" | "deb" => Scheme::Dpkg,
            "red hat" | "redhat" | "rocky linux" | "almalinux" | "suse" | "opensuse" | "rpm" | "mageia"
            | "openeuler" | "amazon linux" | "oracle linux" | "rhel" | "centos" | "fedora" => Scheme::Rpm,
            "alpine" | "wolfi" | "chainguard" | "apk" => Scheme::Apk,
            "npm" | "crates.io" | "cargo" | "nuget" | "hex" | "pub" | "packagist" | "composer" | "swifturl" => {
                Scheme::Semver
            }
            "pypi" | "python" => Scheme::Pep440,
            "maven" => Scheme::Maven,
            "rubygems" | "gem" => Scheme::Gem,
            "go" | "golang" => Scheme::Go,
            _ => Scheme::Generic,
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Rpm => "rpm",
            Scheme::Apk => "apk",
            Scheme::Semver => "semver",
            Scheme::Pep440 => "pep440",
            Scheme::Maven => "maven",
            Scheme::Gem => "gem",
            Scheme::Go => "go",
            Scheme::Generic => "generic",
        };
        f.write_str(s)
    }
}

/// A version string that does not follow its scheme's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{version:?} is not a valid {scheme} version: {reason}")]
pub struct VersionError {
    pub scheme: Scheme,
    pub version: String,
    pub reason: String,
}

/// Compares two versions under a scheme.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let _ = (a, b);
    Err(VersionError { scheme, version: a.into(), reason: "not implemented yet".into() })
}

/// One OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Affected from this version on (`"0"` = from the beginning).
    Introduced(String),
    /// Not affected from this version on.
    Fixed(String),
    /// Affected up to and including this version.
    LastAffected(String),
    /// Upper bound of the range, exclusive (rarely used).
    Limit(String),
}

/// True when `version` falls in the range described by `events` (OSV semantics:
/// events sorted by version, each `introduced` opens an affected interval that the
/// next `fixed`/`last_affected`/`limit` closes).
pub fn in_range(scheme: Scheme, version: &str, events: &[Event]) -> Result<bool, VersionError> {
    let _ = events;
    Err(VersionError { scheme, version: version.into(), reason: "not implemented yet".into() })
}
