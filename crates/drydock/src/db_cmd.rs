//! `drydock db`: build, update, inspect, export and import the vulnerability database —
//! thin wrappers over `drydock-vulndb` (and `drydock-update` for the downloads).

use crate::cli::{Cli, DbArgs, DbCommand};
use anyhow::{anyhow, bail, Context, Result};
use drydock_update::transfer::{FetchAuth, FetchError};
use drydock_update::{RemoteSource, UpdateConfig};
use drydock_vulndb::{BuildOptions, BuildReport, Progress, SourceSpec};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Deserialize;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// What to do when there is no database.
pub const MISSING_DB_HINT: &str =
    "hint: build one from local feed copies with `drydock db build --from DIR`, download \
the public feeds with `drydock db update`, or bring an exported one with `drydock db import FILE`; --db PATH or \
DRYDOCK_DB point drydock at another file";

/// The `[db]` section of the configuration file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DbConfig {
    /// Database file.
    pub path: Option<PathBuf>,
    /// Age in days after which `db status` and `scan` warn.
    pub max_age_days: Option<u64>,
    /// Download cache of `db update`.
    pub cache_dir: Option<PathBuf>,
    /// Feeds `db update` downloads (default: the public ones).
    #[serde(default)]
    pub sources: Vec<RemoteSource>,
    /// Alpine branches (`v3.20`…) whose secdb `db update` downloads with the public feeds.
    #[serde(default)]
    pub alpine_branches: Vec<String>,
    /// Users' own OSV record directories, merged in last (their records replace same-id ones).
    #[serde(default)]
    pub extra_sources: Vec<PathBuf>,
    /// Advisory ids (or aliases) left out of the database.
    #[serde(default)]
    pub drop_ids: Vec<String>,
}

/// The database path: `--db`/`$DRYDOCK_DB`, else the configuration's, else
/// `$XDG_DATA_HOME/drydock/vulndb.sqlite` (`~/.local/share/drydock/vulndb.sqlite`).
pub fn db_path(given: Option<&Path>, config: &DbConfig) -> Result<PathBuf> {
    if let Some(p) = given.filter(|p| !p.as_os_str().is_empty()) {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = &config.path {
        return Ok(p.clone());
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .ok_or_else(|| anyhow!("no database path: give --db PATH or set DRYDOCK_DB (HOME is not set)"))?;
    Ok(base.join("drydock").join("vulndb.sqlite"))
}

fn cache_dir(given: Option<&Path>, config: &DbConfig) -> Result<PathBuf> {
    if let Some(p) = given.or(config.cache_dir.as_deref()) {
        return Ok(p.to_path_buf());
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or_else(|| anyhow!("no cache directory: give --cache-dir (HOME is not set)"))?;
    Ok(base.join("drydock").join("feeds"))
}

/// Opens the database for a scan; a missing file is an error with the hint.
pub fn open_for_scan(path: &Path) -> Result<drydock_vulndb::Db> {
    if !path.exists() {
        bail!("no vulnerability database at {}\n{MISSING_DB_HINT}", path.display());
    }
    drydock_vulndb::Db::open(path).map_err(|e| {
        anyhow!("{e}\nhint: rebuild it with `drydock db build --from DIR` or `drydock db update`, or `drydock db import FILE`")
    })
}

/// A spinner on stderr when it is a terminal.
struct Spinner(Option<ProgressBar>);

impl Spinner {
    fn new(quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Spinner(None);
        }
        let b = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template("{spinner} {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        b.enable_steady_tick(Duration::from_millis(120));
        Spinner(Some(b))
    }

    fn on(&self, p: &Progress) {
        let Some(b) = &self.0 else { return };
        match p {
            Progress::Source { name, location } => b.set_message(format!("{name}: {location}")),
            Progress::Records(n) => b.set_prefix(format!("{n}")),
            Progress::Download { url, bytes, total } => b.set_message(match total {
                Some(t) => format!("{url}: {} / {} KiB", bytes / 1024, t / 1024),
                None => format!("{url}: {} KiB", bytes / 1024),
            }),
            Progress::Finishing => b.set_message("writing indexes"),
        }
    }

    fn message(&self, m: String) {
        if let Some(b) = &self.0 {
            b.set_message(m);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// Runs `drydock db …`.
pub fn run(args: &DbArgs, cli: &Cli, config: &DbConfig) -> Result<ExitCode> {
    let path = db_path(args.db.as_deref(), config)?;
    match &args.command {
        DbCommand::Build { from, out, drop_ids } => {
            let out = out.clone().unwrap_or(path);
            let mut sources: Vec<SourceSpec> = from.iter().map(SourceSpec::auto).collect();
            sources.extend(config.extra_sources.iter().map(SourceSpec::auto));
            let mut drop = config.drop_ids.clone();
            drop.extend(drop_ids.iter().cloned());
            let spin = Spinner::new(cli.quiet);
            let r = drydock_vulndb::build_with(&sources, &out, &BuildOptions { drop_ids: drop }, &mut |p| spin.on(p));
            spin.finish();
            let r = r.with_context(|| format!("cannot build the vulnerability database {}", out.display()))?;
            print_build(&r);
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Update {
            from_url: Some(url), ..
        } => {
            update_from_url(url, &path)?;
            eprintln!("imported the database served at {url} into {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Update { cache_dir: given, .. } => {
            let uc = update_config(config, &cache_dir(given.as_deref(), config)?, &path);
            let spin = Spinner::new(cli.quiet);
            spin.message("downloading".into());
            let r = drydock_update::update(&uc, &mut |p| spin.on(p));
            spin.finish();
            let r = r.with_context(|| format!("cannot update the vulnerability database {}", path.display()))?;
            for d in &r.downloads {
                let outcome = serde_json::to_value(&d.outcome)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                eprintln!("{outcome:<14} {} ({} bytes)", d.url, d.bytes);
            }
            print_build(&r.build);
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Status { max_age_days, output } => {
            if !path.exists() {
                bail!("no vulnerability database at {}\n{MISSING_DB_HINT}", path.display());
            }
            let max_age = max_age_days
                .or(config.max_age_days)
                .map(|d| Duration::from_secs(d.saturating_mul(86400)));
            let s = drydock_vulndb::status(&path, max_age)?;
            match output.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&s)?),
                "table" => {
                    println!("database:    {}", s.path.display());
                    println!("schema:      {}", s.schema_version);
                    println!("built:       {} ({} days ago)", s.built_at, s.age_seconds / 86400);
                    println!("size:        {} bytes", s.file_size);
                    println!("advisories:  {}", s.advisories);
                    println!("affected:    {}", s.affected);
                    println!("enrichment:  {}", s.enrichment);
                    println!("cpe matches: {} (NVD criteria for --cpe-fallback)", s.cpe_matches);
                    println!("sources:");
                    for src in &s.sources {
                        println!(
                            "  {:<16} {:>8} records {:>8} enrichment {:>6} skipped  newest {}  {}",
                            src.name,
                            src.records,
                            src.enrichment,
                            src.skipped,
                            src.newest.as_deref().unwrap_or("-"),
                            src.location
                        );
                    }
                }
                other => bail!("unknown status format {other:?}; use table or json"),
            }
            for w in &s.warnings {
                eprintln!("warning: {w}");
            }
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Export { file } => {
            if !path.exists() {
                bail!("no vulnerability database at {}\n{MISSING_DB_HINT}", path.display());
            }
            let sha = drydock_vulndb::export(&path, file)
                .with_context(|| format!("cannot export {} to {}", path.display(), file.display()))?;
            eprintln!("exported {} to {} (sha256 {sha})", path.display(), file.display());
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Import { file } => {
            let spin = Spinner::new(cli.quiet);
            let r = drydock_vulndb::import_with(file, &path, &mut |n| spin.message(format!("{} MiB written", n >> 20)));
            spin.finish();
            r.with_context(|| format!("cannot import {} into {}", file.display(), path.display()))?;
            eprintln!("imported {} into {}", file.display(), path.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// What `drydock db update` (and a server with a `[db]` section) downloads and builds: the
/// configured feeds, else the public ones, plus the local sources.
pub fn update_config(config: &DbConfig, cache_dir: &Path, db_path: &Path) -> UpdateConfig {
    let sources = if config.sources.is_empty() {
        let branches: Vec<&str> = config.alpine_branches.iter().map(String::as_str).collect();
        UpdateConfig::public_sources(&branches)
    } else {
        config.sources.clone()
    };
    UpdateConfig {
        sources,
        cache_dir: cache_dir.to_path_buf(),
        db_path: db_path.to_path_buf(),
        extra_sources: config.extra_sources.iter().map(SourceSpec::auto).collect(),
        drop_ids: config.drop_ids.clone(),
        timeout_secs: None,
    }
}

fn print_build(r: &BuildReport) {
    for w in r.warnings.iter().take(20) {
        eprintln!("warning: {w}");
    }
    if r.warning_count > 20 {
        eprintln!("warning: … and {} more unreadable records", r.warning_count - 20);
    }
    for s in &r.sources {
        eprintln!(
            "{:<16} {:>8} records {:>8} enrichment {:>6} skipped  {}",
            s.name, s.records, s.enrichment, s.skipped, s.location
        );
    }
    eprintln!(
        "wrote {} ({} advisories, {} bytes) in {:.1}s",
        r.path.display(),
        r.advisories,
        r.file_size,
        r.elapsed.as_secs_f64()
    );
}

/// Downloads a service's exported database and imports it atomically (checksum and
/// database verified; a bad download changes nothing).
fn update_from_url(url: &str, db_path: &Path) -> Result<()> {
    let auth = match (std::env::var("DRYDOCK_API_KEY"), std::env::var("DRYDOCK_USER")) {
        (Ok(key), _) => Some(FetchAuth::ApiKey(key)),
        (_, Ok(user)) => Some(FetchAuth::Basic(user, std::env::var("DRYDOCK_PASSWORD").ok())),
        _ => None,
    };
    drydock_update::transfer::fetch_export(url, auth.as_ref(), db_path).map_err(|e| match e {
        FetchError::Status { status: 401 | 403, .. } => {
            anyhow!("{e}\nhint: set DRYDOCK_API_KEY (or DRYDOCK_USER and DRYDOCK_PASSWORD) for the service")
        }
        other => anyhow!("{other}"),
    })
}
