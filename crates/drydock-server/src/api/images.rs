//! Images of an account: adding one by tag (resolved to its digest first), listing,
//! getting and deleting them, a tag's history, and the difference between two analyses.
//! The analysis routes of one image are in `analysis`.

use super::access::{write_owned, Resource};
use super::{blocking, ok, page, reply, ApiError, ApiResult, Principal, S};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use drydock_analysis::Analysis;
use drydock_api::images::{
    AddImage, AddImageQuery, AddedImage, Changes, Diff, DiffPackage, DiffQuery, History, HistoryQuery, Image,
    ImageList, ImageListQuery, PackageChange, TagHistory,
};
use drydock_policy::ImageTarget;
use drydock_store::Store;
use std::sync::Arc;

/// An image as the API returns it.
pub(super) fn image_body(i: drydock_store::Image) -> Image {
    Image {
        id: i.id,
        account: i.account,
        digest: i.digest,
        registry: i.registry,
        repository: i.repository,
        status: i.status,
        error: i.error,
        created_at: i.created_at,
        analyzed_at: i.analyzed_at,
        tags: i.tags,
    }
}

/// How long adding an image waits for the registry to say which digest the tag points at
/// before queuing it without (the worker then finds out).
const RESOLVE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// A registry reference as the service accepts it: no scheme but `registry:`, no local
/// paths, no whitespace.
pub(super) fn registry_tag(tag: &str) -> Result<String, ApiError> {
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
pub(super) async fn image_add(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<AddImageQuery>,
    Json(body): Json<AddImage>,
) -> ApiResult {
    let force = body.force || q.force.unwrap_or(false);
    let (status, added) = add_image(&s, p, &body.tag, force).await?;
    reply(status, added)
}

/// Adds an image by tag for the caller's account (the API's add and the web UI's form):
/// 202 when an analysis was queued, 200 when the digest was known.
pub(crate) async fn add_image(
    s: &S,
    p: Principal,
    tag: &str,
    force: bool,
) -> Result<(StatusCode, AddedImage), ApiError> {
    let tag = registry_tag(tag)?;
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
    let status = if added.queued {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((
        status,
        AddedImage {
            image: image_body(image),
            new: added.new,
            queued: added.queued,
            already_analysed: analysed && !added.queued,
        },
    ))
}

pub(super) async fn image_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<ImageListQuery>,
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
    ok(ImageList {
        images: images.into_iter().map(image_body).collect(),
        limit,
        offset,
    })
}

pub(super) async fn image_get(
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
    let image = image.ok_or_else(|| ApiError::not_found("image"))?;
    ok(image_body(image))
}

pub(super) async fn image_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    write_owned(&s, p, Resource::Image, id, |store, account, id| {
        store.delete_image(account, id)
    })
    .await
}

/// An image id from an id, a manifest digest or a tag (`registry/repository:tag`, URL-encoded
/// in paths): a tag names the image its latest analysis found.
pub(crate) fn resolve_image(store: &Store, account: &str, key: &str) -> Result<String, ApiError> {
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
pub(crate) async fn load_analysis(
    s: &S,
    p: &Principal,
    id: String,
) -> Result<(drydock_store::Image, Arc<Analysis>), ApiError> {
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

pub(super) async fn history(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult {
    let tag = q.tag.ok_or_else(|| ApiError::bad("give tag=registry/repository:tag"))?;
    let full = ImageTarget::parse(&registry_tag(&tag)?).full_tag();
    let store = s.store.clone();
    let h = blocking(move || Ok(store.tag_history(&p.acting_account, &full)?)).await?;
    let history = h
        .into_iter()
        .map(|h| TagHistory {
            tag: h.tag,
            digest: h.digest,
            image_id: h.image_id,
            first_seen: h.first_seen,
            last_seen: h.last_seen,
        })
        .collect();
    ok(History { tag, history })
}

/// Packages (by type and name) and files (by path; changed: mode, size or content) added,
/// removed or changed from one analysed image to another.
pub(super) async fn diff(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<DiffQuery>,
) -> ApiResult {
    let (Some(from), Some(to)) = (q.from, q.to) else {
        return Err(ApiError::bad("give from= and to= (image ids or digests)"));
    };
    ok(diff_images(&s, &p, from, to).await?)
}

/// What changed from one analysed image of the account to another (the API's diff and the
/// web UI's compare page).
pub(crate) async fn diff_images(s: &S, p: &Principal, from: String, to: String) -> Result<Diff, ApiError> {
    let (_, a) = load_analysis(s, p, from.clone()).await?;
    let (_, b) = load_analysis(s, p, to.clone()).await?;
    use std::collections::BTreeMap;
    let pk = |x: &Analysis| -> BTreeMap<(String, String), String> {
        x.sbom
            .packages
            .iter()
            .map(|p| ((p.package_type.as_str().to_string(), p.name.clone()), p.version.clone()))
            .collect()
    };
    let (pa, pb) = (pk(&a), pk(&b));
    let package = |(t, n): &(String, String), v: &String| DiffPackage {
        package_type: t.clone(),
        name: n.clone(),
        version: v.clone(),
    };
    let mut packages = Changes {
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
    };
    for (k, v) in &pb {
        match pa.get(k) {
            None => packages.added.push(package(k, v)),
            Some(old) if old != v => packages.changed.push(PackageChange {
                package_type: k.0.clone(),
                name: k.1.clone(),
                from: old.clone(),
                to: v.clone(),
            }),
            _ => {}
        }
    }
    for (k, v) in &pa {
        if !pb.contains_key(k) {
            packages.removed.push(package(k, v));
        }
    }
    let fl = |x: &Analysis| -> BTreeMap<String, (u32, u64, Option<String>)> {
        x.files
            .iter()
            .map(|f| (f.path.clone(), (f.mode, f.size, f.sha256().map(String::from))))
            .collect()
    };
    let (fa, fb) = (fl(&a), fl(&b));
    let files = Changes {
        added: fb.keys().filter(|k| !fa.contains_key(*k)).cloned().collect(),
        removed: fa.keys().filter(|k| !fb.contains_key(*k)).cloned().collect(),
        changed: fb
            .iter()
            .filter(|(k, v)| fa.get(*k).is_some_and(|o| o != *v))
            .map(|(k, _)| k.clone())
            .collect(),
    };
    let ids = |x: &Analysis| -> BTreeMap<String, String> {
        x.vulnerabilities
            .iter()
            .flat_map(|r| &r.findings)
            .map(|f| (format!("{} {}", f.id, f.package.name), f.package.version.clone()))
            .collect()
    };
    let (va, vb) = (ids(&a), ids(&b));
    let findings = Changes {
        added: vb.keys().filter(|k| !va.contains_key(*k)).cloned().collect(),
        removed: va.keys().filter(|k| !vb.contains_key(*k)).cloned().collect(),
        changed: vb
            .iter()
            .filter(|(k, v)| va.get(*k).is_some_and(|o| o != *v))
            .map(|(k, _)| k.clone())
            .collect(),
    };
    Ok(Diff {
        from,
        to,
        packages,
        findings,
        files,
    })
}
