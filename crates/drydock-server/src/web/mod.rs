//! The web UI, served by `drydock serve` itself: server-rendered pages (`drydock-web`) over
//! the same data as the API. Every page is declared once in [`PAGES`] with the permission
//! it needs, as the API's routes are in `ROUTES`: the router, the session check, the role
//! check and the page × role test read that table. Forms carry the session's CSRF token;
//! every answer carries a strict Content-Security-Policy (no inline script or style).

mod activity;
mod dashboard;
mod image;
mod images;
mod login;
mod policies;
mod repositories;
pub mod session;
mod users;
mod vulnerability;

use crate::api::{blocking, ApiError, Principal, S};
use crate::auth::{Perm, Role};
use axum::body::Body;
use axum::extract::{ConnectInfo, MatchedPath, Path, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use drydock_web::{Frame, HeaderStatus, NavItem};
use std::net::SocketAddr;
use std::time::Duration;

/// One page or form target of the UI.
#[derive(Debug, Clone, Copy)]
pub struct PageSpec {
    /// `GET` (a page) or `POST` (a form target).
    pub method: &'static str,
    /// The path, as the router matches it.
    pub path: &'static str,
    /// What the signed-in role must be allowed; `Public` needs no session.
    pub perm: Perm,
    /// The navigation entry that leads here, if any.
    pub nav: Option<&'static str>,
}

const fn page(method: &'static str, path: &'static str, perm: Perm, nav: Option<&'static str>) -> PageSpec {
    PageSpec {
        method,
        path,
        perm,
        nav,
    }
}

/// Every page and form target of the web UI.
pub const PAGES: &[PageSpec] = &[
    page("GET", "/login", Perm::Public, None),
    page("POST", "/login", Perm::Public, None),
    page("POST", "/logout", Perm::Authenticated, None),
    page("POST", "/account", Perm::SystemAdmin, None),
    page("GET", "/assets/{name}", Perm::Public, None),
    page("GET", "/", Perm::ImageRead, Some("Dashboard")),
    page("GET", "/images", Perm::ImageRead, Some("Images")),
    page("GET", "/repositories", Perm::ImageRead, Some("Repositories")),
    page("GET", "/tags", Perm::ImageRead, None),
    page("GET", "/compare", Perm::ImageRead, None),
    page("POST", "/images", Perm::ImageWrite, None),
    page("GET", "/images/{id}", Perm::ImageRead, None),
    page("GET", "/images/{id}/status", Perm::ImageRead, None),
    page("GET", "/images/{id}/sbom", Perm::ImageRead, None),
    page("GET", "/vulnerabilities/{id}", Perm::ImageRead, None),
    page("GET", "/policies", Perm::PolicyRead, Some("Policies")),
    page("POST", "/policies", Perm::PolicyWrite, None),
    page("GET", "/events", Perm::EventRead, Some("Events")),
    page("GET", "/audit", Perm::UserAdmin, Some("Audit")),
    page("GET", "/system", Perm::Authenticated, Some("System")),
    page("GET", "/users", Perm::UserAdmin, Some("Users")),
    page("POST", "/users", Perm::UserAdmin, None),
    page("POST", "/users/{name}/delete", Perm::UserAdmin, None),
    page("GET", "/profile", Perm::Authenticated, None),
    page("POST", "/apikeys", Perm::Authenticated, None),
    page("GET", "/policies/{id}/download", Perm::PolicyRead, None),
    page("POST", "/policies/{id}/copy", Perm::PolicyWrite, None),
    page("POST", "/policies/{id}/activate", Perm::PolicyWrite, None),
    page("POST", "/policies/{id}/delete", Perm::PolicyWrite, None),
];

fn handler(spec: &PageSpec) -> MethodRouter<S> {
    match (spec.method, spec.path) {
        ("GET", "/login") => get(login::form),
        ("POST", "/login") => post(login::submit),
        ("POST", "/logout") => post(login::logout),
        ("POST", "/account") => post(login::switch_account),
        ("GET", "/assets/{name}") => get(asset),
        ("GET", "/") => get(dashboard::page),
        ("GET", "/images") => get(images::list),
        ("GET", "/repositories") => get(repositories::tree),
        ("GET", "/tags") => get(repositories::timeline),
        ("GET", "/compare") => get(repositories::compare),
        ("POST", "/images") => post(images::add),
        ("GET", "/images/{id}") => get(image::page),
        ("GET", "/images/{id}/status") => get(image::status),
        ("GET", "/images/{id}/sbom") => get(image::sbom_download),
        ("GET", "/vulnerabilities/{id}") => get(vulnerability::page),
        ("GET", "/policies") => get(policies::list),
        ("POST", "/policies") => post(policies::upload),
        ("GET", "/events") => get(activity::events),
        ("GET", "/audit") => get(activity::audit),
        ("GET", "/system") => get(activity::system),
        ("GET", "/users") => get(users::list),
        ("POST", "/users") => post(users::add),
        ("POST", "/users/{name}/delete") => post(users::delete),
        ("GET", "/profile") => get(users::profile),
        ("POST", "/apikeys") => post(users::new_key),
        ("GET", "/policies/{id}/download") => get(policies::download),
        ("POST", "/policies/{id}/copy") => post(policies::copy),
        ("POST", "/policies/{id}/activate") => post(policies::activate),
        ("POST", "/policies/{id}/delete") => post(policies::delete),
        (m, p) => unreachable!("page {m} {p} has no handler"),
    }
}

/// The UI's routes, each behind the session and role check.
pub fn router(state: S) -> Router {
    let mut app: Router<S> = Router::new();
    for spec in PAGES {
        app = app.route(spec.path, handler(spec));
    }
    app.route_layer(middleware::from_fn_with_state(state.clone(), guard))
        .fallback(not_found)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_FORM))
        .with_state(state)
}

/// Any other path: a page saying so (API paths answer JSON, as the API's errors do).
async fn not_found(State(state): State<S>, req: Request) -> Response {
    let mut r = if req.uri().path().starts_with("/v1/") {
        ApiError::not_found(format!("route {}", req.uri().path())).into_response()
    } else {
        error_page(
            &state,
            None,
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no page at this address.",
            None,
        )
    };
    security_headers(r.headers_mut(), false);
    r
}

/// Largest form body.
const MAX_FORM: usize = 1 << 20;

/// How long a session lasts without use (renewed as it is used).
pub const SESSION_TTL: Duration = Duration::from_secs(8 * 3600);

/// The signed-in caller of a page, with its session's form token.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Who, in which account, with which role.
    pub principal: Principal,
    /// The session's CSRF token.
    pub csrf: String,
    /// The SHA-256 of the session's token.
    pub session: String,
}

/// The session check, the role check, the CSRF check of forms, the security headers and the
/// audit record of every form post.
async fn guard(State(state): State<S>, matched: MatchedPath, req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = matched.as_str().to_string();
    let Some(spec) = PAGES.iter().find(|p| p.path == path && p.method == method.as_str()) else {
        return error_page(
            &state,
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed",
            "",
            None,
        );
    };
    let remote = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string());
    let mut response = if spec.perm == Perm::Public {
        next.run(req).await
    } else {
        match viewer(&state, req.headers()).await {
            Err(e) => e,
            Ok(None) if method == Method::GET => {
                let target = req.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
                Redirect::to(&format!("/login?next={}", encode(&target))).into_response()
            }
            Ok(None) => error_page(
                &state,
                None,
                StatusCode::FORBIDDEN,
                "Not signed in",
                "Your session has ended; log in again.",
                None,
            ),
            Ok(Some(v)) if !allowed(&v.principal, spec.perm) => error_page(
                &state,
                Some(&v),
                StatusCode::FORBIDDEN,
                "Forbidden",
                &format!("The role {} may not do this.", v.principal.role.as_str()),
                Some("Ask an administrator of your account for a role that may."),
            ),
            Ok(Some(v)) => {
                let (audit, user) = (v.principal.acting_account.clone(), v.principal.user.clone());
                let response = if method == Method::POST {
                    match checked_form(req, &v).await {
                        Ok(req) => {
                            let mut req = req;
                            req.extensions_mut().insert(v);
                            next.run(req).await
                        }
                        Err(message) => {
                            error_page(&state, Some(&v), StatusCode::FORBIDDEN, "Form refused", &message, None)
                        }
                    }
                } else {
                    let mut req = req;
                    req.extensions_mut().insert(v);
                    next.run(req).await
                };
                if method == Method::POST {
                    audit_post(&state, Some(audit), Some(user), &path, response.status(), remote);
                }
                response
            }
        }
    };
    security_headers(response.headers_mut(), path.starts_with("/assets/"));
    response
}

/// The signed-in viewer of a request, from its session cookie (`None`: no valid session).
async fn viewer(state: &S, headers: &HeaderMap) -> Result<Option<Viewer>, Response> {
    let Some(token) = session::cookie(headers, session::SESSION_COOKIE) else {
        return Ok(None);
    };
    let hash = session::hash_token(&token);
    let st = state.clone();
    let found = blocking(move || {
        let Some(s) = st.store.session(&hash)? else {
            return Ok(None);
        };
        let Some(user) = st.store.user(&s.user)? else {
            return Ok(None);
        };
        // Sliding expiry: renewed once half the session's time has passed.
        let ttl = SESSION_TTL.as_secs() as i64;
        if s.expires_at - drydock_store::now() < ttl / 2 {
            st.store.update_session(&s.id_hash, drydock_store::now() + ttl, None)?;
        }
        Ok(Some((s, user)))
    })
    .await
    .map_err(|e| e.into_response())?;
    let Some((s, user)) = found else { return Ok(None) };
    let Some(role) = Role::parse(&user.role) else {
        return Ok(None);
    };
    let acting_account = if role == Role::Admin {
        s.account.clone()
    } else {
        user.account.clone()
    };
    Ok(Some(Viewer {
        principal: Principal {
            user: user.name,
            account: user.account,
            role,
            acting_account,
        },
        csrf: s.csrf,
        session: s.id_hash,
    }))
}

fn allowed(p: &Principal, perm: Perm) -> bool {
    match perm {
        Perm::Public | Perm::Authenticated => true,
        other => p.role.allows(other),
    }
}

/// Reads a form post whole (bounded), checks its `csrf` field against the session's and
/// its `Origin` (when sent) against its `Host`, and gives the request back for the handler.
async fn checked_form(req: Request, v: &Viewer) -> Result<Request, String> {
    let (parts, body) = req.into_parts();
    if let (Some(origin), Some(host)) = (parts.headers.get(header::ORIGIN), parts.headers.get(header::HOST)) {
        let origin = origin.to_str().unwrap_or("");
        let host = host.to_str().unwrap_or("");
        let same = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"))
            == Some(host);
        if !same {
            return Err("The form was sent from another site.".into());
        }
    }
    let bytes = axum::body::to_bytes(body, MAX_FORM)
        .await
        .map_err(|_| "The form is too large.".to_string())?;
    let token = form_field(&bytes, "csrf").unwrap_or_default();
    if !session::same_token(&token, &v.csrf) {
        return Err("The form's security token is missing or out of date: reload the page and try again.".into());
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// One field of a URL-encoded form.
pub(crate) fn form_field(body: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(body)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn audit_post(
    state: &S,
    account: Option<String>,
    user: Option<String>,
    path: &str,
    status: StatusCode,
    remote: Option<String>,
) {
    let store = state.store.clone();
    let path = format!("ui:{path}");
    tokio::task::spawn_blocking(move || {
        if let Err(e) = store.audit(
            account.as_deref(),
            user.as_deref(),
            "POST",
            &path,
            status.as_u16(),
            remote.as_deref(),
        ) {
            tracing::warn!("audit record lost: {e}");
        }
    });
}

/// The Content-Security-Policy of every answer: nothing inline, nothing from elsewhere.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

fn security_headers(h: &mut HeaderMap, asset: bool) {
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if !asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The frame of a page: navigation for the viewer's role, the header's status line.
pub(crate) async fn frame(state: &S, v: &Viewer, title: &str, active: &str) -> Result<Frame, Response> {
    let st = state.clone();
    let admin = v.principal.role == Role::Admin;
    let (status, accounts) = blocking(move || {
        let (queued, running) = st.store.queue_depth()?;
        let db = crate::feeds::database_summary(st.watch.vulndb.as_deref(), st.feeds.source());
        let accounts = if admin { st.store.accounts()? } else { Vec::new() };
        Ok((
            HeaderStatus {
                queued,
                running,
                feeds_built_at: db.status.as_ref().map(|s| s.built_at_unix as i64).filter(|t| *t > 0),
                feeds_state: db.state,
            },
            accounts,
        ))
    })
    .await
    .map_err(|e| e.into_response())?;
    let p = &v.principal;
    Ok(Frame {
        title: title.to_string(),
        user: Some(p.user.clone()),
        role: p.role.as_str().to_string(),
        account: p.acting_account.clone(),
        accounts,
        csrf: v.csrf.clone(),
        nav: PAGES
            .iter()
            .filter(|s| s.method == "GET" && allowed(p, s.perm))
            .filter_map(|s| {
                s.nav.map(|label| NavItem {
                    label,
                    href: s.path,
                    active: label == active,
                })
            })
            .collect(),
        status: Some(status),
        can_write_images: p.role.allows(Perm::ImageWrite),
        can_write_policies: p.role.allows(Perm::PolicyWrite),
        now: drydock_store::now(),
    })
}

/// Renders a template into a page (a template error is a 500 page, logged).
pub(crate) fn render<T: serde::Serialize>(state: &S, name: &str, frame: &Frame, page: &T) -> Response {
    match state.ui.render(name, frame, page) {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!("{e}");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered; the service log says why",
            )
                .into_response()
        }
    }
}

#[derive(serde::Serialize)]
struct ErrorPage<'a> {
    status: u16,
    title: &'a str,
    message: &'a str,
    hint: Option<&'a str>,
}

/// An error as a page (with the frame when someone is signed in).
pub(crate) fn error_page(
    state: &S,
    v: Option<&Viewer>,
    status: StatusCode,
    title: &str,
    message: &str,
    hint: Option<&str>,
) -> Response {
    let frame = Frame {
        title: title.to_string(),
        user: v.map(|v| v.principal.user.clone()),
        role: v.map(|v| v.principal.role.as_str().to_string()).unwrap_or_default(),
        account: v.map(|v| v.principal.acting_account.clone()).unwrap_or_default(),
        csrf: v.map(|v| v.csrf.clone()).unwrap_or_default(),
        now: drydock_store::now(),
        ..Frame::default()
    };
    let body = ErrorPage {
        status: status.as_u16(),
        title,
        message,
        hint,
    };
    let mut r = render(state, "error.html", &frame, &body);
    *r.status_mut() = status;
    r
}

/// An API error shown as a page.
pub(crate) fn api_error_page(state: &S, v: &Viewer, e: ApiError) -> Response {
    let (status, message, hint) = e.parts();
    let title = status.canonical_reason().unwrap_or("Error");
    error_page(state, Some(v), status, title, message, hint)
}

async fn asset(Path(name): Path<String>) -> Response {
    match drydock_web::assets::get(&name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// Percent-encodes a path for a query value.
pub(crate) fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
