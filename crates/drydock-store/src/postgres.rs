//! The scale-out backend: PostgreSQL, shared by the server and any number of workers on
//! other machines; jobs are claimed with `FOR UPDATE SKIP LOCKED`.

use crate::sql::{Backend, Row, Tx, Value};
use crate::StoreError;
use postgres::types::{ToSql, Type};
use postgres::{Client, NoTls};
use std::sync::Mutex;

/// A PostgreSQL database (one connection per process, serialised).
pub struct Postgres {
    client: Mutex<Client>,
}

impl Postgres {
    /// Connects to `postgres://user@host:port/db` (no TLS: use a local or tunnelled
    /// connection, or a proxy).
    pub fn connect(url: &str) -> Result<Self, StoreError> {
        let client = Client::connect(url, NoTls).map_err(|e| StoreError::Open {
            url: redact_url(url),
            reason: e.to_string(),
        })?;
        Ok(Postgres {
            client: Mutex::new(client),
        })
    }
}

/// The URL with any password replaced by `***` (for messages).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn err(e: postgres::Error) -> StoreError {
    StoreError::Database(match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    })
}

fn bind(params: &[Value]) -> Vec<Box<dyn ToSql + Sync>> {
    params
        .iter()
        .map(|v| -> Box<dyn ToSql + Sync> {
            match v {
                Value::Null => Box::new(Option::<String>::None),
                Value::Int(i) => Box::new(*i),
                Value::Text(s) => Box::new(s.clone()),
            }
        })
        .collect()
}

struct PgTx<'a, 'b>(&'a mut postgres::Transaction<'b>);

impl Tx for PgTx<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let b = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = b.iter().map(|p| p.as_ref()).collect();
        self.0.execute(sql, &refs).map_err(err)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let b = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = b.iter().map(|p| p.as_ref()).collect();
        let rows = self.0.query(sql, &refs).map_err(err)?;
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| {
                        let t = r.columns()[i].type_();
                        Ok(if *t == Type::INT8 {
                            r.try_get::<_, Option<i64>>(i)
                                .map_err(err)?
                                .map_or(Value::Null, Value::Int)
                        } else if *t == Type::INT4 {
                            r.try_get::<_, Option<i32>>(i)
                                .map_err(err)?
                                .map_or(Value::Null, |v| Value::Int(v.into()))
                        } else {
                            r.try_get::<_, Option<String>>(i)
                                .map_err(err)?
                                .map_or(Value::Null, Value::Text)
                        })
                    })
                    .collect()
            })
            .collect()
    }
}

impl Backend for Postgres {
    fn kind(&self) -> &'static str {
        "postgres"
    }
    fn transaction(
        &self,
        _lock_queue: bool,
        f: &mut dyn FnMut(&mut dyn Tx) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut client = self.client.lock().unwrap_or_else(|e| e.into_inner());
        let mut tx = client.transaction().map_err(err)?;
        f(&mut PgTx(&mut tx))?;
        tx.commit().map_err(err)
    }
    fn skip_locked(&self) -> &'static str {
        "FOR UPDATE SKIP LOCKED"
    }
}
