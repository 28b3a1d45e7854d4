//! NVD CVE API 2.0 JSON (one API response page, or a yearly `nvdcve-2.0-YYYY.json[.gz]`
//! feed of the same shape): `{"vulnerabilities": [{"cve": {"id", "lastModified",
//! "metrics": {"cvssMetricV31": [{"source", "type", "cvssData": {"vectorString",
//! "baseScore"}}], "cvssMetricV30", "cvssMetricV2", "cvssMetricV40"}, "configurations":
//! [{"nodes": [{"cpeMatch": [{"vulnerable", "criteria", "versionStartIncluding", …}]}]}]}}]}`.
//! Used for enrichment (CVSS ratings) and, for the opt-in CPE fallback of the matcher, the
//! `cpeMatch` entries marked vulnerable (criteria and version bounds).

use super::{cvss_severity, open_maybe_gz, EnrichmentUpdate, FeedError, Item, Sink};
use crate::cpe::{Cpe, CpeCandidate, MAX_CPE_LEN};
use crate::model::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Deserialize)]
struct Page {
    vulnerabilities: Vec<Wrap>,
}

#[derive(Deserialize)]
struct Wrap {
    cve: Cve,
}

#[derive(Deserialize)]
struct Cve {
    id: String,
    #[serde(rename = "lastModified", default)]
    last_modified: Option<String>,
    #[serde(default)]
    metrics: BTreeMap<String, Vec<Metric>>,
    #[serde(default)]
    configurations: Vec<Configuration>,
}

#[derive(Deserialize)]
struct Configuration {
    #[serde(default)]
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    #[serde(rename = "cpeMatch", default)]
    cpe_match: Vec<CpeMatch>,
}

#[derive(Deserialize)]
struct CpeMatch {
    #[serde(default)]
    vulnerable: bool,
    #[serde(default)]
    criteria: String,
    #[serde(rename = "versionStartIncluding", default)]
    start_including: Option<String>,
    #[serde(rename = "versionStartExcluding", default)]
    start_excluding: Option<String>,
    #[serde(rename = "versionEndIncluding", default)]
    end_including: Option<String>,
    #[serde(rename = "versionEndExcluding", default)]
    end_excluding: Option<String>,
}

/// Most `cpeMatch` entries kept per CVE (a few CVEs list thousands of hardware models).
const MAX_CPE_MATCHES: usize = 10_000;

/// The vulnerable entries of a CVE's configurations, deduplicated; malformed criteria are
/// counted in `bad`.
fn cpe_matches(cve: &str, configurations: Vec<Configuration>, bad: &mut usize) -> Vec<CpeCandidate> {
    let bound = |b: Option<String>| {
        b.map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty() && s.len() <= MAX_CPE_LEN)
    };
    let mut out: Vec<CpeCandidate> = Vec::new();
    for m in configurations
        .into_iter()
        .flat_map(|c| c.nodes)
        .flat_map(|n| n.cpe_match)
        .filter(|m| m.vulnerable)
    {
        if Cpe::parse(&m.criteria).is_none() {
            *bad += 1;
            continue;
        }
        let c = CpeCandidate {
            cve: cve.to_string(),
            criteria: m.criteria.trim().to_string(),
            start_including: bound(m.start_including),
            start_excluding: bound(m.start_excluding),
            end_including: bound(m.end_including),
            end_excluding: bound(m.end_excluding),
        };
        if out.len() < MAX_CPE_MATCHES && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

#[derive(Deserialize)]
struct Metric {
    #[serde(default)]
    source: String,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(rename = "cvssData")]
    data: CvssData,
}

#[derive(Deserialize)]
struct CvssData {
    #[serde(rename = "vectorString", default)]
    vector: String,
    #[serde(rename = "baseScore", default)]
    base_score: Option<f32>,
}

/// Reads one NVD JSON file; returns the newest `lastModified` in it.
pub fn read_file(path: &Path, sink: &mut Sink<'_>) -> Result<Option<String>, FeedError> {
    let reader = open_maybe_gz(path)?;
    let page: Page =
        serde_json::from_reader(reader).map_err(|e| FeedError::file(path, format!("not NVD CVE API 2.0 JSON: {e}")))?;
    let mut newest = None;
    for w in page.vulnerabilities {
        let cve = w.cve;
        newest = super::newer(newest, cve.last_modified.as_deref());
        let mut sevs: Vec<Severity> = Vec::new();
        for (key, metrics) in &cve.metrics {
            if !key.starts_with("cvssMetric") {
                continue;
            }
            // Primary (NVD's own) ratings first.
            let mut ms: Vec<&Metric> = metrics.iter().collect();
            ms.sort_by_key(|m| m.kind != "Primary");
            for m in ms {
                if m.data.vector.is_empty() {
                    continue;
                }
                let mut sev = cvss_severity(&m.data.vector, &m.source);
                if sev.score.is_none() {
                    sev.score = m.data.base_score;
                }
                if key == "cvssMetricV2" {
                    sev.kind = "CVSS_V2".into();
                }
                sevs.push(sev);
            }
        }
        let mut bad = 0;
        let cpes = cpe_matches(&cve.id, cve.configurations, &mut bad);
        if bad > 0 {
            sink(Item::Skipped(FeedError::record(
                path,
                &cve.id,
                format!("{bad} cpeMatch criteria that are not CPE 2.3 strings were skipped"),
            )))?;
        }
        sink(Item::Enrichment(EnrichmentUpdate {
            cve: cve.id,
            nvd: Some(sevs),
            cpe_matches: Some(cpes),
            ..Default::default()
        }))?;
    }
    Ok(newest)
}
