//! The client commands (`drydock image`, `policy add`…, `user`, `apikey`, `event`, `system`,
//! `account`, `subscription`, `webhook`, `notification`, `registry`, `diff`, `query`,
//! `feeds`) against a real `drydock serve` child process, configured as users would: with
//! DRYDOCK_URL, DRYDOCK_USER / DRYDOCK_PASSWORD or DRYDOCK_API_KEY.

use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::server::{free_port, Registry, ADMIN_PASSWORD};

/// A `drydock serve` on a free loopback port with its data in a temporary directory;
/// killed on drop.
struct Server {
    child: Child,
    url: String,
    home: tempfile::TempDir,
}

impl Server {
    fn start(workers: usize) -> Server {
        Server::start_with(workers, &[])
    }

    /// The same, with more `drydock serve` arguments.
    fn start_with(workers: usize, extra: &[&str]) -> Server {
        let home = tempfile::tempdir().unwrap();
        let listen = format!("127.0.0.1:{}", free_port());
        let log = std::fs::File::create(home.path().join("serve.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args(["serve", "--listen", &listen, "--workers", &workers.to_string()])
            .arg("--allow-internal-registries")
            .arg("--data-dir")
            .arg(home.path().join("data"))
            .args(extra)
            .args((!extra.contains(&"--db")).then_some("--allow-no-db"))
            .env("HOME", home.path())
            .env("DRYDOCK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env_remove("DRYDOCK_DB")
            .env_remove("DRYDOCK_CONFIG")
            .env_remove("DRYDOCK_DATABASE")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("drydock runs");
        let url = format!("http://{listen}");
        let server = Server { child, url, home };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if reqwest::blocking::get(format!("{}/ready", server.url)).is_ok_and(|r| r.status().is_success()) {
                return server;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("drydock serve did not become ready: {}", server.log());
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.home.path().join("serve.log")).unwrap_or_default()
    }

    /// A file in the server's temporary directory.
    fn file(&self, name: &str, content: &str) -> PathBuf {
        let p = self.home.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    /// Runs a client command as `user` with `password`.
    fn as_user(&self, user: &str, password: &str, args: &[&str]) -> Run {
        client(
            &[
                ("DRYDOCK_URL", &self.url),
                ("DRYDOCK_USER", user),
                ("DRYDOCK_PASSWORD", password),
            ],
            args,
        )
    }

    /// Runs a client command as the admin.
    fn admin(&self, args: &[&str]) -> Run {
        self.as_user("admin", ADMIN_PASSWORD, args)
    }

    /// Runs a client command with an API key.
    fn with_key(&self, key: &str, args: &[&str]) -> Run {
        client(&[("DRYDOCK_URL", &self.url), ("DRYDOCK_API_KEY", key)], args)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a client command did.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Asserts the exit status; returns self.
    #[track_caller]
    fn code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "exit status of a client command: {self:#?}");
        self
    }

    /// Standard output parsed as JSON.
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {self:#?}"))
    }
}

/// Runs `drydock ARGS` with exactly these DRYDOCK_* variables and no terminal on stdin.
fn client(env: &[(&str, &str)], args: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_drydock"));
    for (k, _) in std::env::vars() {
        if k.starts_with("DRYDOCK_") {
            cmd.env_remove(k);
        }
    }
    let out = cmd
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("drydock runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A valid bundle: only the root user warns.
fn bundle(id: &str, name: &str) -> String {
    json!({
        "id": id, "name": name, "version": "2",
        "rule_sets": [{"id": "rs", "rules": [{"id": "root", "gate": "dockerfile", "trigger": "effective_user",
            "action": "WARN", "params": [{"name": "users", "value": "root"}, {"name": "type", "value": "denylist"}]}]}],
        "mappings": [{"id": "all", "registry": "*", "repository": "*", "image": {"type": "tag", "value": "*"},
            "rule_set_ids": ["rs"]}]
    })
    .to_string()
}

/// The same bundle as YAML.
fn yaml_bundle(id: &str, name: &str) -> String {
    format!(
        "id: {id}\nname: {name}\nversion: \"2\"\nrule_sets:\n  - id: rs\n    rules:\n      - id: root\n        gate: dockerfile\n        trigger: effective_user\n        action: WARN\n        params:\n          - name: users\n            value: root\n          - name: type\n            value: denylist\nmappings:\n  - id: all\n    registry: \"*\"\n    repository: \"*\"\n    image: {{type: tag, value: \"*\"}}\n    rule_set_ids: [rs]\n"
    )
}

#[test]
fn policy_commands_manage_bundles() {
    let s = Server::start(0);
    let json_file = s.file("bundle.json", &bundle("warn-root", "root only"));
    let json_path = json_file.to_str().unwrap();

    let r = s.admin(&["policy", "add", json_path]).code(0);
    assert!(
        r.stdout.contains("added policy \"warn-root\" (active)"),
        "the first is active: {r:#?}"
    );
    let r = s.admin(&["policy", "add", json_path]).code(2);
    assert!(r.stderr.contains("exists"), "{r:#?}");
    assert!(r.stderr.contains("hint:"), "the server's hint is shown: {r:#?}");

    let r = s.admin(&["policy", "list"]).code(0);
    assert!(r.stdout.starts_with("ID"), "{r:#?}");
    assert!(
        r.stdout.contains("warn-root") && r.stdout.contains("root only"),
        "{r:#?}"
    );
    s.admin(&["policy", "activate", "warn-root"]).code(0);
    let list = s.admin(&["policy", "list", "-o", "json"]).code(0).json();
    assert_eq!(list["policies"][0]["id"], "warn-root");
    assert_eq!(list["policies"][0]["active"], true);

    let r = s.admin(&["policy", "get", "warn-root"]).code(0);
    assert!(r.stdout.contains("Active:") && r.stdout.contains("yes"), "{r:#?}");
    assert!(r.stdout.contains("1 (1 rules): rs"), "{r:#?}");
    let got = s.admin(&["policy", "get", "warn-root", "-o", "json"]).code(0).json();
    assert_eq!(got["bundle"]["id"], "warn-root");

    // YAML goes as YAML; update replaces.
    let yaml = s.file("bundle.yaml", &yaml_bundle("from-yaml", "first"));
    let r = s.admin(&["policy", "add", yaml.to_str().unwrap()]).code(0);
    assert!(r.stdout.contains("added policy \"from-yaml\"\n"), "{r:#?}");
    assert!(r.stderr.contains("drydock policy activate from-yaml"), "{r:#?}");
    let yaml = s.file("bundle.yaml", &yaml_bundle("from-yaml", "second"));
    s.admin(&["policy", "update", "from-yaml", yaml.to_str().unwrap()])
        .code(0);
    let got = s.admin(&["policy", "get", "from-yaml", "-o", "json"]).code(0).json();
    assert_eq!(got["name"], "second");
    let r = s
        .admin(&["policy", "update", "warn-root", yaml.to_str().unwrap()])
        .code(2);
    assert!(r.stderr.contains("is not \"warn-root\""), "{r:#?}");

    // An invalid bundle: the server's reason and hint.
    let bad = s.file(
        "bad.json",
        &json!({"id": "bad", "rule_sets": [{"id": "x", "rules": [{"gate": "nope", "trigger": "t", "action": "STOP"}]}], "mappings": []}).to_string(),
    );
    let r = s.admin(&["policy", "add", bad.to_str().unwrap()]).code(2);
    assert!(r.stderr.contains("unknown gate \"nope\""), "{r:#?}");
    assert!(r.stderr.contains("hint: `drydock policy validate FILE`"), "{r:#?}");
    let r = s.admin(&["policy", "add", "/nonexistent/bundle.json"]).code(2);
    assert!(r.stderr.contains("cannot read policy bundle"), "{r:#?}");

    s.admin(&["policy", "delete", "from-yaml"]).code(0);
    let r = s.admin(&["policy", "get", "from-yaml"]).code(2);
    assert!(r.stderr.contains("not found"), "{r:#?}");
    let r = s.admin(&["policy", "delete", "from-yaml", "-o", "json"]).code(2);
    assert!(r.stdout.is_empty(), "{r:#?}");

    // The local subcommands need no service.
    let r = client(&[], &["policy", "validate", json_path]).code(0);
    assert!(r.stdout.contains("valid"), "{r:#?}");
}

#[test]
fn users_roles_and_api_keys() {
    let s = Server::start(0);
    let with_new = |password: &str, args: &[&str]| {
        client(
            &[
                ("DRYDOCK_URL", &s.url),
                ("DRYDOCK_USER", "admin"),
                ("DRYDOCK_PASSWORD", ADMIN_PASSWORD),
                ("DRYDOCK_NEW_PASSWORD", password),
            ],
            args,
        )
    };
    let r = with_new("bob-password-1", &["user", "add", "bob", "--role", "read-only"]).code(0);
    assert!(r.stdout.contains("added user \"bob\" with role read-only"), "{r:#?}");
    let r = with_new("bob-password-1", &["user", "add", "eve", "--role", "root"]).code(2);
    assert!(r.stderr.contains("policy-editor"), "the roles are listed: {r:#?}");
    let r = with_new("short", &["user", "add", "eve", "--role", "read-only"]).code(2);
    assert!(r.stderr.contains("at least 8 characters"), "{r:#?}");
    let r = s.admin(&["user", "add", "eve", "--role", "read-only"]).code(2);
    assert!(
        r.stderr.contains("DRYDOCK_NEW_PASSWORD"),
        "no terminal to ask on: {r:#?}"
    );

    let r = s.admin(&["user", "list"]).code(0);
    assert!(r.stdout.contains("bob") && r.stdout.contains("read-only"), "{r:#?}");
    let users = s.admin(&["user", "list", "-o", "json"]).code(0).json();
    assert_eq!(users["users"].as_array().unwrap().len(), 2, "{users}");

    // A read-only user may read but not write policies; the message names the role.
    let policy = s.file("bundle.json", &bundle("warn-root", "root only"));
    let r = s
        .as_user("bob", "bob-password-1", &["policy", "add", policy.to_str().unwrap()])
        .code(2);
    assert!(
        r.stderr.contains("forbidden") && r.stderr.contains("read-only"),
        "{r:#?}"
    );
    assert!(r.stderr.contains("hint:"), "{r:#?}");
    s.as_user("bob", "bob-password-1", &["policy", "list"]).code(0);
    // --user wins over DRYDOCK_USER.
    let r = client(
        &[
            ("DRYDOCK_URL", &s.url),
            ("DRYDOCK_USER", "admin"),
            ("DRYDOCK_PASSWORD", "bob-password-1"),
        ],
        &["account", "list", "--user", "bob"],
    )
    .code(2);
    assert!(r.stderr.contains("read-only"), "{r:#?}");

    // An API key for bob: printed once on stdout, acts as bob.
    let r = s.as_user("bob", "bob-password-1", &["apikey", "create"]).code(0);
    let key = r.stdout.trim().to_string();
    assert!(key.starts_with("ddk_") && !key.contains('\n'), "{r:#?}");
    assert!(r.stderr.contains("shown once"), "{r:#?}");
    let key_id = key.trim_start_matches("ddk_").split('_').next().unwrap().to_string();
    let list = s.with_key(&key, &["image", "list", "-o", "json"]).code(0).json();
    assert_eq!(list["images"], json!([]));
    let r = s.with_key(&key, &["user", "list"]).code(2);
    assert!(r.stderr.contains("role read-only may not"), "{r:#?}");
    let r = s.with_key(&key, &["system", "status"]).code(0);
    assert!(r.stdout.contains("Version:"), "{r:#?}");

    let r = s
        .as_user("bob", "bob-password-1", &["apikey", "revoke", &key_id])
        .code(0);
    assert!(r.stdout.contains(&format!("revoked API key {key_id}")), "{r:#?}");
    let r = s.with_key(&key, &["image", "list"]).code(2);
    assert!(r.stderr.contains("API key"), "{r:#?}");
    assert!(r.stderr.contains("DRYDOCK_API_KEY"), "{r:#?}");

    s.admin(&["user", "delete", "bob"]).code(0);
    let r = s.as_user("bob", "bob-password-1", &["image", "list"]).code(2);
    assert!(r.stderr.contains("refused the login of user \"bob\""), "{r:#?}");
    let r = s.admin(&["user", "delete", "admin"]).code(2);
    assert!(r.stderr.contains("cannot delete yourself"), "{r:#?}");

    // Accounts (admins only).
    s.admin(&["account", "add", "team-a"]).code(0);
    let accounts = s.admin(&["account", "list", "-o", "json"]).code(0).json();
    assert!(
        accounts["accounts"].as_array().unwrap().contains(&json!("team-a")),
        "{accounts}"
    );
    let r = s.admin(&["account", "list"]).code(0);
    assert!(r.stdout.starts_with("ACCOUNT") && r.stdout.contains("team-a"), "{r:#?}");
    let r = s.admin(&["account", "add", "bad name"]).code(2);
    assert!(r.stderr.contains("account names are"), "{r:#?}");
}

#[test]
fn image_commands_on_a_queued_image() {
    // No workers: added images stay queued.
    let s = Server::start(0);
    let added = s
        .admin(&["image", "add", "127.0.0.1:1/none:1", "-o", "json"])
        .code(0)
        .json();
    assert_eq!(added["status"], "queued");
    let id = added["id"].as_str().unwrap().to_string();
    let r = s.admin(&["image", "add", "127.0.0.1:1/none:2"]).code(0);
    assert!(r.stdout.contains("Status:") && r.stdout.contains("queued"), "{r:#?}");
    assert!(r.stderr.contains("drydock image get"), "{r:#?}");

    let r = s.admin(&["image", "list"]).code(0);
    assert!(r.stdout.starts_with("ID"), "{r:#?}");
    assert!(
        r.stdout.contains(&id) && r.stdout.contains("127.0.0.1:1/none"),
        "{r:#?}"
    );
    let list = s
        .admin(&["image", "list", "--status", "queued", "--limit", "1", "-o", "json"])
        .code(0)
        .json();
    assert_eq!(list["images"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list["limit"], 1);
    let r = s.admin(&["image", "list", "--status", "analyzed"]).code(0);
    assert_eq!(r.stdout.trim(), "No images.");
    s.admin(&["image", "list", "--status", "done"]).code(2);
    let r = s.admin(&["image", "list", "--limit", "501"]).code(2);
    assert!(r.stderr.contains("limit must be"), "{r:#?}");

    let r = s.admin(&["image", "get", &id]).code(0);
    assert!(r.stdout.contains("ID:") && r.stdout.contains(&id), "{r:#?}");
    assert!(
        r.stdout.contains("Registry:") && r.stdout.contains("127.0.0.1:1"),
        "{r:#?}"
    );
    let got = s.admin(&["image", "get", &id, "-o", "json"]).code(0).json();
    assert_eq!(got["id"], id.as_str());

    // Not analysed yet: the server says so, with its hint.
    let r = s.admin(&["image", "vuln", &id, "os"]).code(2);
    assert!(r.stderr.contains("not analysed yet"), "{r:#?}");
    assert!(r.stderr.contains("hint: wait for the analysis"), "{r:#?}");
    let r = s.admin(&["image", "check", &id]).code(2);
    assert!(
        r.stderr.contains("not analysed yet"),
        "`image check` errors are 2: {r:#?}"
    );
    s.admin(&["image", "content", &id, "nonsense"]).code(2);
    s.admin(&["image", "vuln", &id, "some"]).code(2);

    // --wait gives up after --timeout.
    let r = s
        .admin(&["image", "add", "127.0.0.1:1/none:3", "--wait", "--timeout", "1"])
        .code(2);
    assert!(r.stderr.contains("is still queued after 1 s"), "{r:#?}");

    // Local paths are refused by the service.
    let r = s.admin(&["image", "add", "docker-archive:/tmp/x.tar"]).code(2);
    assert!(r.stderr.contains("not a registry reference"), "{r:#?}");
    assert!(r.stderr.contains("hint: give an image in a registry"), "{r:#?}");

    let r = s.admin(&["image", "history", "127.0.0.1:1/none:1"]).code(0);
    assert!(r.stdout.contains("No history"), "{r:#?}");
    let h = s
        .admin(&["image", "history", "127.0.0.1:1/none:1", "-o", "json"])
        .code(0)
        .json();
    assert_eq!(h["history"], json!([]));

    let r = s.admin(&["image", "delete", &id]).code(0);
    assert!(r.stdout.contains("deleted image"), "{r:#?}");
    let r = s.admin(&["image", "get", &id]).code(2);
    assert!(r.stderr.contains("not found"), "{r:#?}");

    let r = s.admin(&["system", "status"]).code(0);
    assert!(r.stdout.contains("Queued:") && r.stdout.contains("sqlite"), "{r:#?}");
    assert!(contains_all(&r.stdout, &["Vuln DB:", "UNAVAILABLE"]), "{r:#?}");
    let status = s.admin(&["system", "status", "-o", "json"]).code(0).json();
    assert_eq!(status["queue"]["queued"], 2, "{status}");
    s.admin(&["event", "list", "--limit", "5"]).code(0);
    let events = s.admin(&["event", "list", "-o", "json"]).code(0).json();
    assert!(events["events"].is_array(), "{events}");
}

#[test]
fn errors_name_the_fix() {
    let s = Server::start(0);
    let r = s.as_user("admin", "wrong-password", &["image", "list"]).code(2);
    assert!(
        r.stderr.contains("refused the login of user \"admin\": wrong password"),
        "{r:#?}"
    );
    assert!(r.stderr.contains("DRYDOCK_PASSWORD"), "{r:#?}");

    // Nothing listens there.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let r = client(
        &[
            ("DRYDOCK_URL", &nowhere),
            ("DRYDOCK_USER", "admin"),
            ("DRYDOCK_PASSWORD", ADMIN_PASSWORD),
        ],
        &["system", "status"],
    )
    .code(2);
    assert!(
        r.stderr
            .contains(&format!("cannot reach the drydock service at {nowhere}")),
        "{r:#?}"
    );
    assert!(r.stderr.contains("DRYDOCK_URL"), "{r:#?}");
    let r = client(
        &[("DRYDOCK_USER", "admin"), ("DRYDOCK_PASSWORD", ADMIN_PASSWORD)],
        &["image", "list", "--url", &nowhere],
    )
    .code(2);
    assert!(r.stderr.contains("--url or DRYDOCK_URL"), "{r:#?}");

    // Usage errors: exit 2.
    let r = client(&[("DRYDOCK_URL", &s.url)], &["image", "list"]).code(2);
    assert!(
        r.stderr.contains("no credentials") && r.stderr.contains("DRYDOCK_API_KEY"),
        "{r:#?}"
    );
    let r = client(
        &[("DRYDOCK_URL", &s.url), ("DRYDOCK_USER", "admin")],
        &["image", "list"],
    )
    .code(2);
    assert!(r.stderr.contains("DRYDOCK_PASSWORD"), "{r:#?}");
    let r = client(
        &[("DRYDOCK_URL", &s.url), ("DRYDOCK_API_KEY", "hunter2")],
        &["image", "list"],
    )
    .code(2);
    assert!(r.stderr.contains("ddk_"), "{r:#?}");
    assert!(!r.stderr.contains("hunter2"), "the key is not echoed: {r:#?}");
    let r = s.admin(&["image", "list", "--url", "localhost:8228"]).code(2);
    assert!(r.stderr.contains("http"), "{r:#?}");
    s.admin(&["image", "list", "-o", "yaml"]).code(2);
    s.admin(&["image"]).code(2);
    assert!(
        !s.admin(&["image", "list"]).stderr.contains(ADMIN_PASSWORD),
        "the password is never printed"
    );
}

// An analysed image, through a real registry.

/// A small Debian-like image running as root, with one dpkg package and a planted secret.
fn image() -> ImageBuilder {
    crate::common::server::image("")
}

fn contains_all(text: &str, parts: &[&str]) -> bool {
    parts.iter().all(|p| text.contains(p))
}

#[test]
fn analysed_image_through_the_client() {
    let reg = Registry::start();
    reg.push("fx/app", "1", &image());
    let s = Server::start(1);
    let tag = format!("{}/fx/app:1", reg.addr);

    let r = s.admin(&["image", "add", &tag, "--wait", "--timeout", "120"]).code(0);
    assert!(
        contains_all(&r.stdout, &["Status:", "analyzed", "sha256:"]),
        "{r:#?}\n{}",
        s.log()
    );
    // Added again: the same image, nothing queued, and how to analyse it again.
    let r = s.admin(&["image", "add", &tag, "--wait"]).code(0);
    assert!(
        contains_all(&r.stderr, &["already analysed", "use --force to analyse again"]),
        "{r:#?}"
    );
    let r = s
        .admin(&["image", "add", &tag, "--force", "--wait", "--timeout", "120"])
        .code(0);
    assert!(contains_all(&r.stdout, &["Status:", "analyzed"]), "{r:#?}");
    let r = s.admin(&["image", "get", "no-such-image"]).code(2);
    assert!(r.stderr.contains("image not found"), "{r:#?}");
    let list = s.admin(&["image", "list", "-o", "json"]).code(0).json();
    assert_eq!(
        list["images"].as_array().unwrap().len(),
        1,
        "one image per digest: {list}"
    );
    let id = list["images"][0]["id"].as_str().unwrap().to_string();
    let digest = list["images"][0]["digest"].as_str().unwrap().to_string();
    let r = s.admin(&["image", "get", &digest]).code(0);
    assert!(r.stdout.contains(&id), "found by digest: {r:#?}");

    let r = s.admin(&["image", "secrets", &id]).code(0);
    assert!(r.stdout.starts_with("SEVERITY"), "{r:#?}");
    assert!(contains_all(&r.stdout, &["github-pat", "/app/.env:1"]), "{r:#?}");
    assert!(!r.stdout.contains("Qw3Er5Ty7Qw3"), "redacted: {r:#?}");
    let r = s.admin(&["image", "content", &id, "os"]).code(0);
    assert!(contains_all(&r.stdout, &["NAME", "tool", "1.0-1", "deb"]), "{r:#?}");
    let r = s.admin(&["image", "content", &id, "files"]).code(0);
    assert!(
        r.stdout.contains("/etc/passwd") || r.stdout.contains("/app/.env"),
        "{r:#?}"
    );
    let r = s.admin(&["image", "vuln", &id]).code(0);
    assert!(r.stdout.contains("no vulnerability database"), "{r:#?}");
    let r = s.admin(&["image", "sbom", &id]).code(0);
    assert!(contains_all(&r.stdout, &["NAME", "tool"]), "{r:#?}");
    let cdx = s.admin(&["image", "sbom", &id, "--format", "cyclonedx"]).code(0).json();
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    s.admin(&["image", "misconfig", &id]).code(0);
    let r = s.admin(&["image", "history", &tag]).code(0);
    assert!(r.stdout.contains(&digest), "{r:#?}");

    // The built-in default stops secrets: exit 1, final action first.
    let r = s.admin(&["image", "check", &id]).code(1);
    assert!(r.stdout.starts_with("Image:"), "{r:#?}");
    assert!(r.stdout.contains("Final action: STOP"), "{r:#?}");
    assert!(
        contains_all(&r.stdout, &["NOT CHECKED", "vulnerability_data_unavailable"]),
        "a server without a database says so: {r:#?}"
    );
    assert!(r.stdout.contains("ACTION"), "triggers follow: {r:#?}");
    let check = s.admin(&["image", "check", &id, "-o", "json"]).code(1).json();
    assert_eq!(check["evaluation"]["final_action"], "STOP");

    // A bundle that only warns on root: exit 0, or 1 with --fail-on-warn.
    let policy = s.file("bundle.json", &bundle("warn-root", "root only"));
    s.admin(&["policy", "add", policy.to_str().unwrap()]).code(0);
    let r = s.admin(&["image", "check", &id, "--policy", "warn-root"]).code(0);
    assert!(r.stdout.contains("Final action: WARN"), "{r:#?}");
    s.admin(&["image", "check", &id, "--policy", "warn-root", "--fail-on-warn"])
        .code(1);
    let r = s.admin(&["image", "check", &id, "--policy", "missing"]).code(2);
    assert!(r.stderr.contains("not found"), "{r:#?}");
}

// Subscriptions, webhooks, notifications, registries, queries, diff, feeds.

#[test]
fn subscriptions_webhooks_and_notifications() {
    let s = Server::start_with(0, &["--allow-internal-webhooks"]);

    // Subscriptions: add, list, delete; the service checks the kind.
    let r = s
        .admin(&["subscription", "add", "analysis_update", "127.0.0.1:1/fx/app:1"])
        .code(0);
    assert!(
        r.stdout
            .contains("subscribed to analysis_update of 127.0.0.1:1/fx/app:1 (subscription "),
        "{r:#?}"
    );
    let added = s
        .admin(&[
            "subscription",
            "add",
            "policy_eval",
            "127.0.0.1:1/fx/app:1",
            "-o",
            "json",
        ])
        .code(0)
        .json();
    let sub_id = added["id"].as_str().unwrap().to_string();
    assert_eq!(added["kind"], "policy_eval");
    let r = s
        .admin(&["subscription", "add", "tag_moved", "127.0.0.1:1/fx/app:1"])
        .code(2);
    assert!(
        r.stderr.contains("unknown subscription kind \"tag_moved\"") && r.stderr.contains("vuln_update"),
        "the server's message, with the kinds: {r:#?}"
    );
    let r = s
        .admin(&["subscription", "add", "tag_update", "docker-archive:/tmp/x.tar"])
        .code(2);
    assert!(r.stderr.contains("not a registry reference"), "{r:#?}");
    s.admin(&["subscription", "add", "tag_update"]).code(2);

    let r = s.admin(&["subscription", "list"]).code(0);
    assert!(r.stdout.starts_with("ID"), "{r:#?}");
    assert!(
        contains_all(
            &r.stdout,
            &[&sub_id, "policy_eval", "analysis_update", "127.0.0.1:1/fx/app:1"]
        ),
        "{r:#?}"
    );
    let list = s.admin(&["subscription", "list", "-o", "json"]).code(0).json();
    assert_eq!(list["subscriptions"].as_array().unwrap().len(), 2, "{list}");
    let r = s.admin(&["subscription", "delete", &sub_id]).code(0);
    assert!(r.stdout.contains(&format!("deleted subscription {sub_id}")), "{r:#?}");
    let r = s.admin(&["subscription", "delete", &sub_id]).code(2);
    assert!(r.stderr.contains("not found"), "{r:#?}");
    let list = s.admin(&["subscription", "list", "-o", "json"]).code(0).json();
    assert_eq!(list["subscriptions"].as_array().unwrap().len(), 1, "{list}");

    // Webhooks: the secret is printed once, with how deliveries are signed.
    let r = s.admin(&["webhook", "add", "http://127.0.0.1:9/hook"]).code(0);
    let field = |name: &str| {
        r.stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name}:")))
            .map(|v| v.trim().to_string())
            .unwrap_or_else(|| panic!("no {name} line: {r:#?}"))
    };
    let (hook_id, secret) = (field("ID"), field("Secret"));
    assert!(secret.len() >= 16, "{r:#?}");
    assert!(r.stdout.contains("http://127.0.0.1:9/hook"), "{r:#?}");
    assert!(
        r.stderr.contains("X-Drydock-Signature: sha256=") && r.stderr.contains("HMAC-SHA256"),
        "{r:#?}"
    );
    assert!(r.stderr.contains("shown once"), "{r:#?}");
    let second = s
        .admin(&["webhook", "add", "https://ci.example.com/hooks/drydock", "-o", "json"])
        .code(0)
        .json();
    let second_secret = second["secret"].as_str().unwrap().to_string();
    let r = s.admin(&["webhook", "add", "ftp://ci.example.com/x"]).code(2);
    assert!(r.stderr.contains("is not an http(s) URL"), "{r:#?}");

    let r = s.admin(&["webhook", "list"]).code(0);
    assert!(r.stdout.starts_with("ID"), "{r:#?}");
    assert!(
        contains_all(
            &r.stdout,
            &[
                &hook_id,
                "http://127.0.0.1:9/hook",
                "https://ci.example.com/hooks/drydock"
            ]
        ),
        "{r:#?}"
    );
    let json_list = s.admin(&["webhook", "list", "-o", "json"]).code(0);
    for out in [&r.stdout, &r.stderr, &json_list.stdout, &json_list.stderr] {
        assert!(
            !out.contains(&secret) && !out.contains(&second_secret),
            "secrets are never listed: {r:#?} {json_list:#?}"
        );
    }
    assert_eq!(json_list.json()["webhooks"].as_array().unwrap().len(), 2);

    // The delivery log: empty (nothing happened to the subscribed tag).
    let r = s.admin(&["notification", "list"]).code(0);
    assert_eq!(r.stdout.trim(), "No notifications.", "{r:#?}");
    let log = s
        .admin(&["notification", "list", "--limit", "10", "--offset", "0", "-o", "json"])
        .code(0)
        .json();
    assert_eq!(log["deliveries"], json!([]), "{log}");
    assert_eq!(log["limit"], 10, "{log}");
    let r = s.admin(&["notification", "list", "--limit", "501"]).code(2);
    assert!(r.stderr.contains("limit must be"), "{r:#?}");
    s.admin(&["notification", "list", "--limit", "many"]).code(2);

    let r = s.admin(&["webhook", "delete", &hook_id]).code(0);
    assert!(r.stdout.contains(&format!("deleted webhook {hook_id}")), "{r:#?}");
    let r = s.admin(&["webhook", "list"]).code(0);
    assert!(!r.stdout.contains(&hook_id), "{r:#?}");
    s.admin(&["webhook", "delete", &hook_id]).code(2);
}

#[test]
fn registry_credentials_are_never_shown() {
    let s = Server::start(0);
    const SECRET: &str = "reg-pass-Zq81xW";
    let with_password = |args: &[&str]| {
        client(
            &[
                ("DRYDOCK_URL", &s.url),
                ("DRYDOCK_USER", "admin"),
                ("DRYDOCK_PASSWORD", ADMIN_PASSWORD),
                ("DRYDOCK_REGISTRY_PASSWORD", SECRET),
            ],
            args,
        )
    };
    let mut runs = Vec::new();

    let r = with_password(&["registry", "add", "registry.example.com", "--username", "ci-bot"]).code(0);
    assert!(
        r.stdout
            .contains("stored the credentials of \"ci-bot\" for registry registry.example.com"),
        "{r:#?}"
    );
    runs.push(r);
    let r = with_password(&[
        "registry",
        "add",
        "10.0.0.5:5000",
        "--username",
        "puller",
        "--insecure",
        "-o",
        "json",
    ])
    .code(0);
    let added = r.json();
    assert_eq!(added["registry"], "10.0.0.5:5000");
    assert_eq!(added["insecure"], true);
    runs.push(r);

    // The password is never an argument, and without a terminal it must come from the environment.
    with_password(&["registry", "add", "h.example", "--username", "u", "--password", SECRET]).code(2);
    let r = s.admin(&["registry", "add", "h.example", "--username", "u"]).code(2);
    assert!(r.stderr.contains("DRYDOCK_REGISTRY_PASSWORD"), "{r:#?}");
    let r = with_password(&["registry", "add", "https://h.example", "--username", "u"]).code(2);
    assert!(r.stderr.contains("host[:port]"), "{r:#?}");
    s.admin(&["registry", "add", "h.example"]).code(2);

    let r = s.admin(&["registry", "list"]).code(0);
    assert!(r.stdout.starts_with("REGISTRY"), "{r:#?}");
    assert!(
        contains_all(
            &r.stdout,
            &["registry.example.com", "ci-bot", "10.0.0.5:5000", "puller", "yes"]
        ),
        "{r:#?}"
    );
    runs.push(r);
    let r = s.admin(&["registry", "list", "-o", "json"]).code(0);
    assert_eq!(r.json()["registries"].as_array().unwrap().len(), 2, "{r:#?}");
    runs.push(r);

    let r = s.admin(&["registry", "delete", "registry.example.com"]).code(0);
    assert!(
        r.stdout
            .contains("deleted the credentials of registry registry.example.com"),
        "{r:#?}"
    );
    runs.push(r);
    let r = s.admin(&["registry", "delete", "registry.example.com"]).code(2);
    assert!(r.stderr.contains("not found"), "{r:#?}");
    runs.push(r);
    let r = s.admin(&["registry", "list", "-o", "json"]).code(0);
    assert_eq!(r.json()["registries"][0]["registry"], "10.0.0.5:5000", "{r:#?}");
    runs.push(r);
    s.admin(&["registry", "delete", "10.0.0.5:5000"]).code(0);
    let r = s.admin(&["registry", "list"]).code(0);
    assert_eq!(r.stdout.trim(), "No registry credentials.", "{r:#?}");
    runs.push(r);

    for r in &runs {
        assert!(
            !r.stdout.contains(SECRET) && !r.stderr.contains(SECRET),
            "the registry password is never printed: {r:#?}"
        );
    }
    assert!(!s.log().contains(SECRET), "nor logged by the service");
}

#[test]
fn queries_diff_and_feeds_without_analyses() {
    let s = Server::start(0);

    let r = s.admin(&["query", "package", "openssl"]).code(0);
    assert_eq!(r.stdout.trim(), "No analysed image contains openssl.", "{r:#?}");
    let r = s
        .admin(&["query", "package", "openssl", "--version", "3.0.13-1", "--type", "deb"])
        .code(0);
    assert_eq!(
        r.stdout.trim(),
        "No analysed image contains openssl 3.0.13-1 (deb).",
        "{r:#?}"
    );
    let q = s.admin(&["query", "package", "openssl", "-o", "json"]).code(0).json();
    assert_eq!(q["package"], "openssl");
    assert_eq!(q["images"], json!([]));
    let r = s.admin(&["query", "vulnerability", "CVE-2024-3094"]).code(0);
    assert_eq!(
        r.stdout.trim(),
        "No analysed image is affected by CVE-2024-3094.",
        "{r:#?}"
    );
    let q = s
        .admin(&["query", "vulnerability", "GHSA-jfh8-c2jp-5v3q", "-o", "json"])
        .code(0)
        .json();
    assert_eq!(q["images"], json!([]));
    s.admin(&["query", "vulnerability"]).code(2);
    s.admin(&["query", "image", "x"]).code(2);

    // Unknown images: which one is missing, and how to find the right ids.
    let r = s.admin(&["diff", "no-such-a", "no-such-b"]).code(2);
    assert!(
        r.stderr
            .contains("cannot compare: no image \"no-such-a\" and no image \"no-such-b\" in the service"),
        "{r:#?}"
    );
    assert!(
        r.stderr.contains("hint:") && r.stderr.contains("drydock image list"),
        "{r:#?}"
    );
    assert!(r.stdout.is_empty(), "{r:#?}");
    let queued = s
        .admin(&["image", "add", "127.0.0.1:1/none:1", "-o", "json"])
        .code(0)
        .json();
    let id = queued["id"].as_str().unwrap().to_string();
    let r = s.admin(&["diff", "no-such-a", &id]).code(2);
    assert!(r.stderr.contains("no image \"no-such-a\" (FROM)"), "{r:#?}");
    let r = s.admin(&["diff", &id, &id, "-o", "json"]).code(2);
    assert!(r.stderr.contains("not analysed yet"), "{r:#?}");
    assert!(r.stdout.is_empty(), "{r:#?}");
    s.admin(&["diff", &id]).code(2);

    // No vulnerability database: said plainly, exit 0.
    let r = s.admin(&["feeds", "status"]).code(0);
    assert!(
        r.stdout
            .starts_with("No vulnerability database: no vulnerability database configured (--db, --feed-url"),
        "{r:#?}"
    );
    assert!(r.stderr.contains("drydock serve --db"), "{r:#?}");
    let f = s.admin(&["feeds", "status", "-o", "json"]).code(0).json();
    assert!(f["database"].is_null(), "{f}");
}

/// The image of [`image`] moved on: the package upgraded, the secret gone, a file added.
fn next_image() -> ImageBuilder {
    let layer = LayerBuilder::new()
        .file(
            "etc/os-release",
            b"ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
            0o644,
        )
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", 0o644)
        .file(
            "var/lib/dpkg/status",
            b"Package: tool\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.1-1\n\nPackage: extra\nStatus: install ok installed\nArchitecture: amd64\nVersion: 2.0-1\n\n",
            0o644,
        )
        .file("app/new.txt", b"new\n", 0o644);
    ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "/bin/sh -c #(nop) ADD file:y in / ")
}

#[test]
fn diff_and_package_query_of_analysed_images() {
    let reg = Registry::start();
    reg.push("fx/app", "1", &image());
    reg.push("fx/app", "2", &next_image());
    let s = Server::start(1);
    let mut ids = Vec::new();
    for t in ["1", "2"] {
        let tag = format!("{}/fx/app:{t}", reg.addr);
        let v = s
            .admin(&["image", "add", &tag, "--wait", "--timeout", "120", "-o", "json"])
            .code(0)
            .json();
        ids.push(v["id"].as_str().unwrap().to_string());
    }

    let r = s.admin(&["diff", &ids[0], &ids[1]]).code(0);
    let out = &r.stdout;
    assert!(out.starts_with("From:"), "{r:#?}");
    assert!(
        out.contains("Packages: 1 added, 0 removed, 1 changed"),
        "counts first: {r:#?}"
    );
    assert!(out.contains("Files:") && out.contains("1 added, 1 removed"), "{r:#?}");
    assert!(
        out.find("Packages added (1)") < out.find("Packages changed (1)")
            && out.find("Packages changed (1)") < out.find("Files added (1)"),
        "packages, then files: {r:#?}"
    );
    assert!(
        contains_all(out, &["extra", "2.0-1", "1.0-1", "1.1-1", "/app/new.txt", "/app/.env"]),
        "{r:#?}"
    );
    let d = s.admin(&["diff", &ids[0], &ids[1], "-o", "json"]).code(0).json();
    assert_eq!(d["packages"]["changed"][0]["name"], "tool", "{d}");

    let r = s.admin(&["query", "package", "TOOL"]).code(0);
    assert!(r.stdout.starts_with("IMAGE"), "{r:#?}");
    assert!(
        contains_all(&r.stdout, &[&ids[0], &ids[1], "1.0-1", "1.1-1", "deb"]),
        "{r:#?}"
    );
    let q = s
        .admin(&["query", "package", "tool", "--version", "1.1-1", "-o", "json"])
        .code(0)
        .json();
    assert_eq!(q["images"].as_array().unwrap().len(), 1, "{q}");
    assert_eq!(q["images"][0]["image_id"], ids[1].as_str(), "{q}");
}

#[test]
fn feeds_status_with_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("vulndb.sqlite");
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulndata");
    client(
        &[("HOME", dir.path().to_str().unwrap())],
        &[
            "db",
            "build",
            "--from",
            fixtures.to_str().unwrap(),
            "--out",
            db.to_str().unwrap(),
        ],
    )
    .code(0);
    let s = Server::start_with(0, &["--db", db.to_str().unwrap()]);

    let r = s.admin(&["feeds", "status"]).code(0);
    assert!(r.stdout.starts_with("Database:"), "{r:#?}");
    assert!(
        contains_all(
            &r.stdout,
            &[
                "vulndb.sqlite",
                "Schema:",
                "Built:",
                "ago)",
                "Stale:        no",
                "Updates from: none",
                "Last update:  -",
                "SOURCE",
                "osv"
            ]
        ),
        "{r:#?}"
    );
    let r = s.admin(&["system", "status"]).code(0);
    assert!(
        contains_all(
            &r.stdout,
            &[
                "Vuln DB:     ready",
                "DB built:",
                "old)",
                "DB build id:",
                "DB sources:  osv ("
            ]
        ),
        "{r:#?}"
    );
    let f = s.admin(&["feeds", "status", "-o", "json"]).code(0).json();
    assert_eq!(f["database"]["stale"], false, "{f}");
    assert_eq!(f["database"]["sources"][0]["name"], "osv", "{f}");
    // Without a feed source, an update re-matches against the file as it is, and says so.
    let r = s.admin(&["feeds", "update"]).code(0);
    assert!(r.stdout.contains("no feed source is configured (--feed-url"), "{r:#?}");
}
