//! The service itself: health, readiness, metrics, this API's document, status, and the
//! vulnerability database (its status, updates from the feeds, the file for mirrors).

use super::{blocking, ok, reply, ApiError, ApiResult, Principal, S};
use crate::auth::Role;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use drydock_api::system::{FeedRun, FeedStarted, FeedUpdate, FeedUpdateQuery, Feeds, Health, Queue, SystemStatus};

fn health_of(status: &str) -> Json<Health> {
    Json(Health {
        status: status.to_string(),
    })
}

pub(super) async fn health() -> Response {
    health_of("ok").into_response()
}

pub(super) async fn ready(State(s): State<S>) -> Response {
    let store = s.store.clone();
    match blocking(move || Ok(store.queue_depth()?)).await {
        Ok(_) => health_of("ready").into_response(),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, health_of("database unavailable")).into_response(),
    }
}

/// Prometheus metrics. Everyone authenticated sees the service's health (requests, queue,
/// analyses, database age); only admins see the findings totals, which sum every account.
pub(super) async fn metrics(State(s): State<S>, axum::Extension(p): axum::Extension<Principal>) -> ApiResult {
    let store = s.store.clone();
    let vulndb = s.watch.vulndb.clone();
    let fleet = p.role == Role::Admin;
    let (queued, running, severities, age) = blocking(move || {
        let (q, r) = store.queue_depth()?;
        let sev = if fleet { Some(store.severity_totals()?) } else { None };
        let age = vulndb
            .filter(|p| p.exists())
            .and_then(|p| drydock_vulndb::Db::open(&p).ok())
            .and_then(|db| db.meta("built_at_unix").ok().flatten())
            .and_then(|b| b.parse::<u64>().ok())
            .map(|b| drydock_analysis::now_unix().saturating_sub(b));
        Ok((q, r, sev, age))
    })
    .await?;
    let text = s.metrics.render(queued, running, severities.as_ref(), age);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response())
}

pub(super) async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}

pub(super) async fn system_status(State(s): State<S>) -> ApiResult {
    let state = s.clone();
    let (queued, running, vulndb) = blocking(move || {
        let (q, r) = state.store.queue_depth()?;
        let db = crate::feeds::database_summary(state.watch.vulndb.as_deref(), state.feeds.source());
        Ok((q, r, db))
    })
    .await?;
    ok(SystemStatus {
        version: env!("CARGO_PKG_VERSION").to_string(),
        database: s.store.kind().to_string(),
        queue: Queue { queued, running },
        vulnerability_database: vulndb,
    })
}

pub(super) async fn feeds(State(s): State<S>) -> ApiResult {
    let source = s.feeds.source().map(|f| f.describe());
    let store = s.store.clone();
    let path = s.watch.vulndb.clone().filter(|p| p.exists());
    let (status, last) = blocking(move || {
        let last: Option<FeedRun> = store
            .setting(crate::feeds::LAST_RUN_SETTING)?
            .and_then(|t| serde_json::from_str(&t).ok());
        let Some(path) = path else { return Ok((None, last)) };
        let db = drydock_vulndb::Db::open(&path)
            .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        Ok((
            Some(drydock_analysis::DbStatus::of(&db, &path.display().to_string(), None)),
            last,
        ))
    })
    .await?;
    let note = status
        .is_none()
        .then(|| "no vulnerability database configured (--db, --feed-url or a [db] section in --config)".to_string());
    ok(Feeds {
        database: status,
        source,
        last_update: last,
        note,
    })
}

pub(super) async fn feeds_update(State(s): State<S>, Query(q): Query<FeedUpdateQuery>) -> ApiResult {
    let (store, cfg, feeds) = (s.store.clone(), s.watch.clone(), s.feeds.clone());
    if q.wait.as_deref() == Some("false") {
        if feeds.source().is_none() {
            return Err(ApiError::bad("no feed source is configured")
                .hint("start the server with --feed-url, or a [db] section in --config"));
        }
        if feeds.is_running() {
            return Err(ApiError::new(StatusCode::CONFLICT, "a feed update is already running"));
        }
        std::thread::spawn(move || {
            if let Ok(run) = feeds.update(&store) {
                if run.result == "updated" {
                    if let Err(e) = crate::watch::judge(&store, &cfg) {
                        tracing::warn!("re-evaluation after the feed update: {e}");
                    }
                }
            }
        });
        return reply(
            StatusCode::ACCEPTED,
            FeedStarted {
                status: "started".into(),
            },
        );
    }
    let run = blocking(move || {
        let run = match feeds.update(&store) {
            Ok(run) => Some(run),
            Err(crate::feeds::FeedError::NoSource) => None,
            Err(e @ crate::feeds::FeedError::Busy) => {
                return Err(ApiError::new(StatusCode::CONFLICT, e.to_string())
                    .hint("GET /v1/feeds shows the last update; try again when it is done"))
            }
        };
        crate::watch::judge(&store, &cfg).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
        Ok(run)
    })
    .await?;
    match run {
        Some(run) if run.result == "failed" => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            format!("the feed update failed: {}", run.error.unwrap_or_default()),
        )
        .hint("the previous database is still in use; GET /v1/feeds shows it")),
        Some(run) => ok(FeedUpdate {
            update: Some(run),
            reevaluated: true,
            note: None,
        }),
        None => ok(FeedUpdate {
            update: None,
            reevaluated: true,
            note: Some(
                "no feed source is configured (--feed-url, or a [db] section in --config): stored analyses were \
                 re-matched against the database file as it is"
                    .into(),
            ),
        }),
    }
}

pub(super) async fn feeds_db(State(s): State<S>) -> ApiResult {
    let Some(path) = s.watch.vulndb.clone().filter(|p| p.exists()) else {
        return Err(ApiError::not_found("vulnerability database"));
    };
    let export = s
        .watch
        .export_path
        .clone()
        .ok_or_else(|| ApiError::not_found("export location"))?;
    // Export again when the database is newer than the last export.
    let file = blocking(move || {
        let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        if modified(&export) < modified(&path) || !export.exists() {
            drydock_vulndb::export(&path, &export).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot export the database: {e}"),
                )
            })?;
        }
        Ok(export)
    })
    .await?;
    // Streamed: the export can be large.
    let f = tokio::fs::File::open(&file).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read the export: {e}"),
        )
    })?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(f));
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}
