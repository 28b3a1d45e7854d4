//! The local vulnerability database: advisory model, readers for public feeds, the
//! on-disk file (built once, read-only at scan time) and its export/import.
//!
//! The file is one SQLite database (schema version [`SCHEMA_VERSION`]), written by
//! [`build`] to a temporary file and renamed into place, opened by [`Db::open`]
//! read-only and immutable. [`export`] / [`import`] move it as one zstd-compressed,
//! checksummed file. No network code: downloading the feeds and fetching a served export
//! live in `drydock-update`, so a crate that only reads the database does not compile an
//! HTTP client through this one.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

pub mod build;
pub mod cpe;
pub mod feeds;
pub mod model;
pub mod normalize;
mod store;
pub mod transfer;

pub use build::{build, build_with, detect_sources, BuildOptions, BuildReport, Progress, SourceKind, SourceSpec};
pub use cpe::{Cpe, CpeCandidate};
pub use feeds::table::RemoteSource;
pub use model::*;
pub use normalize::{normalize_namespace, normalize_package};
pub use store::SCHEMA_VERSION;
pub use transfer::{export, import, import_with, ImportError};

use rusqlite::{Connection, OptionalExtension};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Errors of the vulnerability database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database file is missing, corrupt or of another schema.
    #[error("vulnerability database {path}: {reason}")]
    Unusable {
        /// The file.
        path: String,
        /// Why it cannot be used.
        reason: String,
    },
    /// A feed could not be read while building.
    #[error(transparent)]
    Feed(#[from] feeds::FeedError),
    /// A file-system or network operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A download failed.
    #[error("download {url}: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// An invalid argument or configuration.
    #[error("{0}")]
    Config(String),
}

impl DbError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> DbError {
        DbError::Io {
            context: context.into(),
            source,
        }
    }
}

/// An open, read-only vulnerability database. Safe to share between threads.
pub struct Db {
    path: PathBuf,
    conn: Mutex<Connection>,
    cache: Mutex<HashMap<i64, Arc<Advisory>>>,
}

/// One advisory's statement about a package, as returned by a lookup.
#[derive(Debug, Clone)]
pub struct Candidate {
    /// The advisory (shared: decoded once per database).
    pub advisory: Arc<Advisory>,
    /// Index into `advisory.affected` of the entry that named the package.
    pub affected_index: usize,
}

impl Candidate {
    /// The affected entry that named the package.
    pub fn affected(&self) -> &Affected {
        &self.advisory.affected[self.affected_index]
    }
}

/// One source a database was built from.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourceInfo {
    /// Short name (`osv:PyPI`, `alpine-secdb`, `kev`…).
    pub name: String,
    /// Reader kind (`osv`, `alpine`, `debian`, `rustsec`, `nvd`, `kev`, `epss`).
    pub kind: String,
    /// Local path or URL it came from.
    pub location: String,
    /// Advisories stored from it.
    pub records: u64,
    /// Enrichment rows it contributed.
    pub enrichment: u64,
    /// Records skipped (unreadable or dropped).
    pub skipped: u64,
    /// Newest record date seen (modified/published/added), when the feed has dates.
    pub newest: Option<String>,
}

/// What `drydock db status` shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Status {
    /// The file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub file_size: u64,
    /// Schema version.
    pub schema_version: u32,
    /// Build time, RFC 3339.
    pub built_at: String,
    /// Age in seconds (0 when the clock is behind the build time).
    pub age_seconds: u64,
    /// True when older than the allowed age.
    pub stale: bool,
    /// Sources, in build order.
    pub sources: Vec<SourceInfo>,
    /// Number of advisories.
    pub advisories: u64,
    /// Number of (namespace, package) statements.
    pub affected: u64,
    /// Number of CVEs with enrichment.
    pub enrichment: u64,
    /// Number of NVD CPE match criteria (for the opt-in CPE fallback).
    pub cpe_matches: u64,
    /// Warnings (age…).
    pub warnings: Vec<String>,
}

/// Default age after which `status` warns: 7 days.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 86400);

fn unusable(path: &Path, e: impl std::fmt::Display) -> DbError {
    DbError::Unusable {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

impl Db {
    /// Opens a database file read-only.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        let conn = store::open_read_only(path)?;
        Ok(Db {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The file this database was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn decode(&self, conn: &Connection, rowid: i64) -> Result<Arc<Advisory>, DbError> {
        if let Some(a) = self.cache.lock().unwrap_or_else(|p| p.into_inner()).get(&rowid) {
            return Ok(a.clone());
        }
        let json: String = conn
            .prepare_cached("SELECT json FROM advisories WHERE rowid = ?1")
            .and_then(|mut s| s.query_row([rowid], |r| r.get(0)))
            .map_err(|e| unusable(&self.path, e))?;
        let adv: Advisory =
            serde_json::from_str(&json).map_err(|e| unusable(&self.path, format!("advisory row {rowid}: {e}")))?;
        let adv = Arc::new(adv);
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(rowid, adv.clone());
        Ok(adv)
    }

    /// Every advisory entry for a package name in a namespace (both normalised; the
    /// name is normalised again here, which is harmless). Withdrawn advisories are
    /// included: the matcher skips them.
    pub fn lookup(&self, namespace: &str, package: &str) -> Result<Vec<Candidate>, DbError> {
        let namespace = namespace.to_ascii_lowercase();
        let package = normalize_package(&namespace, package);
        let conn = self.conn();
        let rows: Vec<(i64, i64)> = {
            let mut stmt = conn
                .prepare_cached("SELECT advisory, affected_index FROM affected WHERE namespace = ?1 AND package = ?2")
                .map_err(|e| unusable(&self.path, e))?;
            let it = stmt
                .query_map([&namespace, &package], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(|e| unusable(&self.path, e))?;
            it.collect::<Result<_, _>>().map_err(|e| unusable(&self.path, e))?
        };
        let mut out = Vec::with_capacity(rows.len());
        for (rowid, idx) in rows {
            let advisory = self.decode(&conn, rowid)?;
            let idx = idx as usize;
            match advisory.affected.get(idx) {
                Some(a) if a.namespace == namespace && a.package == package => out.push(Candidate {
                    advisory,
                    affected_index: idx,
                }),
                _ => {
                    return Err(unusable(
                        &self.path,
                        format!("advisory row {rowid}: index does not match its record"),
                    ))
                }
            }
        }
        Ok(out)
    }

    /// True when any advisory names a package in `namespace` (e.g. `debian:12`, `pypi`):
    /// a namespace without one means the database cannot say anything about its packages.
    pub fn has_namespace(&self, namespace: &str) -> Result<bool, DbError> {
        let namespace = namespace.to_ascii_lowercase();
        self.conn()
            .prepare_cached("SELECT 1 FROM affected WHERE namespace = ?1 LIMIT 1")
            .and_then(|mut s| s.exists([&namespace]))
            .map_err(|e| unusable(&self.path, e))
    }

    /// The names of the sources the database was built from, for messages ("osv, debian-tracker").
    pub fn built_from(&self) -> Result<String, DbError> {
        let names: Vec<String> = self.sources()?.into_iter().map(|s| s.name).collect();
        Ok(if names.is_empty() {
            "no sources".into()
        } else {
            names.join(", ")
        })
    }

    /// Advisories whose id or alias is `id`.
    pub fn by_id(&self, id: &str) -> Result<Vec<Arc<Advisory>>, DbError> {
        let conn = self.conn();
        let ids: Vec<i64> = {
            let mut stmt = conn
                .prepare_cached("SELECT DISTINCT advisory FROM aliases WHERE alias = ?1")
                .map_err(|e| unusable(&self.path, e))?;
            let it = stmt
                .query_map([id], |r| r.get(0))
                .map_err(|e| unusable(&self.path, e))?;
            it.collect::<Result<_, _>>().map_err(|e| unusable(&self.path, e))?
        };
        ids.into_iter().map(|r| self.decode(&conn, r)).collect()
    }

    /// Enrichment (KEV, EPSS, NVD CVSS) of a CVE id.
    pub fn enrichment(&self, cve: &str) -> Result<Option<Enrichment>, DbError> {
        let conn = self.conn();
        type Row = (Option<String>, Option<f64>, Option<f64>, Option<String>);
        let row: Option<Row> = conn
            .prepare_cached("SELECT kev_date, epss, epss_percentile, nvd FROM enrichment WHERE cve = ?1")
            .and_then(|mut s| {
                s.query_row([cve], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .optional()
            })
            .map_err(|e| unusable(&self.path, e))?;
        let Some((kev, epss, pct, nvd)) = row else {
            return Ok(None);
        };
        let nvd = match nvd {
            Some(j) => serde_json::from_str(&j).map_err(|e| unusable(&self.path, format!("enrichment {cve}: {e}")))?,
            None => Vec::new(),
        };
        Ok(Some(Enrichment {
            kev_date_added: kev,
            epss: match (epss, pct) {
                (Some(s), Some(p)) => Some((s as f32, p as f32)),
                _ => None,
            },
            nvd,
        }))
    }

    /// The NVD CPE match criteria (entries marked vulnerable) whose criteria name `vendor`
    /// and `product` (compared unescaped and lower-case), for the matcher's opt-in CPE
    /// fallback. Sorted by CVE, then criteria.
    pub fn lookup_cpe(&self, vendor: &str, product: &str) -> Result<Vec<CpeCandidate>, DbError> {
        let vendor = vendor.trim().to_ascii_lowercase();
        let product = product.trim().to_ascii_lowercase();
        let conn = self.conn();
        let mut stmt = conn
            .prepare_cached(
                "SELECT cve, criteria, start_incl, start_excl, end_incl, end_excl FROM cpe_match
                 WHERE vendor = ?1 AND product = ?2 ORDER BY cve, criteria",
            )
            .map_err(|e| unusable(&self.path, e))?;
        let it = stmt
            .query_map([&vendor, &product], |r| {
                Ok(CpeCandidate {
                    cve: r.get(0)?,
                    criteria: r.get(1)?,
                    start_including: r.get(2)?,
                    start_excluding: r.get(3)?,
                    end_including: r.get(4)?,
                    end_excluding: r.get(5)?,
                })
            })
            .map_err(|e| unusable(&self.path, e))?;
        it.collect::<Result<_, _>>().map_err(|e| unusable(&self.path, e))
    }

    /// What tells this build from any other (its `build_id`; the build time for databases
    /// made before build ids).
    pub fn build_id(&self) -> Result<String, DbError> {
        Ok(match self.meta("build_id")? {
            Some(id) => id,
            None => self.meta("built_at_unix")?.unwrap_or_default(),
        })
    }

    /// A metadata value (`built_at_unix`, `build_id`, `schema_version`, …).
    pub fn meta(&self, key: &str) -> Result<Option<String>, DbError> {
        self.conn()
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(|e| unusable(&self.path, e))
    }

    /// The sources the database was built from.
    pub fn sources(&self) -> Result<Vec<SourceInfo>, DbError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT name, kind, location, records, enrichment, skipped, newest FROM sources ORDER BY seq")
            .map_err(|e| unusable(&self.path, e))?;
        let it = stmt
            .query_map([], |r| {
                Ok(SourceInfo {
                    name: r.get(0)?,
                    kind: r.get(1)?,
                    location: r.get(2)?,
                    records: r.get::<_, i64>(3)? as u64,
                    enrichment: r.get::<_, i64>(4)? as u64,
                    skipped: r.get::<_, i64>(5)? as u64,
                    newest: r.get(6)?,
                })
            })
            .map_err(|e| unusable(&self.path, e))?;
        it.collect::<Result<_, _>>().map_err(|e| unusable(&self.path, e))
    }

    fn count(&self, table: &str) -> Result<u64, DbError> {
        self.conn()
            .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get::<_, i64>(0))
            .map(|n| n as u64)
            .map_err(|e| unusable(&self.path, e))
    }
}

/// Age, sources and counts of a database file; `stale` (and a warning) when it is older
/// than `max_age` ([`DEFAULT_MAX_AGE`] when `None`).
pub fn status(path: &Path, max_age: Option<Duration>) -> Result<Status, DbError> {
    let db = Db::open(path)?;
    let built_at_unix: u64 = db.meta("built_at_unix")?.and_then(|s| s.parse().ok()).unwrap_or(0);
    let age = store_now().saturating_sub(built_at_unix);
    let max_age = max_age.unwrap_or(DEFAULT_MAX_AGE);
    let stale = age > max_age.as_secs();
    let mut warnings = Vec::new();
    if stale {
        warnings.push(format!(
            "the vulnerability database is {} days old (older than {} days): run `drydock db update`",
            age / 86400,
            max_age.as_secs() / 86400
        ));
    }
    Ok(Status {
        path: path.to_path_buf(),
        file_size: std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        schema_version: SCHEMA_VERSION,
        built_at: db.meta("built_at")?.unwrap_or_default(),
        age_seconds: age,
        stale,
        sources: db.sources()?,
        advisories: db.count("advisories")?,
        affected: db.count("affected")?,
        enrichment: db.count("enrichment")?,
        cpe_matches: db.count("cpe_match")?,
        warnings,
    })
}

fn store_now() -> u64 {
    store::now_unix()
}
