//! Persistence for the drydock service. One API over two backends: an embedded SQLite file
//! (the default: nothing to install) and PostgreSQL (for `drydock worker` processes on other
//! machines). Schema migrations are versioned and applied at open. Analyses are queued as
//! jobs that a worker claims under a lease it renews; a job whose worker died is claimed
//! again when the lease expires, and its result is stored exactly once (the completion is
//! conditional on still holding the lease, in the same transaction as the document).
//!
//! One file per resource, each an `impl Store` block with its types: `accounts` (users, API
//! keys), `images` (tags, history, retention), `jobs` (the queue), `analyses`, `policies`,
//! `events` (and the audit log), `notifications` (subscriptions, webhooks, deliveries),
//! `registries`, `settings`, `index` (the query index).

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

mod accounts;
mod analyses;
mod error;
mod events;
mod images;
mod index;
mod jobs;
pub mod migrations;
mod notifications;
mod overview;
pub mod pg_tls;
mod policies;
pub mod postgres;
mod registries;
mod sessions;
mod settings;
pub mod sql;
pub mod sqlite;

pub use accounts::User;
pub use error::{DriverError, OpenError, StoreError};
pub use events::Event;
pub use images::{Added, Image, ImageFilter, TagHistory};
pub use index::{AnalysisIndex, IndexHit, IndexedFinding, IndexedPackage};
pub use jobs::{Completion, Job};
pub use notifications::{Delivery, Subscription, Webhook, SUBSCRIPTION_KINDS};
pub use overview::{CurrentTag, DailyState, ImageState, Spread};
pub use policies::{Policy, POLICY_EPOCH};
pub use registries::RegistryCredential;
pub use sessions::Session;

use sql::Backend;
use std::path::Path;
use std::sync::Arc;

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A random id: 16 bytes as hex.
pub fn new_id() -> String {
    let mut b = [0u8; 16];
    if getrandom::fill(&mut b).is_err() {
        // No OS randomness: time and a counter still give unique ids.
        static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        b[..8].copy_from_slice(&(now() as u64).to_le_bytes());
        b[8..].copy_from_slice(&n.to_le_bytes());
    }
    hex::encode(b)
}

/// The store: cheap to clone, safe to share between threads.
#[derive(Clone)]
pub struct Store {
    db: Arc<dyn Backend>,
}

/// Connections a store opens at most (PostgreSQL), or read-only connections beside the
/// writing one (SQLite).
pub const DEFAULT_CONNECTIONS: usize = 8;

impl Store {
    /// Opens `postgres://…` or a SQLite file path (`sqlite:PATH` or a plain path) and
    /// applies pending migrations.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        Self::open_with(url, DEFAULT_CONNECTIONS)
    }

    /// [`Store::open`] with up to `connections` connections (PostgreSQL) or read-only
    /// connections beside the writer (SQLite).
    pub fn open_with(url: &str, connections: usize) -> Result<Self, StoreError> {
        let db: Arc<dyn Backend> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Arc::new(postgres::Postgres::connect(url, connections)?)
        } else {
            let path = url.strip_prefix("sqlite:").unwrap_or(url);
            if let Some(parent) = Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::Open {
                    url: path.into(),
                    source: e.into(),
                })?;
            }
            Arc::new(sqlite::Sqlite::open(Path::new(path), connections)?)
        };
        migrations::migrate(db.as_ref())?;
        Ok(Store { db })
    }

    /// `sqlite` or `postgres`.
    pub fn kind(&self) -> &'static str {
        self.db.kind()
    }

    /// Runs `f` in a read-only transaction (beside writers where the backend can).
    fn rx<T>(&self, mut f: impl FnMut(&mut dyn sql::Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut out = None;
        self.db.read(&mut |tx| {
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| StoreError::Vanished("the transaction produced no result"))
    }

    fn tx<T>(&self, lock: bool, mut f: impl FnMut(&mut dyn sql::Tx) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut out = None;
        self.db.transaction(lock, &mut |tx| {
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(|| StoreError::Vanished("the transaction produced no result"))
    }
}
