//! The bill of materials: packages with their identifiers, locations and relationships.

use drydock_model::ImageMeta;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version of the native JSON schema; bumped on any incompatible change.
pub const NATIVE_SCHEMA: &str = "https://drydock.dev/schema/sbom/1.0";

/// The kind of package, by ecosystem: the package-type table's enum (`drydock-ecosystem`).
pub use drydock_ecosystem::PackageType;

/// Where a package was found: the file that declares it and the layer that wrote it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// Absolute path of the declaring file in the image (e.g. `/var/lib/dpkg/status`).
    pub path: String,
    /// Layer index, 0 = base.
    pub layer: usize,
    /// Digest of that layer (empty for directories).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub layer_digest: String,
}

/// A file a package says it installed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct PackageFile {
    /// Absolute path of the file.
    pub path: String,
    /// Digest recorded by the package manager, as `algorithm:hex`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
}

/// One catalogued package.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Package {
    /// Stable id: a hash of type, name, version, architecture and first location.
    pub id: String,
    /// Name as the ecosystem spells it.
    pub name: String,
    /// Version as the ecosystem spells it (epoch and release included where it has them).
    pub version: String,
    /// Ecosystem or package manager (`deb`, `npm`, …).
    #[serde(rename = "type")]
    pub package_type: PackageType,
    /// CPU architecture as the package manager names it (`amd64`, `x86_64`, `noarch`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Source package name (dpkg Source, rpm source RPM name, apk origin).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version, when it differs from `version`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// Licenses as declared: SPDX ids or expressions, or free-form names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Maintainer, vendor or author.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
    /// Installed size in bytes, when the package manager records it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_size: Option<u64>,
    /// Package URL (`pkg:deb/debian/curl@7.88.1-10?arch=amd64`).
    pub purl: String,
    /// CPE 2.3 strings used to match NVD records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cpes: Vec<String>,
    /// Where the package was found; the first is the primary one.
    pub locations: Vec<Location>,
    /// Files the package manager says belong to this package.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PackageFile>,
    /// The cataloger that found it.
    pub found_by: String,
    /// Declared only as a development dependency (lock files that say so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dev: bool,
    /// Declared dependencies: groups of alternative package names (resolved into
    /// relationships when the SBOM is built; not serialised).
    #[serde(skip)]
    pub depends: Vec<Vec<String>>,
    /// Virtual names this package provides (dpkg `Provides`; not serialised).
    #[serde(skip)]
    pub provides: Vec<String>,
}

impl Package {
    /// A package with the identifying fields set and the rest empty.
    pub fn new(package_type: PackageType, name: impl Into<String>, version: impl Into<String>, found_by: &str) -> Self {
        Package {
            id: String::new(),
            name: name.into(),
            version: version.into(),
            package_type,
            architecture: None,
            source_name: None,
            source_version: None,
            licenses: Vec::new(),
            supplier: None,
            installed_size: None,
            purl: String::new(),
            cpes: Vec::new(),
            locations: Vec::new(),
            files: Vec::new(),
            found_by: found_by.to_string(),
            dev: false,
            depends: Vec::new(),
            provides: Vec::new(),
        }
    }

    /// The layer that introduced the package (its first location's).
    pub fn layer(&self) -> Option<usize> {
        self.locations.first().map(|l| l.layer)
    }

    /// Computes the stable id from the identifying fields.
    pub fn compute_id(&mut self) {
        let mut h = Sha256::new();
        for part in [
            self.package_type.as_str(),
            &self.name,
            &self.version,
            self.architecture.as_deref().unwrap_or(""),
            self.locations.first().map(|l| l.path.as_str()).unwrap_or(""),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        self.id = hex::encode(&h.finalize()[..8]);
    }

    /// Key that identifies "the same package" across layers and views.
    pub fn identity(&self) -> (PackageType, &str, &str, Option<&str>, Option<&str>) {
        (
            self.package_type,
            &self.name,
            &self.version,
            self.architecture.as_deref(),
            self.locations.first().map(|l| l.path.as_str()),
        )
    }
}

/// The operating system release found in the image.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Distro {
    /// `ID` from os-release (debian, ubuntu, alpine, rhel, rocky...).
    pub id: String,
    /// `VERSION_ID` from os-release (e.g. `12`, `3.19.1`); empty when absent.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub version_id: String,
    /// `VERSION_CODENAME` from os-release (e.g. `bookworm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_codename: Option<String>,
    /// `PRETTY_NAME` from os-release.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
    /// `ID_LIKE` from os-release, one id each (e.g. `rhel`, `fedora`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
}

/// How two packages relate.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum RelationshipKind {
    /// `from` installed the files in which `to` was found.
    OwnershipByFiles,
    /// `from` (an archive or binary) contains `to`.
    Contains,
    /// `from` depends on `to`.
    DependsOn,
}

/// A directed relationship between two packages, by id.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Relationship {
    /// Id of the package the relationship starts from.
    pub from: String,
    /// Id of the package it points to.
    pub to: String,
    /// How `from` relates to `to`.
    pub kind: RelationshipKind,
}

/// Which files a scan considers.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// What a container started from the image sees.
    #[default]
    Squashed,
    /// Everything any layer ever held, including files deleted later.
    AllLayers,
}

/// Counts of the files in the scanned view.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct FilesSummary {
    /// Every entry (files, directories, links, devices).
    pub total: u64,
    /// Regular files and hard links.
    pub regular: u64,
    /// Directories.
    pub directories: u64,
    /// Symbolic links.
    pub symlinks: u64,
    /// Summed size of the regular files, in bytes.
    pub total_bytes: u64,
    /// Paths with the setuid or setgid bit.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub setuid_setgid: Vec<String>,
}

/// The tool that wrote an SBOM.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Descriptor {
    /// Tool name (`drydock` for SBOMs drydock wrote).
    pub name: String,
    /// Tool version.
    pub version: String,
}

impl Default for Descriptor {
    fn default() -> Self {
        Descriptor {
            name: "drydock".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// A complete bill of materials for one source.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Sbom {
    /// The JSON schema URL of the document ([`NATIVE_SCHEMA`]).
    #[serde(rename = "$schema")]
    pub schema: String,
    /// The tool that wrote it.
    pub descriptor: Descriptor,
    /// Which files were considered.
    pub scope: Scope,
    /// The image (or directory) described.
    pub image: ImageMeta,
    /// The operating system release; `None` when none was recognised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    /// Every package found.
    pub packages: Vec<Package>,
    /// Relationships between `packages`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub relationships: Vec<Relationship>,
    /// Counts of the files in the scanned view.
    pub files: FilesSummary,
    /// Things skipped or unreadable, each naming the entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Sbom {
    /// Sorts everything so output is deterministic.
    pub fn normalize(&mut self) {
        for p in &mut self.packages {
            if p.id.is_empty() {
                p.compute_id();
            }
            p.cpes.dedup();
            p.files.sort();
            p.locations.sort_by(|a, b| (a.layer, &a.path).cmp(&(b.layer, &b.path)));
            p.locations.dedup();
        }
        self.packages.sort_by(|a, b| {
            (a.package_type, &a.name, &a.version, &a.architecture, &a.id).cmp(&(
                b.package_type,
                &b.name,
                &b.version,
                &b.architecture,
                &b.id,
            ))
        });
        self.relationships.sort();
        self.relationships.dedup();
        self.files.setuid_setgid.sort();
    }
}
