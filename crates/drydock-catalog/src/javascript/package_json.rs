//! `package.json` manifests.

use super::{plausible_name, UNKNOWN_VERSION};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// What a `package.json` says about its package.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Manifest {
    /// `name`.
    pub name: String,
    /// `version`.
    pub version: String,
    /// `license`, else the `licenses` array.
    pub licenses: Vec<String>,
    /// `author`, as `Name <email>` when given as an object.
    pub author: Option<String>,
    /// `homepage`.
    pub homepage: Option<String>,
    /// Names from `dependencies`.
    pub depends: Vec<String>,
}

/// Names kept from one `dependencies` object at most; the rest are skipped unread.
const MAX_DEPENDENCY_NAMES: usize = 10_000;
/// License entries kept at most.
const MAX_LICENSE_ENTRIES: usize = 64;

/// Parses a manifest: `Ok(None)` for one without a name (module-type markers such as
/// `lib/package.json` holding only `{"type": "commonjs"}`); a missing version is
/// reported as [`UNKNOWN_VERSION`].
///
/// The document is read in one streaming pass into the few fields used; everything else
/// (descriptions, `files` lists, scripts, any field of another shape) is skipped without
/// being materialised, so memory stays bounded by what is kept, not by the file size.
pub fn parse_package_json(content: &[u8]) -> Result<Option<Manifest>, String> {
    let content = content.strip_prefix(b"\xef\xbb\xbf").unwrap_or(content);
    let mut de = serde_json::Deserializer::from_slice(content);
    let raw = match de.deserialize_any(TopVisitor) {
        Ok(raw) => raw,
        Err(e) if e.is_data() => return Err("package.json is not a JSON object".into()),
        Err(e) => return Err(format!("malformed JSON: {e}")),
    };
    de.end().map_err(|e| format!("malformed JSON: {e}"))?;
    fn text(s: &Option<String>) -> Option<String> {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }
    let Some(name) = text(&raw.name) else {
        return Ok(None);
    };
    // Like Syft (its default `missing-version: stub` compliance rule), a named
    // manifest without a version is still reported.
    let version = text(&raw.version).unwrap_or_else(|| UNKNOWN_VERSION.to_string());
    if !plausible_name(&name) || version.len() > 256 {
        return Err(format!("implausible package name or version {name:?}"));
    }
    let licenses = if raw.license.is_empty() {
        raw.licenses
    } else {
        raw.license
    };
    Ok(Some(Manifest {
        name,
        version,
        licenses,
        author: raw.author,
        homepage: text(&raw.homepage),
        depends: raw.depends,
    }))
}

/// The fields of a manifest that are read; every one tolerates other shapes (read as absent).
#[derive(Default)]
struct RawManifest {
    name: Option<String>,
    version: Option<String>,
    license: Vec<String>,
    licenses: Vec<String>,
    author: Option<String>,
    homepage: Option<String>,
    depends: Vec<String>,
}

/// Top-level keys that are read; all others are skipped.
enum Key {
    Name,
    Version,
    License,
    Licenses,
    Author,
    Homepage,
    Dependencies,
    Other,
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: de::Error>(self, k: &str) -> Result<Key, E> {
                Ok(match k {
                    "name" => Key::Name,
                    "version" => Key::Version,
                    "license" => Key::License,
                    "licenses" => Key::Licenses,
                    "author" => Key::Author,
                    "homepage" => Key::Homepage,
                    "dependencies" => Key::Dependencies,
                    _ => Key::Other,
                })
            }
        }
        d.deserialize_str(V)
    }
}

struct TopVisitor;

impl<'de> Visitor<'de> for TopVisitor {
    type Value = RawManifest;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawManifest, A::Error> {
        let mut m = RawManifest::default();
        // A repeated key replaces the earlier value, as JSON parsers usually do.
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Name => m.name = map.next_value::<Loose<String>>()?.0,
                Key::Version => m.version = map.next_value::<Loose<String>>()?.0,
                Key::License => m.license = map.next_value::<LicenseField>()?.0,
                Key::Licenses => m.licenses = map.next_value::<LicenseField>()?.0,
                Key::Author => m.author = map.next_value::<Person>()?.0,
                Key::Homepage => m.homepage = map.next_value::<Loose<String>>()?.0,
                Key::Dependencies => m.depends = map.next_value::<DependencyNames>()?.0,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(m)
    }
}

/// A string when the value is one; any other value is skipped and read as `None`.
struct Loose<T>(Option<T>);

impl<'de> Deserialize<'de> for Loose<String> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Loose<String>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Loose(Some(s.to_string())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Loose(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Loose(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads the string values of the given keys of an object, skipping the rest.
fn string_fields<'de, A: MapAccess<'de>, const N: usize>(
    mut map: A,
    keys: [&str; N],
) -> Result<[Option<String>; N], A::Error> {
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
        match keys.iter().position(|want| *want == k) {
            Some(i) => out[i] = map.next_value::<Loose<String>>()?.0,
            None => {
                map.next_value::<IgnoredAny>()?;
            }
        }
    }
    Ok(out)
}

/// One license entry: a string, or an object's `type`.
struct LicenseEntry(Option<String>);

impl<'de> Deserialize<'de> for LicenseEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LicenseEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a license")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(LicenseEntry(license_text(s)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let [ty] = string_fields(map, ["type"])?;
                Ok(LicenseEntry(ty.as_deref().and_then(license_text)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(LicenseEntry(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LicenseEntry(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// `license` / `licenses`: one entry or an array of entries (at most [`MAX_LICENSE_ENTRIES`]).
pub(super) struct LicenseField(pub(super) Vec<String>);

impl<'de> Deserialize<'de> for LicenseField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LicenseField;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a license or a list of them")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = seq.next_element::<LicenseEntry>()? {
                    if out.len() < MAX_LICENSE_ENTRIES {
                        out.extend(e.0);
                    }
                }
                Ok(LicenseField(out))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(LicenseField(license_text(s).into_iter().collect()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let [ty] = string_fields(map, ["type"])?;
                Ok(LicenseField(ty.as_deref().and_then(license_text).into_iter().collect()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LicenseField(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LicenseField(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LicenseField(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LicenseField(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(LicenseField(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `author`: `"Name <email> (url)"` as is, or `{name, email, url}` as `Name <email>`.
struct Person(Option<String>);

impl<'de> Deserialize<'de> for Person {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Person;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a person")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Person(person_text(s.trim().to_string())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let [name, email] = string_fields(map, ["name", "email"])?;
                fn field(s: &Option<String>) -> Option<&str> {
                    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
                }
                let s = match (field(&name), field(&email)) {
                    (Some(n), Some(e)) => format!("{n} <{e}>"),
                    (Some(n), None) => n.to_string(),
                    (None, Some(e)) => e.to_string(),
                    (None, None) => return Ok(Person(None)),
                };
                Ok(Person(person_text(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Person(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Person(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(Person(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(Person(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(Person(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Person(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// The keys of a `dependencies` object (values skipped; at most [`MAX_DEPENDENCY_NAMES`]).
pub(super) struct DependencyNames(pub(super) Vec<String>);

impl<'de> Deserialize<'de> for DependencyNames {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DependencyNames;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out: Vec<String> = Vec::new();
                while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    map.next_value::<IgnoredAny>()?;
                    if out.len() < MAX_DEPENDENCY_NAMES && plausible_name(&k) {
                        out.push(k.into_owned());
                    }
                }
                // A repeated key is one dependency, as in a parsed object.
                let mut seen = std::collections::HashSet::new();
                out.retain(|k| seen.insert(k.clone()));
                out.sort();
                Ok(DependencyNames(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(DependencyNames(Vec::new()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(DependencyNames(Vec::new()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(DependencyNames(Vec::new()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(DependencyNames(Vec::new()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(DependencyNames(Vec::new()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(DependencyNames(Vec::new()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(DependencyNames(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

fn license_text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty() && s.len() <= 512).then(|| s.to_string())
}

fn person_text(s: String) -> Option<String> {
    (!s.is_empty() && s.len() <= 1024).then_some(s)
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
