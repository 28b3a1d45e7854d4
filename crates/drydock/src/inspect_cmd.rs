//! `drydock inspect`: secrets and misconfigurations (plus content search, retrieved files
//! and package file verification), found in the same single pass over the layers that
//! catalogues packages.

use crate::analysis_run::{analyze, load_config, secrets_scope};
use crate::cli::{Cli, InspectArgs};
use crate::db_cmd::config_path;
use crate::findings_output::{add_sarif, analysis_warnings, inspect_fields, sarif_run, write_tables, InspectFields};
use crate::gate;
use crate::output::{parse_outputs, write_outputs, write_warnings, OutputFormat};
use crate::progress::{describe, Summary};
use crate::sbom_cmd::sbom_path;
use anyhow::{bail, Result};
use drydock_analysis::{Analysis, Scanners};
use drydock_sbom::Scope;
use serde::Serialize;
use std::io::{self, Write};
use std::process::ExitCode;

/// Schema of the native JSON output.
const SCHEMA: &str = "https://drydock.dev/schema/inspect/v1.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Sarif,
}

impl OutputFormat for Format {
    fn parse(name: &str) -> Result<Self> {
        Ok(match name {
            "table" => Format::Table,
            "json" | "native" | "drydock-json" => Format::Json,
            "sarif" | "sarif-json" => Format::Sarif,
            other => bail!("unknown output format {other:?}; use one of: table, json, sarif"),
        })
    }
    const DEFAULT: Self = Format::Table;
}

/// The native JSON document of `drydock inspect`.
#[derive(Serialize)]
struct Report<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    source: &'a drydock_image::SourceInfo,
    #[serde(flatten)]
    fields: InspectFields<'a>,
    warnings: Vec<&'a String>,
}

/// Runs `drydock inspect`.
pub fn run(args: &InspectArgs, cli: &Cli) -> Result<ExitCode> {
    if sbom_path(&args.source.source).is_some() {
        bail!("drydock inspect reads images and directories, not SBOMs\nhint: give an image reference, an archive or dir:PATH");
    }
    let summary = Summary::start();
    let outputs = parse_outputs::<Format>(&args.output)?;
    let config = load_config(config_path(args.config.as_deref()).as_deref())?;
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
        &config,
        cli.quiet,
    )?;
    gate::apply_severity_filter(&mut analysis, &args.gate.severity);
    write_outputs(&outputs, |format, w, _color| render(&analysis, format, w))?;
    summary.finish(cli.quiet, &describe(&analysis));
    Ok(gate::verdict(&analysis, None, &args.gate))
}

fn render(a: &Analysis, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => {
            write_tables(a, w, false)?;
            write_warnings(w, &analysis_warnings(a))
        }
        Format::Json => {
            let report = Report {
                schema: SCHEMA,
                source: &a.image().source,
                fields: inspect_fields(a),
                warnings: analysis_warnings(a),
            };
            serde_json::to_writer_pretty(&mut *w, &report)?;
            writeln!(w)
        }
        Format::Sarif => {
            let mut run = sarif_run(a);
            add_sarif(&mut run, a);
            run.add_warnings(analysis_warnings(a));
            serde_json::to_writer_pretty(&mut *w, &run.to_json())?;
            writeln!(w)
        }
    }
}
