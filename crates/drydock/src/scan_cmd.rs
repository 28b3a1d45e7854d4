//! `drydock scan`: catalogue a source (or read an SBOM), match it against the vulnerability
//! database, write the findings.

use crate::analysis_run::{analyze, load_config, scope, secrets_scope};
use crate::cli::{Cli, ScanArgs, SeverityArg};
use crate::db_cmd::{config_path, db_config, db_path, open_for_scan, read_config_text};
use crate::output::parse_outputs;
use crate::vuln_output::{write_all, Format as VulnFormat, ScanContext};
use anyhow::{bail, Context, Result};
use drydock_analysis::{Analysis, DbStatus};
use drydock_match::{parse_config, parse_vex, MatchOptions, MatchReport, SeverityLevel};
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
    let scanners = args.scanners;
    let analysis_config = load_config(config_file.as_deref())?;
    // The database first: a missing one fails before a long image read.
    let db = if scanners.vuln {
        let path = db_path(args.db.as_deref(), &db_conf)?;
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
        Some((db, status))
    } else {
        None
    };

    let mut analysis = analyze(
        &args.source,
        scanners,
        scope(args.scope),
        secrets_scope(args.secrets_scope),
        &analysis_config,
        cli.quiet,
    )?;
    if let Some((db, status)) = db {
        let start = Instant::now();
        let report = analysis
            .match_vulnerabilities(&db, &opts, status)
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
    }
    let empty = MatchReport::default();
    let report = analysis.vulnerabilities.as_ref().unwrap_or(&empty);
    let ctx = ScanContext {
        analysis: &analysis,
        sbom: &analysis.sbom,
        report,
        db: analysis.database.as_ref(),
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
        let failing = failing_findings(&analysis, threshold);
        if failing > 0 {
            eprintln!(
                "{failing} finding(s) at or above {threshold} severity (--fail-on {})",
                threshold.as_str().to_lowercase()
            );
            return Ok(ExitCode::from(FAIL_ON_EXIT));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Findings of every scanner at or above `threshold` (secrets and misconfigurations
/// on the same critical/high/medium/low scale; informational checks never count).
fn failing_findings(a: &Analysis, threshold: SeverityLevel) -> usize {
    let level = |s: &str| match s {
        "CRITICAL" => SeverityLevel::Critical,
        "HIGH" => SeverityLevel::High,
        "MEDIUM" => SeverityLevel::Medium,
        "LOW" => SeverityLevel::Low,
        _ => SeverityLevel::Unknown,
    };
    let vulns = a
        .vulnerabilities
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| f.severity >= threshold)
        .count();
    let secrets = a
        .secrets
        .iter()
        .flatten()
        .filter(|s| level(s.finding.severity.as_str()) >= threshold)
        .count();
    let misconfig = a
        .misconfigurations
        .iter()
        .flatten()
        .filter(|m| {
            let l = level(m.severity.as_str());
            l != SeverityLevel::Unknown && l >= threshold
        })
        .count();
    vulns + secrets + misconfig
}
