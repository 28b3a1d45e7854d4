//! The OpenAPI 3.0 document, generated from the route table.

use crate::api::ROUTES;
use crate::auth::Perm;
use serde_json::{json, Map, Value};

/// The document served at `/v1/openapi.json`.
pub fn document() -> Value {
    let mut paths = Map::new();
    for r in ROUTES {
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        let params: Vec<Value> = r
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "summary": r.summary,
            "operationId": format!("{}{}", r.method.to_lowercase(), r.path.replace(['/', '{', '}', '.'], "_")),
            "parameters": params,
            "responses": {
                "200": {"description": "OK"},
                "400": {"description": "Bad request: {error, hint}"},
                "401": {"description": "Authentication required"},
                "403": {"description": "The role does not allow this"},
                "404": {"description": "Not found (or not in your account)"}
            },
            "x-drydock-permission": r.perm,
        });
        if r.perm == Perm::Public {
            op["security"] = json!([]);
        }
        entry[r.method.to_lowercase()] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": {"title": "drydock", "version": env!("CARGO_PKG_VERSION"), "description": "Container image analysis, vulnerabilities, secrets and policy gates."},
        "components": {"securitySchemes": {
            "basic": {"type": "http", "scheme": "basic"},
            "apiKey": {"type": "http", "scheme": "bearer", "description": "ddk_<id>_<secret> from POST /v1/apikeys"}
        }},
        "security": [{"basic": []}, {"apiKey": []}],
        "paths": paths,
    })
}
