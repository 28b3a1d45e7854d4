//! The REST API (`/v1`), shaped after Anchore's. Every route is declared once in
//! [`ROUTES`] with the permission it needs: the router, the authorisation middleware, the
//! OpenAPI document and the route × role tests all read that table.

use crate::auth::{self, Perm, Role};
use crate::metrics::Metrics;
use axum::extract::{ConnectInfo, MatchedPath, Path, Query, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::{Json, Router};
use drydock_analysis::Analysis;
use drydock_policy::{EvalContext, EvalOptions, ImageTarget};
use drydock_store::{Store, StoreError};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

/// Largest request body.
pub const MAX_BODY: usize = 8 << 20;
/// Largest page.
pub const MAX_PAGE: i64 = 500;

/// One route: method, path (axum syntax), permission, summary.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    pub method: &'static str,
    pub path: &'static str,
    pub perm: Perm,
    pub summary: &'static str,
}

const fn r(method: &'static str, path: &'static str, perm: Perm, summary: &'static str) -> RouteSpec {
    RouteSpec {
        method,
        path,
        perm,
        summary,
    }
}

/// Every route.
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/health", Perm::Public, "Liveness: the process answers."),
    r("GET", "/ready", Perm::Public, "Readiness: the database answers."),
    r("GET", "/metrics", Perm::Authenticated, "Prometheus metrics."),
    r(
        "GET",
        "/v1/openapi.json",
        Perm::Authenticated,
        "This API, as OpenAPI 3.0.",
    ),
    r(
        "GET",
        "/v1/system/status",
        Perm::Authenticated,
        "Service status: database, queue, version.",
    ),
    r(
        "POST",
        "/v1/images",
        Perm::ImageWrite,
        "Add an image by tag: a new digest is queued for analysis (202); a digest the account already has \
         returns that image and queues nothing (200) unless force=true.",
    ),
    r(
        "GET",
        "/v1/images",
        Perm::ImageRead,
        "List images (status, registry, repository, tag, limit, offset).",
    ),
    r(
        "GET",
        "/v1/images/{id}",
        Perm::ImageRead,
        "One image by id or manifest digest.",
    ),
    r(
        "DELETE",
        "/v1/images/{id}",
        Perm::ImageWrite,
        "Delete an image and its stored analysis.",
    ),
    r(
        "GET",
        "/v1/images/{id}/sbom",
        Perm::ImageRead,
        "The SBOM (format=native|cyclonedx|spdx).",
    ),
    r(
        "GET",
        "/v1/images/{id}/vuln/{kind}",
        Perm::ImageRead,
        "Vulnerabilities: os, non-os or all (format=api, json, table, sarif or cyclonedx-json: as drydock scan -o).",
    ),
    r(
        "GET",
        "/v1/images/{id}/content/{kind}",
        Perm::ImageRead,
        "Packages of one type (os, python, npm, java, gem, go, rust, php, dotnet, binary) or files.",
    ),
    r(
        "GET",
        "/v1/images/{id}/check",
        Perm::ImageRead,
        "Policy evaluation (policy=ID, else the active bundle; tag=; format=api, json, table, junit or sarif: as \
         drydock check -o).",
    ),
    r(
        "GET",
        "/v1/images/{id}/secrets",
        Perm::ImageRead,
        "Secrets found (redacted).",
    ),
    r(
        "GET",
        "/v1/images/{id}/misconfig",
        Perm::ImageRead,
        "Misconfigurations found.",
    ),
    r("GET", "/v1/history", Perm::ImageRead, "Tag → digest history (tag=)."),
    r(
        "POST",
        "/v1/policies",
        Perm::PolicyWrite,
        "Add a policy bundle (validated).",
    ),
    r("GET", "/v1/policies", Perm::PolicyRead, "List policy bundles."),
    r("GET", "/v1/policies/{id}", Perm::PolicyRead, "One policy bundle."),
    r(
        "PUT",
        "/v1/policies/{id}",
        Perm::PolicyWrite,
        "Replace a policy bundle.",
    ),
    r(
        "DELETE",
        "/v1/policies/{id}",
        Perm::PolicyWrite,
        "Delete a policy bundle.",
    ),
    r(
        "POST",
        "/v1/policies/{id}/activate",
        Perm::PolicyWrite,
        "Make a bundle the account's active one.",
    ),
    r(
        "GET",
        "/v1/events",
        Perm::EventRead,
        "Events, newest first (limit, offset).",
    ),
    r(
        "POST",
        "/v1/users",
        Perm::UserAdmin,
        "Add a user (name, password, role; account for admins).",
    ),
    r("GET", "/v1/users", Perm::UserAdmin, "List users."),
    r("DELETE", "/v1/users/{name}", Perm::UserAdmin, "Delete a user."),
    r(
        "POST",
        "/v1/apikeys",
        Perm::Authenticated,
        "Create an API key for yourself (shown once).",
    ),
    r(
        "DELETE",
        "/v1/apikeys/{id}",
        Perm::Authenticated,
        "Revoke one of your API keys (any key for user admins).",
    ),
    r("POST", "/v1/accounts", Perm::SystemAdmin, "Add an account."),
    r("GET", "/v1/accounts", Perm::SystemAdmin, "List accounts."),
    r(
        "POST",
        "/v1/subscriptions",
        Perm::ImageWrite,
        "Subscribe to tag_update, vuln_update, policy_eval or analysis_update of a tag.",
    ),
    r("GET", "/v1/subscriptions", Perm::ImageRead, "List subscriptions."),
    r(
        "DELETE",
        "/v1/subscriptions/{id}",
        Perm::ImageWrite,
        "Delete a subscription.",
    ),
    r(
        "POST",
        "/v1/webhooks",
        Perm::UserAdmin,
        "Add a webhook endpoint (its signing secret is returned once).",
    ),
    r(
        "GET",
        "/v1/webhooks",
        Perm::UserAdmin,
        "List webhook endpoints (without secrets).",
    ),
    r(
        "DELETE",
        "/v1/webhooks/{id}",
        Perm::UserAdmin,
        "Delete a webhook endpoint.",
    ),
    r(
        "GET",
        "/v1/notifications",
        Perm::EventRead,
        "The notification delivery log, newest first.",
    ),
    r(
        "GET",
        "/v1/feeds",
        Perm::Authenticated,
        "Vulnerability database status.",
    ),
    r(
        "POST",
        "/v1/feeds/update",
        Perm::SystemAdmin,
        "Update the vulnerability database from the configured feeds now, then re-match stored analyses (wait=false: in the background).",
    ),
    r(
        "GET",
        "/v1/feeds/db",
        Perm::Authenticated,
        "The vulnerability database file, for `drydock db update --from-url`.",
    ),
    r(
        "POST",
        "/v1/registries",
        Perm::UserAdmin,
        "Store credentials for a registry (encrypted at rest; never returned).",
    ),
    r(
        "GET",
        "/v1/registries",
        Perm::ImageRead,
        "List registries with stored credentials (no passwords).",
    ),
    r(
        "DELETE",
        "/v1/registries/{registry}",
        Perm::UserAdmin,
        "Delete a registry's credentials.",
    ),
    r(
        "GET",
        "/v1/query/vulnerability",
        Perm::ImageRead,
        "Images affected by a vulnerability (id=CVE-… or GHSA-…).",
    ),
    r(
        "GET",
        "/v1/query/package",
        Perm::ImageRead,
        "Images containing a package (name=; optional version=, type=, min_version= <= v < max_version=).",
    ),
    r(
        "GET",
        "/v1/diff",
        Perm::ImageRead,
        "Packages and files added, removed or changed between two images (from=, to=).",
    ),
    r(
        "GET",
        "/v1/audit",
        Perm::UserAdmin,
        "The audit log: every mutating call (who, what, when, from where, result).",
    ),
];

/// Shared by the handlers.
pub struct AppState {
    pub store: Store,
    pub limiter: auth::LoginLimiter,
    /// Recently verified passwords (salted hashes of them).
    pub credentials: auth::CredentialCache,
    /// Bounds the argon2 verifications running at once.
    pub verifications: tokio::sync::Semaphore,
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
}

type S = Arc<AppState>;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: String,
    pub account: String,
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
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            hint: None,
        }
    }
    fn hint(mut self, h: impl Into<String>) -> Self {
        self.hint = Some(h.into());
        self
    }
    fn bad(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{} not found", what.into()))
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
        let mut body = json!({ "error": self.message });
        if let Some(h) = self.hint {
            body["hint"] = h.into();
        }
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

type ApiResult = Result<Response, ApiError>;

/// Runs blocking store work off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "worker task failed"))?
}

fn handler(spec: &RouteSpec) -> MethodRouter<S> {
    match (spec.method, spec.path) {
        ("GET", "/health") => get(health),
        ("GET", "/ready") => get(ready),
        ("GET", "/metrics") => get(metrics),
        ("GET", "/v1/openapi.json") => get(openapi),
        ("GET", "/v1/system/status") => get(system_status),
        ("POST", "/v1/images") => post(image_add),
        ("GET", "/v1/images") => get(image_list),
        ("GET", "/v1/images/{id}") => get(image_get),
        ("DELETE", "/v1/images/{id}") => delete(image_delete),
        ("GET", "/v1/images/{id}/sbom") => get(image_sbom),
        ("GET", "/v1/images/{id}/vuln/{kind}") => get(image_vuln),
        ("GET", "/v1/images/{id}/content/{kind}") => get(image_content),
        ("GET", "/v1/images/{id}/check") => get(image_check),
        ("GET", "/v1/images/{id}/secrets") => get(image_secrets),
        ("GET", "/v1/images/{id}/misconfig") => get(image_misconfig),
        ("GET", "/v1/history") => get(history),
        ("POST", "/v1/policies") => post(policy_add),
        ("GET", "/v1/policies") => get(policy_list),
        ("GET", "/v1/policies/{id}") => get(policy_get),
        ("PUT", "/v1/policies/{id}") => put(policy_put),
        ("DELETE", "/v1/policies/{id}") => delete(policy_delete),
        ("POST", "/v1/policies/{id}/activate") => post(policy_activate),
        ("GET", "/v1/events") => get(events),
        ("POST", "/v1/users") => post(user_add),
        ("GET", "/v1/users") => get(user_list),
        ("DELETE", "/v1/users/{name}") => delete(user_delete),
        ("POST", "/v1/apikeys") => post(apikey_create),
        ("DELETE", "/v1/apikeys/{id}") => delete(apikey_revoke),
        ("POST", "/v1/accounts") => post(account_add),
        ("GET", "/v1/accounts") => get(account_list),
        ("POST", "/v1/subscriptions") => post(subscription_add),
        ("GET", "/v1/subscriptions") => get(subscription_list),
        ("DELETE", "/v1/subscriptions/{id}") => delete(subscription_delete),
        ("POST", "/v1/webhooks") => post(webhook_add),
        ("GET", "/v1/webhooks") => get(webhook_list),
        ("DELETE", "/v1/webhooks/{id}") => delete(webhook_delete),
        ("GET", "/v1/notifications") => get(notification_log),
        ("GET", "/v1/feeds") => get(feeds),
        ("POST", "/v1/feeds/update") => post(feeds_update),
        ("GET", "/v1/feeds/db") => get(feeds_db),
        ("POST", "/v1/registries") => post(registry_add),
        ("GET", "/v1/registries") => get(registry_list),
        ("DELETE", "/v1/registries/{registry}") => delete(registry_delete),
        ("GET", "/v1/query/vulnerability") => get(query_vulnerability),
        ("GET", "/v1/query/package") => get(query_package),
        ("GET", "/v1/diff") => get(diff),
        ("GET", "/v1/audit") => get(audit_log),
        (m, p) => unreachable!("route {m} {p} has no handler"),
    }
}

/// The whole application.
pub fn router(state: S) -> Router {
    let mut app: Router<S> = Router::new();
    for spec in ROUTES {
        app = app.route(spec.path, handler(spec));
    }
    app.route_layer(middleware::from_fn_with_state(state.clone(), authorize))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

fn spec_of(method: &Method, path: &str) -> Option<&'static RouteSpec> {
    ROUTES.iter().find(|r| r.path == path && r.method == method.as_str())
}

/// Authenticates, authorises by role, counts and audits every call.
async fn authorize(State(state): State<S>, matched: MatchedPath, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = matched.as_str().to_string();
    let remote = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let Some(spec) = spec_of(&method, &route) else {
        return ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed").into_response();
    };
    let mut principal = None;
    let response = if spec.perm == Perm::Public {
        next.run(req).await
    } else {
        match authenticate(&state, req.headers(), remote.as_deref().unwrap_or("-")).await {
            Err(e) => e.into_response(),
            Ok(p) if !permitted(&p, spec.perm) => ApiError::new(
                StatusCode::FORBIDDEN,
                format!("role {} may not {} {}", p.role.as_str(), method, route),
            )
            .into_response(),
            Ok(p) => {
                principal = Some(p.clone());
                req.extensions_mut().insert(p);
                next.run(req).await
            }
        }
    };
    let status = response.status().as_u16();
    state.metrics.http(&method, &route, status);
    if method != Method::GET {
        let store = state.store.clone();
        let path = route.clone();
        tokio::task::spawn_blocking(move || {
            let (account, user) = principal
                .as_ref()
                .map(|p| (Some(p.acting_account.clone()), Some(p.user.clone())))
                .unwrap_or((None, None));
            if let Err(e) = store.audit(
                account.as_deref(),
                user.as_deref(),
                method.as_str(),
                &path,
                status,
                remote.as_deref(),
            ) {
                tracing::warn!("audit record lost: {e}");
            }
        });
    }
    response
}

fn permitted(p: &Principal, perm: Perm) -> bool {
    match perm {
        Perm::Public | Perm::Authenticated => true,
        other => p.role.allows(other),
    }
}

/// How long a request waits for a password verification slot before it is turned away.
const VERIFY_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

async fn authenticate(state: &S, headers: &HeaderMap, remote: &str) -> Result<Principal, ApiError> {
    let unauthorized = || {
        ApiError::new(StatusCode::UNAUTHORIZED, "authentication required")
            .hint("use HTTP basic auth (user:password) or an API key as `Authorization: Bearer ddk_…`")
    };
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(unauthorized)?
        .to_string();
    let account_header = headers
        .get("x-drydock-account")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let remote = remote.to_string();
    let u = if let Some(key) = value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")) {
        // Keys are random: a SHA-256 of the secret suffices, no argon2.
        let (id, secret) = auth::parse_api_key(key.trim()).ok_or_else(unauthorized)?;
        let (id, secret) = (id.to_string(), secret.to_string());
        let state = state.clone();
        blocking(move || match state.store.api_key(&id)? {
            Some((user, hash)) if hash == auth::hash_key_secret(&secret) => {
                state.store.user(&user)?.ok_or_else(unauthorized)
            }
            _ => Err(unauthorized()),
        })
        .await?
    } else {
        let (user, password) = auth::parse_basic(&value).ok_or_else(unauthorized)?;
        if user.len() > 256 || password.len() > 1024 {
            return Err(unauthorized());
        }
        if !state.limiter.allowed(&remote, &user) {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too many failed logins; wait a minute",
            ));
        }
        let found = {
            let (state, user) = (state.clone(), user.clone());
            blocking(move || Ok(state.store.user(&user)?)).await?
        };
        let cached = found
            .as_ref()
            .is_some_and(|u| state.credentials.hit(&user, &password, &u.password_hash));
        if cached {
            found.ok_or_else(unauthorized)?
        } else {
            // argon2 holds 19 MiB and a core: a bounded number run at once, the rest wait
            // (briefly) for a slot; a waiter rechecks the cache, which a concurrent request
            // with the same credentials has likely filled.
            let _permit = match tokio::time::timeout(VERIFY_WAIT, state.verifications.acquire()).await {
                Ok(Ok(p)) => p,
                _ => {
                    return Err(
                        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "too many logins at once")
                            .hint("retry shortly, or use an API key"),
                    )
                }
            };
            let state = state.clone();
            blocking(move || {
                // Unknown users are verified against a dummy hash: the answer takes as long.
                let stored = found
                    .as_ref()
                    .map_or_else(|| auth::dummy_hash().to_string(), |u| u.password_hash.clone());
                let ok = (found.is_some() && state.credentials.hit(&user, &password, &stored))
                    || auth::verify_password(&password, &stored);
                match found {
                    Some(u) if ok => {
                        state.limiter.succeeded(&remote, &user);
                        state.credentials.insert(&user, &password, &u.password_hash);
                        Ok(u)
                    }
                    _ => {
                        state.limiter.failed(&remote, &user);
                        Err(unauthorized())
                    }
                }
            })
            .await?
        }
    };
    let role = Role::parse(&u.role).ok_or_else(unauthorized)?;
    let acting_account = match account_header {
        Some(a) if role == Role::Admin => a,
        _ => u.account.clone(),
    };
    Ok(Principal {
        user: u.name,
        account: u.account,
        role,
        acting_account,
    })
}

/// What a by-id write acts on, for [`owned`].
#[derive(Debug, Clone, Copy)]
enum Resource {
    ApiKey,
    User,
    Image,
    Policy,
    Subscription,
    Webhook,
    Registry,
}

/// The one account-ownership check of every by-id write: the resource must belong to the
/// account the caller acts on. Admins may act on users and API keys of every account
/// (those ids are global); everything else is scoped by the acting account
/// (`x-drydock-account`). Another account's resource answers 404, like an id that does
/// not exist, so ids of other accounts are never confirmed.
fn owned(store: &Store, p: &Principal, what: Resource, id: &str) -> Result<(), ApiError> {
    let (owner, label) = match what {
        Resource::ApiKey => (
            store.api_key_owner(id)?.and_then(|(user, account)| {
                // Your own key, or a key of your account when you administer its users.
                (user == p.user || p.role.allows(Perm::UserAdmin)).then_some(account)
            }),
            "API key",
        ),
        Resource::User => (store.user(id)?.map(|u| u.account), "user"),
        Resource::Image => (
            store.image(&p.acting_account, id)?.map(|_| p.acting_account.clone()),
            "image",
        ),
        Resource::Policy => (
            store
                .policy(&p.acting_account, Some(id))?
                .map(|_| p.acting_account.clone()),
            "policy",
        ),
        Resource::Subscription => (
            store
                .subscriptions(Some(&p.acting_account), None)?
                .into_iter()
                .find(|s| s.id == id)
                .map(|s| s.account),
            "subscription",
        ),
        Resource::Webhook => (
            store
                .webhooks(&p.acting_account)?
                .into_iter()
                .find(|w| w.id == id)
                .map(|w| w.account),
            "webhook",
        ),
        Resource::Registry => (
            store
                .registries(&p.acting_account)?
                .into_iter()
                .find(|r| r.registry == id)
                .map(|_| p.acting_account.clone()),
            "registry",
        ),
    };
    let global = matches!(what, Resource::ApiKey | Resource::User);
    match owner {
        Some(a) if a == p.acting_account || (global && p.role == Role::Admin) => Ok(()),
        _ => Err(ApiError::not_found(label)),
    }
}

// Handlers.

async fn health() -> Response {
    Json(json!({"status": "ok"})).into_response()
}

async fn ready(State(s): State<S>) -> Response {
    let store = s.store.clone();
    match blocking(move || Ok(store.queue_depth()?)).await {
        Ok(_) => Json(json!({"status": "ready"})).into_response(),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "database unavailable"})),
        )
            .into_response(),
    }
}

/// Prometheus metrics. Everyone authenticated sees the service's health (requests, queue,
/// analyses, database age); only admins see the findings totals, which sum every account.
async fn metrics(State(s): State<S>, axum::Extension(p): axum::Extension<Principal>) -> ApiResult {
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

async fn openapi() -> Response {
    Json(crate::openapi::document()).into_response()
}

async fn system_status(State(s): State<S>) -> ApiResult {
    let state = s.clone();
    let (queued, running, vulndb) = blocking(move || {
        let (q, r) = state.store.queue_depth()?;
        let db = crate::feeds::database_summary(state.watch.vulndb.as_deref(), state.feeds.source());
        Ok((q, r, db))
    })
    .await?;
    Ok(Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "database": s.store.kind(),
        "queue": {"queued": queued, "running": running},
        "vulnerability_database": vulndb,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct AddImage {
    tag: String,
    /// Analyse again even when the digest already has an analysis.
    #[serde(default)]
    force: bool,
}

#[derive(Deserialize)]
struct AddImageQuery {
    force: Option<bool>,
}

/// How long adding an image waits for the registry to say which digest the tag points at
/// before queuing it without (the worker then finds out).
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// A registry reference as the service accepts it: no scheme but `registry:`, no local
/// paths, no whitespace.
fn registry_tag(tag: &str) -> Result<String, ApiError> {
    let t = tag.trim().trim_start_matches("registry:");
    let bad = t.is_empty()
        || t.len() > 512
        || t.contains(char::is_whitespace)
        || t.starts_with('/')
        || t.starts_with('.')
        || t.contains("..")
        || t.contains("://")
        || ["docker-archive:", "oci-archive:", "oci-dir:", "dir:", "sbom:", "file:"]
            .iter()
            .any(|s| t.starts_with(s));
    if bad {
        return Err(ApiError::bad(format!("{tag:?} is not a registry reference"))
            .hint("give an image in a registry, e.g. registry.example.com/team/app:1.0"));
    }
    Ok(t.to_string())
}

/// Adds an image. An image is its (account, manifest digest), as in Anchore: the tag is
/// resolved at the registry first, and a digest the account already has answers 200 with
/// that image (`"already_analysed"` when it has its analysis) and queues nothing unless
/// `force`. A new digest — or a tag the registry could not resolve in time — answers 202
/// with the image whose analysis was queued.
async fn image_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<AddImageQuery>,
    Json(body): Json<AddImage>,
) -> ApiResult {
    let tag = registry_tag(&body.tag)?;
    let force = body.force || q.force.unwrap_or(false);
    let target = ImageTarget::parse(&tag);
    let full = if tag.contains('@') {
        tag.clone()
    } else {
        target.full_tag()
    };
    let resolving = {
        let (store, cfg, account, full) = (s.store.clone(), s.watch.clone(), p.acting_account.clone(), full.clone());
        tokio::task::spawn_blocking(move || crate::watch::resolve(&store, &account, &full, &cfg))
    };
    let digest = match tokio::time::timeout(RESOLVE_TIMEOUT, resolving).await {
        Ok(Ok(Ok(d))) => Some(d),
        Ok(Ok(Err(e))) => {
            tracing::info!("adding {full}: the registry did not say its digest ({e}); queued for a worker");
            None
        }
        _ => {
            tracing::info!("adding {full}: no digest from the registry in time; queued for a worker");
            None
        }
    };
    let store = s.store.clone();
    let (added, image) = blocking(move || {
        store.ensure_account(&p.acting_account)?;
        let added = store.add_image_digest(
            &p.acting_account,
            &full,
            &target.registry,
            &target.repository,
            digest.as_deref(),
            force,
        )?;
        let image = store.image(&p.acting_account, &added.image_id)?;
        Ok((added, image))
    })
    .await?;
    let image = image.ok_or_else(|| ApiError::not_found("image"))?;
    let analysed = image.status == "analyzed" && !added.new;
    let mut body = serde_json::to_value(&image).unwrap_or(Value::Null);
    body["new"] = added.new.into();
    body["queued"] = added.queued.into();
    body["already_analysed"] = (analysed && !added.queued).into();
    let status = if added.queued {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(body)).into_response())
}

#[derive(Deserialize)]
struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
    status: Option<String>,
    registry: Option<String>,
    repository: Option<String>,
    tag: Option<String>,
}

/// One page of a list the store returns whole (lists that stay small: policies, users…),
/// as `{key: [...], limit, offset, total}`.
fn paged<T: serde::Serialize>(key: &str, items: Vec<T>, q: &Page) -> ApiResult {
    let (limit, offset) = page(q.limit, q.offset)?;
    let total = items.len();
    let slice: Vec<T> = items.into_iter().skip(offset as usize).take(limit as usize).collect();
    let mut body = json!({ "limit": limit, "offset": offset, "total": total });
    body[key] = serde_json::to_value(slice).unwrap_or(Value::Null);
    Ok(Json(body).into_response())
}

fn page(limit: Option<i64>, offset: Option<i64>) -> Result<(i64, i64), ApiError> {
    let limit = limit.unwrap_or(100);
    let offset = offset.unwrap_or(0);
    if !(1..=MAX_PAGE).contains(&limit) || offset < 0 {
        return Err(ApiError::bad(format!("limit must be 1..={MAX_PAGE} and offset ≥ 0")));
    }
    Ok((limit, offset))
}

async fn image_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<Page>,
) -> ApiResult {
    let (limit, offset) = page(q.limit, q.offset)?;
    let tag = match q.tag.as_deref() {
        Some(t) => Some(ImageTarget::parse(&registry_tag(t)?).full_tag()),
        None => None,
    };
    let store = s.store.clone();
    let images = blocking(move || {
        let filter = drydock_store::ImageFilter {
            status: q.status.as_deref(),
            registry: q.registry.as_deref(),
            repository: q.repository.as_deref(),
            tag: tag.as_deref(),
        };
        Ok(store.images(&p.acting_account, &filter, limit, offset)?)
    })
    .await?;
    Ok(Json(json!({"images": images, "limit": limit, "offset": offset})).into_response())
}

async fn image_get(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    let image = blocking(move || {
        let id = resolve_image(&store, &p.acting_account, &id)?;
        Ok(store.image(&p.acting_account, &id)?)
    })
    .await?;
    image
        .map(|i| Json(i).into_response())
        .ok_or_else(|| ApiError::not_found("image"))
}

async fn image_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    blocking(move || {
        owned(&store, &p, Resource::Image, &id)?;
        Ok(store.delete_image(&p.acting_account, &id)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// An image id from an id, a manifest digest or a tag (`registry/repository:tag`, URL-encoded
/// in paths): a tag names the image its latest analysis found.
fn resolve_image(store: &Store, account: &str, key: &str) -> Result<String, ApiError> {
    let looks_like_tag = key.contains(':') && !key.starts_with("sha256:") || key.contains('/');
    if !looks_like_tag {
        return Ok(key.to_string());
    }
    let full = ImageTarget::parse(&registry_tag(key)?).full_tag();
    store
        .image_by_tag(account, &full)?
        .ok_or_else(|| ApiError::not_found(format!("an analysed image tagged {full}")))
}

/// The stored analysis of an image of the caller's account (parsed once per revision).
async fn load_analysis(s: &S, p: &Principal, id: String) -> Result<(drydock_store::Image, Arc<Analysis>), ApiError> {
    let state = s.clone();
    let account = p.acting_account.clone();
    blocking(move || {
        let store = &state.store;
        let id = resolve_image(store, &account, &id)?;
        let image = store
            .image(&account, &id)?
            .ok_or_else(|| ApiError::not_found("image"))?;
        let loaded = state.analyses.load(store, &account, &image.id).map_err(|e| match e {
            crate::cache::LoadError::Store(e) => ApiError::from(e),
            other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
        })?;
        let Some(analysis) = loaded else {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!("image {} is {}, not analysed yet", image.id, image.status),
            )
            .hint("wait for the analysis (GET /v1/images/{id} shows its status)"));
        };
        Ok((image, analysis))
    })
    .await
}

#[derive(Deserialize)]
struct SbomQuery {
    format: Option<String>,
}

async fn image_sbom(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Query<SbomQuery>,
) -> ApiResult {
    let (_, a) = load_analysis(&s, &p, id).await?;
    let doc = match q.format.as_deref().unwrap_or("native") {
        "native" | "json" => serde_json::to_value(&a.sbom).unwrap_or(Value::Null),
        "cyclonedx" | "cyclonedx-json" => drydock_sbom::formats::cyclonedx::to_cyclonedx_json(&a.sbom),
        "spdx" | "spdx-json" => drydock_sbom::formats::spdx::to_spdx_json(&a.sbom),
        other => {
            return Err(ApiError::bad(format!(
                "unknown SBOM format {other:?}; use native, cyclonedx or spdx"
            )))
        }
    };
    Ok(Json(doc).into_response())
}

/// `format=` of the routes that answer in drydock's report formats: `json` (the API's own
/// JSON, the default) or a name of the report's formats (`drydock_report`).
#[derive(Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

/// The report format asked for, `None` for the API's own JSON.
fn report_format<F: drydock_report::OutputFormat>(format: Option<&str>) -> Result<Option<F>, ApiError> {
    match format {
        None | Some("api") | Some("api-json") => Ok(None),
        Some(name) => F::parse(name)
            .map(Some)
            .map_err(|e| ApiError::bad(format!("{e}, or api (the default)"))),
    }
}

/// A report rendered by `drydock_report`, with the media type of its format.
fn rendered(media_type: &'static str, render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> ApiResult {
    let mut body = Vec::new();
    render(&mut body).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, media_type)], body).into_response())
}

async fn image_vuln(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path((id, kind)): Path<(String, String)>,
    Query(q): Query<FormatQuery>,
) -> ApiResult {
    use drydock_report::vulns::{render, Format};
    let format = report_format::<Format>(q.format.as_deref())?;
    let keep: fn(&drydock_match::Finding) -> bool = match kind.as_str() {
        "os" => |f| f.package.package_type.is_os(),
        "non-os" => |f| !f.package.package_type.is_os(),
        "all" => |_| true,
        other => {
            return Err(ApiError::bad(format!(
                "unknown vulnerability type {other:?}; use os, non-os or all"
            )))
        }
    };
    let (image, a) = load_analysis(&s, &p, id).await?;
    if let Some(format) = format {
        // The same document `drydock scan -o FORMAT` writes, limited to the packages asked for.
        let mut report = a.vulnerabilities.clone().unwrap_or_default();
        report.findings.retain(keep);
        report.suppressed.retain(|s| keep(&s.finding));
        let ctx = drydock_report::vulns::ScanContext {
            analysis: &a,
            report: &report,
            files: false,
        };
        let media_type = match format {
            Format::Table => "text/plain; charset=utf-8",
            Format::Sarif => "application/sarif+json",
            Format::CycloneDxJson => "application/vnd.cyclonedx+json",
            Format::Json => "application/json",
        };
        return rendered(media_type, |w| render(&ctx, format, w, false));
    }
    let Some(report) = &a.vulnerabilities else {
        return Ok(Json(json!({"image": image.id, "digest": image.digest, "vulnerabilities": [], "note": "no vulnerability database was available when the image was analysed"})).into_response());
    };
    let list: Vec<&drydock_match::Finding> = report.findings.iter().filter(|f| keep(f)).collect();
    let suppressed: Vec<&drydock_match::Suppressed> = report.suppressed.iter().filter(|s| keep(&s.finding)).collect();
    Ok(Json(
        json!({"image": image.id, "digest": image.digest, "vulnerability_type": kind, "vulnerabilities": list,
        "suppressed": suppressed, "database": a.database}),
    )
    .into_response())
}

async fn image_content(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path((id, kind)): Path<(String, String)>,
) -> ApiResult {
    let (image, a) = load_analysis(&s, &p, id).await?;
    if kind == "files" {
        let files: Vec<_> = a.files.iter().collect();
        return Ok(Json(json!({"image": image.id, "content_type": kind, "content": files})).into_response());
    }
    // The kinds are the package-type table's (`drydock_ecosystem::content_kinds`).
    let Some(want) = drydock_ecosystem::content_types(&kind) else {
        let kinds = drydock_ecosystem::content_kinds().join(", ");
        return Err(ApiError::bad(format!(
            "unknown content type {kind:?}; use one of {kinds}"
        )));
    };
    let packages: Vec<_> = a
        .sbom
        .packages
        .iter()
        .filter(|pk| want.contains(&pk.package_type))
        .collect();
    Ok(Json(json!({"image": image.id, "content_type": kind, "content": packages})).into_response())
}

#[derive(Deserialize)]
struct CheckQuery {
    policy: Option<String>,
    tag: Option<String>,
    format: Option<String>,
}

async fn image_check(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Query<CheckQuery>,
) -> ApiResult {
    let format = report_format::<drydock_report::policy::Format>(q.format.as_deref())?;
    let (image, a) = load_analysis(&s, &p, id).await?;
    let store = s.store.clone();
    let account = p.acting_account.clone();
    let policy_id = q.policy.clone();
    let stored = blocking(move || Ok(store.policy(&account, policy_id.as_deref())?)).await?;
    let bundle = match (&stored, &q.policy) {
        (Some(pol), _) => drydock_policy::parse_bundle(pol.bundle.as_bytes(), &pol.id)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?,
        (None, Some(id)) => return Err(ApiError::not_found(format!("policy {id:?}"))),
        (None, None) => drydock_policy::default_bundle(),
    };
    let tag = q
        .tag
        .clone()
        .or_else(|| image.tags.first().cloned())
        .unwrap_or_default();
    let mut target = ImageTarget::parse(&tag);
    target.digest = image.digest.clone().unwrap_or_default();
    target.image_id = a.image().source.config_digest.clone().unwrap_or_default();
    let ctx = EvalContext {
        now_unix: drydock_analysis::now_unix(),
        tag: Some(tag.clone()),
    };
    let mut eval = drydock_policy::evaluate(&bundle, &a, &target, &ctx, &EvalOptions::default()).map_err(|e| {
        let status = match e {
            drydock_policy::PolicyError::Unmapped { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, e.to_string())
    })?;
    // Never a verdict that looks as if matching had run: say so when it did not.
    let vuln_data = if a.vulnerabilities.is_some() {
        "available"
    } else {
        if !eval
            .results
            .iter()
            .any(|r| r.trigger == "vulnerability_data_unavailable")
        {
            eval.warnings.push(
                "vulnerability_data_unavailable: the image was not matched against a vulnerability database, and \
                 this bundle has no vulnerabilities.vulnerability_data_unavailable rule: its result does not cover \
                 vulnerabilities"
                    .into(),
            );
        }
        "unavailable"
    };
    if let Some(format) = format {
        use drydock_report::policy::Format;
        let media_type = match format {
            Format::Table => "text/plain; charset=utf-8",
            Format::Sarif => "application/sarif+json",
            Format::Junit => "application/xml",
            Format::Json => "application/json",
        };
        return rendered(media_type, |w| {
            drydock_report::policy::render(&bundle, &eval, format, w, false, false)
        });
    }
    Ok(Json(
        json!({"image": image.id, "tag": tag, "policy": stored.map(|p| p.id), "evaluation": eval,
        "vulnerability_data": vuln_data}),
    )
    .into_response())
}

async fn image_secrets(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let (image, a) = load_analysis(&s, &p, id).await?;
    Ok(Json(json!({"image": image.id, "secrets": a.secrets.as_deref().unwrap_or_default()})).into_response())
}

async fn image_misconfig(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let (image, a) = load_analysis(&s, &p, id).await?;
    Ok(
        Json(json!({"image": image.id, "misconfigurations": a.misconfigurations.as_deref().unwrap_or_default()}))
            .into_response(),
    )
}

async fn history(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let tag = q
        .get("tag")
        .cloned()
        .ok_or_else(|| ApiError::bad("give tag=registry/repository:tag"))?;
    let full = ImageTarget::parse(&registry_tag(&tag)?).full_tag();
    let store = s.store.clone();
    let h = blocking(move || Ok(store.tag_history(&p.acting_account, &full)?)).await?;
    Ok(Json(json!({"tag": tag, "history": h})).into_response())
}

/// Parses and validates a bundle body; returns its id, name and canonical JSON.
fn checked_bundle(body: &[u8]) -> Result<(String, String, String), ApiError> {
    let bundle = drydock_policy::parse_bundle(body, "request body").map_err(|e| ApiError::bad(e.to_string()))?;
    let issues = drydock_policy::validate(&bundle);
    if !issues.is_empty() {
        return Err(ApiError {
            status: StatusCode::BAD_REQUEST,
            message: format!(
                "the bundle is invalid: {}",
                issues.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; ")
            ),
            hint: Some("`drydock policy validate FILE` lists the same problems".into()),
        });
    }
    let text = serde_json::to_string(&bundle).map_err(|e| ApiError::bad(e.to_string()))?;
    Ok((bundle.id.clone(), bundle.name.clone(), text))
}

async fn policy_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    body: axum::body::Bytes,
) -> ApiResult {
    let (id, name, text) = checked_bundle(&body)?;
    let store = s.store.clone();
    let policy = blocking(move || {
        store.ensure_account(&p.acting_account)?;
        if store.policy(&p.acting_account, Some(&id))?.is_some() {
            return Err(ApiError::new(StatusCode::CONFLICT, format!("policy {id:?} exists"))
                .hint("use PUT /v1/policies/{id} to replace it"));
        }
        store.put_policy(&p.acting_account, &id, &name, &text)?;
        Ok(store.policy(&p.acting_account, Some(&id))?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(policy)).into_response())
}

async fn policy_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<Page>,
) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.policies(&p.acting_account)?)).await?;
    let brief: Vec<Value> = list
        .iter()
        .map(|p| json!({"id": p.id, "name": p.name, "active": p.active, "created_at": p.created_at, "updated_at": p.updated_at}))
        .collect();
    paged("policies", brief, &q)
}

async fn policy_get(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    let pol = blocking(move || Ok(store.policy(&p.acting_account, Some(&id))?)).await?;
    let pol = pol.ok_or_else(|| ApiError::not_found("policy"))?;
    let bundle: Value = serde_json::from_str(&pol.bundle).unwrap_or(Value::Null);
    Ok(Json(json!({"id": pol.id, "name": pol.name, "active": pol.active, "bundle": bundle})).into_response())
}

async fn policy_put(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult {
    let (bundle_id, name, text) = checked_bundle(&body)?;
    if bundle_id != id {
        return Err(ApiError::bad(format!("the bundle's id {bundle_id:?} is not {id:?}")));
    }
    let store = s.store.clone();
    blocking(move || {
        store.ensure_account(&p.acting_account)?;
        // Replacing is a by-id write; a new id makes the policy in the caller's account.
        if store.policy(&p.acting_account, Some(&id))?.is_some() {
            owned(&store, &p, Resource::Policy, &id)?;
        }
        Ok(store.put_policy(&p.acting_account, &id, &name, &text)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn policy_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    blocking(move || {
        owned(&store, &p, Resource::Policy, &id)?;
        Ok(store.delete_policy(&p.acting_account, &id)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn policy_activate(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    blocking(move || {
        owned(&store, &p, Resource::Policy, &id)?;
        Ok(store.activate_policy(&p.acting_account, &id)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn events(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<Page>,
) -> ApiResult {
    let (limit, offset) = page(q.limit, q.offset)?;
    let store = s.store.clone();
    let list = blocking(move || Ok(store.events(&p.acting_account, limit, offset)?)).await?;
    Ok(Json(json!({"events": list, "limit": limit, "offset": offset})).into_response())
}

#[derive(Deserialize)]
struct AddUser {
    name: String,
    password: String,
    role: String,
    account: Option<String>,
}

async fn user_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Json(u): Json<AddUser>,
) -> ApiResult {
    let role = Role::parse(&u.role).ok_or_else(|| {
        ApiError::bad(format!(
            "unknown role {:?}; roles: {}",
            u.role,
            auth::ROLES.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
        ))
    })?;
    if role == Role::Admin && p.role != Role::Admin {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "only admins create admins"));
    }
    if u.name.trim().is_empty() || u.name.len() > 128 || u.password.len() < 8 {
        return Err(ApiError::bad(
            "a user needs a name and a password of at least 8 characters",
        ));
    }
    let account = match (&u.account, p.role) {
        (Some(a), Role::Admin) => a.clone(),
        _ => p.acting_account.clone(),
    };
    let hash = auth::hash_password(&u.password).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let store = s.store.clone();
    let name = u.name.clone();
    blocking(move || {
        store.ensure_account(&account)?;
        Ok(store.add_user(&name, &account, role.as_str(), &hash)?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"name": u.name, "role": role.as_str()})),
    )
        .into_response())
}

async fn user_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<Page>,
) -> ApiResult {
    let store = s.store.clone();
    let scope = (p.role != Role::Admin).then(|| p.acting_account.clone());
    let users = blocking(move || Ok(store.users(scope.as_deref())?)).await?;
    paged("users", users, &q)
}

async fn user_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(name): Path<String>,
) -> ApiResult {
    let state = s.clone();
    blocking(move || {
        owned(&state.store, &p, Resource::User, &name)?;
        if name == p.user {
            return Err(ApiError::bad("you cannot delete yourself"));
        }
        let hash = state.store.user(&name)?.map(|u| u.password_hash);
        state.store.delete_user(&name)?;
        // Cached logins end with the user (they would fail anyway: no stored hash).
        if let Some(h) = hash {
            state.credentials.forget_hash(&h);
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn apikey_create(State(s): State<S>, axum::Extension(p): axum::Extension<Principal>) -> ApiResult {
    let id = drydock_store::new_id()[..16].to_string();
    let secret = auth::random_secret(32).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let hash = auth::hash_key_secret(&secret);
    let store = s.store.clone();
    let (kid, user) = (id.clone(), p.user.clone());
    blocking(move || Ok(store.add_api_key(&kid, &user, &hash)?)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": id, "key": format!("ddk_{id}_{secret}"), "note": "the key is shown once; store it now"})),
    )
        .into_response())
}

async fn apikey_revoke(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    blocking(move || {
        owned(&store, &p, Resource::ApiKey, &id)?;
        Ok(store.revoke_api_key(&id)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct AddAccount {
    name: String,
}

async fn account_add(State(s): State<S>, Json(a): Json<AddAccount>) -> ApiResult {
    if a.name.trim().is_empty()
        || a.name.len() > 64
        || !a.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(ApiError::bad("account names are 1-64 letters, digits, '-', '_' or '.'"));
    }
    let store = s.store.clone();
    let name = a.name.clone();
    blocking(move || Ok(store.ensure_account(&name)?)).await?;
    Ok((StatusCode::CREATED, Json(json!({"name": a.name}))).into_response())
}

async fn account_list(State(s): State<S>, Query(q): Query<Page>) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.accounts()?)).await?;
    paged("accounts", list, &q)
}

#[derive(Deserialize)]
struct AddSubscription {
    kind: String,
    tag: String,
}

async fn subscription_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Json(b): Json<AddSubscription>,
) -> ApiResult {
    if !drydock_store::SUBSCRIPTION_KINDS.contains(&b.kind.as_str()) {
        return Err(ApiError::bad(format!(
            "unknown subscription kind {:?}; kinds: {}",
            b.kind,
            drydock_store::SUBSCRIPTION_KINDS.join(", ")
        )));
    }
    let tag = registry_tag(&b.tag)?;
    let full = ImageTarget::parse(&tag).full_tag();
    let store = s.store.clone();
    let sub = blocking(move || {
        store.ensure_account(&p.acting_account)?;
        Ok(store.add_subscription(&p.acting_account, &b.kind, &full)?)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(sub)).into_response())
}

async fn subscription_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<Page>,
) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.subscriptions(Some(&p.acting_account), None)?)).await?;
    paged("subscriptions", list, &q)
}

async fn subscription_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    blocking(move || {
        owned(&store, &p, Resource::Subscription, &id)?;
        Ok(store.delete_subscription(&p.acting_account, &id)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
struct AddWebhook {
    url: String,
}

async fn webhook_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Json(b): Json<AddWebhook>,
) -> ApiResult {
    if b.url.len() > 2048 || b.url.contains(char::is_whitespace) {
        return Err(ApiError::bad("the webhook URL is too long or contains spaces"));
    }
    let (url, allow) = (b.url.clone(), s.allow_internal_webhooks);
    blocking(move || crate::notify::check_destination(&url, allow, false).map_err(ApiError::bad)).await?;
    let secret = auth::random_secret(32).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let store = s.store.clone();
    let (url, sec) = (b.url.clone(), secret.clone());
    let hook = blocking(move || {
        store.ensure_account(&p.acting_account)?;
        Ok(store.add_webhook(&p.acting_account, &url, &sec)?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": hook.id, "url": hook.url, "secret": secret,
            "note": format!("deliveries carry {}: sha256=<hex HMAC-SHA256 of the body with this secret>; the secret is shown once", crate::notify::SIGNATURE_HEADER)})),
    )
        .into_response())
}

async fn webhook_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<Page>,
) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.webhooks(&p.acting_account)?)).await?;
    paged("webhooks", list, &q)
}

async fn webhook_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    blocking(move || {
        owned(&store, &p, Resource::Webhook, &id)?;
        Ok(store.delete_webhook(&p.acting_account, &id)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn notification_log(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<Page>,
) -> ApiResult {
    let (limit, offset) = page(q.limit, q.offset)?;
    let store = s.store.clone();
    let list = blocking(move || Ok(store.deliveries(&p.acting_account, limit, offset)?)).await?;
    Ok(Json(json!({"deliveries": list, "limit": limit, "offset": offset})).into_response())
}

async fn feeds(State(s): State<S>) -> ApiResult {
    let source = s.feeds.source().map(|f| f.describe());
    let store = s.store.clone();
    let path = s.watch.vulndb.clone().filter(|p| p.exists());
    let (status, last) = blocking(move || {
        let last: Option<Value> = store
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
    let mut body = json!({"database": status, "source": source, "last_update": last});
    if status.is_none() {
        body["note"] = "no vulnerability database configured (--db, --feed-url or a [db] section in --config)".into();
    }
    Ok(Json(body).into_response())
}

async fn feeds_update(State(s): State<S>, Query(q): Query<HashMap<String, String>>) -> ApiResult {
    let (store, cfg, feeds) = (s.store.clone(), s.watch.clone(), s.feeds.clone());
    if q.get("wait").map(String::as_str) == Some("false") {
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
        return Ok((StatusCode::ACCEPTED, Json(json!({"status": "started"}))).into_response());
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
        Some(run) => Ok(Json(json!({"update": run, "reevaluated": true})).into_response()),
        None => Ok(Json(json!({"update": null, "reevaluated": true,
            "note": "no feed source is configured (--feed-url, or a [db] section in --config): stored analyses were re-matched against the database file as it is"}))
        .into_response()),
    }
}

async fn feeds_db(State(s): State<S>) -> ApiResult {
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

#[derive(Deserialize)]
struct AddRegistry {
    registry: String,
    username: String,
    password: String,
    #[serde(default)]
    insecure: bool,
}

async fn registry_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Json(b): Json<AddRegistry>,
) -> ApiResult {
    let host = b.registry.trim().trim_end_matches('/').to_string();
    if host.is_empty() || host.contains('/') || host.contains(char::is_whitespace) || b.username.is_empty() {
        return Err(ApiError::bad("give registry (host[:port]), username and password"));
    }
    let sealed = s
        .sealer
        .seal(&b.password)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let store = s.store.clone();
    let (h, u, insecure) = (host.clone(), b.username.clone(), b.insecure);
    blocking(move || {
        store.ensure_account(&p.acting_account)?;
        Ok(store.put_registry(&p.acting_account, &h, &u, &sealed, insecure)?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"registry": host, "username": b.username, "insecure": b.insecure})),
    )
        .into_response())
}

async fn registry_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<Page>,
) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.registries(&p.acting_account)?)).await?;
    paged("registries", list, &q)
}

async fn registry_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(registry): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    blocking(move || {
        owned(&store, &p, Resource::Registry, &registry)?;
        Ok(store.delete_registry(&p.acting_account, &registry)?)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn query_vulnerability(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let id = q
        .get("id")
        .cloned()
        .filter(|i| !i.is_empty())
        .ok_or_else(|| ApiError::bad("give id=CVE-… or GHSA-…"))?;
    let store = s.store.clone();
    let wanted = id.clone();
    let hits = blocking(move || Ok(store.images_with_vulnerability(&p.acting_account, &wanted)?)).await?;
    let hits: Vec<Value> = hits
        .into_iter()
        .map(|h| {
            json!({"image_id": h.image_id, "digest": h.digest, "id": h.hit.id, "package": h.hit.package,
                "version": h.hit.version, "type": h.hit.package_type, "severity": h.hit.severity,
                "fixed_versions": h.hit.fixed_versions})
        })
        .collect();
    Ok(Json(json!({"vulnerability": id, "images": hits})).into_response())
}

async fn query_package(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let name = q
        .get("name")
        .cloned()
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad("give name= (and optionally version=, type=)"))?;
    let (version, kind) = (q.get("version").cloned(), q.get("type").cloned());
    let (min, max) = (q.get("min_version").cloned(), q.get("max_version").cloned());
    let store = s.store.clone();
    let n = name.clone();
    // Version bounds compare with the package type's own rules (dpkg, rpm, PEP 440, …).
    let in_range = move |package_type: &str, v: &str| -> bool {
        let scheme = serde_json::from_value::<drydock_sbom::PackageType>(Value::String(package_type.to_string()))
            .map(drydock_policy::gates::packages::scheme_of)
            .unwrap_or(drydock_version::Scheme::Generic);
        let cmp = |a: &str, b: &str| drydock_version::compare(scheme, a, b).ok();
        min.as_deref().is_none_or(|m| cmp(v, m).is_some_and(|o| o.is_ge()))
            && max.as_deref().is_none_or(|m| cmp(v, m).is_some_and(|o| o.is_lt()))
    };
    let hits = blocking(move || Ok(store.images_with_package(&p.acting_account, &n)?)).await?;
    let hits: Vec<Value> = hits
        .into_iter()
        .filter(|h| {
            let pk = &h.hit;
            version.as_deref().is_none_or(|v| pk.version == v)
                && kind.as_deref().is_none_or(|t| pk.package_type == t)
                && in_range(&pk.package_type, &pk.version)
        })
        .map(|h| {
            json!({"image_id": h.image_id, "digest": h.digest, "package": h.hit.name, "version": h.hit.version,
                "type": h.hit.package_type, "locations": h.hit.locations})
        })
        .collect();
    Ok(Json(json!({"package": name, "images": hits})).into_response())
}

async fn diff(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let (Some(from), Some(to)) = (q.get("from").cloned(), q.get("to").cloned()) else {
        return Err(ApiError::bad("give from= and to= (image ids or digests)"));
    };
    let (_, a) = load_analysis(&s, &p, from.clone()).await?;
    let (_, b) = load_analysis(&s, &p, to.clone()).await?;
    use std::collections::BTreeMap;
    let pk = |x: &Analysis| -> BTreeMap<(String, String), String> {
        x.sbom
            .packages
            .iter()
            .map(|p| ((p.package_type.as_str().to_string(), p.name.clone()), p.version.clone()))
            .collect()
    };
    let (pa, pb) = (pk(&a), pk(&b));
    let (mut added_p, mut removed_p, mut changed_p) = (Vec::new(), Vec::new(), Vec::new());
    for (k, v) in &pb {
        match pa.get(k) {
            None => added_p.push(json!({"type": k.0, "name": k.1, "version": v})),
            Some(old) if old != v => changed_p.push(json!({"type": k.0, "name": k.1, "from": old, "to": v})),
            _ => {}
        }
    }
    for (k, v) in &pa {
        if !pb.contains_key(k) {
            removed_p.push(json!({"type": k.0, "name": k.1, "version": v}));
        }
    }
    let packages = json!({"added": added_p, "removed": removed_p, "changed": changed_p});
    let fl = |x: &Analysis| -> BTreeMap<String, (u32, u64, Option<String>)> {
        x.files
            .iter()
            .map(|f| (f.path.clone(), (f.mode, f.size, f.sha256.clone())))
            .collect()
    };
    let (fa, fb) = (fl(&a), fl(&b));
    let added: Vec<&String> = fb.keys().filter(|k| !fa.contains_key(*k)).collect();
    let removed: Vec<&String> = fa.keys().filter(|k| !fb.contains_key(*k)).collect();
    let changed: Vec<&String> = fb
        .iter()
        .filter(|(k, v)| fa.get(*k).is_some_and(|o| o != *v))
        .map(|(k, _)| k)
        .collect();
    Ok(Json(json!({"from": from, "to": to, "packages": packages,
        "files": {"added": added, "removed": removed, "changed": changed}}))
    .into_response())
}

async fn audit_log(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<Page>,
) -> ApiResult {
    let (limit, offset) = page(q.limit, q.offset)?;
    let store = s.store.clone();
    let scope = (p.role != Role::Admin).then(|| p.acting_account.clone());
    let list = blocking(move || Ok(store.audit_log(scope.as_deref(), limit, offset)?)).await?;
    Ok(Json(json!({"audit": list, "limit": limit, "offset": offset})).into_response())
}
