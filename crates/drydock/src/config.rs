//! The configuration file (`--config FILE`, TOML): read and checked once, at the edge, into
//! one [`Config`] whose sections are typed; each command takes the sections it uses by
//! reference, and each library receives its own section, never the file.

use crate::db_cmd::DbConfig;
use crate::serve_cmd::ServerSection;
use anyhow::{anyhow, bail, Context, Result};
use drydock_analysis::{AnalysisConfig, ContentSearchSpec, FilesConfig, RetrieveConfig};
use drydock_image::Limits;
use drydock_inspect::misconfig::MisconfigOptions;
use drydock_inspect::secrets::SecretsConfig;
use drydock_match::{IgnoreEntry, MatchConfig, MatchSection};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Largest configuration file read.
const MAX_CONFIG_BYTES: u64 = 4 << 20;

/// Every top-level table of the configuration file, and who reads it.
pub const CONFIG_SECTIONS: &[(&str, &str)] = &[
    ("secrets", "secret scanning rules and allow lists"),
    ("misconfig", "misconfiguration checks"),
    ("content_search", "named regexes run over text files"),
    ("retrieve", "files stored with the analysis"),
    ("files", "file digests"),
    ("limits", "what one image may cost"),
    ("ignore", "vulnerability ignore rules"),
    ("match", "matching options (cpe_fallback)"),
    ("db", "the vulnerability database and its feeds"),
    ("server", "drydock serve and drydock worker settings"),
];

/// The whole configuration, each section checked and typed (defaults when there is no file).
#[derive(Debug, Default)]
pub struct Config {
    /// `[secrets]`, `[misconfig]`, `[[content_search]]`, `[retrieve]`, `[files]`, `[limits]`:
    /// what `drydock-analysis` needs to analyse an image.
    pub analysis: AnalysisConfig,
    /// `[[ignore]]` and `[match]`, checked: what `drydock-match` needs.
    pub matching: MatchConfig,
    /// `[db]`: the vulnerability database and its feeds.
    pub db: DbConfig,
    /// `[server]`: `drydock serve` and `drydock worker` settings.
    pub server: ServerSection,
}

/// The file as written: every section, unknown keys refused at every level.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    secrets: SecretsConfig,
    misconfig: MisconfigOptions,
    content_search: Vec<ContentSearchSpec>,
    retrieve: RetrieveConfig,
    files: FilesConfig,
    limits: Limits,
    ignore: Vec<IgnoreEntry>,
    #[serde(rename = "match")]
    matching: MatchSection,
    db: DbConfig,
    server: ServerSection,
}

/// The configuration file to read: the given one, else `$XDG_CONFIG_HOME/drydock/config.toml`
/// (`~/.config/drydock/config.toml`) when it exists.
pub fn config_path(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = given {
        return Some(p.to_path_buf());
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let p = base.join("drydock").join("config.toml");
    p.is_file().then_some(p)
}

impl Config {
    /// Reads and checks the configuration file at `path` (defaults when `None`).
    pub fn load(path: Option<&Path>) -> Result<Config> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = read_text(path)?;
        Config::parse(&text, path)
    }

    /// Checks a configuration text read from `path`: an unknown section is refused with the
    /// closest known one (a misspelt `[secret]` would otherwise be silently ignored), an
    /// unknown key by its section's reader.
    fn parse(text: &str, path: &Path) -> Result<Config> {
        let table: toml::Table = toml::from_str(text).map_err(|e| anyhow!("configuration {}: {e}", path.display()))?;
        for key in table.keys() {
            check_section(key, path)?;
        }
        let file: ConfigFile = toml::from_str(text).map_err(|e| anyhow!("configuration {}: {e}", path.display()))?;
        let origin = path.display().to_string();
        let matching = MatchConfig::from_sections(file.ignore, &file.matching, &origin)?;
        Ok(Config {
            analysis: AnalysisConfig {
                secrets: file.secrets,
                misconfig: file.misconfig,
                content_search: file.content_search,
                retrieve: file.retrieve,
                files: file.files,
                limits: file.limits,
            },
            matching,
            db: file.db,
            server: file.server,
        })
    }
}

/// Reads a configuration file (at most 4 MiB) as text.
fn read_text(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read configuration {}", path.display()))?;
    if meta.len() > MAX_CONFIG_BYTES {
        bail!("configuration {} is larger than 4 MiB", path.display());
    }
    std::fs::read_to_string(path).with_context(|| format!("cannot read configuration {}", path.display()))
}

/// Refuses a top-level table that is not one of [`CONFIG_SECTIONS`], naming the closest.
fn check_section(key: &str, path: &Path) -> Result<()> {
    if CONFIG_SECTIONS.iter().any(|(name, _)| *name == key) {
        return Ok(());
    }
    let near = CONFIG_SECTIONS
        .iter()
        .map(|(name, _)| *name)
        .find(|name| name.starts_with(key) || key.starts_with(name))
        .map(|name| format!(" (did you mean [{name}]?)"))
        .unwrap_or_default();
    let known: Vec<&str> = CONFIG_SECTIONS.iter().map(|(name, _)| *name).collect();
    bail!(
        "configuration {}: unknown section [{key}]{near}; the sections are {}",
        path.display(),
        known.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(text, Path::new("drydock.toml"))
    }

    #[test]
    fn every_listed_section_is_read_and_no_other() {
        let text = "[secrets]\n[misconfig]\n[[content_search]]\nname = \"t\"\nregex = \"T\"\n[retrieve]\n\
                    [files]\ndigests = false\n[limits]\nmax_image_seconds = 9\n[[ignore]]\nid = \"CVE-1\"\n\
                    [match]\ncpe_fallback = true\n[db]\nmax_age_days = 3\n[server]\nworkers = 2\n";
        let c = parse(text).unwrap();
        let written: toml::Table = toml::from_str(text).unwrap();
        let listed: Vec<&str> = CONFIG_SECTIONS.iter().map(|(n, _)| *n).collect();
        let mut keys: Vec<&str> = written.keys().map(String::as_str).collect();
        keys.sort_unstable();
        let mut sorted = listed.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "the test writes every listed section");
        assert_eq!(c.analysis.content_search.len(), 1);
        assert!(!c.analysis.files.digests);
        assert_eq!(c.analysis.limits.max_image_seconds, 9);
        assert_eq!(c.matching.ignore.len(), 1);
        assert!(c.matching.cpe_fallback);
        assert_eq!(c.db.max_age_days, Some(3));
    }

    #[test]
    fn a_misspelt_section_names_the_closest_and_the_file() {
        let e = parse("[secret]\n").unwrap_err().to_string();
        assert!(
            e.contains("drydock.toml") && e.contains("did you mean [secrets]?"),
            "{e}"
        );
        let e = parse("[match]\ncpe_falback = true\n").unwrap_err().to_string();
        assert!(e.contains("drydock.toml") && e.contains("cpe_falback"), "{e}");
        let e = parse("[[ignore]]\nreason = \"all\"\n").unwrap_err().to_string();
        assert!(e.contains("drydock.toml") && e.contains("no criterion"), "{e}");
    }
}
