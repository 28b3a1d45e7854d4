//! Normalised advisories, as stored in the database and handed to the matcher.

use drydock_version::{Event, Scheme};
use serde::{Deserialize, Serialize};

/// Whether and how a vulnerability is fixed for one package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FixState {
    /// A fixed version exists.
    Fixed,
    /// Affected, no fix released (yet).
    NotFixed,
    /// Affected; the vendor will not fix it.
    WontFix,
    /// The vendor says this package is not affected.
    NotAffected,
    /// Unknown.
    Unknown,
}

/// A severity rating from one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Severity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, or `vendor`.
    pub kind: String,
    /// The CVSS vector, or the vendor's word (`HIGH`, `moderate`…).
    pub value: String,
    /// Base score computed from the vector, when it is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// Who rated it (`nvd`, `ghsa`, `debian`…).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source: String,
}

/// One range of affected versions in one scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedRange {
    /// The version scheme the events are ordered by.
    pub scheme: Scheme,
    /// OSV events (`introduced`, `fixed`, `last_affected`, `limit`), in feed order.
    pub events: Vec<Event>,
}

/// What one advisory says about one package in one namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// Ecosystem or distro namespace, normalised: `pypi`, `npm`, `maven`, `go`,
    /// `crates.io`, `rubygems`, `packagist`, `nuget`, `debian:12`, `ubuntu:22.04`,
    /// `alpine:3.20`, `rhel:9`, …
    pub namespace: String,
    /// Package name, normalised for the ecosystem (PEP 503 for PyPI, `group:artifact`
    /// for Maven, module path for Go, source package for distros, `stdlib` for Go's
    /// standard library).
    pub package: String,
    /// Affected version ranges (GIT ranges are not kept).
    #[serde(default)]
    pub ranges: Vec<AffectedRange>,
    /// Explicitly listed affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Whether and how it is fixed for this package.
    pub fix_state: FixState,
    /// Fixed versions named by the ranges, lowest first.
    #[serde(default)]
    pub fixed: Vec<String>,
}

/// A normalised advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// Primary id (`GHSA-…`, `GO-…`, `CVE-…`, `RUSTSEC-…`, `DSA-…`).
    pub id: String,
    /// Other ids of the same vulnerability (CVE, GHSA…; for distro records the
    /// upstream CVE they track).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// One-line summary (or the first paragraph of the details).
    #[serde(default)]
    pub summary: String,
    /// Severity ratings (CVSS vectors with computed scores, vendor words).
    #[serde(default)]
    pub severities: Vec<Severity>,
    /// CWE ids (`CWE-79`).
    #[serde(default)]
    pub cwes: Vec<String>,
    /// Publication date (RFC 3339 or `YYYY-MM-DD`, as the feed gives it).
    #[serde(default)]
    pub published: Option<String>,
    /// Last modification date.
    #[serde(default)]
    pub modified: Option<String>,
    /// Withdrawal date: a withdrawn advisory is kept but must not be reported.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Reference URLs.
    #[serde(default)]
    pub references: Vec<String>,
    /// Statements per (namespace, package).
    pub affected: Vec<Affected>,
    /// The source it came from (`osv:PyPI`, `alpine-secdb`, `rustsec`, …).
    pub source: String,
}

/// Data about a CVE from enrichment feeds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Enrichment {
    /// CISA KEV: date the CVE was added to the catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kev_date_added: Option<String>,
    /// EPSS score (probability 0–1) and percentile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<(f32, f32)>,
    /// NVD CVSS ratings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nvd: Vec<Severity>,
}
