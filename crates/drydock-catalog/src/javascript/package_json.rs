//! `package.json` manifests.

use super::{plausible_name, UNKNOWN_VERSION};
use serde_json::{Map, Value};

/// What a `package.json` says about its package.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
    /// `author`, as `Name <email>` when given as an object.
    pub author: Option<String>,
    pub homepage: Option<String>,
    /// Names from `dependencies`.
    pub depends: Vec<String>,
}

/// Parses a manifest: `Ok(None)` for one without a name (module-type markers such as
/// `lib/package.json` holding only `{"type": "commonjs"}`); a missing version is
/// reported as [`UNKNOWN_VERSION`].
pub fn parse_package_json(content: &[u8]) -> Result<Option<Manifest>, String> {
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    let value: Value = serde_json::from_slice(content).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("package.json is not a JSON object".into());
    };
    let text = |k: &str| {
        obj.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let Some(name) = text("name") else {
        return Ok(None);
    };
    // Like Syft (its default `missing-version: stub` compliance rule), a named
    // manifest without a version is still reported.
    let version = text("version").unwrap_or(UNKNOWN_VERSION);
    if !plausible_name(name) || version.len() > 256 {
        return Err(format!("implausible package name or version {name:?}"));
    }
    Ok(Some(Manifest {
        name: name.to_string(),
        version: version.to_string(),
        licenses: licenses(&obj),
        author: obj.get("author").and_then(person),
        homepage: text("homepage").map(str::to_string),
        depends: dependency_names(obj.get("dependencies")),
    }))
}

/// Licenses from `license` (an SPDX expression string, or the legacy `{type, url}`
/// object or array) or the legacy `licenses` array (of objects or strings).
pub fn licenses(obj: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["license", "licenses"] {
        match obj.get(key) {
            Some(Value::Array(items)) => out.extend(items.iter().filter_map(license_value)),
            Some(v) => out.extend(license_value(v)),
            None => {}
        }
        if !out.is_empty() {
            break;
        }
    }
    out
}

fn license_value(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.as_str(),
        Value::Object(o) => o.get("type").and_then(Value::as_str)?,
        _ => return None,
    };
    let s = s.trim();
    (!s.is_empty() && s.len() <= 512).then(|| s.to_string())
}

/// `"Name <email> (url)"` as is, or `{name, email, url}` as `Name <email>`.
fn person(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Object(o) => {
            let field = |k: &str| {
                o.get(k)
                    .and_then(Value::as_str)
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
            };
            match (field("name"), field("email")) {
                (Some(n), Some(e)) => format!("{n} <{e}>"),
                (Some(n), None) => n.to_string(),
                (None, Some(e)) => e.to_string(),
                (None, None) => return None,
            }
        }
        _ => return None,
    };
    (!s.is_empty() && s.len() <= 1024).then_some(s)
}

/// Keys of a `dependencies`-style object.
pub fn dependency_names(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Object(deps)) => deps.keys().filter(|k| plausible_name(k)).cloned().collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_usual_fields() {
        let m = parse_package_json(
            br#"{"name":"express","version":"4.18.2","license":"MIT",
                "author":"TJ Holowaychuk <tj@vision-media.ca>","homepage":"http://expressjs.com/",
                "dependencies":{"accepts":"~1.3.8","body-parser":"1.20.1"}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.name, "express");
        assert_eq!(m.version, "4.18.2");
        assert_eq!(m.licenses, ["MIT"]);
        assert_eq!(m.author.as_deref(), Some("TJ Holowaychuk <tj@vision-media.ca>"));
        assert_eq!(m.homepage.as_deref(), Some("http://expressjs.com/"));
        assert_eq!(m.depends, ["accepts", "body-parser"]);
    }

    #[test]
    fn legacy_license_shapes() {
        let m = parse_package_json(
            br#"{"name":"a","version":"1.0.0","licenses":[{"type":"MIT","url":"x"},"Apache-2.0"],
                "author":{"name":"Ann","email":"ann@example.org"}}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(m.licenses, ["MIT", "Apache-2.0"]);
        assert_eq!(m.author.as_deref(), Some("Ann <ann@example.org>"));
        let m = parse_package_json(br#"{"name":"a","version":"1","license":{"type":"ISC"}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(m.licenses, ["ISC"]);
    }

    #[test]
    fn markers_and_garbage() {
        assert_eq!(parse_package_json(br#"{"type":"module"}"#), Ok(None));
        assert_eq!(parse_package_json(br#"{"version":"1.0.0"}"#), Ok(None));
        assert_eq!(parse_package_json(br#"{"name":"","version":"1"}"#), Ok(None));
        let m = parse_package_json(br#"{"name":"a","version":7}"#).unwrap().unwrap();
        assert_eq!(m.version, "UNKNOWN");
        assert!(parse_package_json(b"{\"name\":")
            .unwrap_err()
            .contains("malformed JSON"));
        assert!(parse_package_json(b"[1]").is_err());
        assert!(parse_package_json(&[b'['; 100_000]).is_err());
        assert!(parse_package_json(b"\xef\xbb\xbf{\"name\":\"a\",\"version\":\"1\"}")
            .unwrap()
            .is_some());
    }
}
