//! Registry credentials of an account: stored sealed, never returned.

use super::access::{write_owned, Resource};
use super::{blocking, ok, paged, reply, ApiError, ApiResult, Principal, S};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use drydock_api::registries::{AddRegistry, Registry, RegistryAdded, RegistryList};
use drydock_api::PageQuery;

pub(super) async fn registry_add(
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
    reply(
        StatusCode::CREATED,
        RegistryAdded {
            registry: host,
            username: b.username,
            insecure: b.insecure,
        },
    )
}

pub(super) async fn registry_list(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<PageQuery>,
) -> ApiResult {
    let store = s.store.clone();
    let list = blocking(move || Ok(store.registries(&p.acting_account)?)).await?;
    let list = list
        .into_iter()
        .map(|r| Registry {
            registry: r.registry,
            username: r.username,
            insecure: r.insecure,
            created_at: r.created_at,
        })
        .collect();
    let (registries, limit, offset, total) = paged(list, &q)?;
    ok(RegistryList {
        registries,
        limit,
        offset,
        total,
    })
}

pub(super) async fn registry_delete(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(registry): Path<String>,
) -> ApiResult {
    write_owned(&s, p, Resource::Registry, registry, |store, account, id| {
        store.delete_registry(account, id)
    })
    .await
}
