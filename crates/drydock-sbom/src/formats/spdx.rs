//! SPDX 2.3 JSON.
//!
//! The document DESCRIBES the image (or directory) package, which CONTAINS every package and
//! the operating system. Package relationships map to DEPENDS_ON, CONTAINS, and OTHER with the
//! comment `evident-by` (for ownership by files). Declared licenses that are not SPDX
//! identifiers or expressions become `LicenseRef-`s defined in `hasExtractedLicensingInfos`.

use super::{
    classify_licenses, image_purl, is_directory, is_license_ref, needs_parens, normalized, sanitize_id, sbom_uuid,
    source_name, source_version, split_contact, unique_id, EncodeOptions, License, LICENSE_LIST_VERSION,
};
use crate::model::{Distro, Package, RelationshipKind, Sbom};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

/// The SPDX specification version written.
pub const SPDX_VERSION: &str = "SPDX-2.3";

/// The SPDX identifier of the document itself.
pub const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";

/// The prefix of document namespaces; the document name and a content-derived UUID follow.
pub const NAMESPACE_PREFIX: &str = "https://drydock.dev/spdx/";

/// Encodes the SBOM as an SPDX 2.3 JSON document, created now or at `SOURCE_DATE_EPOCH`
/// (see [`EncodeOptions::from_env`]).
pub fn to_spdx_json(sbom: &Sbom) -> Value {
    to_spdx_json_with(sbom, &EncodeOptions::from_env())
}

/// Writes the SBOM as pretty-printed SPDX 2.3 JSON followed by a newline, created now or at
/// `SOURCE_DATE_EPOCH`.
pub fn write_spdx(sbom: &Sbom, w: impl Write) -> std::io::Result<()> {
    write_spdx_with(sbom, &EncodeOptions::from_env(), w)
}

/// Writes the SBOM as pretty-printed SPDX 2.3 JSON followed by a newline, with explicit
/// options; the same SBOM and options always give the same bytes.
pub fn write_spdx_with(sbom: &Sbom, opts: &EncodeOptions, mut w: impl Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut w, &to_spdx_json_with(sbom, opts))?;
    w.write_all(b"\n")
}

/// The `LicenseRef-`s a document defines: reference → extracted text, and text → reference.
#[derive(Default)]
struct ExtractedLicenses {
    by_ref: BTreeMap<String, String>,
    by_text: BTreeMap<String, String>,
}

impl ExtractedLicenses {
    /// The `LicenseRef-` for a license name that is not an SPDX term, defining it if new.
    fn reference(&mut self, name: &str) -> String {
        if let Some(r) = self.by_text.get(name) {
            return r.clone();
        }
        let base = if is_license_ref(name) {
            name.to_string()
        } else {
            format!("LicenseRef-{}", sanitize_id(name))
        };
        let mut candidate = base.clone();
        let mut n = 2usize;
        while self.by_ref.contains_key(&candidate) {
            candidate = format!("{base}-{n}");
            n += 1;
        }
        self.by_ref.insert(candidate.clone(), name.to_string());
        self.by_text.insert(name.to_string(), candidate.clone());
        candidate
    }

    /// The `hasExtractedLicensingInfos` entries, sorted by reference.
    fn to_json(&self) -> Vec<Value> {
        self.by_ref
            .iter()
            .map(|(r, text)| json!({ "licenseId": r, "extractedText": text, "name": text }))
            .collect()
    }
}

/// The `licenseDeclared` of a package: the conjunction of its licenses as an SPDX expression.
fn license_declared(p: &Package, extracted: &mut ExtractedLicenses) -> String {
    let ls = classify_licenses(&p.licenses);
    if ls.is_empty() {
        return "NOASSERTION".into();
    }
    let multiple = ls.len() > 1;
    ls.iter()
        .map(|l| match l {
            License::Id(id) => id.clone(),
            License::Expression(e) if multiple && needs_parens(e) => format!("({e})"),
            License::Expression(e) => e.clone(),
            License::Name(n) => extracted.reference(n),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// An SPDX `Organization:` supplier, `Organization: name (email)` when an address is given.
fn supplier(s: Option<&str>) -> String {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => match split_contact(s) {
            (name, Some(email)) => format!("Organization: {name} ({email})"),
            (name, None) => format!("Organization: {name}"),
        },
        None => "NOASSERTION".into(),
    }
}

/// A `{algorithm, checksumValue}` for an `algorithm:hex` digest SPDX knows.
fn checksum(digest: &str) -> Option<Value> {
    let (alg, hex) = digest.split_once(':')?;
    let alg = match alg {
        "sha256" => "SHA256",
        "sha384" => "SHA384",
        "sha512" => "SHA512",
        "sha1" => "SHA1",
        _ => return None,
    };
    (!hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| json!({ "algorithm": alg, "checksumValue": hex.to_ascii_lowercase() }))
}

/// A relationship object.
fn relationship(from: &str, kind: &str, to: &str, comment: Option<&str>) -> Value {
    let mut r = Map::new();
    r.insert("spdxElementId".into(), from.into());
    r.insert("relationshipType".into(), kind.into());
    r.insert("relatedSpdxElement".into(), to.into());
    if let Some(c) = comment {
        r.insert("comment".into(), c.into());
    }
    Value::Object(r)
}

/// Encodes the SBOM as an SPDX 2.3 JSON document with explicit options.
pub fn to_spdx_json_with(sbom: &Sbom, opts: &EncodeOptions) -> Value {
    let sbom = normalized(sbom);
    let mut used = BTreeSet::from([DOCUMENT_ID.to_string()]);
    let mut extracted = ExtractedLicenses::default();

    let name = source_name(&sbom);
    let version = source_version(&sbom);
    let namespace = format!(
        "{NAMESPACE_PREFIX}{}-{}",
        sanitize_id(&name),
        sbom_uuid(&sbom, "spdx-2.3")
    );
    let root_kind = if is_directory(&sbom) { "Directory" } else { "Image" };
    let root_id = unique_id(
        format!("SPDXRef-DocumentRoot-{root_kind}-{}", sanitize_id(&name)),
        &mut used,
    );

    let mut packages = vec![root_package(&sbom, &root_id, &name, version.as_deref())];
    let mut relationships = vec![relationship(DOCUMENT_ID, "DESCRIBES", &root_id, None)];

    let mut id_to_spdx: BTreeMap<&str, String> = BTreeMap::new();
    for p in &sbom.packages {
        let spdx_id = unique_id(
            sanitize_id(&format!(
                "SPDXRef-Package-{}-{}-{}",
                p.package_type.as_str(),
                p.name,
                p.id
            )),
            &mut used,
        );
        id_to_spdx.entry(p.id.as_str()).or_insert_with(|| spdx_id.clone());
        packages.push(package(p, &spdx_id, &mut extracted));
        relationships.push(relationship(&root_id, "CONTAINS", &spdx_id, None));
    }
    if let Some(d) = &sbom.distro {
        let os_id = unique_id(
            sanitize_id(&format!("SPDXRef-OperatingSystem-{}-{}", d.id, d.version_id)),
            &mut used,
        );
        packages.push(os_package(d, &os_id));
        relationships.push(relationship(&root_id, "CONTAINS", &os_id, None));
    }

    let mut seen = BTreeSet::new();
    for rel in &sbom.relationships {
        let (Some(from), Some(to)) = (id_to_spdx.get(rel.from.as_str()), id_to_spdx.get(rel.to.as_str())) else {
            continue;
        };
        let (kind, comment) = match rel.kind {
            RelationshipKind::DependsOn => ("DEPENDS_ON", None),
            RelationshipKind::Contains => ("CONTAINS", None),
            RelationshipKind::OwnershipByFiles => ("OTHER", Some("evident-by")),
        };
        if from != to && seen.insert((from, kind, to)) {
            relationships.push(relationship(from, kind, to, comment));
        }
    }

    let tool = if sbom.descriptor.name.is_empty() {
        "drydock"
    } else {
        &sbom.descriptor.name
    };
    let creator = if sbom.descriptor.version.is_empty() {
        format!("Tool: {tool}")
    } else {
        format!("Tool: {tool}-{}", sbom.descriptor.version)
    };

    let mut doc = Map::new();
    doc.insert("spdxVersion".into(), SPDX_VERSION.into());
    doc.insert("dataLicense".into(), "CC0-1.0".into());
    doc.insert("SPDXID".into(), DOCUMENT_ID.into());
    doc.insert("name".into(), name.into());
    doc.insert("documentNamespace".into(), namespace.into());
    doc.insert(
        "creationInfo".into(),
        json!({
            "created": opts.created,
            "creators": [creator],
            "licenseListVersion": LICENSE_LIST_VERSION,
        }),
    );
    doc.insert("packages".into(), packages.into());
    doc.insert("relationships".into(), relationships.into());
    let infos = extracted.to_json();
    if !infos.is_empty() {
        doc.insert("hasExtractedLicensingInfos".into(), infos.into());
    }
    Value::Object(doc)
}

/// The fields every package of this document shares: nothing asserted, files not analysed.
fn base_package(spdx_id: &str, name: &str, version: Option<&str>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("SPDXID".into(), spdx_id.into());
    m.insert("name".into(), name.into());
    if let Some(v) = version.filter(|v| !v.is_empty()) {
        m.insert("versionInfo".into(), v.into());
    }
    m.insert("downloadLocation".into(), "NOASSERTION".into());
    m.insert("filesAnalyzed".into(), false.into());
    m.insert("licenseConcluded".into(), "NOASSERTION".into());
    m.insert("licenseDeclared".into(), "NOASSERTION".into());
    m.insert("copyrightText".into(), "NOASSERTION".into());
    m.insert("supplier".into(), "NOASSERTION".into());
    m
}

/// The image (purpose CONTAINER) or directory (purpose FILE) package.
fn root_package(sbom: &Sbom, spdx_id: &str, name: &str, version: Option<&str>) -> Value {
    let mut m = base_package(spdx_id, name, version);
    m.insert(
        "primaryPackagePurpose".into(),
        if is_directory(sbom) { "FILE" } else { "CONTAINER" }.into(),
    );
    if let Some(c) = version.and_then(checksum) {
        m.insert("checksums".into(), json!([c]));
    }
    if let Some(purl) = image_purl(sbom) {
        m.insert(
            "externalRefs".into(),
            json!([{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": purl,
            }]),
        );
    }
    Value::Object(m)
}

/// One catalogued package (purpose LIBRARY).
fn package(p: &Package, spdx_id: &str, extracted: &mut ExtractedLicenses) -> Value {
    let mut m = base_package(spdx_id, &p.name, Some(&p.version));
    m.insert("licenseDeclared".into(), license_declared(p, extracted).into());
    m.insert("supplier".into(), supplier(p.supplier.as_deref()).into());
    m.insert("primaryPackagePurpose".into(), "LIBRARY".into());

    let mut refs = Vec::new();
    if !p.purl.is_empty() {
        refs.push(json!({
            "referenceCategory": "PACKAGE-MANAGER",
            "referenceType": "purl",
            "referenceLocator": p.purl,
        }));
    }
    for cpe in &p.cpes {
        refs.push(json!({
            "referenceCategory": "SECURITY",
            "referenceType": "cpe23Type",
            "referenceLocator": cpe,
        }));
    }
    if !refs.is_empty() {
        m.insert("externalRefs".into(), refs.into());
    }

    let paths: Vec<&str> = p.locations.iter().map(|l| l.path.as_str()).collect();
    let source_info = if paths.is_empty() {
        format!("acquired package info from {}", p.found_by)
    } else {
        format!("acquired package info from {}: {}", p.found_by, paths.join(", "))
    };
    m.insert("sourceInfo".into(), source_info.into());
    Value::Object(m)
}

/// The distro as a package (purpose `OPERATING_SYSTEM`, as the SPDX 2.3 JSON schema spells
/// it; the specification's prose writes `OPERATING-SYSTEM`).
fn os_package(d: &Distro, spdx_id: &str) -> Value {
    let mut m = base_package(spdx_id, &d.id, Some(&d.version_id));
    m.insert("primaryPackagePurpose".into(), "OPERATING_SYSTEM".into());
    if let Some(pretty) = d.pretty_name.as_deref().filter(|s| !s.is_empty()) {
        m.insert("description".into(), pretty.into());
    }
    Value::Object(m)
}
