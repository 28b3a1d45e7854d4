//! Output of `drydock inspect`: secrets, misconfigurations and files as tables, the native
//! JSON and SARIF.

use crate::findings::{add_sarif, analysis_warnings, inspect_fields, sarif_run, write_tables, InspectFields};
use crate::table::write_warnings;
use crate::OutputFormat;
use drydock_analysis::Analysis;
use serde::Serialize;
use std::io::{self, Write};

/// Schema of the native JSON output.
pub const SCHEMA: &str = "https://drydock.dev/schema/inspect/v1.json";

/// A format `drydock inspect` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable tables (`table`).
    Table,
    /// The native JSON document (`json`, `native`, `drydock-json`).
    Json,
    /// SARIF 2.1.0 (`sarif`, `sarif-json`).
    Sarif,
}

impl OutputFormat for Format {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("table", Format::Table),
        ("json", Format::Json),
        ("native", Format::Json),
        ("drydock-json", Format::Json),
        ("sarif", Format::Sarif),
        ("sarif-json", Format::Sarif),
    ];
}

/// The native JSON document of `drydock inspect`.
#[derive(Serialize)]
struct Report<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    source: &'a drydock_model::SourceInfo,
    #[serde(flatten)]
    fields: InspectFields<'a>,
    warnings: Vec<&'a String>,
}

/// Writes the analysis's secrets, misconfigurations and files in one format.
pub fn render(a: &Analysis, format: Format, w: &mut dyn Write) -> io::Result<()> {
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
