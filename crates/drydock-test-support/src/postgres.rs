//! A throwaway PostgreSQL database per test, on the server at 127.0.0.1:5432 (trust auth;
//! `DRYDOCK_TEST_POSTGRES` names another admin URL).

use std::sync::atomic::{AtomicUsize, Ordering};

/// The admin database URL the test databases are created from.
pub const DEFAULT_ADMIN: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The admin URL: `DRYDOCK_TEST_POSTGRES` or [`DEFAULT_ADMIN`].
pub fn admin_url() -> String {
    std::env::var("DRYDOCK_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_ADMIN.into())
}

/// A fresh database, dropped (with its connections) when the guard goes.
pub struct PgDb {
    /// The database's name.
    pub name: String,
    /// Its URL, for `--database` or `Store::open`.
    pub url: String,
}

// Creating a database is work and may fail the test: not a `Default`.
#[allow(clippy::new_without_default)]
impl PgDb {
    /// Creates a database of its own (named after the process and a counter, so that test
    /// binaries running at once never share one).
    pub fn new() -> PgDb {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let admin = admin_url();
        let mut c = postgres::Client::connect(&admin, postgres::NoTls)
            .unwrap_or_else(|e| fail(&format!("PostgreSQL must run for these tests ({admin}): {e}")));
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("drydock_test_{}_{n}", std::process::id());
        // A database left by an earlier process with the same id.
        c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .unwrap_or_else(|e| fail(&format!("drop {name}: {e}")));
        c.batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap_or_else(|e| fail(&format!("create {name}: {e}")));
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        PgDb {
            url: format!("{base}/{name}"),
            name,
        }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&admin_url(), postgres::NoTls) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
        }
    }
}

/// Fails the test that asked for a database.
#[allow(clippy::panic)]
fn fail(why: &str) -> ! {
    panic!("{why}")
}
