//! What an image's analysis holds: its SBOM, vulnerabilities, packages and files, a policy
//! check, secrets and misconfigurations; the vulnerability and check routes also answer in
//! drydock's report formats (`format=`).

use super::images::load_analysis;
use super::{blocking, ok, ApiError, ApiResult, Principal, S};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use drydock_api::images::{
    Check, CheckQuery, Content, Misconfigurations, SbomQuery, Secrets, VulnReport, VulnerabilityData,
};
use drydock_api::FormatQuery;
use drydock_policy::{EvalContext, EvalOptions, ImageTarget};
use serde_json::Value;

pub(super) async fn image_sbom(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Query<SbomQuery>,
) -> ApiResult {
    let (_, a) = load_analysis(&s, &p, id).await?;
    let doc = match q.format.as_deref().unwrap_or("native") {
        "native" | "json" => serde_json::to_value(&a.sbom).unwrap_or(Value::Null),
        "cyclonedx" | "cyclonedx-json" => drydock_sbom::formats::cyclonedx::to_cyclonedx_json(&a.sbom),
        "spdx" | "spdx-json" => drydock_sbom::formats::spdx::to_spdx_json(&a.sbom),
        other => {
            return Err(ApiError::bad(format!(
                "unknown SBOM format {other:?}; use native, cyclonedx or spdx"
            )))
        }
    };
    ok(doc)
}

/// The report format asked for, `None` for the API's own JSON.
fn report_format<F: drydock_report::OutputFormat>(format: Option<&str>) -> Result<Option<F>, ApiError> {
    match format {
        None | Some("api" | "api-json") => Ok(None),
        Some(name) => F::parse(name)
            .map(Some)
            .map_err(|e| ApiError::bad(format!("{e}, or api (the default)"))),
    }
}

/// A report rendered by `drydock_report`, with the media type of its format.
fn rendered(media_type: &'static str, render: impl FnOnce(&mut Vec<u8>) -> std::io::Result<()>) -> ApiResult {
    let mut body = Vec::new();
    render(&mut body).map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(([(header::CONTENT_TYPE, media_type)], body).into_response())
}

pub(super) async fn image_vuln(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path((id, kind)): Path<(String, String)>,
    Query(q): Query<FormatQuery>,
) -> ApiResult {
    use drydock_report::vulns::{render, Format};
    let format = report_format::<Format>(q.format.as_deref())?;
    let keep: fn(&drydock_match::Finding) -> bool = match kind.as_str() {
        "os" => |f| f.package.package_type.is_os(),
        "non-os" => |f| !f.package.package_type.is_os(),
        "all" => |_| true,
        other => {
            return Err(ApiError::bad(format!(
                "unknown vulnerability type {other:?}; use os, non-os or all"
            )))
        }
    };
    let (image, a) = load_analysis(&s, &p, id).await?;
    if let Some(format) = format {
        // The same document `drydock scan -o FORMAT` writes, limited to the packages asked for.
        let mut report = a.vulnerabilities.clone().unwrap_or_default();
        report.findings.retain(keep);
        report.suppressed.retain(|s| keep(&s.finding));
        let ctx = drydock_report::vulns::ScanContext {
            analysis: &a,
            report: &report,
            files: false,
        };
        let media_type = match format {
            Format::Table => "text/plain; charset=utf-8",
            Format::Sarif => "application/sarif+json",
            Format::CycloneDxJson => "application/vnd.cyclonedx+json",
            Format::Json => "application/json",
        };
        return rendered(media_type, |w| render(&ctx, format, w, false));
    }
    let Some(report) = &a.vulnerabilities else {
        return ok(VulnReport::<Value, Value, Value> {
            image: image.id,
            digest: image.digest,
            vulnerability_type: None,
            vulnerabilities: Vec::new(),
            suppressed: None,
            database: None,
            note: Some("no vulnerability database was available when the image was analysed".into()),
        });
    };
    ok(VulnReport {
        image: image.id,
        digest: image.digest,
        vulnerability_type: Some(kind),
        vulnerabilities: report.findings.iter().filter(|f| keep(f)).collect(),
        suppressed: Some(report.suppressed.iter().filter(|s| keep(&s.finding)).collect()),
        database: Some(&a.database),
        note: None,
    })
}

pub(super) async fn image_content(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path((id, kind)): Path<(String, String)>,
) -> ApiResult {
    let (image, a) = load_analysis(&s, &p, id).await?;
    if kind == "files" {
        return ok(Content {
            image: image.id,
            content_type: kind,
            content: a.files.iter().collect(),
        });
    }
    // The kinds are the package-type table's (`drydock_ecosystem::content_kinds`).
    let Some(want) = drydock_ecosystem::content_types(&kind) else {
        let kinds = drydock_ecosystem::content_kinds().join(", ");
        return Err(ApiError::bad(format!(
            "unknown content type {kind:?}; use one of {kinds}"
        )));
    };
    let content = a
        .sbom
        .packages
        .iter()
        .filter(|pk| want.contains(&pk.package_type))
        .collect();
    ok(Content {
        image: image.id,
        content_type: kind,
        content,
    })
}

/// An image judged by a bundle: the stored bundle named (else the active one, else the
/// built-in default) under the tag given (else the image's first). The API's check route and
/// the web UI's policy tab both answer from it.
pub(crate) struct Judged {
    /// The bundle evaluated.
    pub bundle: drydock_policy::Bundle,
    /// The answer, as the API gives it.
    pub check: Check<drydock_policy::Evaluation>,
}

/// Evaluates a bundle against an image of the caller's account (see [`Judged`]).
pub(crate) async fn judge_image(
    s: &S,
    p: &Principal,
    id: String,
    policy: Option<String>,
    tag: Option<String>,
) -> Result<Judged, ApiError> {
    let (image, a) = load_analysis(s, p, id).await?;
    let store = s.store.clone();
    let account = p.acting_account.clone();
    let policy_id = policy.clone();
    let stored = blocking(move || Ok(store.policy(&account, policy_id.as_deref())?)).await?;
    let bundle = match (&stored, &policy) {
        (Some(pol), _) => drydock_policy::parse_bundle(pol.bundle.as_bytes(), &pol.id)
            .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?,
        (None, Some(id)) => return Err(ApiError::not_found(format!("policy {id:?}"))),
        (None, None) => drydock_policy::default_bundle(),
    };
    let tag = tag.or_else(|| image.tags.first().cloned()).unwrap_or_default();
    let mut target = ImageTarget::parse(&tag);
    target.digest = image.digest.clone().unwrap_or_default();
    target.image_id = a.image().source.config_digest.clone().unwrap_or_default();
    let ctx = EvalContext {
        now_unix: drydock_analysis::now_unix(),
        tag: Some(tag.clone()),
    };
    let mut eval = drydock_policy::evaluate(&bundle, &a, &target, &ctx, &EvalOptions::default()).map_err(|e| {
        let status = match e {
            drydock_policy::PolicyError::Unmapped { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        ApiError::new(status, e.to_string())
    })?;
    // Never a verdict that looks as if matching had run: say so when it did not.
    let vuln_data = if a.vulnerabilities.is_some() {
        VulnerabilityData::Available
    } else {
        if !eval
            .results
            .iter()
            .any(|r| r.trigger == "vulnerability_data_unavailable")
        {
            eval.warnings.push(
                "vulnerability_data_unavailable: the image was not matched against a vulnerability database, and \
                 this bundle has no vulnerabilities.vulnerability_data_unavailable rule: its result does not cover \
                 vulnerabilities"
                    .into(),
            );
        }
        VulnerabilityData::Unavailable
    };
    Ok(Judged {
        bundle,
        check: Check {
            image: image.id,
            tag,
            policy: stored.map(|p| p.id),
            evaluation: eval,
            vulnerability_data: vuln_data,
        },
    })
}

pub(super) async fn image_check(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
    Query(q): Query<CheckQuery>,
) -> ApiResult {
    let format = report_format::<drydock_report::policy::Format>(q.format.as_deref())?;
    let Judged { bundle, check } = judge_image(&s, &p, id, q.policy, q.tag).await?;
    if let Some(format) = format {
        use drydock_report::policy::Format;
        let media_type = match format {
            Format::Table => "text/plain; charset=utf-8",
            Format::Sarif => "application/sarif+json",
            Format::Junit => "application/xml",
            Format::Json => "application/json",
        };
        return rendered(media_type, |w| {
            drydock_report::policy::render(&bundle, &check.evaluation, format, w, false, false)
        });
    }
    ok(check)
}

pub(super) async fn image_secrets(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let (image, a) = load_analysis(&s, &p, id).await?;
    ok(Secrets {
        image: image.id,
        secrets: a.secrets.iter().flatten().collect(),
    })
}

pub(super) async fn image_misconfig(
    State(s): State<S>,
    axum::Extension(p): axum::Extension<Principal>,
    Path(id): Path<String>,
) -> ApiResult {
    let (image, a) = load_analysis(&s, &p, id).await?;
    ok(Misconfigurations {
        image: image.id,
        misconfigurations: a.misconfigurations.iter().flatten().collect(),
    })
}
