//! One image: its overview (metadata, distro, layers and the build step of each), its
//! vulnerabilities (filtered by severity, fix, KEV, EPSS, package type and text, sorted;
//! each with the record, range and fixed version that matched) and its packages
//! (searchable, with licences). `?tab=` picks the tab, so each is a URL to share.

use super::dashboard::SEVERITIES;
use super::{frame, render, Viewer};
use crate::api::images::load_analysis;
use crate::api::S;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use drydock_analysis::Analysis;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The tabs, in order: `(key, label)`.
const TABS: &[(&str, &str)] = &[
    ("overview", "Overview"),
    ("vulnerabilities", "Vulnerabilities"),
    ("packages", "Packages"),
    ("policy", "Policy"),
    ("secrets", "Secrets & misconfiguration"),
];

/// `GET /images/{id}` parameters: the tab and its filters.
#[derive(Debug, Default, Deserialize, Serialize)]
pub(super) struct ImageQuery {
    tab: Option<String>,
    q: Option<String>,
    severity: Option<String>,
    fix: Option<String>,
    kev: Option<String>,
    epss: Option<String>,
    #[serde(rename = "type")]
    package_type: Option<String>,
    sort: Option<String>,
    policy: Option<String>,
}

#[derive(Debug, Serialize)]
struct Tab {
    key: &'static str,
    label: &'static str,
    active: bool,
    count: Option<usize>,
}

#[derive(Debug, Serialize)]
struct Layer {
    index: usize,
    digest: String,
    size: u64,
    created_by: Option<String>,
}

#[derive(Debug, Serialize)]
struct Overview {
    registry: String,
    repository: String,
    digest: Option<String>,
    tags: Vec<String>,
    status: String,
    analyzed_at: Option<i64>,
    distro: Option<String>,
    platform: String,
    created: Option<String>,
    user: Option<String>,
    entrypoint: String,
    layers: Vec<Layer>,
    size: u64,
    packages: usize,
    database: Option<String>,
}

#[derive(Debug, Serialize)]
struct VulnRow {
    id: String,
    aliases: Vec<String>,
    summary: String,
    severity: String,
    package: String,
    version: String,
    package_type: String,
    fixed: String,
    fix_state: String,
    kev: bool,
    epss: Option<String>,
    record: String,
    matched: String,
    location: String,
}

#[derive(Debug, Serialize)]
struct PackageRow {
    name: String,
    version: String,
    package_type: String,
    licenses: Vec<String>,
    purl: String,
    location: String,
}

#[derive(Debug, Serialize)]
struct ImagePage {
    id: String,
    title: String,
    tab: &'static str,
    tabs: Vec<Tab>,
    query: ImageQuery,
    overview: Option<Overview>,
    vulnerabilities: Option<Vec<VulnRow>>,
    /// Why there are no vulnerability results at all (no database at analysis time).
    vuln_note: Option<String>,
    packages: Option<Vec<PackageRow>>,
    package_types: Vec<String>,
    severities: Vec<&'static str>,
    policy: Option<PolicyTab>,
    secrets: Option<SecretsTab>,
}

#[derive(Debug, Serialize)]
struct SecretRow {
    title: String,
    rule_id: String,
    severity: String,
    path: String,
    line: usize,
    redacted: String,
    layer: usize,
}

#[derive(Debug, Serialize)]
struct MisconfigRow {
    id: String,
    severity: String,
    title: String,
    explanation: String,
    path: Option<String>,
    layer: Option<usize>,
    evidence: String,
}

#[derive(Debug, Serialize)]
struct SecretsTab {
    /// `None`: secret scanning did not run for this analysis (said on the page).
    secrets: Option<Vec<SecretRow>>,
    /// `None`: misconfiguration checks did not run.
    misconfigurations: Option<Vec<MisconfigRow>>,
    /// False when the analysis started from an SBOM (no files were looked at).
    has_files: bool,
}

/// A severity as its JSON name.
fn severity_name<T: Serialize>(s: &T) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

#[derive(Debug, Serialize)]
struct PolicyChoice {
    id: String,
    name: String,
    active: bool,
}

#[derive(Debug, Serialize)]
struct PolicyTab {
    /// Stored bundles the image can be evaluated against.
    choices: Vec<PolicyChoice>,
    /// The bundle evaluated (`None`: the active one or the built-in default).
    chosen: Option<String>,
    /// The evaluation (as the API's check answers it).
    check: Option<Value>,
    /// Why there is none.
    error: Option<String>,
}

fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The range, listed version or CPE that matched, in words.
fn matched_text(m: &drydock_match::Matched) -> String {
    let v = serde_json::to_value(m).unwrap_or(Value::Null);
    if let Some(events) = v.get("events").and_then(Value::as_array) {
        return events
            .iter()
            .filter_map(Value::as_object)
            .flat_map(|o| o.iter().map(|(k, v)| format!("{k} {}", text_of(v))))
            .collect::<Vec<_>>()
            .join(", ");
    }
    if let Some(l) = v.get("listed") {
        return format!("listed version {}", text_of(l));
    }
    if let Some(c) = v.get("criteria") {
        return format!("CPE {}", text_of(c));
    }
    "every version (no fix)".to_string()
}

fn vuln_rows(a: &Analysis, q: &ImageQuery) -> Vec<VulnRow> {
    let Some(report) = &a.vulnerabilities else {
        return Vec::new();
    };
    let text = q.q.as_deref().unwrap_or("").trim().to_lowercase();
    let min_epss: Option<f32> = q.epss.as_deref().and_then(|e| e.parse::<f32>().ok()).map(|p| p / 100.0);
    let mut rows: Vec<(usize, f32, VulnRow)> = report
        .findings
        .iter()
        .filter(|f| {
            let sev = f.severity.as_str().to_lowercase();
            q.severity.as_deref().is_none_or(|s| s.is_empty() || s == sev)
                && (q.fix.as_deref() != Some("yes") || !f.fixed_versions.is_empty())
                && (q.fix.as_deref() != Some("no") || f.fixed_versions.is_empty())
                && (q.kev.as_deref() != Some("yes") || f.kev_date_added.is_some())
                && min_epss.is_none_or(|m| f.epss.is_some_and(|e| e.score >= m))
                && q.package_type
                    .as_deref()
                    .is_none_or(|t| t.is_empty() || f.package.package_type.as_str() == t)
                && (text.is_empty()
                    || f.id.to_lowercase().contains(&text)
                    || f.aliases.iter().any(|x| x.to_lowercase().contains(&text))
                    || f.package.name.to_lowercase().contains(&text))
        })
        .map(|f| {
            let sev = f.severity.as_str().to_lowercase();
            let rank = SEVERITIES
                .iter()
                .position(|(k, _)| *k == sev)
                .unwrap_or(SEVERITIES.len());
            let e = f.evidence.first();
            let row = VulnRow {
                id: f.id.clone(),
                aliases: f.aliases.clone(),
                summary: f.summary.clone(),
                severity: SEVERITIES.get(rank).map_or("Unknown", |(_, s)| s).to_string(),
                package: f.package.name.clone(),
                version: f.package.version.clone(),
                package_type: f.package.package_type.as_str().to_string(),
                fixed: f.fixed_versions.join(", "),
                fix_state: serde_json::to_value(f.fix_state)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                kev: f.kev_date_added.is_some(),
                epss: f.epss.map(|e| format!("{:.1} %", e.score * 100.0)),
                record: e.map(|e| format!("{} ({})", e.advisory, e.source)).unwrap_or_default(),
                matched: e.map(|e| matched_text(&e.matched)).unwrap_or_default(),
                location: f.package.locations.first().map(|l| l.path.clone()).unwrap_or_default(),
            };
            (rank, f.epss.map_or(0.0, |e| e.score), row)
        })
        .collect();
    match q.sort.as_deref() {
        Some("package") => rows.sort_by(|a, b| a.2.package.cmp(&b.2.package).then(a.0.cmp(&b.0))),
        Some("epss") => rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0))),
        Some("id") => rows.sort_by(|a, b| a.2.id.cmp(&b.2.id)),
        _ => rows.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.2.id.cmp(&b.2.id))),
    }
    rows.into_iter().map(|(_, _, r)| r).collect()
}

fn package_rows(a: &Analysis, q: &ImageQuery) -> Vec<PackageRow> {
    let text = q.q.as_deref().unwrap_or("").trim().to_lowercase();
    let mut rows: Vec<PackageRow> = a
        .sbom
        .packages
        .iter()
        .map(|p| PackageRow {
            name: p.name.clone(),
            version: p.version.clone(),
            package_type: p.package_type.as_str().to_string(),
            licenses: p.licenses.clone(),
            purl: p.purl.clone(),
            location: p.locations.first().map(|l| l.path.clone()).unwrap_or_default(),
        })
        .filter(|r| {
            q.package_type
                .as_deref()
                .is_none_or(|t| t.is_empty() || t == r.package_type)
        })
        .filter(|r| {
            text.is_empty()
                || r.name.to_lowercase().contains(&text)
                || r.purl.to_lowercase().contains(&text)
                || r.licenses.iter().any(|l| l.to_lowercase().contains(&text))
        })
        .collect();
    rows.sort_by(|a, b| {
        a.name
            .to_lowercase()
            .cmp(&b.name.to_lowercase())
            .then(a.version.cmp(&b.version))
    });
    rows
}

pub(super) async fn page(
    State(s): State<S>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
    Query(q): Query<ImageQuery>,
) -> Response {
    let (image, a) = match load_analysis(&s, &v.principal, id.clone()).await {
        Ok(x) => x,
        // Not analysed yet: a page that follows the analysis live.
        Err(e) if e.parts().0 == axum::http::StatusCode::CONFLICT => return pending(&s, &v, id).await,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    let tab = TABS
        .iter()
        .find(|(k, _)| Some(*k) == q.tab.as_deref())
        .map_or("overview", |(k, _)| k);
    let name = image
        .tags
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{}/{}", image.registry, image.repository));
    let frame = match frame(&s, &v, &name, "Images").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let meta = &a.sbom.image;
    let overview = (tab == "overview").then(|| Overview {
        registry: image.registry.clone(),
        repository: image.repository.clone(),
        digest: image.digest.clone(),
        tags: image.tags.clone(),
        status: image.status.clone(),
        analyzed_at: image.analyzed_at,
        distro: a.sbom.distro.as_ref().map(|d| {
            d.pretty_name
                .clone()
                .unwrap_or_else(|| format!("{} {}", d.id, d.version_id))
        }),
        platform: [meta.config.os.as_str(), meta.config.architecture.as_str()]
            .into_iter()
            .chain(meta.config.variant.as_deref())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/"),
        created: meta.config.created.clone(),
        user: meta.config.user.clone(),
        entrypoint: meta
            .config
            .entrypoint
            .iter()
            .chain(&meta.config.cmd)
            .cloned()
            .collect::<Vec<_>>()
            .join(" "),
        layers: meta
            .layers
            .iter()
            .map(|l| Layer {
                index: l.index,
                digest: l.digest.clone(),
                size: l.size,
                created_by: l.created_by.clone(),
            })
            .collect(),
        size: meta.layers.iter().map(|l| l.size).sum(),
        packages: a.sbom.packages.len(),
        database: a.database.as_ref().and_then(|d| d.built_at.clone()),
    });
    let vuln_note = a.vulnerabilities.is_none().then(|| {
        "No vulnerability database was available when this image was analysed: its packages were not matched."
            .to_string()
    });
    let vuln_count = a.vulnerabilities.as_ref().map(|r| r.findings.len());
    let vulnerabilities = (tab == "vulnerabilities").then(|| vuln_rows(&a, &q));
    let packages = (tab == "packages").then(|| package_rows(&a, &q));
    let secrets = (tab == "secrets").then(|| SecretsTab {
        secrets: a.secrets.as_ref().map(|list| {
            list.iter()
                .map(|x| SecretRow {
                    title: x.finding.title.clone(),
                    rule_id: x.finding.rule_id.clone(),
                    severity: severity_name(&x.finding.severity),
                    path: x.finding.path.clone(),
                    line: x.finding.line,
                    // Only the redacted form is ever shown.
                    redacted: x.finding.redacted.clone(),
                    layer: x.layer,
                })
                .collect()
        }),
        misconfigurations: a.misconfigurations.as_ref().map(|list| {
            list.iter()
                .map(|m| MisconfigRow {
                    id: m.id.clone(),
                    severity: severity_name(&m.severity),
                    title: m.title.clone(),
                    explanation: m.explanation.clone(),
                    path: m.path.clone(),
                    layer: m.layer,
                    evidence: m.evidence.clone(),
                })
                .collect()
        }),
        has_files: a.has_files,
    });
    let policy = if tab == "policy" {
        let st = s.clone();
        let account = v.principal.acting_account.clone();
        let choices = crate::api::blocking(move || Ok(st.store.policies(&account)?))
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|p| PolicyChoice {
                id: p.id,
                name: p.name,
                active: p.active,
            })
            .collect();
        let chosen = q.policy.clone().filter(|p| !p.is_empty());
        let judged = crate::api::analysis::judge_image(&s, &v.principal, image.id.clone(), chosen.clone(), None).await;
        Some(match judged {
            Ok(j) => PolicyTab {
                choices,
                chosen,
                check: serde_json::to_value(&j.check).ok(),
                error: None,
            },
            Err(e) => PolicyTab {
                choices,
                chosen,
                check: None,
                error: Some(e.parts().1.to_string()),
            },
        })
    } else {
        None
    };
    let mut package_types: Vec<String> = a
        .sbom
        .packages
        .iter()
        .map(|p| p.package_type.as_str().to_string())
        .collect();
    package_types.sort();
    package_types.dedup();
    let page = ImagePage {
        id: image.id.clone(),
        title: name,
        tab,
        tabs: TABS
            .iter()
            .map(|(k, label)| Tab {
                key: k,
                label,
                active: *k == tab,
                count: match *k {
                    "vulnerabilities" => vuln_count,
                    "packages" => Some(a.sbom.packages.len()),
                    _ => None,
                },
            })
            .collect(),
        query: q,
        overview,
        vulnerabilities,
        vuln_note,
        packages,
        package_types,
        severities: SEVERITIES.iter().map(|(k, _)| *k).collect(),
        policy,
        secrets,
    };
    render(&s, "image.html", &frame, &page).into_response()
}

/// `GET /images/{id}/sbom?format=`: the image's SBOM as a download.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SbomQuery {
    format: Option<String>,
}

pub(super) async fn sbom_download(
    State(s): State<S>,
    Extension(v): Extension<Viewer>,
    Path(id): Path<String>,
    Query(q): Query<SbomQuery>,
) -> Response {
    let (image, a) = match load_analysis(&s, &v.principal, id).await {
        Ok(x) => x,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    let (doc, suffix, media) = match q.format.as_deref().unwrap_or("native") {
        "cyclonedx" => (
            drydock_sbom::formats::cyclonedx::to_cyclonedx_json(&a.sbom),
            "cdx.json",
            "application/vnd.cyclonedx+json",
        ),
        "spdx" => (
            drydock_sbom::formats::spdx::to_spdx_json(&a.sbom),
            "spdx.json",
            "application/spdx+json",
        ),
        "native" => (
            serde_json::to_value(&a.sbom).unwrap_or(Value::Null),
            "drydock.json",
            "application/json",
        ),
        other => {
            return super::error_page(
                &s,
                Some(&v),
                axum::http::StatusCode::BAD_REQUEST,
                "Unknown format",
                &format!("There is no SBOM format {other:?}."),
                Some("Use cyclonedx, spdx or native."),
            )
        }
    };
    let body = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    // The file name: the repository's last part and the digest's first hex digits.
    let base: String = image
        .repository
        .rsplit('/')
        .next()
        .unwrap_or("image")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    let short = image
        .digest
        .as_deref()
        .and_then(|d| d.split(':').nth(1))
        .map(|h| &h[..12.min(h.len())])
        .unwrap_or("undigested");
    let disposition = format!("attachment; filename=\"{base}-{short}.{suffix}\"");
    (
        [
            (axum::http::header::CONTENT_TYPE, media.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

#[derive(Debug, Serialize)]
struct Pending {
    id: String,
    name: String,
    status: String,
    error: Option<String>,
    created_at: i64,
    now: i64,
}

async fn pending_of(s: &S, v: &Viewer, id: String) -> Result<Pending, crate::api::ApiError> {
    let st = s.clone();
    let account = v.principal.acting_account.clone();
    crate::api::blocking(move || {
        let id = crate::api::images::resolve_image(&st.store, &account, &id)?;
        let image = st
            .store
            .image(&account, &id)?
            .ok_or_else(|| crate::api::ApiError::not_found("image"))?;
        Ok(Pending {
            name: image
                .tags
                .first()
                .cloned()
                .unwrap_or_else(|| format!("{}/{}", image.registry, image.repository)),
            id: image.id,
            status: image.status,
            error: image.error,
            created_at: image.created_at,
            now: drydock_store::now(),
        })
    })
    .await
}

/// The page of an image whose analysis has not finished: its status, refreshed live.
async fn pending(s: &S, v: &Viewer, id: String) -> Response {
    let p = match pending_of(s, v, id).await {
        Ok(p) => p,
        Err(e) => return super::api_error_page(s, v, e),
    };
    let frame = match frame(s, v, &p.name, "Images").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    render(s, "pending.html", &frame, &p).into_response()
}

/// `GET /images/{id}/status`: the live status fragment of a pending image; once analysed,
/// htmx is told to reload the page (`HX-Refresh`), which then shows the analysis.
pub(super) async fn status(State(s): State<S>, Extension(v): Extension<Viewer>, Path(id): Path<String>) -> Response {
    let p = match pending_of(&s, &v, id).await {
        Ok(p) => p,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    if p.status == "analyzed" {
        return ([("hx-refresh", "true")], "").into_response();
    }
    match s.ui.render_fragment("pending.html", "status", &p) {
        Ok(html) => axum::response::Html(html).into_response(),
        Err(e) => {
            tracing::error!("{e}");
            (
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "the page could not be rendered",
            )
                .into_response()
        }
    }
}
