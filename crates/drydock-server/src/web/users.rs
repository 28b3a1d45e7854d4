//! Users of the account (admins: of every account) with their roles: add, delete; and the
//! signed-in user's API keys (a new key is shown once).

use super::{form_field, frame, render, Viewer};
use crate::api::accounts::{add_user, create_api_key, delete_user};
use crate::api::{blocking, S};
use crate::auth::{Role, ROLES};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Row {
    name: String,
    account: String,
    role: String,
    created_at: i64,
    me: bool,
}

#[derive(Debug, Serialize)]
struct UsersPage {
    users: Vec<Row>,
    roles: Vec<&'static str>,
    can_admin: bool,
    error: Option<String>,
}

async fn users_page(s: &S, v: &Viewer, error: Option<String>) -> Response {
    let frame = match frame(s, v, "Users", "Users").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let st = s.clone();
    let scope = (v.principal.role != Role::Admin).then(|| v.principal.acting_account.clone());
    let users = match blocking(move || Ok(st.store.users(scope.as_deref())?)).await {
        Ok(u) => u,
        Err(e) => return super::api_error_page(s, v, e),
    };
    let can_admin = v.principal.role.allows(crate::auth::Perm::UserAdmin);
    let page = UsersPage {
        users: users
            .into_iter()
            .map(|u| Row {
                me: u.name == v.principal.user,
                name: u.name,
                account: u.account,
                role: u.role,
                created_at: u.created_at,
            })
            .collect(),
        roles: ROLES
            .iter()
            .filter(|r| **r != Role::Admin || v.principal.role == Role::Admin)
            .map(|r| r.as_str())
            .collect(),
        can_admin,
        error,
    };
    render(s, "users.html", &frame, &page)
}

pub(super) async fn list(State(s): State<S>, Extension(v): Extension<Viewer>) -> Response {
    users_page(&s, &v, None).await
}

pub(super) async fn add(State(s): State<S>, Extension(v): Extension<Viewer>, body: Bytes) -> Response {
    let field = |n: &str| form_field(&body, n).unwrap_or_default();
    let u = drydock_api::accounts::AddUser {
        name: field("name"),
        role: field("role"),
        password: field("password"),
        account: Some(field("account")).filter(|a| !a.is_empty()),
    };
    match add_user(&s, &v.principal, u).await {
        Ok(_) => Redirect::to("/users").into_response(),
        Err(e) => {
            let message = e.parts().1.to_string();
            let mut r = users_page(&s, &v, Some(message)).await;
            *r.status_mut() = StatusCode::OK;
            r
        }
    }
}

pub(super) async fn delete(State(s): State<S>, Extension(v): Extension<Viewer>, Path(name): Path<String>) -> Response {
    match delete_user(&s, v.principal.clone(), name).await {
        Ok(()) => Redirect::to("/users").into_response(),
        Err(e) => super::api_error_page(&s, &v, e),
    }
}

#[derive(Debug, Serialize)]
struct ProfilePage {
    new_key: Option<String>,
}

/// `GET /profile`: who is signed in, and API keys for the CLI and CI.
pub(super) async fn profile(State(s): State<S>, Extension(v): Extension<Viewer>) -> Response {
    profile_page(&s, &v, None).await
}

async fn profile_page(s: &S, v: &Viewer, new_key: Option<String>) -> Response {
    let frame = match frame(s, v, "Profile", "").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    render(s, "profile.html", &frame, &ProfilePage { new_key })
}

/// `POST /apikeys`: a new key of the signed-in user, shown on the page once.
pub(super) async fn new_key(State(s): State<S>, Extension(v): Extension<Viewer>) -> Response {
    match create_api_key(&s, &v.principal).await {
        Ok(k) => profile_page(&s, &v, Some(k.key)).await,
        Err(e) => super::api_error_page(&s, &v, e),
    }
}
