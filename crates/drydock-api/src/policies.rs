//! Policy bundles: the stored bundles of an account and the active one. Bodies of
//! `POST /v1/policies` and `PUT /v1/policies/{id}` are Anchore bundles, JSON or YAML.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A stored bundle. `POST /v1/policies` answers it with `bundle` (its canonical JSON as a
/// string); lists leave `bundle` out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Policy {
    /// The bundle's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The account's active bundle.
    pub active: bool,
    /// The bundle, canonical JSON text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<String>,
    /// Added (Unix seconds).
    pub created_at: i64,
    /// Last replaced (Unix seconds).
    pub updated_at: i64,
}

/// `GET /v1/policies`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PolicyList {
    /// One page of bundles.
    pub policies: Vec<Policy>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// Bundles in all.
    pub total: usize,
}

/// `GET /v1/policies/{id}`: the bundle `B` as a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PolicyDetail")]
pub struct PolicyDetail<B = Value> {
    /// The bundle's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The account's active bundle.
    pub active: bool,
    /// The bundle.
    pub bundle: B,
}
