//! `drydock sbom sbom:FILE`: SBOMs from other tools read instead of an image.

use serde_json::Value;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../drydock-sbom/tests/fixtures/decode")
        .join(name)
}

fn drydock(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("DRYDOCK_LOG")
        .output()
        .expect("run drydock")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "drydock failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

/// (type, name, version, purl) of every package, in output order.
fn packages(doc: &Value) -> Vec<(String, String, String, String)> {
    doc["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let s = |k: &str| p[k].as_str().unwrap_or_default().to_string();
            (s("type"), s("name"), s("version"), s("purl"))
        })
        .collect()
}

fn row(t: &str, n: &str, v: &str, p: &str) -> (String, String, String, String) {
    (t.into(), n.into(), v.into(), p.into())
}

#[test]
fn cyclonedx_input_gives_native_json() {
    let path = fixture("cyclonedx-1.5.json");
    let source = format!("sbom:{}", path.display());
    let doc = json_of(&drydock(&["sbom", &source, "-q", "-o", "json"]));
    assert_eq!(doc["image"]["source"]["scheme"], "sbom");
    assert_eq!(doc["image"]["source"]["input"], source.as_str());
    assert_eq!(doc["image"]["source"]["reference"], "alpine:3.20");
    assert_eq!(doc["distro"]["id"], "alpine");
    assert_eq!(doc["distro"]["version_id"], "3.20.3");
    assert_eq!(
        packages(&doc),
        vec![
            row(
                "apk",
                "busybox",
                "1.36.1-r29",
                "pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64"
            ),
            row(
                "apk",
                "musl",
                "1.2.5-r0",
                "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3"
            ),
            row("python", "requests", "2.31.0", "pkg:pypi/requests@2.31.0"),
            row("npm", "body-parser", "1.20.1", "pkg:npm/body-parser@1.20.1"),
            row("npm", "express", "4.18.2", "pkg:npm/express@4.18.2"),
            row("rust-crate", "serde", "1.0.200", "pkg:cargo/serde@1.0.200"),
            row("binary", "weird", "", ""),
        ]
    );
    let musl = &doc["packages"][1];
    assert_eq!(musl["licenses"][0], "MIT");
    assert_eq!(musl["architecture"], "x86_64");
    assert_eq!(musl["id"].as_str().map(str::len), Some(16));
    // Entries that could not be read are reported, not fatal.
    let warnings = doc["warnings"].as_array().expect("warnings");
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .ends_with("$.components[7]: a component without a name; skipped")),
        "{warnings:?}"
    );
}

#[test]
fn syft_input_converts_to_every_format() {
    let path = fixture("syft.json");
    let source = format!("sbom:{}", path.display());
    let dir = tempfile::tempdir().unwrap();
    let cdx = dir.path().join("out.cdx.json");
    let spdx = dir.path().join("out.spdx.json");
    let out = drydock(&[
        "sbom",
        &source,
        "-q",
        "-o",
        "json",
        "-o",
        &format!("cyclonedx-json={}", cdx.display()),
        "-o",
        &format!("spdx-json={}", spdx.display()),
    ]);
    let doc = json_of(&out);
    let pkgs = packages(&doc);
    assert_eq!(pkgs.len(), 7, "{pkgs:?}");
    assert!(pkgs.contains(&row(
        "deb",
        "bsdutils",
        "1:2.38.1-5+deb12u3",
        "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5%2Bdeb12u3"
    )));
    assert!(pkgs.contains(&row(
        "java-archive",
        "bson",
        "3.6.3",
        "pkg:maven/org.mongodb.bson/bson@3.6.3"
    )));
    assert!(pkgs.contains(&row(
        "go-module",
        "github.com/docker/distribution/cmd/registry",
        "v2.8.2+ds1",
        "pkg:golang/github.com/docker/distribution@v2.8.2%2Bds1#cmd/registry"
    )));
    let bsdutils = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "bsdutils")
        .unwrap();
    assert_eq!(bsdutils["source_name"], "util-linux");
    assert_eq!(bsdutils["locations"][1]["path"], "/var/lib/dpkg/status");
    assert_eq!(bsdutils["locations"][1]["layer"], 1);
    assert_eq!(doc["distro"]["version_codename"], "bookworm");
    assert_eq!(doc["image"]["source"]["reference"], "docker.io/fx/bookworm:rich");
    let kinds: Vec<&str> = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 3);
    for k in ["depends-on", "ownership-by-files", "contains"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }

    // The same packages in the standard formats.
    let cdx: Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    let names: Vec<&str> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "library")
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 7, "{names:?}");
    assert!(names.contains(&"@ampproject/remapping"));
    let spdx: Value = serde_json::from_slice(&std::fs::read(&spdx).unwrap()).unwrap();
    assert!(spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "certifi" && p["versionInfo"] == "2018.8.24"));

    // And the CycloneDX drydock wrote reads back to the same packages.
    let again = json_of(&drydock(&[
        "sbom",
        &format!("sbom:{}", dir.path().join("out.cdx.json").display()),
        "-q",
        "-o",
        "json",
    ]));
    assert_eq!(packages(&again), pkgs);
}

#[test]
fn standard_input_is_read_with_sbom_dash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["sbom", "sbom:-", "-q", "-o", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run drydock");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&std::fs::read(fixture("spdx-2.3.json")).unwrap())
        .unwrap();
    let doc = json_of(&child.wait_with_output().unwrap());
    let names: Vec<String> = packages(&doc).into_iter().map(|p| p.1).collect();
    assert_eq!(names, ["libssl3", "openssl", "lodash", "mystery"]);
}

#[test]
fn missing_and_foreign_files_are_clear_errors() {
    let out = drydock(&["sbom", "sbom:/nonexistent/x.cdx.json", "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot read SBOM file /nonexistent/x.cdx.json"), "{err}");
    assert!(err.contains("hint: check the path"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("package.json");
    std::fs::write(&other, br#"{"name": "app", "version": "1.0.0", "dependencies": {}}"#).unwrap();
    let out = drydock(&["sbom", &format!("sbom:{}", other.display()), "-q"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("not a recognised SBOM (top-level keys: dependencies, name, version)"),
        "{err}"
    );
    assert!(err.contains("hint: sbom:FILE takes a JSON SBOM"), "{err}");

    let out = drydock(&["sbom", &format!("sbom:{}", dir.path().display()), "-q"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is a directory"));
}
