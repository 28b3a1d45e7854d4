//! A running `drydock serve` for tests: drydock processes killed on drop, a JSON client
//! checking every answer against the OpenAPI document; the registry and PostgreSQL
//! harnesses of drydock-test-support re-exported.
#![allow(dead_code)]

pub use drydock_test_support::postgres::PgDb;
pub use drydock_test_support::registry::{free_port, Registry};

use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use reqwest::blocking::Client;
use serde_json::Value;
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "admin-password-1";

/// A small Debian-like image: os-release, a dpkg package, a planted secret; a non-empty
/// `marker` (written to /app/marker) makes digests differ.
pub fn image(marker: &str) -> ImageBuilder {
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
        .file("app/.env", format!("GITHUB_TOKEN={token}\n").as_bytes(), 0o600);
    let layer = if marker.is_empty() {
        layer
    } else {
        layer.file("app/marker", marker.as_bytes(), 0o644)
    };
    ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "/bin/sh -c #(nop) ADD file:x in / ")
}

/// A drydock process (serve or worker), killed on drop.
pub struct Proc(pub Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn drydock(args: &[&str], home: &Path) -> Proc {
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
pub struct Api {
    pub base: String,
    pub client: Client,
}

impl Api {
    pub fn wait(base: String) -> Api {
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

    pub fn call(&self, method: &str, path: &str, auth: Option<(&str, &str)>, body: Option<Value>) -> (u16, Value) {
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
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        check_documented(method, path, status, &body);
        (status, body)
    }

    pub fn admin(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.call(method, path, Some(("admin", ADMIN_PASSWORD)), body)
    }

    /// Waits until the image is analysed (or failed); returns it.
    pub fn analysed(&self, id: &str) -> Value {
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

pub fn serve(home: &Path, database: Option<&str>, workers: usize) -> (Proc, Api) {
    serve_with(home, database, workers, &[])
}

/// [`serve`] with more flags. A server given no vulnerability database (`--db`, `--feed-url`
/// or a `--config` that may name feeds) is started with `--allow-no-db`; every server is
/// started with `--allow-internal-registries` (the test registries are on loopback) unless
/// `extra` holds `--no-internal-registries` (dropped; the default policy then applies).
pub fn serve_with(home: &Path, database: Option<&str>, workers: usize, extra: &[&str]) -> (Proc, Api) {
    let strict = extra.contains(&"--no-internal-registries");
    let mut extra: Vec<&str> = extra
        .iter()
        .copied()
        .filter(|a| *a != "--no-internal-registries")
        .collect();
    if !strict {
        extra.push("--allow-internal-registries");
    }
    let extra = extra.as_slice();
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
    args.extend(extra);
    if !extra.iter().any(|a| ["--db", "--feed-url", "--config"].contains(a)) {
        args.push("--allow-no-db");
    }
    let p = drydock(&args, home);
    (p, Api::wait(format!("http://{listen}")))
}

/// The base URL of a running server.
pub fn api_base(api: &Api) -> String {
    api.base.clone()
}

/// Every response the tests see must be what `/v1/openapi.json` documents: a success status
/// listed for the route with a body of its schema, or an error body.
pub fn check_documented(method: &str, path: &str, status: u16, body: &Value) {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(drydock_server::openapi::document);
    let full_path = path;
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    let op = doc["paths"].as_object().unwrap().iter().find_map(|(template, item)| {
        let t: Vec<&str> = template.split('/').collect();
        let fits = t.len() == segments.len()
            && t.iter()
                .zip(&segments)
                .all(|(a, b)| a == b || (a.starts_with('{') && !b.is_empty()));
        fits.then(|| &item[method.to_lowercase()]).filter(|o| o.is_object())
    });
    let Some(op) = op else {
        panic!("{method} {path} is not in the OpenAPI document");
    };
    // A report in one of drydock's own formats (format=sarif, junit, …) is that format's
    // document, not the API's JSON: its own tests check it.
    if full_path.contains("format=") && !full_path.contains("format=api") {
        return;
    }
    let schema = if status >= 400 {
        if !body.is_object() {
            return;
        }
        serde_json::json!({"$ref": "#/components/schemas/Error"})
    } else {
        let resp = &op["responses"][status.to_string()];
        assert!(
            resp.is_object(),
            "{method} {path} answered {status}, which the OpenAPI document does not list"
        );
        match resp["content"]["application/json"]["schema"].clone() {
            Value::Null => return,
            s => s,
        }
    };
    if let Err(e) = conforms(doc, &schema, body, "body") {
        panic!("{method} {path} ({status}) does not match the OpenAPI document: {e}\n{body}");
    }
}

/// A small JSON Schema check: $ref, allOf, nullable, enum, type, required, properties, items.
fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or_default();
        let target = &doc["components"]["schemas"][name];
        if target.is_null() {
            return Err(format!("{at}: dangling reference {r}"));
        }
        return conforms(doc, target, v, at);
    }
    if v.is_null() && schema["nullable"] == true {
        return Ok(());
    }
    if let Some(all) = schema["allOf"].as_array() {
        return all.iter().try_for_each(|s| conforms(doc, s, v, at));
    }
    if let Some(e) = schema["enum"].as_array() {
        if !e.contains(v) {
            return Err(format!("{at}: {v} is not one of {e:?}"));
        }
    }
    let kind_ok = match schema["type"].as_str() {
        Some("object") => v.is_object(),
        Some("array") => v.is_array(),
        Some("string") => v.is_string(),
        Some("integer") => v.is_i64() || v.is_u64(),
        Some("number") => v.is_number(),
        Some("boolean") => v.is_boolean(),
        _ => true,
    };
    if !kind_ok {
        return Err(format!("{at}: {v} is not of type {}", schema["type"]));
    }
    if let Some(o) = v.as_object() {
        for r in schema["required"].as_array().into_iter().flatten() {
            let r = r.as_str().unwrap_or_default();
            if !o.contains_key(r) {
                return Err(format!("{at}: required property {r} missing"));
            }
        }
        for (k, s) in schema["properties"].as_object().into_iter().flatten() {
            if let Some(x) = o.get(k) {
                conforms(doc, s, x, &format!("{at}.{k}"))?;
            }
        }
    }
    if let (Some(items), Some(a)) = (schema.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            conforms(doc, items, x, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}
