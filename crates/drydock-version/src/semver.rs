//! Semantic Versioning 2.0 precedence, tolerant of what registries actually contain
//! (a leading `v`/`=`, missing minor/patch, a fourth release number), and the npm and
//! Cargo requirement syntaxes. (NuGet and Composer have schemes of their own.)

use crate::util::cmp_digits;
use crate::VersionError;
use std::cmp::Ordering;

/// One pre-release identifier: numeric identifiers sort before alphanumeric ones.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ident {
    /// Digits only, leading zeros stripped.
    Num(String),
    /// Anything else, compared in ASCII order.
    Alpha(String),
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => cmp_digits(a, b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A parsed semantic version. `release` has 1 to 4 numbers (missing ones compare as 0),
/// kept as digit strings without leading zeros so that numbers of any length compare
/// exactly; build metadata is kept but never ordered.
#[derive(Debug, Clone)]
pub(crate) struct SemVer {
    pub(crate) release: Vec<String>,
    pub(crate) pre: Vec<Ident>,
    #[allow(dead_code)]
    pub(crate) build: String,
}

/// Parsing options.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Grammar {
    /// Accept a leading `v`/`V` (and `=` with `allow_eq`).
    pub(crate) allow_v: bool,
    pub(crate) allow_eq: bool,
    /// Most release numbers allowed.
    pub(crate) max_parts: usize,
    /// Accept leading zeros in release numbers (`01.2.3`).
    pub(crate) leading_zeros: bool,
    /// Accept release numbers of any length (Go); otherwise they must fit in 64 bits,
    /// as Cargo's and npm's parsers require.
    pub(crate) unbounded_numbers: bool,
}

const TOLERANT: Grammar = Grammar {
    allow_v: true,
    allow_eq: true,
    max_parts: 4,
    leading_zeros: true,
    unbounded_numbers: false,
};

/// A digit string without leading zeros (`"0"` for zero).
fn strip_zeros(d: &str) -> String {
    let t = d.trim_start_matches('0');
    if t.is_empty() {
        "0".into()
    } else {
        t.into()
    }
}

fn parse_idents<'a>(s: &'a str, what: &str) -> Result<Vec<&'a str>, String> {
    let mut out = Vec::new();
    for id in s.split('.') {
        if id.is_empty() {
            return Err(format!("empty {what} identifier"));
        }
        if let Some(c) = id.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(format!("invalid character {c:?} in {what}"));
        }
        out.push(id);
    }
    Ok(out)
}

impl SemVer {
    /// The tolerant grammar used for [`crate::Scheme::Semver`].
    pub(crate) fn parse_tolerant(s: &str) -> Result<SemVer, String> {
        SemVer::parse_with(s, TOLERANT)
    }

    pub(crate) fn parse_with(s: &str, g: Grammar) -> Result<SemVer, String> {
        let mut s = s.trim();
        if g.allow_eq {
            s = s.strip_prefix('=').unwrap_or(s).trim_start();
        }
        if g.allow_v {
            s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        }
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => {
                parse_idents(b, "build metadata")?;
                (r, b)
            }
            None => (s, ""),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let mut release = Vec::new();
        for part in core.split('.') {
            if part.is_empty() {
                return Err("empty release number".into());
            }
            if !part.bytes().all(|c| c.is_ascii_digit()) {
                return Err(format!("release part {part:?} is not a number"));
            }
            if !g.leading_zeros && part.len() > 1 && part.starts_with('0') {
                return Err(format!("release part {part:?} has a leading zero"));
            }
            if !g.unbounded_numbers && part.parse::<u64>().is_err() {
                return Err(format!("release part {part:?} is too large"));
            }
            release.push(strip_zeros(part));
        }
        if release.len() > g.max_parts {
            return Err(format!("more than {} release numbers", g.max_parts));
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) => parse_idents(p, "pre-release")?
                .into_iter()
                .map(|id| {
                    if id.bytes().all(|c| c.is_ascii_digit()) {
                        Ident::Num(strip_zeros(id))
                    } else {
                        Ident::Alpha(id.to_string())
                    }
                })
                .collect(),
        };
        Ok(SemVer {
            release,
            pre,
            build: build.to_string(),
        })
    }

    fn part(&self, i: usize) -> &str {
        self.release.get(i).map_or("0", String::as_str)
    }

    fn triple(&self) -> [&str; 4] {
        [self.part(0), self.part(1), self.part(2), self.part(3)]
    }

    fn new3(major: u64, minor: u64, patch: u64, pre: Vec<Ident>) -> SemVer {
        SemVer {
            release: vec![major.to_string(), minor.to_string(), patch.to_string()],
            pre,
            build: String::new(),
        }
    }

    /// `X.Y.Z-0`: the lowest version of that release (below all its pre-releases).
    fn floor(major: u64, minor: u64, patch: u64) -> SemVer {
        SemVer::new3(major, minor, patch, vec![Ident::Num("0".into())])
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.release.len().max(other.release.len());
        for i in 0..n {
            let r = cmp_digits(self.part(i), other.part(i));
            if r != Ordering::Equal {
                return r;
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.pre.cmp(&other.pre),
        }
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for SemVer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for SemVer {}

/// Which requirement syntax [`semver_satisfies`] reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SemverFlavour {
    /// node-semver ranges: `^ ~ x * X > >= < <= =`, hyphen ranges `A - B`, space = AND,
    /// `||` = OR.
    Npm,
    /// Cargo requirements: bare version = caret, `= ~ ^ * > >= < <=`, wildcards
    /// `1.*`, comma = AND.
    Cargo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
}

#[derive(Debug, Clone)]
struct Constraint {
    op: Op,
    v: SemVer,
}

impl Constraint {
    fn matches(&self, v: &SemVer) -> bool {
        let o = v.cmp(&self.v);
        match self.op {
            Op::Lt => o == Ordering::Less,
            Op::Le => o != Ordering::Greater,
            Op::Gt => o == Ordering::Greater,
            Op::Ge => o != Ordering::Less,
            Op::Eq => o == Ordering::Equal,
        }
    }
}

/// A partial version in a requirement: `1`, `1.2`, `1.x`, `1.2.*`, `*`, `1.2.3-pre`.
#[derive(Debug, Clone)]
struct Partial {
    major: Option<u64>,
    minor: Option<u64>,
    patch: Option<u64>,
    pre: Vec<Ident>,
}

fn parse_partial(s: &str) -> Result<Partial, String> {
    let s = s.trim();
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    if s.is_empty() || s == "*" || s == "x" || s == "X" {
        return Ok(Partial {
            major: None,
            minor: None,
            patch: None,
            pre: Vec::new(),
        });
    }
    let (rest, _build) = s.split_once('+').unwrap_or((s, ""));
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return Err(format!("{s:?}: more than three version numbers"));
    }
    let mut nums = [None, None, None];
    let mut wild = false;
    for (i, p) in parts.iter().enumerate() {
        if matches!(*p, "*" | "x" | "X") {
            wild = true;
            continue;
        }
        if wild {
            return Err(format!("{s:?}: number after a wildcard"));
        }
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return Err(format!("{s:?}: {p:?} is not a number"));
        }
        nums[i] = Some(p.parse::<u64>().map_err(|_| format!("{s:?}: number too large"))?);
    }
    let pre = match pre {
        Some(p) => {
            if nums[2].is_none() {
                return Err(format!("{s:?}: pre-release on a partial version"));
            }
            SemVer::parse_with(&format!("0.0.0-{p}"), TOLERANT)?.pre
        }
        None => Vec::new(),
    };
    Ok(Partial {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        pre,
    })
}

fn bump(n: u64) -> Result<u64, String> {
    n.checked_add(1).ok_or_else(|| "version number overflow".to_string())
}

/// Expands one npm comparator (operator + partial version) into primitive constraints.
fn npm_comparator(op: &str, p: &Partial) -> Result<Vec<Constraint>, String> {
    let c = |op, v| Constraint { op, v };
    let (ma, mi, pa) = (p.major, p.minor, p.patch);
    let full = |m: u64, n: u64, q: u64| SemVer::new3(m, n, q, p.pre.clone());
    Ok(match op {
        "" | "=" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![
                c(Op::Ge, SemVer::new3(m, 0, 0, vec![])),
                c(Op::Lt, SemVer::floor(bump(m)?, 0, 0)),
            ],
            (Some(m), Some(n), None) => {
                vec![
                    c(Op::Ge, SemVer::new3(m, n, 0, vec![])),
                    c(Op::Lt, SemVer::floor(m, bump(n)?, 0)),
                ]
            }
            (Some(m), Some(n), Some(q)) => vec![c(Op::Eq, full(m, n, q))],
        },
        "^" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![
                c(Op::Ge, SemVer::new3(m, 0, 0, vec![])),
                c(Op::Lt, SemVer::floor(bump(m)?, 0, 0)),
            ],
            (Some(m), Some(n), None) => {
                let hi = if m != 0 {
                    SemVer::floor(bump(m)?, 0, 0)
                } else {
                    SemVer::floor(0, bump(n)?, 0)
                };
                vec![c(Op::Ge, SemVer::new3(m, n, 0, vec![])), c(Op::Lt, hi)]
            }
            (Some(m), Some(n), Some(q)) => {
                let hi = if m != 0 {
                    SemVer::floor(bump(m)?, 0, 0)
                } else if n != 0 {
                    SemVer::floor(0, bump(n)?, 0)
                } else {
                    SemVer::floor(0, 0, bump(q)?)
                };
                vec![c(Op::Ge, full(m, n, q)), c(Op::Lt, hi)]
            }
        },
        "~" | "~>" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![
                c(Op::Ge, SemVer::new3(m, 0, 0, vec![])),
                c(Op::Lt, SemVer::floor(bump(m)?, 0, 0)),
            ],
            (Some(m), Some(n), None) => {
                vec![
                    c(Op::Ge, SemVer::new3(m, n, 0, vec![])),
                    c(Op::Lt, SemVer::floor(m, bump(n)?, 0)),
                ]
            }
            (Some(m), Some(n), Some(q)) => vec![c(Op::Ge, full(m, n, q)), c(Op::Lt, SemVer::floor(m, bump(n)?, 0))],
        },
        ">" => match (ma, mi, pa) {
            (None, _, _) => vec![c(Op::Lt, SemVer::floor(0, 0, 0))],
            (Some(m), None, _) => vec![c(Op::Ge, SemVer::new3(bump(m)?, 0, 0, vec![]))],
            (Some(m), Some(n), None) => vec![c(Op::Ge, SemVer::new3(m, bump(n)?, 0, vec![]))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Gt, full(m, n, q))],
        },
        ">=" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![c(Op::Ge, SemVer::new3(m, 0, 0, vec![]))],
            (Some(m), Some(n), None) => vec![c(Op::Ge, SemVer::new3(m, n, 0, vec![]))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Ge, full(m, n, q))],
        },
        "<" => match (ma, mi, pa) {
            (None, _, _) => vec![c(Op::Lt, SemVer::floor(0, 0, 0))],
            (Some(m), None, _) => vec![c(Op::Lt, SemVer::floor(m, 0, 0))],
            (Some(m), Some(n), None) => vec![c(Op::Lt, SemVer::floor(m, n, 0))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Lt, full(m, n, q))],
        },
        "<=" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![c(Op::Lt, SemVer::floor(bump(m)?, 0, 0))],
            (Some(m), Some(n), None) => vec![c(Op::Lt, SemVer::floor(m, bump(n)?, 0))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Le, full(m, n, q))],
        },
        other => return Err(format!("unknown operator {other:?}")),
    })
}

/// Expands one Cargo comparator into primitive constraints (semver crate semantics).
fn cargo_comparator(op: &str, p: &Partial) -> Result<Vec<Constraint>, String> {
    let c = |op, v| Constraint { op, v };
    let z = |m: u64, n: u64, q: u64| SemVer::new3(m, n, q, vec![]);
    let full = |m: u64, n: u64, q: u64| SemVer::new3(m, n, q, p.pre.clone());
    let (ma, mi, pa) = (p.major, p.minor, p.patch);
    Ok(match op {
        "=" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![c(Op::Ge, z(m, 0, 0)), c(Op::Lt, z(bump(m)?, 0, 0))],
            (Some(m), Some(n), None) => vec![c(Op::Ge, z(m, n, 0)), c(Op::Lt, z(m, bump(n)?, 0))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Eq, full(m, n, q))],
        },
        "" | "^" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![c(Op::Ge, z(m, 0, 0)), c(Op::Lt, z(bump(m)?, 0, 0))],
            (Some(m), Some(n), None) => {
                let hi = if m != 0 { z(bump(m)?, 0, 0) } else { z(0, bump(n)?, 0) };
                vec![c(Op::Ge, z(m, n, 0)), c(Op::Lt, hi)]
            }
            (Some(m), Some(n), Some(q)) => {
                let hi = if m != 0 {
                    z(bump(m)?, 0, 0)
                } else if n != 0 {
                    z(0, bump(n)?, 0)
                } else {
                    z(0, 0, bump(q)?)
                };
                vec![c(Op::Ge, full(m, n, q)), c(Op::Lt, hi)]
            }
        },
        "~" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![c(Op::Ge, z(m, 0, 0)), c(Op::Lt, z(bump(m)?, 0, 0))],
            (Some(m), Some(n), None) => vec![c(Op::Ge, z(m, n, 0)), c(Op::Lt, z(m, bump(n)?, 0))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Ge, full(m, n, q)), c(Op::Lt, z(m, bump(n)?, 0))],
        },
        ">" => match (ma, mi, pa) {
            (None, _, _) => vec![c(Op::Lt, z(0, 0, 0)), c(Op::Gt, z(0, 0, 0))],
            (Some(m), None, _) => vec![c(Op::Ge, z(bump(m)?, 0, 0))],
            (Some(m), Some(n), None) => vec![c(Op::Ge, z(m, bump(n)?, 0))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Gt, full(m, n, q))],
        },
        ">=" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![c(Op::Ge, z(m, 0, 0))],
            (Some(m), Some(n), None) => vec![c(Op::Ge, z(m, n, 0))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Ge, full(m, n, q))],
        },
        "<" => match (ma, mi, pa) {
            (None, _, _) => vec![c(Op::Lt, z(0, 0, 0)), c(Op::Gt, z(0, 0, 0))],
            (Some(m), None, _) => vec![c(Op::Lt, z(m, 0, 0))],
            (Some(m), Some(n), None) => vec![c(Op::Lt, z(m, n, 0))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Lt, full(m, n, q))],
        },
        "<=" => match (ma, mi, pa) {
            (None, _, _) => vec![],
            (Some(m), None, _) => vec![c(Op::Lt, z(bump(m)?, 0, 0))],
            (Some(m), Some(n), None) => vec![c(Op::Lt, z(m, bump(n)?, 0))],
            (Some(m), Some(n), Some(q)) => vec![c(Op::Le, full(m, n, q))],
        },
        other => return Err(format!("unknown operator {other:?}")),
    })
}

/// Splits a leading operator off a comparator token.
fn split_op(s: &str) -> (&str, &str) {
    for op in [">=", "<=", "~>", ">", "<", "=", "^", "~"] {
        if let Some(rest) = s.strip_prefix(op) {
            return (op, rest.trim_start());
        }
    }
    ("", s)
}

/// The AND-set check, including the pre-release rule shared by npm and Cargo: a
/// pre-release version only matches when some comparator in the set names the same
/// `major.minor.patch` with a pre-release.
fn set_matches(set: &[Constraint], v: &SemVer) -> bool {
    if !set.iter().all(|c| c.matches(v)) {
        return false;
    }
    if v.pre.is_empty() {
        return true;
    }
    set.iter().any(|c| !c.v.pre.is_empty() && c.v.triple() == v.triple())
}

fn is_op_only(tok: &str) -> bool {
    matches!(tok, ">=" | "<=" | ">" | "<" | "=" | "^" | "~" | "~>")
}

fn npm_set(set: &str) -> Result<Vec<Constraint>, String> {
    let raw: Vec<&str> = set.split_whitespace().collect();
    // Glue a lone operator to the version after it (">= 1.2.3").
    let mut toks: Vec<String> = Vec::new();
    let mut i = 0;
    while i < raw.len() {
        if is_op_only(raw[i]) && i + 1 < raw.len() {
            toks.push(format!("{}{}", raw[i], raw[i + 1]));
            i += 2;
        } else {
            toks.push(raw[i].to_string());
            i += 1;
        }
    }
    // Hyphen range: exactly "A - B".
    if toks.len() == 3 && toks[1] == "-" {
        let lo = parse_partial(&toks[0])?;
        let hi = parse_partial(&toks[2])?;
        let mut out = Vec::new();
        if let Some(m) = lo.major {
            out.push(Constraint {
                op: Op::Ge,
                v: SemVer::new3(m, lo.minor.unwrap_or(0), lo.patch.unwrap_or(0), lo.pre.clone()),
            });
        }
        match (hi.major, hi.minor, hi.patch) {
            (None, _, _) => {}
            (Some(m), None, _) => out.push(Constraint {
                op: Op::Lt,
                v: SemVer::floor(bump(m)?, 0, 0),
            }),
            (Some(m), Some(n), None) => out.push(Constraint {
                op: Op::Lt,
                v: SemVer::floor(m, bump(n)?, 0),
            }),
            (Some(m), Some(n), Some(q)) => out.push(Constraint {
                op: Op::Le,
                v: SemVer::new3(m, n, q, hi.pre),
            }),
        }
        return Ok(out);
    }
    let mut out = Vec::new();
    for t in &toks {
        if t == "-" {
            return Err("misplaced '-' (hyphen ranges are 'A - B')".into());
        }
        let (op, rest) = split_op(t);
        out.extend(npm_comparator(op, &parse_partial(rest)?)?);
    }
    Ok(out)
}

fn cargo_set(req: &str) -> Result<Vec<Constraint>, String> {
    if req.trim().is_empty() {
        return Err("empty requirement".into());
    }
    let mut out = Vec::new();
    for part in req.split(',') {
        let part = part.trim();
        if part.is_empty() {
            return Err("empty comparator between commas".into());
        }
        let (op, rest) = split_op(part);
        if op == "~>" {
            return Err("'~>' is not a Cargo operator".into());
        }
        if rest.is_empty() {
            return Err(format!("{part:?}: missing version"));
        }
        if rest.contains(char::is_whitespace) {
            return Err(format!("{part:?}: comparators must be separated by commas"));
        }
        out.extend(cargo_comparator(op, &parse_partial(rest)?)?);
    }
    Ok(out)
}

/// True when `version` satisfies the requirement `req` in the given syntax (npm range or
/// Cargo requirement), including both tools' rule that a pre-release only matches a
/// comparator on the same `major.minor.patch` that has a pre-release. Errors name the
/// part that does not parse (in the requirement or the version).
pub fn semver_satisfies(req: &str, version: &str, flavour: SemverFlavour) -> Result<bool, VersionError> {
    let scheme = crate::Scheme::Semver;
    if req.len() > crate::MAX_VERSION_LEN {
        return Err(VersionError::new(scheme, req, "requirement too long"));
    }
    let v = crate::parse(scheme, version)?;
    let crate::Key::Semver(v) = &v.key else {
        return Err(VersionError::new(scheme, version, "not a semantic version"));
    };
    let bad_req = |e: String| VersionError::new(scheme, req, format!("invalid {flavour:?} requirement: {e}"));
    match flavour {
        SemverFlavour::Npm => {
            // Parse every alternative first so a bad one is reported even after a match.
            let sets = req
                .split("||")
                .map(npm_set)
                .collect::<Result<Vec<_>, _>>()
                .map_err(bad_req)?;
            Ok(sets.iter().any(|set| set_matches(set, v)))
        }
        SemverFlavour::Cargo => Ok(set_matches(&cargo_set(req).map_err(bad_req)?, v)),
    }
}
