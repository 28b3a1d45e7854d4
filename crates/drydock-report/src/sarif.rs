//! The SARIF 2.1.0 envelope every SARIF output shares (`scan`, `inspect`, `check`).

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

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
