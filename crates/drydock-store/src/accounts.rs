//! Accounts, users and API keys.

use crate::sql::{one, Row};
use crate::{now, Store, StoreError};
use serde::{Deserialize, Serialize};

/// A user as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Login name, unique across accounts.
    pub name: String,
    /// The account it belongs to.
    pub account: String,
    /// Role name (`admin`, `account-admin`, `read-write`, `read-only`, `policy-editor`).
    pub role: String,
    /// Password hash in PHC string form; never serialized.
    #[serde(skip_serializing)]
    pub password_hash: String,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

impl Store {
    /// Creates an account (no error when it exists).
    pub fn ensure_account(&self, name: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if one(tx, "SELECT name FROM accounts WHERE name = $1", &[name.into()])?.is_none() {
                tx.execute(
                    "INSERT INTO accounts (name, created_at) VALUES ($1, $2)",
                    &[name.into(), now().into()],
                )?;
            }
            Ok(())
        })
    }

    /// Account names.
    pub fn accounts(&self) -> Result<Vec<String>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query("SELECT name FROM accounts ORDER BY name", &[])?
                .into_iter()
                .map(|r| r[0].str())
                .collect())
        })
    }

    /// Adds a user (the account must exist).
    pub fn add_user(&self, name: &str, account: &str, role: &str, password_hash: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if one(tx, "SELECT name FROM users WHERE name = $1", &[name.into()])?.is_some() {
                return Err(StoreError::Exists(format!("user {name:?}")));
            }
            if one(tx, "SELECT name FROM accounts WHERE name = $1", &[account.into()])?.is_none() {
                return Err(StoreError::NotFound(format!("account {account:?}")));
            }
            tx.execute(
                "INSERT INTO users (name, account, role, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
                &[
                    name.into(),
                    account.into(),
                    role.into(),
                    password_hash.into(),
                    now().into(),
                ],
            )?;
            Ok(())
        })
    }

    pub(crate) fn user_of(r: &Row) -> Result<User, StoreError> {
        Ok(User {
            name: r[0].str(),
            account: r[1].str(),
            role: r[2].str(),
            password_hash: r[3].str(),
            created_at: r[4].int("users.created_at")?,
        })
    }

    /// A user by name.
    pub fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        self.rx(|tx| {
            one(
                tx,
                "SELECT name, account, role, password_hash, created_at FROM users WHERE name = $1",
                &[name.into()],
            )?
            .map(|r| Self::user_of(&r))
            .transpose()
        })
    }

    /// Users, of one account or of all.
    pub fn users(&self, account: Option<&str>) -> Result<Vec<User>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT name, account, role, password_hash, created_at FROM users \
                     WHERE (CAST($1 AS TEXT) IS NULL OR account = $1) ORDER BY name",
                &[account.into()],
            )?
            .iter()
            .map(Self::user_of)
            .collect()
        })
    }

    /// Deletes a user, its API keys and its web sessions.
    pub fn delete_user(&self, name: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute("DELETE FROM api_keys WHERE user_name = $1", &[name.into()])?;
            tx.execute("DELETE FROM sessions WHERE user_name = $1", &[name.into()])?;
            if tx.execute("DELETE FROM users WHERE name = $1", &[name.into()])? == 0 {
                return Err(StoreError::NotFound(format!("user {name:?}")));
            }
            Ok(())
        })
    }

    /// Stores an API key (its id and the hash of its secret).
    pub fn add_api_key(&self, id: &str, user: &str, secret_hash: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "INSERT INTO api_keys (id, user_name, secret_hash, created_at) VALUES ($1, $2, $3, $4)",
                &[id.into(), user.into(), secret_hash.into(), now().into()],
            )?;
            Ok(())
        })
    }

    /// The user and secret hash of a key that is not revoked.
    pub fn api_key(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT user_name, secret_hash FROM api_keys WHERE id = $1 AND revoked = 0",
                &[id.into()],
            )?
            .map(|r| (r[0].str(), r[1].str())))
        })
    }

    /// The user and account owning a key that is not revoked.
    pub fn api_key_owner(&self, id: &str) -> Result<Option<(String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(one(
                tx,
                "SELECT k.user_name, u.account FROM api_keys k JOIN users u ON u.name = k.user_name \
                 WHERE k.id = $1 AND k.revoked = 0",
                &[id.into()],
            )?
            .map(|r| (r[0].str(), r[1].str())))
        })
    }

    /// Revokes a key.
    pub fn revoke_api_key(&self, id: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute("UPDATE api_keys SET revoked = 1 WHERE id = $1", &[id.into()])? == 0 {
                return Err(StoreError::NotFound(format!("API key {id:?}")));
            }
            Ok(())
        })
    }
}
