//! dpkg status. Work in progress.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The apk cataloger.
pub struct Dpkg;

impl Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg-db-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
