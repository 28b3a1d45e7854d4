//! Runs the whole analysis of a source for `scan`, `inspect` and `check`: one pass over
//! the layers with every analyzer's capture, then the [`Analysis`] document.

use crate::cli::{ScopeArg, SecretsScopeArg, SourceArgs};
use crate::config::Config;
use crate::db_cmd::{db_path, open_for_scan, DbConfig};
use crate::sbom_cmd::{read_sbom_file, read_source_with, sbom_path};
use anyhow::{bail, Context, Result};
use drydock_analysis::{Analysis, AnalysisConfig, Analyzer, DbStatus, Scanners};
use drydock_inspect::secrets::SecretsScope;
use drydock_match::{parse_vex, MatchConfig, MatchOptions};
use drydock_sbom::Scope;
use drydock_vulndb::Db;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    config: &Config,
    db_arg: Option<&Path>,
    vuln: bool,
    only_fixed: bool,
    cpe_fallback: bool,
    vex: &[PathBuf],
) -> Result<VulnSetup> {
    let db_conf: &DbConfig = &config.db;
    let opts = match_options(&config.matching, only_fixed, cpe_fallback, vex)?;
    if !vuln {
        return Ok(VulnSetup { opts, db: None });
    }
    let path = db_path(db_arg, db_conf)?;
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

/// Match options from the configuration's `[[ignore]]` and `[match]` and VEX documents.
pub fn match_options(
    config: &MatchConfig,
    only_fixed: bool,
    cpe_fallback: bool,
    vex: &[PathBuf],
) -> Result<MatchOptions> {
    let mut opts = MatchOptions {
        only_fixed,
        cpe_fallback: cpe_fallback || config.cpe_fallback,
        ignore: config.ignore.clone(),
        ..Default::default()
    };
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
