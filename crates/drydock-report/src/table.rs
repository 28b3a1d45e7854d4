//! Aligned text tables and the warning lines under them, shared by every table output.

use std::io::{self, Write};

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

/// How many warnings a table shows before it points at the JSON output for the rest.
const TABLE_WARNINGS: usize = 20;

/// Writes the warnings after a table, one `warning:` line each (the first
/// [`TABLE_WARNINGS`], then how many more the JSON output lists).
pub fn write_warnings<S: AsRef<str>>(w: &mut dyn Write, warnings: &[S]) -> io::Result<()> {
    if warnings.is_empty() {
        return Ok(());
    }
    writeln!(w)?;
    for warning in warnings.iter().take(TABLE_WARNINGS) {
        writeln!(w, "warning: {}", warning.as_ref())?;
    }
    if warnings.len() > TABLE_WARNINGS {
        writeln!(
            w,
            "warning: … and {} more (all are in the json output's warnings)",
            warnings.len() - TABLE_WARNINGS
        )?;
    }
    Ok(())
}
