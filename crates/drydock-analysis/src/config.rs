//! The analysis sections of the configuration file: `[secrets]`, `[misconfig]`,
//! `[[content_search]]`, `[retrieve]`, `[files]` and `[limits]`.

use crate::{compile_search, AnalysisError};
use drydock_image::Limits;
use drydock_inspect::content::{ContentSearch, DEFAULT_RETRIEVE, DEFAULT_RETRIEVE_MAX};
use drydock_inspect::misconfig::MisconfigOptions;
use drydock_inspect::secrets::SecretsConfig;
use serde::{Deserialize, Serialize};

/// Everything the configuration file says about analysing an image: its analysis sections,
/// which the binary reads (once, with the file's other sections) and hands over.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalysisConfig {
    /// Secret scanning rules, allow rules and size limit (`[secrets]`).
    pub secrets: SecretsConfig,
    /// Misconfiguration check tuning (`[misconfig]`).
    pub misconfig: MisconfigOptions,
    /// Named regexes run over every text file (`[[content_search]]`).
    pub content_search: Vec<ContentSearchSpec>,
    /// Files whose content is stored with the analysis (`[retrieve]`).
    pub retrieve: RetrieveConfig,
    /// File metadata options (`[files]`).
    pub files: FilesConfig,
    /// Bounds on what one image may cost (`[limits]`, e.g. `max_image_seconds = 600`).
    pub limits: Limits,
}

impl AnalysisConfig {
    /// The content searches, compiled.
    pub fn content_searches(&self) -> Result<Vec<ContentSearch>, AnalysisError> {
        self.content_search
            .iter()
            .enumerate()
            .map(|(i, s)| compile_search(i, s))
            .collect()
    }
}

/// One `[[content_search]]` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentSearchSpec {
    /// Name findings are reported under (and policies refer to).
    pub name: String,
    /// Regular expression (Rust `regex` syntax) searched for in each text file.
    pub regex: String,
    /// Path prefixes it is limited to; empty for every file.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// `[retrieve]`: files stored with the analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct RetrieveConfig {
    /// Absolute paths (default `/etc/passwd`).
    pub paths: Vec<String>,
    /// Largest content kept per file, in bytes (default 64 KiB).
    pub max_size: u64,
}

impl Default for RetrieveConfig {
    fn default() -> Self {
        RetrieveConfig {
            paths: DEFAULT_RETRIEVE.iter().map(|s| s.to_string()).collect(),
            max_size: DEFAULT_RETRIEVE_MAX,
        }
    }
}

/// `[files]`: file metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct FilesConfig {
    /// Compute SHA-256 and MD5 of every file during the pass (for package file
    /// verification and the digests of package-owned and flagged files).
    pub digests: bool,
}

impl Default for FilesConfig {
    fn default() -> Self {
        FilesConfig { digests: true }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_read_from_the_configuration() {
        let cfg: AnalysisConfig = toml::from_str("[limits]\nmax_image_seconds = 42\n").unwrap();
        assert_eq!(cfg.limits.max_image_seconds, 42);
        assert_eq!(
            cfg.limits.max_captured_per_image,
            Limits::default().max_captured_per_image
        );
        assert_eq!(AnalysisConfig::default().limits, Limits::default());
    }
}
