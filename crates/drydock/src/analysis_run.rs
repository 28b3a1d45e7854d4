//! Runs the whole analysis of a source for `scan`, `inspect` and `check`: one pass over
//! the layers with every analyzer's capture, then the [`Analysis`] document.

use crate::cli::{ScopeArg, SecretsScopeArg, SourceArgs};
use crate::db_cmd::{db_config, db_path, open_for_scan, read_config_text};
use crate::sbom_cmd::{read_sbom_file, read_source_with, sbom_path};
use anyhow::{anyhow, bail, Context, Result};
use drydock_analysis::{Analysis, AnalysisConfig, Analyzer, DbStatus, Scanners};
use drydock_inspect::secrets::SecretsScope;
use drydock_match::{parse_config, parse_vex, MatchOptions};
use drydock_sbom::Scope;
use drydock_vulndb::Db;
use std::io::Read;
use std::path::Path;
use std::path::PathBuf;
use std::time::Instant;

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
    if let Some(path) = sbom_path(&src.source) {
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
    let mut read = read_source_with(src, analyzer.capture(), quiet, config.limits.clone())?;
    let layers = std::mem::take(&mut read.layers.layers);
    let analysis = analyzer.analyze(read.opened.meta(), layers, read.limits.max_symlink_hops);
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

/// Largest VEX document read.
const MAX_VEX_BYTES: u64 = 64 << 20;

/// The vulnerability match prepared before the image is read: options (ignore rules, VEX)
/// and the open database, or nothing when the vuln scanner is off.
pub struct VulnSetup {
    opts: MatchOptions,
    db: Option<(Db, DbStatus)>,
}

/// Reads ignore rules and VEX documents and opens the database (so a missing one fails
/// before a long image read).
pub fn prepare_vulns(
    config_file: Option<&Path>,
    db_arg: Option<&Path>,
    vuln: bool,
    only_fixed: bool,
    cpe_fallback: bool,
    vex: &[PathBuf],
) -> Result<VulnSetup> {
    let db_conf = db_config(config_file)?;
    let opts = match_options(config_file, only_fixed, cpe_fallback, vex)?;
    if !vuln {
        return Ok(VulnSetup { opts, db: None });
    }
    let path = db_path(db_arg, &db_conf)?;
    let opened = Instant::now();
    let db = open_for_scan(&path)?;
    let status = DbStatus::of(&db, &path.display().to_string(), db_conf.max_age_days);
    tracing::info!("database opened in {:.1} ms", opened.elapsed().as_secs_f64() * 1000.0);
    if status.stale {
        tracing::warn!(
            "the vulnerability database {} was built {} days ago: run `drydock db update`",
            path.display(),
            status.age_seconds / 86400
        );
    }
    Ok(VulnSetup {
        opts,
        db: Some((db, status)),
    })
}

/// Match options from the configuration file (`[[ignore]]`, `[match]`) and VEX documents.
pub fn match_options(
    config_file: Option<&Path>,
    only_fixed: bool,
    cpe_fallback: bool,
    vex: &[PathBuf],
) -> Result<MatchOptions> {
    let mut opts = MatchOptions {
        only_fixed,
        cpe_fallback,
        ..Default::default()
    };
    if let Some(path) = config_file {
        let text = read_config_text(path)?;
        let conf = parse_config(&text, &path.display().to_string())?;
        opts.ignore = conf.ignore;
        opts.cpe_fallback |= conf.cpe_fallback;
    }
    for v in vex {
        let f = std::fs::File::open(v).with_context(|| format!("cannot read VEX document {}", v.display()))?;
        let mut bytes = Vec::new();
        f.take(MAX_VEX_BYTES + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read VEX document {}", v.display()))?;
        if bytes.len() as u64 > MAX_VEX_BYTES {
            bail!(
                "VEX document {} is larger than {} MiB",
                v.display(),
                MAX_VEX_BYTES >> 20
            );
        }
        opts.vex.extend(parse_vex(&bytes, &v.display().to_string())?);
    }
    Ok(opts)
}

impl VulnSetup {
    /// Matches the analysis's packages (nothing when the vuln scanner is off).
    pub fn apply(self, analysis: &mut Analysis) -> Result<()> {
        let Some((db, status)) = self.db else {
            return Ok(());
        };
        let start = Instant::now();
        let report = analysis
            .match_vulnerabilities(&db, &self.opts, status)
            .context("matching failed")?;
        tracing::info!(
            "{} packages ({} looked up, {} by CPE) matched in {:.1} ms: {} findings, {} suppressed",
            report.packages_total,
            report.packages_looked_up,
            report.packages_cpe_looked_up,
            start.elapsed().as_secs_f64() * 1000.0,
            report.findings.len(),
            report.suppressed.len()
        );
        for w in &report.warnings {
            tracing::warn!("{w}");
        }
        Ok(())
    }
}
