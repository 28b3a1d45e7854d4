//! EPSS scores CSV (`epss_scores-current.csv[.gz]`): a `#model_version:…,score_date:…`
//! comment line, then `cve,epss,percentile` rows.

use super::{open_maybe_gz, EnrichmentUpdate, FeedError, Item, Sink};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// Reads an EPSS CSV (plain or gzip); returns the `score_date` of the comment line.
pub fn read_file(path: &Path, sink: &mut Sink<'_>) -> Result<Option<String>, FeedError> {
    let reader = BufReader::new(open_maybe_gz(path)?);
    let mut score_date = None;
    let mut header_seen = false;
    for (n, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| FeedError::file(path, e))?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            for kv in comment.split(',') {
                if let Some(d) = kv.trim().strip_prefix("score_date:") {
                    score_date = Some(d.to_string());
                }
            }
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header_seen {
            header_seen = true;
            if cols.first() == Some(&"cve") {
                if cols.get(1) != Some(&"epss") || cols.get(2) != Some(&"percentile") {
                    return Err(FeedError::file(path, format!("unexpected EPSS header {line:?}")));
                }
                continue;
            }
        }
        let rec = format!("line {}", n + 1);
        let parsed = match cols.as_slice() {
            [cve, score, pct, ..] => match (score.parse::<f32>(), pct.parse::<f32>()) {
                (Ok(s), Ok(p)) if cve.starts_with("CVE-") && (0.0..=1.0).contains(&s) && (0.0..=1.0).contains(&p) => {
                    Ok((cve.to_string(), s, p))
                }
                _ => Err(format!("bad EPSS row {line:?}")),
            },
            _ => Err(format!("bad EPSS row {line:?}")),
        };
        match parsed {
            Ok((cve, s, p)) => sink(Item::Enrichment(EnrichmentUpdate {
                cve,
                epss: Some((s, p)),
                ..Default::default()
            }))?,
            Err(reason) => sink(Item::Skipped(FeedError::record(path, rec, reason)))?,
        }
    }
    if !header_seen {
        return Err(FeedError::file(path, "empty EPSS file"));
    }
    Ok(score_date)
}
