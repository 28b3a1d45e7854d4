//! `drydock db update --from-url` and the service's mirror mode: download a drydock
//! service's exported database (`/v1/feeds/db`) with its credentials, then hand it to
//! `drydock_vulndb::import`, which verifies it and renames it into place.

use drydock_vulndb::transfer::{import, ImportError};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// How a feed service is called: an API key (bearer) or a user and password (basic).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchAuth {
    /// `Authorization: Bearer <key>`.
    ApiKey(String),
    /// HTTP basic.
    Basic(String, Option<String>),
}

/// Largest export [`fetch_export`] downloads.
pub const MAX_FETCH_BYTES: u64 = 4 << 30;

/// Why a download of a served database failed. The database in place is untouched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// Not an http(s) URL.
    #[error("{0} is not an http(s) URL (e.g. https://drydock.internal:8228/v1/feeds/db)")]
    BadUrl(String),
    /// The request failed or the body broke off.
    #[error("cannot download {url}: {reason}")]
    Download {
        /// The URL.
        url: String,
        /// Detail.
        reason: String,
    },
    /// The service answered with an error status.
    #[error("{url} answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// HTTP status.
        status: u16,
    },
    /// The file downloaded is not an acceptable export.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A file-system error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: io::Error,
    },
}

/// Downloads a drydock service's exported database (`/v1/feeds/db`, at most
/// [`MAX_FETCH_BYTES`]) into a temporary file beside `db_path`, then [`import`]s it:
/// checksum and database verified, renamed into place; a bad download changes nothing.
/// Uses blocking HTTP: call it from a plain thread.
pub fn fetch_export(url: &str, auth: Option<&FetchAuth>, db_path: &Path) -> Result<(), FetchError> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(FetchError::BadUrl(url.to_string()));
    }
    let derr = |reason: String| FetchError::Download {
        url: url.to_string(),
        reason,
    };
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(3600))
        .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| derr(e.to_string()))?;
    let mut req = client.get(url);
    match auth {
        Some(FetchAuth::ApiKey(k)) => req = req.bearer_auth(k),
        Some(FetchAuth::Basic(u, p)) => req = req.basic_auth(u, p.as_ref()),
        None => {}
    }
    let mut resp = req.send().map_err(|e| derr(e.to_string()))?;
    if !resp.status().is_success() {
        return Err(FetchError::Status {
            url: url.to_string(),
            status: resp.status().as_u16(),
        });
    }
    let dir = parent_dir(db_path);
    std::fs::create_dir_all(&dir).map_err(|source| FetchError::Io {
        context: format!("create {}", dir.display()),
        source,
    })?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".drydock-download-")
        .tempfile_in(&dir)
        .map_err(|source| FetchError::Io {
            context: format!("write in {}", dir.display()),
            source,
        })?;
    let n = io::copy(&mut (&mut resp).take(MAX_FETCH_BYTES), tmp.as_file_mut())
        .map_err(|e| derr(format!("the download broke off: {e}")))?;
    if n >= MAX_FETCH_BYTES {
        return Err(derr(format!("more than {} GiB", MAX_FETCH_BYTES >> 30)));
    }
    import(tmp.path(), db_path)?;
    Ok(())
}

fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}
