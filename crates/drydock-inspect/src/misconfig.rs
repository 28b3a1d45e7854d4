//! Misconfiguration checks over the image config, its build history and the squashed
//! file tree: root user, risky ports, secrets in `ENV`/labels, remote code in the build,
//! setuid binaries, world-writable paths, account databases, SSH keys, sudoers and
//! package-manager caches left behind.
//!
//! File checks read metadata from the tree; the account and sudoers checks also need
//! the files' content, so the capture must keep the paths [`wants`] accepts.

use drydock_model::{FileEntry, FileKind, FileTree, ImageMeta};
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Upper-case name, as tables print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "INFO",
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// One misconfiguration found in an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Misconfig {
    /// Check id, e.g. `DD-IMG-001`.
    pub id: String,
    /// How bad it is.
    pub severity: Severity,
    /// One-line summary.
    pub title: String,
    /// Why it matters and what to do.
    pub explanation: String,
    /// File the finding is about, for file checks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Layer that introduced it, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// What was seen (secret values are always redacted).
    pub evidence: String,
}

/// A check's fixed description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckInfo {
    /// Check id, e.g. `DD-IMG-001`.
    pub id: &'static str,
    /// How bad a finding of this check is.
    pub severity: Severity,
    /// One-line summary.
    pub title: &'static str,
    /// Why it matters and what to do.
    pub explanation: &'static str,
}

/// Every check, in report order (some findings raise or lower the severity listed here).
pub const CHECKS: &[CheckInfo] = &[
    CheckInfo {
        id: "DD-IMG-001",
        severity: Severity::High,
        title: "Image runs as root",
        explanation: "The config has no USER or names root (uid 0), so the container's processes run as root \
                      and a compromise or container escape starts with full privileges. Add a non-root USER \
                      (e.g. `USER 10001`) after installing packages.",
    },
    CheckInfo {
        id: "DD-IMG-002",
        severity: Severity::Medium,
        title: "SSH or telnet port exposed",
        explanation: "The image exposes port 22 (SSH) or 23 (telnet, cleartext). Remote shells inside containers \
                      widen the attack surface and bypass the orchestrator's access control; use `docker exec` / \
                      `kubectl exec` instead and remove the EXPOSE and the daemon.",
    },
    CheckInfo {
        id: "DD-IMG-003",
        severity: Severity::High,
        title: "Secret in ENV or label",
        explanation: "An environment variable or label whose name suggests a credential has a value baked into the \
                      image config, readable by anyone who can pull the image (`docker inspect`). Pass secrets at \
                      run time (orchestrator secrets, mounted files, *_FILE variables) and rotate the exposed value.",
    },
    CheckInfo {
        id: "DD-IMG-004",
        severity: Severity::Medium,
        title: "ADD from a remote URL",
        explanation: "A build step used `ADD` with an http(s) URL: the download is not verified and its content can \
                      change between builds. Download with a checksum check in a RUN step (or `ADD --checksum=`) \
                      or copy a vetted file from the build context.",
    },
    CheckInfo {
        id: "DD-IMG-005",
        severity: Severity::Medium,
        title: "Remote script piped into a shell",
        explanation: "A build step downloads a script with curl/wget and pipes it straight into a shell, running \
                      unverified remote code as root during the build. Download to a file, verify its checksum or \
                      signature, then run it.",
    },
    CheckInfo {
        id: "DD-IMG-006",
        severity: Severity::Low,
        title: "No HEALTHCHECK",
        explanation: "The image defines no HEALTHCHECK, so Docker cannot tell a hung service from a healthy one. \
                      Add a HEALTHCHECK instruction (or rely on the orchestrator's probes and ignore this check).",
    },
    CheckInfo {
        id: "DD-IMG-007",
        severity: Severity::Low,
        title: "Base image uses the latest tag",
        explanation: "The base image is named without a tag or with `latest`, so rebuilds silently pick up a \
                      different base. Pin a version tag, ideally with its digest (`image:tag@sha256:…`).",
    },
    CheckInfo {
        id: "DD-FS-001",
        severity: Severity::Low,
        title: "setuid/setgid binary",
        explanation: "A file with the setuid or setgid bit runs with its owner's or group's privileges and is a \
                      classic privilege-escalation path. Most distributions ship a few (passwd, su, mount); remove \
                      the bit (`chmod u-s,g-s`) or the package where the container does not need them.",
    },
    CheckInfo {
        id: "DD-FS-002",
        severity: Severity::Medium,
        title: "World-writable file or directory",
        explanation: "Any user in the container can modify this path (a directory without the sticky bit also lets \
                      them delete or replace others' files), allowing tampering with programs or configuration. \
                      Remove the o+w bit, or use the sticky bit for shared scratch directories.",
    },
    CheckInfo {
        id: "DD-FS-003",
        severity: Severity::High,
        title: "Account other than root with uid 0",
        explanation: "/etc/passwd gives uid 0 to an account that is not root; it has full root privileges under \
                      another name, a common backdoor. Remove the account or give it an unprivileged uid.",
    },
    CheckInfo {
        id: "DD-FS-004",
        severity: Severity::High,
        title: "Account with an empty password",
        explanation: "The account's password field in /etc/shadow (or /etc/passwd) is empty, so it can log in or \
                      `su` without a password. Lock it (`passwd -l`, or `*`/`!` in the field).",
    },
    CheckInfo {
        id: "DD-FS-005",
        severity: Severity::Low,
        title: "System account with a login shell",
        explanation: "A system account (uid below 1000, not root) has an interactive login shell; service accounts \
                      should use /usr/sbin/nologin or /bin/false so a stolen service identity cannot open a shell.",
    },
    CheckInfo {
        id: "DD-FS-006",
        severity: Severity::Medium,
        title: "SSH authorized_keys present",
        explanation: "An authorized_keys file grants whoever holds the matching private key SSH access to every \
                      container started from the image. Remove it from the image; inject access at run time if \
                      it is really needed.",
    },
    CheckInfo {
        id: "DD-FS-007",
        severity: Severity::High,
        title: "SSH host private key in the image",
        explanation: "SSH host private keys baked into an image are shared by every container and every user of \
                      the image, enabling impersonation and man-in-the-middle attacks. Delete them in the build and \
                      generate keys at container start.",
    },
    CheckInfo {
        id: "DD-FS-008",
        severity: Severity::Medium,
        title: "sudo without password (NOPASSWD)",
        explanation: "A sudoers rule lets a user run commands as root without a password, so any code running as \
                      that user becomes root. Drop the rule or limit it to specific commands.",
    },
    CheckInfo {
        id: "DD-FS-009",
        severity: Severity::Low,
        title: "Package-manager cache left in the image",
        explanation: "Downloaded packages or index files were left behind, growing the image and shipping stale \
                      metadata. Clean them in the same RUN step (`apt-get clean && rm -rf /var/lib/apt/lists/*`, \
                      `apk add --no-cache`, `pip install --no-cache-dir`, `npm cache clean --force`, \
                      `dnf/yum clean all`).",
    },
];

/// Looks a check up by id.
pub fn check_info(id: &str) -> Option<&'static CheckInfo> {
    CHECKS.iter().find(|c| c.id == id)
}

/// Files whose content the account and sudoers checks read.
pub const NEEDED_FILES: &[&str] = &["/etc/passwd", "/etc/shadow", "/etc/sudoers"];

/// True when the capture should keep this file's content for the checks: the
/// [`NEEDED_FILES`], `/etc/sudoers.d/*` and `authorized_keys` files (to count keys).
/// SSH host private keys are deliberately not captured: their metadata is enough and
/// their content should not end up in memory or the layer cache.
pub fn wants(path: &str) -> bool {
    if NEEDED_FILES.contains(&path) {
        return true;
    }
    if let Some(rest) = path.strip_prefix("/etc/sudoers.d/") {
        return !rest.is_empty() && !rest.contains('/');
    }
    is_authorized_keys(path)
}

fn is_authorized_keys(path: &str) -> bool {
    if path == "/root/.ssh/authorized_keys" || path == "/root/.ssh/authorized_keys2" {
        return true;
    }
    if let Some(rest) = path.strip_prefix("/home/") {
        let mut parts = rest.split('/');
        let user = parts.next().unwrap_or("");
        return !user.is_empty()
            && parts.next() == Some(".ssh")
            && matches!(parts.next(), Some("authorized_keys" | "authorized_keys2"))
            && parts.next().is_none();
    }
    false
}

fn is_ssh_host_private_key(path: &str) -> bool {
    path.strip_prefix("/etc/ssh/ssh_host_")
        .is_some_and(|rest| rest.ends_with("_key") && !rest.contains('/'))
}

/// Tuning for the checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct MisconfigOptions {
    /// Path prefixes where world-writable entries are expected (matched as whole components).
    pub world_writable_exceptions: Vec<String>,
    /// Check ids to skip.
    pub disabled: Vec<String>,
    /// Highest uid still counted as a system account by DD-FS-005.
    pub max_system_uid: u64,
}

impl Default for MisconfigOptions {
    fn default() -> Self {
        MisconfigOptions {
            world_writable_exceptions: vec!["/tmp".into(), "/var/tmp".into(), "/dev/shm".into()],
            disabled: Vec::new(),
            max_system_uid: 999,
        }
    }
}

/// Runs every enabled check; findings come back in check order, then path order.
pub fn check(meta: &ImageMeta, tree: &FileTree, opts: &MisconfigOptions) -> Vec<Misconfig> {
    let mut out = Findings {
        list: Vec::new(),
        disabled: &opts.disabled,
    };
    // A directory source has no image config: the config checks would only guess.
    if meta.source.scheme != "dir" {
        config_checks(meta, &mut out);
    }
    file_checks(tree, opts, &mut out);
    let order = |id: &str| CHECKS.iter().position(|c| c.id == id).unwrap_or(usize::MAX);
    out.list.sort_by_key(|m| order(&m.id));
    out.list
}

struct Findings<'a> {
    list: Vec<Misconfig>,
    disabled: &'a [String],
}

impl Findings<'_> {
    fn add(
        &mut self,
        id: &str,
        severity: Option<Severity>,
        path: Option<&str>,
        layer: Option<usize>,
        evidence: String,
    ) {
        if self.disabled.iter().any(|d| d == id) {
            return;
        }
        let Some(info) = check_info(id) else { return };
        self.list.push(Misconfig {
            id: info.id.into(),
            severity: severity.unwrap_or(info.severity),
            title: info.title.into(),
            explanation: info.explanation.into(),
            path: path.map(str::to_string),
            layer,
            evidence,
        });
    }
}

// ---------------------------------------------------------------- config and history

fn config_checks(meta: &ImageMeta, out: &mut Findings<'_>) {
    let cfg = &meta.config;

    match cfg.user.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => out.add("DD-IMG-001", None, None, None, "no USER in the image config".into()),
        Some(u) => {
            let name = u.split(':').next().unwrap_or("");
            if name == "root" || name == "0" {
                out.add("DD-IMG-001", None, None, None, format!("USER {u}"));
            }
        }
    }

    for port in &cfg.exposed_ports {
        let number = port.split('/').next().unwrap_or("").trim();
        match number {
            "22" => out.add("DD-IMG-002", None, None, None, format!("EXPOSE {port} (SSH)")),
            "23" => out.add(
                "DD-IMG-002",
                Some(Severity::High),
                None,
                None,
                format!("EXPOSE {port} (telnet)"),
            ),
            _ => {}
        }
    }

    for var in &cfg.env {
        let (name, value) = var.split_once('=').unwrap_or((var.as_str(), ""));
        if is_secret_name(name) && !value.trim().is_empty() {
            out.add("DD-IMG-003", None, None, None, format!("ENV {name}={}", redact(value)));
        }
    }
    for (name, value) in &cfg.labels {
        if is_secret_name(name) && !value.trim().is_empty() {
            out.add(
                "DD-IMG-003",
                None,
                None,
                None,
                format!("LABEL {name}={}", redact(value)),
            );
        }
    }

    let layers = history_layers(meta);
    let mut healthcheck = false;
    let mut from_latest: Option<String> = None;
    for (i, step) in cfg.history.iter().enumerate() {
        let Some(cmd) = step.created_by.as_deref() else {
            continue;
        };
        let layer = layers.get(i).copied().flatten();
        let text = strip_shell_prefix(cmd);
        if add_url_re().is_match(text) {
            out.add("DD-IMG-004", None, None, layer, shorten(text));
        }
        if pipe_to_shell_re().is_match(text) {
            out.add("DD-IMG-005", None, None, layer, shorten(text));
        }
        if healthcheck_re().is_match(text) {
            healthcheck = true;
        }
        if let Some(c) = from_re().captures(text) {
            if is_latest_ref(&c[1]) {
                from_latest = Some(c[1].to_string());
            }
        }
    }
    if !cfg.history.is_empty() && !healthcheck {
        out.add(
            "DD-IMG-006",
            None,
            None,
            None,
            "no HEALTHCHECK step in the build history".into(),
        );
    }
    let base = ["org.opencontainers.image.base.name", "org.label-schema.base-image"]
        .iter()
        .find_map(|k| cfg.labels.get(*k).map(|v| (*k, v)));
    if let Some((key, value)) = base {
        if is_latest_ref(value) {
            out.add("DD-IMG-007", None, None, None, format!("LABEL {key}={value}"));
        }
    } else if let Some(r) = from_latest {
        out.add("DD-IMG-007", None, None, None, format!("FROM {r}"));
    }
}

/// The layer each history step produced (None for empty-layer steps, or for all when
/// history and layers do not line up).
fn history_layers(meta: &ImageMeta) -> Vec<Option<usize>> {
    let hist = &meta.config.history;
    let non_empty = hist.iter().filter(|h| !h.empty_layer).count();
    if non_empty != meta.layers.len() {
        return vec![None; hist.len()];
    }
    let mut next = 0;
    hist.iter()
        .map(|h| {
            if h.empty_layer {
                None
            } else {
                next += 1;
                Some(next - 1)
            }
        })
        .collect()
}

/// Drops the `/bin/sh -c #(nop) ` wrapper of classic builder history.
fn strip_shell_prefix(cmd: &str) -> &str {
    let t = cmd.trim();
    let t = t.strip_prefix("/bin/sh -c ").unwrap_or(t).trim_start();
    t.strip_prefix("#(nop)").unwrap_or(t).trim()
}

/// `s` cut to 200 characters (with an ellipsis), for messages that quote image text.
pub fn shorten(s: &str) -> String {
    const MAX: usize = 200;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let cut: String = s.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

fn add_url_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?i)(?:^|\s)ADD\s+(?:--\S+\s+)*https?://").expect("valid regex"))
}

fn pipe_to_shell_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| {
        Regex::new(r"\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+(?:-\S+\s+)*)?(?:env\s+)?(?:\S*/)?(?:ba|da|z|k|a)?sh\b")
            .expect("valid regex")
    })
}

fn healthcheck_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?:^|\s)HEALTHCHECK\b").expect("valid regex"))
}

fn from_re() -> &'static Regex {
    static R: OnceLock<Regex> = OnceLock::new();
    R.get_or_init(|| Regex::new(r"(?i)^FROM\s+(?:--\S+\s+)*(\S+)").expect("valid regex"))
}

/// True for an image reference without a tag or digest, or tagged `latest`.
fn is_latest_ref(reference: &str) -> bool {
    let r = reference.trim();
    if r.is_empty() || r.contains('@') || r.eq_ignore_ascii_case("scratch") {
        return false;
    }
    let last = r.rsplit('/').next().unwrap_or(r);
    match last.split_once(':') {
        None => true,
        Some((_, tag)) => tag == "latest",
    }
}

/// True for variable or label names that suggest a credential. Names ending in
/// `_FILE`/`_PATH`/`_DIR` point at where a secret lives and are not secrets.
fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let parts: Vec<&str> = upper
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .collect();
    if matches!(
        parts.last(),
        Some(&("FILE" | "PATH" | "DIR" | "URL" | "ENV" | "TYPE" | "NAME" | "ID" | "LENGTH"))
    ) {
        return false;
    }
    let single = |p: &str| {
        matches!(
            p,
            "PASSWORD"
                | "PASSWD"
                | "PASS"
                | "SECRET"
                | "SECRETS"
                | "TOKEN"
                | "APIKEY"
                | "CREDENTIAL"
                | "CREDENTIALS"
                | "PRIVATEKEY"
                | "SECRETKEY"
                | "ACCESSKEY"
        ) || p.ends_with("PASSWORD")
            || p.ends_with("TOKEN")
            || p.ends_with("SECRET")
    };
    if parts.iter().any(|p| single(p)) {
        return true;
    }
    parts
        .windows(2)
        .any(|w| matches!((w[0], w[1]), ("API" | "ACCESS" | "PRIVATE" | "SECRET" | "AUTH", "KEY")))
}

/// Shows only the length of a secret value.
fn redact(value: &str) -> String {
    format!("<redacted, {} chars>", value.chars().count())
}

// ---------------------------------------------------------------- files

fn file_checks(tree: &FileTree, opts: &MisconfigOptions, out: &mut Findings<'_>) {
    let mut caches: BTreeMap<&'static str, CacheTotal> = BTreeMap::new();
    for (path, e) in tree.entries() {
        let special = e.mode & 0o6000;
        if e.kind == FileKind::Regular && special != 0 {
            let what = match special {
                0o6000 => "setuid+setgid",
                0o4000 => "setuid",
                _ => "setgid",
            };
            out.add(
                "DD-FS-001",
                None,
                Some(path),
                Some(e.layer),
                format!("{what}, mode {:04o}, owner {}:{}", e.mode & 0o7777, e.uid, e.gid),
            );
        }
        if is_world_writable(path, e, opts) {
            let kind = if e.kind == FileKind::Directory {
                "directory without sticky bit"
            } else {
                "file"
            };
            out.add(
                "DD-FS-002",
                None,
                Some(path),
                Some(e.layer),
                format!("{kind}, mode {:04o}, owner {}:{}", e.mode & 0o7777, e.uid, e.gid),
            );
        }
        if is_authorized_keys(path) && matches!(e.kind, FileKind::Regular | FileKind::Hardlink) {
            let keys = tree.read(path).map(|c| {
                String::from_utf8_lossy(c)
                    .lines()
                    .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                    .count()
            });
            let evidence = match keys {
                Some(n) => format!("{n} key(s), {} bytes", e.size),
                None => format!("{} bytes", e.size),
            };
            out.add("DD-FS-006", None, Some(path), Some(e.layer), evidence);
        }
        if is_ssh_host_private_key(path) && matches!(e.kind, FileKind::Regular | FileKind::Hardlink) {
            out.add(
                "DD-FS-007",
                None,
                Some(path),
                Some(e.layer),
                format!("{} bytes, mode {:04o}", e.size, e.mode & 0o7777),
            );
        }
        if let Some(kind) = cache_kind(path) {
            if e.kind == FileKind::Regular && e.size > 0 {
                let t = caches.entry(kind.0).or_insert(CacheTotal {
                    dir: kind.1,
                    files: 0,
                    bytes: 0,
                    layer: 0,
                });
                t.files += 1;
                t.bytes += e.size;
                t.layer = t.layer.max(e.layer);
            }
        }
    }
    accounts(tree, opts, out);
    sudoers(tree, out);
    for (kind, t) in caches {
        out.add(
            "DD-FS-009",
            None,
            Some(t.dir),
            Some(t.layer),
            format!("{kind}: {} file(s), {} bytes", t.files, t.bytes),
        );
    }
}

struct CacheTotal {
    dir: &'static str,
    files: u64,
    bytes: u64,
    layer: usize,
}

/// Which package-manager cache a path belongs to: (kind, directory).
fn cache_kind(path: &str) -> Option<(&'static str, &'static str)> {
    if let Some(rest) = path.strip_prefix("/var/cache/apt/") {
        if rest.starts_with("archives/") && rest.ends_with(".deb") {
            return Some(("apt downloaded packages", "/var/cache/apt/archives"));
        }
        if !rest.contains('/') && rest.ends_with(".bin") {
            return Some(("apt package cache", "/var/cache/apt"));
        }
        return None;
    }
    if let Some(rest) = path.strip_prefix("/var/lib/apt/lists/") {
        return (rest != "lock" && !rest.starts_with("partial/"))
            .then_some(("apt package lists", "/var/lib/apt/lists"));
    }
    let dirs: &[(&str, &str, &str)] = &[
        ("/var/cache/apk/", "apk cache", "/var/cache/apk"),
        ("/etc/apk/cache/", "apk cache", "/etc/apk/cache"),
        ("/var/cache/yum/", "yum cache", "/var/cache/yum"),
        ("/var/cache/dnf/", "dnf cache", "/var/cache/dnf"),
        ("/root/.cache/pip/", "pip cache", "/root/.cache/pip"),
        ("/root/.npm/_cacache/", "npm cache", "/root/.npm"),
    ];
    dirs.iter()
        .find(|(prefix, _, _)| path.starts_with(prefix))
        .map(|(_, kind, dir)| (*kind, *dir))
}

fn is_world_writable(path: &str, e: &FileEntry, opts: &MisconfigOptions) -> bool {
    if e.mode & 0o002 == 0 {
        return false;
    }
    let relevant = match e.kind {
        FileKind::Regular | FileKind::Hardlink => true,
        FileKind::Directory => e.mode & 0o1000 == 0,
        // Symlink permissions are meaningless; devices and fifos are rare and expected.
        _ => false,
    };
    relevant
        && !opts.world_writable_exceptions.iter().any(|x| {
            let x = x.trim_end_matches('/');
            path == x || path.strip_prefix(x).is_some_and(|r| r.starts_with('/'))
        })
}

fn text(tree: &FileTree, path: &str) -> Option<(String, usize)> {
    let content = tree.read(path)?;
    let layer = tree
        .resolve(path)
        .and_then(|p| tree.entry(&p).map(|e| e.layer))
        .or_else(|| tree.entry(path).map(|e| e.layer))
        .unwrap_or(0);
    Some((String::from_utf8_lossy(content).into_owned(), layer))
}

fn is_login_shell(shell: &str) -> bool {
    let name = shell.trim().rsplit('/').next().unwrap_or("");
    matches!(
        name,
        "sh" | "bash" | "zsh" | "ksh" | "dash" | "ash" | "csh" | "tcsh" | "fish" | "mksh"
    )
}

fn accounts(tree: &FileTree, opts: &MisconfigOptions, out: &mut Findings<'_>) {
    if let Some((passwd, layer)) = text(tree, "/etc/passwd") {
        for (n, line) in passwd.lines().enumerate() {
            let f: Vec<&str> = line.split(':').collect();
            if line.trim_start().starts_with('#') || f.len() < 7 {
                continue;
            }
            let (name, pw, shell) = (f[0], f[1], f[6]);
            let Ok(uid) = f[2].trim().parse::<u64>() else { continue };
            let at = format!("/etc/passwd line {}", n + 1);
            if uid == 0 && name != "root" {
                out.add(
                    "DD-FS-003",
                    None,
                    Some("/etc/passwd"),
                    Some(layer),
                    format!("{at}: {name} has uid 0"),
                );
            }
            if pw.is_empty() {
                out.add(
                    "DD-FS-004",
                    None,
                    Some("/etc/passwd"),
                    Some(layer),
                    format!("{at}: {name} has an empty password field"),
                );
            }
            if uid != 0 && uid <= opts.max_system_uid && is_login_shell(shell) {
                out.add(
                    "DD-FS-005",
                    None,
                    Some("/etc/passwd"),
                    Some(layer),
                    format!("{at}: {name} (uid {uid}) has shell {shell}"),
                );
            }
        }
    }
    if let Some((shadow, layer)) = text(tree, "/etc/shadow") {
        for (n, line) in shadow.lines().enumerate() {
            let f: Vec<&str> = line.split(':').collect();
            if line.trim_start().starts_with('#') || f.len() < 2 {
                continue;
            }
            if f[1].is_empty() {
                out.add(
                    "DD-FS-004",
                    None,
                    Some("/etc/shadow"),
                    Some(layer),
                    format!("/etc/shadow line {}: {} has an empty password", n + 1, f[0]),
                );
            }
        }
    }
}

fn sudoers(tree: &FileTree, out: &mut Findings<'_>) {
    let mut files: Vec<String> = vec!["/etc/sudoers".into()];
    files.extend(
        tree.under("/etc/sudoers.d/")
            .filter(|(p, e)| e.kind != FileKind::Directory && wants(p))
            .map(|(p, _)| p.to_string()),
    );
    for path in files {
        let Some((content, layer)) = text(tree, &path) else {
            continue;
        };
        for (n, line) in content.lines().enumerate() {
            let l = line.trim();
            if l.starts_with('#') || !l.contains("NOPASSWD") {
                continue;
            }
            out.add(
                "DD-FS-008",
                None,
                Some(&path),
                Some(layer),
                format!("line {}: {}", n + 1, shorten(l)),
            );
        }
    }
}
