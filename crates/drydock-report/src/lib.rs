//! drydock's printers: every output format of every report (SBOM, vulnerabilities, secrets and
//! misconfigurations, policy evaluations) as a library, so the command line and the service
//! answer in the same formats with the same bytes.
//!
//! Each report is one module with a `Format` enum (its names in [`OutputFormat::NAMES`]) and a
//! `render` function writing one format to any [`std::io::Write`]; the pieces they share are
//! [`table`] (aligned tables, warning lines) and [`sarif`] (the SARIF 2.1.0 envelope).

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod findings;
pub mod inspect;
pub mod policy;
pub mod sarif;
pub mod sbom;
pub mod table;
pub mod vulns;

/// A format name no report knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown output format {name:?}; use one of: {known}")]
pub struct UnknownFormat {
    /// The name asked for.
    pub name: String,
    /// The report's canonical format names, comma-separated.
    pub known: String,
}

/// A report's output formats: their names (the first name of each format is its canonical
/// one) and the default.
pub trait OutputFormat: Copy + PartialEq + 'static {
    /// Every accepted name with its format, canonical names first for each format.
    const NAMES: &'static [(&'static str, Self)];

    /// The format used when none is asked for: a table, on a terminal and a pipe alike (as
    /// Grype, Syft and Trivy do); JSON only when asked for.
    const DEFAULT: Self = Self::NAMES[0].1;

    /// The format a name stands for.
    fn parse(name: &str) -> Result<Self, UnknownFormat> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, f)| *f)
            .ok_or_else(|| UnknownFormat {
                name: name.to_string(),
                known: Self::canonical_names().join(", "),
            })
    }

    /// One name per format, in table order.
    fn canonical_names() -> Vec<&'static str> {
        let mut seen: Vec<Self> = Vec::new();
        let mut names = Vec::new();
        for (n, f) in Self::NAMES {
            if !seen.contains(f) {
                seen.push(*f);
                names.push(*n);
            }
        }
        names
    }
}
