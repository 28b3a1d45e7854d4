//! Arguments of `drydock serve` and `drydock worker`.

use super::*;

/// Settings shared by `serve` and `worker`.
#[derive(Args, Debug)]
pub struct ServiceArgs {
    /// `postgres://…` or a SQLite file (default: drydock.sqlite in --data-dir).
    #[arg(long, env = "DRYDOCK_DATABASE", value_name = "URL")]
    pub database: Option<String>,
    /// Where the SQLite database and the layer cache live.
    #[arg(long, env = "DRYDOCK_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Vulnerability database the workers match against.
    #[arg(long, env = "DRYDOCK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Registries (host[:port]) that may be spoken to over plain HTTP (loopback always may).
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// Let image adds pull from loopback, private and link-local addresses (refused by
    /// default, except for the hosts of configured registries, so users cannot make the
    /// server reach into its own network).
    #[arg(long, env = "DRYDOCK_ALLOW_INTERNAL_REGISTRIES")]
    pub allow_internal_registries: bool,
    /// Configuration (TOML): [server] settings, the analysis sections ([secrets], [misconfig],
    /// [[content_search]], [retrieve], [files]), [[ignore]] rules applied to every match, and
    /// [db] feeds the server downloads.
    #[arg(long, env = "DRYDOCK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// OpenVEX or CycloneDX VEX document applied to every match (repeatable; adds to [server] vex).
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Seconds a worker holds a job before another may take it over (renewed while it works; default 60).
    #[arg(long, env = "DRYDOCK_LEASE_SECONDS", value_name = "SECONDS")]
    pub lease_seconds: Option<u64>,
    /// Seconds between polls of an empty queue (default 1).
    #[arg(long, env = "DRYDOCK_POLL_SECONDS", value_name = "SECONDS")]
    pub poll_seconds: Option<u64>,
}

/// Arguments of `drydock serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Address to listen on (default 127.0.0.1:8228).
    #[arg(long, env = "DRYDOCK_LISTEN", value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// Analysis workers in this process (default 1; 0: separate `drydock worker` processes do the work).
    #[arg(long, env = "DRYDOCK_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
    /// Password of the first admin user (only used when no user exists).
    #[arg(
        long,
        env = "DRYDOCK_ADMIN_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub admin_password: Option<String>,
    /// Seconds between watcher passes: watched tags polled for new digests, stored analyses
    /// re-matched after a database change (default 300).
    #[arg(long, env = "DRYDOCK_WATCH_SECONDS", value_name = "SECONDS")]
    pub watch_seconds: Option<u64>,
    /// Days of tag history, events, notification deliveries and audit records to keep (default: all).
    #[arg(long, env = "DRYDOCK_RETENTION_DAYS", value_name = "DAYS")]
    pub retention_days: Option<u64>,
    /// Let webhooks call loopback, private and link-local addresses (refused by default so
    /// users cannot make the server reach into its own network).
    #[arg(long, env = "DRYDOCK_ALLOW_INTERNAL_WEBHOOKS")]
    pub allow_internal_webhooks: bool,
    /// Keep the vulnerability database a copy of another drydock's (its /v1/feeds/db, with an
    /// API key from DRYDOCK_FEED_API_KEY); without it, a [db] section in --config makes the
    /// server download and build feeds as `drydock db update` does.
    #[arg(long, env = "DRYDOCK_FEED_URL", value_name = "URL")]
    pub feed_url: Option<String>,
    /// Seconds between feed updates when a feed source is configured (default 21600, six
    /// hours; 0: only on POST /v1/feeds/update).
    #[arg(long, env = "DRYDOCK_FEED_SECONDS", value_name = "SECONDS")]
    pub feed_seconds: Option<u64>,
    /// MiB of analysis documents the API keeps parsed between requests (default 256; 0: parse
    /// the stored document on every request).
    #[arg(long, env = "DRYDOCK_ANALYSIS_CACHE_MB", value_name = "MIB")]
    pub analysis_cache_mb: Option<usize>,
    /// Start without a vulnerability database (no --db file, no --feed-url, no [db] feeds):
    /// analyses are then not matched against vulnerability data, and every image check says
    /// so (vulnerability_data_unavailable). Without this flag serve refuses to start.
    #[arg(long, env = "DRYDOCK_ALLOW_NO_DB", value_parser = clap::builder::BoolishValueParser::new())]
    pub allow_no_db: bool,
}

/// Arguments of `drydock worker`.
#[derive(Args, Debug)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Worker threads in this process (default 1).
    #[arg(long, env = "DRYDOCK_WORKERS", value_name = "N")]
    pub workers: Option<usize>,
}
