//! `metadata`: checks on image attributes (size, architecture, OS, distro, layer count).

use crate::gates::distro::compare_versions;
use crate::spec::{compare, split_list, Fired, GateSpec, ParamKind, ParamSpec, TriggerInput, TriggerSpec};
use drydock_analysis::Analysis;
use drydock_model::FileKind;
use regex::Regex;
use std::cmp::Ordering;

/// The attributes the `attribute` trigger reads (`os_type` is Anchore's name for `os`).
pub const ATTRIBUTES: &[&str] = &[
    "size",
    "architecture",
    "os",
    "os_type",
    "distro",
    "distro_version",
    "like_distro",
    "layer_count",
];

/// The checks the `attribute` trigger runs.
pub const CHECKS: &[&str] = &["=", "!=", "<", "<=", ">", ">=", "like", "not_like", "in", "not_in"];

/// The `metadata` gate.
pub const GATE: GateSpec = GateSpec {
    name: "metadata",
    description: "Checks attributes of the image as a whole: size, architecture, OS, distro, distro version, \
                  distro family and layer count.",
    triggers: &[TriggerSpec {
        name: "attribute",
        description: "Fires when the chosen image attribute passes the check against the value. Attributes the \
                      analysis does not know (no distro detected, an SBOM without files for size, no layers) \
                      do not fire.",
        params: &[
            ParamSpec {
                name: "attribute",
                description: "Attribute to check: size (sum of the sizes of the regular files in the squashed \
                              image, in bytes; needs an image analysis), architecture (e.g. amd64), os (or \
                              os_type; e.g. linux), distro (os-release ID), distro_version (VERSION_ID, compared \
                              as a version), like_distro (the ID_LIKE families, or the ID when there are none; \
                              the check holds when any family passes it, and not_* checks when none fails it), \
                              layer_count (number of layers).",
                kind: ParamKind::Enum(ATTRIBUTES),
                required: true,
                example: "size",
            },
            ParamSpec {
                name: "check",
                description: "Comparison of the attribute with the value: =, !=, <, <=, >, >= (numbers for size \
                              and layer_count, versions for distro_version, text otherwise); like / not_like (the \
                              value is a regex matched at the start of the attribute, as Anchore's re.match); in \
                              / not_in (the value is a comma-separated list).",
                kind: ParamKind::Enum(CHECKS),
                required: true,
                example: ">",
            },
            ParamSpec {
                name: "value",
                description: "Value to compare with: a number of bytes for size, a number for layer_count, a \
                              regex for like/not_like, a comma-separated list for in/not_in.",
                kind: ParamKind::Text,
                required: true,
                example: "1000000000",
            },
        ],
        eval: attribute,
    }],
};

/// The value of an attribute, typed for comparison.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Number(f64),
    Version(String),
    Text(String),
}

impl Value {
    fn as_text(&self) -> String {
        match self {
            Value::Number(n) => format!("{n}"),
            Value::Version(s) | Value::Text(s) => s.clone(),
        }
    }

    /// How this value orders against `other` (parsed as the same type); `None` when `other`
    /// is not of this type.
    fn order(&self, other: &str) -> Option<Ordering> {
        let other = other.trim();
        match self {
            Value::Number(n) => other.parse::<f64>().ok().and_then(|o| n.partial_cmp(&o)),
            Value::Version(v) => Some(compare_versions(v, other)),
            Value::Text(t) => Some(t.as_str().cmp(other)),
        }
    }
}

/// True when `pattern` (a regex) matches at the start of `text`, like Python's `re.match`
/// that Anchore's `like` check uses; a bad regex matches nothing.
pub(crate) fn like(pattern: &str, text: &str) -> bool {
    Regex::new(&format!("^(?:{pattern})")).is_ok_and(|r| r.is_match(text))
}

/// Runs an Anchore check (`=`, `!=`, `<`, `<=`, `>`, `>=`, `like`, `not_like`, `in`, `not_in`)
/// of `value` against `rhs`; `None` for an unknown check or an `rhs` of the wrong type.
pub(crate) fn check(value: &Value, op: &str, rhs: &str) -> Option<bool> {
    let op = op.trim();
    match op {
        "like" => Some(like(rhs, &value.as_text())),
        "not_like" => Some(!like(rhs, &value.as_text())),
        "in" | "not_in" => {
            let found = split_list(rhs).iter().any(|w| value.order(w) == Some(Ordering::Equal));
            Some(found == (op == "in"))
        }
        _ => value.order(rhs).map(|o| compare(o, op, Ordering::Equal)),
    }
}

/// The attribute's values (several for like_distro), or nothing when unknown.
fn values(analysis: &Analysis, attribute: &str) -> Vec<Value> {
    let image = analysis.image();
    let cfg = &image.config;
    let distro = analysis.sbom.distro.as_ref();
    let text = |s: &str| {
        let s = s.trim();
        if s.is_empty() {
            Vec::new()
        } else {
            vec![Value::Text(s.to_string())]
        }
    };
    match attribute {
        "size" if analysis.has_files => {
            let total: u64 = analysis
                .files
                .iter()
                .filter(|f| f.kind == FileKind::Regular)
                .map(|f| f.size)
                .sum();
            vec![Value::Number(total as f64)]
        }
        "architecture" => text(&cfg.architecture),
        "os" | "os_type" => text(&cfg.os),
        "distro" => distro.map(|d| text(&d.id)).unwrap_or_default(),
        "distro_version" => distro
            .filter(|d| !d.version_id.trim().is_empty())
            .map(|d| vec![Value::Version(d.version_id.trim().to_string())])
            .unwrap_or_default(),
        "like_distro" => match distro {
            Some(d) if !d.id_like.is_empty() => d.id_like.iter().flat_map(|s| text(s)).collect(),
            Some(d) => text(&d.id),
            None => Vec::new(),
        },
        "layer_count" => {
            let n = if image.layers.is_empty() {
                cfg.diff_ids.len()
            } else {
                image.layers.len()
            };
            if n == 0 {
                Vec::new()
            } else {
                vec![Value::Number(n as f64)]
            }
        }
        _ => Vec::new(),
    }
}

fn attribute(input: &TriggerInput<'_>) -> Vec<Fired> {
    let p = input.params;
    let (Some(attr), Some(op), Some(rhs)) = (p.word("attribute"), p.text("check"), p.text("value")) else {
        return Vec::new();
    };
    let vals = values(input.analysis, &attr);
    if vals.is_empty() {
        return Vec::new();
    }
    let op = op.trim();
    // Negative checks hold only when they hold for every value (none of the families
    // matches); the others when they hold for any.
    let holds = if matches!(op, "!=" | "not_like" | "not_in") {
        vals.iter().all(|v| check(v, op, rhs) == Some(true))
    } else {
        vals.iter().any(|v| check(v, op, rhs) == Some(true))
    };
    if !holds {
        return Vec::new();
    }
    let shown: Vec<String> = vals.iter().map(Value::as_text).collect();
    let unit = if attr == "size" { " bytes" } else { "" };
    vec![Fired::new(
        attr.clone(),
        format!(
            "Attribute check for attribute: '{attr}' check: '{op}' value: '{}' matched image value: '{}{unit}'",
            rhs.trim(),
            shown.join(",")
        ),
    )]
}
