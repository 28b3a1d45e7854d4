//! Output formats and where each goes (`-o FORMAT[=FILE]`), and the pieces every
//! command's output shares: aligned tables and the SARIF envelope.

use anyhow::{bail, Context, Result};
use drydock_sbom::Sbom;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// A format drydock can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    CycloneDxJson,
    SpdxJson,
}

impl Format {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "table" => Format::Table,
            "json" | "native" | "drydock-json" => Format::Json,
            "cyclonedx-json" | "cyclonedx" | "cdx" => Format::CycloneDxJson,
            "spdx-json" | "spdx" => Format::SpdxJson,
            other => bail!("unknown output format {other:?}; use one of: table, json, cyclonedx-json, spdx-json"),
        })
    }
}

/// A command's output formats: their names on the command line and the default.
pub trait OutputFormat: Copy {
    /// Parses a format name given to `-o`.
    fn parse(name: &str) -> Result<Self>;
    /// The format used without `-o`: a table, on a terminal and a pipe alike (as Grype, Syft
    /// and Trivy do); JSON only when asked for.
    const DEFAULT: Self;
}

impl OutputFormat for Format {
    fn parse(name: &str) -> Result<Self> {
        Format::parse(name)
    }
    const DEFAULT: Self = Format::Table;
}

/// One requested output.
#[derive(Debug, Clone)]
pub struct OutputSpec<F> {
    pub format: F,
    /// `None` for standard output.
    pub file: Option<PathBuf>,
}

/// Parses the `-o FORMAT[=FILE]` values of any command.
pub fn parse_outputs<F: OutputFormat>(values: &[String]) -> Result<Vec<OutputSpec<F>>> {
    if values.is_empty() {
        return Ok(vec![OutputSpec {
            format: F::DEFAULT,
            file: None,
        }]);
    }
    let mut specs = Vec::new();
    for v in values {
        let (f, file) = match v.split_once('=') {
            Some((f, path)) if !path.is_empty() => (f, Some(PathBuf::from(path))),
            Some((_, _)) => bail!("output {v:?} names no file after '='"),
            None => (v.as_str(), None),
        };
        specs.push(OutputSpec {
            format: F::parse(f)?,
            file,
        });
    }
    if specs.iter().filter(|s| s.file.is_none()).count() > 1 {
        bail!("more than one output goes to standard output; give all but one a file (-o FORMAT=FILE)");
    }
    let mut files: Vec<&PathBuf> = specs.iter().filter_map(|s| s.file.as_ref()).collect();
    files.sort();
    if let Some(w) = files.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            "two outputs go to the same file {}; give each -o its own file",
            w[0].display()
        );
    }
    for path in files {
        check_writable(path)?;
    }
    Ok(specs)
}

/// Fails now, before any work, when an output file cannot be written (missing directory, no
/// permission); a file that did not exist is not left behind, one that did is not truncated.
fn check_writable(path: &Path) -> Result<()> {
    let existed = path.exists();
    if path.is_dir() {
        bail!(
            "output file {} is a directory; name a file (-o FORMAT=FILE)",
            path.display()
        );
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| {
            format!(
                "cannot write output file {} (checked before the scan starts); does its directory exist?",
                path.display()
            )
        })?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Writes every requested output with `render(format, writer, colour)`; colour is
/// offered only for a terminal without `NO_COLOR`, and a closed pipe is not an error.
pub fn write_outputs<F: Copy>(
    specs: &[OutputSpec<F>],
    render: impl Fn(F, &mut dyn Write, bool) -> io::Result<()>,
) -> Result<()> {
    for spec in specs {
        match &spec.file {
            Some(path) => {
                let f = File::create(path).with_context(|| format!("cannot create output file {}", path.display()))?;
                let mut w = BufWriter::new(f);
                render(spec.format, &mut w, false)
                    .and_then(|_| w.flush())
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            None => {
                let color = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                let stdout = io::stdout();
                let mut w = BufWriter::new(stdout.lock());
                match render(spec.format, &mut w, color).and_then(|_| w.flush()) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                    Err(e) => return Err(e).context("cannot write to standard output"),
                }
            }
        }
    }
    Ok(())
}

/// Writes the SBOM in every requested format.
pub fn write_all(sbom: &Sbom, specs: &[OutputSpec<Format>]) -> Result<()> {
    write_outputs(specs, |format, w, _color| render(sbom, format, w))
}

fn render(sbom: &Sbom, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => write_table(sbom, w),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, sbom)?;
            writeln!(w)
        }
        Format::CycloneDxJson => drydock_sbom::formats::write_cyclonedx(sbom, &mut *w),
        Format::SpdxJson => drydock_sbom::formats::write_spdx(sbom, &mut *w),
    }
}

fn write_table(sbom: &Sbom, w: &mut dyn Write) -> io::Result<()> {
    if sbom.packages.is_empty() {
        return writeln!(w, "No packages found.");
    }
    let rows: Vec<Vec<String>> = sbom
        .packages
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.version.clone(),
                p.package_type.to_string(),
                p.layer().map(|l| l.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    table(w, &["NAME", "VERSION", "TYPE", "LAYER"], &rows)
}

/// Writes an aligned table: every column but the last padded to its widest cell.
pub fn table(w: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
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

/// How many warnings a table shows before it points at the JSON output for the rest.
const TABLE_WARNINGS: usize = 20;

/// Writes the warnings after a table, one `warning:` line each (the first
/// [`TABLE_WARNINGS`], then how many more the JSON output lists).
pub fn write_warnings<S: AsRef<str>>(w: &mut dyn Write, warnings: &[S]) -> io::Result<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    for warning in warnings.iter().take(TABLE_WARNINGS) {
        writeln!(w, "warning: {}", warning.as_ref())?;
    }
    if warnings.len() > TABLE_WARNINGS {
        writeln!(
            w,
            "warning: … and {} more (all are in the json output's warnings)",
            warnings.len() - TABLE_WARNINGS
        )?;
    }
    Ok(())
}

/// One SARIF 2.1.0 run with drydock as the tool, built the same way by `scan`, `inspect` and
/// `check` so that every document meets what GitHub code scanning asks of it: rule ids are
/// unique and every result names its rule by id and index, has a location (image-level
/// results point at the image, line 1) and a `partialFingerprints` entry; every rule with a
/// severity carries `security-severity`; the run's warnings are tool execution notifications.
#[derive(Debug, Clone)]
pub struct SarifRun {
    rules: Vec<Value>,
    rule_index: BTreeMap<String, usize>,
    results: Vec<Value>,
    warnings: Vec<String>,
    image_uri: String,
    properties: Map<String, Value>,
}

/// The key of drydock's entry in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "drydockFinding/v1";

impl SarifRun {
    /// A run whose image-level results point at `image_uri` (see [`image_uri`]).
    pub fn new(image_uri: String) -> Self {
        SarifRun {
            rules: Vec::new(),
            rule_index: BTreeMap::new(),
            results: Vec::new(),
            warnings: Vec::new(),
            image_uri,
            properties: Map::new(),
        }
    }

    /// Where image-level results point.
    pub fn image_uri(&self) -> &str {
        &self.image_uri
    }

    /// Adds a rule (an object with an `id`) unless one with its id is there; returns its index.
    pub fn add_rule(&mut self, rule: Value) -> usize {
        let id = rule.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        if let Some(&i) = self.rule_index.get(&id) {
            return i;
        }
        let i = self.rules.len();
        self.rule_index.insert(id, i);
        self.rules.push(rule);
        i
    }

    /// Adds a result of the rule `rule_id` (added first with [`SarifRun::add_rule`]): sets its
    /// `ruleId` and `ruleIndex`, points it at the image when it has no location, and gives it a
    /// fingerprint made from `identity` (what makes this finding this finding).
    pub fn add_result(&mut self, rule_id: &str, mut result: Value, identity: &[&str]) {
        let Some(obj) = result.as_object_mut() else {
            return;
        };
        obj.insert("ruleId".into(), rule_id.into());
        if let Some(&i) = self.rule_index.get(rule_id) {
            obj.insert("ruleIndex".into(), i.into());
        }
        let located = obj
            .get("locations")
            .and_then(Value::as_array)
            .is_some_and(|l| !l.is_empty());
        if !located {
            obj.insert("locations".into(), json!([sarif_location(&self.image_uri, 1)]));
        }
        let mut parts = vec![rule_id];
        parts.extend_from_slice(identity);
        obj.insert(
            "partialFingerprints".into(),
            json!({ FINGERPRINT_KEY: fingerprint(&parts) }),
        );
        self.results.push(result);
    }

    /// Adds warnings: what the run could not look at or judge.
    pub fn add_warnings<S: AsRef<str>>(&mut self, warnings: impl IntoIterator<Item = S>) {
        self.warnings
            .extend(warnings.into_iter().map(|w| w.as_ref().to_string()));
    }

    /// Sets a property of the run.
    pub fn set_property(&mut self, key: &str, value: Value) {
        self.properties.insert(key.into(), value);
    }

    /// The SARIF document with this run.
    pub fn to_json(&self) -> Value {
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|r| {
                let mut r = r.clone();
                let score = r["properties"]["severity"].as_str().and_then(security_severity);
                if let (Some(score), Some(props)) = (score, r["properties"].as_object_mut()) {
                    props.entry("security-severity").or_insert_with(|| score.into());
                }
                r
            })
            .collect();
        let notifications: Vec<Value> = self
            .warnings
            .iter()
            .map(|w| json!({ "level": "warning", "message": { "text": w } }))
            .collect();
        let mut run = json!({
            "tool": { "driver": {
                "name": "drydock",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://drydock.dev",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": true,
                "toolExecutionNotifications": notifications,
            }],
            "results": self.results,
        });
        if !self.properties.is_empty() {
            run["properties"] = Value::Object(self.properties.clone());
        }
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [run],
        })
    }
}

/// A SARIF location: a path (made relative) and a line (at least 1).
pub fn sarif_location(path: &str, line: usize) -> Value {
    let uri = path.trim_start_matches('/');
    json!({
        "physicalLocation": {
            "artifactLocation": { "uri": if uri.is_empty() { "." } else { uri } },
            "region": { "startLine": line.max(1) }
        }
    })
}

/// GitHub's `security-severity` (a CVSS-like score as a string) for a severity word.
pub fn security_severity(severity: &str) -> Option<&'static str> {
    Some(match severity.to_ascii_uppercase().as_str() {
        "CRITICAL" => "9.5",
        "HIGH" => "8.0",
        "MEDIUM" => "5.5",
        "LOW" => "2.0",
        "NEGLIGIBLE" | "INFO" => "0.0",
        _ => return None,
    })
}

/// A stable fingerprint of a finding's identifying parts.
pub fn fingerprint(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            h.update([0]);
        }
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

/// The URI image-level results point at: the image's name without its tag or digest (a
/// registry reference) or the path read (archives, directories, SBOMs), relative, with
/// characters a relative URI path cannot hold percent-encoded (`localhost%3A5000/app`).
pub fn image_uri(name: &str) -> String {
    let mut name = name.trim();
    for scheme in [
        "registry:",
        "docker://",
        "docker:",
        "docker-archive:",
        "oci-archive:",
        "oci-dir:",
        "dir:",
        "sbom:",
    ] {
        if let Some(rest) = name.strip_prefix(scheme) {
            name = rest;
            break;
        }
    }
    let name = name.split_once('@').map_or(name, |(n, _)| n);
    let last = name.rfind('/').map_or(0, |i| i + 1);
    let name = match name[last..].find(':') {
        Some(i) => &name[..last + i],
        None => name,
    };
    let mut out = String::new();
    let name = name.trim_start_matches('/');
    let name = name.strip_prefix("./").unwrap_or(name);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    if out.is_empty() || out == "." {
        "image".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_uris_are_relative_and_drop_tag_and_digest() {
        assert_eq!(image_uri("alpine:3.20"), "alpine");
        assert_eq!(
            image_uri("registry:localhost:5000/app/web:1.0@sha256:ab"),
            "localhost%3A5000/app/web"
        );
        assert_eq!(
            image_uri("docker.io/library/debian@sha256:ab"),
            "docker.io/library/debian"
        );
        assert_eq!(image_uri("/tmp/images/app.tar"), "tmp/images/app.tar");
        assert_eq!(image_uri("docker-archive:./out/app.tar:app:1.0"), "out/app.tar");
        assert_eq!(image_uri("my image"), "my%20image");
        assert_eq!(image_uri(""), "image");
    }

    #[test]
    fn every_result_gets_a_location_a_fingerprint_and_its_rule_index() {
        let mut run = SarifRun::new("app".into());
        assert_eq!(
            run.add_rule(json!({ "id": "A", "properties": { "severity": "HIGH" } })),
            0
        );
        assert_eq!(run.add_rule(json!({ "id": "B", "properties": {} })), 1);
        assert_eq!(run.add_rule(json!({ "id": "A" })), 0);
        run.add_result("B", json!({ "message": { "text": "b" } }), &["x"]);
        run.add_result(
            "A",
            json!({ "message": { "text": "a" }, "locations": [sarif_location("/etc/f", 0)] }),
            &[],
        );
        run.add_warnings(["no advisories for debian:12"]);
        let doc = run.to_json();
        let r = &doc["runs"][0];
        assert_eq!(
            r["tool"]["driver"]["rules"][0]["properties"]["security-severity"],
            "8.0"
        );
        assert!(r["tool"]["driver"]["rules"][1]["properties"]
            .get("security-severity")
            .is_none());
        assert_eq!(r["results"][0]["ruleIndex"], 1);
        assert_eq!(
            r["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "app"
        );
        assert_eq!(
            r["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            "etc/f"
        );
        assert_eq!(
            r["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"],
            1
        );
        assert_ne!(
            r["results"][0]["partialFingerprints"],
            r["results"][1]["partialFingerprints"]
        );
        assert_eq!(r["invocations"][0]["executionSuccessful"], true);
        assert_eq!(
            r["invocations"][0]["toolExecutionNotifications"][0],
            json!({ "level": "warning", "message": { "text": "no advisories for debian:12" } })
        );
    }
}
