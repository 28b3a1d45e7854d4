//! Catalogers turn captured files of the squashed view into packages. Each ecosystem
//! is one module; `all()` is the one list they are registered in.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod apk;
pub mod binary;
pub mod build;
pub mod dotnet;
pub mod dpkg;
pub mod exe;
pub mod gem;
pub mod golang;
pub mod java;
pub mod javascript;
mod lenient;
pub mod php;
pub mod python;
pub mod rpm;
pub mod rust;

pub use build::{build_sbom, build_sbom_and_tree};
use drydock_model::{Capture, FileTree};
use drydock_sbom::{Distro, Package};

/// What catalogers see besides the file tree.
pub struct Context<'a> {
    /// The detected distro, for PURL qualifiers and CPE vendors.
    pub distro: Option<&'a Distro>,
    /// True when scanning a plain directory (a checkout): lock files and manifests
    /// count as evidence; in images only installed evidence does.
    pub directory_scan: bool,
}

/// Packages and warnings produced by one cataloger run.
#[derive(Debug, Default)]
pub struct Output {
    /// Packages the cataloger found.
    pub packages: Vec<Package>,
    /// Problems with specific files, each naming the file.
    pub warnings: Vec<String>,
}

/// One ecosystem's cataloger.
pub trait Cataloger: Sync {
    /// Short name recorded as `found_by`.
    fn name(&self) -> &'static str;
    /// True for absolute paths whose contents this cataloger needs.
    fn wants(&self, path: &str) -> bool;
    /// True for wanted files that describe one package (`package.json`, `METADATA`): kept
    /// only up to the small manifest limit.
    fn is_manifest(&self, _path: &str) -> bool {
        false
    }
    /// True for files this cataloger summarises during the layer pass instead of
    /// keeping them whole (binaries, archives); `mode` holds the permission bits.
    fn extracts(&self, _path: &str, _mode: u32, _size: u64) -> bool {
        false
    }
    /// Summarises one such file (its content is dropped afterwards); the text is
    /// read back with `FileTree::extracted_by(self.name())` when cataloguing.
    fn extract(&self, _path: &str, _content: &[u8]) -> Option<String> {
        None
    }
    /// Finds packages in the tree (only captured files have contents).
    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output);
}

/// Packages read from one package database file at most (a real dpkg status holds a few
/// thousand); the rest are skipped with a warning, so one hostile file cannot exhaust memory.
pub const MAX_PACKAGES_PER_DB: usize = 200_000;

/// A hash of the catalogers' sources (build.rs): cached layer results made by catalogers
/// that capture or extract differently are never reused.
pub const CATALOG_SOURCE_HASH: &str = env!("DRYDOCK_SOURCE_HASH");

/// Every cataloger drydock runs, in order.
pub fn all() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(dpkg::Dpkg),
        Box::new(apk::Apk),
        Box::new(rpm::Rpm),
        Box::new(python::Python),
        Box::new(javascript::JavaScript),
        Box::new(java::Java),
        Box::new(gem::Gem),
        Box::new(golang::Golang),
        Box::new(rust::Rust),
        Box::new(php::Php),
        Box::new(dotnet::Dotnet),
        // Last: classifiers skip files that packages found above already own.
        Box::new(binary::Binary),
    ]
}

/// The capture selection: the union of the catalogers' wants plus distro release files.
pub struct CatalogCapture {
    catalogers: Vec<Box<dyn Cataloger>>,
}

impl CatalogCapture {
    /// Captures what the given catalogers need.
    pub fn new(catalogers: Vec<Box<dyn Cataloger>>) -> Self {
        CatalogCapture { catalogers }
    }

    /// The catalogers in this selection.
    pub fn catalogers(&self) -> &[Box<dyn Cataloger>] {
        &self.catalogers
    }
}

impl Capture for CatalogCapture {
    fn wants(&self, path: &str) -> bool {
        drydock_sbom::distro::RELEASE_FILES.contains(&path) || self.catalogers.iter().any(|c| c.wants(path))
    }
    fn fingerprint(&self) -> String {
        let names: Vec<&str> = self.catalogers.iter().map(|c| c.name()).collect();
        format!("catalog-{CATALOG_SOURCE_HASH}:{}", names.join(","))
    }
    fn extracts(&self, path: &str, mode: u32, size: u64) -> bool {
        self.catalogers.iter().any(|c| c.extracts(path, mode, size))
    }
    fn is_manifest(&self, path: &str) -> bool {
        // Another cataloger wanting the same path whole wins.
        let wanting = self.catalogers.iter().filter(|c| c.wants(path));
        let mut any = false;
        for c in wanting {
            if !c.is_manifest(path) {
                return false;
            }
            any = true;
        }
        any
    }
    fn extract(&self, path: &str, mode: u32, content: &[u8]) -> drydock_model::Extracted {
        self.catalogers
            .iter()
            .filter(|c| c.extracts(path, mode, content.len() as u64))
            .filter_map(|c| c.extract(path, content).map(|r| (c.name().to_string(), r)))
            .collect()
    }
}

/// Runs every cataloger over one tree.
pub fn catalog_tree(
    tree: &FileTree,
    catalogers: &[Box<dyn Cataloger>],
    distro: Option<&Distro>,
    directory_scan: bool,
) -> Output {
    let ctx = Context { distro, directory_scan };
    let mut out = Output::default();
    for c in catalogers {
        c.catalog(tree, &ctx, &mut out);
    }
    out
}

/// The `distro` PURL qualifier value (`debian-12`).
pub fn distro_qualifier(distro: Option<&Distro>) -> String {
    match distro {
        Some(d) if !d.version_id.is_empty() => format!("{}-{}", d.id, d.version_id),
        Some(d) => d.id.clone(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_package_manifests_get_the_small_capture_limit() {
        let c = CatalogCapture::new(all());
        assert!(c.is_manifest("/app/node_modules/left-pad/package.json"));
        assert!(c.is_manifest("/usr/lib/python3/site-packages/six-1.16.0.dist-info/METADATA"));
        assert!(!c.is_manifest("/var/lib/dpkg/status"));
        assert!(!c.is_manifest("/app/package-lock.json"));
    }

    #[test]
    fn the_cache_key_changes_with_the_catalogers_sources() {
        // The build script hashes src/: the fingerprint (part of every layer cache key) names
        // that hash and the catalogers, so a changed cataloger never reuses old entries.
        let f = CatalogCapture::new(all()).fingerprint();
        let hash = f
            .strip_prefix("catalog-")
            .and_then(|r| r.split(':').next())
            .unwrap_or("");
        assert_eq!(hash, CATALOG_SOURCE_HASH, "{f}");
        assert!(hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()), "{f}");
        assert!(
            f.contains(":dpkg-db-cataloger,") && f.ends_with(",binary-classifier-cataloger"),
            "{f}"
        );
        let other = CatalogCapture::new(vec![Box::new(dpkg::Dpkg)]).fingerprint();
        assert_ne!(f, other);
    }
}
