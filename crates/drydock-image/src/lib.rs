//! Image sources and the streaming core: references, registries, archives, OCI
//! layouts and directories; one pass per layer into a file index; the squashed view.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod archive;
pub mod cache;
pub mod config;
pub mod dir;
pub mod error;
pub mod layer;
pub mod limits;
pub mod platform;
pub mod registry;
mod relink;
pub mod source;

pub use cache::LayerCache;
pub use error::{ImageError, Result};
pub use layer::LayerId;
pub use limits::{ImageBudget, Limits};
pub use platform::Platform;
pub use registry::{AddressPolicy, RegistryOptions};
pub use source::{open, OpenOptions, Opened, SourceSpec};
// The image model lives in drydock-model (no I/O); re-exported for users of the reader.
pub use drydock_model::{
    path, Capture, CaptureNothing, ConfigSummary, Content, Extracted, FileDigests, FileEntry, FileKind, FileTree,
    HistoryStep, ImageMeta, LayerIndex, LayerInfo, SourceInfo,
};

use std::io::Read;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Receives progress while layers are read (implemented by the CLI's progress bars).
pub trait Progress: Sync {
    /// Bytes of stored layer data read so far for one layer.
    fn layer_bytes(&self, _layer: usize, _bytes: u64) {}
    /// A layer is finished; `cached` when it came from the layer cache.
    fn layer_done(&self, _layer: usize, _cached: bool) {}
}

/// Progress that reports nothing.
pub struct NoProgress;
impl Progress for NoProgress {}

/// How layers are read.
pub struct ReadOptions<'a> {
    /// Which files' contents are kept, extracted or digested.
    pub capture: &'a dyn Capture,
    /// Size, count and time limits of the read.
    pub limits: Limits,
    /// Layer cache; `None` reads every layer.
    pub cache: Option<LayerCache>,
    /// Worker threads (layers read at once).
    pub threads: usize,
    /// Receives per-layer progress.
    pub progress: &'a dyn Progress,
}

/// The layers of an opened source, each indexed, in image order.
pub struct ReadLayers {
    /// Each layer's index, base first.
    pub layers: Vec<Arc<LayerIndex>>,
    /// Which layers came from the cache.
    pub from_cache: Vec<bool>,
}

/// Reads every layer of an opened source (in parallel, through the cache).
pub fn read_layers(opened: &Opened, opts: &ReadOptions<'_>) -> Result<ReadLayers> {
    match opened {
        Opened::Directory { root, .. } => {
            let index = dir::index_directory(root, opts.capture, &opts.limits)?;
            opts.progress.layer_done(0, false);
            Ok(ReadLayers {
                layers: vec![Arc::new(index)],
                from_cache: vec![false],
            })
        }
        Opened::Image { meta, layers } => read_image_layers(meta, layers.as_ref(), opts),
    }
}

/// One layer's outcome: its index and whether it came from the cache.
type Slot = Mutex<Option<Result<(LayerIndex, bool)>>>;

fn read_image_layers(meta: &ImageMeta, source: &dyn source::LayerSource, opts: &ReadOptions<'_>) -> Result<ReadLayers> {
    let n = meta.layers.len();
    let results: Vec<Slot> = (0..n).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let fingerprint = opts.capture.fingerprint();
    let threads = opts.threads.clamp(1, n.max(1));
    let budget = ImageBudget::new(&opts.limits);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= n {
                    break;
                }
                let info = &meta.layers[i];
                let r = if budget.expired() {
                    Err(ImageError::TimeBudget {
                        seconds: budget.seconds(),
                    })
                } else {
                    read_one(info, source, opts, opts.capture, &fingerprint, &budget)
                };
                let failed = r.is_err();
                *results[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
                if failed {
                    // Stop handing out work; the first error is reported.
                    next.store(n, Ordering::SeqCst);
                }
            });
        }
    });
    let mut layers = Vec::with_capacity(n);
    let mut from_cache = Vec::with_capacity(n);
    let mut lower = relink::LowerLinks::default();
    for (i, slot) in results.into_iter().enumerate() {
        match slot.into_inner().unwrap_or_else(|p| p.into_inner()) {
            Some(Ok((mut index, mut cached))) => {
                // Files written through a lower layer's link: read the layer again, asking
                // for them under their literal paths.
                let to = lower.redirects(&index, opts.capture, opts.limits.max_symlink_hops);
                if !to.is_empty() {
                    let redirected = relink::Redirected::new(opts.capture, to);
                    budget.refund(index.captured.values().map(|c| c.len() as u64).sum());
                    let info = &meta.layers[i];
                    (index, cached) = read_one(info, source, opts, &redirected, &redirected.fingerprint(), &budget)?;
                }
                lower.apply(&index);
                layers.push(Arc::new(index));
                from_cache.push(cached);
            }
            Some(Err(e)) => return Err(e),
            None => {
                return Err(ImageError::CorruptLayer {
                    layer: i,
                    digest: meta.layers[i].digest.clone(),
                    reason: "not read because an earlier layer failed".into(),
                })
            }
        }
    }
    Ok(ReadLayers { layers, from_cache })
}

fn read_one(
    info: &LayerInfo,
    source: &dyn source::LayerSource,
    opts: &ReadOptions<'_>,
    capture: &dyn Capture,
    fingerprint: &str,
    budget: &ImageBudget,
) -> Result<(LayerIndex, bool)> {
    let cache_id = if info.digest.is_empty() {
        info.diff_id.clone().unwrap_or_default()
    } else {
        info.digest.clone()
    };
    let key = opts
        .cache
        .as_ref()
        .filter(|_| !cache_id.is_empty())
        .map(|_| LayerCache::key(&cache_id, fingerprint));
    if let (Some(cache), Some(key)) = (&opts.cache, &key) {
        if let Some(mut index) = cache.get(key) {
            relabel(&mut index, info.index);
            budget.charge(index.captured.values().map(|c| c.len() as u64).sum());
            opts.progress.layer_done(info.index, true);
            return Ok((index, true));
        }
    }
    let blob = source.open_layer(info)?;
    let reader = ProgressReader {
        inner: blob,
        layer: info.index,
        read: 0,
        progress: opts.progress,
    };
    let id = LayerId {
        index: info.index,
        digest: Some(info.digest.clone()).filter(|d| !d.is_empty()),
        diff_id: info.diff_id.clone(),
        media_type: info.media_type.clone(),
    };
    let index = layer::index_layer_in(reader, &id, capture, &opts.limits, budget)?;
    if let (Some(cache), Some(key)) = (&opts.cache, &key) {
        let captured: u64 = index.captured.values().map(|c| c.len() as u64).sum();
        if captured > opts.limits.max_cached_capture {
            tracing::info!(
                "layer {} not cached: {captured} bytes captured is over the {} byte cache limit",
                info.index,
                opts.limits.max_cached_capture
            );
        } else if let Err(e) = cache.put(key, &index) {
            tracing::warn!("{e}");
        }
    }
    opts.progress.layer_done(info.index, false);
    Ok((index, false))
}

/// A cached layer may sit at another position in this image than where it was first seen.
fn relabel(index: &mut LayerIndex, position: usize) {
    for e in index.entries.values_mut() {
        e.layer = position;
    }
}

struct ProgressReader<'a, R> {
    inner: R,
    layer: usize,
    read: u64,
    progress: &'a dyn Progress,
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        self.progress.layer_bytes(self.layer, self.read);
        Ok(n)
    }
}
