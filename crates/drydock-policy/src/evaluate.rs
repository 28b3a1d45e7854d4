//! Evaluation: pick the mapping for the image, run its rule sets' rules, apply its
//! allowlists, and decide the final action by Anchore's rules (denylisted image → STOP,
//! allowlisted image → GO, else the worst action of the triggers not allowlisted).

use crate::bundle::{Action, AllowlistItem, Bundle, ImageSelector, Mapping};
use crate::gates;
use crate::spec::{EvalContext, Params, TriggerInput};
use crate::validate::validate;
use crate::PolicyError;
use drydock_analysis::Analysis;
use drydock_time::parse_date_or_timestamp as parse_time;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The image being judged, as mappings see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageTarget {
    /// Registry host (e.g. `docker.io`).
    pub registry: String,
    /// Repository path (e.g. `library/alpine`).
    pub repository: String,
    /// Tag (e.g. `latest`).
    pub tag: String,
    /// Manifest digest (`sha256:…`), when known.
    pub digest: String,
    /// Image id (config digest), when known.
    pub image_id: String,
}

impl ImageTarget {
    /// Splits `registry/repository:tag` the way Docker does: the first component is a
    /// registry when it has a `.` or `:` or is `localhost`; otherwise the registry is
    /// `docker.io` (and a single-component repository gets `library/`). The tag defaults
    /// to `latest`; a `@digest` suffix sets the digest.
    pub fn parse(reference: &str) -> Self {
        let mut r = reference.trim();
        for scheme in ["registry:", "docker:", "docker://"] {
            if let Some(rest) = r.strip_prefix(scheme) {
                r = rest;
            }
        }
        let (name, digest) = match r.split_once('@') {
            Some((n, d)) => (n, d.to_string()),
            None => (r, String::new()),
        };
        let (registry, rest) = match name.split_once('/') {
            Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => {
                (first.to_string(), rest)
            }
            _ => ("docker.io".to_string(), name),
        };
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo.to_string(), tag.to_string()),
            _ => (
                rest.to_string(),
                if digest.is_empty() {
                    "latest".into()
                } else {
                    String::new()
                },
            ),
        };
        let repository = if registry == "docker.io" && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository
        };
        ImageTarget {
            registry,
            repository,
            tag,
            digest,
            image_id: String::new(),
        }
    }

    /// `registry/repository:tag`.
    pub fn full_tag(&self) -> String {
        if self.registry.is_empty() && self.repository.is_empty() {
            return String::new();
        }
        format!("{}/{}:{}", self.registry, self.repository, self.tag)
    }

    fn matches(&self, s: &ImageSelector) -> bool {
        if !wildcard(&s.registry, &self.registry) || !wildcard(&s.repository, &self.repository) {
            return false;
        }
        match s.image.kind.as_str() {
            "tag" => wildcard(&s.image.value, &self.tag),
            "digest" => !self.digest.is_empty() && s.image.value == self.digest,
            "id" => {
                let id = self.image_id.trim_start_matches("sha256:");
                !id.is_empty() && s.image.value.trim_start_matches("sha256:") == id
            }
            _ => false,
        }
    }
}

/// `*` matches any run of characters (including none); everything else literally.
pub fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == t[ti] {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// What to do with an image no mapping matches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Unmapped {
    /// Report an error (drydock's default).
    #[default]
    Error,
    /// Anchore's behaviour: GO with no rules run.
    Go,
}

/// Evaluation settings.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// What to do with an image no mapping matches.
    pub unmapped: Unmapped,
}

/// The allowlist item that suppressed a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedBy {
    /// Id of the allowlist.
    pub allowlist_id: String,
    /// Name of the allowlist.
    pub allowlist_name: String,
    /// Id of the item that matched.
    pub item_id: String,
}

/// One firing of one rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    /// Id of the rule set holding the rule.
    pub rule_set_id: String,
    /// Id of the rule.
    pub rule_id: String,
    /// The rule's gate.
    pub gate: String,
    /// The rule's trigger.
    pub trigger: String,
    /// Stable id of what fired (see [`crate::spec::Fired::trigger_id`]).
    pub trigger_id: String,
    /// What fired, for people.
    pub message: String,
    /// The rule's action.
    pub action: Action,
    /// Set when an allowlist item suppressed it (its action then does not count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowlisted: Option<AllowedBy>,
    /// The rule's recommendation, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
}

/// Why the final action is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinalReason {
    /// The worst action of the results not allowlisted (GO when none).
    PolicyEvaluation,
    /// The image matches a denylisted_images entry.
    Denylisted,
    /// The image matches an allowlisted_images entry.
    Allowlisted,
    /// No mapping matched and unmapped images pass.
    Unmapped,
}

/// The mapping used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingUsed {
    /// The mapping's id.
    pub id: String,
    /// The mapping's name.
    pub name: String,
    /// Index in the bundle's mappings (from 0).
    pub position: usize,
    /// Rule sets it applied (v1 `policy_id` included).
    pub rule_set_ids: Vec<String>,
    /// Allowlists it applied.
    pub allowlist_ids: Vec<String>,
}

/// A whole evaluation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Id of the bundle evaluated.
    pub bundle_id: String,
    /// Name of the bundle evaluated.
    pub bundle_name: String,
    /// The image judged.
    pub image: ImageTarget,
    /// The verdict: GO, WARN or STOP.
    pub final_action: Action,
    /// Why the verdict is what it is.
    pub final_action_reason: FinalReason,
    /// The denylisted/allowlisted_images entry that decided, when one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_image_entry: Option<String>,
    /// The mapping used; `None` when none matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<MappingUsed>,
    /// Every firing, by gate, trigger, trigger id.
    pub results: Vec<RuleResult>,
    /// Counts of results not allowlisted, by action.
    pub counts: BTreeMap<Action, usize>,
    /// Things the evaluator could not judge (e.g. no vulnerability data).
    pub warnings: Vec<String>,
    /// Evaluation time, Unix seconds.
    pub evaluated_at_unix: u64,
}

/// Evaluates a bundle against an analysed image. The bundle is validated first; an invalid
/// bundle or an unmapped image (with [`Unmapped::Error`]) is an error.
pub fn evaluate(
    bundle: &Bundle,
    analysis: &Analysis,
    image: &ImageTarget,
    ctx: &EvalContext,
    opts: &EvalOptions,
) -> Result<Evaluation, PolicyError> {
    let issues = validate(bundle);
    if !issues.is_empty() {
        return Err(PolicyError::Invalid(issues));
    }
    let mut eval = Evaluation {
        bundle_id: bundle.id.clone(),
        bundle_name: bundle.name.clone(),
        image: image.clone(),
        final_action: Action::Go,
        final_action_reason: FinalReason::PolicyEvaluation,
        matched_image_entry: None,
        mapping: None,
        results: Vec::new(),
        counts: BTreeMap::new(),
        warnings: Vec::new(),
        evaluated_at_unix: ctx.now_unix,
    };
    let mapping = bundle
        .mappings
        .iter()
        .enumerate()
        .find(|(_, m)| image.matches(&m.selector));
    let denied = bundle.denylisted_images.iter().find(|s| image.matches(s));
    let allowed = bundle.allowlisted_images.iter().find(|s| image.matches(s));
    match mapping {
        None if opts.unmapped == Unmapped::Error && denied.is_none() && allowed.is_none() => {
            return Err(PolicyError::Unmapped {
                image: display_image(image),
                bundle: bundle.id.clone(),
            });
        }
        None => {
            if denied.is_none() && allowed.is_none() {
                eval.final_action_reason = FinalReason::Unmapped;
            }
        }
        Some((position, m)) => {
            eval.mapping = Some(mapping_used(position, m));
            run_rules(bundle, m, analysis, ctx, &mut eval);
        }
    }
    for r in eval.results.iter().filter(|r| r.allowlisted.is_none()) {
        *eval.counts.entry(r.action).or_default() += 1;
    }
    if let Some(d) = denied {
        eval.final_action = Action::Stop;
        eval.final_action_reason = FinalReason::Denylisted;
        eval.matched_image_entry = Some(entry_name(d));
    } else if let Some(a) = allowed {
        eval.final_action = Action::Go;
        eval.final_action_reason = FinalReason::Allowlisted;
        eval.matched_image_entry = Some(entry_name(a));
    } else {
        eval.final_action = eval
            .results
            .iter()
            .filter(|r| r.allowlisted.is_none())
            .map(|r| r.action)
            .max()
            .unwrap_or(Action::Go);
    }
    Ok(eval)
}

fn display_image(image: &ImageTarget) -> String {
    let t = image.full_tag();
    if t.is_empty() {
        "(an image with no tag; give --tag)".into()
    } else {
        t
    }
}

fn entry_name(s: &ImageSelector) -> String {
    if s.name.is_empty() {
        s.id.clone()
    } else {
        s.name.clone()
    }
}

fn mapping_used(position: usize, m: &Mapping) -> MappingUsed {
    MappingUsed {
        id: m.selector.id.clone(),
        name: m.selector.name.clone(),
        position,
        rule_set_ids: m.all_rule_set_ids().into_iter().map(str::to_string).collect(),
        allowlist_ids: m.allowlist_ids.clone(),
    }
}

fn run_rules(bundle: &Bundle, mapping: &Mapping, analysis: &Analysis, ctx: &EvalContext, eval: &mut Evaluation) {
    let items: Vec<(&str, &str, &AllowlistItem)> = mapping
        .allowlist_ids
        .iter()
        .filter_map(|id| bundle.allowlists.iter().find(|a| &a.id == id))
        .flat_map(|a| a.items.iter().map(move |i| (a.id.as_str(), a.name.as_str(), i)))
        .collect();
    for rs_id in mapping.all_rule_set_ids() {
        let Some(rs) = bundle.rule_sets.iter().find(|r| r.id == rs_id) else {
            continue;
        };
        for (j, rule) in rs.rules.iter().enumerate() {
            // Validated: the gate, trigger and action exist.
            let (Some(gate), Some(action)) = (gates::gate(&rule.gate), Action::parse(&rule.action)) else {
                continue;
            };
            let Some(trigger) = gate.trigger(rule.trigger.trim()) else {
                continue;
            };
            let params = Params::new(
                rule.params
                    .iter()
                    .map(|p| (p.name.trim().to_string(), p.value.clone()))
                    .collect(),
            );
            let fired = (trigger.eval)(&TriggerInput {
                analysis,
                params: &params,
                ctx,
            });
            let rule_id = if rule.id.is_empty() {
                format!("{}#{j}", rs.id)
            } else {
                rule.id.clone()
            };
            for f in fired {
                let allowlisted = items
                    .iter()
                    .find(|(_, _, item)| {
                        item.gate.trim().eq_ignore_ascii_case(gate.name)
                            && wildcard(item.trigger_id.trim(), &f.trigger_id)
                            && item
                                .expires_on
                                .as_deref()
                                .and_then(parse_time)
                                .is_none_or(|t| t > ctx.now_unix as i64)
                    })
                    .map(|(id, name, item)| AllowedBy {
                        allowlist_id: id.to_string(),
                        allowlist_name: name.to_string(),
                        item_id: item.id.clone(),
                    });
                eval.results.push(RuleResult {
                    rule_set_id: rs.id.clone(),
                    rule_id: rule_id.clone(),
                    gate: gate.name.to_string(),
                    trigger: trigger.name.to_string(),
                    trigger_id: f.trigger_id,
                    message: f.message,
                    action,
                    allowlisted,
                    recommendation: rule.recommendation.clone(),
                });
            }
        }
    }
    let order: BTreeMap<&str, usize> = gates::ALL.iter().enumerate().map(|(i, g)| (g.name, i)).collect();
    eval.results.sort_by(|a, b| {
        (order.get(a.gate.as_str()), &a.trigger, &a.trigger_id, &a.rule_id).cmp(&(
            order.get(b.gate.as_str()),
            &b.trigger,
            &b.trigger_id,
            &b.rule_id,
        ))
    });
    eval.results.dedup();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("*", ""));
        assert!(wildcard("*", "anything"));
        assert!(wildcard("CVE-2023-*+openssl", "CVE-2023-1234+openssl"));
        assert!(!wildcard("CVE-2023-*+openssl", "CVE-2023-1234+libssl3"));
        assert!(wildcard("library/*", "library/debian"));
        assert!(!wildcard("library/*", "fx/bookworm"));
        assert!(wildcard("a*b*c", "aXXbYYc"));
        assert!(!wildcard("abc", "abcd"));
    }

    #[test]
    fn references_split_like_docker() {
        let t = ImageTarget::parse("127.0.0.1:5000/fx/bookworm:rich");
        assert_eq!(
            (t.registry.as_str(), t.repository.as_str(), t.tag.as_str()),
            ("127.0.0.1:5000", "fx/bookworm", "rich")
        );
        let t = ImageTarget::parse("debian");
        assert_eq!(
            (t.registry.as_str(), t.repository.as_str(), t.tag.as_str()),
            ("docker.io", "library/debian", "latest")
        );
        let t = ImageTarget::parse("registry:localhost/app@sha256:abc");
        assert_eq!(
            (t.registry.as_str(), t.repository.as_str(), t.digest.as_str()),
            ("localhost", "app", "sha256:abc")
        );
    }
}
