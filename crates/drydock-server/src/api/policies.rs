//! Policy bundles of an account: add (validated), list, get, replace, delete, activate.

use super::access::{owned, write_owned, Resource};
use super::{blocking, no_content, ok, paged, reply, ApiError, ApiResult, Principal, S};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use drydock_api::policies::{Policy, PolicyDetail, PolicyList};
use drydock_api::PageQuery;
use serde_json::Value;

/// A stored bundle as the API returns it (`bundle`: with its canonical JSON text).
fn policy_body(p: drydock_store::Policy, bundle: bool) -> Policy {
    Policy {
        id: p.id,
        name: p.name,
        active: p.active,
        bundle: bundle.then_some(p.bundle),
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

/// Parses and validates a bundle body; returns its id, name and canonical JSON.
fn checked_bundle(body: &[u8]) -> Result<(String, String, String), ApiError> {
    let bundle = drydock_policy::parse_bundle(body, "request body").map_err(|e| ApiError::bad(e.to_string()))?;
    let issues = drydock_policy::validate(&bundle);
    if !issues.is_empty() {
        return Err(ApiError::bad(format!(
            "the bundle is invalid: {}",
            issues.iter().map(|i| i.to_string()).collect::<Vec<_>>().join("; ")
        ))
        .hint("`drydock policy validate FILE` lists the same problems"));
    }
    let text = serde_json::to_string(&bundle).map_err(|e| ApiError::bad(e.to_string()))?;
    Ok((bundle.id.clone(), bundle.name.clone(), text))
}

pub(super) async fn policy_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    body: axum::body::Bytes,
) -> ApiResult {
    let policy = add_policy(&s, p, &body).await?;
    reply(StatusCode::CREATED, policy.map(|p| policy_body(p, true)))
}

/// Validates and stores a new bundle for the caller's account (the API's add and the web
/// UI's upload and copy); an id the account has is a conflict.
pub(crate) async fn add_policy(s: &S, p: Principal, body: &[u8]) -> Result<Option<drydock_store::Policy>, ApiError> {
    let (id, name, text) = checked_bundle(body)?;
    let store = s.store.clone();
    blocking(move || {
        store.ensure_account(&p.acting_account)?;
        if store.policy(&p.acting_account, Some(&id))?.is_some() {
            return Err(ApiError::new(StatusCode::CONFLICT, format!("policy {id:?} exists"))
                .hint("use PUT /v1/policies/{id} to replace it"));
        }
        store.put_policy(&p.acting_account, &id, &name, &text)?;
        Ok(store.policy(&p.acting_account, Some(&id))?)
    })
    .await
}

pub(super) async fn policy_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.policies(&p.acting_account)?)).await?;
    let brief = list.into_iter().map(|p| policy_body(p, false)).collect();
    let (policies, limit, offset, total) = paged(brief, &q)?;
    ok(PolicyList {
        policies,
        limit,
        offset,
        total,
    })
}

pub(super) async fn policy_get(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let store = s.store.clone();
    let pol = blocking(move || Ok(store.policy(&p.acting_account, Some(&id))?)).await?;
    let pol = pol.ok_or_else(|| ApiError::not_found("policy"))?;
    let bundle: Value = serde_json::from_str(&pol.bundle).unwrap_or(Value::Null);
    ok(PolicyDetail {
        id: pol.id,
        name: pol.name,
        active: pol.active,
        bundle,
    })
}

pub(super) async fn policy_put(
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
    no_content()
}

pub(super) async fn policy_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    write_owned(&s, p, Resource::Policy, id, |store, account, id| {
        store.delete_policy(account, id)
    })
    .await
}

pub(super) async fn policy_activate(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    write_owned(&s, p, Resource::Policy, id, |store, account, id| {
        store.activate_policy(account, id)
    })
    .await
}
