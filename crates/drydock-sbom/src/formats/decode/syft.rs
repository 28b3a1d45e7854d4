//! Syft JSON (`syft -o json`).
//!
//! `artifacts` are packages (type from Syft's `type`, then the purl); `source` is the image
//! (its layers give location layer indexes); `distro` is the distro; `artifactRelationships`
//! `dependency-of`, `contains` and `ownership-by-file-overlap` between packages become
//! relationships. Metadata fields common to Syft's package metadata (architecture, source
//! package, maintainer, installed size, files) fill the matching package fields.

use super::stream::Doc;
use super::{
    fill_from_purl, get_str, kind, push_unique, resolve_type, string_list, Assembler, DecodeError, Reader, MAX_CPES,
    MAX_FILES_PER_PACKAGE, MAX_LICENSES, MAX_LOCATIONS,
};
use crate::model::{Distro, Location, Package, PackageFile, RelationshipKind, Sbom};
use crate::purl::Purl;
use drydock_model::LayerInfo;
use serde_json::Value;
use std::collections::HashMap;

pub(super) fn read(doc: &Doc, r: &mut Reader) -> Result<Sbom, DecodeError> {
    let (stream, doc) = (doc, &doc.head);
    let mut sbom = Sbom::default();
    let mut layers: HashMap<String, usize> = HashMap::new();
    if let Some(src) = r.object(doc, "source", "$") {
        read_source(r, src, &mut sbom, &mut layers);
    }
    if let Some(d) = r.object(doc, "distro", "$") {
        let id = get_str(d, "id").map(str::to_ascii_lowercase);
        sbom.distro = id.map(|id| Distro {
            id,
            version_id: get_str(d, "versionID").unwrap_or_default().to_string(),
            version_codename: get_str(d, "versionCodename").map(str::to_string),
            pretty_name: get_str(d, "prettyName").map(str::to_string),
            id_like: string_list(d.get("idLike")),
        });
    }

    if let Some(other) = stream.not_array("artifacts") {
        return Err(r.invalid("$.artifacts", format_args!("expected an array, found {other}")));
    }
    let mut asm = Assembler::new();
    stream.each("artifacts", |i, a| {
        if asm.is_full() {
            return false;
        }
        let path = format!("$.artifacts[{i}]");
        let Some(a) = a else {
            r.warn(&path, "too large; skipped");
            return true;
        };
        if !a.is_object() {
            r.warn(&path, format_args!("expected an object, found {}", kind(&a)));
            return true;
        }
        read_artifact(r, &mut asm, &a, &path, &layers);
        true
    });

    let key = if stream.has("artifactRelationships") {
        "artifactRelationships"
    } else {
        "relationships"
    };
    if let Some(other) = stream.not_array(key) {
        r.warn(
            format_args!("$.{key}"),
            format_args!("expected an array, found {other}"),
        );
    }
    stream.each(key, |i, rel| {
        let path = format!("$.{key}[{i}]");
        let Some(rel) = rel else {
            r.warn(&path, "too large; skipped");
            return true;
        };
        let (Some(parent), Some(child), Some(ty)) = (
            r.str(&rel, "parent", &path),
            r.str(&rel, "child", &path),
            r.str(&rel, "type", &path),
        ) else {
            r.warn(&path, "incomplete relationship; skipped");
            return true;
        };
        match ty {
            "dependency-of" => asm.relate(r, child, parent, RelationshipKind::DependsOn),
            "contains" => asm.relate(r, parent, child, RelationshipKind::Contains),
            "ownership-by-file-overlap" => asm.relate(r, parent, child, RelationshipKind::OwnershipByFiles),
            _ => {}
        }
        true
    });
    (sbom.packages, sbom.relationships) = asm.finish(r);
    Ok(sbom)
}

/// The image (or directory): name, digests, tags, layers.
fn read_source(r: &mut Reader, src: &Value, sbom: &mut Sbom, layers: &mut HashMap<String, usize>) {
    let info = &mut sbom.image.source;
    info.reference = r.text(src, "name", "$.source").unwrap_or_default();
    // Schemas before 3.x called the metadata `target`.
    let Some(meta) = r
        .object(src, "metadata", "$.source")
        .or_else(|| src.get("target").filter(|t| t.is_object()))
    else {
        return;
    };
    if info.reference.is_empty() {
        info.reference = get_str(meta, "userInput").unwrap_or_default().to_string();
    }
    info.manifest_digest = get_str(meta, "manifestDigest").map(str::to_string);
    info.config_digest = get_str(meta, "imageID").map(str::to_string);
    info.tags = string_list(meta.get("tags"));
    let cfg = &mut sbom.image.config;
    cfg.os = get_str(meta, "os").unwrap_or_default().to_string();
    cfg.architecture = get_str(meta, "architecture").unwrap_or_default().to_string();
    cfg.variant = get_str(meta, "variant").map(str::to_string);
    for (index, l) in r
        .array(meta, "layers", "$.source.metadata")
        .iter()
        .enumerate()
        .take(MAX_LOCATIONS)
    {
        let digest = get_str(l, "digest").unwrap_or_default().to_string();
        if !digest.is_empty() {
            layers.entry(digest.clone()).or_insert(index);
        }
        sbom.image.layers.push(LayerInfo {
            index,
            // Syft's layer digests are the diff ids (digests of the uncompressed tars).
            diff_id: (!digest.is_empty()).then(|| digest.clone()),
            digest,
            media_type: get_str(l, "mediaType").unwrap_or_default().to_string(),
            size: l.get("size").and_then(Value::as_u64).unwrap_or(0),
            created_by: None,
        });
    }
}

/// One artifact as a package.
fn read_artifact(r: &mut Reader, asm: &mut Assembler, a: &Value, path: &str, layers: &HashMap<String, usize>) {
    let Some(name) = r.text(a, "name", path) else {
        r.warn(path, "an artifact without a name; skipped");
        return;
    };
    let version = r.text(a, "version", path).unwrap_or_default();
    let purl_text = r.text(a, "purl", path);
    let purl = purl_text.as_deref().and_then(Purl::parse);
    if purl_text.is_some() && purl.is_none() {
        r.warn(format_args!("{path}.purl"), "not a package URL");
    }
    let syft_type = r.str(a, "type", path);
    let ty = resolve_type(r, syft_type, purl.as_ref());
    let found_by = r.text(a, "foundBy", path).unwrap_or_else(|| "sbom-syft".to_string());
    let mut p = Package::new(ty, name, version, &found_by);
    p.purl = purl_text.clone().unwrap_or_default();

    // Locations, the primary evidence first (as drydock's catalogers list them).
    let mut primary = Vec::new();
    let mut others = Vec::new();
    for (j, l) in r.array(a, "locations", path).iter().enumerate().take(MAX_LOCATIONS) {
        let Some(loc_path) = get_str(l, "path") else {
            r.warn(format_args!("{path}.locations[{j}]"), "a location without a path");
            continue;
        };
        let layer_digest = get_str(l, "layerID").unwrap_or_default().to_string();
        let loc = Location {
            path: loc_path.to_string(),
            layer: layers.get(&layer_digest).copied().unwrap_or(0),
            layer_digest,
        };
        let evidence = l.get("annotations").and_then(|an| get_str(an, "evidence"));
        if evidence == Some("primary") {
            primary.push(loc);
        } else {
            others.push(loc);
        }
    }
    p.locations = primary;
    p.locations.extend(others);

    for (j, l) in r.array(a, "licenses", path).iter().enumerate() {
        let lic = match l {
            Value::String(s) => Some(s.as_str()),
            Value::Object(_) => get_str(l, "value").or_else(|| get_str(l, "spdxExpression")),
            _ => None,
        };
        match lic {
            Some(lic) => push_unique(&mut p.licenses, lic, MAX_LICENSES),
            None => r.warn(
                format_args!("{path}.licenses[{j}]"),
                "neither a string nor a license object",
            ),
        }
    }
    for c in r.array(a, "cpes", path) {
        let cpe = match c {
            Value::String(s) => Some(s.as_str()),
            _ => get_str(c, "cpe"),
        };
        if let Some(cpe) = cpe {
            push_unique(&mut p.cpes, cpe, MAX_CPES);
        }
    }
    if let Some(meta) = a.get("metadata").filter(|m| m.is_object()) {
        read_metadata(r, &mut p, meta, get_str(a, "metadataType").unwrap_or(""), path);
    }
    fill_from_purl(&mut p, purl.as_ref());
    let syft_id = get_str(a, "id");
    asm.add(r, syft_id, p, None);
}

/// The metadata fields drydock has a place for.
fn read_metadata(r: &mut Reader, p: &mut Package, meta: &Value, metadata_type: &str, path: &str) {
    p.architecture = get_str(meta, "architecture")
        .or_else(|| get_str(meta, "arch"))
        .map(str::to_string);
    p.source_name = get_str(meta, "source")
        .or_else(|| get_str(meta, "originPackage"))
        .map(str::to_string)
        .or_else(|| {
            // name-version-release.src.rpm
            let srpm = get_str(meta, "sourceRpm")?.strip_suffix(".src.rpm")?;
            let mut parts = srpm.rsplitn(3, '-');
            let (_, _, name) = (parts.next()?, parts.next()?, parts.next()?);
            Some(name.to_string())
        });
    p.source_version = get_str(meta, "sourceVersion").map(str::to_string);
    p.supplier = ["maintainer", "vendor", "author", "packager"]
        .iter()
        .find_map(|k| get_str(meta, k))
        .map(str::to_string);
    p.installed_size = match metadata_type {
        // dpkg records kibibytes.
        "dpkg-db-entry" => meta
            .get("installedSize")
            .and_then(Value::as_u64)
            .map(|k| k.saturating_mul(1024)),
        "apk-db-entry" => meta.get("installedSize").and_then(Value::as_u64),
        "rpm-db-entry" => meta.get("size").and_then(Value::as_u64),
        _ => None,
    };
    let files = match meta.get("files") {
        Some(Value::Array(f)) => f.as_slice(),
        _ => &[],
    };
    if files.len() > MAX_FILES_PER_PACKAGE {
        r.warn(
            format_args!("{path}.metadata.files"),
            format_args!("more than {MAX_FILES_PER_PACKAGE} files; the rest are dropped"),
        );
    }
    for f in files.iter().take(MAX_FILES_PER_PACKAGE) {
        let Some(fpath) = get_str(f, "path") else { continue };
        let digest = f.get("digest").and_then(|d| {
            let alg = get_str(d, "algorithm")?;
            let value = get_str(d, "value")?;
            Some(format!("{}:{value}", alg.to_ascii_lowercase().replace('-', "")))
        });
        p.files.push(PackageFile {
            path: fpath.to_string(),
            digest,
        });
    }
}
