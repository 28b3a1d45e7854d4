//! Building a database from a fixture tree, lookups, status, export/import (incl.
//! corruption and a killed importer), and the build/lookup figures on ../shared/vulndata.

use drydock_version::Event;
use drydock_vulndb::{
    build, build_with, export, import, import_with, status, BuildOptions, Db, FixState, ImportError, SourceKind,
    SourceSpec,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulndata")
}

fn build_fixture_db(dir: &Path) -> PathBuf {
    let out = dir.join("vuln.db");
    let mut events = 0;
    let report = build(&[SourceSpec::auto(fixtures())], &out, &mut |_| events += 1).unwrap();
    assert!(events >= 7);
    assert_eq!(report.warning_count, 1, "{:?}", report.warnings); // the bad EPSS row
    out
}

fn ids(db: &Db, ns: &str, pkg: &str) -> BTreeSet<String> {
    db.lookup(ns, pkg)
        .unwrap()
        .iter()
        .map(|c| c.advisory.id.clone())
        .collect()
}

fn set(v: &[&str]) -> BTreeSet<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn db_is_shareable_between_threads() {
    fn check<T: Send + Sync>() {}
    check::<Db>();
}

#[test]
fn build_and_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_fixture_db(dir.path());
    let db = Db::open(&path).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "the database is readable by every user");

    let req = db.lookup("pypi", "requests").unwrap();
    assert_eq!(
        req.iter().map(|c| c.advisory.id.clone()).collect::<BTreeSet<_>>(),
        set(&[
            "PYSEC-2014-13",
            "PYSEC-2014-14",
            "PYSEC-2015-17",
            "PYSEC-2018-28",
            "PYSEC-2023-74"
        ])
    );
    let c = req.iter().find(|c| c.advisory.id == "PYSEC-2018-28").unwrap();
    assert!(c.advisory.aliases.contains(&"GHSA-x84v-xcm2-53pg".to_string()));
    assert_eq!(
        c.affected().ranges[0].events,
        vec![Event::Introduced("0".into()), Event::Fixed("2.20.0".into())]
    );
    assert_eq!(c.affected().fixed, vec!["2.20.0"]);
    let c = req.iter().find(|c| c.advisory.id == "PYSEC-2015-17").unwrap();
    assert_eq!(
        c.affected().ranges[0].events,
        vec![Event::Introduced("2.1.0".into()), Event::Fixed("2.6.0".into())]
    );
    // Names are normalised on the way in, too.
    assert_eq!(db.lookup("pypi", "Requests").unwrap().len(), 5);
    assert!(db.lookup("pypi", "requestz").unwrap().is_empty());
    assert!(db.lookup("npm", "requests").unwrap().is_empty());
    // Withdrawn records are returned with their date.
    let w = db.lookup("pypi", "arrayfire").unwrap();
    assert!(w[0].advisory.withdrawn.is_some());

    assert_eq!(ids(&db, "go", "stdlib"), set(&["GO-2021-0067", "GO-2023-1987"]));
    assert_eq!(ids(&db, "go", "github.com/gin-gonic/gin"), set(&["GO-2020-0001"]));
    let openssl_310 = ids(&db, "alpine:3.10", "openssl");
    assert!(
        openssl_310.contains("CVE-2019-1547") && openssl_310.contains("CVE-2018-0734"),
        "{openssl_310:?}"
    );
    assert_eq!(ids(&db, "alpine:3.20", "openssl"), set(&["ALPINE-CVE-2023-5363"]));
    assert_eq!(
        ids(&db, "debian:12", "glibc"),
        set(&["CVE-2010-4756", "CVE-2023-4911", "DEBIAN-CVE-2023-4911"])
    );
    let g = db.lookup("debian:11", "glibc").unwrap();
    let g = g.iter().find(|c| c.advisory.id == "CVE-2023-4911").unwrap();
    assert_eq!(g.affected().fix_state, FixState::NotAffected);
    assert_eq!(ids(&db, "ubuntu:22.04", "glibc"), set(&["UBUNTU-CVE-2023-4911"]));
    assert_eq!(ids(&db, "crates.io", "tokio-rustls"), set(&["RUSTSEC-2020-0019"]));

    let by = db.by_id("CVE-2018-18074").unwrap();
    assert_eq!(by.len(), 1);
    assert_eq!(by[0].id, "PYSEC-2018-28");

    let e = db.enrichment("CVE-2021-44228").unwrap().unwrap();
    assert_eq!(e.kev_date_added.as_deref(), Some("2021-12-10"));
    assert_eq!(e.epss, Some((0.94358, 0.99961)));
    let e = db.enrichment("CVE-2018-18074").unwrap().unwrap();
    assert!(e.kev_date_added.is_none());
    assert_eq!(e.nvd.len(), 2);
    assert!(e.epss.is_some());
    assert!(db.enrichment("CVE-1999-0000").unwrap().is_none());

    let st = status(&path, None).unwrap();
    assert!(!st.stale && st.warnings.is_empty());
    let kinds: Vec<&str> = st.sources.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, vec!["osv", "alpine", "debian", "rustsec", "nvd", "kev", "epss"]);
    let osv = &st.sources[0];
    assert_eq!(osv.records, 13);
    assert_eq!(osv.newest.as_deref(), Some("2025-01-14T07:56:35.519393Z"));
    assert_eq!(st.sources[5].newest.as_deref(), Some("2025-08-25"));
    assert!(st.advisories > 40 && st.enrichment >= 5);
    assert!(st.built_at.ends_with('Z'));
    // A zero allowed age makes it stale once a second has passed.
    std::thread::sleep(Duration::from_millis(1100));
    let st = status(&path, Some(Duration::ZERO)).unwrap();
    assert!(
        st.stale && st.warnings[0].contains("drydock db update"),
        "{:?}",
        st.warnings
    );
}

#[test]
fn cpe_criteria_lookup() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_fixture_db(dir.path());
    let db = Db::open(&path).unwrap();
    let curl = db.lookup_cpe("haxx", "curl").unwrap();
    assert_eq!(curl.len(), 1, "{curl:?}");
    let c = &curl[0];
    assert_eq!(c.cve, "CVE-2023-38545");
    assert_eq!(c.criteria, "cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*");
    assert_eq!(
        (c.start_including.as_deref(), c.end_excluding.as_deref()),
        (Some("7.69.0"), Some("8.4.0"))
    );
    assert!(c.start_excluding.is_none() && c.end_including.is_none());
    let lib = db.lookup_cpe("HAXX", "libcurl").unwrap();
    assert_eq!(
        (lib[0].cve.as_str(), lib[0].start_including.as_deref()),
        ("CVE-2023-38546", Some("7.9.1"))
    );
    // Exact versions in the criteria, no bounds.
    let ossl = db.lookup_cpe("openssl", "openssl").unwrap();
    assert_eq!(ossl.len(), 9);
    assert!(ossl.iter().all(|c| c.cve == "CVE-2014-0160" && !c.has_bounds()));
    assert!(ossl
        .iter()
        .any(|c| c.criteria == "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*"));
    // Operating-system criteria are stored too; platforms not marked vulnerable are not.
    assert_eq!(db.lookup_cpe("fedoraproject", "fedora").unwrap().len(), 2);
    assert!(db.lookup_cpe("microsoft", "windows").unwrap().is_empty());
    assert!(db.lookup_cpe("haxx", "wget").unwrap().is_empty());
    // Enrichment of those CVEs carries NVD's rating.
    let e = db.enrichment("CVE-2023-38545").unwrap().unwrap();
    assert_eq!(e.nvd[0].score, Some(9.8));
    assert_eq!(status(&path, None).unwrap().cpe_matches, 15);
}

#[test]
fn other_schema_versions_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = build_fixture_db(dir.path());
    let old = dir.path().join("old.db");
    std::fs::copy(&path, &old).unwrap();
    {
        let c = rusqlite::Connection::open(&old).unwrap();
        c.execute_batch("PRAGMA user_version=1; UPDATE meta SET value='1' WHERE key='schema_version';")
            .unwrap();
    }
    let err = Db::open(&old)
        .err()
        .expect("a schema-1 database must be refused")
        .to_string();
    assert!(
        err.contains("schema version 1") && err.contains("drydock db update") && err.contains("old.db"),
        "{err}"
    );
}

#[test]
fn users_records_override_and_drop_list() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("own");
    std::fs::create_dir_all(&own).unwrap();
    // A private advisory, and a local correction of a public record.
    std::fs::write(
        own.join("ACME-2024-1.json"),
        r#"{"id":"ACME-2024-1","modified":"2024-01-01T00:00:00Z","summary":"internal",
            "affected":[{"package":{"ecosystem":"PyPI","name":"Requests"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"2.32.3"}]}]}]}"#,
    )
    .unwrap();
    let mut fixed = std::fs::read_to_string(fixtures().join("osv/PyPI/PYSEC-2014-13.json")).unwrap();
    fixed = fixed.replace("\"2.3.0\"", "\"2.3.1\"");
    std::fs::write(own.join("PYSEC-2014-13.json"), fixed).unwrap();

    let out = dir.path().join("db.sqlite");
    let opts = BuildOptions {
        drop_ids: vec!["GHSA-x84v-xcm2-53pg".into(), "PYSEC-2015-17".into()],
    };
    let report = build_with(
        &[
            SourceSpec::new(SourceKind::Osv, fixtures().join("osv")),
            SourceSpec::new(SourceKind::Osv, &own),
        ],
        &out,
        &opts,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(report.dropped, 2);
    let db = Db::open(&out).unwrap();
    let c = db.lookup("pypi", "requests").unwrap();
    let got: BTreeSet<String> = c.iter().map(|c| c.advisory.id.clone()).collect();
    assert_eq!(
        got,
        set(&["ACME-2024-1", "PYSEC-2014-13", "PYSEC-2014-14", "PYSEC-2023-74"])
    );
    let p = c.iter().find(|c| c.advisory.id == "PYSEC-2014-13").unwrap();
    assert_eq!(p.affected().fixed, vec!["2.3.1"]);
    let acme = c.iter().find(|c| c.advisory.id == "ACME-2024-1").unwrap();
    assert_eq!(acme.affected().fix_state, FixState::NotFixed);
    // The replaced record has exactly one entry, not two.
    assert_eq!(c.len(), 4);
}

#[test]
fn open_refuses_non_databases() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Db::open(&dir.path().join("missing.db")).is_err());
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![7u8; 10000]).unwrap();
    let e = Db::open(&junk).err().unwrap().to_string();
    assert!(e.contains("junk.db"), "{e}");
    // A valid SQLite file that is not ours.
    let other = dir.path().join("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t(x)")
        .unwrap();
    let e = Db::open(&other).err().unwrap().to_string();
    assert!(e.contains("not a drydock vulnerability database"), "{e}");
    // A build from nothing usable fails and leaves no file.
    let out = dir.path().join("x.db");
    assert!(build(&[SourceSpec::new(SourceKind::Kev, &junk)], &out, &mut |_| {}).is_err());
    assert!(!out.exists());
}

#[test]
fn export_import_round_trip_and_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let src = build_fixture_db(dir.path());
    let exp = dir.path().join("db.export");
    let digest = export(&src, &exp).unwrap();
    assert_eq!(digest.len(), 64);
    let target_dir = dir.path().join("site");
    std::fs::create_dir_all(&target_dir).unwrap();
    let target = target_dir.join("vuln.db");
    import(&exp, &target).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), std::fs::read(&src).unwrap());
    assert_eq!(Db::open(&target).unwrap().lookup("pypi", "requests").unwrap().len(), 5);
    let before = std::fs::read(&target).unwrap();

    let bytes = std::fs::read(&exp).unwrap();
    let check_refused = |name: &str, data: &[u8], want: fn(&ImportError) -> bool| {
        let f = dir.path().join(name);
        std::fs::write(&f, data).unwrap();
        let err = import(&f, &target).unwrap_err();
        assert!(want(&err), "{name}: {err}");
        assert!(err.to_string().contains(name), "{err}");
        assert_eq!(std::fs::read(&target).unwrap(), before, "{name}: old database changed");
        assert!(Db::open(&target).is_ok());
        // No temporary file is left behind.
        let left: Vec<_> = std::fs::read_dir(&target_dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 1, "{left:?}");
    };
    let mut flipped = bytes.clone();
    let mid = bytes.len() / 2;
    flipped[mid] ^= 0x40;
    check_refused("flipped.export", &flipped, |e| matches!(e, ImportError::Corrupt { .. }));
    check_refused("truncated.export", &bytes[..bytes.len() - 100], |e| {
        matches!(e, ImportError::Corrupt { .. })
    });
    let mut magic = bytes.clone();
    magic[0] = b'X';
    check_refused("magic.export", &magic, |e| matches!(e, ImportError::NotAnExport { .. }));
    let mut schema = bytes.clone();
    schema[12] = 99;
    check_refused("schema.export", &schema, |e| {
        matches!(e, ImportError::Schema { found: 99, .. })
    });
    check_refused("empty.export", b"", |e| matches!(e, ImportError::NotAnExport { .. }));
    // A flipped byte in the header's checksum is caught too.
    let mut sum = bytes.clone();
    sum[30] ^= 1;
    check_refused("sum.export", &sum, |e| matches!(e, ImportError::Corrupt { .. }));
}

/// Runs only inside the child process started by `import_killed_midway`: imports slowly.
#[test]
fn child_slow_import() {
    let (Ok(file), Ok(db)) = (
        std::env::var("DRYDOCK_TEST_IMPORT_FILE"),
        std::env::var("DRYDOCK_TEST_IMPORT_DB"),
    ) else {
        return;
    };
    let signal = std::env::var("DRYDOCK_TEST_IMPORT_SIGNAL").unwrap();
    let mut first = true;
    let _ = import_with(Path::new(&file), Path::new(&db), &mut |_| {
        if first {
            std::fs::write(&signal, b"writing").unwrap();
            first = false;
        }
        std::thread::sleep(Duration::from_millis(200));
    });
    panic!("the parent should have killed this import");
}

#[test]
fn import_killed_midway() {
    let dir = tempfile::tempdir().unwrap();
    // A payload big enough to take several chunks: the fixture DB plus padding rows is
    // not needed; the slow callback runs per 1 MiB chunk, so build from the fixture and
    // pad the export source with a larger, valid database.
    let big = dir.path().join("big.db");
    {
        let src = build_fixture_db(dir.path());
        std::fs::copy(&src, &big).unwrap();
        let c = rusqlite::Connection::open(&big).unwrap();
        c.execute_batch(&format!(
            "CREATE TABLE padding(x BLOB); PRAGMA user_version={};",
            drydock_vulndb::SCHEMA_VERSION
        ))
        .unwrap();
        for _ in 0..6 {
            c.execute("INSERT INTO padding VALUES (randomblob(1000000))", [])
                .unwrap();
        }
    }
    let exp = dir.path().join("big.export");
    export(&big, &exp).unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    let target = site.join("vuln.db");
    std::fs::copy(dir.path().join("vuln.db"), &target).unwrap();
    let before = std::fs::read(&target).unwrap();

    let signal = dir.path().join("signal");
    // This test binary again, running only `child_slow_import` (named by its module path in
    // the binary: `db::child_slow_import`).
    let module = module_path!().split_once("::").map_or("", |(_, m)| m);
    let child_test = format!("{module}::child_slow_import");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", &child_test, "--nocapture", "--test-threads=1"])
        .env("DRYDOCK_TEST_IMPORT_FILE", &exp)
        .env("DRYDOCK_TEST_IMPORT_DB", &target)
        .env("DRYDOCK_TEST_IMPORT_SIGNAL", &signal)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !signal.exists() {
        assert!(start.elapsed() < Duration::from_secs(60), "child never started writing");
        if let Some(status) = child.try_wait().unwrap() {
            panic!("child ended early: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();

    // The old database is intact and still what opens; the partial file is not it.
    assert_eq!(std::fs::read(&target).unwrap(), before);
    assert_eq!(Db::open(&target).unwrap().lookup("pypi", "requests").unwrap().len(), 5);
    let partials: Vec<PathBuf> = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().ends_with(".partial"))
        .collect();
    assert_eq!(partials.len(), 1, "the killed import leaves its partial file");
    assert!(Db::open(&partials[0]).is_err() || std::fs::metadata(&partials[0]).unwrap().len() < 7_000_000);
    // A new import then succeeds.
    import(&exp, &target).unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), std::fs::read(&big).unwrap());
}

/// Builds from `../shared/vulndata` as it is, prints the build time and file size, and
/// times 2,450 warm lookups. Skipped when the data is not there.
#[test]
fn shared_vulndata_build_and_lookup_speed() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndata");
    if !data.join("SOURCES.json").is_file() {
        eprintln!("skipped: {} not found", data.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("vuln.db");
    let t = Instant::now();
    let report = build(&[SourceSpec::auto(&data)], &out, &mut |_| {}).unwrap();
    let build_time = t.elapsed();
    eprintln!(
        "FIGURE build from shared/vulndata: {:.2?}, {} advisories, {} bytes, {} warnings {:?}",
        build_time,
        report.advisories,
        report.file_size,
        report.warning_count,
        report.warnings.iter().take(3).collect::<Vec<_>>()
    );
    for s in &report.sources {
        eprintln!(
            "FIGURE   source {} {}: {} records, {} enrichment, newest {:?}",
            s.name, s.location, s.records, s.enrichment, s.newest
        );
    }
    let db = Db::open(&out).unwrap();
    let req = ids(&db, "pypi", "requests");
    assert!(
        req.contains("PYSEC-2018-28") && req.contains("PYSEC-2023-74"),
        "{req:?}"
    );
    let std_ids = ids(&db, "go", "stdlib");
    assert!(std_ids.len() > 100, "{}", std_ids.len());
    assert!(!ids(&db, "alpine:3.10", "openssl").is_empty());
    assert!(db
        .enrichment("CVE-2021-44228")
        .unwrap()
        .unwrap()
        .kev_date_added
        .is_some());

    // 2,450 lookups: names that exist in the DB plus misses, like an image's SBOM.
    let conn = rusqlite::Connection::open(&out).unwrap();
    let mut names: Vec<(String, String)> = conn
        .prepare("SELECT DISTINCT namespace, package FROM affected LIMIT 1200")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    while names.len() < 2450 {
        let n = names.len();
        names.push(("debian:12".into(), format!("libmissing{n}")));
    }
    let open_t = Instant::now();
    let db = Db::open(&out).unwrap();
    let open_time = open_t.elapsed();
    let mut found = 0;
    let cold = Instant::now();
    for (ns, p) in &names {
        found += db.lookup(ns, p).unwrap().len();
    }
    let cold = cold.elapsed();
    let warm = Instant::now();
    for (ns, p) in &names {
        found += db.lookup(ns, p).unwrap().len();
    }
    let warm = warm.elapsed();
    eprintln!("FIGURE open {open_time:.2?}; 2450 lookups cold {cold:.2?}, warm {warm:.2?} ({found} candidates)");
    // Export and import of the same database, timed.
    let exp = dir.path().join("vuln.export");
    let t = Instant::now();
    export(&out, &exp).unwrap();
    let export_time = t.elapsed();
    let t = Instant::now();
    import(&exp, &dir.path().join("imported.db")).unwrap();
    eprintln!(
        "FIGURE export {export_time:.2?} ({} bytes), import {:.2?}",
        std::fs::metadata(&exp).unwrap().len(),
        t.elapsed()
    );
    // Debug build: a generous bound; release is far below 100 ms.
    assert!(warm < Duration::from_millis(1000), "{warm:?}");
}

/// The stored ranges, checked with drydock-version's own range logic (the matcher's
/// path): versions inside are affected, the fixed version and later are not.
#[test]
fn stored_ranges_work_with_drydock_version() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&build_fixture_db(dir.path())).unwrap();
    let affected = |ns: &str, pkg: &str, id: &str, version: &str| -> bool {
        let c = db.lookup(ns, pkg).unwrap();
        let c = c
            .iter()
            .find(|c| c.advisory.id == id)
            .unwrap_or_else(|| panic!("{ns}/{pkg}: no {id}"));
        let a = c.affected();
        a.versions.iter().any(|v| v == version)
            || a.ranges
                .iter()
                .any(|r| drydock_version::in_range(r.scheme, version, &r.events).unwrap())
    };
    assert!(affected("pypi", "requests", "PYSEC-2018-28", "2.19.1"));
    assert!(!affected("pypi", "requests", "PYSEC-2018-28", "2.20.0"));
    assert!(affected("pypi", "requests", "PYSEC-2023-74", "2.30.0"));
    assert!(!affected("pypi", "requests", "PYSEC-2023-74", "2.2.1"));
    assert!(affected("go", "stdlib", "GO-2023-1987", "1.20.6"));
    assert!(!affected("go", "stdlib", "GO-2023-1987", "1.20.7"));
    assert!(!affected("go", "stdlib", "GO-2023-1987", "1.21.0"));
    assert!(affected("go", "github.com/gin-gonic/gin", "GO-2020-0001", "1.5.0"));
    assert!(affected("alpine:3.10", "openssl", "CVE-2019-1547", "1.1.1c-r0"));
    assert!(!affected("alpine:3.10", "openssl", "CVE-2019-1547", "1.1.1d-r0"));
    assert!(affected("debian:12", "glibc", "CVE-2023-4911", "2.36-9+deb12u2"));
    assert!(!affected("debian:12", "glibc", "CVE-2023-4911", "2.36-9+deb12u3"));
    assert!(affected("crates.io", "tokio-rustls", "RUSTSEC-2020-0019", "0.12.2"));
    assert!(!affected("crates.io", "tokio-rustls", "RUSTSEC-2020-0019", "0.12.3"));
    assert!(!affected("crates.io", "tokio-rustls", "RUSTSEC-2020-0019", "0.11.0"));
    assert!(affected("crates.io", "tokio-rustls", "RUSTSEC-2020-0019", "0.13.0"));
}
