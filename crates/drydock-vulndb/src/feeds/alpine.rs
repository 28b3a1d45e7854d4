//! Alpine secdb JSON (`secdb.alpinelinux.org/v3.20/main.json`; Wolfi and Chainguard
//! publish the same shape): per package (the aports origin, i.e. the source package),
//! `secfixes` maps a fixed version to the CVEs it fixes. A fixed version of `0` means
//! the package was never affected.

use super::osv::sort_versions;
use super::{read_limited, FeedError, Item, Sink, MAX_FEED_BYTES};
use crate::model::{Advisory, Affected, AffectedRange, FixState};
use crate::normalize::normalize_package;
use drydock_version::{Event, Scheme};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
struct SecDb {
    #[serde(default)]
    distroversion: Option<String>,
    #[serde(default)]
    urlprefix: Option<String>,
    /// `null` in some old branches' files (no entries).
    #[serde(default)]
    packages: Option<Vec<PkgWrap>>,
}

#[derive(Deserialize)]
struct PkgWrap {
    pkg: Pkg,
}

#[derive(Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    secfixes: BTreeMap<String, Option<Vec<serde_json::Value>>>,
}

/// The namespace of a secdb file: `distroversion` `v3.20` → `alpine:3.20`; `namespace`
/// overrides it (e.g. `wolfi`), and the parent directory name (`v3.20`) is the fallback.
fn namespace_of(db: &SecDb, path: &Path, namespace: Option<&str>) -> Option<String> {
    if let Some(ns) = namespace {
        return Some(ns.to_string());
    }
    // Wolfi and Chainguard publish the same format without a distroversion.
    let prefix = db.urlprefix.as_deref().unwrap_or("");
    if prefix.contains("wolfi.dev") {
        return Some("wolfi".into());
    }
    if prefix.contains("chainguard.dev") {
        return Some("chainguard".into());
    }
    let dv = db.distroversion.clone().or_else(|| {
        path.parent()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
    })?;
    let v = dv.strip_prefix('v').unwrap_or(&dv);
    if v.is_empty() || !v.chars().next().is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(format!("alpine:{v}"))
}

/// Reads one secdb JSON file; one advisory per (package, vulnerability id).
pub fn read_file(path: &Path, namespace: Option<&str>, sink: &mut Sink<'_>) -> Result<(), FeedError> {
    let bytes = read_limited(path, MAX_FEED_BYTES)?;
    let db: SecDb =
        serde_json::from_slice(&bytes).map_err(|e| FeedError::file(path, format!("not an Alpine secdb file: {e}")))?;
    let Some(ns) = namespace_of(&db, path, namespace) else {
        return Err(FeedError::file(
            path,
            "no distroversion to name the namespace (give one explicitly)",
        ));
    };
    let scheme = Scheme::for_ecosystem(if ns.starts_with("alpine") { "Alpine" } else { "Wolfi" });
    for wrap in db.packages.iter().flatten() {
        let package = normalize_package(&ns, &wrap.pkg.name);
        // id → fixed versions (several when the secfixes list one twice).
        let mut per_id: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (version, ids) in &wrap.pkg.secfixes {
            for v in ids.iter().flatten() {
                let Some(text) = v.as_str() else { continue };
                // Entries are usually one id, sometimes several separated by spaces,
                // occasionally with a trailing comment.
                for token in text.split_whitespace() {
                    let token = token.trim_matches(|c: char| c == ',' || c == ';');
                    if looks_like_id(token) {
                        per_id
                            .entry(token.to_string())
                            .or_default()
                            .push(version.trim().to_string());
                    }
                }
            }
        }
        for (id, mut versions) in per_id {
            let not_affected = versions.iter().any(|v| v == "0");
            versions.retain(|v| v != "0" && !v.is_empty());
            sort_versions(scheme, &mut versions);
            let affected = if not_affected && versions.is_empty() {
                Affected {
                    namespace: ns.clone(),
                    package: package.clone(),
                    ranges: Vec::new(),
                    versions: Vec::new(),
                    fix_state: FixState::NotAffected,
                    fixed: Vec::new(),
                }
            } else {
                // Several fixed versions for one id are backports on older package
                // versions; the highest closes the range (conservative for the branch).
                let first = versions[versions.len() - 1].clone();
                Affected {
                    namespace: ns.clone(),
                    package: package.clone(),
                    ranges: vec![AffectedRange {
                        scheme,
                        events: vec![Event::Introduced("0".into()), Event::Fixed(first)],
                    }],
                    versions: Vec::new(),
                    fix_state: FixState::Fixed,
                    fixed: versions,
                }
            };
            let key = format!("secdb/{ns}/{package}/{id}");
            let advisory = Advisory {
                id,
                aliases: Vec::new(),
                summary: String::new(),
                severities: Vec::new(),
                cwes: Vec::new(),
                published: None,
                modified: None,
                withdrawn: None,
                references: Vec::new(),
                affected: vec![affected],
                source: format!("secdb:{ns}"),
            };
            sink(Item::Advisory { key, advisory })?;
        }
    }
    Ok(())
}

fn looks_like_id(t: &str) -> bool {
    t.len() <= 64
        && t.contains('-')
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        && t.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}
