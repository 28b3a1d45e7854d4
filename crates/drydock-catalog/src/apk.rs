//! Alpine's installed database (`/lib/apk/db/installed`). Work in progress.

use crate::{Cataloger, Context, Output};
use drydock_image::FileTree;

/// The apk cataloger.
pub struct Apk;

impl Cataloger for Apk {
    fn name(&self) -> &'static str {
        "apk-db-cataloger"
    }
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn catalog(&self, _tree: &FileTree, _ctx: &Context<'_>, _out: &mut Output) {}
}
