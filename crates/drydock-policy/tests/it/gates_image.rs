//! The image gates (secret_scans, dockerfile, files, passwd_file, distro, metadata,
//! retrieved_files) on analyses built in code: for every trigger and parameter, a case that
//! fires and a near case that does not.

use drydock_analysis::{Analysis, Scanners};
use drydock_image::{ConfigSummary, HistoryStep};
use drydock_image::{FileKind, LayerInfo};
use drydock_inspect::content::{ContentMatch, RetrievedFile};
use drydock_inspect::files::FileRecord;
use drydock_inspect::secrets::{LayerSecret, SecretFinding, Severity};
use drydock_policy::spec::{EvalContext, Fired, Params, TriggerInput};
use drydock_policy::{evaluate, gates, parse_bundle, validate, Action, EvalOptions, ImageTarget};
use drydock_sbom::{Distro, Sbom};

const MY_GATES: &[&str] = &[
    "secret_scans",
    "dockerfile",
    "files",
    "passwd_file",
    "distro",
    "metadata",
    "retrieved_files",
];

/// An image analysis with a known config and nothing in it.
fn image() -> Analysis {
    let mut a = Analysis::from_sbom(Sbom::default(), Scanners::default());
    a.has_files = true;
    a.secrets = Some(Vec::new());
    a.sbom.image.config = ConfigSummary {
        os: "linux".into(),
        architecture: "amd64".into(),
        ..Default::default()
    };
    a
}

/// Runs one trigger, checking first that the params are valid for it and complete.
fn fire(a: &Analysis, gate: &str, trigger: &str, params: &[(&str, &str)]) -> Vec<Fired> {
    let g = gates::gate(gate).unwrap_or_else(|| panic!("no gate {gate}"));
    let t = g
        .trigger(trigger)
        .unwrap_or_else(|| panic!("no trigger {gate}.{trigger}"));
    for (name, value) in params {
        let spec = t
            .param(name)
            .unwrap_or_else(|| panic!("{gate}.{trigger} has no param {name}"));
        assert_eq!(spec.kind.check(value), None, "{gate}.{trigger} {name}={value:?}");
    }
    for spec in t.params.iter().filter(|p| p.required) {
        assert!(
            params.iter().any(|(n, _)| *n == spec.name),
            "{gate}.{trigger} needs {}",
            spec.name
        );
    }
    (t.eval)(&TriggerInput {
        analysis: a,
        params: &Params::from_pairs(params),
        ctx: &EvalContext::default(),
    })
}

fn ids(fired: &[Fired]) -> Vec<&str> {
    fired.iter().map(|f| f.trigger_id.as_str()).collect()
}

fn secret(rule: &str, path: &str, line: usize, layer: usize, redacted: &str) -> LayerSecret {
    LayerSecret {
        finding: SecretFinding {
            rule_id: rule.into(),
            title: format!("{rule} title"),
            severity: Severity::Critical,
            path: path.into(),
            line,
            redacted: redacted.into(),
        },
        layer,
    }
}

fn file(path: &str, kind: FileKind, mode: u32, size: u64) -> FileRecord {
    FileRecord {
        path: path.into(),
        kind,
        mode,
        uid: 0,
        gid: 0,
        size,
        layer: 1,
        link: None,
        sha256: None,
        md5: None,
        packages: Vec::new(),
        reasons: Vec::new(),
    }
}

fn retrieved(path: &str, text: Option<&str>) -> RetrievedFile {
    RetrievedFile {
        path: path.into(),
        layer: 0,
        size: text.map_or(0, |t| t.len() as u64),
        mode: 0o644,
        uid: 0,
        gid: 0,
        encoding: text.map(|_| "utf-8".into()),
        content: text.map(str::to_string),
        note: text.is_none().then(|| "larger than the 65536-byte limit".into()),
    }
}

fn step(created_by: &str) -> HistoryStep {
    HistoryStep {
        created_by: Some(created_by.into()),
        ..Default::default()
    }
}

const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                      # a comment\n\
                      daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                      games:x:5:60:games:/usr/games:/usr/sbin/nologin\n\
                      app:x:1000:1000::/home/app:/bin/sh\n";

// ---------------------------------------------------------------- secret_scans

fn with_secrets() -> Analysis {
    let mut a = image();
    a.secrets = Some(vec![
        secret("aws-access-key-id", "/app/.env", 3, 2, "AKIA**************XY"),
        secret("private-key-rsa", "/root/.ssh/id_rsa", 1, 1, "----***********--"),
    ]);
    a
}

#[test]
fn secret_scans_fires_per_finding_with_redacted_match() {
    let f = fire(&with_secrets(), "secret_scans", "content_regex_checks", &[]);
    assert_eq!(
        ids(&f),
        ["aws-access-key-id+/app/.env", "private-key-rsa+/root/.ssh/id_rsa"]
    );
    let m = &f[0].message;
    for part in ["/app/.env", "line 3", "layer 2", "AKIA**************XY"] {
        assert!(m.contains(part), "{m} lacks {part}");
    }
    let none = fire(&image(), "secret_scans", "content_regex_checks", &[]);
    assert!(none.is_empty());
}

#[test]
fn secret_scans_content_regex_name_selects_rules() {
    let a = with_secrets();
    let run = |name: &str| {
        fire(
            &a,
            "secret_scans",
            "content_regex_checks",
            &[("content_regex_name", name)],
        )
    };
    assert_eq!(ids(&run("aws-access-key-id")), ["aws-access-key-id+/app/.env"]);
    assert_eq!(ids(&run("AWS_ACCESS_KEY")), ["aws-access-key-id+/app/.env"]);
    assert_eq!(ids(&run("private-key")), ["private-key-rsa+/root/.ssh/id_rsa"]);
    assert_eq!(ids(&run("PRIV_KEY")), ["private-key-rsa+/root/.ssh/id_rsa"]);
    assert!(run("aws-secret-access-key").is_empty());
    assert!(run("aws-access-key-i").is_empty(), "a partial id is not a family");
}

#[test]
fn secret_scans_filename_regex_filters_paths() {
    let a = with_secrets();
    let run = |re: &str| fire(&a, "secret_scans", "content_regex_checks", &[("filename_regex", re)]);
    assert_eq!(ids(&run(r"^/app/")), ["aws-access-key-id+/app/.env"]);
    assert_eq!(ids(&run(r"\.env$")), ["aws-access-key-id+/app/.env"]);
    assert!(run("^/etc/").is_empty());
}

#[test]
fn secret_scans_match_type_notfound_fires_only_without_a_match() {
    let a = with_secrets();
    let missing = fire(
        &a,
        "secret_scans",
        "content_regex_checks",
        &[("content_regex_name", "github-pat"), ("match_type", "notfound")],
    );
    assert_eq!(ids(&missing), ["github-pat+notfound"]);
    let present = fire(
        &a,
        "secret_scans",
        "content_regex_checks",
        &[("content_regex_name", "aws-access-key-id"), ("match_type", "notfound")],
    );
    assert!(present.is_empty());
    let found = fire(&a, "secret_scans", "content_regex_checks", &[("match_type", "found")]);
    assert_eq!(found.len(), 2);
}

#[test]
fn secret_scans_fires_nothing_when_the_scanner_did_not_run() {
    let mut a = with_secrets();
    a.secrets = None;
    assert!(fire(&a, "secret_scans", "content_regex_checks", &[]).is_empty());
    assert!(fire(
        &a,
        "secret_scans",
        "content_regex_checks",
        &[("match_type", "notfound")]
    )
    .is_empty());
}

// ---------------------------------------------------------------- dockerfile

fn built() -> Analysis {
    let mut a = image();
    let cfg = &mut a.sbom.image.config;
    cfg.history = vec![
        step("/bin/sh -c #(nop) ADD file:0123abcd in / "),
        step("/bin/sh -c #(nop)  CMD [\"bash\"]"),
        step("RUN /bin/sh -c apt-get install -y curl # buildkit"),
        step("COPY app /app # buildkit"),
        step("USER app"),
    ];
    cfg.user = Some("app".into());
    cfg.exposed_ports = vec!["22/tcp".into(), "80/tcp".into(), "53/udp".into()];
    cfg.labels.insert(
        "org.opencontainers.image.base.name".into(),
        "docker.io/library/debian:12".into(),
    );
    a
}

fn instr(a: &Analysis, instruction: &str, check: &str, value: Option<&str>) -> Vec<Fired> {
    let mut p = vec![("instruction", instruction), ("check", check)];
    if let Some(v) = value {
        p.push(("value", v));
    }
    fire(a, "dockerfile", "instruction", &p)
}

#[test]
fn dockerfile_instruction_equality_checks() {
    let a = built();
    assert_eq!(ids(&instr(&a, "USER", "=", Some("app"))), ["USER+app"]);
    assert!(instr(&a, "USER", "=", Some("root")).is_empty());
    assert_eq!(ids(&instr(&a, "USER", "!=", Some("root"))), ["USER+app"]);
    assert!(instr(&a, "USER", "!=", Some("app")).is_empty());
    assert_eq!(ids(&instr(&a, "CMD", "=", Some("[\"bash\"]"))), ["CMD+[\"bash\"]"]);
    assert_eq!(ids(&instr(&a, "ADD", "=", Some("file:0123abcd in /"))).len(), 1);
    // lower-case instruction names are accepted
    assert_eq!(ids(&instr(&a, "user", "=", Some("app"))), ["USER+app"]);
}

#[test]
fn dockerfile_instruction_exists_checks() {
    let a = built();
    assert_eq!(ids(&instr(&a, "COPY", "exists", None)), ["COPY+app /app"]);
    assert!(instr(&a, "HEALTHCHECK", "exists", None).is_empty());
    assert_eq!(ids(&instr(&a, "HEALTHCHECK", "not_exists", None)), ["HEALTHCHECK"]);
    assert!(instr(&a, "COPY", "not_exists", None).is_empty());
}

#[test]
fn dockerfile_instruction_like_matches_at_the_start() {
    let a = built();
    assert_eq!(
        ids(&instr(&a, "RUN", "like", Some("apt-get"))),
        ["RUN+apt-get install -y curl"]
    );
    assert!(instr(&a, "RUN", "like", Some("curl")).is_empty());
    assert_eq!(instr(&a, "RUN", "like", Some(".*curl")).len(), 1);
    assert_eq!(instr(&a, "RUN", "not_like", Some("curl")).len(), 1);
    assert!(instr(&a, "RUN", "not_like", Some("apt-get")).is_empty());
}

#[test]
fn dockerfile_instruction_in_checks() {
    let a = built();
    assert_eq!(ids(&instr(&a, "USER", "in", Some("root, app"))), ["USER+app"]);
    assert!(instr(&a, "USER", "in", Some("root,0")).is_empty());
    assert_eq!(ids(&instr(&a, "USER", "not_in", Some("root,0"))), ["USER+app"]);
    assert!(instr(&a, "USER", "not_in", Some("app")).is_empty());
    // a comparison without a value does not fire
    assert!(instr(&a, "USER", "=", None).is_empty());
}

#[test]
fn dockerfile_instruction_completes_history_from_config() {
    let a = built();
    // No EXPOSE in the history: one per config port; FROM from the base-name label.
    assert_eq!(ids(&instr(&a, "EXPOSE", "=", Some("22/tcp"))), ["EXPOSE+22/tcp"]);
    assert!(instr(&a, "EXPOSE", "=", Some("8080/tcp")).is_empty());
    assert_eq!(
        ids(&instr(&a, "FROM", "like", Some("docker.io/library/debian"))),
        ["FROM+docker.io/library/debian:12"]
    );
    let mut plain = image();
    plain.sbom.image.config.history = vec![step("/bin/sh -c #(nop) ADD file:x in / ")];
    plain.sbom.image.config.user = Some("nobody".into());
    assert_eq!(ids(&instr(&plain, "USER", "exists", None)), ["USER+nobody"]);
    assert!(instr(&plain, "FROM", "exists", None).is_empty());
}

#[test]
fn dockerfile_actual_dockerfile_only_never_fires() {
    let a = built();
    let p = [
        ("instruction", "USER"),
        ("check", "exists"),
        ("actual_dockerfile_only", "true"),
    ];
    assert!(fire(&a, "dockerfile", "instruction", &p).is_empty());
    let p = [
        ("instruction", "USER"),
        ("check", "exists"),
        ("actual_dockerfile_only", "false"),
    ];
    assert_eq!(fire(&a, "dockerfile", "instruction", &p).len(), 1);
    let p = [
        ("users", "app"),
        ("type", "denylist"),
        ("actual_dockerfile_only", "true"),
    ];
    assert!(fire(&a, "dockerfile", "effective_user", &p).is_empty());
    let p = [
        ("ports", "22"),
        ("type", "denylist"),
        ("actual_dockerfile_only", "true"),
    ];
    assert!(fire(&a, "dockerfile", "exposed_ports", &p).is_empty());
}

fn user(a: &Analysis, users: &str, kind: &str) -> Vec<Fired> {
    fire(a, "dockerfile", "effective_user", &[("users", users), ("type", kind)])
}

#[test]
fn dockerfile_effective_user_denylist() {
    let mut a = image();
    let f = user(&a, "root,0", "denylist");
    assert_eq!(ids(&f), ["user:root"]);
    assert!(f[0].message.contains("no user"), "{}", f[0].message);
    a.sbom.image.config.user = Some("0:0".into());
    assert_eq!(ids(&user(&a, "root", "denylist")), ["user:0"]);
    a.sbom.image.config.user = Some("app".into());
    assert!(user(&a, "root,0", "denylist").is_empty());
    assert_eq!(ids(&user(&a, "app", "denylist")), ["user:app"]);
}

#[test]
fn dockerfile_effective_user_allowlist() {
    let mut a = image();
    a.sbom.image.config.user = Some("app:app".into());
    assert!(user(&a, "app,nobody", "allowlist").is_empty());
    a.sbom.image.config.user = Some("www-data".into());
    assert_eq!(ids(&user(&a, "app,nobody", "allowlist")), ["user:www-data"]);
    a.sbom.image.config.user = None;
    assert_eq!(ids(&user(&a, "app", "allowlist")), ["user:root"]);
}

#[test]
fn dockerfile_effective_user_resolves_uids_through_passwd() {
    let mut a = image();
    a.sbom.image.config.user = Some("app".into());
    assert!(user(&a, "1000", "denylist").is_empty(), "no passwd: no mapping");
    a.retrieved_files = vec![retrieved("/etc/passwd", Some(PASSWD))];
    assert_eq!(ids(&user(&a, "1000", "denylist")), ["user:app"]);
    a.sbom.image.config.user = Some("1000".into());
    assert_eq!(ids(&user(&a, "app", "denylist")), ["user:1000"]);
    assert!(user(&a, "daemon,1", "denylist").is_empty());
}

#[test]
fn dockerfile_effective_user_needs_a_known_config() {
    let a = Analysis::from_sbom(Sbom::default(), Scanners::default());
    assert!(user(&a, "root,0", "denylist").is_empty());
}

fn ports(a: &Analysis, ports: &str, kind: &str) -> Vec<Fired> {
    fire(a, "dockerfile", "exposed_ports", &[("ports", ports), ("type", kind)])
}

#[test]
fn dockerfile_exposed_ports() {
    let a = built();
    assert_eq!(ids(&ports(&a, "22,23", "denylist")), ["port:22"]);
    assert!(ports(&a, "23,8080", "denylist").is_empty());
    assert_eq!(ids(&ports(&a, "53/udp", "denylist")), ["port:53"]);
    assert!(ports(&a, "53/tcp", "denylist").is_empty());
    assert_eq!(ids(&ports(&a, "80,53", "allowlist")), ["port:22"]);
    assert!(ports(&a, "22,80,53", "allowlist").is_empty());
}

#[test]
fn dockerfile_no_dockerfile_provided() {
    let f = fire(&image(), "dockerfile", "no_dockerfile_provided", &[]);
    assert_eq!(f.len(), 1);
    assert!(f[0].message.contains("no Dockerfile/history available"));
    assert!(fire(&built(), "dockerfile", "no_dockerfile_provided", &[]).is_empty());
}

// ---------------------------------------------------------------- files

fn with_files() -> Analysis {
    let mut a = image();
    a.files = vec![
        file("/usr/bin/passwd", FileKind::Regular, 0o4755, 1000),
        file("/usr/bin/wall", FileKind::Regular, 0o2755, 500),
        file("/usr/bin/ls", FileKind::Regular, 0o755, 300),
        file("/usr/bin/weird-link", FileKind::Symlink, 0o6777, 20),
        file("/root/.ssh/id_rsa", FileKind::Regular, 0o600, 200),
    ];
    a.content_matches = vec![
        ContentMatch {
            name: "keys".into(),
            path: "/etc/app.conf".into(),
            line: 5,
            layer: 2,
        },
        ContentMatch {
            name: "keys".into(),
            path: "/etc/app.conf".into(),
            line: 1,
            layer: 2,
        },
        ContentMatch {
            name: "passwords".into(),
            path: "/srv/db.ini".into(),
            line: 2,
            layer: 1,
        },
    ];
    a
}

#[test]
fn files_content_regex_match() {
    let a = with_files();
    let all = fire(&a, "files", "content_regex_match", &[]);
    assert_eq!(ids(&all), ["keys+/etc/app.conf", "passwords+/srv/db.ini"]);
    assert!(all[0].message.contains("lines 1, 5"), "{}", all[0].message);
    let keys = fire(&a, "files", "content_regex_match", &[("regex_name", "keys")]);
    assert_eq!(ids(&keys), ["keys+/etc/app.conf"]);
    assert!(fire(&a, "files", "content_regex_match", &[("regex_name", "tokens")]).is_empty());
    assert!(fire(&image(), "files", "content_regex_match", &[]).is_empty());
}

#[test]
fn files_name_match_matches_from_the_start_of_the_path() {
    let a = with_files();
    let f = fire(&a, "files", "name_match", &[("regex", r".*\.ssh/id_")]);
    assert_eq!(ids(&f), ["/root/.ssh/id_rsa"]);
    assert!(
        fire(&a, "files", "name_match", &[("regex", r"\.ssh/id_")]).is_empty(),
        "anchored at the start, as in Anchore"
    );
    assert!(fire(&a, "files", "name_match", &[("regex", r"^/tmp/")]).is_empty());
}

#[test]
fn files_suid_or_guid_set() {
    let a = with_files();
    let f = fire(&a, "files", "suid_or_guid_set", &[]);
    assert_eq!(ids(&f), ["/usr/bin/passwd", "/usr/bin/wall"]);
    assert!(f[0].message.contains("0o4755"), "{}", f[0].message);
    assert!(f[1].message.contains("0o2755"), "{}", f[1].message);
    let mut plain = with_files();
    plain
        .files
        .retain(|f| f.mode & 0o6000 == 0 || f.kind != FileKind::Regular);
    assert!(fire(&plain, "files", "suid_or_guid_set", &[]).is_empty());
}

#[test]
fn file_triggers_do_not_judge_an_analysis_without_files() {
    let mut a = with_files();
    a.has_files = false;
    assert!(fire(&a, "files", "suid_or_guid_set", &[]).is_empty());
    assert!(fire(&a, "files", "name_match", &[("regex", ".")]).is_empty());
    assert!(fire(&a, "files", "content_regex_match", &[]).is_empty());
    assert!(fire(&a, "passwd_file", "content_not_available", &[]).is_empty());
    assert!(fire(
        &a,
        "retrieved_files",
        "content_not_available",
        &[("path", "/etc/passwd")]
    )
    .is_empty());
    assert!(fire(
        &a,
        "metadata",
        "attribute",
        &[("attribute", "size"), ("check", ">"), ("value", "0")]
    )
    .is_empty());
}

// ---------------------------------------------------------------- passwd_file

fn with_passwd() -> Analysis {
    let mut a = image();
    a.retrieved_files = vec![retrieved("/etc/passwd", Some(PASSWD))];
    a
}

#[test]
fn passwd_content_not_available() {
    let mut a = image();
    let f = fire(&a, "passwd_file", "content_not_available", &[]);
    assert_eq!(ids(&f), ["/etc/passwd"]);
    a.retrieved_files = vec![retrieved("/etc/passwd", None)];
    let f = fire(&a, "passwd_file", "content_not_available", &[]);
    assert!(f[0].message.contains("limit"), "{}", f[0].message);
    assert!(fire(&with_passwd(), "passwd_file", "content_not_available", &[]).is_empty());
}

#[test]
fn passwd_denylist_usernames() {
    let a = with_passwd();
    let f = fire(&a, "passwd_file", "denylist_usernames", &[("user_names", "games,ftp")]);
    assert_eq!(ids(&f), ["user:games"]);
    assert!(fire(&a, "passwd_file", "denylist_usernames", &[("user_names", "ftp,gam")]).is_empty());
    // Nothing to judge without the file (content_not_available covers it).
    assert!(fire(&image(), "passwd_file", "denylist_usernames", &[("user_names", "root")]).is_empty());
}

#[test]
fn passwd_denylist_userids() {
    let a = with_passwd();
    let f = fire(&a, "passwd_file", "denylist_userids", &[("user_ids", "5, 1000")]);
    assert_eq!(ids(&f), ["user:games", "user:app"]);
    assert!(fire(&a, "passwd_file", "denylist_userids", &[("user_ids", "60,2")]).is_empty());
}

#[test]
fn passwd_denylist_groupids() {
    let a = with_passwd();
    let f = fire(&a, "passwd_file", "denylist_groupids", &[("group_ids", "60")]);
    assert_eq!(ids(&f), ["user:games"]);
    assert!(fire(&a, "passwd_file", "denylist_groupids", &[("group_ids", "5")]).is_empty());
}

#[test]
fn passwd_denylist_shells() {
    let a = with_passwd();
    let f = fire(&a, "passwd_file", "denylist_shells", &[("shells", "/bin/sh,/bin/zsh")]);
    assert_eq!(ids(&f), ["user:app"]);
    assert!(fire(&a, "passwd_file", "denylist_shells", &[("shells", "/bin/zsh,sh")]).is_empty());
}

#[test]
fn passwd_denylist_full_entry() {
    let a = with_passwd();
    let entry = "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin";
    let f = fire(&a, "passwd_file", "denylist_full_entry", &[("entry", entry)]);
    assert_eq!(ids(&f), ["user:daemon"]);
    let near = "daemon:x:1:1:daemon:/usr/sbin:/bin/sh";
    assert!(fire(&a, "passwd_file", "denylist_full_entry", &[("entry", near)]).is_empty());
}

#[test]
fn passwd_reads_base64_content() {
    let mut a = image();
    let mut f = retrieved("/etc/passwd", Some("Z2FtZXM6eDo1OjYwOjovOi9iaW4vc2gK"));
    f.encoding = Some("base64".into());
    a.retrieved_files = vec![f];
    let fired = fire(&a, "passwd_file", "denylist_usernames", &[("user_names", "games")]);
    assert_eq!(ids(&fired), ["user:games"]);
}

// ---------------------------------------------------------------- distro

fn with_distro(id: &str, version: &str, like: &[&str]) -> Analysis {
    let mut a = image();
    a.sbom.distro = Some(Distro {
        id: id.into(),
        version_id: version.into(),
        id_like: like.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    });
    a
}

fn deny(a: &Analysis, distro: &str, check: &str, version: &str) -> Vec<Fired> {
    fire(
        a,
        "distro",
        "deny",
        &[("distro", distro), ("check", check), ("version", version)],
    )
}

#[test]
fn distro_deny_compares_versions_numerically() {
    let debian = with_distro("debian", "12", &[]);
    assert_eq!(ids(&deny(&debian, "debian", ">", "11")), ["debian:12"]);
    assert!(deny(&debian, "debian", "<", "11").is_empty());
    assert_eq!(deny(&debian, "Debian", "=", "12.0").len(), 1);
    assert!(deny(&debian, "debian", "!=", "12").is_empty());
    assert!(deny(&debian, "ubuntu", ">", "11").is_empty());
    let alpine = with_distro("alpine", "3.18.4", &[]);
    assert_eq!(deny(&alpine, "alpine", "<", "3.20").len(), 1);
    assert!(deny(&alpine, "alpine", ">=", "3.20").is_empty());
    assert_eq!(deny(&alpine, "alpine", ">=", "3.9").len(), 1);
    assert_eq!(deny(&alpine, "alpine", "<=", "3.18.4").len(), 1);
    assert!(deny(&image(), "debian", ">", "1").is_empty());
    assert!(deny(&with_distro("debian", "", &[]), "debian", "!=", "12").is_empty());
}

// ---------------------------------------------------------------- metadata

fn attr(a: &Analysis, attribute: &str, check: &str, value: &str) -> Vec<Fired> {
    fire(
        a,
        "metadata",
        "attribute",
        &[("attribute", attribute), ("check", check), ("value", value)],
    )
}

#[test]
fn metadata_size_sums_regular_files() {
    let a = with_files(); // 1000 + 500 + 300 + 200 regular bytes; the link does not count
    assert_eq!(ids(&attr(&a, "size", ">", "1999")), ["size"]);
    assert!(attr(&a, "size", ">", "2000").is_empty());
    assert_eq!(attr(&a, "size", "=", "2000").len(), 1);
    assert_eq!(attr(&a, "size", "<=", "2000").len(), 1);
    assert!(attr(&a, "size", "<", "2000").is_empty());
    assert_eq!(attr(&a, "size", ">=", "2000").len(), 1);
    assert!(attr(&a, "size", "!=", "2000").is_empty());
}

#[test]
fn metadata_text_attributes() {
    let a = with_distro("ubuntu", "22.04", &["debian"]);
    assert_eq!(attr(&a, "architecture", "=", "amd64").len(), 1);
    assert!(attr(&a, "architecture", "=", "arm64").is_empty());
    assert_eq!(attr(&a, "architecture", "in", "arm64,amd64").len(), 1);
    assert!(attr(&a, "architecture", "in", "arm64,s390x").is_empty());
    assert_eq!(attr(&a, "architecture", "not_in", "arm64,s390x").len(), 1);
    assert!(attr(&a, "architecture", "not_in", "amd64").is_empty());
    assert_eq!(attr(&a, "os", "=", "linux").len(), 1);
    assert!(attr(&a, "os", "=", "windows").is_empty());
    assert_eq!(attr(&a, "os_type", "!=", "windows").len(), 1);
    assert_eq!(attr(&a, "distro", "like", "ubu").len(), 1);
    assert!(attr(&a, "distro", "like", "deb").is_empty());
    assert_eq!(attr(&a, "distro", "not_like", "deb").len(), 1);
    assert!(attr(&a, "distro", "not_like", "ubuntu").is_empty());
}

#[test]
fn metadata_distro_version_and_family() {
    let a = with_distro("ubuntu", "22.04", &["debian"]);
    assert_eq!(attr(&a, "distro_version", ">=", "20.04").len(), 1);
    assert!(attr(&a, "distro_version", "<", "22.04").is_empty());
    assert_eq!(attr(&a, "like_distro", "=", "debian").len(), 1);
    assert!(attr(&a, "like_distro", "=", "ubuntu").is_empty());
    assert!(attr(&a, "like_distro", "!=", "debian").is_empty());
    let rocky = with_distro("rocky", "9.3", &["rhel", "centos", "fedora"]);
    assert_eq!(attr(&rocky, "like_distro", "=", "rhel").len(), 1);
    assert!(attr(&rocky, "like_distro", "not_in", "fedora").is_empty());
    let debian = with_distro("debian", "12", &[]);
    assert_eq!(attr(&debian, "like_distro", "=", "debian").len(), 1);
    assert!(
        attr(&image(), "distro", "!=", "debian").is_empty(),
        "no distro: not judged"
    );
}

#[test]
fn metadata_layer_count() {
    let mut a = image();
    assert!(attr(&a, "layer_count", ">", "0").is_empty(), "no layers: not judged");
    a.sbom.image.layers = (0..3)
        .map(|i| LayerInfo {
            index: i,
            ..Default::default()
        })
        .collect();
    assert_eq!(ids(&attr(&a, "layer_count", "<=", "3")), ["layer_count"]);
    assert!(attr(&a, "layer_count", "<", "3").is_empty());
    assert_eq!(attr(&a, "layer_count", "in", "2,3").len(), 1);
}

// ---------------------------------------------------------------- retrieved_files

#[test]
fn retrieved_files_content_not_available() {
    let mut a = with_passwd();
    a.retrieved_files.push(retrieved("/var/log/big.log", None));
    let run = |path: &str| fire(&a, "retrieved_files", "content_not_available", &[("path", path)]);
    assert_eq!(ids(&run("/etc/os-release")), ["/etc/os-release"]);
    let big = run("/var/log/big.log");
    assert!(big[0].message.contains("limit"), "{}", big[0].message);
    assert!(run("/etc/passwd").is_empty());
    assert!(run("etc/passwd").is_empty(), "leading / optional");
}

#[test]
fn retrieved_files_content_regex() {
    let a = with_passwd();
    let run = |check: &str, re: &str| {
        fire(
            &a,
            "retrieved_files",
            "content_regex",
            &[("path", "/etc/passwd"), ("check", check), ("regex", re)],
        )
    };
    assert_eq!(ids(&run("match", r"(?m)^games:")), ["/etc/passwd"]);
    assert!(run("match", r"(?m)^ftp:").is_empty());
    assert_eq!(run("no_match", r"(?m)^ftp:").len(), 1);
    assert!(run("no_match", r"(?m)^games:").is_empty());
    let absent = fire(
        &a,
        "retrieved_files",
        "content_regex",
        &[("path", "/etc/shadow"), ("check", "no_match"), ("regex", "x")],
    );
    assert!(absent.is_empty(), "no content: not judged");
}

// ---------------------------------------------------------------- specs and bundles

#[test]
fn every_trigger_and_param_is_described_with_a_valid_example() {
    for name in MY_GATES {
        let g = gates::gate(name).unwrap_or_else(|| panic!("no gate {name}"));
        assert!(!g.description.is_empty(), "{name}");
        assert!(!g.triggers.is_empty(), "{name}");
        for t in g.triggers {
            assert!(!t.description.is_empty(), "{name}.{}", t.name);
            for p in t.params {
                assert!(!p.description.is_empty(), "{name}.{}.{}", t.name, p.name);
                assert_eq!(p.kind.check(p.example), None, "{name}.{}.{}", t.name, p.name);
            }
        }
    }
}

#[test]
fn a_bundle_using_every_trigger_with_example_params_validates() {
    let mut rules = Vec::new();
    for name in MY_GATES {
        let g = gates::gate(name).unwrap_or_else(|| panic!("no gate {name}"));
        for t in g.triggers {
            let params: Vec<serde_json::Value> = t
                .params
                .iter()
                .map(|p| serde_json::json!({ "name": p.name, "value": p.example }))
                .collect();
            rules.push(serde_json::json!({
                "id": format!("{name}-{}", t.name),
                "gate": name,
                "trigger": t.name,
                "action": "WARN",
                "params": params,
            }));
        }
    }
    let doc = serde_json::json!({
        "id": "b",
        "rule_sets": [{ "id": "rs", "rules": rules }],
        "mappings": [{
            "id": "m", "registry": "*", "repository": "*",
            "image": { "type": "tag", "value": "*" },
            "rule_set_ids": ["rs"]
        }]
    });
    let bundle = parse_bundle(doc.to_string().as_bytes(), "test").expect("parses");
    assert_eq!(validate(&bundle), Vec::new());
}

#[test]
fn default_bundle_rules_for_these_gates_are_valid() {
    let bundle = drydock_policy::default_bundle();
    let mut seen = 0;
    for rule in bundle.rule_sets.iter().flat_map(|r| &r.rules) {
        if !MY_GATES.contains(&rule.gate.as_str()) {
            continue;
        }
        seen += 1;
        let t = gates::gate(&rule.gate)
            .and_then(|g| g.trigger(&rule.trigger))
            .unwrap_or_else(|| panic!("{}.{}", rule.gate, rule.trigger));
        for p in &rule.params {
            let spec = t.param(&p.name).unwrap_or_else(|| panic!("param {}", p.name));
            assert_eq!(spec.kind.check(&p.value), None);
        }
        for spec in t.params.iter().filter(|s| s.required) {
            assert!(rule.params.iter().any(|p| p.name == spec.name), "{}", spec.name);
        }
    }
    assert_eq!(seen, 2);
}

const BUNDLE: &str = r#"{
  "id": "image-gates",
  "name": "image gates",
  "version": "2",
  "rule_sets": [{
    "id": "default",
    "name": "as the built-in bundle",
    "version": "2",
    "rules": [
      { "id": "secrets", "gate": "secret_scans", "trigger": "content_regex_checks", "action": "STOP", "params": [] },
      { "id": "root-user", "gate": "dockerfile", "trigger": "effective_user", "action": "WARN",
        "params": [ { "name": "users", "value": "root,0" }, { "name": "type", "value": "denylist" } ] }
    ]
  }],
  "allowlists": [{
    "id": "al",
    "name": "exceptions",
    "version": "2",
    "items": [
      { "id": "known-key", "gate": "secret_scans", "trigger_id": "aws-access-key-id+/app/*",
        "expires_on": "2099-12-31T00:00:00Z" },
      { "id": "old-root", "gate": "dockerfile", "trigger_id": "user:root", "expires_on": "2020-01-01T00:00:00Z" }
    ]
  }],
  "mappings": [{
    "id": "all", "name": "all", "registry": "*", "repository": "*",
    "image": { "type": "tag", "value": "*" },
    "rule_set_ids": ["default"], "allowlist_ids": ["al"]
  }]
}"#;

fn run_bundle(bundle_json: &str, a: &Analysis) -> drydock_policy::Evaluation {
    let bundle = parse_bundle(bundle_json.as_bytes(), "test").expect("bundle parses");
    let ctx = EvalContext {
        now_unix: 1_800_000_000,
        tag: None,
    };
    evaluate(
        &bundle,
        a,
        &ImageTarget::parse("docker.io/library/app:1"),
        &ctx,
        &EvalOptions::default(),
    )
    .expect("evaluates")
}

#[test]
fn default_rules_fire_through_evaluate_with_allowlists() {
    let mut a = image();
    a.secrets = Some(vec![secret(
        "aws-access-key-id",
        "/app/.env",
        3,
        2,
        "AKIA**************XY",
    )]);
    let e = run_bundle(BUNDLE, &a);
    let got: Vec<(&str, &str, Option<&str>)> = e
        .results
        .iter()
        .map(|r| {
            (
                r.rule_id.as_str(),
                r.trigger_id.as_str(),
                r.allowlisted.as_ref().map(|x| x.item_id.as_str()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("secrets", "aws-access-key-id+/app/.env", Some("known-key")),
            ("root-user", "user:root", None),
        ]
    );
    assert_eq!(
        e.final_action,
        Action::Warn,
        "the secret is allowlisted; the expired item does not apply"
    );

    // Without the allowlist the secret stops the image.
    let no_allowlist = BUNDLE.replace(r#""allowlist_ids": ["al"]"#, r#""allowlist_ids": []"#);
    assert_eq!(run_bundle(&no_allowlist, &a).final_action, Action::Stop);

    // A secret the allowlist does not cover stops it too; a non-root user clears the WARN.
    a.secrets = Some(vec![secret("github-pat", "/srv/token", 1, 2, "ghp_****************ab")]);
    a.sbom.image.config.user = Some("app".into());
    let e = run_bundle(BUNDLE, &a);
    assert_eq!(ids_of(&e), ["github-pat+/srv/token"]);
    assert_eq!(e.final_action, Action::Stop);

    // Nothing found: GO.
    a.secrets = Some(Vec::new());
    let e = run_bundle(BUNDLE, &a);
    assert!(e.results.is_empty());
    assert_eq!(e.final_action, Action::Go);
}

fn ids_of(e: &drydock_policy::Evaluation) -> Vec<&str> {
    e.results.iter().map(|r| r.trigger_id.as_str()).collect()
}
