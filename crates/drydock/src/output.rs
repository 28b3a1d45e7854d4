//! Output formats and where each goes (`-o FORMAT[=FILE]`), and the pieces every
//! command's output shares: aligned tables and the SARIF envelope.

use anyhow::{bail, Context, Result};
use drydock_sbom::Sbom;
use serde_json::{json, Value};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

/// A format drydock can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
    CycloneDxJson,
    SpdxJson,
}

impl Format {
    fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "table" => Format::Table,
            "json" | "native" | "drydock-json" => Format::Json,
            "cyclonedx-json" | "cyclonedx" | "cdx" => Format::CycloneDxJson,
            "spdx-json" | "spdx" => Format::SpdxJson,
            other => bail!("unknown output format {other:?}; use one of: table, json, cyclonedx-json, spdx-json"),
        })
    }
}

/// A command's output formats: their names on the command line and the default.
pub trait OutputFormat: Copy {
    /// Parses a format name given to `-o`.
    fn parse(name: &str) -> Result<Self>;
    /// The format used without `-o`: a table, on a terminal and a pipe alike (as Grype, Syft
    /// and Trivy do); JSON only when asked for.
    const DEFAULT: Self;
}

impl OutputFormat for Format {
    fn parse(name: &str) -> Result<Self> {
        Format::parse(name)
    }
    const DEFAULT: Self = Format::Table;
}

/// One requested output.
#[derive(Debug, Clone)]
pub struct OutputSpec<F> {
    pub format: F,
    /// `None` for standard output.
    pub file: Option<PathBuf>,
}

/// Parses the `-o FORMAT[=FILE]` values of any command.
pub fn parse_outputs<F: OutputFormat>(values: &[String]) -> Result<Vec<OutputSpec<F>>> {
    if values.is_empty() {
        return Ok(vec![OutputSpec {
            format: F::DEFAULT,
            file: None,
        }]);
    }
    let mut specs = Vec::new();
    for v in values {
        let (f, file) = match v.split_once('=') {
            Some((f, path)) if !path.is_empty() => (f, Some(PathBuf::from(path))),
            Some((_, _)) => bail!("output {v:?} names no file after '='"),
            None => (v.as_str(), None),
        };
        specs.push(OutputSpec {
            format: F::parse(f)?,
            file,
        });
    }
    if specs.iter().filter(|s| s.file.is_none()).count() > 1 {
        bail!("more than one output goes to standard output; give all but one a file (-o FORMAT=FILE)");
    }
    let mut files: Vec<&PathBuf> = specs.iter().filter_map(|s| s.file.as_ref()).collect();
    files.sort();
    if let Some(w) = files.windows(2).find(|w| w[0] == w[1]) {
        bail!(
            "two outputs go to the same file {}; give each -o its own file",
            w[0].display()
        );
    }
    for path in files {
        check_writable(path)?;
    }
    Ok(specs)
}

/// Fails now, before any work, when an output file cannot be written (missing directory, no
/// permission); a file that did not exist is not left behind, one that did is not truncated.
fn check_writable(path: &Path) -> Result<()> {
    let existed = path.exists();
    if path.is_dir() {
        bail!(
            "output file {} is a directory; name a file (-o FORMAT=FILE)",
            path.display()
        );
    }
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| {
            format!(
                "cannot write output file {} (checked before the scan starts); does its directory exist?",
                path.display()
            )
        })?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Writes every requested output with `render(format, writer, colour)`; colour is
/// offered only for a terminal without `NO_COLOR`, and a closed pipe is not an error.
pub fn write_outputs<F: Copy>(
    specs: &[OutputSpec<F>],
    render: impl Fn(F, &mut dyn Write, bool) -> io::Result<()>,
) -> Result<()> {
    for spec in specs {
        match &spec.file {
            Some(path) => {
                let f = File::create(path).with_context(|| format!("cannot create output file {}", path.display()))?;
                let mut w = BufWriter::new(f);
                render(spec.format, &mut w, false)
                    .and_then(|_| w.flush())
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            None => {
                let color = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                let stdout = io::stdout();
                let mut w = BufWriter::new(stdout.lock());
                match render(spec.format, &mut w, color).and_then(|_| w.flush()) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
                    Err(e) => return Err(e).context("cannot write to standard output"),
                }
            }
        }
    }
    Ok(())
}

/// Writes the SBOM in every requested format.
pub fn write_all(sbom: &Sbom, specs: &[OutputSpec<Format>]) -> Result<()> {
    write_outputs(specs, |format, w, _color| render(sbom, format, w))
}

fn render(sbom: &Sbom, format: Format, w: &mut dyn Write) -> io::Result<()> {
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

/// Writes an aligned table: every column but the last padded to its widest cell.
pub fn table(w: &mut dyn Write, header: &[&str], rows: &[Vec<String>]) -> io::Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{:<width$}  ", c, width = widths[i]));
            }
        }
        s
    };
    writeln!(w, "{}", line(header.to_vec()))?;
    for r in rows {
        writeln!(w, "{}", line(r.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}

/// An empty SARIF 2.1.0 document with drydock as the tool.
pub fn empty_sarif() -> Value {
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "drydock",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://drydock.dev",
                "rules": [],
            }},
            "results": [],
        }]
    })
}
