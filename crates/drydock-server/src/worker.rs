//! Analysis workers: claim a queued job under a lease, keep renewing it while the image is
//! pulled and analysed (one pass over the layers, the layer cache shared by all jobs of
//! this worker), match against the vulnerability database, and store the analysis — which
//! the store accepts only while the lease is still held, so each result lands once.

use drydock_analysis::{AnalysisConfig, Analyzer, DbStatus, Scanners};
use drydock_image::{
    open, read_layers, AddressPolicy, LayerCache, NoProgress, OpenOptions, ReadOptions, RegistryOptions, SourceSpec,
};
use drydock_inspect::secrets::SecretsScope;
use drydock_sbom::Scope;
use drydock_store::{Completion, Job, Store};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Name recorded on the jobs it holds.
    pub id: String,
    /// Lease length; renewed every third of it.
    pub lease: Duration,
    /// Pause between polls of an empty queue.
    pub poll: Duration,
    /// Vulnerability database; without one, analyses carry no vulnerabilities.
    pub vulndb: Option<PathBuf>,
    /// Layer cache directory.
    pub cache_dir: Option<PathBuf>,
    /// Registries that may be spoken to over plain HTTP (loopback always may).
    pub insecure_registries: Vec<String>,
    /// Let images be pulled from loopback, private and link-local addresses; otherwise only
    /// the hosts of configured registries may be internal.
    pub allow_internal_registries: bool,
    /// Analysis settings (secrets, content search, retrieved files…).
    pub analysis: AnalysisConfig,
    /// Opens the registry passwords accounts stored.
    pub sealer: Option<Arc<crate::seal::Sealer>>,
    /// Ignore rules and VEX statements applied to every match.
    pub matching: drydock_match::MatchOptions,
}

/// What one job produced.
#[derive(Debug)]
pub enum Outcome {
    /// Stored, already there for the digest (nothing stored), or dropped because the lease
    /// was lost.
    Analysed {
        /// Manifest digest of the analysed image.
        digest: String,
        /// Whether the analysis was stored, already present, or dropped.
        completion: Completion,
        /// Wall-clock time the job took, in seconds.
        seconds: f64,
    },
    /// The analysis failed; the job is marked failed.
    Failed {
        /// Why, as shown to the user.
        error: String,
    },
}

/// Runs jobs until `stop` is set; `on_done` sees every outcome (metrics).
pub fn run(store: Store, cfg: WorkerConfig, stop: Arc<AtomicBool>, on_done: &(dyn Fn(&Outcome) + Sync)) {
    tracing::info!("worker {} started", cfg.id);
    while !stop.load(Ordering::Relaxed) {
        match work_once(&store, &cfg) {
            Ok(Some(outcome)) => on_done(&outcome),
            Ok(None) => sleep_unless(&stop, cfg.poll),
            Err(e) => {
                tracing::warn!("worker {}: {e}", cfg.id);
                sleep_unless(&stop, cfg.poll);
            }
        }
    }
    tracing::info!("worker {} stopped", cfg.id);
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let end = Instant::now() + d;
    while Instant::now() < end && !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(50).min(d));
    }
}

/// Claims and runs one job; `None` when the queue is empty.
pub fn work_once(store: &Store, cfg: &WorkerConfig) -> Result<Option<Outcome>, drydock_store::StoreError> {
    let lease = cfg.lease.as_secs().max(3) as i64;
    let Some(job) = store.claim_job(&cfg.id, lease)? else {
        return Ok(None);
    };
    tracing::info!("worker {}: analysing {} (attempt {})", cfg.id, job.tag, job.attempts);
    let started = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let renewer = {
        let (store, job, done) = (store.clone(), job.clone(), done.clone());
        let every = Duration::from_secs((lease / 3).max(1) as u64);
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                sleep_unless(&done, every);
                if done.load(Ordering::Relaxed) {
                    break;
                }
                match store.renew_job(&job, lease) {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!("worker {}: lost the lease on {}", job.worker, job.tag);
                        break;
                    }
                    Err(e) => tracing::warn!("worker {}: cannot renew the lease: {e}", job.worker),
                }
            }
        })
    };
    let registry = registry_options(
        store,
        &job.account,
        &job.tag,
        &cfg.insecure_registries,
        cfg.allow_internal_registries,
        cfg.sealer.as_deref(),
    );
    let result = analyse(&job, cfg, registry);
    done.store(true, Ordering::Relaxed);
    let _ = renewer.join();
    Ok(Some(match result {
        Ok((digest, document, index)) => {
            let completion = store.finish_job(&job, &digest, &document, Some(&index))?;
            match completion {
                Completion::Stored => {}
                Completion::AlreadyAnalysed => tracing::info!(
                    "worker {}: {digest} ({}) already has an analysis; nothing stored",
                    cfg.id,
                    job.tag
                ),
                Completion::Lost => tracing::warn!(
                    "worker {}: {} was claimed by another worker; result dropped",
                    cfg.id,
                    job.tag
                ),
            }
            Outcome::Analysed {
                digest,
                completion,
                seconds: started.elapsed().as_secs_f64(),
            }
        }
        Err(error) => {
            store.fail_job(&job, &error)?;
            Outcome::Failed { error }
        }
    }))
}

/// How to reach the registry of `tag` for `account`: the server's plain-HTTP list plus the
/// account's stored credentials for that registry (opened with `sealer`), if any. Unless
/// `allow_internal`, the webhook address policy applies to the registry and to every
/// redirect and token service it names: internal addresses are refused except for the
/// hosts of configured registries (the server's insecure list and the account's own).
pub fn registry_options(
    store: &Store,
    account: &str,
    tag: &str,
    insecure: &[String],
    allow_internal: bool,
    sealer: Option<&crate::seal::Sealer>,
) -> RegistryOptions {
    let host = drydock_policy::ImageTarget::parse(tag).registry;
    let registries = store.registries(account).unwrap_or_default();
    let mut opts = RegistryOptions {
        insecure: insecure.to_vec(),
        address_policy: (!allow_internal).then(|| AddressPolicy {
            is_internal: crate::notify::is_internal,
            allowed_hosts: insecure
                .iter()
                .map(|h| {
                    h.trim()
                        .trim_start_matches("http://")
                        .trim_start_matches("https://")
                        .trim_end_matches('/')
                })
                .chain(registries.iter().map(|r| r.registry.as_str()))
                .map(str::to_string)
                .collect(),
            hint: "the server pulls only from public addresses unless it runs with --allow-internal-registries \
                   or the registry is added to the account (`drydock registry add`)"
                .into(),
        }),
        ..Default::default()
    };
    let stored = registries.into_iter().find(|r| r.registry == host);
    let (Some(reg), Some(sealer)) = (stored, sealer) else {
        return opts;
    };
    match sealer.open(&reg.sealed_password) {
        Ok(password) => {
            if reg.insecure {
                opts.insecure.push(host);
            }
            opts.username = Some(reg.username);
            opts.password = Some(password);
        }
        Err(e) => tracing::warn!("credentials for {host}: {e}"),
    }
    opts
}

/// Pulls and analyses the job's image; returns its manifest digest, the analysis JSON and
/// its query index.
fn analyse(
    job: &Job,
    cfg: &WorkerConfig,
    registry: RegistryOptions,
) -> Result<(String, String, drydock_store::AnalysisIndex), String> {
    // Only registry references: a service must never read its own files for a caller. The
    // digest the image was added with, when known: the tag may have moved since.
    let tag = job.tag.trim_start_matches("registry:");
    let source = match &job.digest {
        Some(d) if !tag.contains('@') => format!("registry:{tag}@{d}"),
        _ => format!("registry:{tag}"),
    };
    let spec = SourceSpec::parse(&source).map_err(|e| e.to_string())?;
    let opts = OpenOptions {
        platform: None,
        registry,
        limits: cfg.analysis.limits.clone(),
    };
    let opened = open(&spec, &source, &opts).map_err(|e| e.to_string())?;
    let analyzer = Analyzer::new(
        Scanners::default(),
        Scope::Squashed,
        SecretsScope::Squashed,
        &cfg.analysis,
    )
    .map_err(|e| e.to_string())?;
    let read = read_layers(
        &opened,
        &ReadOptions {
            capture: analyzer.capture(),
            limits: opts.limits.clone(),
            cache: cfg.cache_dir.clone().map(LayerCache::new),
            threads: 2,
            progress: &NoProgress,
        },
    )
    .map_err(|e| e.to_string())?;
    let mut analysis = analyzer.analyze(opened.meta(), read.layers, opts.limits.max_symlink_hops);
    if let Some(path) = cfg.vulndb.as_ref().filter(|p| p.exists()) {
        let db = drydock_vulndb::Db::open(path).map_err(|e| e.to_string())?;
        let status = DbStatus::of(&db, &path.display().to_string(), None);
        analysis
            .match_vulnerabilities(&db, &cfg.matching, status)
            .map_err(|e| e.to_string())?;
    }
    let digest = opened
        .meta()
        .source
        .manifest_digest
        .clone()
        .ok_or_else(|| "the registry gave no manifest digest".to_string())?;
    let document = serde_json::to_string(&analysis).map_err(|e| e.to_string())?;
    Ok((digest, document, crate::index::index_of(&analysis)))
}
