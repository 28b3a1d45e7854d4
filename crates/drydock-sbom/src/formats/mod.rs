//! Standard SBOM encodings of a [`Sbom`](crate::Sbom): CycloneDX 1.6 JSON and SPDX 2.3 JSON.
//!
//! Both encoders are pure functions of the SBOM and an [`EncodeOptions`] (which carries the
//! only non-reproducible input, the creation time), so the same SBOM encoded with the same
//! options gives byte-identical documents. Serial numbers and namespaces are UUIDs derived from
//! a SHA-256 of the SBOM's content, never random.

pub mod cyclonedx;
pub mod decode;
pub mod spdx;

pub use cyclonedx::{to_cyclonedx_json, to_cyclonedx_json_with, write_cyclonedx, write_cyclonedx_with};
pub use decode::read_sbom;
pub use spdx::{to_spdx_json, to_spdx_json_with, write_spdx, write_spdx_with};

use crate::model::Sbom;
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

/// Inputs to the encoders that do not come from the SBOM itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodeOptions {
    /// Creation time written into the document, as RFC 3339 UTC (`2024-01-02T03:04:05Z`).
    pub created: String,
}

impl EncodeOptions {
    /// Options for a document created at `unix_seconds` (seconds since 1970-01-01 UTC).
    pub fn at_unix(unix_seconds: i64) -> Self {
        EncodeOptions {
            created: drydock_time::format_rfc3339(unix_seconds),
        }
    }

    /// Options for a document created now, or at `SOURCE_DATE_EPOCH` when that is set to a
    /// number of seconds (the reproducible-builds convention).
    pub fn from_env() -> Self {
        let epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok());
        match epoch {
            Some(secs) => Self::at_unix(secs),
            None => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                Self::at_unix(i64::try_from(now).unwrap_or(i64::MAX))
            }
        }
    }
}

/// A UUID shaped like a version 4 UUID (version and variant bits set) whose bits are the first
/// 16 bytes of the SHA-256 of `content`, so equal content gives equal UUIDs.
pub fn uuid_from_content(content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// The deterministic UUID of one encoding (`format`) of an SBOM.
pub(crate) fn sbom_uuid(sbom: &Sbom, format: &str) -> String {
    let mut content = format.as_bytes().to_vec();
    content.push(0);
    // Serialising this plain data cannot fail; an empty body still gives a valid UUID.
    content.extend(serde_json::to_vec(sbom).unwrap_or_default());
    uuid_from_content(&content)
}

/// Replaces every character outside `[A-Za-z0-9.-]` with `-` (the SPDX idstring charset).
pub(crate) fn sanitize_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Returns `base`, or `base-N` for the first N that is not yet in `used`, and records it.
pub(crate) fn unique_id(base: String, used: &mut BTreeSet<String>) -> String {
    if used.insert(base.clone()) {
        return base;
    }
    let mut n = 2usize;
    loop {
        let candidate = format!("{base}-{n}");
        if used.insert(candidate.clone()) {
            return candidate;
        }
        n += 1;
    }
}

/// The version of the SPDX License List the identifiers below are taken from.
pub(crate) const LICENSE_LIST_VERSION: &str = "3.25";

/// Common SPDX license identifiers, in their canonical spelling.
const SPDX_LICENSE_IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AFL-3.0",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.0",
    "Apache-1.1",
    "Apache-2.0",
    "APSL-2.0",
    "Artistic-1.0",
    "Artistic-1.0-Perl",
    "Artistic-2.0",
    "Beerware",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "bzip2-1.0.6",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "curl",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.2",
    "FTL",
    "GFDL-1.2-only",
    "GFDL-1.2-or-later",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ICU",
    "IJG",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "Libpng",
    "libtiff",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "MS-PL",
    "NCSA",
    "OFL-1.1",
    "OpenSSL",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Sleepycat",
    "Unicode-DFS-2016",
    "Unlicense",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];

/// Common SPDX license exception identifiers (the right operand of `WITH`).
const SPDX_EXCEPTION_IDS: &[&str] = &[
    "Autoconf-exception-2.0",
    "Autoconf-exception-3.0",
    "Bison-exception-2.2",
    "Classpath-exception-2.0",
    "Font-exception-2.0",
    "GCC-exception-2.0",
    "GCC-exception-3.1",
    "Linux-syscall-note",
    "LLVM-exception",
    "WxWindows-exception-3.1",
];

/// Deprecated SPDX identifiers and unambiguous distro short names, with the SPDX id they mean.
const LICENSE_ALIASES: &[(&str, &str)] = &[
    ("GPL-1.0", "GPL-1.0-only"),
    ("GPL-1.0+", "GPL-1.0-or-later"),
    ("GPL-2.0", "GPL-2.0-only"),
    ("GPL-2.0+", "GPL-2.0-or-later"),
    ("GPL-3.0", "GPL-3.0-only"),
    ("GPL-3.0+", "GPL-3.0-or-later"),
    ("LGPL-2.0", "LGPL-2.0-only"),
    ("LGPL-2.0+", "LGPL-2.0-or-later"),
    ("LGPL-2.1", "LGPL-2.1-only"),
    ("LGPL-2.1+", "LGPL-2.1-or-later"),
    ("LGPL-3.0", "LGPL-3.0-only"),
    ("LGPL-3.0+", "LGPL-3.0-or-later"),
    ("AGPL-3.0", "AGPL-3.0-only"),
    ("GFDL-1.2", "GFDL-1.2-only"),
    ("GFDL-1.3", "GFDL-1.3-only"),
    // Debian copyright-format short names.
    ("GPL-1", "GPL-1.0-only"),
    ("GPL-1+", "GPL-1.0-or-later"),
    ("GPL-2", "GPL-2.0-only"),
    ("GPL-2+", "GPL-2.0-or-later"),
    ("GPL-3", "GPL-3.0-only"),
    ("GPL-3+", "GPL-3.0-or-later"),
    ("LGPL-2", "LGPL-2.0-only"),
    ("LGPL-2+", "LGPL-2.0-or-later"),
    ("LGPL-3", "LGPL-3.0-only"),
    ("LGPL-3+", "LGPL-3.0-or-later"),
    ("AGPL-3", "AGPL-3.0-only"),
    ("AGPL-3+", "AGPL-3.0-or-later"),
    ("Apache-2", "Apache-2.0"),
    ("MPL-2", "MPL-2.0"),
    ("Expat", "MIT"),
    // RPM legacy short names.
    ("GPLv2", "GPL-2.0-only"),
    ("GPLv2+", "GPL-2.0-or-later"),
    ("GPLv3", "GPL-3.0-only"),
    ("GPLv3+", "GPL-3.0-or-later"),
    ("ASL 2.0", "Apache-2.0"),
];

/// A declared license, classified for the encoders.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum License {
    /// A single SPDX license identifier from the list, canonically spelled.
    Id(String),
    /// A valid SPDX license expression (canonically spelled) that is not a single listed id.
    Expression(String),
    /// Anything else, verbatim.
    Name(String),
}

/// Looks up a license id (or alias) case-insensitively, returning its canonical spelling.
fn canonical_id(s: &str) -> Option<&'static str> {
    if let Some((_, id)) = LICENSE_ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(s)) {
        return Some(id);
    }
    SPDX_LICENSE_IDS.iter().copied().find(|id| id.eq_ignore_ascii_case(s))
}

/// Looks up an exception id case-insensitively, returning its canonical spelling.
fn canonical_exception(s: &str) -> Option<&'static str> {
    SPDX_EXCEPTION_IDS.iter().copied().find(|id| id.eq_ignore_ascii_case(s))
}

/// True for a `LicenseRef-[idstring]` reference.
pub(crate) fn is_license_ref(s: &str) -> bool {
    s.strip_prefix("LicenseRef-")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
}

/// Classifies one declared license string.
pub(crate) fn classify_license(raw: &str) -> Option<License> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Some(id) = canonical_id(s) {
        return Some(License::Id(id.to_string()));
    }
    Some(match parse_expression(s) {
        Some(expr) => License::Expression(expr),
        None => License::Name(s.to_string()),
    })
}

/// Tokens of a license expression: parentheses and words.
fn tokenize(s: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut cur = String::new();
    for c in s.chars() {
        if c == '(' || c == ')' || c.is_whitespace() {
            if !cur.is_empty() {
                tokens.push(std::mem::take(&mut cur));
            }
            if !c.is_whitespace() {
                tokens.push(c.to_string());
            }
        } else {
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        tokens.push(cur);
    }
    tokens
}

/// Recognises an operator (upper or lower case, as SPDX allows) and returns it upper-cased.
fn operator(tok: &str) -> Option<&'static str> {
    match tok {
        "AND" | "and" => Some("AND"),
        "OR" | "or" => Some("OR"),
        "WITH" | "with" => Some("WITH"),
        _ => None,
    }
}

/// Parses an SPDX license expression built from known ids, `id+`, `AND`, `OR`, `WITH` and
/// parentheses; returns it canonically spelled, or `None` when it is not one. (`LicenseRef-`s
/// are left to the callers, which must define them.)
fn parse_expression(s: &str) -> Option<String> {
    let tokens = tokenize(s);
    if tokens.is_empty() {
        return None;
    }
    let mut out: Vec<String> = Vec::with_capacity(tokens.len());
    let mut depth = 0usize;
    // True when the next token must be an operand (start, after an operator or '(').
    let mut want_operand = true;
    let mut after_with = false;
    // True right after an exception: another WITH may not follow.
    let mut after_exception = false;
    for tok in &tokens {
        match tok.as_str() {
            "(" => {
                if !want_operand || after_with {
                    return None;
                }
                depth += 1;
                out.push("(".into());
            }
            ")" => {
                if want_operand || depth == 0 {
                    return None;
                }
                depth -= 1;
                after_exception = false;
                out.push(")".into());
            }
            t => {
                if let Some(op) = operator(t) {
                    if want_operand || (after_exception && op == "WITH") {
                        return None;
                    }
                    out.push(op.into());
                    want_operand = true;
                    after_with = op == "WITH";
                    continue;
                }
                if !want_operand {
                    return None;
                }
                let operand = if after_with {
                    canonical_exception(t)?.to_string()
                } else if let Some(id) = canonical_id(t) {
                    id.to_string()
                } else if let Some(base) = t.strip_suffix('+') {
                    format!("{}+", SPDX_LICENSE_IDS.iter().find(|id| id.eq_ignore_ascii_case(base))?)
                } else {
                    return None;
                };
                out.push(operand);
                want_operand = false;
                after_exception = after_with;
                after_with = false;
            }
        }
    }
    if want_operand || depth != 0 {
        return None;
    }
    let mut expr = String::new();
    for (i, tok) in out.iter().enumerate() {
        if i > 0 && tok != ")" && out[i - 1] != "(" {
            expr.push(' ');
        }
        expr.push_str(tok);
    }
    Some(expr)
}

/// Classifies a package's licenses, dropping empty and duplicate entries (first one wins).
pub(crate) fn classify_licenses(licenses: &[String]) -> Vec<License> {
    let mut out: Vec<License> = Vec::new();
    for l in licenses.iter().filter_map(|l| classify_license(l)) {
        if !out.contains(&l) {
            out.push(l);
        }
    }
    out
}

/// True when `expr` is a compound expression that needs parentheses inside an `AND`.
pub(crate) fn needs_parens(expr: &str) -> bool {
    expr.contains(' ')
}

/// The reference of the image or directory: its reference, else the user's input.
pub(crate) fn source_name(sbom: &Sbom) -> String {
    let src = &sbom.image.source;
    [&src.reference, &src.input]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned()
        .unwrap_or_else(|| "unknown".to_string())
}

/// The version of the image: its manifest digest, else its config digest.
pub(crate) fn source_version(sbom: &Sbom) -> Option<String> {
    let src = &sbom.image.source;
    src.manifest_digest
        .as_ref()
        .or(src.config_digest.as_ref())
        .filter(|d| !d.is_empty())
        .cloned()
}

/// True when the SBOM describes a directory rather than an image.
pub(crate) fn is_directory(sbom: &Sbom) -> bool {
    sbom.image.source.scheme == "dir"
}

/// A `pkg:oci` purl for an image read from a registry with a manifest digest.
pub(crate) fn image_purl(sbom: &Sbom) -> Option<String> {
    let src = &sbom.image.source;
    if src.scheme != "registry" {
        return None;
    }
    let digest = src.manifest_digest.as_deref().filter(|d| !d.is_empty())?;
    let repo = src.reference.split('@').next().unwrap_or("");
    let last_slash = repo.rfind('/').map_or(0, |i| i + 1);
    let (repo, tag) = match repo[last_slash..].rfind(':') {
        Some(i) => (&repo[..last_slash + i], Some(&repo[last_slash + i + 1..])),
        None => (repo, None),
    };
    let name = repo.rsplit('/').next().filter(|n| !n.is_empty())?;
    let mut purl = crate::Purl::new("oci", &name.to_ascii_lowercase())
        .version(digest)
        .qualifier("repository_url", repo);
    if let Some(tag) = tag {
        purl = purl.qualifier("tag", tag);
    }
    Some(purl.to_string())
}

/// Splits `Name <email>` (the Debian and RPM maintainer form) into the name and the address.
pub(crate) fn split_contact(s: &str) -> (String, Option<String>) {
    let s = s.trim();
    if let (Some(open), true) = (s.rfind('<'), s.ends_with('>')) {
        let name = s[..open].trim();
        let email = s[open + 1..s.len() - 1].trim();
        if !name.is_empty() && !email.is_empty() {
            return (name.to_string(), Some(email.to_string()));
        }
    }
    (s.to_string(), None)
}

/// The first 16 hex digits of the SHA-256 of the parts, separated by NULs.
pub(crate) fn short_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex::encode(&h.finalize()[..8])
}

/// A copy of the SBOM with ids filled in and everything sorted.
pub(crate) fn normalized(sbom: &Sbom) -> Sbom {
    let mut s = sbom.clone();
    s.normalize();
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_v4_shaped_and_deterministic() {
        let a = uuid_from_content(b"x");
        assert_eq!(a, uuid_from_content(b"x"));
        assert_ne!(a, uuid_from_content(b"y"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!("89ab".contains(&a[19..20]));
    }

    #[test]
    fn licenses_are_classified() {
        let id = |s: &str| Some(License::Id(s.into()));
        assert_eq!(classify_license("MIT"), id("MIT"));
        assert_eq!(classify_license("apache-2.0"), id("Apache-2.0"));
        assert_eq!(classify_license("GPL-2+"), id("GPL-2.0-or-later"));
        assert_eq!(classify_license("GPL-2.0"), id("GPL-2.0-only"));
        assert_eq!(classify_license("  "), None);
        assert_eq!(
            classify_license("mit or apache-2.0"),
            Some(License::Expression("MIT OR Apache-2.0".into()))
        );
        assert_eq!(
            classify_license("(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0"),
            Some(License::Expression(
                "(MIT OR Apache-2.0) AND GPL-2.0-only WITH Classpath-exception-2.0".into()
            ))
        );
        assert_eq!(
            classify_license("Apache-2.0+"),
            Some(License::Expression("Apache-2.0+".into()))
        );
        for name in [
            "Artistic",
            "public-domain",
            "GPLv2+ and LGPLv2+",
            "MIT AND",
            "(MIT",
            "MIT)",
            "MIT WITH MIT",
            "AND MIT",
            "MIT MIT",
            "MIT WITH (Classpath-exception-2.0)",
            "GPL-2.0-only WITH Classpath-exception-2.0 WITH GCC-exception-3.1",
            "LicenseRef-foo",
        ] {
            assert_eq!(classify_license(name), Some(License::Name(name.into())), "{name}");
        }
    }

    #[test]
    fn oci_purl_from_registry_reference() {
        let mut sbom = Sbom::default();
        sbom.image.source.scheme = "registry".into();
        sbom.image.source.reference = "registry.example:5000/team/App:1.0".into();
        sbom.image.source.manifest_digest = Some("sha256:abc".into());
        assert_eq!(
            image_purl(&sbom).as_deref(),
            Some("pkg:oci/app@sha256:abc?repository_url=registry.example:5000/team/App&tag=1.0")
        );
        sbom.image.source.reference = "docker.io/library/debian@sha256:abc".into();
        assert_eq!(
            image_purl(&sbom).as_deref(),
            Some("pkg:oci/debian@sha256:abc?repository_url=docker.io/library/debian")
        );
    }
}
