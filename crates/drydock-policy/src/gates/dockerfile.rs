//! `dockerfile`: checks on how the image was built, from its config and build history
//! (drydock never has the Dockerfile itself: it works as Anchore does with
//! `actual_dockerfile_only` off, from a Dockerfile inferred from the history).

use crate::gates::metadata::like;
use crate::gates::passwd_file::passwd;
use crate::spec::{split_list, Fired, GateSpec, ParamKind, ParamSpec, TriggerInput, TriggerSpec};
use drydock_analysis::Analysis;
use drydock_model::ImageMeta;
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Dockerfile instructions, as the `instruction` parameter names them.
pub const INSTRUCTIONS: &[&str] = &[
    "FROM",
    "RUN",
    "ADD",
    "COPY",
    "ENV",
    "EXPOSE",
    "USER",
    "HEALTHCHECK",
    "ENTRYPOINT",
    "CMD",
    "LABEL",
    "WORKDIR",
    "VOLUME",
    "ONBUILD",
    "ARG",
    "SHELL",
    "STOPSIGNAL",
    "MAINTAINER",
];

/// The checks the `instruction` trigger runs.
pub const CHECKS: &[&str] = &["=", "!=", "exists", "not_exists", "like", "not_like", "in", "not_in"];

const LIST_TYPE: &[&str] = &["allowlist", "denylist"];

const ACTUAL_DOCKERFILE_ONLY: ParamSpec = ParamSpec {
    name: "actual_dockerfile_only",
    description: "Anchore compatibility: evaluate only against a Dockerfile supplied with the image. drydock \
                  only ever has the image's config and history, so when true the trigger never fires. Default: \
                  false.",
    kind: ParamKind::Boolean,
    required: false,
    example: "false",
};

/// The `dockerfile` gate.
pub const GATE: GateSpec = GateSpec {
    name: "dockerfile",
    description: "Checks on how the image was built: its instructions (inferred from the build history, \
                  completed with the image config), its effective user and its exposed ports.",
    triggers: &[
        TriggerSpec {
            name: "instruction",
            description: "Checks each instruction of one kind: fires for each instruction whose argument passes \
                          the check (exists: each instruction of that kind; not_exists: once, when there is none). \
                          Instructions come from the history (`#(nop)` steps, BuildKit `# buildkit` steps; other \
                          steps are RUN, with the shell prefix removed), plus, for kinds the history lacks, the \
                          config's USER, EXPOSE (one per port), ENV and LABEL (one per entry), ENTRYPOINT and CMD \
                          (as JSON arrays) and WORKDIR; FROM comes from the org.opencontainers.image.base.name \
                          label when the history has none.",
            params: &[
                ParamSpec {
                    name: "instruction",
                    description: "The Dockerfile instruction to check.",
                    kind: ParamKind::Enum(INSTRUCTIONS),
                    required: true,
                    example: "USER",
                },
                ParamSpec {
                    name: "check",
                    description: "=, != (the argument equals / differs from the value), exists, not_exists, like, \
                                  not_like (the value is a regex matched at the start of the argument, as Anchore's \
                                  re.match; use .* to match anywhere), in, not_in (the value is a comma-separated \
                                  list of arguments).",
                    kind: ParamKind::Enum(CHECKS),
                    required: true,
                    example: "=",
                },
                ParamSpec {
                    name: "value",
                    description: "What the instruction's argument is compared with; required by every check but \
                                  exists and not_exists (without it they do not fire).",
                    kind: ParamKind::Text,
                    required: false,
                    example: "root",
                },
                ACTUAL_DOCKERFILE_ONLY,
            ],
            eval: instruction,
        },
        TriggerSpec {
            name: "effective_user",
            description: "Checks the user the image runs as: the config's User (the part before any :group), \
                          root when it is empty. root and 0 are the same user, and a name and its uid are the \
                          same user when /etc/passwd was retrieved.",
            params: &[
                ParamSpec {
                    name: "users",
                    description: "Comma-separated user names or numeric uids.",
                    kind: ParamKind::List,
                    required: true,
                    example: "root,0",
                },
                ParamSpec {
                    name: "type",
                    description: "denylist: fire when the effective user is listed; allowlist: fire when it is not.",
                    kind: ParamKind::Enum(LIST_TYPE),
                    required: true,
                    example: "denylist",
                },
                ACTUAL_DOCKERFILE_ONLY,
            ],
            eval: effective_user,
        },
        TriggerSpec {
            name: "exposed_ports",
            description: "Checks the ports the image config exposes: fires once per offending port.",
            params: &[
                ParamSpec {
                    name: "ports",
                    description: "Comma-separated ports: a number matches that port over any protocol, \
                                  number/protocol (e.g. 53/udp) only that protocol.",
                    kind: ParamKind::List,
                    required: true,
                    example: "22,23",
                },
                ParamSpec {
                    name: "type",
                    description: "denylist: fire for each exposed port that is listed; allowlist: fire for each \
                                  one that is not.",
                    kind: ParamKind::Enum(LIST_TYPE),
                    required: true,
                    example: "denylist",
                },
                ACTUAL_DOCKERFILE_ONLY,
            ],
            eval: exposed_ports,
        },
        TriggerSpec {
            name: "no_dockerfile_provided",
            description: "Fires when the image has no build history to infer its Dockerfile from (no history \
                          step with a created_by).",
            params: &[],
            eval: no_dockerfile_provided,
        },
    ],
};

/// One instruction recovered from the image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instruction {
    /// Upper-case keyword (one of [`INSTRUCTIONS`]).
    pub name: &'static str,
    /// The instruction's argument, as recovered.
    pub value: String,
    /// Where it came from: `history[N]` or `config`.
    pub origin: String,
}

fn shell_prefix_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(concat!(
            // sh -c, bash -o pipefail -c, sh -ex -c, /bin/sh -ec ...
            r"^(?:(?:\S*/)?(?:sh|bash|ash|dash|zsh|ksh|mksh)(?:\s+-o\s+\S+|\s+-[A-Za-z]+)*?\s+-[A-Za-z]*c",
            // Windows shells
            r"|(?i:cmd\s+/S\s+/C)|(?i:powershell(?:\.exe)?(?:\s+-\S+)*?\s+-Command))(?:\s+|$)",
        ))
        .expect("valid regex")
    })
}

/// The command without a leading `sh -c` (or `cmd /S /C`, `powershell -Command`).
fn strip_shell(text: &str) -> Option<&str> {
    shell_prefix_re().find(text).map(|m| &text[m.end()..])
}

/// A RUN argument without its `|N A=b …` build-argument prefix and shell prefix.
fn run_command(text: &str) -> String {
    let mut t = text.trim();
    if let Some(n) = t.strip_prefix('|').and_then(|r| r.split_whitespace().next()) {
        if let Ok(count) = n.parse::<usize>() {
            let mut rest = t[1 + n.len()..].trim_start();
            for _ in 0..count {
                rest = rest
                    .split_once(char::is_whitespace)
                    .map(|(_, r)| r.trim_start())
                    .unwrap_or("");
            }
            t = rest;
        }
    }
    strip_shell(t).unwrap_or(t).trim().to_string()
}

/// Splits a leading upper-case instruction keyword off `text`.
fn keyword(text: &str) -> Option<(&'static str, &str)> {
    let t = text.trim_start();
    let (word, rest) = t.split_once(char::is_whitespace).unwrap_or((t, ""));
    INSTRUCTIONS.iter().find(|k| **k == word).map(|k| (*k, rest.trim()))
}

/// Normalises an instruction's argument: RUN without its shell prefix, BuildKit's
/// `EXPOSE map[80/tcp:{} …]` as `80/tcp …`.
fn argument(name: &'static str, rest: &str) -> String {
    match name {
        "RUN" => run_command(rest),
        "EXPOSE" => match rest.strip_prefix("map[").and_then(|r| r.strip_suffix(']')) {
            Some(inner) => inner
                .split_whitespace()
                .map(|p| p.trim_end_matches(":{}"))
                .collect::<Vec<_>>()
                .join(" "),
            None => rest.trim().to_string(),
        },
        _ => rest.trim().to_string(),
    }
}

/// The instruction one history step's `created_by` records: `/bin/sh -c #(nop)  CMD [...]`
/// (classic), `/bin/sh -c apt-get …` and `|1 A=b /bin/sh -c …` (classic RUN), `RUN …
/// # buildkit`, `COPY … # buildkit` (BuildKit), `USER app` (other builders). Anything else
/// is a RUN of the text.
pub fn parse_step(created_by: &str) -> Option<(&'static str, String)> {
    let mut t = created_by.trim();
    if let Some(s) = t.strip_suffix("# buildkit") {
        t = s.trim_end();
    }
    if t.is_empty() {
        return None;
    }
    if let Some(rest) = strip_shell(t) {
        let rest = rest.trim_start();
        if let Some(nop) = rest.strip_prefix("#(nop)") {
            return keyword(nop).map(|(k, arg)| (k, argument(k, arg)));
        }
        return Some(("RUN", rest.trim().to_string()));
    }
    if t.starts_with('|') {
        return Some(("RUN", run_command(t)));
    }
    if let Some((k, arg)) = keyword(t) {
        return Some((k, argument(k, arg)));
    }
    Some(("RUN", t.to_string()))
}

/// The instructions of the image: history steps in order, then, for kinds the history does
/// not have, the ones the config implies.
pub fn instructions(meta: &ImageMeta) -> Vec<Instruction> {
    let cfg = &meta.config;
    let mut out: Vec<Instruction> = cfg
        .history
        .iter()
        .enumerate()
        .filter_map(|(i, h)| {
            let (name, value) = parse_step(h.created_by.as_deref()?)?;
            Some(Instruction {
                name,
                value,
                origin: format!("history[{i}]"),
            })
        })
        .collect();
    let have: BTreeSet<&str> = out.iter().map(|i| i.name).collect();
    let mut add: Vec<(&'static str, String)> = Vec::new();
    let base = ["org.opencontainers.image.base.name", "org.label-schema.base-image"]
        .iter()
        .find_map(|k| cfg.labels.get(*k).filter(|v| !v.trim().is_empty()));
    if let Some(b) = base.filter(|_| !have.contains("FROM")) {
        add.push(("FROM", b.trim().to_string()));
    }
    if let Some(u) = cfg.user.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        if !have.contains("USER") {
            add.push(("USER", u.to_string()));
        }
    }
    if !have.contains("EXPOSE") {
        add.extend(cfg.exposed_ports.iter().map(|p| ("EXPOSE", p.clone())));
    }
    if !have.contains("ENV") {
        add.extend(cfg.env.iter().map(|e| ("ENV", e.clone())));
    }
    if !have.contains("LABEL") {
        add.extend(cfg.labels.iter().map(|(k, v)| ("LABEL", format!("{k}={v}"))));
    }
    for (name, argv) in [("ENTRYPOINT", &cfg.entrypoint), ("CMD", &cfg.cmd)] {
        if !argv.is_empty() && !have.contains(name) {
            add.push((name, serde_json::to_string(argv).unwrap_or_default()));
        }
    }
    if let Some(w) = cfg.working_dir.as_deref().map(str::trim).filter(|w| !w.is_empty()) {
        if !have.contains("WORKDIR") {
            add.push(("WORKDIR", w.to_string()));
        }
    }
    out.extend(add.into_iter().map(|(name, value)| Instruction {
        name,
        value,
        origin: "config".into(),
    }));
    out
}

/// True when the analysis knows the image's config (not an SBOM without image metadata).
pub fn config_known(meta: &ImageMeta) -> bool {
    let c = &meta.config;
    !c.os.is_empty() || !c.architecture.is_empty() || !c.history.is_empty() || !meta.layers.is_empty()
}

fn actual_only(input: &TriggerInput<'_>) -> bool {
    input.params.bool("actual_dockerfile_only").unwrap_or(false)
}

fn instruction(input: &TriggerInput<'_>) -> Vec<Fired> {
    let p = input.params;
    let (Some(name), Some(op)) = (p.text("instruction"), p.word("check")) else {
        return Vec::new();
    };
    if actual_only(input) || !config_known(input.analysis.image()) {
        return Vec::new();
    }
    let Some(name) = INSTRUCTIONS
        .iter()
        .copied()
        .find(|k| k.eq_ignore_ascii_case(name.trim()))
    else {
        return Vec::new();
    };
    let all = instructions(input.analysis.image());
    let lines: Vec<&Instruction> = all.iter().filter(|i| i.name == name).collect();
    if op == "not_exists" {
        if lines.is_empty() {
            return vec![Fired::new(
                name,
                format!("Dockerfile directive '{name}' not found, matching condition 'not_exists' check"),
            )];
        }
        return Vec::new();
    }
    let value = p.text("value");
    let holds = |arg: &str| -> bool {
        let Some(v) = value else {
            return op == "exists";
        };
        match op.as_str() {
            "exists" => true,
            "=" => arg == v.trim(),
            "!=" => arg != v.trim(),
            "like" => like(v, arg),
            "not_like" => !like(v, arg),
            "in" => split_list(v).iter().any(|w| w == arg),
            "not_in" => !split_list(v).iter().any(|w| w == arg),
            _ => false,
        }
    };
    lines
        .into_iter()
        .filter(|i| holds(&i.value))
        .map(|i| {
            let against = value.map(|v| format!(" against '{}'", v.trim())).unwrap_or_default();
            Fired::new(
                format!("{name}+{}", i.value),
                format!(
                    "Dockerfile directive '{name}' check '{op}' matched{against} for line '{name} {}' ({})",
                    drydock_inspect::misconfig::shorten(&i.value),
                    i.origin
                ),
            )
        })
        .collect()
}

/// The names the user goes by: itself, `root`/`0` for root, and its uid or name from
/// `/etc/passwd` when retrieved.
fn user_identities(analysis: &Analysis, user: &str) -> BTreeSet<String> {
    let mut ids = BTreeSet::from([user.to_string()]);
    if user == "root" || user == "0" {
        ids.extend(["root".to_string(), "0".to_string()]);
    }
    for e in passwd(analysis).unwrap_or_default() {
        if e.name == user || e.uid == user {
            ids.insert(e.name.clone());
            ids.insert(e.uid.clone());
        }
    }
    ids
}

fn effective_user(input: &TriggerInput<'_>) -> Vec<Fired> {
    let p = input.params;
    let users = p.list("users");
    let Some(kind) = p.word("type") else {
        return Vec::new();
    };
    let meta = input.analysis.image();
    if actual_only(input) || !config_known(meta) {
        return Vec::new();
    }
    let configured = meta.config.user.as_deref().unwrap_or("").trim();
    let user = configured.split(':').next().unwrap_or("").trim();
    let (user, how) = if user.is_empty() {
        ("root", " (the config sets no user)".to_string())
    } else {
        (user, format!(" (config user {configured:?})"))
    };
    let ids = user_identities(input.analysis, user);
    let listed = users.iter().any(|u| ids.contains(u));
    let fire = match kind.as_str() {
        "denylist" => listed,
        "allowlist" => !listed,
        _ => false,
    };
    if !fire {
        return Vec::new();
    }
    let why = if listed {
        "is in the denylist"
    } else {
        "is not in the allowlist"
    };
    vec![Fired::new(
        format!("user:{user}"),
        format!("User {user}{how} {why} [{}]", users.join(",")),
    )]
}

fn exposed_ports(input: &TriggerInput<'_>) -> Vec<Fired> {
    let p = input.params;
    let listed = p.list("ports");
    let Some(kind) = p.word("type") else {
        return Vec::new();
    };
    let meta = input.analysis.image();
    if actual_only(input) || !config_known(meta) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for exposed in &meta.config.exposed_ports {
        let exposed = exposed.trim();
        let (port, proto) = exposed.split_once('/').unwrap_or((exposed, "tcp"));
        let is_listed = listed.iter().any(|l| match l.split_once('/') {
            Some((lp, lproto)) => lp == port && lproto.eq_ignore_ascii_case(proto),
            None => l == port,
        });
        let (fire, why) = match kind.as_str() {
            "denylist" => (is_listed, "is in the denylist"),
            "allowlist" => (!is_listed, "is not in the allowlist"),
            _ => (false, ""),
        };
        if fire {
            out.push(Fired::new(
                format!("port:{port}"),
                format!(
                    "Dockerfile exposes port {port}/{proto}, which {why} [{}]",
                    listed.join(",")
                ),
            ));
        }
    }
    out
}

fn no_dockerfile_provided(input: &TriggerInput<'_>) -> Vec<Fired> {
    let hist = &input.analysis.image().config.history;
    if hist
        .iter()
        .any(|h| h.created_by.as_deref().is_some_and(|c| !c.trim().is_empty()))
    {
        return Vec::new();
    }
    vec![Fired::new(
        "no_dockerfile_provided",
        "no Dockerfile/history available: the image config has no build history",
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_steps_parse() {
        let cases: &[(&str, &str, &str)] = &[
            ("/bin/sh -c #(nop)  CMD [\"bash\"]", "CMD", "[\"bash\"]"),
            ("/bin/sh -c #(nop) ADD file:abc123 in / ", "ADD", "file:abc123 in /"),
            (
                "/bin/sh -c apt-get update && apt-get install -y curl",
                "RUN",
                "apt-get update && apt-get install -y curl",
            ),
            ("|2 A=b C=d /bin/sh -c make install", "RUN", "make install"),
            ("RUN /bin/sh -c apt-get update # buildkit", "RUN", "apt-get update"),
            ("RUN |1 V=1 /bin/sh -c echo $V # buildkit", "RUN", "echo $V"),
            (
                "RUN /bin/bash -o pipefail -c curl x | sh # buildkit",
                "RUN",
                "curl x | sh",
            ),
            ("COPY app /app # buildkit", "COPY", "app /app"),
            ("USER app", "USER", "app"),
            ("ENV A=b", "ENV", "A=b"),
            ("EXPOSE map[80/tcp:{} 443/tcp:{}]", "EXPOSE", "80/tcp 443/tcp"),
            ("/bin/sh -c #(nop)  EXPOSE 8080/tcp", "EXPOSE", "8080/tcp"),
            (
                "HEALTHCHECK &{[\"CMD\" \"true\"] \"30s\" \"3s\" \"0s\" '\\x03'}",
                "HEALTHCHECK",
                "&{[\"CMD\" \"true\"] \"30s\" \"3s\" \"0s\" '\\x03'}",
            ),
            ("cmd /S /C #(nop) WORKDIR C:\\app", "WORKDIR", "C:\\app"),
            ("bazel build //:image", "RUN", "bazel build //:image"),
        ];
        for (input, name, value) in cases {
            assert_eq!(parse_step(input), Some((*name, value.to_string())), "{input}");
        }
        assert_eq!(parse_step("   "), None);
    }
}
