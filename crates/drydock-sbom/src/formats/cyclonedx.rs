//! CycloneDX 1.6 JSON.
//!
//! The image (or directory) is `metadata.component`; every package is a `library` component
//! whose `bom-ref` is the package id; the distro is an `operating-system` component. The
//! `dependencies` graph is rooted at the image, which depends on every package and on the
//! operating system; package relationships add edges from the owner or dependent package.
//! Drydock-specific data is carried in `drydock:`-prefixed properties, named like Syft's.

use super::{
    classify_licenses, image_purl, is_directory, normalized, sanitize_id, sbom_uuid, short_hash, source_name,
    source_version, split_contact, unique_id, EncodeOptions, License,
};
use crate::model::{Distro, Package, Sbom};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// The CycloneDX specification version written.
pub const SPEC_VERSION: &str = "1.6";

/// The JSON schema URL of the specification version written.
pub const SCHEMA_URL: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";

/// Encodes the SBOM as a CycloneDX 1.6 JSON document, timestamped now or at
/// `SOURCE_DATE_EPOCH` (see [`EncodeOptions::from_env`]).
pub fn to_cyclonedx_json(sbom: &Sbom) -> Value {
    to_cyclonedx_json_with(sbom, &EncodeOptions::from_env())
}

/// Writes the SBOM as pretty-printed CycloneDX 1.6 JSON followed by a newline, timestamped now
/// or at `SOURCE_DATE_EPOCH`.
pub fn write_cyclonedx(sbom: &Sbom, w: impl Write) -> std::io::Result<()> {
    write_cyclonedx_with(sbom, &EncodeOptions::from_env(), w)
}

/// Writes the SBOM as pretty-printed CycloneDX 1.6 JSON followed by a newline, with explicit
/// options; the same SBOM and options always give the same bytes.
pub fn write_cyclonedx_with(sbom: &Sbom, opts: &EncodeOptions, mut w: impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut w, &to_cyclonedx_json_with(sbom, opts))?;
    w.write_all(b"\n")
}

/// Encodes the SBOM as a CycloneDX 1.6 JSON document with explicit options.
pub fn to_cyclonedx_json_with(sbom: &Sbom, opts: &EncodeOptions) -> Value {
    let sbom = normalized(sbom);
    let mut used = BTreeSet::new();

    let name = source_name(&sbom);
    let version = source_version(&sbom);
    let root_kind = if is_directory(&sbom) { "directory" } else { "image" };
    let root_ref = unique_id(
        format!("{root_kind}-{}", short_hash(&[&name, version.as_deref().unwrap_or("")])),
        &mut used,
    );

    // Package ids become bom-refs; a repeated id (which normalisation should not produce) gets a
    // suffix, and relationships resolve to its first holder.
    let mut id_to_ref: BTreeMap<&str, String> = BTreeMap::new();
    let mut components = Vec::with_capacity(sbom.packages.len() + 1);
    let mut root_deps = BTreeSet::new();
    for p in &sbom.packages {
        let base = if p.id.is_empty() {
            "package".to_string()
        } else {
            p.id.clone()
        };
        let bom_ref = unique_id(base, &mut used);
        id_to_ref.entry(p.id.as_str()).or_insert_with(|| bom_ref.clone());
        root_deps.insert(bom_ref.clone());
        components.push(package_component(p, &bom_ref));
    }
    if let Some(d) = &sbom.distro {
        let os_ref = unique_id(
            format!("os-{}", sanitize_id(&format!("{}-{}", d.id, d.version_id))),
            &mut used,
        );
        root_deps.insert(os_ref.clone());
        components.push(os_component(d, &os_ref));
    }

    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for rel in &sbom.relationships {
        if let (Some(from), Some(to)) = (id_to_ref.get(rel.from.as_str()), id_to_ref.get(rel.to.as_str())) {
            if from != to {
                graph.entry(from.clone()).or_default().insert(to.clone());
            }
        }
    }
    let mut dependencies = vec![json!({ "ref": root_ref, "dependsOn": root_deps })];
    dependencies.extend(
        graph
            .into_iter()
            .map(|(r, deps)| json!({ "ref": r, "dependsOn": deps })),
    );

    let tool_name = if sbom.descriptor.name.is_empty() {
        "drydock"
    } else {
        &sbom.descriptor.name
    };
    let mut tool = Map::new();
    tool.insert("type".into(), "application".into());
    tool.insert("name".into(), tool_name.into());
    if !sbom.descriptor.version.is_empty() {
        tool.insert("version".into(), sbom.descriptor.version.clone().into());
    }
    let scope = serde_json::to_value(sbom.scope)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();

    json!({
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": format!("urn:uuid:{}", sbom_uuid(&sbom, "cyclonedx-1.6")),
        "version": 1,
        "metadata": {
            "timestamp": opts.created,
            "tools": { "components": [tool] },
            "component": root_component(&sbom, &root_ref, &name, version.as_deref()),
            "properties": [prop("drydock:scope", scope)],
        },
        "components": components,
        "dependencies": dependencies,
    })
}

/// A `{name, value}` property.
fn prop(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

/// The image (type `container`) or directory (type `file`) as the BOM's subject.
fn root_component(sbom: &Sbom, bom_ref: &str, name: &str, version: Option<&str>) -> Value {
    let src = &sbom.image.source;
    let cfg = &sbom.image.config;
    let mut c = Map::new();
    c.insert("bom-ref".into(), bom_ref.into());
    c.insert(
        "type".into(),
        if is_directory(sbom) { "file" } else { "container" }.into(),
    );
    c.insert("name".into(), name.into());
    if let Some(v) = version {
        c.insert("version".into(), v.into());
    }
    if let Some(purl) = image_purl(sbom) {
        c.insert("purl".into(), purl.into());
    }
    let mut props = Vec::new();
    let mut push = |n: &str, v: &str| {
        if !v.is_empty() {
            props.push(prop(n, v));
        }
    };
    push("drydock:image:scheme", &src.scheme);
    push("drydock:image:input", &src.input);
    push(
        "drydock:image:manifestDigest",
        src.manifest_digest.as_deref().unwrap_or(""),
    );
    push("drydock:image:configDigest", src.config_digest.as_deref().unwrap_or(""));
    for (i, tag) in src.tags.iter().enumerate() {
        push(&format!("drydock:image:tag:{i}"), tag);
    }
    push("drydock:image:os", &cfg.os);
    push("drydock:image:architecture", &cfg.architecture);
    push("drydock:image:variant", cfg.variant.as_deref().unwrap_or(""));
    for layer in &sbom.image.layers {
        push(&format!("drydock:image:layer:{}:digest", layer.index), &layer.digest);
        push(
            &format!("drydock:image:layer:{}:diffID", layer.index),
            layer.diff_id.as_deref().unwrap_or(""),
        );
    }
    if !props.is_empty() {
        c.insert("properties".into(), props.into());
    }
    Value::Object(c)
}

/// The CycloneDX `licenses` of a package: a list of ids and names, or one expression.
fn licenses(p: &Package) -> Option<Value> {
    let ls = classify_licenses(&p.licenses);
    if ls.is_empty() {
        return None;
    }
    let has_expr = ls.iter().any(|l| matches!(l, License::Expression(_)));
    let has_name = ls.iter().any(|l| matches!(l, License::Name(_)));
    if has_expr && !has_name {
        // Only SPDX terms: one expression that is their conjunction.
        let multiple = ls.len() > 1;
        let expr = ls
            .iter()
            .map(|l| match l {
                License::Expression(e) if multiple && super::needs_parens(e) => format!("({e})"),
                License::Id(s) | License::Expression(s) | License::Name(s) => s.clone(),
            })
            .collect::<Vec<_>>()
            .join(" AND ");
        return Some(json!([{ "expression": expr }]));
    }
    // The schema does not allow mixing expressions with licenses: expressions become names.
    Some(Value::Array(
        ls.iter()
            .map(|l| match l {
                License::Id(id) => json!({ "license": { "id": id } }),
                License::Expression(n) | License::Name(n) => json!({ "license": { "name": n } }),
            })
            .collect(),
    ))
}

/// One package as a `library` component.
fn package_component(p: &Package, bom_ref: &str) -> Value {
    let mut c = Map::new();
    c.insert("bom-ref".into(), bom_ref.into());
    c.insert("type".into(), "library".into());
    c.insert("name".into(), p.name.clone().into());
    if !p.version.is_empty() {
        c.insert("version".into(), p.version.clone().into());
    }
    if let Some(s) = p.supplier.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let (name, _) = split_contact(s);
        c.insert("supplier".into(), json!({ "name": name }));
        c.insert("publisher".into(), s.into());
    }
    if let Some(l) = licenses(p) {
        c.insert("licenses".into(), l);
    }
    if let Some(cpe) = p.cpes.first() {
        c.insert("cpe".into(), cpe.clone().into());
    }
    if !p.purl.is_empty() {
        c.insert("purl".into(), p.purl.clone().into());
    }

    let mut props = vec![
        prop("drydock:package:type", p.package_type.as_str()),
        prop("drydock:package:foundBy", p.found_by.clone()),
    ];
    let mut opt = |n: &str, v: Option<&str>| {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            props.push(prop(n, v));
        }
    };
    opt("drydock:package:architecture", p.architecture.as_deref());
    opt("drydock:package:sourceName", p.source_name.as_deref());
    opt("drydock:package:sourceVersion", p.source_version.as_deref());
    if let Some(size) = p.installed_size {
        props.push(prop("drydock:package:installedSize", size.to_string()));
    }
    for cpe in p.cpes.iter().skip(1) {
        props.push(prop("drydock:cpe23", cpe.clone()));
    }
    for (i, loc) in p.locations.iter().enumerate() {
        props.push(prop(&format!("drydock:location:{i}:path"), loc.path.clone()));
        props.push(prop(&format!("drydock:location:{i}:layerIndex"), loc.layer.to_string()));
        if !loc.layer_digest.is_empty() {
            props.push(prop(
                &format!("drydock:location:{i}:layerDigest"),
                loc.layer_digest.clone(),
            ));
        }
    }
    c.insert("properties".into(), props.into());
    Value::Object(c)
}

/// The distro as an `operating-system` component.
fn os_component(d: &Distro, bom_ref: &str) -> Value {
    let mut c = Map::new();
    c.insert("bom-ref".into(), bom_ref.into());
    c.insert("type".into(), "operating-system".into());
    c.insert("name".into(), d.id.clone().into());
    if !d.version_id.is_empty() {
        c.insert("version".into(), d.version_id.clone().into());
    }
    if let Some(pretty) = d.pretty_name.as_deref().filter(|s| !s.is_empty()) {
        c.insert("description".into(), pretty.into());
    }
    let mut props = Vec::new();
    if let Some(codename) = d.version_codename.as_deref().filter(|s| !s.is_empty()) {
        props.push(prop("drydock:distro:versionCodename", codename));
    }
    for (i, like) in d.id_like.iter().enumerate() {
        props.push(prop(&format!("drydock:distro:idLike:{i}"), like.clone()));
    }
    if !props.is_empty() {
        c.insert("properties".into(), props.into());
    }
    Value::Object(c)
}
