//! Which files' contents one pass over a layer keeps, summarises or digests: the
//! catalogers' and scanners' request to the layer reader.

use crate::files::Extracted;

/// Decides which files' contents are kept during the pass.
pub trait Capture: Sync {
    /// True when the content at this absolute path is needed.
    fn wants(&self, path: &str) -> bool;
    /// A stable name for this selection, part of the layer cache key.
    fn fingerprint(&self) -> String;
    /// True when a file (not kept whole) should be read and summarised by `extract`
    /// during the pass: binaries, archives. `mode` holds the permission bits.
    fn extracts(&self, _path: &str, _mode: u32, _size: u64) -> bool {
        false
    }
    /// Summarises a file's content into small named results (extractor → text);
    /// the content itself is dropped after this call.
    fn extract(&self, _path: &str, _mode: u32, _content: &[u8]) -> Extracted {
        Extracted::new()
    }
    /// True when every regular file's content digests should be computed during the pass
    /// (streamed, so no size limit applies).
    fn digests(&self) -> bool {
        false
    }
    /// True when the file at this path is a single package's manifest (`package.json`,
    /// Python `METADATA`): a few KiB when genuine, so kept only up to
    /// the layer reader's manifest limit (`max_captured_manifest`).
    fn is_manifest(&self, _path: &str) -> bool {
        false
    }
}

/// A capture that keeps nothing (metadata only).
pub struct CaptureNothing;

impl Capture for CaptureNothing {
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn fingerprint(&self) -> String {
        "nothing".into()
    }
}
