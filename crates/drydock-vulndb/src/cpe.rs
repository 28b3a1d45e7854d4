//! CPE 2.3 formatted strings (as NVD's `cpeMatch[].criteria` and the SBOM's package CPEs
//! write them) and the NVD match criteria stored for the opt-in CPE fallback.

use serde::{Deserialize, Serialize};

/// Longest CPE string accepted (longer ones are skipped as malformed).
pub const MAX_CPE_LEN: usize = 1024;

/// A parsed CPE 2.3 formatted string: `cpe:2.3:part:vendor:product:version:update:edition:
/// language:sw_edition:target_sw:target_hw:other`. Attribute values are unescaped (`\.`
/// becomes `.`) and lower-cased; `*` (any) and `-` (not applicable) are kept as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cpe {
    /// `a` (application), `o` (operating system), `h` (hardware) or `*`.
    pub part: String,
    /// Vendor.
    pub vendor: String,
    /// Product.
    pub product: String,
    /// Version.
    pub version: String,
    /// Update (`beta1`, `sp2`, …).
    pub update: String,
    /// The remaining attributes: edition, language, sw_edition, target_sw, target_hw, other.
    pub rest: [String; 6],
}

impl Cpe {
    /// Parses a CPE 2.3 formatted string; `None` when it is not one (wrong prefix, wrong
    /// number of attributes, empty vendor or product, longer than [`MAX_CPE_LEN`]).
    pub fn parse(s: &str) -> Option<Cpe> {
        let s = s.trim();
        if s.len() > MAX_CPE_LEN {
            return None;
        }
        let body = s.strip_prefix("cpe:2.3:")?;
        let mut fields: Vec<String> = Vec::with_capacity(11);
        let mut cur = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => cur.extend(chars.next().map(|c| c.to_ascii_lowercase())),
                ':' => fields.push(std::mem::take(&mut cur)),
                c => cur.push(c.to_ascii_lowercase()),
            }
        }
        fields.push(cur);
        if fields.len() != 11 || fields.iter().any(|f| f.is_empty()) {
            return None;
        }
        let mut it = fields.into_iter();
        let mut next = || it.next().unwrap_or_default();
        let cpe = Cpe {
            part: next(),
            vendor: next(),
            product: next(),
            version: next(),
            update: next(),
            rest: [next(), next(), next(), next(), next(), next()],
        };
        if is_wildcard(&cpe.vendor) || is_wildcard(&cpe.product) {
            return None;
        }
        Some(cpe)
    }
}

/// True for the CPE logical values `*` (ANY) and `-` (NA).
pub fn is_wildcard(v: &str) -> bool {
    v == "*" || v == "-"
}

/// One NVD `cpeMatch` entry marked vulnerable, for one CVE: the criteria CPE and the
/// version bounds (each `None` when NVD gives none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpeCandidate {
    /// The CVE id.
    pub cve: String,
    /// The CPE 2.3 criteria string, as NVD writes it.
    pub criteria: String,
    /// `versionStartIncluding`.
    pub start_including: Option<String>,
    /// `versionStartExcluding`.
    pub start_excluding: Option<String>,
    /// `versionEndIncluding`.
    pub end_including: Option<String>,
    /// `versionEndExcluding`.
    pub end_excluding: Option<String>,
}

impl CpeCandidate {
    /// True when any of the four bounds is given.
    pub fn has_bounds(&self) -> bool {
        self.start_including.is_some()
            || self.start_excluding.is_some()
            || self.end_including.is_some()
            || self.end_excluding.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        let c = Cpe::parse("cpe:2.3:a:haxx:curl:7.88.1:*:*:*:*:*:*:*").unwrap();
        assert_eq!(
            (c.part.as_str(), c.vendor.as_str(), c.product.as_str()),
            ("a", "haxx", "curl")
        );
        assert_eq!(c.version, "7.88.1");
        assert_eq!(c.update, "*");
        let c = Cpe::parse("cpe:2.3:a:gnu:gcc-c\\+\\+:12.2.0:*:*:*:*:*:*:*").unwrap();
        assert_eq!(c.product, "gcc-c++");
        let c = Cpe::parse("cpe:2.3:a:nodejs:node.js:1\\:2:beta1:*:*:*:*:*:*").unwrap();
        assert_eq!((c.version.as_str(), c.update.as_str()), ("1:2", "beta1"));
        assert!(Cpe::parse("cpe:/a:haxx:curl:7.88.1").is_none());
        assert!(Cpe::parse("cpe:2.3:a:haxx:curl:7.88.1").is_none());
        assert!(Cpe::parse("cpe:2.3:a:*:curl:*:*:*:*:*:*:*:*").is_none());
        assert!(Cpe::parse("cpe:2.3:a:haxx::*:*:*:*:*:*:*:*").is_none());
        assert!(Cpe::parse(&format!("cpe:2.3:a:haxx:{}:*:*:*:*:*:*:*:*", "x".repeat(2000))).is_none());
    }
}
