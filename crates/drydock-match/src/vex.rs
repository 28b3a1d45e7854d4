//! VEX input: OpenVEX JSON and CycloneDX VEX JSON, read into one statement model.
//!
//! A statement applies to a finding when its vulnerability (or one of its aliases) is the
//! finding's id or one of the finding's aliases, and one of its products names the package:
//! a purl (type, namespace and name equal; version and qualifiers compared only when the
//! statement gives them), the package id (a CycloneDX `bom-ref`, also inside a BOM-link
//! `urn:cdx:…#ref`), or a product whose `subcomponents` name the package (the product
//! itself, usually the image, is not checked). A statement without products applies to every
//! package. When several statements apply, the last one read wins.

use crate::MatchError;
use drydock_sbom::Purl;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The status a VEX statement gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    /// Not affected: removes the finding.
    NotAffected,
    /// Affected: the finding stays, marked.
    Affected,
    /// Fixed: the finding stays, marked.
    Fixed,
    /// Under investigation: the finding stays, marked.
    UnderInvestigation,
}

/// A product of a statement, with its subcomponents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexProduct {
    /// A purl, a bom-ref, or another identifier (image reference).
    pub id: String,
    /// Packages inside the product.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subcomponents: Vec<String>,
}

/// One VEX statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexStatement {
    /// The vulnerability id.
    pub vulnerability: String,
    /// Other ids of the same vulnerability.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Products the statement is about (empty = every package).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub products: Vec<VexProduct>,
    /// The status.
    pub status: VexStatus,
    /// Justification (`component_not_present`, `code_not_reachable`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// Free-text impact statement or analysis detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The file the statement came from.
    pub origin: String,
}

/// Upper bound on statements read from one document.
pub const MAX_STATEMENTS: usize = 1_000_000;

/// Parses an OpenVEX or CycloneDX VEX JSON document (detected from its content); `origin`
/// names the file in errors and in the report.
pub fn parse_vex(bytes: &[u8], origin: &str) -> Result<Vec<VexStatement>, MatchError> {
    let err = |reason: String| MatchError::Vex {
        origin: origin.to_string(),
        reason,
    };
    let doc: Value = serde_json::from_slice(bytes).map_err(|e| err(format!("not JSON: {e}")))?;
    let obj = doc.as_object().ok_or_else(|| err("not a JSON object".into()))?;
    let is_openvex = obj
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|c| c.contains("openvex"))
        || obj.contains_key("statements");
    let is_cdx =
        obj.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") || obj.contains_key("vulnerabilities");
    if is_openvex {
        openvex(obj, origin).map_err(err)
    } else if is_cdx {
        cyclonedx(obj, origin).map_err(err)
    } else {
        Err(err(
            "neither OpenVEX (an @context of openvex.dev with statements) nor CycloneDX (bomFormat CycloneDX with vulnerabilities)".into(),
        ))
    }
}

fn str_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn openvex(obj: &serde_json::Map<String, Value>, origin: &str) -> Result<Vec<VexStatement>, String> {
    let statements = obj
        .get("statements")
        .and_then(Value::as_array)
        .ok_or("OpenVEX document without a statements array")?;
    if statements.len() > MAX_STATEMENTS {
        return Err(format!("more than {MAX_STATEMENTS} statements"));
    }
    let mut out = Vec::with_capacity(statements.len());
    for (i, s) in statements.iter().enumerate() {
        let at = |m: &str| format!("statement {}: {m}", i + 1);
        // v0.2: {"name": "CVE-…", "aliases": […]}; v0.0.x: a string.
        let vuln = s.get("vulnerability").ok_or_else(|| at("no vulnerability"))?;
        let (vulnerability, aliases) = match vuln {
            Value::String(id) => (id.trim().to_string(), Vec::new()),
            Value::Object(o) => {
                let name = str_of(o.get("name"))
                    .or_else(|| str_of(o.get("@id")))
                    .ok_or_else(|| at("vulnerability has no name"))?;
                let aliases = o
                    .get("aliases")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(|v| str_of(Some(v))).collect())
                    .unwrap_or_default();
                (name, aliases)
            }
            _ => return Err(at("vulnerability is neither a string nor an object")),
        };
        if vulnerability.is_empty() {
            return Err(at("empty vulnerability"));
        }
        let status = match str_of(s.get("status")).as_deref() {
            Some("not_affected") => VexStatus::NotAffected,
            Some("affected") => VexStatus::Affected,
            Some("fixed") => VexStatus::Fixed,
            Some("under_investigation") => VexStatus::UnderInvestigation,
            Some(other) => return Err(at(&format!("unknown status {other:?}"))),
            None => return Err(at("no status")),
        };
        let mut products = Vec::new();
        for p in s.get("products").and_then(Value::as_array).into_iter().flatten() {
            match p {
                Value::String(id) => products.push(VexProduct {
                    id: id.clone(),
                    subcomponents: Vec::new(),
                }),
                Value::Object(o) => {
                    let id = str_of(o.get("@id"))
                        .or_else(|| o.get("identifiers").and_then(|i| str_of(i.get("purl"))))
                        .unwrap_or_default();
                    let subcomponents = o
                        .get("subcomponents")
                        .and_then(Value::as_array)
                        .map(|subs| {
                            subs.iter()
                                .filter_map(|c| match c {
                                    Value::String(s) => Some(s.clone()),
                                    Value::Object(c) => str_of(c.get("@id"))
                                        .or_else(|| c.get("identifiers").and_then(|i| str_of(i.get("purl")))),
                                    _ => None,
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    products.push(VexProduct { id, subcomponents });
                }
                _ => return Err(at("a product is neither a string nor an object")),
            }
        }
        let justification = str_of(s.get("justification"));
        out.push(VexStatement {
            vulnerability,
            aliases,
            products,
            status,
            justification,
            detail: str_of(s.get("impact_statement")).or_else(|| str_of(s.get("status_notes"))),
            origin: origin.to_string(),
        });
    }
    Ok(out)
}

fn cyclonedx(obj: &serde_json::Map<String, Value>, origin: &str) -> Result<Vec<VexStatement>, String> {
    let vulns = obj
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or("CycloneDX document without a vulnerabilities array")?;
    if vulns.len() > MAX_STATEMENTS {
        return Err(format!("more than {MAX_STATEMENTS} vulnerabilities"));
    }
    let mut out = Vec::new();
    for (i, v) in vulns.iter().enumerate() {
        let at = |m: &str| format!("vulnerability {}: {m}", i + 1);
        let id = str_of(v.get("id")).ok_or_else(|| at("no id"))?;
        let Some(analysis) = v.get("analysis") else {
            // A plain vulnerability listing (a scanner's output), not a VEX statement.
            continue;
        };
        let status = match str_of(analysis.get("state")).as_deref() {
            Some("not_affected" | "false_positive") => VexStatus::NotAffected,
            Some("exploitable") => VexStatus::Affected,
            Some("resolved" | "resolved_with_pedigree") => VexStatus::Fixed,
            Some("in_triage") => VexStatus::UnderInvestigation,
            Some(other) => return Err(at(&format!("unknown analysis state {other:?}"))),
            None => continue,
        };
        let aliases = v
            .get("references")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(|x| str_of(x.get("id"))).collect())
            .unwrap_or_default();
        let products = v
            .get("affects")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| str_of(x.get("ref")))
                    .map(|id| VexProduct {
                        id,
                        subcomponents: Vec::new(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let justification = match (
            str_of(analysis.get("state")).as_deref(),
            str_of(analysis.get("justification")),
        ) {
            (_, Some(j)) => Some(j),
            (Some("false_positive"), None) => Some("false_positive".into()),
            _ => None,
        };
        out.push(VexStatement {
            vulnerability: id,
            aliases,
            products,
            status,
            justification,
            detail: str_of(analysis.get("detail")),
            origin: origin.to_string(),
        });
    }
    Ok(out)
}

/// What a VEX product must match: the package's id, purl and the finding's ids.
pub(crate) struct Subject<'a> {
    pub package_id: &'a str,
    pub purl: Option<Purl>,
}

impl VexStatement {
    /// True when the statement's vulnerability is one of `ids`.
    pub(crate) fn names_any(&self, ids: &[&str]) -> bool {
        std::iter::once(&self.vulnerability)
            .chain(&self.aliases)
            .any(|v| ids.iter().any(|id| id.eq_ignore_ascii_case(v)))
    }

    /// True when one of the products (or subcomponents) names the package.
    pub(crate) fn names_package(&self, s: &Subject<'_>) -> bool {
        if self.products.is_empty() {
            return true;
        }
        self.products.iter().any(|p| {
            if p.subcomponents.is_empty() {
                product_matches(&p.id, s)
            } else {
                p.subcomponents.iter().any(|c| product_matches(c, s))
            }
        })
    }
}

fn product_matches(id: &str, s: &Subject<'_>) -> bool {
    let id = id.trim();
    if id.is_empty() {
        return false;
    }
    let local = match id.strip_prefix("urn:cdx:") {
        Some(rest) => rest.split_once('#').map(|(_, r)| r).unwrap_or(rest),
        None => id,
    };
    if local == s.package_id {
        return true;
    }
    let (Some(want), Some(have)) = (Purl::parse(local), s.purl.as_ref()) else {
        return false;
    };
    let norm = |p: &Purl, n: &str| {
        if p.ty == "pypi" {
            crate::key::pep503(n)
        } else {
            n.to_string()
        }
    };
    want.ty == have.ty
        && want.namespace.as_deref().map(str::to_ascii_lowercase)
            == have.namespace.as_deref().map(str::to_ascii_lowercase)
        && norm(&want, &want.name) == norm(have, &have.name)
        && want.version.as_ref().is_none_or(|v| Some(v) == have.version.as_ref())
        && want.qualifiers.iter().all(|(k, v)| have.qualifiers.get(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openvex_statements() {
        let doc = br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2024-01-01T00:00:00Z","version":1,
          "statements":[
            {"vulnerability":{"name":"CVE-2018-18074","aliases":["GHSA-x84v-xcm2-53pg"]},
             "products":[{"@id":"pkg:oci/app","subcomponents":[{"@id":"pkg:pypi/requests@2.20.0"}]}],
             "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"},
            {"vulnerability":"CVE-2","products":["pkg:golang/stdlib"],"status":"under_investigation"}]}"#;
        let s = parse_vex(doc, "v.json").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].status, VexStatus::NotAffected);
        assert_eq!(
            s[0].justification.as_deref(),
            Some("vulnerable_code_not_in_execute_path")
        );
        let subj = Subject {
            package_id: "abc",
            purl: Purl::parse("pkg:pypi/Requests@2.20.0"),
        };
        assert!(s[0].names_package(&subj));
        assert!(s[0].names_any(&["GHSA-x84v-xcm2-53pg"]));
        let other = Subject {
            package_id: "abc",
            purl: Purl::parse("pkg:pypi/requests@2.31.0"),
        };
        assert!(!s[0].names_package(&other));
        let go = Subject {
            package_id: "g",
            purl: Purl::parse("pkg:golang/stdlib@1.20.7"),
        };
        assert!(s[1].names_package(&go));
    }

    #[test]
    fn cyclonedx_vex() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","vulnerabilities":[
           {"id":"CVE-1","analysis":{"state":"false_positive"},"affects":[{"ref":"urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/1#pkgid"}]},
           {"id":"CVE-2","analysis":{"state":"exploitable","detail":"yes"},"affects":[{"ref":"pkg:npm/%40babel/core@7.18.2"}]},
           {"id":"CVE-3"}]}"#;
        let s = parse_vex(doc, "c.json").unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].status, VexStatus::NotAffected);
        assert!(s[0].names_package(&Subject {
            package_id: "pkgid",
            purl: None
        }));
        assert_eq!(s[1].status, VexStatus::Affected);
        assert!(s[1].names_package(&Subject {
            package_id: "x",
            purl: Purl::parse("pkg:npm/%40babel/core@7.18.2")
        }));
    }

    #[test]
    fn bad_documents_name_the_file() {
        for doc in [
            &b"nope"[..],
            b"[]",
            b"{\"a\":1}",
            b"{\"statements\":[{\"vulnerability\":\"C\",\"status\":\"maybe\"}]}",
        ] {
            let e = parse_vex(doc, "bad.vex.json").unwrap_err().to_string();
            assert!(e.contains("bad.vex.json"), "{e}");
        }
    }
}
