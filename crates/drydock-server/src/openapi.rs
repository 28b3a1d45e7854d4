//! The OpenAPI 3.0 document, derived from the route table and the types of `drydock-api`:
//! every path, its permission, path and query parameters (the fields of the route's query
//! type), request body and success response, with the component schemas generated from the
//! request and response types. Only the documents that are not this API's JSON (metrics, an
//! SBOM, the database file, a policy bundle) are described here by hand. The service tests
//! check real responses against the document.

use crate::api::{RouteSpec, ROUTES};
use crate::auth::Perm;
use drydock_api::schemars::generate::{SchemaGenerator, SchemaSettings};
use drydock_api::system::FeedStarted;
use serde_json::{json, Map, Value};

/// A reference to a component schema.
fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// The Anchore policy bundle (owned by `drydock-policy`, accepted as JSON or YAML).
fn policy_bundle() -> Value {
    let objects = json!({"type": "array", "items": {"type": "object"}});
    json!({"type": "object", "description": "An Anchore policy bundle (v1 or v2 names), JSON or YAML.",
        "required": ["id"], "properties": {"id": {"type": "string"}, "name": {"type": "string"},
        "version": {"type": "string"}, "rule_sets": objects, "policies": objects, "mappings": objects,
        "allowlists": objects, "whitelists": objects}})
}

/// The success answer of a route that is not this API's JSON: status, media type, schema.
fn other_document(spec: &RouteSpec) -> Option<(&'static str, Value)> {
    Some(match spec.path {
        "/metrics" => ("text/plain", json!({"type": "string"})),
        "/v1/openapi.json" => (
            "application/json",
            json!({"type": "object", "required": ["openapi", "paths"],
                "properties": {"openapi": {"type": "string"}, "paths": {"type": "object"}}}),
        ),
        "/v1/images/{id}/sbom" => (
            "application/json",
            json!({"type": "object", "description": "The native SBOM, a CycloneDX 1.6 or an SPDX 2.3 JSON document"}),
        ),
        "/v1/feeds/db" => (
            "application/octet-stream",
            json!({"type": "string", "format": "binary"}),
        ),
        _ => return None,
    })
}

/// The query parameters of a route: the fields of its query type, with their descriptions.
fn query_parameters(spec: &RouteSpec, generator: &mut SchemaGenerator) -> Vec<Value> {
    let Some(query) = spec.query else { return Vec::new() };
    let reference = query(generator).to_value();
    let name = reference["$ref"]
        .as_str()
        .and_then(|r| r.rsplit('/').next())
        .unwrap_or_default();
    let definition = generator.definitions().get(name).cloned().unwrap_or(reference);
    let properties = definition["properties"].as_object().cloned().unwrap_or_default();
    properties
        .into_iter()
        .map(|(name, mut schema)| {
            let description = schema
                .as_object_mut()
                .and_then(|o| o.remove("description"))
                .unwrap_or_else(|| Value::String(String::new()));
            // A parameter is optional by being absent: `[T, "null"]` (the untransformed
            // definition of an Option) is T in OpenAPI 3.0.
            let single = schema["type"]
                .as_array()
                .and_then(|types| types.iter().find(|t| *t != "null").cloned());
            if let Some(t) = single {
                schema["type"] = t;
            }
            json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
        })
        .collect()
}

/// The success status, media type and schema of a route's response.
pub fn response(spec: &RouteSpec, generator: &mut SchemaGenerator) -> (u16, &'static str, Value) {
    match (spec.response, other_document(spec)) {
        (Some(schema), _) => (spec.status, "application/json", schema(generator).to_value()),
        (None, Some((media, schema))) => (spec.status, media, schema),
        (None, None) => (spec.status, "", Value::Null),
    }
}

/// The document served at `/v1/openapi.json`.
pub fn document() -> Value {
    let mut generator = SchemaSettings::openapi3().into_generator();
    let error = r("Error");
    drydock_api::schema::<drydock_api::ErrorBody>(&mut generator);
    let described = |d: &str| json!({"description": d, "content": {"application/json": {"schema": error}}});
    let mut paths = Map::new();
    for spec in ROUTES {
        let mut params: Vec<Value> = spec
            .path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        params.extend(query_parameters(spec, &mut generator));
        let (status, media, schema) = response(spec, &mut generator);
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
                    "content": {"application/json": {"schema": schema}}}),
            );
        }
        if spec.path == "/v1/feeds/update" {
            let started = drydock_api::schema::<FeedStarted>(&mut generator).to_value();
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
        let body = match spec.request {
            Some(request) => Some(json!({"application/json": {"schema": request(&mut generator).to_value()}})),
            // Policy bundles are drydock-policy's documents, in JSON or YAML.
            None if matches!(spec.method, "POST" | "PUT")
                && spec.path.starts_with("/v1/policies")
                && !spec.path.ends_with("/activate") =>
            {
                Some(
                    json!({"application/json": {"schema": r("PolicyBundle")}, "application/yaml": {"schema": r("PolicyBundle")}}),
                )
            }
            None => None,
        };
        if let Some(content) = body {
            op["requestBody"] = json!({"required": true, "content": content});
        }
        if spec.perm == Perm::Public {
            op["security"] = json!([]);
        }
        let entry = paths.entry(spec.path.to_string()).or_insert_with(|| json!({}));
        entry[spec.method.to_lowercase()] = op;
    }
    let mut schemas = generator.take_definitions(true);
    schemas.insert("PolicyBundle".into(), policy_bundle());
    json!({
        "openapi": "3.0.3",
        "info": {"title": "drydock", "version": env!("CARGO_PKG_VERSION"), "description": "Container image analysis, vulnerabilities, secrets and policy gates."},
        "components": {
            "securitySchemes": {
                "basic": {"type": "http", "scheme": "basic"},
                "apiKey": {"type": "http", "scheme": "bearer", "description": "ddk_<id>_<secret> from POST /v1/apikeys"}
            },
            "schemas": schemas,
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
            let (status, _, _) = response(spec, &mut SchemaSettings::openapi3().into_generator());
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

    /// Schemas derived from the types stay OpenAPI 3.0: `nullable` rather than type lists,
    /// component references rather than `$defs`, and every query type's fields as parameters.
    #[test]
    fn the_derived_document_is_openapi_3_0_with_the_types_fields() {
        fn walk(v: &Value, at: &str) {
            match v {
                Value::Object(o) => {
                    assert!(!o.contains_key("$defs"), "{at}: $defs");
                    assert!(!o.get("type").is_some_and(Value::is_array), "{at}: a list of types");
                    for (k, v) in o {
                        walk(v, &format!("{at}/{k}"));
                    }
                }
                Value::Array(a) => a.iter().for_each(|v| walk(v, at)),
                _ => {}
            }
        }
        let doc = document();
        walk(&doc, "");
        let images = &doc["paths"]["/v1/images"]["get"]["parameters"];
        let names: Vec<&str> = images
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        for name in ["limit", "offset", "status", "registry", "repository", "tag"] {
            assert!(names.contains(&name), "GET /v1/images lacks {name}: {names:?}");
        }
        let image = &doc["components"]["schemas"]["Image"];
        assert_eq!(image["properties"]["digest"]["nullable"], true, "{image}");
        assert!(
            image["required"].as_array().unwrap().contains(&json!("tags")),
            "{image}"
        );
    }
}
