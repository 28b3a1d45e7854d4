//! Stored analyses: the documents, their revisions, and the per-image vulnerability state
//! the watchers compare.

use crate::index::{self, IndexedFinding};
use crate::sql::one;
use crate::{new_id, now, Store, StoreError};

impl Store {
    /// The number of analyses stored for the account's images of a digest (0 or 1: one
    /// image per digest, one analysis per image).
    pub fn analyses_of_digest(&self, account: &str, digest: &str) -> Result<i64, StoreError> {
        self.rx(|tx| {
            one(
                tx,
                "SELECT COUNT(*) FROM analyses a JOIN images i ON i.id = a.image_id WHERE i.account = $1 AND i.digest = $2",
                &[account.into(), digest.into()],
            )?
            .map_or(Ok(0), |r| r[0].int("COUNT(*)"))
        })
    }

    /// The number of analyses stored for an image (0 or 1: a result is stored once).
    pub fn analyses_stored(&self, image_id: &str) -> Result<i64, StoreError> {
        self.rx(|tx| {
            one(
                tx,
                "SELECT COUNT(*) FROM analyses WHERE image_id = $1",
                &[image_id.into()],
            )?
            .map_or(Ok(0), |r| r[0].int("COUNT(*)"))
        })
    }

    /// The stored analysis document (JSON) of an image and the job that stored it.
    pub fn analysis(&self, account: &str, image_id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT document, job_id FROM analyses WHERE account = $1 AND image_id = $2",
                &[account.into(), image_id.into()],
            )?
            .map(|r| (r[0].str(), r[1].str())))
        })
    }

    /// The revision of an image's stored analysis (it changes whenever the document does)
    /// and the document unless its revision is `known` — so callers can keep parsed
    /// documents and skip reading unchanged ones. `None` when not analysed.
    pub fn analysis_revision(
        &self,
        account: &str,
        image_id: &str,
        known: Option<&str>,
    ) -> Result<Option<(String, Option<String>)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT revision, CASE WHEN revision = $3 THEN NULL ELSE document END FROM analyses \
                 WHERE account = $1 AND image_id = $2",
                &[account.into(), image_id.into(), known.unwrap_or("-").into()],
            )?
            .map(|r| (r[0].str(), r[1].text().map(str::to_string))))
        })
    }

    /// The last known vulnerability ids (JSON array) and final action of an image.
    pub fn image_state(&self, image_id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT vulnerabilities, final_action FROM image_state WHERE image_id = $1",
                &[image_id.into()],
            )?
            .map(|r| (r[0].str(), r[1].str())))
        })
    }

    /// Stores the state an image was judged in (vulnerability ids as a JSON array, final
    /// action, finding counts by severity as a JSON object), and optionally a re-matched
    /// analysis with its findings for the query index (same transaction).
    pub fn set_image_state(
        &self,
        image_id: &str,
        vulnerabilities: &str,
        final_action: &str,
        severities: &str,
        rematched: Option<(&str, &[IndexedFinding])>,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            let t = now();
            tx.execute("DELETE FROM image_state WHERE image_id = $1", &[image_id.into()])?;
            tx.execute(
                "INSERT INTO image_state (image_id, vulnerabilities, final_action, updated_at, severities) \
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    image_id.into(),
                    vulnerabilities.into(),
                    final_action.into(),
                    t.into(),
                    severities.into(),
                ],
            )?;
            if let Some((doc, findings)) = rematched {
                tx.execute(
                    "UPDATE analyses SET document = $1, stored_at = $2, revision = $3 WHERE image_id = $4",
                    &[doc.into(), t.into(), new_id().into(), image_id.into()],
                )?;
                // The packages did not change; an analysis not indexed yet is left to the backfill.
                if let Some(r) = one(
                    tx,
                    "SELECT account FROM analyses WHERE image_id = $1 AND indexed = 1",
                    &[image_id.into()],
                )? {
                    index::write_findings(tx, &r[0].str(), image_id, findings)?;
                }
            }
            Ok(())
        })
    }

    /// Findings by severity summed over every judged image (for metrics).
    pub fn severity_totals(&self) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
        self.rx(|tx| {
            let mut out = std::collections::BTreeMap::new();
            for r in tx.query("SELECT severities FROM image_state", &[])? {
                if let Ok(m) = serde_json::from_str::<std::collections::BTreeMap<String, i64>>(&r[0].str()) {
                    for (k, v) in m {
                        *out.entry(k).or_insert(0) += v;
                    }
                }
            }
            Ok(out)
        })
    }

    /// Stored analyses after `after` (image id order), at most `limit`: (image id,
    /// account, document). Walk all of them page by page.
    pub fn analyses_page(&self, after: &str, limit: i64) -> Result<Vec<(String, String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query(
                    "SELECT image_id, account, document FROM analyses WHERE image_id > $1 ORDER BY image_id LIMIT $2",
                    &[after.into(), limit.into()],
                )?
                .into_iter()
                .map(|r| (r[0].str(), r[1].str(), r[2].str()))
                .collect())
        })
    }

    /// Stored analyses that have no recorded judgement yet: (image id, account, document).
    pub fn analyses_without_state(&self, limit: i64) -> Result<Vec<(String, String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query(
                    "SELECT a.image_id, a.account, a.document FROM analyses a \
                     WHERE NOT EXISTS (SELECT 1 FROM image_state s WHERE s.image_id = a.image_id) \
                     ORDER BY a.image_id LIMIT $1",
                    &[limit.into()],
                )?
                .into_iter()
                .map(|r| (r[0].str(), r[1].str(), r[2].str()))
                .collect())
        })
    }
}
