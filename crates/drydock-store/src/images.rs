//! Images: added by tag or digest (one per account and digest), their tags now and the tag
//! history, deletion and retention.

use crate::index::{self};
use crate::sql::{self, one, Row, Value};
use crate::{new_id, now, Store, StoreError};
use serde::{Deserialize, Serialize};

/// An image known to the service (by account and manifest digest once analysed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    /// Random id (32 hex digits).
    pub id: String,
    /// The owning account.
    pub account: String,
    /// Manifest digest, once the analysis resolved it.
    pub digest: Option<String>,
    /// Registry host (e.g. `docker.io`, `registry.local:5000`).
    pub registry: String,
    /// Repository path (e.g. `library/alpine`).
    pub repository: String,
    /// `queued`, `analyzing`, `analyzed` or `failed`.
    pub status: String,
    /// Why the last analysis failed, when it did.
    pub error: Option<String>,
    /// When it was added, Unix seconds.
    pub created_at: i64,
    /// When the stored analysis finished, Unix seconds; `None` before the first one.
    pub analyzed_at: Option<i64>,
    /// Tags currently pointing at it.
    pub tags: Vec<String>,
}

/// Which images [`Store::images`] lists (every field optional).
#[derive(Debug, Clone, Copy, Default)]
pub struct ImageFilter<'a> {
    /// `queued`, `analyzing`, `analyzed` or `failed`.
    pub status: Option<&'a str>,
    /// Only images of this registry host.
    pub registry: Option<&'a str>,
    /// Only images of this repository path.
    pub repository: Option<&'a str>,
    /// A full `registry/repository:tag` the image was added or seen under.
    pub tag: Option<&'a str>,
}

/// What [`Store::add_image_digest`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Added {
    /// Id of the image the digest belongs to.
    pub image_id: String,
    /// The digest was new to the account (or unknown): a new image.
    pub new: bool,
    /// An analysis was queued (a new image, a failed one retried, or a forced re-analysis).
    pub queued: bool,
}

/// One tag → digest observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagHistory {
    /// Full tag (`registry/repository:tag`).
    pub tag: String,
    /// Manifest digest it pointed at.
    pub digest: String,
    /// Id of the image with that digest.
    pub image_id: String,
    /// When the tag was first seen at that digest, Unix seconds.
    pub first_seen: i64,
    /// When it was last seen there, Unix seconds.
    pub last_seen: i64,
}

pub(crate) const IMAGE_COLUMNS: &str =
    "id, account, digest, registry, repository, status, error, created_at, analyzed_at";

/// Records that `tag` points at `digest` (image `image_id`) now (an upsert: concurrent adds
/// of one tag record it once).
pub(crate) fn observe_tag(
    tx: &mut dyn sql::Tx,
    account: &str,
    tag: &str,
    digest: &str,
    image_id: &str,
    t: i64,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO tag_history (account, tag, digest, image_id, first_seen, last_seen) VALUES ($1, $2, $3, $4, $5, $5) \
         ON CONFLICT (account, tag, digest) DO UPDATE SET last_seen = excluded.last_seen, image_id = excluded.image_id",
        &[account.into(), tag.into(), digest.into(), image_id.into(), t.into()],
    )?;
    Ok(())
}

/// Moves what refers to image `from` (added before its digest was known) to image `into`
/// (the same digest) and deletes `from`.
pub(crate) fn fold_image(tx: &mut dyn sql::Tx, from: &str, into: &str) -> Result<(), StoreError> {
    let (from_v, into_v): (Value, Value) = (from.into(), into.into());
    for table in ["jobs", "tag_history"] {
        tx.execute(
            &format!("UPDATE {table} SET image_id = $1 WHERE image_id = $2"),
            &[into_v.clone(), from_v.clone()],
        )?;
    }
    index::remove(tx, &from_v)?;
    for table in ["analyses", "image_state"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE image_id = $1"),
            std::slice::from_ref(&from_v),
        )?;
    }
    tx.execute("DELETE FROM images WHERE id = $1", &[from_v])?;
    Ok(())
}

impl Store {
    /// Adds an image by tag (`registry/repository:tag`) whose digest is not known and queues
    /// its analysis; returns the image id. The worker finds the digest; a digest the account
    /// already has is folded into that image (see [`Store::add_image_digest`]).
    pub fn add_image(&self, account: &str, tag: &str, registry: &str, repository: &str) -> Result<String, StoreError> {
        Ok(self
            .add_image_digest(account, tag, registry, repository, None, false)?
            .image_id)
    }

    /// Adds an image by tag and the manifest digest the tag points at. An image is its
    /// (account, digest): a digest the account already has returns that image, records the
    /// tag → digest observation and queues nothing — unless it never got an analysis (a
    /// failed one is retried) or `force` asks for a re-analysis (which then replaces the
    /// stored one). A new digest becomes a new image with its analysis queued; its tag
    /// history is written when the analysis is stored. Concurrent adds of one digest make
    /// one image (the insert is an upsert on the unique (account, digest) index).
    pub fn add_image_digest(
        &self,
        account: &str,
        tag: &str,
        registry: &str,
        repository: &str,
        digest: Option<&str>,
        force: bool,
    ) -> Result<Added, StoreError> {
        self.tx(true, |tx| {
            let t = now();
            let queue = |tx: &mut dyn sql::Tx, image_id: &str, forced: bool| {
                tx.execute(
                    "INSERT INTO jobs (id, account, image_id, tag, state, created_at, forced) \
                     VALUES ($1, $2, $3, $4, 'queued', $5, $6)",
                    &[
                        new_id().into(),
                        account.into(),
                        image_id.into(),
                        tag.into(),
                        t.into(),
                        forced.into(),
                    ],
                )
            };
            let Some(digest) = digest else {
                let image_id = new_id();
                tx.execute(
                    &format!(
                        "INSERT INTO images ({IMAGE_COLUMNS}) VALUES ($1, $2, NULL, $3, $4, 'queued', NULL, $5, NULL)"
                    ),
                    &[
                        image_id.clone().into(),
                        account.into(),
                        registry.into(),
                        repository.into(),
                        t.into(),
                    ],
                )?;
                queue(tx, &image_id, force)?;
                return Ok(Added {
                    image_id,
                    new: true,
                    queued: true,
                });
            };
            let inserted = tx.execute(
                &format!(
                    "INSERT INTO images ({IMAGE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, 'queued', NULL, $6, NULL) \
                     ON CONFLICT (account, digest) DO NOTHING"
                ),
                &[
                    new_id().into(),
                    account.into(),
                    digest.into(),
                    registry.into(),
                    repository.into(),
                    t.into(),
                ],
            )?;
            let image_id = one(
                tx,
                "SELECT id FROM images WHERE account = $1 AND digest = $2",
                &[account.into(), digest.into()],
            )?
            .map(|r| r[0].str())
            .ok_or_else(|| StoreError::Vanished("the added image vanished"))?;
            if inserted == 1 {
                queue(tx, &image_id, false)?;
                return Ok(Added {
                    image_id,
                    new: true,
                    queued: true,
                });
            }
            let analysed = one(
                tx,
                "SELECT 1 FROM analyses WHERE image_id = $1",
                &[image_id.clone().into()],
            )?
            .is_some();
            let pending = one(
                tx,
                "SELECT 1 FROM jobs WHERE image_id = $1 AND state IN ('queued', 'running')",
                &[image_id.clone().into()],
            )?
            .is_some();
            observe_tag(tx, account, tag, digest, &image_id, t)?;
            let queued = !pending && (force || !analysed);
            if queued {
                // A forced re-analysis shows as queued; the stored analysis stays readable
                // until the new one replaces it.
                queue(tx, &image_id, analysed)?;
                tx.execute(
                    "UPDATE images SET status = 'queued', error = NULL WHERE id = $1",
                    &[image_id.clone().into()],
                )?;
            }
            Ok(Added {
                image_id,
                new: false,
                queued,
            })
        })
    }

    /// Images from rows of `IMAGE_COLUMNS`, with the tags that point at each now (one query
    /// for all of them).
    pub(crate) fn images_of(tx: &mut dyn sql::Tx, rows: &[Row]) -> Result<Vec<Image>, StoreError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Value> = rows.iter().map(|r| r[0].clone()).collect();
        let placeholders: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let mut tags: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
        for r in tx.query(
            &format!(
                "SELECT h.image_id, h.tag FROM tag_history h WHERE h.image_id IN ({}) AND h.last_seen = \
                 (SELECT MAX(h2.last_seen) FROM tag_history h2 WHERE h2.account = h.account AND h2.tag = h.tag) \
                 ORDER BY h.tag",
                placeholders.join(", ")
            ),
            &ids,
        )? {
            tags.entry(r[0].str()).or_default().push(r[1].str());
        }
        rows.iter()
            .map(|r| Self::image_of(r, tags.remove(&r[0].str()).unwrap_or_default()))
            .collect()
    }

    pub(crate) fn image_of(r: &Row, tags: Vec<String>) -> Result<Image, StoreError> {
        let id = r[0].str();
        Ok(Image {
            id,
            account: r[1].str(),
            digest: r[2].text().map(str::to_string),
            registry: r[3].str(),
            repository: r[4].str(),
            status: r[5].str(),
            error: r[6].text().map(str::to_string),
            created_at: r[7].int("images.created_at")?,
            analyzed_at: r[8].opt_int("images.analyzed_at")?,
            tags,
        })
    }

    /// An image of the account.
    pub fn image(&self, account: &str, id: &str) -> Result<Option<Image>, StoreError> {
        self.rx(|tx| {
            match one(
                tx,
                &format!("SELECT {IMAGE_COLUMNS} FROM images WHERE account = $1 AND (id = $2 OR digest = $2)"),
                &[account.into(), id.into()],
            )? {
                Some(r) => Ok(Self::images_of(tx, &[r])?.pop()),
                None => Ok(None),
            }
        })
    }

    /// Images of the account matching the filter, newest first, `limit` from `offset`.
    pub fn images(
        &self,
        account: &str,
        f: &ImageFilter<'_>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<Image>, StoreError> {
        self.rx(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {IMAGE_COLUMNS} FROM images WHERE account = $1 AND (CAST($2 AS TEXT) IS NULL OR status = $2) \
                     AND (CAST($3 AS TEXT) IS NULL OR registry = $3) AND (CAST($4 AS TEXT) IS NULL OR repository = $4) \
                     AND (CAST($5 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM tag_history h WHERE h.image_id = images.id AND h.tag = $5) \
                          OR EXISTS (SELECT 1 FROM jobs j WHERE j.image_id = images.id AND j.tag = $5)) \
                     ORDER BY created_at DESC, id LIMIT $6 OFFSET $7"
                ),
                &[
                    account.into(),
                    f.status.into(),
                    f.registry.into(),
                    f.repository.into(),
                    f.tag.into(),
                    limit.into(),
                    offset.into(),
                ],
            )?;
            Self::images_of(tx, &rows)
        })
    }

    /// Deletes an image, its stored analysis and its tag history.
    pub fn delete_image(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            let Some(r) = one(
                tx,
                "SELECT id FROM images WHERE account = $1 AND (id = $2 OR digest = $2)",
                &[account.into(), id.into()],
            )?
            else {
                return Err(StoreError::NotFound(format!("image {id}")));
            };
            let id = r[0].str();
            tx.execute("DELETE FROM analyses WHERE image_id = $1", &[id.clone().into()])?;
            tx.execute("DELETE FROM image_state WHERE image_id = $1", &[id.clone().into()])?;
            index::remove(tx, &id.clone().into())?;
            tx.execute("DELETE FROM tag_history WHERE image_id = $1", &[id.clone().into()])?;
            tx.execute("DELETE FROM jobs WHERE image_id = $1", &[id.clone().into()])?;
            tx.execute("DELETE FROM images WHERE id = $1", &[id.into()])?;
            Ok(())
        })
    }

    /// Tag → digest history of a tag, oldest first.
    pub fn tag_history(&self, account: &str, tag: &str) -> Result<Vec<TagHistory>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT tag, digest, image_id, first_seen, last_seen FROM tag_history \
                     WHERE account = $1 AND tag = $2 ORDER BY first_seen, digest",
                &[account.into(), tag.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(TagHistory {
                    tag: r[0].str(),
                    digest: r[1].str(),
                    image_id: r[2].str(),
                    first_seen: r[3].int("tag_history.first_seen")?,
                    last_seen: r[4].int("tag_history.last_seen")?,
                })
            })
            .collect()
        })
    }

    /// The image ids and current tags that point at each image id (latest digest per tag).
    pub fn current_tags(&self, image_id: &str) -> Result<Vec<String>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query(
                    "SELECT h.tag FROM tag_history h WHERE h.image_id = $1 AND h.last_seen = \
                     (SELECT MAX(h2.last_seen) FROM tag_history h2 WHERE h2.account = h.account AND h2.tag = h.tag) \
                     ORDER BY h.tag",
                    &[image_id.into()],
                )?
                .into_iter()
                .map(|r| r[0].str())
                .collect())
        })
    }

    /// The digest a tag pointed at last, for the account.
    pub fn latest_digest(&self, account: &str, tag: &str) -> Result<Option<String>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT digest FROM tag_history WHERE account = $1 AND tag = $2 ORDER BY last_seen DESC, first_seen DESC LIMIT 1",
                &[account.into(), tag.into()],
            )?
            .map(|r| r[0].str()))
        })
    }

    /// The image a tag points at now for the account (the latest analysed digest), if any.
    pub fn image_by_tag(&self, account: &str, tag: &str) -> Result<Option<String>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT image_id FROM tag_history WHERE account = $1 AND tag = $2 ORDER BY last_seen DESC, first_seen DESC LIMIT 1",
                &[account.into(), tag.into()],
            )?
            .map(|r| r[0].str()))
        })
    }

    /// Retention: drops what happened before `before` — superseded tag history (a tag's
    /// current digest is always kept), the images no tag points at any more together with
    /// their analyses, failed analyses, events, finished deliveries and audit records.
    /// Returns the images removed.
    pub fn prune_history(&self, before: i64) -> Result<u64, StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "DELETE FROM tag_history WHERE last_seen < $1 AND EXISTS (SELECT 1 FROM tag_history n \
                 WHERE n.account = tag_history.account AND n.tag = tag_history.tag AND n.last_seen > tag_history.last_seen)",
                &[before.into()],
            )?;
            let doomed: Vec<Value> = tx
                .query(
                    "SELECT id FROM images WHERE created_at < $1 AND status IN ('analyzed', 'failed') \
                     AND NOT EXISTS (SELECT 1 FROM tag_history h WHERE h.image_id = images.id)",
                    &[before.into()],
                )?
                .into_iter()
                .map(|r| r[0].clone())
                .collect();
            for id in &doomed {
                index::remove(tx, id)?;
                for table in ["analyses", "image_state"] {
                    tx.execute(&format!("DELETE FROM {table} WHERE image_id = $1"), std::slice::from_ref(id))?;
                }
                tx.execute("DELETE FROM jobs WHERE image_id = $1 AND state IN ('done', 'failed')", std::slice::from_ref(id))?;
                tx.execute("DELETE FROM images WHERE id = $1", std::slice::from_ref(id))?;
            }
            let n = doomed.len() as u64;
            tx.execute("DELETE FROM events WHERE created_at < $1", &[before.into()])?;
            tx.execute(
                "DELETE FROM deliveries WHERE created_at < $1 AND state <> 'pending'",
                &[before.into()],
            )?;
            tx.execute("DELETE FROM audit WHERE created_at < $1", &[before.into()])?;
            Ok(n)
        })
    }
}
