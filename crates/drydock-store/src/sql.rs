//! The little SQL both backends share: values, rows, and a backend that runs statements.
//! Statements are written once with `$1`-style placeholders and portable types (TEXT,
//! BIGINT); the SQLite backend rewrites placeholders to its `?1` form.

use crate::StoreError;

/// A value bound to or read from a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// An integer (`BIGINT`; booleans as 0 and 1).
    Int(i64),
    /// A text value.
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
    /// The number in `column` (named in the error when it holds NULL or text that is not
    /// an integer: bad data is an error, not a 0).
    pub fn int(&self, column: &'static str) -> Result<i64, StoreError> {
        match self {
            Value::Int(i) => Ok(*i),
            Value::Text(s) => s.trim().parse().map_err(|_| StoreError::NotInteger {
                column,
                found: format!("{:?}", s.chars().take(40).collect::<String>()),
            }),
            Value::Null => Err(StoreError::NotInteger {
                column,
                found: "NULL".into(),
            }),
        }
    }
    /// The number in a nullable `column` (`None` for NULL).
    pub fn opt_int(&self, column: &'static str) -> Result<Option<i64>, StoreError> {
        match self {
            Value::Null => Ok(None),
            v => v.int(column).map(Some),
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
    /// Runs `f` in a transaction that only reads (it may run beside writers on another
    /// connection).
    fn read(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        self.transaction(false, f)
    }
}

/// Runs a query and returns its single row, if any.
pub fn one(tx: &mut dyn Tx, sql: &str, params: &[Value]) -> Result<Option<Row>, StoreError> {
    Ok(tx.query(sql, params)?.into_iter().next())
}

/// A bounded pool of connections, opened lazily up to `max`; a caller waits for a free one.
pub struct Pool<C> {
    idle: std::sync::Mutex<(Vec<C>, usize)>,
    freed: std::sync::Condvar,
    max: usize,
    connect: Box<dyn Fn() -> Result<C, StoreError> + Send + Sync>,
    healthy: fn(&C) -> bool,
}

impl<C> Pool<C> {
    /// A pool of at most `max` connections made by `connect`; `healthy` decides whether a
    /// returned connection is kept.
    pub fn new(
        max: usize,
        connect: impl Fn() -> Result<C, StoreError> + Send + Sync + 'static,
        healthy: fn(&C) -> bool,
    ) -> Self {
        Pool {
            idle: std::sync::Mutex::new((Vec::new(), 0)),
            freed: std::sync::Condvar::new(),
            max: max.max(1),
            connect: Box::new(connect),
            healthy,
        }
    }

    /// A pool holding one already open connection (more are opened on demand).
    pub fn with_first(mut self, first: C) -> Self {
        let idle = self.idle.get_mut().unwrap_or_else(|e| e.into_inner());
        idle.0.push(first);
        idle.1 += 1;
        self
    }

    /// A free connection, opening one when under the limit, else waiting.
    pub fn get(&self) -> Result<Pooled<'_, C>, StoreError> {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(c) = idle.0.pop() {
                return Ok(Pooled {
                    pool: self,
                    conn: Some(c),
                });
            }
            if idle.1 < self.max {
                idle.1 += 1;
                drop(idle);
                return match (self.connect)() {
                    Ok(c) => Ok(Pooled {
                        pool: self,
                        conn: Some(c),
                    }),
                    Err(e) => {
                        self.idle.lock().unwrap_or_else(|e| e.into_inner()).1 -= 1;
                        self.freed.notify_one();
                        Err(e)
                    }
                };
            }
            idle = self.freed.wait(idle).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// A connection borrowed from a [`Pool`]; returned (or, when broken, closed) on drop.
pub struct Pooled<'a, C> {
    pool: &'a Pool<C>,
    conn: Option<C>,
}

impl<C> std::ops::Deref for Pooled<'_, C> {
    type Target = C;
    fn deref(&self) -> &C {
        self.conn.as_ref().expect("present until dropped")
    }
}

impl<C> std::ops::DerefMut for Pooled<'_, C> {
    fn deref_mut(&mut self) -> &mut C {
        self.conn.as_mut().expect("present until dropped")
    }
}

impl<C> Drop for Pooled<'_, C> {
    fn drop(&mut self) {
        let Some(c) = self.conn.take() else { return };
        let mut idle = self.pool.idle.lock().unwrap_or_else(|e| e.into_inner());
        if (self.pool.healthy)(&c) && !std::thread::panicking() {
            idle.0.push(c);
        } else {
            idle.1 -= 1;
        }
        drop(idle);
        self.pool.freed.notify_one();
    }
}
