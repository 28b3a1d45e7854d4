//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const SOURCES_HELP: &str = "\
SOURCES:
  alpine:3.20                          an image in a registry (Docker Hub by default)
  registry:127.0.0.1:5000/app:1.0      the same, scheme written out
  docker-archive:image.tar[:repo:tag]  the output of `docker save`
  oci-archive:image.oci.tar[:tag]      an OCI image layout packed in a tar
  oci-dir:path/to/layout[:tag]         an OCI image layout directory
  dir:/                                a directory, e.g. a root filesystem
  sbom:FILE                            an SBOM from another tool (CycloneDX, SPDX, Syft JSON, drydock JSON)
  ./image.tar                          a path: the scheme is detected";

/// drydock — container image security: SBOMs, vulnerabilities, secrets and policy gates.
#[derive(Parser, Debug)]
#[command(name = "drydock", version, about, long_about = None, after_help = SOURCES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// More log output on stderr (-v info, -vv debug, -vvv trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// No progress and no log output except errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// What drydock can do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Catalogue every package in an image or directory and write a bill of materials.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock sbom alpine:3.20\n",
        "  drydock sbom registry:127.0.0.1:5000/fx/bookworm:rich --platform linux/amd64\n",
        "  drydock sbom docker-archive:image.tar -o cyclonedx-json=out.cdx.json -o table\n",
        "  drydock sbom oci-dir:layout:rich --scope all-layers -o json\n",
        "  drydock sbom dir:/\n\n",
        "FORMATS (-o FORMAT[=FILE], repeatable; default: table on a terminal, json otherwise):\n",
        "  table            packages as a table\n",
        "  json             drydock's native JSON (schema versioned in $schema)\n",
        "  cyclonedx-json   CycloneDX 1.6 JSON\n",
        "  spdx-json        SPDX 2.3 JSON"
    ))]
    Sbom(SbomArgs),
    /// Find known vulnerabilities in an image, directory or SBOM.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock scan alpine:3.20\n",
        "  drydock scan docker-archive:image.tar --fail-on high\n",
        "  drydock scan sbom:image.cdx.json -o json=findings.json -o table\n",
        "  drydock scan oci-dir:layout:rich --only-fixed -o sarif=drydock.sarif\n",
        "  drydock scan dir:/ --vex app.openvex.json --config drydock.toml\n",
        "  drydock scan docker-archive:image.tar --scanners secret,misconfig   (no database needed)\n\n",
        "SCANNERS (--scanners, default all): vuln (known vulnerabilities), secret (keys and tokens left in\n",
        "  the layers, always redacted), misconfig (root user, exposed SSH, setuid files, ...). All run in\n",
        "  one pass over the layers; each kind appears in the table, JSON and SARIF outputs.\n\n",
        "FORMATS (-o FORMAT[=FILE], repeatable; default: table on a terminal, json otherwise):\n",
        "  table            findings as a table (severity-coloured on a terminal)\n",
        "  json             drydock's native JSON (schema versioned in $schema)\n",
        "  cyclonedx-json   CycloneDX 1.6 JSON with a vulnerabilities array\n",
        "  sarif            SARIF 2.1.0 (one rule per vulnerability, one result per finding)\n\n",
        "DATABASE: --db, else $DRYDOCK_DB, else $XDG_DATA_HOME/drydock/vulndb.sqlite\n",
        "  (~/.local/share/drydock/vulndb.sqlite); create it with `drydock db build` or `drydock db update`.\n\n",
        "IGNORE RULES: [[ignore]] tables in the --config file (TOML): id, package_name, package_type,\n",
        "  package_version, location_glob, fix_state, reason, expires (YYYY-MM-DD).\n\n",
        "CPE FALLBACK (--cpe-fallback, or [match] cpe_fallback = true): packages without ecosystem data are\n",
        "  matched by CPE against NVD (less precise); their findings are marked (cpe) / matched_by \"cpe\".\n\n",
        "EXIT STATUS:\n",
        "  0  the scan ran (and no finding — vulnerability, secret or misconfiguration — reached --fail-on)\n",
        "  1  error\n",
        "  2  invalid command line\n",
        "  3  a finding at or above the --fail-on severity"
    ))]
    Scan(ScanArgs),
    /// Build, update, inspect and move the vulnerability database.
    Db(DbArgs),
    /// Look beyond packages: secrets left in the layers and misconfigurations.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock inspect docker-archive:image.tar\n",
        "  drydock inspect alpine:3.20 -o json=inspect.json -o table\n",
        "  drydock inspect oci-dir:layout:rich --secrets-scope all-layers -o sarif=drydock.sarif\n\n",
        "FORMATS (-o FORMAT[=FILE], repeatable; default: table on a terminal, json otherwise):\n",
        "  table   findings as a table (secrets always redacted)\n",
        "  json    drydock's native JSON\n",
        "  sarif   SARIF 2.1.0 (one rule per secret rule or check, one result per finding)\n\n",
        "CONFIG (--config FILE, TOML):\n",
        "  [secrets] disable = [\"jwt\"], max_file_size = 10485760, no_default_allow = false\n",
        "  [[secrets.rules]] id, title, severity (CRITICAL|HIGH|MEDIUM|LOW), keywords, regex, entropy, allow, path,\n",
        "    multiline\n",
        "  [[secrets.allow]] id, regex (secret or line), path (regex), rules (ids; empty = all)\n",
        "  [misconfig] world_writable_exceptions, disabled, max_system_uid\n",
        "  [[content_search]] name, regex, paths (prefixes; default every text file)\n",
        "  [retrieve] paths = [\"/etc/passwd\"], max_size = 65536   files stored with the analysis\n",
        "  [files] digests = true   SHA-256 and MD5 of every file (package verification, file digests)"
    ))]
    Inspect(InspectArgs),
    /// Judge an image against a policy bundle: STOP, WARN or GO, and why.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock check alpine:3.20                            the built-in default bundle\n",
        "  drydock check registry:127.0.0.1:5000/app:1.0 --policy bundle.json\n",
        "  drydock check docker-archive:image.tar --tag registry.example/app:1.0 --policy bundle.yaml\n",
        "  drydock check oci-dir:layout:rich -o junit=policy.xml -o table --fail-on-warn\n\n",
        "BUNDLES: Anchore policy bundles (JSON or YAML), v1 (policies, whitelists, mappings,\n",
        "  whitelisted_images, blacklisted_images) or v2 names (rule_sets, allowlists, allowlisted_images,\n",
        "  denylisted_images). `drydock policy describe` lists every gate, trigger and parameter;\n",
        "  `drydock policy validate FILE` checks a bundle. Without --policy (or $DRYDOCK_POLICY) the built-in\n",
        "  default applies: STOP on fixable critical/high vulnerabilities and secrets, WARN on other fixable\n",
        "  vulnerabilities, running as root and a stale database (`drydock policy show-default`).\n\n",
        "MAPPINGS: the image's registry, repository and tag (from the source, or --tag) pick the first\n",
        "  matching mapping. An image no mapping matches is an error (--unmapped go: pass it, as Anchore does).\n\n",
        "FORMATS (-o FORMAT[=FILE], repeatable; default: table on a terminal, json otherwise):\n",
        "  table   final action first, then the triggers grouped by gate\n",
        "  json    the whole evaluation (mapping, every trigger, allowlist matches)\n",
        "  junit   JUnit XML: one test case per rule (for Jenkins and other CI)\n",
        "  sarif   SARIF 2.1.0: one result per trigger (allowlisted ones marked suppressed)\n\n",
        "EXIT STATUS:\n",
        "  0  GO, or WARN without --fail-on-warn\n",
        "  1  STOP, or WARN with --fail-on-warn\n",
        "  2  error (bad bundle, unreadable image, unmapped image, invalid command line)"
    ))]
    Check(CheckArgs),
    /// Validate policy bundles and describe the gates they can use.
    Policy(PolicyArgs),
    /// Run the service: REST API, analysis workers (and, later, watchers) in one process.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock serve                                         SQLite in the data directory, one worker\n",
        "  DRYDOCK_ADMIN_PASSWORD=… drydock serve --listen 0.0.0.0:8228 --db vulndb.sqlite\n",
        "  drydock serve --database postgres://drydock@db:5432/drydock --workers 0   (workers run elsewhere)\n\n",
        "SETTINGS: flags, else DRYDOCK_* environment variables (named on each flag), else defaults.\n",
        "The first start creates the user admin (password from DRYDOCK_ADMIN_PASSWORD, or printed once).\n",
        "Every route but /health and /ready needs HTTP basic auth or an API key (POST /v1/apikeys);\n",
        "the API is described at /v1/openapi.json."
    ))]
    Serve(ServeArgs),
    /// Run analysis workers only, sharing a PostgreSQL database with `drydock serve`.
    Worker(WorkerArgs),
}

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
    /// Analysis configuration (TOML: [secrets], [misconfig], [[content_search]], [retrieve], [files]).
    #[arg(long, env = "DRYDOCK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seconds a worker holds a job before another may take it over (renewed while it works).
    #[arg(long, env = "DRYDOCK_LEASE_SECONDS", default_value = "60", value_name = "SECONDS")]
    pub lease_seconds: u64,
    /// Seconds between polls of an empty queue.
    #[arg(long, env = "DRYDOCK_POLL_SECONDS", default_value = "1", value_name = "SECONDS")]
    pub poll_seconds: u64,
}

/// Arguments of `drydock serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Address to listen on.
    #[arg(long, env = "DRYDOCK_LISTEN", default_value = "127.0.0.1:8228", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// Analysis workers in this process (0: separate `drydock worker` processes do the work).
    #[arg(long, env = "DRYDOCK_WORKERS", default_value = "1", value_name = "N")]
    pub workers: usize,
    /// Password of the first admin user (only used when no user exists).
    #[arg(
        long,
        env = "DRYDOCK_ADMIN_PASSWORD",
        hide_env_values = true,
        value_name = "PASSWORD"
    )]
    pub admin_password: Option<String>,
}

/// Arguments of `drydock worker`.
#[derive(Args, Debug)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub service: ServiceArgs,
    /// Worker threads in this process.
    #[arg(long, env = "DRYDOCK_WORKERS", default_value = "1", value_name = "N")]
    pub workers: usize,
}

/// Arguments of `drydock check`.
#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Policy bundle (Anchore JSON or YAML); the built-in default when absent.
    #[arg(long, env = "DRYDOCK_POLICY", value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The tag mappings see (registry/repository:tag), for sources that have none or another.
    #[arg(long, value_name = "TAG")]
    pub tag: Option<String>,
    /// Exit 1 on WARN too.
    #[arg(long)]
    pub fail_on_warn: bool,
    /// What an image no mapping matches gets: error (default) or go (Anchore's behaviour).
    #[arg(long, value_enum, default_value = "error")]
    pub unmapped: UnmappedArg,
    /// Output format, optionally to a file: FORMAT[=FILE]. Repeatable.
    #[arg(short, long = "output", value_name = "FORMAT[=FILE]")]
    pub output: Vec<String>,
    /// Vulnerability database (SQLite file).
    #[arg(long, env = "DRYDOCK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Configuration file (TOML): [secrets], [misconfig], [[content_search]], [retrieve], [[ignore]], [db].
    #[arg(long, env = "DRYDOCK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Scanners to run, comma-separated: vuln, secret, misconfig (default: all three).
    #[arg(long, value_name = "LIST", default_value = "vuln,secret,misconfig", value_parser = parse_scanners)]
    pub scanners: drydock_analysis::Scanners,
}

/// What an unmapped image gets.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnmappedArg {
    Error,
    Go,
}

/// Arguments of `drydock policy`.
#[derive(Args, Debug)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

/// `drydock policy` subcommands.
#[derive(Subcommand, Debug)]
pub enum PolicyCommand {
    /// Check a bundle: every problem is listed with the rule (or item, or mapping) it is in.
    Validate {
        /// Bundle files (JSON or YAML).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List the gates, their triggers and parameters (all gates, or one).
    Describe {
        /// Only this gate.
        gate: Option<String>,
        /// table (default) or json.
        #[arg(short, long = "output", default_value = "table", value_name = "FORMAT")]
        output: String,
    },
    /// Print the built-in default bundle (JSON), a starting point for your own.
    ShowDefault,
}

/// Which files secrets are reported for.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretsScopeArg {
    /// Files a container started from the image sees.
    Squashed,
    /// Every layer, including secrets later layers deleted (still in the image's blobs).
    AllLayers,
}

/// Arguments of `drydock inspect`.
#[derive(Args, Debug)]
pub struct InspectArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format, optionally to a file: FORMAT[=FILE]. Repeatable.
    #[arg(short, long = "output", value_name = "FORMAT[=FILE]")]
    pub output: Vec<String>,
    /// squashed (default) or all-layers.
    #[arg(long, value_enum, default_value = "squashed")]
    pub secrets_scope: SecretsScopeArg,
    /// Configuration file (TOML) with [secrets] and [misconfig] tables.
    #[arg(long, env = "DRYDOCK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Which files a scan looks at.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeArg {
    /// What a container started from the image sees (deleted files are gone).
    Squashed,
    /// Every layer, including what later layers deleted.
    AllLayers,
}

/// Options shared by every command that reads a source.
#[derive(Args, Debug, Clone)]
pub struct SourceArgs {
    /// The image or directory to read (see SOURCES below).
    pub source: String,
    /// Platform to pick from a multi-arch image, e.g. linux/amd64 or linux/arm64/v8 (default: this machine's).
    #[arg(long)]
    pub platform: Option<String>,
    /// Registry (host[:port]) that may be reached over plain HTTP; loopback registries always may. Repeatable.
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    /// User name for the registry (otherwise docker's config.json and credential helpers are used).
    #[arg(long, env = "DRYDOCK_REGISTRY_USERNAME")]
    pub username: Option<String>,
    /// Password or token for --username (prefer the environment variable to the flag).
    #[arg(long, env = "DRYDOCK_REGISTRY_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Read every layer again instead of reusing cached layer results.
    #[arg(long)]
    pub no_cache: bool,
    /// Where cached layer results live (default: $XDG_CACHE_HOME/drydock or ~/.cache/drydock).
    #[arg(long, env = "DRYDOCK_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Layers read at once (default: number of CPUs).
    #[arg(long, value_name = "N")]
    pub parallelism: Option<usize>,
}

/// Arguments of `drydock sbom`.
#[derive(Args, Debug)]
pub struct SbomArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format, optionally to a file: FORMAT[=FILE]. Repeatable.
    #[arg(short, long = "output", value_name = "FORMAT[=FILE]")]
    pub output: Vec<String>,
    /// squashed (default) or all-layers.
    #[arg(long, value_enum, default_value = "squashed")]
    pub scope: ScopeArg,
}

/// A severity threshold.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeverityArg {
    /// Negligible and above.
    Negligible,
    /// Low and above.
    Low,
    /// Medium and above.
    Medium,
    /// High and above.
    High,
    /// Critical only.
    Critical,
}

/// Arguments of `drydock scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output format, optionally to a file: FORMAT[=FILE]. Repeatable.
    #[arg(short, long = "output", value_name = "FORMAT[=FILE]")]
    pub output: Vec<String>,
    /// squashed (default) or all-layers.
    #[arg(long, value_enum, default_value = "squashed")]
    pub scope: ScopeArg,
    /// The vulnerability database file.
    #[arg(long, env = "DRYDOCK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Report only vulnerabilities that have a fixed version.
    #[arg(long)]
    pub only_fixed: bool,
    /// Exit with status 3 when a finding is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    /// Configuration file (TOML) with [[ignore]] rules.
    #[arg(long, alias = "ignore-file", env = "DRYDOCK_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// VEX document (OpenVEX or CycloneDX VEX JSON); not_affected statements remove findings. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Also match packages with no ecosystem data (classified binaries, OS packages without a known distro) by
    /// their CPEs against NVD's criteria. Less precise (NVD names products, not packages): such findings are
    /// labelled "cpe" (the table shows "CVE-… (cpe)"). Also `[match] cpe_fallback = true` in the --config file.
    #[arg(long)]
    pub cpe_fallback: bool,
    /// Scanners to run, comma-separated: vuln, secret, misconfig (default: all three).
    #[arg(long, value_name = "LIST", default_value = "vuln,secret,misconfig", value_parser = parse_scanners)]
    pub scanners: drydock_analysis::Scanners,
    /// Files secrets are reported for: squashed (default) or all-layers.
    #[arg(long, value_enum, default_value = "squashed")]
    pub secrets_scope: SecretsScopeArg,
}

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

/// Parses `--scanners`.
fn parse_scanners(s: &str) -> Result<drydock_analysis::Scanners, String> {
    drydock_analysis::Scanners::parse(s).map_err(|e| e.to_string())
}
