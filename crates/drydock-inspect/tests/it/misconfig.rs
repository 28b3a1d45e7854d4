//! Misconfiguration checks, content search and retrieved files: one positive and one
//! negative case per check, on trees built in code.

use drydock_image::{ConfigSummary, HistoryStep};
use drydock_image::{Content, FileEntry, FileKind, FileTree, ImageMeta, LayerIndex, LayerInfo};
use drydock_inspect::content::{retrieve, scan_text, search, ContentSearch};
use drydock_inspect::misconfig::{check, wants, Misconfig, MisconfigOptions, Severity};

fn entry(kind: FileKind, mode: u32, size: u64, layer: usize) -> FileEntry {
    FileEntry {
        kind,
        mode,
        uid: 0,
        gid: 0,
        size,
        link: None,
        layer,
    }
}

/// A one-layer tree: (path, mode, content); mode with 0o40000 marks a directory.
fn tree(files: &[(&str, u32, &str)]) -> FileTree {
    let mut l = LayerIndex::default();
    for (path, mode, content) in files {
        if mode & 0o40000 != 0 {
            l.entries
                .insert(path.to_string(), entry(FileKind::Directory, mode & 0o7777, 0, 0));
        } else {
            l.entries.insert(
                path.to_string(),
                entry(FileKind::Regular, *mode, content.len() as u64, 0),
            );
            if wants(path) || path.starts_with("/app/") {
                l.captured.insert(path.to_string(), Content::from(content.as_bytes()));
            }
        }
    }
    FileTree::squash([&l], 8)
}

/// An image config that passes every config check.
fn good_meta() -> ImageMeta {
    ImageMeta {
        config: ConfigSummary {
            user: Some("app".into()),
            history: vec![
                step("/bin/sh -c #(nop) ADD file:abc in / ", false),
                step("HEALTHCHECK &{[\"CMD\" \"true\"]}", true),
            ],
            ..Default::default()
        },
        layers: vec![LayerInfo::default()],
        ..Default::default()
    }
}

fn step(created_by: &str, empty: bool) -> HistoryStep {
    HistoryStep {
        created_by: Some(created_by.into()),
        empty_layer: empty,
        ..Default::default()
    }
}

fn ids(found: &[Misconfig]) -> Vec<&str> {
    found.iter().map(|m| m.id.as_str()).collect()
}

fn run(meta: &ImageMeta, t: &FileTree) -> Vec<Misconfig> {
    check(meta, t, &MisconfigOptions::default())
}

fn fires(meta: &ImageMeta, t: &FileTree, id: &str) -> Vec<Misconfig> {
    run(meta, t).into_iter().filter(|m| m.id == id).collect()
}

const CLEAN_PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n\
                            sync:x:4:65534:sync:/bin:/bin/sync\napp:x:1000:1000::/home/app:/bin/bash\n";
const CLEAN_SHADOW: &str = "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\napp:!:19000::::::\n";

#[test]
fn clean_image_has_no_findings() {
    let t = tree(&[
        ("/etc/passwd", 0o644, CLEAN_PASSWD),
        ("/etc/shadow", 0o640, CLEAN_SHADOW),
        (
            "/etc/sudoers",
            0o440,
            "root ALL=(ALL:ALL) ALL\n# %wheel ALL=(ALL) NOPASSWD: ALL\n",
        ),
        ("/tmp", 0o41777, ""),
        ("/var/tmp/x", 0o666, "scratch"),
        ("/usr/bin/ls", 0o755, "elf"),
    ]);
    assert_eq!(ids(&run(&good_meta(), &t)), Vec::<&str>::new());
}

#[test]
fn img_001_root_user() {
    let t = FileTree::default();
    let mut m = good_meta();
    m.config.user = None;
    assert_eq!(fires(&m, &t, "DD-IMG-001")[0].evidence, "no USER in the image config");
    for u in ["root", "0", "0:0", "root:root"] {
        m.config.user = Some(u.into());
        assert_eq!(fires(&m, &t, "DD-IMG-001").len(), 1, "{u}");
    }
    for u in ["app", "1000:1000", "10001"] {
        m.config.user = Some(u.into());
        assert!(fires(&m, &t, "DD-IMG-001").is_empty(), "{u}");
    }
    // A directory source has no config to judge.
    m.config.user = None;
    m.source.scheme = "dir".into();
    assert!(fires(&m, &t, "DD-IMG-001").is_empty());
}

#[test]
fn img_002_ssh_telnet_ports() {
    let t = FileTree::default();
    let mut m = good_meta();
    m.config.exposed_ports = vec!["22/tcp".into(), "23/tcp".into(), "8080/tcp".into()];
    let f = fires(&m, &t, "DD-IMG-002");
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].severity, Severity::Medium);
    assert_eq!(f[1].severity, Severity::High);
    m.config.exposed_ports = vec!["2222/tcp".into(), "443/tcp".into()];
    assert!(fires(&m, &t, "DD-IMG-002").is_empty());
}

#[test]
fn img_003_secrets_in_env_and_labels_are_redacted() {
    let t = FileTree::default();
    let mut m = good_meta();
    m.config.env = vec![
        "DB_PASSWORD=hunter2hunter2".into(),
        "GITHUB_TOKEN=ghp_abcdef".into(),
        "MY_API_KEY=k".into(),
    ];
    m.config.labels.insert("deploy.secret".into(), "s3cr3tvalue".into());
    let f = fires(&m, &t, "DD-IMG-003");
    assert_eq!(f.len(), 4);
    assert_eq!(f[0].evidence, "ENV DB_PASSWORD=<redacted, 14 chars>");
    for x in &f {
        assert!(!x.evidence.contains("hunter2") && !x.evidence.contains("ghp_") && !x.evidence.contains("s3cr3t"));
    }
    m.config.env = vec![
        "PATH=/usr/bin".into(),
        "DB_PASSWORD=".into(),
        "POSTGRES_PASSWORD_FILE=/run/secrets/pg".into(),
        "TOKENIZERS_PARALLELISM=false".into(),
        "PWD=/".into(),
        "AWS_ACCESS_KEY_ID=AKIA".into(),
    ];
    m.config.labels.clear();
    m.config.labels.insert("maintainer".into(), "me".into());
    assert!(fires(&m, &t, "DD-IMG-003").is_empty());
}

#[test]
fn img_004_add_from_url() {
    let t = FileTree::default();
    let mut m = good_meta();
    m.config
        .history
        .insert(1, step("ADD https://example.com/tool.tgz /opt/ # buildkit", false));
    m.layers.push(LayerInfo::default());
    let f = fires(&m, &t, "DD-IMG-004");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].layer, Some(1));
    // The classic builder's local-file ADD is fine.
    assert!(fires(&good_meta(), &t, "DD-IMG-004").is_empty());
}

#[test]
fn img_005_curl_pipe_shell() {
    let t = FileTree::default();
    for cmd in [
        "RUN /bin/sh -c curl -fsSL https://get.example.sh | sh # buildkit",
        "/bin/sh -c wget -qO- https://x.io/install | sudo bash",
        "/bin/sh -c curl -s https://x | /bin/bash -s -- -y",
    ] {
        let mut m = good_meta();
        m.config.history.push(step(cmd, false));
        m.layers.push(LayerInfo::default());
        assert_eq!(fires(&m, &t, "DD-IMG-005").len(), 1, "{cmd}");
    }
    for cmd in [
        "/bin/sh -c curl -fsSLo /tmp/i.sh https://x && sha256sum -c sums && sh /tmp/i.sh",
        "/bin/sh -c cat list | sort | shasum",
    ] {
        let mut m = good_meta();
        m.config.history.push(step(cmd, false));
        m.layers.push(LayerInfo::default());
        assert!(fires(&m, &t, "DD-IMG-005").is_empty(), "{cmd}");
    }
}

#[test]
fn img_006_no_healthcheck() {
    let t = FileTree::default();
    let mut m = good_meta();
    assert!(fires(&m, &t, "DD-IMG-006").is_empty());
    m.config.history.pop();
    assert_eq!(fires(&m, &t, "DD-IMG-006").len(), 1);
    // No history at all: nothing to judge by.
    m.config.history.clear();
    assert!(fires(&m, &t, "DD-IMG-006").is_empty());
}

#[test]
fn img_007_latest_base() {
    let t = FileTree::default();
    let key = "org.opencontainers.image.base.name";
    for base in ["docker.io/library/debian:latest", "debian", "localhost:5000/base"] {
        let mut m = good_meta();
        m.config.labels.insert(key.into(), base.into());
        assert_eq!(fires(&m, &t, "DD-IMG-007").len(), 1, "{base}");
    }
    for base in ["debian:bookworm", "localhost:5000/base:1.2", "debian@sha256:abcd"] {
        let mut m = good_meta();
        m.config.labels.insert(key.into(), base.into());
        assert!(fires(&m, &t, "DD-IMG-007").is_empty(), "{base}");
    }
    assert!(fires(&good_meta(), &t, "DD-IMG-007").is_empty());
}

#[test]
fn fs_001_setuid_setgid() {
    let t = tree(&[
        ("/usr/bin/passwd", 0o4755, "elf"),
        ("/usr/bin/chage", 0o2755, "elf"),
        ("/var/mail", 0o42775, ""),
        ("/usr/bin/ls", 0o755, "elf"),
    ]);
    let f = fires(&good_meta(), &t, "DD-FS-001");
    assert_eq!(ids(&f).len(), 2);
    assert_eq!(f[0].path.as_deref(), Some("/usr/bin/chage"));
    assert!(f[1].evidence.starts_with("setuid, mode 4755"));
    assert_eq!(f[1].severity, Severity::Low);
}

#[test]
fn fs_002_world_writable() {
    let t = tree(&[
        ("/app/data.json", 0o666, "{}"),
        ("/opt/shared", 0o40777, ""),
        ("/run/lock", 0o41777, ""),
        ("/tmp/x", 0o666, "x"),
        ("/dev/shm", 0o40777, ""),
        ("/var/tmpfoo", 0o666, "x"),
        ("/etc/hosts", 0o644, "x"),
    ]);
    let f = fires(&good_meta(), &t, "DD-FS-002");
    let paths: Vec<&str> = f.iter().filter_map(|m| m.path.as_deref()).collect();
    assert_eq!(paths, ["/app/data.json", "/opt/shared", "/var/tmpfoo"]);
    let opts = MisconfigOptions {
        world_writable_exceptions: vec![
            "/app".into(),
            "/opt/shared".into(),
            "/var/tmpfoo".into(),
            "/dev/shm".into(),
            "/tmp".into(),
        ],
        ..Default::default()
    };
    assert!(check(&good_meta(), &t, &opts).iter().all(|m| m.id != "DD-FS-002"));
}

#[test]
fn fs_003_to_005_accounts() {
    let bad_passwd = "root:x:0:0:root:/root:/bin/bash\ntoor:x:0:0::/root:/bin/sh\n\
                      www-data:x:33:33:www-data:/var/www:/bin/bash\nguest::1001:1001::/home/guest:/bin/bash\n";
    let bad_shadow = "root:*:19000::::::\ntoor::19000::::::\n";
    let t = tree(&[("/etc/passwd", 0o644, bad_passwd), ("/etc/shadow", 0o640, bad_shadow)]);
    let f = run(&good_meta(), &t);
    let uid0: Vec<_> = f.iter().filter(|m| m.id == "DD-FS-003").collect();
    assert_eq!(uid0.len(), 1);
    assert!(uid0[0].evidence.contains("toor has uid 0"));
    let empty: Vec<_> = f.iter().filter(|m| m.id == "DD-FS-004").collect();
    assert_eq!(empty.len(), 2, "{empty:?}");
    let shells: Vec<_> = f.iter().filter(|m| m.id == "DD-FS-005").collect();
    assert_eq!(shells.len(), 1);
    assert!(shells[0].evidence.contains("www-data (uid 33)"));

    let t = tree(&[
        ("/etc/passwd", 0o644, CLEAN_PASSWD),
        ("/etc/shadow", 0o640, CLEAN_SHADOW),
    ]);
    let f = run(&good_meta(), &t);
    assert!(f
        .iter()
        .all(|m| !["DD-FS-003", "DD-FS-004", "DD-FS-005"].contains(&m.id.as_str())));
}

#[test]
fn fs_006_authorized_keys() {
    let t = tree(&[
        (
            "/root/.ssh/authorized_keys",
            0o600,
            "ssh-ed25519 AAAA a@b\n\nssh-rsa AAAA c@d\n",
        ),
        ("/home/bob/.ssh/authorized_keys", 0o600, "ssh-ed25519 AAAA\n"),
    ]);
    let f = fires(&good_meta(), &t, "DD-FS-006");
    assert_eq!(f.len(), 2);
    assert!(f[1].evidence.starts_with("2 key(s)"), "{}", f[1].evidence);
    let t = tree(&[
        ("/root/.ssh/known_hosts", 0o600, "x"),
        ("/home/bob/.ssh/id_ed25519.pub", 0o644, "x"),
    ]);
    assert!(fires(&good_meta(), &t, "DD-FS-006").is_empty());
}

#[test]
fn fs_007_ssh_host_keys() {
    let t = tree(&[
        (
            "/etc/ssh/ssh_host_ed25519_key",
            0o600,
            "-----BEGIN OPENSSH PRIVATE KEY-----",
        ),
        ("/etc/ssh/ssh_host_ed25519_key.pub", 0o644, "ssh-ed25519 AAAA"),
    ]);
    let f = fires(&good_meta(), &t, "DD-FS-007");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].path.as_deref(), Some("/etc/ssh/ssh_host_ed25519_key"));
    assert!(!wants("/etc/ssh/ssh_host_ed25519_key"));
    let t = tree(&[
        ("/etc/ssh/sshd_config", 0o644, "x"),
        ("/etc/ssh/ssh_host_rsa_key.pub", 0o644, "x"),
    ]);
    assert!(fires(&good_meta(), &t, "DD-FS-007").is_empty());
}

#[test]
fn fs_008_sudoers_nopasswd() {
    let t = tree(&[
        ("/etc/sudoers", 0o440, "root ALL=(ALL) ALL\n"),
        ("/etc/sudoers.d/app", 0o440, "# comment\napp ALL=(ALL) NOPASSWD: ALL\n"),
    ]);
    let f = fires(&good_meta(), &t, "DD-FS-008");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].path.as_deref(), Some("/etc/sudoers.d/app"));
    assert!(f[0].evidence.starts_with("line 2:"));
    let t = tree(&[(
        "/etc/sudoers",
        0o440,
        "root ALL=(ALL) ALL\n# %sudo ALL=(ALL) NOPASSWD: ALL\n",
    )]);
    assert!(fires(&good_meta(), &t, "DD-FS-008").is_empty());
}

#[test]
fn fs_009_package_caches() {
    let t = tree(&[
        ("/var/cache/apt/archives/curl_8.deb", 0o644, "0123456789"),
        ("/var/cache/apt/archives/lock", 0o640, ""),
        ("/var/cache/apt/archives/libc_2.deb", 0o644, "01234"),
        ("/var/lib/apt/lists/deb.debian.org_Packages.lz4", 0o644, "abc"),
        ("/root/.cache/pip/http/x", 0o644, "ab"),
    ]);
    let f = fires(&good_meta(), &t, "DD-FS-009");
    let ev: Vec<&str> = f.iter().map(|m| m.evidence.as_str()).collect();
    assert_eq!(
        ev,
        [
            "apt downloaded packages: 2 file(s), 15 bytes",
            "apt package lists: 1 file(s), 3 bytes",
            "pip cache: 1 file(s), 2 bytes"
        ]
    );
    let t = tree(&[
        ("/var/lib/apt/lists/lock", 0o640, ""),
        ("/var/cache/apt/archives/lock", 0o640, ""),
        ("/var/lib/apt/lists/partial", 0o40700, ""),
        ("/var/cache/debconf/config.dat", 0o644, "x"),
    ]);
    assert!(fires(&good_meta(), &t, "DD-FS-009").is_empty());
}

#[test]
fn disabled_checks_are_skipped() {
    let mut m = good_meta();
    m.config.user = None;
    let opts = MisconfigOptions {
        disabled: vec!["DD-IMG-001".into()],
        ..Default::default()
    };
    assert!(check(&m, &FileTree::default(), &opts).is_empty());
}

#[test]
fn wants_selects_needed_files() {
    for p in [
        "/etc/passwd",
        "/etc/shadow",
        "/etc/sudoers",
        "/etc/sudoers.d/90-cloud",
        "/root/.ssh/authorized_keys",
        "/home/alice/.ssh/authorized_keys",
    ] {
        assert!(wants(p), "{p}");
    }
    for p in [
        "/etc/passwd-",
        "/etc/sudoers.d/a/b",
        "/home/.ssh/authorized_keys",
        "/etc/group",
    ] {
        assert!(!wants(p), "{p}");
    }
}

#[test]
fn content_search_finds_named_matches() {
    let searches = vec![
        ContentSearch::new("todo", r"TODO").unwrap(),
        ContentSearch::new("etc-only", r"needle")
            .unwrap()
            .with_paths(vec!["/etc".into()]),
    ];
    assert_eq!(
        scan_text(&searches, "/app/a.txt", b"one\r\nTODO: two\nneedle\n"),
        vec![("todo".to_string(), 2)]
    );
    assert!(scan_text(&searches, "/app/bin", b"TODO\0binary").is_empty());
    let t = tree(&[
        ("/app/x.conf", 0o644, "a\nb TODO\n"),
        ("/app/y.conf", 0o644, "nothing\n"),
    ]);
    let found = search(&t, &searches, |_| true);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].path.as_str(), found[0].line, found[0].layer),
        ("/app/x.conf", 2, 0)
    );
    assert!(search(&t, &searches, |p| p != "/app/x.conf").is_empty());
}

#[test]
fn retrieve_returns_bounded_files() {
    let t = tree(&[("/etc/passwd", 0o644, CLEAN_PASSWD), ("/app/bin", 0o755, "")]);
    let r = retrieve(
        &t,
        &["/etc/passwd".into(), "/missing".into(), "/app/bin".into()],
        1 << 20,
    );
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].content.as_deref(), Some(CLEAN_PASSWD));
    assert_eq!(r[0].encoding.as_deref(), Some("utf-8"));
    let small = retrieve(&t, &["/etc/passwd".into()], 10);
    assert!(small[0].content.is_none() && small[0].note.is_some());
}

/// Runs the checks on the fixture images: `cargo test -p drydock-inspect --test it -- --ignored --nocapture misconfig::fixtures_report`.
#[test]
#[ignore]
fn fixtures_report() {
    use drydock_image::{open, read_layers, Capture, Limits, NoProgress, OpenOptions, ReadOptions, SourceSpec};
    struct Want;
    impl Capture for Want {
        fn wants(&self, path: &str) -> bool {
            wants(path)
        }
        fn fingerprint(&self) -> String {
            "misconfig-test".into()
        }
    }
    for name in ["bookworm-minbase", "bookworm-rich"] {
        let path = format!("/var/tmp/fx/images/{name}.docker.tar");
        if !std::path::Path::new(&path).exists() {
            continue;
        }
        let spec = SourceSpec::DockerArchive(path.clone().into(), None);
        let opened = open(&spec, &path, &OpenOptions::default()).unwrap();
        let opts = ReadOptions {
            capture: &Want,
            limits: Limits::default(),
            cache: None,
            threads: 2,
            progress: &NoProgress,
        };
        let layers = read_layers(&opened, &opts).unwrap();
        let t = FileTree::squash(layers.layers.iter().map(|l| &**l), 40);
        println!("== {name}");
        for m in check(opened.meta(), &t, &MisconfigOptions::default()) {
            println!(
                "{} {:?} {} | {} | layer {:?} | {}",
                m.id,
                m.severity,
                m.title,
                m.path.unwrap_or_default(),
                m.layer,
                m.evidence
            );
        }
    }
}
