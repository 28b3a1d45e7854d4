//! Accounts, users and API keys.

use super::access::{owned, write_owned, Resource};
use super::{blocking, no_content, ok, paged, reply, ApiError, ApiResult, Principal, S};
use crate::auth::{self, Role};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use drydock_api::accounts::{Account, AccountList, AddUser, AddedUser, ApiKeyCreated, User, UserList};
use drydock_api::PageQuery;

pub(super) async fn user_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Json(u): Json<AddUser>,
) -> ApiResult {
    reply(StatusCode::CREATED, add_user(&s, &p, u).await?)
}

/// Adds a local user (the API's add and the web UI's form): a known role, admins only by
/// admins, a password of 8 characters or more; account admins add to their own account.
pub(crate) async fn add_user(s: &S, p: &Principal, u: AddUser) -> Result<AddedUser, ApiError> {
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
    Ok(AddedUser {
        name: u.name,
        role: role.as_str().to_string(),
    })
}

pub(super) async fn user_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let store = s.store.clone();
    let scope = (p.role != Role::Admin).then(|| p.acting_account.clone());
    let users = blocking(move || Ok(store.users(scope.as_deref())?)).await?;
    let users = users
        .into_iter()
        .map(|u| User {
            name: u.name,
            account: u.account,
            role: u.role,
            created_at: u.created_at,
        })
        .collect();
    let (users, limit, offset, total) = paged(users, &q)?;
    ok(UserList {
        users,
        limit,
        offset,
        total,
    })
}

pub(super) async fn user_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(name): Path<String>,
) -> ApiResult {
    delete_user(&s, p, name).await?;
    no_content()
}

/// Deletes a user of the caller's account (never the caller), its keys and sessions, and
/// forgets its cached logins.
pub(crate) async fn delete_user(s: &S, p: Principal, name: String) -> Result<(), ApiError> {
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
    .await
}

pub(super) async fn apikey_create(State(s): State<S>, axum::Extension(p): axum::Extension<Principal>) -> ApiResult {
    reply(StatusCode::CREATED, create_api_key(&s, &p).await?)
}

/// A new API key of the caller (its secret shown once, only its hash stored).
pub(crate) async fn create_api_key(s: &S, p: &Principal) -> Result<ApiKeyCreated, ApiError> {
    let id = drydock_store::new_id()[..16].to_string();
    let secret = auth::random_secret(32).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let hash = auth::hash_key_secret(&secret);
    let store = s.store.clone();
    let (kid, user) = (id.clone(), p.user.clone());
    blocking(move || Ok(store.add_api_key(&kid, &user, &hash)?)).await?;
    Ok(ApiKeyCreated {
        key: format!("ddk_{id}_{secret}"),
        id,
        note: "the key is shown once; store it now".into(),
    })
}

pub(super) async fn apikey_revoke(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    write_owned(&s, p, Resource::ApiKey, id, |store, _, id| store.revoke_api_key(id)).await
}

pub(super) async fn account_add(State(s): State<S>, Json(a): Json<Account>) -> ApiResult {
    if a.name.trim().is_empty()
        || a.name.len() > 64
        || !a.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(ApiError::bad("account names are 1-64 letters, digits, '-', '_' or '.'"));
    }
    let store = s.store.clone();
    let name = a.name.clone();
    blocking(move || Ok(store.ensure_account(&name)?)).await?;
    reply(StatusCode::CREATED, Account { name: a.name })
}

pub(super) async fn account_list(State(s): State<S>, Query(q): Query<PageQuery>) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.accounts()?)).await?;
    let (accounts, limit, offset, total) = paged(list, &q)?;
    ok(AccountList {
        accounts,
        limit,
        offset,
        total,
    })
}
