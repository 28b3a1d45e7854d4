//! What the web UI's dashboard and lists read: every image's last judged state, the most
//! widespread findings of an account, and the daily snapshots its history chart is drawn from.

use crate::sql::{one, Row};
use crate::{Store, StoreError};

/// An image with its last judged state (none before its first analysis).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageState {
    /// The image's id.
    pub image_id: String,
    /// Registry host[:port].
    pub registry: String,
    /// Repository path.
    pub repository: String,
    /// Manifest digest, once known.
    pub digest: Option<String>,
    /// `queued`, `analyzing`, `analyzed` or `failed`.
    pub status: String,
    /// `STOP`, `WARN`, `GO` (or `ERROR: …`) from the last evaluation.
    pub final_action: Option<String>,
    /// Findings by severity (JSON object, severity → count).
    pub severities: Option<String>,
    /// When the state was last judged (Unix seconds).
    pub updated_at: Option<i64>,
    /// Why the last analysis failed.
    pub error: Option<String>,
    /// When its analysis was stored (Unix seconds).
    pub analyzed_at: Option<i64>,
}

/// A finding and how many images of the account have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spread {
    /// One of the finding's ids (as the index stores it, upper case).
    pub id: String,
    /// The finding as indexed (JSON of `IndexedFinding`).
    pub detail: String,
    /// Images of the account with it.
    pub images: i64,
}

/// A tag of the account: the digest it points at now and how many it has pointed at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentTag {
    /// The full tag, `registry/repository:tag`.
    pub tag: String,
    /// The digest it was last seen pointing at.
    pub digest: String,
    /// The image of that digest.
    pub image_id: String,
    /// When it was last seen (Unix seconds).
    pub last_seen: i64,
    /// Digests it has pointed at (its timeline's length).
    pub digests: i64,
}

/// One image's state on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyState {
    /// The day, `YYYY-MM-DD` (UTC).
    pub day: String,
    /// The image.
    pub image_id: String,
    /// Its final action that day.
    pub final_action: String,
    /// Its findings by severity that day (JSON object).
    pub severities: String,
}

impl Store {
    /// Every image of the account with its last judged state, newest first.
    pub fn image_states(&self, account: &str) -> Result<Vec<ImageState>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT i.id, i.registry, i.repository, i.digest, i.status, s.final_action, s.severities, s.updated_at, \
                 i.error, i.analyzed_at \
                 FROM images i LEFT JOIN image_state s ON s.image_id = i.id WHERE i.account = $1 \
                 ORDER BY i.created_at DESC, i.id",
                &[account.into()],
            )?
            .iter()
            .map(image_state_of)
            .collect()
        })
    }

    /// The account's findings present in the most images (aliases counted once per
    /// finding), at most `limit`.
    pub fn widespread_findings(&self, account: &str, limit: i64) -> Result<Vec<Spread>, StoreError> {
        self.rx(|tx| {
            // Each finding is indexed under every id it has; rank ids, then drop the aliases
            // of a finding already listed.
            let rows = tx.query(
                "SELECT lookup_id, COUNT(DISTINCT image_id) AS n, MIN(detail) FROM image_vulns WHERE account = $1 \
                 GROUP BY lookup_id ORDER BY n DESC, lookup_id LIMIT $2",
                &[account.into(), (limit * 4).into()],
            )?;
            let mut out: Vec<Spread> = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for r in rows {
                let detail = r[2].str();
                let key = serde_json::from_str::<serde_json::Value>(&detail)
                    .ok()
                    .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
                    .unwrap_or_else(|| r[0].str());
                if seen.insert(key) {
                    out.push(Spread {
                        id: r[0].str(),
                        detail,
                        images: r[1].int("image_vulns.count")?,
                    });
                }
                if out.len() as i64 >= limit {
                    break;
                }
            }
            Ok(out)
        })
    }

    /// Findings of the account on the KEV list, with how many images have each.
    pub fn kev_findings(&self, account: &str, limit: i64) -> Result<Vec<Spread>, StoreError> {
        self.rx(|tx| {
            let rows = tx.query(
                "SELECT image_id, detail FROM image_vulns WHERE account = $1 AND detail LIKE '%\"kev\":true%'",
                &[account.into()],
            )?;
            let mut by_id: std::collections::BTreeMap<String, (String, std::collections::HashSet<String>)> =
                std::collections::BTreeMap::new();
            for r in rows {
                let detail = r[1].str();
                let Some(id) = serde_json::from_str::<serde_json::Value>(&detail)
                    .ok()
                    .and_then(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
                else {
                    continue;
                };
                by_id
                    .entry(id)
                    .or_insert_with(|| (detail, Default::default()))
                    .1
                    .insert(r[0].str());
            }
            let mut out: Vec<Spread> = by_id
                .into_iter()
                .map(|(id, (detail, images))| Spread {
                    id,
                    detail,
                    images: images.len() as i64,
                })
                .collect();
            out.sort_by(|a, b| b.images.cmp(&a.images).then_with(|| a.id.cmp(&b.id)));
            out.truncate(limit.max(0) as usize);
            Ok(out)
        })
    }

    /// Every tag of the account with its current digest, by tag.
    pub fn current_tag_list(&self, account: &str) -> Result<Vec<CurrentTag>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT h.tag, h.digest, h.image_id, h.last_seen, \
                 (SELECT COUNT(DISTINCT h3.digest) FROM tag_history h3 WHERE h3.account = h.account AND h3.tag = h.tag) \
                 FROM tag_history h WHERE h.account = $1 AND h.last_seen = \
                 (SELECT MAX(h2.last_seen) FROM tag_history h2 WHERE h2.account = h.account AND h2.tag = h.tag) \
                 ORDER BY h.tag",
                &[account.into()],
            )?
            .iter()
            .map(|r| {
                Ok(CurrentTag {
                    tag: r[0].str(),
                    digest: r[1].str(),
                    image_id: r[2].str(),
                    last_seen: r[3].int("tag_history.last_seen")?,
                    digests: r[4].int("tag_history.count")?,
                })
            })
            .collect()
        })
    }

    /// Records today's state of every judged image (once per image and day; a later call the
    /// same day replaces it). `day` is `YYYY-MM-DD` (UTC).
    pub fn snapshot_states(&self, day: &str) -> Result<u64, StoreError> {
        self.tx(true, |tx| {
            tx.execute("DELETE FROM daily_state WHERE day = $1", &[day.into()])?;
            tx.execute(
                "INSERT INTO daily_state (day, account, image_id, final_action, severities) \
                 SELECT $1, i.account, i.id, s.final_action, s.severities FROM images i \
                 JOIN image_state s ON s.image_id = i.id",
                &[day.into()],
            )
        })
    }

    /// The day of the newest snapshot, if any.
    pub fn last_snapshot_day(&self) -> Result<Option<String>, StoreError> {
        self.rx(
            |tx| Ok(one(tx, "SELECT MAX(day) FROM daily_state", &[])?.and_then(|r| r[0].text().map(str::to_string))),
        )
    }

    /// The account's snapshots since `from_day` (inclusive), oldest day first.
    pub fn daily_states(&self, account: &str, from_day: &str) -> Result<Vec<DailyState>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query(
                    "SELECT day, image_id, final_action, severities FROM daily_state \
                     WHERE account = $1 AND day >= $2 ORDER BY day, image_id",
                    &[account.into(), from_day.into()],
                )?
                .into_iter()
                .map(|r| DailyState {
                    day: r[0].str(),
                    image_id: r[1].str(),
                    final_action: r[2].str(),
                    severities: r[3].str(),
                })
                .collect())
        })
    }

    /// Forgets snapshots older than `before_day`.
    pub fn prune_snapshots(&self, before_day: &str) -> Result<u64, StoreError> {
        self.tx(true, |tx| {
            tx.execute("DELETE FROM daily_state WHERE day < $1", &[before_day.into()])
        })
    }
}

fn image_state_of(r: &Row) -> Result<ImageState, StoreError> {
    Ok(ImageState {
        image_id: r[0].str(),
        registry: r[1].str(),
        repository: r[2].str(),
        digest: r[3].text().map(str::to_string),
        status: r[4].str(),
        final_action: r[5].text().map(str::to_string),
        severities: r[6].text().map(str::to_string),
        updated_at: r[7].opt_int("image_state.updated_at")?,
        error: r[8].text().map(str::to_string),
        analyzed_at: r[9].opt_int("images.analyzed_at")?,
    })
}
