//! Evaluation speed on an already analysed image: a synthetic analysis the size of a rich
//! application image (2,500 packages, 500 findings, 40,000 files, accounts, secrets) and the
//! every-gate test bundle plus the built-in default, each evaluated many times.
//!
//! `cargo bench -p drydock-policy` prints the median and the 95th percentile per bundle.

use drydock_analysis::{Analysis, Scanners};
use drydock_image::FileKind;
use drydock_inspect::content::{ContentMatch, RetrievedFile};
use drydock_inspect::files::FileRecord;
use drydock_inspect::secrets::{LayerSecret, SecretFinding, Severity as SecretSeverity};
use drydock_match::{Finding, MatchReport};
use drydock_policy::{default_bundle, evaluate, parse_bundle, EvalContext, EvalOptions, ImageTarget};
use drydock_sbom::{Package, PackageType, Sbom};
use std::time::Instant;

fn analysis() -> Analysis {
    let mut sbom = Sbom::default();
    for i in 0..2500 {
        let t = [
            PackageType::Deb,
            PackageType::Python,
            PackageType::Npm,
            PackageType::JavaArchive,
        ][i % 4];
        let mut p = Package::new(t, format!("pkg{i}"), format!("1.{i}.0"), "bench");
        p.id = format!("id{i}");
        p.licenses = vec![["MIT", "GPL-2.0-or-later", "BSD-3-Clause", "Apache-2.0"][i % 4].to_string()];
        sbom.packages.push(p);
    }
    sbom.image.config.os = "linux".into();
    sbom.image.config.architecture = "amd64".into();
    let findings: Vec<Finding> = (0..500)
        .map(|i| {
            let severity = ["critical", "high", "medium", "low"][i % 4];
            serde_json::from_value(serde_json::json!({
                "id": format!("CVE-2024-{i:05}"),
                "severity": severity,
                "package": {"id": format!("id{i}"), "name": format!("pkg{i}"), "version": "1.0", "type": "deb", "purl": "", "locations": []},
                "matched_by": "ecosystem", "namespace": "debian:12", "lookup_name": format!("pkg{i}"), "lookup_version": "1.0",
                "scheme": "dpkg", "fix_state": if i % 2 == 0 { "fixed" } else { "not-fixed" },
                "fixed_versions": if i % 2 == 0 { vec!["2.0"] } else { vec![] },
                "evidence": [], "aliases": [], "ratings": [],
            }))
            .expect("finding")
        })
        .collect();
    let mut a = Analysis::from_sbom(sbom, Scanners::default());
    a.has_files = true;
    a.vulnerabilities = Some(MatchReport {
        findings,
        ..Default::default()
    });
    a.files = (0..40_000)
        .map(|i| FileRecord {
            path: format!("/usr/lib/dir{}/file{i}", i % 300),
            kind: FileKind::Regular,
            mode: if i % 5000 == 0 { 0o4755 } else { 0o644 },
            uid: 0,
            gid: 0,
            size: 1000,
            layer: 0,
            link: None,
            notes: None,
        })
        .collect();
    a.secrets = Some(
        (0..10)
            .map(|i| LayerSecret {
                finding: SecretFinding {
                    rule_id: "aws-access-key-id".into(),
                    title: "AWS access key id".into(),
                    severity: SecretSeverity::Critical,
                    path: format!("/app/conf{i}"),
                    line: 1,
                    redacted: "AKIA****XY".into(),
                },
                layer: 1,
            })
            .collect(),
    );
    a.content_matches = (0..50)
        .map(|i| ContentMatch {
            name: "todo".into(),
            path: format!("/app/src{i}.js"),
            line: i,
            layer: 1,
        })
        .collect();
    let passwd: String = (0..40)
        .map(|i| format!("user{i}:x:{}:{}::/home/user{i}:/bin/sh\n", 1000 + i, 1000 + i))
        .collect();
    a.retrieved_files = vec![RetrievedFile {
        path: "/etc/passwd".into(),
        layer: 0,
        size: passwd.len() as u64,
        mode: 0o644,
        uid: 0,
        gid: 0,
        encoding: Some("utf-8".into()),
        content: Some(passwd),
        note: None,
    }];
    a
}

fn main() {
    let a = analysis();
    let every = parse_bundle(
        include_bytes!("../../drydock/tests/fixtures/policy/every-gate.json"),
        "every-gate.json",
    )
    .expect("bundle");
    let target = ImageTarget::parse("registry.example/app/web:1.0");
    let ctx = EvalContext {
        now_unix: 1_790_000_000,
        tag: Some(target.full_tag()),
    };
    for (name, bundle) in [("default", default_bundle()), ("every-gate", every)] {
        let mut times = Vec::new();
        let mut fired = 0;
        for _ in 0..200 {
            let start = Instant::now();
            let e = evaluate(&bundle, &a, &target, &ctx, &EvalOptions::default()).expect("evaluates");
            times.push(start.elapsed().as_secs_f64() * 1000.0);
            fired = e.results.len();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{name:<11} {fired:>5} triggers fired: median {:.3} ms, p95 {:.3} ms (200 runs)",
            times[times.len() / 2],
            times[times.len() * 95 / 100]
        );
    }
}
