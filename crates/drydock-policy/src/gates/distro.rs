//! `distro`: deny images by their operating system distribution and release.

use crate::spec::{compare, Fired, GateSpec, ParamKind, ParamSpec, TriggerInput, TriggerSpec, COMPARISONS};
use std::cmp::Ordering;

/// The `distro` gate.
pub const GATE: GateSpec = GateSpec {
    name: "distro",
    description: "Checks the image's operating system distribution (the ID and VERSION_ID of its os-release) \
                  against a name and version.",
    triggers: &[TriggerSpec {
        name: "deny",
        description: "Fires when the image's distro is the named one and its version compares as asked to the \
                      given version (versions compared component by component, numbers numerically: 3.18.4 < \
                      3.20, 12 = 12.0). Images with no detected distro or no VERSION_ID do not fire.",
        params: &[
            ParamSpec {
                name: "distro",
                description: "Distro ID to match, as in os-release (debian, ubuntu, alpine, rhel, rocky...); \
                              case-insensitive.",
                kind: ParamKind::Text,
                required: true,
                example: "debian",
            },
            ParamSpec {
                name: "version",
                description: "Version to compare the image's distro version with (e.g. 11, 3.18).",
                kind: ParamKind::Text,
                required: true,
                example: "11",
            },
            ParamSpec {
                name: "check",
                description: "How the image's distro version must compare to `version` for the trigger to fire.",
                kind: ParamKind::Enum(COMPARISONS),
                required: true,
                example: "<=",
            },
        ],
        eval: deny,
    }],
};

fn deny(input: &TriggerInput<'_>) -> Vec<Fired> {
    let p = input.params;
    let (Some(name), Some(version), Some(check)) = (p.text("distro"), p.text("version"), p.text("check")) else {
        return Vec::new();
    };
    let Some(d) = input.analysis.sbom.distro.as_ref() else {
        return Vec::new();
    };
    let have = d.version_id.trim();
    if !d.id.trim().eq_ignore_ascii_case(name.trim()) || have.is_empty() {
        return Vec::new();
    }
    if !compare(compare_versions(have, version.trim()), check, Ordering::Equal) {
        return Vec::new();
    }
    vec![Fired::new(
        format!("{}:{have}", d.id.trim()),
        format!(
            "Distro {} {have} matches the denied distro check: {} {} {}",
            d.id.trim(),
            name.trim(),
            check.trim(),
            version.trim()
        ),
    )]
}

/// One piece of a version: a run of digits or a run of other alphanumerics.
#[derive(Debug, PartialEq, Eq)]
enum Piece<'a> {
    Num(&'a str),
    Word(&'a str),
}

fn pieces(v: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut start = None;
    let bytes = v.as_bytes();
    for i in 0..=bytes.len() {
        let kind = bytes.get(i).map(|b| {
            if b.is_ascii_digit() {
                1
            } else if b.is_ascii_alphabetic() {
                2
            } else {
                0
            }
        });
        if let Some((s, k)) = start {
            if kind != Some(k) {
                let text = &v[s..i];
                out.push(if k == 1 { Piece::Num(text) } else { Piece::Word(text) });
                start = None;
            }
        }
        if start.is_none() {
            if let Some(k @ (1 | 2)) = kind {
                start = Some((i, k));
            }
        }
    }
    out
}

fn cmp_num(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Compares two versions component by component: runs of digits numerically, runs of
/// letters alphabetically (case-insensitive), a number above a word; a missing component
/// counts as 0 against a number (so `12` = `12.0`) and above a word (so `1.0` > `1.0rc1`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (pieces(a), pieces(b));
    for i in 0..pa.len().max(pb.len()) {
        let o = match (pa.get(i), pb.get(i)) {
            (Some(Piece::Num(x)), Some(Piece::Num(y))) => cmp_num(x, y),
            (Some(Piece::Word(x)), Some(Piece::Word(y))) => x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase()),
            (Some(Piece::Num(_)), Some(Piece::Word(_))) => Ordering::Greater,
            (Some(Piece::Word(_)), Some(Piece::Num(_))) => Ordering::Less,
            (Some(Piece::Num(x)), None) => cmp_num(x, "0"),
            (None, Some(Piece::Num(y))) => cmp_num("0", y),
            (Some(Piece::Word(_)), None) => Ordering::Less,
            (None, Some(Piece::Word(_))) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert_eq!(compare_versions("12", "11"), Ordering::Greater);
        assert_eq!(compare_versions("3.18.4", "3.20"), Ordering::Less);
        assert_eq!(compare_versions("3.9", "3.18"), Ordering::Less);
        assert_eq!(compare_versions("12", "12.0"), Ordering::Equal);
        assert_eq!(compare_versions("22.04", "22.4"), Ordering::Equal);
        assert_eq!(compare_versions("1.0", "1.0rc1"), Ordering::Greater);
        assert_eq!(compare_versions("8.10", "8.9"), Ordering::Greater);
        assert_eq!(compare_versions("100000000000000000000000", "9"), Ordering::Greater);
    }
}
