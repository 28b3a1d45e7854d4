//! Rendering of what lies beyond packages — secrets, misconfigurations, content-search
//! matches, modified package files — shared by `drydock scan` and `drydock inspect`:
//! tables, the fields of the native JSON and SARIF results.

use crate::sarif::{image_uri, sarif_location, SarifRun};
use crate::table::table;
use drydock_analysis::Analysis;
use drydock_inspect::content::{ContentMatch, RetrievedFile};
use drydock_inspect::files::{ChangedFile, FileRecord};
use drydock_inspect::misconfig::Misconfig;
use drydock_inspect::secrets::{LayerSecret, SecretsScope};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// The tables of the scanners that ran, each preceded by a blank line when `separate`.
pub fn write_tables(a: &Analysis, w: &mut dyn Write, mut separate: bool) -> io::Result<()> {
    let mut gap = |w: &mut dyn Write| -> io::Result<()> {
        if separate {
            writeln!(w)?;
        }
        separate = true;
        Ok(())
    };
    if let Some(secrets) = &a.secrets {
        gap(w)?;
        if secrets.is_empty() {
            writeln!(w, "No secrets found.")?;
        } else {
            let rows: Vec<Vec<String>> = secrets
                .iter()
                .map(|s| {
                    vec![
                        s.finding.severity.as_str().to_string(),
                        s.finding.rule_id.clone(),
                        format!("{}:{}", s.finding.path, s.finding.line),
                        s.layer.to_string(),
                        s.finding.redacted.clone(),
                    ]
                })
                .collect();
            table(
                w,
                &["SEVERITY", "SECRET RULE", "PATH:LINE", "LAYER", "MATCH (REDACTED)"],
                &rows,
            )?;
        }
    }
    if let Some(ms) = &a.misconfigurations {
        gap(w)?;
        if ms.is_empty() {
            writeln!(w, "No misconfigurations found.")?;
        } else {
            let rows: Vec<Vec<String>> = ms
                .iter()
                .map(|m| {
                    vec![
                        m.severity.as_str().to_string(),
                        m.id.clone(),
                        m.path.clone().unwrap_or_else(|| "-".into()),
                        m.layer.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
                        m.title.clone(),
                    ]
                })
                .collect();
            table(w, &["SEVERITY", "CHECK", "PATH", "LAYER", "TITLE"], &rows)?;
        }
    }
    if !a.content_matches.is_empty() {
        gap(w)?;
        let rows: Vec<Vec<String>> = a
            .content_matches
            .iter()
            .map(|c| vec![c.name.clone(), format!("{}:{}", c.path, c.line), c.layer.to_string()])
            .collect();
        table(w, &["CONTENT SEARCH", "PATH:LINE", "LAYER"], &rows)?;
    }
    if !a.changed_files.is_empty() {
        gap(w)?;
        let rows: Vec<Vec<String>> = a
            .changed_files
            .iter()
            .map(|c| {
                vec![
                    format!("{:?}", c.change).to_uppercase(),
                    c.path.clone(),
                    format!("{} {}", c.package, c.version),
                ]
            })
            .collect();
        table(w, &["PACKAGE FILE", "PATH", "PACKAGE"], &rows)?;
    }
    Ok(())
}

/// The inspect fields of the native JSON (flattened into the scan and inspect documents);
/// absent scanners are left out.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InspectFields<'a> {
    /// Which files secrets were reported for; absent when the secret scanner did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets_scope: Option<SecretsScope>,
    /// Secrets found; absent when the secret scanner did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secrets: Option<&'a [LayerSecret]>,
    /// Misconfigurations found; absent when the misconfig scanner did not run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub misconfigurations: Option<&'a [Misconfig]>,
    /// Hits of the configured content searches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_matches: Option<&'a [ContentMatch]>,
    /// Files stored per `[retrieve]`, with their content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retrieved_files: Option<&'a [RetrievedFile]>,
    /// Package-owned and flagged files with their metadata.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<&'a FileRecord>>,
    /// Package files whose digest differs from the one their package recorded (or that are missing).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changed_package_files: Option<&'a [ChangedFile]>,
}

/// The inspect fields of an analysis.
pub fn inspect_fields(a: &Analysis) -> InspectFields<'_> {
    InspectFields {
        secrets_scope: a.secrets_scope,
        secrets: a.secrets.as_deref(),
        misconfigurations: a.misconfigurations.as_deref(),
        content_matches: a.has_files.then_some(a.content_matches.as_slice()),
        retrieved_files: a.has_files.then_some(a.retrieved_files.as_slice()),
        files: a.has_files.then(|| a.notable_files().collect()),
        changed_package_files: a.has_files.then_some(a.changed_files.as_slice()),
    }
}

fn level(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" | "HIGH" => "error",
        "MEDIUM" => "warning",
        _ => "note",
    }
}

/// What the analysis could not read or judge: the SBOM's warnings, then the vulnerability
/// matcher's.
pub fn analysis_warnings(a: &Analysis) -> Vec<&String> {
    let mut out: Vec<&String> = a.sbom.warnings.iter().collect();
    out.extend(a.vulnerabilities.iter().flat_map(|r| &r.warnings));
    out
}

/// The SARIF run of an analysis, its image-level results pointing at the image read.
pub fn sarif_run(a: &Analysis) -> SarifRun {
    let src = &a.image().source;
    // A registry image by its full name; an archive, directory or SBOM as the user named it
    // (a path relative to where drydock ran, like the paths in a repository).
    let name = if src.scheme == "registry" || src.input.is_empty() {
        &src.reference
    } else {
        &src.input
    };
    let mut run = SarifRun::new(image_uri(name));
    run.set_property("image", json!(src.reference));
    if let Some(d) = &src.manifest_digest {
        run.set_property("manifestDigest", json!(d));
    }
    run
}

/// Adds one rule per secret rule and misconfiguration check (its severity the highest of its
/// findings), and one result per finding, to a SARIF run.
pub fn add_sarif(run: &mut SarifRun, a: &Analysis) {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut worst: BTreeMap<&str, u8> = BTreeMap::new();
    let rank = |s: &str| match s {
        "CRITICAL" => 5,
        "HIGH" => 4,
        "MEDIUM" => 3,
        "LOW" => 2,
        "INFO" => 1,
        _ => 0,
    };
    for s in a.secrets.iter().flatten() {
        let f = &s.finding;
        let sev = f.severity.as_str();
        let w = worst.entry(f.rule_id.as_str()).or_default();
        if rank(sev) > *w {
            *w = rank(sev);
            rules.insert(
                f.rule_id.clone(),
                json!({
                    "id": f.rule_id,
                    "name": f.rule_id,
                    "shortDescription": { "text": f.title },
                    "fullDescription": { "text": format!("{} left in the image", f.title) },
                    "help": { "text": "Remove the secret from the image (and from every layer: deleting it in a later layer leaves it in the image), then revoke and rotate it." },
                    "properties": { "tags": ["security", "secret"], "severity": sev },
                }),
            );
        }
    }
    for m in a.misconfigurations.iter().flatten() {
        let sev = m.severity.as_str();
        let w = worst.entry(m.id.as_str()).or_default();
        if rank(sev) > *w {
            *w = rank(sev);
            rules.insert(
                m.id.clone(),
                json!({
                    "id": m.id,
                    "name": m.id,
                    "shortDescription": { "text": m.title },
                    "fullDescription": { "text": m.explanation },
                    "help": { "text": m.explanation },
                    "properties": { "tags": ["security", "misconfiguration"], "severity": sev },
                }),
            );
        }
    }
    for rule in rules.into_values() {
        run.add_rule(rule);
    }
    for s in a.secrets.iter().flatten() {
        let f = &s.finding;
        let line = f.line.to_string();
        let layer = s.layer.to_string();
        run.add_result(
            &f.rule_id,
            json!({
                "level": level(f.severity.as_str()),
                "message": { "text": format!("{} in {} (layer {}): {}", f.title, f.path, s.layer, f.redacted) },
                "locations": [sarif_location(&f.path, f.line)],
                "properties": { "layer": s.layer, "match": f.redacted, "severity": f.severity.as_str() },
            }),
            &["secret", &f.path, &line, &layer, &f.redacted],
        );
    }
    for m in a.misconfigurations.iter().flatten() {
        let mut r = json!({
            "level": level(m.severity.as_str()),
            "message": { "text": format!("{}: {}", m.title, m.evidence) },
            "properties": { "layer": m.layer, "severity": m.severity.as_str() },
        });
        if let Some(p) = &m.path {
            r["locations"] = json!([sarif_location(p, 1)]);
        }
        run.add_result(
            &m.id,
            r,
            &["misconfiguration", m.path.as_deref().unwrap_or(""), &m.evidence],
        );
    }
}
