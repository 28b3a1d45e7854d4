//! Web UI sessions: a random token in a cookie, stored as its SHA-256 with the user, the
//! account acted on, the CSRF token of the session's forms and an expiry.

use crate::sql::{one, Row};
use crate::{now, Store, StoreError};

/// A signed-in browser session as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// SHA-256 (hex) of the cookie's token; the token itself is never stored.
    pub id_hash: String,
    /// The user signed in.
    pub user: String,
    /// The account the session acts on (an admin may switch).
    pub account: String,
    /// The token every form of the session carries (compared in constant time).
    pub csrf: String,
    /// When the session began (Unix seconds).
    pub created_at: i64,
    /// When it ends unless used again (Unix seconds).
    pub expires_at: i64,
}

impl Store {
    /// Stores a new session.
    pub fn add_session(&self, s: &Session) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "INSERT INTO sessions (id_hash, user_name, account, csrf, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    s.id_hash.as_str().into(),
                    s.user.as_str().into(),
                    s.account.as_str().into(),
                    s.csrf.as_str().into(),
                    s.created_at.into(),
                    s.expires_at.into(),
                ],
            )?;
            Ok(())
        })
    }

    fn session_of(r: &Row) -> Result<Session, StoreError> {
        Ok(Session {
            id_hash: r[0].str(),
            user: r[1].str(),
            account: r[2].str(),
            csrf: r[3].str(),
            created_at: r[4].int("sessions.created_at")?,
            expires_at: r[5].int("sessions.expires_at")?,
        })
    }

    /// A session that has not expired, by the hash of its token.
    pub fn session(&self, id_hash: &str) -> Result<Option<Session>, StoreError> {
        self.rx(|tx| {
            one(
                tx,
                "SELECT id_hash, user_name, account, csrf, created_at, expires_at FROM sessions \
                 WHERE id_hash = $1 AND expires_at > $2",
                &[id_hash.into(), now().into()],
            )?
            .map(|r| Self::session_of(&r))
            .transpose()
        })
    }

    /// Moves a session's expiry (sliding expiry on use) and, optionally, its account.
    pub fn update_session(&self, id_hash: &str, expires_at: i64, account: Option<&str>) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute(
                "UPDATE sessions SET expires_at = $2, account = COALESCE(CAST($3 AS TEXT), account) \
                 WHERE id_hash = $1",
                &[id_hash.into(), expires_at.into(), account.into()],
            )?;
            Ok(())
        })
    }

    /// Ends a session (logout); ending an unknown one is not an error.
    pub fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            tx.execute("DELETE FROM sessions WHERE id_hash = $1", &[id_hash.into()])?;
            Ok(())
        })
    }

    /// Forgets sessions that have expired; returns how many.
    pub fn delete_expired_sessions(&self) -> Result<u64, StoreError> {
        self.tx(true, |tx| {
            tx.execute("DELETE FROM sessions WHERE expires_at <= $1", &[now().into()])
        })
    }
}
