//! Images: adding and listing them, and what their analyses hold (vulnerabilities, content,
//! policy checks, secrets, misconfigurations, tag history, differences between two).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/images`: an image to add by tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddImage {
    /// A registry reference, `registry/repository:tag` or `…@sha256:…`.
    pub tag: String,
    /// Analyse again even when the digest already has an analysis.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force: bool,
}

/// `POST /v1/images?force=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddImageQuery {
    /// As the body's `force`.
    pub force: Option<bool>,
}

/// An image of an account (by manifest digest once analysed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Image {
    /// The image's id in the service.
    pub id: String,
    /// The account it belongs to.
    pub account: String,
    /// Manifest digest, once known.
    pub digest: Option<String>,
    /// Registry host[:port].
    pub registry: String,
    /// Repository path.
    pub repository: String,
    /// `queued`, `analyzing`, `analyzed` or `failed`.
    pub status: String,
    /// Why the last analysis failed.
    pub error: Option<String>,
    /// When it was added (Unix seconds).
    pub created_at: i64,
    /// When its analysis was stored (Unix seconds).
    pub analyzed_at: Option<i64>,
    /// Tags pointing at it.
    pub tags: Vec<String>,
}

/// The answer of `POST /v1/images`: the image and what was done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AddedImage {
    /// The image.
    #[serde(flatten)]
    pub image: Image,
    /// The digest was new to the account.
    pub new: bool,
    /// An analysis was queued.
    pub queued: bool,
    /// The digest has an analysis and nothing was queued.
    pub already_analysed: bool,
}

/// `GET /v1/images` filters and page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImageListQuery {
    /// Page size.
    pub limit: Option<i64>,
    /// Items to skip.
    pub offset: Option<i64>,
    /// `queued`, `analyzing`, `analyzed` or `failed`.
    pub status: Option<String>,
    /// Registry host[:port].
    pub registry: Option<String>,
    /// Repository path.
    pub repository: Option<String>,
    /// A full tag, `registry/repository:tag`.
    pub tag: Option<String>,
}

/// `GET /v1/images`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImageList {
    /// One page of images.
    pub images: Vec<Image>,
    /// Page size.
    pub limit: i64,
    /// Items skipped.
    pub offset: i64,
}

/// `GET /v1/images/{id}/sbom?format=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SbomQuery {
    /// `native` (default), `cyclonedx` or `spdx`.
    pub format: Option<String>,
}

/// `GET /v1/images/{id}/vuln/{kind}`: findings `F`, suppressed findings `S` and the
/// database status `D` as the analysis holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "VulnReport")]
pub struct VulnReport<F = Value, S = Value, D = Value> {
    /// The image id.
    pub image: String,
    /// Its manifest digest.
    pub digest: Option<String>,
    /// `os`, `non-os` or `all` (absent when the image was not matched).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vulnerability_type: Option<String>,
    /// The findings.
    pub vulnerabilities: Vec<F>,
    /// Findings an ignore rule or VEX statement suppressed, with the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Vec<S>>,
    /// The vulnerability database the image was matched against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<D>,
    /// Why there are no findings to list (no database at analysis time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `GET /v1/images/{id}/content/{kind}`: packages or files `C`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Content")]
pub struct Content<C = Value> {
    /// The image id.
    pub image: String,
    /// The kind asked for (`os`, `python`, …, `files`, `all`).
    pub content_type: String,
    /// The packages, or the files.
    pub content: Vec<C>,
}

/// `GET /v1/images/{id}/check` parameters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckQuery {
    /// Policy bundle id (default: the active one, else the built-in default).
    pub policy: Option<String>,
    /// The tag mappings see.
    pub tag: Option<String>,
    /// `api` (default) or a `drydock check` format.
    pub format: Option<String>,
}

/// Whether an image was matched against vulnerability data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VulnerabilityData {
    /// It was.
    Available,
    /// It was not (the service had no database): the check says so.
    Unavailable,
}

/// `GET /v1/images/{id}/check`: the policy evaluation `E`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Check")]
pub struct Check<E = Value> {
    /// The image id.
    pub image: String,
    /// The tag the mappings saw.
    pub tag: String,
    /// The stored bundle used; `None` for the built-in default.
    pub policy: Option<String>,
    /// The evaluation.
    pub evaluation: E,
    /// Whether vulnerability data was available.
    pub vulnerability_data: VulnerabilityData,
}

/// `GET /v1/images/{id}/secrets`: secrets `T` (redacted).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Secrets")]
pub struct Secrets<T = Value> {
    /// The image id.
    pub image: String,
    /// The secrets found.
    pub secrets: Vec<T>,
}

/// `GET /v1/images/{id}/misconfig`: misconfigurations `T`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Misconfigurations")]
pub struct Misconfigurations<T = Value> {
    /// The image id.
    pub image: String,
    /// The misconfigurations found.
    pub misconfigurations: Vec<T>,
}

/// `GET /v1/history?tag=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HistoryQuery {
    /// `registry/repository:tag`.
    pub tag: Option<String>,
}

/// One tag → digest observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TagHistory {
    /// The full tag.
    pub tag: String,
    /// The manifest digest it pointed at.
    pub digest: String,
    /// The image of that digest.
    pub image_id: String,
    /// First seen (Unix seconds).
    pub first_seen: i64,
    /// Last seen (Unix seconds).
    pub last_seen: i64,
}

/// `GET /v1/history`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct History {
    /// The tag asked for.
    pub tag: String,
    /// Its digests over time.
    pub history: Vec<TagHistory>,
}

/// `GET /v1/diff?from=&to=`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiffQuery {
    /// Image id, digest or tag.
    pub from: Option<String>,
    /// Image id, digest or tag.
    pub to: Option<String>,
}

/// A package in a diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiffPackage {
    /// Package type (deb, npm, …).
    #[serde(rename = "type")]
    pub package_type: String,
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// A package whose version changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PackageChange {
    /// Package type.
    #[serde(rename = "type")]
    pub package_type: String,
    /// Name.
    pub name: String,
    /// Version in the first image.
    pub from: String,
    /// Version in the second image.
    pub to: String,
}

/// What was added, removed and changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Changes<T, C = T> {
    /// Only in the second image.
    pub added: Vec<T>,
    /// Only in the first image.
    pub removed: Vec<T>,
    /// In both, different.
    pub changed: Vec<C>,
}

/// `GET /v1/diff`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Diff {
    /// The first image as asked for.
    pub from: String,
    /// The second image as asked for.
    pub to: String,
    /// Packages by (type, name).
    pub packages: Changes<DiffPackage, PackageChange>,
    /// Vulnerability findings, as `ID package` (changed: the package's version differs).
    pub findings: Changes<String>,
    /// File paths (changed: mode, size or content).
    pub files: Changes<String>,
}
