//! The policy manager: the account's bundles with upload, download, copy, activate and
//! delete. Every write goes through the same validation and ownership checks as the API.

use super::{form_field, frame, render, Viewer};
use crate::api::access::{owned, Resource};
use crate::api::{blocking, ApiError, S};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Serialize;

#[derive(Debug, Serialize)]
struct Row {
    id: String,
    name: String,
    active: bool,
    updated_at: i64,
}

#[derive(Debug, Serialize)]
struct PoliciesPage {
    policies: Vec<Row>,
    error: Option<String>,
    draft: Option<String>,
}

async fn list_page(s: &S, v: &Viewer, status: StatusCode, error: Option<String>, draft: Option<String>) -> Response {
    let frame = match frame(s, v, "Policies", "Policies").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let st = s.clone();
    let account = v.principal.acting_account.clone();
    let policies = match blocking(move || Ok(st.store.policies(&account)?)).await {
        Ok(p) => p,
        Err(e) => return super::api_error_page(s, v, e),
    };
    let page = PoliciesPage {
        policies: policies
            .into_iter()
            .map(|p| Row {
                id: p.id,
                name: p.name,
                active: p.active,
                updated_at: p.updated_at,
            })
            .collect(),
        error,
        draft,
    };
    let mut r = render(s, "policies.html", &frame, &page);
    *r.status_mut() = status;
    r
}

pub(super) async fn list(State(s): State<S>, Extension(v): Extension<Viewer>) -> Response {
    list_page(&s, &v, StatusCode::OK, None, None).await
}

/// `POST /policies`: a bundle pasted or read from a file (the `bundle` field).
pub(super) async fn upload(State(s): State<S>, Extension(v): Extension<Viewer>, body: Bytes) -> Response {
    let bundle = form_field(&body, "bundle").unwrap_or_default();
    match crate::api::policies::add_policy(&s, v.principal.clone(), bundle.as_bytes()).await {
        Ok(_) => Redirect::to("/policies").into_response(),
        // The problems, and the bundle kept in the form to fix them.
        Err(e) => {
            let message = e.parts().1.to_string();
            list_page(&s, &v, StatusCode::OK, Some(message), Some(bundle)).await
        }
    }
}

/// The stored bundle of the account, checked to be the caller's.
async fn stored(s: &S, v: &Viewer, id: String) -> Result<drydock_store::Policy, ApiError> {
    let st = s.clone();
    let p = v.principal.clone();
    blocking(move || {
        owned(&st.store, &p, Resource::Policy, &id)?;
        st.store
            .policy(&p.acting_account, Some(&id))?
            .ok_or_else(|| ApiError::not_found(format!("policy {id:?}")))
    })
    .await
}

pub(super) async fn download(State(s): State<S>, Extension(v): Extension<Viewer>, Path(id): Path<String>) -> Response {
    match stored(&s, &v, id).await {
        Ok(p) => {
            let pretty = serde_json::from_str::<serde_json::Value>(&p.bundle)
                .and_then(|b| serde_json::to_string_pretty(&b))
                .unwrap_or(p.bundle);
            let file: String =
                p.id.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
            (
                [
                    (header::CONTENT_TYPE, "application/json".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}.json\""),
                    ),
                ],
                pretty,
            )
                .into_response()
        }
        Err(e) => super::api_error_page(&s, &v, e),
    }
}

pub(super) async fn copy(State(s): State<S>, Extension(v): Extension<Viewer>, Path(id): Path<String>) -> Response {
    let p = match stored(&s, &v, id).await {
        Ok(p) => p,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    let mut bundle: serde_json::Value = match serde_json::from_str(&p.bundle) {
        Ok(b) => b,
        Err(e) => return super::api_error_page(&s, &v, ApiError::bad(e.to_string())),
    };
    // A fresh id (the first free `ID-copy`, `ID-copy-2`, …) and a name saying what it is.
    let st = s.clone();
    let account = v.principal.acting_account.clone();
    let base = format!("{}-copy", p.id);
    let new_id = blocking(move || {
        let mut candidate = base.clone();
        let mut n = 1;
        while st.store.policy(&account, Some(&candidate))?.is_some() {
            n += 1;
            candidate = format!("{base}-{n}");
        }
        Ok(candidate)
    })
    .await;
    let new_id = match new_id {
        Ok(i) => i,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    bundle["id"] = serde_json::Value::String(new_id);
    bundle["name"] = serde_json::Value::String(format!("{} (copy)", p.name));
    let body = bundle.to_string();
    match crate::api::policies::add_policy(&s, v.principal.clone(), body.as_bytes()).await {
        Ok(_) => Redirect::to("/policies").into_response(),
        Err(e) => super::api_error_page(&s, &v, e),
    }
}

pub(super) async fn activate(State(s): State<S>, Extension(v): Extension<Viewer>, Path(id): Path<String>) -> Response {
    let st = s.clone();
    let p = v.principal.clone();
    let done = blocking(move || {
        owned(&st.store, &p, Resource::Policy, &id)?;
        Ok(st.store.activate_policy(&p.acting_account, &id)?)
    })
    .await;
    match done {
        Ok(_) => Redirect::to("/policies").into_response(),
        Err(e) => super::api_error_page(&s, &v, e),
    }
}

pub(super) async fn delete(State(s): State<S>, Extension(v): Extension<Viewer>, Path(id): Path<String>) -> Response {
    let st = s.clone();
    let p = v.principal.clone();
    let done = blocking(move || {
        owned(&st.store, &p, Resource::Policy, &id)?;
        Ok(st.store.delete_policy(&p.acting_account, &id)?)
    })
    .await;
    match done {
        Ok(_) => Redirect::to("/policies").into_response(),
        Err(e) => super::api_error_page(&s, &v, e),
    }
}
