//! PHP Composer packages: `vendor/composer/installed.json` (installed evidence, both
//! the Composer 1 array layout and the Composer 2 `{"packages": […]}` layout) and, in
//! directory scans, `composer.lock` (`packages` and `packages-dev`).

use crate::lenient::{self, Arr, Obj, Seen, Str};
use crate::{Cataloger, Context, Output};
use drydock_model::{FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageType, Purl};
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

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
    /// Version as written in the file.
    pub version: String,
    /// `license` entries.
    pub licenses: Vec<String>,
    /// Author names.
    pub authors: Vec<String>,
    /// `require` keys that are packages (not `php`, `ext-*`, `lib-*`, `composer-*`).
    pub depends: Vec<String>,
    /// Installed or locked as a development dependency (`packages-dev`, `dev-package-names`).
    pub dev: bool,
}

/// One package entry as read: only the fields used (typed, streamed; the rest is skipped).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Entry {
    name: Str,
    version: Str,
    license: Licenses,
    authors: Arr<Obj<Author>>,
    require: Obj<BTreeMap<String, IgnoredAny>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Author {
    name: Str,
}

/// `license`: a non-empty string or an array of strings.
#[derive(Default)]
struct Licenses(Vec<String>);

impl<'de> Deserialize<'de> for Licenses {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Licenses;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a license or a list of them")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Licenses, E> {
                Ok(Licenses((!s.is_empty()).then(|| s.to_string()).into_iter().collect()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Licenses, A::Error> {
                let mut out = Vec::new();
                while let Some(s) = seq.next_element::<Str>()? {
                    out.extend(s.0);
                }
                Ok(Licenses(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Licenses, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Licenses(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Licenses, E> {
                Ok(Licenses(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Licenses, E> {
                Ok(Licenses(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Licenses, E> {
                Ok(Licenses(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Licenses, E> {
                Ok(Licenses(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Licenses, E> {
                Ok(Licenses(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// installed.json: Composer 1's array of entries or Composer 2's object.
enum Installed {
    List(Vec<Obj<Entry>>),
    Doc(InstalledDoc),
    Other,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InstalledDoc {
    packages: Arr<Obj<Entry>>,
    #[serde(rename = "dev-package-names")]
    dev_package_names: Arr<Str>,
}

impl<'de> Deserialize<'de> for Installed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Installed;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("installed.json")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Installed, A::Error> {
                let mut list = Vec::new();
                while let Some(e) = seq.next_element::<Obj<Entry>>()? {
                    list.push(e);
                }
                Ok(Installed::List(list))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Installed, A::Error> {
                InstalledDoc::deserialize(MapAccessDeserializer::new(map)).map(Installed::Doc)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Installed, E> {
                Ok(Installed::Other)
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Installed, E> {
                Ok(Installed::Other)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Installed, E> {
                Ok(Installed::Other)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Installed, E> {
                Ok(Installed::Other)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Installed, E> {
                Ok(Installed::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Installed, E> {
                Ok(Installed::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// composer.lock: the two package lists (whether each is present at all).
#[derive(Deserialize, Default)]
#[serde(default)]
struct Lock {
    packages: Seen<Arr<Obj<Entry>>>,
    #[serde(rename = "packages-dev")]
    packages_dev: Seen<Arr<Obj<Entry>>>,
}

/// Parses `vendor/composer/installed.json` (Composer 1 or 2 layout), in one streaming
/// pass of the fields used.
pub fn parse_installed_json(content: &[u8]) -> Result<Vec<ComposerPackage>, String> {
    let mut de = serde_json::Deserializer::from_slice(content);
    let doc = Installed::deserialize(&mut de)
        .and_then(|doc| de.end().map(|()| doc))
        .map_err(|e| format!("invalid JSON: {e}"))?;
    let (list, dev_names): (Vec<Obj<Entry>>, BTreeSet<String>) = match doc {
        Installed::List(a) => (a, BTreeSet::new()),
        Installed::Doc(o) => {
            let list = o.packages.0.ok_or("no \"packages\" array")?;
            let dev = o
                .dev_package_names
                .0
                .unwrap_or_default()
                .into_iter()
                .filter_map(|s| s.0)
                .collect();
            (list, dev)
        }
        Installed::Other => return Err("neither an array nor an object with \"packages\"".into()),
    };
    let mut out = entries(list)?;
    for p in &mut out {
        p.dev = dev_names.contains(p.name.as_str());
    }
    Ok(out)
}

/// Parses `composer.lock`: `packages`, then `packages-dev` (marked dev), in one streaming
/// pass of the fields used.
pub fn parse_composer_lock(content: &[u8]) -> Result<Vec<ComposerPackage>, String> {
    let lock: Lock = lenient::document(content)
        .map_err(|e| format!("invalid JSON: {e}"))?
        .ok_or("not a JSON object")?;
    if !lock.packages.0 && !lock.packages_dev.0 {
        return Err("no \"packages\" or \"packages-dev\"".into());
    }
    let mut out = entries(lock.packages.1 .0.unwrap_or_default())?;
    let mut dev = entries(lock.packages_dev.1 .0.unwrap_or_default())?;
    for p in &mut dev {
        p.dev = true;
    }
    out.extend(dev);
    Ok(out)
}

fn entries(list: Vec<Obj<Entry>>) -> Result<Vec<ComposerPackage>, String> {
    let mut out = Vec::new();
    let mut bad = 0usize;
    for v in list {
        match v.0.and_then(entry) {
            Some(p) => out.push(p),
            None => bad += 1,
        }
    }
    if bad > 0 && out.is_empty() {
        return Err(format!("{bad} package entries without name and version"));
    }
    Ok(out)
}

fn entry(o: Entry) -> Option<ComposerPackage> {
    let name = o.name.0.as_deref()?.trim();
    let version = o.version.0.as_deref()?.trim();
    if name.is_empty() || version.is_empty() || name.len() > 256 || version.len() > 256 {
        return None;
    }
    let authors = o
        .authors
        .0
        .unwrap_or_default()
        .into_iter()
        .filter_map(|au| au.0?.name.0)
        .filter(|n| !n.is_empty())
        .collect();
    let depends = o
        .require
        .0
        .map(|r| r.into_keys().filter(|k| is_package_name(k)).collect())
        .unwrap_or_default();
    Some(ComposerPackage {
        name: name.to_string(),
        version: version.to_string(),
        licenses: o.license.0,
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
