//! The local vulnerability database: advisory model, readers for public feeds, the
//! on-disk file (built once, read-only at scan time) and its export/import.

pub mod model;

pub use model::*;

use std::path::Path;

/// Errors of the vulnerability database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The database file is missing, corrupt or of another schema.
    #[error("vulnerability database {path}: {reason}")]
    Unusable { path: String, reason: String },
}

/// An open, read-only vulnerability database.
pub struct Db {}

/// One advisory's statement about a package, as returned by a lookup.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub advisory: std::sync::Arc<Advisory>,
    /// Index into `advisory.affected` of the entry that named the package.
    pub affected_index: usize,
}

impl Db {
    /// Opens a database file read-only.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        Err(DbError::Unusable { path: path.display().to_string(), reason: "not implemented yet".into() })
    }

    /// Every advisory entry for a package name in a namespace (both normalised).
    pub fn lookup(&self, namespace: &str, package: &str) -> Result<Vec<Candidate>, DbError> {
        let _ = (namespace, package);
        Ok(Vec::new())
    }

    /// Enrichment (KEV, EPSS, NVD CVSS) of a CVE id.
    pub fn enrichment(&self, cve: &str) -> Result<Option<Enrichment>, DbError> {
        let _ = cve;
        Ok(None)
    }
}
