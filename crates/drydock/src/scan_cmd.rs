//! `drydock scan`: catalogue a source (or read an SBOM), match it against the vulnerability
//! database, write the findings.

use crate::cli::{Cli, ScanArgs, ScopeArg, SeverityArg};
use crate::db_cmd::{config_path, db_config, db_path, open_for_scan, read_config_text};
use crate::output::parse_outputs;
use crate::sbom_cmd::analyze;
use crate::vuln_output::{write_all, DbInfo, Format as VulnFormat, ScanContext};
use anyhow::{anyhow, bail, Context, Result};
use drydock_match::{match_sbom, parse_config, parse_vex, MatchOptions, SeverityLevel};
use drydock_sbom::Scope;
use std::io::Read;
use std::process::ExitCode;
use std::time::Instant;

/// Exit status when a finding reaches the `--fail-on` severity (distinct from errors, 1, and
/// usage errors, 2).
pub const FAIL_ON_EXIT: u8 = 3;

/// Largest VEX document read.
const MAX_VEX_BYTES: u64 = 64 << 20;

/// Runs `drydock scan`.
pub fn run(args: &ScanArgs, cli: &Cli) -> Result<ExitCode> {
    let outputs = parse_outputs::<VulnFormat>(&args.output)?;
    let config_file = config_path(args.config.as_deref());
    let db_conf = db_config(config_file.as_deref())?;
    let mut opts = MatchOptions {
        only_fixed: args.only_fixed,
        cpe_fallback: args.cpe_fallback,
        ..Default::default()
    };
    if let Some(path) = &config_file {
        let text = read_config_text(path)?;
        let conf = parse_config(&text, &path.display().to_string())?;
        opts.ignore = conf.ignore;
        opts.cpe_fallback |= conf.cpe_fallback;
    }
    for v in &args.vex {
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
    // The database first: a missing one fails before a long image read.
    let path = db_path(args.db.as_deref(), &db_conf)?;
    let opened = Instant::now();
    let db = open_for_scan(&path)?;
    let open_ms = opened.elapsed().as_secs_f64() * 1000.0;
    let info = db_info(&db, db_conf.max_age_days);
    if info.stale {
        tracing::warn!(
            "the vulnerability database {} was built {} days ago: run `drydock db update`",
            path.display(),
            info.age_seconds / 86400
        );
    }

    let scope = match args.scope {
        ScopeArg::Squashed => Scope::Squashed,
        ScopeArg::AllLayers => Scope::AllLayers,
    };
    let sbom = analyze(&args.source, scope, cli.quiet)?;
    let start = Instant::now();
    let report = match_sbom(&sbom, &db, &opts)
        .map_err(|e| anyhow!(e))
        .context("matching failed")?;
    tracing::info!(
        "database opened in {open_ms:.1} ms; {} packages ({} looked up, {} by CPE) matched in {:.1} ms: {} findings, {} suppressed",
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
    let ctx = ScanContext {
        sbom: &sbom,
        report: &report,
        db_path: &path,
        db_info: &info,
    };
    write_all(&ctx, &outputs)?;
    if let Some(t) = args.fail_on {
        let threshold = match t {
            SeverityArg::Negligible => SeverityLevel::Negligible,
            SeverityArg::Low => SeverityLevel::Low,
            SeverityArg::Medium => SeverityLevel::Medium,
            SeverityArg::High => SeverityLevel::High,
            SeverityArg::Critical => SeverityLevel::Critical,
        };
        if report.fails(threshold) {
            let n = report.findings.iter().filter(|f| f.severity >= threshold).count();
            eprintln!(
                "{n} finding(s) at or above {threshold} severity (--fail-on {})",
                threshold.as_str().to_lowercase()
            );
            return Ok(ExitCode::from(FAIL_ON_EXIT));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Build time, age and sources of the open database (cheap metadata reads, no counting).
fn db_info(db: &drydock_vulndb::Db, max_age_days: Option<u64>) -> DbInfo {
    let built_at_unix: u64 = db
        .meta("built_at_unix")
        .ok()
        .flatten()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let age_seconds = now.saturating_sub(built_at_unix);
    let max_age = max_age_days
        .map(|d| d.saturating_mul(86400))
        .unwrap_or(drydock_vulndb::DEFAULT_MAX_AGE.as_secs());
    DbInfo {
        schema_version: db.meta("schema_version").ok().flatten(),
        built_at: db.meta("built_at").ok().flatten(),
        age_seconds,
        stale: age_seconds > max_age,
        sources: db.sources().unwrap_or_default(),
    }
}
