//! The drydock service: the REST API ([`api`]), authentication and roles ([`auth`]),
//! analysis workers ([`worker`]) and metrics, over a [`drydock_store::Store`] (SQLite by
//! default, PostgreSQL for scale-out with `drydock worker` processes elsewhere).

pub mod api;
pub mod auth;
pub mod cache;
pub mod feeds;
pub mod index;
pub mod metrics;
pub mod notify;
pub mod openapi;
pub mod seal;
pub mod watch;
pub mod worker;

use api::AppState;
use drydock_store::Store;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// What can stop the service.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] drydock_store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen { addr: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Other(String),
}

/// How `drydock serve` runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// `postgres://…` or a SQLite path.
    pub database: String,
    /// In-process workers (0 when separate `drydock worker` processes do the work).
    pub workers: usize,
    pub worker: worker::WorkerConfig,
    /// Password of the first admin; random (printed once) when absent.
    pub admin_password: Option<String>,
    /// Time between watcher passes (watched tags, database changes).
    pub watch_interval: Duration,
    /// First retry delay of a failed notification (doubles per attempt).
    pub notify_backoff: Duration,
    /// Seals stored registry passwords (shared with the workers).
    pub sealer: Arc<seal::Sealer>,
    /// Tag history, events, deliveries and audit records older than this are pruned.
    pub retention: Option<Duration>,
    /// Let webhooks call loopback, private and link-local addresses.
    pub allow_internal_webhooks: bool,
    /// Where database updates come from (none: the `--db` file is updated by others).
    pub feeds: Option<feeds::FeedSource>,
    /// Time between feed updates (none: only on `POST /v1/feeds/update`).
    pub feed_interval: Option<Duration>,
    /// Bytes of parsed analysis documents the API keeps between requests (0: none).
    pub analysis_cache_bytes: usize,
}

/// Creates the `admin` account and user on first start; returns the generated password
/// when one had to be made up.
pub fn bootstrap(store: &Store, password: Option<&str>) -> Result<Option<String>, ServerError> {
    if !store.users(None)?.is_empty() {
        return Ok(None);
    }
    let (password, generated) = match password {
        Some(p) => (p.to_string(), None),
        None => {
            let p = auth::random_secret(18);
            (p.clone(), Some(p))
        }
    };
    let hash = auth::hash_password(&password).map_err(ServerError::Other)?;
    store.ensure_account("admin")?;
    store.add_user("admin", "admin", auth::Role::Admin.as_str(), &hash)?;
    Ok(generated)
}

/// Runs the API and the in-process workers until Ctrl-C (or SIGTERM).
pub fn serve(cfg: ServerConfig) -> Result<(), ServerError> {
    let store = Store::open(&cfg.database)?;
    if let Some(p) = bootstrap(&store, cfg.admin_password.as_deref())? {
        eprintln!("created user admin with password {p}\n(shown once: set DRYDOCK_ADMIN_PASSWORD to choose it)");
    }
    let metrics = Arc::new(metrics::Metrics::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for i in 0..cfg.workers {
        let (store, stop, metrics) = (store.clone(), stop.clone(), metrics.clone());
        let mut wc = cfg.worker.clone();
        wc.id = format!("{}-{i}", wc.id);
        threads.push(std::thread::spawn(move || {
            worker::run(store, wc, stop, &|o| record(&metrics, o));
        }));
    }
    let watch_cfg = watch::WatchConfig {
        interval: cfg.watch_interval,
        vulndb: cfg.worker.vulndb.clone(),
        insecure_registries: cfg.worker.insecure_registries.clone(),
        allow_internal_registries: cfg.worker.allow_internal_registries,
        export_path: cfg
            .worker
            .cache_dir
            .as_ref()
            .and_then(|c| c.parent())
            .map(|d| d.join("vulndb.export")),
        sealer: Some(cfg.sealer.clone()),
        matching: cfg.worker.matching.clone(),
    };
    let updater = Arc::new(feeds::FeedUpdater::new(
        cfg.feeds.clone(),
        cfg.worker.vulndb.clone().unwrap_or_default(),
    ));
    if let (Some(interval), Some(source)) = (cfg.feed_interval, &cfg.feeds) {
        tracing::info!("feed updates every {}s from {}", interval.as_secs(), source.describe());
        let (store, stop, wc, up) = (store.clone(), stop.clone(), watch_cfg.clone(), updater.clone());
        threads.push(std::thread::spawn(move || feeds::run(store, up, wc, interval, stop)));
    }
    {
        let (store, stop, wc) = (store.clone(), stop.clone(), watch_cfg.clone());
        let retention = cfg.retention;
        threads.push(std::thread::spawn(move || watch::run(store, wc, stop, retention)));
    }
    {
        let notifier: Arc<dyn notify::Notifier> =
            Arc::new(notify::WebhookNotifier::new(cfg.allow_internal_webhooks).map_err(ServerError::Other)?);
        let (store, stop, backoff) = (store.clone(), stop.clone(), cfg.notify_backoff);
        threads.push(std::thread::spawn(move || notify::run(store, notifier, stop, backoff)));
    }
    let state = Arc::new(AppState {
        store: store.clone(),
        limiter: auth::LoginLimiter::new(10, Duration::from_secs(60)),
        metrics,
        watch: watch_cfg,
        sealer: cfg.sealer.clone(),
        allow_internal_webhooks: cfg.allow_internal_webhooks,
        feeds: updater,
        analyses: cache::AnalysisCache::new(cfg.analysis_cache_bytes),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ServerError::Other(e.to_string()))?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
            .map_err(|source| ServerError::Listen {
                addr: cfg.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServerError::Listen {
            addr: cfg.listen,
            source,
        })?;
        tracing::info!(
            "listening on http://{addr} ({} database, {} workers)",
            store.kind(),
            cfg.workers
        );
        eprintln!("drydock serving on http://{addr}");
        let app = api::router(state).into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown())
            .await
            .map_err(|e| ServerError::Other(e.to_string()))
    });
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        let _ = t.join();
    }
    result
}

/// Runs workers only (for scale-out on PostgreSQL) until Ctrl-C.
pub fn run_workers(database: &str, count: usize, cfg: worker::WorkerConfig) -> Result<(), ServerError> {
    let store = Store::open(database)?;
    let metrics = Arc::new(metrics::Metrics::default());
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(shutdown());
            }
            stop.store(true, Ordering::Relaxed);
        });
    }
    let threads: Vec<_> = (0..count.max(1))
        .map(|i| {
            let (store, stop, metrics) = (store.clone(), stop.clone(), metrics.clone());
            let mut wc = cfg.clone();
            wc.id = format!("{}-{i}", wc.id);
            std::thread::spawn(move || worker::run(store, wc, stop, &|o| record(&metrics, o)))
        })
        .collect();
    for t in threads {
        let _ = t.join();
    }
    Ok(())
}

fn record(metrics: &metrics::Metrics, o: &worker::Outcome) {
    match o {
        worker::Outcome::Analysed {
            completion, seconds, ..
        } => metrics.analysis(
            match completion {
                drydock_store::Completion::Stored => "stored",
                drydock_store::Completion::AlreadyAnalysed => "already_analysed",
                drydock_store::Completion::Lost => "dropped",
            },
            Some(*seconds),
        ),
        worker::Outcome::Failed { .. } => metrics.analysis("failed", None),
    }
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = ctrl_c.await;
                return;
            }
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
