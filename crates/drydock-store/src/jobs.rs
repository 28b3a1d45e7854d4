//! The analysis queue: jobs claimed under a lease a worker renews, completed exactly once
//! (conditional on still holding the lease, in the same transaction as the document).

use crate::events::add_event;
use crate::images::{fold_image, observe_tag};
use crate::index::{self, AnalysisIndex};
use crate::notifications::queue_notifications;
use crate::sql::{one, Value};
use crate::{new_id, now, Store, StoreError};
use serde::{Deserialize, Serialize};

/// A claimed analysis job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// Random id (32 hex digits).
    pub id: String,
    /// The account that queued it.
    pub account: String,
    /// The image to analyse.
    pub image_id: String,
    /// Full tag to pull (`registry/repository:tag`).
    pub tag: String,
    /// Id of the worker holding the claim.
    pub worker: String,
    /// End of the claim's lease, Unix seconds; past it, another worker may take the job.
    pub lease_until: i64,
    /// Times the job has been claimed, this claim included.
    pub attempts: i64,
    /// The manifest digest the image was added with (the worker analyses exactly it);
    /// `None` when the registry could not be asked at add time.
    #[serde(default)]
    pub digest: Option<String>,
    /// A re-analysis asked for with `force`: its result replaces the stored one.
    #[serde(default)]
    pub force: bool,
}

/// How a job ended in [`Store::finish_job`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    /// The analysis was stored.
    Stored,
    /// The digest already had an analysis (and the job was not forced): nothing stored.
    AlreadyAnalysed,
    /// The worker had lost the job: nothing stored.
    Lost,
}

/// A unique-index violation as [`StoreError::Conflict`] (the statement raced another).
pub(crate) fn conflict(e: StoreError) -> StoreError {
    match e {
        StoreError::Driver(d) if d.is_unique_violation() => StoreError::Conflict(d),
        other => other,
    }
}

impl Store {
    /// Claims the oldest queued job, or a running one whose lease expired, for `worker`
    /// until `now + lease_secs`. A job for an image that has an analysis by now (and is not
    /// a forced re-analysis) is closed instead of claimed: it would only repeat that work.
    pub fn claim_job(&self, worker: &str, lease_secs: i64) -> Result<Option<Job>, StoreError> {
        let skip = self.db.skip_locked();
        self.tx(true, |tx| {
            let t = now();
            loop {
                let Some(r) = one(
                    tx,
                    &format!(
                        "SELECT id FROM jobs WHERE state = 'queued' OR (state = 'running' AND lease_until < $1) \
                         ORDER BY created_at, id LIMIT 1 {skip}"
                    ),
                    &[t.into()],
                )?
                else {
                    return Ok(None);
                };
                let id = r[0].str();
                let r = one(
                    tx,
                    "SELECT j.id, j.account, j.image_id, j.tag, j.forced, i.digest, \
                     (SELECT COUNT(*) FROM analyses a WHERE a.image_id = j.image_id) FROM jobs j \
                     LEFT JOIN images i ON i.id = j.image_id WHERE j.id = $1",
                    &[id.clone().into()],
                )?
                .ok_or_else(|| StoreError::Vanished("the claimed job vanished"))?;
                let forced = r[4].int("jobs.forced")? != 0;
                if !forced && r[6].int("COUNT(*)")? > 0 {
                    tx.execute(
                        "UPDATE jobs SET state = 'done', finished_at = $1, error = 'already analysed' WHERE id = $2",
                        &[t.into(), id.into()],
                    )?;
                    continue;
                }
                tx.execute(
                    "UPDATE jobs SET state = 'running', worker = $1, lease_until = $2, attempts = attempts + 1 WHERE id = $3",
                    &[worker.into(), (t + lease_secs).into(), id.clone().into()],
                )?;
                tx.execute(
                    "UPDATE images SET status = 'analyzing' WHERE id = $1",
                    &[r[2].str().into()],
                )?;
                let attempts = one(tx, "SELECT attempts FROM jobs WHERE id = $1", &[id.into()])?
                    .map_or(Ok(0), |a| a[0].int("jobs.attempts"))?;
                return Ok(Some(Job {
                    id: r[0].str(),
                    account: r[1].str(),
                    image_id: r[2].str(),
                    tag: r[3].str(),
                    worker: worker.to_string(),
                    lease_until: t + lease_secs,
                    attempts,
                    digest: r[5].text().map(str::to_string),
                    force: forced,
                }));
            }
        })
    }

    /// Extends the lease of a job the worker still holds; false when it lost it.
    pub fn renew_job(&self, job: &Job, lease_secs: i64) -> Result<bool, StoreError> {
        self.tx(true, |tx| {
            Ok(tx.execute(
                "UPDATE jobs SET lease_until = $1 WHERE id = $2 AND worker = $3 AND state = 'running'",
                &[
                    (now() + lease_secs).into(),
                    job.id.clone().into(),
                    job.worker.clone().into(),
                ],
            )? == 1)
        })
    }

    /// Stores the analysis of a job the worker still holds, records the tag → digest
    /// observation and an event, all in one transaction. Returns false (storing nothing)
    /// when the worker lost the job, so a result is stored exactly once; true when the job
    /// is done (its analysis stored, or already there for the digest: see
    /// [`Store::finish_job`]).
    pub fn complete_job(&self, job: &Job, digest: &str, document: &str) -> Result<bool, StoreError> {
        Ok(self.finish_job(job, digest, document, None)? != Completion::Lost)
    }

    /// [`Store::complete_job`] with the analysis's query index, written in the same
    /// transaction (without one, the analysis waits for [`Store::put_index`]).
    pub fn complete_job_indexed(
        &self,
        job: &Job,
        digest: &str,
        document: &str,
        index: &AnalysisIndex,
    ) -> Result<bool, StoreError> {
        Ok(self.finish_job(job, digest, document, Some(index))? != Completion::Lost)
    }

    /// Ends a job the worker holds with its analysis of `digest`. One image per (account,
    /// digest) and one analysis per image: when the digest already is another image of the
    /// account (the job's image was added before its digest was known), the job's image is
    /// folded into it; when that image already has an analysis and the job is not forced,
    /// nothing is stored (the tag observation is still recorded). A forced job replaces
    /// the stored analysis.
    pub fn finish_job(
        &self,
        job: &Job,
        digest: &str,
        document: &str,
        index: Option<&AnalysisIndex>,
    ) -> Result<Completion, StoreError> {
        // Two placeholder images of one digest finishing at once on PostgreSQL: the second
        // meets the unique index; run again, it finds the first and folds into it.
        match self.finish_job_once(job, digest, document, index) {
            Err(StoreError::Conflict(_)) => self.finish_job_once(job, digest, document, index),
            other => other,
        }
    }

    fn finish_job_once(
        &self,
        job: &Job,
        digest: &str,
        document: &str,
        index: Option<&AnalysisIndex>,
    ) -> Result<Completion, StoreError> {
        self.tx(true, |tx| {
            let t = now();
            if tx.execute(
                "UPDATE jobs SET state = 'done', finished_at = $1 WHERE id = $2 AND worker = $3 AND state = 'running'",
                &[t.into(), job.id.clone().into(), job.worker.clone().into()],
            )? != 1
            {
                return Ok(Completion::Lost);
            }
            let forced = one(tx, "SELECT forced FROM jobs WHERE id = $1", &[job.id.clone().into()])?
                .map_or(Ok(0), |r| r[0].int("jobs.forced"))?
                != 0;
            let account: Value = job.account.clone().into();
            let mut image_id = job.image_id.clone();
            if let Some(r) = one(
                tx,
                "SELECT id FROM images WHERE account = $1 AND digest = $2",
                &[account.clone(), digest.into()],
            )? {
                let known = r[0].str();
                let placeholder = one(
                    tx,
                    "SELECT digest FROM images WHERE id = $1",
                    &[image_id.clone().into()],
                )?
                .is_some_and(|r| !r[0].is_some());
                if known != image_id {
                    if placeholder {
                        fold_image(tx, &image_id, &known)?;
                    }
                    image_id = known;
                }
            }
            let id: Value = image_id.clone().into();
            let analysed = one(
                tx,
                "SELECT 1 FROM analyses WHERE image_id = $1",
                std::slice::from_ref(&id),
            )?
            .is_some();
            let store = forced || !analysed;
            if store {
                tx.execute("DELETE FROM analyses WHERE image_id = $1", std::slice::from_ref(&id))?;
                tx.execute(
                    "INSERT INTO analyses (image_id, account, document, job_id, stored_at, revision, indexed) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        id.clone(),
                        account.clone(),
                        document.into(),
                        job.id.clone().into(),
                        t.into(),
                        new_id().into(),
                        index.is_some().into(),
                    ],
                )?;
                match index {
                    Some(ix) => {
                        index::write_packages(tx, &job.account, &image_id, &ix.packages)?;
                        index::write_findings(tx, &job.account, &image_id, &ix.findings)?;
                    }
                    None => index::remove(tx, &id)?,
                }
                tx.execute(
                    "UPDATE images SET status = 'analyzed', digest = $1, analyzed_at = $2, error = NULL WHERE id = $3",
                    &[digest.into(), t.into(), id.clone()],
                )
                .map_err(conflict)?;
            } else {
                tx.execute(
                    "UPDATE jobs SET error = 'already analysed' WHERE id = $1",
                    &[job.id.clone().into()],
                )?;
                tx.execute(
                    "UPDATE images SET status = 'analyzed', error = NULL WHERE id = $1 AND NOT EXISTS \
                     (SELECT 1 FROM jobs j WHERE j.image_id = images.id AND j.state IN ('queued', 'running'))",
                    std::slice::from_ref(&id),
                )?;
            }
            observe_tag(tx, &job.account, &job.tag, digest, &image_id, t)?;
            if !store {
                return Ok(Completion::AlreadyAnalysed);
            }
            let detail =
                serde_json::json!({"image_id": image_id, "digest": digest, "status": "analyzed", "worker": job.worker});
            add_event(tx, &job.account, "analysis_update", &job.tag, &detail)?;
            queue_notifications(tx, "analysis_update", &job.tag, &detail, false)?;
            Ok(Completion::Stored)
        })
    }

    /// Marks a job the worker holds as failed (the image too); false when it lost it.
    pub fn fail_job(&self, job: &Job, error: &str) -> Result<bool, StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "UPDATE jobs SET state = 'failed', finished_at = $1, error = $2 WHERE id = $3 AND worker = $4 AND state = 'running'",
                &[now().into(), error.into(), job.id.clone().into(), job.worker.clone().into()],
            )? != 1
            {
                return Ok(false);
            }
            // A failed re-analysis leaves the stored analysis (and the image analysed).
            tx.execute(
                "UPDATE images SET status = CASE WHEN EXISTS (SELECT 1 FROM analyses a WHERE a.image_id = images.id) \
                 THEN 'analyzed' ELSE 'failed' END, error = $1 WHERE id = $2",
                &[error.into(), job.image_id.clone().into()],
            )?;
            let detail = serde_json::json!({"image_id": job.image_id, "status": "failed", "error": error});
            add_event(tx, &job.account, "analysis_update", &job.tag, &detail)?;
            queue_notifications(tx, "analysis_update", &job.tag, &detail, false)?;
            Ok(true)
        })
    }

    /// Puts the running jobs of `worker` back in the queue (a worker that stops mid-analysis):
    /// they are claimable at once, and the worker's late result is dropped. Returns how many.
    pub fn release_jobs(&self, worker: &str) -> Result<u64, StoreError> {
        self.tx(true, |tx| {
            let ids: Vec<String> = tx
                .query(
                    "SELECT image_id FROM jobs WHERE worker = $1 AND state = 'running'",
                    &[worker.into()],
                )?
                .into_iter()
                .map(|r| r[0].str())
                .collect();
            for id in &ids {
                tx.execute(
                    "UPDATE images SET status = 'queued' WHERE id = $1 AND status = 'analyzing'",
                    &[id.clone().into()],
                )?;
            }
            tx.execute(
                "UPDATE jobs SET state = 'queued', worker = NULL, lease_until = 0 WHERE worker = $1 AND state = 'running'",
                &[worker.into()],
            )
        })
    }

    /// Jobs waiting or running.
    pub fn queue_depth(&self) -> Result<(i64, i64), StoreError> {
        self.rx(|tx| {
            let q = one(tx, "SELECT COUNT(*) FROM jobs WHERE state = 'queued'", &[])?
                .map_or(Ok(0), |r| r[0].int("COUNT(*)"))?;
            let r = one(tx, "SELECT COUNT(*) FROM jobs WHERE state = 'running'", &[])?
                .map_or(Ok(0), |r| r[0].int("COUNT(*)"))?;
            Ok((q, r))
        })
    }

    /// True when an analysis of the tag is queued or running for the account.
    pub fn analysis_pending(&self, account: &str, tag: &str) -> Result<bool, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT id FROM jobs WHERE account = $1 AND tag = $2 AND state IN ('queued', 'running') LIMIT 1",
                &[account.into(), tag.into()],
            )?
            .is_some())
        })
    }
}
