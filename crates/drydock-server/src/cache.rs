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
    /// Reading the stored document failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored analysis is not valid JSON for its type (the parse error).
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Stores an analysed image whose document is about `size` bytes; returns its id.
    fn analysed(store: &Store, tag: &str, size: usize) -> String {
        let id = store.add_image("a", tag, "r", "x").unwrap();
        let job = store.claim_job("w", 300).unwrap().unwrap();
        let mut a = Analysis::from_sbom(Default::default(), Default::default());
        a.sbom.warnings = vec!["x".repeat(size)];
        store
            .complete_job(&job, &format!("sha256:{id}"), &serde_json::to_string(&a).unwrap())
            .unwrap();
        id
    }

    #[test]
    fn documents_are_reused_until_they_change_and_the_budget_evicts_the_oldest() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite").to_str().unwrap()).unwrap();
        store.ensure_account("a").unwrap();
        let one = analysed(&store, "r/x:1", 3000);
        let two = analysed(&store, "r/x:2", 3000);
        let cache = AnalysisCache::new(5000);
        let first = cache.load(&store, "a", &one).unwrap().unwrap();
        let again = cache.load(&store, "a", &one).unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &again), "parsed once");
        assert!(
            cache.load(&store, "b", &one).unwrap().is_none(),
            "other accounts see nothing"
        );
        cache.load(&store, "a", &two).unwrap().unwrap();
        assert_eq!(cache.usage().0, 1, "the budget holds one document: the older one went");
        // A re-match rewrites the stored document: the next load sees the new one.
        let mut changed = (*cache.load(&store, "a", &two).unwrap().unwrap()).clone();
        changed.sbom.warnings = vec!["changed".into()];
        store
            .set_image_state(
                &two,
                "[]",
                "GO",
                "{}",
                Some((&serde_json::to_string(&changed).unwrap(), &[])),
            )
            .unwrap();
        assert_eq!(
            cache.load(&store, "a", &two).unwrap().unwrap().sbom.warnings,
            ["changed"]
        );
        let none = AnalysisCache::new(0);
        let x = none.load(&store, "a", &one).unwrap().unwrap();
        let y = none.load(&store, "a", &one).unwrap().unwrap();
        assert!(
            !Arc::ptr_eq(&x, &y) && none.usage() == (0, 0),
            "a zero budget keeps nothing"
        );
    }
}
