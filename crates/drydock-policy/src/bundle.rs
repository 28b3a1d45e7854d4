//! Anchore policy bundles: the v1 names (`policies`, `whitelists`, `whitelisted_images`,
//! `blacklisted_images`) and the v2 names (`rule_sets`, `allowlists`,
//! `allowlisted_images`, `denylisted_images`) read into one model, from JSON or YAML.

use crate::PolicyError;
use serde::{Deserialize, Serialize};

/// Largest bundle document read.
pub const MAX_BUNDLE_BYTES: usize = 16 << 20;

/// What a rule does when its trigger fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Action {
    /// Pass.
    Go,
    /// Pass with a warning.
    Warn,
    /// Fail.
    Stop,
}

impl Action {
    /// Upper-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Go => "GO",
            Action::Warn => "WARN",
            Action::Stop => "STOP",
        }
    }

    /// Parses `STOP`, `WARN` or `GO` (any case).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_uppercase().as_str() {
            "GO" => Some(Action::Go),
            "WARN" => Some(Action::Warn),
            "STOP" => Some(Action::Stop),
            _ => None,
        }
    }
}

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A whole bundle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// Bundle id, referred to by stored policies and reports.
    #[serde(default)]
    pub id: String,
    /// Human-readable name.
    #[serde(default)]
    pub name: String,
    /// Format version as written (e.g. Anchore's `1_0`).
    #[serde(default)]
    pub version: String,
    /// Free-form description.
    #[serde(default)]
    pub comment: String,
    /// Rule sets (v1 `policies`).
    #[serde(default, alias = "policies")]
    pub rule_sets: Vec<RuleSet>,
    /// Allowlists (v1 `whitelists`).
    #[serde(default, alias = "whitelists")]
    pub allowlists: Vec<Allowlist>,
    /// Which rule sets and allowlists apply to which images, first match wins.
    #[serde(default)]
    pub mappings: Vec<Mapping>,
    /// Images always allowed (v1 `whitelisted_images`).
    #[serde(default, alias = "whitelisted_images")]
    pub allowlisted_images: Vec<ImageSelector>,
    /// Images always denied (v1 `blacklisted_images`).
    #[serde(default, alias = "blacklisted_images")]
    pub denylisted_images: Vec<ImageSelector>,
}

/// A named list of rules (v1 "policy").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Rule set id, referred to by mappings.
    pub id: String,
    /// Human-readable name.
    #[serde(default)]
    pub name: String,
    /// Version as written (e.g. `1_0`).
    #[serde(default)]
    pub version: String,
    /// Free-form description.
    #[serde(default)]
    pub comment: String,
    /// The rules, run in order.
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// One rule: run a gate's trigger with parameters; act when it fires.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rule {
    /// Rule id, reported with each result.
    #[serde(default)]
    pub id: String,
    /// Gate name (e.g. `vulnerabilities`, `dockerfile`).
    pub gate: String,
    /// Trigger name within the gate (e.g. `package`).
    pub trigger: String,
    /// `STOP`, `WARN` or `GO` as written (any case); see [`Action::parse`].
    pub action: String,
    /// The trigger's parameters.
    #[serde(default)]
    pub params: Vec<Param>,
    /// Advice shown with each result of the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
}

/// A parameter as written: `{"name": ..., "value": ...}` (values are strings in Anchore;
/// numbers and booleans are accepted and read as text).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Parameter name, as the trigger declares it.
    pub name: String,
    /// Value as text.
    #[serde(deserialize_with = "value_as_text")]
    pub value: String,
}

fn value_as_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        S(String),
        B(bool),
        I(i64),
        F(f64),
    }
    Ok(match V::deserialize(d)? {
        V::S(s) => s,
        V::B(b) => b.to_string(),
        V::I(i) => i.to_string(),
        V::F(f) => f.to_string(),
    })
}

/// A named list of allowlist items (v1 "whitelist").
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Allowlist {
    /// Allowlist id, referred to by mappings.
    pub id: String,
    /// Human-readable name.
    #[serde(default)]
    pub name: String,
    /// Version as written (e.g. `1_0`).
    #[serde(default)]
    pub version: String,
    /// Free-form description.
    #[serde(default)]
    pub comment: String,
    /// The items; any one suppresses a matching result.
    #[serde(default)]
    pub items: Vec<AllowlistItem>,
}

/// Suppresses the findings of one gate whose trigger id matches (`*` wildcards allowed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AllowlistItem {
    /// Item id, reported with the results it suppressed.
    #[serde(default)]
    pub id: String,
    /// Gate name the item applies to.
    pub gate: String,
    /// Trigger id pattern (e.g. `CVE-2023-1234+openssl`, `CVE-2023-*`).
    pub trigger_id: String,
    /// RFC 3339 time (or a date) after which the item no longer applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
}

/// Which images a mapping, allowlisted or denylisted entry applies to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImageSelector {
    /// Entry id.
    #[serde(default)]
    pub id: String,
    /// Human-readable name.
    #[serde(default)]
    pub name: String,
    /// Registry host pattern (`*` wildcards; default `*`).
    #[serde(default = "star")]
    pub registry: String,
    /// Repository pattern (`*` wildcards; default `*`).
    #[serde(default = "star")]
    pub repository: String,
    /// Tag pattern, digest or image id (default every tag).
    #[serde(default)]
    pub image: ImageRef,
}

fn star() -> String {
    "*".into()
}

/// `{"type": "tag", "value": "*"}`, or `"type": "id"`/`"digest"` with an exact value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRef {
    /// `tag` (pattern with `*` wildcards), `digest` or `id` (exact).
    #[serde(rename = "type", default = "tag_type")]
    pub kind: String,
    /// The tag pattern, manifest digest or image id (default `*`).
    #[serde(default = "star")]
    pub value: String,
}

fn tag_type() -> String {
    "tag".into()
}

impl Default for ImageRef {
    fn default() -> Self {
        ImageRef {
            kind: tag_type(),
            value: star(),
        }
    }
}

/// Maps images to rule sets and allowlists; the first mapping that matches wins.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Mapping {
    /// Which images it applies to (its fields flattened into the mapping).
    #[serde(flatten)]
    pub selector: ImageSelector,
    /// v2 `rule_set_ids`, v1 `policy_ids`.
    #[serde(default, alias = "policy_ids")]
    pub rule_set_ids: Vec<String>,
    /// v1 single `policy_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    /// v2 `allowlist_ids`, v1 `whitelist_ids`.
    #[serde(default, alias = "whitelist_ids")]
    pub allowlist_ids: Vec<String>,
}

impl Mapping {
    /// Rule set ids, with the v1 single `policy_id` included.
    pub fn all_rule_set_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.rule_set_ids.iter().map(String::as_str).collect();
        if let Some(p) = &self.policy_id {
            if !ids.contains(&p.as_str()) {
                ids.push(p);
            }
        }
        ids
    }
}

/// Reads a bundle from JSON or YAML (JSON when the first non-space byte is `{`). `origin`
/// names the document in errors. Anchore's API envelope (`{"policybundle": {...}}` or
/// `{"policy": {...}}`) is unwrapped.
pub fn parse_bundle(bytes: &[u8], origin: &str) -> Result<Bundle, PolicyError> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(PolicyError::Parse {
            origin: origin.into(),
            reason: format!("larger than {} MiB", MAX_BUNDLE_BYTES >> 20),
        });
    }
    let text = std::str::from_utf8(bytes).map_err(|e| PolicyError::Parse {
        origin: origin.into(),
        reason: format!("not UTF-8 text: {e}"),
    })?;
    let json = text.trim_start().starts_with('{');
    let value: serde_json::Value = if json {
        serde_json::from_str(text).map_err(|e| PolicyError::Parse {
            origin: origin.into(),
            reason: format!("invalid JSON: {e}"),
        })?
    } else {
        serde_saphyr::from_str(text).map_err(|e| PolicyError::Parse {
            origin: origin.into(),
            reason: format!("invalid YAML: {e}"),
        })?
    };
    let value = match value {
        serde_json::Value::Object(mut m)
            if m.len() == 1 && (m.contains_key("policybundle") || m.contains_key("policy")) =>
        {
            m.remove("policybundle")
                .or_else(|| m.remove("policy"))
                .unwrap_or_default()
        }
        v => v,
    };
    if !value.is_object() {
        return Err(PolicyError::Parse {
            origin: origin.into(),
            reason: "a bundle is a JSON/YAML object with rule_sets (or policies), allowlists and mappings".into(),
        });
    }
    let mut bundle: Bundle = serde_json::from_value(value).map_err(|e| PolicyError::Parse {
        origin: origin.into(),
        reason: e.to_string(),
    })?;
    crate::compat::modernize(&mut bundle);
    Ok(bundle)
}

/// The bundle that ships with drydock.
pub const DEFAULT_BUNDLE: &str = include_str!("default_bundle.json");

/// Parses [`DEFAULT_BUNDLE`].
pub fn default_bundle() -> Bundle {
    parse_bundle(DEFAULT_BUNDLE.as_bytes(), "the built-in default bundle").unwrap_or_default()
}
