//! OSV: a directory tree of JSON records (`osv/<Ecosystem>/*.json`, as the ecosystem
//! repositories and `gsutil` mirrors lay them out) or an ecosystem's `all.zip`.

use super::{cvss_severity, read_limited, walk_files, FeedError, Item, Sink, MAX_RECORD_BYTES};
use crate::model::{Advisory, Affected, AffectedRange, FixState, Severity};
use crate::normalize::{normalize_namespace, normalize_package};
use drydock_version::{Event, Scheme};
use serde::Deserialize;
use std::io::Read;
use std::path::Path;

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    upstream: Option<Vec<String>>,
    #[serde(default)]
    related: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
    #[serde(default)]
    references: Option<Vec<OsvReference>>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    score: String,
}

#[derive(Deserialize)]
struct OsvReference {
    #[serde(default)]
    url: String,
}

#[derive(Deserialize)]
struct OsvPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    ranges: Option<Vec<OsvRange>>,
    #[serde(default)]
    versions: Option<Vec<String>>,
    #[serde(default)]
    ecosystem_specific: Option<serde_json::Value>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    events: Vec<serde_json::Map<String, serde_json::Value>>,
}

/// Parses one OSV JSON record. `origin` names the file for errors; `source` is recorded
/// in the advisory (`osv:PyPI`…). Affected entries of ecosystems drydock ignores, and
/// ranges of type `GIT`, are dropped; an advisory left with nothing to match still
/// comes back (its aliases are useful), with an empty `affected`.
pub fn parse_record(bytes: &[u8], origin: &str, source: &str) -> Result<Advisory, FeedError> {
    let rec: Record =
        serde_json::from_slice(bytes).map_err(|e| FeedError::file(origin, format!("not an OSV record: {e}")))?;
    let id = rec.id.trim().to_string();
    if id.is_empty() || id.len() > 200 {
        return Err(FeedError::file(origin, "OSV record without a usable id"));
    }
    let err = |reason: String| FeedError::record(origin, &id, reason);
    let vendor_source = id.split('-').next().unwrap_or("osv").to_ascii_lowercase();
    let mut severities = Vec::new();
    for s in rec.severity.iter().flatten() {
        severities.push(osv_severity(s, &vendor_source));
    }
    let mut cwes = Vec::new();
    if let Some(ds) = &rec.database_specific {
        if let Some(sev) = ds.get("severity").and_then(|v| v.as_str()) {
            severities.push(vendor(sev, &vendor_source));
        }
        if let Some(ids) = ds.get("cwe_ids").and_then(|v| v.as_array()) {
            cwes.extend(ids.iter().filter_map(|v| v.as_str()).map(str::to_string));
        }
    }
    let mut affected = Vec::new();
    for a in rec.affected.iter().flatten() {
        let Some(pkg) = &a.package else { continue };
        let Some(namespace) = normalize_namespace(&pkg.ecosystem) else {
            continue;
        };
        if pkg.name.trim().is_empty() {
            continue;
        }
        let package = normalize_package(&namespace, &pkg.name);
        let eco_scheme = Scheme::for_ecosystem(&pkg.ecosystem);
        let mut ranges = Vec::new();
        let mut fixed = Vec::new();
        for r in a.ranges.iter().flatten() {
            let scheme = match r.kind.as_str() {
                "ECOSYSTEM" => eco_scheme,
                "SEMVER" if eco_scheme == Scheme::Generic => Scheme::Semver,
                "SEMVER" => eco_scheme,
                _ => continue, // GIT ranges name commits, not versions.
            };
            let mut events = Vec::new();
            for ev in &r.events {
                for (k, v) in ev {
                    let Some(v) = v.as_str() else {
                        return Err(err(format!("range event {k} is not a string")));
                    };
                    let v = v.to_string();
                    events.push(match k.as_str() {
                        "introduced" => Event::Introduced(v),
                        "fixed" => {
                            fixed.push(v.clone());
                            Event::Fixed(v)
                        }
                        "last_affected" => Event::LastAffected(v),
                        "limit" => Event::Limit(v),
                        other => return Err(err(format!("unknown range event {other:?}"))),
                    });
                }
            }
            if !events.is_empty() {
                ranges.push(AffectedRange { scheme, events });
            }
        }
        let versions: Vec<String> = a.versions.clone().unwrap_or_default();
        if ranges.is_empty() && versions.is_empty() {
            continue;
        }
        for s in a.severity.iter().flatten() {
            let sev = osv_severity(s, &vendor_source);
            if !severities.contains(&sev) {
                severities.push(sev);
            }
        }
        // Ubuntu and Debian put a per-package urgency in ecosystem/database-specific fields.
        for extra in [&a.ecosystem_specific, &a.database_specific].into_iter().flatten() {
            if let Some(sev) = extra.get("severity").and_then(|v| v.as_str()) {
                let sev = vendor(sev, &vendor_source);
                if !severities.contains(&sev) {
                    severities.push(sev);
                }
            }
        }
        let scheme = ranges.first().map(|r| r.scheme).unwrap_or(eco_scheme);
        sort_versions(scheme, &mut fixed);
        let fix_state = if fixed.is_empty() {
            FixState::NotFixed
        } else {
            FixState::Fixed
        };
        affected.push(Affected {
            namespace,
            package,
            ranges,
            versions,
            fix_state,
            fixed,
        });
    }
    let summary = match rec.summary.filter(|s| !s.trim().is_empty()) {
        Some(s) => s,
        None => first_paragraph(rec.details.as_deref().unwrap_or("")),
    };
    // Distro records (`DEBIAN-CVE-…`, `ALPINE-CVE-…`, `UBUNTU-CVE-…`) name the CVE they
    // track in `upstream` (or, for Ubuntu, in `related`): treated as aliases so that
    // findings merge.
    let mut aliases: Vec<String> = Vec::new();
    let related_same = rec
        .related
        .unwrap_or_default()
        .into_iter()
        .filter(|r| id.ends_with(&format!("-{r}")));
    for a in rec
        .aliases
        .unwrap_or_default()
        .into_iter()
        .chain(rec.upstream.unwrap_or_default())
        .chain(related_same)
    {
        if a != id && !a.is_empty() && !aliases.contains(&a) {
            aliases.push(a);
        }
    }
    Ok(Advisory {
        id,
        aliases,
        summary,
        severities,
        cwes,
        published: rec.published,
        modified: rec.modified,
        withdrawn: rec.withdrawn,
        references: rec
            .references
            .unwrap_or_default()
            .into_iter()
            .map(|r| r.url)
            .filter(|u| !u.is_empty())
            .collect(),
        affected,
        source: source.to_string(),
    })
}

fn osv_severity(s: &OsvSeverity, vendor_source: &str) -> Severity {
    match s.kind.as_str() {
        "CVSS_V2" | "CVSS_V3" | "CVSS_V4" => {
            let mut sev = cvss_severity(&s.score, vendor_source);
            sev.kind = s.kind.clone();
            sev
        }
        // `Ubuntu` (and any other vendor rating type) carries a word.
        other => Severity {
            kind: "vendor".into(),
            value: s.score.clone(),
            score: None,
            source: if other.is_empty() {
                vendor_source.to_string()
            } else {
                other.to_ascii_lowercase()
            },
        },
    }
}

fn vendor(word: &str, source: &str) -> Severity {
    Severity {
        kind: "vendor".into(),
        value: word.to_string(),
        score: None,
        source: source.to_string(),
    }
}

/// The first paragraph of a description, at most 500 characters.
pub(crate) fn first_paragraph(details: &str) -> String {
    let p = details.trim().split("\n\n").next().unwrap_or("").trim();
    let mut s: String = p.chars().take(500).collect();
    if s.len() < p.len() {
        s.push('…');
    }
    s
}

/// Sorts versions lowest first under `scheme` and removes duplicates; when some version
/// does not parse, the feed's order is kept.
pub(crate) fn sort_versions(scheme: Scheme, v: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    v.retain(|x| seen.insert(x.clone()));
    if v.len() < 2 {
        return;
    }
    let ok = v.iter().all(|x| drydock_version::compare(scheme, x, x).is_ok());
    if ok {
        v.sort_by(|a, b| drydock_version::compare(scheme, a, b).unwrap_or(std::cmp::Ordering::Equal));
    }
}

fn source_name(eco_dir: Option<&str>) -> String {
    match eco_dir {
        Some(e) if !e.is_empty() => format!("osv:{e}"),
        _ => "osv".to_string(),
    }
}

/// Reads every `*.json` record under `dir` (recursively). A record that does not parse
/// is reported as [`Item::Skipped`] and the read goes on.
pub fn read_dir(dir: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
    for file in walk_files(dir, &[".json"])? {
        let eco = file
            .parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        let source = if file.parent() == Some(dir) {
            source_name(dir.file_name().map(|n| n.to_string_lossy()).as_deref())
        } else {
            source_name(eco.as_deref())
        };
        let item = match read_limited(&file, MAX_RECORD_BYTES)
            .and_then(|b| parse_record(&b, &file.display().to_string(), &source))
        {
            Ok(advisory) => Item::Advisory {
                key: advisory.id.clone(),
                advisory,
            },
            Err(e) => Item::Skipped(e),
        };
        sink(item)?;
    }
    Ok(())
}

/// Reads an ecosystem's `all.zip` (one JSON record per entry).
pub fn read_zip(path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
    let f = std::fs::File::open(path).map_err(|e| FeedError::file(path, e))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(f)).map_err(|e| FeedError::file(path, e))?;
    // `PyPI/all.zip` → `osv:PyPI`.
    let eco = path
        .parent()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned());
    let stem = path.file_stem().map(|n| n.to_string_lossy().into_owned());
    let source = match stem.as_deref() {
        Some("all") | None => source_name(eco.as_deref()),
        Some(s) => source_name(Some(s)),
    };
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| FeedError::record(path, format!("entry {i}"), e))?;
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
        if !entry.is_file() || !name.ends_with(".json") {
            continue;
        }
        let origin = format!("{}!{}", path.display(), name);
        if entry.size() > MAX_RECORD_BYTES {
            sink(Item::Skipped(FeedError::file(&origin, "record larger than the limit")))?;
            continue;
        }
        let mut buf = Vec::with_capacity(entry.size() as usize);
        if let Err(e) = (&mut entry).take(MAX_RECORD_BYTES + 1).read_to_end(&mut buf) {
            sink(Item::Skipped(FeedError::file(&origin, e)))?;
            continue;
        }
        let item = match parse_record(&buf, &origin, &source) {
            Ok(advisory) => Item::Advisory {
                key: advisory.id.clone(),
                advisory,
            },
            Err(e) => Item::Skipped(e),
        };
        sink(item)?;
    }
    Ok(())
}
