//! Events and the audit log.

use crate::sql::{self};
use crate::{new_id, now, Store, StoreError};
use serde::{Deserialize, Serialize};

/// An event (analysis finished, tag moved, …) or an audit record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Random id (32 hex digits).
    pub id: String,
    /// What happened (`analysis_update`, `tag_update`, …).
    pub kind: String,
    /// What it is about, usually a full tag (`registry/repository:tag`).
    pub subject: String,
    /// Kind-specific details.
    pub detail: serde_json::Value,
    /// When it was recorded, Unix seconds.
    pub created_at: i64,
}

pub(crate) fn add_event(
    tx: &mut dyn sql::Tx,
    account: &str,
    kind: &str,
    subject: &str,
    detail: &serde_json::Value,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO events (id, account, kind, subject, detail, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        &[
            new_id().into(),
            account.into(),
            kind.into(),
            subject.into(),
            detail.to_string().into(),
            now().into(),
        ],
    )?;
    Ok(())
}

impl Store {
    /// Records an event.
    pub fn add_event(
        &self,
        account: &str,
        kind: &str,
        subject: &str,
        detail: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| add_event(tx, account, kind, subject, detail))
    }

    /// Events of the account, newest first.
    pub fn events(&self, account: &str, limit: i64, offset: i64) -> Result<Vec<Event>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT id, kind, subject, detail, created_at FROM events WHERE account = $1 \
                     ORDER BY created_at DESC, id LIMIT $2 OFFSET $3",
                &[account.into(), limit.into(), offset.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(Event {
                    id: r[0].str(),
                    kind: r[1].str(),
                    subject: r[2].str(),
                    detail: serde_json::from_str(&r[3].str()).unwrap_or(serde_json::Value::Null),
                    created_at: r[4].int("events.created_at")?,
                })
            })
            .collect()
        })
    }

    /// Records a mutating API call: who, what, result, from where.
    pub fn audit(
        &self,
        account: Option<&str>,
        user: Option<&str>,
        method: &str,
        path: &str,
        status: u16,
        remote: Option<&str>,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "INSERT INTO audit (id, account, user_name, method, path, status, remote, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    new_id().into(),
                    account.into(),
                    user.into(),
                    method.into(),
                    path.into(),
                    i64::from(status).into(),
                    remote.into(),
                    now().into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The audit log of an account (all accounts for `None`), newest first: (id, account,
    /// user, method, route, status, remote address, time).
    pub fn audit_log(
        &self,
        account: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<serde_json::Value>, StoreError> {
        self.rx(|tx| {
            tx
                .query(
                    "SELECT id, account, user_name, method, path, status, remote, created_at FROM audit \
                     WHERE (CAST($1 AS TEXT) IS NULL OR account = $1) ORDER BY created_at DESC, id LIMIT $2 OFFSET $3",
                    &[account.into(), limit.into(), offset.into()],
                )?
                .into_iter()
                .map(|r| {
                    Ok(serde_json::json!({"id": r[0].str(), "account": r[1].text(), "user": r[2].text(), "method": r[3].str(),
                        "route": r[4].str(), "status": r[5].int("audit.status")?, "remote": r[6].text(),
                        "created_at": r[7].int("audit.created_at")?}))
                })
                .collect()
        })
    }
}
