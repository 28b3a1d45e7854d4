//! Work in progress: the JavaScript cataloger.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The JavaScript cataloger.
pub struct JavaScript;

impl Cataloger for JavaScript {
    fn name(&self) -> &'static str {
        "javascript-package-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
