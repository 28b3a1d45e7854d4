//! Keeping the vulnerability database current over the network: [`update`] downloads the
//! feeds a configuration names (conditional and resumable) and rebuilds the database from
//! them; [`fetch_export`] downloads another drydock's exported database and imports it.
//!
//! The database itself (model, feed readers and table, build, export/import, the reader)
//! is `drydock-vulndb`, which has no network code, so matching never compiles HTTP.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]
#![warn(missing_docs)]

pub mod transfer;
pub mod update;

pub use transfer::{fetch_export, FetchAuth, FetchError};
pub use update::{update, RemoteSource, UpdateConfig, UpdateReport};
