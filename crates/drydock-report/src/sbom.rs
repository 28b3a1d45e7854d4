//! Output of `drydock sbom`: a package table, the native JSON, CycloneDX 1.6, SPDX 2.3.

use crate::table::table;
use crate::OutputFormat;
use drydock_sbom::Sbom;
use std::io::{self, Write};

/// A format `drydock sbom` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable package table (`table`).
    Table,
    /// The native JSON SBOM (`json`, `native`, `drydock-json`).
    Json,
    /// CycloneDX JSON (`cyclonedx-json`, `cyclonedx`, `cdx`).
    CycloneDxJson,
    /// SPDX JSON (`spdx-json`, `spdx`).
    SpdxJson,
}

impl OutputFormat for Format {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("table", Format::Table),
        ("json", Format::Json),
        ("native", Format::Json),
        ("drydock-json", Format::Json),
        ("cyclonedx-json", Format::CycloneDxJson),
        ("cyclonedx", Format::CycloneDxJson),
        ("cdx", Format::CycloneDxJson),
        ("spdx-json", Format::SpdxJson),
        ("spdx", Format::SpdxJson),
    ];
}

/// Writes the SBOM in one format.
pub fn render(sbom: &Sbom, format: Format, w: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Table => write_table(sbom, w),
        Format::Json => {
            serde_json::to_writer_pretty(&mut *w, sbom)?;
            writeln!(w)
        }
        Format::CycloneDxJson => drydock_sbom::formats::write_cyclonedx(sbom, &mut *w),
        Format::SpdxJson => drydock_sbom::formats::write_spdx(sbom, &mut *w),
    }
}

fn write_table(sbom: &Sbom, w: &mut dyn Write) -> io::Result<()> {
    if sbom.packages.is_empty() {
        return writeln!(w, "No packages found.");
    }
    let rows: Vec<Vec<String>> = sbom
        .packages
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.version.clone(),
                p.package_type.to_string(),
                p.layer().map(|l| l.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    table(w, &["NAME", "VERSION", "TYPE", "LAYER"], &rows)
}
