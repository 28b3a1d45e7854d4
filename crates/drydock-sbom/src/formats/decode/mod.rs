//! Reading SBOMs back: drydock native JSON, CycloneDX JSON, SPDX 2.x JSON and Syft JSON, detected
//! from their markers, all read into the same [`Sbom`] a scan produces.
//!
//! The image described becomes `image.source` with scheme `sbom`, the given input and the name
//! the document gives it. Every package gets the stable id drydock computes, unless the document
//! was written by drydock and carries its id. Problems with single entries (a package with a
//! wrong type, a dangling relationship, an unknown package type) become warnings naming the
//! entry by its JSON path; only a document that is not JSON, not an object or not a known SBOM
//! is an error.

mod cyclonedx;
mod native;
mod spdx;
mod stream;
mod syft;

use crate::model::{Distro, Package, PackageType, Relationship, RelationshipKind, Sbom, NATIVE_SCHEMA};
use crate::purl::Purl;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Display;
use std::io::{Read, Seek, SeekFrom};
use stream::{Doc, OpenError, Source};

/// The largest SBOM file the command line reads (512 MiB).
pub const MAX_SBOM_BYTES: u64 = 512 * 1024 * 1024;

/// Packages read from one document at most; the rest are skipped with a warning.
const MAX_PACKAGES: usize = 500_000;
/// Relationships read from one document at most.
const MAX_RELATIONSHIPS: usize = 20_000_000;
/// Per-package bounds on repeated fields.
const MAX_FILES_PER_PACKAGE: usize = 500_000;
const MAX_LOCATIONS: usize = 10_000;
const MAX_CPES: usize = 1_000;
const MAX_LICENSES: usize = 1_000;
/// Warnings kept; the rest are counted.
const MAX_WARNINGS: usize = 1_000;
/// Depth of nested CycloneDX components followed.
const MAX_NESTING: usize = 32;

/// Why an SBOM could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// The bytes are not JSON.
    #[error("{origin}: not valid JSON: {source}")]
    Json {
        /// Names the input (as given to the reader).
        origin: String,
        /// The parser's error, with line and column.
        #[source]
        source: serde_json::Error,
    },
    /// A JSON document none of the readers recognises.
    #[error(
        "{origin}: not a recognised SBOM ({detail}); drydock reads CycloneDX JSON, SPDX 2.2/2.3 JSON, Syft JSON \
         and drydock JSON"
    )]
    UnknownFormat {
        /// Names the input.
        origin: String,
        /// What was found instead (e.g. the document's top-level keys).
        detail: String,
    },
    /// The input could not be read.
    #[error("{origin}: cannot read: {source}")]
    Io {
        /// Names the input.
        origin: String,
        /// The read error.
        #[source]
        source: std::io::Error,
    },
    /// A recognised format in an encoding or version drydock does not read.
    #[error("{origin}: {format} is not supported: {detail}")]
    Unsupported {
        /// Names the input.
        origin: String,
        /// The format recognised (e.g. `CycloneDX XML`, `SPDX tag-value`, `SPDX-2.1`).
        format: String,
        /// What to do instead (e.g. write the SBOM as CycloneDX JSON).
        detail: String,
    },
    /// A recognised document whose structure is broken where nothing can be read past it.
    #[error("{origin}: {path}: {message}")]
    Invalid {
        /// Names the input.
        origin: String,
        /// JSON path of the problem, e.g. `$.packages`.
        path: String,
        /// What is wrong there.
        message: String,
    },
}

/// The SBOM formats drydock reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    /// drydock's native JSON.
    Drydock,
    /// CycloneDX JSON.
    CycloneDx,
    /// SPDX 2.2 or 2.3 JSON.
    Spdx,
    /// Syft's own JSON.
    Syft,
}

impl SbomFormat {
    /// A human name of the format.
    pub fn name(self) -> &'static str {
        match self {
            SbomFormat::Drydock => "drydock JSON",
            SbomFormat::CycloneDx => "CycloneDX JSON",
            SbomFormat::Spdx => "SPDX JSON",
            SbomFormat::Syft => "Syft JSON",
        }
    }
}

/// Detects the format of a parsed document from its markers.
pub fn detect_format(doc: &Value) -> Option<SbomFormat> {
    let obj = doc.as_object()?;
    detect(obj, |k| obj.get(k).map(kind))
}

/// Detects the format from the header fields and the kinds of all top-level fields.
fn detect(obj: &serde_json::Map<String, Value>, kind_of: impl Fn(&str) -> Option<&'static str>) -> Option<SbomFormat> {
    let s = |k: &str| obj.get(k).and_then(Value::as_str);
    let descriptor = obj
        .get("descriptor")
        .and_then(|d| d.get("name"))
        .and_then(Value::as_str);
    if s("$schema").is_some_and(|u| u.starts_with("https://drydock.dev/schema/sbom/"))
        || (descriptor == Some("drydock") && kind_of("packages") == Some("an array"))
    {
        return Some(SbomFormat::Drydock);
    }
    if s("bomFormat").is_some_and(|f| f.eq_ignore_ascii_case("CycloneDX")) {
        return Some(SbomFormat::CycloneDx);
    }
    if s("spdxVersion").is_some() {
        return Some(SbomFormat::Spdx);
    }
    let syft_descriptor = descriptor.is_some_and(|n| n.eq_ignore_ascii_case("syft"));
    let syft_schema = obj
        .get("schema")
        .and_then(|d| d.get("url"))
        .and_then(Value::as_str)
        .is_some_and(|u| u.contains("anchore/syft"));
    if kind_of("artifacts").is_some() && (syft_descriptor || syft_schema) {
        return Some(SbomFormat::Syft);
    }
    None
}

/// Reads an SBOM in any supported format from bytes in memory. `origin` names the input (it is
/// used in errors and warnings and becomes `image.source.input`).
pub fn read_sbom(bytes: &[u8], origin: &str) -> Result<Sbom, DecodeError> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let head_text = check_prefix(bytes, origin)?;
    if bytes.len() as u64 > MAX_SBOM_BYTES {
        return Err(too_large(origin));
    }
    decode(Source::Slice(bytes), &head_text, origin)
}

/// Reads an SBOM in any supported format from a seekable reader (a file), streaming: the
/// document is read once to find its format and small header fields, then once more for each
/// large array, one element at a time, so it is never held whole. Its length is checked against
/// [`MAX_SBOM_BYTES`] before anything is read. `origin` is as for [`read_sbom`].
pub fn read_sbom_from<'a, R: Read + Seek + 'a>(mut input: R, origin: &str) -> Result<Sbom, DecodeError> {
    let io = |source| DecodeError::Io {
        origin: origin.to_string(),
        source,
    };
    let len = input.seek(SeekFrom::End(0)).map_err(io)?;
    if len > MAX_SBOM_BYTES {
        return Err(too_large(origin));
    }
    input.seek(SeekFrom::Start(0)).map_err(io)?;
    if len <= IN_MEMORY_BYTES {
        // Small documents (nearly all) are decoded in one pass from memory: a few times
        // faster than streaming, and bounded by this threshold.
        let mut bytes = Vec::with_capacity(len as usize);
        input.take(IN_MEMORY_BYTES).read_to_end(&mut bytes).map_err(io)?;
        return read_sbom(&bytes, origin);
    }
    input.seek(SeekFrom::Start(0)).map_err(io)?;
    stream_sbom_from(input, origin)
}

/// Decodes an SBOM from `input` always streaming it (what [`read_sbom_from`] does for
/// documents over 32 MiB): several passes, one array element in memory at a time.
pub fn stream_sbom_from<'a, R: Read + Seek + 'a>(mut input: R, origin: &str) -> Result<Sbom, DecodeError> {
    let io = |source| DecodeError::Io {
        origin: origin.to_string(),
        source,
    };
    let len = input.seek(SeekFrom::End(0)).map_err(io)?;
    if len > MAX_SBOM_BYTES {
        return Err(too_large(origin));
    }
    input.seek(SeekFrom::Start(0)).map_err(io)?;
    let mut prefix = Vec::with_capacity(PREFIX_BYTES);
    (&mut input)
        .take(PREFIX_BYTES as u64)
        .read_to_end(&mut prefix)
        .map_err(io)?;
    let start = if prefix.starts_with(BOM) { BOM.len() } else { 0 };
    let head_text = check_prefix(&prefix[start..], origin)?;
    let source = Source::Reader {
        input: RefCell::new(Box::new(input)),
        start: start as u64,
        limit: MAX_SBOM_BYTES,
    };
    decode(source, &head_text, origin)
}

/// Documents up to this size are read into memory and decoded in one pass; larger ones are
/// streamed (several passes, one array element at a time).
const IN_MEMORY_BYTES: u64 = 32 << 20;
/// The UTF-8 byte-order mark some tools write before JSON.
const BOM: &[u8] = b"\xef\xbb\xbf";
/// Bytes of a streamed document peeked at to tell XML and tag-value documents from JSON.
const PREFIX_BYTES: usize = 64 << 10;
/// Bytes after leading white space that the prefix checks look at.
const HEAD_BYTES: usize = 4096;

/// An error for a document over [`MAX_SBOM_BYTES`].
fn too_large(origin: &str) -> DecodeError {
    DecodeError::Invalid {
        origin: origin.into(),
        path: "$".into(),
        message: format!("larger than {} MiB", MAX_SBOM_BYTES >> 20),
    }
}

/// Refuses formats recognisable from the document's first bytes that drydock does not read
/// (XML, SPDX tag-value); returns the first bytes after white space as text.
fn check_prefix(bytes: &[u8], origin: &str) -> Result<String, DecodeError> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let head = &bytes[start..bytes.len().min(start + HEAD_BYTES)];
    let head_text = String::from_utf8_lossy(head).into_owned();
    if head.starts_with(b"<") {
        let (format, detail) = if head_text.contains("cyclonedx") {
            ("CycloneDX XML", "write the SBOM as CycloneDX JSON instead")
        } else if head_text.contains("spdx") {
            ("SPDX RDF/XML", "write the SBOM as SPDX JSON instead")
        } else {
            ("XML", "drydock reads JSON SBOMs")
        };
        return Err(DecodeError::Unsupported {
            origin: origin.into(),
            format: format.into(),
            detail: detail.into(),
        });
    }
    if head.starts_with(b"SPDXVersion:") || head_text.lines().any(|l| l.starts_with("SPDXVersion:")) {
        return Err(DecodeError::Unsupported {
            origin: origin.into(),
            format: "SPDX tag-value".into(),
            detail: "write the SBOM as SPDX JSON instead".into(),
        });
    }
    Ok(head_text)
}

/// Detects the format of the document in `source` and reads it with its format's reader.
fn decode(source: Source, head_text: &str, origin: &str) -> Result<Sbom, DecodeError> {
    // Read in bounded memory: the header fields, then each large array streamed.
    let doc = match Doc::open_source(source) {
        Ok(doc) => doc,
        Err(OpenError::Json(source)) if source.is_io() => {
            return Err(DecodeError::Io {
                origin: origin.into(),
                source: source.into(),
            })
        }
        Err(OpenError::Json(source)) => {
            return Err(DecodeError::Json {
                origin: origin.into(),
                source,
            })
        }
        Err(OpenError::NotObject(k)) => {
            return Err(DecodeError::Invalid {
                origin: origin.into(),
                path: "$".into(),
                message: format!("the document is {k}, not a JSON object"),
            })
        }
    };
    let Some(format) = detect(doc.obj(), |k| doc.kind(k)) else {
        if doc.has("@context") && head_text.contains("spdx") {
            return Err(DecodeError::Unsupported {
                origin: origin.into(),
                format: "SPDX 3 JSON-LD".into(),
                detail: "write the SBOM as SPDX 2.3 JSON instead".into(),
            });
        }
        let keys: Vec<&str> = doc.keys().into_iter().take(8).collect();
        return Err(DecodeError::UnknownFormat {
            origin: origin.into(),
            detail: if keys.is_empty() {
                "an empty object".into()
            } else {
                format!("top-level keys: {}", keys.join(", "))
            },
        });
    };
    let mut r = Reader::new(origin);
    let sbom = match format {
        SbomFormat::Drydock => native::read(&doc, &mut r),
        SbomFormat::CycloneDx => cyclonedx::read(&doc, &mut r),
        SbomFormat::Spdx => spdx::read(&doc, &mut r),
        SbomFormat::Syft => syft::read(&doc, &mut r),
    };
    // A later pass that failed (the input changed or could not be read) cut an array short.
    if let Some(e) = doc.take_failure() {
        return Err(if e.is_io() {
            DecodeError::Io {
                origin: origin.into(),
                source: e.into(),
            }
        } else {
            DecodeError::Invalid {
                origin: origin.into(),
                path: "$".into(),
                message: format!("the document changed while it was read: {e}"),
            }
        });
    }
    let mut sbom = sbom?;
    sbom.schema = NATIVE_SCHEMA.to_string();
    sbom.image.source.scheme = "sbom".into();
    sbom.image.source.input = origin.to_string();
    if sbom.distro.is_none() {
        sbom.distro = distro_from_purls(&sbom.packages);
    }
    sbom.warnings.extend(r.finish());
    sbom.normalize();
    Ok(sbom)
}

/// Runs every reader on arbitrary bytes (for fuzzing); never panics.
pub fn fuzz_entry(data: &[u8]) {
    let _ = read_sbom(data, "fuzz");
    let _ = stream_sbom_from(std::io::Cursor::new(data), "fuzz");
    if let Ok(doc) = Doc::open(data) {
        let mut r = Reader::new("fuzz");
        let _ = native::read(&doc, &mut r);
        let _ = cyclonedx::read(&doc, &mut r);
        let _ = spdx::read(&doc, &mut r);
        let _ = syft::read(&doc, &mut r);
    }
}

/// Runs the CycloneDX reader on arbitrary bytes (for fuzzing); never panics.
pub fn fuzz_cyclonedx(data: &[u8]) {
    if let Ok(doc) = Doc::open(data) {
        let _ = cyclonedx::read(&doc, &mut Reader::new("fuzz"));
    }
}

/// Runs the SPDX reader on arbitrary bytes (for fuzzing); never panics.
pub fn fuzz_spdx(data: &[u8]) {
    if let Ok(doc) = Doc::open(data) {
        let _ = spdx::read(&doc, &mut Reader::new("fuzz"));
    }
}

/// Runs the Syft reader on arbitrary bytes (for fuzzing); never panics.
pub fn fuzz_syft(data: &[u8]) {
    if let Ok(doc) = Doc::open(data) {
        let _ = syft::read(&doc, &mut Reader::new("fuzz"));
    }
}

/// The JSON kind of a value, for messages.
pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Reading state shared by the format readers: the origin and the warnings so far.
pub(super) struct Reader<'a> {
    origin: &'a str,
    warnings: Vec<String>,
    suppressed: usize,
    /// Types not modelled by drydock, read as binary, with their counts.
    unknown_types: BTreeMap<String, usize>,
}

impl<'a> Reader<'a> {
    fn new(origin: &'a str) -> Self {
        Reader {
            origin,
            warnings: Vec::new(),
            suppressed: 0,
            unknown_types: BTreeMap::new(),
        }
    }

    /// Records a warning about the entry at `path`.
    pub(super) fn warn(&mut self, path: impl Display, msg: impl Display) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("{}: {path}: {msg}", self.origin));
        } else {
            self.suppressed += 1;
        }
    }

    /// An error about the structure at `path`.
    pub(super) fn invalid(&self, path: impl Display, msg: impl Display) -> DecodeError {
        DecodeError::Invalid {
            origin: self.origin.to_string(),
            path: path.to_string(),
            message: msg.to_string(),
        }
    }

    /// The string at `obj[key]`; a present value of another kind (other than null) is warned about.
    pub(super) fn str<'v>(&mut self, obj: &'v Value, key: &str, path: &str) -> Option<&'v str> {
        match obj.get(key)? {
            Value::String(s) => Some(s.as_str()),
            Value::Null => None,
            other => {
                self.warn(
                    format_args!("{path}.{key}"),
                    format_args!("expected a string, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// The trimmed, non-empty string at `obj[key]`.
    pub(super) fn text(&mut self, obj: &Value, key: &str, path: &str) -> Option<String> {
        self.str(obj, key, path)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// The array at `obj[key]`, or an empty one; a present value of another kind is warned about.
    pub(super) fn array<'v>(&mut self, obj: &'v Value, key: &str, path: &str) -> &'v [Value] {
        match obj.get(key) {
            Some(Value::Array(a)) => a,
            None | Some(Value::Null) => &[],
            Some(other) => {
                self.warn(
                    format_args!("{path}.{key}"),
                    format_args!("expected an array, found {}", kind(other)),
                );
                &[]
            }
        }
    }

    /// The object at `obj[key]`; a present value of another kind is warned about.
    pub(super) fn object<'v>(&mut self, obj: &'v Value, key: &str, path: &str) -> Option<&'v Value> {
        match obj.get(key)? {
            v @ Value::Object(_) => Some(v),
            Value::Null => None,
            other => {
                self.warn(
                    format_args!("{path}.{key}"),
                    format_args!("expected an object, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// Notes a package type drydock does not model.
    fn unknown_type(&mut self, ty: &str) {
        if self.unknown_types.len() < 100 || self.unknown_types.contains_key(ty) {
            *self.unknown_types.entry(ty.to_string()).or_default() += 1;
        }
    }

    /// The warnings, with summaries of what was counted rather than listed.
    fn finish(mut self) -> Vec<String> {
        if !self.unknown_types.is_empty() {
            let list: Vec<String> = self.unknown_types.iter().map(|(t, n)| format!("{t} ({n})")).collect();
            let msg = format!(
                "{}: package types drydock does not model were read as binary: {}",
                self.origin,
                list.join(", ")
            );
            self.warnings.push(msg);
        }
        if self.suppressed > 0 {
            self.warnings
                .push(format!("{}: {} more warnings not shown", self.origin, self.suppressed));
        }
        self.warnings
    }
}

/// The package type for a purl type (the package-type table's).
pub(super) fn type_from_purl_type(ty: &str) -> Option<PackageType> {
    PackageType::from_purl_type(ty)
}

/// The package type for a type name: drydock's own names and Syft's (the package-type table's).
pub(super) fn type_from_name(ty: &str) -> Option<PackageType> {
    PackageType::from_name(ty)
}

/// Resolves a package's type from an explicit type name (preferred) and its purl; anything else
/// is read as binary and counted.
pub(super) fn resolve_type(r: &mut Reader, name: Option<&str>, purl: Option<&Purl>) -> PackageType {
    if let Some(t) = name.and_then(type_from_name) {
        return t;
    }
    if let Some(t) = purl.and_then(|p| type_from_purl_type(&p.ty)) {
        return t;
    }
    let unknown = name
        .filter(|n| !n.trim().is_empty())
        .map(str::to_string)
        .or_else(|| purl.map(|p| format!("pkg:{}", p.ty)))
        .unwrap_or_else(|| "untyped".to_string());
    r.unknown_type(&unknown);
    PackageType::Binary
}

/// Fills architecture and source package from purl qualifiers where the document left them out.
pub(super) fn fill_from_purl(p: &mut Package, purl: Option<&Purl>) {
    let Some(purl) = purl else { return };
    if p.architecture.is_none() {
        p.architecture = purl.qualifiers.get("arch").filter(|a| !a.is_empty()).cloned();
    }
    if p.source_name.is_none() {
        if let Some(up) = purl.qualifiers.get("upstream").filter(|u| !u.is_empty()) {
            if let Some(src) = up.strip_suffix(".src.rpm") {
                // name-version-release.src.rpm
                let mut parts = src.rsplitn(3, '-');
                if let (Some(_), Some(_), Some(name)) = (parts.next(), parts.next(), parts.next()) {
                    p.source_name = Some(name.to_string());
                }
            } else {
                match up.split_once('@') {
                    Some((n, v)) => {
                        p.source_name = Some(n.to_string());
                        if p.source_version.is_none() && !v.is_empty() {
                            p.source_version = Some(v.to_string());
                        }
                    }
                    None => p.source_name = Some(up.clone()),
                }
            }
        }
    }
}

/// The distro named by the `distro=` qualifier of the first OS package's purl
/// (`debian-12` → id `debian`, version `12`).
fn distro_from_purls(packages: &[Package]) -> Option<Distro> {
    packages
        .iter()
        .filter(|p| p.package_type.is_os())
        .filter_map(|p| Purl::parse(&p.purl))
        .find_map(|purl| {
            let q = purl.qualifiers.get("distro")?.trim().to_string();
            if q.is_empty() {
                return None;
            }
            // `debian-12`, `opensuse-leap-15.5`: the id, a dash, the version. A bare version
            // (`3.20.3`, as some tools write) belongs to the purl's namespace.
            let split = q
                .char_indices()
                .find(|&(i, c)| c == '-' && q[i + 1..].starts_with(|d: char| d.is_ascii_digit()))
                .map(|(i, _)| i);
            let (id, version) = match split {
                Some(i) => (q[..i].to_string(), q[i + 1..].to_string()),
                None if q.starts_with(|d: char| d.is_ascii_digit()) => (purl.namespace.clone()?, q.clone()),
                None => (q.clone(), String::new()),
            };
            Some(Distro {
                id: id.to_ascii_lowercase(),
                version_id: version,
                ..Default::default()
            })
        })
}

/// True for an id drydock computes: 16 lowercase hex digits.
pub(super) fn is_drydock_id(s: &str) -> bool {
    s.len() == 16 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Collects packages under the document's own references and resolves relationships to ids.
pub(super) struct Assembler {
    packages: Vec<Package>,
    /// Document reference → package id.
    by_ref: HashMap<String, String>,
    ids: BTreeSet<String>,
    relationships: BTreeSet<Relationship>,
    duplicates: usize,
    full: bool,
    relationships_full: bool,
}

impl Assembler {
    pub(super) fn new() -> Self {
        Assembler {
            packages: Vec::new(),
            by_ref: HashMap::new(),
            ids: BTreeSet::new(),
            relationships: BTreeSet::new(),
            duplicates: 0,
            full: false,
            relationships_full: false,
        }
    }

    /// True when no more packages are taken.
    pub(super) fn is_full(&self) -> bool {
        self.full
    }

    /// Adds a package known in the document as `doc_ref`. It keeps `carried_id` when that is a
    /// drydock id, otherwise gets the computed one. A package with the id of one already added
    /// is the same package: its reference resolves to the first.
    pub(super) fn add(&mut self, r: &mut Reader, doc_ref: Option<&str>, mut p: Package, carried_id: Option<&str>) {
        if self.packages.len() >= MAX_PACKAGES {
            if !self.full {
                r.warn(
                    "$",
                    format_args!("more than {MAX_PACKAGES} packages; the rest are skipped"),
                );
                self.full = true;
            }
            return;
        }
        match carried_id.filter(|id| is_drydock_id(id)) {
            Some(id) => p.id = id.to_string(),
            None => p.compute_id(),
        }
        if let Some(doc_ref) = doc_ref.filter(|d| !d.is_empty()) {
            self.by_ref.entry(doc_ref.to_string()).or_insert_with(|| p.id.clone());
        }
        if !self.ids.insert(p.id.clone()) {
            self.duplicates += 1;
            return;
        }
        self.packages.push(p);
    }

    /// The package id of a document reference.
    pub(super) fn id_of(&self, doc_ref: &str) -> Option<&str> {
        self.by_ref.get(doc_ref).map(String::as_str)
    }

    /// Adds a relationship between two document references; references to anything that is
    /// not a package (the image, files, the operating system) are dropped.
    pub(super) fn relate(&mut self, r: &mut Reader, from: &str, to: &str, kind: RelationshipKind) {
        let (Some(from), Some(to)) = (self.by_ref.get(from), self.by_ref.get(to)) else {
            return;
        };
        if from == to {
            return;
        }
        if self.relationships.len() >= MAX_RELATIONSHIPS {
            if !self.relationships_full {
                r.warn(
                    "$",
                    format_args!("more than {MAX_RELATIONSHIPS} relationships; the rest are skipped"),
                );
                self.relationships_full = true;
            }
            return;
        }
        self.relationships.insert(Relationship {
            from: from.clone(),
            to: to.clone(),
            kind,
        });
    }

    /// The packages and relationships.
    pub(super) fn finish(self, r: &mut Reader) -> (Vec<Package>, Vec<Relationship>) {
        if self.duplicates > 0 {
            r.warn(
                "$",
                format_args!(
                    "{} packages repeat another's type, name, version, architecture and location; each is kept once",
                    self.duplicates
                ),
            );
        }
        (self.packages, self.relationships.into_iter().collect())
    }
}

/// Splits a conjunction of licenses (`A AND (B OR C)`) into its top-level terms, each without
/// enclosing parentheses; anything else is one term.
pub(super) fn split_and(expr: &str) -> Vec<String> {
    let expr = expr.trim();
    let mut terms = Vec::new();
    let mut depth = 0i64;
    let mut start = 0usize;
    let bytes = expr.as_bytes();
    let mut i = 0usize;
    while i < bytes.len() {
        match bytes[i] {
            b'(' => depth += 1,
            b')' => depth -= 1,
            b' ' if depth == 0 => {
                let rest = &bytes[i..];
                if rest.len() >= 5 && rest[..5].eq_ignore_ascii_case(b" and ") {
                    terms.push(expr[start..i].to_string());
                    start = i + 5;
                    i += 5;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    terms.push(expr[start..].to_string());
    terms
        .into_iter()
        .map(|t| strip_parens(t.trim()).to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// Removes parentheses that enclose the whole term.
fn strip_parens(mut t: &str) -> &str {
    while let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
        // Only when the opening parenthesis closes at the end.
        let mut depth = 0i64;
        let balanced = inner.bytes().all(|b| {
            match b {
                b'(' => depth += 1,
                b')' => depth -= 1,
                _ => {}
            }
            depth >= 0
        });
        if !balanced || depth != 0 {
            break;
        }
        t = inner.trim();
    }
    t
}

/// An object's `{name, value}` properties, in order.
pub(super) struct Props(Vec<(String, String)>);

impl Props {
    /// Reads `obj.properties`; entries without a name or with a non-scalar value are skipped.
    pub(super) fn read(r: &mut Reader, obj: &Value, path: &str) -> Props {
        let mut out = Vec::new();
        for (i, p) in r.array(obj, "properties", path).iter().enumerate() {
            let (Some(name), Some(value)) = (p.get("name").and_then(Value::as_str), p.get("value")) else {
                r.warn(
                    format_args!("{path}.properties[{i}]"),
                    "a property without a name or value",
                );
                continue;
            };
            let value = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => continue,
            };
            out.push((name.to_string(), value));
        }
        Props(out)
    }

    /// The first non-empty value of the first of `names` that has one.
    pub(super) fn get(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| {
            self.0
                .iter()
                .find(|(k, v)| k == n && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
        })
    }

    /// Every value of a property named any of `names`.
    pub(super) fn all<'p>(&'p self, names: &'p [&str]) -> impl Iterator<Item = &'p str> + 'p {
        self.0
            .iter()
            .filter(move |(k, _)| names.contains(&k.as_str()))
            .map(|(_, v)| v.as_str())
    }
}

/// A string list from an array of strings, or a single string split on whitespace.
pub(super) fn string_list(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .take(64)
            .map(str::to_string)
            .collect(),
        Some(Value::String(s)) => s.split_whitespace().take(64).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

/// Adds `s` to `list` unless empty, present or the list is at `max`.
pub(super) fn push_unique(list: &mut Vec<String>, s: &str, max: usize) {
    let s = s.trim();
    if !s.is_empty() && list.len() < max && !list.iter().any(|x| x == s) {
        list.push(s.to_string());
    }
}

/// An object's string field, without warnings (for optional metadata of other tools).
pub(super) fn get_str<'v>(obj: &'v Value, key: &str) -> Option<&'v str> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conjunctions_split_at_the_top_level() {
        assert_eq!(split_and("MIT"), vec!["MIT"]);
        assert_eq!(
            split_and("MIT AND (BSD-3-Clause OR GPL-2.0-only)"),
            vec!["MIT", "BSD-3-Clause OR GPL-2.0-only"]
        );
        assert_eq!(split_and("(MIT OR Apache-2.0)"), vec!["MIT OR Apache-2.0"]);
        assert_eq!(split_and("(A) AND (B)"), vec!["A", "B"]);
        assert_eq!(split_and("(A) OR (B)"), vec!["(A) OR (B)"]);
        assert_eq!(split_and("GPLv2+ and LGPLv2+"), vec!["GPLv2+", "LGPLv2+"]);
        // Unbalanced: kept whole.
        assert_eq!(split_and(")) AND (("), vec![")) AND (("]);
        // Multi-byte characters next to spaces do not split a character.
        assert_eq!(split_and("a aé AND b"), vec!["a aé", "b"]);
        assert_eq!(split_and("x aéé"), vec!["x aéé"]);
    }

    #[test]
    fn purl_distro_qualifier_names_the_distro() {
        let mut p = Package::new(PackageType::Deb, "a", "1", "x");
        p.purl = "pkg:deb/debian/a@1?distro=debian-12".into();
        let d = distro_from_purls(&[p.clone()]).expect("distro");
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("debian", "12"));
        p.purl = "pkg:rpm/opensuse/a@1?distro=opensuse-leap-15.5".into();
        p.package_type = PackageType::Rpm;
        let d = distro_from_purls(&[p.clone()]).expect("distro");
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("opensuse-leap", "15.5"));
        p.purl = "pkg:apk/alpine/a@1?distro=3.20.3".into();
        p.package_type = PackageType::Apk;
        let d = distro_from_purls(&[p.clone()]).expect("distro");
        assert_eq!((d.id.as_str(), d.version_id.as_str()), ("alpine", "3.20.3"));
    }

    #[test]
    fn upstream_qualifier_names_the_source_package() {
        let purl = Purl::parse("pkg:rpm/redhat/bash@5.1-2.el9?upstream=bash-5.1-2.el9.src.rpm").unwrap();
        let mut p = Package::new(PackageType::Rpm, "bash-devel", "5.1-2.el9", "x");
        fill_from_purl(&mut p, Some(&purl));
        assert_eq!(p.source_name.as_deref(), Some("bash"));
        let purl = Purl::parse("pkg:deb/debian/bsdutils@1:2.38?arch=amd64&upstream=util-linux%402.38").unwrap();
        let mut p = Package::new(PackageType::Deb, "bsdutils", "1:2.38", "x");
        fill_from_purl(&mut p, Some(&purl));
        assert_eq!(p.source_name.as_deref(), Some("util-linux"));
        assert_eq!(p.source_version.as_deref(), Some("2.38"));
        assert_eq!(p.architecture.as_deref(), Some("amd64"));
    }
}
