//! Where advisories come from: the on-disk database, or an in-memory set (tests, callers that
//! build advisories themselves).

use crate::MatchError;
use drydock_vulndb::{Advisory, Candidate, Cpe, CpeCandidate, Db, Enrichment};
use std::collections::HashMap;
use std::sync::Arc;

/// A source of advisories, looked up by normalised namespace and package name.
pub trait AdvisorySource {
    /// Every advisory entry naming `package` in `namespace` (both normalised as the database
    /// stores them: see [`crate::key`]).
    fn lookup(&self, namespace: &str, package: &str) -> Result<Vec<Candidate>, MatchError>;

    /// Enrichment (KEV, EPSS, NVD CVSS) of a CVE id, when the source has any.
    fn enrichment(&self, cve: &str) -> Result<Option<Enrichment>, MatchError>;

    /// NVD CPE criteria naming `vendor` and `product` (lower-case, unescaped), for the
    /// opt-in CPE fallback. None by default.
    fn lookup_cpe(&self, vendor: &str, product: &str) -> Result<Vec<CpeCandidate>, MatchError> {
        let _ = (vendor, product);
        Ok(Vec::new())
    }

    /// True when the source has any advisory in `namespace` (normalised); a namespace without
    /// one is a gap in coverage, reported rather than taken as "no vulnerabilities".
    fn has_namespace(&self, namespace: &str) -> Result<bool, MatchError>;

    /// What the source was built from, for coverage warnings (e.g. "osv, debian-tracker").
    fn built_from(&self) -> String {
        String::new()
    }
}

impl AdvisorySource for Db {
    fn lookup(&self, namespace: &str, package: &str) -> Result<Vec<Candidate>, MatchError> {
        Ok(Db::lookup(self, namespace, package)?)
    }

    fn enrichment(&self, cve: &str) -> Result<Option<Enrichment>, MatchError> {
        Ok(Db::enrichment(self, cve)?)
    }

    fn lookup_cpe(&self, vendor: &str, product: &str) -> Result<Vec<CpeCandidate>, MatchError> {
        Ok(Db::lookup_cpe(self, vendor, product)?)
    }

    fn has_namespace(&self, namespace: &str) -> Result<bool, MatchError> {
        Ok(Db::has_namespace(self, namespace)?)
    }

    fn built_from(&self) -> String {
        Db::built_from(self).unwrap_or_default()
    }
}

/// Advisories held in memory, indexed like the database (by namespace and package name).
#[derive(Debug, Default, Clone)]
pub struct MemorySource {
    index: HashMap<(String, String), Vec<Candidate>>,
    enrichment: HashMap<String, Enrichment>,
    cpe: HashMap<(String, String), Vec<CpeCandidate>>,
}

impl MemorySource {
    /// An empty source.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an advisory; each of its `affected` entries is indexed under its namespace and
    /// package (which must already be normalised).
    pub fn add(&mut self, advisory: Advisory) {
        let advisory = Arc::new(advisory);
        for (i, a) in advisory.affected.iter().enumerate() {
            self.index
                .entry((a.namespace.clone(), a.package.clone()))
                .or_default()
                .push(Candidate {
                    advisory: Arc::clone(&advisory),
                    affected_index: i,
                });
        }
    }

    /// Sets the enrichment of a CVE id.
    pub fn add_enrichment(&mut self, cve: &str, enrichment: Enrichment) {
        self.enrichment.insert(cve.to_string(), enrichment);
    }

    /// Adds an NVD CPE criteria, indexed under its vendor and product; false (and not
    /// added) when the criteria is not a CPE 2.3 string.
    pub fn add_cpe(&mut self, candidate: CpeCandidate) -> bool {
        let Some(c) = Cpe::parse(&candidate.criteria) else {
            return false;
        };
        self.cpe.entry((c.vendor, c.product)).or_default().push(candidate);
        true
    }

    /// Number of indexed (namespace, package) keys.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    /// True when nothing was added.
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

impl AdvisorySource for MemorySource {
    fn lookup(&self, namespace: &str, package: &str) -> Result<Vec<Candidate>, MatchError> {
        Ok(self
            .index
            .get(&(namespace.to_string(), package.to_string()))
            .cloned()
            .unwrap_or_default())
    }

    fn enrichment(&self, cve: &str) -> Result<Option<Enrichment>, MatchError> {
        Ok(self.enrichment.get(cve).cloned())
    }

    fn lookup_cpe(&self, vendor: &str, product: &str) -> Result<Vec<CpeCandidate>, MatchError> {
        Ok(self
            .cpe
            .get(&(vendor.to_ascii_lowercase(), product.to_ascii_lowercase()))
            .cloned()
            .unwrap_or_default())
    }

    fn has_namespace(&self, namespace: &str) -> Result<bool, MatchError> {
        Ok(self.index.keys().any(|(ns, _)| ns == namespace))
    }

    fn built_from(&self) -> String {
        "advisories in memory".into()
    }
}
