//! What happened and who is told: events, subscriptions, webhooks, the delivery log and the
//! audit log.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event (analysis finished, tag moved, policy result changed, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Event {
    /// The event's id.
    pub id: String,
    /// What happened.
    pub kind: String,
    /// What it happened to (a tag, an image).
    pub subject: String,
    /// Details, by kind.
    pub detail: Value,
    /// When (Unix seconds).
    pub created_at: i64,
}

/// `GET /v1/events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EventList {
    /// One page of events, newest first.
    pub events: Vec<Event>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
}

/// `POST /v1/subscriptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddSubscription {
    /// `tag_update`, `vuln_update`, `policy_eval` or `analysis_update`.
    pub kind: String,
    /// `registry/repository:tag`.
    pub tag: String,
}

/// A subscription: notify the account about one kind of change to one tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Subscription {
    /// The subscription's id.
    pub id: String,
    /// Its account.
    pub account: String,
    /// `tag_update`, `vuln_update`, `policy_eval` or `analysis_update`.
    pub kind: String,
    /// The full tag.
    pub tag: String,
    /// Added (Unix seconds).
    pub created_at: i64,
}

/// `GET /v1/subscriptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubscriptionList {
    /// One page of subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// Subscriptions in all.
    pub total: usize,
}

/// `POST /v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddWebhook {
    /// Where deliveries are POSTed.
    pub url: String,
}

/// The answer of `POST /v1/webhooks`: the signing secret, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookCreated {
    /// The endpoint's id.
    pub id: String,
    /// Its URL.
    pub url: String,
    /// The HMAC-SHA256 key of the delivery signatures.
    pub secret: String,
    /// How deliveries are signed.
    pub note: String,
}

/// A webhook endpoint (without its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Webhook {
    /// The endpoint's id.
    pub id: String,
    /// Its account.
    pub account: String,
    /// Its URL.
    pub url: String,
    /// Added (Unix seconds).
    pub created_at: i64,
}

/// `GET /v1/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WebhookList {
    /// One page of endpoints.
    pub webhooks: Vec<Webhook>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
    /// Endpoints in all.
    pub total: usize,
}

/// One notification to one webhook, with its delivery state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Delivery {
    /// The delivery's id.
    pub id: String,
    /// Its account.
    pub account: String,
    /// The endpoint.
    pub webhook_id: String,
    /// The notification's kind.
    pub kind: String,
    /// Its subject (a tag).
    pub subject: String,
    /// The JSON body sent.
    pub payload: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Next attempt (Unix seconds).
    pub next_attempt_at: i64,
    /// HTTP status of the last attempt.
    pub last_status: Option<i64>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// Queued (Unix seconds).
    pub created_at: i64,
    /// Delivered (Unix seconds).
    pub delivered_at: Option<i64>,
}

/// `GET /v1/notifications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeliveryList {
    /// One page of deliveries, newest first.
    pub deliveries: Vec<Delivery>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
}

/// One mutating call, as the audit log records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditRecord {
    /// The record's id.
    pub id: String,
    /// The account acted on.
    pub account: Option<String>,
    /// The user who called.
    pub user: Option<String>,
    /// HTTP method.
    pub method: String,
    /// The route (path template).
    pub route: String,
    /// The answer's HTTP status.
    pub status: i64,
    /// The caller's address.
    pub remote: Option<String>,
    /// When (Unix seconds).
    pub created_at: i64,
}

/// `GET /v1/audit`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuditList {
    /// One page of records, newest first.
    pub audit: Vec<AuditRecord>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
}
