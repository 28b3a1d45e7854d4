//! `drydock check` and `drydock policy` end to end: bundles evaluated against an image built
//! in code and a database built from real OSV records plus records made here.

use crate::common::{drydock, setup, stderr, Setup};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::Output;

fn check(s: &Setup, extra: &[&str]) -> Output {
    let mut args = vec!["check", &s.image, "--db", &s.db, "-q"];
    args.extend_from_slice(extra);
    drydock(&args, s.dir.path())
}

fn write(s: &Setup, name: &str, v: &Value) -> PathBuf {
    let p = s.dir.path().join(name);
    std::fs::write(&p, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    p
}

fn eval_of(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("JSON on stdout ({e}): {}", stderr(o)))
}

/// (action or "GO" when allowlisted, gate, trigger, trigger id) of every result.
fn results(v: &Value) -> Vec<(String, String, String, String)> {
    v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let action = if r["allowlisted"].is_object() {
                "GO"
            } else {
                r["action"].as_str().unwrap()
            };
            (
                action.to_string(),
                r["gate"].as_str().unwrap().to_string(),
                r["trigger"].as_str().unwrap().to_string(),
                r["trigger_id"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn r(a: &str, g: &str, t: &str, id: &str) -> (String, String, String, String) {
    (a.into(), g.into(), t.into(), id.into())
}

#[test]
fn the_default_bundle_stops_a_fixable_critical_vulnerability() {
    let st = setup();
    let o = check(&st, &["-o", "json"]);
    assert_eq!(o.status.code(), Some(1), "STOP exits 1: {}", stderr(&o));
    let v = eval_of(&o);
    assert_eq!(v["final_action"], "STOP");
    assert_eq!(v["final_action_reason"], "policy_evaluation");
    assert_eq!(v["mapping"]["id"], "default-mapping");
    assert_eq!(v["image"]["repository"], "fx/scan");
    assert_eq!(v["image"]["tag"], "test");
    assert_eq!(
        results(&v),
        vec![
            r("STOP", "vulnerabilities", "package", "GHSA-dddd-0000-0001+chardet"),
            r("WARN", "vulnerabilities", "package", "GHSA-j8r2-6x86-q33q+requests"),
            r("WARN", "vulnerabilities", "package", "GHSA-r64q-w8jr-g9qp+urllib3"),
            r("WARN", "dockerfile", "effective_user", "user:root"),
        ],
        "{:#}",
        v["results"]
    );

    // The table says the verdict first.
    let o = check(&st, &["-o", "table"]);
    let table = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[2].starts_with("Final action: STOP  (1 STOP, 3 WARN"), "{table}");
    assert!(table.contains("\nvulnerabilities (3)\n"), "{table}");
}

fn bundle(allow_items: Value, extra: Value) -> Value {
    let mut b = json!({
        "id": "test-bundle",
        "name": "test",
        "version": "2",
        "rule_sets": [{
            "id": "rs1",
            "name": "rules",
            "rules": [
                {"id": "crit", "gate": "vulnerabilities", "trigger": "package", "action": "STOP",
                 "params": [{"name": "severity_comparison", "value": ">="}, {"name": "severity", "value": "critical"}]},
                {"id": "any-fixable", "gate": "vulnerabilities", "trigger": "package", "action": "WARN",
                 "params": [{"name": "fix_available", "value": "true"}, {"name": "severity_comparison", "value": "<"}, {"name": "severity", "value": "critical"}]},
                {"id": "requests-required", "gate": "packages", "trigger": "required_package", "action": "WARN",
                 "params": [{"name": "name", "value": "requests"}]}
            ]
        }],
        "allowlists": [{"id": "al1", "name": "accepted", "items": allow_items}],
        "mappings": [{"id": "m1", "name": "fx images", "registry": "*", "repository": "fx/*",
                      "image": {"type": "tag", "value": "*"}, "rule_set_ids": ["rs1"], "allowlist_ids": ["al1"]}],
    });
    if let (Some(b), Some(e)) = (b.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    b
}

#[test]
fn allowlist_items_suppress_until_they_expire_and_warn_fails_only_when_asked() {
    let st = setup();
    let items = json!([
        {"id": "chardet-accepted", "gate": "vulnerabilities", "trigger_id": "GHSA-dddd-0000-0001+*", "expires_on": "2999-01-01T00:00:00Z"},
        {"id": "urllib3-expired", "gate": "vulnerabilities", "trigger_id": "GHSA-r64q-w8jr-g9qp+urllib3", "expires_on": "2001-01-01T00:00:00Z"}
    ]);
    let p = write(&st, "bundle.json", &bundle(items, json!({})));
    let o = check(&st, &["--policy", p.to_str().unwrap(), "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "WARN passes by default: {}", stderr(&o));
    let v = eval_of(&o);
    assert_eq!(v["final_action"], "WARN");
    assert_eq!(
        results(&v),
        vec![
            r("GO", "vulnerabilities", "package", "GHSA-dddd-0000-0001+chardet"),
            r("WARN", "vulnerabilities", "package", "GHSA-j8r2-6x86-q33q+requests"),
            r("WARN", "vulnerabilities", "package", "GHSA-r64q-w8jr-g9qp+urllib3"),
        ]
    );
    let allowed = &v["results"][0]["allowlisted"];
    assert_eq!(allowed["allowlist_id"], "al1");
    assert_eq!(allowed["item_id"], "chardet-accepted");

    let junit = st.dir.path().join("policy.xml");
    let o = check(
        &st,
        &[
            "--policy",
            p.to_str().unwrap(),
            "--fail-on-warn",
            "-o",
            &format!("junit={}", junit.display()),
        ],
    );
    assert_eq!(o.status.code(), Some(1), "--fail-on-warn: {}", stderr(&o));
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testcase ").count(), 3, "one test case per rule: {xml}");
    assert!(
        xml.contains("<testsuites name=\"drydock check\" tests=\"3\" failures=\"1\">"),
        "{xml}"
    );
    assert!(xml.contains("name=\"any-fixable: vulnerabilities.package (WARN)\">\n      <failure type=\"WARN\" message=\"2 trigger(s) fired\">"), "{xml}");
    assert!(
        xml.contains("ALLOWLISTED (al1/chardet-accepted) GHSA-dddd-0000-0001+chardet"),
        "{xml}"
    );
    assert!(
        xml.contains("<property name=\"final_action\" value=\"WARN\"/>"),
        "{xml}"
    );

    let o = check(&st, &["--policy", p.to_str().unwrap(), "-o", "sarif"]);
    let sarif = eval_of(&o);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert_eq!(results[0]["suppressions"][0]["kind"], "external");
    assert_eq!(results[1]["level"], "warning");
}

#[test]
fn denylisted_allowlisted_and_unmapped_images() {
    let st = setup();
    let sel = |id: &str, repo: &str| json!([{"id": id, "registry": "*", "repository": repo, "image": {"type": "tag", "value": "test"}}]);
    let both = bundle(
        json!([]),
        json!({"denylisted_images": sel("deny-scan", "fx/scan"), "allowlisted_images": sel("allow-scan", "fx/*")}),
    );
    let p = write(&st, "deny.json", &both);
    let v = eval_of(&check(&st, &["--policy", p.to_str().unwrap(), "-o", "json"]));
    assert_eq!(
        (v["final_action"].as_str(), v["final_action_reason"].as_str()),
        (Some("STOP"), Some("denylisted")),
        "the denylist wins over the allowlist"
    );
    let only_allowed = bundle(json!([]), json!({"allowlisted_images": sel("allow-scan", "fx/*")}));
    let p = write(&st, "allow.json", &only_allowed);
    let o = check(&st, &["--policy", p.to_str().unwrap(), "-o", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v = eval_of(&o);
    assert_eq!(
        (v["final_action"].as_str(), v["final_action_reason"].as_str()),
        (Some("GO"), Some("allowlisted"))
    );
    assert!(
        !v["results"].as_array().unwrap().is_empty(),
        "rules still run and are reported"
    );

    // The mapping covers fx/*; under another tag nothing maps.
    let p = write(&st, "bundle.json", &bundle(json!([]), json!({})));
    let o = check(
        &st,
        &[
            "--policy",
            p.to_str().unwrap(),
            "--tag",
            "registry.example/other/app:1.0",
        ],
    );
    assert_eq!(o.status.code(), Some(2), "an unmapped image is an error");
    let e = stderr(&o);
    assert!(
        e.contains("no mapping of bundle \"test-bundle\" matches registry.example/other/app:1.0"),
        "{e}"
    );
    let o = check(
        &st,
        &[
            "--policy",
            p.to_str().unwrap(),
            "--tag",
            "registry.example/other/app:1.0",
            "--unmapped",
            "go",
            "-o",
            "json",
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(eval_of(&o)["final_action_reason"], "unmapped");
}

#[test]
fn bad_bundles_get_one_error_per_problem() {
    let st = setup();
    let bad = json!({
        "id": "bad",
        "policies": [{
            "id": "p1",
            "rules": [
                {"id": "r1", "gate": "vulnerabilitiez", "trigger": "package", "action": "STOP", "params": []},
                {"id": "r2", "gate": "vulnerabilities", "trigger": "packages", "action": "STOP", "params": []},
                {"id": "r3", "gate": "vulnerabilities", "trigger": "package", "action": "HALT",
                 "params": [{"name": "severity", "value": "awful"}, {"name": "colour", "value": "red"}]},
                {"id": "r4", "gate": "files", "trigger": "name_match", "action": "WARN", "params": [{"name": "regex", "value": "(unclosed"}]},
                {"id": "r5", "gate": "vulnerabilities", "trigger": "stale_feed_data", "action": "WARN", "params": [{"name": "max_days_since_sync", "value": "a week"}]}
            ]
        }],
        "whitelists": [{"id": "w1", "items": [{"id": "i1", "gate": "vulnerabilities", "trigger_id": "CVE-1+x", "expires_on": "soon"}]}],
        "mappings": [{"id": "m1", "registry": "*", "repository": "*", "image": {"type": "tag", "value": "*"}, "policy_ids": ["p1", "p2"], "whitelist_ids": ["w1"]}]
    });
    let p = write(&st, "bad.json", &bad);
    let o = drydock(&["policy", "validate", p.to_str().unwrap()], st.dir.path());
    assert_eq!(o.status.code(), Some(1));
    let out = String::from_utf8_lossy(&o.stdout);
    let expected = [
        "rule_sets[0] \"p1\" > rules[0] \"r1\": unknown gate \"vulnerabilitiez\"",
        "rule_sets[0] \"p1\" > rules[1] \"r2\": gate vulnerabilities has no trigger \"packages\"",
        "rule_sets[0] \"p1\" > rules[2] \"r3\": action \"HALT\" is not STOP, WARN or GO",
        "rule_sets[0] \"p1\" > rules[2] \"r3\": parameter severity (enum): \"awful\" is not one of",
        "rule_sets[0] \"p1\" > rules[2] \"r3\": trigger vulnerabilities.package has no parameter \"colour\"",
        "rule_sets[0] \"p1\" > rules[3] \"r4\": parameter regex (regex): bad regex \"(unclosed\"",
        "rule_sets[0] \"p1\" > rules[4] \"r5\": parameter max_days_since_sync (integer): \"a week\" is not a whole number",
        "allowlists[0] \"w1\" > items[0] \"i1\": expires_on \"soon\" is not an RFC 3339 time",
        "mappings[0] \"m1\": rule set \"p2\" does not exist in this bundle",
    ];
    for e in expected {
        assert!(out.contains(e), "missing {e:?} in:\n{out}");
    }
    assert!(out.contains(&format!("{} problem(s)", expected.len())), "{out}");

    // check refuses it before reading the image, with exit 2.
    let o = check(&st, &["--policy", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown gate \"vulnerabilitiez\""),
        "{}",
        stderr(&o)
    );

    let p = st.dir.path().join("broken.yaml");
    std::fs::write(&p, "rule_sets: [\n").unwrap();
    let o = drydock(&["policy", "validate", p.to_str().unwrap()], st.dir.path());
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("invalid YAML"), "{}", stderr(&o));
}

#[test]
fn describe_lists_every_gate_from_the_evaluator_table() {
    let dir = tempfile::tempdir().unwrap();
    let o = drydock(&["policy", "describe", "-o", "json"], dir.path());
    assert!(o.status.success());
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let gates: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        gates,
        [
            "vulnerabilities",
            "packages",
            "licenses",
            "secret_scans",
            "dockerfile",
            "files",
            "passwd_file",
            "distro",
            "metadata",
            "retrieved_files",
            "always"
        ]
    );
    for g in v.as_array().unwrap() {
        assert!(!g["description"].as_str().unwrap().is_empty(), "{g}");
        assert!(!g["triggers"].as_array().unwrap().is_empty(), "{g}");
    }
    let o = drydock(&["policy", "describe", "passwd_file"], dir.path());
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("GATE passwd_file"), "{text}");
    let o = drydock(&["policy", "describe", "nope"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("hint: gates are vulnerabilities, packages"),
        "{}",
        stderr(&o)
    );
}

/// An image with something for every gate: a KEV-listed critical Python package, dpkg
/// packages (one denylisted, one with a modified and a missing file, licenses), a secret,
/// a content-search hit, a setuid binary, accounts, a RUN step and an exposed SSH port.
fn every_gate_image(dir: &std::path::Path) -> PathBuf {
    use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
    let md5 = |d: &[u8]| {
        use md5::{Digest, Md5};
        hex::encode(Md5::digest(d))
    };
    let tool = b"#!/bin/sh\necho tool\n";
    let status = "Package: tool\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0-1\n\n\
                  Package: telnetd\nStatus: install ok installed\nArchitecture: amd64\nVersion: 0.17-1\n\n";
    let md5sums = format!(
        "{}  usr/bin/tool\n{}  usr/share/doc/tool/changelog\n{}  usr/bin/gone\n",
        md5(tool),
        md5(b"original\n"),
        md5(b"gone")
    );
    // Made up, and built at run time so no token-shaped literal sits in the source.
    let token = format!("ghp_{}", "Zq7Wm2Kx9".repeat(4));
    let base = LayerBuilder::new()
        .file("usr/lib/os-release", crate::common::OS_RELEASE, 0o644)
        .symlink("etc/os-release", "../usr/lib/os-release")
        .file(
            "etc/passwd",
            b"root:x:0:0:root:/root:/bin/bash\ngames:x:5:60:games:/usr/games:/bin/csh\napp:x:1000:1000::/home/app:/bin/sh\n",
            0o644,
        )
        .file("var/lib/dpkg/status", status.as_bytes(), 0o644)
        .file("var/lib/dpkg/info/tool.list", b"/usr/bin/tool\n/usr/bin/gone\n/usr/share/doc/tool/changelog\n", 0o644)
        .file("var/lib/dpkg/info/tool.md5sums", md5sums.as_bytes(), 0o644)
        .file("var/lib/dpkg/info/telnetd.list", b"/usr/sbin/in.telnetd\n", 0o644)
        .file("usr/sbin/in.telnetd", b"telnetd", 0o755)
        .file(
            "usr/share/doc/tool/copyright",
            b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: AGPL-3.0-only\n",
            0o644,
        )
        .file(
            "usr/share/doc/telnetd/copyright",
            b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nLicense: BSD-4-clause\n",
            0o644,
        )
        .file("usr/bin/tool", tool, 0o4755)
        .file("usr/share/doc/tool/changelog", b"original\n", 0o644)
        .file("srv/notes.txt", b"line one\nTODO: rotate the deploy key\n", 0o644)
        .file("app/.env", format!("GITHUB_TOKEN={token}\n").as_bytes(), 0o600);
    let base = crate::common::dist_info(base, crate::common::VENV, "chardet", "3.0.4");
    let upper = LayerBuilder::new().file("usr/share/doc/tool/changelog", b"edited\n", 0o644);
    let img = ImageBuilder::new()
        .expose("22/tcp")
        .expose("8080/tcp")
        .layer(
            base.finish(),
            Storage::Gzip,
            "/bin/sh -c #(nop) ADD file:4a1b2c3d in / ",
        )
        .layer(
            upper.finish(),
            Storage::Gzip,
            "/bin/sh -c apt-get install -y tool telnetd && edit changelog",
        );
    let path = dir.join("every-gate.tar");
    img.write_docker_archive(&path, "fx/every-gate:test").unwrap();
    path
}

#[test]
fn a_bundle_with_every_gate_and_trigger() {
    let st = setup();
    let image = format!("docker-archive:{}", every_gate_image(st.dir.path()).display());
    let config = st.dir.path().join("drydock.toml");
    std::fs::write(&config, "[[content_search]]\nname = \"todo\"\nregex = \"TODO\"\n").unwrap();
    let bundle = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policy/every-gate.json");
    let o = drydock(
        &[
            "check",
            &image,
            "--db",
            &st.db,
            "--config",
            config.to_str().unwrap(),
            "--policy",
            bundle.to_str().unwrap(),
            "-o",
            "json",
            "-q",
        ],
        st.dir.path(),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let v = eval_of(&o);
    assert_eq!(v["final_action"], "STOP");
    let got = results(&v);
    let want = vec![
        r("STOP", "vulnerabilities", "package", "GHSA-dddd-0000-0001+chardet"),
        // The test database holds no Debian advisories: the image's dpkg packages were not checked.
        r(
            "WARN",
            "vulnerabilities",
            "vulnerability_data_unavailable",
            "vulnerability_data_unavailable",
        ),
        r("STOP", "packages", "denylist", "telnetd+0.17-1"),
        r("WARN", "packages", "required_package", "ca-certificates"),
        r("WARN", "packages", "verify", "tool+/usr/bin/gone"),
        r("WARN", "packages", "verify", "tool+/usr/share/doc/tool/changelog"),
        r("WARN", "licenses", "denylist_exact_match", "AGPL-3.0-only+tool"),
        r("WARN", "licenses", "denylist_partial_match", "BSD-4-clause+telnetd"),
        r("STOP", "secret_scans", "content_regex_checks", "github-pat+/app/.env"),
        r("WARN", "dockerfile", "effective_user", "user:root"),
        r("STOP", "dockerfile", "exposed_ports", "port:22"),
        r(
            "WARN",
            "dockerfile",
            "instruction",
            "RUN+apt-get install -y tool telnetd && edit changelog",
        ),
        r("WARN", "files", "content_regex_match", "todo+/srv/notes.txt"),
        r("WARN", "files", "name_match", "/app/.env"),
        r("WARN", "files", "suid_or_guid_set", "/usr/bin/tool"),
        r("WARN", "passwd_file", "denylist_full_entry", "user:app"),
        r("GO", "passwd_file", "denylist_groupids", "user:games"),
        r("GO", "passwd_file", "denylist_shells", "user:games"),
        r("WARN", "passwd_file", "denylist_userids", "user:app"),
        r("GO", "passwd_file", "denylist_usernames", "user:games"),
        r("WARN", "distro", "deny", "debian:12"),
        r("WARN", "metadata", "attribute", "layer_count"),
        r("WARN", "retrieved_files", "content_not_available", "/etc/shadow"),
        r("WARN", "retrieved_files", "content_regex", "/etc/passwd"),
        r("GO", "always", "always", "always"),
    ];
    assert_eq!(got, want, "{:#}", v["results"]);
    // Not fired: fresh database, history present, /etc/passwd retrieved.
    let fired: std::collections::BTreeSet<&str> = v["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule_id"].as_str().unwrap())
        .collect();
    for quiet in ["vuln-stale", "df-none", "passwd-missing"] {
        assert!(!fired.contains(quiet), "{quiet} fired");
    }
}
