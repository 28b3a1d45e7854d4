//! Readers for the public advisory feeds, each for the format its source publishes.
//! Every reader streams what it finds into a sink, one record at a time, so memory stays
//! bounded by the largest single record (or, for the Debian tracker, one package).

pub mod alpine;
pub mod debian;
pub mod epss;
pub mod kev;
pub mod nvd;
pub mod osv;
pub mod rustsec;
pub mod table;

use crate::model::{Advisory, Severity};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest single JSON/TOML record file accepted (OSV record, RustSec advisory).
pub const MAX_RECORD_BYTES: u64 = 32 << 20;
/// Largest whole-feed file accepted (Debian tracker JSON, NVD page, KEV, EPSS CSV).
pub const MAX_FEED_BYTES: u64 = 2 << 30;

/// A feed record that could not be read: names the file and, when known, the record.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}{}: {reason}", record.as_ref().map(|r| format!(" (record {r})")).unwrap_or_default())]
pub struct FeedError {
    /// The file (or `archive!entry`) being read.
    pub file: String,
    /// The record id or entry, when known.
    pub record: Option<String>,
    /// What was wrong.
    pub reason: String,
}

impl FeedError {
    /// An error about a file as a whole.
    pub fn file(file: impl AsRef<Path>, reason: impl ToString) -> FeedError {
        FeedError {
            file: file.as_ref().display().to_string(),
            record: None,
            reason: reason.to_string(),
        }
    }
    /// An error about one record of a file.
    pub fn record(file: impl AsRef<Path>, record: impl ToString, reason: impl ToString) -> FeedError {
        FeedError {
            file: file.as_ref().display().to_string(),
            record: Some(record.to_string()),
            reason: reason.to_string(),
        }
    }
}

/// Enrichment data for one CVE, as one feed knows it (absent fields are left alone when
/// merged into the database).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnrichmentUpdate {
    /// The CVE id.
    pub cve: String,
    /// CISA KEV date added.
    pub kev_date_added: Option<String>,
    /// EPSS score and percentile.
    pub epss: Option<(f32, f32)>,
    /// NVD CVSS ratings.
    pub nvd: Option<Vec<Severity>>,
    /// NVD `cpeMatch` entries marked vulnerable (for the opt-in CPE fallback); `Some`
    /// replaces what an earlier source stored for the CVE.
    pub cpe_matches: Option<Vec<crate::cpe::CpeCandidate>>,
}

/// One item a reader produces.
#[derive(Debug, Clone)]
pub enum Item {
    /// An advisory, with the unique key it is stored under (a later advisory with the
    /// same key replaces an earlier one: OSV records are keyed by id, so users' own
    /// records override public ones).
    Advisory {
        /// Storage key.
        key: String,
        /// The advisory.
        advisory: Advisory,
    },
    /// Enrichment for a CVE.
    Enrichment(EnrichmentUpdate),
    /// A record that was skipped, and why (bad record in an otherwise good feed).
    Skipped(FeedError),
}

/// Where readers send items; an error from the sink aborts the read.
pub type Sink<'a> = dyn FnMut(Item) -> Result<(), FeedError> + 'a;

/// Reads a whole file, refusing files larger than `limit`.
pub(crate) fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, FeedError> {
    let f = File::open(path).map_err(|e| FeedError::file(path, e))?;
    let mut buf = Vec::new();
    f.take(limit + 1)
        .read_to_end(&mut buf)
        .map_err(|e| FeedError::file(path, e))?;
    if buf.len() as u64 > limit {
        return Err(FeedError::file(path, format!("larger than the {limit}-byte limit")));
    }
    Ok(buf)
}

/// Opens a file, transparently decompressing `.gz`.
pub(crate) fn open_maybe_gz(path: &Path) -> Result<Box<dyn Read>, FeedError> {
    let f = File::open(path).map_err(|e| FeedError::file(path, e))?;
    let r: Box<dyn Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f)))
    } else {
        Box::new(std::io::BufReader::new(f))
    };
    Ok(Box::new(r.take(MAX_FEED_BYTES)))
}

/// All files under `dir` (recursively, sorted, symlinks not followed) whose name ends
/// with one of `suffixes`.
pub(crate) fn walk_files(dir: &Path, suffixes: &[&str]) -> Result<Vec<PathBuf>, FeedError> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = std::fs::read_dir(&d).map_err(|e| FeedError::file(&d, e))?;
        for entry in rd {
            let entry = entry.map_err(|e| FeedError::file(&d, e))?;
            let ft = entry.file_type().map_err(|e| FeedError::file(entry.path(), e))?;
            let p = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file() && suffixes.iter().any(|s| name.ends_with(s)) {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A severity from a CVSS vector, with its base score computed when the vector parses.
pub fn cvss_severity(vector: &str, source: &str) -> Severity {
    let v = vector.trim();
    let kind = if v.starts_with("CVSS:4") {
        "CVSS_V4"
    } else if v.starts_with("CVSS:3") {
        "CVSS_V3"
    } else {
        "CVSS_V2"
    };
    let score = v
        .parse::<cvss::Cvss>()
        .ok()
        .map(|c| c.score() as f32)
        .filter(|s| s.is_finite());
    Severity {
        kind: kind.to_string(),
        value: v.to_string(),
        score,
        source: source.to_string(),
    }
}

/// Newest of two optional RFC 3339-ish dates (lexicographic on the normalised form),
/// ignoring Go's `0001-01-01` placeholder.
pub(crate) fn newer(a: Option<String>, b: Option<&str>) -> Option<String> {
    let b = b.filter(|s| !s.is_empty() && !s.starts_with("0001-"));
    match (a, b) {
        (Some(a), Some(b)) => Some(if b > a.as_str() { b.to_string() } else { a }),
        (a, b) => a.or(b.map(str::to_string)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_scores() {
        let s = cvss_severity("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "x");
        assert_eq!(s.kind, "CVSS_V3");
        assert_eq!(s.score, Some(7.5));
        let s = cvss_severity("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "x");
        assert_eq!(s.score, Some(7.5));
        let s = cvss_severity("AV:N/AC:L/Au:N/C:P/I:P/A:P", "x");
        assert_eq!((s.kind.as_str(), s.score), ("CVSS_V2", Some(7.5)));
        let s = cvss_severity("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", "x");
        assert_eq!((s.kind.as_str(), s.score), ("CVSS_V4", Some(9.3)));
        let s = cvss_severity("garbage", "x");
        assert_eq!(s.score, None);
    }
}
