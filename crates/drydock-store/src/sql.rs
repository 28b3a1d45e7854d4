//! The little SQL both backends share: values, rows, and a backend that runs statements.
//! Statements are written once with `$1`-style placeholders and portable types (TEXT,
//! BIGINT); the SQLite backend rewrites placeholders to its `?1` form.

use crate::StoreError;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
}

impl Value {
    /// The text, or `None` for NULL and numbers.
    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
    /// The text or an empty string.
    pub fn str(&self) -> String {
        self.text().unwrap_or_default().to_string()
    }
    /// The number, or 0.
    pub fn int(&self) -> i64 {
        match self {
            Value::Int(i) => *i,
            Value::Text(s) => s.parse().unwrap_or(0),
            Value::Null => 0,
        }
    }
    /// True unless NULL.
    pub fn is_some(&self) -> bool {
        !matches!(self, Value::Null)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Text(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Text(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Value::Text(s.clone())
    }
}
impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Int(b as i64)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map(Into::into).unwrap_or(Value::Null)
    }
}

/// One result row, columns in select order.
pub type Row = Vec<Value>;

/// A database session: statements run inside [`Backend::transaction`] see one consistent,
/// isolated view and are committed together.
pub trait Tx {
    /// Runs a statement; returns the rows it affected.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs a query; returns its rows.
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError>;
}

/// A database the store can use.
pub trait Backend: Send + Sync {
    /// `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    /// Runs `f` in one transaction, committed when it returns `Ok`. `lock_queue` asks for
    /// a write lock up front (SQLite `BEGIN IMMEDIATE`), so read-then-write sequences do
    /// not deadlock.
    fn transaction(
        &self,
        lock_queue: bool,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
    /// The dialect's way to claim the oldest row with a condition, skipping rows other
    /// sessions hold (`FOR UPDATE SKIP LOCKED` on PostgreSQL; nothing on SQLite, whose
    /// writers are serialised).
    fn skip_locked(&self) -> &'static str;
}

/// Runs a query and returns its single row, if any.
pub fn one(tx: &mut dyn Tx, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
    Ok(tx.query(sql, params)?.into_iter().next())
}
