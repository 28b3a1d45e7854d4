//! Parsed analysis documents kept between API requests. A rich image's document is
//! megabytes of JSON; the cache asks the store only for the document's revision and
//! re-reads and re-parses it when the revision changed (a new analysis, a re-match), so
//! repeated content, vulnerability and policy requests skip both. Bounded by the size of
//! the documents held; the least recently used are dropped first. The account is checked
//! by the store on every request, so the cache never crosses accounts.

use drydock_analysis::Analysis;
use drydock_store::{Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Document bytes held by default.
pub const DEFAULT_BUDGET: usize = 256 << 20;

/// Why a document could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored analysis unreadable: {0}")]
    Unreadable(String),
}

struct Entry {
    revision: String,
    analysis: Arc<Analysis>,
    weight: usize,
    used: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    bytes: usize,
    tick: u64,
}

/// The cache; shared by the handlers.
pub struct AnalysisCache {
    inner: Mutex<Inner>,
    budget: usize,
}

impl AnalysisCache {
    /// A cache holding documents of at most `budget` bytes in all.
    pub fn new(budget: usize) -> Self {
        AnalysisCache {
            inner: Mutex::new(Inner::default()),
            budget,
        }
    }

    /// The analysis of an image of `account` (`None`: not analysed); from the cache when
    /// the stored revision is the cached one.
    pub fn load(&self, store: &Store, account: &str, image_id: &str) -> Result<Option<Arc<Analysis>>, LoadError> {
        let known = self.lock().entries.get(image_id).map(|e| e.revision.clone());
        let Some((revision, doc)) = store.analysis_revision(account, image_id, known.as_deref())? else {
            return Ok(None);
        };
        let Some(doc) = doc else {
            let mut inner = self.lock();
            inner.tick += 1;
            let tick = inner.tick;
            if let Some(e) = inner.entries.get_mut(image_id).filter(|e| e.revision == revision) {
                e.used = tick;
                return Ok(Some(e.analysis.clone()));
            }
            // Dropped meanwhile: read it again in full.
            drop(inner);
            return self.reload(store, account, image_id);
        };
        let analysis: Arc<Analysis> =
            Arc::new(serde_json::from_str(&doc).map_err(|e| LoadError::Unreadable(e.to_string()))?);
        self.insert(image_id, revision, analysis.clone(), doc.len());
        Ok(Some(analysis))
    }

    fn reload(&self, store: &Store, account: &str, image_id: &str) -> Result<Option<Arc<Analysis>>, LoadError> {
        let Some((revision, Some(doc))) = store.analysis_revision(account, image_id, None)? else {
            return Ok(None);
        };
        let analysis: Arc<Analysis> =
            Arc::new(serde_json::from_str(&doc).map_err(|e| LoadError::Unreadable(e.to_string()))?);
        self.insert(image_id, revision, analysis.clone(), doc.len());
        Ok(Some(analysis))
    }

    fn insert(&self, image_id: &str, revision: String, analysis: Arc<Analysis>, weight: usize) {
        if weight > self.budget {
            return;
        }
        let mut inner = self.lock();
        inner.tick += 1;
        let used = inner.tick;
        if let Some(old) = inner.entries.insert(
            image_id.to_string(),
            Entry {
                revision,
                analysis,
                weight,
                used,
            },
        ) {
            inner.bytes -= old.weight;
        }
        inner.bytes += weight;
        while inner.bytes > self.budget {
            let Some(oldest) = inner.entries.iter().min_by_key(|(_, e)| e.used).map(|(k, _)| k.clone()) else {
                break;
            };
            if let Some(e) = inner.entries.remove(&oldest) {
                inner.bytes -= e.weight;
            }
        }
    }

    /// Documents held and their total size.
    pub fn usage(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}
