//! What happened and how the service is: the account's events, the audit log (account
//! admins see their account's, admins every account's) and the system's health (queue,
//! vulnerability database and its last feed update, the store, the analysis cache).

use super::{frame, render, Viewer};
use crate::api::{blocking, S};
use crate::auth::Role;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::{Deserialize, Serialize};

/// Rows per page of the logs.
const PAGE: i64 = 50;

/// `?offset=` of a log page.
#[derive(Debug, Default, Deserialize)]
pub(super) struct LogQuery {
    offset: Option<i64>,
    kind: Option<String>,
}

#[derive(Debug, Serialize)]
struct LogPage<T> {
    rows: Vec<T>,
    kind: Option<String>,
    prev: Option<i64>,
    next: Option<i64>,
}

#[derive(Debug, Serialize)]
struct EventRow {
    kind: String,
    subject: String,
    detail: String,
    created_at: i64,
}

pub(super) async fn events(State(s): State<S>, Extension(v): Extension<Viewer>, Query(q): Query<LogQuery>) -> Response {
    let frame = match frame(&s, &v, "Events", "Events").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let offset = q.offset.unwrap_or(0).max(0);
    let kind = q.kind.clone().filter(|k| !k.is_empty());
    let st = s.clone();
    let account = v.principal.acting_account.clone();
    let wanted = kind.clone();
    let found = blocking(move || {
        // One more than a page tells whether there is a next one.
        let mut rows = st.store.events(&account, PAGE * 4 + 1, offset)?;
        if let Some(k) = &wanted {
            rows.retain(|e| &e.kind == k);
        }
        Ok(rows)
    })
    .await;
    let mut rows = match found {
        Ok(r) => r,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let page = LogPage {
        rows: rows
            .into_iter()
            .map(|e| EventRow {
                kind: e.kind,
                subject: e.subject,
                detail: e.detail.to_string(),
                created_at: e.created_at,
            })
            .collect(),
        kind,
        prev: (offset > 0).then(|| (offset - PAGE).max(0)),
        next: more.then_some(offset + PAGE),
    };
    render(&s, "events.html", &frame, &page).into_response()
}

#[derive(Debug, Serialize)]
struct AuditRow {
    account: Option<String>,
    user: Option<String>,
    method: String,
    path: String,
    status: i64,
    remote: Option<String>,
    created_at: i64,
}

pub(super) async fn audit(State(s): State<S>, Extension(v): Extension<Viewer>, Query(q): Query<LogQuery>) -> Response {
    let frame = match frame(&s, &v, "Audit log", "Audit").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let offset = q.offset.unwrap_or(0).max(0);
    let st = s.clone();
    let scope = (v.principal.role != Role::Admin).then(|| v.principal.acting_account.clone());
    let found = blocking(move || Ok(st.store.audit_log(scope.as_deref(), PAGE + 1, offset)?)).await;
    let mut rows = match found {
        Ok(r) => r,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    let text = |r: &serde_json::Value, k: &str| r.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let page = LogPage {
        rows: rows
            .iter()
            .map(|r| AuditRow {
                account: text(r, "account"),
                user: text(r, "user"),
                method: text(r, "method").unwrap_or_default(),
                path: text(r, "path").unwrap_or_default(),
                status: r.get("status").and_then(|v| v.as_i64()).unwrap_or(0),
                remote: text(r, "remote"),
                created_at: r.get("created_at").and_then(|v| v.as_i64()).unwrap_or(0),
            })
            .collect(),
        kind: None,
        prev: (offset > 0).then(|| (offset - PAGE).max(0)),
        next: more.then_some(offset + PAGE),
    };
    render(&s, "audit.html", &frame, &page).into_response()
}

#[derive(Debug, Serialize)]
struct SystemPage {
    version: &'static str,
    store: String,
    queued: i64,
    running: i64,
    database_state: String,
    database_note: Option<String>,
    database_built: Option<String>,
    database_error: Option<String>,
    feed_source: Option<String>,
    last_update: Option<drydock_api::system::FeedRun>,
    cached_documents: usize,
    cached_mib: String,
}

pub(super) async fn system(State(s): State<S>, Extension(v): Extension<Viewer>) -> Response {
    let frame = match frame(&s, &v, "System", "System").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let st = s.clone();
    let found = blocking(move || {
        let (queued, running) = st.store.queue_depth()?;
        let db = crate::feeds::database_summary(st.watch.vulndb.as_deref(), st.feeds.source());
        let last: Option<drydock_api::system::FeedRun> = st
            .store
            .setting(crate::feeds::LAST_RUN_SETTING)?
            .and_then(|t| serde_json::from_str(&t).ok());
        Ok((queued, running, db, last))
    })
    .await;
    let (queued, running, db, last) = match found {
        Ok(x) => x,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    let (docs, bytes) = s.analyses.usage();
    let page = SystemPage {
        version: env!("CARGO_PKG_VERSION"),
        store: s.store.kind().to_string(),
        queued,
        running,
        database_state: db.state.replace('_', " "),
        database_note: db.note,
        database_built: db.status.as_ref().and_then(|d| d.built_at.clone()),
        database_error: db.error,
        feed_source: s.feeds.source().map(|f| f.describe()),
        last_update: last,
        cached_documents: docs,
        cached_mib: format!("{:.1}", bytes as f64 / 1_048_576.0),
    };
    render(&s, "system.html", &frame, &page).into_response()
}
