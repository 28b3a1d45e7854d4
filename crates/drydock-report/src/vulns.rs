//! Output of `drydock scan`: table, native JSON, CycloneDX 1.6 with vulnerabilities, SARIF 2.1.0.

use crate::findings::{add_sarif, inspect_fields, sarif_run, write_tables, InspectFields};
use crate::sarif::sarif_location;
use crate::table::write_warnings;
use crate::OutputFormat;
use drydock_analysis::Analysis;
use drydock_match::{Finding, MatchReport, Matched, MatchedBy, SeverityLevel, VexStatus, REPORT_SCHEMA};
use drydock_vulndb::{FixState, Severity};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Write};

/// A format `drydock scan` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable findings table (`table`).
    Table,
    /// The native JSON document (`json`, `native`, `drydock-json`).
    Json,
    /// CycloneDX JSON with vulnerabilities (`cyclonedx-json`, `cyclonedx`, `cdx`).
    CycloneDxJson,
    /// SARIF 2.1.0 (`sarif`, `sarif-json`).
    Sarif,
}

impl OutputFormat for Format {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("table", Format::Table),
        ("json", Format::Json),
        ("native", Format::Json),
        ("drydock-json", Format::Json),
        ("cyclonedx-json", Format::CycloneDxJson),
        ("cyclonedx", Format::CycloneDxJson),
        ("cdx", Format::CycloneDxJson),
        ("sarif", Format::Sarif),
        ("sarif-json", Format::Sarif),
    ];
}

/// Everything the outputs draw on.
pub struct ScanContext<'a> {
    /// The analysis (its SBOM and database status are what the outputs show).
    pub analysis: &'a Analysis,
    /// The vulnerability findings (empty when the vuln scanner is off).
    pub report: &'a MatchReport,
    /// Whether the native JSON lists the image's files (`scan --files`); they are most of a
    /// big image's document, so they are left out unless asked for.
    pub files: bool,
}

/// Writes the findings in one format (`color`: severity colours in the table, for a terminal).
pub fn render(ctx: &ScanContext<'_>, format: Format, w: &mut dyn Write, color: bool) -> io::Result<()> {
    match format {
        Format::Table => {
            if ctx.analysis.scanners.vuln {
                write_table(ctx.report, w, color)?;
            }
            write_tables(ctx.analysis, w, ctx.analysis.scanners.vuln)?;
            return write_warnings(w, &scan_warnings(ctx));
        }
        Format::Json => serde_json::to_writer_pretty(&mut *w, &native_json(ctx))?,
        Format::CycloneDxJson => serde_json::to_writer_pretty(&mut *w, &cyclonedx_json(ctx))?,
        Format::Sarif => serde_json::to_writer_pretty(&mut *w, &sarif_json(ctx))?,
    }
    writeln!(w)
}

/// The FIXED-IN cell.
fn fixed_in(f: &Finding) -> String {
    match f.fix_state {
        FixState::Fixed => f.fixed_versions.join(", "),
        FixState::WontFix => "(won't fix)".into(),
        FixState::NotFixed => "(not fixed)".into(),
        _ => String::new(),
    }
}

fn write_table(report: &MatchReport, w: &mut dyn Write, color: bool) -> io::Result<()> {
    if report.findings.is_empty() {
        writeln!(w, "No vulnerabilities found.")?;
    } else {
        let header = [
            "NAME",
            "INSTALLED",
            "FIXED-IN",
            "TYPE",
            "VULNERABILITY",
            "SEVERITY",
            "KEV",
        ];
        let rows: Vec<[String; 7]> = report
            .findings
            .iter()
            .map(|f| {
                [
                    f.package.name.clone(),
                    f.package.version.clone(),
                    fixed_in(f),
                    f.package.package_type.to_string(),
                    vulnerability_cell(f),
                    f.severity.to_string(),
                    if f.kev_date_added.is_some() {
                        "KEV".into()
                    } else {
                        String::new()
                    },
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for r in &rows {
            for (i, c) in r.iter().enumerate() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
        let line = |cells: &[&str], sev: Option<SeverityLevel>| {
            let mut s = String::new();
            for (i, c) in cells.iter().enumerate() {
                let cell = if i + 1 == cells.len() {
                    c.to_string()
                } else {
                    format!("{:<width$}  ", c, width = widths[i])
                };
                match (i, sev) {
                    (5, Some(level)) if color => {
                        s.push_str(colour(level));
                        s.push_str(&cell);
                        s.push_str("\x1b[0m");
                    }
                    _ => s.push_str(&cell),
                }
            }
            s.trim_end().to_string()
        };
        writeln!(w, "{}", line(&header, None))?;
        for (r, f) in rows.iter().zip(&report.findings) {
            let cells: Vec<&str> = r.iter().map(String::as_str).collect();
            writeln!(w, "{}", line(&cells, Some(f.severity)))?;
        }
    }
    let mut notes = Vec::new();
    if !report.suppressed.is_empty() {
        notes.push(format!(
            "{} suppressed (ignore rules, VEX, vendor or owner data)",
            report.suppressed.len()
        ));
    }
    let by_cpe = report
        .findings
        .iter()
        .filter(|f| f.matched_by == MatchedBy::Cpe)
        .count();
    if by_cpe > 0 {
        notes.push(format!(
            "{by_cpe} matched by CPE (--cpe-fallback), marked (cpe): less precise, check them"
        ));
    }
    if report.hidden_not_fixed > 0 {
        notes.push(format!(
            "{} without a fix hidden by --only-fixed",
            report.hidden_not_fixed
        ));
    }
    if !notes.is_empty() {
        writeln!(w, "\n{}", notes.join("; "))?;
    }
    Ok(())
}

/// The VULNERABILITY cell: the id, with ` (cpe)` for findings of the CPE fallback.
fn vulnerability_cell(f: &Finding) -> String {
    match f.matched_by {
        MatchedBy::Cpe => format!("{} (cpe)", f.id),
        MatchedBy::Ecosystem => f.id.clone(),
    }
}

/// The NVD criteria that matched a CPE finding.
fn cpe_criteria(f: &Finding) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for e in &f.evidence {
        if let Matched::Cpe { criteria, .. } = &e.matched {
            if !out.contains(&criteria.as_str()) {
                out.push(criteria);
            }
        }
    }
    out
}

fn colour(level: SeverityLevel) -> &'static str {
    match level {
        SeverityLevel::Critical => "\x1b[1;31m",
        SeverityLevel::High => "\x1b[31m",
        SeverityLevel::Medium => "\x1b[33m",
        SeverityLevel::Low => "\x1b[32m",
        SeverityLevel::Negligible | SeverityLevel::Unknown => "\x1b[2m",
    }
}

fn severity_counts(report: &MatchReport) -> Value {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for l in ["critical", "high", "medium", "low", "negligible", "unknown"] {
        counts.insert(l, 0);
    }
    for f in &report.findings {
        *counts.entry(level_word(f.severity)).or_default() += 1;
    }
    json!(counts)
}

fn level_word(l: SeverityLevel) -> &'static str {
    match l {
        SeverityLevel::Critical => "critical",
        SeverityLevel::High => "high",
        SeverityLevel::Medium => "medium",
        SeverityLevel::Low => "low",
        SeverityLevel::Negligible => "negligible",
        SeverityLevel::Unknown => "unknown",
    }
}

fn database_json(ctx: &ScanContext<'_>) -> Value {
    let Some(i) = ctx.analysis.database.as_ref() else {
        return Value::Null;
    };
    json!({
        "path": i.path,
        "schemaVersion": i.schema_version,
        "builtAt": i.built_at,
        "ageSeconds": i.age_seconds,
        "stale": i.stale,
        "sources": i.sources,
    })
}

/// The summary block of the native JSON.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    packages: usize,
    packages_looked_up: usize,
    packages_cpe_looked_up: usize,
    findings: usize,
    matched_by_cpe: usize,
    suppressed: usize,
    hidden_not_fixed: usize,
    by_severity: Value,
}

/// Native JSON: `$schema`, descriptor, source, distro, database, summary, matches,
/// suppressed, warnings. Serialised directly (not through `Value`) so scores keep their
/// shortest form.
#[derive(Serialize)]
pub struct NativeDoc<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    descriptor: &'a drydock_sbom::Descriptor,
    source: &'a drydock_model::ImageMeta,
    distro: &'a Option<drydock_sbom::Distro>,
    database: Value,
    summary: Summary,
    matches: &'a [Finding],
    suppressed: &'a [drydock_match::Suppressed],
    #[serde(flatten)]
    inspect: InspectFields<'a>,
    warnings: Vec<&'a String>,
}

/// What the scan could not read or judge: the SBOM's warnings, then the matcher's. Every
/// output carries them (JSON `warnings`, SARIF notifications, CycloneDX `drydock:warning`
/// properties, lines after the table), so a gap in coverage is never silent.
pub fn scan_warnings<'a>(ctx: &ScanContext<'a>) -> Vec<&'a String> {
    let mut warnings: Vec<&String> = ctx.analysis.sbom.warnings.iter().collect();
    warnings.extend(&ctx.report.warnings);
    warnings
}

/// The native JSON document.
pub fn native_json<'a>(ctx: &ScanContext<'a>) -> NativeDoc<'a> {
    let r = ctx.report;
    let warnings = scan_warnings(ctx);
    NativeDoc {
        schema: REPORT_SCHEMA,
        descriptor: &ctx.analysis.sbom.descriptor,
        source: &ctx.analysis.sbom.image,
        distro: &ctx.analysis.sbom.distro,
        database: database_json(ctx),
        summary: Summary {
            packages: r.packages_total,
            packages_looked_up: r.packages_looked_up,
            packages_cpe_looked_up: r.packages_cpe_looked_up,
            findings: r.findings.len(),
            matched_by_cpe: r.findings.iter().filter(|f| f.matched_by == MatchedBy::Cpe).count(),
            suppressed: r.suppressed.len(),
            hidden_not_fixed: r.hidden_not_fixed,
            by_severity: severity_counts(r),
        },
        matches: &r.findings,
        suppressed: &r.suppressed,
        inspect: {
            let mut fields = inspect_fields(ctx.analysis);
            if !ctx.files {
                fields.files = None;
            }
            fields
        },
        warnings,
    }
}

/// Where an id is published: (source name, URL).
fn id_source(id: &str) -> (&'static str, String) {
    let upper = id.to_ascii_uppercase();
    if upper.starts_with("CVE-") {
        ("NVD", format!("https://nvd.nist.gov/vuln/detail/{id}"))
    } else if upper.starts_with("GHSA-") {
        ("GitHub", format!("https://github.com/advisories/{id}"))
    } else if upper.starts_with("GO-") {
        ("Go", format!("https://pkg.go.dev/vuln/{id}"))
    } else if upper.starts_with("RUSTSEC-") {
        ("RustSec", format!("https://rustsec.org/advisories/{id}"))
    } else {
        ("OSV", format!("https://osv.dev/vulnerability/{id}"))
    }
}

/// CycloneDX rating method of a rating.
fn rating_method(s: &Severity) -> &'static str {
    let kind = s.kind.to_ascii_uppercase();
    if kind.starts_with("CVSS") {
        if s.value.starts_with("CVSS:4") || kind.contains("V4") {
            "CVSSv4"
        } else if s.value.starts_with("CVSS:3.1") {
            "CVSSv31"
        } else if s.value.starts_with("CVSS:3") || kind.contains("V3") {
            "CVSSv3"
        } else {
            "CVSSv2"
        }
    } else {
        "other"
    }
}

fn cdx_severity(l: SeverityLevel) -> &'static str {
    match l {
        SeverityLevel::Negligible => "info",
        other => level_word(other),
    }
}

fn cdx_rating(s: &Severity) -> Value {
    let mut r = Map::new();
    if !s.source.is_empty() {
        r.insert("source".into(), json!({ "name": s.source }));
    }
    if let Some(score) = s.score {
        r.insert("score".into(), json!((score as f64 * 10.0).round() / 10.0));
    }
    r.insert("severity".into(), cdx_severity(SeverityLevel::of(s)).into());
    r.insert("method".into(), rating_method(s).into());
    if rating_method(s) != "other" {
        r.insert("vector".into(), s.value.clone().into());
    }
    Value::Object(r)
}

/// CycloneDX 1.6: the SBOM's document with a `vulnerabilities` array, one entry per
/// vulnerability id, `affects` naming the packages' bom-refs.
pub fn cyclonedx_json(ctx: &ScanContext<'_>) -> Value {
    let mut doc = drydock_sbom::formats::to_cyclonedx_json(&ctx.analysis.sbom);
    // bom-refs of the components, and by purl as a fallback.
    let mut refs = BTreeSet::new();
    let mut by_purl: BTreeMap<String, String> = BTreeMap::new();
    if let Some(cs) = doc.get("components").and_then(Value::as_array) {
        for c in cs {
            if let Some(r) = c.get("bom-ref").and_then(Value::as_str) {
                refs.insert(r.to_string());
                if let Some(p) = c.get("purl").and_then(Value::as_str) {
                    by_purl.entry(p.to_string()).or_insert_with(|| r.to_string());
                }
            }
        }
    }
    let mut groups: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in &ctx.report.findings {
        groups.entry(f.id.as_str()).or_default().push(f);
    }
    let mut vulns = Vec::with_capacity(groups.len());
    for (id, fs) in groups {
        let first = fs[0];
        let (src, url) = id_source(id);
        let mut v = Map::new();
        v.insert("bom-ref".into(), format!("vuln-{}", sanitize(id)).into());
        v.insert("id".into(), id.into());
        v.insert("source".into(), json!({ "name": src, "url": url }));
        let aliases: BTreeSet<&str> = fs.iter().flat_map(|f| f.aliases.iter().map(String::as_str)).collect();
        if !aliases.is_empty() {
            let refs: Vec<Value> = aliases
                .iter()
                .map(|a| {
                    let (s, u) = id_source(a);
                    json!({ "id": a, "source": { "name": s, "url": u } })
                })
                .collect();
            v.insert("references".into(), refs.into());
        }
        let mut ratings: Vec<Value> = Vec::new();
        for f in &fs {
            for s in &f.ratings {
                let r = cdx_rating(s);
                if !ratings.contains(&r) {
                    ratings.push(r);
                }
            }
        }
        if ratings.is_empty() {
            ratings.push(json!({ "severity": cdx_severity(first.severity), "method": "other" }));
        }
        v.insert("ratings".into(), ratings.into());
        let cwes: BTreeSet<u64> = fs
            .iter()
            .flat_map(|f| f.cwes.iter())
            .filter_map(|c| c.trim().trim_start_matches("CWE-").parse().ok())
            .collect();
        if !cwes.is_empty() {
            v.insert("cwes".into(), json!(cwes));
        }
        if !first.summary.is_empty() {
            v.insert("description".into(), first.summary.clone().into());
        }
        if let Some(p) = &first.published {
            v.insert("published".into(), p.clone().into());
        }
        let advisories: Vec<Value> = first.references.iter().take(20).map(|u| json!({ "url": u })).collect();
        if !advisories.is_empty() {
            v.insert("advisories".into(), advisories.into());
        }
        let recs: BTreeSet<String> = fs
            .iter()
            .filter(|f| !f.fixed_versions.is_empty())
            .map(|f| format!("Upgrade {} to {}.", f.package.name, f.fixed_versions.join(" or ")))
            .collect();
        if !recs.is_empty() {
            v.insert(
                "recommendation".into(),
                recs.into_iter().collect::<Vec<_>>().join(" ").into(),
            );
        }
        let mut affects = Vec::new();
        for f in &fs {
            let r = if refs.contains(&f.package.id) {
                Some(f.package.id.clone())
            } else {
                by_purl.get(&f.package.purl).cloned()
            };
            if let Some(r) = r {
                affects.push(json!({ "ref": r, "versions": [{ "version": f.package.version, "status": "affected" }] }));
            }
        }
        v.insert("affects".into(), affects.into());
        // A VEX status shared by every finding of the id becomes the analysis.
        let notes: BTreeSet<Option<VexKey<'_>>> = fs
            .iter()
            .map(|f| {
                f.vex
                    .as_ref()
                    .map(|n| (n.status, n.justification.as_deref(), n.detail.as_deref()))
            })
            .collect();
        if let (1, Some(Some((status, _, detail)))) = (notes.len(), notes.iter().next()) {
            let state = match status {
                VexStatus::Affected => "exploitable",
                VexStatus::Fixed => "resolved",
                VexStatus::UnderInvestigation => "in_triage",
                VexStatus::NotAffected => "not_affected",
            };
            let mut a = Map::new();
            a.insert("state".into(), state.into());
            if let Some(d) = detail {
                a.insert("detail".into(), (*d).into());
            }
            v.insert("analysis".into(), Value::Object(a));
        }
        let mut props = Vec::new();
        if let Some(k) = fs.iter().find_map(|f| f.kev_date_added.as_deref()) {
            props.push(json!({ "name": "drydock:kev:dateAdded", "value": k }));
        }
        if let Some(e) = fs.iter().find_map(|f| f.epss) {
            props.push(json!({ "name": "drydock:epss:score", "value": format!("{}", e.score) }));
            props.push(json!({ "name": "drydock:epss:percentile", "value": format!("{}", e.percentile) }));
        }
        // How the affected packages were matched; CPE matches (the opt-in fallback) with
        // their NVD criteria.
        let by: BTreeSet<&str> = fs.iter().map(|f| f.matched_by.as_str()).collect();
        if by.contains("cpe") {
            props.push(json!({ "name": "drydock:matchedBy", "value": by.into_iter().collect::<Vec<_>>().join(",") }));
            let criteria: BTreeSet<&str> = fs.iter().flat_map(|f| cpe_criteria(f)).collect();
            for c in criteria {
                props.push(json!({ "name": "drydock:cpe:criteria", "value": c }));
            }
        }
        if !props.is_empty() {
            v.insert("properties".into(), props.into());
        }
        vulns.push(Value::Object(v));
    }
    if let Some(o) = doc.as_object_mut() {
        o.insert("vulnerabilities".into(), vulns.into());
    }
    add_cyclonedx_warnings(&mut doc, &scan_warnings(ctx));
    doc
}

/// Adds each warning as a `drydock:warning` property of the document's metadata.
fn add_cyclonedx_warnings(doc: &mut Value, warnings: &[&String]) {
    if warnings.is_empty() {
        return;
    }
    let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let props = meta.entry("properties").or_insert_with(|| json!([]));
    if let Some(props) = props.as_array_mut() {
        props.extend(
            warnings
                .iter()
                .map(|w| json!({ "name": "drydock:warning", "value": w })),
        );
    }
}

/// A VEX note's status, justification and detail.
type VexKey<'a> = (VexStatus, Option<&'a str>, Option<&'a str>);

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// SARIF 2.1.0: one rule per vulnerability id, one result per finding at the package's
/// locations (the image when it has none), then the secrets and misconfigurations; the
/// scan's warnings are tool execution notifications.
pub fn sarif_json(ctx: &ScanContext<'_>) -> Value {
    let mut run = sarif_run(ctx.analysis);
    let findings = &ctx.report.findings;
    let mut by_id: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_id.entry(f.id.as_str()).or_default().push(f);
    }
    for (id, fs) in &by_id {
        let f = fs[0];
        let severity = fs.iter().map(|f| f.severity).max().unwrap_or_default();
        let score = fs
            .iter()
            .flat_map(|f| f.ratings.iter().filter_map(|r| r.score))
            .filter(|s| s.is_finite())
            .fold(None, |m: Option<f32>, s| Some(m.map_or(s, |m| m.max(s))));
        let security_severity = score
            .map(|s| format!("{:.1}", s.clamp(0.0, 10.0)))
            .or_else(|| crate::sarif::security_severity(level_word(severity)).map(str::to_string));
        let (_, url) = id_source(id);
        let short = if f.summary.is_empty() {
            format!("{id} in {}", f.package.name)
        } else {
            f.summary.clone()
        };
        let packages: BTreeSet<String> = fs
            .iter()
            .map(|f| format!("{} {}", f.package.name, f.package.version))
            .collect();
        let fixed: BTreeSet<&str> = fs
            .iter()
            .flat_map(|f| f.fixed_versions.iter().map(String::as_str))
            .collect();
        let help = format!(
            "Vulnerability {id} ({severity}).\nPackages: {}\nFixed in: {}\nAliases: {}\n{url}",
            packages.iter().cloned().collect::<Vec<_>>().join(", "),
            if fixed.is_empty() {
                "no fix".to_string()
            } else {
                fixed.iter().copied().collect::<Vec<_>>().join(", ")
            },
            if f.aliases.is_empty() {
                "-".to_string()
            } else {
                f.aliases.join(", ")
            },
        );
        let mut props = Map::new();
        let mut tags = vec!["security", "vulnerability", level_word(severity)];
        if fs.iter().any(|f| f.matched_by == MatchedBy::Cpe) {
            tags.push("cpe-match");
        }
        props.insert("tags".into(), json!(tags));
        props.insert("severity".into(), level_word(severity).into());
        if let Some(s) = security_severity {
            props.insert("security-severity".into(), s.into());
        }
        run.add_rule(json!({
            "id": id,
            "name": sanitize(id),
            "shortDescription": { "text": short },
            "fullDescription": { "text": short },
            "helpUri": url,
            "help": { "text": help, "markdown": help.replace('\n', "  \n") },
            "properties": props,
        }));
    }
    for f in findings {
        let level = match f.severity {
            SeverityLevel::Critical | SeverityLevel::High => "error",
            SeverityLevel::Medium => "warning",
            _ => "note",
        };
        let fixed = if f.fixed_versions.is_empty() {
            String::from("no fixed version is known")
        } else {
            format!("fixed in {}", f.fixed_versions.join(", "))
        };
        let by_cpe = if f.matched_by == MatchedBy::Cpe {
            format!(" (matched by CPE {}: less precise)", cpe_criteria(f).join(", "))
        } else {
            String::new()
        };
        let text = format!(
            "{} {} ({}) is affected by {} ({}){by_cpe}; {fixed}",
            f.package.name, f.package.version, f.package.package_type, f.id, f.severity
        );
        let logical = json!([{ "name": f.package.name, "fullyQualifiedName": f.package.purl, "kind": "package" }]);
        let mut locations: Vec<Value> = f
            .package
            .locations
            .iter()
            .filter(|l| !l.path.trim_start_matches('/').is_empty())
            .take(10)
            .map(|l| sarif_location(&l.path, 1))
            .collect();
        if locations.is_empty() {
            locations.push(sarif_location(run.image_uri(), 1));
        }
        for l in &mut locations {
            l["logicalLocations"] = logical.clone();
        }
        run.add_result(
            &f.id,
            json!({
                "level": level,
                "message": { "text": text },
                "locations": locations,
                "properties": {
                    "severity": level_word(f.severity),
                    "package": f.package.name,
                    "installedVersion": f.package.version,
                    "fixedVersions": f.fixed_versions,
                    "purl": f.package.purl,
                    "kev": f.kev_date_added.is_some(),
                    "matchedBy": f.matched_by.as_str(),
                    "cpeCriteria": cpe_criteria(f),
                }
            }),
            &[&f.package.id],
        );
    }
    add_sarif(&mut run, ctx.analysis);
    run.add_warnings(scan_warnings(ctx));
    run.to_json()
}
