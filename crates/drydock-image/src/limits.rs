//! The one place where bounds on untrusted input live.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Bounds applied while reading images; every one is configurable (`[limits]` in the
/// configuration file, each key named as the field).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// Largest single file whose content is kept in memory for catalogers.
    pub max_captured_file: u64,
    /// Largest single-package manifest kept (`package.json`, Python `METADATA`...): these
    /// are a few KiB when genuine.
    pub max_captured_manifest: u64,
    /// Largest single file read for extraction (binaries, archives); only its
    /// summary is kept.
    pub max_extracted_file: u64,
    /// Largest single file whose content digests are computed; bigger files get none.
    pub max_digested_file: u64,
    /// Largest total of captured content per layer.
    pub max_captured_per_layer: u64,
    /// Largest total of captured content per image (all layers, cached or read).
    pub max_captured_per_image: u64,
    /// Largest captured content a layer may have for its result to be written to the
    /// layer cache; bigger layers are read again next time.
    pub max_cached_capture: u64,
    /// Largest size of one layer, decompressed and with sparse files expanded: the sum of
    /// its entries' sizes (decompression-bomb guard).
    pub max_layer_uncompressed: u64,
    /// Largest number of tar entries in one layer.
    pub max_layer_entries: u64,
    /// Largest manifest, index or config document read from any source.
    pub max_document: u64,
    /// Most symbolic links followed when resolving one path.
    pub max_symlink_hops: usize,
    /// Seconds one image's layers may take to read before the analysis fails (0: no limit).
    pub max_image_seconds: u64,
    /// Most warnings kept per layer; the rest are counted.
    pub max_warnings_per_layer: usize,
    /// Seconds to establish a connection to a registry (TCP and TLS).
    pub registry_connect_seconds: u64,
    /// Longest wait, in seconds, for the next bytes of any registry response.
    pub registry_read_seconds: u64,
    /// Seconds one document request (manifest, config, tag list, token) may take, from
    /// connecting to its last byte.
    pub registry_document_seconds: u64,
    /// Seconds a layer blob may take besides its declared size at `registry_blob_min_rate`.
    pub registry_blob_seconds: u64,
    /// Slowest average rate, in bytes per second, a layer blob is given time for; one that
    /// arrives at under a quarter of it after `registry_blob_grace_seconds` is dropped.
    pub registry_blob_min_rate: u64,
    /// Seconds a layer blob may arrive slowly before its rate is checked.
    pub registry_blob_grace_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_captured_file: 256 << 20,
            max_captured_manifest: 4 << 20,
            max_extracted_file: 512 << 20,
            max_digested_file: 1 << 30,
            max_captured_per_layer: 256 << 20,
            max_captured_per_image: 256 << 20,
            max_cached_capture: 64 << 20,
            max_layer_uncompressed: 64 << 30,
            max_layer_entries: 5_000_000,
            max_document: 16 << 20,
            max_symlink_hops: 40,
            max_image_seconds: 300,
            max_warnings_per_layer: 1000,
            registry_connect_seconds: 15,
            registry_read_seconds: 30,
            registry_document_seconds: 60,
            registry_blob_seconds: 300,
            registry_blob_min_rate: 256 << 10,
            registry_blob_grace_seconds: 60,
        }
    }
}

/// What one image may still spend while its layers are read in parallel: captured bytes
/// and time.
#[derive(Debug)]
pub struct ImageBudget {
    deadline: Option<Instant>,
    seconds: u64,
    captured: AtomicU64,
    max_captured: u64,
}

impl ImageBudget {
    /// A fresh budget for one image, its clock starting now.
    pub fn new(limits: &Limits) -> Self {
        let seconds = limits.max_image_seconds;
        ImageBudget {
            deadline: (seconds > 0).then(|| Instant::now() + Duration::from_secs(seconds)),
            seconds,
            captured: AtomicU64::new(0),
            max_captured: limits.max_captured_per_image,
        }
    }

    /// True once the image's time is up.
    pub fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// The time budget in seconds.
    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    /// Reserves `n` bytes of captured content; false (and nothing reserved) when that
    /// would go over the image's capture budget.
    pub fn try_capture(&self, n: u64) -> bool {
        self.captured
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| {
                used.checked_add(n).filter(|t| *t <= self.max_captured)
            })
            .is_ok()
    }

    /// Counts `n` bytes already held (a cached layer's captures) whatever the budget says.
    pub fn charge(&self, n: u64) {
        self.captured.fetch_add(n, Ordering::SeqCst);
    }

    /// Gives back bytes reserved for a file that turned out shorter or was replaced.
    pub fn refund(&self, n: u64) {
        let _ = self
            .captured
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |used| Some(used.saturating_sub(n)));
    }

    /// Captured bytes held so far.
    pub fn captured(&self) -> u64 {
        self.captured.load(Ordering::SeqCst)
    }
}

/// Shortens text taken from input (paths, names, document snippets) before it goes into an
/// error or warning, so a hostile input cannot make messages megabytes long.
pub fn clip(text: &str) -> String {
    const MAX: usize = 200;
    if text.len() <= MAX {
        return text.to_string();
    }
    let mut end = MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_budget_is_shared_and_refused_past_its_end() {
        let limits = Limits {
            max_captured_per_image: 100,
            ..Limits::default()
        };
        let b = ImageBudget::new(&limits);
        assert!(b.try_capture(60));
        assert!(!b.try_capture(41));
        assert!(b.try_capture(40));
        b.refund(50);
        assert_eq!(b.captured(), 50);
    }

    #[test]
    fn clipped_text_keeps_its_start_and_says_how_long_it_was() {
        let long = "é".repeat(10_000);
        let c = clip(&long);
        assert!(c.len() < 260, "{}", c.len());
        assert!(c.ends_with("(20000 bytes)"));
        assert_eq!(clip("short"), "short");
    }
}
