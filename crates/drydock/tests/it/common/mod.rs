//! Shared by the scan and check tests: a database built from real OSV records
//! (tests/fixtures/vulndata) plus records made here, and an image built in code.
#![allow(dead_code)]

pub mod server;
pub mod webdriver;

use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const OS_RELEASE: &[u8] =
    b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
pub const VENV: &str = "opt/venv/lib/python3.11/site-packages";

pub fn dist_info(layer: LayerBuilder, dir: &str, name: &str, version: &str) -> LayerBuilder {
    layer.file(
        &format!("{dir}/{name}-{version}.dist-info/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").as_bytes(),
        0o644,
    )
}

pub fn image_tar(dir: &Path) -> PathBuf {
    let path = dir.join("img.tar");
    scan_image().write_docker_archive(&path, "fx/scan:test").unwrap();
    path
}

/// The image [`image_tar`] writes: a Python virtualenv with vulnerable and fixed packages.
pub fn scan_image() -> ImageBuilder {
    let mut layer = LayerBuilder::new()
        .file("usr/lib/os-release", OS_RELEASE, 0o644)
        .symlink("etc/os-release", "../usr/lib/os-release");
    for (name, version) in [
        ("requests", "2.20.0"),
        ("urllib3", "1.24.1"),
        ("chardet", "3.0.4"),
        ("idna", "2.7"),
        ("PyYAML", "5.3"),
    ] {
        layer = dist_info(layer, VENV, name, version);
    }
    // Not vulnerable: past every range.
    layer = dist_info(layer, "usr/local/lib/python3.11/site-packages", "requests", "2.32.3");
    ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "ADD rootfs.tar /")
}

/// Records made here, in OSV's format: a critical one with a fix (and a KEV entry), and one
/// with no fix.
pub fn extra_feeds(dir: &Path) -> (PathBuf, PathBuf) {
    let osv = dir.join("own-osv");
    std::fs::create_dir_all(&osv).unwrap();
    let rec = |id: &str, cve: &str, pkg: &str, events: Value, severity: Value| {
        json!({
            "schema_version": "1.6.0", "id": id, "modified": "2024-03-01T00:00:00Z", "published": "2024-02-01T00:00:00Z",
            "aliases": [cve], "summary": format!("{pkg} test vulnerability"),
            "affected": [{"package": {"ecosystem": "PyPI", "name": pkg}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}],
            "severity": severity,
        })
    };
    let critical = rec(
        "GHSA-dddd-0000-0001",
        "CVE-2099-0001",
        "chardet",
        json!([{"introduced": "0"}, {"fixed": "4.0.0"}]),
        json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]),
    );
    let unfixed = rec(
        "GHSA-dddd-0000-0002",
        "CVE-2099-0002",
        "idna",
        json!([{"introduced": "0"}]),
        json!([{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:N/A:N"}]),
    );
    std::fs::write(
        osv.join("GHSA-dddd-0000-0001.json"),
        serde_json::to_vec_pretty(&critical).unwrap(),
    )
    .unwrap();
    std::fs::write(
        osv.join("GHSA-dddd-0000-0002.json"),
        serde_json::to_vec_pretty(&unfixed).unwrap(),
    )
    .unwrap();
    let kev = dir.join("kev");
    std::fs::create_dir_all(&kev).unwrap();
    let catalog = json!({
        "title": "CISA Catalog of Known Exploited Vulnerabilities", "catalogVersion": "2024.03.01",
        "dateReleased": "2024-03-01T12:00:00.000Z", "count": 1,
        "vulnerabilities": [{
            "cveID": "CVE-2099-0001", "vendorProject": "chardet", "product": "chardet",
            "vulnerabilityName": "chardet test vulnerability", "dateAdded": "2024-03-01",
            "shortDescription": "test", "requiredAction": "Apply updates.", "dueDate": "2024-03-22",
            "knownRansomwareCampaignUse": "Unknown", "notes": "", "cwes": []
        }]
    });
    std::fs::write(
        kev.join("known_exploited_vulnerabilities.json"),
        serde_json::to_vec_pretty(&catalog).unwrap(),
    )
    .unwrap();
    (osv, kev)
}

pub fn drydock(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env("DRYDOCK_CACHE_DIR", home.join("cache"))
        .env("HOME", home)
        .env_remove("DRYDOCK_DB")
        .env_remove("DRYDOCK_CONFIG")
        .env_remove("XDG_DATA_HOME")
        .env_remove("XDG_CONFIG_HOME")
        .output()
        .expect("drydock runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub struct Setup {
    pub dir: tempfile::TempDir,
    pub db: String,
    pub image: String,
}

pub fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulndata");
    let (osv, kev) = extra_feeds(dir.path());
    let db = dir.path().join("vulndb.sqlite");
    let out = drydock(
        &[
            "db",
            "build",
            "--from",
            fixtures.to_str().unwrap(),
            "--from",
            osv.to_str().unwrap(),
            "--from",
            kev.to_str().unwrap(),
            "--out",
            db.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "db build failed: {}", stderr(&out));
    let image = format!("docker-archive:{}", image_tar(dir.path()).display());
    Setup {
        db: db.display().to_string(),
        dir,
        image,
    }
}

pub fn scan(s: &Setup, extra: &[&str]) -> Output {
    let mut args = vec!["scan", &s.image, "--db", &s.db];
    args.extend_from_slice(extra);
    drydock(&args, s.dir.path())
}

pub fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "drydock failed: {}", stderr(out));
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}
