//! Queries over every analysed image of an account: which images have a vulnerability,
//! which contain a package.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET /v1/query/vulnerability?id=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VulnerabilityQuery {
    /// CVE-…, GHSA-… or another advisory id or alias.
    pub id: Option<String>,
}

/// An image affected by the vulnerability asked for, with the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VulnerabilityHit {
    /// The image id.
    pub image_id: String,
    /// Its manifest digest.
    pub digest: Option<String>,
    /// The finding's advisory.
    pub id: String,
    /// The package name.
    pub package: String,
    /// Its version.
    pub version: String,
    /// Its type.
    #[serde(rename = "type")]
    pub package_type: String,
    /// The finding's severity.
    pub severity: String,
    /// Versions that fix it.
    pub fixed_versions: Vec<String>,
}

/// `GET /v1/query/vulnerability`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct VulnerabilityImages {
    /// The id asked for.
    pub vulnerability: String,
    /// The images affected.
    pub images: Vec<VulnerabilityHit>,
}

/// `GET /v1/query/package?name=&version=&type=&min_version=&max_version=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PackageQuery {
    /// Package name.
    pub name: Option<String>,
    /// Exact version.
    pub version: Option<String>,
    /// Package type.
    #[serde(rename = "type")]
    pub package_type: Option<String>,
    /// Lowest version included, in the package's own scheme.
    pub min_version: Option<String>,
    /// First version excluded.
    pub max_version: Option<String>,
}

/// An image containing the package asked for; `L`: the package's locations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PackageHit")]
pub struct PackageHit<L = Value> {
    /// The image id.
    pub image_id: String,
    /// Its manifest digest.
    pub digest: Option<String>,
    /// The package name.
    pub package: String,
    /// Its version.
    pub version: String,
    /// Its type.
    #[serde(rename = "type")]
    pub package_type: String,
    /// Where it was found (the SBOM's locations).
    pub locations: L,
}

/// `GET /v1/query/package`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "PackageImages")]
pub struct PackageImages<L = Value> {
    /// The name asked for.
    pub package: String,
    /// The images containing it.
    pub images: Vec<PackageHit<L>>,
}
