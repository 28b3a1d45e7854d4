//! Bundle validation: every problem reported once, naming the rule (or item, or mapping)
//! by id and position.

use crate::bundle::{Action, Bundle, ImageSelector};
use crate::gates;
use drydock_time::parse_date_or_timestamp as parse_time;
use serde::Serialize;
use std::collections::BTreeSet;

/// One problem in a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// Where: e.g. `rule_sets[0] "default" > rules[2] "r3"`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

fn named(kind: &str, i: usize, id: &str) -> String {
    if id.is_empty() {
        format!("{kind}[{i}]")
    } else {
        format!("{kind}[{i}] {id:?}")
    }
}

/// Every problem in the bundle; empty when it is valid.
pub fn validate(bundle: &Bundle) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut push = |location: String, message: String| issues.push(Issue { location, message });

    if bundle.id.trim().is_empty() {
        push("bundle".into(), "id is missing".into());
    }
    let mut rule_set_ids = BTreeSet::new();
    for (i, rs) in bundle.rule_sets.iter().enumerate() {
        let at = named("rule_sets", i, &rs.id);
        if rs.id.trim().is_empty() {
            push(at.clone(), "id is missing".into());
        } else if !rule_set_ids.insert(rs.id.as_str()) {
            push(at.clone(), "id is used by another rule set".into());
        }
        let mut rule_ids = BTreeSet::new();
        for (j, rule) in rs.rules.iter().enumerate() {
            let at = format!("{at} > {}", named("rules", j, &rule.id));
            if !rule.id.is_empty() && !rule_ids.insert(rule.id.as_str()) {
                push(at.clone(), "id is used by another rule in this rule set".into());
            }
            if Action::parse(&rule.action).is_none() {
                push(at.clone(), format!("action {:?} is not STOP, WARN or GO", rule.action));
            }
            let Some(gate) = gates::gate(&rule.gate) else {
                push(
                    at.clone(),
                    format!(
                        "unknown gate {:?}; gates: {}",
                        rule.gate,
                        gates::ALL.iter().map(|g| g.name).collect::<Vec<_>>().join(", ")
                    ),
                );
                continue;
            };
            let Some(trigger) = gate.trigger(rule.trigger.trim()) else {
                push(
                    at.clone(),
                    format!(
                        "gate {} has no trigger {:?}; triggers: {}",
                        gate.name,
                        rule.trigger,
                        gate.triggers.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
                    ),
                );
                continue;
            };
            let mut seen = BTreeSet::new();
            for p in &rule.params {
                let Some(spec) = trigger.param(p.name.trim()) else {
                    let known: Vec<&str> = trigger.params.iter().map(|p| p.name).collect();
                    push(
                        at.clone(),
                        format!(
                            "trigger {}.{} has no parameter {:?}; parameters: {}",
                            gate.name,
                            trigger.name,
                            p.name,
                            if known.is_empty() {
                                "none".to_string()
                            } else {
                                known.join(", ")
                            }
                        ),
                    );
                    continue;
                };
                if !seen.insert(spec.name) {
                    push(at.clone(), format!("parameter {} is given twice", spec.name));
                }
                if let Some(why) = spec.kind.check(&p.value) {
                    push(
                        at.clone(),
                        format!("parameter {} ({}): {why}", spec.name, spec.kind.name()),
                    );
                }
            }
            for spec in trigger.params.iter().filter(|s| s.required) {
                if !seen.contains(spec.name) {
                    push(
                        at.clone(),
                        format!(
                            "trigger {}.{} needs parameter {} ({}), e.g. {:?}",
                            gate.name, trigger.name, spec.name, spec.description, spec.example
                        ),
                    );
                }
            }
        }
    }
    let mut allowlist_ids = BTreeSet::new();
    for (i, al) in bundle.allowlists.iter().enumerate() {
        let at = named("allowlists", i, &al.id);
        if al.id.trim().is_empty() {
            push(at.clone(), "id is missing".into());
        } else if !allowlist_ids.insert(al.id.as_str()) {
            push(at.clone(), "id is used by another allowlist".into());
        }
        for (j, item) in al.items.iter().enumerate() {
            let at = format!("{at} > {}", named("items", j, &item.id));
            if gates::gate(&item.gate).is_none() {
                push(at.clone(), format!("unknown gate {:?}", item.gate));
            }
            if item.trigger_id.trim().is_empty() {
                push(at.clone(), "trigger_id is missing".into());
            }
            if let Some(e) = &item.expires_on {
                if parse_time(e).is_none() {
                    push(
                        at.clone(),
                        format!("expires_on {e:?} is not an RFC 3339 time (e.g. 2026-12-31T00:00:00Z)"),
                    );
                }
            }
        }
    }
    if bundle.mappings.is_empty() {
        push(
            "mappings".into(),
            "none: no image would be evaluated; add one with registry, repository and image \"*\"".into(),
        );
    }
    for (i, m) in bundle.mappings.iter().enumerate() {
        let at = named("mappings", i, &m.selector.id);
        check_selector(&at, &m.selector, &mut push);
        let ids = m.all_rule_set_ids();
        if ids.is_empty() {
            push(at.clone(), "names no rule set (rule_set_ids / policy_ids)".into());
        }
        for id in ids {
            if !rule_set_ids.contains(id) {
                push(at.clone(), format!("rule set {id:?} does not exist in this bundle"));
            }
        }
        for id in &m.allowlist_ids {
            if !allowlist_ids.contains(id.as_str()) {
                push(at.clone(), format!("allowlist {id:?} does not exist in this bundle"));
            }
        }
    }
    for (i, s) in bundle.allowlisted_images.iter().enumerate() {
        check_selector(&named("allowlisted_images", i, &s.id), s, &mut push);
    }
    for (i, s) in bundle.denylisted_images.iter().enumerate() {
        check_selector(&named("denylisted_images", i, &s.id), s, &mut push);
    }
    issues
}

fn check_selector(at: &str, s: &ImageSelector, push: &mut impl FnMut(String, String)) {
    match s.image.kind.as_str() {
        "tag" | "id" | "digest" => {}
        other => push(at.to_string(), format!("image type {other:?} is not tag, id or digest")),
    }
    if s.image.value.trim().is_empty() {
        push(at.to_string(), "image value is empty (use \"*\" for any)".into());
    }
}
