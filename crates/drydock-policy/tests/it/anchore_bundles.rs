//! Bundles in Anchore's formats (v1 JSON names and trigger names, v2 YAML) are read,
//! validated and evaluated unchanged.

use drydock_analysis::{Analysis, Scanners};
use drydock_image::ConfigSummary;
use drydock_match::{Finding, MatchReport};
use drydock_policy::{evaluate, parse_bundle, validate, Action, EvalContext, EvalOptions, ImageTarget};
use drydock_sbom::Sbom;

const V1: &str = include_str!("../fixtures/anchore-v1-bundle.json");

/// An analysed image whose config names no user and has no HEALTHCHECK.
fn analysis() -> Analysis {
    let mut a = Analysis::from_sbom(Sbom::default(), Scanners::default());
    a.has_files = true;
    a.vulnerabilities = Some(MatchReport::default());
    a.sbom.image.config = ConfigSummary {
        os: "linux".into(),
        architecture: "amd64".into(),
        ..Default::default()
    };
    a
}

fn ctx() -> EvalContext {
    EvalContext {
        now_unix: 1_790_000_000,
        tag: None,
    }
}

#[test]
fn a_v1_bundle_is_read_with_its_old_names() {
    let b = parse_bundle(V1.as_bytes(), "anchore-v1-bundle.json").unwrap();
    assert_eq!(validate(&b), vec![], "valid as written");
    assert_eq!(b.rule_sets.len(), 1, "policies are rule sets");
    assert_eq!(b.allowlists[0].items.len(), 2, "whitelists are allowlists");
    assert_eq!(b.allowlisted_images.len(), 1);
    assert_eq!(b.denylisted_images.len(), 1);
    assert_eq!(
        b.mappings[1].all_rule_set_ids(),
        ["48e6f7d6-1765-11e8-b5f9-8b6f228548b6"],
        "policy_id"
    );
    let triggers: Vec<&str> = b.rule_sets[0].rules.iter().map(|r| r.trigger.as_str()).collect();
    assert!(triggers.contains(&"denylist_exact_match") && triggers.contains(&"denylist_shells"));
    assert!(b.rule_sets[0]
        .rules
        .iter()
        .flat_map(|r| &r.params)
        .all(|p| p.value != "blacklist"));
}

#[test]
fn a_v1_bundle_evaluates_mappings_and_image_lists() {
    let b = parse_bundle(V1.as_bytes(), "v1").unwrap();
    let a = analysis();
    let run = |tag: &str| evaluate(&b, &a, &ImageTarget::parse(tag), &ctx(), &EvalOptions::default()).unwrap();

    let e = run("127.0.0.1:5000/fx/app:1.0");
    assert_eq!(e.mapping.as_ref().unwrap().name, "fx images");
    // Empty config: runs as root (the whitelist item for it expired), no HEALTHCHECK.
    let fired: Vec<(&str, &str, Action, bool)> = e
        .results
        .iter()
        .map(|r| {
            (
                r.trigger.as_str(),
                r.trigger_id.as_str(),
                r.action,
                r.allowlisted.is_some(),
            )
        })
        .collect();
    assert!(
        fired.contains(&("effective_user", "user:root", Action::Warn, false)),
        "{fired:?}"
    );
    assert!(
        fired.contains(&("instruction", "HEALTHCHECK", Action::Warn, false)),
        "{fired:?}"
    );
    assert_eq!(e.final_action, Action::Warn);

    let e = run("docker.io/library/debian:12");
    assert_eq!(
        e.mapping.as_ref().unwrap().name,
        "default",
        "first match wins, then the catch-all"
    );

    let e = run("registry.example.com/base/debian:12");
    assert_eq!(
        (e.final_action, e.matched_image_entry.as_deref()),
        (Action::Go, Some("Trusted base"))
    );
    let e = run("registry.example.com/legacy/app:1");
    assert_eq!(
        (e.final_action, e.matched_image_entry.as_deref()),
        (Action::Stop, Some("Retired images"))
    );
}

#[test]
fn v1_allowlist_items_match_trigger_ids() {
    let b = parse_bundle(V1.as_bytes(), "v1").unwrap();
    let mut a = analysis();
    let finding: Finding = serde_json::from_value(serde_json::json!({
        "id": "GHSA-dddd-0000-0002",
        "severity": "low",
        "package": {"id": "p1", "name": "idna", "version": "2.7", "type": "python", "purl": "pkg:pypi/idna@2.7", "locations": []},
        "matched_by": "ecosystem", "namespace": "pypi", "lookup_name": "idna", "lookup_version": "2.7",
        "scheme": "pep440", "fix_state": "not-fixed", "evidence": [], "aliases": [], "ratings": [], "fixed_versions": [],
    }))
    .unwrap_or_else(|e| panic!("finding JSON: {e}"));
    a.vulnerabilities = Some(MatchReport {
        findings: vec![finding],
        ..Default::default()
    });
    let e = evaluate(
        &b,
        &a,
        &ImageTarget::parse("127.0.0.1:5000/fx/app:1"),
        &ctx(),
        &EvalOptions::default(),
    )
    .unwrap();
    let r = e
        .results
        .iter()
        .find(|r| r.trigger_id == "GHSA-dddd-0000-0002+idna")
        .expect("the low finding fires the <= medium rule");
    assert_eq!(r.allowlisted.as_ref().map(|a| a.item_id.as_str()), Some("item-1"));
}

#[test]
fn a_v2_bundle_in_yaml() {
    let yaml = r#"
id: yaml-bundle
name: YAML bundle
version: "2"
rule_sets:
  - id: rs
    name: rules
    rules:
      - id: root
        gate: dockerfile
        trigger: effective_user
        action: STOP
        params:
          - { name: users, value: root }
          - { name: type, value: denylist }
      - id: old-db
        gate: vulnerabilities
        trigger: stale_feed_data
        action: WARN
        params:
          - name: max_days_since_sync
            value: 7
allowlists: []
mappings:
  - id: all
    registry: "*"
    repository: "*"
    image: { type: tag, value: "*" }
    rule_set_ids: [rs]
    allowlist_ids: []
allowlisted_images: []
denylisted_images: []
"#;
    let b = parse_bundle(yaml.as_bytes(), "bundle.yaml").unwrap();
    assert_eq!(validate(&b), vec![]);
    assert_eq!(b.rule_sets[0].rules[1].params[0].value, "7", "numbers read as text");
    let e = evaluate(
        &b,
        &analysis(),
        &ImageTarget::parse("x/y:z"),
        &ctx(),
        &EvalOptions::default(),
    )
    .unwrap();
    assert_eq!(e.final_action, Action::Stop);
}

#[test]
fn a_yaml_alias_bomb_is_refused_not_expanded() {
    // Nine levels of nine aliases: 387 million strings if expanded.
    let mut yaml = String::from("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for level in 1..9 {
        let prev = format!("*a{}", level - 1);
        yaml.push_str(&format!("a{level}: &a{level} [{}]\n", vec![prev; 9].join(",")));
    }
    yaml.push_str("id: bomb\nname: bomb\nversion: \"2\"\n");
    let e = parse_bundle(yaml.as_bytes(), "bomb.yaml").unwrap_err().to_string();
    assert!(e.contains("bomb.yaml") && e.contains("invalid YAML"), "{e}");
}
