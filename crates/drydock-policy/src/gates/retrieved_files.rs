//! `retrieved_files`: checks on the files the analysis stored whole (its retrieve list,
//! `/etc/passwd` by default).

use crate::spec::{Fired, GateSpec, ParamKind, ParamSpec, TriggerInput, TriggerSpec};
use drydock_analysis::Analysis;
use drydock_inspect::content::RetrievedFile;

const PATH: ParamSpec = ParamSpec {
    name: "path",
    description: "Absolute path of the file in the image, as listed in the analysis' retrieve list.",
    kind: ParamKind::Text,
    required: true,
    example: "/etc/passwd",
};

/// The `retrieved_files` gate.
pub const GATE: GateSpec = GateSpec {
    name: "retrieved_files",
    description: "Checks on files retrieved whole during analysis (the retrieve list; /etc/passwd by default). \
                  Analyses made from an SBOM file have no files and fire nothing.",
    triggers: &[
        TriggerSpec {
            name: "content_not_available",
            description: "Fires when the file at `path` was not retrieved: absent from the image, not in the \
                          retrieve list, not a regular file or too large.",
            params: &[PATH],
            eval: content_not_available,
        },
        TriggerSpec {
            name: "content_regex",
            description: "Fires when the retrieved content of the file at `path` matches the regex (check \
                          match) or does not (check no_match). A file without retrieved content does not fire \
                          (see content_not_available).",
            params: &[
                PATH,
                ParamSpec {
                    name: "check",
                    description: "match: fire when the regex matches somewhere in the content; no_match: fire \
                                  when it matches nowhere.",
                    kind: ParamKind::Enum(&["match", "no_match"]),
                    required: true,
                    example: "match",
                },
                ParamSpec {
                    name: "regex",
                    description: "Regex searched in the whole content (use (?m) for ^ and $ at line ends).",
                    kind: ParamKind::Regex,
                    required: true,
                    example: "^root:[^x*!]",
                },
            ],
            eval: content_regex,
        },
    ],
};

fn normalize(path: &str) -> String {
    let p = path.trim();
    if p.starts_with('/') {
        p.to_string()
    } else {
        format!("/{p}")
    }
}

/// The retrieved record of `path` (leading `/` optional), when it was retrieved.
pub fn retrieved<'a>(analysis: &'a Analysis, path: &str) -> Option<&'a RetrievedFile> {
    let want = normalize(path);
    analysis.retrieved_files.iter().find(|f| normalize(&f.path) == want)
}

/// The retrieved content of `path`, decoded (UTF-8 text or base64), when there is one.
pub fn content(analysis: &Analysis, path: &str) -> Option<Vec<u8>> {
    retrieved(analysis, path)?.bytes()
}

fn content_not_available(input: &TriggerInput<'_>) -> Vec<Fired> {
    let a = input.analysis;
    let Some(path) = input.params.text("path") else {
        return Vec::new();
    };
    if !a.has_files || content(a, path).is_some() {
        return Vec::new();
    }
    let path = normalize(path);
    let why = match retrieved(a, &path) {
        Some(f) => f.note.clone().unwrap_or_else(|| "no content".into()),
        None if a.files.iter().any(|f| f.path == path) => {
            "in the image but not retrieved (add it to the retrieve list)".into()
        }
        None => "not in the image, or not in the retrieve list".into(),
    };
    vec![Fired::new(
        path.clone(),
        format!("Retrieved file content not available for {path}: {why}"),
    )]
}

fn content_regex(input: &TriggerInput<'_>) -> Vec<Fired> {
    let a = input.analysis;
    let p = input.params;
    let (Some(path), Some(check), Some(pattern)) = (p.text("path"), p.word("check"), p.text("regex")) else {
        return Vec::new();
    };
    let Ok(re) = regex::bytes::Regex::new(pattern) else {
        return Vec::new();
    };
    if !a.has_files {
        return Vec::new();
    }
    let Some(bytes) = content(a, path) else {
        return Vec::new();
    };
    let path = normalize(path);
    let matched = re.is_match(&bytes);
    let fire = match check.as_str() {
        "match" => matched,
        "no_match" => !matched,
        _ => false,
    };
    if !fire {
        return Vec::new();
    }
    let what = if matched { "matches" } else { "does not match" };
    vec![Fired::new(
        path.clone(),
        format!("Content of retrieved file {path} {what} regex {pattern:?}"),
    )]
}
