//! OSV range semantics on real advisory records (copied from the PyPA advisory database
//! and the Go vulnerability database into tests/fixtures/osv), plus synthetic edge cases.
use drydock_version::{in_range, in_versions, range_hit, Event, Scheme};
use serde_json::Value;
use std::path::Path;

/// (package name, scheme, events per SEMVER/ECOSYSTEM range, versions list) of a record.
type Affected = (String, Scheme, Vec<Vec<Event>>, Vec<String>);

fn events_of(range: &Value) -> Vec<Event> {
    range["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let (k, v) = e.as_object().unwrap().iter().next().unwrap();
            let v = v.as_str().unwrap().to_string();
            match k.as_str() {
                "introduced" => Event::Introduced(v),
                "fixed" => Event::Fixed(v),
                "last_affected" => Event::LastAffected(v),
                "limit" => Event::Limit(v),
                other => panic!("unknown event {other}"),
            }
        })
        .collect()
}

fn affected_of(record: &Value) -> Vec<Affected> {
    record["affected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let scheme = Scheme::for_ecosystem(a["package"]["ecosystem"].as_str().unwrap());
            let ranges = a["ranges"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .filter(|r| r["type"] == "SEMVER" || r["type"] == "ECOSYSTEM")
                        .map(events_of)
                        .collect()
                })
                .unwrap_or_default();
            let versions = a["versions"]
                .as_array()
                .map(|vs| vs.iter().map(|v| v.as_str().unwrap().to_string()).collect())
                .unwrap_or_default();
            (
                a["package"]["name"].as_str().unwrap().to_string(),
                scheme,
                ranges,
                versions,
            )
        })
        .collect()
}

fn fixture(id: &str) -> Vec<Affected> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/osv")
        .join(format!("{id}.json"));
    affected_of(&serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap())
}

/// Is `version` of `package` affected by record `id` (ranges or versions list)?
fn affected(id: &str, package: &str, version: &str) -> bool {
    let mut hit = false;
    for (name, scheme, ranges, versions) in fixture(id) {
        if name != package {
            continue;
        }
        for events in &ranges {
            hit |= in_range(scheme, version, events).unwrap();
        }
        hit |= in_versions(scheme, version, &versions).unwrap();
    }
    hit
}

#[test]
fn requests_2_20_0() {
    // requests 2.20.0 is the fix for PYSEC-2018-28 and inside PYSEC-2023-74's range.
    assert!(!affected("PYSEC-2018-28", "requests", "2.20.0"));
    assert!(affected("PYSEC-2018-28", "requests", "2.19.1"));
    assert!(affected("PYSEC-2023-74", "requests", "2.20.0"));
    assert!(!affected("PYSEC-2023-74", "requests", "2.31.0"));
    assert!(!affected("PYSEC-2023-74", "requests", "2.2.1"));
    assert!(!affected("PYSEC-2015-17", "requests", "2.20.0"));
    assert!(affected("PYSEC-2015-17", "requests", "2.5.3"));
    assert!(!affected("PYSEC-2014-13", "requests", "2.20.0"));
    // PEP 440 equality, not string equality: 2.20 is 2.20.0
    assert!(!affected("PYSEC-2018-28", "requests", "2.20"));
    assert!(affected("PYSEC-2023-74", "requests", "2.20"));
    // pre-releases order below their release
    assert!(affected("PYSEC-2023-74", "requests", "2.31.0rc1"));
    assert!(affected("PYSEC-2018-28", "requests", "2.20.0rc1"));

    let (_, scheme, ranges, _) = &fixture("PYSEC-2023-74")[0];
    let hit = range_hit(*scheme, "2.20.0", &ranges[0]).unwrap().unwrap();
    assert_eq!(hit.introduced, "2.3.0");
    assert_eq!(hit.closed_by, Some(Event::Fixed("2.31.0".into())));
}

#[test]
fn last_affected_is_inclusive() {
    // PYSEC-2022-42969: py, introduced 0, last_affected 1.11.0
    assert!(affected("PYSEC-2022-42969", "py", "1.11.0"));
    assert!(affected("PYSEC-2022-42969", "py", "1.4.0"));
    assert!(!affected("PYSEC-2022-42969", "py", "1.11.1"));
    let (_, scheme, ranges, _) = &fixture("PYSEC-2022-42969")[0];
    let hit = range_hit(*scheme, "1.0", &ranges[0]).unwrap().unwrap();
    assert_eq!(hit.introduced, "0");
    assert_eq!(hit.closed_by, Some(Event::LastAffected("1.11.0".into())));
}

#[test]
fn overlapping_pairs_in_a_malformed_record() {
    // PYSEC-2021-114 (wagtail): introduced 2.11, fixed 2.11.7, introduced 0, fixed 2.11.6,
    // introduced 2.12, fixed 2.12.4. The sorted walk alone would drop 2.11.6; osv.dev lists it.
    assert!(affected("PYSEC-2021-114", "wagtail", "2.11.6"));
    assert!(affected("PYSEC-2021-114", "wagtail", "2.11.5"));
    assert!(affected("PYSEC-2021-114", "wagtail", "2.10"));
    assert!(!affected("PYSEC-2021-114", "wagtail", "2.11.7"));
    assert!(affected("PYSEC-2021-114", "wagtail", "2.12.3"));
    assert!(!affected("PYSEC-2021-114", "wagtail", "2.12.4"));
    assert!(!affected("PYSEC-2021-114", "wagtail", "2.13"));
    let (_, scheme, ranges, _) = &fixture("PYSEC-2021-114")[0];
    let hit = range_hit(*scheme, "2.11.6", &ranges[0]).unwrap().unwrap();
    assert_eq!(
        (hit.introduced.as_str(), hit.closed_by),
        ("2.11", Some(Event::Fixed("2.11.7".into())))
    );
}

#[test]
fn go_stdlib_record() {
    // GO-2023-1987: stdlib, [0, 1.19.12) [1.20.0-0, 1.20.7) [1.21.0-0, 1.21.0-rc.4)
    for (v, want) in [
        ("go1.19.11", true),
        ("go1.19.12", false),
        ("1.19.12", false),
        ("go1.20", true),
        ("go1.20.6", true),
        ("go1.20.7", false),
        ("go1.21rc2", true),
        ("go1.21rc3", true),
        ("go1.21rc4", false),
        ("go1.21.0", false),
        ("go1.22.5", false),
        ("go1.4", true),
    ] {
        assert_eq!(affected("GO-2023-1987", "stdlib", v), want, "stdlib {v}");
    }
    let (_, scheme, ranges, _) = &fixture("GO-2023-1987")[0];
    let hit = range_hit(*scheme, "go1.20.1", &ranges[0]).unwrap().unwrap();
    assert_eq!(hit.introduced, "1.20.0-0");
    assert_eq!(hit.closed_by, Some(Event::Fixed("1.20.7".into())));
}

#[test]
fn go_pseudo_versions_and_incompatible() {
    // GO-2020-0004: introduced and fixed are pseudo-versions
    let pkg = "github.com/nanobox-io/golang-nanoauth";
    assert!(!affected("GO-2020-0004", pkg, "v0.0.0-20160722212128-ffffffffffff"));
    assert!(affected("GO-2020-0004", pkg, "v0.0.0-20160722212129-ac0cc4484ad4"));
    assert!(affected("GO-2020-0004", pkg, "v0.0.0-20190101000000-abcdefabcdef"));
    assert!(!affected("GO-2020-0004", pkg, "v0.0.0-20200131131040-063a3fb69896"));
    assert!(!affected("GO-2020-0004", pkg, "v0.1.0"));
    // GO-2021-0076: [0, 0.5.2) [3.0.0+incompatible, 3.0.1-0.20180525145409-4c9aadca8f89+incompatible)
    let pkg = "github.com/evanphx/json-patch";
    assert!(affected("GO-2021-0076", pkg, "v0.5.1"));
    assert!(!affected("GO-2021-0076", pkg, "v0.5.2"));
    assert!(!affected("GO-2021-0076", pkg, "v2.0.0+incompatible"));
    assert!(affected("GO-2021-0076", pkg, "v3.0.0+incompatible"));
    assert!(affected("GO-2021-0076", pkg, "v3.0.0"));
    assert!(!affected(
        "GO-2021-0076",
        pkg,
        "v3.0.1-0.20180525145409-4c9aadca8f89+incompatible"
    ));
    assert!(!affected("GO-2021-0076", pkg, "v3.0.1+incompatible"));
    assert!(!affected("GO-2021-0076", pkg, "v4.0.0+incompatible"));
    // GO-2024-3005: docker, three intervals ("v19.03.15" is not valid Go semver: an error)
    assert!(in_range(Scheme::Go, "v19.03.15+incompatible", &[Event::Introduced("0".into())]).is_err());
    let pkg = "github.com/docker/docker";
    for (v, want) in [
        ("v20.10.27+incompatible", true),
        ("v1.13.1", false),
        ("v25.0.5+incompatible", true),
        ("v25.0.6+incompatible", false),
        ("v26.0.0+incompatible", true),
        ("v26.1.5+incompatible", false),
        ("v27.1.0+incompatible", true),
        ("v27.1.1+incompatible", false),
        ("v28.0.0+incompatible", false),
    ] {
        assert_eq!(affected("GO-2024-3005", pkg, v), want, "docker {v}");
    }
}

fn ev(list: &[(&str, &str)]) -> Vec<Event> {
    list.iter()
        .map(|(k, v)| match *k {
            "i" => Event::Introduced(v.to_string()),
            "f" => Event::Fixed(v.to_string()),
            "l" => Event::LastAffected(v.to_string()),
            _ => Event::Limit(v.to_string()),
        })
        .collect()
}

#[test]
fn unsorted_events_limits_and_errors() {
    let s = Scheme::Semver;
    // events out of order are sorted before walking
    let e = ev(&[("f", "3.2.5"), ("i", "3.0.0"), ("f", "1.0.2"), ("i", "1.0.0")]);
    assert!(in_range(s, "1.0.1", &e).unwrap());
    assert!(!in_range(s, "1.0.2", &e).unwrap());
    assert!(!in_range(s, "2.0.0", &e).unwrap());
    assert!(in_range(s, "3.1.0", &e).unwrap());
    assert!(!in_range(s, "0.9.0", &e).unwrap());
    let hit = range_hit(s, "3.1.0", &e).unwrap().unwrap();
    assert_eq!(
        (hit.introduced.as_str(), hit.closed_by),
        ("3.0.0", Some(Event::Fixed("3.2.5".into())))
    );
    // an open-ended range
    assert!(in_range(s, "99.0.0", &ev(&[("i", "0")])).unwrap());
    assert_eq!(
        range_hit(s, "99.0.0", &ev(&[("i", "2.0.0")]))
            .unwrap()
            .unwrap()
            .closed_by,
        None
    );
    // limits: the version must be below some limit; "*" is unbounded
    assert!(!in_range(s, "2.5.0", &ev(&[("i", "0"), ("lim", "2.0.0")])).unwrap());
    assert!(in_range(s, "1.5.0", &ev(&[("i", "0"), ("lim", "2.0.0")])).unwrap());
    assert!(in_range(s, "2.5.0", &ev(&[("i", "0"), ("lim", "2.0.0"), ("lim", "3.0.0")])).unwrap());
    assert!(in_range(s, "9.0.0", &ev(&[("i", "0"), ("lim", "*")])).unwrap());
    // no events: nothing is affected
    assert!(!in_range(s, "1.0.0", &[]).unwrap());
    // errors name what does not parse, in the version or in an event
    let err = in_range(s, "not-a-version", &ev(&[("i", "0")])).unwrap_err();
    assert_eq!(err.version, "not-a-version");
    let err = in_range(s, "1.0.0", &ev(&[("i", "0"), ("f", "1.0.0.0.0")])).unwrap_err();
    assert_eq!(err.version, "1.0.0.0.0");
    assert!(err.reason.contains("fixed"), "{}", err.reason);
    // "0" is minus infinity only for introduced
    assert!(in_range(Scheme::Maven, "0-alpha", &ev(&[("i", "0"), ("f", "1.0")])).unwrap());
}

#[test]
fn versions_lists_use_scheme_equality() {
    assert!(in_versions(Scheme::Pep440, "2.20", &["2.19.0", "2.20.0"]).unwrap());
    assert!(in_versions(Scheme::Pep440, "1.0a1", &["1.0.0alpha1"]).unwrap());
    assert!(!in_versions(Scheme::Pep440, "2.20.1", &["2.19.0", "2.20.0"]).unwrap());
    assert!(in_versions(Scheme::Maven, "1.0.0", &["1"]).unwrap());
    assert!(in_versions(Scheme::Dpkg, "0:1.0-1", &["1.0-1"]).unwrap());
    assert!(in_versions(Scheme::Go, "v1.2.3", &["1.2.3"]).unwrap());
    // unparsable list entries only match by spelling; an unparsable version is an error
    assert!(!in_versions(Scheme::Pep440, "1.0", &["garbage"]).unwrap());
    assert!(in_versions(Scheme::Pep440, "1.0", &["garbage", "1.0"]).unwrap());
    assert!(in_versions(Scheme::Pep440, "latest", &["latest"]).is_err());
}

#[test]
fn throughput() {
    // Not a benchmark (debug build), just a figure: parse + evaluate typical ranges.
    let cases = [
        (Scheme::Pep440, "2.20.0", ev(&[("i", "2.3.0"), ("f", "2.31.0")])),
        (
            Scheme::Go,
            "v0.0.0-20230808041426-22f0818cf810",
            ev(&[("i", "0"), ("f", "0.17.0")]),
        ),
        (
            Scheme::Dpkg,
            "3.0.11-1~deb12u2",
            ev(&[("i", "0"), ("f", "3.0.13-1~deb12u1")]),
        ),
        (Scheme::Apk, "3.1.4-r5", ev(&[("i", "0"), ("f", "3.1.5-r0")])),
        (Scheme::Maven, "2.14.1", ev(&[("i", "2.13.0"), ("f", "2.15.0-rc1")])),
    ];
    let n = 20_000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        for (s, v, e) in &cases {
            std::hint::black_box(in_range(*s, v, e).unwrap());
        }
    }
    let per = t.elapsed().as_nanos() / (n as u128 * cases.len() as u128);
    eprintln!("in_range: {per} ns per call (debug build)");
}
