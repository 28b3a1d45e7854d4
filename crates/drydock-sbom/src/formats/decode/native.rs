//! drydock's native JSON, read field by field so one bad package does not lose the others.

use super::stream::Doc;
use super::{Assembler, DecodeError, Reader, MAX_FILES_PER_PACKAGE, MAX_WARNINGS};
use crate::model::{Distro, FilesSummary, Package, Relationship, Sbom, Scope};
use drydock_model::ImageMeta;
use serde::Deserialize;
use serde_json::{Map, Value};

/// Deserialises `obj[key]` into `T`, warning (and returning `None`) when it does not fit.
fn field<T: for<'de> Deserialize<'de>>(r: &mut Reader, obj: &Map<String, Value>, key: &str) -> Option<T> {
    let v = obj.get(key).filter(|v| !v.is_null())?;
    match T::deserialize(v) {
        Ok(t) => Some(t),
        Err(e) => {
            r.warn(format_args!("$.{key}"), e);
            None
        }
    }
}

pub(super) fn read(doc: &Doc, r: &mut Reader) -> Result<Sbom, DecodeError> {
    let obj = doc.obj();
    let schema = obj.get("$schema").and_then(Value::as_str).unwrap_or("");
    if let Some(version) = schema.strip_prefix("https://drydock.dev/schema/sbom/") {
        if !version.starts_with("1.") && version != "1" {
            r.warn(
                "$.$schema",
                format_args!("schema version {version} is not one this drydock knows (1.x); reading what fits"),
            );
        }
    }
    let mut sbom = Sbom {
        scope: field::<Scope>(r, obj, "scope").unwrap_or_default(),
        image: field::<ImageMeta>(r, obj, "image").unwrap_or_default(),
        distro: field::<Distro>(r, obj, "distro"),
        files: field::<FilesSummary>(r, obj, "files").unwrap_or_default(),
        ..Default::default()
    };
    let src = &mut sbom.image.source;
    if src.reference.is_empty() {
        src.reference = std::mem::take(&mut src.input);
    }

    if let Some(other) = doc.not_array("packages") {
        return Err(r.invalid("$.packages", format_args!("expected an array, found {other}")));
    }
    let mut asm = Assembler::new();
    doc.each("packages", |i, v| {
        if asm.is_full() {
            return false;
        }
        let Some(v) = v else {
            r.warn(format_args!("$.packages[{i}]"), "too large; skipped");
            return true;
        };
        let mut p = match Package::deserialize(&v) {
            Ok(p) => p,
            Err(e) => {
                r.warn(format_args!("$.packages[{i}]"), format_args!("skipped: {e}"));
                return true;
            }
        };
        drop(v);
        if p.files.len() > MAX_FILES_PER_PACKAGE {
            r.warn(
                format_args!("$.packages[{i}].files"),
                format_args!("more than {MAX_FILES_PER_PACKAGE} files; the rest are dropped"),
            );
            p.files.truncate(MAX_FILES_PER_PACKAGE);
        }
        let id = std::mem::take(&mut p.id);
        asm.add(r, Some(&id), p, Some(&id));
        true
    });
    if let Some(other) = doc.not_array("relationships") {
        r.warn("$.relationships", format_args!("expected an array, found {other}"));
    }
    doc.each("relationships", |i, v| {
        match v.map(|v| Relationship::deserialize(&v)) {
            Some(Ok(rel)) => asm.relate(r, &rel.from, &rel.to, rel.kind),
            Some(Err(e)) => r.warn(format_args!("$.relationships[{i}]"), format_args!("skipped: {e}")),
            None => r.warn(format_args!("$.relationships[{i}]"), "too large; skipped"),
        }
        true
    });
    (sbom.packages, sbom.relationships) = asm.finish(r);
    if let Some(Value::Array(ws)) = obj.get("warnings") {
        sbom.warnings = ws
            .iter()
            .filter_map(Value::as_str)
            .take(MAX_WARNINGS)
            .map(str::to_string)
            .collect();
    }
    Ok(sbom)
}
