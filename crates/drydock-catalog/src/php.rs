//! PHP Composer packages: `vendor/composer/installed.json` (installed evidence, both
//! the Composer 1 array layout and the Composer 2 `{"packages": […]}` layout) and, in
//! directory scans, `composer.lock` (`packages` and `packages-dev`).

use crate::{Cataloger, Context, Output};
use drydock_image::{FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageType, Purl};
use serde_json::Value;
use std::collections::BTreeSet;

const FOUND_BY: &str = "php-composer-cataloger";
const INSTALLED: &str = "/vendor/composer/installed.json";
const LOCK: &str = "/composer.lock";

/// The PHP Composer cataloger.
pub struct Php;

impl Cataloger for Php {
    fn name(&self) -> &'static str {
        FOUND_BY
    }

    fn wants(&self, p: &str) -> bool {
        p.ends_with(INSTALLED) || p.ends_with(LOCK)
    }

    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output) {
        for (p, entry) in tree.entries() {
            if entry.kind == FileKind::Directory || entry.kind == FileKind::Symlink {
                continue;
            }
            let lock = p.ends_with(LOCK);
            if !(p.ends_with(INSTALLED) || lock && ctx.directory_scan) {
                continue;
            }
            let Some(content) = tree.read(p) else { continue };
            let parsed = if lock {
                parse_composer_lock(content)
            } else {
                parse_installed_json(content)
            };
            match parsed {
                Ok(found) => {
                    for c in found {
                        out.packages.push(package_from(c, p, entry.layer));
                    }
                }
                Err(reason) => out.warnings.push(format!("{p}: {reason}")),
            }
        }
    }
}

/// Runs every parser of this module on arbitrary bytes (for fuzzing).
pub fn fuzz_entry(data: &[u8]) {
    let _ = parse_installed_json(data);
    let _ = parse_composer_lock(data);
}

/// One package entry of installed.json or composer.lock.
#[derive(Debug, Default, PartialEq)]
pub struct ComposerPackage {
    /// `vendor/name`.
    pub name: String,
    pub version: String,
    pub licenses: Vec<String>,
    pub authors: Vec<String>,
    /// `require` keys that are packages (not `php`, `ext-*`, `lib-*`, `composer-*`).
    pub depends: Vec<String>,
    pub dev: bool,
}

/// Parses `vendor/composer/installed.json` (Composer 1 or 2 layout).
pub fn parse_installed_json(content: &[u8]) -> Result<Vec<ComposerPackage>, String> {
    let doc: Value = serde_json::from_slice(content).map_err(|e| format!("invalid JSON: {e}"))?;
    let (list, dev_names): (&Vec<Value>, BTreeSet<&str>) = match &doc {
        Value::Array(a) => (a, BTreeSet::new()),
        Value::Object(o) => {
            let list = o
                .get("packages")
                .and_then(Value::as_array)
                .ok_or("no \"packages\" array")?;
            let dev = o
                .get("dev-package-names")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            (list, dev)
        }
        _ => return Err("neither an array nor an object with \"packages\"".into()),
    };
    let mut out = entries(list)?;
    for p in &mut out {
        p.dev = dev_names.contains(p.name.as_str());
    }
    Ok(out)
}

/// Parses `composer.lock`: `packages`, then `packages-dev` (marked dev).
pub fn parse_composer_lock(content: &[u8]) -> Result<Vec<ComposerPackage>, String> {
    let doc: Value = serde_json::from_slice(content).map_err(|e| format!("invalid JSON: {e}"))?;
    let o = doc.as_object().ok_or("not a JSON object")?;
    if !o.contains_key("packages") && !o.contains_key("packages-dev") {
        return Err("no \"packages\" or \"packages-dev\"".into());
    }
    let empty = Vec::new();
    let mut out = entries(o.get("packages").and_then(Value::as_array).unwrap_or(&empty))?;
    let mut dev = entries(o.get("packages-dev").and_then(Value::as_array).unwrap_or(&empty))?;
    for p in &mut dev {
        p.dev = true;
    }
    out.extend(dev);
    Ok(out)
}

fn entries(list: &[Value]) -> Result<Vec<ComposerPackage>, String> {
    let mut out = Vec::new();
    let mut bad = 0usize;
    for v in list {
        match entry(v) {
            Some(p) => out.push(p),
            None => bad += 1,
        }
    }
    if bad > 0 && out.is_empty() {
        return Err(format!("{bad} package entries without name and version"));
    }
    Ok(out)
}

fn entry(v: &Value) -> Option<ComposerPackage> {
    let o = v.as_object()?;
    let name = o.get("name")?.as_str()?.trim();
    let version = o.get("version")?.as_str()?.trim();
    if name.is_empty() || version.is_empty() || name.len() > 256 || version.len() > 256 {
        return None;
    }
    let licenses = match o.get("license") {
        Some(Value::String(s)) if !s.is_empty() => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    let authors = o
        .get("authors")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|au| au.get("name").and_then(Value::as_str))
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    let depends = o
        .get("require")
        .and_then(Value::as_object)
        .map(|r| r.keys().filter(|k| is_package_name(k)).cloned().collect())
        .unwrap_or_default();
    Some(ComposerPackage {
        name: name.to_string(),
        version: version.to_string(),
        licenses,
        authors,
        depends,
        dev: false,
    })
}

/// Platform requirements (`php`, `ext-json`, `lib-icu`, `composer-plugin-api`) are not
/// packages; real ones are `vendor/name`.
fn is_package_name(k: &str) -> bool {
    k.contains('/')
}

fn package_from(c: ComposerPackage, file: &str, layer: usize) -> Package {
    let (vendor, product) = match c.name.split_once('/') {
        Some((v, n)) => (v.to_string(), n.to_string()),
        None => (String::new(), c.name.clone()),
    };
    let mut p = Package::new(PackageType::Php, c.name.clone(), c.version.clone(), FOUND_BY);
    p.licenses = c.licenses;
    p.dev = c.dev;
    if !c.authors.is_empty() {
        p.supplier = Some(c.authors.join(", "));
    }
    p.locations.push(Location {
        path: file.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.depends = c.depends.into_iter().map(|d| vec![d]).collect();
    p.purl = Purl::new("composer", &product)
        .namespace(vendor.clone())
        .version(c.version.clone())
        .to_string();
    let v = &c.version;
    p.cpes = if vendor.is_empty() || vendor == product {
        vec![cpe::application(&product, &product, v)]
    } else {
        vec![
            cpe::application(&vendor, &product, v),
            cpe::application(&product, &product, v),
        ]
    };
    p.compute_id();
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composer2_layout() {
        let pk = parse_installed_json(
            br#"{"packages":[{"name":"monolog/monolog","version":"3.5.0","license":["MIT"],
            "authors":[{"name":"Jordi Boggiano"}],"require":{"php":">=8.1","psr/log":"^2.0 || ^3.0","ext-json":"*"}},
            {"name":"phpunit/phpunit","version":"10.5.1"}],"dev":true,"dev-package-names":["phpunit/phpunit"]}"#,
        )
        .unwrap();
        assert_eq!(pk.len(), 2);
        assert_eq!(pk[0].licenses, ["MIT"]);
        assert_eq!(pk[0].authors, ["Jordi Boggiano"]);
        assert_eq!(pk[0].depends, ["psr/log"]);
        assert!(!pk[0].dev && pk[1].dev);
    }

    #[test]
    fn composer1_layout_and_string_license() {
        let pk = parse_installed_json(br#"[{"name":"psr/log","version":"v1.1.4","license":"MIT"}, 7]"#).unwrap();
        assert_eq!(pk.len(), 1);
        assert_eq!(pk[0].version, "v1.1.4");
        assert_eq!(pk[0].licenses, ["MIT"]);
        let p = package_from(pk.into_iter().next().unwrap(), "/app/vendor/composer/installed.json", 0);
        assert_eq!(p.purl, "pkg:composer/psr/log@v1.1.4");
    }

    #[test]
    fn lock_file_with_dev() {
        let pk = parse_composer_lock(
            br#"{"packages":[{"name":"a/b","version":"1.0.0"}],"packages-dev":[{"name":"c/d","version":"2.0.0"}]}"#,
        )
        .unwrap();
        assert_eq!(
            pk.iter().map(|p| (p.name.as_str(), p.dev)).collect::<Vec<_>>(),
            [("a/b", false), ("c/d", true)]
        );
    }

    #[test]
    fn broken_files_are_errors() {
        assert!(parse_installed_json(b"{").is_err());
        assert!(parse_installed_json(br#"{"packages": 3}"#).is_err());
        assert!(parse_composer_lock(b"[]").is_err());
        assert!(parse_installed_json(br#"[{"name":"x"}]"#).is_err());
        let deep = "[".repeat(100_000);
        assert!(parse_installed_json(deep.as_bytes()).is_err());
        fuzz_entry(b"\xff\xfe");
    }
}
