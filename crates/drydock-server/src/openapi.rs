//! The OpenAPI 3.0 document, generated from the route table: every path, its permission,
//! path and query parameters, request body and success response, with the schemas of the
//! objects the handlers return. The service tests check real responses against it.

use crate::api::{RouteSpec, ROUTES};
use crate::auth::Perm;
use serde_json::{json, Map, Value};

/// A reference to a component schema.
fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn array(items: Value) -> Value {
    json!({"type": "array", "items": items})
}

fn object(required: &[&str], properties: Value) -> Value {
    json!({"type": "object", "required": required, "properties": properties})
}

fn nullable(mut schema: Value) -> Value {
    if schema.get("$ref").is_some() {
        return json!({"allOf": [schema], "nullable": true});
    }
    schema["nullable"] = true.into();
    schema
}

const STRING: &str = "string";
const INT: &str = "integer";

fn t(kind: &str) -> Value {
    json!({ "type": kind })
}

/// `{key: [item], limit, offset}` (and `total` for lists kept whole).
fn page(key: &str, item: Value, total: bool) -> Value {
    let mut props = json!({ "limit": t(INT), "offset": t(INT) });
    props[key] = array(item);
    let mut required = vec![key, "limit", "offset"];
    if total {
        props["total"] = t(INT);
        required.push("total");
    }
    object(&required, props)
}

/// The objects the API returns and accepts.
fn schemas() -> Value {
    json!({
        "Error": object(&["error"], json!({"error": t(STRING), "hint": t(STRING)})),
        "Image": object(
            &["id", "account", "registry", "repository", "status", "created_at", "tags"],
            json!({
                "id": t(STRING), "account": t(STRING), "digest": nullable(t(STRING)),
                "registry": t(STRING), "repository": t(STRING),
                "status": {"type": "string", "enum": ["queued", "analyzing", "analyzed", "failed"]},
                "error": nullable(t(STRING)), "created_at": t(INT), "analyzed_at": nullable(t(INT)),
                "tags": array(t(STRING)),
            }),
        ),
        "AddImage": object(&["tag"], json!({"tag": {"type": "string", "example": "registry.example.com/team/app:1.0"},
            "force": {"type": "boolean", "description": "Analyse again even when the digest already has an analysis (the new one replaces it)"}})),
        "AddedImage": {"allOf": [r("Image"), object(&["new", "queued", "already_analysed"], json!({
            "new": {"type": "boolean", "description": "The digest was new to the account"},
            "queued": {"type": "boolean", "description": "An analysis was queued"},
            "already_analysed": {"type": "boolean", "description": "The digest has an analysis and nothing was queued (use force to analyse again)"}}))]},
        "VulnerabilityDatabase": object(&["state", "available"], json!({
            "state": {"type": "string", "enum": ["ready", "waiting_for_feed", "unavailable"]},
            "available": t("boolean"), "build_id": nullable(t(STRING)),
            "status": {"type": "object", "description": "As GET /v1/feeds's database: path, builtAt, builtAtUnix, ageSeconds, stale, sources (name, kind, location, records)"},
            "error": t(STRING), "note": nullable(t(STRING))})),
        "TagHistory": object(
            &["tag", "digest", "image_id", "first_seen", "last_seen"],
            json!({"tag": t(STRING), "digest": t(STRING), "image_id": t(STRING), "first_seen": t(INT), "last_seen": t(INT)}),
        ),
        "Finding": object(
            &["id", "severity", "package", "namespace", "fix_state"],
            json!({
                "id": t(STRING), "aliases": array(t(STRING)), "summary": t(STRING),
                "severity": {"type": "string", "enum": ["unknown", "negligible", "low", "medium", "high", "critical"]},
                "package": object(&["name", "version", "type"], json!({"id": t(STRING), "name": t(STRING), "version": t(STRING), "type": t(STRING)})),
                "namespace": t(STRING),
                "fix_state": {"type": "string", "enum": ["fixed", "not-fixed", "wont-fix", "unknown"]},
                "fixed_versions": array(t(STRING)), "published": t(STRING), "kev_date_added": t(STRING),
            }),
        ),
        "DbStatus": object(&[], json!({})),
        "Evaluation": object(
            &["bundle_id", "final_action", "results"],
            json!({
                "bundle_id": t(STRING), "bundle_name": t(STRING),
                "final_action": {"type": "string", "enum": ["GO", "WARN", "STOP"]},
                "final_action_reason": {"type": "string", "enum": ["policy_evaluation", "denylisted", "allowlisted", "unmapped"]},
                "counts": {"type": "object", "description": "Results by action"},
                "image": object(&["registry", "repository", "tag", "digest"], json!({"registry": t(STRING), "repository": t(STRING), "tag": t(STRING), "digest": t(STRING), "image_id": t(STRING)})),
                "mapping": object(&["id", "rule_set_ids"], json!({"id": t(STRING), "name": t(STRING), "rule_set_ids": array(t(STRING)), "allowlist_ids": array(t(STRING))})),
                "results": array(object(&["gate", "trigger", "trigger_id", "action", "message"], json!({"rule_set_id": t(STRING), "rule_id": t(STRING), "gate": t(STRING), "trigger": t(STRING), "trigger_id": t(STRING),
                    "action": {"type": "string", "enum": ["GO", "WARN", "STOP"]}, "message": t(STRING), "recommendation": t(STRING)}))),
                "warnings": array(t(STRING)),
            }),
        ),
        "Policy": object(
            &["id", "name", "active", "created_at", "updated_at"],
            json!({"id": t(STRING), "name": t(STRING), "active": t("boolean"), "bundle": t(STRING), "created_at": t(INT), "updated_at": t(INT)}),
        ),
        "PolicyBundle": {"type": "object", "description": "An Anchore policy bundle (v1 or v2 names), JSON or YAML.",
            "required": ["id"], "properties": {"id": t(STRING), "name": t(STRING), "version": t(STRING),
            "rule_sets": array(t("object")), "policies": array(t("object")), "mappings": array(t("object")),
            "allowlists": array(t("object")), "whitelists": array(t("object"))}},
        "Event": object(&["id", "kind", "subject", "created_at"], json!({"id": t(STRING), "kind": t(STRING), "subject": t(STRING), "detail": {}, "created_at": t(INT)})),
        "User": object(&["name", "account", "role", "created_at"], json!({"name": t(STRING), "account": t(STRING), "role": t(STRING), "created_at": t(INT)})),
        "AddUser": object(&["name", "password", "role"], json!({
            "name": t(STRING), "password": {"type": "string", "minLength": 8},
            "role": {"type": "string", "enum": ["admin", "account-admin", "read-write", "read-only", "policy-editor", "image-analyzer"]},
            "account": t(STRING)})),
        "Subscription": object(&["id", "account", "kind", "tag", "created_at"], json!({"id": t(STRING), "account": t(STRING),
            "kind": {"type": "string", "enum": ["tag_update", "vuln_update", "policy_eval", "analysis_update"]}, "tag": t(STRING), "created_at": t(INT)})),
        "AddSubscription": object(&["kind", "tag"], json!({"kind": {"type": "string", "enum": ["tag_update", "vuln_update", "policy_eval", "analysis_update"]}, "tag": t(STRING)})),
        "Webhook": object(&["id", "account", "url", "created_at"], json!({"id": t(STRING), "account": t(STRING), "url": t(STRING), "created_at": t(INT)})),
        "Delivery": object(&["id", "webhook_id", "kind", "subject", "payload", "state", "attempts", "created_at"], json!({
            "id": t(STRING), "account": t(STRING), "webhook_id": t(STRING), "kind": t(STRING), "subject": t(STRING),
            "payload": {"type": "string", "description": "The JSON body sent"},
            "state": {"type": "string", "enum": ["pending", "delivered", "failed"]}, "attempts": t(INT), "next_attempt_at": t(INT),
            "last_status": nullable(t(INT)), "last_error": nullable(t(STRING)), "created_at": t(INT), "delivered_at": nullable(t(INT))})),
        "Registry": object(&["registry", "username", "insecure"], json!({"registry": t(STRING), "username": t(STRING), "insecure": t("boolean"), "created_at": t(INT)})),
        "AddRegistry": object(&["registry", "username", "password"], json!({"registry": {"type": "string", "example": "registry.example.com:5000"}, "username": t(STRING), "password": {"type": "string", "format": "password"}, "insecure": t("boolean")})),
        "FeedRun": object(&["source", "started_at", "seconds", "result"], json!({"source": t(STRING), "started_at": t(INT), "seconds": t("number"),
            "result": {"type": "string", "enum": ["updated", "unchanged", "failed"]}, "error": t(STRING),
            "build_before": nullable(t(STRING)), "build_after": nullable(t(STRING)), "advisories": nullable(t(INT))})),
        "Audit": object(&["id", "method", "route", "status", "created_at"], json!({"id": t(STRING), "account": nullable(t(STRING)), "user": nullable(t(STRING)),
            "method": t(STRING), "route": t(STRING), "status": t(INT), "remote": nullable(t(STRING)), "created_at": t(INT)})),
        "ImageHit": object(&["image_id", "package", "version", "type"], json!({"image_id": t(STRING), "digest": nullable(t(STRING)),
            "package": t(STRING), "version": t(STRING), "type": t(STRING),
            "id": {"type": "string", "description": "The finding's advisory (vulnerability queries)"},
            "severity": t(STRING), "fixed_versions": array(t(STRING)),
            "locations": {"type": "array", "description": "Where the package was found (package queries)"}})),
        "Changes": object(&["added", "removed", "changed"], json!({"added": array(json!({})), "removed": array(json!({})), "changed": array(json!({}))})),
    })
}

/// Query parameters of a route: (name, description).
fn query(spec: &RouteSpec) -> &'static [(&'static str, &'static str)] {
    const PAGE: &[(&str, &str)] = &[("limit", "Page size, 1-500 (default 100)"), ("offset", "Items to skip")];
    match (spec.method, spec.path) {
        ("GET", "/v1/images") => &[
            ("limit", "Page size, 1-500 (default 100)"),
            ("offset", "Items to skip"),
            ("status", "queued, analyzing, analyzed or failed"),
            ("registry", "Registry host[:port]"),
            ("repository", "Repository path"),
            ("tag", "A full tag, registry/repository:tag"),
        ],
        ("GET", "/v1/images/{id}/sbom") => &[("format", "native (default), cyclonedx or spdx")],
        ("GET", "/v1/images/{id}/check") => &[
            (
                "policy",
                "Policy bundle id (default: the active one, else the built-in default)",
            ),
            ("tag", "The tag mappings see"),
            (
                "format",
                "api (default: this JSON), or a drydock check format: json, table, junit, sarif",
            ),
        ],
        ("GET", "/v1/images/{id}/vuln/{kind}") => &[(
            "format",
            "api (default: this JSON), or a drydock scan format: json, table, sarif, cyclonedx-json",
        )],
        ("GET", "/v1/history") => &[("tag", "registry/repository:tag")],
        ("GET", "/v1/query/vulnerability") => &[("id", "CVE-…, GHSA-… or another advisory id or alias")],
        ("GET", "/v1/query/package") => &[
            ("name", "Package name"),
            ("version", "Exact version"),
            ("type", "Package type (deb, rpm, apk, python, npm, …)"),
            (
                "min_version",
                "Lowest version included, compared in the package's own scheme",
            ),
            ("max_version", "First version excluded"),
        ],
        ("GET", "/v1/diff") => &[("from", "Image id, digest or tag"), ("to", "Image id, digest or tag")],
        ("POST", "/v1/feeds/update") => &[("wait", "false: start the update and answer 202 at once")],
        ("POST", "/v1/images") => &[(
            "force",
            "true: analyse again even when the digest already has an analysis (as the body's force)",
        )],
        ("GET", p) if p.ends_with('s') && !p.contains('{') && !matches!(p, "/metrics" | "/v1/feeds") => PAGE,
        ("GET", "/v1/audit") => PAGE,
        _ => &[],
    }
}

/// The request body schema of a route.
fn request(spec: &RouteSpec) -> Option<Value> {
    Some(match (spec.method, spec.path) {
        ("POST", "/v1/images") => r("AddImage"),
        ("POST", "/v1/policies") | ("PUT", "/v1/policies/{id}") => r("PolicyBundle"),
        ("POST", "/v1/users") => r("AddUser"),
        ("POST", "/v1/accounts") => object(
            &["name"],
            json!({"name": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"}}),
        ),
        ("POST", "/v1/subscriptions") => r("AddSubscription"),
        ("POST", "/v1/webhooks") => object(&["url"], json!({"url": {"type": "string", "format": "uri"}})),
        ("POST", "/v1/registries") => r("AddRegistry"),
        _ => return None,
    })
}

/// The success status, media type and schema of a route's response.
pub fn response(spec: &RouteSpec) -> (u16, &'static str, Value) {
    const JSON: &str = "application/json";
    let ok = |schema: Value| (200, JSON, schema);
    match (spec.method, spec.path) {
        (_, "/health") | (_, "/ready") => ok(object(&["status"], json!({"status": t(STRING)}))),
        (_, "/metrics") => (200, "text/plain", t(STRING)),
        (_, "/v1/openapi.json") => ok(object(
            &["openapi", "paths"],
            json!({"openapi": t(STRING), "paths": t("object")}),
        )),
        (_, "/v1/system/status") => ok(object(
            &["version", "database", "queue", "vulnerability_database"],
            json!({"version": t(STRING), "database": {"type": "string", "enum": ["sqlite", "postgres"]},
                "queue": object(&["queued", "running"], json!({"queued": t(INT), "running": t(INT)})),
                "vulnerability_database": r("VulnerabilityDatabase")}),
        )),
        ("POST", "/v1/images") => (202, JSON, r("AddedImage")),
        ("GET", "/v1/images") => ok(page("images", r("Image"), false)),
        ("GET", "/v1/images/{id}") => ok(r("Image")),
        ("GET", "/v1/images/{id}/sbom") => ok(
            json!({"type": "object", "description": "The native SBOM, a CycloneDX 1.6 or an SPDX 2.3 JSON document"}),
        ),
        ("GET", "/v1/images/{id}/vuln/{kind}") => ok(object(
            &["image", "vulnerabilities"],
            json!({"image": t(STRING), "digest": nullable(t(STRING)), "vulnerability_type": t(STRING),
                "vulnerabilities": array(r("Finding")),
                "suppressed": array(object(&["finding", "reason"], json!({"finding": r("Finding"), "reason": {"type": "object", "description": "The ignore rule or VEX statement"}}))),
                "database": t("object"), "note": t(STRING)}),
        )),
        ("GET", "/v1/images/{id}/content/{kind}") => ok(object(
            &["image", "content_type", "content"],
            json!({"image": t(STRING), "content_type": t(STRING), "content": array(t("object"))}),
        )),
        ("GET", "/v1/images/{id}/check") => ok(object(
            &["image", "tag", "evaluation"],
            json!({"image": t(STRING), "tag": t(STRING), "policy": nullable(t(STRING)), "evaluation": r("Evaluation"),
                "vulnerability_data": {"type": "string", "enum": ["available", "unavailable"],
                    "description": "unavailable: the image was not matched against vulnerability data (the service has no database); the result says vulnerability_data_unavailable"}}),
        )),
        ("GET", "/v1/images/{id}/secrets") => ok(object(
            &["image", "secrets"],
            json!({"image": t(STRING), "secrets": array(object(&["rule_id", "path", "redacted"], json!({"rule_id": t(STRING), "title": t(STRING), "severity": t(STRING), "path": t(STRING), "line": t(INT), "redacted": t(STRING)})))}),
        )),
        ("GET", "/v1/images/{id}/misconfig") => ok(object(
            &["image", "misconfigurations"],
            json!({"image": t(STRING), "misconfigurations": array(t("object"))}),
        )),
        ("GET", "/v1/history") => ok(object(
            &["tag", "history"],
            json!({"tag": t(STRING), "history": array(r("TagHistory"))}),
        )),
        ("POST", "/v1/policies") => (201, JSON, r("Policy")),
        ("GET", "/v1/policies") => ok(page("policies", r("Policy"), true)),
        ("GET", "/v1/policies/{id}") => ok(object(
            &["id", "name", "active", "bundle"],
            json!({"id": t(STRING), "name": t(STRING), "active": t("boolean"), "bundle": r("PolicyBundle")}),
        )),
        ("GET", "/v1/events") => ok(page("events", r("Event"), false)),
        ("POST", "/v1/users") => (
            201,
            JSON,
            object(&["name", "role"], json!({"name": t(STRING), "role": t(STRING)})),
        ),
        ("GET", "/v1/users") => ok(page("users", r("User"), true)),
        ("POST", "/v1/apikeys") => (
            201,
            JSON,
            object(
                &["id", "key"],
                json!({"id": t(STRING), "key": {"type": "string", "description": "ddk_<id>_<secret>, shown once"}, "note": t(STRING)}),
            ),
        ),
        ("POST", "/v1/accounts") => (201, JSON, object(&["name"], json!({"name": t(STRING)}))),
        ("GET", "/v1/accounts") => ok(page("accounts", t(STRING), true)),
        ("POST", "/v1/subscriptions") => (201, JSON, r("Subscription")),
        ("GET", "/v1/subscriptions") => ok(page("subscriptions", r("Subscription"), true)),
        ("POST", "/v1/webhooks") => (
            201,
            JSON,
            object(
                &["id", "url", "secret"],
                json!({"id": t(STRING), "url": t(STRING), "secret": {"type": "string", "description": "The HMAC key, shown once"}, "note": t(STRING)}),
            ),
        ),
        ("GET", "/v1/webhooks") => ok(page("webhooks", r("Webhook"), true)),
        ("GET", "/v1/notifications") => ok(page("deliveries", r("Delivery"), false)),
        ("GET", "/v1/feeds") => ok(object(
            &["database", "source", "last_update"],
            json!({"database": nullable(r("DbStatus")), "source": nullable(t(STRING)), "last_update": nullable(r("FeedRun")), "note": t(STRING)}),
        )),
        ("POST", "/v1/feeds/update") => ok(object(
            &["update", "reevaluated"],
            json!({"update": nullable(r("FeedRun")), "reevaluated": t("boolean"), "note": t(STRING)}),
        )),
        ("GET", "/v1/feeds/db") => (
            200,
            "application/octet-stream",
            json!({"type": "string", "format": "binary"}),
        ),
        ("POST", "/v1/registries") => (
            201,
            JSON,
            object(
                &["registry", "username", "insecure"],
                json!({"registry": t(STRING), "username": t(STRING), "insecure": t("boolean")}),
            ),
        ),
        ("GET", "/v1/registries") => ok(page("registries", r("Registry"), true)),
        ("GET", "/v1/query/vulnerability") => ok(object(
            &["vulnerability", "images"],
            json!({"vulnerability": t(STRING), "images": array(r("ImageHit"))}),
        )),
        ("GET", "/v1/query/package") => ok(object(
            &["package", "images"],
            json!({"package": t(STRING), "images": array(r("ImageHit"))}),
        )),
        ("GET", "/v1/diff") => ok(object(
            &["from", "to", "packages", "files"],
            json!({"from": t(STRING), "to": t(STRING), "packages": r("Changes"), "files": r("Changes")}),
        )),
        ("GET", "/v1/audit") => ok(page("audit", r("Audit"), false)),
        ("DELETE", _) | ("PUT", _) | ("POST", "/v1/policies/{id}/activate") => (204, "", Value::Null),
        (m, p) => unreachable!("route {m} {p} has no response schema"),
    }
}

/// The document served at `/v1/openapi.json`.
pub fn document() -> Value {
    let mut paths = Map::new();
    let error = json!({"content": {"application/json": {"schema": r("Error")}}});
    let described = |d: &str| {
        let mut e = error.clone();
        e["description"] = d.into();
        e
    };
    for spec in ROUTES {
        let entry = paths.entry(spec.path.to_string()).or_insert_with(|| json!({}));
        let mut params: Vec<Value> = spec
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": t(STRING)}))
            .collect();
        params.extend(query(spec).iter().map(
            |(name, d)| json!({"name": name, "in": "query", "required": false, "description": d, "schema": t(STRING)}),
        ));
        let (status, media, schema) = response(spec);
        let mut ok = json!({"description": "Success"});
        if !media.is_empty() {
            ok["content"] = json!({ media: {"schema": schema} });
        }
        let mut responses = Map::new();
        responses.insert(status.to_string(), ok);
        if (spec.method, spec.path) == ("POST", "/v1/images") {
            responses.insert(
                "200".into(),
                json!({"description": "The digest is already an image of the account; nothing queued (force=true to analyse again)",
                    "content": {"application/json": {"schema": r("AddedImage")}}}),
            );
        }
        if spec.path == "/v1/feeds/update" {
            let started = object(&["status"], json!({"status": {"type": "string", "enum": ["started"]}}));
            responses.insert(
                "202".into(),
                json!({"description": "Started in the background (wait=false)", "content": {"application/json": {"schema": started}}}),
            );
        }
        responses.insert("400".into(), described("Bad request"));
        if spec.perm != Perm::Public {
            responses.insert("401".into(), described("Authentication required"));
            responses.insert("403".into(), described("The role does not allow this"));
        }
        if spec.path.contains('{') {
            responses.insert("404".into(), described("Not found (or not in your account)"));
        }
        let mut op = json!({
            "summary": spec.summary,
            "operationId": format!("{}{}", spec.method.to_lowercase(), spec.path.replace(['/', '{', '}', '.'], "_")),
            "parameters": params,
            "responses": responses,
            "x-drydock-permission": spec.perm,
        });
        if let Some(body) = request(spec) {
            let mut content = json!({"application/json": {"schema": body}});
            if spec.path.starts_with("/v1/policies") {
                content["application/yaml"] = json!({"schema": r("PolicyBundle")});
            }
            op["requestBody"] = json!({"required": true, "content": content});
        }
        if spec.perm == Perm::Public {
            op["security"] = json!([]);
        }
        entry[spec.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "drydock", "version": env!("CARGO_PKG_VERSION"), "description": "Container image analysis, vulnerabilities, secrets and policy gates."},
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "apiKey": {"type": "http", "scheme": "bearer", "description": "ddk_<id>_<secret> from POST /v1/apikeys"}
            },
            "schemas": schemas(),
        },
        "security": [{"basic": []}, {"apiKey": []}],
        "paths": paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_has_a_response_and_every_reference_resolves() {
        let doc = document();
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        let text = doc.to_string();
        for name in text.split("#/components/schemas/").skip(1) {
            let name = &name[..name.find('"').unwrap()];
            assert!(schemas.contains_key(name), "dangling reference {name}");
        }
        for spec in ROUTES {
            let op = &doc["paths"][spec.path][spec.method.to_lowercase()];
            assert!(op.is_object(), "{} {}", spec.method, spec.path);
            let (status, _, _) = response(spec);
            assert!(op["responses"][status.to_string()].is_object());
            if matches!(spec.method, "POST" | "PUT") && !spec.path.ends_with("/activate") {
                let bodyless = ["/v1/apikeys", "/v1/feeds/update"];
                assert_eq!(
                    op["requestBody"].is_object(),
                    !bodyless.contains(&spec.path),
                    "{} {}",
                    spec.method,
                    spec.path
                );
            }
        }
    }
}
