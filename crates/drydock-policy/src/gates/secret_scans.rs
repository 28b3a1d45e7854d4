//! `secret_scans`: secrets the secret scanner found in the image's files (Anchore's
//! `secret_scans` gate, over drydock's secret rules). Only redacted matches are reported.

use crate::spec::{Fired, GateSpec, ParamKind, ParamSpec, TriggerInput, TriggerSpec};
use drydock_inspect::secrets::LayerSecret;

/// Anchore's default content regex names and the drydock rules (ids or id families) they
/// stand for (keys normalised: lower case, `-` for `_`).
const ANCHORE_NAMES: &[(&str, &[&str])] = &[
    ("aws-access-key", &["aws-access-key-id"]),
    ("aws-secret-key", &["aws-secret-access-key"]),
    ("priv-key", &["private-key"]),
    ("docker-auth", &["docker-config-auth"]),
    ("api-key", &["generic-api-key"]),
];

/// The `secret_scans` gate.
pub const GATE: GateSpec = GateSpec {
    name: "secret_scans",
    description: "Secrets (keys, tokens, passwords) the secret scanner found in the image's files. Messages carry \
                  only the redacted match. Fires nothing when the secret scanner did not run (--scanners \
                  without secret, or an analysis made from an SBOM file).",
    triggers: &[TriggerSpec {
        name: "content_regex_checks",
        description: "With match_type found (the default): fires for each secret finding that passes the \
                      filters, with trigger id <rule>+<path>. With match_type notfound: fires once when no finding \
                      passes them.",
        params: &[
            ParamSpec {
                name: "content_regex_name",
                description: "Only findings of this secret rule: a rule id (e.g. aws-access-key-id, see `drydock \
                              inspect` rules) or an id family prefix (private-key matches private-key-rsa, \
                              private-key-ec...); case-insensitive, _ and - alike. Anchore's names AWS_ACCESS_KEY, \
                              AWS_SECRET_KEY, PRIV_KEY, DOCKER_AUTH and API_KEY map to the matching drydock rules. \
                              Default: every rule.",
                kind: ParamKind::Text,
                required: false,
                example: "aws-access-key-id",
            },
            ParamSpec {
                name: "filename_regex",
                description: "Only findings in files whose absolute path matches this regex (searched anywhere in \
                              the path; anchor with ^ and $). Default: every file.",
                kind: ParamKind::Regex,
                required: false,
                example: "^/etc/",
            },
            ParamSpec {
                name: "match_type",
                description: "found (default): fire for each matching finding; notfound: fire once when there is \
                              no matching finding.",
                kind: ParamKind::Enum(&["found", "notfound"]),
                required: false,
                example: "found",
            },
        ],
        eval: content_regex_checks,
    }],
};

fn norm(s: &str) -> String {
    s.trim().to_ascii_lowercase().replace('_', "-")
}

/// True when `rule_id` is the rule `name` names: the same id, an id in the family `name`
/// (`name-…`), or a rule an Anchore default name stands for.
pub fn rule_matches(name: &str, rule_id: &str) -> bool {
    let (n, id) = (norm(name), norm(rule_id));
    let is = |want: &str| id == want || id.strip_prefix(want).is_some_and(|rest| rest.starts_with('-'));
    is(&n)
        || ANCHORE_NAMES
            .iter()
            .filter(|(k, _)| *k == n)
            .any(|(_, rules)| rules.iter().any(|r| is(r)))
}

fn content_regex_checks(input: &TriggerInput<'_>) -> Vec<Fired> {
    let a = input.analysis;
    let p = input.params;
    let Some(secrets) = a.secrets.as_deref() else {
        return Vec::new();
    };
    if !a.has_files {
        return Vec::new();
    }
    let name = p.text("content_regex_name").map(str::trim).filter(|n| !n.is_empty());
    let file_re = match p.text("filename_regex").filter(|r| !r.is_empty()) {
        Some(r) => match regex::Regex::new(r) {
            Ok(re) => Some(re),
            Err(_) => return Vec::new(),
        },
        None => None,
    };
    let wanted = |s: &&LayerSecret| {
        name.is_none_or(|n| rule_matches(n, &s.finding.rule_id))
            && file_re.as_ref().is_none_or(|re| re.is_match(&s.finding.path))
    };
    let notfound = p.word("match_type").as_deref() == Some("notfound");
    if notfound {
        if secrets.iter().any(|s| wanted(&s)) {
            return Vec::new();
        }
        let what = name.unwrap_or("any");
        let files = file_re
            .as_ref()
            .map(|re| format!(" in files matching {:?}", re.as_str()))
            .unwrap_or_default();
        return vec![Fired::new(
            format!("{what}+notfound"),
            format!("No secret of rule {what:?} found{files}"),
        )];
    }
    secrets
        .iter()
        .filter(wanted)
        .map(|s| {
            let f = &s.finding;
            Fired::new(
                format!("{}+{}", f.rule_id, f.path),
                format!(
                    "Secret search found a match for rule {} ({}, {}) in file {} line {} (layer {}): {}",
                    f.rule_id,
                    f.title,
                    f.severity.as_str(),
                    f.path,
                    f.line,
                    s.layer,
                    f.redacted
                ),
            )
        })
        .collect()
}
