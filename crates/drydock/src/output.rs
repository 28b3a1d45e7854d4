//! Where each output goes (`-o FORMAT[=FILE]`): parsed and checked before any work, then
//! written to files or standard output. The formats themselves are `drydock_report`'s.

use anyhow::{bail, Context, Result};
use drydock_report::OutputFormat;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};

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
            format: F::parse(f).map_err(|e| anyhow::anyhow!("{e} (see --help: FORMATS)"))?,
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
