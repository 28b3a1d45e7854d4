//! Work in progress: the Php cataloger.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The Php cataloger.
pub struct Php;

impl Cataloger for Php {
    fn name(&self) -> &'static str {
        "php-composer-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
