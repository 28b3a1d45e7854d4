//! Registries → repositories → tags with counts; a tag's timeline of digests with the
//! findings and policy result of each; a comparison of any two analysed images (packages,
//! findings and files added, removed or changed).

use super::dashboard::severities_of;
use super::{frame, render, Viewer};
use crate::api::{blocking, S};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use drydock_policy::ImageTarget;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Serialize)]
struct TagRow {
    full: String,
    tag: String,
    image_id: String,
    digest: String,
    digests: i64,
    last_seen: i64,
    final_action: Option<String>,
    severities: Option<BTreeMap<String, i64>>,
}

#[derive(Debug, Serialize)]
struct Repository {
    name: String,
    tags: Vec<TagRow>,
    images: usize,
}

#[derive(Debug, Serialize)]
struct Registry {
    name: String,
    repositories: Vec<Repository>,
    tags: usize,
}

#[derive(Debug, Serialize)]
struct TreePage {
    registries: Vec<Registry>,
}

pub(super) async fn tree(State(s): State<S>, Extension(v): Extension<Viewer>) -> Response {
    let frame = match frame(&s, &v, "Repositories", "Repositories").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let st = s.clone();
    let account = v.principal.acting_account.clone();
    let found = blocking(move || Ok((st.store.current_tag_list(&account)?, st.store.image_states(&account)?))).await;
    let (tags, states) = match found {
        Ok(x) => x,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    let states: HashMap<&str, &drydock_store::ImageState> = states.iter().map(|s| (s.image_id.as_str(), s)).collect();
    let mut tree: BTreeMap<String, BTreeMap<String, Vec<TagRow>>> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for t in tags {
        if !seen.insert(t.tag.clone()) {
            continue;
        }
        let target = ImageTarget::parse(&t.tag);
        let state = states.get(t.image_id.as_str());
        tree.entry(target.registry.clone())
            .or_default()
            .entry(target.repository.clone())
            .or_default()
            .push(TagRow {
                full: t.tag.clone(),
                tag: target.tag.clone(),
                image_id: t.image_id.clone(),
                digest: t.digest.clone(),
                digests: t.digests,
                last_seen: t.last_seen,
                final_action: state.and_then(|s| s.final_action.clone()),
                severities: state
                    .filter(|s| s.final_action.is_some())
                    .map(|s| severities_of(s.severities.as_deref())),
            });
    }
    let registries = tree
        .into_iter()
        .map(|(name, repos)| {
            let repositories: Vec<Repository> = repos
                .into_iter()
                .map(|(name, tags)| Repository {
                    images: tags
                        .iter()
                        .map(|t| &t.image_id)
                        .collect::<std::collections::HashSet<_>>()
                        .len(),
                    name,
                    tags,
                })
                .collect();
            Registry {
                tags: repositories.iter().map(|r| r.tags.len()).sum(),
                name,
                repositories,
            }
        })
        .collect();
    render(&s, "repositories.html", &frame, &TreePage { registries }).into_response()
}

/// `GET /tags?tag=registry/repository:tag`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TagQuery {
    tag: Option<String>,
}

#[derive(Debug, Serialize)]
struct Seen {
    digest: String,
    image_id: String,
    first_seen: i64,
    last_seen: i64,
    current: bool,
    final_action: Option<String>,
    severities: Option<BTreeMap<String, i64>>,
}

#[derive(Debug, Serialize)]
struct TagPage {
    tag: String,
    timeline: Vec<Seen>,
}

pub(super) async fn timeline(
    State(s): State<S>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<TagQuery>,
) -> Response {
    let tag = q.tag.unwrap_or_default();
    let frame = match frame(&s, &v, &tag, "Repositories").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let st = s.clone();
    let account = v.principal.acting_account.clone();
    let wanted = tag.clone();
    let found = blocking(move || {
        Ok((
            st.store.tag_history(&account, &wanted)?,
            st.store.image_states(&account)?,
        ))
    })
    .await;
    let (history, states) = match found {
        Ok(x) => x,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    if history.is_empty() {
        return super::error_page(
            &s,
            Some(&v),
            axum::http::StatusCode::NOT_FOUND,
            "Not found",
            &format!("The account has never seen the tag {tag}."),
            Some("Tags are recorded when an image is added by tag or a watched tag moves."),
        );
    }
    let states: HashMap<&str, &drydock_store::ImageState> = states.iter().map(|s| (s.image_id.as_str(), s)).collect();
    let newest = history.iter().map(|h| h.last_seen).max().unwrap_or(0);
    let mut timeline: Vec<Seen> = history
        .iter()
        .map(|h| {
            let state = states.get(h.image_id.as_str());
            Seen {
                digest: h.digest.clone(),
                image_id: h.image_id.clone(),
                first_seen: h.first_seen,
                last_seen: h.last_seen,
                current: h.last_seen == newest,
                final_action: state.and_then(|s| s.final_action.clone()),
                severities: state
                    .filter(|s| s.final_action.is_some())
                    .map(|s| severities_of(s.severities.as_deref())),
            }
        })
        .collect();
    timeline.reverse();
    render(&s, "tag.html", &frame, &TagPage { tag, timeline }).into_response()
}

/// `GET /compare?from=&to=` (image ids, digests or tags).
#[derive(Debug, Default, Deserialize)]
pub(super) struct CompareQuery {
    from: Option<String>,
    to: Option<String>,
}

pub(super) async fn compare(
    State(s): State<S>,
    Extension(v): Extension<Viewer>,
    Query(q): Query<CompareQuery>,
) -> Response {
    let (Some(from), Some(to)) = (q.from.filter(|x| !x.is_empty()), q.to.filter(|x| !x.is_empty())) else {
        return super::error_page(
            &s,
            Some(&v),
            axum::http::StatusCode::BAD_REQUEST,
            "Nothing to compare",
            "Choose two digests of a tag's timeline to compare.",
            None,
        );
    };
    let frame = match frame(&s, &v, "Compare", "Repositories").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    match crate::api::images::diff_images(&s, &v.principal, from, to).await {
        Ok(diff) => render(&s, "compare.html", &frame, &diff).into_response(),
        Err(e) => super::api_error_page(&s, &v, e),
    }
}
