//! `drydock inspect` end to end on an image built here, with made-up secrets in two layers
//! (one deleted by the upper layer). No value below is a real credential.

use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Made-up token bodies, built at run time so no token-shaped literal sits in the source.
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

struct Secrets {
    github: String,
    gitlab: String,
    stripe: String,
    pem_body: String,
}

fn secrets() -> Secrets {
    Secrets {
        github: format!("{}{}", "ghp_", body(36, 1)),
        gitlab: format!("{}{}", "glpat-", body(20, 2)),
        stripe: format!("{}{}", "sk_live_", body(30, 3)),
        pem_body: (0..4).map(|i| body(64, 10 + i)).collect::<Vec<_>>().join("\n"),
    }
}

fn image(dir: &Path, s: &Secrets) -> PathBuf {
    let env = format!("# app settings\nLOG_LEVEL=debug\nGITHUB_TOKEN={}\n", s.github);
    let key = format!(
        "-----BEGIN OPENSSH PRIVATE KEY-----\n{}\n-----END OPENSSH PRIVATE KEY-----\n",
        s.pem_body
    );
    // package.json is kept whole for the npm cataloger: scanned from the tree, not in the pass.
    let package = format!(
        "{{\n  \"name\": \"app\",\n  \"version\": \"1.0.0\",\n  \"config\": {{\n    \"deployToken\": \"{}\"\n  }}\n}}\n",
        s.gitlab
    );
    let base = LayerBuilder::new()
        .file("app/.env", env.as_bytes(), 0o644)
        .file("app/package.json", package.as_bytes(), 0o644)
        .file("root/.ssh/id_ed25519", key.as_bytes(), 0o600)
        .file("usr/share/doc/tool/README", s.github.as_bytes(), 0o644)
        .file("usr/bin/tool", format!("\x7fELF\0\0{}", s.stripe).as_bytes(), 0o755);
    let upper = LayerBuilder::new().whiteout("root/.ssh/id_ed25519").file(
        "srv/billing.conf",
        format!("stripe_key = {}\n", s.stripe).as_bytes(),
        0o640,
    );
    let img = ImageBuilder::new()
        .layer(base.finish(), Storage::Gzip, "COPY . /")
        .layer(upper.finish(), Storage::Zstd, "RUN rm /root/.ssh/id_ed25519");
    let path = dir.join("img.tar");
    img.write_docker_archive(&path, "fx/inspect:test").unwrap();
    path
}

fn drydock(args: &[&str], home: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env("DRYDOCK_CACHE_DIR", home.join("cache"))
        .env("HOME", home)
        .env_remove("DRYDOCK_CONFIG")
        .output()
        .expect("drydock runs")
}

fn json_of(o: &Output) -> Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).expect("JSON output")
}

/// (rule, path, line, layer) of every secret.
fn found(v: &Value) -> Vec<(String, String, u64, u64)> {
    v["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["rule_id"].as_str().unwrap().to_string(),
                s["path"].as_str().unwrap().to_string(),
                s["line"].as_u64().unwrap(),
                s["layer"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn t(rule: &str, path: &str, line: u64, layer: u64) -> (String, String, u64, u64) {
    (rule.into(), path.into(), line, layer)
}

fn assert_redacted(out: &[u8], s: &Secrets) {
    let text = String::from_utf8_lossy(out);
    for clear in [&s.github, &s.gitlab, &s.stripe] {
        assert!(!text.contains(clear.as_str()), "clear secret in output");
        assert!(!text.contains(&clear[4..20]), "part of a clear secret in output");
    }
    for line in s.pem_body.lines() {
        assert!(!text.contains(&line[..16]), "clear key material in output");
    }
}

#[test]
fn inspect_finds_secrets_per_layer_and_scope() {
    let dir = tempfile::tempdir().unwrap();
    let s = secrets();
    let img = image(dir.path(), &s);
    let src = format!("docker-archive:{}", img.display());

    let o = drydock(&["inspect", &src, "-o", "json", "-q"], dir.path());
    let v = json_of(&o);
    assert_redacted(&o.stdout, &s);
    assert_eq!(
        found(&v),
        vec![
            t("github-pat", "/app/.env", 3, 0),
            t("gitlab-pat", "/app/package.json", 5, 0),
            t("stripe-secret-key", "/srv/billing.conf", 1, 1),
        ]
    );
    let first = &v["secrets"][0];
    assert_eq!(first["severity"], "CRITICAL");
    assert_eq!(
        first["redacted"].as_str().unwrap(),
        format!("ghp_{}{}", "*".repeat(16), &s.github[38..])
    );
    assert_eq!(v["secretsScope"], "squashed");

    // The deleted key is still in the image's first layer.
    let o = drydock(
        &["inspect", &src, "-o", "json", "--secrets-scope", "all-layers", "-q"],
        dir.path(),
    );
    let v = json_of(&o);
    assert_redacted(&o.stdout, &s);
    assert_eq!(
        found(&v),
        vec![
            t("github-pat", "/app/.env", 3, 0),
            t("gitlab-pat", "/app/package.json", 5, 0),
            t("private-key-openssh", "/root/.ssh/id_ed25519", 1, 0),
            t("stripe-secret-key", "/srv/billing.conf", 1, 1),
        ]
    );

    // Table and SARIF, from the layer cache this time.
    let sarif_file = dir.path().join("out.sarif");
    let o = drydock(
        &[
            "inspect",
            &src,
            "-o",
            "table",
            "-o",
            &format!("sarif={}", sarif_file.display()),
            "-q",
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_redacted(&o.stdout, &s);
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("SEVERITY"), "{table}");
    assert!(table.contains("/srv/billing.conf:1"), "{table}");
    assert!(table.contains("sk_l****************"), "{table}");
    let sarif_text = std::fs::read(&sarif_file).unwrap();
    assert_redacted(&sarif_text, &s);
    let sarif: Value = serde_json::from_slice(&sarif_text).unwrap();
    let run = &sarif["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in ["github-pat", "gitlab-pat", "stripe-secret-key"] {
        assert!(rules.contains(&id), "{rules:?}");
    }
    let results = run["results"].as_array().unwrap();
    let stripe = results.iter().find(|r| r["ruleId"] == "stripe-secret-key").unwrap();
    let loc = &stripe["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "srv/billing.conf");
    assert_eq!(loc["region"]["startLine"], 1);
}

#[test]
fn inspect_config_adds_rules_and_allows() {
    let dir = tempfile::tempdir().unwrap();
    let s = secrets();
    let img = image(dir.path(), &s);
    let src = format!("docker-archive:{}", img.display());
    let config = dir.path().join("drydock.toml");
    std::fs::write(
        &config,
        r#"
[secrets]
disable = ["gitlab-pat"]

[[secrets.rules]]
id = "app-log-level"
title = "Log level (test rule)"
severity = "LOW"
keywords = ["log_level"]
regex = 'LOG_LEVEL=(\w+)'

[[secrets.allow]]
id = "billing is fine"
path = "^/srv/"
"#,
    )
    .unwrap();
    let o = drydock(
        &[
            "inspect",
            &src,
            "-o",
            "json",
            "-q",
            "--config",
            config.to_str().unwrap(),
        ],
        dir.path(),
    );
    let v = json_of(&o);
    assert_eq!(
        found(&v),
        vec![
            t("app-log-level", "/app/.env", 2, 0),
            t("github-pat", "/app/.env", 3, 0),
            // With the specific rule off, the catch-all rule still sees the token.
            t("generic-token", "/app/package.json", 5, 0),
        ]
    );
    assert_eq!(v["secrets"][0]["severity"], "LOW");
    assert_eq!(v["secrets"][0]["redacted"], "*****");
}

/// An image with a dpkg database whose recorded digests one file no longer matches, a
/// setuid binary, a world-writable file and an `/etc/passwd`.
fn files_image(dir: &Path) -> PathBuf {
    let tool = b"#!/bin/sh\necho tool\n";
    let status = "Package: tool\nStatus: install ok installed\nPriority: optional\nSection: misc\nInstalled-Size: 1\nMaintainer: A <a@example.org>\nArchitecture: amd64\nVersion: 1.0-1\nDescription: a tool\n\n";
    let md5sums = format!(
        "{}  usr/bin/tool\n{}  usr/share/doc/tool/changelog\n{}  usr/bin/gone\n",
        md5_hex(tool),
        md5_hex(b"original changelog\n"),
        md5_hex(b"gone")
    );
    let base = LayerBuilder::new()
        .file(
            "etc/os-release",
            b"ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
            0o644,
        )
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n",
            0o644,
        )
        .file("var/lib/dpkg/status", status.as_bytes(), 0o644)
        .file(
            "var/lib/dpkg/info/tool.list",
            b"/.\n/usr\n/usr/bin\n/usr/bin/tool\n/usr/bin/gone\n/usr/share/doc/tool/changelog\n",
            0o644,
        )
        .file("var/lib/dpkg/info/tool.md5sums", md5sums.as_bytes(), 0o644)
        .file("usr/bin/tool", tool, 0o4755)
        .file("usr/share/doc/tool/changelog", b"original changelog\n", 0o644)
        .file("srv/notes.txt", b"line one\nTODO: rotate the deploy key\n", 0o666);
    let upper = LayerBuilder::new().file("usr/share/doc/tool/changelog", b"edited after install\n", 0o644);
    let img = ImageBuilder::new()
        .layer(base.finish(), Storage::Gzip, "COPY . /")
        .layer(upper.finish(), Storage::Gzip, "RUN edit changelog");
    let path = dir.join("files.tar");
    img.write_docker_archive(&path, "fx/files:test").unwrap();
    path
}

fn md5_hex(data: &[u8]) -> String {
    use md5::{Digest, Md5};
    hex::encode(Md5::digest(data))
}

#[test]
fn file_metadata_content_search_retrieved_files_and_package_verification() {
    let dir = tempfile::tempdir().unwrap();
    let img = files_image(dir.path());
    let src = format!("docker-archive:{}", img.display());
    let config = dir.path().join("drydock.toml");
    std::fs::write(
        &config,
        "[[content_search]]\nname = \"todo\"\nregex = \"TODO\"\n\n[retrieve]\npaths = [\"/etc/passwd\", \"/etc/missing\"]\n",
    )
    .unwrap();
    let o = drydock(
        &[
            "inspect",
            &src,
            "-o",
            "json",
            "-q",
            "--config",
            config.to_str().unwrap(),
        ],
        dir.path(),
    );
    let v = json_of(&o);

    let matches = v["contentMatches"].as_array().unwrap();
    assert_eq!(matches.len(), 1, "{matches:?}");
    assert_eq!(matches[0]["name"], "todo");
    assert_eq!(matches[0]["path"], "/srv/notes.txt");
    assert_eq!(matches[0]["line"], 2);

    let retrieved = v["retrievedFiles"].as_array().unwrap();
    assert_eq!(retrieved.len(), 1, "absent paths are left out: {retrieved:?}");
    assert_eq!(retrieved[0]["path"], "/etc/passwd");
    assert!(retrieved[0]["content"].as_str().unwrap().contains("app:x:1000"));

    let files = v["files"].as_array().unwrap();
    let file = |p: &str| {
        files
            .iter()
            .find(|f| f["path"] == p)
            .unwrap_or_else(|| panic!("{p} listed"))
    };
    let tool = file("/usr/bin/tool");
    assert_eq!(tool["mode"], 0o4755);
    assert_eq!(tool["md5"], md5_hex(b"#!/bin/sh\necho tool\n"));
    assert_eq!(tool["sha256"].as_str().unwrap().len(), 64);
    let reasons: Vec<&str> = tool["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["misconfig", "package", "setuid"]);
    assert_eq!(tool["packages"].as_array().unwrap().len(), 1);
    assert!(file("/srv/notes.txt")["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "world-writable"));
    assert!(file("/etc/passwd")["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r == "retrieved"));
    assert!(
        !files.iter().any(|f| f["path"] == "/etc/os-release"),
        "ordinary files are not listed"
    );

    let changed: Vec<(String, String)> = v["changedPackageFiles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["path"].as_str().unwrap().into(), c["change"].as_str().unwrap().into()))
        .collect();
    assert_eq!(
        changed,
        [
            ("/usr/bin/gone".to_string(), "missing".to_string()),
            ("/usr/share/doc/tool/changelog".to_string(), "modified".to_string())
        ]
    );
}

#[test]
fn scan_runs_only_the_chosen_scanners() {
    let dir = tempfile::tempdir().unwrap();
    let s = secrets();
    let img = image(dir.path(), &s);
    let src = format!("docker-archive:{}", img.display());

    // No database is needed without the vulnerability scanner.
    let o = drydock(
        &["scan", &src, "--scanners", "secret,misconfig", "-o", "json", "-q"],
        dir.path(),
    );
    let v = json_of(&o);
    assert_redacted(&o.stdout, &s);
    assert_eq!(found(&v).len(), 3);
    assert!(v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["id"] == "DD-IMG-001"));
    assert_eq!(v["matches"].as_array().unwrap().len(), 0);
    assert!(v["database"].is_null());

    let o = drydock(&["scan", &src, "--scanners", "secret", "-o", "table", "-q"], dir.path());
    assert!(o.status.success());
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.starts_with("SEVERITY  SECRET RULE"), "{table}");
    assert!(
        !table.contains("No vulnerabilities") && !table.contains("CHECK"),
        "{table}"
    );

    // --fail-on gates vulnerabilities (as Grype's does); secrets gate with their own flag.
    let o = drydock(
        &["scan", &src, "--scanners", "secret", "--fail-on", "critical", "-q"],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = drydock(
        &[
            "scan",
            &src,
            "--scanners",
            "secret",
            "--fail-on-secrets",
            "-q",
            "-o",
            "json",
        ],
        dir.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "a secret fails the scan with --fail-on-secrets"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("failed this run (--fail-on-secrets)") && err.contains("secret "),
        "{err}"
    );

    let o = drydock(&["scan", &src, "--scanners", "secrets,bogus"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown scanner \"bogus\""));
}

#[test]
fn files_written_through_a_lower_layers_link_are_inspected_and_catalogued() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("lower-links.tar");
    drydock_test_support::fixture::hostile::written_through_lower_links()
        .write_docker_archive(&img, "fx/lower-links:test")
        .unwrap();
    let src = format!("docker-archive:{}", img.display());
    let v = json_of(&drydock(
        &["scan", &src, "--scanners", "misconfig", "-o", "json", "-q"],
        dir.path(),
    ));
    let uid0: Vec<&Value> = v["misconfigurations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["id"] == "DD-FS-003")
        .collect();
    assert_eq!(uid0.len(), 1, "{v}");
    assert!(uid0[0].to_string().contains("toor"), "{}", uid0[0]);
    let v = json_of(&drydock(&["sbom", &src, "-o", "json", "-q"], dir.path()));
    let text = v.to_string();
    assert!(text.contains("pkg:apk/alpine/busybox@1.36.1-r29"), "{text}");
}
