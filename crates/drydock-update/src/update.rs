//! `drydock db update`: download the feeds listed in the configuration into a cache
//! directory (conditional requests so unchanged feeds are not fetched again, `Range`
//! requests to resume an interrupted download), then rebuild the database from the
//! cache plus the users' own sources, atomically.
//!
//! Uses blocking HTTP: call it from a plain thread, not from inside an async runtime.

use drydock_vulndb::feeds::table::{feed, FEEDS};
use drydock_vulndb::{build_with, BuildOptions, BuildReport, DbError, Progress, SourceSpec};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One feed to download (defined beside the feed table that lists the public ones).
pub use drydock_vulndb::RemoteSource;

/// What `update` needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UpdateConfig {
    /// Feeds to download.
    pub sources: Vec<RemoteSource>,
    /// Where downloads are kept between runs (enables conditional requests and resume).
    pub cache_dir: PathBuf,
    /// The database to (re)build.
    pub db_path: PathBuf,
    /// Local sources added after the downloaded ones (users' own OSV records).
    #[serde(default)]
    pub extra_sources: Vec<SourceSpec>,
    /// Record ids to drop.
    #[serde(default)]
    pub drop_ids: Vec<String>,
    /// Per-request timeout in seconds (default 600).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
}

impl UpdateConfig {
    /// The public feeds, from the feed table: OSV `all.zip` per ecosystem, the Debian
    /// tracker, CISA KEV, EPSS, and Alpine secdb for the given Alpine branches (`v3.20`…).
    pub fn public_sources(alpine_branches: &[&str]) -> Vec<RemoteSource> {
        drydock_vulndb::feeds::table::public_sources(alpine_branches)
    }
}

/// How one download went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DownloadOutcome {
    /// Fetched in full.
    Downloaded,
    /// Continued from a partial file with a `Range` request.
    Resumed,
    /// The server said the cached copy is current (304).
    NotModified,
}

/// One download's result.
#[derive(Debug, Clone, Serialize)]
pub struct DownloadInfo {
    /// URL.
    pub url: String,
    /// Cached file.
    pub path: PathBuf,
    /// Bytes transferred in this run.
    pub bytes: u64,
    /// Outcome.
    pub outcome: DownloadOutcome,
}

/// What `update` did.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateReport {
    /// Per feed.
    pub downloads: Vec<DownloadInfo>,
    /// The rebuild.
    pub build: BuildReport,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheMeta {
    url: String,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
}

fn safe_rel(rel: &str) -> Option<PathBuf> {
    let mut p = PathBuf::new();
    for c in rel.split('/') {
        if c.is_empty() || c == "." || c == ".." {
            continue;
        }
        let clean: String = c
            .chars()
            .map(|ch| {
                if ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_' | ' ') {
                    ch
                } else {
                    '_'
                }
            })
            .collect();
        if clean.starts_with('.') {
            return None;
        }
        p.push(clean);
    }
    (!p.as_os_str().is_empty()).then_some(p)
}

fn cache_file(cfg: &UpdateConfig, s: &RemoteSource) -> Result<PathBuf, DbError> {
    let rel = match &s.file {
        Some(f) => f.clone(),
        None => {
            let path = s.url.split(['?', '#']).next().unwrap_or("");
            let path = path.split_once("://").map(|(_, r)| r).unwrap_or(path);
            let segs: Vec<&str> = path.split('/').skip(1).filter(|x| !x.is_empty()).collect();
            segs[segs.len().saturating_sub(2)..].join("/").replace("%20", " ")
        }
    };
    let rel = safe_rel(&rel).ok_or_else(|| DbError::Config(format!("no usable cache file name for {}", s.url)))?;
    Ok(cfg.cache_dir.join(s.kind.as_str()).join(rel))
}

fn read_meta(p: &Path) -> Option<CacheMeta> {
    let b = std::fs::read(p).ok()?;
    serde_json::from_slice(&b).ok()
}

fn write_meta(p: &Path, m: &CacheMeta) -> Result<(), DbError> {
    let b = serde_json::to_vec(m).map_err(|e| DbError::Config(e.to_string()))?;
    std::fs::write(p, b).map_err(|e| io_error(format!("write {}", p.display()), e))
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn header(resp: &reqwest::blocking::Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Downloads one feed into `dest` (conditional + resumable).
fn download(
    client: &reqwest::blocking::Client,
    url: &str,
    dest: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<DownloadInfo, DbError> {
    let derr = |reason: String| DbError::Download {
        url: url.to_string(),
        reason,
    };
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_error(format!("create {}", dir.display()), e))?;
    }
    let meta_path = with_suffix(dest, ".meta.json");
    let part = with_suffix(dest, ".part");
    let part_meta_path = with_suffix(dest, ".part.meta.json");
    let mut req = client.get(url);
    let mut resume_from = 0u64;
    let part_meta = read_meta(&part_meta_path).filter(|m| m.url == url);
    let part_len = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
    if let (Some(pm), true) = (&part_meta, part_len > 0) {
        // Resume only when the validator says it is the same file.
        if let Some(v) = pm.etag.clone().or(pm.last_modified.clone()) {
            req = req.header("Range", format!("bytes={part_len}-")).header("If-Range", v);
            resume_from = part_len;
        }
    }
    if resume_from == 0 && dest.is_file() {
        if let Some(m) = read_meta(&meta_path).filter(|m| m.url == url) {
            if let Some(e) = &m.etag {
                req = req.header("If-None-Match", e.clone());
            }
            if let Some(lm) = &m.last_modified {
                req = req.header("If-Modified-Since", lm.clone());
            }
        }
    }
    let mut resp = req.send().map_err(|e| derr(with_sources(&e)))?;
    let status = resp.status().as_u16();
    if status == 304 {
        return Ok(DownloadInfo {
            url: url.into(),
            path: dest.into(),
            bytes: 0,
            outcome: DownloadOutcome::NotModified,
        });
    }
    let (mut out, outcome, mut done) = match status {
        206 if resume_from > 0 => {
            let f = OpenOptions::new()
                .append(true)
                .open(&part)
                .map_err(|e| io_error(format!("open {}", part.display()), e))?;
            (f, DownloadOutcome::Resumed, resume_from)
        }
        200 => {
            let f = File::create(&part).map_err(|e| io_error(format!("create {}", part.display()), e))?;
            let m = CacheMeta {
                url: url.into(),
                etag: header(&resp, "etag"),
                last_modified: header(&resp, "last-modified"),
            };
            write_meta(&part_meta_path, &m)?;
            (f, DownloadOutcome::Downloaded, 0)
        }
        416 => {
            // Our partial file does not fit the server's: start over next time.
            let _ = std::fs::remove_file(&part);
            let _ = std::fs::remove_file(&part_meta_path);
            return Err(derr(
                "server refused the resume range; the partial download was discarded, run again".into(),
            ));
        }
        s => return Err(derr(format!("HTTP status {s}"))),
    };
    let total = resp.content_length().map(|l| l + done);
    let mut buf = vec![0u8; 256 * 1024];
    let mut transferred = 0u64;
    loop {
        let n = resp
            .read(&mut buf)
            .map_err(|e| derr(format!("after {done} bytes: {e} (run again to resume)")))?;
        if n == 0 {
            break;
        }
        out.write_all(&buf[..n])
            .map_err(|e| io_error(format!("write {}", part.display()), e))?;
        done += n as u64;
        transferred += n as u64;
        progress(&Progress::Download {
            url: url.into(),
            bytes: done,
            total,
        });
    }
    if let Some(t) = total {
        if done != t {
            return Err(derr(format!(
                "connection closed after {done} of {t} bytes (run again to resume)"
            )));
        }
    }
    out.sync_all()
        .map_err(|e| io_error(format!("sync {}", part.display()), e))?;
    drop(out);
    let m = read_meta(&part_meta_path).unwrap_or(CacheMeta {
        url: url.into(),
        ..Default::default()
    });
    std::fs::rename(&part, dest).map_err(|e| io_error(format!("rename into {}", dest.display()), e))?;
    write_meta(&meta_path, &m)?;
    let _ = std::fs::remove_file(&part_meta_path);
    Ok(DownloadInfo {
        url: url.into(),
        path: dest.into(),
        bytes: transferred,
        outcome,
    })
}

/// Downloads every configured feed and rebuilds the database. A feed that fails to
/// download fails the update (the old database stays), so the database never silently
/// loses a source.
pub fn update(config: &UpdateConfig, progress: &mut dyn FnMut(&Progress)) -> Result<UpdateReport, DbError> {
    if config.sources.is_empty() && config.extra_sources.is_empty() {
        return Err(DbError::Config("no sources configured".into()));
    }
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(config.timeout_secs.unwrap_or(600)))
        .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| DbError::Download {
            url: String::new(),
            reason: e.to_string(),
        })?;
    let mut downloads = Vec::new();
    let mut specs = Vec::new();
    for s in &config.sources {
        if !feed(s.kind).is_some_and(|f| f.is_file_feed()) {
            let kinds: Vec<&str> = FEEDS.iter().filter(|f| f.is_file_feed()).map(|f| f.name).collect();
            return Err(DbError::Config(format!(
                "{}: give the feed kind ({})",
                s.url,
                kinds.join(", ")
            )));
        }
        let dest = cache_file(config, s)?;
        progress(&Progress::Download {
            url: s.url.clone(),
            bytes: 0,
            total: None,
        });
        let info = download(&client, &s.url, &dest, progress)?;
        downloads.push(info);
        specs.push(SourceSpec {
            kind: s.kind,
            path: dest,
            namespace: s.namespace.clone(),
            location: Some(s.url.clone()),
        });
    }
    specs.extend(config.extra_sources.iter().cloned());
    let build = build_with(
        &specs,
        &config.db_path,
        &BuildOptions {
            drop_ids: config.drop_ids.clone(),
        },
        progress,
    )?;
    Ok(UpdateReport { downloads, build })
}

/// An error's text followed by its causes (reqwest's own says only "error sending request";
/// the cause says whether the name did not resolve, the connection was refused, …).
fn with_sources(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// A file-system error of `update`, saying what was being done.
fn io_error(context: impl Into<String>, source: std::io::Error) -> DbError {
    DbError::Io {
        context: context.into(),
        source,
    }
}
