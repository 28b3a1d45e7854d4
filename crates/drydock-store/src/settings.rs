//! Service-wide settings (name → value).

use crate::sql::one;
use crate::{Store, StoreError};

impl Store {
    /// A service setting.
    pub fn setting(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.rx(|tx| Ok(one(tx, "SELECT value FROM settings WHERE name = $1", &[name.into()])?.map(|r| r[0].str())))
    }

    /// Sets a service setting.
    pub fn set_setting(&self, name: &str, value: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute("DELETE FROM settings WHERE name = $1", &[name.into()])?;
            tx.execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2)",
                &[name.into(), value.into()],
            )?;
            Ok(())
        })
    }
}
