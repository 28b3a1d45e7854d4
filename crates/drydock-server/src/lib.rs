//! The drydock service: the REST API ([`api`]), authentication and roles ([`auth`]),
//! analysis workers ([`worker`]) and metrics, over a [`drydock_store::Store`] (SQLite by
//! default, PostgreSQL for scale-out with `drydock worker` processes elsewhere).

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

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
pub mod web;
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
    /// A database operation failed (opening it, creating the first admin).
    #[error(transparent)]
    Store(#[from] drydock_store::StoreError),
    /// The API address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address asked for.
        addr: SocketAddr,
        /// The bind error (e.g. address in use).
        source: std::io::Error,
    },
    /// Anything else that stops start-up (e.g. the async runtime could not start).
    #[error("{0}")]
    Other(String),
}

/// How `drydock serve` runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Address the API listens on (e.g. `127.0.0.1:8228`).
    pub listen: SocketAddr,
    /// `postgres://…` or a SQLite path.
    pub database: String,
    /// In-process workers (0 when separate `drydock worker` processes do the work).
    pub workers: usize,
    /// Settings of the in-process workers (and of analysis).
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
    /// Connection limits and timeouts.
    pub http: HttpLimits,
}

/// How much the HTTP side lets clients hold.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Time a client has to send a request's headers, and the longest a kept-alive
    /// connection may sit idle between requests.
    pub header_timeout: Duration,
    /// Longest pause while a request body is read or a response body is written.
    pub body_idle_timeout: Duration,
    /// On shutdown, how long requests in flight and workers mid-analysis get to finish
    /// (an unfinished job goes back to the queue).
    pub shutdown_grace: Duration,
    /// How long a verified password is remembered (0: argon2 on every request).
    pub credential_ttl: Duration,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_idle_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(3),
            credential_ttl: Duration::from_secs(60),
        }
    }
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
            let p = auth::random_secret(18).map_err(ServerError::Other)?;
            (p.clone(), Some(p))
        }
    };
    let hash = auth::hash_password(&password).map_err(ServerError::Other)?;
    store.ensure_account("admin")?;
    store.add_user("admin", "admin", auth::Role::Admin.as_str(), &hash)?;
    Ok(generated)
}

/// Runs the API and the in-process workers until Ctrl-C (or SIGTERM); stops within
/// [`HttpLimits::shutdown_grace`] and a moment, putting unfinished jobs back in the queue.
pub fn serve(cfg: ServerConfig) -> Result<(), ServerError> {
    let store = Store::open(&cfg.database)?;
    if let Some(p) = bootstrap(&store, cfg.admin_password.as_deref())? {
        eprintln!("created user admin with password {p}\n(shown once: set DRYDOCK_ADMIN_PASSWORD to choose it)");
    }
    let metrics = Arc::new(metrics::Metrics::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    let mut worker_threads = Vec::new();
    for i in 0..cfg.workers {
        let (store, stop, metrics) = (store.clone(), stop.clone(), metrics.clone());
        let mut wc = cfg.worker.clone();
        wc.id = format!("{}-{i}", wc.id);
        let id = wc.id.clone();
        worker_threads.push((
            id,
            std::thread::spawn(move || {
                worker::run(store, wc, stop, &|o| record(&metrics, o));
            }),
        ));
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
        credentials: auth::CredentialCache::new(cfg.http.credential_ttl),
        verifications: tokio::sync::Semaphore::new(auth::verify_concurrency()),
        metrics,
        watch: watch_cfg,
        sealer: cfg.sealer.clone(),
        allow_internal_webhooks: cfg.allow_internal_webhooks,
        feeds: updater,
        analyses: cache::AnalysisCache::new(cfg.analysis_cache_bytes),
        ui: drydock_web::Ui::new().map_err(|e| ServerError::Other(e.to_string()))?,
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
        serve_http(listener, app(state), &cfg.http, shutdown()).await;
        Ok(())
    });
    // Requests still running on blocking threads (a registry lookup) are not waited for.
    runtime.shutdown_timeout(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let deadline = std::time::Instant::now() + cfg.http.shutdown_grace;
    stop_workers(&store, worker_threads, deadline);
    for t in threads {
        join_until(t, deadline);
    }
    result
}

/// The API and the web UI.
pub fn app(state: Arc<AppState>) -> axum::Router {
    api::router(state.clone()).merge(web::router(state))
}

/// Serves HTTP/1 on `listener` until `stop` resolves: at most `max_connections` at once,
/// header and idle-body timeouts; then lets requests in flight finish for the grace time.
async fn serve_http(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    limits: &HttpLimits,
    stop: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt;
    let app = app
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            limits.body_idle_timeout,
        ))
        .layer(tower_http::timeout::ResponseBodyTimeoutLayer::new(
            limits.body_idle_timeout,
        ));
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(64 * 1024);
    tokio::pin!(stop);
    loop {
        // A slot first: when every slot is taken, new connections wait in the backlog.
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = &mut stop => break,
        };
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: pause instead of spinning.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let _ = stream.set_nodelay(true);
        let svc = app
            .clone()
            .map_request(move |mut req: axum::extract::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(remote));
                req
            });
        let conn = http.serve_connection(TokioIo::new(stream), hyper_util::service::TowerToHyperService::new(svc));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    tracing::info!("stopping: no new connections");
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "stopping: requests still running after {:?} were cut off",
            limits.shutdown_grace
        );
    }
}

/// Stops worker threads: each gets until `deadline` to finish its job; the jobs of those
/// still busy go back to the queue (claimable at once by any worker), and their threads are
/// left to die with the process.
fn stop_workers(store: &Store, workers: Vec<(String, std::thread::JoinHandle<()>)>, deadline: std::time::Instant) {
    for (id, t) in workers {
        if !join_until(t, deadline) {
            match store.release_jobs(&id) {
                Ok(0) => {}
                Ok(n) => tracing::warn!("worker {id} stopped mid-analysis; {n} job(s) back in the queue"),
                Err(e) => tracing::warn!("worker {id}: cannot put its job back (its lease will expire): {e}"),
            }
        }
    }
}

/// Joins a thread if it ends by `deadline`; false when it is still running.
fn join_until(t: std::thread::JoinHandle<()>, deadline: std::time::Instant) -> bool {
    while !t.is_finished() {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = t.join();
    true
}

/// Runs workers only (for scale-out on PostgreSQL) until Ctrl-C.
pub fn run_workers(database: &str, count: usize, cfg: worker::WorkerConfig) -> Result<(), ServerError> {
    let grace = HttpLimits::default().shutdown_grace;
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
            let id = wc.id.clone();
            (
                id,
                std::thread::spawn(move || worker::run(store, wc, stop, &|o| record(&metrics, o))),
            )
        })
        .collect();
    while !stop.load(Ordering::Relaxed) && threads.iter().any(|(_, t)| !t.is_finished()) {
        std::thread::sleep(Duration::from_millis(50));
    }
    stop_workers(&store, threads, std::time::Instant::now() + grace);
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
