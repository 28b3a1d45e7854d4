//! The image model, without I/O: what an image is (source, config, layers), the files one
//! pass over a layer found ([`LayerIndex`]), the squashed view of them ([`FileTree`]),
//! absolute-path helpers, and the [`Capture`] request catalogers make of the layer reader.
//!
//! Catalogers, scanners and SBOM encoders depend on this crate alone; reading images
//! (registries, archives, layouts) is `drydock-image`'s job.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod capture;
pub mod files;
pub mod meta;
pub mod path;
pub mod path_map;
pub mod tree;

pub use capture::{Capture, CaptureNothing};
pub use files::{Content, Extracted, FileDigests, FileEntry, FileKind, Hashers, LayerIndex};
pub use meta::{ConfigSummary, HistoryStep, ImageMeta, LayerInfo, SourceInfo};
pub use path_map::PathMap;
pub use tree::FileTree;

/// A hash of this crate's sources, part of the layer cache key: a change to what a cached
/// [`LayerIndex`] holds never reuses entries an older build wrote.
pub const SOURCE_HASH: &str = env!("DRYDOCK_SOURCE_HASH");
