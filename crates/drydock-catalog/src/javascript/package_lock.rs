//! npm's `package-lock.json` / `npm-shrinkwrap.json`: lockfile v1 (nested
//! `dependencies`) and v2/v3 (`packages` keyed by install path, `""` being the project).

use super::package_json::{dependency_names, licenses};
use super::{plausible_name, LockEntry, MAX_DEPTH};
use serde_json::{Map, Value};

/// The packages a lock file lists (the project itself included, as its root entry).
pub fn parse_package_lock(content: &[u8]) -> Result<Vec<LockEntry>, String> {
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    let value: Value = serde_json::from_slice(content).map_err(|e| format!("malformed JSON: {e}"))?;
    let Value::Object(lock) = value else {
        return Err("lock file is not a JSON object".into());
    };
    let mut out = Vec::new();
    if let Some(Value::Object(packages)) = lock.get("packages") {
        for (key, meta) in packages {
            let Value::Object(meta) = meta else { continue };
            if let Some(e) = v2_entry(key, meta) {
                out.push(e);
            }
        }
    } else if let Some(Value::Object(deps)) = lock.get("dependencies") {
        if let Some(root) = root_v1(&lock) {
            out.push(root);
        }
        v1_entries(deps, 0, &mut out);
    } else if lock.get("lockfileVersion").is_none() {
        return Err("no lockfileVersion, packages or dependencies: not a package lock".into());
    }
    Ok(out)
}

fn text<'a>(meta: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    meta.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn flag(meta: &Map<String, Value>, k: &str) -> bool {
    meta.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// A `packages` entry; `key` is its install path (`node_modules/a/node_modules/@s/b`).
fn v2_entry(key: &str, meta: &Map<String, Value>) -> Option<LockEntry> {
    // Links point at another entry (a workspace folder) that is listed itself.
    if flag(meta, "link") {
        return None;
    }
    let version = text(meta, "version")?;
    let name = match text(meta, "name") {
        Some(n) => n,
        None if key.is_empty() => return None,
        None => match key.rfind("node_modules/") {
            Some(i) => &key[i + "node_modules/".len()..],
            // A workspace folder without a name of its own.
            None => key.rsplit('/').next().unwrap_or(key),
        },
    };
    if !plausible_name(name) {
        return None;
    }
    let mut depends = dependency_names(meta.get("dependencies"));
    depends.extend(dependency_names(meta.get("optionalDependencies")));
    Some(LockEntry {
        name: name.to_string(),
        version: version.to_string(),
        dev: flag(meta, "dev") || flag(meta, "devOptional"),
        licenses: licenses(meta),
        depends,
    })
}

fn root_v1(lock: &Map<String, Value>) -> Option<LockEntry> {
    let (name, version) = (text(lock, "name")?, text(lock, "version")?);
    plausible_name(name).then(|| LockEntry {
        name: name.to_string(),
        version: version.to_string(),
        ..Default::default()
    })
}

/// Lockfile v1 `dependencies` (name → {version, dev, requires, dependencies}), nested
/// ones included.
fn v1_entries(deps: &Map<String, Value>, depth: usize, out: &mut Vec<LockEntry>) {
    if depth > MAX_DEPTH {
        return;
    }
    for (name, meta) in deps {
        let Value::Object(meta) = meta else { continue };
        if let (Some(version), true) = (text(meta, "version"), plausible_name(name)) {
            out.push(LockEntry {
                name: name.to_string(),
                version: version.to_string(),
                dev: flag(meta, "dev"),
                licenses: Vec::new(),
                depends: dependency_names(meta.get("requires")),
            });
        }
        if let Some(Value::Object(nested)) = meta.get("dependencies") {
            v1_entries(nested, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(entries: &[LockEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| format!("{}@{}{}", e.name, e.version, if e.dev { " dev" } else { "" }))
            .collect()
    }

    #[test]
    fn v3_packages() {
        let lock = br#"{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{
            "":{"name":"app","version":"1.0.0","dependencies":{"a":"^1"}},
            "node_modules/a":{"version":"1.2.0","license":"MIT","dependencies":{"@s/b":"2"}},
            "node_modules/a/node_modules/@s/b":{"version":"2.0.1","dev":true},
            "node_modules/alias":{"name":"real","version":"3.0.0"},
            "node_modules/ws":{"resolved":"packages/ws","link":true},
            "packages/ws":{"name":"ws-pkg","version":"0.1.0"},
            "node_modules/nover":{"resolved":"x"}}}"#;
        let got = parse_package_lock(lock).unwrap();
        assert_eq!(
            names(&got),
            ["app@1.0.0", "a@1.2.0", "@s/b@2.0.1 dev", "real@3.0.0", "ws-pkg@0.1.0"]
        );
        assert_eq!(got[1].licenses, ["MIT"]);
        assert_eq!(got[1].depends, ["@s/b"]);
    }

    #[test]
    fn v1_nested_dependencies() {
        let lock = br#"{"name":"app","version":"2.0.0","lockfileVersion":1,"dependencies":{
            "a":{"version":"1.0.0","requires":{"b":"^2"},"dependencies":{"b":{"version":"2.0.0","dev":true}}},
            "c":{"version":"github:user/c#abc"}}}"#;
        let got = parse_package_lock(lock).unwrap();
        assert_eq!(
            names(&got),
            ["app@2.0.0", "a@1.0.0", "b@2.0.0 dev", "c@github:user/c#abc"]
        );
        assert_eq!(got[1].depends, ["b"]);
    }

    #[test]
    fn garbage() {
        assert!(parse_package_lock(b"{").is_err());
        assert!(parse_package_lock(b"{}").is_err());
        assert!(parse_package_lock(b"\"x\"").is_err());
        assert_eq!(parse_package_lock(br#"{"lockfileVersion":3}"#), Ok(vec![]));
        // Deep nesting stops at serde_json's recursion limit instead of overflowing.
        let mut deep = String::new();
        for _ in 0..10_000 {
            deep.push_str(r#"{"dependencies":{"a":"#);
        }
        assert!(parse_package_lock(deep.as_bytes()).is_err());
    }
}
