//! The route table: every route of the service once, with the permission it needs and the
//! types it reads and answers. The server's router and authorisation, the OpenAPI document
//! (its parameters and schemas derived from those types) and the route × role tests all
//! read it.

use crate::accounts::{Account, AccountList, AddUser, AddedUser, ApiKeyCreated, UserList};
use crate::images::{
    AddImage, AddImageQuery, AddedImage, Check, CheckQuery, Content, Diff, DiffQuery, History, HistoryQuery, Image,
    ImageList, ImageListQuery, Misconfigurations, SbomQuery, Secrets, VulnReport,
};
use crate::notify::{
    AddSubscription, AddWebhook, AuditList, DeliveryList, EventList, Subscription, SubscriptionList, WebhookCreated,
    WebhookList,
};
use crate::policies::{Policy, PolicyDetail, PolicyList};
use crate::queries::{PackageImages, PackageQuery, VulnerabilityImages, VulnerabilityQuery};
use crate::registries::{AddRegistry, RegistryAdded, RegistryList};
use crate::system::{FeedUpdate, FeedUpdateQuery, Feeds, Health, SystemStatus};
use crate::{FormatQuery, PageQuery};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;

/// The schema of a type, as a generator places it (a reference to a named component).
pub type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// The schema of `T` (for [`RouteSpec`]'s type fields).
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// What a route needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Perm {
    /// No authentication (health and readiness only).
    Public,
    /// Any authenticated caller.
    Authenticated,
    /// Reads images, their analyses and queries over them.
    ImageRead,
    /// Adds and deletes images and subscriptions.
    ImageWrite,
    /// Reads policy bundles.
    PolicyRead,
    /// Adds, replaces and activates policy bundles.
    PolicyWrite,
    /// Reads events and the notification log.
    EventRead,
    /// Users and API keys of the caller's account.
    UserAdmin,
    /// Accounts, feeds and system settings.
    SystemAdmin,
}

/// One route: method, path (axum syntax), permission, summary, and the types of its query,
/// request body and success answer.
#[derive(Debug, Clone, Copy)]
pub struct RouteSpec {
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path in axum syntax (`{id}` segments).
    pub path: &'static str,
    /// What the caller needs.
    pub perm: Perm,
    /// One sentence for the OpenAPI document.
    pub summary: &'static str,
    /// The query parameters (a struct of optional fields).
    pub query: Option<SchemaFn>,
    /// The JSON request body.
    pub request: Option<SchemaFn>,
    /// The success status.
    pub status: u16,
    /// The JSON success body; `None` for no body or a document that is not this API's JSON
    /// (metrics, an SBOM, the database file, the OpenAPI document).
    pub response: Option<SchemaFn>,
}

const fn r(method: &'static str, path: &'static str, perm: Perm, summary: &'static str) -> RouteSpec {
    RouteSpec {
        method,
        path,
        perm,
        summary,
        query: None,
        request: None,
        status: 200,
        response: None,
    }
}

impl RouteSpec {
    /// Answers `status` with a body of the schema.
    const fn answers(mut self, status: u16, response: SchemaFn) -> Self {
        self.status = status;
        self.response = Some(response);
        self
    }

    /// Answers 200 with a body of the schema.
    const fn ok(self, response: SchemaFn) -> Self {
        self.answers(200, response)
    }

    /// Answers 204 without a body.
    const fn no_content(mut self) -> Self {
        self.status = 204;
        self
    }

    /// Reads a JSON body of the schema.
    const fn body(mut self, request: SchemaFn) -> Self {
        self.request = Some(request);
        self
    }

    /// Reads the query parameters of the schema.
    const fn query(mut self, query: SchemaFn) -> Self {
        self.query = Some(query);
        self
    }
}

/// Every route.
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/health", Perm::Public, "Liveness: the process answers.").ok(schema::<Health>),
    r("GET", "/ready", Perm::Public, "Readiness: the database answers.").ok(schema::<Health>),
    r("GET", "/metrics", Perm::Authenticated, "Prometheus metrics."),
    r(
        "GET",
        "/v1/openapi.json",
        Perm::Authenticated,
        "This API, as OpenAPI 3.0.",
    ),
    r(
        "GET",
        "/v1/system/status",
        Perm::Authenticated,
        "Service status: database, queue, version.",
    ).ok(schema::<SystemStatus>),
    r(
        "POST",
        "/v1/images",
        Perm::ImageWrite,
        "Add an image by tag: a new digest is queued for analysis (202); a digest the account already has \
         returns that image and queues nothing (200) unless force=true.",
    ).answers(202, schema::<AddedImage>).body(schema::<AddImage>).query(schema::<AddImageQuery>),
    r(
        "GET",
        "/v1/images",
        Perm::ImageRead,
        "List images (status, registry, repository, tag, limit, offset).",
    ).ok(schema::<ImageList>).query(schema::<ImageListQuery>),
    r(
        "GET",
        "/v1/images/{id}",
        Perm::ImageRead,
        "One image by id or manifest digest.",
    ).ok(schema::<Image>),
    r(
        "DELETE",
        "/v1/images/{id}",
        Perm::ImageWrite,
        "Delete an image and its stored analysis.",
    ).no_content(),
    r(
        "GET",
        "/v1/images/{id}/sbom",
        Perm::ImageRead,
        "The SBOM (format=native|cyclonedx|spdx).",
    ).query(schema::<SbomQuery>),
    r(
        "GET",
        "/v1/images/{id}/vuln/{kind}",
        Perm::ImageRead,
        "Vulnerabilities: os, non-os or all (format=api, json, table, sarif or cyclonedx-json: as drydock scan -o).",
    ).ok(schema::<VulnReport>).query(schema::<FormatQuery>),
    r(
        "GET",
        "/v1/images/{id}/content/{kind}",
        Perm::ImageRead,
        "Packages of one type (os, python, npm, java, gem, go, rust, php, dotnet, binary) or files.",
    ).ok(schema::<Content>),
    r(
        "GET",
        "/v1/images/{id}/check",
        Perm::ImageRead,
        "Policy evaluation (policy=ID, else the active bundle; tag=; format=api, json, table, junit or sarif: as \
         drydock check -o).",
    ).ok(schema::<Check>).query(schema::<CheckQuery>),
    r(
        "GET",
        "/v1/images/{id}/secrets",
        Perm::ImageRead,
        "Secrets found (redacted).",
    ).ok(schema::<Secrets>),
    r(
        "GET",
        "/v1/images/{id}/misconfig",
        Perm::ImageRead,
        "Misconfigurations found.",
    ).ok(schema::<Misconfigurations>),
    r("GET", "/v1/history", Perm::ImageRead, "Tag → digest history (tag=).").ok(schema::<History>).query(schema::<HistoryQuery>),
    r(
        "POST",
        "/v1/policies",
        Perm::PolicyWrite,
        "Add a policy bundle (validated).",
    ).answers(201, schema::<Policy>),
    r("GET", "/v1/policies", Perm::PolicyRead, "List policy bundles.").ok(schema::<PolicyList>).query(schema::<PageQuery>),
    r("GET", "/v1/policies/{id}", Perm::PolicyRead, "One policy bundle.").ok(schema::<PolicyDetail>),
    r(
        "PUT",
        "/v1/policies/{id}",
        Perm::PolicyWrite,
        "Replace a policy bundle.",
    ).no_content(),
    r(
        "DELETE",
        "/v1/policies/{id}",
        Perm::PolicyWrite,
        "Delete a policy bundle.",
    ).no_content(),
    r(
        "POST",
        "/v1/policies/{id}/activate",
        Perm::PolicyWrite,
        "Make a bundle the account's active one.",
    ).no_content(),
    r(
        "GET",
        "/v1/events",
        Perm::EventRead,
        "Events, newest first (limit, offset).",
    ).ok(schema::<EventList>).query(schema::<PageQuery>),
    r(
        "POST",
        "/v1/users",
        Perm::UserAdmin,
        "Add a user (name, password, role; account for admins).",
    ).answers(201, schema::<AddedUser>).body(schema::<AddUser>),
    r("GET", "/v1/users", Perm::UserAdmin, "List users.").ok(schema::<UserList>).query(schema::<PageQuery>),
    r("DELETE", "/v1/users/{name}", Perm::UserAdmin, "Delete a user.").no_content(),
    r(
        "POST",
        "/v1/apikeys",
        Perm::Authenticated,
        "Create an API key for yourself (shown once).",
    ).answers(201, schema::<ApiKeyCreated>),
    r(
        "DELETE",
        "/v1/apikeys/{id}",
        Perm::Authenticated,
        "Revoke one of your API keys (any key for user admins).",
    ).no_content(),
    r("POST", "/v1/accounts", Perm::SystemAdmin, "Add an account.").answers(201, schema::<Account>).body(schema::<Account>),
    r("GET", "/v1/accounts", Perm::SystemAdmin, "List accounts.").ok(schema::<AccountList>).query(schema::<PageQuery>),
    r(
        "POST",
        "/v1/subscriptions",
        Perm::ImageWrite,
        "Subscribe to tag_update, vuln_update, policy_eval or analysis_update of a tag.",
    ).answers(201, schema::<Subscription>).body(schema::<AddSubscription>),
    r("GET", "/v1/subscriptions", Perm::ImageRead, "List subscriptions.").ok(schema::<SubscriptionList>).query(schema::<PageQuery>),
    r(
        "DELETE",
        "/v1/subscriptions/{id}",
        Perm::ImageWrite,
        "Delete a subscription.",
    ).no_content(),
    r(
        "POST",
        "/v1/webhooks",
        Perm::UserAdmin,
        "Add a webhook endpoint (its signing secret is returned once).",
    ).answers(201, schema::<WebhookCreated>).body(schema::<AddWebhook>),
    r(
        "GET",
        "/v1/webhooks",
        Perm::UserAdmin,
        "List webhook endpoints (without secrets).",
    ).ok(schema::<WebhookList>).query(schema::<PageQuery>),
    r(
        "DELETE",
        "/v1/webhooks/{id}",
        Perm::UserAdmin,
        "Delete a webhook endpoint.",
    ).no_content(),
    r(
        "GET",
        "/v1/notifications",
        Perm::EventRead,
        "The notification delivery log, newest first.",
    ).ok(schema::<DeliveryList>).query(schema::<PageQuery>),
    r(
        "GET",
        "/v1/feeds",
        Perm::Authenticated,
        "Vulnerability database status.",
    ).ok(schema::<Feeds>),
    r(
        "POST",
        "/v1/feeds/update",
        Perm::SystemAdmin,
        "Update the vulnerability database from the configured feeds now, then re-match stored analyses (wait=false: in the background).",
    ).ok(schema::<FeedUpdate>).query(schema::<FeedUpdateQuery>),
    r(
        "GET",
        "/v1/feeds/db",
        Perm::Authenticated,
        "The vulnerability database file, for `drydock db update --from-url`.",
    ),
    r(
        "POST",
        "/v1/registries",
        Perm::UserAdmin,
        "Store credentials for a registry (encrypted at rest; never returned).",
    ).answers(201, schema::<RegistryAdded>).body(schema::<AddRegistry>),
    r(
        "GET",
        "/v1/registries",
        Perm::ImageRead,
        "List registries with stored credentials (no passwords).",
    ).ok(schema::<RegistryList>).query(schema::<PageQuery>),
    r(
        "DELETE",
        "/v1/registries/{registry}",
        Perm::UserAdmin,
        "Delete a registry's credentials.",
    ).no_content(),
    r(
        "GET",
        "/v1/query/vulnerability",
        Perm::ImageRead,
        "Images affected by a vulnerability (id=CVE-… or GHSA-…).",
    ).ok(schema::<VulnerabilityImages>).query(schema::<VulnerabilityQuery>),
    r(
        "GET",
        "/v1/query/package",
        Perm::ImageRead,
        "Images containing a package (name=; optional version=, type=, min_version= <= v < max_version=).",
    ).ok(schema::<PackageImages>).query(schema::<PackageQuery>),
    r(
        "GET",
        "/v1/diff",
        Perm::ImageRead,
        "Packages and files added, removed or changed between two images (from=, to=).",
    ).ok(schema::<Diff>).query(schema::<DiffQuery>),
    r(
        "GET",
        "/v1/audit",
        Perm::UserAdmin,
        "The audit log: every mutating call (who, what, when, from where, result).",
    ).ok(schema::<AuditList>).query(schema::<PageQuery>),
];
