//! What goes wrong in the store. A driver's error is kept as the source (not flattened to
//! text), so a caller can tell a unique violation or a lost connection from other failures
//! and an error printer walks the chain.

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened or connected to.
    #[error("cannot open database {url}: {source}")]
    Open {
        /// The file or URL (any password redacted).
        url: String,
        /// Why.
        #[source]
        source: OpenError,
    },
    /// A statement or transaction failed in the driver.
    #[error("database error: {0}")]
    Driver(#[from] DriverError),
    /// A stored document could not be encoded or decoded.
    #[error("stored {what} is not valid JSON: {source}")]
    Json {
        /// What the document is.
        what: &'static str,
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// A column held a value of the wrong kind (bad data, not a driver failure).
    #[error("column {column} holds {found}, not an integer")]
    NotInteger {
        /// The column read.
        column: &'static str,
        /// What it held, quoted (at most 40 characters).
        found: String,
    },
    /// A row the transaction had just written or claimed was not there.
    #[error("database error: {0}")]
    Vanished(&'static str),
    /// The schema is newer than this build knows.
    #[error("the database schema is version {found}, newer than this drydock supports ({supported}); upgrade drydock")]
    TooNew {
        /// The schema version found.
        found: i64,
        /// The newest this build knows.
        supported: i64,
    },
    /// What was to be created exists.
    #[error("{0} already exists")]
    Exists(String),
    /// What was asked for does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A write raced another one on a unique key.
    #[error("conflicting write: {0}")]
    Conflict(#[source] DriverError),
}

impl StoreError {
    /// True when a statement broke a unique index (a write raced another one).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Driver(d) | StoreError::Conflict(d) => d.is_unique_violation(),
            _ => false,
        }
    }

    /// True when the database could not be reached or the connection was lost.
    pub fn is_connection_failure(&self) -> bool {
        match self {
            StoreError::Open { .. } => true,
            StoreError::Driver(d) => d.is_connection_failure(),
            _ => false,
        }
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Its directory could not be created.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The driver refused.
    #[error("{0}")]
    Driver(#[from] DriverError),
    /// The URL's settings cannot be used (an unknown `sslmode`, an unreadable `sslrootcert`).
    #[error("{0}")]
    Settings(String),
}

/// A database driver's own error, kept whole.
#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    /// SQLite (rusqlite).
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// PostgreSQL: the server's message and SQLSTATE where it sent one.
    #[error("{}", postgres_message(.0))]
    Postgres(#[from] postgres::Error),
}

impl DriverError {
    /// True when a statement broke a unique index.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            DriverError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                    || e.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
            }
            DriverError::Sqlite(_) => false,
            DriverError::Postgres(e) => e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION),
        }
    }

    /// True when the server could not be reached or the connection was lost (PostgreSQL;
    /// an embedded SQLite file has no connection to lose).
    pub fn is_connection_failure(&self) -> bool {
        match self {
            DriverError::Sqlite(_) => false,
            DriverError::Postgres(e) => {
                e.is_closed()
                    || e.code().is_some_and(|c| c.code().starts_with("08"))
                    || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
            }
        }
    }
}

/// The server's message and SQLSTATE; for a client-side failure (connecting, TLS), the
/// driver's message with its causes, which it does not print itself ("error performing TLS
/// handshake" alone does not say the certificate was refused).
fn postgres_message(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}
