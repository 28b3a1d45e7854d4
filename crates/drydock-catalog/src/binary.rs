//! Work in progress: the Binary cataloger.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The Binary cataloger.
pub struct Binary;

impl Cataloger for Binary {
    fn name(&self) -> &'static str {
        "binary-classifier-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
