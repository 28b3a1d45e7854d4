//! The image list: every image of the account with its status, final action and findings,
//! filtered by text, status and final action, a page at a time.

use super::dashboard::{display_name, severities_of};
use super::{encode, frame, render, Viewer};
use crate::api::{blocking, S};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Images per page.
const PAGE: usize = 50;

/// `GET /images` filters.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(super) struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    action: Option<String>,
    offset: Option<usize>,
}

#[derive(Debug, Serialize)]
struct Row {
    id: String,
    name: String,
    other_tags: Vec<String>,
    digest: Option<String>,
    status: String,
    error: Option<String>,
    final_action: Option<String>,
    severities: Option<BTreeMap<String, i64>>,
    analyzed_at: Option<i64>,
}

#[derive(Debug, Serialize)]
struct ListPage {
    q: Option<String>,
    status: Option<String>,
    action: Option<String>,
    images: Vec<Row>,
    prev: Option<String>,
    next: Option<String>,
}

fn link(q: &ListQuery, offset: usize) -> String {
    let mut parts = Vec::new();
    for (k, v) in [("q", &q.q), ("status", &q.status), ("action", &q.action)] {
        if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{k}={}", encode(v)));
        }
    }
    if offset > 0 {
        parts.push(format!("offset={offset}"));
    }
    if parts.is_empty() {
        "/images".into()
    } else {
        format!("/images?{}", parts.join("&"))
    }
}

pub(super) async fn list(State(s): State<S>, Extension(v): Extension<Viewer>, Query(q): Query<ListQuery>) -> Response {
    let frame = match frame(&s, &v, "Images", "Images").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let account = v.principal.acting_account.clone();
    let st = s.clone();
    let text = q.q.clone().unwrap_or_default().trim().to_lowercase();
    let status = q.status.clone().filter(|x| !x.is_empty());
    let action = q.action.clone().filter(|x| !x.is_empty());
    let offset = q.offset.unwrap_or(0);
    let found = blocking(move || {
        let mut rows = Vec::new();
        let mut matched = 0usize;
        for state in st.store.image_states(&account)? {
            if status.as_deref().is_some_and(|x| x != state.status)
                || action
                    .as_deref()
                    .is_some_and(|x| Some(x) != state.final_action.as_deref())
            {
                continue;
            }
            // Tags are read only for images that may be shown or searched.
            let needs_tags = !text.is_empty() || (matched >= offset && rows.len() < PAGE);
            let tags = if needs_tags {
                st.store.current_tags(&state.image_id)?
            } else {
                Vec::new()
            };
            if !text.is_empty() {
                let hay = format!(
                    "{}/{} {} {}",
                    state.registry,
                    state.repository,
                    state.digest.as_deref().unwrap_or(""),
                    tags.join(" ")
                )
                .to_lowercase();
                if !hay.contains(&text) {
                    continue;
                }
            }
            matched += 1;
            if matched <= offset || rows.len() >= PAGE {
                continue;
            }
            let mut tags = tags.into_iter();
            rows.push(Row {
                name: tags.next().unwrap_or_else(|| display_name(&state)),
                other_tags: tags.collect(),
                id: state.image_id.clone(),
                digest: state.digest.clone(),
                status: state.status.clone(),
                error: state.error.clone(),
                final_action: state.final_action.clone(),
                severities: state
                    .final_action
                    .as_ref()
                    .map(|_| severities_of(state.severities.as_deref())),
                analyzed_at: state.analyzed_at,
            });
        }
        Ok((rows, matched))
    })
    .await;
    let (images, matched) = match found {
        Ok(f) => f,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    let page = ListPage {
        prev: (offset > 0).then(|| link(&q, offset.saturating_sub(PAGE))),
        next: (offset + PAGE < matched).then(|| link(&q, offset + PAGE)),
        q: q.q.clone(),
        status: q.status.clone(),
        action: q.action.clone(),
        images,
    };
    render(&s, "images.html", &frame, &page).into_response()
}

/// `POST /images`: adds an image by tag (optionally watching the tag), then shows it.
pub(super) async fn add(State(s): State<S>, Extension(v): Extension<Viewer>, body: axum::body::Bytes) -> Response {
    let field = |n: &str| super::form_field(&body, n).unwrap_or_default();
    let (tag, watch, force) = (field("tag"), field("watch") == "yes", field("force") == "yes");
    let added = crate::api::images::add_image(&s, v.principal.clone(), &tag, force).await;
    let added = match added {
        Ok((_, a)) => a,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    if watch {
        let st = s.clone();
        let account = v.principal.acting_account.clone();
        let full = drydock_policy::ImageTarget::parse(tag.trim().trim_start_matches("registry:")).full_tag();
        let watched = blocking(move || match st.store.add_subscription(&account, "tag_update", &full) {
            Ok(_) | Err(drydock_store::StoreError::Exists(_)) => Ok(()),
            Err(e) => Err(e.into()),
        })
        .await;
        if let Err(e) = watched {
            return super::api_error_page(&s, &v, e);
        }
    }
    axum::response::Redirect::to(&format!("/images/{}", added.image.id)).into_response()
}
