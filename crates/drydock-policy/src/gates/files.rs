//! `files`: checks on the image's files: content-search matches, names and setuid/setgid
//! bits, from the analysis' file records.

use crate::spec::{Fired, GateSpec, ParamKind, ParamSpec, TriggerInput, TriggerSpec};
use drydock_model::FileKind;
use std::collections::BTreeMap;

/// The `files` gate.
pub const GATE: GateSpec = GateSpec {
    name: "files",
    description: "Checks on the files of the squashed image: content-search matches, file names and \
                  setuid/setgid bits. Analyses made from an SBOM file have no files and fire nothing.",
    triggers: &[
        TriggerSpec {
            name: "content_regex_match",
            description: "Fires once per file and content search (the named regexes of the analysis' \
                          content_search configuration) that matched some line of the file; the message lists \
                          the lines.",
            params: &[ParamSpec {
                name: "regex_name",
                description: "Only matches of the content search with this name (exactly as configured). \
                              Default: every content search.",
                kind: ParamKind::Text,
                required: false,
                example: "private-keys",
            }],
            eval: content_regex_match,
        },
        TriggerSpec {
            name: "name_match",
            description: "Fires for each file (any kind but directory) whose absolute path matches the regex.",
            params: &[ParamSpec {
                name: "regex",
                description: "Regex matched from the start of the file's absolute path, as in Anchore (begin \
                              with .* to match anywhere; end with $ to match the whole path).",
                kind: ParamKind::Regex,
                required: true,
                example: r".*/\.ssh/id_[a-z0-9]+$",
            }],
            eval: name_match,
        },
        TriggerSpec {
            name: "suid_or_guid_set",
            description: "Fires for each regular file with the setuid or setgid bit set.",
            params: &[],
            eval: suid_or_guid_set,
        },
    ],
};

fn content_regex_match(input: &TriggerInput<'_>) -> Vec<Fired> {
    let a = input.analysis;
    if !a.has_files {
        return Vec::new();
    }
    let only = input.params.text("regex_name").map(str::trim).filter(|n| !n.is_empty());
    let mut hits: BTreeMap<(&str, &str), (usize, Vec<usize>)> = BTreeMap::new();
    for m in &a.content_matches {
        if only.is_some_and(|n| n != m.name) {
            continue;
        }
        let e = hits.entry((&m.name, &m.path)).or_insert((m.layer, Vec::new()));
        e.1.push(m.line);
    }
    hits.into_iter()
        .map(|((name, path), (layer, mut lines))| {
            lines.sort_unstable();
            lines.dedup();
            let lines: Vec<String> = lines.iter().map(usize::to_string).collect();
            let s = if lines.len() == 1 { "" } else { "s" };
            Fired::new(
                format!("{name}+{path}"),
                format!(
                    "File content search found match on content regex {name:?} in file {path} \
                     (line{s} {}, layer {layer})",
                    lines.join(", ")
                ),
            )
        })
        .collect()
}

fn name_match(input: &TriggerInput<'_>) -> Vec<Fired> {
    let a = input.analysis;
    let Some(re) = input.params.regex("regex") else {
        return Vec::new();
    };
    if !a.has_files {
        return Vec::new();
    }
    a.files
        .iter()
        .filter(|f| f.kind != FileKind::Directory && re.find(&f.path).is_some_and(|m| m.start() == 0))
        .map(|f| {
            Fired::new(
                f.path.clone(),
                format!(
                    "Application of regex matched file found in container: file={} regexp={} (layer {})",
                    f.path,
                    re.as_str(),
                    f.layer
                ),
            )
        })
        .collect()
}

fn suid_or_guid_set(input: &TriggerInput<'_>) -> Vec<Fired> {
    let a = input.analysis;
    if !a.has_files {
        return Vec::new();
    }
    a.files
        .iter()
        .filter(|f| f.kind == FileKind::Regular && f.mode & 0o6000 != 0)
        .map(|f| {
            let bits = match (f.mode & 0o4000 != 0, f.mode & 0o2000 != 0) {
                (true, true) => "SUID and SGID",
                (true, false) => "SUID",
                _ => "SGID",
            };
            Fired::new(
                f.path.clone(),
                format!(
                    "SUID or SGID found set on file {}. Mode: 0o{:o} ({bits}, owner {}:{}, layer {})",
                    f.path, f.mode, f.uid, f.gid, f.layer
                ),
            )
        })
        .collect()
}
