//! `drydock scan`: catalogue a source (or read an SBOM), match it against the vulnerability
//! database, write the findings.

use crate::analysis_run::{analyze, prepare_vulns, scope, secrets_scope};
use crate::cli::{Cli, ScanArgs};
use crate::config::Config;
use crate::gate;
use crate::output::{parse_outputs, write_outputs};
use crate::progress::{describe, Summary};
use anyhow::Result;
use drydock_match::MatchReport;
use drydock_report::vulns::{render, Format, ScanContext};
use std::process::ExitCode;

/// Runs `drydock scan`.
pub fn run(args: &ScanArgs, cli: &Cli, config: &Config) -> Result<ExitCode> {
    let summary = Summary::start();
    let outputs = parse_outputs::<Format>(&args.output)?;
    let scanners = args.scanners;
    // The database first: a missing one fails before a long image read.
    let vulns = prepare_vulns(
        config,
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
        &config.analysis,
        cli.quiet,
    )?;
    vulns.apply(&mut analysis)?;
    gate::apply_severity_filter(&mut analysis, &args.gate.severity);
    let empty = MatchReport::default();
    let report = analysis.vulnerabilities.as_ref().unwrap_or(&empty);
    let ctx = ScanContext {
        analysis: &analysis,
        report,
        files: args.files,
    };
    write_outputs(&outputs, |format, w, color| render(&ctx, format, w, color))?;
    summary.finish(cli.quiet, &describe(&analysis));
    Ok(gate::verdict(&analysis, args.fail_on, &args.gate))
}
