//! Queries over every analysed image of an account (the query index): which images have a
//! vulnerability, which contain a package.

use super::{blocking, ok, ApiError, ApiResult, Principal, S};
use axum::extract::{Query, State};
use drydock_api::queries::{
    PackageHit, PackageImages, PackageQuery, VulnerabilityHit, VulnerabilityImages, VulnerabilityQuery,
};
use serde_json::Value;

pub(super) async fn query_vulnerability(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<VulnerabilityQuery>,
) -> ApiResult {
    let id =
        q.id.filter(|i| !i.is_empty())
            .ok_or_else(|| ApiError::bad("give id=CVE-… or GHSA-…"))?;
    let store = s.store.clone();
    let wanted = id.clone();
    let hits = blocking(move || Ok(store.images_with_vulnerability(&p.acting_account, &wanted)?)).await?;
    let images = hits
        .into_iter()
        .map(|h| VulnerabilityHit {
            image_id: h.image_id,
            digest: h.digest,
            id: h.hit.id,
            package: h.hit.package,
            version: h.hit.version,
            package_type: h.hit.package_type,
            severity: h.hit.severity,
            fixed_versions: h.hit.fixed_versions,
        })
        .collect();
    ok(VulnerabilityImages {
        vulnerability: id,
        images,
    })
}

pub(super) async fn query_package(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Query(q): Query<PackageQuery>,
) -> ApiResult {
    let name = q
        .name
        .filter(|n| !n.is_empty())
        .ok_or_else(|| ApiError::bad("give name= (and optionally version=, type=)"))?;
    let (version, kind) = (q.version, q.package_type);
    let (min, max) = (q.min_version, q.max_version);
    let store = s.store.clone();
    let n = name.clone();
    // Version bounds compare with the package type's own rules (dpkg, rpm, PEP 440, …).
    let in_range = move |package_type: &str, v: &str| -> bool {
        let scheme = serde_json::from_value::<drydock_sbom::PackageType>(Value::String(package_type.to_string()))
            .map(drydock_policy::gates::packages::scheme_of)
            .unwrap_or(drydock_version::Scheme::Generic);
        let cmp = |a: &str, b: &str| drydock_version::compare(scheme, a, b).ok();
        min.as_deref().is_none_or(|m| cmp(v, m).is_some_and(|o| o.is_ge()))
            && max.as_deref().is_none_or(|m| cmp(v, m).is_some_and(|o| o.is_lt()))
    };
    let hits = blocking(move || Ok(store.images_with_package(&p.acting_account, &n)?)).await?;
    let images = hits
        .into_iter()
        .filter(|h| {
            let pk = &h.hit;
            version.as_deref().is_none_or(|v| pk.version == v)
                && kind.as_deref().is_none_or(|t| pk.package_type == t)
                && in_range(&pk.package_type, &pk.version)
        })
        .map(|h| PackageHit {
            image_id: h.image_id,
            digest: h.digest,
            package: h.hit.name,
            version: h.hit.version,
            package_type: h.hit.package_type,
            locations: h.hit.locations,
        })
        .collect();
    ok(PackageImages { package: name, images })
}
