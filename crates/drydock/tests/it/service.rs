//! `drydock serve` and `drydock worker` end to end: real processes, a real `docker-registry`
//! on loopback, images pushed here, SQLite and PostgreSQL. Every route × every role.

use crate::common::server::*;
use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    // Adding the tag again: the same image, nothing queued.
    let (s, again) = api.admin(
        "POST",
        "/v1/images",
        Some(json!({"tag": format!("{}/fx/app:1", reg.addr)})),
    );
    assert_eq!(
        (s, &again["id"], &again["already_analysed"]),
        (200, &json!(id1), &json!(true)),
        "{again}"
    );
    // Started with --allow-no-db: the status and every check say there is no vulnerability data.
    let (_, status) = api.admin("GET", "/v1/system/status", None);
    assert_eq!(status["vulnerability_database"]["state"], "unavailable", "{status}");

    let (s, sbom) = api.admin("GET", &format!("/v1/images/{id1}/sbom?format=cyclonedx"), None);
    assert_eq!(s, 200);
    assert_eq!(sbom["bomFormat"], "CycloneDX");
    let (_, content) = api.admin("GET", &format!("/v1/images/{digest1}/content/os"), None);
    assert_eq!(content["content"][0]["name"], "tool", "found by digest: {content}");
    // Every content kind of the package-type table (the CLI's values) is served.
    for kind in drydock_ecosystem::content_kinds() {
        let (s, v) = api.admin("GET", &format!("/v1/images/{id1}/content/{kind}"), None);
        assert_eq!((s, v["content_type"].as_str()), (200, Some(kind)), "{kind}: {v}");
    }
    let (s, v) = api.admin("GET", &format!("/v1/images/{id1}/content/deb"), None);
    assert_eq!(s, 400, "{v}");
    assert!(v["error"].as_str().unwrap().contains("os, python"), "{v}");
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
    assert_eq!(check["vulnerability_data"], "unavailable", "{check}");
    assert!(
        check["evaluation"]["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["trigger"] == "vulnerability_data_unavailable"),
        "{check}"
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
    assert!(
        check["evaluation"]["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("vulnerability_data_unavailable"),
        "a bundle without the rule still says so: {check}"
    );

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
    let (s, d) = api.admin("GET", &format!("/v1/diff?from={id1}&to={id3}"), None);
    assert_eq!(s, 200, "{d}");
    assert_eq!(d["files"]["changed"], json!(["/app/marker"]), "{d}");
    assert_eq!(d["packages"]["changed"], json!([]));
    let (_, q) = api.admin("GET", "/v1/query/package?name=tool&version=1.0-1", None);
    assert_eq!(q["images"].as_array().unwrap().len(), 3, "{q}");
    let (_, q) = api.admin(
        "GET",
        "/v1/query/package?name=tool&min_version=1.0-0&max_version=1.0-2",
        None,
    );
    assert_eq!(
        q["images"].as_array().unwrap().len(),
        3,
        "dpkg order: 1.0-0 <= 1.0-1 < 1.0-2: {q}"
    );
    let (_, q) = api.admin(
        "GET",
        "/v1/query/package?name=tool&min_version=1.0-1~rc1&max_version=1.0-1",
        None,
    );
    assert_eq!(
        q["images"].as_array().unwrap().len(),
        0,
        "the upper bound is exclusive: {q}"
    );
    // A tag names the image its latest analysis found.
    let encoded = format!("{}/fx/app:1", reg.addr).replace('/', "%2F").replace(':', "%3A");
    let (s, by_tag) = api.admin("GET", &format!("/v1/images/{encoded}"), None);
    assert_eq!((s, &by_tag["id"]), (200, &img3["id"]), "{by_tag}");
    let (s, _) = api.admin("GET", &format!("/v1/images/{encoded}/vuln/all"), None);
    assert_eq!(s, 200);
    let (_, by) = api.admin("GET", &format!("/v1/images?tag={encoded}&registry={}", reg.addr), None);
    assert_eq!(
        by["images"].as_array().unwrap().len(),
        2,
        "both analyses of fx/app:1: {by}"
    );
    let (_, by) = api.admin("GET", "/v1/images?registry=elsewhere.example", None);
    assert_eq!(by["images"].as_array().unwrap().len(), 0);
    let (_, audit) = api.admin("GET", "/v1/audit", None);
    let routes: Vec<&str> = audit["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["route"].as_str().unwrap())
        .collect();
    assert!(
        routes.contains(&"/v1/images") && routes.contains(&"/v1/policies"),
        "{audit}"
    );
    assert_eq!(audit["audit"][0]["user"], "admin");
    let (s, q) = api.admin("GET", "/v1/query/vulnerability?id=CVE-2099-0001", None);
    assert_eq!((s, q["images"].as_array().map(Vec::len)), (200, Some(0)));
    // Registry credentials: sealed at rest, never returned.
    let (s, r) = api.admin(
        "POST",
        "/v1/registries",
        Some(json!({"registry": "registry.example:5000", "username": "ci", "password": "pw-secret-123"})),
    );
    assert_eq!(s, 201, "{r}");
    let (s, w) = api.admin(
        "POST",
        "/v1/webhooks",
        Some(json!({"url": "http://169.254.169.254/latest/meta-data"})),
    );
    assert_eq!(s, 400, "internal webhook destinations are refused: {w}");
    assert!(w["error"].as_str().unwrap().contains("internal address"), "{w}");
    let (_, regs) = api.admin("GET", "/v1/registries", None);
    assert_eq!(regs["registries"][0]["username"], "ci");
    assert!(!r.to_string().contains("pw-secret-123") && !regs.to_string().contains("pw-secret-123"));
    let db_bytes = std::fs::read(home.path().join("data/drydock.sqlite")).unwrap();
    let wal = std::fs::read(home.path().join("data/drydock.sqlite-wal")).unwrap_or_default();
    for bytes in [&db_bytes, &wal] {
        assert!(
            !bytes.windows(13).any(|w| w == b"pw-secret-123"),
            "password stored in clear"
        );
    }
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

#[test]
fn postgres_workers_survive_a_killed_worker() {
    let reg = Registry::start();
    reg.push("fx/app", "1", &image("pg"));
    reg.push("fx/app", "latest", &image("pg"));
    reg.push("fx/app", "2", &image("pg two"));
    let stall = Arc::new(AtomicBool::new(false));
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
                "--allow-internal-registries",
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
    let tags = [
        format!("{proxy}/fx/app:1"),
        format!("{proxy}/fx/app:2"),
        format!("{proxy}/fx/app:latest"),
    ];
    let add = |tag: &str| api.admin("POST", "/v1/images", Some(json!({ "tag": tag })));
    // fx/app:1 twice at once: one image, one job.
    let (first, second) = std::thread::scope(|s| {
        let (a, b) = (s.spawn(|| add(&tags[0])), s.spawn(|| add(&tags[0])));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(first.1["id"], second.1["id"], "{first:?} {second:?}");
    let mut statuses = [first.0, second.0];
    statuses.sort();
    assert_eq!(statuses, [200, 202]);
    let id = first.1["id"].as_str().unwrap().to_string();
    let (s, two) = add(&tags[1]);
    assert_eq!(s, 202, "{two}");
    let id2 = two["id"].as_str().unwrap().to_string();
    // Two workers claim the two jobs and stall on the registry: kill one mid-analysis.
    stall.store(true, Ordering::Relaxed);
    let mut a = worker("a");
    let _b = worker("b");
    let deadline = Instant::now() + Duration::from_secs(30);
    while [&id, &id2]
        .iter()
        .any(|i| api.admin("GET", &format!("/v1/images/{i}"), None).1["status"] != "analyzing")
    {
        assert!(Instant::now() < deadline, "the workers never claimed both jobs");
        std::thread::sleep(Duration::from_millis(50));
    }
    a.0.kill().unwrap();
    a.0.wait().unwrap();
    stall.store(false, Ordering::Relaxed);
    let img = api.analysed(&id);
    api.analysed(&id2);
    assert!(img["digest"].as_str().unwrap().starts_with("sha256:"));
    // Every image added again (and fx/app:latest, the digest of fx/app:1): nothing queued.
    for tag in &tags {
        let (s, v) = add(tag);
        assert_eq!(
            (s, &v["already_analysed"], &v["queued"]),
            (200, &json!(true), &json!(false)),
            "{tag}: {v}"
        );
    }
    let (_, v) = api.admin("GET", &format!("/v1/images/{id}"), None);
    assert_eq!(v["tags"].as_array().unwrap().len(), 2, "both tags of the digest: {v}");
    let (_, events) = api.admin("GET", "/v1/events", None);
    let done: Vec<&Value> = events["events"].as_array().unwrap().iter().collect();
    assert_eq!(done.len(), 2, "each result was stored exactly once: {done:?}");
    assert!(
        done[0]["detail"]["worker"].as_str().unwrap().contains('-'),
        "{:?}",
        done[0]
    );
    let mut c = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
    let per_digest = c
        .query(
            "SELECT i.digest, COUNT(a.image_id) FROM images i LEFT JOIN analyses a ON a.image_id = i.id GROUP BY i.digest",
            &[],
        )
        .unwrap();
    assert_eq!(per_digest.len(), 2, "one image per digest");
    for row in &per_digest {
        assert_eq!(row.get::<_, i64>(1), 1, "one analysis of {}", row.get::<_, String>(0));
    }
    let attempts: Vec<i64> = c
        .query("SELECT attempts FROM jobs WHERE state = 'done' ORDER BY attempts", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        attempts,
        [1, 2],
        "the killed worker's job was claimed again after its lease expired"
    );
}

/// One image per (account, digest) through the API, on SQLite (no `database`) or
/// PostgreSQL: concurrent adds, adding again, a second tag, `force`, a tag that moves.
fn one_image_per_digest(database: Option<&str>) {
    let reg = Registry::start();
    reg.push("fx/app", "1", &image("once"));
    reg.push("fx/app", "latest", &image("once"));
    let home = tempfile::tempdir().unwrap();
    let (_server, api) = serve(home.path(), database, 1);
    let url = database.map_or_else(
        || home.path().join("data/drydock.sqlite").display().to_string(),
        str::to_string,
    );
    let tag = format!("{}/fx/app:1", reg.addr);
    let add = |body: Value| api.admin("POST", "/v1/images", Some(body));
    let results: Vec<(u16, Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2).map(|_| s.spawn(|| add(json!({ "tag": tag })))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results[0].1["id"], results[1].1["id"], "{results:?}");
    assert_eq!(results.iter().filter(|r| r.1["new"] == true).count(), 1, "{results:?}");
    let id = results[0].1["id"].as_str().unwrap().to_string();
    let img = api.analysed(&id);
    let digest = img["digest"].as_str().unwrap().to_string();
    assert_eq!(
        results[0].1["digest"],
        digest.as_str(),
        "the digest is known at add time"
    );

    let (s, again) = add(json!({ "tag": tag }));
    assert_eq!(
        (s, &again["id"], &again["already_analysed"]),
        (200, &json!(id), &json!(true))
    );
    let (s, latest) = add(json!({"tag": format!("{}/fx/app:latest", reg.addr)}));
    assert_eq!((s, &latest["id"]), (200, &json!(id)), "{latest}");
    let (_, list) = api.admin("GET", "/v1/images", None);
    assert_eq!(list["images"].as_array().unwrap().len(), 1, "{list}");
    assert_eq!(
        list["images"][0]["tags"].as_array().unwrap().len(),
        2,
        "no tag lost: {list}"
    );

    let store = drydock_store::Store::open(&url).unwrap();
    let first_doc = store.analysis("admin", &id).unwrap().unwrap().1;
    let (s, forced) = api.admin("POST", "/v1/images?force=true", Some(json!({ "tag": tag })));
    assert_eq!(
        (s, &forced["queued"], &forced["status"]),
        (202, &json!(true), &json!("queued")),
        "{forced}"
    );
    api.analysed(&id);
    assert_eq!(store.analyses_of_digest("admin", &digest).unwrap(), 1);
    assert_ne!(
        store.analysis("admin", &id).unwrap().unwrap().1,
        first_doc,
        "the forced analysis replaced the first"
    );

    // The tag moves: a new image, and the move in the history.
    reg.push("fx/app", "1", &image("once, rebuilt"));
    let (s, moved) = add(json!({ "tag": tag }));
    assert_eq!((s, &moved["new"]), (202, &json!(true)), "{moved}");
    let moved = api.analysed(moved["id"].as_str().unwrap());
    let (_, h) = api.admin("GET", &format!("/v1/history?tag={tag}"), None);
    let digests: Vec<&str> = h["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["digest"].as_str().unwrap())
        .collect();
    assert_eq!(digests, [digest.as_str(), moved["digest"].as_str().unwrap()]);
    for d in [&digest, &moved["digest"].as_str().unwrap().to_string()] {
        assert_eq!(store.analyses_of_digest("admin", d).unwrap(), 1, "{d}");
    }
}

#[test]
fn one_image_per_digest_on_sqlite() {
    one_image_per_digest(None);
}

#[test]
fn one_image_per_digest_on_postgresql() {
    let pg = PgDb::new();
    one_image_per_digest(Some(&pg.url));
}

#[test]
fn serve_refuses_to_start_without_a_vulnerability_database() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("data");
    // An address in use: an allowed server stops there, after its warning.
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_drydock"));
        c.args(["serve", "--listen", &listen, "--data-dir", data.to_str().unwrap()])
            .args(extra)
            .env("HOME", home.path())
            .env_remove("DRYDOCK_DB")
            .env_remove("DRYDOCK_CONFIG")
            .env_remove("DRYDOCK_ALLOW_NO_DB");
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    let o = run(&[], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    for hint in [
        "no vulnerability database",
        "drydock db build --from",
        "drydock db update",
        "--feed-url",
        "--allow-no-db",
    ] {
        assert!(err.contains(hint), "{hint}: {err}");
    }
    let missing = home.path().join("missing.sqlite");
    let o = run(&["--db", missing.to_str().unwrap()], &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.code() == Some(2) && err.contains("does not exist"), "{err}");
    // Allowed (here through the environment): a loud warning, then it runs (and fails only
    // on the unusable listen address).
    let o = run(&[], &[("DRYDOCK_ALLOW_NO_DB", "1")]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("WARNING") && err.contains("vulnerability_data_unavailable"),
        "{err}"
    );
    assert!(err.contains("cannot listen"), "{err}");
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
    // Every list is paginated.
    let (_, users) = api.admin("GET", "/v1/users?limit=2&offset=2", None);
    assert_eq!(
        (users["users"].as_array().map(Vec::len), &users["total"]),
        (Some(2), &json!(8)),
        "admin, the six role users and x: {users}"
    );
    assert_eq!(api.admin("GET", "/v1/users?limit=0", None).0, 400);
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

/// A notification received by the test's webhook endpoint.
#[derive(Debug, Clone)]
struct Received {
    headers: std::collections::HashMap<String, String>,
    body: Vec<u8>,
}

/// An HTTP endpoint that records every POST and answers 200.
fn webhook_receiver() -> (String, Arc<std::sync::Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = got.clone();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut data = Vec::new();
            let mut buf = [0u8; 8192];
            let (head_end, len) = loop {
                let n = match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break (None, 0),
                    Ok(n) => n,
                };
                data.extend_from_slice(&buf[..n]);
                if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&data[..i]).to_lowercase();
                    let len = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    break (Some(i + 4), len);
                }
            };
            let Some(start) = head_end else { continue };
            while data.len() < start + len {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => data.extend_from_slice(&buf[..n]),
                }
            }
            let head = String::from_utf8_lossy(&data[..start]).to_string();
            let headers = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_lowercase(), v.trim().to_string()))
                .collect();
            let body = data[start..(start + len).min(data.len())].to_vec();
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            sink.lock().unwrap().push(Received { headers, body });
        }
    });
    (url, got)
}

/// HMAC-SHA256 (RFC 2104), written out here so the test does not trust the server's code.
fn hmac_sha256(key: &[u8], msg: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    k[..key.len()].copy_from_slice(key);
    let inner: Vec<u8> = k.iter().map(|b| b ^ 0x36).chain(msg.iter().copied()).collect();
    let inner = Sha256::digest(&inner);
    let outer: Vec<u8> = k.iter().map(|b| b ^ 0x5c).chain(inner.iter().copied()).collect();
    hex::encode(Sha256::digest(&outer))
}

/// An image with chardet 3.0.4, which the second database says is vulnerable.
fn python_image(marker: &str) -> ImageBuilder {
    let layer = LayerBuilder::new()
        .file("usr/lib/os-release", crate::common::OS_RELEASE, 0o644)
        .symlink("etc/os-release", "../usr/lib/os-release")
        .file(
            "opt/venv/lib/python3.11/site-packages/chardet-3.0.4.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: chardet\nVersion: 3.0.4\n",
            0o644,
        )
        .file("app/marker", marker.as_bytes(), 0o644);
    ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "/bin/sh -c #(nop) ADD file:y in / ")
}

fn build_db(home: &Path, out: &Path, extra: Option<&Path>) {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulndata");
    let mut args = vec![
        "db".to_string(),
        "build".into(),
        "--from".into(),
        fixtures.display().to_string(),
    ];
    if let Some(e) = extra {
        args.extend(["--from".into(), e.display().to_string()]);
    }
    args.extend(["--out".into(), out.display().to_string(), "-q".into()]);
    let o = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(&args)
        .env("HOME", home)
        .output()
        .unwrap();
    assert!(o.status.success(), "db build: {}", String::from_utf8_lossy(&o.stderr));
}

/// Waits until the receiver holds a notification of `kind` matching `pred`.
fn wait_for(got: &Arc<std::sync::Mutex<Vec<Received>>>, kind: &str, pred: impl Fn(&Value) -> bool) -> Received {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let found = got
            .lock()
            .unwrap()
            .iter()
            .find(|r| {
                r.headers.get("x-drydock-event").map(String::as_str) == Some(kind)
                    && serde_json::from_slice::<Value>(&r.body).is_ok_and(|v| pred(&v))
            })
            .cloned();
        if let Some(r) = found {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} notification: {:?}",
            got.lock().unwrap()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn watched_tags_and_database_updates_notify_subscribers() {
    watch_flow(None);
}

#[test]
fn the_same_flow_on_postgresql() {
    let pg = PgDb::new();
    watch_flow(Some(&pg.url));
}

/// Watched tags, signed webhooks, a database update and a policy change, on SQLite (no
/// `database`) or PostgreSQL.
fn watch_flow(database: Option<&str>) {
    let mut reg = Some(Registry::start());
    let addr = reg.as_ref().unwrap().addr.clone();
    reg.as_ref().unwrap().push("fx/py", "1", &python_image("first"));
    let home = tempfile::tempdir().unwrap();
    let db = home.path().join("vulndb.sqlite");
    build_db(home.path(), &db, None);
    let (_server, api) = serve_with(
        home.path(),
        database,
        1,
        &[
            "--db",
            db.to_str().unwrap(),
            "--watch-seconds",
            "1",
            "--allow-internal-webhooks",
        ],
    );
    let (_, status) = api.admin("GET", "/v1/system/status", None);
    let vdb = &status["vulnerability_database"];
    assert_eq!(
        (&vdb["state"], &vdb["available"]),
        (&json!("ready"), &json!(true)),
        "{status}"
    );
    assert!(vdb["build_id"].as_str().is_some_and(|b| !b.is_empty()), "{status}");
    assert!(vdb["status"]["builtAtUnix"].as_u64().unwrap() > 0, "{status}");
    assert!(!vdb["status"]["sources"].as_array().unwrap().is_empty(), "{status}");
    let (hook_url, got) = webhook_receiver();
    let (s, hook) = api.admin("POST", "/v1/webhooks", Some(json!({"url": hook_url})));
    assert_eq!(s, 201, "{hook}");
    let secret = hook["secret"].as_str().unwrap().to_string();
    let (_, hooks) = api.admin("GET", "/v1/webhooks", None);
    assert!(
        !hooks.to_string().contains(&secret),
        "the secret is never returned again"
    );
    let tag = format!("{addr}/fx/py:1");
    for kind in ["analysis_update", "tag_update", "vuln_update", "policy_eval"] {
        let (s, v) = api.admin("POST", "/v1/subscriptions", Some(json!({"kind": kind, "tag": tag})));
        assert_eq!(s, 201, "{v}");
    }

    // The watcher finds the tag and analyses it.
    let first = wait_for(&got, "analysis_update", |_| true);
    let expected = format!("sha256={}", hmac_sha256(secret.as_bytes(), &first.body));
    assert_eq!(
        first.headers.get("x-drydock-signature"),
        Some(&expected),
        "valid signature"
    );
    let v: Value = serde_json::from_slice(&first.body).unwrap();
    let digest1 = v["digest"].as_str().unwrap().to_string();
    assert_eq!(v["tag"], tag.as_str());

    // A new digest under the watched tag: tag_update, a new analysis, a history entry.
    reg.as_ref().unwrap().push("fx/py", "1", &python_image("second"));
    let moved = wait_for(&got, "tag_update", |v| v["old_digest"] == digest1.as_str());
    let mv: Value = serde_json::from_slice(&moved.body).unwrap();
    let digest2 = mv["new_digest"].as_str().unwrap().to_string();
    assert_ne!(digest1, digest2);
    wait_for(&got, "analysis_update", |v| v["digest"] == digest2.as_str());
    let (_, h) = api.admin("GET", &format!("/v1/history?tag={tag}"), None);
    assert_eq!(h["history"].as_array().unwrap().len(), 2, "{h}");
    let (_, list) = api.admin("GET", "/v1/images?status=analyzed", None);
    let image2 = list["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["digest"] == digest2.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Let the judge record how the image stands (WARN: runs as root, no vulnerabilities).
    std::thread::sleep(Duration::from_secs(3));
    let (_, check) = api.admin("GET", &format!("/v1/images/{image2}/check"), None);
    assert_eq!(check["evaluation"]["final_action"], "WARN", "{check}");

    // The registry goes away; the database gains an advisory for chardet 3.0.4.
    reg.take();
    std::thread::sleep(Duration::from_millis(1100));
    let extra = home.path().join("extra");
    let (osv, kev) = crate::common::extra_feeds(&extra);
    let _ = kev;
    build_db(home.path(), &db, Some(&osv));
    let vu = wait_for(&got, "vuln_update", |v| v["digest"] == digest2.as_str());
    let vv: Value = serde_json::from_slice(&vu.body).unwrap();
    assert_eq!(vv["added"], json!(["GHSA-dddd-0000-0001+chardet"]), "{vv}");
    let pe = wait_for(&got, "policy_eval", |v| v["digest"] == digest2.as_str());
    let pv: Value = serde_json::from_slice(&pe.body).unwrap();
    assert_eq!(
        (pv["previous_action"].as_str(), pv["final_action"].as_str()),
        (Some("WARN"), Some("STOP"))
    );
    let sig = format!("sha256={}", hmac_sha256(secret.as_bytes(), &pe.body));
    assert_eq!(pe.headers.get("x-drydock-signature"), Some(&sig));
    // Without re-pulling (the registry is gone), the stored analysis now has the finding.
    let (_, vuln) = api.admin("GET", &format!("/v1/images/{image2}/vuln/non-os"), None);
    assert_eq!(vuln["vulnerabilities"][0]["id"], "GHSA-dddd-0000-0001", "{vuln}");
    // The same findings in drydock scan's formats, and the check in drydock check's.
    let (s, sarif) = api.admin("GET", &format!("/v1/images/{image2}/vuln/non-os?format=sarif"), None);
    assert_eq!(s, 200);
    assert_eq!(sarif["version"], "2.1.0", "{sarif}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "GHSA-dddd-0000-0001"), "{sarif}");
    let (_, cdx) = api.admin(
        "GET",
        &format!("/v1/images/{image2}/vuln/all?format=cyclonedx-json"),
        None,
    );
    assert_eq!(cdx["bomFormat"], "CycloneDX", "{cdx}");
    let (s, junit) = api.admin("GET", &format!("/v1/images/{image2}/check?format=junit"), None);
    assert_eq!(s, 200);
    let junit = junit.as_str().unwrap();
    assert!(junit.starts_with("<?xml") && junit.contains("<testsuite"), "{junit}");
    let (s, table) = api.admin("GET", &format!("/v1/images/{image2}/check?format=table"), None);
    assert_eq!(s, 200);
    assert!(table.as_str().unwrap().contains("STOP"), "{table}");
    let (s, e) = api.admin("GET", &format!("/v1/images/{image2}/check?format=pdf"), None);
    assert_eq!(s, 400);
    assert!(e["error"].as_str().unwrap_or_default().contains("junit"), "{e}");
    // The query index follows the re-match: the images are found by the advisory's alias.
    let (_, q) = api.admin("GET", "/v1/query/vulnerability?id=CVE-2099-0001", None);
    let found: Vec<&str> = q["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["image_id"].as_str().unwrap())
        .collect();
    assert!(found.contains(&image2.as_str()) && found.len() == 2, "{q}");
    let (_, m) = api.admin("GET", "/metrics", None);
    let m = m.as_str().unwrap().to_string();
    assert!(
        m.contains("drydock_vulnerabilities{severity=\"critical\"} 2"),
        "both stored images: {m}"
    );
    assert!(m.contains("drydock_vulndb_age_seconds "), "{m}");
    // A new active policy: stored analyses are re-evaluated (no re-match) and notified.
    let lenient = json!({"id": "lenient", "version": "2",
        "rule_sets": [{"id": "rs", "rules": [{"id": "ok", "gate": "always", "trigger": "always", "action": "GO"}]}],
        "mappings": [{"id": "all", "registry": "*", "repository": "*", "image": {"type": "tag", "value": "*"}, "rule_set_ids": ["rs"]}]});
    assert_eq!(api.admin("POST", "/v1/policies", Some(lenient)).0, 201);
    let pe = wait_for(&got, "policy_eval", |v| v["final_action"] == "GO");
    let pv: Value = serde_json::from_slice(&pe.body).unwrap();
    assert_eq!(pv["previous_action"], "STOP");
    // An air-gapped drydock takes the service's database.
    let (_, k) = api.admin("POST", "/v1/apikeys", None);
    let copy = home.path().join("copy/vulndb.sqlite");
    let o = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args([
            "db",
            "update",
            "--from-url",
            &format!("{}/v1/feeds/db", api.base),
            "--db",
            copy.to_str().unwrap(),
        ])
        .env("HOME", home.path())
        .env("DRYDOCK_API_KEY", k["key"].as_str().unwrap())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let status = |db: &Path| -> Value {
        let o = Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args(["db", "status", "-o", "json", "--db", db.to_str().unwrap()])
            .env("HOME", home.path())
            .output()
            .unwrap();
        serde_json::from_slice(&o.stdout).unwrap_or(Value::Null)
    };
    assert_eq!(status(&copy)["built_at"], status(&db)["built_at"], "the same database");
    let o = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args([
            "db",
            "update",
            "--from-url",
            &format!("{}/v1/feeds/db", api.base),
            "--db",
            copy.to_str().unwrap(),
        ])
        .env("HOME", home.path())
        .env_remove("DRYDOCK_API_KEY")
        .output()
        .unwrap();
    assert!(!o.status.success() && String::from_utf8_lossy(&o.stderr).contains("401"));
    let (_, log) = api.admin("GET", "/v1/notifications", None);
    let states: Vec<&str> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["state"].as_str().unwrap())
        .collect();
    assert!(states.len() >= 5 && states.iter().all(|s| *s == "delivered"), "{log}");
}

#[test]
fn settings_come_from_flags_then_environment_then_the_config_file() {
    let home = tempfile::tempdir().unwrap();
    let (a, b, c) = (free_port(), free_port(), free_port());
    let config = home.path().join("drydock.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{a}\"\nworkers = 0\ndata_dir = \"{}\"\nwatch_seconds = 5\nallow_no_db = true\n\n[secrets]\ndisable = []\n",
            home.path().join("data").display()
        ),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    {
        let _s = drydock(&["serve", "--config", cfg], home.path());
        let api = Api::wait(format!("http://127.0.0.1:{a}"));
        assert_eq!(
            api.admin("GET", "/v1/system/status", None).0,
            200,
            "the file's listen address"
        );
    }
    assert!(home.path().join("data/drydock.sqlite").exists(), "the file's data_dir");
    {
        let _s = drydock(
            &["serve", "--config", cfg, "--listen", &format!("127.0.0.1:{b}")],
            home.path(),
        );
        Api::wait(format!("http://127.0.0.1:{b}"));
    }
    {
        let log = std::fs::File::create(home.path().join("env.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args(["serve", "--config", cfg])
            .env("HOME", home.path())
            .env("DRYDOCK_LISTEN", format!("127.0.0.1:{c}"))
            .env("DRYDOCK_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let _s = Proc(child);
        Api::wait(format!("http://127.0.0.1:{c}"));
    }
    std::fs::write(&config, "[server]\nlisten_address = \"127.0.0.1:1\"\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["serve", "--config", cfg])
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("listen_address"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn stored_registry_credentials_are_used_by_workers_and_the_tag_watcher() {
    let reg = Registry::start_with_auth("ci", "s3cret-pass");
    reg.push("fx/private", "1", &image("private"));
    let home = tempfile::tempdir().unwrap();
    let (_server, api) = serve_with(home.path(), None, 1, &["--watch-seconds", "1"]);
    let tag = format!("{}/fx/private:1", reg.addr);
    let wait = |id: &str| -> Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, v) = api.admin("GET", &format!("/v1/images/{id}"), None);
            if v["status"] == "analyzed" || v["status"] == "failed" {
                return v;
            }
            assert!(Instant::now() < deadline, "{v}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let (_, v) = api.admin("POST", "/v1/images", Some(json!({ "tag": tag })));
    let refused = wait(v["id"].as_str().unwrap());
    assert_eq!(refused["status"], "failed", "no credentials: {refused}");
    let (s, _) = api.admin(
        "POST",
        "/v1/registries",
        Some(json!({"registry": reg.addr, "username": "ci", "password": "s3cret-pass"})),
    );
    assert_eq!(s, 201);
    let (_, v) = api.admin("POST", "/v1/images", Some(json!({ "tag": tag })));
    let done = wait(v["id"].as_str().unwrap());
    assert_eq!(done["status"], "analyzed", "with the stored credentials: {done}");

    // The watcher polls the private tag with the same credentials.
    let (s, v) = api.admin(
        "POST",
        "/v1/subscriptions",
        Some(json!({"kind": "tag_update", "tag": tag})),
    );
    assert_eq!(s, 201, "{v}");
    reg.push("fx/private", "1", &image("private, rebuilt"));
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, h) = api.admin("GET", &format!("/v1/history?tag={tag}"), None);
        if h["history"].as_array().map(Vec::len) == Some(2) {
            break;
        }
        assert!(Instant::now() < deadline, "the watcher did not see the new digest: {h}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Serves one file at any path (a feed host), counting requests.
fn file_server(body: Vec<u8>) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = hits.clone();
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            counter.fetch_add(1, Ordering::Relaxed);
            let _ = s.write_all(
                format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .as_bytes(),
            );
            let _ = s.write_all(&body);
        }
    });
    (base, hits)
}

/// An image with chardet 3.0.4, urllib3 1.24.1 and jinja2 2.10 (each with an advisory).
fn three_advisories_image() -> ImageBuilder {
    let mut layer = LayerBuilder::new()
        .file("usr/lib/os-release", crate::common::OS_RELEASE, 0o644)
        .symlink("etc/os-release", "../usr/lib/os-release");
    for (name, version) in [("chardet", "3.0.4"), ("urllib3", "1.24.1"), ("jinja2", "2.10")] {
        layer = crate::common::dist_info(layer, "opt/venv/lib/python3.11/site-packages", name, version);
    }
    ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "/bin/sh -c #(nop) ADD file:z in / ")
}

fn vuln_ids(api: &Api, image: &str) -> Vec<String> {
    let (s, v) = api.admin("GET", &format!("/v1/images/{image}/vuln/all"), None);
    assert_eq!(s, 200, "{v}");
    let mut ids: Vec<String> = v["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    ids
}

/// A central drydock builds its database from the feeds of its `[db]` section (downloaded
/// over HTTP, on its own timer); an air-gapped one keeps a copy with `--feed-url` on
/// `POST /v1/feeds/update`, re-matches with its `[[ignore]]` rules and VEX document, and
/// keeps its database when the central one is gone.
#[test]
fn feed_updates_download_rebuild_and_rematch() {
    let home = tempfile::tempdir().unwrap();
    let (_, kev) = crate::common::extra_feeds(&home.path().join("extra"));
    let osv = home.path().join("extra/own-osv");
    let kev_body = std::fs::read(kev.join("known_exploited_vulnerabilities.json")).unwrap();
    let (feed_host, hits) = file_server(kev_body);
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulndata");

    // The central service: no --db; its [db] section names one downloaded feed and two local sources.
    let central_cfg = home.path().join("central.toml");
    std::fs::write(
        &central_cfg,
        format!(
            "[db]\nsources = [{{ kind = \"kev\", url = \"{feed_host}/kev/known_exploited_vulnerabilities.json\" }}]\n\
             extra_sources = [\"{}\", \"{}\"]\n",
            fixtures.display(),
            osv.display()
        ),
    )
    .unwrap();
    let central_port = free_port();
    let central_data = home.path().join("central");
    let _central = drydock(
        &[
            "serve",
            "--allow-internal-registries",
            "--listen",
            &format!("127.0.0.1:{central_port}"),
            "--data-dir",
            central_data.to_str().unwrap(),
            "--workers",
            "0",
            "--config",
            central_cfg.to_str().unwrap(),
        ],
        home.path(),
    );
    let central = Api::wait(format!("http://127.0.0.1:{central_port}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let feeds = loop {
        let (_, f) = central.admin("GET", "/v1/feeds", None);
        if f["last_update"]["result"] == "updated" {
            break f;
        }
        assert!(Instant::now() < deadline, "the central service never updated: {f}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(hits.load(Ordering::Relaxed), 1, "the feed was downloaded once");
    assert!(feeds["source"].as_str().unwrap().contains("1 feeds"), "{feeds}");
    assert!(feeds["database"]["path"]
        .as_str()
        .unwrap()
        .starts_with(central_data.to_str().unwrap()));
    let central_built = feeds["last_update"]["build_after"].clone();
    let (_, key) = central.admin("POST", "/v1/apikeys", None);

    // The air-gapped service: its own older database, an ignore rule and a VEX document.
    let reg = Registry::start();
    reg.push("fx/three", "1", &three_advisories_image());
    let db = home.path().join("edge-vulndb.sqlite");
    build_db(home.path(), &db, None);
    let edge_cfg = home.path().join("edge.toml");
    std::fs::write(
        &edge_cfg,
        "[[ignore]]\nid = \"PYSEC-2019-132\"\nreason = \"urllib3 is only used offline here\"\n",
    )
    .unwrap();
    let vex = home.path().join("edge.openvex.json");
    std::fs::write(
        &vex,
        serde_json::to_vec(&json!({
            "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/edge", "author": "t",
            "timestamp": "2024-01-01T00:00:00Z", "version": 1,
            "statements": [{"vulnerability": {"name": "CVE-2019-10906"}, "products": [{"@id": "pkg:pypi/jinja2@2.10"}],
                            "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]
        }))
        .unwrap(),
    )
    .unwrap();
    let edge_port = free_port();
    let edge_data = home.path().join("edge");
    let feed_url = format!("http://127.0.0.1:{central_port}/v1/feeds/db");
    let edge_args = [
        "serve",
        "--allow-internal-registries",
        "--listen",
        &format!("127.0.0.1:{edge_port}"),
        "--data-dir",
        edge_data.to_str().unwrap(),
        "--workers",
        "1",
        "--db",
        db.to_str().unwrap(),
        "--config",
        edge_cfg.to_str().unwrap(),
        "--vex",
        vex.to_str().unwrap(),
        "--feed-url",
        &feed_url,
        "--feed-seconds",
        "0",
    ];
    // Credentials in the URL would show in the feed status: refused with the way to give them.
    let o = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["serve", "--data-dir", edge_data.to_str().unwrap()])
        .args([
            "--feed-url",
            &format!("http://admin:secret@127.0.0.1:{central_port}/v1/feeds/db"),
        ])
        .env("HOME", home.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.code() == Some(2) && err.contains("DRYDOCK_FEED_API_KEY"),
        "{err}"
    );
    let log = std::fs::File::create(home.path().join("edge.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(edge_args)
        .env("HOME", home.path())
        .env("DRYDOCK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("DRYDOCK_FEED_API_KEY", key["key"].as_str().unwrap())
        .env_remove("DRYDOCK_DB")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let mut edge_proc = Some(Proc(child));
    let edge = Api::wait(format!("http://127.0.0.1:{edge_port}"));
    let (s, img) = edge.admin(
        "POST",
        "/v1/images",
        Some(json!({"tag": format!("{}/fx/three:1", reg.addr)})),
    );
    assert_eq!(s, 202, "{img}");
    let id = img["id"].as_str().unwrap().to_string();
    edge.analysed(&id);
    // Matched by the worker: urllib3's advisory ignored, jinja2's not_affected by VEX.
    assert_eq!(
        vuln_ids(&edge, &id),
        Vec::<String>::new(),
        "ignore rule and VEX applied by the worker"
    );
    let (_, v) = edge.admin("GET", &format!("/v1/images/{id}/vuln/all"), None);
    let mut suppressed: Vec<(&str, &str)> = v["suppressed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["finding"]["package"]["name"].as_str().unwrap(),
                s["reason"]["kind"].as_str().unwrap(),
            )
        })
        .collect();
    suppressed.sort();
    assert_eq!(suppressed, [("jinja2", "vex"), ("urllib3", "ignored")], "{v}");
    let (_, f) = edge.admin("GET", "/v1/feeds", None);
    assert_eq!(f["source"], format!("mirror of {feed_url}").as_str(), "{f}");
    assert!(
        f["last_update"].is_null(),
        "no periodic update with --feed-seconds 0: {f}"
    );

    // Update now: the central database is copied, stored analyses re-matched with the same rules.
    let (s, u) = edge.admin("POST", "/v1/feeds/update", None);
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["update"]["result"], "updated", "{u}");
    assert_eq!(u["update"]["build_after"], central_built, "{u}");
    assert_eq!(vuln_ids(&edge, &id), vec!["GHSA-dddd-0000-0001".to_string()]);
    let (s, u) = edge.admin("POST", "/v1/feeds/update", None);
    assert_eq!((s, u["update"]["result"].as_str()), (200, Some("unchanged")), "{u}");

    // The client says the same.
    let client = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_drydock"))
            .args(args)
            .env("HOME", home.path())
            .env("DRYDOCK_URL", &edge.base)
            .env("DRYDOCK_USER", "admin")
            .env("DRYDOCK_PASSWORD", ADMIN_PASSWORD)
            .output()
            .unwrap()
    };
    let o = client(&["feeds", "status"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains(&format!("mirror of {feed_url}")) && out.contains("unchanged"),
        "{out}"
    );

    // The central service goes away: the update fails, says why, and the database stays —
    // in the background and while the client waits.
    drop(_central);
    let o = client(&["feeds", "update", "--no-wait"]);
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("started"),
        "{o:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, f) = edge.admin("GET", "/v1/feeds", None);
        if f["last_update"]["result"] == "failed" {
            break;
        }
        assert!(Instant::now() < deadline, "the background update never failed: {f}");
        std::thread::sleep(Duration::from_millis(100));
    }
    let o = client(&["feeds", "update"]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("cannot download") && err.contains("previous database"),
        "{err}"
    );
    let (_, f) = edge.admin("GET", "/v1/feeds", None);
    assert_eq!(f["last_update"]["result"], "failed", "{f}");
    assert_eq!(f["last_update"]["build_after"], central_built, "{f}");
    assert_eq!(vuln_ids(&edge, &id), vec!["GHSA-dddd-0000-0001".to_string()]);
    edge_proc.take();
}

/// Answers every connection with `answer(path)` (status line and headers, empty body), then
/// closes it; counts connections.
fn tiny_server(answer: impl Fn(&str) -> String + Send + 'static) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let hits = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = hits.clone();
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            h.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 8192];
            let n = conn.read(&mut buf).unwrap_or(0);
            let head = String::from_utf8_lossy(&buf[..n]).into_owned();
            let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
            let _ = conn.write_all(answer(&path).as_bytes());
        }
    });
    (addr, hits)
}

#[test]
fn image_adds_cannot_make_the_server_reach_internal_addresses() {
    let reg = Registry::start();
    reg.push("fx/app", "1", &image("internal"));
    let home = tempfile::tempdir().unwrap();
    let (_server, api) = serve_with(home.path(), None, 1, &["--no-internal-registries"]);
    let wait = |tag: &str| -> Value {
        let (s, v) = api.admin("POST", "/v1/images", Some(json!({ "tag": tag })));
        assert!(s < 300, "{v}");
        let id = v["id"].as_str().unwrap().to_string();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let (_, v) = api.admin("GET", &format!("/v1/images/{id}"), None);
            if v["status"] == "analyzed" || v["status"] == "failed" {
                return v;
            }
            assert!(Instant::now() < deadline, "{v}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    // A loopback registry is refused, with a message saying what to do.
    let refused = wait(&format!("{}/fx/app:1", reg.addr));
    assert_eq!(refused["status"], "failed", "{refused}");
    let text = refused.to_string();
    assert!(text.contains("is an internal address"), "{text}");
    assert!(text.contains("--allow-internal-registries"), "{text}");

    // An internal service that must never be reached, and a configured registry that
    // redirects to it (by address and by name).
    let (internal, hits) = tiny_server(|_| {
        "HTTP/1.1 200 OK\r\nContent-Length: 21\r\nConnection: close\r\n\r\nINTERNAL-SECRET-VALUE".into()
    });
    let port = internal.rsplit(':').next().unwrap().to_string();
    for target in [
        format!("http://127.0.0.2:{port}/x"),
        format!("http://localhost:{port}/x"),
    ] {
        let t = target.clone();
        let (redirecting, _) = tiny_server(move |path| {
            if path.starts_with("/v2/fx") {
                format!("HTTP/1.1 307 Temporary Redirect\r\nLocation: {t}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            } else {
                "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".into()
            }
        });
        let (s, v) = api.admin(
            "POST",
            "/v1/registries",
            Some(json!({"registry": redirecting, "username": "u", "password": "p"})),
        );
        assert_eq!(s, 201, "{v}");
        let failed = wait(&format!("{redirecting}/fx/app:1"));
        assert_eq!(failed["status"], "failed", "{failed}");
        let text = failed.to_string();
        assert!(text.contains("a redirect was refused"), "{target}: {text}");
        assert!(!text.contains("INTERNAL-SECRET"), "{text}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the internal service was reached");

    // Once the registry is configured for the account, its host may be internal.
    let (s, v) = api.admin(
        "POST",
        "/v1/registries",
        Some(json!({"registry": reg.addr, "username": "u", "password": "p"})),
    );
    assert_eq!(s, 201, "{v}");
    let done = wait(&format!("{}/fx/app:1", reg.addr));
    assert_eq!(done["status"], "analyzed", "{done}");
}

/// Every by-id write of one account's resource by another account's administrator answers
/// 404 (as for an id that does not exist) and changes nothing; the owner can still act.
#[test]
fn every_by_id_write_checks_the_owning_account() {
    let home = tempfile::tempdir().unwrap();
    let (_server, api) = serve(home.path(), None, 0);
    for (name, role, account) in [
        ("a-admin", "account-admin", "acct-a"),
        ("a-user", "read-write", "acct-a"),
        ("b-admin", "account-admin", "acct-b"),
    ] {
        let (s, v) = api.admin(
            "POST",
            "/v1/users",
            Some(json!({"name": name, "password": "password-123", "role": role, "account": account})),
        );
        assert_eq!(s, 201, "{v}");
    }
    let a = Some(("a-admin", "password-123"));
    let b = Some(("b-admin", "password-123"));
    let bundle = json!({"id": "pa", "rule_sets": [{"id": "rs", "rules": []}],
        "mappings": [{"id": "m", "registry": "*", "repository": "*", "image": {"type": "tag", "value": "*"}, "rule_set_ids": ["rs"]}]});
    // Account A's resources, one of each kind.
    let (s, key) = api.call("POST", "/v1/apikeys", Some(("a-user", "password-123")), None);
    assert_eq!(s, 201, "{key}");
    let key_id = key["id"].as_str().unwrap().to_string();
    let (s, img) = api.call("POST", "/v1/images", a, Some(json!({"tag": "127.0.0.1:1/none:1"})));
    assert!(s == 202 || s == 200, "{img}");
    let image_id = img["id"].as_str().unwrap().to_string();
    let (s, sub) = api.call(
        "POST",
        "/v1/subscriptions",
        a,
        Some(json!({"kind": "tag_update", "tag": "127.0.0.1:1/none:1"})),
    );
    assert_eq!(s, 201, "{sub}");
    let sub_id = sub["id"].as_str().unwrap().to_string();
    let (s, hook) = api.call(
        "POST",
        "/v1/webhooks",
        a,
        Some(json!({"url": "http://93.184.216.34/hook"})),
    );
    assert_eq!(s, 201, "{hook}");
    let hook_id = hook["id"].as_str().unwrap().to_string();
    let (s, v) = api.call(
        "POST",
        "/v1/registries",
        a,
        Some(json!({"registry": "reg.example:5000", "username": "u", "password": "p"})),
    );
    assert_eq!(s, 201, "{v}");
    assert_eq!(api.call("POST", "/v1/policies", a, Some(bundle.clone())).0, 201);

    let writes = [
        ("DELETE", format!("/v1/apikeys/{key_id}")),
        ("DELETE", "/v1/users/a-user".to_string()),
        ("DELETE", format!("/v1/images/{image_id}")),
        ("DELETE", format!("/v1/subscriptions/{sub_id}")),
        ("DELETE", format!("/v1/webhooks/{hook_id}")),
        ("DELETE", "/v1/registries/reg.example:5000".to_string()),
        ("DELETE", "/v1/policies/pa".to_string()),
        ("POST", "/v1/policies/pa/activate".to_string()),
    ];
    for (method, path) in &writes {
        let (s, v) = api.call(method, path, b, None);
        assert_eq!(s, 404, "B's admin {method} {path}: {v}");
    }
    // PUT of the same policy id makes B's own policy; A's stays as it was.
    let mut other = bundle.clone();
    other["name"] = json!("b's");
    assert!(api.call("PUT", "/v1/policies/pa", b, Some(other)).0 < 300);
    let (_, pol) = api.call("GET", "/v1/policies/pa", a, None);
    assert!(pol["name"].is_null() || pol["name"] != "b's", "{pol}");

    // Nothing of A's changed: the key still works, everything is still listed.
    assert_eq!(
        api.call(
            "GET",
            "/v1/images",
            Some(("bearer", key["key"].as_str().unwrap())),
            None
        )
        .0,
        200,
        "A's key was not revoked"
    );
    let listed = |path: &str| api.call("GET", path, a, None).1.to_string();
    assert!(listed("/v1/users").contains("a-user"));
    assert!(listed("/v1/images").contains(&image_id));
    assert!(listed("/v1/subscriptions").contains(&sub_id));
    assert!(listed("/v1/webhooks").contains(&hook_id));
    assert!(listed("/v1/registries").contains("reg.example:5000"));
    assert!(listed("/v1/policies").contains("\"pa\""));
    // B's failed attempts are in B's audit log, none in A's.
    let (_, audit_a) = api.call("GET", "/v1/audit", a, None);
    assert!(!audit_a.to_string().contains("b-admin"), "{audit_a}");
    // A's administrator may do every one of these writes.
    for (method, path) in &writes {
        let (s, v) = api.call(method, path, a, None);
        assert!(
            s == 204 || (path.ends_with("/activate") && s == 404),
            "A's admin {method} {path}: {s} {v}"
        );
    }
}

/// A client bound to another loopback address.
fn client_from(ip: &str) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

#[test]
fn logins_lock_out_per_address_cache_briefly_and_unknown_users_cost_the_same() {
    let home = tempfile::tempdir().unwrap();
    let (_server, api) = serve(home.path(), None, 0);
    let get = |c: &reqwest::blocking::Client, user: &str, pw: &str| {
        c.get(format!("{}/v1/images", api.base))
            .basic_auth(user, Some(pw))
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    let (s, v) = api.admin(
        "POST",
        "/v1/users",
        Some(json!({"name": "known", "password": "password-123", "role": "read-only"})),
    );
    assert_eq!(s, 201, "{v}");
    let here = client_from("127.0.0.1");
    let elsewhere = client_from("127.0.0.2");
    // Someone guessing the admin's password from one address...
    for _ in 0..12 {
        get(&here, "admin", "guess");
    }
    assert_eq!(get(&here, "admin", ADMIN_PASSWORD), 429, "that address is refused");
    // ...does not lock the admin out from elsewhere.
    assert_eq!(get(&elsewhere, "admin", ADMIN_PASSWORD), 200);

    // An unknown user takes as long to refuse as a known one with a wrong password.
    let time = |user: &str| {
        let mut t: Vec<Duration> = (0..3)
            .map(|_| {
                let start = Instant::now();
                assert_eq!(get(&elsewhere, user, "wrong-password"), 401);
                start.elapsed()
            })
            .collect();
        t.sort();
        t[1]
    };
    let (known, unknown) = (time("known"), time("nobody-at-all"));
    assert!(
        unknown * 3 >= known,
        "unknown user refused in {unknown:?}, known in {known:?}: the difference tells who exists"
    );

    // A cached login ends with its user.
    assert_eq!(get(&elsewhere, "known", "password-123"), 200);
    assert_eq!(get(&elsewhere, "known", "password-123"), 200);
    let gone = elsewhere
        .delete(format!("{}/v1/users/known", api.base))
        .basic_auth("admin", Some(ADMIN_PASSWORD))
        .send()
        .unwrap();
    assert_eq!(gone.status().as_u16(), 204);
    assert_eq!(get(&elsewhere, "known", "password-123"), 401);
}

/// Forwards to `target`; while `stall` is set, a request for a blob waits (a slow image).
fn blob_stalling_proxy(target: String, stall: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let (target, stall) = (target.clone(), stall.clone());
            std::thread::spawn(move || {
                let Ok(up) = TcpStream::connect(&target) else { return };
                let (mut a, mut b) = (conn.try_clone().unwrap(), up.try_clone().unwrap());
                let t = std::thread::spawn(move || {
                    let mut buf = [0u8; 16384];
                    while let Ok(n) = a.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        if buf[..n].windows(7).any(|w| w == b"/blobs/") {
                            while stall.load(Ordering::Relaxed) {
                                std::thread::sleep(Duration::from_millis(20));
                            }
                        }
                        if b.write_all(&buf[..n]).is_err() {
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

#[test]
fn serve_stops_on_sigterm_mid_analysis_and_the_job_goes_back_to_the_queue() {
    let reg = Registry::start();
    reg.push("fx/slow", "1", &image("slow"));
    let stall = Arc::new(AtomicBool::new(true));
    let proxy = blob_stalling_proxy(reg.addr.clone(), stall.clone());
    let home = tempfile::tempdir().unwrap();
    let (mut server, api) = serve(home.path(), None, 1);
    let (s, v) = api.admin("POST", "/v1/images", Some(json!({"tag": format!("{proxy}/fx/slow:1")})));
    assert_eq!(s, 202, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let deadline = Instant::now() + Duration::from_secs(30);
    while api.admin("GET", &format!("/v1/images/{id}"), None).1["status"] != "analyzing" {
        assert!(Instant::now() < deadline, "the worker never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    let st = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let exit = loop {
        if let Some(s) = server.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "serve did not stop on SIGTERM mid-analysis"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = started.elapsed();
    stall.store(false, Ordering::Relaxed);
    assert!(took < Duration::from_secs(8), "stopping took {took:?}");
    assert!(exit.success(), "{exit:?}");
    // The job is claimable again at once (the 3-second lease need not expire first).
    let db = home.path().join("data/drydock.sqlite");
    let store = drydock_store::Store::open(db.to_str().unwrap()).unwrap();
    assert_eq!(store.queue_depth().unwrap(), (1, 0), "queued again, not running");
    let job = store.claim_job("probe", 600).unwrap().expect("claimable");
    assert_eq!(job.image_id, id);
    let log = std::fs::read_to_string(home.path().join("drydock.log")).unwrap();
    assert!(log.contains("back in the queue"), "{log}");
}

#[test]
fn the_server_bounds_connections_and_slow_clients_and_keeps_its_files_private() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("drydock.toml");
    std::fs::write(
        &config,
        "[server]\nmax_connections = 4\nheader_timeout_seconds = 2\nallow_no_db = true\n",
    )
    .unwrap();
    let (_server, api) = serve_with(home.path(), None, 0, &["--config", config.to_str().unwrap()]);
    let addr = api.base.trim_start_matches("http://").to_string();

    // A client that never finishes its headers is cut off.
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let start = Instant::now();
    let mut buf = [0u8; 512];
    let n = slow.read(&mut buf).unwrap_or(0);
    assert!(
        start.elapsed() < Duration::from_secs(6),
        "held for {:?}",
        start.elapsed()
    );
    assert!(
        n == 0 || String::from_utf8_lossy(&buf[..n]).contains("408"),
        "{n} bytes"
    );

    // Four idle connections take every slot: a fifth request waits until the idle ones
    // time out, then is served.
    let idle: Vec<TcpStream> = (0..4).map(|_| TcpStream::connect(&addr).unwrap()).collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut fifth = TcpStream::connect(&addr).unwrap();
    let start = Instant::now();
    fifth
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    fifth.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut answer = String::new();
    let _ = fifth.read_to_string(&mut answer);
    let waited = start.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    assert!(
        waited > Duration::from_millis(1000) && waited < Duration::from_secs(8),
        "served after {waited:?}"
    );
    drop(idle);

    // /metrics: service health for everyone, every account's findings totals for admins only.
    api.admin(
        "POST",
        "/v1/users",
        Some(json!({"name": "viewer", "password": "password-123", "role": "read-only", "account": "other"})),
    );
    let (s, m) = api.call("GET", "/metrics", Some(("viewer", "password-123")), None);
    assert_eq!(s, 200);
    let m = m.as_str().unwrap().to_string();
    assert!(
        m.contains("drydock_queue_jobs") && !m.contains("drydock_vulnerabilities"),
        "{m}"
    );
    let (_, m) = api.admin("GET", "/metrics", None);
    assert!(m.as_str().unwrap().contains("# TYPE drydock_vulnerabilities gauge"));

    // The database, its WAL and the key file are the service user's alone.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let data = home.path().join("data");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700);
        let mut files = 0;
        for e in std::fs::read_dir(&data).unwrap().flatten() {
            if e.file_type().unwrap().is_file() {
                files += 1;
                assert_eq!(mode(&e.path()), 0o600, "{}", e.path().display());
            }
        }
        assert!(files >= 2, "the database and the key file at least");
    }
}

#[test]
fn a_worker_stops_on_sigterm_mid_analysis_and_its_job_goes_back_on_postgresql() {
    let reg = Registry::start();
    reg.push("fx/slow", "1", &image("slow pg"));
    let stall = Arc::new(AtomicBool::new(true));
    let proxy = blob_stalling_proxy(reg.addr.clone(), stall.clone());
    let pg = PgDb::new();
    let home = tempfile::tempdir().unwrap();
    let (_server, api) = serve(home.path(), Some(&pg.url), 0);
    let (s, v) = api.admin("POST", "/v1/images", Some(json!({"tag": format!("{proxy}/fx/slow:1")})));
    assert_eq!(s, 202, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let wh = home.path().join("w");
    std::fs::create_dir_all(&wh).unwrap();
    // A long lease: only the release can make the job claimable soon.
    let mut worker = drydock(
        &[
            "worker",
            "--allow-internal-registries",
            "--database",
            &pg.url,
            "--data-dir",
            wh.to_str().unwrap(),
            "--lease-seconds",
            "600",
        ],
        &wh,
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while api.admin("GET", &format!("/v1/images/{id}"), None).1["status"] != "analyzing" {
        assert!(Instant::now() < deadline, "the worker never started");
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_millis(500));
    let started = Instant::now();
    assert!(Command::new("kill")
        .args(["-TERM", &worker.0.id().to_string()])
        .status()
        .unwrap()
        .success());
    while worker.0.try_wait().unwrap().is_none() {
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "the worker did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "stopping took {:?}",
        started.elapsed()
    );
    stall.store(false, Ordering::Relaxed);
    assert_eq!(
        api.admin("GET", &format!("/v1/images/{id}"), None).1["status"],
        "queued"
    );
    // Another worker analyses it now, long before the first one's lease would have expired.
    let wh2 = home.path().join("w2");
    std::fs::create_dir_all(&wh2).unwrap();
    let _next = drydock(
        &[
            "worker",
            "--allow-internal-registries",
            "--database",
            &pg.url,
            "--data-dir",
            wh2.to_str().unwrap(),
        ],
        &wh2,
    );
    api.analysed(&id);
}
