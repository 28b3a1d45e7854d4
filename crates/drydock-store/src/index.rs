//! The query index: each stored analysis's packages and vulnerability findings as rows, so
//! "which images have CVE-X" and "which images have package P" are index lookups instead
//! of a walk over every stored document. Written in the same transaction as the document
//! (a new analysis, a re-match), removed with it; analyses stored before the index existed
//! are indexed by [`Store::analyses_unindexed`] + [`Store::put_index`].

use crate::sql::{self, one, Value};
use crate::{Store, StoreError};
use serde::{Deserialize, Serialize};

/// One package of an analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedPackage {
    /// Package type as the SBOM names it (`deb`, `npm`, …).
    #[serde(rename = "type")]
    pub package_type: String,
    /// Package name.
    pub name: String,
    /// Installed version.
    pub version: String,
    /// Where it was found (JSON).
    pub locations: serde_json::Value,
}

/// One vulnerability finding of an analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedFinding {
    /// The finding's id (its advisory).
    pub id: String,
    /// Other ids it is known by (CVE, GHSA…).
    pub aliases: Vec<String>,
    /// Name of the affected package.
    pub package: String,
    /// Installed version of it.
    pub version: String,
    /// Type of the affected package (`deb`, `npm`, …).
    pub package_type: String,
    /// Severity, lower-case (`critical`, `high`, …).
    pub severity: String,
    /// Versions that fix it; empty when none is known.
    pub fixed_versions: Vec<String>,
    /// On CISA's Known Exploited Vulnerabilities list.
    #[serde(default)]
    pub kev: bool,
}

/// What the query routes search, taken from an analysis when it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AnalysisIndex {
    /// Every package of the analysis.
    pub packages: Vec<IndexedPackage>,
    /// Every vulnerability finding of the analysis.
    pub findings: Vec<IndexedFinding>,
}

/// An image found by a query, with the matching package or finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IndexHit<T> {
    /// The image's id.
    pub image_id: String,
    /// The image's manifest digest; `None` before it is known.
    pub digest: Option<String>,
    /// The package or finding that matched (its fields flattened in JSON).
    #[serde(flatten)]
    pub hit: T,
}

/// Replaces the package rows of an image (inside a transaction).
pub(crate) fn write_packages(
    tx: &mut dyn sql::Tx,
    account: &str,
    image_id: &str,
    packages: &[IndexedPackage],
) -> Result<(), StoreError> {
    tx.execute("DELETE FROM image_packages WHERE image_id = $1", &[image_id.into()])?;
    for p in packages {
        tx.execute(
            "INSERT INTO image_packages (account, image_id, type, name, name_lc, version, locations) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                account.into(),
                image_id.into(),
                p.package_type.clone().into(),
                p.name.clone().into(),
                p.name.to_lowercase().into(),
                p.version.clone().into(),
                p.locations.to_string().into(),
            ],
        )?;
    }
    Ok(())
}

/// Replaces the finding rows of an image (inside a transaction): one row per id and alias.
pub(crate) fn write_findings(
    tx: &mut dyn sql::Tx,
    account: &str,
    image_id: &str,
    findings: &[IndexedFinding],
) -> Result<(), StoreError> {
    tx.execute("DELETE FROM image_vulns WHERE image_id = $1", &[image_id.into()])?;
    for f in findings {
        let detail = serde_json::to_string(f).map_err(|source| StoreError::Json {
            what: "finding index entry",
            source,
        })?;
        // Ids are looked up in upper case, so `cve-2024-1` finds `CVE-2024-1`.
        let mut ids: Vec<String> = std::iter::once(&f.id)
            .chain(&f.aliases)
            .map(|i| i.to_uppercase())
            .collect();
        ids.sort();
        ids.dedup();
        for lookup in ids {
            tx.execute(
                "INSERT INTO image_vulns (account, image_id, lookup_id, detail) VALUES ($1, $2, $3, $4)",
                &[account.into(), image_id.into(), lookup.into(), detail.clone().into()],
            )?;
        }
    }
    Ok(())
}

/// Removes an image's rows (inside a transaction).
pub(crate) fn remove(tx: &mut dyn sql::Tx, image_id: &Value) -> Result<(), StoreError> {
    tx.execute(
        "DELETE FROM image_packages WHERE image_id = $1",
        std::slice::from_ref(image_id),
    )?;
    tx.execute(
        "DELETE FROM image_vulns WHERE image_id = $1",
        std::slice::from_ref(image_id),
    )?;
    Ok(())
}

impl Store {
    /// Images of the account with a finding whose id or alias is `id` (any case).
    pub fn images_with_vulnerability(
        &self,
        account: &str,
        id: &str,
    ) -> Result<Vec<IndexHit<IndexedFinding>>, StoreError> {
        self.rx(|tx| {
            tx.query(
                "SELECT v.image_id, i.digest, v.detail FROM image_vulns v JOIN images i ON i.id = v.image_id \
                 WHERE v.account = $1 AND v.lookup_id = $2 ORDER BY v.image_id",
                &[account.into(), id.to_uppercase().into()],
            )?
            .into_iter()
            .map(|r| {
                Ok(IndexHit {
                    image_id: r[0].str(),
                    digest: r[1].text().map(str::to_string),
                    hit: serde_json::from_str(&r[2].str()).map_err(|source| StoreError::Json {
                        what: "finding index entry",
                        source,
                    })?,
                })
            })
            .collect()
        })
    }

    /// Images of the account with a package named `name` (any case).
    pub fn images_with_package(&self, account: &str, name: &str) -> Result<Vec<IndexHit<IndexedPackage>>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query(
                    "SELECT p.image_id, i.digest, p.type, p.name, p.version, p.locations FROM image_packages p \
                     JOIN images i ON i.id = p.image_id WHERE p.account = $1 AND p.name_lc = $2 \
                     ORDER BY p.image_id, p.version",
                    &[account.into(), name.to_lowercase().into()],
                )?
                .into_iter()
                .map(|r| IndexHit {
                    image_id: r[0].str(),
                    digest: r[1].text().map(str::to_string),
                    hit: IndexedPackage {
                        package_type: r[2].str(),
                        name: r[3].str(),
                        version: r[4].str(),
                        locations: serde_json::from_str(&r[5].str()).unwrap_or_default(),
                    },
                })
                .collect())
        })
    }

    /// Stored analyses not indexed yet (stored before the index existed), at most `limit`:
    /// (image id, account, document).
    pub fn analyses_unindexed(&self, limit: i64) -> Result<Vec<(String, String, String)>, StoreError> {
        self.rx(|tx| {
            Ok(tx
                .query(
                    "SELECT image_id, account, document FROM analyses WHERE indexed = 0 ORDER BY image_id LIMIT $1",
                    &[limit.into()],
                )?
                .into_iter()
                .map(|r| (r[0].str(), r[1].str(), r[2].str()))
                .collect())
        })
    }

    /// Writes the index of a stored analysis (one that could not be read gets an empty one,
    /// so it is not tried again).
    pub fn put_index(&self, image_id: &str, index: &AnalysisIndex) -> Result<(), StoreError> {
        self.tx(true, |tx| {
            let Some(r) = one(
                tx,
                "SELECT account FROM analyses WHERE image_id = $1",
                &[image_id.into()],
            )?
            else {
                return Ok(());
            };
            let account = r[0].str();
            write_packages(tx, &account, image_id, &index.packages)?;
            write_findings(tx, &account, image_id, &index.findings)?;
            tx.execute(
                "UPDATE analyses SET indexed = 1 WHERE image_id = $1",
                &[image_id.into()],
            )?;
            Ok(())
        })
    }
}
