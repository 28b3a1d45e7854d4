//! Runs the whole analysis of a source for `scan`, `inspect` and `check`: one pass over
//! the layers with every analyzer's capture, then the [`Analysis`] document.

use crate::cli::{ScopeArg, SecretsScopeArg, SourceArgs};
use crate::db_cmd::read_config_text;
use crate::sbom_cmd::{read_sbom_file, read_source, SBOM_SCHEME};
use anyhow::{anyhow, Result};
use drydock_analysis::{Analysis, AnalysisConfig, Analyzer, Scanners};
use drydock_inspect::secrets::SecretsScope;
use drydock_sbom::Scope;
use std::path::Path;

/// Reads the analysis sections of the configuration file (defaults when there is none).
pub fn load_config(path: Option<&Path>) -> Result<AnalysisConfig> {
    let Some(path) = path else {
        return Ok(AnalysisConfig::default());
    };
    let text = read_config_text(path)?;
    toml::from_str(&text).map_err(|e| anyhow!("configuration {}: {e}", path.display()))
}

/// The SBOM scope for a `--scope` value.
pub fn scope(arg: ScopeArg) -> Scope {
    match arg {
        ScopeArg::Squashed => Scope::Squashed,
        ScopeArg::AllLayers => Scope::AllLayers,
    }
}

/// The secrets scope for a `--secrets-scope` value.
pub fn secrets_scope(arg: SecretsScopeArg) -> SecretsScope {
    match arg {
        SecretsScopeArg::Squashed => SecretsScope::Squashed,
        SecretsScopeArg::AllLayers => SecretsScope::AllLayers,
    }
}

/// Analyses a source (image, directory or `sbom:` file) with the chosen scanners; the
/// vulnerability match is left to the caller.
pub fn analyze(
    src: &SourceArgs,
    scanners: Scanners,
    scope: Scope,
    secrets_scope: SecretsScope,
    config: &AnalysisConfig,
    quiet: bool,
) -> Result<Analysis> {
    if let Some(path) = src.source.strip_prefix(SBOM_SCHEME) {
        if scanners.secret || scanners.misconfig {
            tracing::info!(
                "{}: an SBOM has no files, so secrets and misconfigurations are not looked for",
                src.source
            );
        }
        let sbom = read_sbom_file(&src.source, path)?;
        return Ok(Analysis::from_sbom(sbom, scanners));
    }
    let analyzer = Analyzer::new(scanners, scope, secrets_scope, config)?;
    let read = read_source(src, analyzer.capture(), quiet)?;
    let analysis = analyzer.analyze(read.opened.meta(), &read.layers.layers, read.limits.max_symlink_hops);
    tracing::info!(
        "{} packages, {} secrets, {} misconfigurations, {} content matches, {} changed package files",
        analysis.sbom.packages.len(),
        analysis.secrets.as_ref().map_or(0, Vec::len),
        analysis.misconfigurations.as_ref().map_or(0, Vec::len),
        analysis.content_matches.len(),
        analysis.changed_files.len()
    );
    Ok(analysis)
}
