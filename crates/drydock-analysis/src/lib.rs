//! One image through every analyzer in one pass over its layers: packages (the SBOM),
//! vulnerabilities, secrets, misconfigurations, content search, retrieved files and file
//! metadata, gathered into one [`Analysis`] — the document policies evaluate, `drydock scan`
//! and `drydock inspect` print and the service stores.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

mod config;

pub use config::{AnalysisConfig, ContentSearchSpec, FilesConfig, RetrieveConfig};

use drydock_catalog::{all, build_sbom_and_tree, CatalogCapture};
use drydock_image::{Capture, ImageMeta, LayerIndex};
use drydock_inspect::content::{self, ContentMatch, ContentSearch, RetrievedFile};
use drydock_inspect::files::{self, reason, ChangedFile, FileRecord};
use drydock_inspect::misconfig::{self, Misconfig};
use drydock_inspect::secrets::{collect_secrets, LayerSecret, SecretScanner, SecretsScope};
use drydock_inspect::InspectCapture;
use drydock_match::{match_sbom, MatchOptions, MatchReport};
use drydock_sbom::{Sbom, Scope};
use drydock_vulndb::{Db, SourceInfo};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Schema of the serialised [`Analysis`].
pub const SCHEMA: &str = "https://drydock.dev/schema/analysis/v1.json";

/// What went wrong setting up an analysis.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A `--scanners` name that is not vuln, secret or misconfig.
    #[error("unknown scanner {0:?}; use vuln, secret or misconfig (comma-separated)")]
    UnknownScanner(String),
    /// `--scanners` named no scanner at all.
    #[error("no scanner selected; use vuln, secret or misconfig (comma-separated)")]
    NoScanner,
    /// The secret rules of the configuration did not compile.
    #[error(transparent)]
    Secrets(#[from] drydock_inspect::secrets::SecretsError),
    /// A content search's regex did not compile.
    #[error("content search {name:?}: bad regex: {source}")]
    ContentRegex {
        /// The search's name.
        name: String,
        /// The regex compiler's error.
        source: regex::Error,
    },
    /// The content search at this position (from 1) lacks a name or a regex.
    #[error("content search #{0}: needs a name and a regex")]
    ContentSpec(usize),
    /// Matching the SBOM against the vulnerability database failed.
    #[error("vulnerability matching failed: {0}")]
    Match(#[from] drydock_match::MatchError),
}

/// Which kinds of findings an analysis produces (packages are always catalogued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scanners {
    /// Match packages against the vulnerability database.
    pub vuln: bool,
    /// Scan file contents for secrets.
    pub secret: bool,
    /// Run the misconfiguration checks.
    pub misconfig: bool,
}

impl Default for Scanners {
    fn default() -> Self {
        Scanners {
            vuln: true,
            secret: true,
            misconfig: true,
        }
    }
}

impl Scanners {
    /// Parses a comma-separated list: `vuln`, `secret`, `misconfig` (plurals and
    /// `vulnerability` accepted), or `all`.
    pub fn parse(list: &str) -> Result<Self, AnalysisError> {
        let mut s = Scanners {
            vuln: false,
            secret: false,
            misconfig: false,
        };
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            match word.to_ascii_lowercase().as_str() {
                "vuln" | "vulns" | "vulnerability" | "vulnerabilities" => s.vuln = true,
                "secret" | "secrets" => s.secret = true,
                "misconfig" | "misconfigs" | "misconfiguration" | "config" => s.misconfig = true,
                "all" => s = Scanners::default(),
                _ => return Err(AnalysisError::UnknownScanner(word.to_string())),
            }
        }
        if !(s.vuln || s.secret || s.misconfig) {
            return Err(AnalysisError::NoScanner);
        }
        Ok(s)
    }
}

/// What the analysis says about the vulnerability database it matched against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DbStatus {
    /// Path of the database file, as given.
    pub path: String,
    /// Schema version recorded in the database; `None` when it records none.
    pub schema_version: Option<String>,
    /// Build time (RFC 3339); `None` when the database does not record it.
    pub built_at: Option<String>,
    /// Build time as Unix seconds (0 when unknown).
    pub built_at_unix: u64,
    /// Age when the analysis ran.
    pub age_seconds: u64,
    /// Older than the configured maximum age.
    pub stale: bool,
    /// Feeds the database was built from.
    pub sources: Vec<SourceInfo>,
}

impl DbStatus {
    /// Reads the database's metadata (cheap reads, no counting); `max_age_days` overrides
    /// the default staleness limit.
    pub fn of(db: &Db, path: &str, max_age_days: Option<u64>) -> Self {
        let built_at_unix: u64 = db
            .meta("built_at_unix")
            .ok()
            .flatten()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let age_seconds = now_unix().saturating_sub(built_at_unix);
        let max_age = max_age_days
            .map(|d| d.saturating_mul(86400))
            .unwrap_or(drydock_vulndb::DEFAULT_MAX_AGE.as_secs());
        DbStatus {
            path: path.to_string(),
            schema_version: db.meta("schema_version").ok().flatten(),
            built_at: db.meta("built_at").ok().flatten(),
            built_at_unix,
            age_seconds,
            stale: age_seconds > max_age,
            sources: db.sources().unwrap_or_default(),
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Everything learned about one image.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Analysis {
    /// The JSON schema URL of this document ([`SCHEMA`]).
    #[serde(rename = "$schema")]
    pub schema: String,
    /// The scanners that ran.
    pub scanners: Scanners,
    /// Packages, relationships, distro and the image's metadata (`sbom.image`).
    pub sbom: Sbom,
    /// False when the analysis started from an SBOM (no files, secrets or
    /// misconfigurations could be looked at).
    pub has_files: bool,
    /// Vulnerability findings; `None` when the vuln scanner did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vulnerabilities: Option<MatchReport>,
    /// The database matched against; `None` when the vuln scanner did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<DbStatus>,
    /// Which files secrets were reported for; `None` when the secret scanner did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_scope: Option<SecretsScope>,
    /// Secrets found, with their layers; `None` when the secret scanner did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Vec<LayerSecret>>,
    /// Misconfigurations found; `None` when the misconfig scanner did not run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub misconfigurations: Option<Vec<Misconfig>>,
    /// Hits of the configured content searches.
    #[serde(default)]
    pub content_matches: Vec<ContentMatch>,
    /// Files stored per `[retrieve]`, with their content.
    #[serde(default)]
    pub retrieved_files: Vec<RetrievedFile>,
    /// Every non-directory file; digests are set for package-owned and flagged ones.
    #[serde(default)]
    pub files: Vec<FileRecord>,
    /// Package files whose content no longer matches the package manager's digest.
    #[serde(default)]
    pub changed_files: Vec<ChangedFile>,
}

impl Analysis {
    /// An analysis of an SBOM read from a file: packages only.
    pub fn from_sbom(sbom: Sbom, scanners: Scanners) -> Self {
        Analysis {
            schema: SCHEMA.into(),
            scanners,
            sbom,
            has_files: false,
            vulnerabilities: None,
            database: None,
            secrets_scope: None,
            secrets: None,
            misconfigurations: None,
            content_matches: Vec::new(),
            retrieved_files: Vec::new(),
            files: Vec::new(),
            changed_files: Vec::new(),
        }
    }

    /// The image metadata (source, config, history, layers).
    pub fn image(&self) -> &ImageMeta {
        &self.sbom.image
    }

    /// Files worth reporting: package-owned or flagged.
    pub fn notable_files(&self) -> impl Iterator<Item = &FileRecord> {
        self.files.iter().filter(|f| f.is_notable())
    }

    /// Matches the packages against the database and records the database's status.
    pub fn match_vulnerabilities(
        &mut self,
        db: &Db,
        opts: &MatchOptions,
        status: DbStatus,
    ) -> Result<&MatchReport, AnalysisError> {
        let report = match_sbom(&self.sbom, db, opts)?;
        self.database = Some(status);
        Ok(self.vulnerabilities.insert(report))
    }
}

/// Sets up one analysis: the capture for the layer pass, then [`Analyzer::analyze`] on
/// what the pass read.
pub struct Analyzer {
    capture: InspectCapture<CatalogCapture>,
    scanners: Scanners,
    scope: Scope,
    secrets_scope: SecretsScope,
    config: AnalysisConfig,
}

impl Analyzer {
    /// Compiles the secret rules and content searches of `config`.
    pub fn new(
        scanners: Scanners,
        scope: Scope,
        secrets_scope: SecretsScope,
        config: &AnalysisConfig,
    ) -> Result<Self, AnalysisError> {
        let scanner = if scanners.secret {
            Some(SecretScanner::with_config(&config.secrets)?)
        } else {
            None
        };
        let searches = config.content_searches()?;
        let capture = InspectCapture::new(CatalogCapture::new(all()), scanner, scanners.misconfig)
            .with_content_search(searches, config.secrets.max_file_size.unwrap_or(10 << 20))
            .with_retrieved(config.retrieve.paths.clone())
            .with_digests(config.files.digests);
        Ok(Analyzer {
            capture,
            scanners,
            scope,
            secrets_scope,
            config: config.clone(),
        })
    }

    /// The capture to read the layers with.
    pub fn capture(&self) -> &dyn Capture {
        &self.capture
    }

    /// Builds the analysis (without vulnerabilities: see [`Analysis::match_vulnerabilities`])
    /// from the layers read with [`Analyzer::capture`]. Layers held only here have their
    /// entries moved into the squashed tree, and the tree into the file records, so a
    /// layer of millions of files is held once at a time.
    pub fn analyze(&self, meta: &ImageMeta, mut layers: Vec<Arc<LayerIndex>>, max_symlink_hops: usize) -> Analysis {
        let (sbom, tree) = build_sbom_and_tree(
            meta,
            &mut layers,
            self.scope,
            self.capture.inner().catalogers(),
            max_symlink_hops,
        );
        let secrets = self
            .capture
            .secrets()
            .map(|scanner| collect_secrets(&layers, &tree, self.secrets_scope, scanner));
        let misconfigurations = self
            .scanners
            .misconfig
            .then(|| misconfig::check(meta, &tree, &self.config.misconfig));
        let content_matches = content::search(&tree, self.capture.searches(), |_| true);
        let retrieved_files = content::retrieve(&tree, &self.config.retrieve.paths, self.config.retrieve.max_size);

        let mut flagged: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let mut flag = |path: &str, why: &str| {
            flagged.entry(path.to_string()).or_default().insert(why.to_string());
        };
        for s in secrets.iter().flatten() {
            flag(&s.finding.path, reason::SECRET);
        }
        for m in misconfigurations.iter().flatten() {
            if let Some(p) = &m.path {
                flag(p, reason::MISCONFIG);
            }
        }
        for c in &content_matches {
            flag(&c.path, reason::CONTENT_MATCH);
        }
        for r in &retrieved_files {
            flag(&r.path, reason::RETRIEVED);
        }
        let changed_files = if self.config.files.digests {
            files::verify(&tree, &sbom)
        } else {
            Vec::new()
        };
        drop(layers);
        let files = files::records(tree, &sbom, &flagged);
        Analysis {
            schema: SCHEMA.into(),
            scanners: self.scanners,
            sbom,
            has_files: true,
            vulnerabilities: None,
            database: None,
            secrets_scope: secrets.is_some().then_some(self.secrets_scope),
            secrets,
            misconfigurations,
            content_matches,
            retrieved_files,
            files,
            changed_files,
        }
    }
}

/// Compiles one content search.
fn compile_search(i: usize, spec: &ContentSearchSpec) -> Result<ContentSearch, AnalysisError> {
    if spec.name.trim().is_empty() || spec.regex.is_empty() {
        return Err(AnalysisError::ContentSpec(i + 1));
    }
    ContentSearch::new(&spec.name, &spec.regex)
        .map(|s| s.with_paths(spec.paths.clone()))
        .map_err(|source| AnalysisError::ContentRegex {
            name: spec.name.clone(),
            source,
        })
}
