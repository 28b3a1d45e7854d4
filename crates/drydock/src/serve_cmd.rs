//! `drydock serve` and `drydock worker`: the service's settings from flags and `DRYDOCK_*`
//! variables, then [`drydock_server`].

use crate::analysis_run::load_config;
use crate::cli::{ServeArgs, ServiceArgs, WorkerArgs};
use anyhow::{Context, Result};
use drydock_server::worker::WorkerConfig;
use drydock_server::ServerConfig;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// `--data-dir`, else `$XDG_DATA_HOME/drydock/server` (`~/.local/share/drydock/server`).
fn data_dir(s: &ServiceArgs) -> Result<PathBuf> {
    if let Some(d) = &s.data_dir {
        return Ok(d.clone());
    }
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .context("no --data-dir and no HOME\nhint: pass --data-dir DIR or set DRYDOCK_DATA_DIR")?;
    Ok(base.join("drydock/server"))
}

fn worker_config(s: &ServiceArgs, data: &std::path::Path) -> Result<WorkerConfig> {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
    Ok(WorkerConfig {
        id: format!("{host}-{}", std::process::id()),
        lease: Duration::from_secs(s.lease_seconds.max(3)),
        poll: Duration::from_secs(s.poll_seconds.max(1)),
        vulndb: s.db.clone(),
        cache_dir: Some(data.join("cache")),
        insecure_registries: s.insecure_registry.clone(),
        analysis: load_config(s.config.as_deref())?,
        sealer: Some(sealer(data)?),
    })
}

/// The key sealing registry passwords: `DRYDOCK_SECRET_KEY`, else a key file in the data
/// directory.
fn sealer(data: &std::path::Path) -> Result<std::sync::Arc<drydock_server::seal::Sealer>> {
    let env = std::env::var("DRYDOCK_SECRET_KEY").ok();
    drydock_server::seal::Sealer::load(env.as_deref(), data)
        .map(std::sync::Arc::new)
        .map_err(|e| anyhow::anyhow!("{e}"))
}

fn database(s: &ServiceArgs, data: &std::path::Path) -> String {
    s.database
        .clone()
        .unwrap_or_else(|| data.join("drydock.sqlite").display().to_string())
}

/// Runs `drydock serve`.
pub fn serve(args: &ServeArgs) -> Result<ExitCode> {
    let data = data_dir(&args.service)?;
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create the data directory {}", data.display()))?;
    let cfg = ServerConfig {
        listen: args.listen,
        database: database(&args.service, &data),
        workers: args.workers,
        worker: worker_config(&args.service, &data)?,
        admin_password: args.admin_password.clone(),
        watch_interval: Duration::from_secs(args.watch_seconds.max(1)),
        notify_backoff: Duration::from_secs(2),
        sealer: sealer(&data)?,
        retention: args
            .retention_days
            .map(|d| Duration::from_secs(d.saturating_mul(86400))),
    };
    drydock_server::serve(cfg)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `drydock worker`.
pub fn worker(args: &WorkerArgs) -> Result<ExitCode> {
    let data = data_dir(&args.service)?;
    std::fs::create_dir_all(&data).with_context(|| format!("cannot create the data directory {}", data.display()))?;
    let db = database(&args.service, &data);
    drydock_server::run_workers(&db, args.workers, worker_config(&args.service, &data)?)?;
    Ok(ExitCode::SUCCESS)
}
