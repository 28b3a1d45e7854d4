//! The REST API (`/v1`), shaped after Anchore's. Every route is declared once in
//! [`ROUTES`] (`drydock-api`) with the permission it needs: the router, the authorisation
//! middleware, the OpenAPI document and the route × role tests all read that table. Request
//! and response bodies are the types of `drydock-api`; the handlers live in one module per
//! resource.

pub(crate) mod access;
pub(crate) mod accounts;
pub(crate) mod analysis;
pub(crate) mod images;
mod notify;
pub(crate) mod policies;
mod queries;
mod registries;
mod system;

use crate::auth::{self, Role};
use crate::metrics::Metrics;
use axum::http::{header, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::{Json, Router};
use drydock_api::{ErrorBody, PageQuery};
pub use drydock_api::{RouteSpec, ROUTES};
use drydock_store::{Store, StoreError};
use serde::Serialize;
use std::sync::Arc;

/// Largest request body.
pub const MAX_BODY: usize = 8 << 20;
/// Largest page.
pub const MAX_PAGE: i64 = 500;
/// Shared by the handlers.
pub struct AppState {
    /// The database every handler reads and writes.
    pub store: Store,
    /// Locks out repeated failed logins per user and remote address.
    pub limiter: auth::LoginLimiter,
    /// Recently verified passwords (salted hashes of them).
    pub credentials: auth::CredentialCache,
    /// Bounds the argon2 verifications running at once.
    pub verifications: tokio::sync::Semaphore,
    /// Counters and histograms served at `/metrics`.
    pub metrics: Arc<Metrics>,
    /// The watchers' settings (vulnerability database, registries), for the feeds routes.
    pub watch: crate::watch::WatchConfig,
    /// Seals registry passwords.
    pub sealer: Arc<crate::seal::Sealer>,
    /// Webhooks may call internal addresses.
    pub allow_internal_webhooks: bool,
    /// Updates the vulnerability database from the configured feeds.
    pub feeds: Arc<crate::feeds::FeedUpdater>,
    /// Parsed analysis documents.
    pub analyses: crate::cache::AnalysisCache,
    /// The web UI's compiled templates.
    pub ui: drydock_web::Ui,
}

pub(crate) type S = Arc<AppState>;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The user name that authenticated.
    pub user: String,
    /// The account the user belongs to.
    pub account: String,
    /// What the user may do.
    pub role: Role,
    /// The account the call acts on (admins may name another with `x-drydock-account`).
    pub acting_account: String,
}

/// An API error: status, message and optional hint, as JSON.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
    hint: Option<String>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            hint: None,
        }
    }
    pub(crate) fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{} not found", what.into()))
    }
    /// Status, message and hint (for the web UI's error pages).
    pub(crate) fn parts(&self) -> (StatusCode, &str, Option<&str>) {
        (self.status, &self.message, self.hint.as_deref())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(w) => ApiError::not_found(w),
            StoreError::Exists(w) => ApiError::new(StatusCode::CONFLICT, format!("{w} already exists")),
            other => {
                tracing::error!("store: {other}");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal storage error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message,
            hint: self.hint,
        };
        let mut resp = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            resp.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"drydock\""),
            );
        }
        resp
    }
}

pub(crate) type ApiResult = Result<Response, ApiError>;

/// Runs blocking store work off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "worker task failed"))?
}

fn handler(spec: &RouteSpec) -> MethodRouter<S> {
    match (spec.method, spec.path) {
        ("GET", "/health") => get(system::health),
        ("GET", "/ready") => get(system::ready),
        ("GET", "/metrics") => get(system::metrics),
        ("GET", "/v1/openapi.json") => get(system::openapi),
        ("GET", "/v1/system/status") => get(system::system_status),
        ("POST", "/v1/images") => post(images::image_add),
        ("GET", "/v1/images") => get(images::image_list),
        ("GET", "/v1/images/{id}") => get(images::image_get),
        ("DELETE", "/v1/images/{id}") => delete(images::image_delete),
        ("GET", "/v1/images/{id}/sbom") => get(analysis::image_sbom),
        ("GET", "/v1/images/{id}/vuln/{kind}") => get(analysis::image_vuln),
        ("GET", "/v1/images/{id}/content/{kind}") => get(analysis::image_content),
        ("GET", "/v1/images/{id}/check") => get(analysis::image_check),
        ("GET", "/v1/images/{id}/secrets") => get(analysis::image_secrets),
        ("GET", "/v1/images/{id}/misconfig") => get(analysis::image_misconfig),
        ("GET", "/v1/history") => get(images::history),
        ("POST", "/v1/policies") => post(policies::policy_add),
        ("GET", "/v1/policies") => get(policies::policy_list),
        ("GET", "/v1/policies/{id}") => get(policies::policy_get),
        ("PUT", "/v1/policies/{id}") => put(policies::policy_put),
        ("DELETE", "/v1/policies/{id}") => delete(policies::policy_delete),
        ("POST", "/v1/policies/{id}/activate") => post(policies::policy_activate),
        ("GET", "/v1/events") => get(notify::events),
        ("POST", "/v1/users") => post(accounts::user_add),
        ("GET", "/v1/users") => get(accounts::user_list),
        ("DELETE", "/v1/users/{name}") => delete(accounts::user_delete),
        ("POST", "/v1/apikeys") => post(accounts::apikey_create),
        ("DELETE", "/v1/apikeys/{id}") => delete(accounts::apikey_revoke),
        ("POST", "/v1/accounts") => post(accounts::account_add),
        ("GET", "/v1/accounts") => get(accounts::account_list),
        ("POST", "/v1/subscriptions") => post(notify::subscription_add),
        ("GET", "/v1/subscriptions") => get(notify::subscription_list),
        ("DELETE", "/v1/subscriptions/{id}") => delete(notify::subscription_delete),
        ("POST", "/v1/webhooks") => post(notify::webhook_add),
        ("GET", "/v1/webhooks") => get(notify::webhook_list),
        ("DELETE", "/v1/webhooks/{id}") => delete(notify::webhook_delete),
        ("GET", "/v1/notifications") => get(notify::notification_log),
        ("GET", "/v1/feeds") => get(system::feeds),
        ("POST", "/v1/feeds/update") => post(system::feeds_update),
        ("GET", "/v1/feeds/db") => get(system::feeds_db),
        ("POST", "/v1/registries") => post(registries::registry_add),
        ("GET", "/v1/registries") => get(registries::registry_list),
        ("DELETE", "/v1/registries/{registry}") => delete(registries::registry_delete),
        ("GET", "/v1/query/vulnerability") => get(queries::query_vulnerability),
        ("GET", "/v1/query/package") => get(queries::query_package),
        ("GET", "/v1/diff") => get(images::diff),
        ("GET", "/v1/audit") => get(notify::audit_log),
        (m, p) => unreachable!("route {m} {p} has no handler"),
    }
}

/// The whole application.
pub fn router(state: S) -> Router {
    let mut app: Router<S> = Router::new();
    for spec in ROUTES {
        app = app.route(spec.path, handler(spec));
    }
    app.route_layer(middleware::from_fn_with_state(state.clone(), access::authorize))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

/// One page of a list the store returns whole (lists that stay small: policies, users…):
/// the items, limit, offset and total.
pub(crate) fn paged<T>(items: Vec<T>, q: &PageQuery) -> Result<(Vec<T>, i64, i64, usize), ApiError> {
    let (limit, offset) = page(q.limit, q.offset)?;
    let total = items.len();
    let slice: Vec<T> = items.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok((slice, limit, offset, total))
}

/// Checks `limit` (1..=[`MAX_PAGE`], default 100) and `offset` (≥ 0, default 0).
pub(crate) fn page(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), ApiError> {
    let limit = limit.unwrap_or(100);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_PAGE).contains(&limit) || offset < 0 {
        return Err(ApiError::bad(format!("limit must be 1..={MAX_PAGE} and offset ≥ 0")));
    }
    Ok((limit, offset))
}

/// A JSON answer with a status.
pub(crate) fn reply<T: Serialize>(status: StatusCode, body: T) -> ApiResult {
    Ok((status, Json(body)).into_response())
}

/// A 200 JSON answer.
pub(crate) fn ok<T: Serialize>(body: T) -> ApiResult {
    reply(StatusCode::OK, body)
}

/// A 204 answer.
pub(crate) fn no_content() -> ApiResult {
    Ok(StatusCode::NO_CONTENT.into_response())
}
