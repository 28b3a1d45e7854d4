//! Who calls and what they may touch: authentication (basic or API key), authorisation by
//! the route's permission, the audit record of every mutating call, and the one
//! account-ownership check of by-id writes.

use super::{blocking, no_content, ApiError, ApiResult, Principal, ROUTES, S};
use crate::auth::{self, Perm, Role};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use drydock_api::RouteSpec;
use drydock_store::{Store, StoreError};
use std::net::SocketAddr;

fn spec_of(method: &Method, path: &str) -> Option<&'static RouteSpec> {
    ROUTES.iter().find(|r| r.path == path && r.method == method.as_str())
}

/// Authenticates, authorises by role, counts and audits every call.
pub(super) async fn authorize(State(state): State<S>, matched: MatchedPath, mut req: Request, next: Next) -> Response {
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
        verify_login(state, user, password, &remote).await?
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

/// Verifies a user name and password (HTTP basic, and the web UI's login form): the
/// failed-login limit per address and user, a bounded number of argon2 verifications at once,
/// the short-lived cache of verified credentials, and a dummy verification for unknown users
/// (the answer takes as long whether the user exists or not).
pub(crate) async fn verify_login(
    state: &S,
    user: String,
    password: String,
    remote: &str,
) -> Result<drydock_store::User, ApiError> {
    let unauthorized = || {
        ApiError::new(StatusCode::UNAUTHORIZED, "authentication required")
            .hint("use HTTP basic auth (user:password) or an API key as `Authorization: Bearer ddk_…`")
    };
    let remote = remote.to_string();
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
        found.ok_or_else(unauthorized)
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
        .await
    }
}

/// A by-id write on one of the caller's account's resources, answered 204: another account's
/// id is 404 ([`owned`]), then `write(store, acting account, id)` runs off the async runtime.
pub(super) async fn write_owned<T: Send + 'static>(
    s: &S,
    p: Principal,
    what: Resource,
    id: String,
    write: impl FnOnce(&Store, &str, &str) -> Result<T, StoreError> + Send + 'static,
) -> ApiResult {
    let store = s.store.clone();
    blocking(move || {
        owned(&store, &p, what, &id)?;
        Ok(write(&store, &p.acting_account, &id)?)
    })
    .await?;
    no_content()
}

/// What a by-id write acts on, for [`owned`].
#[derive(Debug, Clone, Copy)]
pub(crate) enum Resource {
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
pub(crate) fn owned(store: &Store, p: &Principal, what: Resource, id: &str) -> Result<(), ApiError> {
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
