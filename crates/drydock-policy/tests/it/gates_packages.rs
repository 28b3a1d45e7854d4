//! The `vulnerabilities`, `packages` and `licenses` gates on small analyses built in code:
//! for every trigger and parameter, a case that fires and a near case that does not.

use drydock_analysis::{Analysis, DbStatus, Scanners};
use drydock_inspect::files::{ChangedFile, FileChange};
use drydock_match::{Epss, Finding, MatchReport, MatchedBy, PackageRef, SeverityLevel};
use drydock_policy::gates;
use drydock_policy::spec::{EvalContext, Fired, Params, TriggerInput};
use drydock_policy::{evaluate, parse_bundle, Action, EvalOptions, ImageTarget};
use drydock_sbom::{Distro, Location, Package, PackageType, Sbom};
use drydock_version::Scheme;
use drydock_vulndb::{FixState, Severity};

const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

fn pkg(t: PackageType, name: &str, version: &str) -> Package {
    let mut p = Package::new(t, name, version, "test");
    p.locations.push(Location {
        path: format!("/var/lib/{name}"),
        layer: 0,
        layer_digest: String::new(),
    });
    p.compute_id();
    p
}

fn finding(id: &str, name: &str, t: PackageType, severity: SeverityLevel) -> Finding {
    Finding {
        id: id.into(),
        aliases: Vec::new(),
        summary: String::new(),
        severity,
        ratings: Vec::new(),
        package: PackageRef {
            id: format!("id-{name}"),
            name: name.into(),
            version: "1.0-1".into(),
            package_type: t,
            purl: String::new(),
            locations: vec![Location {
                path: format!("/usr/lib/{name}"),
                layer: 0,
                layer_digest: String::new(),
            }],
            source_name: None,
            source_version: None,
        },
        matched_by: MatchedBy::Ecosystem,
        namespace: "debian:12".into(),
        lookup_name: name.into(),
        lookup_version: "1.0-1".into(),
        scheme: Scheme::Dpkg,
        fix_state: FixState::NotFixed,
        fixed_versions: Vec::new(),
        evidence: Vec::new(),
        cwes: Vec::new(),
        published: None,
        references: Vec::new(),
        kev_date_added: None,
        epss: None,
        vex: None,
    }
}

fn fixed(mut f: Finding, version: &str) -> Finding {
    f.fix_state = FixState::Fixed;
    f.fixed_versions = vec![version.into()];
    f
}

fn cvss(mut f: Finding, vector: &str, source: &str) -> Finding {
    f.ratings.push(Severity {
        kind: "CVSS_V3".into(),
        value: vector.into(),
        score: None,
        source: source.into(),
    });
    f
}

fn db(built_at_unix: u64) -> DbStatus {
    DbStatus {
        path: "/tmp/vuln.db".into(),
        schema_version: Some("1".into()),
        built_at: None,
        built_at_unix,
        age_seconds: NOW.saturating_sub(built_at_unix),
        stale: false,
        sources: Vec::new(),
    }
}

/// A Debian 12 image with these packages, matched (a day-old database) with these findings.
fn analysis(packages: Vec<Package>, findings: Vec<Finding>) -> Analysis {
    let sbom = Sbom {
        distro: Some(Distro {
            id: "debian".into(),
            version_id: "12".into(),
            ..Default::default()
        }),
        packages,
        ..Default::default()
    };
    let mut a = Analysis::from_sbom(sbom, Scanners::default());
    a.vulnerabilities = Some(MatchReport {
        packages_total: a.sbom.packages.len(),
        findings,
        ..Default::default()
    });
    a.database = Some(db(NOW - DAY));
    a
}

fn vulns(findings: Vec<Finding>) -> Analysis {
    analysis(Vec::new(), findings)
}

/// Runs a trigger, checking first that the parameters exist, are valid and that the
/// required ones are given (as bundle validation would).
fn run(a: &Analysis, gate: &str, trigger: &str, params: &[(&str, &str)]) -> Vec<Fired> {
    let g = gates::gate(gate).unwrap_or_else(|| panic!("no gate {gate}"));
    let t = g
        .trigger(trigger)
        .unwrap_or_else(|| panic!("no trigger {gate}.{trigger}"));
    for (name, value) in params {
        let spec = t
            .param(name)
            .unwrap_or_else(|| panic!("{gate}.{trigger} has no param {name}"));
        assert_eq!(spec.kind.check(value), None, "{gate}.{trigger} {name}={value}");
    }
    for spec in t.params.iter().filter(|p| p.required) {
        assert!(
            params.iter().any(|(n, _)| *n == spec.name),
            "{gate}.{trigger} needs {}",
            spec.name
        );
    }
    (t.eval)(&TriggerInput {
        analysis: a,
        params: &Params::from_pairs(params),
        ctx: &EvalContext {
            now_unix: NOW,
            tag: None,
        },
    })
}

fn ids(fired: &[Fired]) -> Vec<&str> {
    let mut v: Vec<&str> = fired.iter().map(|f| f.trigger_id.as_str()).collect();
    v.sort_unstable();
    v
}

fn vuln_ids(a: &Analysis, params: &[(&str, &str)]) -> Vec<String> {
    ids(&run(a, "vulnerabilities", "package", params))
        .into_iter()
        .map(str::to_string)
        .collect()
}

// ---- metadata ----

#[test]
fn every_trigger_and_param_is_described_with_a_valid_example() {
    for name in ["vulnerabilities", "packages", "licenses"] {
        let g = gates::gate(name).unwrap_or_else(|| panic!("no gate {name}"));
        assert!(!g.description.is_empty(), "{name}");
        assert!(!g.triggers.is_empty(), "{name}");
        for t in g.triggers {
            assert!(!t.description.is_empty(), "{name}.{}", t.name);
            for p in t.params {
                assert!(!p.description.is_empty(), "{name}.{}.{}", t.name, p.name);
                assert_eq!(p.kind.check(p.example), None, "{name}.{}.{} example", t.name, p.name);
            }
        }
    }
}

// ---- vulnerabilities.package ----

#[test]
fn package_without_params_fires_every_finding_in_anchores_form() {
    let mut f = fixed(
        finding("CVE-2023-1234", "openssl", PackageType::Deb, SeverityLevel::High),
        "1.0-2",
    );
    f.package.version = "3.0.2-1".into();
    let a = vulns(vec![
        f,
        finding(
            "GHSA-aaaa-bbbb-cccc",
            "lodash",
            PackageType::Npm,
            SeverityLevel::Unknown,
        ),
    ]);
    let fired = run(&a, "vulnerabilities", "package", &[]);
    assert_eq!(ids(&fired), ["CVE-2023-1234+openssl", "GHSA-aaaa-bbbb-cccc+lodash"]);
    let m = &fired
        .iter()
        .find(|f| f.trigger_id.ends_with("openssl"))
        .expect("openssl")
        .message;
    assert!(
        m.starts_with("HIGH Vulnerability found in os package type (deb) - openssl 3.0.2-1 (fixed in: 1.0-2)"),
        "{m}"
    );
    assert!(
        m.ends_with("(CVE-2023-1234 - https://nvd.nist.gov/vuln/detail/CVE-2023-1234)"),
        "{m}"
    );
    let m = &fired
        .iter()
        .find(|f| f.trigger_id.ends_with("lodash"))
        .expect("lodash")
        .message;
    assert!(
        m.starts_with("UNKNOWN Vulnerability found in non-os package type (npm) - lodash"),
        "{m}"
    );
    assert!(m.contains("https://github.com/advisories/GHSA-aaaa-bbbb-cccc"), "{m}");
}

#[test]
fn package_without_vulnerability_data_fires_nothing() {
    let mut a = vulns(Vec::new());
    a.vulnerabilities = None;
    assert!(run(&a, "vulnerabilities", "package", &[]).is_empty());
}

#[test]
fn package_type_filters() {
    let a = vulns(vec![
        finding("CVE-1", "libc6", PackageType::Deb, SeverityLevel::High),
        finding("CVE-2", "express", PackageType::Npm, SeverityLevel::High),
        finding("CVE-3", "log4j-core", PackageType::JavaArchive, SeverityLevel::High),
    ]);
    assert_eq!(vuln_ids(&a, &[("package_type", "all")]).len(), 3);
    assert_eq!(vuln_ids(&a, &[("package_type", "os")]), ["CVE-1+libc6"]);
    assert_eq!(
        vuln_ids(&a, &[("package_type", "non-os")]),
        ["CVE-2+express", "CVE-3+log4j-core"]
    );
    assert_eq!(vuln_ids(&a, &[("package_type", "npm")]), ["CVE-2+express"]);
    assert_eq!(vuln_ids(&a, &[("package_type", "java")]), ["CVE-3+log4j-core"]);
    assert!(vuln_ids(&a, &[("package_type", "rpm")]).is_empty());
}

#[test]
fn severity_comparisons() {
    let a = vulns(vec![
        finding("CVE-M", "a", PackageType::Deb, SeverityLevel::Medium),
        finding("CVE-H", "b", PackageType::Deb, SeverityLevel::High),
        finding("CVE-C", "c", PackageType::Deb, SeverityLevel::Critical),
    ]);
    assert_eq!(
        vuln_ids(&a, &[("severity_comparison", ">="), ("severity", "high")]),
        ["CVE-C+c", "CVE-H+b"]
    );
    assert_eq!(
        vuln_ids(&a, &[("severity_comparison", "<"), ("severity", "high")]),
        ["CVE-M+a"]
    );
    assert_eq!(
        vuln_ids(&a, &[("severity_comparison", "="), ("severity", "HIGH")]),
        ["CVE-H+b"]
    );
    // Anchore's default comparison is `>`.
    assert_eq!(vuln_ids(&a, &[("severity", "high")]), ["CVE-C+c"]);
    assert!(vuln_ids(&a, &[("severity_comparison", ">"), ("severity", "critical")]).is_empty());
}

const V_CRIT: &str = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"; // 9.8, expl 3.9, impact 5.9
const V_MED: &str = "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"; // 5.5, expl 1.8, impact 3.6

fn scored() -> Analysis {
    vulns(vec![
        cvss(
            finding("CVE-HI", "a", PackageType::Deb, SeverityLevel::Critical),
            V_CRIT,
            "nvd@nist.gov",
        ),
        cvss(
            finding("CVE-LO", "b", PackageType::Deb, SeverityLevel::Medium),
            V_MED,
            "ghsa",
        ),
        finding("CVE-NONE", "c", PackageType::Deb, SeverityLevel::Unknown),
    ])
}

#[test]
fn cvss_v3_base_score() {
    let a = scored();
    assert_eq!(
        vuln_ids(
            &a,
            &[("cvss_v3_base_score_comparison", ">="), ("cvss_v3_base_score", "9.8")]
        ),
        ["CVE-HI+a"]
    );
    assert!(vuln_ids(
        &a,
        &[("cvss_v3_base_score_comparison", ">"), ("cvss_v3_base_score", "9.8")]
    )
    .is_empty());
    // Default comparison `>=`; a finding with no score never fires, even for `<`.
    assert_eq!(vuln_ids(&a, &[("cvss_v3_base_score", "5.5")]), ["CVE-HI+a", "CVE-LO+b"]);
    assert_eq!(
        vuln_ids(
            &a,
            &[("cvss_v3_base_score_comparison", "<"), ("cvss_v3_base_score", "7")]
        ),
        ["CVE-LO+b"]
    );
    let fired = run(&a, "vulnerabilities", "package", &[("cvss_v3_base_score", "9")]);
    assert!(
        fired[0].message.contains("cvss_v3_base_score=9.8"),
        "{}",
        fired[0].message
    );
}

#[test]
fn cvss_v3_exploitability_score_from_the_vector() {
    let a = scored();
    assert_eq!(
        vuln_ids(
            &a,
            &[
                ("cvss_v3_exploitability_score_comparison", ">="),
                ("cvss_v3_exploitability_score", "3.9")
            ]
        ),
        ["CVE-HI+a"]
    );
    assert_eq!(
        vuln_ids(
            &a,
            &[
                ("cvss_v3_exploitability_score_comparison", "<="),
                ("cvss_v3_exploitability_score", "1.8")
            ]
        ),
        ["CVE-LO+b"]
    );
    assert!(vuln_ids(&a, &[("cvss_v3_exploitability_score", "4.0")]).is_empty());
}

#[test]
fn cvss_v3_impact_score_from_the_vector() {
    let a = scored();
    assert_eq!(
        vuln_ids(
            &a,
            &[
                ("cvss_v3_impact_score_comparison", ">"),
                ("cvss_v3_impact_score", "5.0")
            ]
        ),
        ["CVE-HI+a"]
    );
    assert_eq!(
        vuln_ids(
            &a,
            &[
                ("cvss_v3_impact_score_comparison", "="),
                ("cvss_v3_impact_score", "3.6")
            ]
        ),
        ["CVE-LO+b"]
    );
    assert!(vuln_ids(&a, &[("cvss_v3_impact_score", "6.0")]).is_empty());
}

#[test]
fn vendor_cvss_v3_scores_ignore_nvd() {
    let a = scored();
    // CVE-HI's only rating is NVD's.
    assert!(vuln_ids(&a, &[("vendor_cvss_v3_base_score", "9")]).is_empty());
    assert_eq!(vuln_ids(&a, &[("vendor_cvss_v3_base_score", "5")]), ["CVE-LO+b"]);
    assert_eq!(
        vuln_ids(&a, &[("vendor_cvss_v3_exploitability_score", "1.8")]),
        ["CVE-LO+b"]
    );
    assert!(vuln_ids(&a, &[("vendor_cvss_v3_exploitability_score", "1.9")]).is_empty());
    assert_eq!(
        vuln_ids(
            &a,
            &[
                ("vendor_cvss_v3_impact_score_comparison", "<"),
                ("vendor_cvss_v3_impact_score", "4")
            ]
        ),
        ["CVE-LO+b"]
    );
    assert!(vuln_ids(&a, &[("vendor_cvss_v3_impact_score", "3.7")]).is_empty());
}

#[test]
fn fix_available() {
    let a = vulns(vec![
        fixed(finding("CVE-F", "a", PackageType::Deb, SeverityLevel::High), "2.0"),
        finding("CVE-N", "b", PackageType::Deb, SeverityLevel::High),
    ]);
    assert_eq!(vuln_ids(&a, &[("fix_available", "true")]), ["CVE-F+a"]);
    assert_eq!(vuln_ids(&a, &[("fix_available", "false")]), ["CVE-N+b"]);
}

#[test]
fn vendor_only_skips_wont_fix() {
    let mut wont = finding("CVE-W", "a", PackageType::Deb, SeverityLevel::High);
    wont.fix_state = FixState::WontFix;
    let a = vulns(vec![wont, finding("CVE-N", "b", PackageType::Deb, SeverityLevel::High)]);
    assert_eq!(vuln_ids(&a, &[("vendor_only", "true")]), ["CVE-N+b"]);
    assert_eq!(vuln_ids(&a, &[("vendor_only", "false")]), ["CVE-N+b", "CVE-W+a"]);
    assert_eq!(vuln_ids(&a, &[]), ["CVE-N+b", "CVE-W+a"]);
}

fn date(unix: u64) -> String {
    // Civil date of a Unix time (Howard Hinnant's algorithm), for readable fixtures.
    let z = (unix / DAY) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[test]
fn max_days_since_creation() {
    let mut old = finding("CVE-OLD", "a", PackageType::Deb, SeverityLevel::High);
    old.published = Some(format!("{}T00:00:00Z", date(NOW - 40 * DAY)));
    let mut new = finding("CVE-NEW", "b", PackageType::Deb, SeverityLevel::High);
    new.published = Some(date(NOW - 10 * DAY));
    let mut nvd_style = finding("CVE-NVD", "c", PackageType::Deb, SeverityLevel::High);
    nvd_style.published = Some(format!("{}T17:15:12.123", date(NOW - 35 * DAY)));
    let undated = finding("CVE-UNDATED", "d", PackageType::Deb, SeverityLevel::High);
    let a = vulns(vec![old, new, nvd_style, undated]);
    // Published at least 30 days ago fires; 10 days ago does not; no date fires.
    assert_eq!(
        vuln_ids(&a, &[("max_days_since_creation", "30")]),
        ["CVE-NVD+c", "CVE-OLD+a", "CVE-UNDATED+d"]
    );
    assert_eq!(vuln_ids(&a, &[("max_days_since_creation", "5")]).len(), 4);
    assert_eq!(vuln_ids(&a, &[("max_days_since_creation", "50")]), ["CVE-UNDATED+d"]);
}

#[test]
fn max_days_since_fix_does_not_hold_back_fixed_findings() {
    let a = vulns(vec![
        fixed(finding("CVE-F", "a", PackageType::Deb, SeverityLevel::High), "2.0"),
        finding("CVE-N", "b", PackageType::Deb, SeverityLevel::High),
    ]);
    // No fix dates are recorded: the fixed finding fires, the unfixed one (filtered by
    // fix_available) does not.
    assert_eq!(
        vuln_ids(&a, &[("fix_available", "true"), ("max_days_since_fix", "30")]),
        ["CVE-F+a"]
    );
}

#[test]
fn known_exploited() {
    let mut kev = finding("CVE-KEV", "a", PackageType::Deb, SeverityLevel::High);
    kev.kev_date_added = Some("2023-05-01".into());
    let a = vulns(vec![kev, finding("CVE-N", "b", PackageType::Deb, SeverityLevel::High)]);
    let fired = run(&a, "vulnerabilities", "package", &[("known_exploited", "true")]);
    assert_eq!(ids(&fired), ["CVE-KEV+a"]);
    assert!(fired[0].message.contains("known exploited since 2023-05-01"));
    assert_eq!(vuln_ids(&a, &[("known_exploited", "false")]), ["CVE-N+b"]);
}

#[test]
fn epss_score_and_percentile() {
    let mut likely = finding("CVE-HOT", "a", PackageType::Deb, SeverityLevel::High);
    likely.epss = Some(Epss {
        score: 0.9,
        percentile: 0.99,
    });
    let mut unlikely = finding("CVE-COLD", "b", PackageType::Deb, SeverityLevel::High);
    unlikely.epss = Some(Epss {
        score: 0.01,
        percentile: 0.4,
    });
    let unscored = finding("CVE-NONE", "c", PackageType::Deb, SeverityLevel::High);
    let a = vulns(vec![likely, unlikely, unscored]);
    assert_eq!(vuln_ids(&a, &[("epss_score", "0.5")]), ["CVE-HOT+a"]);
    assert_eq!(
        vuln_ids(&a, &[("epss_score_comparison", "<"), ("epss_score", "0.5")]),
        ["CVE-COLD+b"]
    );
    assert_eq!(
        vuln_ids(&a, &[("epss_percentile_comparison", ">="), ("epss_percentile", "0.95")]),
        ["CVE-HOT+a"]
    );
    assert!(vuln_ids(&a, &[("epss_percentile", "0.999")]).is_empty());
}

#[test]
fn package_path_exclude() {
    let mut test_jar = finding("CVE-T", "junit", PackageType::JavaArchive, SeverityLevel::High);
    test_jar.package.locations[0].path = "/app/test/junit.jar".into();
    let a = vulns(vec![
        test_jar,
        finding("CVE-A", "app", PackageType::JavaArchive, SeverityLevel::High),
    ]);
    assert_eq!(vuln_ids(&a, &[("package_path_exclude", ".*/test/.*")]), ["CVE-A+app"]);
    // Anchored at the start of the path, as Python's re.match.
    assert_eq!(vuln_ids(&a, &[("package_path_exclude", "test/")]).len(), 2);
}

// ---- vulnerabilities.stale_feed_data ----

#[test]
fn stale_feed_data() {
    let p = [("max_days_since_sync", "7")];
    let mut a = vulns(Vec::new());
    a.database = Some(db(NOW - 8 * DAY));
    let fired = run(&a, "vulnerabilities", "stale_feed_data", &p);
    assert_eq!(ids(&fired), ["stale_feed_data"]);
    assert!(fired[0].message.contains("8 days old"), "{}", fired[0].message);
    a.database = Some(db(NOW - 6 * DAY));
    assert!(run(&a, "vulnerabilities", "stale_feed_data", &p).is_empty());
    // Unknown build time, or matched with no database status: fires.
    a.database = Some(db(0));
    assert_eq!(run(&a, "vulnerabilities", "stale_feed_data", &p).len(), 1);
    a.database = None;
    assert_eq!(run(&a, "vulnerabilities", "stale_feed_data", &p).len(), 1);
    // No vulnerability data at all is vulnerability_data_unavailable's business.
    a.vulnerabilities = None;
    assert!(run(&a, "vulnerabilities", "stale_feed_data", &p).is_empty());
}

// ---- vulnerabilities.vulnerability_data_unavailable ----

#[test]
fn vulnerability_data_unavailable() {
    let mut a = analysis(vec![pkg(PackageType::Deb, "libc6", "2.36-9")], Vec::new());
    assert!(run(&a, "vulnerabilities", "vulnerability_data_unavailable", &[]).is_empty());

    // OS packages but no distro to look them up under.
    a.sbom.distro = None;
    let fired = run(&a, "vulnerabilities", "vulnerability_data_unavailable", &[]);
    assert_eq!(ids(&fired), ["vulnerability_data_unavailable"]);
    assert!(fired[0].message.contains("1 OS packages"), "{}", fired[0].message);

    // ... which does not matter for an image with only language packages.
    a.sbom.packages = vec![pkg(PackageType::Python, "requests", "2.31.0")];
    assert!(run(&a, "vulnerabilities", "vulnerability_data_unavailable", &[]).is_empty());

    // Matched, but the database had no advisories for the image's ecosystem: fires, naming it.
    a.vulnerabilities.as_mut().unwrap().unavailable = vec![drydock_match::CoverageGap {
        namespace: "pypi".into(),
        packages: 1,
        os: false,
    }];
    let fired = run(&a, "vulnerabilities", "vulnerability_data_unavailable", &[]);
    assert_eq!(ids(&fired), ["vulnerability_data_unavailable"]);
    assert!(fired[0].message.contains("pypi"), "{}", fired[0].message);
    assert!(fired[0].message.contains("1 language package"), "{}", fired[0].message);

    a.vulnerabilities = None;
    let fired = run(&a, "vulnerabilities", "vulnerability_data_unavailable", &[]);
    assert_eq!(ids(&fired), ["vulnerability_data_unavailable"]);
    a.scanners.vuln = false;
    let fired = run(&a, "vulnerabilities", "vulnerability_data_unavailable", &[]);
    assert!(fired[0].message.contains("scanner was off"), "{}", fired[0].message);
}

// ---- packages.required_package ----

#[test]
fn required_package_present_or_missing() {
    let a = analysis(
        vec![
            pkg(PackageType::Deb, "ca-certificates", "20230311"),
            pkg(PackageType::Npm, "left-pad", "1.3.0"),
        ],
        Vec::new(),
    );
    assert!(run(&a, "packages", "required_package", &[("name", "ca-certificates")]).is_empty());
    let fired = run(&a, "packages", "required_package", &[("name", "tzdata")]);
    assert_eq!(ids(&fired), ["tzdata"]);
    assert!(fired[0].message.contains("not present"));
    // Type filter: left-pad is there, but not as a deb.
    assert!(run(
        &a,
        "packages",
        "required_package",
        &[("name", "left-pad"), ("type", "npm")]
    )
    .is_empty());
    assert_eq!(
        run(
            &a,
            "packages",
            "required_package",
            &[("name", "left-pad"), ("type", "os")]
        )
        .len(),
        1
    );
}

#[test]
fn required_package_exact_version() {
    let a = analysis(vec![pkg(PackageType::Python, "requests", "2.31.0")], Vec::new());
    let exact = |v: &str| {
        run(
            &a,
            "packages",
            "required_package",
            &[("name", "requests"), ("version", v), ("version_match_type", "exact")],
        )
    };
    assert!(exact("2.31.0").is_empty());
    // PEP 440 equality: 2.31 == 2.31.0.
    assert!(exact("2.31").is_empty());
    let fired = exact("2.32.0");
    assert_eq!(ids(&fired), ["requests"]);
    assert!(
        fired[0].message.contains("not at the version 2.32.0"),
        "{}",
        fired[0].message
    );
    // exact is the default.
    assert_eq!(
        run(
            &a,
            "packages",
            "required_package",
            &[("name", "requests"), ("version", "2.30.0")]
        )
        .len(),
        1
    );
}

#[test]
fn required_package_minimum_version_uses_the_package_scheme() {
    let a = analysis(vec![pkg(PackageType::Deb, "openssl", "3.0.9-1")], Vec::new());
    let min = |v: &str| {
        run(
            &a,
            "packages",
            "required_package",
            &[("name", "openssl"), ("version", v), ("version_match_type", "minimum")],
        )
    };
    assert!(min("3.0.9-1").is_empty());
    assert!(min("3.0.8").is_empty());
    assert!(min("1:0.9").len() == 1, "an epoch outranks any version");
    // As strings "3.0.9" > "3.0.11"; as dpkg versions it is lower.
    let fired = min("3.0.11-1");
    assert_eq!(ids(&fired), ["openssl"]);
    assert!(fired[0].message.contains("lower version than the minimum 3.0.11-1"));
    let fired = run(
        &a,
        "packages",
        "required_package",
        &[
            ("name", "libssl3"),
            ("version", "3.0.11"),
            ("version_match_type", "minimum"),
        ],
    );
    assert!(fired[0].message.contains("not present"));
}

// ---- packages.denylist ----

#[test]
fn denylist_by_name_wildcard_version_and_type() {
    let a = analysis(
        vec![
            pkg(PackageType::Deb, "openssh-server", "1:9.2p1-2"),
            pkg(PackageType::Deb, "openssh-client", "1:9.2p1-2"),
            pkg(PackageType::Deb, "openssl", "3.0.11-1"),
            pkg(PackageType::Python, "openssh-wrapper", "0.4"),
        ],
        Vec::new(),
    );
    let deny = |p: &[(&str, &str)]| {
        ids(&run(&a, "packages", "denylist", p))
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(deny(&[("name", "openssh-server")]), ["openssh-server+1:9.2p1-2"]);
    assert!(deny(&[("name", "openssh")]).is_empty());
    assert_eq!(
        deny(&[("name", "openssh-*")]),
        [
            "openssh-client+1:9.2p1-2",
            "openssh-server+1:9.2p1-2",
            "openssh-wrapper+0.4"
        ]
    );
    assert_eq!(
        deny(&[("name", "openssh-*"), ("type", "python")]),
        ["openssh-wrapper+0.4"]
    );
    assert_eq!(deny(&[("name", "openssh-*"), ("type", "os")]).len(), 2);
    assert_eq!(
        deny(&[("name", "openssl"), ("version", "3.0.11-1")]),
        ["openssl+3.0.11-1"]
    );
    assert!(deny(&[("name", "openssl"), ("version", "3.0.10-1")]).is_empty());
    let fired = run(&a, "packages", "denylist", &[("name", "openssl")]);
    assert!(fired[0]
        .message
        .starts_with("Package is denylisted: openssl 3.0.11-1 (deb)"));
}

// ---- packages.verify ----

fn changed(package: &str, path: &str, change: FileChange) -> ChangedFile {
    ChangedFile {
        package_id: format!("id-{package}"),
        package: package.into(),
        version: "1.0".into(),
        path: path.into(),
        change,
        expected: "md5:00".into(),
        actual: (change == FileChange::Modified).then(|| "md5:ff".to_string()),
    }
}

#[test]
fn verify_checks_changed_and_missing_files() {
    let mut a = analysis(Vec::new(), Vec::new());
    assert!(run(&a, "packages", "verify", &[]).is_empty());
    a.changed_files = vec![
        changed("coreutils", "/usr/bin/ls", FileChange::Modified),
        changed("coreutils", "/usr/bin/cat", FileChange::Missing),
        changed("base-files", "/etc/issue", FileChange::Modified),
    ];
    let v = |p: &[(&str, &str)]| {
        ids(&run(&a, "packages", "verify", p))
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(v(&[]).len(), 3);
    assert_eq!(v(&[("check", "all")]).len(), 3);
    assert_eq!(
        v(&[("check", "changed")]),
        ["base-files+/etc/issue", "coreutils+/usr/bin/ls"]
    );
    assert_eq!(v(&[("check", "missing")]), ["coreutils+/usr/bin/cat"]);
    assert_eq!(v(&[("only_packages", "base-files")]), ["base-files+/etc/issue"]);
    assert!(v(&[("only_packages", "bash,dash")]).is_empty());
    assert_eq!(
        v(&[("only_directories", "/usr/bin"), ("check", "changed")]),
        ["coreutils+/usr/bin/ls"]
    );
    assert!(v(&[("only_directories", "/usr/bi")]).is_empty());
    let fired = run(&a, "packages", "verify", &[("only_packages", "base-files")]);
    assert!(
        fired[0]
            .message
            .contains("'/etc/issue' with status: 'changed' (expected md5:00, found md5:ff)"),
        "{}",
        fired[0].message
    );
}

// ---- licenses ----

fn licensed(name: &str, licenses: &[&str]) -> Package {
    let mut p = pkg(PackageType::Python, name, "1.0");
    p.licenses = licenses.iter().map(|l| l.to_string()).collect();
    p
}

fn licensed_image() -> Analysis {
    analysis(
        vec![
            licensed("dual", &["GPL-2.0-only OR MIT"]),
            licensed("lesser", &["LGPL-2.1-or-later"]),
            licensed("twice", &["GPL-2.0-only", "gpl-2.0-only"]),
            licensed("free", &["Apache-2.0"]),
        ],
        Vec::new(),
    )
}

#[test]
fn licenses_denylist_exact_match() {
    let a = licensed_image();
    let fired = run(&a, "licenses", "denylist_exact_match", &[("licenses", "GPL-2.0-only")]);
    // Expression terms count; case is ignored; one firing per (package, license).
    assert_eq!(ids(&fired), ["GPL-2.0-only+dual", "GPL-2.0-only+twice"]);
    assert!(run(&a, "licenses", "denylist_exact_match", &[("licenses", "GPL-2.0")]).is_empty());
    // A whole expression can be denied as such.
    assert_eq!(
        ids(&run(
            &a,
            "licenses",
            "denylist_exact_match",
            &[("licenses", "gpl-2.0-only or mit")]
        )),
        ["GPL-2.0-only OR MIT+dual"]
    );
    assert_eq!(
        ids(&run(
            &a,
            "licenses",
            "denylist_exact_match",
            &[("licenses", "AGPL-3.0-only, apache-2.0")]
        )),
        ["Apache-2.0+free"]
    );
}

#[test]
fn licenses_denylist_partial_match() {
    let a = licensed_image();
    let fired = run(&a, "licenses", "denylist_partial_match", &[("licenses", "gpl")]);
    assert_eq!(
        ids(&fired),
        ["GPL-2.0-only+dual", "GPL-2.0-only+twice", "LGPL-2.1-or-later+lesser"]
    );
    assert!(fired[0].message.contains("partial match"), "{}", fired[0].message);
    assert!(run(&a, "licenses", "denylist_partial_match", &[("licenses", "AGPL,SSPL")]).is_empty());
}

// ---- a bundle of these triggers, evaluated ----

const BUNDLE: &str = r#"{
  "id": "vulns-only",
  "name": "the default bundle's vulnerability rules",
  "rule_sets": [{
    "id": "default",
    "rules": [
      { "id": "vuln-high-fixable", "gate": "vulnerabilities", "trigger": "package", "action": "STOP",
        "params": [
          { "name": "package_type", "value": "all" },
          { "name": "severity_comparison", "value": ">=" },
          { "name": "severity", "value": "high" },
          { "name": "fix_available", "value": "true" }
        ] },
      { "id": "vuln-other-fixable", "gate": "vulnerabilities", "trigger": "package", "action": "WARN",
        "params": [
          { "name": "package_type", "value": "all" },
          { "name": "severity_comparison", "value": "<" },
          { "name": "severity", "value": "high" },
          { "name": "fix_available", "value": "true" }
        ] },
      { "id": "stale-feed", "gate": "vulnerabilities", "trigger": "stale_feed_data", "action": "WARN",
        "params": [{ "name": "max_days_since_sync", "value": "7" }] },
      { "id": "no-vuln-data", "gate": "vulnerabilities", "trigger": "vulnerability_data_unavailable",
        "action": "WARN", "params": [] },
      { "id": "deny-telnet", "gate": "packages", "trigger": "denylist", "action": "STOP",
        "params": [{ "name": "name", "value": "telnet*" }] },
      { "id": "gpl3", "gate": "licenses", "trigger": "denylist_exact_match", "action": "WARN",
        "params": [{ "name": "licenses", "value": "GPL-3.0-only" }] }
    ]
  }],
  "allowlists": [{ "id": "al", "name": "al", "items": [
    { "id": "i1", "gate": "vulnerabilities", "trigger_id": "CVE-2023-9999+*" }
  ] }],
  "mappings": [{ "id": "m", "name": "all", "registry": "*", "repository": "*",
    "image": { "type": "tag", "value": "*" }, "rule_set_ids": ["default"], "allowlist_ids": ["al"] }]
}"#;

fn evaluate_bundle(a: &Analysis) -> drydock_policy::Evaluation {
    let bundle = parse_bundle(BUNDLE.as_bytes(), "test").expect("bundle parses");
    evaluate(
        &bundle,
        a,
        &ImageTarget::parse("debian:12"),
        &EvalContext {
            now_unix: NOW,
            tag: None,
        },
        &EvalOptions::default(),
    )
    .expect("bundle is valid and mapped")
}

#[test]
fn bundle_stops_on_a_fixable_high_finding() {
    let a = analysis(
        vec![pkg(PackageType::Deb, "openssl", "1.0-1")],
        vec![fixed(
            finding("CVE-2023-1234", "openssl", PackageType::Deb, SeverityLevel::High),
            "1.0-2",
        )],
    );
    let e = evaluate_bundle(&a);
    assert_eq!(e.final_action, Action::Stop);
    assert_eq!(e.results.len(), 1);
    assert_eq!(e.results[0].rule_id, "vuln-high-fixable");
    assert_eq!(e.results[0].trigger_id, "CVE-2023-1234+openssl");
}

#[test]
fn bundle_passes_a_clean_image_and_warns_on_the_rest() {
    let clean = analysis(vec![pkg(PackageType::Deb, "openssl", "1.0-1")], Vec::new());
    let e = evaluate_bundle(&clean);
    assert_eq!(e.final_action, Action::Go, "{:?}", e.results);
    assert!(e.results.is_empty());

    // Unfixed high, allowlisted high: still GO.
    let mut allowlisted = analysis(
        Vec::new(),
        vec![
            finding("CVE-2023-0001", "a", PackageType::Deb, SeverityLevel::Critical),
            fixed(
                finding("CVE-2023-9999", "b", PackageType::Deb, SeverityLevel::High),
                "2",
            ),
        ],
    );
    let e = evaluate_bundle(&allowlisted);
    assert_eq!(e.final_action, Action::Go, "{:?}", e.results);
    assert_eq!(e.results.len(), 1);
    assert!(e.results[0].allowlisted.is_some());

    // A fixable medium and an old database warn.
    allowlisted.vulnerabilities = Some(MatchReport {
        findings: vec![fixed(
            finding("CVE-2023-0002", "c", PackageType::Npm, SeverityLevel::Medium),
            "2",
        )],
        ..Default::default()
    });
    allowlisted.database = Some(db(NOW - 30 * DAY));
    let e = evaluate_bundle(&allowlisted);
    assert_eq!(e.final_action, Action::Warn);
    let rules: Vec<&str> = e.results.iter().map(|r| r.rule_id.as_str()).collect();
    assert_eq!(rules, ["vuln-other-fixable", "stale-feed"]);

    // No vulnerability data warns; a denylisted package stops.
    let mut a = analysis(vec![pkg(PackageType::Deb, "telnetd", "0.17")], Vec::new());
    a.vulnerabilities = None;
    a.database = None;
    let e = evaluate_bundle(&a);
    assert_eq!(e.final_action, Action::Stop);
    let rules: Vec<&str> = e.results.iter().map(|r| r.rule_id.as_str()).collect();
    assert_eq!(rules, ["no-vuln-data", "deny-telnet"]);
}

// ---- the built-in default bundle ----

fn evaluate_default(a: &Analysis) -> drydock_policy::Evaluation {
    let bundle = drydock_policy::default_bundle();
    assert_eq!(drydock_policy::validate(&bundle), Vec::new());
    evaluate(
        &bundle,
        a,
        &ImageTarget::parse("debian:12"),
        &EvalContext {
            now_unix: NOW,
            tag: None,
        },
        &EvalOptions::default(),
    )
    .expect("the default bundle is valid and maps every image")
}

#[test]
fn default_bundle_stops_on_a_fixable_high_finding_and_passes_a_clean_image() {
    let high = analysis(
        vec![pkg(PackageType::Deb, "openssl", "1.0-1")],
        vec![fixed(
            finding("CVE-2023-1234", "openssl", PackageType::Deb, SeverityLevel::High),
            "1.0-2",
        )],
    );
    let e = evaluate_default(&high);
    assert_eq!(e.final_action, Action::Stop, "{:?}", e.results);
    let rules: Vec<&str> = e.results.iter().map(|r| r.rule_id.as_str()).collect();
    assert_eq!(rules, ["vuln-high-fixable"]);

    // Unfixed critical: not the default bundle's business.
    let unfixed = vulns(vec![finding(
        "CVE-2023-1",
        "a",
        PackageType::Deb,
        SeverityLevel::Critical,
    )]);
    assert_eq!(evaluate_default(&unfixed).final_action, Action::Go);

    let clean = analysis(vec![pkg(PackageType::Deb, "openssl", "1.0-1")], Vec::new());
    let e = evaluate_default(&clean);
    assert_eq!(e.final_action, Action::Go, "{:?}", e.results);
    assert!(e.results.is_empty());
}
