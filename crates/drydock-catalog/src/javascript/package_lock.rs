//! npm's `package-lock.json` / `npm-shrinkwrap.json`: lockfile v1 (nested
//! `dependencies`) and v2/v3 (`packages` keyed by install path, `""` being the project).

use super::package_json::{DependencyNames, LicenseField};
use super::{plausible_name, LockEntry, MAX_DEPTH};
use crate::lenient::{self, Flag, Obj, Present, Str};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The fields of a lock file that are read (typed, streamed; the rest is skipped unread).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Lock {
    name: Str,
    version: Str,
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Present,
    /// v2/v3: install path → entry (sorted by path, as the parsed object was).
    packages: Obj<BTreeMap<String, Obj<V2Meta>>>,
    /// v1: name → entry.
    dependencies: Obj<BTreeMap<String, Obj<V1Meta>>>,
}

/// One v2/v3 `packages` entry.
#[derive(Deserialize, Default)]
#[serde(default)]
struct V2Meta {
    name: Str,
    version: Str,
    link: Flag,
    dev: Flag,
    #[serde(rename = "devOptional")]
    dev_optional: Flag,
    license: Option<LicenseField>,
    licenses: Option<LicenseField>,
    dependencies: Option<DependencyNames>,
    #[serde(rename = "optionalDependencies")]
    optional_dependencies: Option<DependencyNames>,
}

/// One v1 `dependencies` entry, with its nested ones.
#[derive(Deserialize, Default)]
#[serde(default)]
struct V1Meta {
    version: Str,
    dev: Flag,
    requires: Option<DependencyNames>,
    dependencies: Obj<BTreeMap<String, Obj<V1Meta>>>,
}

/// The packages a lock file lists (the project itself included, as its root entry).
///
/// The document is read in one streaming pass into the fields used (versions, names,
/// flags, licenses and dependency names); integrity hashes, resolved URLs and everything
/// else are skipped without being materialised.
pub fn parse_package_lock(content: &[u8]) -> Result<Vec<LockEntry>, String> {
    let lock: Lock = lenient::from_slice(content, "lock file")?;
    let mut out = Vec::new();
    if let Obj(Some(packages)) = &lock.packages {
        for (key, meta) in packages {
            let Obj(Some(meta)) = meta else { continue };
            if let Some(e) = v2_entry(key, meta) {
                out.push(e);
            }
        }
    } else if let Obj(Some(deps)) = &lock.dependencies {
        if let Some(root) = root_v1(&lock) {
            out.push(root);
        }
        v1_entries(deps, 0, &mut out);
    } else if !lock.lockfile_version.0 {
        return Err("no lockfileVersion, packages or dependencies: not a package lock".into());
    }
    Ok(out)
}

/// Licenses from `license`, else from `licenses`.
fn licenses(meta: &V2Meta) -> Vec<String> {
    [&meta.license, &meta.licenses]
        .into_iter()
        .flatten()
        .map(|l| l.0.clone())
        .find(|l| !l.is_empty())
        .unwrap_or_default()
}

fn names(d: &Option<DependencyNames>) -> Vec<String> {
    d.as_ref().map(|d| d.0.clone()).unwrap_or_default()
}

/// A `packages` entry; `key` is its install path (`node_modules/a/node_modules/@s/b`).
fn v2_entry(key: &str, meta: &V2Meta) -> Option<LockEntry> {
    // Links point at another entry (a workspace folder) that is listed itself.
    if meta.link.0 {
        return None;
    }
    let version = meta.version.text()?;
    let name = match meta.name.text() {
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
    let mut depends = names(&meta.dependencies);
    depends.extend(names(&meta.optional_dependencies));
    Some(LockEntry {
        name: name.to_string(),
        version: version.to_string(),
        dev: meta.dev.0 || meta.dev_optional.0,
        licenses: licenses(meta),
        depends,
    })
}

fn root_v1(lock: &Lock) -> Option<LockEntry> {
    let (name, version) = (lock.name.text()?, lock.version.text()?);
    plausible_name(name).then(|| LockEntry {
        name: name.to_string(),
        version: version.to_string(),
        ..Default::default()
    })
}

/// Lockfile v1 `dependencies` (name → {version, dev, requires, dependencies}), nested
/// ones included.
fn v1_entries(deps: &BTreeMap<String, Obj<V1Meta>>, depth: usize, out: &mut Vec<LockEntry>) {
    if depth > MAX_DEPTH {
        return;
    }
    for (name, meta) in deps {
        let Obj(Some(meta)) = meta else { continue };
        if let (Some(version), true) = (meta.version.text(), plausible_name(name)) {
            out.push(LockEntry {
                name: name.clone(),
                version: version.to_string(),
                dev: meta.dev.0,
                licenses: Vec::new(),
                depends: names(&meta.requires),
            });
        }
        if let Obj(Some(nested)) = &meta.dependencies {
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
