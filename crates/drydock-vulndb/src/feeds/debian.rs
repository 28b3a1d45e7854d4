//! Debian security tracker JSON (`security-tracker.debian.org/tracker/data/json`):
//! `{source-package: {CVE: {description, releases: {codename: {status, fixed_version,
//! urgency, nodsa_reason…}}}}}`. Streamed one package at a time (the file is large).
//! Produces one advisory per (CVE, source package), with an affected entry per release.

use super::{open_maybe_gz, FeedError, Item, Sink};
use crate::model::{Advisory, Affected, AffectedRange, FixState, Severity};
use crate::normalize::normalize_package;
use drydock_version::{Event, Scheme};
use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

#[derive(Deserialize)]
struct Cve {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    releases: BTreeMap<String, Release>,
}

#[derive(Deserialize)]
struct Release {
    #[serde(default)]
    status: String,
    #[serde(default)]
    fixed_version: Option<String>,
    #[serde(default)]
    urgency: Option<String>,
    #[serde(default)]
    nodsa_reason: Option<String>,
}

/// Debian release codename → namespace (`bookworm` → `debian:12`); `sid` →
/// `debian:unstable`. Unknown codenames → `None` (skipped).
pub fn codename_namespace(codename: &str) -> Option<&'static str> {
    Some(match codename {
        "wheezy" => "debian:7",
        "jessie" => "debian:8",
        "stretch" => "debian:9",
        "buster" => "debian:10",
        "bullseye" => "debian:11",
        "bookworm" => "debian:12",
        "trixie" => "debian:13",
        "forky" => "debian:14",
        "duke" => "debian:15",
        "sid" => "debian:unstable",
        _ => return None,
    })
}

/// Converts one package's CVE map into advisories.
fn package_advisories(package: &str, cves: BTreeMap<String, Cve>, out: &mut Vec<(String, Advisory)>) {
    for (id, cve) in cves {
        let package_name = normalize_package("debian", package);
        let mut affected = Vec::new();
        let mut severities: Vec<Severity> = Vec::new();
        for (codename, rel) in &cve.releases {
            let Some(ns) = codename_namespace(codename) else {
                continue;
            };
            let urgency = rel
                .urgency
                .as_deref()
                .unwrap_or("")
                .trim_end_matches('*')
                .trim()
                .to_string();
            let intro = || Event::Introduced("0".into());
            let (ranges, fix_state, fixed) = match rel.status.as_str() {
                "resolved" => match rel.fixed_version.as_deref().map(str::trim) {
                    Some("0") => (Vec::new(), FixState::NotAffected, Vec::new()),
                    Some(v) if !v.is_empty() => (
                        vec![AffectedRange {
                            scheme: Scheme::Dpkg,
                            events: vec![intro(), Event::Fixed(v.to_string())],
                        }],
                        FixState::Fixed,
                        vec![v.to_string()],
                    ),
                    _ => continue,
                },
                "open" => {
                    let state = if rel.nodsa_reason.as_deref() == Some("ignored") || urgency == "end-of-life" {
                        FixState::WontFix
                    } else {
                        FixState::NotFixed
                    };
                    (
                        vec![AffectedRange {
                            scheme: Scheme::Dpkg,
                            events: vec![intro()],
                        }],
                        state,
                        Vec::new(),
                    )
                }
                "undetermined" => (
                    vec![AffectedRange {
                        scheme: Scheme::Dpkg,
                        events: vec![intro()],
                    }],
                    FixState::Unknown,
                    Vec::new(),
                ),
                _ => continue,
            };
            if !urgency.is_empty() && urgency != "not yet assigned" {
                let sev = Severity {
                    kind: "vendor".into(),
                    value: urgency,
                    score: None,
                    source: "debian".into(),
                };
                if !severities.contains(&sev) {
                    severities.push(sev);
                }
            }
            affected.push(Affected {
                namespace: ns.to_string(),
                package: package_name.clone(),
                ranges,
                versions: Vec::new(),
                fix_state,
                fixed,
            });
        }
        if affected.is_empty() {
            continue;
        }
        let key = format!("debian-tracker/{package_name}/{id}");
        let summary = super::osv::first_paragraph(cve.description.as_deref().unwrap_or(""));
        out.push((
            key,
            Advisory {
                id,
                aliases: Vec::new(),
                summary,
                severities,
                cwes: Vec::new(),
                published: None,
                modified: None,
                withdrawn: None,
                references: Vec::new(),
                affected,
                source: "debian-tracker".into(),
            },
        ));
    }
}

struct Top<'a, 'b> {
    sink: &'a mut Sink<'b>,
    sink_error: Option<FeedError>,
}

impl<'de> Visitor<'de> for &mut Top<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map of source packages")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(pkg) = map.next_key::<String>()? {
            let cves: BTreeMap<String, Cve> = map.next_value()?;
            let mut advisories = Vec::new();
            package_advisories(&pkg, cves, &mut advisories);
            for (key, advisory) in advisories {
                if let Err(e) = (self.sink)(Item::Advisory { key, advisory }) {
                    self.sink_error = Some(e);
                    return Err(serde::de::Error::custom("aborted"));
                }
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &mut Top<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

/// Reads the tracker JSON (plain or `.gz`).
pub fn read_file(path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
    let reader = open_maybe_gz(path)?;
    let mut de = serde_json::Deserializer::from_reader(reader);
    let mut top = Top { sink, sink_error: None };
    let res = (&mut top).deserialize(&mut de);
    if let Some(e) = top.sink_error {
        return Err(e);
    }
    res.map_err(|e| FeedError::file(path, format!("not Debian security tracker JSON: {e}")))?;
    de.end().map_err(|e| FeedError::file(path, e))
}
