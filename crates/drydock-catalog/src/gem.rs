//! Work in progress: the Gem cataloger.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The Gem cataloger.
pub struct Gem;

impl Cataloger for Gem {
    fn name(&self) -> &'static str {
        "ruby-gem-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
