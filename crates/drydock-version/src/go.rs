//! Go versions. Module versions are semver with a `v` prefix (tolerated absent, as OSV
//! writes them), shorthand `v1`/`v1.2`, pseudo-versions
//! (`v0.0.0-20230808041426-22f0818cf810`, ordered as the pre-releases they are) and
//! `+incompatible` (build metadata, ignored for ordering). Numbers may be longer than 64
//! bits, as `golang.org/x/mod/semver` allows, and compare exactly. Go toolchain versions
//! (`go1.20.7`, `1.21rc2`, `go1.9beta1`) are read as the Go vulnerability database
//! writes them: `1.21.0-rc.2`.

use crate::semver::{Grammar, SemVer};

const GO_SEMVER: Grammar = Grammar {
    allow_v: true,
    allow_eq: false,
    max_parts: 3,
    leading_zeros: false,
    unbounded_numbers: true,
};

/// Converts a Go toolchain version (`go1.21rc2`, `1.20`, `go1.20.7`) to the semver form
/// the Go vulnerability database uses (`1.21.0-rc.2`, `1.20.0`, `1.20.7`); `None` when it
/// is not one.
pub fn go_toolchain_to_semver(v: &str) -> Option<String> {
    let s = v.trim();
    let s = s.strip_prefix("go").unwrap_or(s);
    let end = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (nums, pre) = s.split_at(end);
    let parts: Vec<&str> = nums.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    for p in &parts {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) || (p.len() > 1 && p.starts_with('0')) {
            return None;
        }
    }
    let mut out = parts.join(".");
    for _ in parts.len()..3 {
        out.push_str(".0");
    }
    if !pre.is_empty() {
        let kind_end = pre.find(|c: char| c.is_ascii_digit())?;
        let (kind, n) = pre.split_at(kind_end);
        if !matches!(kind, "beta" | "rc") || n.is_empty() || !n.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        out.push_str(&format!("-{kind}.{n}"));
    }
    Some(out)
}

/// `golang.org/x/mod/semver` rules the shared semver grammar does not check: the
/// `v1`/`v1.2` shorthands take no pre-release or build, and numeric pre-release
/// identifiers have no leading zeros.
fn check_module_grammar(t: &str) -> Result<(), String> {
    let t = t.strip_prefix('v').unwrap_or(t);
    let Some(i) = t.find(['-', '+']) else { return Ok(()) };
    if t[..i].split('.').count() != 3 {
        return Err("a shorthand version (v1, v1.2) cannot have a pre-release or build".into());
    }
    if t.as_bytes()[i] == b'-' {
        let pre = t[i + 1..].split('+').next().unwrap_or("");
        if let Some(id) = pre
            .split('.')
            .find(|id| id.len() > 1 && id.starts_with('0') && id.bytes().all(|c| c.is_ascii_digit()))
        {
            return Err(format!("numeric pre-release identifier {id:?} has a leading zero"));
        }
    }
    Ok(())
}

/// Parses a Go module or toolchain version.
pub(crate) fn parse(s: &str) -> Result<SemVer, String> {
    let t = s.trim();
    if t.starts_with("go") {
        return match go_toolchain_to_semver(t) {
            Some(sv) => SemVer::parse_with(&sv, GO_SEMVER),
            None => Err("not a Go toolchain version".into()),
        };
    }
    match SemVer::parse_with(t, GO_SEMVER).and_then(|v| check_module_grammar(t).map(|()| v)) {
        Ok(v) => Ok(v),
        Err(e) => match go_toolchain_to_semver(t) {
            Some(sv) => SemVer::parse_with(&sv, GO_SEMVER),
            None => Err(e),
        },
    }
}
