//! `licenses`: packages distributed under denied licenses.
//!
//! A package's license strings are taken as catalogued; an SPDX expression
//! (`MIT OR Apache-2.0`, `GPL-2.0-only WITH Classpath-exception-2.0`) also counts as each of
//! its terms. Matching ignores ASCII case (SPDX identifiers are case-insensitive).

use crate::spec::{Fired, GateSpec, ParamKind, ParamSpec, TriggerInput, TriggerSpec};
use drydock_sbom::Package;
use regex::Regex;
use std::collections::BTreeSet;
use std::sync::LazyLock;

const EXACT_PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "licenses",
    description: "Comma-separated licenses to deny; a package license (or SPDX expression term) equal to one \
                  of them, ignoring case, fires.",
    kind: ParamKind::List,
    required: true,
    example: "GPL-3.0-only,AGPL-3.0-only",
}];

const PARTIAL_PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "licenses",
    description: "Comma-separated license fragments to deny; a package license (or SPDX expression term) \
                  containing one of them, ignoring case, fires (e.g. `GPL` matches GPL-2.0-only and LGPL-2.1).",
    kind: ParamKind::List,
    required: true,
    example: "GPL,SSPL",
}];

/// The `licenses` gate.
pub const GATE: GateSpec = GateSpec {
    name: "licenses",
    description: "Checks the licenses packages declare against denied licenses.",
    triggers: &[
        TriggerSpec {
            name: "denylist_exact_match",
            description: "Fires once per package and license for each package declaring one of the listed \
                          licenses exactly (ignoring case). Trigger id: `<license>+<package>`.",
            params: EXACT_PARAMS,
            eval: denylist_exact_match,
        },
        TriggerSpec {
            name: "denylist_partial_match",
            description: "Fires once per package and license for each package declaring a license that \
                          contains one of the listed strings (ignoring case). Trigger id: `<license>+<package>`.",
            params: PARTIAL_PARAMS,
            eval: denylist_partial_match,
        },
    ],
};

/// The terms of a license string: the parts of an SPDX expression (split at `AND`, `OR`,
/// `WITH` and parentheses), or the whole string when it is not one.
fn terms(license: &str) -> Vec<&str> {
    static SPLIT: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"(?i)\s+(?:AND|OR|WITH)\s+|[()]").ok());
    let l = license.trim();
    match SPLIT.as_ref() {
        Some(re) => re.split(l).map(str::trim).filter(|t| !t.is_empty()).collect(),
        None => vec![l],
    }
}

/// Every (package, license) where `hit(term)` holds for some license term; with
/// `whole_first`, a whole license string that matches (an expression denied as such) is
/// reported instead of its terms. Licenses differing only in case fire once per package.
fn fire(input: &TriggerInput<'_>, how: &str, whole_first: bool, hit: impl Fn(&str) -> Option<String>) -> Vec<Fired> {
    let mut out = Vec::new();
    for pkg in &input.analysis.sbom.packages {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for license in &pkg.licenses {
            let whole = license.trim();
            let matched: Vec<(&str, String)> = match hit(whole).filter(|_| whole_first) {
                Some(denied) => vec![(whole, denied)],
                None => terms(whole)
                    .into_iter()
                    .filter_map(|t| hit(t).map(|denied| (t, denied)))
                    .collect(),
            };
            for (found, denied) in matched {
                if seen.insert(found.to_lowercase()) {
                    out.push(fired(pkg, found, &denied, how));
                }
            }
        }
    }
    out
}

fn fired(pkg: &Package, license: &str, denied: &str, how: &str) -> Fired {
    Fired::new(
        format!("{license}+{}", pkg.name),
        format!(
            "LICENSE {license} ({how} match of denied {denied:?}) found in {} package {} {}",
            pkg.package_type, pkg.name, pkg.version
        ),
    )
}

fn denylist_exact_match(input: &TriggerInput<'_>) -> Vec<Fired> {
    let denied = input.params.list("licenses");
    if denied.is_empty() {
        return Vec::new();
    }
    fire(input, "exact", true, |term| {
        denied.iter().find(|d| d.eq_ignore_ascii_case(term)).cloned()
    })
}

fn denylist_partial_match(input: &TriggerInput<'_>) -> Vec<Fired> {
    let denied: Vec<(String, String)> = input
        .params
        .list("licenses")
        .into_iter()
        .map(|d| (d.to_lowercase(), d))
        .collect();
    if denied.is_empty() {
        return Vec::new();
    }
    fire(input, "partial", false, |term| {
        let t = term.to_lowercase();
        denied
            .iter()
            .find(|(lower, _)| t.contains(lower.as_str()))
            .map(|(_, d)| d.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::terms;

    #[test]
    fn splits_spdx_expressions() {
        assert_eq!(terms("MIT"), ["MIT"]);
        assert_eq!(terms("MIT License"), ["MIT License"]);
        assert_eq!(terms("MIT OR Apache-2.0"), ["MIT", "Apache-2.0"]);
        assert_eq!(
            terms("(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0"),
            ["MIT", "Apache-2.0", "GPL-2.0-only", "Classpath-exception-2.0"]
        );
        assert_eq!(terms("BSD-3-Clause and GPL-2.0+"), ["BSD-3-Clause", "GPL-2.0+"]);
        assert_eq!(terms("ORACLE Free"), ["ORACLE Free"]);
    }
}
