//! `passwd_file`: checks on the accounts in the image's `/etc/passwd` (from the retrieved
//! files of the analysis).

use crate::gates::retrieved_files;
use crate::spec::{Fired, GateSpec, ParamKind, ParamSpec, TriggerInput, TriggerSpec};
use drydock_analysis::Analysis;

/// Where the accounts are read from.
pub const PASSWD: &str = "/etc/passwd";

/// The `passwd_file` gate.
pub const GATE: GateSpec = GateSpec {
    name: "passwd_file",
    description: "Checks the accounts in /etc/passwd, as retrieved during analysis (drydock retrieves \
                  /etc/passwd by default). The denylist triggers fire once per offending entry; when the file \
                  was not retrieved only content_not_available fires. Analyses made from an SBOM file have no \
                  files and fire nothing.",
    triggers: &[
        TriggerSpec {
            name: "content_not_available",
            description: "Fires when /etc/passwd was not retrieved (absent from the image, or left out of the \
                          retrieve list).",
            params: &[],
            eval: content_not_available,
        },
        TriggerSpec {
            name: "denylist_usernames",
            description: "Fires for each account whose user name is in the list.",
            params: &[ParamSpec {
                name: "user_names",
                description: "Comma-separated user names that must not have an account.",
                kind: ParamKind::List,
                required: true,
                example: "games,ftp",
            }],
            eval: denylist_usernames,
        },
        TriggerSpec {
            name: "denylist_userids",
            description: "Fires for each account whose numeric user id is in the list.",
            params: &[ParamSpec {
                name: "user_ids",
                description: "Comma-separated numeric user ids that must not be used by any account.",
                kind: ParamKind::List,
                required: true,
                example: "0,5",
            }],
            eval: denylist_userids,
        },
        TriggerSpec {
            name: "denylist_groupids",
            description: "Fires for each account whose primary numeric group id is in the list.",
            params: &[ParamSpec {
                name: "group_ids",
                description: "Comma-separated numeric group ids that must not be any account's primary group.",
                kind: ParamKind::List,
                required: true,
                example: "0,42",
            }],
            eval: denylist_groupids,
        },
        TriggerSpec {
            name: "denylist_shells",
            description: "Fires for each account whose login shell is in the list.",
            params: &[ParamSpec {
                name: "shells",
                description: "Comma-separated login shells (full paths) no account may have.",
                kind: ParamKind::List,
                required: true,
                example: "/bin/bash,/bin/sh",
            }],
            eval: denylist_shells,
        },
        TriggerSpec {
            name: "denylist_full_entry",
            description: "Fires for each line of /etc/passwd that is exactly the given entry.",
            params: &[ParamSpec {
                name: "entry",
                description: "A whole /etc/passwd line (name:password:uid:gid:gecos:home:shell) that must not \
                              be present.",
                kind: ParamKind::Text,
                required: true,
                example: "ftp:x:40:49:FTP User:/srv/ftp:/bin/sh",
            }],
            eval: denylist_full_entry,
        },
    ],
};

/// One account line of `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    /// User name (field 1).
    pub name: String,
    /// Numeric user id, as written (field 3).
    pub uid: String,
    /// Numeric primary group id, as written (field 4).
    pub gid: String,
    /// Home directory (field 6).
    pub home: String,
    /// Login shell (field 7).
    pub shell: String,
    /// The whole line, trimmed.
    pub line: String,
}

/// Parses `/etc/passwd` text: one entry per line with at least a name, skipping blank
/// lines and comments; missing fields are empty.
pub fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            let field = |i: usize| f.get(i).map(|s| s.trim().to_string()).unwrap_or_default();
            let name = field(0);
            (!name.is_empty()).then(|| PasswdEntry {
                name,
                uid: field(2),
                gid: field(3),
                home: field(5),
                shell: field(6),
                line: line.to_string(),
            })
        })
        .collect()
}

/// The accounts of the image's `/etc/passwd`, when it was retrieved with its content.
pub fn passwd(analysis: &Analysis) -> Option<Vec<PasswdEntry>> {
    let bytes = retrieved_files::content(analysis, PASSWD)?;
    Some(parse_passwd(&String::from_utf8_lossy(&bytes)))
}

fn content_not_available(input: &TriggerInput<'_>) -> Vec<Fired> {
    let a = input.analysis;
    if !a.has_files || passwd(a).is_some() {
        return Vec::new();
    }
    let why = match retrieved_files::retrieved(a, PASSWD) {
        Some(f) => f.note.clone().unwrap_or_else(|| "no content".into()),
        None if a.files.iter().any(|f| f.path == PASSWD) => "in the image but not retrieved".into(),
        None => "not in the image".into(),
    };
    vec![Fired::new(PASSWD, format!("/etc/passwd content not available: {why}"))]
}

/// Fires once per entry for which `field` is one of the listed values.
fn denylist(input: &TriggerInput<'_>, param: &str, what: &str, field: fn(&PasswdEntry) -> &str) -> Vec<Fired> {
    let listed = input.params.list(param);
    if listed.is_empty() || !input.analysis.has_files {
        return Vec::new();
    }
    let Some(entries) = passwd(input.analysis) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter(|e| listed.iter().any(|l| l == field(e)))
        .map(|e| {
            Fired::new(
                format!("user:{}", e.name),
                format!(
                    "Denylisted {what} '{}' found in /etc/passwd entry: {}",
                    field(e),
                    e.line
                ),
            )
        })
        .collect()
}

fn denylist_usernames(input: &TriggerInput<'_>) -> Vec<Fired> {
    denylist(input, "user_names", "user name", |e| &e.name)
}

fn denylist_userids(input: &TriggerInput<'_>) -> Vec<Fired> {
    denylist(input, "user_ids", "user id", |e| &e.uid)
}

fn denylist_groupids(input: &TriggerInput<'_>) -> Vec<Fired> {
    denylist(input, "group_ids", "group id", |e| &e.gid)
}

fn denylist_shells(input: &TriggerInput<'_>) -> Vec<Fired> {
    denylist(input, "shells", "shell", |e| &e.shell)
}

fn denylist_full_entry(input: &TriggerInput<'_>) -> Vec<Fired> {
    let Some(entry) = input.params.text("entry").map(str::trim).filter(|e| !e.is_empty()) else {
        return Vec::new();
    };
    if !input.analysis.has_files {
        return Vec::new();
    }
    let Some(entries) = passwd(input.analysis) else {
        return Vec::new();
    };
    entries
        .iter()
        .filter(|e| e.line == entry)
        .map(|e| {
            Fired::new(
                format!("user:{}", e.name),
                format!("Denylisted full entry found in /etc/passwd: {}", e.line),
            )
        })
        .collect()
}
