//! `drydock db build`: read sources, write a new database file atomically.

use crate::feeds::table::{self, Reading, FEEDS};
use crate::feeds::{self, FeedError, Item};
use crate::store::{now_unix, Writer};
use crate::{DbError, SourceInfo};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Which reader a source needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Detect from the directory's (or file's) shape; a directory such as
    /// `../shared/vulndata` may expand into several sources.
    Auto,
    /// OSV JSON records (a directory tree, a single record, or an `all.zip`).
    Osv,
    /// Alpine (or Wolfi/Chainguard) secdb JSON.
    Alpine,
    /// Debian security tracker JSON.
    Debian,
    /// RustSec advisory-db checkout.
    Rustsec,
    /// NVD CVE API 2.0 JSON.
    Nvd,
    /// CISA KEV JSON.
    Kev,
    /// EPSS CSV.
    Epss,
}

impl SourceKind {
    /// Lower-case name (the feed table's; `auto` for [`SourceKind::Auto`]).
    pub fn as_str(self) -> &'static str {
        feeds::table::feed(self).map_or("auto", |f| f.name)
    }
}

/// One input of a build.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SourceSpec {
    /// Reader.
    pub kind: SourceKind,
    /// Local file or directory.
    pub path: PathBuf,
    /// Namespace override (Alpine-format secdb of Wolfi: `wolfi`).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Where it came from (URL), recorded in the metadata instead of the path.
    #[serde(default)]
    pub location: Option<String>,
}

impl SourceSpec {
    /// A source whose kind is detected.
    pub fn auto(path: impl Into<PathBuf>) -> SourceSpec {
        SourceSpec {
            kind: SourceKind::Auto,
            path: path.into(),
            namespace: None,
            location: None,
        }
    }
    /// A source of a given kind.
    pub fn new(kind: SourceKind, path: impl Into<PathBuf>) -> SourceSpec {
        SourceSpec {
            kind,
            path: path.into(),
            namespace: None,
            location: None,
        }
    }
}

/// Build options beyond the sources.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// Record ids to leave out (an advisory is dropped when its id or one of its aliases
    /// is listed).
    pub drop_ids: Vec<String>,
}

/// What a build did.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BuildReport {
    /// The database written.
    pub path: PathBuf,
    /// Per source.
    pub sources: Vec<SourceInfo>,
    /// Advisories stored (after replacements).
    pub advisories: u64,
    /// Advisories dropped by the allow-list.
    pub dropped: u64,
    /// Unreadable records and files (the first 100).
    pub warnings: Vec<String>,
    /// Number of warnings in all.
    pub warning_count: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Size of the file.
    pub file_size: u64,
}

/// Progress notifications for a progress bar.
#[derive(Debug, Clone)]
pub enum Progress {
    /// Started reading a source.
    Source {
        /// Source name.
        name: String,
        /// Path or URL.
        location: String,
    },
    /// Records read so far from the current source.
    Records(u64),
    /// Bytes downloaded of a file.
    Download {
        /// URL.
        url: String,
        /// Bytes so far.
        bytes: u64,
        /// Total, when known.
        total: Option<u64>,
    },
    /// Writing indexes and finishing the file.
    Finishing,
}

/// Expands an `Auto` source into concrete ones by shape: a tree with `osv/`, `alpine/`,
/// `kev/`, `rustsec/`, `debian/`, `nvd/`, `epss/` children (like `../shared/vulndata`),
/// or a directory/file that is itself one source.
pub fn detect_sources(spec: &SourceSpec) -> Result<Vec<SourceSpec>, DbError> {
    if spec.kind != SourceKind::Auto {
        return Ok(vec![spec.clone()]);
    }
    let p = &spec.path;
    let with = |kind, path: PathBuf| SourceSpec {
        kind,
        path,
        namespace: spec.namespace.clone(),
        location: None,
    };
    let meta = std::fs::metadata(p).map_err(|e| DbError::io(format!("source {}", p.display()), e))?;
    if meta.is_file() {
        return match table::sniff_file(p) {
            Some(k) => Ok(vec![with(k, p.clone())]),
            None => Err(DbError::Config(format!(
                "{}: cannot tell what kind of feed this is",
                p.display()
            ))),
        };
    }
    let mut out = Vec::new();
    for feed in FEEDS {
        for name in feed.dirs {
            if p.join(name).is_dir() {
                out.push(with(feed.kind, p.join(name)));
            }
        }
    }
    if !out.is_empty() {
        return Ok(out);
    }
    // The directory is itself one source.
    if let Some(feed) = FEEDS.iter().find(|f| (f.marks_dir)(p)) {
        return Ok(vec![with(feed.kind, p.clone())]);
    }
    let files = feeds::walk_files(p, &table::all_file_endings())?;
    for f in files.iter().take(20) {
        if let Some(k) = table::sniff_file(f) {
            return Ok(vec![with(k, p.clone())]);
        }
    }
    Err(DbError::Config(format!("{}: no known feed layout found", p.display())))
}

/// Builds a database from sources (see [`build_with`]).
pub fn build(sources: &[SourceSpec], out: &Path, progress: &mut dyn FnMut(&Progress)) -> Result<BuildReport, DbError> {
    build_with(sources, out, &BuildOptions::default(), progress)
}

struct Counter<'a> {
    info: SourceInfo,
    drop: &'a HashSet<String>,
    dropped: u64,
    warnings: Vec<String>,
    warning_count: u64,
}

impl Counter<'_> {
    fn warn(&mut self, e: &FeedError) {
        self.warning_count += 1;
        self.info.skipped += 1;
        if self.warnings.len() < 100 {
            self.warnings.push(e.to_string());
        }
    }
}

/// Builds a database from `sources` into `out`: written to a temporary file in the same
/// directory and renamed over `out` only when complete. Sources are read in order; an
/// OSV record with the id of an earlier one replaces it (put users' own directories
/// last). Unreadable records are skipped with a warning; a source that yields nothing
/// but errors fails the build.
pub fn build_with(
    sources: &[SourceSpec],
    out: &Path,
    options: &BuildOptions,
    progress: &mut dyn FnMut(&Progress),
) -> Result<BuildReport, DbError> {
    let start = Instant::now();
    let mut specs = Vec::new();
    for s in sources {
        specs.extend(detect_sources(s)?);
    }
    if specs.is_empty() {
        return Err(DbError::Config("no sources to build from".into()));
    }
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| DbError::io(format!("create {}", dir.display()), e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".drydock-db-build-")
        // Readable by every user, like the file it replaces (the database is public data).
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| DbError::io(format!("temporary file in {}", dir.display()), e))?;
    let mut writer = Writer::create(tmp.path())?;
    let drop: HashSet<String> = options.drop_ids.iter().map(|s| s.trim().to_string()).collect();
    let mut report_sources = Vec::new();
    let mut warnings = Vec::new();
    let mut warning_count = 0;
    let mut dropped = 0;
    for spec in &specs {
        let location = spec.location.clone().unwrap_or_else(|| spec.path.display().to_string());
        let name = source_name(spec);
        progress(&Progress::Source {
            name: name.clone(),
            location: location.clone(),
        });
        let mut c = Counter {
            info: SourceInfo {
                name,
                kind: spec.kind.as_str().into(),
                location,
                records: 0,
                enrichment: 0,
                skipped: 0,
                newest: None,
            },
            drop: &drop,
            dropped: 0,
            warnings: Vec::new(),
            warning_count: 0,
        };
        let mut db_error: Option<DbError> = None;
        let result = {
            let mut sink = |item: Item| -> Result<(), FeedError> {
                match item {
                    Item::Advisory { key, advisory } => {
                        if c.drop.contains(&advisory.id) || advisory.aliases.iter().any(|a| c.drop.contains(a)) {
                            c.dropped += 1;
                            return Ok(());
                        }
                        // Go's records carry a `0001-01-01` placeholder as modified date.
                        let date = advisory
                            .modified
                            .as_deref()
                            .filter(|m| !m.starts_with("0001-"))
                            .or(advisory.published.as_deref());
                        c.info.newest = feeds::newer(c.info.newest.take(), date);
                        if let Err(e) = writer.put_advisory(&key, &advisory) {
                            let fe = FeedError::record(&c.info.location, &advisory.id, &e);
                            db_error = Some(e);
                            return Err(fe);
                        }
                        c.info.records += 1;
                        if c.info.records & 1023 == 0 {
                            progress(&Progress::Records(c.info.records));
                        }
                    }
                    Item::Enrichment(e) => {
                        if e.kev_date_added.is_some() {
                            c.info.newest = feeds::newer(c.info.newest.take(), e.kev_date_added.as_deref());
                        }
                        if let Err(err) = writer.put_enrichment(&e) {
                            let fe = FeedError::record(&c.info.location, &e.cve, &err);
                            db_error = Some(err);
                            return Err(fe);
                        }
                        c.info.enrichment += 1;
                        if c.info.enrichment & 16383 == 0 {
                            progress(&Progress::Records(c.info.enrichment));
                        }
                    }
                    Item::Skipped(e) => c.warn(&e),
                }
                Ok(())
            };
            read_source(spec, &mut sink)
        };
        if let Some(e) = db_error {
            return Err(e);
        }
        match result {
            Ok(per_file_errors) => {
                let had_errors = !per_file_errors.is_empty();
                for e in per_file_errors {
                    c.warn(&e);
                }
                if had_errors && c.info.records == 0 && c.info.enrichment == 0 {
                    return Err(DbError::Config(format!(
                        "source {} produced no records: {}",
                        c.info.location,
                        c.warnings.first().cloned().unwrap_or_default()
                    )));
                }
            }
            Err(newest_or_err) => return Err(DbError::Feed(newest_or_err)),
        }
        if let Some(n) = c.info.newest.take() {
            c.info.newest = Some(n);
        }
        writer.put_source(&c.info)?;
        dropped += c.dropped;
        warning_count += c.warning_count;
        for w in c.warnings {
            if warnings.len() < 100 {
                warnings.push(w);
            }
        }
        report_sources.push(c.info);
    }
    progress(&Progress::Finishing);
    writer.finish(now_unix())?;
    let file = tmp.as_file();
    file.sync_all()
        .map_err(|e| DbError::io(format!("sync {}", tmp.path().display()), e))?;
    tmp.persist(out)
        .map_err(|e| DbError::io(format!("rename into {}", out.display()), e.error))?;
    sync_dir(&dir);
    let db = crate::Db::open(out)?;
    let advisories = db.count("advisories")?;
    Ok(BuildReport {
        path: out.to_path_buf(),
        sources: report_sources,
        advisories,
        dropped,
        warnings,
        warning_count,
        elapsed: start.elapsed(),
        file_size: std::fs::metadata(out).map(|m| m.len()).unwrap_or(0),
    })
}

pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

fn source_name(spec: &SourceSpec) -> String {
    match feeds::table::feed(spec.kind) {
        Some(feed) => (feed.source_name)(spec),
        None => spec.kind.as_str().into(),
    }
}

/// Reads one concrete source into the sink with its feed's reader; returns per-file errors
/// (the file was skipped) or the error that stopped the read.
fn read_source(spec: &SourceSpec, sink: &mut feeds::Sink<'_>) -> Result<Vec<FeedError>, FeedError> {
    let Some(feed) = feeds::table::feed(spec.kind) else {
        return Err(FeedError::file(&spec.path, "source kind not detected"));
    };
    let mut reading = Reading::new(spec, sink);
    (feed.read)(&mut reading)?;
    Ok(reading.errors)
}
