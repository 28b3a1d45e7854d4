//! Matching on real OSV records (PyPI, Go) and on advisories made in code, through an
//! in-memory advisory source.

use drydock_match::{
    match_with, parse_config, parse_vex, MatchOptions, Matched, MatchedBy, MemorySource, NameKind, SeverityLevel,
    Suppression, VexStatus,
};
use drydock_sbom::{Distro, Location, Package, PackageType, Relationship, RelationshipKind, Sbom};
use drydock_version::{Event, Scheme};
use drydock_vulndb::{Advisory, Affected, AffectedRange, Enrichment, FixState, Severity};
use std::path::Path;

fn osv(rel: &str) -> Advisory {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/osv")
        .join(rel);
    let bytes = std::fs::read(&path).unwrap();
    let eco = rel.split('/').next().unwrap();
    drydock_vulndb::feeds::osv::parse_record(&bytes, &path.display().to_string(), &format!("osv:{eco}")).unwrap()
}

fn real_source() -> MemorySource {
    let mut s = MemorySource::new();
    for f in [
        "PyPI/PYSEC-2018-28.json",
        "PyPI/PYSEC-2023-74.json",
        "PyPI/PYSEC-2019-132.json",
        "PyPI/PYSEC-2020-176.json",
        "PyPI/PYSEC-2019-217.json",
        "Go/GO-2022-0493.json",
        "Go/GO-2026-5024.json",
        "Go/GO-2023-2041.json",
        "Go/GO-2023-2102.json",
    ] {
        s.add(osv(f));
    }
    s
}

fn pkg(ty: PackageType, name: &str, version: &str, path: &str) -> Package {
    let mut p = Package::new(ty, name, version, "test");
    p.locations.push(Location {
        path: path.into(),
        layer: 0,
        layer_digest: String::new(),
    });
    p.purl = match ty {
        PackageType::Python => format!("pkg:pypi/{}@{version}", name.to_ascii_lowercase()),
        PackageType::GoModule => format!("pkg:golang/{name}@{version}"),
        PackageType::Deb => format!("pkg:deb/debian/{name}@{version}?arch=amd64"),
        _ => String::new(),
    };
    p.compute_id();
    p
}

fn sbom(packages: Vec<Package>) -> Sbom {
    Sbom {
        packages,
        distro: Some(Distro {
            id: "debian".into(),
            version_id: "12".into(),
            ..Default::default()
        }),
        ..Default::default()
    }
}

const VENV: &str = "/opt/venv/lib/python3.11/site-packages";

fn venv() -> Vec<Package> {
    vec![
        pkg(
            PackageType::Python,
            "requests",
            "2.20.0",
            &format!("{VENV}/requests-2.20.0.dist-info/METADATA"),
        ),
        pkg(
            PackageType::Python,
            "urllib3",
            "1.24.1",
            &format!("{VENV}/urllib3-1.24.1.dist-info/METADATA"),
        ),
        pkg(
            PackageType::Python,
            "PyYAML",
            "5.3",
            &format!("{VENV}/PyYAML-5.3.egg-info/PKG-INFO"),
        ),
        pkg(
            PackageType::Python,
            "Jinja2",
            "2.10",
            &format!("{VENV}/Jinja2-2.10.dist-info/METADATA"),
        ),
        pkg(
            PackageType::Python,
            "requests",
            "2.31.0",
            "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
        ),
    ]
}

#[test]
fn pypi_pins_match_their_advisories_and_nothing_else() {
    let r = match_with(&sbom(venv()), &real_source(), &MatchOptions::default()).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let got: Vec<(&str, &str, &str, Vec<&str>)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.package.name.as_str(),
                f.package.version.as_str(),
                f.id.as_str(),
                f.fixed_versions.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    let mut sorted = got.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            ("Jinja2", "2.10", "GHSA-462w-v97r-4m45", vec!["2.10.1"]),
            ("requests", "2.20.0", "GHSA-j8r2-6x86-q33q", vec!["2.31.0"]),
            ("urllib3", "1.24.1", "GHSA-r64q-w8jr-g9qp", vec!["1.24.3"]),
        ],
        "requests 2.20.0 is the fix of PYSEC-2018-28, PyYAML 5.3 is past PYSEC-2020-176's range, requests 2.31.0 is fixed"
    );
    let f = r.findings.iter().find(|f| f.package.name == "requests").unwrap();
    assert_eq!(f.aliases, vec!["CVE-2023-32681", "PYSEC-2023-74"]);
    assert_eq!(f.namespace, "pypi");
    assert_eq!(f.lookup_name, "requests");
    assert_eq!(f.scheme, Scheme::Pep440);
    assert_eq!(f.fix_state, FixState::Fixed);
    assert_eq!(f.evidence.len(), 1);
    assert_eq!(f.evidence[0].advisory, "PYSEC-2023-74");
    assert_eq!(
        f.evidence[0].matched,
        Matched::Range {
            events: vec![Event::Introduced("2.3.0".into()), Event::Fixed("2.31.0".into())]
        }
    );
    let j = r.findings.iter().find(|f| f.package.name == "Jinja2").unwrap();
    assert_eq!(j.lookup_name, "jinja2", "PEP 503 name");
    assert_eq!(r.packages_looked_up, 5);
}

#[test]
fn go_modules_and_the_standard_library() {
    let bin = "/app/node_modules/@esbuild/linux-x64/bin/esbuild";
    let packages = vec![
        pkg(PackageType::GoModule, "stdlib", "go1.20.7", bin),
        pkg(
            PackageType::GoModule,
            "golang.org/x/sys",
            "v0.0.0-20220715151400-c0bba94af5f8",
            bin,
        ),
        pkg(PackageType::GoModule, "stdlib", "go1.21.3", "/usr/bin/new"),
        pkg(PackageType::GoModule, "github.com/evanw/esbuild", "(devel)", bin),
    ];
    let r = match_with(&sbom(packages), &real_source(), &MatchOptions::default()).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let mut got: Vec<(String, String, String, Vec<String>)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.package.name.clone(),
                f.package.version.clone(),
                f.id.clone(),
                f.fixed_versions.clone(),
            )
        })
        .collect();
    got.sort();
    let s = |x: &str| x.to_string();
    assert_eq!(
        got,
        vec![
            (
                s("golang.org/x/sys"),
                s("v0.0.0-20220715151400-c0bba94af5f8"),
                s("CVE-2026-39824"),
                vec![s("0.44.0")]
            ),
            (s("stdlib"), s("go1.20.7"), s("CVE-2023-39318"), vec![s("1.20.8")]),
            (s("stdlib"), s("go1.20.7"), s("GHSA-4374-p667-p6c8"), vec![s("1.20.10")]),
        ],
        "GO-2022-0493 is fixed in both (x/sys 20220412, stdlib 1.18.2); go1.21.3 is past every range"
    );
    let std = r.findings.iter().find(|f| f.id == "CVE-2023-39318").unwrap();
    assert_eq!(std.lookup_version, "1.20.7");
    assert_eq!(std.scheme, Scheme::Go);
    assert_eq!(std.aliases, vec!["GO-2023-2041"]);
}

fn made(
    id: &str,
    aliases: &[&str],
    ns: &str,
    package: &str,
    scheme: Scheme,
    events: &[Event],
    state: FixState,
) -> Advisory {
    let fixed = events
        .iter()
        .filter_map(|e| match e {
            Event::Fixed(v) => Some(v.clone()),
            _ => None,
        })
        .collect();
    Advisory {
        id: id.into(),
        aliases: aliases.iter().map(|s| s.to_string()).collect(),
        summary: format!("{id} summary"),
        severities: Vec::new(),
        cwes: Vec::new(),
        published: None,
        modified: None,
        withdrawn: None,
        references: Vec::new(),
        affected: vec![Affected {
            namespace: ns.into(),
            package: package.into(),
            ranges: if events.is_empty() {
                Vec::new()
            } else {
                vec![AffectedRange {
                    scheme,
                    events: events.to_vec(),
                }]
            },
            versions: Vec::new(),
            fix_state: state,
            fixed,
        }],
        source: "test".into(),
    }
}

fn intro_fixed(a: &str, f: &str) -> Vec<Event> {
    vec![Event::Introduced(a.into()), Event::Fixed(f.into())]
}

#[test]
fn aliases_merge_into_one_finding() {
    let mut src = real_source();
    // The GitHub advisory for the same CVE as PYSEC-2018-28.
    src.add(made(
        "GHSA-x84v-xcm2-53pg",
        &["CVE-2018-18074"],
        "pypi",
        "requests",
        Scheme::Pep440,
        &intro_fixed("0", "2.20.0"),
        FixState::Fixed,
    ));
    let p = pkg(
        PackageType::Python,
        "requests",
        "2.19.1",
        &format!("{VENV}/requests-2.19.1.dist-info/METADATA"),
    );
    let r = match_with(&sbom(vec![p]), &src, &MatchOptions::default()).unwrap();
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids.iter().filter(|i| **i == "GHSA-x84v-xcm2-53pg").count(),
        1,
        "{ids:?}"
    );
    assert_eq!(r.findings.len(), 2, "CVE-2018-18074 once, CVE-2023-32681 once: {ids:?}");
    let f = r.findings.iter().find(|f| f.id == "GHSA-x84v-xcm2-53pg").unwrap();
    assert_eq!(f.aliases, vec!["CVE-2018-18074", "PYSEC-2018-28"]);
    assert_eq!(f.evidence.len(), 2);
    assert_eq!(f.fixed_versions, vec!["2.20.0"]);
}

#[test]
fn unparseable_versions_warn_and_do_not_match() {
    let p = pkg(PackageType::Python, "requests", "2.20.0-not~pep440!!", "/x/METADATA");
    let r = match_with(&sbom(vec![p]), &real_source(), &MatchOptions::default()).unwrap();
    assert!(r.findings.is_empty());
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    let w = &r.warnings[0];
    assert!(
        w.contains("requests") && w.contains("PYSEC-2023-74") && w.contains("/x/METADATA"),
        "{w}"
    );
}

#[test]
fn withdrawn_advisories_are_skipped() {
    let mut src = MemorySource::new();
    let mut a = made(
        "GHSA-aaaa-bbbb-cccc",
        &[],
        "pypi",
        "requests",
        Scheme::Pep440,
        &intro_fixed("0", "9"),
        FixState::Fixed,
    );
    a.withdrawn = Some("2024-01-01T00:00:00Z".into());
    src.add(a);
    let p = pkg(PackageType::Python, "requests", "2.20.0", "/x");
    assert!(match_with(&sbom(vec![p]), &src, &MatchOptions::default())
        .unwrap()
        .findings
        .is_empty());
}

fn deb(name: &str, version: &str, source: Option<&str>) -> Package {
    let mut p = pkg(PackageType::Deb, name, version, "/var/lib/dpkg/status");
    p.source_name = source.map(str::to_string);
    p.compute_id();
    p
}

#[test]
fn distro_packages_by_source_name_with_fix_states() {
    let mut src = MemorySource::new();
    src.add(made(
        "CVE-2024-0001",
        &[],
        "debian:12",
        "glibc",
        Scheme::Dpkg,
        &intro_fixed("0", "2.36-9+deb12u8"),
        FixState::Fixed,
    ));
    src.add(made(
        "CVE-2024-0002",
        &[],
        "debian:12",
        "glibc",
        Scheme::Dpkg,
        &[],
        FixState::NotFixed,
    ));
    src.add(made(
        "CVE-2024-0003",
        &[],
        "debian:12",
        "glibc",
        Scheme::Dpkg,
        &[],
        FixState::WontFix,
    ));
    src.add(made(
        "CVE-2024-0004",
        &[],
        "debian:12",
        "glibc",
        Scheme::Dpkg,
        &[],
        FixState::NotAffected,
    ));
    src.add(made(
        "CVE-2024-0005",
        &[],
        "debian:12",
        "glibc",
        Scheme::Dpkg,
        &intro_fixed("0", "2.36-9+deb12u4"),
        FixState::Fixed,
    ));
    // Another release's namespace is not consulted.
    src.add(made(
        "CVE-2024-0006",
        &[],
        "debian:11",
        "glibc",
        Scheme::Dpkg,
        &[],
        FixState::NotFixed,
    ));
    // The binary name only counts when the source name finds nothing.
    src.add(made(
        "CVE-2024-0007",
        &[],
        "debian:12",
        "libc6",
        Scheme::Dpkg,
        &[],
        FixState::NotFixed,
    ));
    src.add(made(
        "CVE-2024-0008",
        &[],
        "debian:12",
        "e2fsprogs",
        Scheme::Dpkg,
        &[],
        FixState::NotFixed,
    ));
    let packages = vec![
        deb("libc6", "2.36-9+deb12u7", Some("glibc")),
        deb("e2fsprogs", "1.47.0-2", None),
    ];
    let r = match_with(&sbom(packages), &src, &MatchOptions::default()).unwrap();
    let mut got: Vec<(&str, &str, FixState, Vec<String>)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.package.name.as_str(),
                f.id.as_str(),
                f.fix_state,
                f.fixed_versions.clone(),
            )
        })
        .collect();
    got.sort_by(|a, b| a.1.cmp(b.1));
    assert_eq!(
        got,
        vec![
            (
                "libc6",
                "CVE-2024-0001",
                FixState::Fixed,
                vec!["2.36-9+deb12u8".to_string()]
            ),
            ("libc6", "CVE-2024-0002", FixState::NotFixed, vec![]),
            ("libc6", "CVE-2024-0003", FixState::WontFix, vec![]),
            ("e2fsprogs", "CVE-2024-0008", FixState::NotFixed, vec![]),
        ]
    );
    let f = &r.findings.iter().find(|f| f.id == "CVE-2024-0001").unwrap();
    assert_eq!(f.namespace, "debian:12");
    assert_eq!(f.lookup_name, "glibc");
    assert_eq!(f.evidence[0].name_kind, NameKind::Source);
    let all = r.findings.iter().find(|f| f.id == "CVE-2024-0002").unwrap();
    assert_eq!(all.evidence[0].matched, Matched::AllVersions);

    // Without a distro, OS packages are not matched, with one warning.
    let mut s = sbom(vec![deb("libc6", "2.36-9+deb12u7", Some("glibc"))]);
    s.distro = None;
    let r = match_with(&s, &src, &MatchOptions::default()).unwrap();
    assert!(r.findings.is_empty());
    assert_eq!(r.warnings.len(), 1);

    // --only-fixed keeps the fixed ones.
    let r = match_with(
        &sbom(vec![deb("libc6", "2.36-9+deb12u7", Some("glibc"))]),
        &src,
        &MatchOptions {
            only_fixed: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.hidden_not_fixed, 2);
}

#[test]
fn vendor_not_affected_suppresses_the_same_vulnerability() {
    let mut src = MemorySource::new();
    src.add(made(
        "DLA-1-1",
        &["CVE-2024-0009"],
        "debian:12",
        "glibc",
        Scheme::Dpkg,
        &intro_fixed("0", "3"),
        FixState::Fixed,
    ));
    src.add(made(
        "CVE-2024-0009",
        &[],
        "debian:12",
        "glibc",
        Scheme::Dpkg,
        &[],
        FixState::NotAffected,
    ));
    let r = match_with(
        &sbom(vec![deb("libc6", "2.36-9", Some("glibc"))]),
        &src,
        &MatchOptions::default(),
    )
    .unwrap();
    assert!(r.findings.is_empty());
    assert!(
        matches!(&r.suppressed[0].reason, Suppression::VendorNotAffected { advisory } if advisory == "CVE-2024-0009")
    );
}

#[test]
fn language_package_owned_by_os_package_is_not_reported_twice() {
    let mut src = real_source();
    src.add(made(
        "CVE-2023-32681",
        &[],
        "debian:12",
        "requests",
        Scheme::Dpkg,
        &intro_fixed("0", "2.28.1+dfsg-1+deb12u1"),
        FixState::Fixed,
    ));
    let os = deb("python3-requests", "2.28.1+dfsg-1", Some("requests"));
    let py = pkg(
        PackageType::Python,
        "requests",
        "2.28.1",
        "/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO",
    );
    let stray = pkg(
        PackageType::Python,
        "requests",
        "2.28.1",
        "/opt/other/requests-2.28.1.dist-info/METADATA",
    );
    let mut s = sbom(vec![os.clone(), py.clone(), stray.clone()]);
    s.relationships.push(Relationship {
        from: os.id.clone(),
        to: py.id.clone(),
        kind: RelationshipKind::OwnershipByFiles,
    });
    let r = match_with(&s, &src, &MatchOptions::default()).unwrap();
    let reported: Vec<(&str, &str)> = r
        .findings
        .iter()
        .map(|f| (f.package.id.as_str(), f.id.as_str()))
        .collect();
    assert!(reported.contains(&(os.id.as_str(), "CVE-2023-32681")), "{reported:?}");
    assert!(
        reported.contains(&(stray.id.as_str(), "GHSA-j8r2-6x86-q33q")),
        "not owned: {reported:?}"
    );
    assert!(!reported.iter().any(|(p, _)| *p == py.id), "{reported:?}");
    assert!(r.suppressed.iter().any(|s| s.finding.package.id == py.id
        && matches!(&s.reason, Suppression::OwnedBy { package_name, .. } if package_name == "python3-requests")));
}

#[test]
fn severity_kev_and_epss() {
    let mut src = MemorySource::new();
    let mut a = made(
        "GHSA-1111-2222-3333",
        &["CVE-2024-1111"],
        "pypi",
        "requests",
        Scheme::Pep440,
        &intro_fixed("0", "3"),
        FixState::Fixed,
    );
    a.severities.push(Severity {
        kind: "vendor".into(),
        value: "moderate".into(),
        score: None,
        source: "ghsa".into(),
    });
    src.add(a);
    src.add_enrichment(
        "CVE-2024-1111",
        Enrichment {
            kev_date_added: Some("2024-05-01".into()),
            epss: Some((0.5, 0.97)),
            nvd: vec![Severity {
                kind: "CVSS_V3".into(),
                value: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
                score: Some(9.8),
                source: "nvd".into(),
            }],
        },
    );
    let r = match_with(
        &sbom(vec![pkg(PackageType::Python, "requests", "2.0", "/x")]),
        &src,
        &MatchOptions::default(),
    )
    .unwrap();
    let f = &r.findings[0];
    assert_eq!(f.severity, SeverityLevel::Critical);
    assert_eq!(f.ratings[0].score, Some(9.8));
    assert_eq!(f.kev_date_added.as_deref(), Some("2024-05-01"));
    assert_eq!(f.epss.unwrap().percentile, 0.97);
    assert!(r.fails(SeverityLevel::High) && r.fails(SeverityLevel::Critical));
}

#[test]
fn ignore_rules() {
    let src = real_source();
    let config = parse_config(
        r#"
[[ignore]]
id = "CVE-2023-32681"
location_glob = "/opt/venv/**"
reason = "proxies are not used"

[[ignore]]
package_name = "urllib3"
fix_state = "fixed"
expires = 2000-01-01

[[ignore]]
package_type = "python"
package_version = "2.10"
"#,
        "drydock.toml",
    )
    .unwrap();
    let opts = MatchOptions {
        ignore: config.ignore,
        today: Some("2025-06-01".into()),
        ..Default::default()
    };
    let r = match_with(&sbom(venv()), &src, &opts).unwrap();
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(
        ids,
        vec!["GHSA-r64q-w8jr-g9qp"],
        "only the urllib3 finding (its rule expired) stays"
    );
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("ignore rule 2") && w.contains("expired on 2000-01-01")),
        "{:?}",
        r.warnings
    );
    let why: Vec<(usize, &str)> = r
        .suppressed
        .iter()
        .filter_map(|s| match &s.reason {
            Suppression::Ignored { rule, reason, .. } => Some((*rule, reason.as_str())),
            _ => None,
        })
        .collect();
    assert!(
        why.contains(&(1, "proxies are not used")) && why.contains(&(3, "")),
        "{why:?}"
    );
}

#[test]
fn vex_statements() {
    let openvex = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"https://example.com/vex/1","author":"sec","timestamp":"2024-01-01T00:00:00Z","version":1,
      "statements":[
        {"vulnerability":{"name":"CVE-2023-32681"},"products":[{"@id":"pkg:oci/app","subcomponents":[{"@id":"pkg:pypi/requests@2.20.0"}]}],
         "status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact_statement":"no proxies"},
        {"vulnerability":{"name":"GHSA-462w-v97r-4m45"},"products":[{"@id":"pkg:pypi/jinja2"}],"status":"under_investigation"}]}"#;
    let cdx = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"vulnerabilities":[
      {"id":"CVE-2019-11236","analysis":{"state":"exploitable","detail":"reachable"},"affects":[{"ref":"pkg:pypi/urllib3@1.24.1"}]}]}"#;
    let mut vex = parse_vex(openvex, "app.openvex.json").unwrap();
    vex.extend(parse_vex(cdx, "app.vex.cdx.json").unwrap());
    let r = match_with(
        &sbom(venv()),
        &real_source(),
        &MatchOptions {
            vex,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(!r.findings.iter().any(|f| f.id == "GHSA-j8r2-6x86-q33q"));
    let s = r
        .suppressed
        .iter()
        .find(|s| s.finding.id == "GHSA-j8r2-6x86-q33q")
        .unwrap();
    assert_eq!(
        s.reason,
        Suppression::Vex {
            justification: Some("vulnerable_code_not_in_execute_path".into()),
            detail: Some("no proxies".into()),
            origin: "app.openvex.json".into()
        }
    );
    let j = r.findings.iter().find(|f| f.package.name == "Jinja2").unwrap();
    assert_eq!(j.vex.as_ref().unwrap().status, VexStatus::UnderInvestigation);
    let u = r.findings.iter().find(|f| f.package.name == "urllib3").unwrap();
    assert_eq!(u.vex.as_ref().unwrap().status, VexStatus::Affected);
    assert_eq!(u.vex.as_ref().unwrap().origin, "app.vex.cdx.json");
}

#[test]
fn findings_are_sorted_and_deterministic() {
    let a = match_with(&sbom(venv()), &real_source(), &MatchOptions::default()).unwrap();
    let mut rev = venv();
    rev.reverse();
    let b = match_with(&sbom(rev), &real_source(), &MatchOptions::default()).unwrap();
    assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
    for w in a.findings.windows(2) {
        assert!(drydock_match::finding_order(&w[0], &w[1]).is_le());
    }
}

#[test]
fn version_lists_and_last_affected() {
    let mut src = MemorySource::new();
    let mut listed = made(
        "PYSEC-9999-1",
        &[],
        "pypi",
        "requests",
        Scheme::Pep440,
        &[],
        FixState::Fixed,
    );
    listed.affected[0].versions = vec!["2.0".into(), "2.20".into()];
    src.add(listed);
    src.add(made(
        "GHSA-last-affd-0001",
        &[],
        "pypi",
        "requests",
        Scheme::Pep440,
        &[Event::Introduced("2.0".into()), Event::LastAffected("2.20.0".into())],
        FixState::Unknown,
    ));
    let r = match_with(
        &sbom(vec![pkg(PackageType::Python, "requests", "2.20.0", "/x")]),
        &src,
        &MatchOptions::default(),
    )
    .unwrap();
    let mut got: Vec<(&str, FixState, &Matched)> = r
        .findings
        .iter()
        .map(|f| (f.id.as_str(), f.fix_state, &f.evidence[0].matched))
        .collect();
    got.sort_by_key(|g| g.0);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, "GHSA-last-affd-0001");
    assert_eq!(got[0].1, FixState::Unknown, "last_affected: no known fix");
    assert_eq!(
        got[1],
        (
            "PYSEC-9999-1",
            FixState::Unknown,
            &Matched::Version {
                listed: "2.20.0".into()
            }
        ),
        "2.20 == 2.20.0 in PEP 440"
    );
    let r = match_with(
        &sbom(vec![pkg(PackageType::Python, "requests", "2.20.1", "/x")]),
        &src,
        &MatchOptions::default(),
    )
    .unwrap();
    assert!(r.findings.is_empty(), "{:?}", r.findings);
}

// ---- The opt-in CPE fallback. ----

fn nvd(cve: &str, criteria: &str, start_incl: Option<&str>, end_excl: Option<&str>) -> drydock_vulndb::CpeCandidate {
    drydock_vulndb::CpeCandidate {
        cve: cve.into(),
        criteria: criteria.into(),
        start_including: start_incl.map(str::to_string),
        start_excluding: None,
        end_including: None,
        end_excluding: end_excl.map(str::to_string),
    }
}

/// NVD's criteria for two curl CVEs and Heartbleed (as in the NVD fixture of drydock-vulndb),
/// with NVD's CVSS for the first.
fn cpe_source() -> MemorySource {
    let mut s = MemorySource::new();
    assert!(s.add_cpe(nvd(
        "CVE-2023-38545",
        "cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*",
        Some("7.69.0"),
        Some("8.4.0")
    )));
    assert!(s.add_cpe(nvd(
        "CVE-2023-38546",
        "cpe:2.3:a:haxx:libcurl:*:*:*:*:*:*:*:*",
        Some("7.9.1"),
        Some("8.4.0")
    )));
    assert!(s.add_cpe(nvd(
        "CVE-2014-0160",
        "cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*",
        None,
        None
    )));
    assert!(s.add_cpe(nvd(
        "CVE-2099-0001",
        "cpe:2.3:a:python:requests:*:*:*:*:*:*:*:*",
        None,
        Some("9.0")
    )));
    assert!(!s.add_cpe(nvd("CVE-2099-0002", "cpe:/a:haxx:curl", None, None)));
    s.add_enrichment(
        "CVE-2023-38545",
        Enrichment {
            kev_date_added: None,
            epss: Some((0.2, 0.95)),
            nvd: vec![Severity {
                kind: "CVSS_V3".into(),
                value: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
                score: Some(9.8),
                source: "nvd@nist.gov".into(),
            }],
        },
    );
    s
}

/// A classified binary as the binary cataloger reports it.
fn binary(name: &str, version: &str, cpes: &[(&str, &str)], path: &str) -> Package {
    let mut p = pkg(PackageType::Binary, name, version, path);
    p.purl = format!("pkg:generic/{name}@{version}");
    p.cpes = cpes
        .iter()
        .map(|(v, n)| drydock_sbom::cpe::application(v, n, version))
        .collect();
    p.compute_id();
    p
}

fn curl_binary(version: &str) -> Package {
    binary(
        "curl",
        version,
        &[("haxx", "curl"), ("haxx", "libcurl")],
        "/usr/local/bin/curl",
    )
}

fn cpe_on() -> MatchOptions {
    MatchOptions {
        cpe_fallback: true,
        ..Default::default()
    }
}

#[test]
fn cpe_fallback_matches_a_classified_binary_and_labels_it() {
    let src = cpe_source();
    let s = sbom(vec![curl_binary("7.88.1")]);
    assert_eq!(s.packages[0].cpes[0], "cpe:2.3:a:haxx:curl:7.88.1:*:*:*:*:*:*:*");
    let r = match_with(&s, &src, &cpe_on()).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    assert_eq!(r.packages_cpe_looked_up, 1);
    assert_eq!(r.packages_looked_up, 0);
    let ids: Vec<&str> = r.findings.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, vec!["CVE-2023-38545", "CVE-2023-38546"]);
    let f = &r.findings[0];
    assert_eq!(f.matched_by, MatchedBy::Cpe);
    assert_eq!(f.severity, SeverityLevel::Critical);
    assert_eq!(f.ratings[0].score, Some(9.8));
    assert_eq!(f.epss.unwrap().percentile, 0.95);
    assert_eq!(f.fix_state, FixState::Fixed);
    assert_eq!(f.fixed_versions, vec!["8.4.0"]);
    assert_eq!((f.namespace.as_str(), f.lookup_name.as_str()), ("cpe", "haxx:curl"));
    assert_eq!(f.lookup_version, "7.88.1");
    assert_eq!(f.scheme, Scheme::Generic);
    assert_eq!(f.evidence.len(), 1);
    let e = &f.evidence[0];
    assert_eq!(e.name_kind, NameKind::Cpe);
    assert_eq!(e.source, "nvd-cpe");
    assert_eq!(
        e.matched,
        Matched::Cpe {
            criteria: "cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*".into(),
            start_including: Some("7.69.0".into()),
            start_excluding: None,
            end_including: None,
            end_excluding: Some("8.4.0".into()),
        }
    );
    // The second, through the binary's libcurl CPE, has no NVD rating in this source.
    assert_eq!(r.findings[1].lookup_name, "haxx:libcurl");
    assert_eq!(r.findings[1].severity, SeverityLevel::Unknown);
    // The label is in the JSON.
    let v = serde_json::to_value(f).unwrap();
    assert_eq!(v["matched_by"], "cpe");
    assert_eq!(v["evidence"][0]["matched"]["kind"], "cpe");
    assert_eq!(
        v["evidence"][0]["matched"]["criteria"],
        "cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*"
    );

    // Outside the range: nothing.
    let r = match_with(&sbom(vec![curl_binary("8.4.0")]), &src, &cpe_on()).unwrap();
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.packages_cpe_looked_up, 1);
    // 7.9.1 is in libcurl's range but not curl's.
    let r = match_with(&sbom(vec![curl_binary("7.9.1")]), &src, &cpe_on()).unwrap();
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].id, "CVE-2023-38546");
    // Exact versions in the criteria: 1.0.1f yes, 1.0.1g no.
    let ossl = |v: &str| binary("openssl", v, &[("openssl", "openssl")], "/usr/lib/libssl.so.1.0.0");
    let r = match_with(&sbom(vec![ossl("1.0.1f"), ossl("1.0.1g")]), &src, &cpe_on()).unwrap();
    assert_eq!(r.findings.len(), 1);
    assert_eq!(
        (r.findings[0].id.as_str(), r.findings[0].package.version.as_str()),
        ("CVE-2014-0160", "1.0.1f")
    );
    assert_eq!(r.findings[0].fix_state, FixState::Unknown);
}

#[test]
fn cpe_fallback_is_off_by_default() {
    let src = cpe_source();
    let r = match_with(&sbom(vec![curl_binary("7.88.1")]), &src, &MatchOptions::default()).unwrap();
    assert!(r.findings.is_empty());
    assert_eq!(r.packages_cpe_looked_up, 0);
    assert!(r.warnings.is_empty());
}

#[test]
fn ecosystem_packages_are_never_cpe_matched() {
    let mut src = cpe_source();
    // requests 2.19.0 has an ecosystem key: its CPE is not used, with or without OSV data.
    let mut p = pkg(PackageType::Python, "requests", "2.19.0", "/x");
    p.cpes = vec!["cpe:2.3:a:python:requests:2.19.0:*:*:*:*:*:*:*".into()];
    let r = match_with(&sbom(vec![p.clone()]), &src, &cpe_on()).unwrap();
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!((r.packages_looked_up, r.packages_cpe_looked_up), (1, 0));
    src.add(osv("PyPI/PYSEC-2018-28.json"));
    let r = match_with(&sbom(vec![p]), &src, &cpe_on()).unwrap();
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].matched_by, MatchedBy::Ecosystem);
    assert_eq!(r.findings[0].id, "GHSA-x84v-xcm2-53pg");

    // An OS package is CPE-matched only when the SBOM names no distro.
    let mut d = deb("curl", "7.88.1-10+deb12u5", None);
    d.cpes = vec!["cpe:2.3:a:haxx:curl:7.88.1:*:*:*:*:*:*:*".into()];
    let r = match_with(&sbom(vec![d.clone()]), &src, &cpe_on()).unwrap();
    assert!(r.findings.is_empty());
    let mut no_distro = sbom(vec![d]);
    no_distro.distro = None;
    let r = match_with(&no_distro, &src, &cpe_on()).unwrap();
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].id, "CVE-2023-38545");
    assert_eq!(r.findings[0].matched_by, MatchedBy::Cpe);
    // The CPE's version (upstream) is compared, not the Debian revision.
    assert_eq!(r.findings[0].lookup_version, "7.88.1");
    assert!(
        r.warnings.iter().any(|w| w.contains("names no distro")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn cpe_fallback_warns_on_versions_it_cannot_compare() {
    let src = cpe_source();
    // A binary from another tool's SBOM whose version is not a version.
    let mut p = binary("curl", "", &[("haxx", "curl")], "/usr/bin/curl");
    p.version = "HEAD".into();
    let r = match_with(&sbom(vec![p]), &src, &cpe_on()).unwrap();
    assert!(r.findings.is_empty());
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    let w = &r.warnings[0];
    assert!(
        w.contains("\"HEAD\" cannot be compared") && w.contains("CVE-2023-38545") && w.contains("/usr/bin/curl"),
        "{w}"
    );
    // A product nobody lists: no lookup result, no warning.
    let mut q = binary("thing", "", &[("acme", "thing")], "/usr/bin/thing");
    q.version = "HEAD".into();
    let r = match_with(&sbom(vec![q]), &src, &cpe_on()).unwrap();
    assert!(r.findings.is_empty() && r.warnings.is_empty());
}

#[test]
fn cpe_fallback_from_the_configuration() {
    let c = parse_config("[match]\ncpe_fallback = true\n", "drydock.toml").unwrap();
    assert!(c.cpe_fallback);
    assert!(!parse_config("", "drydock.toml").unwrap().cpe_fallback);
    let e = parse_config("[match]\ncpe_falback = true\n", "drydock.toml").unwrap_err();
    assert!(e.to_string().contains("drydock.toml"), "{e}");
}

#[test]
fn namespaces_without_advisories_are_reported_not_taken_as_clean() {
    // A database with PyPI and Go records only: the Debian packages and the distro are a gap.
    let mut packages = venv();
    packages.push(deb("libc6", "2.36-9", Some("glibc")));
    packages.push(deb("openssl", "3.0.11-1~deb12u2", None));
    let r = match_with(&sbom(packages), &real_source(), &MatchOptions::default()).unwrap();
    assert_eq!(r.unavailable.len(), 1, "{:?}", r.unavailable);
    let gap = &r.unavailable[0];
    assert_eq!((gap.namespace.as_str(), gap.packages, gap.os), ("debian:12", 2, true));
    let w: Vec<&String> = r.warnings.iter().filter(|w| w.contains("debian:12")).collect();
    assert_eq!(w.len(), 1, "{:?}", r.warnings);
    assert!(
        w[0].contains("has no advisories in this database") && w[0].contains("2 OS package(s) not checked"),
        "{}",
        w[0]
    );
    // The ecosystems the database does hold are matched as before.
    assert!(r.findings.iter().any(|f| f.package.name == "requests"));

    // A namespace with advisories (even none for these packages) is no gap.
    let mut src = real_source();
    src.add(made(
        "CVE-2024-0001",
        &[],
        "debian:12",
        "glibc",
        Scheme::Dpkg,
        &intro_fixed("0", "2.36-9"),
        FixState::Fixed,
    ));
    let r = match_with(
        &sbom(vec![deb("openssl", "3.0.11-1~deb12u2", None)]),
        &src,
        &MatchOptions::default(),
    )
    .unwrap();
    assert!(r.unavailable.is_empty() && r.warnings.is_empty(), "{:?}", r.warnings);
}
