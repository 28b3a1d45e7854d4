//! Accounts, users and API keys.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `POST /v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddUser {
    /// The login name.
    pub name: String,
    /// At least 8 characters.
    pub password: String,
    /// A role name (`admin`, `account-admin`, `read-write`, `read-only`, `policy-editor`,
    /// `image-analyzer`).
    pub role: String,
    /// The account (admins only; default: the caller's).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// The answer of `POST /v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddedUser {
    /// The login name.
    pub name: String,
    /// The role.
    pub role: String,
}

/// A user (never its password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct User {
    /// The login name.
    pub name: String,
    /// Its account.
    pub account: String,
    /// Its role.
    pub role: String,
    /// Added (Unix seconds).
    pub created_at: i64,
}

/// `GET /v1/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UserList {
    /// One page of users.
    pub users: Vec<User>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// Users in all.
    pub total: usize,
}

/// The answer of `POST /v1/apikeys`: the key, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApiKeyCreated {
    /// The key's id (for revoking it).
    pub id: String,
    /// `ddk_<id>_<secret>`.
    pub key: String,
    /// A reminder that it is shown once.
    pub note: String,
}

/// `POST /v1/accounts`, and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Account {
    /// 1-64 letters, digits, `-`, `_` or `.`.
    pub name: String,
}

/// `GET /v1/accounts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AccountList {
    /// One page of account names.
    pub accounts: Vec<String>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// Accounts in all.
    pub total: usize,
}
