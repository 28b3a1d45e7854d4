//! The scale-out backend: PostgreSQL, shared by the server and any number of workers on
//! other machines; jobs are claimed with `FOR UPDATE SKIP LOCKED`.

use crate::sql::{Backend, Pool, Row, Tx, Value};
use crate::{DriverError, OpenError, StoreError};
use postgres::types::{ToSql, Type};
use postgres::{Client, Statement};
use std::collections::HashMap;

/// Prepared statements kept per connection (statements built with varying placeholder
/// lists make more; the cache starts over beyond this).
const MAX_STATEMENTS: usize = 512;

/// A PostgreSQL database: a pool of connections per process.
pub struct Postgres {
    pool: Pool<Conn>,
}

/// A connection and the statements prepared on it (each query is parsed and planned once
/// per connection, not per call).
struct Conn {
    client: Client,
    statements: HashMap<String, Statement>,
}

impl Postgres {
    /// Connects to `postgres://user@host:port/db[?sslmode=…&sslrootcert=…]` with up to
    /// `connections` connections, the first at once. TLS follows libpq's `sslmode`
    /// ([`crate::pg_tls`]); without one, TLS is used when the server offers it.
    pub fn connect(url: &str, connections: usize) -> Result<Self, StoreError> {
        let (driver_url, tls) = crate::pg_tls::split_url(url)?;
        let mut config: postgres::Config = driver_url.parse().map_err(|e| StoreError::Open {
            url: redact_url(url),
            source: OpenError::Settings(format!("not a PostgreSQL URL: {e}")),
        })?;
        config.ssl_mode(tls.driver_mode());
        let connector = tls.connector(url)?;
        let open = {
            let url = url.to_string();
            move || {
                config
                    .connect(connector.clone())
                    .map(|client| Conn {
                        client,
                        statements: HashMap::new(),
                    })
                    .map_err(|e| StoreError::Open {
                        url: redact_url(&url),
                        source: DriverError::from(e).into(),
                    })
            }
        };
        let first = open()?;
        Ok(Postgres {
            pool: Pool::new(connections, open, |c: &Conn| !c.client.is_closed()).with_first(first),
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
    StoreError::Driver(e.into())
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

struct PgTx<'a, 'b> {
    tx: &'a mut postgres::Transaction<'b>,
    statements: &'a mut HashMap<String, Statement>,
}

impl PgTx<'_, '_> {
    /// The statement for `sql`, prepared on this connection once.
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.tx.prepare(sql).map_err(err)?;
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        self.statements.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

impl Tx for PgTx<'_, '_> {
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let b = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = b.iter().map(|p| p.as_ref()).collect();
        let stmt = self.statement(sql)?;
        self.tx.execute(&stmt, &refs).map_err(err)
    }
    fn query(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Row>, StoreError> {
        let b = bind(params);
        let refs: Vec<&(dyn ToSql + Sync)> = b.iter().map(|p| p.as_ref()).collect();
        let stmt = self.statement(sql)?;
        let rows = self.tx.query(&stmt, &refs).map_err(err)?;
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
        let mut conn = self.pool.get()?;
        let Conn { client, statements } = &mut *conn;
        let mut tx = client.transaction().map_err(err)?;
        f(&mut PgTx {
            tx: &mut tx,
            statements,
        })?;
        tx.commit().map_err(err)
    }
    fn skip_locked(&self) -> &'static str {
        "FOR UPDATE SKIP LOCKED"
    }
}
