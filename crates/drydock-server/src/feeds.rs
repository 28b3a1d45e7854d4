//! Feed updates: the service keeps its vulnerability database current by itself — from
//! another drydock's `/v1/feeds/db` (an air-gapped site's local feed service) or from the
//! feeds `drydock db update` downloads — on a timer and on `POST /v1/feeds/update`. The new
//! database replaces the old one atomically (a failed update leaves it in place), and the
//! judge then re-matches every stored analysis against it.

use drydock_store::Store;
use drydock_update::transfer::FetchAuth;
use drydock_update::UpdateConfig;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Setting holding the last update's [`FeedRun`] (JSON), shown by `GET /v1/feeds`.
pub const LAST_RUN_SETTING: &str = "feeds_last_run";

/// Where the service's vulnerability database comes from.
#[derive(Debug, Clone)]
pub enum FeedSource {
    /// Another drydock's exported database (`https://central:8228/v1/feeds/db`).
    Mirror {
        /// The export's URL.
        url: String,
        /// Credentials to fetch it with; `None` for an open server.
        auth: Option<FetchAuth>,
    },
    /// The feeds of the configuration's `[db]` section, downloaded and built as
    /// `drydock db update` does (conditional requests, resumed downloads).
    Feeds(Box<UpdateConfig>),
}

impl FeedSource {
    /// A short description without credentials.
    pub fn describe(&self) -> String {
        match self {
            FeedSource::Mirror { url, .. } => format!("mirror of {url}"),
            FeedSource::Feeds(c) => format!("{} feeds + {} local sources", c.sources.len(), c.extra_sources.len()),
        }
    }
}

/// One update, as recorded and returned by the API.
pub use drydock_api::system::FeedRun;

/// Why an update did not run.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// The service has no feed source (neither a mirror nor `[db]` feeds).
    #[error("no feed source is configured")]
    NoSource,
    /// Another update is in progress.
    #[error("a feed update is already running")]
    Busy,
}

/// Runs feed updates, one at a time.
pub struct FeedUpdater {
    source: Option<FeedSource>,
    db: PathBuf,
    running: Mutex<()>,
}

impl FeedUpdater {
    /// An updater writing `db` from `source` (`None`: updates are refused with
    /// [`FeedError::NoSource`]).
    pub fn new(source: Option<FeedSource>, db: PathBuf) -> FeedUpdater {
        FeedUpdater {
            source,
            db,
            running: Mutex::new(()),
        }
    }

    /// The configured source.
    pub fn source(&self) -> Option<&FeedSource> {
        self.source.as_ref()
    }

    /// True while an update runs.
    pub fn is_running(&self) -> bool {
        self.running.try_lock().is_err()
    }

    /// Updates the database now and records the run in the store (failures too).
    pub fn update(&self, store: &Store) -> Result<FeedRun, FeedError> {
        let source = self.source.as_ref().ok_or(FeedError::NoSource)?;
        let _guard = self.running.try_lock().map_err(|_| FeedError::Busy)?;
        let started = Instant::now();
        let started_at = drydock_store::now();
        let before = build_id_of(&self.db);
        let outcome = match source {
            FeedSource::Mirror { url, auth } => {
                drydock_update::transfer::fetch_export(url, auth.as_ref(), &self.db).map_err(|e| e.to_string())
            }
            FeedSource::Feeds(cfg) => {
                let mut cfg = (**cfg).clone();
                cfg.db_path = self.db.clone();
                drydock_update::update(&cfg, &mut |_| {})
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            }
        };
        let after = build_id_of(&self.db);
        let run = FeedRun {
            source: source.describe(),
            started_at,
            seconds: started.elapsed().as_secs_f64(),
            result: match (&outcome, before == after) {
                (Err(_), _) => "failed",
                (Ok(()), true) => "unchanged",
                (Ok(()), false) => "updated",
            }
            .into(),
            error: outcome.err(),
            build_before: before,
            build_after: after,
            advisories: drydock_vulndb::status(&self.db, None).ok().map(|s| s.advisories as i64),
        };
        match &run.error {
            Some(e) => tracing::warn!("feed update from {} failed: {e}", run.source),
            None => tracing::info!("feed update from {}: {} in {:.1}s", run.source, run.result, run.seconds),
        }
        if let Ok(text) = serde_json::to_string(&run) {
            if let Err(e) = store.set_setting(LAST_RUN_SETTING, &text) {
                tracing::warn!("cannot record the feed update: {e}");
            }
        }
        Ok(run)
    }
}

/// The database's build id, if it opens.
/// The vulnerability database as the status routes (`/v1/system/status`, `/v1/feeds`) show
/// it: `state` is `ready`, `waiting_for_feed` (none yet, a feed source will make one) or
/// `unavailable` (image checks then report `vulnerability_data_unavailable`); when present,
/// its build time, age, build id and sources with their advisory counts.
pub fn database_summary(
    path: Option<&Path>,
    source: Option<&FeedSource>,
) -> drydock_api::system::VulnDbSummary<drydock_analysis::DbStatus> {
    let opened = path.filter(|p| p.exists()).map(|p| (p, drydock_vulndb::Db::open(p)));
    let state = match (&opened, source) {
        (Some((_, Ok(_))), _) => "ready",
        (_, Some(_)) => "waiting_for_feed",
        _ => "unavailable",
    };
    let mut out = drydock_api::system::VulnDbSummary {
        state: state.to_string(),
        available: state == "ready",
        build_id: None,
        status: None,
        error: None,
        note: None,
    };
    match opened {
        Some((p, Ok(db))) => {
            out.status = Some(drydock_analysis::DbStatus::of(&db, &p.display().to_string(), None));
            out.build_id = Some(db.build_id().ok());
        }
        Some((p, Err(e))) => out.error = Some(format!("cannot open {}: {e}", p.display())),
        None => {}
    }
    out.note = match state {
        "ready" => None,
        "waiting_for_feed" => Some("no vulnerability database yet: waiting for the first feed update".into()),
        _ => Some(
            "no vulnerability database: analyses are not matched against vulnerability data and image checks report \
             vulnerability_data_unavailable"
                .into(),
        ),
    };
    out
}

fn build_id_of(db: &Path) -> Option<String> {
    if !db.exists() {
        return None;
    }
    drydock_vulndb::Db::open(db).ok()?.build_id().ok()
}

/// Time before a failed update is tried again (unless the interval is shorter).
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(15 * 60);

/// Updates every `interval` (the first right away when the database is missing; a failed
/// one again after at most 15 minutes) and then lets the judge re-match, until `stop`.
pub fn run(
    store: Store,
    updater: Arc<FeedUpdater>,
    watch: crate::watch::WatchConfig,
    interval: Duration,
    stop: Arc<AtomicBool>,
) {
    let mut next = match store.setting(LAST_RUN_SETTING).ok().flatten() {
        Some(last) if updater.db.exists() => {
            let at = serde_json::from_str::<FeedRun>(&last).map_or(0, |r| r.started_at);
            let due = at + interval.as_secs() as i64 - drydock_store::now();
            Instant::now() + Duration::from_secs(due.max(0) as u64)
        }
        _ => Instant::now(),
    };
    while !stop.load(Ordering::Relaxed) {
        if Instant::now() >= next {
            let mut wait = interval;
            match updater.update(&store) {
                Ok(run) if run.result == "updated" => {
                    if let Err(e) = crate::watch::judge(&store, &watch) {
                        tracing::warn!("re-evaluation after the feed update: {e}");
                    }
                }
                Ok(run) if run.result == "failed" => wait = interval.min(RETRY_AFTER_FAILURE),
                // Unchanged, or an update someone asked for is running.
                _ => {}
            }
            next = Instant::now() + wait;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_summary_says_whether_checks_have_vulnerability_data() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("vulndb.sqlite");
        let none = database_summary(None, None);
        assert_eq!((none.state.as_str(), none.available), ("unavailable", false));
        assert!(none.note.unwrap().contains("vulnerability_data_unavailable"));
        assert_eq!(database_summary(Some(&missing), None).state, "unavailable");
        let mirror = FeedSource::Mirror {
            url: "http://central:8228/v1/feeds/db".into(),
            auth: None,
        };
        let waiting = database_summary(Some(&missing), Some(&mirror));
        assert_eq!(waiting.state, "waiting_for_feed");
        assert!(waiting.note.unwrap().contains("waiting for the first feed update"));
    }

    #[test]
    fn updates_need_a_source_and_run_one_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite").to_str().unwrap()).unwrap();
        let db = dir.path().join("vulndb.sqlite");
        let none = FeedUpdater::new(None, db.clone());
        assert!(matches!(none.update(&store), Err(FeedError::NoSource)));
        let source = FeedSource::Mirror {
            url: "http://127.0.0.1:9/v1/feeds/db".into(),
            auth: None,
        };
        let up = FeedUpdater::new(Some(source), db.clone());
        {
            let _running = up.running.lock().unwrap();
            assert!(up.is_running());
            assert!(matches!(up.update(&store), Err(FeedError::Busy)));
        }
        // Nothing listens on port 9: recorded as failed, and no database appears.
        let run = up.update(&store).unwrap();
        assert_eq!(run.result, "failed");
        assert!(run.error.as_deref().unwrap().contains("cannot download"), "{run:?}");
        assert!(!db.exists());
        let last: FeedRun = serde_json::from_str(&store.setting(LAST_RUN_SETTING).unwrap().unwrap()).unwrap();
        assert_eq!(last.result, "failed");
    }
}
