//! Each feed reader on real published records (small fixtures copied from the public
//! sources, or in their exact published format).

use drydock_version::{Event, Scheme};
use drydock_vulndb::feeds::{self, EnrichmentUpdate, Item};
use drydock_vulndb::{Advisory, FixState};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulndata")
}

fn osv(rel: &str) -> Advisory {
    let p = fixtures().join(rel);
    feeds::osv::parse_record(&std::fs::read(&p).unwrap(), &p.display().to_string(), "osv:test").unwrap()
}

fn collect(
    f: impl FnOnce(&mut feeds::Sink<'_>) -> Result<(), feeds::FeedError>,
) -> (Vec<(String, Advisory)>, Vec<EnrichmentUpdate>, usize) {
    let mut adv = Vec::new();
    let mut enr = Vec::new();
    let mut skipped = 0;
    let mut sink = |i: Item| {
        match i {
            Item::Advisory { key, advisory } => adv.push((key, advisory)),
            Item::Enrichment(e) => enr.push(e),
            Item::Skipped(_) => skipped += 1,
        }
        Ok(())
    };
    f(&mut sink).unwrap();
    (adv, enr, skipped)
}

fn i(s: &str) -> Event {
    Event::Introduced(s.into())
}
fn fx(s: &str) -> Event {
    Event::Fixed(s.into())
}

#[test]
fn osv_pypi_requests() {
    let a = osv("osv/PyPI/PYSEC-2018-28.json");
    assert_eq!(a.id, "PYSEC-2018-28");
    assert_eq!(a.aliases, vec!["CVE-2018-18074", "GHSA-x84v-xcm2-53pg"]);
    assert_eq!(a.affected.len(), 1);
    let af = &a.affected[0];
    assert_eq!((af.namespace.as_str(), af.package.as_str()), ("pypi", "requests"));
    // The GIT range is dropped, the ECOSYSTEM one kept with the PEP 440 scheme.
    assert_eq!(af.ranges.len(), 1);
    assert_eq!(af.ranges[0].scheme, Scheme::Pep440);
    assert_eq!(af.ranges[0].events, vec![i("0"), fx("2.20.0")]);
    assert_eq!(af.fixed, vec!["2.20.0"]);
    assert_eq!(af.fix_state, FixState::Fixed);
    assert!(af.versions.contains(&"2.19.1".to_string()) && !af.versions.contains(&"2.20.0".to_string()));
    assert!(a.summary.starts_with("The Requests package before 2.20.0"));
    assert_eq!(a.published.as_deref(), Some("2018-10-09T17:29:00Z"));
    assert!(a.references.iter().any(|r| r.contains("GHSA-x84v-xcm2-53pg")));
    assert!(a.withdrawn.is_none());

    let a = osv("osv/PyPI/PYSEC-2023-74.json");
    assert_eq!(a.affected[0].ranges[0].events, vec![i("2.3.0"), fx("2.31.0")]);
}

#[test]
fn osv_severity_and_withdrawn() {
    let a = osv("osv/PyPI/PYSEC-2017-105.json");
    let s = a.severities.iter().find(|s| s.kind == "CVSS_V3").unwrap();
    assert_eq!(s.value, "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N");
    assert_eq!(s.score, Some(7.5));
    let w = osv("osv/PyPI/PYSEC-2019-144.json");
    assert_eq!(w.withdrawn.as_deref(), Some("2022-09-09T05:28:00Z"));
    assert_eq!(w.affected[0].package, "arrayfire");
}

#[test]
fn osv_go_module_and_stdlib() {
    let a = osv("osv/Go/GO-2020-0001.json");
    let af = &a.affected[0];
    assert_eq!(
        (af.namespace.as_str(), af.package.as_str()),
        ("go", "github.com/gin-gonic/gin")
    );
    assert_eq!(af.ranges[0].scheme, Scheme::Go);
    assert_eq!(af.ranges[0].events, vec![i("0"), fx("1.6.0")]);
    assert_eq!(a.aliases, vec!["CVE-2020-36567", "GHSA-6vm3-jj99-7229"]);
    // Go's `0001-01-01` placeholder is kept as published; the summary is the record's.
    assert_eq!(a.summary, "Arbitrary log line injection in github.com/gin-gonic/gin");

    let s = osv("osv/Go/GO-2023-1987.json");
    let af = &s.affected[0];
    assert_eq!((af.namespace.as_str(), af.package.as_str()), ("go", "stdlib"));
    assert_eq!(
        af.ranges[0].events,
        vec![
            i("0"),
            fx("1.19.12"),
            i("1.20.0-0"),
            fx("1.20.7"),
            i("1.21.0-0"),
            fx("1.21.0-rc.4")
        ]
    );
    let mut fixed = af.fixed.clone();
    fixed.sort();
    assert_eq!(fixed, vec!["1.19.12", "1.20.7", "1.21.0-rc.4"]);
}

#[test]
fn osv_distro_records() {
    let d = osv("osv/Debian/DEBIAN-CVE-2023-4911.json");
    assert_eq!(d.aliases, vec!["CVE-2023-4911"]);
    let ns: Vec<_> = d
        .affected
        .iter()
        .map(|a| (a.namespace.as_str(), a.package.as_str()))
        .collect();
    assert_eq!(ns, vec![("debian:12", "glibc"), ("debian:13", "glibc")]);
    assert_eq!(d.affected[0].ranges[0].scheme, Scheme::Dpkg);
    assert_eq!(d.affected[0].fixed, vec!["2.36-9+deb12u3"]);

    let u = osv("osv/Ubuntu/UBUNTU-CVE-2023-4911.json");
    assert_eq!(u.aliases, vec!["CVE-2023-4911"]);
    // The Ubuntu Pro stream is ignored.
    assert_eq!(u.affected.len(), 1);
    assert_eq!(u.affected[0].namespace, "ubuntu:22.04");
    assert!(u
        .severities
        .iter()
        .any(|s| s.kind == "vendor" && s.value == "high" && s.source == "ubuntu"));
    assert!(u.severities.iter().any(|s| s.kind == "CVSS_V3" && s.score == Some(7.8)));

    let a = osv("osv/Alpine/ALPINE-CVE-2023-5363.json");
    let ns: Vec<_> = a.affected.iter().map(|a| a.namespace.as_str()).collect();
    assert_eq!(ns, vec!["alpine:3.18", "alpine:3.20"]);
    assert_eq!(a.affected[0].ranges[0].scheme, Scheme::Apk);
    assert_eq!(a.affected[0].package, "openssl");
}

#[test]
fn osv_rejects_garbage_with_file_name() {
    let e = feeds::osv::parse_record(b"{\"id\": 3}", "x/bad.json", "osv").unwrap_err();
    assert!(e.to_string().contains("x/bad.json"), "{e}");
    let e = feeds::osv::parse_record(
        br#"{"id":"X-1","affected":[{"package":{"ecosystem":"PyPI","name":"a"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":5}]}]}]}"#,
        "x/bad.json",
        "osv",
    )
    .unwrap_err();
    assert!(e.to_string().contains("X-1"), "{e}");
}

#[test]
fn osv_all_zip() {
    let dir = tempfile::tempdir().unwrap();
    let zpath = dir.path().join("PyPI").join("all.zip");
    std::fs::create_dir_all(zpath.parent().unwrap()).unwrap();
    {
        let f = std::fs::File::create(&zpath).unwrap();
        let mut z = zip::ZipWriter::new(f);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for e in std::fs::read_dir(fixtures().join("osv/PyPI")).unwrap() {
            let p = e.unwrap().path();
            z.start_file(p.file_name().unwrap().to_string_lossy(), opts).unwrap();
            std::io::Write::write_all(&mut z, &std::fs::read(&p).unwrap()).unwrap();
        }
        z.start_file("broken.json", opts).unwrap();
        std::io::Write::write_all(&mut z, b"{not json").unwrap();
        z.finish().unwrap();
    }
    let (adv, _, skipped) = collect(|s| feeds::osv::read_zip(&zpath, s));
    assert_eq!(adv.len(), 7);
    assert_eq!(skipped, 1);
    assert!(adv.iter().all(|(_, a)| a.source == "osv:PyPI"));
    assert!(adv.iter().any(|(k, _)| k == "PYSEC-2018-28"));
}

#[test]
fn alpine_secdb() {
    let p = fixtures().join("alpine/v3.10/main.json");
    let (adv, _, _) = collect(|s| feeds::alpine::read_file(&p, None, s));
    let find = |pkg: &str, id: &str| {
        adv.iter()
            .find(|(_, a)| a.id == id && a.affected[0].package == pkg)
            .map(|(_, a)| a.clone())
            .unwrap()
    };
    let a = find("openssl", "CVE-2019-1547");
    let af = &a.affected[0];
    assert_eq!(af.namespace, "alpine:3.10");
    assert_eq!(af.ranges[0].scheme, Scheme::Apk);
    assert_eq!(af.ranges[0].events, vec![i("0"), fx("1.1.1d-r0")]);
    assert_eq!(af.fix_state, FixState::Fixed);
    // Listed under two fixed versions (a backport): the range ends at the higher one.
    let b = find("busybox", "CVE-2019-5747");
    assert_eq!(b.affected[0].ranges[0].events, vec![i("0"), fx("1.30.1-r2")]);
    assert_eq!(b.affected[0].fixed.len(), 2);
    assert!(adv.iter().all(|(k, _)| k.starts_with("secdb/alpine:3.10/")));

    // `0` as the fixed version means not affected.
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("main.json");
    std::fs::write(
        &f,
        r#"{"distroversion":"v3.20","reponame":"main","packages":[{"pkg":{"name":"curl","secfixes":{"0":["CVE-2021-22922"],"8.1.0-r0":["CVE-2023-28319 CVE-2023-28320"]}}}]}"#,
    )
    .unwrap();
    let (adv, _, _) = collect(|s| feeds::alpine::read_file(&f, None, s));
    assert_eq!(adv.len(), 3);
    let na = adv.iter().find(|(_, a)| a.id == "CVE-2021-22922").unwrap();
    assert_eq!(na.1.affected[0].fix_state, FixState::NotAffected);
    assert!(na.1.affected[0].ranges.is_empty());
    assert_eq!(na.1.affected[0].namespace, "alpine:3.20");
    assert!(adv.iter().any(|(_, a)| a.id == "CVE-2023-28320"));

    // Wolfi's security.json: same shape, no distroversion.
    let w = dir.path().join("security.json");
    std::fs::write(
        &w,
        r#"{"apkurl":"{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk","archs":["x86_64"],"reponame":"os","urlprefix":"https://packages.wolfi.dev","packages":[{"pkg":{"name":"Glibc","secfixes":{"2.38-r3":["CVE-2023-4911"]}}}]}"#,
    )
    .unwrap();
    let (adv, _, _) = collect(|s| feeds::alpine::read_file(&w, None, s));
    assert_eq!(
        (
            adv[0].1.affected[0].namespace.as_str(),
            adv[0].1.affected[0].package.as_str()
        ),
        ("wolfi", "glibc")
    );
}

#[test]
fn debian_tracker() {
    let p = fixtures().join("debian/tracker.json");
    let (adv, _, _) = collect(|s| feeds::debian::read_file(&p, s));
    let get = |pkg: &str, id: &str| {
        adv.iter()
            .find(|(_, a)| a.id == id && a.affected[0].package == pkg)
            .unwrap()
            .1
            .clone()
    };
    let a = get("glibc", "CVE-2023-4911");
    let rel = |ns: &str| a.affected.iter().find(|x| x.namespace == ns).unwrap().clone();
    assert_eq!(rel("debian:12").fix_state, FixState::Fixed);
    assert_eq!(rel("debian:12").ranges[0].events, vec![i("0"), fx("2.36-9+deb12u3")]);
    assert_eq!(rel("debian:12").ranges[0].scheme, Scheme::Dpkg);
    assert_eq!(rel("debian:11").fix_state, FixState::NotAffected);
    assert_eq!(rel("debian:13").fixed, vec!["2.37-12"]);
    assert_eq!(rel("debian:unstable").fixed, vec!["2.37-12"]);
    assert!(a.summary.starts_with("A buffer overflow"));

    let u = get("glibc", "CVE-2010-4756");
    assert_eq!(u.affected[0].fix_state, FixState::NotFixed);
    assert_eq!(u.affected[0].ranges[0].events, vec![i("0")]);
    assert!(u
        .severities
        .iter()
        .any(|s| s.value == "unimportant" && s.source == "debian"));

    let o = get("openssl", "CVE-2024-13176");
    let st = |ns: &str| o.affected.iter().find(|x| x.namespace == ns).unwrap().fix_state;
    assert_eq!(st("debian:12"), FixState::NotFixed);
    assert_eq!(st("debian:11"), FixState::WontFix);
    assert_eq!(st("debian:unstable"), FixState::Fixed);
    assert_eq!(
        get("openssl", "TEMP-0000000-F0B3C2").affected[0].fix_state,
        FixState::Unknown
    );
    assert_eq!(adv.len(), 4);

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("t.json");
    std::fs::write(&bad, r#"{"glibc": {"CVE-1": {"releases": 5}}}"#).unwrap();
    let e = feeds::debian::read_file(&bad, &mut |_| Ok(())).unwrap_err();
    assert!(e.to_string().contains("t.json"), "{e}");
}

#[test]
fn rustsec() {
    let (adv, _, skipped) = collect(|s| feeds::rustsec::read_dir(&fixtures().join("rustsec"), s));
    assert_eq!(skipped, 0);
    // `badge` is informational (unmaintained): left out.
    assert_eq!(adv.len(), 3);
    let t = &adv.iter().find(|(_, a)| a.id == "RUSTSEC-2020-0019").unwrap().1;
    let af = &t.affected[0];
    assert_eq!(
        (af.namespace.as_str(), af.package.as_str()),
        ("crates.io", "tokio-rustls")
    );
    assert_eq!(af.ranges[0].scheme, Scheme::Semver);
    assert_eq!(
        af.ranges[0].events,
        vec![i("0.12.0"), fx("0.12.3"), i("0.13.0"), fx("0.13.1")]
    );
    assert_eq!(af.fixed, vec!["0.12.3", "0.13.1"]);
    assert_eq!(t.aliases, vec!["CVE-2020-35875", "GHSA-2jfv-g3fh-xq3v"]);
    assert_eq!(t.summary, "tokio-rustls reads may cause excessive memory usage");
    assert_eq!(t.published.as_deref(), Some("2020-05-19"));
    let a = &adv.iter().find(|(_, a)| a.id == "RUSTSEC-2020-0105").unwrap().1;
    assert_eq!(a.severities[0].score, Some(7.5));
    assert_eq!(a.affected[0].ranges[0].events, vec![i("0"), fx("0.9.1")]);
    assert_eq!(a.affected[0].package, "abi_stable");
}

#[test]
fn kev_epss_nvd() {
    let (_, kev, _) =
        collect(|s| feeds::kev::read_file(&fixtures().join("kev/known_exploited_vulnerabilities.json"), s));
    assert_eq!(kev.len(), 3);
    let log4j = kev.iter().find(|e| e.cve == "CVE-2021-44228").unwrap();
    assert_eq!(log4j.kev_date_added.as_deref(), Some("2021-12-10"));

    let p = fixtures().join("epss/epss_scores-current.csv");
    let mut date = None;
    let (_, epss, skipped) = collect(|s| {
        date = feeds::epss::read_file(&p, s)?;
        Ok(())
    });
    assert_eq!(date.as_deref(), Some("2024-10-10T00:00:00+0000"));
    assert_eq!(epss.len(), 3);
    assert_eq!(skipped, 1);
    assert_eq!(epss[2].epss, Some((0.94358, 0.99961)));

    let (_, nvd, _) = collect(|s| feeds::nvd::read_file(&fixtures().join("nvd/nvd-page-0.json"), s).map(|_| ()));
    assert_eq!(nvd.len(), 5);
    let r = nvd[0].nvd.as_ref().unwrap();
    assert!(r
        .iter()
        .any(|s| s.kind == "CVSS_V3" && s.score == Some(7.5) && s.source == "nvd@nist.gov"));
    assert!(r.iter().any(|s| s.kind == "CVSS_V2" && s.score == Some(5.0)));
    assert_eq!(nvd[1].nvd.as_ref().unwrap()[0].score, Some(6.1));
    // No configurations: an empty (but present) list, which clears earlier criteria.
    assert_eq!(nvd[0].cpe_matches.as_deref(), Some(&[][..]));
    // Only entries marked vulnerable are kept, with their bounds.
    let curl = nvd.iter().find(|e| e.cve == "CVE-2023-38545").unwrap();
    let m = curl.cpe_matches.as_ref().unwrap();
    assert_eq!(m.len(), 4, "{m:?}");
    assert_eq!(m[0].criteria, "cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*");
    assert_eq!(m[0].start_including.as_deref(), Some("7.69.0"));
    assert_eq!(m[0].end_excluding.as_deref(), Some("8.4.0"));
    assert!(m[0].start_excluding.is_none() && m[0].end_including.is_none());
    let hb = nvd.iter().find(|e| e.cve == "CVE-2014-0160").unwrap();
    let m = hb.cpe_matches.as_ref().unwrap();
    assert_eq!(m.len(), 10, "{m:?}"); // 9 OpenSSL versions + Siemens; not the Windows platform
    assert!(m.iter().all(|c| !c.has_bounds()));
    assert!(!m.iter().any(|c| c.criteria.contains("microsoft")));
}

/// Every row of the feed table: unique names, its directory in the committed feed tree, a
/// committed sample file its sniff recognises (or the directory its marker recognises), and
/// its public downloads (if any) of its own kind.
#[test]
fn every_feed_row_recognises_its_committed_sample() {
    use drydock_vulndb::feeds::table::{feed, public_sources, FEEDS};
    use drydock_vulndb::{detect_sources, SourceKind, SourceSpec};
    let mut names = std::collections::HashSet::new();
    for row in FEEDS {
        assert!(names.insert(row.name), "{} twice", row.name);
        assert_eq!(row.kind.as_str(), row.name);
        assert_eq!(feed(row.kind).map(|f| f.name), Some(row.name));
        let dir = fixtures().join(row.dirs[0]);
        assert!(dir.is_dir(), "{}: no sample at {}", row.name, dir.display());
        // The directory on its own is recognised as this feed.
        let found = detect_sources(&SourceSpec::auto(&dir)).unwrap();
        assert_eq!(
            found.iter().map(|s| s.kind).collect::<Vec<_>>(),
            [row.kind],
            "{}",
            row.name
        );
        // And so is each sample file in it.
        if row.is_file_feed() {
            let mut files = Vec::new();
            let mut stack = vec![dir.clone()];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).unwrap() {
                    let p = e.unwrap().path();
                    if p.is_dir() {
                        stack.push(p);
                    } else {
                        files.push(p);
                    }
                }
            }
            assert!(!files.is_empty(), "{}: no sample file", row.name);
            for f in files {
                let found = detect_sources(&SourceSpec::auto(&f)).unwrap();
                assert_eq!(found[0].kind, row.kind, "{}", f.display());
            }
        }
    }
    // The whole tree: one source per row, in the table's order.
    let tree: Vec<SourceKind> = detect_sources(&SourceSpec::auto(fixtures()))
        .unwrap()
        .iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(tree, FEEDS.iter().map(|f| f.kind).collect::<Vec<_>>());
    // Public downloads: each of a downloadable kind, OSV's one per ecosystem.
    let public = public_sources(&["v3.20"]);
    assert!(public.iter().all(|s| feed(s.kind).is_some_and(|f| f.is_file_feed())));
    let osv: Vec<_> = public.iter().filter(|s| s.kind == SourceKind::Osv).collect();
    assert_eq!(osv.len(), drydock_vulndb::feeds::table::osv_ecosystems().count());
    assert!(osv.iter().any(|s| s.url.ends_with("/PyPI/all.zip")));
    assert!(osv.iter().any(|s| s.url.ends_with("/Rocky%20Linux/all.zip")));
    assert_eq!(public.iter().filter(|s| s.kind == SourceKind::Alpine).count(), 2);
}

/// A package type's OSV ecosystem normalises to the namespace the matcher looks it up in.
#[test]
fn every_package_type_osv_ecosystem_normalises_to_its_match_namespace() {
    for row in drydock_ecosystem::TYPES {
        if let (Some(osv), drydock_ecosystem::Matching::Namespace(ns)) = (row.osv, row.matching) {
            assert_eq!(
                drydock_vulndb::normalize_namespace(osv).as_deref(),
                Some(ns),
                "{}",
                row.name
            );
            assert_eq!(
                drydock_vulndb::normalize_namespace(&format!("{osv}:extra")).as_deref(),
                Some(ns)
            );
        }
    }
}
