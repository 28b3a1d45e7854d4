//! CISA Known Exploited Vulnerabilities catalogue JSON
//! (`known_exploited_vulnerabilities.json`: `{"vulnerabilities": [{"cveID", "dateAdded"…}]}`).

use super::{read_limited, EnrichmentUpdate, FeedError, Item, Sink, MAX_FEED_BYTES};
use serde::Deserialize;
use std::path::Path;

#[derive(Deserialize)]
struct Catalog {
    vulnerabilities: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    #[serde(rename = "cveID")]
    cve_id: String,
    #[serde(rename = "dateAdded", default)]
    date_added: Option<String>,
}

/// Reads the KEV catalogue; one enrichment item per CVE.
pub fn read_file(path: &Path, sink: &mut Sink<'_>) -> Result<(), FeedError> {
    let bytes = read_limited(path, MAX_FEED_BYTES)?;
    let cat: Catalog =
        serde_json::from_slice(&bytes).map_err(|e| FeedError::file(path, format!("not a CISA KEV catalogue: {e}")))?;
    for e in cat.vulnerabilities {
        let cve = e.cve_id.trim().to_string();
        if !cve.starts_with("CVE-") {
            sink(Item::Skipped(FeedError::record(path, &cve, "not a CVE id")))?;
            continue;
        }
        sink(Item::Enrichment(EnrichmentUpdate {
            cve,
            kev_date_added: Some(e.date_added.unwrap_or_default()),
            ..Default::default()
        }))?;
    }
    Ok(())
}
