//! Work in progress: the Java cataloger.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The Java cataloger.
pub struct Java;

impl Cataloger for Java {
    fn name(&self) -> &'static str {
        "java-archive-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
