//! Continuous re-evaluation. The tag watcher polls watched tags (`tag_update`
//! subscriptions) for new digests and queues their analysis; the judge keeps, per analysed
//! image, the vulnerabilities and policy result it was last seen with, re-matches every
//! stored SBOM when the vulnerability database changes (no re-pull), re-evaluates the
//! active policy, and notifies `vuln_update` / `policy_eval` subscribers of differences.

use drydock_analysis::{Analysis, DbStatus};
use drydock_image::{open, OpenOptions, SourceSpec};
use drydock_policy::{Bundle, EvalContext, EvalOptions, ImageTarget, Unmapped};
use drydock_store::Store;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Setting that records the build id of the database the stored analyses were matched with.
const DB_SETTING: &str = "vulndb_build_id";
/// Setting that records the policy epoch the stored judgements were made under.
const POLICY_SEEN: &str = "policy_epoch_judged";

/// What the watchers need.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Time between passes.
    pub interval: Duration,
    /// Vulnerability database; a new build triggers re-matching of stored analyses.
    pub vulndb: Option<PathBuf>,
    /// Registries that may be spoken to over plain HTTP (loopback always may).
    pub insecure_registries: Vec<String>,
    /// See [`crate::worker::WorkerConfig::allow_internal_registries`].
    pub allow_internal_registries: bool,
    /// Where the exported database served at `/v1/feeds/db` is kept.
    pub export_path: Option<PathBuf>,
    /// Opens the registry passwords accounts stored (private watched tags need them).
    pub sealer: Option<Arc<crate::seal::Sealer>>,
    /// Ignore rules and VEX statements applied when stored SBOMs are re-matched.
    pub matching: drydock_match::MatchOptions,
}

/// One judge at a time in this process (the watcher, the feed updater and the API all
/// call it), so a change is notified once.
static JUDGING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Runs the tag watcher and the judge (and prunes history older than `retention`) until
/// `stop`.
pub fn run(store: Store, cfg: WatchConfig, stop: Arc<AtomicBool>, retention: Option<Duration>) {
    while !stop.load(Ordering::Relaxed) {
        let started = Instant::now();
        if let Some(r) = retention {
            if let Err(e) = store.prune_history(drydock_store::now() - r.as_secs() as i64) {
                tracing::warn!("retention: {e}");
            }
        }
        if let Err(e) = watch_tags(&store, &cfg) {
            tracing::warn!("tag watcher: {e}");
        }
        if let Err(e) = judge(&store, &cfg) {
            tracing::warn!("re-evaluation: {e}");
        }
        if let Err(e) = snapshot(&store) {
            tracing::warn!("daily snapshot: {e}");
        }
        while started.elapsed() < cfg.interval && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// Days of daily snapshots kept for the dashboard's history.
pub const SNAPSHOT_DAYS: i64 = 90;

/// Records every judged image's state once a day (the first pass of a UTC day), for the
/// dashboard's history of findings; forgets days older than [`SNAPSHOT_DAYS`].
fn snapshot(store: &Store) -> Result<(), drydock_store::StoreError> {
    let today = drydock_time::today_utc();
    if store.last_snapshot_day()?.as_deref() == Some(today.as_str()) {
        return Ok(());
    }
    store.snapshot_states(&today)?;
    let (y, m, d) = drydock_time::civil_from_days(drydock_store::now().div_euclid(86_400) - SNAPSHOT_DAYS);
    store.prune_snapshots(&format!("{y:04}-{m:02}-{d:02}"))?;
    Ok(())
}

/// The manifest digest a tag points at now for the account (one manifest request with the
/// account's stored credentials; no layers).
pub fn resolve(store: &Store, account: &str, tag: &str, cfg: &WatchConfig) -> Result<String, String> {
    let source = format!("registry:{tag}");
    let spec = SourceSpec::parse(&source).map_err(|e| e.to_string())?;
    let opts = OpenOptions {
        registry: crate::worker::registry_options(
            store,
            account,
            tag,
            &cfg.insecure_registries,
            cfg.allow_internal_registries,
            cfg.sealer.as_deref(),
        ),
        ..Default::default()
    };
    let opened = open(&spec, &source, &opts).map_err(|e| e.to_string())?;
    opened
        .meta()
        .source
        .manifest_digest
        .clone()
        .ok_or_else(|| "no manifest digest".to_string())
}

/// One pass of the tag watcher.
pub fn watch_tags(store: &Store, cfg: &WatchConfig) -> Result<(), String> {
    let subs = store
        .subscriptions(None, Some("tag_update"))
        .map_err(|e| e.to_string())?;
    for s in subs {
        let digest = match resolve(store, &s.account, &s.tag, cfg) {
            Ok(d) => d,
            Err(e) => {
                tracing::info!("tag watcher: {}: {e}", s.tag);
                continue;
            }
        };
        let last = store.latest_digest(&s.account, &s.tag).map_err(|e| e.to_string())?;
        if last.as_deref() == Some(digest.as_str())
            || store.analysis_pending(&s.account, &s.tag).map_err(|e| e.to_string())?
        {
            continue;
        }
        let target = ImageTarget::parse(&s.tag);
        let image_id = store
            .add_image_digest(
                &s.account,
                &s.tag,
                &target.registry,
                &target.repository,
                Some(&digest),
                false,
            )
            .map_err(|e| e.to_string())?
            .image_id;
        tracing::info!("tag watcher: {} moved to {digest}; analysis queued", s.tag);
        store
            .notify(
                "tag_update",
                &s.tag,
                &json!({"old_digest": last, "new_digest": digest, "image_id": image_id}),
            )
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The vulnerability ids of an analysis, sorted.
fn vuln_ids(a: &Analysis) -> BTreeSet<String> {
    a.vulnerabilities
        .iter()
        .flat_map(|r| &r.findings)
        .map(|f| format!("{}+{}", f.id, f.package.name))
        .collect()
}

/// Finding counts by severity, as a JSON object.
fn severities(a: &Analysis) -> String {
    let mut m = std::collections::BTreeMap::<String, i64>::new();
    for f in a.vulnerabilities.iter().flat_map(|r| &r.findings) {
        *m.entry(f.severity.as_str().to_lowercase()).or_default() += 1;
    }
    serde_json::to_string(&m).unwrap_or_else(|_| "{}".into())
}

/// Final actions under each account's active policy (or the default bundle); each
/// account's bundle is read and parsed once per pass.
struct Judge<'a> {
    store: &'a Store,
    bundles: HashMap<String, Bundle>,
}

impl Judge<'_> {
    fn final_action(&mut self, account: &str, a: &Analysis, tag: &str) -> String {
        let store = self.store;
        let bundle = self.bundles.entry(account.to_string()).or_insert_with(|| {
            store
                .policy(account, None)
                .ok()
                .flatten()
                .and_then(|p| drydock_policy::parse_bundle(p.bundle.as_bytes(), &p.id).ok())
                .unwrap_or_else(drydock_policy::default_bundle)
        });
        let mut target = ImageTarget::parse(tag);
        target.digest = a.image().source.manifest_digest.clone().unwrap_or_default();
        let ctx = EvalContext {
            now_unix: drydock_analysis::now_unix(),
            tag: Some(tag.to_string()),
        };
        let opts = EvalOptions { unmapped: Unmapped::Go };
        drydock_policy::evaluate(bundle, a, &target, &ctx, &opts)
            .map(|e| e.final_action.as_str().to_string())
            .unwrap_or_else(|e| format!("ERROR: {e}"))
    }
}

/// One pass of the judge: baselines for new analyses; after a database change, re-match
/// and re-evaluate every stored analysis and notify the differences.
pub fn judge(store: &Store, cfg: &WatchConfig) -> Result<(), String> {
    let _one = JUDGING.lock().unwrap_or_else(|e| e.into_inner());
    let err = |e: drydock_store::StoreError| e.to_string();
    let indexed = crate::index::backfill(store).map_err(err)?;
    if indexed > 0 {
        tracing::info!("indexed {indexed} stored analyses for queries");
    }
    let mut judge = Judge {
        store,
        bundles: HashMap::new(),
    };
    // Baselines: record how new analyses were judged, without notifying.
    loop {
        let batch = store.analyses_without_state(100).map_err(err)?;
        if batch.is_empty() {
            break;
        }
        for (image_id, account, doc) in batch {
            let a: Analysis = match serde_json::from_str(&doc) {
                Ok(a) => a,
                Err(e) => {
                    store
                        .set_image_state(&image_id, "[]", &format!("ERROR: {e}"), "{}", None)
                        .map_err(err)?;
                    continue;
                }
            };
            let tag = store
                .current_tags(&image_id)
                .map_err(err)?
                .into_iter()
                .next()
                .unwrap_or_default();
            let ids: Vec<String> = vuln_ids(&a).into_iter().collect();
            let action = judge.final_action(&account, &a, &tag);
            store
                .set_image_state(
                    &image_id,
                    &serde_json::to_string(&ids).unwrap_or_default(),
                    &action,
                    &severities(&a),
                    None,
                )
                .map_err(err)?;
        }
    }
    // A changed database: re-match. A changed policy: re-evaluate only.
    let mut changed_db = None;
    if let Some(path) = cfg.vulndb.as_ref().filter(|p| p.exists()) {
        let db = drydock_vulndb::Db::open(path).map_err(|e| e.to_string())?;
        let built = db.build_id().unwrap_or_default();
        match store.setting(DB_SETTING).map_err(err)? {
            // First sight of this database: the analyses were matched against it.
            None => store.set_setting(DB_SETTING, &built).map_err(err)?,
            Some(seen) if seen != built => {
                let status = DbStatus::of(&db, &path.display().to_string(), None);
                changed_db = Some((db, status, built));
            }
            Some(_) => {}
        }
    }
    let epoch = store
        .setting(drydock_store::POLICY_EPOCH)
        .map_err(err)?
        .unwrap_or_default();
    let seen_epoch = store.setting(POLICY_SEEN).map_err(err)?.unwrap_or_default();
    if changed_db.is_none() && epoch == seen_epoch {
        return Ok(());
    }
    match &changed_db {
        Some((_, _, built)) => {
            tracing::info!("vulnerability database changed (build {built}): re-matching stored analyses");
        }
        None => tracing::info!("policies changed: re-evaluating stored analyses"),
    }
    let mut after = String::new();
    let (mut rematched, mut notified) = (0, 0);
    loop {
        let page = store.analyses_page(&after, 50).map_err(err)?;
        let Some(last) = page.last() else { break };
        after = last.0.clone();
        for (image_id, account, doc) in page {
            let Ok(mut a) = serde_json::from_str::<Analysis>(&doc) else {
                continue;
            };
            let (before_json, previous_action) = store.image_state(&image_id).map_err(err)?.unwrap_or_default();
            let before: BTreeSet<String> = serde_json::from_str::<Vec<String>>(&before_json)
                .map(|v| v.into_iter().collect())
                .unwrap_or_default();
            if let Some((db, status, _)) = &changed_db {
                if a.match_vulnerabilities(db, &cfg.matching, status.clone()).is_err() {
                    continue;
                }
                rematched += 1;
            }
            let now_ids = vuln_ids(&a);
            let tags = store.current_tags(&image_id).map_err(err)?;
            let tag = tags.first().cloned().unwrap_or_default();
            let action = judge.final_action(&account, &a, &tag);
            let digest = a.image().source.manifest_digest.clone();
            let added: Vec<&String> = now_ids.difference(&before).collect();
            let removed: Vec<&String> = before.difference(&now_ids).collect();
            for t in &tags {
                if !added.is_empty() || !removed.is_empty() {
                    notified += store
                        .notify(
                            "vuln_update",
                            t,
                            &json!({"image_id": image_id, "digest": digest, "added": added, "removed": removed}),
                        )
                        .map_err(err)?;
                }
                if action != previous_action {
                    notified += store
                        .notify(
                            "policy_eval",
                            t,
                            &json!({"image_id": image_id, "digest": digest, "previous_action": previous_action, "final_action": action}),
                        )
                        .map_err(err)?;
                }
            }
            let ids: Vec<&String> = now_ids.iter().collect();
            let rematched = match changed_db {
                Some(_) => Some((
                    serde_json::to_string(&a).map_err(|e| e.to_string())?,
                    crate::index::findings_of(&a),
                )),
                None => None,
            };
            store
                .set_image_state(
                    &image_id,
                    &serde_json::to_string(&ids).unwrap_or_default(),
                    &action,
                    &severities(&a),
                    rematched.as_ref().map(|(doc, f)| (doc.as_str(), f.as_slice())),
                )
                .map_err(err)?;
        }
    }
    if let Some((_, _, built)) = &changed_db {
        store.set_setting(DB_SETTING, built).map_err(err)?;
    }
    store.set_setting(POLICY_SEEN, &epoch).map_err(err)?;
    tracing::info!("re-matched {rematched} analyses; {notified} notifications queued");
    Ok(())
}
