//! The route table: every route of the service once, with the permission it needs. The
//! server's router and authorisation, the OpenAPI document and the route × role tests all
//! read it.

use serde::Serialize;

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

/// One route: method, path (axum syntax), permission, summary.
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
}

const fn r(method: &'static str, path: &'static str, perm: Perm, summary: &'static str) -> RouteSpec {
    RouteSpec {
        method,
        path,
        perm,
        summary,
    }
}

/// Every route.
pub const ROUTES: &[RouteSpec] = &[
    r("GET", "/health", Perm::Public, "Liveness: the process answers."),
    r("GET", "/ready", Perm::Public, "Readiness: the database answers."),
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
    ),
    r(
        "POST",
        "/v1/images",
        Perm::ImageWrite,
        "Add an image by tag: a new digest is queued for analysis (202); a digest the account already has \
         returns that image and queues nothing (200) unless force=true.",
    ),
    r(
        "GET",
        "/v1/images",
        Perm::ImageRead,
        "List images (status, registry, repository, tag, limit, offset).",
    ),
    r(
        "GET",
        "/v1/images/{id}",
        Perm::ImageRead,
        "One image by id or manifest digest.",
    ),
    r(
        "DELETE",
        "/v1/images/{id}",
        Perm::ImageWrite,
        "Delete an image and its stored analysis.",
    ),
    r(
        "GET",
        "/v1/images/{id}/sbom",
        Perm::ImageRead,
        "The SBOM (format=native|cyclonedx|spdx).",
    ),
    r(
        "GET",
        "/v1/images/{id}/vuln/{kind}",
        Perm::ImageRead,
        "Vulnerabilities: os, non-os or all (format=api, json, table, sarif or cyclonedx-json: as drydock scan -o).",
    ),
    r(
        "GET",
        "/v1/images/{id}/content/{kind}",
        Perm::ImageRead,
        "Packages of one type (os, python, npm, java, gem, go, rust, php, dotnet, binary) or files.",
    ),
    r(
        "GET",
        "/v1/images/{id}/check",
        Perm::ImageRead,
        "Policy evaluation (policy=ID, else the active bundle; tag=; format=api, json, table, junit or sarif: as \
         drydock check -o).",
    ),
    r(
        "GET",
        "/v1/images/{id}/secrets",
        Perm::ImageRead,
        "Secrets found (redacted).",
    ),
    r(
        "GET",
        "/v1/images/{id}/misconfig",
        Perm::ImageRead,
        "Misconfigurations found.",
    ),
    r("GET", "/v1/history", Perm::ImageRead, "Tag → digest history (tag=)."),
    r(
        "POST",
        "/v1/policies",
        Perm::PolicyWrite,
        "Add a policy bundle (validated).",
    ),
    r("GET", "/v1/policies", Perm::PolicyRead, "List policy bundles."),
    r("GET", "/v1/policies/{id}", Perm::PolicyRead, "One policy bundle."),
    r(
        "PUT",
        "/v1/policies/{id}",
        Perm::PolicyWrite,
        "Replace a policy bundle.",
    ),
    r(
        "DELETE",
        "/v1/policies/{id}",
        Perm::PolicyWrite,
        "Delete a policy bundle.",
    ),
    r(
        "POST",
        "/v1/policies/{id}/activate",
        Perm::PolicyWrite,
        "Make a bundle the account's active one.",
    ),
    r(
        "GET",
        "/v1/events",
        Perm::EventRead,
        "Events, newest first (limit, offset).",
    ),
    r(
        "POST",
        "/v1/users",
        Perm::UserAdmin,
        "Add a user (name, password, role; account for admins).",
    ),
    r("GET", "/v1/users", Perm::UserAdmin, "List users."),
    r("DELETE", "/v1/users/{name}", Perm::UserAdmin, "Delete a user."),
    r(
        "POST",
        "/v1/apikeys",
        Perm::Authenticated,
        "Create an API key for yourself (shown once).",
    ),
    r(
        "DELETE",
        "/v1/apikeys/{id}",
        Perm::Authenticated,
        "Revoke one of your API keys (any key for user admins).",
    ),
    r("POST", "/v1/accounts", Perm::SystemAdmin, "Add an account."),
    r("GET", "/v1/accounts", Perm::SystemAdmin, "List accounts."),
    r(
        "POST",
        "/v1/subscriptions",
        Perm::ImageWrite,
        "Subscribe to tag_update, vuln_update, policy_eval or analysis_update of a tag.",
    ),
    r("GET", "/v1/subscriptions", Perm::ImageRead, "List subscriptions."),
    r(
        "DELETE",
        "/v1/subscriptions/{id}",
        Perm::ImageWrite,
        "Delete a subscription.",
    ),
    r(
        "POST",
        "/v1/webhooks",
        Perm::UserAdmin,
        "Add a webhook endpoint (its signing secret is returned once).",
    ),
    r(
        "GET",
        "/v1/webhooks",
        Perm::UserAdmin,
        "List webhook endpoints (without secrets).",
    ),
    r(
        "DELETE",
        "/v1/webhooks/{id}",
        Perm::UserAdmin,
        "Delete a webhook endpoint.",
    ),
    r(
        "GET",
        "/v1/notifications",
        Perm::EventRead,
        "The notification delivery log, newest first.",
    ),
    r(
        "GET",
        "/v1/feeds",
        Perm::Authenticated,
        "Vulnerability database status.",
    ),
    r(
        "POST",
        "/v1/feeds/update",
        Perm::SystemAdmin,
        "Update the vulnerability database from the configured feeds now, then re-match stored analyses (wait=false: in the background).",
    ),
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
    ),
    r(
        "GET",
        "/v1/registries",
        Perm::ImageRead,
        "List registries with stored credentials (no passwords).",
    ),
    r(
        "DELETE",
        "/v1/registries/{registry}",
        Perm::UserAdmin,
        "Delete a registry's credentials.",
    ),
    r(
        "GET",
        "/v1/query/vulnerability",
        Perm::ImageRead,
        "Images affected by a vulnerability (id=CVE-… or GHSA-…).",
    ),
    r(
        "GET",
        "/v1/query/package",
        Perm::ImageRead,
        "Images containing a package (name=; optional version=, type=, min_version= <= v < max_version=).",
    ),
    r(
        "GET",
        "/v1/diff",
        Perm::ImageRead,
        "Packages and files added, removed or changed between two images (from=, to=).",
    ),
    r(
        "GET",
        "/v1/audit",
        Perm::UserAdmin,
        "The audit log: every mutating call (who, what, when, from where, result).",
    ),
];
