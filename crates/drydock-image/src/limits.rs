//! The one place where bounds on untrusted input live.

use serde::{Deserialize, Serialize};

/// Bounds applied while reading images; every one is configurable.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Limits {
    /// Largest single file whose content is kept in memory for catalogers.
    pub max_captured_file: u64,
    /// Largest single file read for extraction (binaries, archives); only its
    /// summary is kept.
    pub max_extracted_file: u64,
    /// Largest total of captured content per layer.
    pub max_captured_per_layer: u64,
    /// Largest decompressed size of one layer (decompression-bomb guard).
    pub max_layer_uncompressed: u64,
    /// Largest number of tar entries in one layer.
    pub max_layer_entries: u64,
    /// Largest manifest, index or config document read from any source.
    pub max_document: u64,
    /// Most symbolic links followed when resolving one path.
    pub max_symlink_hops: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_captured_file: 256 << 20,
            max_extracted_file: 512 << 20,
            max_captured_per_layer: 1 << 30,
            max_layer_uncompressed: 64 << 30,
            max_layer_entries: 5_000_000,
            max_document: 16 << 20,
            max_symlink_hops: 40,
        }
    }
}
