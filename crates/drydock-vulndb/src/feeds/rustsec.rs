//! RustSec advisory-db: `crates/<name>/RUSTSEC-*.md`, a Markdown file whose first block
//! is the TOML front matter (```` ```toml ````). The `patched` and `unaffected` semver
//! requirements are converted into OSV-style events over the complement of their union.

use super::{cvss_severity, read_limited, walk_files, FeedError, Item, Sink, MAX_RECORD_BYTES};
use crate::model::{Advisory, Affected, AffectedRange, FixState};
use crate::normalize::normalize_package;
use drydock_version::{Event, Scheme};
use serde::Deserialize;
use std::cmp::Ordering;
use std::path::Path;

#[derive(Deserialize)]
struct Front {
    advisory: Meta,
    #[serde(default)]
    versions: Option<Versions>,
}

#[derive(Deserialize)]
struct Meta {
    id: String,
    package: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    date: Option<toml::Value>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

#[derive(Deserialize, Default)]
struct Versions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// A `major.minor.patch[-pre]` version (build metadata dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
struct V {
    n: [u64; 3],
    pre: Vec<String>,
}

impl V {
    fn new(a: u64, b: u64, c: u64) -> V {
        V {
            n: [a, b, c],
            pre: Vec::new(),
        }
    }
    /// The smallest version above `self` (`1.2.3` → `1.2.4-0`).
    fn successor(&self) -> V {
        if self.pre.is_empty() {
            V {
                n: [self.n[0], self.n[1], self.n[2] + 1],
                pre: vec!["0".into()],
            }
        } else {
            let mut pre = self.pre.clone();
            pre.push("0".into());
            V { n: self.n, pre }
        }
    }
}

impl std::fmt::Display for V {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.n[0], self.n[1], self.n[2])?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre.join("."))?;
        }
        Ok(())
    }
}

impl Ord for V {
    fn cmp(&self, o: &V) -> Ordering {
        self.n
            .cmp(&o.n)
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&o.pre) {
                        let c = match (a.parse::<u64>(), b.parse::<u64>()) {
                            (Ok(x), Ok(y)) => x.cmp(&y),
                            (Ok(_), Err(_)) => Ordering::Less,
                            (Err(_), Ok(_)) => Ordering::Greater,
                            _ => a.cmp(b),
                        };
                        if c != Ordering::Equal {
                            return c;
                        }
                    }
                    self.pre.len().cmp(&o.pre.len())
                }
            })
    }
}
impl PartialOrd for V {
    fn partial_cmp(&self, o: &V) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

/// A partial version as written in a requirement: `1`, `1.2`, `1.2.3-pre`.
fn parse_partial(s: &str) -> Option<(V, usize)> {
    let s = s.trim().trim_start_matches('v');
    let s = s.split('+').next()?;
    let (core, pre) = match s.split_once('-') {
        Some((c, p)) => (c, p.split('.').map(str::to_string).collect()),
        None => (s, Vec::new()),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut n = [0u64; 3];
    let mut given = 0;
    for (i, p) in parts.iter().enumerate() {
        if *p == "*" || *p == "x" || *p == "X" {
            break;
        }
        n[i] = p.parse().ok()?;
        given = i + 1;
    }
    Some((V { n, pre }, given))
}

/// One end of an interval: the version and whether it is included.
type Bound = Option<(V, bool)>;

/// A half-open-or-closed interval: lower bound (inclusive?) and upper bound (inclusive?).
#[derive(Debug, Clone)]
struct Interval {
    lo: Bound,
    hi: Bound,
}

fn caret_upper(v: &V, given: usize) -> V {
    match (v.n, given) {
        ([0, 0, _], 3) => V::new(0, 0, v.n[2] + 1),
        ([0, 0, _], 2) => V::new(0, 1, 0),
        ([0, m, _], g) if g >= 2 => V::new(0, m + 1, 0),
        ([a, _, _], _) => V::new(a + 1, 0, 0),
    }
}

/// Parses a Cargo version requirement (`>= 1.2.3, < 1.5`, `^0.3.1`, `~1.2`, `=1.0.0`,
/// `1.2.3`, `*`) into the interval it allows.
fn parse_req(req: &str) -> Option<Interval> {
    let mut iv = Interval { lo: None, hi: None };
    for part in req.split(',') {
        let p = part.trim();
        if p.is_empty() || p == "*" {
            continue;
        }
        let (op, rest) = if let Some(r) = p.strip_prefix(">=") {
            (">=", r)
        } else if let Some(r) = p.strip_prefix("<=") {
            ("<=", r)
        } else if let Some(r) = p.strip_prefix('>') {
            (">", r)
        } else if let Some(r) = p.strip_prefix('<') {
            ("<", r)
        } else if let Some(r) = p.strip_prefix('=') {
            ("=", r)
        } else if let Some(r) = p.strip_prefix('^') {
            ("^", r)
        } else if let Some(r) = p.strip_prefix('~') {
            ("~", r)
        } else {
            ("^", p)
        };
        let (v, given) = parse_partial(rest)?;
        let (lo, hi): (Bound, Bound) = match op {
            ">=" => (Some((v, true)), None),
            ">" if given < 3 => {
                let next = match given {
                    0 => return None,
                    1 => V::new(v.n[0] + 1, 0, 0),
                    _ => V::new(v.n[0], v.n[1] + 1, 0),
                };
                (Some((next, true)), None)
            }
            ">" => (Some((v, false)), None),
            "<" => (None, Some((v, false))),
            "<=" if given < 3 => (None, Some((caret_like_next(&v, given), false))),
            "<=" => (None, Some((v, true))),
            "=" if given < 3 => (Some((v.clone(), true)), Some((caret_like_next(&v, given), false))),
            "=" => (Some((v.clone(), true)), Some((v, true))),
            "~" => {
                let hi = if given >= 2 {
                    V::new(v.n[0], v.n[1] + 1, 0)
                } else {
                    V::new(v.n[0] + 1, 0, 0)
                };
                (Some((v, true)), Some((hi, false)))
            }
            _ => {
                let hi = caret_upper(&v, given);
                (Some((v, true)), Some((hi, false)))
            }
        };
        if let Some(l) = lo {
            if iv.lo.as_ref().is_none_or(|c| l.0 > c.0) {
                iv.lo = Some(l);
            }
        }
        if let Some(h) = hi {
            if iv.hi.as_ref().is_none_or(|c| h.0 < c.0) {
                iv.hi = Some(h);
            }
        }
    }
    Some(iv)
}

/// `1.2` with `<=`/`=` means "any 1.2.x": the exclusive bound is the next minor.
fn caret_like_next(v: &V, given: usize) -> V {
    match given {
        0 => V::new(u64::MAX, 0, 0),
        1 => V::new(v.n[0] + 1, 0, 0),
        _ => V::new(v.n[0], v.n[1] + 1, 0),
    }
}

/// Converts RustSec `patched` + `unaffected` requirements into affected-range events and
/// the list of fixed versions. Empty requirement lists mean every version is affected.
pub fn requirements_to_events(patched: &[String], unaffected: &[String]) -> Result<(Vec<Event>, Vec<String>), String> {
    let mut safe = Vec::new();
    for r in patched.iter().chain(unaffected) {
        safe.push(parse_req(r).ok_or_else(|| format!("unparseable version requirement {r:?}"))?);
    }
    // Normalise every interval to [lo inclusive, hi exclusive); None = unbounded.
    let mut norm: Vec<(Option<V>, Option<V>)> = safe
        .into_iter()
        .map(|iv| {
            let lo = iv.lo.map(|(v, incl)| if incl { v } else { v.successor() });
            let hi = iv.hi.map(|(v, incl)| if incl { v.successor() } else { v });
            (lo, hi)
        })
        .filter(|(lo, hi)| match (lo, hi) {
            (Some(l), Some(h)) => l < h,
            _ => true,
        })
        .collect();
    norm.sort_by(|a, b| match (&a.0, &b.0) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    });
    // Merge overlapping/adjacent intervals.
    let mut merged: Vec<(Option<V>, Option<V>)> = Vec::new();
    for (lo, hi) in norm {
        if let Some(last) = merged.last_mut() {
            let overlaps = match (&last.1, &lo) {
                (None, _) => true,
                (Some(_), None) => true,
                (Some(h), Some(l)) => l <= h,
            };
            if overlaps {
                last.1 = match (&last.1, hi) {
                    (None, _) | (_, None) => None,
                    (Some(a), Some(b)) => Some(if b > *a { b } else { a.clone() }),
                };
                continue;
            }
        }
        merged.push((lo, hi));
    }
    // The complement of the safe intervals is the affected set.
    let mut events = Vec::new();
    let mut fixed = Vec::new();
    let mut cursor: Option<Option<V>> = Some(None); // Some(None) = from the beginning.
    for (lo, hi) in merged {
        if let Some(start) = cursor.take() {
            let starts_at_zero = lo.as_ref().is_none_or(|l| {
                *l <= V {
                    n: [0, 0, 0],
                    pre: vec!["0".into()],
                }
            });
            if !starts_at_zero {
                let lo = lo.clone().expect("bounded");
                events.push(Event::Introduced(
                    start.map(|v| v.to_string()).unwrap_or_else(|| "0".into()),
                ));
                events.push(Event::Fixed(lo.to_string()));
                fixed.push(lo.to_string());
            }
        }
        cursor = hi.map(Some);
    }
    if let Some(start) = cursor {
        events.push(Event::Introduced(
            start.map(|v| v.to_string()).unwrap_or_else(|| "0".into()),
        ));
    }
    Ok((events, fixed))
}

fn front_matter(text: &str) -> Option<&str> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let rest = t.strip_prefix("```toml")?;
    let end = rest.find("\n```")?;
    Some(&rest[..end])
}

fn title_of(text: &str) -> String {
    let after = text.split_once("\n```\n").map(|(_, b)| b).unwrap_or("");
    after
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or("")
        .trim()
        .to_string()
}

fn toml_date(v: &Option<toml::Value>) -> Option<String> {
    v.as_ref().map(|v| match v {
        toml::Value::String(s) => s.clone(),
        toml::Value::Datetime(d) => d.to_string(),
        other => format!("{other:?}"),
    })
}

/// Parses one RustSec advisory (`.md` with TOML front matter, or a legacy `.toml`).
/// `Ok(None)` for informational advisories other than `unsound` (unmaintained crates
/// and notices are not vulnerabilities).
pub fn parse_advisory(text: &str, origin: &str) -> Result<Option<Advisory>, FeedError> {
    let toml_text = if origin.ends_with(".toml") {
        text
    } else {
        front_matter(text).ok_or_else(|| FeedError::file(origin, "no ```toml front matter"))?
    };
    let front: Front =
        toml::from_str(toml_text).map_err(|e| FeedError::file(origin, format!("bad front matter: {e}")))?;
    let m = front.advisory;
    if let Some(kind) = &m.informational {
        if kind != "unsound" {
            return Ok(None);
        }
    }
    let versions = front.versions.unwrap_or_default();
    let (events, fixed) = requirements_to_events(&versions.patched, &versions.unaffected)
        .map_err(|e| FeedError::record(origin, &m.id, e))?;
    let ns = "crates.io";
    let fix_state = if fixed.is_empty() {
        FixState::NotFixed
    } else {
        FixState::Fixed
    };
    let ranges = if events.is_empty() {
        Vec::new()
    } else {
        vec![AffectedRange {
            scheme: Scheme::Semver,
            events,
        }]
    };
    let mut references: Vec<String> = m.url.into_iter().collect();
    references.extend(m.references);
    let summary = m.title.unwrap_or_else(|| title_of(text));
    Ok(Some(Advisory {
        id: m.id.clone(),
        aliases: m.aliases,
        summary,
        severities: m.cvss.iter().map(|v| cvss_severity(v, "rustsec")).collect(),
        cwes: Vec::new(),
        published: toml_date(&m.date),
        modified: None,
        withdrawn: toml_date(&m.withdrawn),
        references,
        affected: vec![Affected {
            namespace: ns.into(),
            package: normalize_package(ns, &m.package),
            ranges,
            versions: Vec::new(),
            fix_state,
            fixed,
        }],
        source: "rustsec".into(),
    }))
}

/// Reads an advisory-db checkout (its `crates/` tree; `rust/` too when present).
pub fn read_dir(dir: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
    let mut roots = Vec::new();
    for sub in ["crates", "rust"] {
        if dir.join(sub).is_dir() {
            roots.push(dir.join(sub));
        }
    }
    if roots.is_empty() {
        roots.push(dir.to_path_buf());
    }
    for root in roots {
        for file in walk_files(&root, &[".md", ".toml"])? {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.starts_with("RUSTSEC-") {
                continue;
            }
            let origin = file.display().to_string();
            let parsed = read_limited(&file, MAX_RECORD_BYTES).and_then(|b| {
                let text = String::from_utf8(b).map_err(|_| FeedError::file(&file, "not UTF-8"))?;
                parse_advisory(&text, &origin)
            });
            match parsed {
                Ok(Some(advisory)) => {
                    let key = format!("rustsec/{}", advisory.id);
                    sink(Item::Advisory { key, advisory })?;
                }
                Ok(None) => {}
                Err(e) => sink(Item::Skipped(e))?,
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(p: &[&str], u: &[&str]) -> Vec<Event> {
        let p: Vec<String> = p.iter().map(|s| s.to_string()).collect();
        let u: Vec<String> = u.iter().map(|s| s.to_string()).collect();
        requirements_to_events(&p, &u).unwrap().0
    }
    fn i(s: &str) -> Event {
        Event::Introduced(s.into())
    }
    fn f(s: &str) -> Event {
        Event::Fixed(s.into())
    }

    #[test]
    fn requirement_conversion() {
        assert_eq!(ev(&[">= 0.9.1"], &[]), vec![i("0"), f("0.9.1")]);
        assert_eq!(ev(&[], &[]), vec![i("0")]);
        assert_eq!(
            ev(&["^0.2.5", ">= 0.3.1"], &[]),
            vec![i("0"), f("0.2.5"), i("0.3.0"), f("0.3.1")]
        );
        assert_eq!(ev(&[">= 1.2.0"], &["< 0.5.0"]), vec![i("0.5.0"), f("1.2.0")]);
        assert_eq!(
            ev(&["^1.4.2", "~1.3.7", ">= 1.5.0"], &[]),
            vec![i("0"), f("1.3.7"), i("1.4.0"), f("1.4.2")]
        );
        assert_eq!(ev(&["=0.1.5"], &[]), vec![i("0"), f("0.1.5"), i("0.1.6-0")]);
        assert_eq!(ev(&[">= 2"], &["<= 1.0.0"]), vec![i("1.0.1-0"), f("2.0.0")]);
        assert_eq!(
            ev(&[">= 0.3.0, < 0.4.0", ">= 0.4.2"], &[]),
            vec![i("0"), f("0.3.0"), i("0.4.0"), f("0.4.2")]
        );
        assert!(requirements_to_events(&["what".into()], &[]).is_err());
    }
}
