//! RPM databases: SQLite (`rpmdb.sqlite`), NDB (`Packages.db`) and Berkeley DB
//! (`Packages`), with header blobs parsed here (no librpm). Work in progress.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The rpm cataloger.
pub struct Rpm;

impl Cataloger for Rpm {
    fn name(&self) -> &'static str {
        "rpm-db-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
