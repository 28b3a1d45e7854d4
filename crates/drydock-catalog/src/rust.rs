//! Work in progress: the Rust cataloger.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The Rust cataloger.
pub struct Rust;

impl Cataloger for Rust {
    fn name(&self) -> &'static str {
        "rust-cargo-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
