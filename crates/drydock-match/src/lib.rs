//! Matching: every package of an SBOM against the vulnerability database.
//!
//! For each package, [`key::lookup_key`] gives the namespace, name(s) and version the
//! database is keyed by (distro packages by their source package, language packages by
//! ecosystem and normalised name). Every advisory entry found is evaluated with
//! [`drydock_version`]: the explicit version list, then the ranges; withdrawn advisories are
//! skipped, a version that does not parse is a warning (never a string comparison), and an
//! entry whose fix state is `not-affected` is not a finding (it suppresses the same
//! vulnerability from other records of that package). Matches on one package whose ids or
//! aliases overlap are merged into one [`Finding`], named by its primary id: for OS packages
//! the CVE when there is one, for language packages the GHSA when there is one, then the CVE,
//! then the advisory's own id (the smallest, when several). A language package owned by an OS
//! package (ownership-by-files) that reports the same vulnerability is suppressed; then VEX
//! statements and ignore rules are applied, each suppression recorded with its reason.
//!
//! Packages with no ecosystem or distro key (classified binaries, unknown ecosystems, OS
//! packages when the SBOM names no distro) are not matched, unless
//! [`MatchOptions::cpe_fallback`] is set: then their CPEs are matched against NVD's CPE
//! criteria (see [`cpe`]), and those findings are labelled [`MatchedBy::Cpe`]. A package
//! with an ecosystem key is never CPE-matched.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

pub mod cpe;
pub mod ignore;
pub mod key;
pub mod severity;
pub mod source;
pub mod vex;

pub use ignore::{glob_match, parse_config, IgnoreEntry, IgnoreRule, MatchConfig, MatchSection};
pub use key::{lookup_key, LookupKey, NameKind};
pub use severity::SeverityLevel;
pub use source::{AdvisorySource, MemorySource};
pub use vex::{parse_vex, VexProduct, VexStatement, VexStatus};

use drydock_sbom::{Location, Package, PackageType, Purl, RelationshipKind, Sbom};
use drydock_version::{Event, Scheme, VersionError};
use drydock_vulndb::{Advisory, Affected, Db, DbError, Enrichment, FixState, Severity};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

/// Version of the native vulnerability report schema; bumped on any incompatible change.
pub const REPORT_SCHEMA: &str = "https://drydock.dev/schema/vulnerabilities/1.0";

/// Errors of matching.
#[derive(Debug, thiserror::Error)]
pub enum MatchError {
    /// The database could not answer.
    #[error(transparent)]
    Db(#[from] DbError),
    /// A configuration file is invalid.
    #[error("configuration {origin}: {reason}")]
    Config {
        /// The file.
        origin: String,
        /// What is wrong, naming the rule.
        reason: String,
    },
    /// A VEX document is invalid.
    #[error("VEX document {origin}: {reason}")]
    Vex {
        /// The file.
        origin: String,
        /// What is wrong, naming the statement.
        reason: String,
    },
}

/// How to match.
#[derive(Debug, Clone, Default)]
pub struct MatchOptions {
    /// Ignore rules (see [`ignore`]).
    pub ignore: Vec<IgnoreRule>,
    /// VEX statements (see [`vex`]).
    pub vex: Vec<VexStatement>,
    /// Report only findings with a fixed version.
    pub only_fixed: bool,
    /// Today's date (`YYYY-MM-DD`) for ignore-rule expiry; `None` = the system clock.
    pub today: Option<String>,
    /// Match packages that have no ecosystem data by their CPEs against NVD's criteria
    /// (less precise; findings are labelled [`MatchedBy::Cpe`]). Off by default.
    pub cpe_fallback: bool,
}

/// What a package is, in a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageRef {
    /// The SBOM's package id (the CycloneDX bom-ref).
    pub id: String,
    /// Name as catalogued.
    pub name: String,
    /// Version as catalogued.
    pub version: String,
    /// Package type.
    #[serde(rename = "type")]
    pub package_type: PackageType,
    /// Package URL.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub purl: String,
    /// Where it was found.
    pub locations: Vec<Location>,
    /// Distro source package name, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Distro source package version, when it differs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
}

impl PackageRef {
    fn of(p: &Package) -> Self {
        PackageRef {
            id: p.id.clone(),
            name: p.name.clone(),
            version: p.version.clone(),
            package_type: p.package_type,
            purl: p.purl.clone(),
            locations: p.locations.clone(),
            source_name: p.source_name.clone(),
            source_version: p.source_version.clone(),
        }
    }
}

/// How an advisory entry matched the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Matched {
    /// The version is in this range.
    Range {
        /// The range's events, as the advisory gives them.
        events: Vec<Event>,
    },
    /// The version is in the advisory's explicit list (this entry of it).
    Version {
        /// The listed version equal to the package's.
        listed: String,
    },
    /// The advisory names the package with no range or list and a not-fixed / wont-fix
    /// state: every version is affected.
    AllVersions,
    /// NVD CPE criteria matched one of the package's CPEs (the opt-in CPE fallback).
    Cpe {
        /// The CPE 2.3 criteria string.
        criteria: String,
        /// `versionStartIncluding`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start_including: Option<String>,
        /// `versionStartExcluding`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start_excluding: Option<String>,
        /// `versionEndIncluding`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end_including: Option<String>,
        /// `versionEndExcluding`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        end_excluding: Option<String>,
    },
}

/// How a finding was found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    /// Ecosystem or distro advisory data keyed by the package's name (precise).
    #[default]
    Ecosystem,
    /// NVD CPE criteria, for a package with no ecosystem data (opt-in, less precise).
    Cpe,
}

impl MatchedBy {
    /// `ecosystem` or `cpe`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatchedBy::Ecosystem => "ecosystem",
            MatchedBy::Cpe => "cpe",
        }
    }
}

/// One advisory record's part in a finding: why it matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// The record's id.
    pub advisory: String,
    /// The record's aliases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Where the record came from (`osv:PyPI`, …).
    pub source: String,
    /// The namespace looked up.
    pub namespace: String,
    /// The package name looked up.
    pub package: String,
    /// Which of the package's names that was.
    pub name_kind: NameKind,
    /// The version compared.
    pub version: String,
    /// The version scheme used.
    pub scheme: Scheme,
    /// What matched.
    pub matched: Matched,
    /// Fixed version(s) relevant to this version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed: Vec<String>,
    /// The record's fix state for this package.
    pub fix_state: FixState,
}

/// EPSS score and percentile.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Epss {
    /// Probability of exploitation in the next 30 days (0–1).
    pub score: f32,
    /// Percentile among all scored CVEs (0–1).
    pub percentile: f32,
}

/// A VEX statement's mark on a finding that stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexNote {
    /// The status given.
    pub status: VexStatus,
    /// Justification, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Detail or impact statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The VEX file.
    pub origin: String,
}

/// One vulnerability in one package.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Primary vulnerability id.
    pub id: String,
    /// Every other id of the vulnerability (advisory ids and aliases), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// Highest of the ratings.
    pub severity: SeverityLevel,
    /// Every rating considered (advisories' and NVD's), highest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ratings: Vec<Severity>,
    /// The affected package.
    pub package: PackageRef,
    /// `ecosystem`, or `cpe` for the less precise opt-in CPE fallback.
    #[serde(default)]
    pub matched_by: MatchedBy,
    /// The namespace looked up (`cpe` for the CPE fallback).
    pub namespace: String,
    /// The package name looked up (source package, PEP 503 name, `group:artifact`, …).
    pub lookup_name: String,
    /// The version compared.
    pub lookup_version: String,
    /// The version scheme.
    pub scheme: Scheme,
    /// `fixed` when a fixed version exists for this version, else the records' state.
    pub fix_state: FixState,
    /// Versions that fix it, lowest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    /// The records that matched, and how.
    pub evidence: Vec<Evidence>,
    /// CWE ids.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cwes: Vec<String>,
    /// Earliest publication date of the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    /// Reference URLs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    /// CISA KEV: date added to the catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev_date_added: Option<String>,
    /// EPSS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<Epss>,
    /// A VEX status that kept the finding (affected, fixed, under investigation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vex: Option<VexNote>,
}

impl Finding {
    /// The id and every alias.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// Why a finding is not reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Suppression {
    /// An advisory record says the package is not affected.
    VendorNotAffected {
        /// That record.
        advisory: String,
    },
    /// An OS package that installed this package's files reports the same vulnerability.
    OwnedBy {
        /// The OS package's id.
        package_id: String,
        /// Its name.
        package_name: String,
    },
    /// A VEX statement says not affected.
    Vex {
        /// The justification, if given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        justification: Option<String>,
        /// Impact statement or detail.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
        /// The VEX file.
        origin: String,
    },
    /// An ignore rule.
    Ignored {
        /// The rule's position in the configuration (1-based).
        rule: usize,
        /// The rule's criteria.
        criteria: String,
        /// The rule's reason.
        #[serde(default, skip_serializing_if = "String::is_empty")]
        reason: String,
    },
}

/// A finding that is not reported, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppressed {
    /// The finding.
    pub finding: Finding,
    /// Why.
    pub reason: Suppression,
}

/// The result of matching an SBOM.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchReport {
    /// Reported findings, sorted by severity (highest first), package name, id.
    pub findings: Vec<Finding>,
    /// Findings not reported, with the reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed: Vec<Suppressed>,
    /// Findings hidden by `only_fixed`.
    #[serde(default)]
    pub hidden_not_fixed: usize,
    /// Packages in the SBOM.
    pub packages_total: usize,
    /// Packages looked up (those with an ecosystem or distro namespace).
    pub packages_looked_up: usize,
    /// Packages with no ecosystem data looked up by CPE (only with the CPE fallback).
    #[serde(default)]
    pub packages_cpe_looked_up: usize,
    /// Versions that did not parse, bad records, packages that could not be looked up, and
    /// one line per coverage gap.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Namespaces (distro releases, language ecosystems) the image has packages in but the
    /// database has no advisories for: those packages were not checked at all.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unavailable: Vec<CoverageGap>,
}

/// A namespace the database has no advisories for, and how many packages that left unchecked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageGap {
    /// The namespace looked up (`debian:12`, `alpine:3.20`, `pypi`, …).
    pub namespace: String,
    /// Packages of the image in that namespace.
    pub packages: usize,
    /// True for a distro namespace (OS packages), false for a language ecosystem.
    pub os: bool,
}

impl MatchReport {
    /// The highest severity among the reported findings.
    pub fn highest_severity(&self) -> Option<SeverityLevel> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// True when a reported finding is at or above `threshold`.
    pub fn fails(&self, threshold: SeverityLevel) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }
}

/// Matches an SBOM against the on-disk database.
pub fn match_sbom(sbom: &Sbom, db: &Db, opts: &MatchOptions) -> Result<MatchReport, MatchError> {
    match_with(sbom, db, opts)
}

/// One record that matched one package.
struct Hit {
    advisory: Arc<Advisory>,
    evidence: Evidence,
}

/// Matches an SBOM against any advisory source.
pub fn match_with(sbom: &Sbom, source: &dyn AdvisorySource, opts: &MatchOptions) -> Result<MatchReport, MatchError> {
    let mut report = MatchReport {
        packages_total: sbom.packages.len(),
        ..Default::default()
    };
    let mut warned: HashSet<String> = HashSet::new();
    let mut enrichment_cache: HashMap<String, Option<Enrichment>> = HashMap::new();
    let mut findings: Vec<Finding> = Vec::new();
    let mut suppressed: Vec<Suppressed> = Vec::new();
    let mut coverage: HashMap<String, bool> = HashMap::new();
    let mut gaps: Vec<CoverageGap> = Vec::new();

    for p in &sbom.packages {
        let key = match lookup_key(p, sbom.distro.as_ref()) {
            Ok(k) => k,
            Err(no_key) => {
                if let key::NoKey::Warn(w) = no_key {
                    if warned.insert(w.clone()) {
                        report.warnings.push(w);
                    }
                }
                if opts.cpe_fallback {
                    if let Some((key, hits)) = cpe::match_package(p, source, &mut report.warnings)? {
                        report.packages_cpe_looked_up += 1;
                        for mut f in merge(p, &key, hits, source, &mut enrichment_cache)? {
                            f.matched_by = MatchedBy::Cpe;
                            findings.push(f);
                        }
                    }
                }
                continue;
            }
        };
        report.packages_looked_up += 1;
        let covered = match coverage.get(&key.namespace) {
            Some(c) => *c,
            None => {
                let c = source.has_namespace(&key.namespace)?;
                coverage.insert(key.namespace.clone(), c);
                c
            }
        };
        if !covered {
            let os = p.package_type.is_os();
            match gaps.iter_mut().find(|g| g.namespace == key.namespace) {
                Some(g) => g.packages += 1,
                None => gaps.push(CoverageGap {
                    namespace: key.namespace.clone(),
                    packages: 1,
                    os,
                }),
            }
            continue;
        }
        let mut hits = Vec::new();
        let mut not_affected: Vec<Arc<Advisory>> = Vec::new();
        let mut bad: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut found_any = false;
        for (name, kind) in &key.names {
            if *kind == NameKind::BinaryFallback && found_any {
                break;
            }
            let candidates = source.lookup(&key.namespace, name)?;
            found_any |= !candidates.is_empty();
            for c in candidates {
                let adv = c.advisory;
                if adv.withdrawn.is_some() {
                    continue;
                }
                let Some(aff) = adv.affected.get(c.affected_index) else {
                    let w = format!(
                        "advisory {}: lookup named affected entry {} of {}",
                        adv.id,
                        c.affected_index,
                        adv.affected.len()
                    );
                    if warned.insert(w.clone()) {
                        report.warnings.push(w);
                    }
                    continue;
                };
                if aff.fix_state == FixState::NotAffected {
                    not_affected.push(Arc::clone(&adv));
                    continue;
                }
                match evaluate(aff, &key.version, key.scheme) {
                    Ok(Some((matched, scheme, fixed))) => {
                        let evidence = Evidence {
                            advisory: adv.id.clone(),
                            aliases: adv.aliases.clone(),
                            source: adv.source.clone(),
                            namespace: key.namespace.clone(),
                            package: name.clone(),
                            name_kind: *kind,
                            version: key.version.clone(),
                            scheme,
                            matched,
                            fixed,
                            fix_state: aff.fix_state,
                        };
                        hits.push(Hit {
                            advisory: adv,
                            evidence,
                        });
                    }
                    Ok(None) => {}
                    Err(e) => bad.entry(e.to_string()).or_default().push(adv.id.clone()),
                }
            }
        }
        for (err, ids) in bad {
            report.warnings.push(format!(
                "{} package {} {} ({}): {err}; not compared with {}",
                p.package_type,
                p.name,
                p.version,
                p.locations.first().map(|l| l.path.as_str()).unwrap_or("?"),
                list_ids(&ids)
            ));
        }
        for f in merge(p, &key, hits, source, &mut enrichment_cache)? {
            let vendor = not_affected.iter().find(|a| {
                std::iter::once(&a.id)
                    .chain(&a.aliases)
                    .any(|id| f.ids().any(|x| x == id))
            });
            match vendor {
                Some(a) => suppressed.push(Suppressed {
                    finding: f,
                    reason: Suppression::VendorNotAffected { advisory: a.id.clone() },
                }),
                None => findings.push(f),
            }
        }
    }

    // Language packages owned by an OS package that reports the same vulnerability.
    let by_id: HashMap<&str, &Package> = sbom.packages.iter().map(|p| (p.id.as_str(), p)).collect();
    let mut owners: HashMap<&str, Vec<&str>> = HashMap::new();
    for r in &sbom.relationships {
        if r.kind == RelationshipKind::OwnershipByFiles {
            let (Some(from), Some(to)) = (by_id.get(r.from.as_str()), by_id.get(r.to.as_str())) else {
                continue;
            };
            if from.package_type.is_os() && !to.package_type.is_os() {
                owners.entry(to.id.as_str()).or_default().push(from.id.as_str());
            }
        }
    }
    if !owners.is_empty() {
        let mut os_ids: HashMap<String, HashSet<String>> = HashMap::new();
        for f in findings.iter().filter(|f| f.package.package_type.is_os()) {
            os_ids
                .entry(f.package.id.clone())
                .or_default()
                .extend(f.ids().map(str::to_string));
        }
        let mut kept = Vec::with_capacity(findings.len());
        for f in findings {
            let owner = owners.get(f.package.id.as_str()).and_then(|os| {
                os.iter()
                    .find(|o| os_ids.get(**o).is_some_and(|ids| f.ids().any(|i| ids.contains(i))))
            });
            match owner {
                Some(o) => {
                    let package_name = by_id.get(o).map(|p| p.name.clone()).unwrap_or_default();
                    suppressed.push(Suppressed {
                        finding: f,
                        reason: Suppression::OwnedBy {
                            package_id: o.to_string(),
                            package_name,
                        },
                    });
                }
                None => kept.push(f),
            }
        }
        findings = kept;
    }

    // VEX.
    if !opts.vex.is_empty() {
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, s) in opts.vex.iter().enumerate() {
            for id in std::iter::once(&s.vulnerability).chain(&s.aliases) {
                index.entry(id.to_ascii_uppercase()).or_default().push(i);
            }
        }
        let mut kept = Vec::with_capacity(findings.len());
        for mut f in findings {
            let subject = vex::Subject {
                package_id: &f.package.id,
                purl: Purl::parse(&f.package.purl),
            };
            let ids: Vec<&str> = f.ids().collect();
            let last = ids
                .iter()
                .filter_map(|id| index.get(&id.to_ascii_uppercase()))
                .flatten()
                .copied()
                .filter(|&i| opts.vex[i].names_any(&ids) && opts.vex[i].names_package(&subject))
                .max();
            drop(ids);
            match last.map(|i| &opts.vex[i]) {
                Some(s) if s.status == VexStatus::NotAffected => suppressed.push(Suppressed {
                    reason: Suppression::Vex {
                        justification: s.justification.clone(),
                        detail: s.detail.clone(),
                        origin: s.origin.clone(),
                    },
                    finding: f,
                }),
                Some(s) => {
                    f.vex = Some(VexNote {
                        status: s.status,
                        justification: s.justification.clone(),
                        detail: s.detail.clone(),
                        origin: s.origin.clone(),
                    });
                    kept.push(f);
                }
                None => kept.push(f),
            }
        }
        findings = kept;
    }

    // Ignore rules.
    if !opts.ignore.is_empty() {
        let today = opts.today.clone().unwrap_or_else(drydock_time::today_utc);
        let mut active = Vec::new();
        for (i, r) in opts.ignore.iter().enumerate() {
            if r.expired(&today) {
                report.warnings.push(format!(
                    "ignore rule {} ({}) expired on {}; not applied",
                    i + 1,
                    r.describe(),
                    r.expires.as_deref().unwrap_or("")
                ));
            } else {
                active.push((i, r));
            }
        }
        let mut kept = Vec::with_capacity(findings.len());
        for f in findings {
            match active.iter().find(|(_, r)| r.matches(&f)) {
                Some((i, r)) => suppressed.push(Suppressed {
                    finding: f,
                    reason: Suppression::Ignored {
                        rule: i + 1,
                        criteria: r.describe(),
                        reason: r.reason.clone(),
                    },
                }),
                None => kept.push(f),
            }
        }
        findings = kept;
    }

    if opts.only_fixed {
        let before = findings.len();
        findings.retain(|f| f.fix_state == FixState::Fixed);
        report.hidden_not_fixed = before - findings.len();
    }

    findings.sort_by(finding_order);
    suppressed.sort_by(|a, b| finding_order(&a.finding, &b.finding));
    report.findings = findings;
    report.suppressed = suppressed;
    if !gaps.is_empty() {
        let built_from = source.built_from();
        let built_from = if built_from.is_empty() {
            String::new()
        } else {
            format!(" (built from {built_from})")
        };
        gaps.sort_by(|a, b| a.namespace.cmp(&b.namespace));
        for g in &gaps {
            report.warnings.push(format!(
                "{} has no advisories in this database{built_from}: {} {} package(s) not checked for \
                 vulnerabilities",
                g.namespace,
                g.packages,
                if g.os { "OS" } else { "language" }
            ));
        }
        report.unavailable = gaps;
    }
    Ok(report)
}

/// Report order: severity (highest first), package name, id, package version, package id.
pub fn finding_order(a: &Finding, b: &Finding) -> Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.package.name.cmp(&b.package.name))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.package.version.cmp(&b.package.version))
        .then_with(|| a.package.id.cmp(&b.package.id))
}

fn list_ids(ids: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut s = ids.iter().take(SHOWN).cloned().collect::<Vec<_>>().join(", ");
    if ids.len() > SHOWN {
        s.push_str(&format!(" and {} more", ids.len() - SHOWN));
    }
    s
}

/// Whether one affected entry covers `version`: the matched range or listed version, the
/// scheme used, and the fixed version(s) relevant to that version. An error when a version
/// that mattered did not parse (and nothing matched otherwise).
pub fn evaluate(
    aff: &Affected,
    version: &str,
    default_scheme: Scheme,
) -> Result<Option<(Matched, Scheme, Vec<String>)>, VersionError> {
    let mut first_err = None;
    for r in &aff.ranges {
        match drydock_version::range_hit(r.scheme, version, &r.events) {
            Ok(Some(hit)) => {
                // The fix of the interval holding the version (not a later branch's).
                let fixed = match hit.closed_by {
                    Some(Event::Fixed(v)) => vec![v],
                    _ => Vec::new(),
                };
                return Ok(Some((
                    Matched::Range {
                        events: r.events.clone(),
                    },
                    r.scheme,
                    fixed,
                )));
            }
            Ok(None) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    let list_scheme = aff.ranges.first().map(|r| r.scheme).unwrap_or(default_scheme);
    if let Some(v) = aff.versions.iter().find(|v| v.as_str() == version) {
        return Ok(Some((
            Matched::Version { listed: v.clone() },
            list_scheme,
            later_fixes(list_scheme, version, &aff.fixed),
        )));
    }
    // Versions equal by the scheme but written differently (`2.0` and `2.0.0` in PEP 440):
    // compared only when there are no ranges (with ranges, the list is OSV's enumeration
    // of them, already covered above, and comparing it all would be slow).
    if aff.ranges.is_empty() && !aff.versions.is_empty() {
        match drydock_version::in_versions(list_scheme, version, &aff.versions) {
            Ok(true) => {
                return Ok(Some((
                    Matched::Version {
                        listed: version.to_string(),
                    },
                    list_scheme,
                    later_fixes(list_scheme, version, &aff.fixed),
                )))
            }
            Ok(false) => {}
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    if aff.ranges.is_empty()
        && aff.versions.is_empty()
        && matches!(aff.fix_state, FixState::NotFixed | FixState::WontFix)
    {
        return Ok(Some((Matched::AllVersions, default_scheme, Vec::new())));
    }
    match first_err {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// Fixed versions above `version` (all of them when they cannot be compared).
fn later_fixes(scheme: Scheme, version: &str, fixed: &[String]) -> Vec<String> {
    fixed
        .iter()
        .filter(|f| drydock_version::compare(scheme, f, version).map_or(true, |o| o == Ordering::Greater))
        .cloned()
        .collect()
}

/// Merges one package's hits into findings: records whose ids overlap are one finding.
fn merge(
    p: &Package,
    key: &LookupKey,
    hits: Vec<Hit>,
    source: &dyn AdvisorySource,
    cache: &mut HashMap<String, Option<Enrichment>>,
) -> Result<Vec<Finding>, MatchError> {
    if hits.is_empty() {
        return Ok(Vec::new());
    }
    // Union-find over hits, joined by any shared id.
    let mut parent: Vec<usize> = (0..hits.len()).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let mut owner_of: HashMap<&str, usize> = HashMap::new();
    for (i, h) in hits.iter().enumerate() {
        for id in std::iter::once(&h.advisory.id).chain(&h.advisory.aliases) {
            match owner_of.get(id.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a.max(b)] = a.min(b);
                    }
                }
                None => {
                    owner_of.insert(id.as_str(), i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<&Hit>> = BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        let root = find(&mut parent, i);
        groups.entry(root).or_default().push(h);
    }
    let mut out = Vec::with_capacity(groups.len());
    for group in groups.into_values() {
        out.push(finding(p, key, &group, source, cache)?);
    }
    Ok(out)
}

/// The primary id of a set of ids: OS packages the CVE, language packages the GHSA then the
/// CVE, else the smallest of the records' own ids.
fn primary_id(os: bool, ids: &BTreeSet<String>, record_ids: &BTreeSet<&str>) -> String {
    let first = |prefix: &str| ids.iter().find(|i| i.starts_with(prefix)).cloned();
    let preferred = if os {
        first("CVE-")
    } else {
        first("GHSA-").or_else(|| first("CVE-"))
    };
    preferred
        .or_else(|| record_ids.iter().next().map(|s| s.to_string()))
        .unwrap_or_default()
}

fn finding(
    p: &Package,
    key: &LookupKey,
    group: &[&Hit],
    source: &dyn AdvisorySource,
    cache: &mut HashMap<String, Option<Enrichment>>,
) -> Result<Finding, MatchError> {
    let mut ids = BTreeSet::new();
    let mut record_ids = BTreeSet::new();
    for h in group {
        ids.insert(h.advisory.id.clone());
        ids.extend(h.advisory.aliases.iter().cloned());
        record_ids.insert(h.advisory.id.as_str());
    }
    let id = primary_id(p.package_type.is_os(), &ids, &record_ids);
    let aliases: Vec<String> = ids.iter().filter(|i| **i != id).cloned().collect();

    // Summary: the record named by the primary id, else the first with one.
    let summary = group
        .iter()
        .filter(|h| h.advisory.id == id || h.advisory.aliases.contains(&id))
        .chain(group.iter())
        .map(|h| h.advisory.summary.trim())
        .find(|s| !s.is_empty())
        .unwrap_or("")
        .to_string();

    let mut ratings: Vec<Severity> = Vec::new();
    for h in group {
        for s in &h.advisory.severities {
            if !ratings.contains(s) {
                ratings.push(s.clone());
            }
        }
    }
    let mut kev_date_added = None;
    let mut epss: Option<Epss> = None;
    for cve in ids.iter().filter(|i| i.starts_with("CVE-")) {
        let e = match cache.get(cve) {
            Some(e) => e.clone(),
            None => {
                let e = source.enrichment(cve)?;
                cache.insert(cve.clone(), e.clone());
                e
            }
        };
        let Some(e) = e else { continue };
        for s in e.nvd {
            if !ratings.contains(&s) {
                ratings.push(s);
            }
        }
        if kev_date_added.is_none() {
            kev_date_added = e.kev_date_added;
        }
        if let Some((score, percentile)) = e.epss {
            if epss.is_none_or(|x| score > x.score) {
                epss = Some(Epss { score, percentile });
            }
        }
    }
    let severity = SeverityLevel::highest(&ratings);
    ratings.sort_by(|a, b| {
        SeverityLevel::of(b)
            .cmp(&SeverityLevel::of(a))
            .then_with(|| b.score.partial_cmp(&a.score).unwrap_or(Ordering::Equal))
    });

    let scheme = group[0].evidence.scheme;
    let mut fixed_versions: Vec<String> = Vec::new();
    for h in group {
        for f in &h.evidence.fixed {
            if !fixed_versions.contains(f) {
                fixed_versions.push(f.clone());
            }
        }
    }
    fixed_versions.sort_by(|a, b| drydock_version::compare(scheme, a, b).unwrap_or_else(|_| a.cmp(b)));
    let states: Vec<FixState> = group.iter().map(|h| h.evidence.fix_state).collect();
    let fix_state = if !fixed_versions.is_empty() {
        FixState::Fixed
    } else if states.contains(&FixState::WontFix) {
        FixState::WontFix
    } else if states.contains(&FixState::NotFixed) {
        FixState::NotFixed
    } else {
        FixState::Unknown
    };

    let mut cwes = BTreeSet::new();
    let mut references = Vec::new();
    let mut published: Option<String> = None;
    for h in group {
        cwes.extend(h.advisory.cwes.iter().cloned());
        for r in &h.advisory.references {
            if !references.contains(r) {
                references.push(r.clone());
            }
        }
        if let Some(d) = &h.advisory.published {
            if published.as_ref().is_none_or(|p| d < p) {
                published = Some(d.clone());
            }
        }
    }
    let mut evidence: Vec<Evidence> = group.iter().map(|h| h.evidence.clone()).collect();
    evidence.sort_by(|a, b| a.advisory.cmp(&b.advisory));

    Ok(Finding {
        id,
        aliases,
        summary,
        severity,
        ratings,
        package: PackageRef::of(p),
        matched_by: MatchedBy::Ecosystem,
        namespace: key.namespace.clone(),
        lookup_name: group[0].evidence.package.clone(),
        lookup_version: key.version.clone(),
        scheme,
        fix_state,
        fixed_versions,
        evidence,
        cwes: cwes.into_iter().collect(),
        published,
        references,
        kev_date_added,
        epss,
        vex: None,
    })
}
