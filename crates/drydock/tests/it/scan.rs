//! `drydock db build` and `drydock scan` end to end: a database built from real OSV records
//! (tests/fixtures/vulndata) plus records made here, and an image built in code.

use crate::common::{drydock, extra_feeds, image_tar, json_of, scan, setup, stderr, VENV};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::Path;

/// (package, version, id, fixed versions, severity) of every match.
fn matches(v: &Value) -> Vec<(String, String, String, Vec<String>, String)> {
    let mut out: Vec<_> = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["package"]["name"].as_str().unwrap().to_string(),
                m["package"]["version"].as_str().unwrap().to_string(),
                m["id"].as_str().unwrap().to_string(),
                m["fixed_versions"]
                    .as_array()
                    .map(|a| a.iter().map(|x| x.as_str().unwrap().to_string()).collect())
                    .unwrap_or_default(),
                m["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn s(x: &str) -> String {
    x.to_string()
}

#[test]
fn scan_reports_the_advisories_of_the_old_pins_and_nothing_else() {
    let st = setup();
    let v = json_of(&scan(&st, &["-o", "json"]));
    assert_eq!(v["$schema"], "https://drydock.dev/schema/vulnerabilities/1.0");
    assert_eq!(
        matches(&v),
        vec![
            (
                s("chardet"),
                s("3.0.4"),
                s("GHSA-dddd-0000-0001"),
                vec![s("4.0.0")],
                s("critical")
            ),
            (s("idna"), s("2.7"), s("GHSA-dddd-0000-0002"), vec![], s("low")),
            (
                s("requests"),
                s("2.20.0"),
                s("GHSA-j8r2-6x86-q33q"),
                vec![s("2.31.0")],
                s("unknown")
            ),
            (
                s("urllib3"),
                s("1.24.1"),
                s("GHSA-r64q-w8jr-g9qp"),
                vec![s("1.24.3")],
                s("unknown")
            ),
        ],
        "requests 2.20.0 is PYSEC-2018-28's fix, PyYAML 5.3 is past PYSEC-2020-176, requests 2.32.3 past all"
    );
    let chardet = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["package"]["name"] == "chardet")
        .unwrap();
    assert_eq!(chardet["kev_date_added"], "2024-03-01");
    assert_eq!(chardet["fix_state"], "fixed");
    let requests = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["package"]["name"] == "requests")
        .unwrap();
    assert_eq!(requests["aliases"], json!(["CVE-2023-32681", "PYSEC-2023-74"]));
    assert_eq!(requests["evidence"][0]["advisory"], "PYSEC-2023-74");
    assert_eq!(
        requests["evidence"][0]["matched"]["events"],
        json!([{"introduced": "2.3.0"}, {"fixed": "2.31.0"}])
    );
    assert_eq!(
        requests["package"]["locations"][0]["path"],
        format!("/{VENV}/requests-2.20.0.dist-info/METADATA")
    );
    let idna = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["package"]["name"] == "idna")
        .unwrap();
    assert_eq!(idna["fix_state"], "not-fixed");
    assert_eq!(v["summary"]["findings"], 4);
    assert_eq!(v["matches"][0]["severity"], "critical", "sorted by severity");
}

#[test]
fn fail_on_exit_code_and_only_fixed() {
    let st = setup();
    let out = scan(&st, &["-o", "json", "--fail-on", "critical"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        serde_json::from_slice::<Value>(&out.stdout).is_ok(),
        "the report is still written"
    );
    let out = scan(&st, &["-o", "json", "--fail-on", "critical", "--only-fixed"]);
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<String> = matches(&v).into_iter().map(|m| m.2).collect();
    assert!(!ids.contains(&s("GHSA-dddd-0000-0002")), "no fix, hidden: {ids:?}");
    assert_eq!(ids.len(), 3);
    assert_eq!(v["summary"]["hiddenNotFixed"], 1);
    // Ignore the critical one: now nothing reaches the threshold.
    let cfg = st.dir.path().join("drydock.toml");
    std::fs::write(&cfg, "[[ignore]]\nid = \"CVE-2099-0001\"\nreason = \"test\"\n").unwrap();
    let out = scan(
        &st,
        &["-o", "json", "--fail-on", "critical", "--config", cfg.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["suppressed"][0]["reason"]["kind"], "ignored");
    assert_eq!(v["suppressed"][0]["finding"]["id"], "GHSA-dddd-0000-0001");
    // Usage errors are 2.
    let out = scan(&st, &["--fail-on", "severe"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn vex_removes_not_affected_findings() {
    let st = setup();
    let vex = st.dir.path().join("app.openvex.json");
    std::fs::write(
        &vex,
        serde_json::to_vec(&json!({
            "@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "t",
            "timestamp": "2024-01-01T00:00:00Z", "version": 1,
            "statements": [{"vulnerability": {"name": "CVE-2023-32681"}, "products": [{"@id": "pkg:pypi/requests@2.20.0"}],
                            "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"}]
        }))
        .unwrap(),
    )
    .unwrap();
    let v = json_of(&scan(&st, &["-o", "json", "--vex", vex.to_str().unwrap()]));
    assert!(!matches(&v).iter().any(|m| m.0 == "requests"));
    assert_eq!(
        v["suppressed"][0]["reason"]["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    let bad = st.dir.path().join("bad.json");
    std::fs::write(&bad, b"{\"hello\": 1}").unwrap();
    let out = scan(&st, &["-o", "json", "--vex", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("bad.json"), "{}", stderr(&out));
}

#[test]
fn sarif_cyclonedx_and_table() {
    let st = setup();
    let dir = st.dir.path();
    let sarif = dir.join("out.sarif");
    let cdx = dir.join("out.cdx.json");
    let out = scan(
        &st,
        &[
            "-o",
            &format!("sarif={}", sarif.display()),
            "-o",
            &format!("cyclonedx-json={}", cdx.display()),
            "-o",
            "table",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        [
            "NAME",
            "INSTALLED",
            "FIXED-IN",
            "TYPE",
            "VULNERABILITY",
            "SEVERITY",
            "KEV"
        ]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        [
            "chardet",
            "3.0.4",
            "4.0.0",
            "python",
            "GHSA-dddd-0000-0001",
            "Critical",
            "KEV"
        ]
    );
    assert!(table.contains("(not fixed)"), "{table}");
    assert!(!table.contains('\x1b'), "no colour when not a terminal");

    let v: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let vuln_results = results
        .iter()
        .filter(|r| !r["ruleId"].as_str().unwrap().starts_with("DD-"))
        .count();
    assert_eq!(vuln_results, 4);
    assert!(
        results.iter().any(|r| r["ruleId"] == "DD-IMG-001"),
        "misconfigurations share the SARIF run"
    );
    let rule_ids: BTreeSet<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(rule_ids.len(), rules.len(), "one rule per vulnerability");
    for r in results {
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], r["ruleId"]);
    }
    let c = results.iter().find(|r| r["ruleId"] == "GHSA-dddd-0000-0001").unwrap();
    assert_eq!(c["level"], "error");
    assert_eq!(
        c["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        format!("{VENV}/chardet-3.0.4.dist-info/METADATA")
    );
    let crule = rules.iter().find(|r| r["id"] == "GHSA-dddd-0000-0001").unwrap();
    assert_eq!(crule["properties"]["security-severity"], "9.8");

    let v: Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    assert_eq!(v["specVersion"], "1.6");
    let refs: BTreeSet<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["bom-ref"].as_str())
        .collect();
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 4);
    for vu in vulns {
        for a in vu["affects"].as_array().unwrap() {
            assert!(
                refs.contains(a["ref"].as_str().unwrap()),
                "affects names a component: {a}"
            );
        }
    }
    let cv = vulns.iter().find(|x| x["id"] == "GHSA-dddd-0000-0001").unwrap();
    assert_eq!(cv["ratings"][0]["severity"], "critical");
    assert_eq!(cv["ratings"][0]["score"], 9.8);
    assert_eq!(cv["ratings"][0]["method"], "CVSSv31");
    assert_eq!(cv["references"][0]["id"], "CVE-2099-0001");
}

#[test]
fn scan_of_an_sbom_file_matches_the_same() {
    let st = setup();
    let sbom = st.dir.path().join("sbom.json");
    let out = drydock(
        &["sbom", &st.image, "-o", &format!("json={}", sbom.display())],
        st.dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let a = json_of(&scan(&st, &["-o", "json"]));
    let src = format!("sbom:{}", sbom.display());
    let b = json_of(&drydock(&["scan", &src, "--db", &st.db, "-o", "json"], st.dir.path()));
    assert_eq!(matches(&a), matches(&b));
}

#[test]
fn a_missing_database_says_how_to_get_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock(
        &["scan", "dir:/nonexistent", "--db", "/nonexistent/vulndb.sqlite"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("/nonexistent/vulndb.sqlite") && e.contains("drydock db build --from DIR"),
        "{e}"
    );
    assert!(
        e.contains("drydock db update") && e.contains("drydock db import FILE"),
        "{e}"
    );
    // The default path is under $HOME/.local/share.
    let out = drydock(&["scan", "dir:/nonexistent"], dir.path());
    assert!(
        stderr(&out).contains(".local/share/drydock/vulndb.sqlite"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn db_status_export_and_import() {
    let st = setup();
    let dir = st.dir.path();
    let out = drydock(&["db", "status", "--db", &st.db, "-o", "json"], dir);
    let v = json_of(&out);
    assert!(v["advisories"].as_u64().unwrap() >= 11, "{v}");
    let export = dir.join("db.export");
    let out = drydock(&["db", "export", export.to_str().unwrap(), "--db", &st.db], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let imported = dir.join("imported.sqlite");
    let out = drydock(
        &[
            "db",
            "import",
            export.to_str().unwrap(),
            "--db",
            imported.to_str().unwrap(),
        ],
        dir,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let a = json_of(&scan(&st, &["-o", "json"]));
    let b = json_of(&drydock(
        &["scan", &st.image, "--db", imported.to_str().unwrap(), "-o", "json"],
        dir,
    ));
    assert_eq!(matches(&a), matches(&b));
    // A damaged export is refused and the database in place still works.
    let mut bytes = std::fs::read(&export).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 0xff;
    std::fs::write(&export, &bytes).unwrap();
    let out = drydock(
        &[
            "db",
            "import",
            export.to_str().unwrap(),
            "--db",
            imported.to_str().unwrap(),
        ],
        dir,
    );
    assert_eq!(out.status.code(), Some(2));
    let c = json_of(&drydock(
        &["scan", &st.image, "--db", imported.to_str().unwrap(), "-o", "json"],
        dir,
    ));
    assert_eq!(matches(&a), matches(&c));
}

/// A one-shot-per-connection HTTP/1.1 server answering every GET with the file of that path.
fn serve(files: Vec<(&'static str, Vec<u8>)>) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        for _ in 0..files.len() {
            let Ok((stream, _)) = listener.accept() else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let mut stream = stream;
            match files.iter().find(|(p, _)| *p == path) {
                Some((_, body)) => {
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(body);
                }
                None => {
                    let _ =
                        stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
            }
        }
    });
    (addr, handle)
}

#[test]
fn db_update_downloads_the_configured_feeds() {
    let dir = tempfile::tempdir().unwrap();
    let (osv, _) = extra_feeds(dir.path());
    let kev = std::fs::read(dir.path().join("kev/known_exploited_vulnerabilities.json")).unwrap();
    let (addr, server) = serve(vec![("/kev.json", kev)]);
    let cfg = dir.path().join("drydock.toml");
    std::fs::write(
        &cfg,
        format!(
            "[db]\nextra_sources = [{:?}]\n\n[[db.sources]]\nkind = \"kev\"\nurl = \"{addr}/kev.json\"\n",
            osv.display().to_string()
        ),
    )
    .unwrap();
    let db = dir.path().join("data/vulndb.sqlite");
    let out = drydock(
        &[
            "db",
            "update",
            "--config",
            cfg.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
            "--cache-dir",
            dir.path().join("feeds").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    server.join().unwrap();
    let image = format!("docker-archive:{}", image_tar(dir.path()).display());
    let v = json_of(&drydock(
        &["scan", &image, "--db", db.to_str().unwrap(), "-o", "json"],
        dir.path(),
    ));
    let chardet = v["matches"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["package"]["name"] == "chardet")
        .unwrap();
    assert_eq!(
        chardet["kev_date_added"], "2024-03-01",
        "enrichment from the downloaded feed"
    );
    let sources: Vec<&str> = v["database"]["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["kev", "osv"]);
}

/// `--cpe-fallback` (and `[match] cpe_fallback = true`): a curl binary the binary cataloger
/// classifies, with no ecosystem data, is matched by its CPEs against NVD's criteria (the
/// NVD fixture of drydock-vulndb: CVE-2023-38545 for haxx:curl 7.69.0–8.4.0, CVE-2023-38546
/// for haxx:libcurl 7.9.1–8.4.0), labelled; without the flag it is not matched at all.
#[test]
fn cpe_fallback_matches_a_classified_binary_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let nvd =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../drydock-vulndb/tests/fixtures/vulndata/nvd/nvd-page-0.json");
    let osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulndata");
    let db = home.join("vulndb.sqlite");
    let out = drydock(
        &[
            "db",
            "build",
            "--from",
            osv.to_str().unwrap(),
            "--from",
            nvd.to_str().unwrap(),
            "--out",
            db.to_str().unwrap(),
        ],
        home,
    );
    assert!(out.status.success(), "db build failed: {}", stderr(&out));

    // A root file system holding only a curl executable (no OS, no ecosystem packages).
    let root = home.join("rootfs");
    let bin = root.join("usr/local/bin");
    std::fs::create_dir_all(&bin).unwrap();
    let mut bytes = b"\x7fELF\x02\x01\x01\0".to_vec();
    bytes.extend_from_slice(b"\0\0\0\0curl/7.88.1\0libcurl/7.88.1 OpenSSL/3.0.11\0\0\0");
    std::fs::write(bin.join("curl"), &bytes).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(bin.join("curl"), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let source = format!("dir:{}", root.display());
    let run = |extra: &[&str]| {
        let mut args = vec!["scan", source.as_str(), "--db", db.to_str().unwrap()];
        args.extend_from_slice(extra);
        drydock(&args, home)
    };

    // Off by default: the binary is catalogued but not matched.
    let v = json_of(&run(&["-o", "json"]));
    assert_eq!(v["summary"]["packages"], 1, "{}", v["summary"]);
    assert_eq!(v["summary"]["packagesLookedUp"], 0);
    assert_eq!(v["summary"]["packagesCpeLookedUp"], 0);
    assert!(matches(&v).is_empty(), "{:?}", matches(&v));

    // With the flag: both CVEs, labelled, severity from NVD, the range end as the fix.
    let v = json_of(&run(&["--cpe-fallback", "-o", "json"]));
    assert_eq!(
        matches(&v),
        vec![
            (
                s("curl"),
                s("7.88.1"),
                s("CVE-2023-38545"),
                vec![s("8.4.0")],
                s("critical")
            ),
            (s("curl"), s("7.88.1"), s("CVE-2023-38546"), vec![s("8.4.0")], s("low")),
        ]
    );
    let m = &v["matches"][0];
    assert_eq!(m["matched_by"], "cpe");
    assert_eq!(m["package"]["type"], "binary");
    assert_eq!(m["package"]["locations"][0]["path"], "/usr/local/bin/curl");
    assert_eq!(m["namespace"], "cpe");
    assert_eq!(m["lookup_name"], "haxx:curl");
    assert_eq!(m["evidence"][0]["matched"]["kind"], "cpe");
    assert_eq!(
        m["evidence"][0]["matched"]["criteria"],
        "cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*"
    );
    assert_eq!(m["evidence"][0]["matched"]["start_including"], "7.69.0");
    assert_eq!(v["matches"][1]["lookup_name"], "haxx:libcurl");
    assert_eq!(v["summary"]["packagesCpeLookedUp"], 1);
    assert_eq!(v["summary"]["matchedByCpe"], 2);

    // The table marks them; SARIF and CycloneDX say so in their properties.
    let sarif = home.join("out.sarif");
    let cdx = home.join("out.cdx.json");
    let out = run(&[
        "--cpe-fallback",
        "-o",
        "table",
        "-o",
        &format!("sarif={}", sarif.display()),
        "-o",
        &format!("cyclonedx-json={}", cdx.display()),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.contains("CVE-2023-38545 (cpe)"), "{table}");
    assert!(table.contains("2 matched by CPE"), "{table}");
    let sarif: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let r = &sarif["runs"][0]["results"][0];
    assert_eq!(r["properties"]["matchedBy"], "cpe");
    assert!(r["message"]["text"].as_str().unwrap().contains("matched by CPE"), "{r}");
    let cdx: Value = serde_json::from_slice(&std::fs::read(&cdx).unwrap()).unwrap();
    let vuln = cdx["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == "CVE-2023-38545")
        .unwrap();
    let props = vuln["properties"].as_array().unwrap();
    assert!(
        props.contains(&json!({"name": "drydock:matchedBy", "value": "cpe"})),
        "{props:?}"
    );
    assert!(props.contains(&json!({"name": "drydock:cpe:criteria", "value": "cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*"})));

    // The same from the configuration file.
    let conf = home.join("drydock.toml");
    std::fs::write(&conf, "[match]\ncpe_fallback = true\n").unwrap();
    let v = json_of(&run(&["--config", conf.to_str().unwrap(), "-o", "json"]));
    assert_eq!(matches(&v).len(), 2);
    assert_eq!(v["matches"][1]["matched_by"], "cpe");
}
