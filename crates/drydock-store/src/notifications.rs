//! Subscriptions, webhooks and their deliveries.

use crate::events::add_event;
use crate::sql::{self, one, Row};
use crate::{new_id, now, Store, StoreError};
use serde::{Deserialize, Serialize};

/// A subscription: notify the account about one kind of change to one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// Random id (32 hex digits).
    pub id: String,
    /// The subscribing account.
    pub account: String,
    /// `tag_update`, `vuln_update`, `policy_eval` or `analysis_update`.
    pub kind: String,
    /// Full tag watched (`registry/repository:tag`).
    pub tag: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

/// A webhook endpoint of an account (its signing secret is never returned by the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    /// Random id (32 hex digits).
    pub id: String,
    /// The owning account.
    pub account: String,
    /// Where notifications are POSTed (`http` or `https`).
    pub url: String,
    /// Secret the body's HMAC signature is computed with; never serialized.
    #[serde(skip_serializing)]
    pub secret: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

/// One notification to one webhook, with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Random id (32 hex digits).
    pub id: String,
    /// The account notified.
    pub account: String,
    /// Id of the webhook it goes to.
    pub webhook_id: String,
    /// Subscription kind that caused it (`tag_update`, …).
    pub kind: String,
    /// What it is about, usually a full tag.
    pub subject: String,
    /// The JSON body to POST.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Delivery attempts made so far.
    pub attempts: i64,
    /// When the next attempt is due, Unix seconds.
    pub next_attempt_at: i64,
    /// HTTP status of the last attempt; `None` when there was none or no response.
    pub last_status: Option<i64>,
    /// Why the last attempt failed; `None` when it did not.
    pub last_error: Option<String>,
    /// When it was queued, Unix seconds.
    pub created_at: i64,
    /// When it was delivered, Unix seconds; `None` until then.
    pub delivered_at: Option<i64>,
}

/// The subscription kinds.
pub const SUBSCRIPTION_KINDS: &[&str] = &["tag_update", "vuln_update", "policy_eval", "analysis_update"];

pub(crate) const DELIVERY_COLUMNS: &str =
    "id, account, webhook_id, kind, subject, payload, state, attempts, next_attempt_at, \
                                last_status, last_error, created_at, delivered_at";

pub(crate) fn delivery_of(r: &Row) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        id: r[0].str(),
        account: r[1].str(),
        webhook_id: r[2].str(),
        kind: r[3].str(),
        subject: r[4].str(),
        payload: r[5].str(),
        state: r[6].str(),
        attempts: r[7].int("deliveries.attempts")?,
        next_attempt_at: r[8].int("deliveries.next_attempt_at")?,
        last_status: r[9].opt_int("deliveries.last_status")?,
        last_error: r[10].text().map(str::to_string),
        created_at: r[11].int("deliveries.created_at")?,
        delivered_at: r[12].opt_int("deliveries.delivered_at")?,
    })
}

/// For every account subscribed to `kind` on `tag`: an event (when `events`) and one
/// pending delivery per webhook of the account. Returns the deliveries queued.
pub(crate) fn queue_notifications(
    tx: &mut dyn sql::Tx,
    kind: &str,
    tag: &str,
    payload: &serde_json::Value,
    events: bool,
) -> Result<usize, StoreError> {
    let accounts: Vec<String> = tx
        .query(
            "SELECT account FROM subscriptions WHERE kind = $1 AND tag = $2 ORDER BY account",
            &[kind.into(), tag.into()],
        )?
        .into_iter()
        .map(|r| r[0].str())
        .collect();
    let t = now();
    let mut n = 0;
    for account in accounts {
        if events {
            add_event(tx, &account, kind, tag, payload)?;
        }
        let hooks = tx.query("SELECT id FROM webhooks WHERE account = $1", &[account.clone().into()])?;
        for h in hooks {
            let id = new_id();
            let mut body = payload.clone();
            body["notification_id"] = id.clone().into();
            body["kind"] = kind.into();
            body["tag"] = tag.into();
            body["account"] = account.clone().into();
            body["created_at"] = t.into();
            tx.execute(
                "INSERT INTO deliveries (id, account, webhook_id, kind, subject, payload, state, attempts, \
                 next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', 0, $7, $7)",
                &[
                    id.into(),
                    account.clone().into(),
                    h[0].str().into(),
                    kind.into(),
                    tag.into(),
                    body.to_string().into(),
                    t.into(),
                ],
            )?;
            n += 1;
        }
    }
    Ok(n)
}

impl Store {
    /// Subscribes the account to a kind of change of a tag.
    pub fn add_subscription(&self, account: &str, kind: &str, tag: &str) -> Result<Subscription, StoreError> {
        self.tx(true, |tx| {
            if one(
                tx,
                "SELECT id FROM subscriptions WHERE account = $1 AND kind = $2 AND tag = $3",
                &[account.into(), kind.into(), tag.into()],
            )?
            .is_some()
            {
                return Err(StoreError::Exists(format!("subscription {kind} for {tag}")));
            }
            let s = Subscription {
                id: new_id(),
                account: account.into(),
                kind: kind.into(),
                tag: tag.into(),
                created_at: now(),
            };
            tx.execute(
                "INSERT INTO subscriptions (id, account, kind, tag, created_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    s.id.clone().into(),
                    account.into(),
                    kind.into(),
                    tag.into(),
                    s.created_at.into(),
                ],
            )?;
            Ok(s)
        })
    }

    /// Subscriptions of the account; `None` lists every account's (for the watchers).
    pub fn subscriptions(&self, account: Option<&str>, kind: Option<&str>) -> Result<Vec<Subscription>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT id, account, kind, tag, created_at FROM subscriptions \
                     WHERE (CAST($1 AS TEXT) IS NULL OR account = $1) AND (CAST($2 AS TEXT) IS NULL OR kind = $2) \
                     ORDER BY account, tag, kind",
                &[account.into(), kind.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(Subscription {
                    id: r[0].str(),
                    account: r[1].str(),
                    kind: r[2].str(),
                    tag: r[3].str(),
                    created_at: r[4].int("subscriptions.created_at")?,
                })
            })
            .collect()
        })
    }

    /// Deletes a subscription of the account.
    pub fn delete_subscription(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "DELETE FROM subscriptions WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("subscription {id:?}")));
            }
            Ok(())
        })
    }

    /// Adds a webhook endpoint; `secret` signs its deliveries.
    pub fn add_webhook(&self, account: &str, url: &str, secret: &str) -> Result<Webhook, StoreError> {
        self.tx(true, |tx| {
            let w = Webhook {
                id: new_id(),
                account: account.into(),
                url: url.into(),
                secret: secret.into(),
                created_at: now(),
            };
            tx.execute(
                "INSERT INTO webhooks (id, account, url, secret, created_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    w.id.clone().into(),
                    account.into(),
                    url.into(),
                    secret.into(),
                    w.created_at.into(),
                ],
            )?;
            Ok(w)
        })
    }

    /// Webhooks of an account (or one by id when `id` is given).
    pub fn webhooks(&self, account: &str) -> Result<Vec<Webhook>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT id, account, url, secret, created_at FROM webhooks WHERE account = $1 ORDER BY created_at, id",
                &[account.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(Webhook {
                    id: r[0].str(),
                    account: r[1].str(),
                    url: r[2].str(),
                    secret: r[3].str(),
                    created_at: r[4].int("webhooks.created_at")?,
                })
            })
            .collect()
        })
    }

    /// Deletes a webhook of the account.
    pub fn delete_webhook(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "DELETE FROM webhooks WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("webhook {id:?}")));
            }
            Ok(())
        })
    }

    /// Records an event and, for every account subscribed to `kind` on `tag`, queues a
    /// delivery of `payload` to each of its webhooks. Returns the deliveries queued.
    pub fn notify(&self, kind: &str, tag: &str, payload: &serde_json::Value) -> Result<usize, StoreError> {
        self.tx(true, |tx| queue_notifications(tx, kind, tag, payload, true))
    }

    /// Pending deliveries due now, oldest first, with their webhook.
    pub fn due_deliveries(&self, limit: i64) -> Result<Vec<(Delivery, Webhook)>, StoreError> {
        self.rx(|tx| {
            let rows = tx.query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
                     ORDER BY next_attempt_at, id LIMIT $2"
                ),
                &[now().into(), limit.into()],
            )?;
            let mut out = Vec::new();
            for r in rows {
                let d = delivery_of(&r)?;
                if let Some(w) = one(
                    tx,
                    "SELECT id, account, url, secret, created_at FROM webhooks WHERE id = $1",
                    &[d.webhook_id.clone().into()],
                )? {
                    out.push((
                        d,
                        Webhook {
                            id: w[0].str(),
                            account: w[1].str(),
                            url: w[2].str(),
                            secret: w[3].str(),
                            created_at: w[4].int("webhooks.created_at")?,
                        },
                    ));
                }
            }
            Ok(out)
        })
    }

    /// Records a delivery attempt: delivered, retried at `retry_at`, or failed for good.
    pub fn delivery_attempted(
        &self,
        id: &str,
        status: Option<u16>,
        error: Option<&str>,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            let ok = error.is_none();
            let state = if ok {
                "delivered"
            } else if retry_at.is_some() {
                "pending"
            } else {
                "failed"
            };
            tx.execute(
                "UPDATE deliveries SET state = $1, attempts = attempts + 1, last_status = $2, last_error = $3, \
                 next_attempt_at = $4, delivered_at = $5 WHERE id = $6",
                &[
                    state.into(),
                    status.map(i64::from).into(),
                    error.into(),
                    retry_at.unwrap_or(0).into(),
                    ok.then(now).into(),
                    id.into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The delivery log of an account, newest first.
    pub fn deliveries(&self, account: &str, limit: i64, offset: i64) -> Result<Vec<Delivery>, StoreError> {
        self.rx(|tx| {
            tx.query(
                &format!(
                    "SELECT {DELIVERY_COLUMNS} FROM deliveries WHERE account = $1 \
                         ORDER BY created_at DESC, id LIMIT $2 OFFSET $3"
                ),
                &[account.into(), limit.into(), offset.into()],
            )?
            .iter()
            .map(delivery_of)
            .collect()
        })
    }
}
