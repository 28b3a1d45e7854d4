//! `drydock inspect`: secrets and misconfigurations, found in the same single pass over
//! the layers that catalogues packages.

use crate::cli::{Cli, InspectArgs, SecretsScopeArg};
use crate::output::{parse_outputs, write_outputs, OutputFormat};
use crate::sbom_cmd::{read_source, SBOM_SCHEME};
use anyhow::{anyhow, bail, Context, Result};
use drydock_catalog::{all, CatalogCapture};
use drydock_image::FileTree;
use drydock_inspect::misconfig::{self, Misconfig, MisconfigOptions};
use drydock_inspect::secrets::{
    collect_secrets, InspectCapture, LayerSecret, SecretScanner, SecretsConfig, SecretsScope,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

/// Schema of the native JSON output.
const SCHEMA: &str = "https://drydock.dev/schema/inspect/v1.json";

/// The parts of the config file `drydock inspect` reads.
#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    secrets: SecretsConfig,
    #[serde(default)]
    misconfig: MisconfigOptions,
}

fn load_config(path: Option<&Path>) -> Result<ConfigFile> {
    let Some(path) = path else {
        return Ok(ConfigFile::default());
    };
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read configuration {}", path.display()))?;
    toml::from_str(&text).map_err(|e| anyhow!("configuration {}: {e}", path.display()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Sarif,
}

impl OutputFormat for Format {
    fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "table" => Format::Table,
            "json" | "native" | "drydock-json" => Format::Json,
            "sarif" | "sarif-json" => Format::Sarif,
            other => bail!("unknown output format {other:?}; use one of: table, json, sarif"),
        })
    }
    fn default_for(terminal: bool) -> Self {
        if terminal {
            Format::Table
        } else {
            Format::Json
        }
    }
}

/// What `drydock inspect` found.
#[derive(Debug, Serialize)]
struct Report {
    #[serde(rename = "$schema")]
    schema: &'static str,
    source: drydock_image::SourceInfo,
    secrets_scope: SecretsScope,
    secrets: Vec<LayerSecret>,
    misconfigurations: Vec<Misconfig>,
}

/// Runs `drydock inspect`.
pub fn run(args: &InspectArgs, cli: &Cli) -> Result<ExitCode> {
    if args.source.source.starts_with(SBOM_SCHEME) {
        bail!("drydock inspect reads images and directories, not SBOMs\nhint: give an image reference, an archive or dir:PATH");
    }
    let outputs = parse_outputs::<Format>(&args.output)?;
    let config = load_config(args.config.as_deref())?;
    let scanner = SecretScanner::with_config(&config.secrets)?;
    let scope = match args.secrets_scope {
        SecretsScopeArg::Squashed => SecretsScope::Squashed,
        SecretsScopeArg::AllLayers => SecretsScope::AllLayers,
    };
    let capture = InspectCapture::new(CatalogCapture::new(all()), Some(scanner), true);
    let read = read_source(&args.source, &capture, cli.quiet)?;
    let layers = &read.layers.layers;
    let tree = FileTree::squash(layers.iter().map(|l| l.as_ref()), read.limits.max_symlink_hops);
    let scanner = capture.secrets().ok_or_else(|| anyhow!("secret scanner missing"))?;
    let secrets = collect_secrets(layers, &tree, scope, scanner);
    let misconfigurations = misconfig::check(read.opened.meta(), &tree, &config.misconfig);
    let report = Report {
        schema: SCHEMA,
        source: read.opened.meta().source.clone(),
        secrets_scope: scope,
        secrets,
        misconfigurations,
    };
    tracing::info!(
        "{} secrets and {} misconfigurations found",
        report.secrets.len(),
        report.misconfigurations.len()
    );
    write_outputs(&outputs, |format, w, _color| render(&report, format, w))?;
    Ok(ExitCode::SUCCESS)
}

fn render(report: &Report, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => write_table(report, w),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, report)?;
            writeln!(w)
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *w, &sarif(report))?;
            writeln!(w)
        }
    }
}

fn table(w: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{:<width$}  ", c, width = widths[i]));
            }
        }
        s
    };
    writeln!(w, "{}", line(header.to_vec()))?;
    for r in rows {
        writeln!(w, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

fn write_table(report: &Report, w: &mut dyn Write) -> io::Result<()> {
    if report.secrets.is_empty() {
        writeln!(w, "No secrets found.")?;
    } else {
        let rows: Vec<Vec<String>> = report
            .secrets
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
        table(w, &["SEVERITY", "RULE", "PATH:LINE", "LAYER", "MATCH"], &rows)?;
    }
    writeln!(w)?;
    if report.misconfigurations.is_empty() {
        writeln!(w, "No misconfigurations found.")
    } else {
        let rows: Vec<Vec<String>> = report
            .misconfigurations
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
        table(w, &["SEVERITY", "CHECK", "PATH", "LAYER", "TITLE"], &rows)
    }
}

fn level(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" | "HIGH" => "error",
        "MEDIUM" => "warning",
        _ => "note",
    }
}

fn location(path: &str, line: usize) -> Value {
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": path.trim_start_matches('/') },
            "region": { "startLine": line.max(1) }
        }
    })
}

/// SARIF 2.1.0: one rule per secret rule id and misconfiguration check, one result per finding.
fn sarif(report: &Report) -> Value {
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    for s in &report.secrets {
        let f = &s.finding;
        rules.entry(f.rule_id.clone()).or_insert_with(|| {
            json!({
                "id": f.rule_id,
                "name": f.rule_id,
                "shortDescription": { "text": f.title },
                "fullDescription": { "text": format!("{} left in the image", f.title) },
                "help": { "text": "Remove the secret from the image (and from every layer: deleting it in a later layer leaves it in the image), then revoke and rotate it." },
                "properties": { "tags": ["security", "secret"], "severity": f.severity.as_str() },
            })
        });
    }
    for m in &report.misconfigurations {
        rules.entry(m.id.clone()).or_insert_with(|| {
            json!({
                "id": m.id,
                "name": m.id,
                "shortDescription": { "text": m.title },
                "fullDescription": { "text": m.explanation },
                "help": { "text": m.explanation },
                "properties": { "tags": ["security", "misconfiguration"], "severity": m.severity.as_str() },
            })
        });
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (k.as_str(), i)).collect();
    let mut results = Vec::new();
    for s in &report.secrets {
        let f = &s.finding;
        results.push(json!({
            "ruleId": f.rule_id,
            "ruleIndex": index.get(f.rule_id.as_str()).copied().unwrap_or(0),
            "level": level(f.severity.as_str()),
            "message": { "text": format!("{} in {} (layer {}): {}", f.title, f.path, s.layer, f.redacted) },
            "locations": [location(&f.path, f.line)],
            "properties": { "layer": s.layer, "match": f.redacted, "severity": f.severity.as_str() },
        }));
    }
    for m in &report.misconfigurations {
        let mut r = json!({
            "ruleId": m.id,
            "ruleIndex": index.get(m.id.as_str()).copied().unwrap_or(0),
            "level": level(m.severity.as_str()),
            "message": { "text": format!("{}: {}", m.title, m.evidence) },
            "properties": { "layer": m.layer, "severity": m.severity.as_str() },
        });
        if let Some(p) = &m.path {
            r["locations"] = json!([location(p, 1)]);
        }
        results.push(r);
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "drydock",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://drydock.dev",
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "results": results,
        }]
    })
}
