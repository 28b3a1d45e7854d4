//! Anchore's older names, rewritten to the current ones when a bundle is read, so bundles
//! written for Anchore's v1 policy format evaluate unchanged.

use crate::bundle::Bundle;

/// (gate, old trigger name, current trigger name).
pub const TRIGGER_ALIASES: &[(&str, &str, &str)] = &[
    ("licenses", "blacklist_exact_match", "denylist_exact_match"),
    ("licenses", "blacklist_partial_match", "denylist_partial_match"),
    ("packages", "blacklist", "denylist"),
    ("passwd_file", "blacklist_usernames", "denylist_usernames"),
    ("passwd_file", "blacklist_userids", "denylist_userids"),
    ("passwd_file", "blacklist_groupids", "denylist_groupids"),
    ("passwd_file", "blacklist_shells", "denylist_shells"),
    ("passwd_file", "blacklist_full_entry", "denylist_full_entry"),
];

/// (gate, parameter, old value, current value).
pub const VALUE_ALIASES: &[(&str, &str, &str, &str)] = &[
    ("dockerfile", "type", "whitelist", "allowlist"),
    ("dockerfile", "type", "blacklist", "denylist"),
];

/// Rewrites old trigger names and parameter values in place.
pub fn modernize(bundle: &mut Bundle) {
    for rs in &mut bundle.rule_sets {
        for rule in &mut rs.rules {
            let gate = rule.gate.trim().to_ascii_lowercase();
            if let Some((_, _, new)) = TRIGGER_ALIASES
                .iter()
                .find(|(g, old, _)| *g == gate && rule.trigger.trim().eq_ignore_ascii_case(old))
            {
                rule.trigger = new.to_string();
            }
            for p in &mut rule.params {
                if let Some((_, _, _, new)) = VALUE_ALIASES.iter().find(|(g, name, old, _)| {
                    *g == gate && p.name.trim() == *name && p.value.trim().eq_ignore_ascii_case(old)
                }) {
                    p.value = new.to_string();
                }
            }
        }
    }
}
