//! The contracts a CI pipeline and a first-time user rely on: one exit-code meaning in every
//! command, gates that say what tripped them, Trivy's spellings, no silent false negatives
//! (coverage gaps said in every output), the default table, bare-path SBOMs, clear errors.

use crate::common::{drydock, json_of, scan, setup, stderr, OS_RELEASE};
use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const DPKG_STATUS: &str = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n\
Source: glibc\nVersion: 2.36-9+deb12u1\n\nPackage: openssl\nStatus: install ok installed\n\
Architecture: amd64\nVersion: 3.0.11-1~deb12u2\n\n";

/// A Debian 12 image with two dpkg packages and a Python venv (the test database holds PyPI
/// advisories but no Debian ones).
fn debian_image(dir: &Path) -> String {
    let mut layer = LayerBuilder::new()
        .file("usr/lib/os-release", OS_RELEASE, 0o644)
        .symlink("etc/os-release", "../usr/lib/os-release")
        .file("var/lib/dpkg/status", DPKG_STATUS.as_bytes(), 0o644);
    layer = crate::common::dist_info(layer, crate::common::VENV, "chardet", "3.0.4");
    let img = ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "ADD rootfs.tar /");
    let path = dir.join("debian.tar");
    img.write_docker_archive(&path, "fx/debian:test").unwrap();
    format!("docker-archive:{}", path.display())
}

#[test]
fn errors_exit_2_and_usage_problems_are_found_before_any_work() {
    let st = setup();
    // Unknown format, two outputs on stdout, the same file twice: usage errors, exit 2.
    let out = scan(&st, &["-o", "yaml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown output format \"yaml\""),
        "{}",
        stderr(&out)
    );
    let out = scan(&st, &["-o", "json", "-o", "table"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("more than one output goes to standard output"));
    let f = st.dir.path().join("same.json");
    let spec = format!("json={}", f.display());
    let out = scan(&st, &["-o", &spec, "-o", &spec]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("same file"), "{}", stderr(&out));

    // An output file that cannot be written fails at once, naming it; nothing is scanned.
    let out = drydock(
        &["scan", "dir:/nonexistent-source", "-o", "json=/nonexistent-dir/x.json"],
        st.dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("cannot write output file /nonexistent-dir/x.json"), "{e}");
    assert!(
        !e.contains("nonexistent-source"),
        "checked before the source is read: {e}"
    );
    // The check leaves no empty file behind, and does not truncate one that exists.
    let kept = st.dir.path().join("kept.json");
    std::fs::write(&kept, "previous").unwrap();
    let out = drydock(
        &[
            "sbom",
            "dir:/nonexistent-source",
            "-o",
            &format!("json={}", kept.display()),
        ],
        st.dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "the source is missing");
    assert_eq!(std::fs::read_to_string(&kept).unwrap(), "previous");
    let fresh = st.dir.path().join("fresh.json");
    drydock(
        &[
            "sbom",
            "dir:/nonexistent-source",
            "-o",
            &format!("json={}", fresh.display()),
        ],
        st.dir.path(),
    );
    assert!(!fresh.exists());

    // A cause the message already quotes is not printed twice.
    let out = drydock(&["sbom", "docker-archive:/nonexistent.tar"], st.dir.path());
    let e = stderr(&out);
    assert_eq!(e.matches("No such file or directory").count(), 1, "{e}");

    // Every command: an error is 2, an invalid command line is 2.
    for args in [
        vec!["sbom", "dir:/nonexistent-source"],
        vec!["inspect", "dir:/nonexistent-source"],
        vec!["check", "dir:/nonexistent-source", "--scanners", "secret"],
        vec!["scan", "--bogus-flag", "x"],
    ] {
        let out = drydock(&args, st.dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    // The client too: a service that does not answer is an error, 2.
    let out = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["image", "list", "--url", "http://127.0.0.1:9"])
        .env("DRYDOCK_API_KEY", "ddk_x")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn gates_fail_with_1_and_name_what_tripped_them() {
    let st = setup();
    // --fail-on: vulnerabilities only, as Grype's; the message names the findings.
    let out = scan(&st, &["--fail-on", "critical", "-q"]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(e.contains("1 finding(s) failed this run (--fail-on critical)"), "{e}");
    assert!(
        e.contains("vulnerability GHSA-dddd-0000-0001 (critical) in chardet 3.0.4"),
        "{e}"
    );
    // The image runs as root (a high misconfiguration) but --fail-on does not look at it.
    let out = scan(
        &st,
        &["--fail-on", "critical", "--ignore-unfixed", "--severity", "low,medium"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = scan(&st, &["--fail-on-misconfig", "high", "--scanners", "misconfig"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("misconfiguration DD-IMG-001 (high)"),
        "{}",
        stderr(&out)
    );
    let out = scan(&st, &["--fail-on-misconfig", "critical", "--scanners", "misconfig"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // Trivy's --exit-code: alone, any reported finding trips it; with a gate, it is the status.
    let out = scan(&st, &["--exit-code", "7", "--scanners", "vuln"]);
    assert_eq!(out.status.code(), Some(7));
    let out = scan(&st, &["--exit-code", "7", "--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(7));
    let out = scan(
        &st,
        &["--exit-code", "7", "--severity", "negligible", "--scanners", "vuln"],
    );
    assert_eq!(out.status.code(), Some(0), "nothing left after the filter");
}

#[test]
fn severity_and_ignore_unfixed_filter_every_output() {
    let st = setup();
    let all = json_of(&scan(&st, &["-o", "json", "--scanners", "vuln"]));
    let severities = |v: &Value| -> Vec<String> {
        v["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["severity"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(severities(&all).iter().any(|s| s != "critical"));
    let crit = json_of(&scan(
        &st,
        &["-o", "json", "--scanners", "vuln", "--severity", "CRITICAL"],
    ));
    assert_eq!(severities(&crit), ["critical"]);
    let fixed = json_of(&scan(&st, &["-o", "json", "--scanners", "vuln", "--ignore-unfixed"]));
    assert_eq!(fixed["summary"]["hiddenNotFixed"], 1);
    let bad = scan(&st, &["--severity", "urgent"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn the_default_output_is_a_table_and_scan_json_leaves_files_out() {
    let st = setup();
    let out = scan(&st, &["-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("NAME"), "a table on a pipe too: {text}");
    let out = drydock(&["sbom", &st.image], st.dir.path());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("NAME"));

    // A setuid file is a notable file: listed with --files only.
    let layer =
        LayerBuilder::new()
            .file("usr/lib/os-release", OS_RELEASE, 0o644)
            .file("usr/bin/su", b"\x7fELF", 0o4755);
    let img = ImageBuilder::new().layer(layer.finish(), Storage::Gzip, "ADD rootfs.tar /");
    let path = st.dir.path().join("suid.tar");
    img.write_docker_archive(&path, "fx/suid:test").unwrap();
    let src = format!("docker-archive:{}", path.display());
    let v = json_of(&drydock(&["scan", &src, "--db", &st.db, "-o", "json"], st.dir.path()));
    assert!(v.get("files").is_none(), "no file list without --files");
    let v = json_of(&drydock(
        &["scan", &src, "--db", &st.db, "-o", "json", "--files"],
        st.dir.path(),
    ));
    assert!(
        v["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "/usr/bin/su"),
        "{}",
        v["files"]
    );
}

#[test]
fn an_sbom_given_as_a_bare_path_is_read_as_one() {
    let st = setup();
    let sbom = st.dir.path().join("image.cdx.json");
    let out = drydock(
        &["sbom", &st.image, "-o", &format!("cyclonedx-json={}", sbom.display())],
        st.dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let rel = Path::new(".").join("image.cdx.json");
    let out = Command::new(env!("CARGO_BIN_EXE_drydock"))
        .current_dir(st.dir.path())
        .args(["scan", rel.to_str().unwrap(), "--db", &st.db, "-o", "json"])
        .env("HOME", st.dir.path())
        .output()
        .unwrap();
    let v = json_of(&out);
    assert!(v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["package"]["name"] == "chardet"));
}

#[test]
fn a_distro_without_advisories_is_said_in_every_output_and_fires_the_trigger() {
    let st = setup();
    let image = debian_image(st.dir.path());
    let sarif = st.dir.path().join("out.sarif");
    let cdx = st.dir.path().join("out.cdx.json");
    let out = drydock(
        &[
            "scan",
            &image,
            "--db",
            &st.db,
            "-o",
            "json",
            "-o",
            &format!("sarif={}", sarif.display()),
            "-o",
            &format!("cyclonedx-json={}", cdx.display()),
        ],
        st.dir.path(),
    );
    let e = stderr(&out);
    let want = "debian:12 has no advisories in this database (built from";
    assert!(e.contains(want) && e.contains("2 OS package(s) not checked"), "{e}");
    assert!(!e.contains('\x1b'), "no colour on a pipe: {e:?}");
    let v = json_of(&out);
    assert!(v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains(want)));
    // The PyPI part of the image was still matched.
    assert!(v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| m["package"]["name"] == "chardet"));

    let s: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let notes = &s["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert!(
        notes
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["message"]["text"].as_str().unwrap().contains(want)),
        "{notes}"
    );
    let c: Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    let props = c["metadata"]["properties"].as_array().unwrap();
    assert!(props
        .iter()
        .any(|p| p["name"] == "drydock:warning" && p["value"].as_str().unwrap().contains(want)));
    let out = drydock(&["scan", &image, "--db", &st.db, "-o", "table"], st.dir.path());
    assert!(String::from_utf8_lossy(&out.stdout).contains(want));

    // The policy trigger fires (the default bundle WARNs on it) and check says why.
    let out = drydock(&["check", &image, "--db", &st.db, "-o", "json"], st.dir.path());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fired: Vec<&Value> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["trigger"] == "vulnerability_data_unavailable")
        .collect();
    assert_eq!(fired.len(), 1, "{:#}", v["results"]);
    assert!(
        fired[0]["message"].as_str().unwrap().contains("debian:12"),
        "{}",
        fired[0]
    );
    assert!(v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w.as_str().unwrap().contains(want)));
}

#[test]
fn version_and_completion() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock(&["version"], dir.path());
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(&format!("drydock {}", env!("CARGO_PKG_VERSION"))),
        "{text}"
    );
    assert!(
        text.contains("vulnerability database: none at") && text.contains("drydock db build"),
        "{text}"
    );
    let v = json_of(&drydock(&["version", "-o", "json"], dir.path()));
    assert_eq!(v["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(v["vulnerability_database"]["missing"], true);

    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef drydock"),
        ("fish", "complete -c drydock"),
    ] {
        let out = drydock(&["completion", shell], dir.path());
        assert!(out.status.success());
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains(marker) && script.contains("--fail-on-secrets"),
            "{shell}"
        );
    }
}

#[test]
fn help_says_the_exit_code_contract() {
    let dir = tempfile::tempdir().unwrap();
    for cmd in ["scan", "sbom", "check", "inspect", "image"] {
        let out = drydock(&[cmd, "--help"], dir.path());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("EXIT STATUS"), "{cmd}");
        assert!(text.contains("2  error"), "{cmd}: {text}");
    }
}

#[test]
fn a_host_that_does_not_resolve_is_reported_as_such_with_an_offline_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock(&["sbom", "no-such-host.invalid/app:1"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("cannot resolve the registry host no-such-host.invalid"),
        "{e}"
    );
    assert!(
        e.contains("drydock db build --from DIR") && e.contains("docker-archive:FILE"),
        "{e}"
    );
    assert!(
        !e.contains("authentication") && !e.contains("--insecure-registry"),
        "{e}"
    );

    // The same for feed downloads.
    let cfg = dir.path().join("drydock.toml");
    std::fs::write(
        &cfg,
        "[[db.sources]]\nkind = \"kev\"\nurl = \"https://no-such-host.invalid/kev.json\"\n",
    )
    .unwrap();
    let db = dir.path().join("db.sqlite");
    let out = drydock(
        &[
            "db",
            "update",
            "--config",
            cfg.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("dns error") && e.contains("hint: check the host name"),
        "{e}"
    );
    assert!(e.contains("drydock db import FILE"), "{e}");
}

#[test]
fn a_damaged_archive_gets_a_message_not_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
    let path = dir.path().join("garbage.tar");
    std::fs::write(&path, &garbage).unwrap();
    let out = drydock(&["sbom", &format!("docker-archive:{}", path.display())], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("not a tar archive") && e.contains("docker save"), "{e}");
    assert!(
        e.chars().all(|c| c == '\n' || c == '…' || (' '..='~').contains(&c)),
        "{e:?}"
    );
}

#[test]
fn a_terminal_gets_a_summary_line_a_pipe_does_not() {
    let st = setup();
    // `script` gives the command a terminal (util-linux); skip where it is missing, but not in CI.
    if Command::new("script").arg("--version").output().is_err() {
        assert!(std::env::var_os("CI").is_none(), "CI needs util-linux's script");
        return;
    }
    let cmd = format!(
        "HOME={} DRYDOCK_CACHE_DIR={}/cache {} scan {} --db {} -o json=/dev/null",
        st.dir.path().display(),
        st.dir.path().display(),
        env!("CARGO_BIN_EXE_drydock"),
        st.image,
        st.db
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("6 packages, 4 vulnerabilities (1 critical") && text.contains(" s"),
        "{text:?}"
    );
    let out = scan(&st, &["-o", "json=/dev/null"]);
    assert!(!stderr(&out).contains("6 packages"), "{}", stderr(&out));
}

#[test]
fn a_misspelt_configuration_section_or_key_is_an_error_not_ignored() {
    let st = setup();
    let cfg = st.dir.path().join("drydock.toml");
    for (text, want) in [
        (
            "[secret]\ndisable = [\"jwt\"]\n",
            "unknown section [secret] (did you mean [secrets]?)",
        ),
        ("[ignores]\n", "unknown section [ignores]"),
        ("[secrets]\ndisabel = [\"jwt\"]\n", "disabel"),
        ("[limits]\nmax_image_second = 5\n", "max_image_second"),
        ("[retrieve]\npath = [\"/etc/passwd\"]\n", "path"),
        (
            "[[db.sources]]\nkind = \"kev\"\nurl = \"https://x.invalid/k.json\"\nmirror = 1\n",
            "mirror",
        ),
    ] {
        std::fs::write(&cfg, text).unwrap();
        let out = scan(&st, &["--config", cfg.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{text}");
        let e = stderr(&out);
        assert!(e.contains(want), "{text}: {e}");
    }
    // A well-formed file with every section is read.
    std::fs::write(
        &cfg,
        "[secrets]\ndisable = [\"jwt\"]\n[misconfig]\n[[content_search]]\nname = \"todo\"\nregex = \"TODO\"\n\
         [retrieve]\n[files]\n[limits]\nmax_image_seconds = 600\n[[ignore]]\nid = \"CVE-1\"\n[match]\n[db]\n[server]\n",
    )
    .unwrap();
    let out = scan(&st, &["--config", cfg.to_str().unwrap(), "-q"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn the_configuration_is_read_once_at_start_by_every_command_that_takes_it() {
    let st = setup();
    let cfg = st.dir.path().join("drydock.toml");
    std::fs::write(
        &cfg,
        "[server]
workers = 0
[match]
cpe_falback = true
",
    )
    .unwrap();
    let cfg = cfg.to_str().unwrap();
    let data = st.dir.path().join("service-data");
    let data_arg = data.to_str().unwrap();
    // The service fails before it creates anything, naming the key and the file.
    for args in [
        vec!["serve", "--config", cfg, "--data-dir", data_arg, "--allow-no-db"],
        vec!["worker", "--config", cfg, "--data-dir", data_arg],
        vec!["db", "status", "--config", cfg],
        vec!["inspect", "dir:/nonexistent-source", "--config", cfg],
    ] {
        let out = drydock(&args, st.dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let e = stderr(&out);
        assert!(e.contains("cpe_falback") && e.contains(cfg), "{args:?}: {e}");
        assert!(
            !e.contains("nonexistent-source"),
            "{args:?}: read before the configuration: {e}"
        );
    }
    assert!(
        !data.exists(),
        "the service made its data directory before reading its configuration"
    );
}
