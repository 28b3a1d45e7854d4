//! OSV range evaluation (<https://ossf.github.io/osv-schema/#evaluation>) for SEMVER and
//! ECOSYSTEM ranges, and explicit `versions` lists.

use crate::{parse, Event, Scheme, Version, VersionError};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Why a version is in a range: the interval of the range that contains it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeHit {
    /// The `introduced` version that opened the interval (`"0"` = from the beginning).
    pub introduced: String,
    /// The event that closes the interval (`fixed` or `last_affected`), if any: the
    /// version to upgrade to, or the last one known affected.
    pub closed_by: Option<Event>,
}

#[derive(Debug)]
enum Bound {
    /// `introduced: "0"`: before every version.
    MinusInfinity,
    At(Version),
}

fn cmp_bounds(a: &Bound, b: &Bound) -> Ordering {
    match (a, b) {
        (Bound::MinusInfinity, Bound::MinusInfinity) => Ordering::Equal,
        (Bound::MinusInfinity, _) => Ordering::Less,
        (_, Bound::MinusInfinity) => Ordering::Greater,
        (Bound::At(x), Bound::At(y)) => x.cmp(y),
    }
}

/// `version` compared with a bound (−∞ is below everything).
fn cmp_version(v: &Version, b: &Bound) -> Ordering {
    match b {
        Bound::MinusInfinity => Ordering::Greater,
        Bound::At(x) => v.cmp_to_bound(x),
    }
}

fn event_name(e: &Event) -> &'static str {
    match e {
        Event::Introduced(_) => "introduced",
        Event::Fixed(_) => "fixed",
        Event::LastAffected(_) => "last_affected",
        Event::Limit(_) => "limit",
    }
}

fn parse_event(scheme: Scheme, e: &Event) -> Result<Bound, VersionError> {
    let s = e.version();
    if matches!(e, Event::Introduced(_)) && s.trim() == "0" {
        return Ok(Bound::MinusInfinity);
    }
    parse(scheme, s).map(Bound::At).map_err(|err| VersionError {
        reason: format!("in range event {:?}: {}", event_name(e), err.reason),
        ..err
    })
}

/// Evaluates `events` for `version` and, when it is affected, returns the interval that
/// contains it. OSV semantics: if there are `limit` events the version must be below one
/// of them (`"*"` = no limit); then the events are sorted by version (`introduced: "0"`
/// first) and walked: an `introduced` ≤ version opens, a `fixed` ≤ version closes, a
/// `last_affected` < version closes. Intervals that a malformed record writes as
/// overlapping pairs are honoured too: an `introduced` with the first `fixed` /
/// `last_affected` after it in list order. Errors when the version or
/// any event version does not parse under `scheme`.
pub fn range_hit(scheme: Scheme, version: &str, events: &[Event]) -> Result<Option<RangeHit>, VersionError> {
    let v = parse(scheme, version)?;
    let mut sorted: Vec<(Bound, &Event)> = Vec::with_capacity(events.len());
    let mut limits: Vec<Bound> = Vec::new();
    let mut unlimited = false;
    for e in events {
        if let Event::Limit(l) = e {
            if l.contains('*') {
                unlimited = true;
            } else {
                limits.push(parse_event(scheme, e)?);
            }
            continue;
        }
        let b = parse_event(scheme, e)?;
        // Stable insertion (binary search on the upper bound): never panics, even if a
        // scheme's order were inconsistent on odd input.
        let pos = sorted.partition_point(|(x, _)| cmp_bounds(x, &b) != Ordering::Greater);
        sorted.insert(pos, (b, e));
    }
    if !limits.is_empty() && !unlimited && !limits.iter().any(|l| cmp_version(&v, l) == Ordering::Less) {
        return Ok(None);
    }
    let mut open: Option<usize> = None;
    for (i, (b, e)) in sorted.iter().enumerate() {
        let o = cmp_version(&v, b);
        match e {
            Event::Introduced(_) if o != Ordering::Less => open = Some(i),
            Event::Fixed(_) if o != Ordering::Less => open = None,
            Event::LastAffected(_) if o == Ordering::Greater => open = None,
            _ => {}
        }
    }
    if let Some(i) = open {
        return Ok(Some(RangeHit {
            introduced: sorted[i].1.version().to_string(),
            closed_by: sorted[i + 1..]
                .iter()
                .find(|(_, e)| matches!(e, Event::Fixed(_) | Event::LastAffected(_)))
                .map(|(_, e)| (*e).clone()),
        }));
    }
    Ok(overlapping_pair_hit(scheme, &v, events))
}

/// Records whose intervals overlap (e.g. PYSEC-2021-114: `introduced 2.11, fixed 2.11.7,
/// introduced 0, fixed 2.11.6`) lose versions under the sorted walk alone; osv.dev's own
/// enumeration keeps them. So a version is also affected when it lies in a bounded
/// interval written as a pair in the record: an `introduced` and the first `fixed` /
/// `last_affected` after it in list order, provided that pair is a non-empty interval.
/// On well-formed (non-overlapping) records this adds nothing.
fn overlapping_pair_hit(scheme: Scheme, v: &Version, events: &[Event]) -> Option<RangeHit> {
    for (i, e) in events.iter().enumerate() {
        let Event::Introduced(_) = e else { continue };
        let Some(close) = events[i + 1..]
            .iter()
            .find(|c| matches!(c, Event::Fixed(_) | Event::LastAffected(_)))
        else {
            continue;
        };
        let (Ok(lo), Ok(hi)) = (parse_event(scheme, e), parse_event(scheme, close)) else {
            continue;
        };
        let Bound::At(hi_v) = &hi else { continue };
        let lo_ok = cmp_version(v, &lo) != Ordering::Less;
        let (nonempty, below) = match close {
            Event::Fixed(_) => (
                cmp_bounds(&lo, &hi) == Ordering::Less,
                v.cmp_to_bound(hi_v) == Ordering::Less,
            ),
            _ => (
                cmp_bounds(&lo, &hi) != Ordering::Greater,
                v.cmp_to_bound(hi_v) != Ordering::Greater,
            ),
        };
        if nonempty && lo_ok && below {
            return Some(RangeHit {
                introduced: e.version().to_string(),
                closed_by: Some(close.clone()),
            });
        }
    }
    None
}

/// True when `version` falls in the range described by `events` (OSV semantics:
/// events sorted by version, each `introduced` opens an affected interval that the
/// next `fixed`/`last_affected` closes; `limit` events bound the whole range). See
/// [`range_hit`] for the interval itself.
pub fn in_range(scheme: Scheme, version: &str, events: &[Event]) -> Result<bool, VersionError> {
    Ok(range_hit(scheme, version, events)?.is_some())
}

/// True when `version` equals one of `versions` under the scheme's equality (an OSV
/// `versions` list): `1.0` matches `1.0.0` in PEP 440, `1:2.0-1` matches itself in dpkg,
/// an rpm entry without release matches any release. The version itself must parse;
/// list entries that do not parse can only match by identical spelling.
pub fn in_versions<S: AsRef<str>>(scheme: Scheme, version: &str, versions: &[S]) -> Result<bool, VersionError> {
    let v = parse(scheme, version)?;
    for entry in versions {
        let entry = entry.as_ref();
        if entry == version {
            return Ok(true);
        }
        if let Ok(e) = parse(scheme, entry) {
            if v.cmp_to_bound(&e) == Ordering::Equal {
                return Ok(true);
            }
        }
    }
    Ok(false)
}
