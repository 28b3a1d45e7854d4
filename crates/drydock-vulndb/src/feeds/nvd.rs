//! NVD CVE API 2.0 JSON (one API response page, or a yearly `nvdcve-2.0-YYYY.json[.gz]`
//! feed of the same shape): `{"vulnerabilities": [{"cve": {"id", "lastModified",
//! "metrics": {"cvssMetricV31": [{"source", "type", "cvssData": {"vectorString",
//! "baseScore"}}], "cvssMetricV30", "cvssMetricV2", "cvssMetricV40"}}}]}`. Used for
//! enrichment only (CVSS ratings).

use super::{cvss_severity, open_maybe_gz, EnrichmentUpdate, FeedError, Item, Sink};
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
        sink(Item::Enrichment(EnrichmentUpdate {
            cve: cve.id,
            nvd: Some(sevs),
            ..Default::default()
        }))?;
    }
    Ok(newest)
}
