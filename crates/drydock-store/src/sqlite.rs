//! The embedded backend: one SQLite file in the data directory (WAL, foreign keys, busy
//! timeout): one writing connection serialised by a mutex, and a pool of read-only
//! connections that read beside it (WAL readers see the last commit and never block it).

use crate::sql::{Backend, Pool, Row, Tx, Value};
use crate::{DriverError, StoreError};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, ToSql, TransactionBehavior};
use std::path::Path;
use std::sync::Mutex;

/// A SQLite database.
pub struct Sqlite {
    conn: Mutex<Connection>,
    /// Read-only connections (none for `:memory:`, which is private to one connection).
    readers: Option<Pool<Connection>>,
}

impl Sqlite {
    /// Opens (creating) the database file with up to `readers` read-only connections beside
    /// the writer; `:memory:` for a private in-memory one.
    pub fn open(path: &Path, readers: usize) -> Result<Self, StoreError> {
        let conn = connect(path, false)?;
        let readers = (path != Path::new(":memory:") && readers > 0).then(|| {
            let path = path.to_path_buf();
            Pool::new(readers, move || connect(&path, true), |_| true)
        });
        Ok(Sqlite {
            conn: Mutex::new(conn),
            readers,
        })
    }
}

fn connect(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let open_err = |e: rusqlite::Error| StoreError::Open {
        url: path.display().to_string(),
        source: DriverError::from(e).into(),
    };
    let conn = Connection::open(path).map_err(open_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))
        .and_then(|_| {
            if read_only {
                conn.pragma_update(None, "query_only", "ON")
            } else {
                conn.pragma_update(None, "journal_mode", "WAL")
            }
        })
        .and_then(|_| conn.pragma_update(None, "foreign_keys", "ON"))
        .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
        .map_err(open_err)?;
    Ok(conn)
}

/// `$1` → `?1` (SQLite's numbered parameters).
fn dialect(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

struct Param<'a>(&'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self.0 {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(i) => ToSqlOutput::Borrowed(ValueRef::Integer(*i)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

fn err(e: rusqlite::Error) -> StoreError {
    StoreError::Driver(e.into())
}

struct SqliteTx<'a>(&'a rusqlite::Transaction<'a>);

impl Tx for SqliteTx<'_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let p: Vec<Param> = params.iter().map(Param).collect();
        let refs: Vec<&dyn ToSql> = p.iter().map(|p| p as &dyn ToSql).collect();
        self.0
            .execute(&dialect(sql), refs.as_slice())
            .map(|n| n as u64)
            .map_err(err)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let p: Vec<Param> = params.iter().map(Param).collect();
        let refs: Vec<&dyn ToSql> = p.iter().map(|p| p as &dyn ToSql).collect();
        let mut stmt = self.0.prepare_cached(&dialect(sql)).map_err(err)?;
        let n = stmt.column_count();
        let rows = stmt
            .query_map(refs.as_slice(), |r| {
                (0..n)
                    .map(|i| {
                        Ok(match r.get_ref(i)? {
                            ValueRef::Null => Value::Null,
                            ValueRef::Integer(i) => Value::Int(i),
                            ValueRef::Real(f) => Value::Int(f as i64),
                            ValueRef::Text(t) | ValueRef::Blob(t) => {
                                Value::Text(String::from_utf8_lossy(t).into_owned())
                            }
                        })
                    })
                    .collect::<rusqlite::Result<Row>>()
            })
            .map_err(err)?;
        rows.collect::<rusqlite::Result<Vec<Row>>>().map_err(err)
    }
}

impl Backend for Sqlite {
    fn kind(&self) -> &'static str {
        "sqlite"
    }
    fn transaction(
        &self,
        lock_queue: bool,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        let behavior = if lock_queue {
            TransactionBehavior::Immediate
        } else {
            TransactionBehavior::Deferred
        };
        let tx = conn.transaction_with_behavior(behavior).map_err(err)?;
        f(&mut SqliteTx(&tx))?;
        tx.commit().map_err(err)
    }
    fn skip_locked(&self) -> &'static str {
        ""
    }
    fn read(&self, f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>) -> Result<(), StoreError> {
        let Some(readers) = &self.readers else {
            return self.transaction(false, f);
        };
        let mut conn = readers.get()?;
        let tx = conn.transaction().map_err(err)?;
        f(&mut SqliteTx(&tx))?;
        tx.commit().map_err(err)
    }
}
