//! Catalogers turn captured files of the squashed view into packages. Each ecosystem
//! is one module; `all()` is the one list they are registered in.

pub mod apk;
pub mod build;
pub mod dpkg;
pub mod python;
pub mod rpm;

pub use build::build_sbom;
use drydock_image::{Capture, FileTree};
use drydock_sbom::{Distro, Package};

/// What catalogers see besides the file tree.
pub struct Context<'a> {
    /// The detected distro, for PURL qualifiers and CPE vendors.
    pub distro: Option<&'a Distro>,
}

/// Packages and warnings produced by one cataloger run.
#[derive(Debug, Default)]
pub struct Output {
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
    /// Finds packages in the tree (only captured files have contents).
    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output);
}

/// Every cataloger drydock runs, in order.
pub fn all() -> Vec<Box<dyn Cataloger>> {
    vec![
        Box::new(dpkg::Dpkg),
        Box::new(apk::Apk),
        Box::new(rpm::Rpm),
        Box::new(python::Python),
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
        format!("catalog-1:{}", names.join(","))
    }
}

/// Runs every cataloger over one tree.
pub fn catalog_tree(tree: &FileTree, catalogers: &[Box<dyn Cataloger>], distro: Option<&Distro>) -> Output {
    let ctx = Context { distro };
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
