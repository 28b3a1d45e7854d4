//! Per-layer results cached on disk by layer digest, analyzer version and capture set.

use crate::error::{ImageError, Result};
use drydock_model::LayerIndex;
use sha2::{Digest, Sha256};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// The cache entries' format; code changes are covered by the sources' hash in [`LayerCache::key`].
pub const ANALYZER_VERSION: &str = "drydock-layer-2";

/// A directory of cached layer indexes.
#[derive(Debug, Clone)]
pub struct LayerCache {
    dir: PathBuf,
}

impl LayerCache {
    /// A cache in `dir` (created on first write).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        LayerCache { dir: dir.into() }
    }

    /// The default location: `$DRYDOCK_CACHE_DIR`, else `$XDG_CACHE_HOME/drydock`, else `~/.cache/drydock`.
    pub fn default_dir() -> Option<PathBuf> {
        if let Some(d) = std::env::var_os("DRYDOCK_CACHE_DIR") {
            return Some(PathBuf::from(d));
        }
        if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
            return Some(Path::new(&d).join("drydock"));
        }
        std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache").join("drydock"))
    }

    /// Where this cache lives.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The key of one layer under one capture selection.
    pub fn key(layer_digest: &str, capture_fingerprint: &str) -> String {
        let mut h = Sha256::new();
        h.update(ANALYZER_VERSION.as_bytes());
        h.update([0]);
        // The layer reader's own sources (build.rs): a change to how layers are read or what
        // a cached result holds never reuses an older build's entries.
        h.update(env!("DRYDOCK_SOURCE_HASH").as_bytes());
        h.update([0]);
        // ... and the model's: what a cached index holds.
        h.update(drydock_model::SOURCE_HASH.as_bytes());
        h.update([0]);
        h.update(layer_digest.as_bytes());
        h.update([0]);
        h.update(capture_fingerprint.as_bytes());
        hex::encode(h.finalize())
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join("layers").join(format!("{key}.json"))
    }

    /// A cached index, or `None` on a miss (an unreadable entry counts as a miss).
    pub fn get(&self, key: &str) -> Option<LayerIndex> {
        let file = fs::File::open(self.path(key)).ok()?;
        match serde_json::from_reader(std::io::BufReader::with_capacity(1 << 20, file)) {
            Ok(index) => Some(index),
            Err(e) => {
                tracing::warn!("ignoring unreadable layer cache entry {key}: {e}");
                None
            }
        }
    }

    /// Stores an index atomically (write to a temporary file, then rename).
    pub fn put(&self, key: &str, index: &LayerIndex) -> Result<()> {
        let final_path = self.path(key);
        let dir = final_path.parent().unwrap_or(&self.dir).to_path_buf();
        let err = |e| ImageError::Cache {
            path: dir.clone(),
            source: e,
        };
        fs::create_dir_all(&dir).map_err(err)?;
        // Unique per process and per call: two threads may cache the same layer at once.
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let tmp = dir.join(format!(
            ".{key}.{}.{}.tmp",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let write = || -> std::io::Result<()> {
            // Streamed: a layer of millions of files must not be held twice in memory.
            let mut f = std::io::BufWriter::with_capacity(1 << 20, fs::File::create(&tmp)?);
            serde_json::to_writer(&mut f, index).map_err(std::io::Error::other)?;
            f.flush()?;
            f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
            fs::rename(&tmp, &final_path)
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            err(e)
        })
    }
}
