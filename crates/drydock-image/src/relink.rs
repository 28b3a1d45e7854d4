//! Files a layer writes through a symbolic link of a lower layer (layer 1: `etc2 -> /etc`,
//! layer 2: `etc2/passwd`). Layers are read on their own, in parallel and from the cache,
//! so the reader of layer 2 cannot know that `/etc2/passwd` is `/etc/passwd`; once every
//! layer is read, the links below each layer are known, and a layer with such a file is
//! read again with a capture that asks for it under its literal path.

use drydock_model::path::landing;
use drydock_model::Capture;
use drydock_model::{Extracted, FileKind, LayerIndex};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// The symbolic links of the layers read so far: path → target as stored.
#[derive(Default)]
pub(crate) struct LowerLinks {
    links: HashMap<String, String>,
}

impl LowerLinks {
    /// Lays one more layer on top.
    pub(crate) fn apply(&mut self, layer: &LayerIndex) {
        if self.links.is_empty() && !layer.entries.values().any(|e| e.kind == FileKind::Symlink) {
            return;
        }
        for dir in layer.opaque_dirs.iter().chain(&layer.whiteouts) {
            let prefix = format!("{}/", dir.trim_end_matches('/'));
            self.links.retain(|p, _| !p.starts_with(&prefix));
        }
        for path in &layer.whiteouts {
            self.links.remove(path);
        }
        for (path, e) in &layer.entries {
            match (&e.kind, &e.link) {
                (FileKind::Symlink, Some(target)) => {
                    self.links.insert(path.clone(), target.to_string());
                }
                _ => {
                    self.links.remove(path);
                }
            }
        }
    }

    /// The files of `layer` that land, through a link below it, on a path `capture` wants
    /// (or extracts) but were not kept under their literal path: literal path → landing.
    pub(crate) fn redirects(
        &self,
        layer: &LayerIndex,
        capture: &dyn Capture,
        max_hops: usize,
    ) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        if self.links.is_empty() {
            return out;
        }
        // The layer's own entries win over the links below it.
        let link_at = |dir: &str| match layer.entries.get(dir) {
            Some(e) if e.kind == FileKind::Symlink => e.link.as_deref(),
            Some(_) => None,
            None => self.links.get(dir).map(String::as_str),
        };
        for (path, e) in &layer.entries {
            if !matches!(e.kind, FileKind::Regular | FileKind::Hardlink) || layer.captured.contains_key(path) {
                continue;
            }
            let Some(real) = landing(path, max_hops, link_at) else {
                continue;
            };
            let wanted = capture.wants(&real) && !capture.wants(path);
            let extracted = e.kind == FileKind::Regular
                && !layer.extracted.contains_key(path)
                && capture.extracts(&real, e.mode, e.size)
                && !capture.extracts(path, e.mode, e.size);
            if wanted || extracted {
                out.insert(path.clone(), real);
            }
        }
        out
    }
}

/// A capture that treats each redirected literal path as the path it lands on.
pub(crate) struct Redirected<'a> {
    inner: &'a dyn Capture,
    to: BTreeMap<String, String>,
    fingerprint: String,
}

impl<'a> Redirected<'a> {
    /// `inner`, with `to` (literal path → landing) applied.
    pub(crate) fn new(inner: &'a dyn Capture, to: BTreeMap<String, String>) -> Self {
        let mut h = Sha256::new();
        for (from, real) in &to {
            h.update(from.as_bytes());
            h.update([0]);
            h.update(real.as_bytes());
            h.update([0]);
        }
        let fingerprint = format!("{}+redirected:{}", inner.fingerprint(), hex::encode(h.finalize()));
        Redirected { inner, to, fingerprint }
    }

    fn real<'p>(&'p self, path: &'p str) -> &'p str {
        self.to.get(path).map_or(path, String::as_str)
    }
}

impl Capture for Redirected<'_> {
    fn wants(&self, path: &str) -> bool {
        self.inner.wants(self.real(path))
    }
    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }
    fn extracts(&self, path: &str, mode: u32, size: u64) -> bool {
        self.inner.extracts(self.real(path), mode, size)
    }
    fn extract(&self, path: &str, mode: u32, content: &[u8]) -> Extracted {
        self.inner.extract(self.real(path), mode, content)
    }
    fn digests(&self) -> bool {
        self.inner.digests()
    }
    fn is_manifest(&self, path: &str) -> bool {
        self.inner.is_manifest(self.real(path))
    }
}
