//! SPDX 2.2 and 2.3 JSON.
//!
//! What the document DESCRIBES is the image when it is a container, a file or directory, or a
//! package without a purl; an OPERATING_SYSTEM package (also spelt OPERATING-SYSTEM, as the
//! specification's prose and some tools write it) is the distro; every other package is a
//! package. DEPENDS_ON (and the `*DEPENDENCY_OF` inverses), CONTAINS (and CONTAINED_BY) between
//! packages become relationships, as does OTHER commented `evident-by` or
//! `ownership-by-file-overlap` (how drydock and Syft write ownership by files). `LicenseRef-`s
//! are resolved to the names the document defines for them; `sourceInfo` in the form drydock
//! and Syft write (`acquired package info from FINDER: PATH, PATH`) gives finder and locations.

use super::stream::Doc;
use super::{
    fill_from_purl, get_str, is_drydock_id, kind, push_unique, resolve_type, split_and, type_from_name, Assembler,
    DecodeError, Reader, MAX_CPES, MAX_LICENSES, MAX_LOCATIONS,
};
use crate::model::{Distro, Location, Package, PackageType, RelationshipKind, Sbom};
use crate::purl::Purl;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};

const FOUND_BY: &str = "sbom-spdx";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

pub(super) fn read(doc: &Doc, r: &mut Reader) -> Result<Sbom, DecodeError> {
    let (stream, doc) = (doc, &doc.head);
    let version = r.str(doc, "spdxVersion", "$").unwrap_or("");
    if version.starts_with("SPDX-3") {
        return Err(DecodeError::Unsupported {
            origin: r.origin.to_string(),
            format: version.to_string(),
            detail: "write the SBOM as SPDX 2.3 JSON instead".into(),
        });
    }
    if !matches!(version, "SPDX-2.2" | "SPDX-2.3") {
        r.warn(
            "$.spdxVersion",
            format_args!("{version:?} is not SPDX-2.2 or SPDX-2.3; reading what fits"),
        );
    }
    let by_drydock = doc
        .get("creationInfo")
        .and_then(|c| c.get("creators"))
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .filter_map(Value::as_str)
                .any(|c| c.starts_with("Tool: drydock"))
        });

    // LicenseRef- → the license it stands for.
    let mut extracted: HashMap<String, String> = HashMap::new();
    for (i, info) in r.array(doc, "hasExtractedLicensingInfos", "$").iter().enumerate() {
        let path = format!("$.hasExtractedLicensingInfos[{i}]");
        let Some(id) = r.str(info, "licenseId", &path) else {
            continue;
        };
        let name = get_str(info, "name")
            .filter(|n| *n != "NOASSERTION")
            .or_else(|| get_str(info, "extractedText").filter(|t| t.len() <= 200 && !t.contains('\n')));
        if let Some(name) = name {
            extracted.insert(id.to_string(), name.to_string());
        }
    }

    if let Some(other) = stream.not_array("packages") {
        return Err(r.invalid("$.packages", format_args!("expected an array, found {other}")));
    }
    if let Some(other) = stream.not_array("relationships") {
        r.warn("$.relationships", format_args!("expected an array, found {other}"));
    }

    // What the document describes.
    let mut described: BTreeSet<String> = BTreeSet::new();
    for d in r.array(doc, "documentDescribes", "$") {
        if let Some(d) = d.as_str() {
            described.insert(d.to_string());
        }
    }
    stream.each("relationships", |_, rel| {
        let Some(rel) = rel else { return true };
        let (Some(from), Some(ty), Some(to)) = (
            rel.get("spdxElementId").and_then(Value::as_str),
            rel.get("relationshipType").and_then(Value::as_str),
            rel.get("relatedSpdxElement").and_then(Value::as_str),
        ) else {
            return true;
        };
        match ty {
            "DESCRIBES" if from == DOCUMENT_ID => {
                described.insert(to.to_string());
            }
            "DESCRIBED_BY" if to == DOCUMENT_ID => {
                described.insert(from.to_string());
            }
            _ => {}
        }
        true
    });

    let mut sbom = Sbom::default();
    let mut asm = Assembler::new();
    // Elements that are not packages: the image, the operating system.
    let mut not_packages: BTreeSet<String> = BTreeSet::from([DOCUMENT_ID.to_string()]);
    let mut have_source = false;
    stream.each("packages", |i, pkg| {
        if asm.is_full() {
            return false;
        }
        let path = format!("$.packages[{i}]");
        let Some(pkg) = pkg else {
            r.warn(&path, "too large; skipped");
            return true;
        };
        let pkg = &pkg;
        if !pkg.is_object() {
            r.warn(&path, format_args!("expected an object, found {}", kind(pkg)));
            return true;
        }
        let spdx_id = r.text(pkg, "SPDXID", &path).unwrap_or_else(|| format!("#{path}"));
        // The schema's enum spells purposes with `_`, the specification's prose with `-`.
        let purpose = get_str(pkg, "primaryPackagePurpose")
            .unwrap_or("")
            .replace('-', "_")
            .to_ascii_uppercase();
        let purpose = purpose.as_str();
        let purl_text = purl_of(pkg);
        let purl = purl_text.as_deref().and_then(Purl::parse);
        if purpose == "OPERATING_SYSTEM" {
            if sbom.distro.is_none() {
                sbom.distro = r.text(pkg, "name", &path).map(|id| Distro {
                    id: id.to_ascii_lowercase(),
                    version_id: get_str(pkg, "versionInfo").unwrap_or_default().to_string(),
                    pretty_name: get_str(pkg, "description").map(str::to_string),
                    ..Default::default()
                });
            }
            not_packages.insert(spdx_id);
            return true;
        }
        let is_image = described.contains(&spdx_id)
            && (matches!(purpose, "CONTAINER" | "FILE" | "SOURCE" | "ARCHIVE")
                || purl_text.is_none()
                || purl.as_ref().is_some_and(|p| matches!(p.ty.as_str(), "oci" | "docker")));
        if is_image {
            if !have_source {
                have_source = true;
                let src = &mut sbom.image.source;
                src.reference = get_str(pkg, "name").unwrap_or_default().to_string();
                src.manifest_digest = get_str(pkg, "versionInfo")
                    .filter(|v| v.starts_with("sha256:"))
                    .map(str::to_string);
            }
            not_packages.insert(spdx_id);
            return true;
        }
        let Some(name) = r.text(pkg, "name", &path) else {
            r.warn(&path, "a package without a name; skipped");
            return true;
        };
        let version = r.text(pkg, "versionInfo", &path).unwrap_or_default();
        let id_type = spdx_id.strip_prefix("SPDXRef-Package-").and_then(|rest| {
            // Type names that may follow `SPDXRef-Package-` in the ids drydock and Syft write.
            PackageType::sbom_names()
                .filter(|t| rest.starts_with(&format!("{t}-")))
                .max_by_key(|t| t.len())
        });
        let ty = resolve_type(r, id_type.filter(|t| type_from_name(t).is_some()), purl.as_ref());
        let (found_by, paths) = source_info(get_str(pkg, "sourceInfo"));
        let mut p = Package::new(ty, name, version, found_by.unwrap_or(FOUND_BY));
        p.purl = purl_text.clone().unwrap_or_default();
        for path in paths.into_iter().take(MAX_LOCATIONS) {
            p.locations.push(Location {
                path,
                layer: 0,
                layer_digest: String::new(),
            });
        }
        for (j, er) in r.array(pkg, "externalRefs", &path).iter().enumerate() {
            let ty = get_str(er, "referenceType").unwrap_or("");
            let Some(loc) = get_str(er, "referenceLocator") else {
                r.warn(format_args!("{path}.externalRefs[{j}]"), "no referenceLocator");
                continue;
            };
            if matches!(ty, "cpe23Type" | "cpe22Type") {
                push_unique(&mut p.cpes, loc, MAX_CPES);
            }
        }
        let declared = get_str(pkg, "licenseDeclared").filter(|l| !matches!(*l, "NOASSERTION" | "NONE"));
        let concluded = get_str(pkg, "licenseConcluded").filter(|l| !matches!(*l, "NOASSERTION" | "NONE"));
        if let Some(expr) = declared.or(concluded) {
            for term in split_and(expr) {
                let term = extracted.get(&term).cloned().unwrap_or(term);
                push_unique(&mut p.licenses, &term, MAX_LICENSES);
            }
        }
        p.supplier = get_str(pkg, "supplier")
            .or_else(|| get_str(pkg, "originator"))
            .and_then(actor);
        fill_from_purl(&mut p, purl.as_ref());
        let carried = if by_drydock {
            spdx_id.rsplit('-').next().filter(|id| is_drydock_id(id))
        } else {
            None
        };
        asm.add(r, Some(&spdx_id), p, carried);
        true
    });

    stream.each("relationships", |i, rel| {
        let path = format!("$.relationships[{i}]");
        let Some(rel) = rel else {
            r.warn(&path, "too large; skipped");
            return true;
        };
        let rel = &rel;
        let (Some(from), Some(ty), Some(to)) = (
            r.str(rel, "spdxElementId", &path),
            r.str(rel, "relationshipType", &path),
            r.str(rel, "relatedSpdxElement", &path),
        ) else {
            r.warn(&path, "incomplete relationship; skipped");
            return true;
        };
        if not_packages.contains(from) || not_packages.contains(to) {
            return true;
        }
        let comment = get_str(rel, "comment").unwrap_or("");
        match ty {
            "DEPENDS_ON" => asm.relate(r, from, to, RelationshipKind::DependsOn),
            t if t.ends_with("DEPENDENCY_OF") => asm.relate(r, to, from, RelationshipKind::DependsOn),
            "CONTAINS" => asm.relate(r, from, to, RelationshipKind::Contains),
            "CONTAINED_BY" => asm.relate(r, to, from, RelationshipKind::Contains),
            "OTHER" if comment.starts_with("evident-by") || comment.starts_with("ownership-by-file-overlap") => {
                asm.relate(r, from, to, RelationshipKind::OwnershipByFiles);
            }
            _ => {}
        }
        true
    });
    (sbom.packages, sbom.relationships) = asm.finish(r);
    Ok(sbom)
}

/// The purl among a package's external references.
fn purl_of(pkg: &Value) -> Option<String> {
    pkg.get("externalRefs")?
        .as_array()?
        .iter()
        .find(|er| get_str(er, "referenceType") == Some("purl"))
        .and_then(|er| get_str(er, "referenceLocator"))
        .map(str::to_string)
}

/// An SPDX actor (`Organization: Name (email)`, `Person: …`, `Tool: …`) as `Name <email>`.
fn actor(s: &str) -> Option<String> {
    if matches!(s, "NOASSERTION" | "NONE") {
        return None;
    }
    let s = ["Organization:", "Person:", "Tool:"]
        .iter()
        .find_map(|p| s.strip_prefix(p))
        .unwrap_or(s)
        .trim();
    let out = match s.strip_suffix(')').and_then(|x| x.rsplit_once('(')) {
        Some((name, email)) if !name.trim().is_empty() && !email.trim().is_empty() => {
            format!("{} <{}>", name.trim(), email.trim())
        }
        Some((name, _)) if !name.trim().is_empty() => name.trim().to_string(),
        _ => s.to_string(),
    };
    (!out.is_empty()).then_some(out)
}

/// `acquired package info from FINDER: /a, /b` → the finder and the absolute paths.
fn source_info(s: Option<&str>) -> (Option<&str>, Vec<String>) {
    let Some(rest) = s.and_then(|s| s.strip_prefix("acquired package info from ")) else {
        return (None, Vec::new());
    };
    match rest.split_once(": ") {
        Some((finder, paths)) => (
            Some(finder.trim()).filter(|f| !f.is_empty()),
            paths
                .split(", ")
                .map(str::trim)
                .filter(|p| p.starts_with('/'))
                .map(str::to_string)
                .collect(),
        ),
        None => (Some(rest.trim()).filter(|f| !f.is_empty()), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actors_become_contacts() {
        assert_eq!(
            actor("Organization: Debian (debian@example.org)").as_deref(),
            Some("Debian <debian@example.org>")
        );
        assert_eq!(actor("Person: Jane Doe").as_deref(), Some("Jane Doe"));
        assert_eq!(actor("NOASSERTION"), None);
    }

    #[test]
    fn source_info_gives_finder_and_paths() {
        let (f, p) = source_info(Some(
            "acquired package info from dpkg-db-cataloger: /var/lib/dpkg/status, /x",
        ));
        assert_eq!(f, Some("dpkg-db-cataloger"));
        assert_eq!(p, vec!["/var/lib/dpkg/status", "/x"]);
        assert_eq!(source_info(Some("from somewhere")), (None, vec![]));
    }
}
