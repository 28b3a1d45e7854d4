//! The contract of drydock's REST API (`/v1`): the route table [`ROUTES`] (method, path,
//! permission, summary, and the types a route reads and answers) and every request and
//! response body, one module per resource. The server's handlers build these types, the
//! CLI client reads them back, and the web UI shares them. Network-free: serde only.
//!
//! Documents owned by other crates (SBOM packages, findings, policy evaluations, …) are type
//! parameters defaulting to [`serde_json::Value`]: the server fills them with its own types
//! (serialised as they are), a client reads them as JSON or as those types.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod accounts;
pub mod images;
pub mod notify;
pub mod policies;
pub mod queries;
pub mod registries;
pub mod routes;
pub mod system;

pub use routes::{schema, Perm, RouteSpec, SchemaFn, ROUTES};
pub use schemars;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The body of every error answer: what went wrong and, when known, what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    /// One line saying what went wrong.
    pub error: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// `limit` and `offset` of a list route (`?limit=&offset=`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PageQuery {
    /// Page size, 1-500 (default 100).
    pub limit: Option<i64>,
    /// Items to skip.
    pub offset: Option<i64>,
}

/// `format=` of the routes that also answer in drydock's report formats.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FormatQuery {
    /// `api` (the default: the route's JSON) or a report format name.
    pub format: Option<String>,
}
