//! Persistence for the drydock service. One API over two backends: an embedded SQLite file
//! (the default: nothing to install) and PostgreSQL (for `drydock worker` processes on other
//! machines). Schema migrations are versioned and applied at open. Analyses are queued as
//! jobs that a worker claims under a lease it renews; a job whose worker died is claimed
//! again when the lease expires, and its result is stored exactly once (the completion is
//! conditional on still holding the lease, in the same transaction as the document).

mod error;
mod index;
pub mod migrations;
pub mod postgres;
pub mod sql;
pub mod sqlite;

pub use error::{DriverError, OpenError, StoreError};
pub use index::{AnalysisIndex, IndexHit, IndexedFinding, IndexedPackage};

use serde::{Deserialize, Serialize};
use sql::{one, Backend, Row, Value};
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

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub account: String,
    pub role: String,
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub created_at: i64,
}

/// An image known to the service (by account and manifest digest once analysed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub id: String,
    pub account: String,
    /// Manifest digest, once the analysis resolved it.
    pub digest: Option<String>,
    pub registry: String,
    pub repository: String,
    /// `queued`, `analyzing`, `analyzed` or `failed`.
    pub status: String,
    pub error: Option<String>,
    pub created_at: i64,
    pub analyzed_at: Option<i64>,
    /// Tags currently pointing at it.
    pub tags: Vec<String>,
}

/// Which images [`Store::images`] lists (every field optional).
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageFilter<'a> {
    /// `queued`, `analyzing`, `analyzed` or `failed`.
    pub status: Option<&'a str>,
    pub registry: Option<&'a str>,
    pub repository: Option<&'a str>,
    /// A full `registry/repository:tag` the image was added or seen under.
    pub tag: Option<&'a str>,
}

/// A claimed analysis job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub id: String,
    pub account: String,
    pub image_id: String,
    pub tag: String,
    pub worker: String,
    pub lease_until: i64,
    pub attempts: i64,
    /// The manifest digest the image was added with (the worker analyses exactly it);
    /// `None` when the registry could not be asked at add time.
    #[serde(default)]
    pub digest: Option<String>,
    /// A re-analysis asked for with `force`: its result replaces the stored one.
    #[serde(default)]
    pub force: bool,
}

/// What [`Store::add_image_digest`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Added {
    pub image_id: String,
    /// The digest was new to the account (or unknown): a new image.
    pub new: bool,
    /// An analysis was queued (a new image, a failed one retried, or a forced re-analysis).
    pub queued: bool,
}

/// How a job ended in [`Store::finish_job`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The analysis was stored.
    Stored,
    /// The digest already had an analysis (and the job was not forced): nothing stored.
    AlreadyAnalysed,
    /// The worker had lost the job: nothing stored.
    Lost,
}

/// One tag → digest observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagHistory {
    pub tag: String,
    pub digest: String,
    pub image_id: String,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// A stored policy bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub bundle: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// An event (analysis finished, tag moved, …) or an audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub detail: serde_json::Value,
    pub created_at: i64,
}

/// The store: cheap to clone, safe to share between threads.
#[derive(Clone)]
pub struct Store {
    db: Arc<dyn Backend>,
}

/// Connections a store opens at most (PostgreSQL), or read-only connections beside the
/// writing one (SQLite).
pub const DEFAULT_CONNECTIONS: usize = 8;

const IMAGE_COLUMNS: &str = "id, account, digest, registry, repository, status, error, created_at, analyzed_at";

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

    // Accounts and users.

    /// Creates an account (no error when it exists).
    pub fn ensure_account(&self, name: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if one(tx, "SELECT name FROM accounts WHERE name = $1", &[name.into()])?.is_none() {
                tx.execute(
                    "INSERT INTO accounts (name, created_at) VALUES ($1, $2)",
                    &[name.into(), now().into()],
                )?;
            }
            Ok(())
        })
    }

    /// Account names.
    pub fn accounts(&self) -> Result<Vec<String>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query("SELECT name FROM accounts ORDER BY name", &[])?
                .into_iter()
                .map(|r| r[0].str())
                .collect())
        })
    }

    /// Adds a user (the account must exist).
    pub fn add_user(&self, name: &str, account: &str, role: &str, password_hash: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if one(tx, "SELECT name FROM users WHERE name = $1", &[name.into()])?.is_some() {
                return Err(StoreError::Exists(format!("user {name:?}")));
            }
            if one(tx, "SELECT name FROM accounts WHERE name = $1", &[account.into()])?.is_none() {
                return Err(StoreError::NotFound(format!("account {account:?}")));
            }
            tx.execute(
                "INSERT INTO users (name, account, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    name.into(),
                    account.into(),
                    role.into(),
                    password_hash.into(),
                    now().into(),
                ],
            )?;
            Ok(())
        })
    }

    fn user_of(r: &Row) -> Result<User, StoreError> {
        Ok(User {
            name: r[0].str(),
            account: r[1].str(),
            role: r[2].str(),
            password_hash: r[3].str(),
            created_at: r[4].int("users.created_at")?,
        })
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.rx(|tx| {
            one(
                tx,
                "SELECT name, account, role, password_hash, created_at FROM users WHERE name = $1",
                &[name.into()],
            )?
            .map(|r| Self::user_of(&r))
            .transpose()
        })
    }

    /// Users, of one account or of all.
    pub fn users(&self, account: Option<&str>) -> Result<Vec<User>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT name, account, role, password_hash, created_at FROM users \
                     WHERE (CAST($1 AS TEXT) IS NULL OR account = $1) ORDER BY name",
                &[account.into()],
            )?
            .iter()
            .map(Self::user_of)
            .collect()
        })
    }

    /// Deletes a user and its API keys.
    pub fn delete_user(&self, name: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute("DELETE FROM api_keys WHERE user_name = $1", &[name.into()])?;
            if tx.execute("DELETE FROM users WHERE name = $1", &[name.into()])? == 0 {
                return Err(StoreError::NotFound(format!("user {name:?}")));
            }
            Ok(())
        })
    }

    /// Stores an API key (its id and the hash of its secret).
    pub fn add_api_key(&self, id: &str, user: &str, secret_hash: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "INSERT INTO api_keys (id, user_name, secret_hash, created_at) VALUES ($1, $2, $3, $4)",
                &[id.into(), user.into(), secret_hash.into(), now().into()],
            )?;
            Ok(())
        })
    }

    /// The user and secret hash of a key that is not revoked.
    pub fn api_key(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT user_name, secret_hash FROM api_keys WHERE id = $1 AND revoked = 0",
                &[id.into()],
            )?
            .map(|r| (r[0].str(), r[1].str())))
        })
    }

    /// The user and account owning a key that is not revoked.
    pub fn api_key_owner(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT k.user_name, u.account FROM api_keys k JOIN users u ON u.name = k.user_name \
                 WHERE k.id = $1 AND k.revoked = 0",
                &[id.into()],
            )?
            .map(|r| (r[0].str(), r[1].str())))
        })
    }

    /// Revokes a key.
    pub fn revoke_api_key(&self, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute("UPDATE api_keys SET revoked = 1 WHERE id = $1", &[id.into()])? == 0 {
                return Err(StoreError::NotFound(format!("API key {id:?}")));
            }
            Ok(())
        })
    }

    // Images and the analysis queue.

    /// Adds an image by tag (`registry/repository:tag`) whose digest is not known and queues
    /// its analysis; returns the image id. The worker finds the digest; a digest the account
    /// already has is folded into that image (see [`Store::add_image_digest`]).
    pub fn add_image(&self, account: &str, tag: &str, registry: &str, repository: &str) -> Result<String, StoreError> {
        Ok(self
            .add_image_digest(account, tag, registry, repository, None, false)?
            .image_id)
    }

    /// Adds an image by tag and the manifest digest the tag points at. An image is its
    /// (account, digest): a digest the account already has returns that image, records the
    /// tag → digest observation and queues nothing — unless it never got an analysis (a
    /// failed one is retried) or `force` asks for a re-analysis (which then replaces the
    /// stored one). A new digest becomes a new image with its analysis queued; its tag
    /// history is written when the analysis is stored. Concurrent adds of one digest make
    /// one image (the insert is an upsert on the unique (account, digest) index).
    pub fn add_image_digest(
        &self,
        account: &str,
        tag: &str,
        registry: &str,
        repository: &str,
        digest: Option<&str>,
        force: bool,
    ) -> Result<Added, StoreError> {
        self.tx(true, |tx| {
            let t = now();
            let queue = |tx: &mut dyn sql::Tx, image_id: &str, forced: bool| {
                tx.execute(
                    "INSERT INTO jobs (id, account, image_id, tag, state, created_at, forced) \
                     VALUES ($1, $2, $3, $4, 'queued', $5, $6)",
                    &[
                        new_id().into(),
                        account.into(),
                        image_id.into(),
                        tag.into(),
                        t.into(),
                        forced.into(),
                    ],
                )
            };
            let Some(digest) = digest else {
                let image_id = new_id();
                tx.execute(
                    &format!(
                        "INSERT INTO images ({IMAGE_COLUMNS}) VALUES ($1, $2, NULL, $3, $4, 'queued', NULL, $5, NULL)"
                    ),
                    &[
                        image_id.clone().into(),
                        account.into(),
                        registry.into(),
                        repository.into(),
                        t.into(),
                    ],
                )?;
                queue(tx, &image_id, force)?;
                return Ok(Added {
                    image_id,
                    new: true,
                    queued: true,
                });
            };
            let inserted = tx.execute(
                &format!(
                    "INSERT INTO images ({IMAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, 'queued', NULL, $6, NULL) \
                     ON CONFLICT (account, digest) DO NOTHING"
                ),
                &[
                    new_id().into(),
                    account.into(),
                    digest.into(),
                    registry.into(),
                    repository.into(),
                    t.into(),
                ],
            )?;
            let image_id = one(
                tx,
                "SELECT id FROM images WHERE account = $1 AND digest = $2",
                &[account.into(), digest.into()],
            )?
            .map(|r| r[0].str())
            .ok_or_else(|| StoreError::Vanished("the added image vanished"))?;
            if inserted == 1 {
                queue(tx, &image_id, false)?;
                return Ok(Added {
                    image_id,
                    new: true,
                    queued: true,
                });
            }
            let analysed = one(
                tx,
                "SELECT 1 FROM analyses WHERE image_id = $1",
                &[image_id.clone().into()],
            )?
            .is_some();
            let pending = one(
                tx,
                "SELECT 1 FROM jobs WHERE image_id = $1 AND state IN ('queued', 'running')",
                &[image_id.clone().into()],
            )?
            .is_some();
            observe_tag(tx, account, tag, digest, &image_id, t)?;
            let queued = !pending && (force || !analysed);
            if queued {
                // A forced re-analysis shows as queued; the stored analysis stays readable
                // until the new one replaces it.
                queue(tx, &image_id, analysed)?;
                tx.execute(
                    "UPDATE images SET status = 'queued', error = NULL WHERE id = $1",
                    &[image_id.clone().into()],
                )?;
            }
            Ok(Added {
                image_id,
                new: false,
                queued,
            })
        })
    }

    /// The number of analyses stored for the account's images of a digest (0 or 1: one
    /// image per digest, one analysis per image).
    pub fn analyses_of_digest(&self, account: &str, digest: &str) -> Result<i64, StoreError> {
        self.rx(|tx| {
            one(
                tx,
                "SELECT COUNT(*) FROM analyses a JOIN images i ON i.id = a.image_id WHERE i.account = $1 AND i.digest = $2",
                &[account.into(), digest.into()],
            )?
            .map_or(Ok(0), |r| r[0].int("COUNT(*)"))
        })
    }

    /// Images from rows of `IMAGE_COLUMNS`, with the tags that point at each now (one query
    /// for all of them).
    fn images_of(tx: &mut dyn sql::Tx, rows: &[Row]) -> Result<Vec<Image>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Value> = rows.iter().map(|r| r[0].clone()).collect();
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let mut tags: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        for r in tx.query(
            &format!(
                "SELECT h.image_id, h.tag FROM tag_history h WHERE h.image_id IN ({}) AND h.last_seen = \
                 (SELECT MAX(h2.last_seen) FROM tag_history h2 WHERE h2.account = h.account AND h2.tag = h.tag) \
                 ORDER BY h.tag",
                placeholders.join(", ")
            ),
            &ids,
        )? {
            tags.entry(r[0].str()).or_default().push(r[1].str());
        }
        rows.iter()
            .map(|r| Self::image_of(r, tags.remove(&r[0].str()).unwrap_or_default()))
            .collect()
    }

    fn image_of(r: &Row, tags: Vec<String>) -> Result<Image, StoreError> {
        let id = r[0].str();
        Ok(Image {
            id,
            account: r[1].str(),
            digest: r[2].text().map(str::to_string),
            registry: r[3].str(),
            repository: r[4].str(),
            status: r[5].str(),
            error: r[6].text().map(str::to_string),
            created_at: r[7].int("images.created_at")?,
            analyzed_at: r[8].opt_int("images.analyzed_at")?,
            tags,
        })
    }

    /// An image of the account.
    pub fn image(&self, account: &str, id: &str) -> Result<Option<Image>, StoreError> {
        self.rx(|tx| {
            match one(
                tx,
                &format!("SELECT {IMAGE_COLUMNS} FROM images WHERE account = $1 AND (id = $2 OR digest = $2)"),
                &[account.into(), id.into()],
            )? {
                Some(r) => Ok(Self::images_of(tx, &[r])?.pop()),
                None => Ok(None),
            }
        })
    }

    /// Images of the account matching the filter, newest first, `limit` from `offset`.
    pub fn images(
        &self,
        account: &str,
        f: &ImageFilter<'_>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Image>, StoreError> {
        self.rx(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {IMAGE_COLUMNS} FROM images WHERE account = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
                     AND (CAST($3 AS TEXT) IS NULL OR registry = $3) AND (CAST($4 AS TEXT) IS NULL OR repository = $4) \
                     AND (CAST($5 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM tag_history h WHERE h.image_id = images.id AND h.tag = $5) \
                          OR EXISTS (SELECT 1 FROM jobs j WHERE j.image_id = images.id AND j.tag = $5)) \
                     ORDER BY created_at DESC, id LIMIT $6 OFFSET $7"
                ),
                &[
                    account.into(),
                    f.status.into(),
                    f.registry.into(),
                    f.repository.into(),
                    f.tag.into(),
                    limit.into(),
                    offset.into(),
                ],
            )?;
            Self::images_of(tx, &rows)
        })
    }

    /// Deletes an image, its stored analysis and its tag history.
    pub fn delete_image(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            let Some(r) = one(
                tx,
                "SELECT id FROM images WHERE account = $1 AND (id = $2 OR digest = $2)",
                &[account.into(), id.into()],
            )?
            else {
                return Err(StoreError::NotFound(format!("image {id}")));
            };
            let id = r[0].str();
            tx.execute("DELETE FROM analyses WHERE image_id = $1", &[id.clone().into()])?;
            tx.execute("DELETE FROM image_state WHERE image_id = $1", &[id.clone().into()])?;
            index::remove(tx, &id.clone().into())?;
            tx.execute("DELETE FROM tag_history WHERE image_id = $1", &[id.clone().into()])?;
            tx.execute("DELETE FROM jobs WHERE image_id = $1", &[id.clone().into()])?;
            tx.execute("DELETE FROM images WHERE id = $1", &[id.into()])?;
            Ok(())
        })
    }

    /// Claims the oldest queued job, or a running one whose lease expired, for `worker`
    /// until `now + lease_secs`. A job for an image that has an analysis by now (and is not
    /// a forced re-analysis) is closed instead of claimed: it would only repeat that work.
    pub fn claim_job(&self, worker: &str, lease_secs: i64) -> Result<Option<Job>, StoreError> {
        let skip = self.db.skip_locked();
        self.tx(true, |tx| {
            let t = now();
            loop {
                let Some(r) = one(
                    tx,
                    &format!(
                        "SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < $1) \
                         ORDER BY created_at, id LIMIT 1 {skip}"
                    ),
                    &[t.into()],
                )?
                else {
                    return Ok(None);
                };
                let id = r[0].str();
                let r = one(
                    tx,
                    "SELECT j.id, j.account, j.image_id, j.tag, j.forced, i.digest, \
                     (SELECT COUNT(*) FROM analyses a WHERE a.image_id = j.image_id) FROM jobs j \
                     LEFT JOIN images i ON i.id = j.image_id WHERE j.id = $1",
                    &[id.clone().into()],
                )?
                .ok_or_else(|| StoreError::Vanished("the claimed job vanished"))?;
                let forced = r[4].int("jobs.forced")? != 0;
                if !forced && r[6].int("COUNT(*)")? > 0 {
                    tx.execute(
                        "UPDATE jobs SET state = 'done', finished_at = $1, error = 'already analysed' WHERE id = $2",
                        &[t.into(), id.into()],
                    )?;
                    continue;
                }
                tx.execute(
                    "UPDATE jobs SET state = 'running', worker = $1, lease_until = $2, attempts = attempts + 1 WHERE id = $3",
                    &[worker.into(), (t + lease_secs).into(), id.clone().into()],
                )?;
                tx.execute(
                    "UPDATE images SET status = 'analyzing' WHERE id = $1",
                    &[r[2].str().into()],
                )?;
                let attempts = one(tx, "SELECT attempts FROM jobs WHERE id = $1", &[id.into()])?
                    .map_or(Ok(0), |a| a[0].int("jobs.attempts"))?;
                return Ok(Some(Job {
                    id: r[0].str(),
                    account: r[1].str(),
                    image_id: r[2].str(),
                    tag: r[3].str(),
                    worker: worker.to_string(),
                    lease_until: t + lease_secs,
                    attempts,
                    digest: r[5].text().map(str::to_string),
                    force: forced,
                }));
            }
        })
    }

    /// Extends the lease of a job the worker still holds; false when it lost it.
    pub fn renew_job(&self, job: &Job, lease_secs: i64) -> Result<bool, StoreError> {
        self.tx(true, |tx| {
            Ok(tx.execute(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND worker = $3 AND state = 'running'",
                &[
                    (now() + lease_secs).into(),
                    job.id.clone().into(),
                    job.worker.clone().into(),
                ],
            )? == 1)
        })
    }

    /// Stores the analysis of a job the worker still holds, records the tag → digest
    /// observation and an event, all in one transaction. Returns false (storing nothing)
    /// when the worker lost the job, so a result is stored exactly once; true when the job
    /// is done (its analysis stored, or already there for the digest: see
    /// [`Store::finish_job`]).
    pub fn complete_job(&self, job: &Job, digest: &str, document: &str) -> Result<bool, StoreError> {
        Ok(self.finish_job(job, digest, document, None)? != Completion::Lost)
    }

    /// [`Store::complete_job`] with the analysis's query index, written in the same
    /// transaction (without one, the analysis waits for [`Store::put_index`]).
    pub fn complete_job_indexed(
        &self,
        job: &Job,
        digest: &str,
        document: &str,
        index: &AnalysisIndex,
    ) -> Result<bool, StoreError> {
        Ok(self.finish_job(job, digest, document, Some(index))? != Completion::Lost)
    }

    /// Ends a job the worker holds with its analysis of `digest`. One image per (account,
    /// digest) and one analysis per image: when the digest already is another image of the
    /// account (the job's image was added before its digest was known), the job's image is
    /// folded into it; when that image already has an analysis and the job is not forced,
    /// nothing is stored (the tag observation is still recorded). A forced job replaces
    /// the stored analysis.
    pub fn finish_job(
        &self,
        job: &Job,
        digest: &str,
        document: &str,
        index: Option<&AnalysisIndex>,
    ) -> Result<Completion, StoreError> {
        // Two placeholder images of one digest finishing at once on PostgreSQL: the second
        // meets the unique index; run again, it finds the first and folds into it.
        match self.finish_job_once(job, digest, document, index) {
            Err(StoreError::Conflict(_)) => self.finish_job_once(job, digest, document, index),
            other => other,
        }
    }

    fn finish_job_once(
        &self,
        job: &Job,
        digest: &str,
        document: &str,
        index: Option<&AnalysisIndex>,
    ) -> Result<Completion, StoreError> {
        self.tx(true, |tx| {
            let t = now();
            if tx.execute(
                "UPDATE jobs SET state = 'done', finished_at = $1 WHERE id = $2 AND worker = $3 AND state = 'running'",
                &[t.into(), job.id.clone().into(), job.worker.clone().into()],
            )? != 1
            {
                return Ok(Completion::Lost);
            }
            let forced = one(tx, "SELECT forced FROM jobs WHERE id = $1", &[job.id.clone().into()])?
                .map_or(Ok(0), |r| r[0].int("jobs.forced"))?
                != 0;
            let account: Value = job.account.clone().into();
            let mut image_id = job.image_id.clone();
            if let Some(r) = one(
                tx,
                "SELECT id FROM images WHERE account = $1 AND digest = $2",
                &[account.clone(), digest.into()],
            )? {
                let known = r[0].str();
                let placeholder = one(
                    tx,
                    "SELECT digest FROM images WHERE id = $1",
                    &[image_id.clone().into()],
                )?
                .is_some_and(|r| !r[0].is_some());
                if known != image_id {
                    if placeholder {
                        fold_image(tx, &image_id, &known)?;
                    }
                    image_id = known;
                }
            }
            let id: Value = image_id.clone().into();
            let analysed = one(
                tx,
                "SELECT 1 FROM analyses WHERE image_id = $1",
                std::slice::from_ref(&id),
            )?
            .is_some();
            let store = forced || !analysed;
            if store {
                tx.execute("DELETE FROM analyses WHERE image_id = $1", std::slice::from_ref(&id))?;
                tx.execute(
                    "INSERT INTO analyses (image_id, account, document, job_id, stored_at, revision, indexed) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        id.clone(),
                        account.clone(),
                        document.into(),
                        job.id.clone().into(),
                        t.into(),
                        new_id().into(),
                        index.is_some().into(),
                    ],
                )?;
                match index {
                    Some(ix) => {
                        index::write_packages(tx, &job.account, &image_id, &ix.packages)?;
                        index::write_findings(tx, &job.account, &image_id, &ix.findings)?;
                    }
                    None => index::remove(tx, &id)?,
                }
                tx.execute(
                    "UPDATE images SET status = 'analyzed', digest = $1, analyzed_at = $2, error = NULL WHERE id = $3",
                    &[digest.into(), t.into(), id.clone()],
                )
                .map_err(conflict)?;
            } else {
                tx.execute(
                    "UPDATE jobs SET error = 'already analysed' WHERE id = $1",
                    &[job.id.clone().into()],
                )?;
                tx.execute(
                    "UPDATE images SET status = 'analyzed', error = NULL WHERE id = $1 AND NOT EXISTS \
                     (SELECT 1 FROM jobs j WHERE j.image_id = images.id AND j.state IN ('queued', 'running'))",
                    std::slice::from_ref(&id),
                )?;
            }
            observe_tag(tx, &job.account, &job.tag, digest, &image_id, t)?;
            if !store {
                return Ok(Completion::AlreadyAnalysed);
            }
            let detail =
                serde_json::json!({"image_id": image_id, "digest": digest, "status": "analyzed", "worker": job.worker});
            add_event(tx, &job.account, "analysis_update", &job.tag, &detail)?;
            queue_notifications(tx, "analysis_update", &job.tag, &detail, false)?;
            Ok(Completion::Stored)
        })
    }

    /// Marks a job the worker holds as failed (the image too); false when it lost it.
    pub fn fail_job(&self, job: &Job, error: &str) -> Result<bool, StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "UPDATE jobs SET state = 'failed', finished_at = $1, error = $2 WHERE id = $3 AND worker = $4 AND state = 'running'",
                &[now().into(), error.into(), job.id.clone().into(), job.worker.clone().into()],
            )? != 1
            {
                return Ok(false);
            }
            // A failed re-analysis leaves the stored analysis (and the image analysed).
            tx.execute(
                "UPDATE images SET status = CASE WHEN EXISTS (SELECT 1 FROM analyses a WHERE a.image_id = images.id) \
                 THEN 'analyzed' ELSE 'failed' END, error = $1 WHERE id = $2",
                &[error.into(), job.image_id.clone().into()],
            )?;
            let detail = serde_json::json!({"image_id": job.image_id, "status": "failed", "error": error});
            add_event(tx, &job.account, "analysis_update", &job.tag, &detail)?;
            queue_notifications(tx, "analysis_update", &job.tag, &detail, false)?;
            Ok(true)
        })
    }

    /// Puts the running jobs of `worker` back in the queue (a worker that stops mid-analysis):
    /// they are claimable at once, and the worker's late result is dropped. Returns how many.
    pub fn release_jobs(&self, worker: &str) -> Result<u64, StoreError> {
        self.tx(true, |tx| {
            let ids: Vec<String> = tx
                .query(
                    "SELECT image_id FROM jobs WHERE worker = $1 AND state = 'running'",
                    &[worker.into()],
                )?
                .into_iter()
                .map(|r| r[0].str())
                .collect();
            for id in &ids {
                tx.execute(
                    "UPDATE images SET status = 'queued' WHERE id = $1 AND status = 'analyzing'",
                    &[id.clone().into()],
                )?;
            }
            tx.execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = 0 WHERE worker = $1 AND state = 'running'",
                &[worker.into()],
            )
        })
    }

    /// Jobs waiting or running.
    pub fn queue_depth(&self) -> Result<(i64, i64), StoreError> {
        self.rx(|tx| {
            let q = one(tx, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'", &[])?
                .map_or(Ok(0), |r| r[0].int("COUNT(*)"))?;
            let r = one(tx, "SELECT COUNT(*) FROM jobs WHERE state = 'running'", &[])?
                .map_or(Ok(0), |r| r[0].int("COUNT(*)"))?;
            Ok((q, r))
        })
    }

    /// The number of analyses stored for an image (0 or 1: a result is stored once).
    pub fn analyses_stored(&self, image_id: &str) -> Result<i64, StoreError> {
        self.rx(|tx| {
            one(
                tx,
                "SELECT COUNT(*) FROM analyses WHERE image_id = $1",
                &[image_id.into()],
            )?
            .map_or(Ok(0), |r| r[0].int("COUNT(*)"))
        })
    }

    /// The stored analysis document (JSON) of an image and the job that stored it.
    pub fn analysis(&self, account: &str, image_id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT document, job_id FROM analyses WHERE account = $1 AND image_id = $2",
                &[account.into(), image_id.into()],
            )?
            .map(|r| (r[0].str(), r[1].str())))
        })
    }

    /// The revision of an image's stored analysis (it changes whenever the document does)
    /// and the document unless its revision is `known` — so callers can keep parsed
    /// documents and skip reading unchanged ones. `None` when not analysed.
    pub fn analysis_revision(
        &self,
        account: &str,
        image_id: &str,
        known: Option<&str>,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT revision, CASE WHEN revision = $3 THEN NULL ELSE document END FROM analyses \
                 WHERE account = $1 AND image_id = $2",
                &[account.into(), image_id.into(), known.unwrap_or("-").into()],
            )?
            .map(|r| (r[0].str(), r[1].text().map(str::to_string))))
        })
    }

    /// Tag → digest history of a tag, oldest first.
    pub fn tag_history(&self, account: &str, tag: &str) -> Result<Vec<TagHistory>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT tag, digest, image_id, first_seen, last_seen FROM tag_history \
                     WHERE account = $1 AND tag = $2 ORDER BY first_seen, digest",
                &[account.into(), tag.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(TagHistory {
                    tag: r[0].str(),
                    digest: r[1].str(),
                    image_id: r[2].str(),
                    first_seen: r[3].int("tag_history.first_seen")?,
                    last_seen: r[4].int("tag_history.last_seen")?,
                })
            })
            .collect()
        })
    }

    // Policies.

    /// Adds or replaces a policy bundle (JSON text, validated by the caller).
    pub fn put_policy(&self, account: &str, id: &str, name: &str, bundle: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            let t = now();
            if tx.execute(
                "UPDATE policies SET name = $1, bundle = $2, updated_at = $3 WHERE account = $4 AND id = $5",
                &[name.into(), bundle.into(), t.into(), account.into(), id.into()],
            )? == 0
            {
                let first = one(tx, "SELECT id FROM policies WHERE account = $1", &[account.into()])?.is_none();
                tx.execute(
                    "INSERT INTO policies (account, id, name, bundle, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    &[account.into(), id.into(), name.into(), bundle.into(), first.into(), t.into()],
                )?;
            }
            bump_policy_epoch(tx)
        })
    }

    fn policy_of(r: &Row) -> Result<Policy, StoreError> {
        Ok(Policy {
            id: r[0].str(),
            name: r[1].str(),
            active: r[2].int("policies.active")? != 0,
            bundle: r[3].str(),
            created_at: r[4].int("policies.created_at")?,
            updated_at: r[5].int("policies.updated_at")?,
        })
    }

    /// Policies of the account.
    pub fn policies(&self, account: &str) -> Result<Vec<Policy>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT id, name, active, bundle, created_at, updated_at FROM policies WHERE account = $1 ORDER BY id",
                &[account.into()],
            )?
            .iter()
            .map(Self::policy_of)
            .collect()
        })
    }

    /// One policy, or the active one when `id` is `None`.
    pub fn policy(&self, account: &str, id: Option<&str>) -> Result<Option<Policy>, StoreError> {
        self.rx(|tx| {
            one(
                tx,
                "SELECT id, name, active, bundle, created_at, updated_at FROM policies \
                 WHERE account = $1 AND ((CAST($2 AS TEXT) IS NULL AND active = 1) OR id = $2)",
                &[account.into(), id.into()],
            )?
            .map(|r| Self::policy_of(&r))
            .transpose()
        })
    }

    /// Makes one policy the account's active one.
    pub fn activate_policy(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if one(
                tx,
                "SELECT id FROM policies WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )?
            .is_none()
            {
                return Err(StoreError::NotFound(format!("policy {id:?}")));
            }
            tx.execute("UPDATE policies SET active = 0 WHERE account = $1", &[account.into()])?;
            tx.execute(
                "UPDATE policies SET active = 1 WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )?;
            bump_policy_epoch(tx)
        })
    }

    /// Deletes a policy.
    pub fn delete_policy(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "DELETE FROM policies WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("policy {id:?}")));
            }
            bump_policy_epoch(tx)
        })
    }

    // Events and audit.

    /// Records an event.
    pub fn add_event(
        &self,
        account: &str,
        kind: &str,
        subject: &str,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| add_event(tx, account, kind, subject, detail))
    }

    /// Events of the account, newest first.
    pub fn events(&self, account: &str, limit: i64, offset: i64) -> Result<Vec<Event>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT id, kind, subject, detail, created_at FROM events WHERE account = $1 \
                     ORDER BY created_at DESC, id LIMIT $2 OFFSET $3",
                &[account.into(), limit.into(), offset.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(Event {
                    id: r[0].str(),
                    kind: r[1].str(),
                    subject: r[2].str(),
                    detail: serde_json::from_str(&r[3].str()).unwrap_or(serde_json::Value::Null),
                    created_at: r[4].int("events.created_at")?,
                })
            })
            .collect()
        })
    }

    /// Records a mutating API call: who, what, result, from where.
    pub fn audit(
        &self,
        account: Option<&str>,
        user: Option<&str>,
        method: &str,
        path: &str,
        status: u16,
        remote: Option<&str>,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "INSERT INTO audit (id, account, user_name, method, path, status, remote, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    new_id().into(),
                    account.into(),
                    user.into(),
                    method.into(),
                    path.into(),
                    i64::from(status).into(),
                    remote.into(),
                    now().into(),
                ],
            )?;
            Ok(())
        })
    }
}

/// A subscription: notify the account about one kind of change to one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub account: String,
    /// `tag_update`, `vuln_update`, `policy_eval` or `analysis_update`.
    pub kind: String,
    pub tag: String,
    pub created_at: i64,
}

/// A webhook endpoint of an account (its signing secret is never returned by the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub account: String,
    pub url: String,
    #[serde(skip_serializing)]
    pub secret: String,
    pub created_at: i64,
}

/// One notification to one webhook, with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: String,
    pub account: String,
    pub webhook_id: String,
    pub kind: String,
    pub subject: String,
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

/// Setting bumped whenever a policy is added, replaced, activated or deleted, so the
/// watchers know to re-evaluate stored analyses.
pub const POLICY_EPOCH: &str = "policy_epoch";

fn bump_policy_epoch(tx: &mut dyn sql::Tx) -> Result<(), StoreError> {
    tx.execute("DELETE FROM settings WHERE name = $1", &[POLICY_EPOCH.into()])?;
    tx.execute(
        "INSERT INTO settings (name, value) VALUES ($1, $2)",
        &[POLICY_EPOCH.into(), new_id().into()],
    )?;
    Ok(())
}

/// The subscription kinds.
pub const SUBSCRIPTION_KINDS: &[&str] = &["tag_update", "vuln_update", "policy_eval", "analysis_update"];

const DELIVERY_COLUMNS: &str = "id, account, webhook_id, kind, subject, payload, state, attempts, next_attempt_at, \
                                last_status, last_error, created_at, delivered_at";

fn delivery_of(r: &Row) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: r[0].str(),
        account: r[1].str(),
        webhook_id: r[2].str(),
        kind: r[3].str(),
        subject: r[4].str(),
        payload: r[5].str(),
        state: r[6].str(),
        attempts: r[7].int("deliveries.attempts")?,
        next_attempt_at: r[8].int("deliveries.next_attempt_at")?,
        last_status: r[9].opt_int("deliveries.last_status")?,
        last_error: r[10].text().map(str::to_string),
        created_at: r[11].int("deliveries.created_at")?,
        delivered_at: r[12].opt_int("deliveries.delivered_at")?,
    })
}

impl Store {
    /// Subscribes the account to a kind of change of a tag.
    pub fn add_subscription(&self, account: &str, kind: &str, tag: &str) -> Result<Subscription, StoreError> {
        self.tx(true, |tx| {
            if one(
                tx,
                "SELECT id FROM subscriptions WHERE account = $1 AND kind = $2 AND tag = $3",
                &[account.into(), kind.into(), tag.into()],
            )?
            .is_some()
            {
                return Err(StoreError::Exists(format!("subscription {kind} for {tag}")));
            }
            let s = Subscription {
                id: new_id(),
                account: account.into(),
                kind: kind.into(),
                tag: tag.into(),
                created_at: now(),
            };
            tx.execute(
                "INSERT INTO subscriptions (id, account, kind, tag, created_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    s.id.clone().into(),
                    account.into(),
                    kind.into(),
                    tag.into(),
                    s.created_at.into(),
                ],
            )?;
            Ok(s)
        })
    }

    /// Subscriptions of the account; `None` lists every account's (for the watchers).
    pub fn subscriptions(&self, account: Option<&str>, kind: Option<&str>) -> Result<Vec<Subscription>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT id, account, kind, tag, created_at FROM subscriptions \
                     WHERE (CAST($1 AS TEXT) IS NULL OR account = $1) AND (CAST($2 AS TEXT) IS NULL OR kind = $2) \
                     ORDER BY account, tag, kind",
                &[account.into(), kind.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(Subscription {
                    id: r[0].str(),
                    account: r[1].str(),
                    kind: r[2].str(),
                    tag: r[3].str(),
                    created_at: r[4].int("subscriptions.created_at")?,
                })
            })
            .collect()
        })
    }

    /// Deletes a subscription of the account.
    pub fn delete_subscription(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "DELETE FROM subscriptions WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("subscription {id:?}")));
            }
            Ok(())
        })
    }

    /// Adds a webhook endpoint; `secret` signs its deliveries.
    pub fn add_webhook(&self, account: &str, url: &str, secret: &str) -> Result<Webhook, StoreError> {
        self.tx(true, |tx| {
            let w = Webhook {
                id: new_id(),
                account: account.into(),
                url: url.into(),
                secret: secret.into(),
                created_at: now(),
            };
            tx.execute(
                "INSERT INTO webhooks (id, account, url, secret, created_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    w.id.clone().into(),
                    account.into(),
                    url.into(),
                    secret.into(),
                    w.created_at.into(),
                ],
            )?;
            Ok(w)
        })
    }

    /// Webhooks of an account (or one by id when `id` is given).
    pub fn webhooks(&self, account: &str) -> Result<Vec<Webhook>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT id, account, url, secret, created_at FROM webhooks WHERE account = $1 ORDER BY created_at, id",
                &[account.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(Webhook {
                    id: r[0].str(),
                    account: r[1].str(),
                    url: r[2].str(),
                    secret: r[3].str(),
                    created_at: r[4].int("webhooks.created_at")?,
                })
            })
            .collect()
        })
    }

    /// Deletes a webhook of the account.
    pub fn delete_webhook(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "DELETE FROM webhooks WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("webhook {id:?}")));
            }
            Ok(())
        })
    }

    /// Records an event and, for every account subscribed to `kind` on `tag`, queues a
    /// delivery of `payload` to each of its webhooks. Returns the deliveries queued.
    pub fn notify(&self, kind: &str, tag: &str, payload: &serde_json::Value) -> Result<usize, StoreError> {
        self.tx(true, |tx| queue_notifications(tx, kind, tag, payload, true))
    }

    /// Pending deliveries due now, oldest first, with their webhook.
    pub fn due_deliveries(&self, limit: i64) -> Result<Vec<(Delivery, Webhook)>, StoreError> {
        self.rx(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
                     ORDER BY next_attempt_at, id LIMIT $2"
                ),
                &[now().into(), limit.into()],
            )?;
            let mut out = Vec::new();
            for r in rows {
                let d = delivery_of(&r)?;
                if let Some(w) = one(
                    tx,
                    "SELECT id, account, url, secret, created_at FROM webhooks WHERE id = $1",
                    &[d.webhook_id.clone().into()],
                )? {
                    out.push((
                        d,
                        Webhook {
                            id: w[0].str(),
                            account: w[1].str(),
                            url: w[2].str(),
                            secret: w[3].str(),
                            created_at: w[4].int("webhooks.created_at")?,
                        },
                    ));
                }
            }
            Ok(out)
        })
    }

    /// Records a delivery attempt: delivered, retried at `retry_at`, or failed for good.
    pub fn delivery_attempted(
        &self,
        id: &str,
        status: Option<u16>,
        error: Option<&str>,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            let ok = error.is_none();
            let state = if ok {
                "delivered"
            } else if retry_at.is_some() {
                "pending"
            } else {
                "failed"
            };
            tx.execute(
                "UPDATE deliveries SET state = $1, attempts = attempts + 1, last_status = $2, last_error = $3, \
                 next_attempt_at = $4, delivered_at = $5 WHERE id = $6",
                &[
                    state.into(),
                    status.map(i64::from).into(),
                    error.into(),
                    retry_at.unwrap_or(0).into(),
                    ok.then(now).into(),
                    id.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The delivery log of an account, newest first.
    pub fn deliveries(&self, account: &str, limit: i64, offset: i64) -> Result<Vec<Delivery>, StoreError> {
        self.rx(|tx| {
            tx.query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE account = $1 \
                         ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
                ),
                &[account.into(), limit.into(), offset.into()],
            )?
            .iter()
            .map(delivery_of)
            .collect()
        })
    }

    /// The last known vulnerability ids (JSON array) and final action of an image.
    pub fn image_state(&self, image_id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT vulnerabilities, final_action FROM image_state WHERE image_id = $1",
                &[image_id.into()],
            )?
            .map(|r| (r[0].str(), r[1].str())))
        })
    }

    /// Stores the state an image was judged in (vulnerability ids as a JSON array, final
    /// action, finding counts by severity as a JSON object), and optionally a re-matched
    /// analysis with its findings for the query index (same transaction).
    pub fn set_image_state(
        &self,
        image_id: &str,
        vulnerabilities: &str,
        final_action: &str,
        severities: &str,
        rematched: Option<(&str, &[IndexedFinding])>,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            let t = now();
            tx.execute("DELETE FROM image_state WHERE image_id = $1", &[image_id.into()])?;
            tx.execute(
                "INSERT INTO image_state (image_id, vulnerabilities, final_action, updated_at, severities) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    image_id.into(),
                    vulnerabilities.into(),
                    final_action.into(),
                    t.into(),
                    severities.into(),
                ],
            )?;
            if let Some((doc, findings)) = rematched {
                tx.execute(
                    "UPDATE analyses SET document = $1, stored_at = $2, revision = $3 WHERE image_id = $4",
                    &[doc.into(), t.into(), new_id().into(), image_id.into()],
                )?;
                // The packages did not change; an analysis not indexed yet is left to the backfill.
                if let Some(r) = one(
                    tx,
                    "SELECT account FROM analyses WHERE image_id = $1 AND indexed = 1",
                    &[image_id.into()],
                )? {
                    index::write_findings(tx, &r[0].str(), image_id, findings)?;
                }
            }
            Ok(())
        })
    }

    /// Findings by severity summed over every judged image (for metrics).
    pub fn severity_totals(&self) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
        self.rx(|tx| {
            let mut out = std::collections::BTreeMap::new();
            for r in tx.query("SELECT severities FROM image_state", &[])? {
                if let Ok(m) = serde_json::from_str::<std::collections::BTreeMap<String, i64>>(&r[0].str()) {
                    for (k, v) in m {
                        *out.entry(k).or_insert(0) += v;
                    }
                }
            }
            Ok(out)
        })
    }

    /// Stored analyses after `after` (image id order), at most `limit`: (image id,
    /// account, document). Walk all of them page by page.
    pub fn analyses_page(&self, after: &str, limit: i64) -> Result<Vec<(String, String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query(
                    "SELECT image_id, account, document FROM analyses WHERE image_id > $1 ORDER BY image_id LIMIT $2",
                    &[after.into(), limit.into()],
                )?
                .into_iter()
                .map(|r| (r[0].str(), r[1].str(), r[2].str()))
                .collect())
        })
    }

    /// Stored analyses that have no recorded judgement yet: (image id, account, document).
    pub fn analyses_without_state(&self, limit: i64) -> Result<Vec<(String, String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query(
                    "SELECT a.image_id, a.account, a.document FROM analyses a \
                     WHERE NOT EXISTS (SELECT 1 FROM image_state s WHERE s.image_id = a.image_id) \
                     ORDER BY a.image_id LIMIT $1",
                    &[limit.into()],
                )?
                .into_iter()
                .map(|r| (r[0].str(), r[1].str(), r[2].str()))
                .collect())
        })
    }

    /// A service setting.
    pub fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.rx(|tx| Ok(one(tx, "SELECT value FROM settings WHERE name = $1", &[name.into()])?.map(|r| r[0].str())))
    }

    /// Sets a service setting.
    pub fn set_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute("DELETE FROM settings WHERE name = $1", &[name.into()])?;
            tx.execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2)",
                &[name.into(), value.into()],
            )?;
            Ok(())
        })
    }

    /// The image ids and current tags that point at each image id (latest digest per tag).
    pub fn current_tags(&self, image_id: &str) -> Result<Vec<String>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query(
                    "SELECT h.tag FROM tag_history h WHERE h.image_id = $1 AND h.last_seen = \
                     (SELECT MAX(h2.last_seen) FROM tag_history h2 WHERE h2.account = h.account AND h2.tag = h.tag) \
                     ORDER BY h.tag",
                    &[image_id.into()],
                )?
                .into_iter()
                .map(|r| r[0].str())
                .collect())
        })
    }

    /// The digest a tag pointed at last, for the account.
    pub fn latest_digest(&self, account: &str, tag: &str) -> Result<Option<String>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT digest FROM tag_history WHERE account = $1 AND tag = $2 ORDER BY last_seen DESC, first_seen DESC LIMIT 1",
                &[account.into(), tag.into()],
            )?
            .map(|r| r[0].str()))
        })
    }

    /// True when an analysis of the tag is queued or running for the account.
    pub fn analysis_pending(&self, account: &str, tag: &str) -> Result<bool, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT id FROM jobs WHERE account = $1 AND tag = $2 AND state IN ('queued', 'running') LIMIT 1",
                &[account.into(), tag.into()],
            )?
            .is_some())
        })
    }
}

/// Registry credentials as stored: the password sealed (encrypted) by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryCredential {
    pub registry: String,
    pub username: String,
    #[serde(skip_serializing)]
    pub sealed_password: String,
    pub insecure: bool,
    pub created_at: i64,
}

impl Store {
    /// Adds or replaces the credentials of a registry for the account.
    pub fn put_registry(
        &self,
        account: &str,
        registry: &str,
        username: &str,
        sealed: &str,
        insecure: bool,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "DELETE FROM registries WHERE account = $1 AND registry = $2",
                &[account.into(), registry.into()],
            )?;
            tx.execute(
                "INSERT INTO registries (account, registry, username, sealed_password, insecure, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    account.into(),
                    registry.into(),
                    username.into(),
                    sealed.into(),
                    insecure.into(),
                    now().into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The account's registries (passwords stay sealed).
    pub fn registries(&self, account: &str) -> Result<Vec<RegistryCredential>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT registry, username, sealed_password, insecure, created_at FROM registries \
                     WHERE account = $1 ORDER BY registry",
                &[account.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(RegistryCredential {
                    registry: r[0].str(),
                    username: r[1].str(),
                    sealed_password: r[2].str(),
                    insecure: r[3].int("registries.insecure")? != 0,
                    created_at: r[4].int("registries.created_at")?,
                })
            })
            .collect()
        })
    }

    /// Deletes a registry's credentials.
    pub fn delete_registry(&self, account: &str, registry: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "DELETE FROM registries WHERE account = $1 AND registry = $2",
                &[account.into(), registry.into()],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("registry {registry:?}")));
            }
            Ok(())
        })
    }

    /// The audit log of an account (all accounts for `None`), newest first: (id, account,
    /// user, method, route, status, remote address, time).
    pub fn audit_log(
        &self,
        account: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<serde_json::Value>, StoreError> {
        self.rx(|tx| {
            tx
                .query(
                    "SELECT id, account, user_name, method, path, status, remote, created_at FROM audit \
                     WHERE (CAST($1 AS TEXT) IS NULL OR account = $1) ORDER BY created_at DESC, id LIMIT $2 OFFSET $3",
                    &[account.into(), limit.into(), offset.into()],
                )?
                .into_iter()
                .map(|r| {
                    Ok(serde_json::json!({"id": r[0].str(), "account": r[1].text(), "user": r[2].text(), "method": r[3].str(),
                        "route": r[4].str(), "status": r[5].int("audit.status")?, "remote": r[6].text(),
                        "created_at": r[7].int("audit.created_at")?}))
                })
                .collect()
        })
    }

    /// The image a tag points at now for the account (the latest analysed digest), if any.
    pub fn image_by_tag(&self, account: &str, tag: &str) -> Result<Option<String>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT image_id FROM tag_history WHERE account = $1 AND tag = $2 ORDER BY last_seen DESC, first_seen DESC LIMIT 1",
                &[account.into(), tag.into()],
            )?
            .map(|r| r[0].str()))
        })
    }

    /// Retention: drops what happened before `before` — superseded tag history (a tag's
    /// current digest is always kept), the images no tag points at any more together with
    /// their analyses, failed analyses, events, finished deliveries and audit records.
    /// Returns the images removed.
    pub fn prune_history(&self, before: i64) -> Result<u64, StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "DELETE FROM tag_history WHERE last_seen < $1 AND EXISTS (SELECT 1 FROM tag_history n \
                 WHERE n.account = tag_history.account AND n.tag = tag_history.tag AND n.last_seen > tag_history.last_seen)",
                &[before.into()],
            )?;
            let doomed: Vec<Value> = tx
                .query(
                    "SELECT id FROM images WHERE created_at < $1 AND status IN ('analyzed', 'failed') \
                     AND NOT EXISTS (SELECT 1 FROM tag_history h WHERE h.image_id = images.id)",
                    &[before.into()],
                )?
                .into_iter()
                .map(|r| r[0].clone())
                .collect();
            for id in &doomed {
                index::remove(tx, id)?;
                for table in ["analyses", "image_state"] {
                    tx.execute(&format!("DELETE FROM {table} WHERE image_id = $1"), std::slice::from_ref(id))?;
                }
                tx.execute("DELETE FROM jobs WHERE image_id = $1 AND state IN ('done', 'failed')", std::slice::from_ref(id))?;
                tx.execute("DELETE FROM images WHERE id = $1", std::slice::from_ref(id))?;
            }
            let n = doomed.len() as u64;
            tx.execute("DELETE FROM events WHERE created_at < $1", &[before.into()])?;
            tx.execute(
                "DELETE FROM deliveries WHERE created_at < $1 AND state <> 'pending'",
                &[before.into()],
            )?;
            tx.execute("DELETE FROM audit WHERE created_at < $1", &[before.into()])?;
            Ok(n)
        })
    }
}

/// For every account subscribed to `kind` on `tag`: an event (when `events`) and one
/// pending delivery per webhook of the account. Returns the deliveries queued.
fn queue_notifications(
    tx: &mut dyn sql::Tx,
    kind: &str,
    tag: &str,
    payload: &serde_json::Value,
    events: bool,
) -> Result<usize, StoreError> {
    let accounts: Vec<String> = tx
        .query(
            "SELECT account FROM subscriptions WHERE kind = $1 AND tag = $2 ORDER BY account",
            &[kind.into(), tag.into()],
        )?
        .into_iter()
        .map(|r| r[0].str())
        .collect();
    let t = now();
    let mut n = 0;
    for account in accounts {
        if events {
            add_event(tx, &account, kind, tag, payload)?;
        }
        let hooks = tx.query("SELECT id FROM webhooks WHERE account = $1", &[account.clone().into()])?;
        for h in hooks {
            let id = new_id();
            let mut body = payload.clone();
            body["notification_id"] = id.clone().into();
            body["kind"] = kind.into();
            body["tag"] = tag.into();
            body["account"] = account.clone().into();
            body["created_at"] = t.into();
            tx.execute(
                "INSERT INTO deliveries (id, account, webhook_id, kind, subject, payload, state, attempts, \
                 next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
                &[
                    id.into(),
                    account.clone().into(),
                    h[0].str().into(),
                    kind.into(),
                    tag.into(),
                    body.to_string().into(),
                    t.into(),
                ],
            )?;
            n += 1;
        }
    }
    Ok(n)
}

fn add_event(
    tx: &mut dyn sql::Tx,
    account: &str,
    kind: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO events (id, account, kind, subject, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            new_id().into(),
            account.into(),
            kind.into(),
            subject.into(),
            detail.to_string().into(),
            now().into(),
        ],
    )?;
    Ok(())
}

/// Records that `tag` points at `digest` (image `image_id`) now (an upsert: concurrent adds
/// of one tag record it once).
fn observe_tag(
    tx: &mut dyn sql::Tx,
    account: &str,
    tag: &str,
    digest: &str,
    image_id: &str,
    t: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO tag_history (account, tag, digest, image_id, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (account, tag, digest) DO UPDATE SET last_seen = excluded.last_seen, image_id = excluded.image_id",
        &[account.into(), tag.into(), digest.into(), image_id.into(), t.into()],
    )?;
    Ok(())
}

/// Moves what refers to image `from` (added before its digest was known) to image `into`
/// (the same digest) and deletes `from`.
fn fold_image(tx: &mut dyn sql::Tx, from: &str, into: &str) -> Result<(), StoreError> {
    let (from_v, into_v): (Value, Value) = (from.into(), into.into());
    for table in ["jobs", "tag_history"] {
        tx.execute(
            &format!("UPDATE {table} SET image_id = $1 WHERE image_id = $2"),
            &[into_v.clone(), from_v.clone()],
        )?;
    }
    index::remove(tx, &from_v)?;
    for table in ["analyses", "image_state"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE image_id = $1"),
            std::slice::from_ref(&from_v),
        )?;
    }
    tx.execute("DELETE FROM images WHERE id = $1", &[from_v])?;
    Ok(())
}

/// A unique-index violation as [`StoreError::Conflict`] (the statement raced another).
fn conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::Driver(d) if d.is_unique_violation() => StoreError::Conflict(d),
        other => other,
    }
}
