//! `drydock serve` and `drydock worker` end to end: real processes, a real `docker-registry`
//! on loopback, images pushed here, SQLite and PostgreSQL. Every route × every role.

use drydock_image::fixture::{ImageBuilder, LayerBuilder, Storage};
use reqwest::blocking::Client;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN_PASSWORD: &str = "admin-password-1";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A `docker-registry` of our own on a free loopback port.
struct Registry {
    child: Child,
    addr: String,
    _dir: tempfile::TempDir,
}

impl Registry {
    fn start() -> Registry {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let addr = format!("127.0.0.1:{}", free_port());
            let config = format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {addr}\n  secret: test\n",
                dir.path().join("data").display()
            );
            std::fs::write(dir.path().join("config.yml"), config).unwrap();
            let mut child = Command::new("docker-registry")
                .arg("serve")
                .arg(dir.path().join("config.yml"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("docker-registry is installed (apt-get install docker-registry)");
            let deadline = Instant::now() + Duration::from_secs(15);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if reqwest::blocking::get(format!("http://{addr}/v2/")).is_ok_and(|r| r.status().is_success()) {
                    return Registry { child, addr, _dir: dir };
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("docker-registry did not start");
    }

    /// Pushes an image as `repo:tag` (monolithic blob uploads, then the manifest).
    fn push(&self, repo: &str, tag: &str, img: &ImageBuilder) {
        let c = Client::new();
        for (digest, bytes) in img.blobs() {
            let r = c
                .post(format!("http://{}/v2/{repo}/blobs/uploads/", self.addr))
                .send()
                .unwrap();
            assert_eq!(r.status(), 202, "start upload");
            let loc = r.headers()["location"].to_str().unwrap().to_string();
            let url = if loc.starts_with("http") {
                loc
            } else {
                format!("http://{}{loc}", self.addr)
            };
            let sep = if url.contains('?') { '&' } else { '?' };
            let r = c
                .put(format!("{url}{sep}digest={digest}"))
                .header("content-type", "application/octet-stream")
                .body(bytes)
                .send()
                .unwrap();
            assert_eq!(r.status(), 201, "upload {digest}");
        }
        let r = c
            .put(format!("http://{}/v2/{repo}/manifests/{tag}", self.addr))
            .header("content-type", "application/vnd.oci.image.manifest.v1+json")
            .body(img.manifest_json())
            .send()
            .unwrap();
        assert_eq!(r.status(), 201, "push manifest");
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A small Debian-like image: os-release, a dpkg package, a planted secret; `marker`
/// makes digests differ.
fn image(marker: &str) -> ImageBuilder {
    let token = format!("ghp_{}", "Qw3Er5Ty7".repeat(4));
    let layer = LayerBuilder::new()
        .file(
            "etc/os-release",
            b"ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
            0o644,
        )
        .file("etc/passwd", b"root:x:0:0:root:/root:/bin/bash\n", 0o644)
        .file(
            "var/lib/dpkg/status",
            b"Package: tool\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\n",
            0o644,
        )
        .file("app/.env", format!("GITHUB_TOKEN={token}\n").as_bytes(), 0o600)
        .file("app/marker", marker.as_bytes(), 0o644);
    ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "/bin/sh -c #(nop) ADD file:x in / ")
}

/// A drydock process (serve or worker), killed on drop.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn drydock(args: &[&str], home: &Path) -> Proc {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(home.join("drydock.log"))
        .unwrap();
    Proc(
        Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args(args)
            .env("HOME", home)
            .env("DRYDOCK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("DRYDOCK_LOG", "info")
            .env_remove("DRYDOCK_DB")
            .env_remove("DRYDOCK_CONFIG")
            .env_remove("DRYDOCK_DATABASE")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("drydock runs"),
    )
}

/// A running server and a client for it.
struct Api {
    base: String,
    client: Client,
}

impl Api {
    fn wait(base: String) -> Api {
        let client = Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if client
                .get(format!("{base}/ready"))
                .send()
                .is_ok_and(|r| r.status().is_success())
            {
                return Api { base, client };
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("drydock serve did not become ready at {base}");
    }

    fn call(&self, method: &str, path: &str, auth: Option<(&str, &str)>, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "GET" => self.client.get(url),
            "POST" => self.client.post(url),
            "PUT" => self.client.put(url),
            "DELETE" => self.client.delete(url),
            m => panic!("method {m}"),
        };
        match auth {
            Some(("bearer", key)) => req = req.bearer_auth(key),
            Some((u, p)) => req = req.basic_auth(u, Some(p)),
            None => {}
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().expect("request");
        let status = r.status().as_u16();
        let text = r.text().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(method, path, Some(("admin", ADMIN_PASSWORD)), body)
    }

    /// Waits until the image is analysed (or failed); returns it.
    fn analysed(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let (s, v) = self.admin("GET", &format!("/v1/images/{id}"), None);
            assert_eq!(s, 200, "{v}");
            match v["status"].as_str() {
                Some("analyzed") => return v,
                Some("failed") => panic!("analysis failed: {v}"),
                _ if Instant::now() > deadline => panic!("analysis did not finish: {v}"),
                _ => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }
}

fn serve(home: &Path, database: Option<&str>, workers: usize) -> (Proc, Api) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let data = home.join("data");
    let workers = workers.to_string();
    let mut args = vec![
        "serve",
        "--listen",
        &listen,
        "--data-dir",
        data.to_str().unwrap(),
        "--workers",
        &workers,
        "--lease-seconds",
        "3",
    ];
    if let Some(db) = database {
        args.extend(["--database", db]);
    }
    let p = drydock(&args, home);
    (p, Api::wait(format!("http://{listen}")))
}

#[test]
fn sqlite_service_end_to_end() {
    let reg = Registry::start();
    let home = tempfile::tempdir().unwrap();
    reg.push("fx/app", "1", &image("one"));
    reg.push("fx/app", "2", &image("two"));
    let (server, api) = serve(home.path(), None, 1);

    let (s, _) = api.call("GET", "/v1/images", None, None);
    assert_eq!(s, 401, "authentication required");
    let (s, v) = api.admin(
        "POST",
        "/v1/images",
        Some(json!({"tag": format!("{}/fx/app:1", reg.addr)})),
    );
    assert_eq!(s, 202, "{v}");
    let id1 = v["id"].as_str().unwrap().to_string();
    let (_, v) = api.admin(
        "POST",
        "/v1/images",
        Some(json!({"tag": format!("{}/fx/app:2", reg.addr)})),
    );
    let id2 = v["id"].as_str().unwrap().to_string();
    let img1 = api.analysed(&id1);
    api.analysed(&id2);
    let digest1 = img1["digest"].as_str().unwrap().to_string();
    assert!(digest1.starts_with("sha256:"));

    let (s, sbom) = api.admin("GET", &format!("/v1/images/{id1}/sbom?format=cyclonedx"), None);
    assert_eq!(s, 200);
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    let (_, content) = api.admin("GET", &format!("/v1/images/{digest1}/content/os"), None);
    assert_eq!(content["content"][0]["name"], "tool", "found by digest: {content}");
    let (s, secrets) = api.admin("GET", &format!("/v1/images/{id1}/secrets"), None);
    assert_eq!(s, 200);
    assert_eq!(secrets["secrets"][0]["rule_id"], "github-pat");
    assert!(!secrets.to_string().contains("Qw3Er5Ty7Qw3"), "redacted");
    let (s, check) = api.admin("GET", &format!("/v1/images/{id1}/check"), None);
    assert_eq!(s, 200, "{check}");
    assert_eq!(
        check["evaluation"]["final_action"], "STOP",
        "the default bundle stops secrets"
    );
    let (s, vuln) = api.admin("GET", &format!("/v1/images/{id1}/vuln/all"), None);
    assert_eq!(s, 200);
    assert!(vuln["note"].as_str().unwrap().contains("no vulnerability database"));

    // A policy of our own, activated: only the root user warns.
    let bundle = json!({
        "id": "warn-root", "name": "root only", "version": "2",
        "rule_sets": [{"id": "rs", "rules": [{"id": "root", "gate": "dockerfile", "trigger": "effective_user", "action": "WARN",
            "params": [{"name": "users", "value": "root"}, {"name": "type", "value": "denylist"}]}]}],
        "mappings": [{"id": "all", "registry": "*", "repository": "*", "image": {"type": "tag", "value": "*"}, "rule_set_ids": ["rs"]}]
    });
    assert_eq!(api.admin("POST", "/v1/policies", Some(bundle)).0, 201);
    let (s, bad) = api.admin("POST", "/v1/policies", Some(json!({"id": "bad", "rule_sets": [{"id": "x", "rules": [{"gate": "nope", "trigger": "t", "action": "STOP"}]}], "mappings": []})));
    assert_eq!(s, 400);
    assert!(
        bad["error"].as_str().unwrap().contains("unknown gate \"nope\""),
        "{bad}"
    );
    let (_, check) = api.admin("GET", &format!("/v1/images/{id1}/check"), None);
    assert_eq!(check["policy"], "warn-root");
    assert_eq!(check["evaluation"]["final_action"], "WARN");

    // The tag moves to a new digest: a new analysis and a second history entry.
    reg.push("fx/app", "1", &image("one, rebuilt"));
    let (_, v) = api.admin(
        "POST",
        "/v1/images",
        Some(json!({"tag": format!("{}/fx/app:1", reg.addr)})),
    );
    let id3 = v["id"].as_str().unwrap().to_string();
    let img3 = api.analysed(&id3);
    assert_ne!(img3["digest"], img1["digest"]);
    let (_, h) = api.admin("GET", &format!("/v1/history?tag={}/fx/app:1", reg.addr), None);
    let digests: Vec<&str> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["digest"].as_str().unwrap())
        .collect();
    assert_eq!(digests, [digest1.as_str(), img3["digest"].as_str().unwrap()]);
    let (_, events) = api.admin("GET", "/v1/events", None);
    assert_eq!(
        events["events"].as_array().unwrap().len(),
        3,
        "one analysis_update per analysis"
    );
    let (_, m) = api.admin("GET", "/metrics", None);
    let m = m.as_str().unwrap().to_string();
    assert!(m.contains("drydock_analyses_total{result=\"stored\"} 3"), "{m}");
    assert!(
        m.contains("drydock_http_requests_total{method=\"POST\",route=\"/v1/images\",status=\"202\"} 3"),
        "{m}"
    );

    // Restart: everything is still there.
    drop(server);
    let (_server, api) = serve(home.path(), None, 1);
    let (_, list) = api.admin("GET", "/v1/images?status=analyzed", None);
    assert_eq!(list["images"].as_array().unwrap().len(), 3);
    let (_, check) = api.admin("GET", &format!("/v1/images/{id1}/check"), None);
    assert_eq!(check["evaluation"]["final_action"], "WARN");
    assert_eq!(api.admin("DELETE", &format!("/v1/images/{id2}"), None).0, 204);
    assert_eq!(api.admin("GET", &format!("/v1/images/{id2}/sbom"), None).0, 404);
}

/// Forwards connections to the registry; while `stall` is set, new connections wait.
fn stalling_proxy(target: String, stall: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let (target, stall) = (target.clone(), stall.clone());
            std::thread::spawn(move || {
                while stall.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let Ok(up) = TcpStream::connect(&target) else { return };
                let (mut a, mut b) = (conn.try_clone().unwrap(), up.try_clone().unwrap());
                let t = std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = a.read(&mut buf) {
                        if n == 0 || b.write_all(&buf[..n]).is_err() {
                            break;
                        }
                    }
                    let _ = b.shutdown(std::net::Shutdown::Write);
                });
                let (mut up, mut conn) = (up, conn);
                let mut buf = [0u8; 16384];
                while let Ok(n) = up.read(&mut buf) {
                    if n == 0 || conn.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = conn.shutdown(std::net::Shutdown::Write);
                let _ = t.join();
            });
        }
    });
    addr
}

/// A fresh PostgreSQL database (127.0.0.1:5432, trust auth), dropped afterwards.
struct PgDb {
    name: String,
    url: String,
}

impl PgDb {
    fn new() -> PgDb {
        let admin = "postgres://postgres@127.0.0.1:5432/postgres";
        let mut c = postgres::Client::connect(admin, postgres::NoTls).expect("PostgreSQL runs on 127.0.0.1:5432");
        let name = format!("drydock_svc_{}", std::process::id());
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .unwrap();
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        PgDb {
            url: format!("postgres://postgres@127.0.0.1:5432/{name}"),
            name,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect("postgres://postgres@127.0.0.1:5432/postgres", postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

#[test]
fn postgres_workers_survive_a_killed_worker() {
    let reg = Registry::start();
    reg.push("fx/app", "1", &image("pg"));
    let stall = Arc::new(AtomicBool::new(true));
    let proxy = stalling_proxy(reg.addr.clone(), stall.clone());
    let pg = PgDb::new();
    let home = tempfile::tempdir().unwrap();
    let (_server, api) = serve(home.path(), Some(&pg.url), 0);
    let worker = |name: &str| {
        let h = home.path().join(name);
        std::fs::create_dir_all(&h).unwrap();
        drydock(
            &[
                "worker",
                "--database",
                &pg.url,
                "--data-dir",
                h.to_str().unwrap(),
                "--lease-seconds",
                "3",
            ],
            &h,
        )
    };
    let mut a = worker("a");
    let (_, v) = api.admin("POST", "/v1/images", Some(json!({"tag": format!("{proxy}/fx/app:1")})));
    let id = v["id"].as_str().unwrap().to_string();
    // Worker A claims the job and stalls on the registry: kill it mid-analysis.
    let deadline = Instant::now() + Duration::from_secs(30);
    while api.admin("GET", &format!("/v1/images/{id}"), None).1["status"] != "analyzing" {
        assert!(Instant::now() < deadline, "worker A never claimed the job");
        std::thread::sleep(Duration::from_millis(50));
    }
    a.0.kill().unwrap();
    a.0.wait().unwrap();
    stall.store(false, Ordering::Relaxed);
    let _b = worker("b");
    let img = api.analysed(&id);
    assert!(img["digest"].as_str().unwrap().starts_with("sha256:"));
    let (_, events) = api.admin("GET", "/v1/events", None);
    let done: Vec<&Value> = events["events"].as_array().unwrap().iter().collect();
    assert_eq!(done.len(), 1, "the result was stored exactly once: {done:?}");
    assert!(
        done[0]["detail"]["worker"].as_str().unwrap().contains('-'),
        "{:?}",
        done[0]
    );
    let mut c = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    let row = c
        .query_one("SELECT attempts, state FROM jobs WHERE image_id = $1", &[&id])
        .unwrap();
    let (attempts, state): (i64, String) = (row.get(0), row.get(1));
    assert_eq!(
        (attempts, state.as_str()),
        (2, "done"),
        "claimed again after the lease expired"
    );
}

#[test]
fn every_route_and_every_role() {
    use drydock_server::api::ROUTES;
    use drydock_server::auth::{Perm, ROLES};
    let home = tempfile::tempdir().unwrap();
    let (_server, api) = serve(home.path(), None, 0);
    for role in ROLES {
        let (s, v) = api.admin(
            "POST",
            "/v1/users",
            Some(json!({"name": format!("u-{}", role.as_str()), "password": "password-123", "role": role.as_str(), "account": "team"})),
        );
        assert_eq!(s, 201, "{v}");
    }
    let bundle = json!({"id": "p", "rule_sets": [{"id": "rs", "rules": []}],
        "mappings": [{"id": "m", "registry": "*", "repository": "*", "image": {"type": "tag", "value": "*"}, "rule_set_ids": ["rs"]}]});
    for spec in ROUTES {
        let path = spec
            .path
            .replace("{id}", "p")
            .replace("{kind}", "all")
            .replace("{name}", "nobody");
        let body = match (spec.method, spec.path) {
            ("POST", "/v1/images") => Some(json!({"tag": "127.0.0.1:1/none:1"})),
            ("POST", "/v1/policies") | ("PUT", "/v1/policies/{id}") => Some(bundle.clone()),
            ("POST", "/v1/users") => Some(json!({"name": "x", "password": "password-123", "role": "read-only"})),
            ("POST", "/v1/accounts") => Some(json!({"name": "acct"})),
            _ => None,
        };
        let (anon, _) = api.call(spec.method, &path, None, body.clone());
        if spec.perm == Perm::Public {
            assert!(anon < 400, "{} {} is public: {anon}", spec.method, spec.path);
            continue;
        }
        assert_eq!(anon, 401, "{} {} without credentials", spec.method, spec.path);
        let (bad, _) = api.call(spec.method, &path, Some(("u-admin", "wrong-password")), body.clone());
        assert!(
            bad == 401 || bad == 429,
            "{} {} with a wrong password: {bad}",
            spec.method,
            spec.path
        );
        for role in ROLES {
            let user = format!("u-{}", role.as_str());
            let (status, v) = api.call(spec.method, &path, Some((&user, "password-123")), body.clone());
            let allowed = match spec.perm {
                Perm::Public | Perm::Authenticated => true,
                p => role.allows(p),
            };
            if allowed {
                assert!(
                    status != 401 && status != 403,
                    "{} {} as {}: expected allowed, got {status} {v}",
                    spec.method,
                    spec.path,
                    role.as_str()
                );
            } else {
                assert_eq!(status, 403, "{} {} as {}: {v}", spec.method, spec.path, role.as_str());
            }
        }
    }
    // API keys authenticate as their user; revoked keys do not.
    let (s, k) = api.call("POST", "/v1/apikeys", Some(("u-read-only", "password-123")), None);
    assert_eq!(s, 201);
    let key = k["key"].as_str().unwrap().to_string();
    assert_eq!(api.call("GET", "/v1/images", Some(("bearer", &key)), None).0, 200);
    assert_eq!(
        api.call("POST", "/v1/policies", Some(("bearer", &key)), Some(bundle.clone()))
            .0,
        403
    );
    let kid = k["id"].as_str().unwrap();
    assert_eq!(
        api.call("DELETE", &format!("/v1/apikeys/{kid}"), Some(("bearer", &key)), None)
            .0,
        204
    );
    assert_eq!(api.call("GET", "/v1/images", Some(("bearer", &key)), None).0, 401);
    // Accounts isolate: team users do not see the admin account's policies.
    api.admin("POST", "/v1/policies", Some(json!({"id": "admin-only", "rule_sets": [{"id": "rs", "rules": []}],
        "mappings": [{"id": "m", "registry": "*", "repository": "*", "image": {"type": "tag", "value": "*"}, "rule_set_ids": ["rs"]}]})));
    let (_, list) = api.call("GET", "/v1/policies", Some(("u-read-only", "password-123")), None);
    assert!(!list.to_string().contains("admin-only"), "{list}");
    // Repeated failures are refused for a while.
    for _ in 0..12 {
        api.call("GET", "/v1/images", Some(("u-read-write", "nope")), None);
    }
    assert_eq!(
        api.call("GET", "/v1/images", Some(("u-read-write", "password-123")), None)
            .0,
        429
    );
}
