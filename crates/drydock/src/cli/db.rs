//! Arguments of `drydock db`.

use super::*;

/// Arguments of `drydock db`.
#[derive(Args, Debug)]
pub struct DbArgs {
    #[command(subcommand)]
    pub command: DbCommand,
    /// The vulnerability database file.
    #[arg(long, env = "DRYDOCK_DB", value_name = "PATH", global = true)]
    pub db: Option<PathBuf>,
    /// Configuration file (TOML; [db] section: sources, extra_sources, drop_ids, max_age_days, cache_dir).
    #[arg(long, env = "DRYDOCK_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
}

/// What `drydock db` can do.
#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Build the database from local copies of the feeds (OSV directories or all.zip, Alpine secdb,
    /// Debian tracker JSON, RustSec advisory-db, NVD JSON, CISA KEV JSON, EPSS CSV).
    Build {
        /// A feed directory or file, or a tree of them (osv/, alpine/, kev/, rustsec/…). Repeatable.
        #[arg(long = "from", value_name = "DIR", required = true)]
        from: Vec<PathBuf>,
        /// Where to write the database (default: --db or the default path).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// Leave out the advisory with this id (or alias). Repeatable.
        #[arg(long = "drop-id", value_name = "ID")]
        drop_ids: Vec<String>,
    },
    /// Download the feeds listed in the configuration (or the public ones) and rebuild the database.
    Update {
        /// Where downloads are kept between runs (default: $XDG_CACHE_HOME/drydock/feeds).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
        /// Instead of the feeds, download the database a drydock service exports
        /// (`https://drydock.internal/v1/feeds/db`), authenticated by DRYDOCK_API_KEY or
        /// DRYDOCK_USER and DRYDOCK_PASSWORD, and import it atomically.
        #[arg(long, value_name = "URL")]
        from_url: Option<String>,
    },
    /// Show the database's age, sources and counts.
    Status {
        /// Warn when the database is older than this many days (default: the configuration's, else 7).
        #[arg(long, value_name = "DAYS")]
        max_age_days: Option<u64>,
        /// table (default) or json.
        #[arg(short, long = "output", value_name = "FORMAT", default_value = "table")]
        output: String,
    },
    /// Write the database as one compressed, checksummed file (for air-gapped sites).
    Export {
        /// The export file to write.
        file: PathBuf,
    },
    /// Replace the database with an exported file, atomically (a bad file leaves the old one in use).
    Import {
        /// The export file to read.
        file: PathBuf,
    },
}
