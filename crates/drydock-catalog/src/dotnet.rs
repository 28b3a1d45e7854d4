//! Work in progress: the Dotnet cataloger.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The Dotnet cataloger.
pub struct Dotnet;

impl Cataloger for Dotnet {
    fn name(&self) -> &'static str {
        "dotnet-deps-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
