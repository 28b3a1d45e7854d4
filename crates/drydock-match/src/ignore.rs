//! Ignore rules, read from the `[[ignore]]` tables of a TOML configuration file.
//!
//! ```toml
//! [[ignore]]
//! id = "CVE-2018-18074"                     # the finding's id or any alias
//! package_name = "requests"
//! package_type = "python"
//! package_version = "2.20.0"
//! location_glob = "/opt/venv/**"            # `*` within a path segment, `**` across, `?` one char
//! fix_state = "not-fixed"                   # fixed | not-fixed | wont-fix | unknown
//! reason = "not reachable: we never follow redirects"
//! expires = 2025-12-31                      # a TOML date or "YYYY-MM-DD"; expired rules do not apply
//! ```
//! Every given field must match; a rule with no criterion at all is rejected.

use crate::{Finding, MatchError};
use drydock_vulndb::FixState;
use serde::{Deserialize, Serialize};

/// One ignore rule; each `Some` field is a criterion the finding must meet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoreRule {
    /// Vulnerability id: matches the finding's id or any of its aliases (case-insensitive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The package's name as catalogued (or as looked up, e.g. PEP 503-normalised).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_name: Option<String>,
    /// Package type (`deb`, `python`, `go-module`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_type: Option<String>,
    /// The package's version, exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package_version: Option<String>,
    /// A glob matched against each of the package's location paths.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_glob: Option<String>,
    /// The finding's fix state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_state: Option<FixState>,
    /// Why it is ignored (shown in the report).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Last day (`YYYY-MM-DD`, inclusive) the rule applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// The parts of the configuration file the matcher reads; other sections are left to
/// their owners.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchConfig {
    /// `[[ignore]]` rules, in file order.
    pub ignore: Vec<IgnoreRule>,
    /// `[match] cpe_fallback = true`: match packages with no ecosystem data by CPE (see
    /// [`crate::MatchOptions::cpe_fallback`]).
    pub cpe_fallback: bool,
}

#[derive(Deserialize)]
struct RawConfig {
    #[serde(default)]
    ignore: Vec<IgnoreEntry>,
    #[serde(default, rename = "match")]
    matching: MatchSection,
}

/// The `[match]` table of the configuration file, as written.
#[derive(Debug, Clone, Deserialize, Default, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MatchSection {
    /// `cpe_fallback = true`: match packages with no ecosystem data by CPE.
    #[serde(default, alias = "cpe-fallback")]
    pub cpe_fallback: bool,
}

/// One `[[ignore]]` table of the configuration file, as written (checked by
/// [`MatchConfig::from_sections`]).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreEntry {
    id: Option<String>,
    #[serde(alias = "package-name")]
    package_name: Option<String>,
    #[serde(alias = "package-type")]
    package_type: Option<String>,
    #[serde(alias = "package-version")]
    package_version: Option<String>,
    #[serde(alias = "location-glob", alias = "location")]
    location_glob: Option<String>,
    #[serde(alias = "fix-state")]
    fix_state: Option<FixState>,
    #[serde(default)]
    reason: String,
    expires: Option<toml::Value>,
}

/// Parses the matcher's sections of a TOML text, leaving other sections to their owners;
/// `origin` names the file in errors. (The binary parses its configuration file once and
/// hands the sections to [`MatchConfig::from_sections`].)
pub fn parse_config(text: &str, origin: &str) -> Result<MatchConfig, MatchError> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| MatchError::Config {
        origin: origin.to_string(),
        reason: e.to_string(),
    })?;
    MatchConfig::from_sections(raw.ignore, &raw.matching, origin)
}

impl MatchConfig {
    /// Checks the `[[ignore]]` entries (a date for `expires`, at least one criterion) and
    /// joins them with `[match]`; `origin` names the file in errors.
    pub fn from_sections(
        entries: Vec<IgnoreEntry>,
        matching: &MatchSection,
        origin: &str,
    ) -> Result<MatchConfig, MatchError> {
        ignore_rules(entries, origin).map(|ignore| MatchConfig {
            ignore,
            cpe_fallback: matching.cpe_fallback,
        })
    }
}

fn ignore_rules(entries: Vec<IgnoreEntry>, origin: &str) -> Result<Vec<IgnoreRule>, MatchError> {
    let mut ignore = Vec::with_capacity(entries.len());
    for (i, r) in entries.into_iter().enumerate() {
        let err = |reason: String| MatchError::Config {
            origin: origin.to_string(),
            reason: format!("[[ignore]] rule {}: {reason}", i + 1),
        };
        let expires = match r.expires {
            None => None,
            Some(v) => {
                let s = match &v {
                    toml::Value::String(s) => s.trim().to_string(),
                    toml::Value::Datetime(d) => d.to_string(),
                    other => return Err(err(format!("expires must be a date, not a {}", other.type_str()))),
                };
                if !is_date(&s) {
                    return Err(err(format!("expires {s:?} is not a date (YYYY-MM-DD)")));
                }
                Some(s)
            }
        };
        let rule = IgnoreRule {
            id: r.id.filter(|s| !s.trim().is_empty()),
            package_name: r.package_name.filter(|s| !s.trim().is_empty()),
            package_type: r.package_type.filter(|s| !s.trim().is_empty()),
            package_version: r.package_version.filter(|s| !s.trim().is_empty()),
            location_glob: r.location_glob.filter(|s| !s.trim().is_empty()),
            fix_state: r.fix_state,
            reason: r.reason,
            expires,
        };
        if rule.id.is_none()
            && rule.package_name.is_none()
            && rule.package_type.is_none()
            && rule.package_version.is_none()
            && rule.location_glob.is_none()
            && rule.fix_state.is_none()
        {
            return Err(err("no criterion (id, package_name, package_type, package_version, location_glob or fix_state): it would ignore every finding".into()));
        }
        ignore.push(rule);
    }
    Ok(ignore)
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

impl IgnoreRule {
    /// True when the rule expired before `today` (`YYYY-MM-DD`).
    pub fn expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|e| e < today)
    }

    /// True when every criterion of the rule holds for the finding.
    pub fn matches(&self, f: &Finding) -> bool {
        if let Some(id) = &self.id {
            let hit = f.id.eq_ignore_ascii_case(id) || f.aliases.iter().any(|a| a.eq_ignore_ascii_case(id));
            if !hit {
                return false;
            }
        }
        if let Some(n) = &self.package_name {
            if *n != f.package.name && *n != f.lookup_name {
                return false;
            }
        }
        if let Some(t) = &self.package_type {
            if !t.eq_ignore_ascii_case(f.package.package_type.as_str()) {
                return false;
            }
        }
        if let Some(v) = &self.package_version {
            if *v != f.package.version {
                return false;
            }
        }
        if let Some(g) = &self.location_glob {
            if !f.package.locations.iter().any(|l| glob_match(g, &l.path)) {
                return false;
            }
        }
        if let Some(s) = self.fix_state {
            if s != f.fix_state {
                return false;
            }
        }
        true
    }

    /// A short description for reports: `id=CVE-… package_name=…`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut push = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        };
        push("id", &self.id);
        push("package_name", &self.package_name);
        push("package_type", &self.package_type);
        push("package_version", &self.package_version);
        push("location_glob", &self.location_glob);
        if let Some(s) = self.fix_state {
            let s = serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string));
            parts.push(format!("fix_state={}", s.unwrap_or_default()));
        }
        parts.join(" ")
    }
}

/// Matches a path against a glob: `*` any run of characters except `/`, `**` any run
/// including `/` (`**/` also matches nothing), `?` one character except `/`. A leading `/` on
/// either side is ignored, so `/opt/**` and `opt/**` are the same.
pub fn glob_match(glob: &str, path: &str) -> bool {
    let g: Vec<char> = glob.trim_start_matches('/').chars().collect();
    let p: Vec<char> = path.trim_start_matches('/').chars().collect();
    // Iterative matcher with memo over (glob index, path index): bounded O(|g|·|p|).
    let mut memo = vec![None; (g.len() + 1) * (p.len() + 1)];
    glob_at(&g, &p, 0, 0, &mut memo)
}

fn glob_at(g: &[char], p: &[char], gi: usize, pi: usize, memo: &mut Vec<Option<bool>>) -> bool {
    let key = gi * (p.len() + 1) + pi;
    if let Some(v) = memo[key] {
        return v;
    }
    let r = if gi == g.len() {
        pi == p.len()
    } else if g[gi] == '*' && g.get(gi + 1) == Some(&'*') {
        let next = gi + 2;
        // `**/` may also match zero segments.
        let slash_after = g.get(next) == Some(&'/');
        (slash_after && glob_at(g, p, next + 1, pi, memo)) || (pi..=p.len()).any(|k| glob_at(g, p, next, k, memo))
    } else if g[gi] == '*' {
        let mut k = pi;
        loop {
            if glob_at(g, p, gi + 1, k, memo) {
                break true;
            }
            if k == p.len() || p[k] == '/' {
                break false;
            }
            k += 1;
        }
    } else if pi < p.len() && ((g[gi] == '?' && p[pi] != '/') || g[gi] == p[pi]) {
        glob_at(g, p, gi + 1, pi + 1, memo)
    } else {
        false
    };
    memo[key] = Some(r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(
            "/opt/venv/**",
            "/opt/venv/lib/python3.11/site-packages/x/METADATA"
        ));
        assert!(glob_match("opt/**/METADATA", "/opt/venv/a/METADATA"));
        assert!(glob_match("opt/**/METADATA", "/opt/METADATA"));
        assert!(!glob_match("/opt/*/METADATA", "/opt/venv/a/METADATA"));
        assert!(glob_match("/opt/*/METADATA", "/opt/venv/METADATA"));
        assert!(glob_match("/usr/bin/docker-?egistry", "/usr/bin/docker-registry"));
        assert!(!glob_match("/usr/bin", "/usr/bin/x"));
        assert!(glob_match("**", "/anything/at/all"));
        assert!(!glob_match("a*b*c*d*e*f*g*h*i*j*k", &"a".repeat(2000)));
    }

    #[test]
    fn config() {
        let c = parse_config(
            "[db]\nmax_age = '7d'\n\n[[ignore]]\nid = 'CVE-1'\nreason = 'x'\nexpires = 2025-01-31\n\n[[ignore]]\nfix-state = 'wont-fix'\n",
            "drydock.toml",
        )
        .unwrap();
        assert_eq!(c.ignore.len(), 2);
        assert_eq!(c.ignore[0].expires.as_deref(), Some("2025-01-31"));
        assert!(c.ignore[0].expired("2025-02-01") && !c.ignore[0].expired("2025-01-31"));
        assert_eq!(c.ignore[1].fix_state, Some(FixState::WontFix));
        let e = parse_config("[[ignore]]\nreason = 'everything'\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("c.toml") && e.contains("rule 1") && e.contains("no criterion"),
            "{e}"
        );
        let e = parse_config("[[ignore]]\nid = 'X'\npackage = 'typo'\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("c.toml") && e.contains("package"), "{e}");
        let e = parse_config("[[ignore]]\nid = 'X'\nexpires = 'tomorrow'\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a date"), "{e}");
    }
}
