//! Version schemes and range checks. Each scheme parses and compares versions by its
//! own ecosystem's rules; ranges follow OSV's event model. A version that does not
//! parse is an error, never compared as a string.
//!
//! Schemes: [dpkg](Scheme::Dpkg) (Debian Policy 5.6.12), [rpm](Scheme::Rpm) (`rpmvercmp`
//! with `~` and `^`), [apk](Scheme::Apk) (apk-tools `version.c`), [semver](Scheme::Semver)
//! (SemVer 2.0 precedence, plus npm and Cargo requirement syntax in [`semver_satisfies`]),
//! [PEP 440](Scheme::Pep440) (via astral's `pep440_rs`), [Maven](Scheme::Maven)
//! (Maven 3.9 `ComparableVersion`), [RubyGems](Scheme::Gem) (`Gem::Version`), [Go](Scheme::Go)
//! (module semver, pseudo-versions, toolchain versions), [Composer](Scheme::Composer)
//! (composer/semver normalisation and PHP's `version_compare`), [NuGet](Scheme::NuGet)
//! (NuGet.Versioning) and a [generic](Scheme::Generic) numeric-aware fallback.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;

mod apk;
mod composer;
mod dpkg;
mod gem;
mod generic;
mod go;
mod maven;
mod nuget;
mod pep440;
mod range;
mod rpm;
mod semver;
mod util;

pub use go::go_toolchain_to_semver;
pub use range::{in_range, in_versions, range_hit, RangeHit};
pub use semver::{semver_satisfies, SemverFlavour};

/// Longest version string accepted by every scheme but [`Scheme::Generic`]; longer input is
/// reported as an error rather than processed (untrusted feeds, bounded work).
pub const MAX_VERSION_LEN: usize = 1024;

/// A version ordering scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Debian packages (`dpkg --compare-versions`).
    Dpkg,
    /// RPM packages (`rpmvercmp`, epoch:version-release).
    Rpm,
    /// Alpine / Wolfi / Chainguard packages (apk-tools).
    Apk,
    /// Semantic Versioning 2.0 (npm, crates.io, Hex, Pub, …).
    Semver,
    /// Python packages (PEP 440).
    Pep440,
    /// Maven artifacts (Maven 3.9 `ComparableVersion`).
    Maven,
    /// Ruby gems (`Gem::Version`).
    Gem,
    /// Go modules and the Go toolchain / standard library.
    Go,
    /// Anything else: numeric-aware dotted comparison.
    Generic,
    /// PHP packages from Packagist (Composer's normalisation and `version_compare`).
    Composer,
    /// .NET packages (NuGet.Versioning: up to four numbers, case-insensitive labels).
    #[serde(rename = "nuget")]
    NuGet,
}

impl Scheme {
    /// The scheme an OSV ecosystem (or distro namespace) uses: `PyPI` → PEP 440,
    /// `Debian:12` → dpkg, `crates.io` → semver, `Go` → Go, …; unknown → generic.
    pub fn for_ecosystem(ecosystem: &str) -> Scheme {
        let base = ecosystem
            .split(':')
            .next()
            .unwrap_or(ecosystem)
            .trim()
            .to_ascii_lowercase();
        match base.as_str() {
            "debian" | "ubuntu" | "deb" => Scheme::Dpkg,
            "red hat" | "redhat" | "rocky linux" | "rocky" | "almalinux" | "suse" | "opensuse" | "sles" | "rpm"
            | "mageia" | "openeuler" | "amazon linux" | "amazon" | "oracle linux" | "oracle" | "rhel" | "centos"
            | "fedora" | "photon os" | "azure linux" | "mariner" | "cbl-mariner" => Scheme::Rpm,
            "alpine"
            | "wolfi"
            | "chainguard"
            | "apk"
            | "alpaquita"
            | "bellsoft hardened containers"
            | "minimos"
            | "postmarketos" => Scheme::Apk,
            "npm" | "crates.io" | "cargo" | "hex" | "pub" | "swifturl" | "bitnami" => Scheme::Semver,
            "packagist" | "composer" => Scheme::Composer,
            "nuget" => Scheme::NuGet,
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
            Scheme::Composer => "composer",
            Scheme::NuGet => "nuget",
        };
        f.write_str(s)
    }
}

/// A version string that does not follow its scheme's grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{version:?} is not a valid {scheme} version: {reason}")]
pub struct VersionError {
    /// The scheme the version was parsed under.
    pub scheme: Scheme,
    /// The offending version string (truncated to 200 characters).
    pub version: String,
    /// Why it does not parse.
    pub reason: String,
}

impl VersionError {
    pub(crate) fn new(scheme: Scheme, version: &str, reason: impl Into<String>) -> VersionError {
        let version = if version.len() > 200 {
            let mut end = 200;
            while !version.is_char_boundary(end) {
                end -= 1;
            }
            format!("{}…", &version[..end])
        } else {
            version.to_string()
        };
        VersionError {
            scheme,
            version,
            reason: reason.into(),
        }
    }
}

/// A version parsed under a scheme. Versions of the same scheme are totally ordered by
/// that scheme's rules (`==` is the scheme's equality, e.g. `1.0 == 1.0.0` in PEP 440);
/// versions of different schemes order by scheme first.
#[derive(Debug, Clone)]
pub struct Version {
    text: String,
    key: Key,
}

#[derive(Debug, Clone)]
enum Key {
    Dpkg(dpkg::DpkgVersion),
    Rpm(rpm::RpmVersion),
    Apk(apk::ApkVersion),
    Semver(semver::SemVer),
    Pep440(pep440::Pep440Version),
    Maven(maven::MavenVersion),
    Gem(gem::GemVersion),
    Go(semver::SemVer),
    Generic(generic::GenericVersion),
    Composer(composer::ComposerVersion),
    NuGet(nuget::NuGetVersion),
}

impl Version {
    /// The scheme this version was parsed under.
    pub fn scheme(&self) -> Scheme {
        match &self.key {
            Key::Dpkg(_) => Scheme::Dpkg,
            Key::Rpm(_) => Scheme::Rpm,
            Key::Apk(_) => Scheme::Apk,
            Key::Semver(_) => Scheme::Semver,
            Key::Pep440(_) => Scheme::Pep440,
            Key::Maven(_) => Scheme::Maven,
            Key::Gem(_) => Scheme::Gem,
            Key::Go(_) => Scheme::Go,
            Key::Generic(_) => Scheme::Generic,
            Key::Composer(_) => Scheme::Composer,
            Key::NuGet(_) => Scheme::NuGet,
        }
    }

    /// The version string as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Compares `self` (an installed version) with a range bound. Same as `cmp` except for
    /// rpm, where a bound without a release stands for every release of its version (the
    /// dependency-range rule: `>= 1.0` is met by `1.0-3`); an installed version without a
    /// release is still older than the same version with one.
    pub(crate) fn cmp_to_bound(&self, bound: &Version) -> Ordering {
        match (&self.key, &bound.key) {
            (Key::Rpm(a), Key::Rpm(b)) => a.cmp_to_bound(b),
            _ => self.cmp(bound),
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.key, &other.key) {
            (Key::Dpkg(a), Key::Dpkg(b)) => a.cmp(b),
            (Key::Rpm(a), Key::Rpm(b)) => a.cmp(b),
            (Key::Apk(a), Key::Apk(b)) => a.cmp(b),
            (Key::Semver(a), Key::Semver(b)) => a.cmp(b),
            (Key::Pep440(a), Key::Pep440(b)) => a.cmp(b),
            (Key::Maven(a), Key::Maven(b)) => a.cmp(b),
            (Key::Gem(a), Key::Gem(b)) => a.cmp(b),
            (Key::Go(a), Key::Go(b)) => a.cmp(b),
            (Key::Generic(a), Key::Generic(b)) => a.cmp(b),
            (Key::Composer(a), Key::Composer(b)) => a.cmp(b),
            (Key::NuGet(a), Key::NuGet(b)) => a.cmp(b),
            _ => self.scheme().cmp(&other.scheme()),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

/// Parses `version` under `scheme`. Every scheme but [`Scheme::Generic`] rejects input
/// that does not follow its grammar (and anything longer than [`MAX_VERSION_LEN`]);
/// generic accepts any string.
pub fn parse(scheme: Scheme, version: &str) -> Result<Version, VersionError> {
    if scheme != Scheme::Generic {
        if version.len() > MAX_VERSION_LEN {
            return Err(VersionError::new(
                scheme,
                version,
                format!("longer than {MAX_VERSION_LEN} bytes"),
            ));
        }
        if version.trim().is_empty() {
            return Err(VersionError::new(scheme, version, "empty version"));
        }
    }
    let err = |reason: String| VersionError::new(scheme, version, reason);
    let key = match scheme {
        Scheme::Dpkg => Key::Dpkg(dpkg::DpkgVersion::parse(version).map_err(err)?),
        Scheme::Rpm => Key::Rpm(rpm::RpmVersion::parse(version).map_err(err)?),
        Scheme::Apk => Key::Apk(apk::ApkVersion::parse(version).map_err(err)?),
        Scheme::Semver => Key::Semver(semver::SemVer::parse_tolerant(version).map_err(err)?),
        Scheme::Pep440 => Key::Pep440(pep440::Pep440Version::parse(version).map_err(err)?),
        Scheme::Maven => Key::Maven(maven::MavenVersion::parse(version).map_err(err)?),
        Scheme::Gem => Key::Gem(gem::GemVersion::parse(version).map_err(err)?),
        Scheme::Go => Key::Go(go::parse(version).map_err(err)?),
        Scheme::Generic => Key::Generic(generic::GenericVersion::parse(version)),
        Scheme::Composer => Key::Composer(composer::ComposerVersion::parse(version).map_err(err)?),
        Scheme::NuGet => Key::NuGet(nuget::NuGetVersion::parse(version).map_err(err)?),
    };
    Ok(Version {
        text: version.to_string(),
        key,
    })
}

/// True when `version` parses under `scheme` (see [`parse`]).
pub fn is_valid(scheme: Scheme, version: &str) -> bool {
    parse(scheme, version).is_ok()
}

/// Compares two versions under a scheme.
pub fn compare(scheme: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    let a = parse(scheme, a)?;
    let b = parse(scheme, b)?;
    Ok(a.cmp(&b))
}

/// The greatest of `versions` under `scheme` (e.g. the highest of several fixed versions).
/// Versions that do not parse are skipped; `None` when none parses.
pub fn max_version<'a>(scheme: Scheme, versions: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(Version, &'a str)> = None;
    for v in versions {
        let Ok(parsed) = parse(scheme, v) else { continue };
        match &best {
            Some((b, _)) if parsed <= *b => {}
            _ => best = Some((parsed, v)),
        }
    }
    best.map(|(_, s)| s)
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
    /// Upper bound of the range, exclusive (rarely used; `"*"` = no bound).
    Limit(String),
}

impl Event {
    /// The version string the event carries.
    pub fn version(&self) -> &str {
        match self {
            Event::Introduced(v) | Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => v,
        }
    }
}
