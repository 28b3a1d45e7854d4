//! Registry credentials of an account (passwords are sealed at rest and never returned).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /v1/registries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddRegistry {
    /// host[:port].
    pub registry: String,
    /// The user name at the registry.
    pub username: String,
    /// The password (stored encrypted, never returned).
    pub password: String,
    /// Plain HTTP.
    #[serde(default)]
    pub insecure: bool,
}

/// The answer of `POST /v1/registries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegistryAdded {
    /// host[:port].
    pub registry: String,
    /// The user name.
    pub username: String,
    /// Plain HTTP.
    pub insecure: bool,
}

/// Stored credentials of one registry, without the password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Registry {
    /// host[:port].
    pub registry: String,
    /// The user name.
    pub username: String,
    /// Plain HTTP.
    pub insecure: bool,
    /// Added (Unix seconds).
    pub created_at: i64,
}

/// `GET /v1/registries`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RegistryList {
    /// One page of registries.
    pub registries: Vec<Registry>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// Registries in all.
    pub total: usize,
}
