//! `drydock inspect`: secrets and misconfigurations (plus content search, retrieved files
//! and package file verification), found in the same single pass over the layers that
//! catalogues packages.

use crate::analysis_run::{analyze, secrets_scope};
use crate::cli::{Cli, InspectArgs};
use crate::config::Config;
use crate::gate;
use crate::output::{parse_outputs, write_outputs};
use crate::progress::{describe, Summary};
use crate::sbom_cmd::sbom_path;
use anyhow::{bail, Result};
use drydock_analysis::Scanners;
use drydock_report::inspect::{render, Format};
use drydock_sbom::Scope;
use std::process::ExitCode;

/// Runs `drydock inspect`.
pub fn run(args: &InspectArgs, cli: &Cli, config: &Config) -> Result<ExitCode> {
    if sbom_path(&args.source.source).is_some() {
        bail!("drydock inspect reads images and directories, not SBOMs\nhint: give an image reference, an archive or dir:PATH");
    }
    let summary = Summary::start();
    let outputs = parse_outputs::<Format>(&args.output)?;
    let scanners = Scanners {
        vuln: false,
        secret: true,
        misconfig: true,
    };
    let mut analysis = analyze(
        &args.source,
        scanners,
        Scope::Squashed,
        secrets_scope(args.secrets_scope),
        &config.analysis,
        cli.quiet,
    )?;
    gate::apply_severity_filter(&mut analysis, &args.gate.severity);
    write_outputs(&outputs, |format, w, _color| render(&analysis, format, w))?;
    summary.finish(cli.quiet, &describe(&analysis));
    Ok(gate::verdict(&analysis, None, &args.gate))
}
