//! The package-type table: one row per ecosystem drydock catalogues, and everything the rest
//! of drydock needs to know about it — drydock's name, the purl type, the names peers use, the
//! `image content` kind, the version scheme, the OSV ecosystem and how a package is matched.
//!
//! Every consumer reads [`TYPES`] (the SBOM encoders and decoders, the matcher's lookup keys,
//! the database's namespace normalisation and OSV download list, the policy type filters, the
//! service's content route and the CLI's values), so adding an ecosystem is its cataloger
//! module, one line in `drydock_catalog::all()` and one row here. This crate is a leaf: it
//! depends on `drydock-version` (for [`Scheme`]) and serde only.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

use drydock_version::Scheme;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How packages of a type find their advisories.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// Operating-system packages: the namespace comes from the image's distro
    /// (`debian:12`, `alpine:3.20`, `rhel:9`…).
    Distro,
    /// Language packages: one database namespace for the whole ecosystem (`pypi`, `npm`…),
    /// the lower-cased OSV ecosystem.
    Namespace(&'static str),
    /// Not matched by name (binaries are matched by CPE, when at all).
    ByCpe,
}

/// Everything drydock knows about one package type.
#[derive(Debug, Clone, Copy)]
pub struct TypeInfo {
    /// The type.
    pub ty: PackageType,
    /// drydock's name: native JSON, tables, SPDX ids, policy filters (`java-archive`).
    pub name: &'static str,
    /// The purl type catalogers write and SBOM decoders read (`maven`).
    pub purl_type: &'static str,
    /// Other names Syft and Grype give the type, read back from their SBOMs
    /// (`jenkins-plugin`).
    pub syft_names: &'static [&'static str],
    /// Anchore Enterprise's names for the type, accepted by policy type filters and the
    /// service's content route (`java`).
    pub anchore_names: &'static [&'static str],
    /// The `image content` kind that lists it (`java`; `os` for every OS type).
    pub content: &'static str,
    /// How its versions compare.
    pub scheme: Scheme,
    /// The OSV ecosystem whose advisories cover it (`Maven`); `None` when the distro decides.
    pub osv: Option<&'static str>,
    /// How its packages find their advisories.
    pub matching: Matching,
}

/// Declares [`PackageType`] and [`TYPES`] from one list, so the enum and the table cannot
/// disagree: a variant is its row.
macro_rules! package_types {
    ($( $(#[$doc:meta])* $variant:ident { $($field:ident: $value:expr),* $(,)? } )*) => {
        /// The kind of package, by ecosystem: one variant per row of [`TYPES`].
        #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[serde(rename_all = "kebab-case")]
        pub enum PackageType {
            $( $(#[$doc])* $variant, )*
        }

        /// One row per package type, in [`PackageType`]'s order (a variant's discriminant is
        /// its row's index).
        pub const TYPES: &[TypeInfo] = &[
            $( TypeInfo { ty: PackageType::$variant, $($field: $value),* }, )*
        ];

        const _: () = assert!(TYPES.len() == [$(stringify!($variant)),*].len());
    };
}

package_types! {
    /// Debian and Ubuntu packages (dpkg).
    Deb { name: "deb", purl_type: "deb", syft_names: &[], anchore_names: &[], content: "os",
          scheme: Scheme::Dpkg, osv: None, matching: Matching::Distro }
    /// Red Hat, SUSE, Amazon Linux… packages (rpm).
    Rpm { name: "rpm", purl_type: "rpm", syft_names: &[], anchore_names: &[], content: "os",
          scheme: Scheme::Rpm, osv: None, matching: Matching::Distro }
    /// Alpine, Wolfi and Chainguard packages (apk).
    Apk { name: "apk", purl_type: "apk", syft_names: &[], anchore_names: &[], content: "os",
          scheme: Scheme::Apk, osv: None, matching: Matching::Distro }
    /// Python distributions (PyPI).
    Python { name: "python", purl_type: "pypi", syft_names: &[], anchore_names: &[], content: "python",
             scheme: Scheme::Pep440, osv: Some("PyPI"), matching: Matching::Namespace("pypi") }
    /// JavaScript packages (npm).
    Npm { name: "npm", purl_type: "npm", syft_names: &[], anchore_names: &[], content: "npm",
          scheme: Scheme::Semver, osv: Some("npm"), matching: Matching::Namespace("npm") }
    /// Java archives (Maven coordinates).
    JavaArchive { name: "java-archive", purl_type: "maven", syft_names: &["jenkins-plugin"],
                  anchore_names: &["java"], content: "java",
                  scheme: Scheme::Maven, osv: Some("Maven"), matching: Matching::Namespace("maven") }
    /// Ruby gems.
    Gem { name: "gem", purl_type: "gem", syft_names: &[], anchore_names: &[], content: "gem",
          scheme: Scheme::Gem, osv: Some("RubyGems"), matching: Matching::Namespace("rubygems") }
    /// Go modules and the Go standard library.
    GoModule { name: "go-module", purl_type: "golang", syft_names: &[], anchore_names: &["go"], content: "go",
               scheme: Scheme::Go, osv: Some("Go"), matching: Matching::Namespace("go") }
    /// Rust crates.
    RustCrate { name: "rust-crate", purl_type: "cargo", syft_names: &[], anchore_names: &[], content: "rust",
                scheme: Scheme::Semver, osv: Some("crates.io"), matching: Matching::Namespace("crates.io") }
    /// PHP packages (Composer, PECL, PEAR).
    Php { name: "php", purl_type: "composer", syft_names: &["php-composer", "php-pecl", "php-pear"],
          anchore_names: &[], content: "php",
          scheme: Scheme::Composer, osv: Some("Packagist"), matching: Matching::Namespace("packagist") }
    /// .NET packages (NuGet).
    Dotnet { name: "dotnet", purl_type: "nuget", syft_names: &[], anchore_names: &["nuget"], content: "dotnet",
             scheme: Scheme::NuGet, osv: Some("NuGet"), matching: Matching::Namespace("nuget") }
    /// Binaries recognised by their contents (interpreters, runtimes, servers).
    Binary { name: "binary", purl_type: "generic", syft_names: &[], anchore_names: &[], content: "binary",
             scheme: Scheme::Generic, osv: None, matching: Matching::ByCpe }
}

impl PackageType {
    /// Every package type, in the table's order.
    pub fn all() -> impl Iterator<Item = PackageType> {
        TYPES.iter().map(|t| t.ty)
    }

    /// This type's row of [`TYPES`].
    pub fn info(self) -> &'static TypeInfo {
        // The macro writes the enum and the table from one list: the discriminant is the
        // row's index, always in range.
        &TYPES[self as usize]
    }

    /// The name used in tables and native JSON.
    pub fn as_str(self) -> &'static str {
        self.info().name
    }

    /// The purl type of its packages.
    pub fn purl_type(self) -> &'static str {
        self.info().purl_type
    }

    /// The version scheme its packages use.
    pub fn scheme(self) -> Scheme {
        self.info().scheme
    }

    /// True for packages managed by the operating system's package manager.
    pub fn is_os(self) -> bool {
        self.info().matching == Matching::Distro
    }

    /// The type a name stands for: drydock's own name or one of Syft's (any case, trimmed).
    pub fn from_name(name: &str) -> Option<PackageType> {
        let name = name.trim();
        TYPES
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name) || t.syft_names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|t| t.ty)
    }

    /// The type of a purl type (`pypi` → python; any case).
    pub fn from_purl_type(purl_type: &str) -> Option<PackageType> {
        TYPES
            .iter()
            .find(|t| t.purl_type.eq_ignore_ascii_case(purl_type))
            .map(|t| t.ty)
    }

    /// Every name a type goes by in SBOMs: drydock's and Syft's.
    pub fn sbom_names() -> impl Iterator<Item = &'static str> {
        TYPES
            .iter()
            .flat_map(|t| std::iter::once(t.name).chain(t.syft_names.iter().copied()))
    }
}

impl fmt::Display for PackageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const fn type_filter_count() -> usize {
    let mut n = 3;
    let mut i = 0;
    while i < TYPES.len() {
        n += 1 + TYPES[i].anchore_names.len();
        i += 1;
    }
    n
}

/// Package type filters, as policy gates accept them: `all`, `os` (deb, rpm, apk), `non-os`,
/// every drydock type name, then Anchore's names for a type (`java`, `go`, `nuget`).
pub const TYPE_FILTERS: [&str; type_filter_count()] = {
    let mut out = [""; type_filter_count()];
    out[0] = "all";
    out[1] = "os";
    out[2] = "non-os";
    let mut n = 3;
    let mut i = 0;
    while i < TYPES.len() {
        out[n] = TYPES[i].name;
        n += 1;
        i += 1;
    }
    i = 0;
    while i < TYPES.len() {
        let mut j = 0;
        while j < TYPES[i].anchore_names.len() {
            out[n] = TYPES[i].anchore_names[j];
            n += 1;
            j += 1;
        }
        i += 1;
    }
    out
};

/// True when a package of type `t` passes the filter `filter` (one of [`TYPE_FILTERS`], any
/// case; an empty filter passes everything).
pub fn type_filter_matches(filter: &str, t: PackageType) -> bool {
    let filter = filter.trim();
    if filter.is_empty() || filter.eq_ignore_ascii_case("all") {
        return true;
    }
    if filter.eq_ignore_ascii_case("os") {
        return t.is_os();
    }
    if filter.eq_ignore_ascii_case("non-os") {
        return !t.is_os();
    }
    let info = t.info();
    info.name.eq_ignore_ascii_case(filter) || info.anchore_names.iter().any(|n| n.eq_ignore_ascii_case(filter))
}

/// The kinds `image content` lists, in order: the package types' content kinds (`os`,
/// `python`, …, `binary`), then `files` (the image's files) and `all` (every package).
pub fn content_kinds() -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = Vec::new();
    for t in TYPES {
        if !kinds.contains(&t.content) {
            kinds.push(t.content);
        }
    }
    kinds.extend(["files", "all"]);
    kinds
}

/// The package types a content kind lists: a type's content kind or one of its Anchore names
/// (exact case); `all` lists every type. `None` for `files` and unknown kinds.
pub fn content_types(kind: &str) -> Option<Vec<PackageType>> {
    if kind == "all" {
        return Some(PackageType::all().collect());
    }
    let types: Vec<PackageType> = TYPES
        .iter()
        .filter(|t| t.content == kind || t.anchore_names.contains(&kind))
        .map(|t| t.ty)
        .collect();
    (!types.is_empty()).then_some(types)
}

/// The OSV ecosystems of the package types (`PyPI`, `npm`, `Maven`, …), in table order.
pub fn osv_ecosystems() -> impl Iterator<Item = &'static str> {
    TYPES.iter().filter_map(|t| t.osv)
}
