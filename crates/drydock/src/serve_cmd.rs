//! `drydock serve` and `drydock worker`: the service's settings — a flag, else its
//! `DRYDOCK_*` variable (clap reads both), else the `[server]` table of the configuration
//! file, else the default — then [`drydock_server`].

use crate::analysis_run::match_options;
use crate::cli::{ServeArgs, ServiceArgs, WorkerArgs};
use crate::config::Config;
use anyhow::{anyhow, Context, Result};
use drydock_server::feeds::FeedSource;
use drydock_server::worker::WorkerConfig;
use drydock_server::ServerConfig;
use drydock_update::transfer::FetchAuth;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// The `[server]` table of the configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSection {
    listen: Option<SocketAddr>,
    database: Option<String>,
    data_dir: Option<PathBuf>,
    db: Option<PathBuf>,
    workers: Option<usize>,
    #[serde(default)]
    insecure_registries: Vec<String>,
    lease_seconds: Option<u64>,
    poll_seconds: Option<u64>,
    watch_seconds: Option<u64>,
    retention_days: Option<u64>,
    allow_internal_webhooks: Option<bool>,
    allow_internal_registries: Option<bool>,
    #[serde(default)]
    vex: Vec<PathBuf>,
    feed_url: Option<String>,
    feed_api_key: Option<String>,
    feed_seconds: Option<u64>,
    analysis_cache_mb: Option<usize>,
    allow_no_db: Option<bool>,
    /// Connections served at once.
    max_connections: Option<usize>,
    /// Seconds a client has to send request headers (and may idle between requests).
    header_timeout_seconds: Option<u64>,
    /// Seconds a request or response body may pause.
    body_timeout_seconds: Option<u64>,
    /// Seconds a verified password is remembered (0: argon2 on every request).
    credential_cache_seconds: Option<u64>,
    /// Seconds requests and analyses get to finish on SIGTERM.
    shutdown_grace_seconds: Option<u64>,
}

/// The resolved settings shared by `serve` and `worker`.
struct Settings<'a> {
    /// The `[server]` section.
    file: &'a ServerSection,
    /// The whole configuration (`[db]` feeds the server downloads, the analysis and match
    /// sections its workers use).
    config: &'a Config,
    data: PathBuf,
    database: String,
}

fn settings<'a>(s: &ServiceArgs, config: &'a Config) -> Result<Settings<'a>> {
    private_files();
    let file = &config.server;
    let data = match s.data_dir.clone().or_else(|| file.data_dir.clone()) {
        Some(d) => d,
        None => std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
            .context("no --data-dir and no HOME\nhint: pass --data-dir DIR or set DRYDOCK_DATA_DIR")?
            .join("drydock/server"),
    };
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create the data directory {}", data.display()))?;
    tighten(&data);
    let database = s
        .database
        .clone()
        .or_else(|| file.database.clone())
        .unwrap_or_else(|| data.join("drydock.sqlite").display().to_string());
    Ok(Settings {
        file,
        config,
        data,
        database,
    })
}

fn worker_config(s: &ServiceArgs, st: &Settings) -> Result<WorkerConfig> {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
    let mut insecure = s.insecure_registry.clone();
    insecure.extend(st.file.insecure_registries.iter().cloned());
    let mut vex = s.vex.clone();
    vex.extend(st.file.vex.iter().cloned());
    Ok(WorkerConfig {
        id: format!("{host}-{}", std::process::id()),
        lease: Duration::from_secs(s.lease_seconds.or(st.file.lease_seconds).unwrap_or(60).max(3)),
        poll: Duration::from_secs(s.poll_seconds.or(st.file.poll_seconds).unwrap_or(1).max(1)),
        vulndb: s
            .db
            .clone()
            .or_else(|| st.file.db.clone())
            .or_else(|| st.config.db.path.clone()),
        cache_dir: Some(st.data.join("cache")),
        insecure_registries: insecure,
        allow_internal_registries: s.allow_internal_registries || st.file.allow_internal_registries.unwrap_or(false),
        analysis: st.config.analysis.clone(),
        sealer: Some(sealer(&st.data)?),
        matching: match_options(&st.config.matching, false, false, &vex)?,
    })
}

/// Everything the service creates (database, WAL, key file, caches, exports) is readable by
/// its user only.
fn private_files() {
    #[cfg(unix)]
    // SAFETY: umask only sets this process's file creation mask; it cannot fail.
    #[allow(unsafe_code)]
    unsafe {
        libc::umask(0o077);
    }
}

/// Makes an existing data directory and the files directly in it private (made by an older
/// drydock, or under another umask).
fn tighten(data: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(data, std::fs::Permissions::from_mode(0o700));
        for entry in std::fs::read_dir(data).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600));
            }
        }
    }
}

/// The key sealing registry passwords: `DRYDOCK_SECRET_KEY`, else a key file in the data
/// directory.
fn sealer(data: &Path) -> Result<Arc<drydock_server::seal::Sealer>> {
    let env = std::env::var("DRYDOCK_SECRET_KEY").ok();
    drydock_server::seal::Sealer::load(env.as_deref(), data)
        .map(Arc::new)
        .map_err(|e| anyhow!("{e}"))
}

/// Runs `drydock serve`.
pub fn serve(args: &ServeArgs, config: &Config) -> Result<ExitCode> {
    let st = settings(&args.service, config)?;
    let default_listen: SocketAddr = ([127, 0, 0, 1], 8228).into();
    let mut worker = worker_config(&args.service, &st)?;
    let feeds = feed_source(args, &st)?;
    if feeds.is_some() && worker.vulndb.is_none() {
        worker.vulndb = Some(st.data.join("vulndb.sqlite"));
    }
    let allow_no_db = args.allow_no_db || st.file.allow_no_db.unwrap_or(false);
    check_vulndb(worker.vulndb.as_deref(), feeds.is_some(), allow_no_db)?;
    let feed_seconds = args.feed_seconds.or(st.file.feed_seconds).unwrap_or(6 * 3600);
    let cfg = ServerConfig {
        listen: args.listen.or(st.file.listen).unwrap_or(default_listen),
        database: st.database.clone(),
        workers: args.workers.or(st.file.workers).unwrap_or(1),
        worker,
        admin_password: args.admin_password.clone(),
        watch_interval: Duration::from_secs(args.watch_seconds.or(st.file.watch_seconds).unwrap_or(300).max(1)),
        notify_backoff: Duration::from_secs(2),
        sealer: sealer(&st.data)?,
        retention: args
            .retention_days
            .or(st.file.retention_days)
            .map(|d| Duration::from_secs(d.saturating_mul(86400))),
        allow_internal_webhooks: args.allow_internal_webhooks || st.file.allow_internal_webhooks.unwrap_or(false),
        feeds,
        feed_interval: (feed_seconds > 0).then(|| Duration::from_secs(feed_seconds.max(60))),
        analysis_cache_bytes: args
            .analysis_cache_mb
            .or(st.file.analysis_cache_mb)
            .map_or(drydock_server::cache::DEFAULT_BUDGET, |mb| mb.saturating_mul(1 << 20)),
        http: http_limits(st.file),
    };
    drydock_server::serve(cfg)?;
    Ok(ExitCode::SUCCESS)
}

/// The `[server]` table's connection limits and timeouts over the defaults.
fn http_limits(f: &ServerSection) -> drydock_server::HttpLimits {
    let d = drydock_server::HttpLimits::default();
    let secs = |v: Option<u64>, default: Duration| v.map_or(default, Duration::from_secs);
    drydock_server::HttpLimits {
        max_connections: f.max_connections.unwrap_or(d.max_connections).max(1),
        header_timeout: secs(f.header_timeout_seconds, d.header_timeout).max(Duration::from_secs(1)),
        body_idle_timeout: secs(f.body_timeout_seconds, d.body_idle_timeout).max(Duration::from_secs(1)),
        shutdown_grace: secs(f.shutdown_grace_seconds, d.shutdown_grace),
        credential_ttl: secs(f.credential_cache_seconds, d.credential_ttl).min(Duration::from_secs(600)),
    }
}

/// A server must not answer checks as if it had matched vulnerabilities when it cannot: it
/// starts with a database file, or with a feed source that will make one (the status routes
/// say "waiting for the first feed update" meanwhile), or — with `--allow-no-db` — with a
/// loud warning, every check then reporting `vulnerability_data_unavailable`.
fn check_vulndb(db: Option<&Path>, feeds: bool, allow_no_db: bool) -> Result<()> {
    if feeds || db.is_some_and(Path::exists) {
        return Ok(());
    }
    let what = match db {
        Some(p) => format!("the vulnerability database {} does not exist", p.display()),
        None => "no vulnerability database is configured".to_string(),
    };
    if allow_no_db {
        let line = "!".repeat(78);
        eprintln!(
            "{line}\nWARNING: {what}.\nImages are analysed WITHOUT vulnerability matching; every image check reports \
             vulnerability_data_unavailable.\n{line}"
        );
        tracing::warn!("{what}: serving without vulnerability data (--allow-no-db)");
        return Ok(());
    }
    Err(anyhow!(
        "{what}: drydock serve would check images without vulnerability data\n\
         hint: build one (`drydock db build --from DIR --db PATH` or `drydock db update --db PATH`) and pass --db PATH; \
         or let the server keep its own (--feed-url URL of another drydock, or a [db] section in --config); \
         or start anyway with --allow-no-db (DRYDOCK_ALLOW_NO_DB=1, [server] allow_no_db = true)"
    ))
}

/// Where the server's database updates come from: `--feed-url` (another drydock), else the
/// `[db]` section of the configuration (downloaded and built like `drydock db update`).
fn feed_source(args: &ServeArgs, st: &Settings) -> Result<Option<FeedSource>> {
    if let Some(url) = args.feed_url.clone().or_else(|| st.file.feed_url.clone()) {
        let parsed = reqwest::Url::parse(&url)
            .map_err(|e| anyhow!("--feed-url {url:?} is not a URL: {e}"))
            .and_then(|u| match u.scheme() {
                "http" | "https" => Ok(u),
                other => Err(anyhow!("--feed-url must be http(s), not {other}")),
            })?;
        if !parsed.username().is_empty() || parsed.password().is_some() {
            anyhow::bail!(
                "--feed-url must not carry credentials (they would show in the feed status)\n\
                 hint: give the other service's API key in DRYDOCK_FEED_API_KEY"
            );
        }
        let key = std::env::var("DRYDOCK_FEED_API_KEY")
            .ok()
            .or_else(|| st.file.feed_api_key.clone());
        return Ok(Some(FeedSource::Mirror {
            url,
            auth: key.map(FetchAuth::ApiKey),
        }));
    }
    let db = &st.config.db;
    if db.sources.is_empty() && db.extra_sources.is_empty() && db.alpine_branches.is_empty() {
        return Ok(None);
    }
    Ok(Some(FeedSource::Feeds(Box::new(crate::db_cmd::update_config(
        db,
        &db.cache_dir.clone().unwrap_or_else(|| st.data.join("feeds")),
        &st.data.join("vulndb.sqlite"),
    )))))
}

/// Runs `drydock worker`.
pub fn worker(args: &WorkerArgs, config: &Config) -> Result<ExitCode> {
    let st = settings(&args.service, config)?;
    let count = args.workers.or(st.file.workers).unwrap_or(1);
    let cfg = worker_config(&args.service, &st)?;
    if !cfg.vulndb.as_deref().is_some_and(Path::exists) {
        eprintln!(
            "WARNING: this worker has no vulnerability database (--db): its analyses are not matched against \
             vulnerability data, and checks of them report vulnerability_data_unavailable."
        );
    }
    drydock_server::run_workers(&st.database, count, cfg)?;
    Ok(ExitCode::SUCCESS)
}
