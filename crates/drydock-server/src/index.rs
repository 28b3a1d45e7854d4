//! What the store's query index keeps of an analysis: its packages and its vulnerability
//! findings (with aliases), so the query routes look images up instead of reading every
//! stored document.

use drydock_analysis::Analysis;
use drydock_store::{AnalysisIndex, IndexedFinding, IndexedPackage, Store};
use serde_json::Value;

/// The index rows of an analysis.
pub fn index_of(a: &Analysis) -> AnalysisIndex {
    AnalysisIndex {
        packages: a
            .sbom
            .packages
            .iter()
            .map(|p| IndexedPackage {
                package_type: type_name(&p.package_type),
                name: p.name.clone(),
                version: p.version.clone(),
                locations: serde_json::to_value(&p.locations).unwrap_or_default(),
            })
            .collect(),
        findings: findings_of(a),
    }
}

/// The finding rows of an analysis (all a re-match changes).
pub fn findings_of(a: &Analysis) -> Vec<IndexedFinding> {
    a.vulnerabilities
        .iter()
        .flat_map(|r| &r.findings)
        .map(|f| IndexedFinding {
            id: f.id.clone(),
            aliases: f.aliases.clone(),
            package: f.package.name.clone(),
            version: f.package.version.clone(),
            package_type: type_name(&f.package.package_type),
            severity: f.severity.as_str().to_lowercase(),
            fixed_versions: f.fixed_versions.clone(),
            kev: f.kev_date_added.is_some(),
        })
        .collect()
}

/// A package type as its JSON name.
fn type_name(t: &drydock_sbom::PackageType) -> String {
    match serde_json::to_value(t) {
        Ok(Value::String(s)) => s,
        _ => t.as_str().to_string(),
    }
}

/// Indexes stored analyses that have no index yet (stored before it existed, or rewritten
/// without one); returns how many.
pub fn backfill(store: &Store) -> Result<usize, drydock_store::StoreError> {
    let mut done = 0;
    loop {
        let batch = store.analyses_unindexed(50)?;
        if batch.is_empty() {
            return Ok(done);
        }
        for (image_id, _, doc) in batch {
            let index = serde_json::from_str::<Analysis>(&doc)
                .map(|a| index_of(&a))
                .unwrap_or_default();
            store.put_index(&image_id, &index)?;
            done += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn analyses_stored_without_an_index_are_indexed_by_the_backfill() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.sqlite").to_str().unwrap()).unwrap();
        store.ensure_account("a").unwrap();
        let id = store.add_image("a", "r/x:1", "r", "x").unwrap();
        let job = store.claim_job("w", 300).unwrap().unwrap();
        let mut a = Analysis::from_sbom(Default::default(), Default::default());
        a.sbom.packages.push(drydock_sbom::Package::new(
            drydock_sbom::PackageType::Deb,
            "openssl",
            "3.0.11-1~deb12u2",
            "dpkg",
        ));
        store
            .complete_job(&job, "sha256:x", &serde_json::to_string(&a).unwrap())
            .unwrap();
        assert!(store.images_with_package("a", "openssl").unwrap().is_empty());
        assert_eq!(backfill(&store).unwrap(), 1);
        assert_eq!(backfill(&store).unwrap(), 0, "once");
        let hits = store.images_with_package("a", "openssl").unwrap();
        assert_eq!(
            (hits.len(), hits[0].image_id.as_str(), hits[0].hit.package_type.as_str()),
            (1, id.as_str(), "deb")
        );
    }
}
