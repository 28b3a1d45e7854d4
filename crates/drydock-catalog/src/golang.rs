//! Work in progress: the Golang cataloger.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The Golang cataloger.
pub struct Golang;

impl Cataloger for Golang {
    fn name(&self) -> &'static str {
        "go-module-binary-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
