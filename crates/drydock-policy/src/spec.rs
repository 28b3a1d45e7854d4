//! What a gate is: its triggers, their parameters (name, meaning, type) and the function
//! that fires them. One table ([`crate::gates::ALL`]) serves validation, `drydock policy
//! describe` and evaluation.

use drydock_analysis::Analysis;
use regex::Regex;
use serde::Serialize;
use std::collections::BTreeMap;

/// A gate: a family of triggers over one aspect of the image.
#[derive(Debug, Serialize)]
pub struct GateSpec {
    /// Gate name as rules write it (e.g. `vulnerabilities`).
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// The gate's triggers.
    pub triggers: &'static [TriggerSpec],
}

impl GateSpec {
    /// The trigger with this name.
    pub fn trigger(&self, name: &str) -> Option<&'static TriggerSpec> {
        self.triggers.iter().find(|t| t.name == name)
    }
}

/// One check a rule can run.
#[derive(Debug, Serialize)]
pub struct TriggerSpec {
    /// Trigger name as rules write it (e.g. `package`).
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// The parameters it accepts.
    pub params: &'static [ParamSpec],
    /// Fires the trigger: one [`Fired`] per thing it found.
    #[serde(skip)]
    pub eval: fn(&TriggerInput<'_>) -> Vec<Fired>,
}

impl TriggerSpec {
    /// The parameter with this name.
    pub fn param(&self, name: &str) -> Option<&'static ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// A trigger parameter.
#[derive(Debug, Serialize)]
pub struct ParamSpec {
    /// Parameter name as rules write it.
    pub name: &'static str,
    /// One-line description.
    pub description: &'static str,
    /// The values it accepts.
    pub kind: ParamKind,
    /// A rule using the trigger must set it.
    pub required: bool,
    /// A valid example value.
    pub example: &'static str,
}

/// The type of a parameter's value (values are strings in bundles, as in Anchore).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "values", rename_all = "snake_case")]
pub enum ParamKind {
    /// Any text.
    Text,
    /// A whole number.
    Integer,
    /// A number (integer or decimal).
    Number,
    /// `true` or `false`.
    Boolean,
    /// A regular expression.
    Regex,
    /// One of the listed words.
    Enum(&'static [&'static str]),
    /// Comma-separated words.
    List,
    /// Comma-separated words, each one of the listed ones.
    EnumList(&'static [&'static str]),
}

impl ParamKind {
    /// Why `value` is not of this kind, or `None` when it is.
    pub fn check(&self, value: &str) -> Option<String> {
        let v = value.trim();
        match self {
            ParamKind::Text | ParamKind::List => None,
            ParamKind::Integer => v
                .parse::<i64>()
                .err()
                .map(|_| format!("{value:?} is not a whole number")),
            ParamKind::Number => v
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .is_none()
                .then(|| format!("{value:?} is not a number")),
            ParamKind::Boolean => parse_bool(v)
                .is_none()
                .then(|| format!("{value:?} is not true or false")),
            ParamKind::Regex => Regex::new(value).err().map(|e| format!("bad regex {value:?}: {e}")),
            ParamKind::Enum(allowed) => (!allowed.iter().any(|a| a.eq_ignore_ascii_case(v)))
                .then(|| format!("{value:?} is not one of: {}", allowed.join(", "))),
            ParamKind::EnumList(allowed) => split_list(v)
                .into_iter()
                .find(|w| !allowed.iter().any(|a| a.eq_ignore_ascii_case(w)))
                .map(|w| format!("{w:?} is not one of: {}", allowed.join(", "))),
        }
    }

    /// Short name of the type, for `describe`.
    pub fn name(&self) -> &'static str {
        match self {
            ParamKind::Text => "text",
            ParamKind::Integer => "integer",
            ParamKind::Number => "number",
            ParamKind::Boolean => "boolean",
            ParamKind::Regex => "regex",
            ParamKind::Enum(_) => "enum",
            ParamKind::List => "list",
            ParamKind::EnumList(_) => "enum list",
        }
    }
}

/// `true`/`false` (also `yes`/`no`, `1`/`0`), case-insensitive.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "1" => Some(true),
        "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Splits a comma-separated list, trimming words and dropping empty ones.
pub fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// A rule's parameter values, already validated against the trigger's [`ParamSpec`]s:
/// typed getters return `None` for absent parameters.
#[derive(Debug, Clone, Default)]
pub struct Params {
    values: BTreeMap<String, String>,
}

impl Params {
    /// Wraps name → value pairs.
    pub fn new(values: BTreeMap<String, String>) -> Self {
        Params { values }
    }

    /// Builds from pairs (for tests).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Params {
            values: pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    /// The raw value.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// The value as a whole number.
    pub fn int(&self, name: &str) -> Option<i64> {
        self.text(name).and_then(|v| v.trim().parse().ok())
    }

    /// The value as a number.
    pub fn number(&self, name: &str) -> Option<f64> {
        self.text(name).and_then(|v| v.trim().parse().ok())
    }

    /// The value as a boolean.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.text(name).and_then(parse_bool)
    }

    /// The value compiled as a regex (validated earlier, so failure means absent).
    pub fn regex(&self, name: &str) -> Option<Regex> {
        self.text(name).and_then(|v| Regex::new(v).ok())
    }

    /// The value split as a comma-separated list (empty when absent).
    pub fn list(&self, name: &str) -> Vec<String> {
        self.text(name).map(split_list).unwrap_or_default()
    }

    /// The value lower-cased and trimmed (for enum parameters).
    pub fn word(&self, name: &str) -> Option<String> {
        self.text(name).map(|v| v.trim().to_ascii_lowercase())
    }
}

/// When and on what an evaluation runs.
#[derive(Debug, Clone, Default)]
pub struct EvalContext {
    /// Evaluation time, Unix seconds.
    pub now_unix: u64,
    /// The tag evaluated (`registry/repository:tag`), when known.
    pub tag: Option<String>,
}

/// What a trigger function gets.
pub struct TriggerInput<'a> {
    /// The analysis of the image judged.
    pub analysis: &'a Analysis,
    /// The rule's parameters.
    pub params: &'a Params,
    /// Evaluation time and tag.
    pub ctx: &'a EvalContext,
}

/// One firing of a trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fired {
    /// Stable id of what fired, matched by allowlist items (Anchore's form where Anchore
    /// has one, e.g. `CVE-2023-1234+openssl` for vulnerabilities).
    pub trigger_id: String,
    /// What fired, for people (Anchore's wording where Anchore has one).
    pub message: String,
}

impl Fired {
    /// A firing.
    pub fn new(trigger_id: impl Into<String>, message: impl Into<String>) -> Self {
        Fired {
            trigger_id: trigger_id.into(),
            message: message.into(),
        }
    }
}

/// Compares `a` to `b` with an Anchore comparison operator (`=`, `!=`, `<`, `<=`, `>`, `>=`);
/// unknown operators compare as false.
pub fn compare<T: PartialOrd>(a: T, op: &str, b: T) -> bool {
    match op.trim() {
        "=" | "==" | "eq" => a == b,
        "!=" | "ne" => a != b,
        "<" | "lt" => a < b,
        "<=" | "le" => a <= b,
        ">" | "gt" => a > b,
        ">=" | "ge" => a >= b,
        _ => false,
    }
}

/// The comparison operators [`compare`] understands, for enum parameters.
pub const COMPARISONS: &[&str] = &["=", "!=", "<", "<=", ">", ">="];
