//! CycloneDX JSON (1.4–1.6; older and newer versions are read with a warning).
//!
//! `metadata.component` is the image; `library`, `application`, `framework` (and similar)
//! components are packages, nested ones contained by their parent; an `operating-system`
//! component is the distro. `dependencies` edges between packages become depends-on
//! relationships (the root's edges only say what the image holds). `drydock:` properties (and
//! Syft's `syft:` ones of the same shape) restore type, finder, architecture, source package,
//! size, extra CPEs and locations.

use super::stream::Doc;
use super::{
    fill_from_purl, get_str, is_drydock_id, kind, push_unique, resolve_type, split_and, Assembler, DecodeError, Props,
    Reader, MAX_CPES, MAX_LICENSES, MAX_LOCATIONS, MAX_NESTING,
};
use crate::model::{Distro, Location, Package, RelationshipKind, Sbom, Scope};
use crate::purl::Purl;
use drydock_model::LayerInfo;
use serde_json::Value;
use std::collections::HashMap;

const FOUND_BY: &str = "sbom-cyclonedx";

/// Component types that are not packages.
const NOT_PACKAGES: &[&str] = &[
    "file",
    "container",
    "data",
    "device",
    "machine-learning-model",
    "cryptographic-asset",
];

struct State {
    asm: Assembler,
    distro: Option<Distro>,
    /// Layer digest (or diff id) → index, from the image's properties.
    layers: HashMap<String, usize>,
    by_drydock: bool,
    /// (parent, child) references of nested components.
    nested: Vec<(String, String)>,
}

pub(super) fn read(doc: &Doc, r: &mut Reader) -> Result<Sbom, DecodeError> {
    let head = &doc.head;
    if let Some(v) = r.str(head, "specVersion", "$") {
        if !matches!(v, "1.4" | "1.5" | "1.6") {
            r.warn(
                "$.specVersion",
                format_args!("CycloneDX {v} is not 1.4–1.6; reading what fits"),
            );
        }
    }
    let mut sbom = Sbom::default();
    let mut st = State {
        asm: Assembler::new(),
        distro: None,
        layers: HashMap::new(),
        by_drydock: false,
        nested: Vec::new(),
    };
    let mut root_ref = None;
    if let Some(meta) = r.object(head, "metadata", "$") {
        st.by_drydock = written_by_drydock(meta);
        let props = Props::read(r, meta, "$.metadata");
        if let Some(scope) = props.get(&["drydock:scope"]) {
            sbom.scope = match scope {
                "all-layers" => Scope::AllLayers,
                _ => Scope::Squashed,
            };
        }
        if let Some(root) = r.object(meta, "component", "$.metadata") {
            root_ref = r.text(root, "bom-ref", "$.metadata.component");
            read_root(r, root, &mut sbom, &mut st);
        }
    }

    if let Some(other) = doc.not_array("components") {
        return Err(r.invalid("$.components", format_args!("expected an array, found {other}")));
    }
    doc.each("components", |i, c| {
        if st.asm.is_full() {
            return false;
        }
        let path = format!("$.components[{i}]");
        match c {
            Some(c) => walk_one(r, &mut st, &c, &path, 0, None),
            None => r.warn(&path, "too large; skipped"),
        }
        true
    });

    let nested = std::mem::take(&mut st.nested);
    for (parent, child) in &nested {
        st.asm.relate(r, parent, child, RelationshipKind::Contains);
    }
    if let Some(other) = doc.not_array("dependencies") {
        r.warn("$.dependencies", format_args!("expected an array, found {other}"));
    }
    doc.each("dependencies", |i, d| {
        let path = format!("$.dependencies[{i}]");
        let Some(d) = d else {
            r.warn(&path, "too large; skipped");
            return true;
        };
        let Some(from) = r.str(&d, "ref", &path) else {
            r.warn(&path, "a dependency without a ref");
            return true;
        };
        if root_ref.as_deref() == Some(from) || st.asm.id_of(from).is_none() {
            return true;
        }
        for (j, to) in r.array(&d, "dependsOn", &path).iter().enumerate() {
            match to.as_str() {
                Some(to) => st.asm.relate(r, from, to, RelationshipKind::DependsOn),
                None => r.warn(format_args!("{path}.dependsOn[{j}]"), "expected a string"),
            }
        }
        true
    });
    (sbom.packages, sbom.relationships) = st.asm.finish(r);
    sbom.distro = st.distro;
    Ok(sbom)
}

/// True when `metadata.tools` (1.4 array or 1.5+ object) names drydock.
fn written_by_drydock(meta: &Value) -> bool {
    let tools = meta.get("tools");
    let list = match tools {
        Some(Value::Array(a)) => a.as_slice(),
        Some(Value::Object(o)) => o
            .get("components")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice),
        _ => &[],
    };
    list.iter()
        .any(|t| t.get("name").and_then(Value::as_str) == Some("drydock"))
}

/// The image: its name, and what drydock's properties say about it.
fn read_root(r: &mut Reader, root: &Value, sbom: &mut Sbom, st: &mut State) {
    let path = "$.metadata.component";
    let src = &mut sbom.image.source;
    src.reference = r.text(root, "name", path).unwrap_or_default();
    let props = Props::read(r, root, path);
    let version = r.text(root, "version", path);
    src.manifest_digest = props.get(&["drydock:image:manifestDigest"]).map(str::to_string);
    src.config_digest = props.get(&["drydock:image:configDigest"]).map(str::to_string);
    if src.manifest_digest.is_none() && src.config_digest.is_none() {
        // Other tools put the image digest in the version.
        src.manifest_digest = version.filter(|v| v.starts_with("sha256:"));
    }
    for i in 0..1000 {
        match props.get(&[&format!("drydock:image:tag:{i}")]) {
            Some(t) => src.tags.push(t.to_string()),
            None => break,
        }
    }
    let cfg = &mut sbom.image.config;
    cfg.os = props.get(&["drydock:image:os"]).unwrap_or_default().to_string();
    cfg.architecture = props
        .get(&["drydock:image:architecture"])
        .unwrap_or_default()
        .to_string();
    cfg.variant = props.get(&["drydock:image:variant"]).map(str::to_string);
    for index in 0..MAX_LOCATIONS {
        let digest = props.get(&[&format!("drydock:image:layer:{index}:digest")]);
        let diff_id = props.get(&[&format!("drydock:image:layer:{index}:diffID")]);
        if digest.is_none() && diff_id.is_none() {
            break;
        }
        for d in [digest, diff_id].into_iter().flatten() {
            st.layers.entry(d.to_string()).or_insert(index);
        }
        sbom.image.layers.push(LayerInfo {
            index,
            digest: digest.unwrap_or_default().to_string(),
            diff_id: diff_id.map(str::to_string),
            ..Default::default()
        });
    }
}

/// Reads a list of components and their nested components.
fn walk(r: &mut Reader, st: &mut State, comps: &[Value], path: &str, depth: usize, parent: Option<&str>) {
    for (i, c) in comps.iter().enumerate() {
        if st.asm.is_full() {
            return;
        }
        walk_one(r, st, c, &format!("{path}[{i}]"), depth, parent);
    }
}

/// Reads one component and its nested components.
fn walk_one(r: &mut Reader, st: &mut State, c: &Value, path: &str, depth: usize, parent: Option<&str>) {
    if !c.is_object() {
        r.warn(path, format_args!("expected an object, found {}", kind(c)));
        return;
    }
    let ty = r.str(c, "type", path).unwrap_or("library");
    let bom_ref = r.text(c, "bom-ref", path).unwrap_or_else(|| format!("#{path}"));
    let is_package = if ty == "operating-system" {
        if st.distro.is_none() {
            st.distro = os_distro(r, c, path);
        }
        false
    } else if NOT_PACKAGES.contains(&ty) {
        false
    } else {
        read_component(r, st, c, path, &bom_ref)
    };
    if is_package {
        if let Some(parent) = parent {
            st.nested.push((parent.to_string(), bom_ref.clone()));
        }
    }
    let children = r.array(c, "components", path);
    if children.is_empty() {
        return;
    }
    if depth + 1 >= MAX_NESTING {
        r.warn(
            format_args!("{path}.components"),
            format_args!("nested more than {MAX_NESTING} deep; skipped"),
        );
        return;
    }
    let child_path = format!("{path}.components");
    walk(
        r,
        st,
        children,
        &child_path,
        depth + 1,
        if is_package { Some(&bom_ref) } else { parent },
    );
}

/// The distro from an `operating-system` component.
fn os_distro(r: &mut Reader, c: &Value, path: &str) -> Option<Distro> {
    let id = r.text(c, "name", path)?.to_ascii_lowercase();
    let props = Props::read(r, c, path);
    let mut d = Distro {
        id,
        version_id: r.text(c, "version", path).unwrap_or_default(),
        version_codename: props
            .get(&["drydock:distro:versionCodename", "syft:distro:versionCodename"])
            .map(str::to_string),
        pretty_name: r.text(c, "description", path),
        id_like: Vec::new(),
    };
    for i in 0..64 {
        let names = [format!("drydock:distro:idLike:{i}"), format!("syft:distro:idLike:{i}")];
        match props.get(&[&names[0], &names[1]]) {
            Some(v) => d.id_like.push(v.to_string()),
            None => break,
        }
    }
    Some(d)
}

/// Reads one package component; false when it is skipped.
fn read_component(r: &mut Reader, st: &mut State, c: &Value, path: &str, bom_ref: &str) -> bool {
    let Some(name) = r.text(c, "name", path) else {
        r.warn(path, "a component without a name; skipped");
        return false;
    };
    let version = r.text(c, "version", path).unwrap_or_default();
    let props = Props::read(r, c, path);
    let purl_text = r.text(c, "purl", path);
    let purl = purl_text.as_deref().and_then(Purl::parse);
    if purl_text.is_some() && purl.is_none() {
        r.warn(format_args!("{path}.purl"), "not a package URL");
    }
    let ty = resolve_type(
        r,
        props.get(&["drydock:package:type", "syft:package:type"]),
        purl.as_ref(),
    );
    let found_by = props
        .get(&["drydock:package:foundBy", "syft:package:foundBy"])
        .unwrap_or(FOUND_BY);
    let mut p = Package::new(ty, name, version, found_by);
    p.purl = purl_text.unwrap_or_default();
    p.architecture = props
        .get(&[
            "drydock:package:architecture",
            "syft:metadata:architecture",
            "syft:metadata:arch",
        ])
        .map(str::to_string);
    p.source_name = props
        .get(&[
            "drydock:package:sourceName",
            "syft:metadata:source",
            "syft:metadata:originPackage",
            "aquasecurity:trivy:SrcName",
        ])
        .map(str::to_string);
    p.source_version = props
        .get(&[
            "drydock:package:sourceVersion",
            "syft:metadata:sourceVersion",
            "aquasecurity:trivy:SrcVersion",
        ])
        .map(str::to_string);
    if let Some(size) = props.get(&["drydock:package:installedSize"]) {
        match size.parse::<u64>() {
            Ok(n) => p.installed_size = Some(n),
            Err(_) => r.warn(path, format_args!("installed size {size:?} is not a number")),
        }
    }
    p.supplier = r
        .text(c, "publisher", path)
        .or_else(|| c.get("supplier").and_then(|s| get_str(s, "name")).map(str::to_string))
        .or_else(|| get_str(c, "author").map(str::to_string))
        .or_else(|| {
            c.get("authors")
                .and_then(Value::as_array)
                .and_then(|a| a.first())
                .and_then(|a| get_str(a, "name"))
                .map(str::to_string)
        });
    if let Some(cpe) = r.text(c, "cpe", path) {
        push_unique(&mut p.cpes, &cpe, MAX_CPES);
    }
    for cpe in props.all(&["drydock:cpe23", "syft:cpe23"]) {
        push_unique(&mut p.cpes, cpe, MAX_CPES);
    }
    read_licenses(r, c, path, &mut p);
    for i in 0..MAX_LOCATIONS {
        let path_names = [format!("drydock:location:{i}:path"), format!("syft:location:{i}:path")];
        let Some(loc_path) = props.get(&[&path_names[0], &path_names[1]]) else {
            break;
        };
        let digest_names = [
            format!("drydock:location:{i}:layerDigest"),
            format!("syft:location:{i}:layerID"),
        ];
        let layer_digest = props
            .get(&[&digest_names[0], &digest_names[1]])
            .unwrap_or_default()
            .to_string();
        let layer = props
            .get(&[&format!("drydock:location:{i}:layerIndex")])
            .and_then(|l| l.parse::<usize>().ok())
            .or_else(|| st.layers.get(&layer_digest).copied())
            .unwrap_or(0);
        p.locations.push(Location {
            path: loc_path.to_string(),
            layer,
            layer_digest,
        });
    }
    fill_from_purl(&mut p, purl.as_ref());
    let carried = (st.by_drydock && is_drydock_id(bom_ref)).then_some(bom_ref);
    st.asm.add(r, Some(bom_ref), p, carried);
    true
}

/// `licenses`: `{license: {id | name}}` entries, or one `{expression}` (split at its top-level ANDs).
fn read_licenses(r: &mut Reader, c: &Value, path: &str, p: &mut Package) {
    for (i, l) in r.array(c, "licenses", path).iter().enumerate() {
        if let Some(expr) = get_str(l, "expression") {
            for term in split_and(expr) {
                push_unique(&mut p.licenses, &term, MAX_LICENSES);
            }
        } else if let Some(lic) = l.get("license") {
            match get_str(lic, "id").or_else(|| get_str(lic, "name")) {
                Some(s) => push_unique(&mut p.licenses, s, MAX_LICENSES),
                None => r.warn(
                    format_args!("{path}.licenses[{i}]"),
                    "a license with neither id nor name",
                ),
            }
        } else {
            r.warn(
                format_args!("{path}.licenses[{i}]"),
                "neither a license nor an expression",
            );
        }
    }
}
