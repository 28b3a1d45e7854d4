//! Registry credentials (the password sealed by the caller).

use crate::{now, Store, StoreError};
use serde::{Deserialize, Serialize};

/// Registry credentials as stored: the password sealed (encrypted) by the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryCredential {
    /// Registry host as given (e.g. `registry.local:5000`).
    pub registry: String,
    /// User name to log in with.
    pub username: String,
    /// The password as sealed by the caller; never serialized.
    #[serde(skip_serializing)]
    pub sealed_password: String,
    /// Speak plain HTTP to this registry.
    pub insecure: bool,
    /// Creation time, Unix seconds.
    pub created_at: i64,
}

impl Store {
    /// Adds or replaces the credentials of a registry for the account.
    pub fn put_registry(
        &self,
        account: &str,
        registry: &str,
        username: &str,
        sealed: &str,
        insecure: bool,
    ) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "DELETE FROM registries WHERE account = $1 AND registry = $2",
                &[account.into(), registry.into()],
            )?;
            tx.execute(
                "INSERT INTO registries (account, registry, username, sealed_password, insecure, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    account.into(),
                    registry.into(),
                    username.into(),
                    sealed.into(),
                    insecure.into(),
                    now().into(),
                ],
            )?;
            Ok(())
        })
    }

    /// The account's registries (passwords stay sealed).
    pub fn registries(&self, account: &str) -> Result<Vec<RegistryCredential>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT registry, username, sealed_password, insecure, created_at FROM registries \
                     WHERE account = $1 ORDER BY registry",
                &[account.into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(RegistryCredential {
                    registry: r[0].str(),
                    username: r[1].str(),
                    sealed_password: r[2].str(),
                    insecure: r[3].int("registries.insecure")? != 0,
                    created_at: r[4].int("registries.created_at")?,
                })
            })
            .collect()
        })
    }

    /// Deletes a registry's credentials.
    pub fn delete_registry(&self, account: &str, registry: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            if tx.execute(
                "DELETE FROM registries WHERE account = $1 AND registry = $2",
                &[account.into(), registry.into()],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("registry {registry:?}")));
            }
            Ok(())
        })
    }
}
