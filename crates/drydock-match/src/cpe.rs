//! The opt-in CPE fallback ([`crate::MatchOptions::cpe_fallback`]): packages that have no
//! ecosystem or distro key (classified binaries, packages of unknown ecosystems, OS packages
//! when the SBOM names no distro) are matched by their CPEs' vendor and product against
//! NVD's `cpeMatch` criteria. Less precise than ecosystem data (NVD names products, not
//! packages, and its ranges are coarse), so every finding of this path is labelled
//! ([`crate::MatchedBy::Cpe`], [`crate::Matched::Cpe`]).
//!
//! Version check: when the criteria's version attribute is a value (not `*` or `-`) the
//! package's version must equal it (a criteria update such as `beta1` must match the
//! package version's suffix: `1.0.2-beta1`); otherwise the `versionStart…`/`versionEnd…`
//! bounds apply (none at all: every version). Versions are compared with
//! [`Scheme::Generic`] (numeric-aware); a package version that does not look like a
//! version (must start with a digit) is a warning, never a match. The package's version is
//! its CPE's version attribute when that is a value, else the catalogued version.

use crate::{AdvisorySource, Evidence, Hit, LookupKey, MatchError, Matched, NameKind};
use drydock_sbom::Package;
use drydock_version::Scheme;
use drydock_vulndb::cpe::is_wildcard;
use drydock_vulndb::{Advisory, Cpe, CpeCandidate, FixState};
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

/// Namespace recorded in findings and evidence of the CPE path.
pub const CPE_NAMESPACE: &str = "cpe";

/// Source recorded in evidence of the CPE path.
pub const CPE_SOURCE: &str = "nvd-cpe";

/// Longest version compared.
const MAX_VERSION_LEN: usize = 64;

/// What a CPE criteria says about a package version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CpeVerdict {
    /// The criteria covers the version; the fixed version when the criteria ends with
    /// `versionEndExcluding`.
    Match {
        /// `versionEndExcluding`, read as the version that fixes it.
        fixed: Option<String>,
    },
    /// It does not.
    NoMatch,
}

/// True when `v` looks like a version the generic scheme can order meaningfully: starts
/// with a digit (after an optional `v`), at most 64 bytes, letters, digits and `.-_+~`.
pub fn comparable(v: &str) -> bool {
    let v = v.trim();
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    !v.is_empty()
        && v.len() <= MAX_VERSION_LEN
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | '~'))
}

fn compatible(criteria: &str, package: &str) -> bool {
    is_wildcard(criteria) || is_wildcard(package) || criteria == package
}

fn alnum(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn cmp(a: &str, b: &str) -> Ordering {
    // The generic scheme accepts any string.
    drydock_version::compare(Scheme::Generic, a, b).unwrap_or_else(|_| a.cmp(b))
}

/// Whether NVD criteria `c` covers a package with CPE `package` at `version`. An error
/// (the reason) when the version, or a bound that mattered, cannot be compared.
pub fn check(package: &Cpe, version: &str, c: &CpeCandidate) -> Result<CpeVerdict, String> {
    let Some(crit) = Cpe::parse(&c.criteria) else {
        return Err(format!("criteria {:?} is not a CPE 2.3 string", c.criteria));
    };
    if crit.vendor != package.vendor
        || crit.product != package.product
        || !compatible(&crit.part, &package.part)
        || crit.rest.iter().zip(&package.rest).any(|(a, b)| !compatible(a, b))
    {
        return Ok(CpeVerdict::NoMatch);
    }
    let version = version.trim();
    let bad_version = || format!("version {version:?} cannot be compared with CPE criteria");
    if !is_wildcard(&crit.version) {
        // An exact version.
        if !is_wildcard(&crit.update) {
            if !is_wildcard(&package.update) {
                if package.update != crit.update {
                    return Ok(CpeVerdict::NoMatch);
                }
            } else {
                // `1.0.2` + `beta1` is the package version `1.0.2-beta1` / `1.0.2beta1`.
                if !comparable(version) {
                    return Err(bad_version());
                }
                let hit = alnum(version) == alnum(&format!("{}{}", crit.version, crit.update));
                return Ok(if hit {
                    CpeVerdict::Match { fixed: None }
                } else {
                    CpeVerdict::NoMatch
                });
            }
        }
        if version.eq_ignore_ascii_case(&crit.version) {
            return Ok(CpeVerdict::Match { fixed: None });
        }
        if !comparable(version) {
            return Err(bad_version());
        }
        if !comparable(&crit.version) {
            return Ok(CpeVerdict::NoMatch);
        }
        return Ok(if cmp(version, &crit.version) == Ordering::Equal {
            CpeVerdict::Match { fixed: None }
        } else {
            CpeVerdict::NoMatch
        });
    }
    if !comparable(version) {
        return Err(bad_version());
    }
    let bounds = [
        (&c.start_including, [Ordering::Greater, Ordering::Equal]),
        (&c.start_excluding, [Ordering::Greater, Ordering::Greater]),
        (&c.end_including, [Ordering::Less, Ordering::Equal]),
        (&c.end_excluding, [Ordering::Less, Ordering::Less]),
    ];
    for (bound, allowed) in bounds {
        let Some(b) = bound else { continue };
        if !comparable(b) {
            return Err(format!("bound {b:?} of {} cannot be compared", c.criteria));
        }
        if !allowed.contains(&cmp(version, b)) {
            return Ok(CpeVerdict::NoMatch);
        }
    }
    Ok(CpeVerdict::Match {
        fixed: c.end_excluding.clone(),
    })
}

/// The stand-in advisory of a CVE found through CPE criteria (ratings, KEV and EPSS come
/// from the CVE's enrichment when the finding is made).
fn cve_advisory(cve: &str) -> Arc<Advisory> {
    Arc::new(Advisory {
        id: cve.to_string(),
        aliases: Vec::new(),
        summary: String::new(),
        severities: Vec::new(),
        cwes: Vec::new(),
        published: None,
        modified: None,
        withdrawn: None,
        references: vec![format!("https://nvd.nist.gov/vuln/detail/{cve}")],
        affected: Vec::new(),
        source: CPE_SOURCE.to_string(),
    })
}

/// Matches one package by its CPEs: the key recorded in its findings and the hits; `None`
/// when it has no usable CPE. Warnings (versions that cannot be compared) go to `warnings`.
pub(crate) fn match_package(
    p: &Package,
    source: &dyn AdvisorySource,
    warnings: &mut Vec<String>,
) -> Result<Option<(LookupKey, Vec<Hit>)>, MatchError> {
    let mut cpes: Vec<Cpe> = Vec::new();
    for s in &p.cpes {
        if let Some(c) = Cpe::parse(s) {
            if !cpes.contains(&c) {
                cpes.push(c);
            }
        }
    }
    if cpes.is_empty() {
        return Ok(None);
    }
    let mut hits: Vec<Hit> = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut bad: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut key: Option<LookupKey> = None;
    for cpe in &cpes {
        let version = if is_wildcard(&cpe.version) {
            p.version.trim().to_string()
        } else {
            cpe.version.clone()
        };
        let name = format!("{}:{}", cpe.vendor, cpe.product);
        key.get_or_insert_with(|| LookupKey {
            namespace: CPE_NAMESPACE.to_string(),
            names: vec![(name.clone(), NameKind::Cpe)],
            version: version.clone(),
            scheme: Scheme::Generic,
        });
        for c in source.lookup_cpe(&cpe.vendor, &cpe.product)? {
            if seen.contains(&(c.cve.clone(), c.criteria.clone())) {
                continue;
            }
            match check(cpe, &version, &c) {
                Ok(CpeVerdict::Match { fixed }) => {
                    seen.insert((c.cve.clone(), c.criteria.clone()));
                    let evidence = Evidence {
                        advisory: c.cve.clone(),
                        aliases: Vec::new(),
                        source: CPE_SOURCE.to_string(),
                        namespace: CPE_NAMESPACE.to_string(),
                        package: name.clone(),
                        name_kind: NameKind::Cpe,
                        version: version.clone(),
                        scheme: Scheme::Generic,
                        matched: Matched::Cpe {
                            criteria: c.criteria.clone(),
                            start_including: c.start_including.clone(),
                            start_excluding: c.start_excluding.clone(),
                            end_including: c.end_including.clone(),
                            end_excluding: c.end_excluding.clone(),
                        },
                        fix_state: if fixed.is_some() {
                            FixState::Fixed
                        } else {
                            FixState::Unknown
                        },
                        fixed: fixed.into_iter().collect(),
                    };
                    hits.push(Hit {
                        advisory: cve_advisory(&c.cve),
                        evidence,
                    });
                }
                Ok(CpeVerdict::NoMatch) => {}
                Err(e) => {
                    let ids = bad.entry(e).or_default();
                    if !ids.contains(&c.cve) {
                        ids.push(c.cve.clone());
                    }
                }
            }
        }
    }
    for (err, ids) in bad {
        warnings.push(format!(
            "{} package {} {} ({}): {err}; not compared with {} (CPE fallback)",
            p.package_type,
            p.name,
            p.version,
            p.locations.first().map(|l| l.path.as_str()).unwrap_or("?"),
            crate::list_ids(&ids)
        ));
    }
    Ok(key.map(|k| (k, hits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(criteria: &str, bounds: [Option<&str>; 4]) -> CpeCandidate {
        let [a, b, c, d] = bounds.map(|b| b.map(str::to_string));
        CpeCandidate {
            cve: "CVE-2000-0001".into(),
            criteria: criteria.into(),
            start_including: a,
            start_excluding: b,
            end_including: c,
            end_excluding: d,
        }
    }

    fn pkg(s: &str) -> Cpe {
        Cpe::parse(s).unwrap()
    }

    #[test]
    fn ranges_and_exact_versions() {
        let curl = pkg("cpe:2.3:a:haxx:curl:7.88.1:*:*:*:*:*:*:*");
        let range = cand(
            "cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*",
            [Some("7.69.0"), None, None, Some("8.4.0")],
        );
        let hit = |v: &str| check(&curl, v, &range);
        assert_eq!(
            hit("7.88.1"),
            Ok(CpeVerdict::Match {
                fixed: Some("8.4.0".into())
            })
        );
        assert_eq!(
            hit("7.69.0"),
            Ok(CpeVerdict::Match {
                fixed: Some("8.4.0".into())
            })
        );
        assert_eq!(hit("7.68.0"), Ok(CpeVerdict::NoMatch));
        assert_eq!(hit("8.4.0"), Ok(CpeVerdict::NoMatch));
        assert_eq!(
            hit("7.100.0"),
            Ok(CpeVerdict::Match {
                fixed: Some("8.4.0".into())
            })
        );
        assert!(hit("HEAD").is_err());
        let incl = cand(
            "cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*",
            [None, Some("7.0"), Some("7.88.1"), None],
        );
        assert_eq!(check(&curl, "7.88.1", &incl), Ok(CpeVerdict::Match { fixed: None }));
        assert_eq!(check(&curl, "7.0", &incl), Ok(CpeVerdict::NoMatch));
        let exact = cand("cpe:2.3:a:haxx:curl:7.88.1:*:*:*:*:*:*:*", [None; 4]);
        assert_eq!(check(&curl, "7.88.1", &exact), Ok(CpeVerdict::Match { fixed: None }));
        assert_eq!(check(&curl, "7.88.10", &exact), Ok(CpeVerdict::NoMatch));
        let all = cand("cpe:2.3:a:haxx:curl:*:*:*:*:*:*:*:*", [None; 4]);
        assert_eq!(check(&curl, "1.0", &all), Ok(CpeVerdict::Match { fixed: None }));
        // Another product, another part, another target software: no.
        let other = cand("cpe:2.3:a:haxx:libcurl:*:*:*:*:*:*:*:*", [None; 4]);
        assert_eq!(check(&curl, "7.88.1", &other), Ok(CpeVerdict::NoMatch));
        let os = cand("cpe:2.3:o:haxx:curl:*:*:*:*:*:*:*:*", [None; 4]);
        assert_eq!(check(&curl, "7.88.1", &os), Ok(CpeVerdict::NoMatch));
        let jenkins = pkg("cpe:2.3:a:jenkins:git:4.0:*:*:*:*:jenkins:*:*");
        let other_target = cand("cpe:2.3:a:jenkins:git:*:*:*:*:*:git:*:*", [None; 4]);
        assert_eq!(check(&jenkins, "4.0", &other_target), Ok(CpeVerdict::NoMatch));
    }

    #[test]
    fn openssl_letters_and_updates() {
        let ossl = pkg("cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*");
        let f = cand("cpe:2.3:a:openssl:openssl:1.0.1f:*:*:*:*:*:*:*", [None; 4]);
        assert_eq!(check(&ossl, "1.0.1f", &f), Ok(CpeVerdict::Match { fixed: None }));
        assert_eq!(check(&ossl, "1.0.1g", &f), Ok(CpeVerdict::NoMatch));
        assert_eq!(check(&ossl, "1.0.1", &f), Ok(CpeVerdict::NoMatch));
        let beta = cand("cpe:2.3:a:openssl:openssl:1.0.2:beta1:*:*:*:*:*:*", [None; 4]);
        assert_eq!(check(&ossl, "1.0.2", &beta), Ok(CpeVerdict::NoMatch));
        assert_eq!(
            check(&ossl, "1.0.2-beta1", &beta),
            Ok(CpeVerdict::Match { fixed: None })
        );
        let bad_bound = cand(
            "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*",
            [None, None, None, Some("n/a")],
        );
        assert!(check(&ossl, "1.0.2", &bad_bound).is_err());
    }

    #[test]
    fn comparable_versions() {
        for v in ["7.88.1", "v1.2", "1.0.1f", "2.36-9+deb12u7", "1.2.3~rc1"] {
            assert!(comparable(v), "{v}");
        }
        for v in ["", "HEAD", "unknown", "devel", "1.0 beta", "*"] {
            assert!(!comparable(v), "{v}");
        }
    }
}
