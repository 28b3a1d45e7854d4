//! Policy bundles: one active per account; every change bumps the policy epoch.

use crate::sql::{self, one, Row};
use crate::{new_id, now, Store, StoreError};
use serde::{Deserialize, Serialize};

/// A stored policy bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The bundle's id, unique within the account.
    pub id: String,
    /// Bundle name.
    pub name: String,
    /// The account's active bundle (at most one per account is).
    pub active: bool,
    /// The bundle document, JSON text.
    pub bundle: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
    /// Time of the last change, Unix seconds.
    pub updated_at: i64,
}

/// Setting bumped whenever a policy is added, replaced, activated or deleted, so the
/// watchers know to re-evaluate stored analyses.
pub const POLICY_EPOCH: &str = "policy_epoch";

pub(crate) fn bump_policy_epoch(tx: &mut dyn sql::Tx) -> Result<(), StoreError> {
    tx.execute("DELETE FROM settings WHERE name = $1", &[POLICY_EPOCH.into()])?;
    tx.execute(
        "INSERT INTO settings (name, value) VALUES ($1, $2)",
        &[POLICY_EPOCH.into(), new_id().into()],
    )?;
    Ok(())
}

impl Store {
    /// Adds or replaces a policy bundle (JSON text, validated by the caller).
    pub fn put_policy(&self, account: &str, id: &str, name: &str, bundle: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            let t = now();
            if tx.execute(
                "UPDATE policies SET name = $1, bundle = $2, updated_at = $3 WHERE account = $4 AND id = $5",
                &[name.into(), bundle.into(), t.into(), account.into(), id.into()],
            )? == 0
            {
                let first = one(tx, "SELECT id FROM policies WHERE account = $1", &[account.into()])?.is_none();
                tx.execute(
                    "INSERT INTO policies (account, id, name, bundle, active, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
                    &[account.into(), id.into(), name.into(), bundle.into(), first.into(), t.into()],
                )?;
            }
            bump_policy_epoch(tx)
        })
    }

    pub(crate) fn policy_of(r: &Row) -> Result<Policy, StoreError> {
        Ok(Policy {
            id: r[0].str(),
            name: r[1].str(),
            active: r[2].int("policies.active")? != 0,
            bundle: r[3].str(),
            created_at: r[4].int("policies.created_at")?,
            updated_at: r[5].int("policies.updated_at")?,
        })
    }

    /// Policies of the account.
    pub fn policies(&self, account: &str) -> Result<Vec<Policy>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT id, name, active, bundle, created_at, updated_at FROM policies WHERE account = $1 ORDER BY id",
                &[account.into()],
            )?
            .iter()
            .map(Self::policy_of)
            .collect()
        })
    }

    /// One policy, or the active one when `id` is `None`.
    pub fn policy(&self, account: &str, id: Option<&str>) -> Result<Option<Policy>, StoreError> {
        self.rx(|tx| {
            one(
                tx,
                "SELECT id, name, active, bundle, created_at, updated_at FROM policies \
                 WHERE account = $1 AND ((CAST($2 AS TEXT) IS NULL AND active = 1) OR id = $2)",
                &[account.into(), id.into()],
            )?
            .map(|r| Self::policy_of(&r))
            .transpose()
        })
    }

    /// Makes one policy the account's active one.
    pub fn activate_policy(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if one(
                tx,
                "SELECT id FROM policies WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )?
            .is_none()
            {
                return Err(StoreError::NotFound(format!("policy {id:?}")));
            }
            tx.execute("UPDATE policies SET active = 0 WHERE account = $1", &[account.into()])?;
            tx.execute(
                "UPDATE policies SET active = 1 WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )?;
            bump_policy_epoch(tx)
        })
    }

    /// Deletes a policy.
    pub fn delete_policy(&self, account: &str, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "DELETE FROM policies WHERE account = $1 AND id = $2",
                &[account.into(), id.into()],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("policy {id:?}")));
            }
            bump_policy_epoch(tx)
        })
    }
}
