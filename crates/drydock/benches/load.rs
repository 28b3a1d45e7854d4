//! Load figures for the service, printed (timed with `Instant`; nothing is asserted):
//! `cargo bench -p drydock --bench load [-- analyses|auth-burst]` (`scripts/load.sh` runs
//! the first). Needs docker-registry and PostgreSQL on 127.0.0.1:5432, like the tests.
//!
//! - `analyses`: N images analysed through a real registry — analyses per minute with 1 and
//!   with 4 workers on PostgreSQL, and with the SQLite default — then concurrent clients on
//!   the list and get routes: requests per second and latency percentiles. `LOAD_IMAGES`
//!   (default 1000), `LOAD_CLIENTS` (default 16) and `LOAD_BIG_FILES` tune it.
//! - `auth-burst`: 1,000 concurrent basic-auth requests on loopback: the server's peak RSS
//!   and the p50/p99 latency.
//!
//! The service harness is the integration tests' own (`tests/it/common`).

#[path = "../tests/it/common/mod.rs"]
mod common;

use common::server::*;
use reqwest::blocking::Client;
use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not: then there is
    // nothing to check, and minutes of load to skip.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        println!("load: figures only; run `cargo bench -p drydock --bench load`");
        return;
    }
    let parts: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |part: &str| parts.is_empty() || parts.contains(&part);
    if wants("analyses") {
        load();
    }
    if wants("auth-burst") {
        basic_auth_burst();
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Adds every tag and waits until all are analysed; returns analyses per minute.
fn analyse_all(api: &Api, tags: &[String]) -> f64 {
    let start = Instant::now();
    for t in tags {
        let (s, v) = api.admin("POST", "/v1/images", Some(json!({ "tag": t })));
        assert_eq!(s, 202, "{v}");
    }
    loop {
        let (_, st) = api.admin("GET", "/v1/system/status", None);
        if st["queue"]["queued"] == 0 && st["queue"]["running"] == 0 {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(3600), "analyses did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
    tags.len() as f64 / start.elapsed().as_secs_f64() * 60.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The analyses and read-load figures.
fn load() {
    let n = env("LOAD_IMAGES", 1000);
    let clients = env("LOAD_CLIENTS", 16);
    let reg = Registry::start();
    let base = image("load");
    for i in 0..n {
        let _ = &base;
        reg.push("load/app", &format!("t{i}"), &image(&format!("image {i}")));
    }
    let tags: Vec<String> = (0..n).map(|i| format!("{}/load/app:t{i}", reg.addr)).collect();
    println!("pushed {n} images");

    // PostgreSQL: serve without workers, then 1 and 4 worker processes.
    for workers in [1usize, 4] {
        let pg = PgDb::new();
        let home = tempfile::tempdir().unwrap();
        let (_server, api) = serve(home.path(), Some(&pg.url), 0);
        let h = home.path().join("w");
        std::fs::create_dir_all(&h).unwrap();
        let w = workers.to_string();
        let _w = drydock(
            &[
                "worker",
                "--allow-internal-registries",
                "--database",
                &pg.url,
                "--data-dir",
                h.to_str().unwrap(),
                "--workers",
                &w,
            ],
            &h,
        );
        let sample = &tags[..n.min(200)];
        let rate = analyse_all(&api, sample);
        println!(
            "postgres, {workers} worker(s): {rate:.0} analyses/min ({} images)",
            sample.len()
        );
        if workers == 4 {
            read_load(&api, "postgres", sample.len(), clients, &["list", "get", "vuln"]);
        }
    }

    // SQLite default: one process, one worker, all images; then the read load.
    let home = tempfile::tempdir().unwrap();
    let (_server, api) = serve(home.path(), None, 1);
    let rate = analyse_all(&api, &tags);
    println!("sqlite, 1 worker: {rate:.0} analyses/min ({n} images)");
    read_load(&api, "sqlite", n, clients, &["list", "get", "vuln", "content"]);
    drop(_server);

    // One big analysis document (many files and packages): the vulnerability route with the
    // parsed-document cache and without it.
    let files = env("LOAD_BIG_FILES", 30000);
    reg.push("load/big", "1", &big_image(files));
    let big = format!("{}/load/big:1", reg.addr);
    for cache in ["256", "0"] {
        let home = tempfile::tempdir().unwrap();
        let (_server, api) = serve_with(home.path(), None, 1, &["--analysis-cache-mb", cache]);
        analyse_all(&api, std::slice::from_ref(&big));
        let (_, files_json) = api.admin("GET", &format!("/v1/images/{}/content/files", ids_of(&api)[0]), None);
        println!(
            "big image: {files} files, content/files response {:.1} MB",
            files_json.to_string().len() as f64 / 1e6
        );
        read_load(
            &api,
            &format!("sqlite, analysis cache {cache} MiB"),
            1,
            clients,
            &["vuln"],
        );
    }
}

/// An image with `files` small files and 500 Python packages.
fn big_image(files: usize) -> drydock_test_support::fixture::ImageBuilder {
    use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
    let mut layer = LayerBuilder::new().file("usr/lib/os-release", common::OS_RELEASE, 0o644);
    for i in 0..500 {
        layer = common::dist_info(layer, "usr/lib/python3/dist-packages", &format!("pkg{i}"), "1.0");
    }
    for i in 0..files {
        layer = layer.file(
            &format!("srv/data/{}/f{i}.txt", i % 100),
            format!("file {i}\n").as_bytes(),
            0o644,
        );
    }
    ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "/bin/sh -c #(nop) ADD file:big in / ")
}

fn ids_of(api: &Api) -> Vec<String> {
    let (_, list) = api.admin("GET", "/v1/images?limit=500", None);
    list["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// `clients` concurrent clients on each route for 10 s; prints requests per second and
/// latency percentiles.
fn read_load(api: &Api, label: &str, n: usize, clients: usize, routes: &[&str]) {
    let (s, k) = api.admin("POST", "/v1/apikeys", None);
    assert_eq!(s, 201);
    let key = k["key"].as_str().unwrap().to_string();
    let ids = ids_of(api);
    for route in routes {
        let duration = Duration::from_secs(10);
        let started = Instant::now();
        let lat: Vec<f64> = std::thread::scope(|scope| {
            let hs: Vec<_> = (0..clients)
                .map(|c| {
                    let (key, ids, base) = (key.clone(), ids.clone(), api_base(api));
                    scope.spawn(move || {
                        let client = Client::builder().pool_max_idle_per_host(1).build().unwrap();
                        let mut lat = Vec::new();
                        let mut i = c;
                        while started.elapsed() < duration {
                            let id = &ids[i % ids.len()];
                            let url = match *route {
                                "list" => format!("{base}/v1/images?limit=100&offset={}", (i * 100) % n.max(1)),
                                "get" => format!("{base}/v1/images/{id}"),
                                "vuln" => format!("{base}/v1/images/{id}/vuln/all"),
                                _ => format!("{base}/v1/images/{id}/content/all"),
                            };
                            let t = Instant::now();
                            let r = client.get(url).bearer_auth(&key).send().unwrap();
                            assert!(r.status().is_success());
                            let _ = r.bytes();
                            lat.push(t.elapsed().as_secs_f64() * 1000.0);
                            i += clients;
                        }
                        lat
                    })
                })
                .collect();
            hs.into_iter().flat_map(|h| h.join().unwrap()).collect()
        });
        let mut sorted = lat.clone();
        sorted.sort_by(f64::total_cmp);
        println!(
            "{label}: {route}: {clients} clients, {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms ({} requests, {n} images stored)",
            lat.len() as f64 / started.elapsed().as_secs_f64(),
            percentile(&sorted, 0.5),
            percentile(&sorted, 0.99),
            lat.len()
        );
    }
}

/// Measures 1,000 concurrent basic-auth requests on loopback: the server's peak RSS and the
/// p50/p99 latency. `DRYDOCK_BENCH_BIN` names another drydock binary to compare with,
/// `DRYDOCK_BENCH_N` fewer requests (at most 1,000).
fn basic_auth_burst() {
    use base64::Engine as _;
    let home = tempfile::tempdir().unwrap();
    let bin = std::env::var("DRYDOCK_BENCH_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_drydock").to_string());
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let data = home.path().join("data");
    let child = Command::new(&bin)
        .args([
            "serve",
            "--listen",
            &listen,
            "--data-dir",
            data.to_str().unwrap(),
            "--workers",
            "0",
            "--allow-no-db",
        ])
        .env("HOME", home.path())
        .env("DRYDOCK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let server = Proc(child);
    let _api = Api::wait(format!("http://{listen}"));
    let pid = server.0.id();
    let status = |field: &str| -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        s.lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    let rss_before = status("VmRSS:");
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("admin:{ADMIN_PASSWORD}"));
    let n: usize = std::env::var("DRYDOCK_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .clamp(1, 1000);
    let barrier = Arc::new(std::sync::Barrier::new(n));
    let started = Instant::now();
    let handles: Vec<_> = (0..n)
        .map(|_| {
            let (listen, auth, barrier) = (listen.clone(), auth.clone(), barrier.clone());
            std::thread::Builder::new()
                .stack_size(64 * 1024)
                .spawn(move || {
                    barrier.wait();
                    let t = Instant::now();
                    let Ok(mut c) = TcpStream::connect(&listen) else {
                        return (t.elapsed(), 0);
                    };
                    let _ = c.set_read_timeout(Some(Duration::from_secs(60)));
                    let req = format!(
                        "GET /v1/system/status HTTP/1.1\r\nHost: x\r\nAuthorization: Basic {auth}\r\nConnection: close\r\n\r\n"
                    );
                    let _ = c.write_all(req.as_bytes());
                    let mut out = String::new();
                    let _ = c.read_to_string(&mut out);
                    let code = out.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
                    (t.elapsed(), code)
                })
                .unwrap()
        })
        .collect();
    let mut results: Vec<(Duration, u16)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let wall = started.elapsed();
    results.sort();
    let ok = results.iter().filter(|r| r.1 == 200).count();
    let pct = |p: f64| results[((results.len() as f64 * p) as usize).min(results.len() - 1)].0;
    println!(
        "{bin}\n  {n} concurrent basic-auth requests: {ok} answered 200, wall {wall:.2?}, p50 {:.2?}, p99 {:.2?}, max {:.2?}\n  server RSS before {} MiB, peak {} MiB",
        pct(0.5),
        pct(0.99),
        results.last().unwrap().0,
        rss_before / 1024,
        status("VmHWM:") / 1024
    );
}
