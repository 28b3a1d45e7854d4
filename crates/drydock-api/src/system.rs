//! The service itself: health, status, and the vulnerability database and its feeds.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET /health` and `GET /ready`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// `ok`, `ready` or what is wrong.
    pub status: String,
}

/// The analysis queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Queue {
    /// Jobs waiting.
    pub queued: i64,
    /// Jobs being analysed.
    pub running: i64,
}

/// `GET /v1/system/status`: the database status `D` as the vulnerability database reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "SystemStatus")]
pub struct SystemStatus<D = Value> {
    /// The service's version.
    pub version: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    /// The analysis queue.
    pub queue: Queue,
    /// The vulnerability database.
    pub vulnerability_database: VulnDbSummary<D>,
}

/// The vulnerability database in a few fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "VulnDbSummary")]
pub struct VulnDbSummary<D = Value> {
    /// `ready`, `waiting_for_feed` or `unavailable`.
    pub state: String,
    /// Images are matched against it.
    pub available: bool,
    /// The database's build id (present when it opened).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build_id: Option<Option<String>>,
    /// Its status, as `GET /v1/feeds`'s database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<D>,
    /// Why it did not open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What its state means (`None` when ready).
    pub note: Option<String>,
}

/// One feed update, as recorded and returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FeedRun {
    /// Where the update came from.
    pub source: String,
    /// When it started (Unix seconds).
    pub started_at: i64,
    /// How long it took.
    pub seconds: f64,
    /// `updated`, `unchanged` or `failed`.
    pub result: String,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Build id of the database before.
    pub build_before: Option<String>,
    /// Build id of the database after (different builds, even in the same second).
    pub build_after: Option<String>,
    /// Advisories in the database after the update.
    pub advisories: Option<i64>,
}

/// `GET /v1/feeds`: the database status `D`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Feeds")]
pub struct Feeds<D = Value> {
    /// The database, when there is one.
    pub database: Option<D>,
    /// Where updates come from, without credentials.
    pub source: Option<String>,
    /// The last update.
    pub last_update: Option<FeedRun>,
    /// Why there is no database.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `POST /v1/feeds/update?wait=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FeedUpdateQuery {
    /// `false`: start the update and answer 202 at once.
    pub wait: Option<String>,
}

/// The answer of `POST /v1/feeds/update` (waited for).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct FeedUpdate {
    /// The update; `None` when no feed source is configured.
    pub update: Option<FeedRun>,
    /// Stored analyses were matched again.
    pub reevaluated: bool,
    /// What happened without a feed source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The answer of `POST /v1/feeds/update?wait=false` (202).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FeedStarted {
    /// `started`.
    pub status: String,
}
