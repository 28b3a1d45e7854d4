//! `drydock scan`: catalogue a source (or read an SBOM), match it against the vulnerability
//! database, write the findings.

use crate::analysis_run::{analyze, load_config, prepare_vulns, scope, secrets_scope};
use crate::cli::{Cli, ScanArgs, SeverityArg};
use crate::db_cmd::config_path;
use crate::output::parse_outputs;
use crate::vuln_output::{write_all, Format as VulnFormat, ScanContext};
use anyhow::Result;
use drydock_analysis::Analysis;
use drydock_match::{MatchReport, SeverityLevel};
use std::process::ExitCode;

/// Exit status when a finding reaches the `--fail-on` severity (distinct from errors, 1, and
/// usage errors, 2).
pub const FAIL_ON_EXIT: u8 = 3;

/// Runs `drydock scan`.
pub fn run(args: &ScanArgs, cli: &Cli) -> Result<ExitCode> {
    let outputs = parse_outputs::<VulnFormat>(&args.output)?;
    let config_file = config_path(args.config.as_deref());
    let scanners = args.scanners;
    let analysis_config = load_config(config_file.as_deref())?;
    // The database first: a missing one fails before a long image read.
    let vulns = prepare_vulns(
        config_file.as_deref(),
        args.db.as_deref(),
        scanners.vuln,
        args.only_fixed,
        args.cpe_fallback,
        &args.vex,
    )?;
    let mut analysis = analyze(
        &args.source,
        scanners,
        scope(args.scope),
        secrets_scope(args.secrets_scope),
        &analysis_config,
        cli.quiet,
    )?;
    vulns.apply(&mut analysis)?;
    let empty = MatchReport::default();
    let report = analysis.vulnerabilities.as_ref().unwrap_or(&empty);
    let ctx = ScanContext {
        analysis: &analysis,
        report,
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
