//! Arguments of the local commands: `sbom`, `scan`, `inspect`, `check`, `policy`, `version`
//! and `completion`, and the source, scope and gate options they share.

use super::*;

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
    /// Add a bundle to the service (JSON or YAML; the service validates it). An account's first bundle
    /// becomes its active one; later ones wait for `policy activate`.
    #[command(after_help = client_help(
        "EXAMPLES:\n  drydock policy add bundle.json\n  drydock policy add bundle.yaml && drydock policy activate prod",
        CLIENT_EXIT
    ))]
    Add {
        /// Bundle file: .json is sent as JSON, anything else as YAML.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// List the service's bundles; the active one is what image checks use.
    #[command(after_help = client_help("EXAMPLES:\n  drydock policy list", CLIENT_EXIT))]
    List {
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Show one of the service's bundles (the whole bundle with -o json).
    #[command(after_help = client_help("EXAMPLES:\n  drydock policy get prod -o json > prod.json", CLIENT_EXIT))]
    Get {
        /// The bundle's id.
        id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Make a bundle the one image checks of your account use.
    #[command(after_help = client_help("EXAMPLES:\n  drydock policy activate prod", CLIENT_EXIT))]
    Activate {
        /// The bundle's id.
        id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Delete a bundle from the service.
    #[command(after_help = client_help("EXAMPLES:\n  drydock policy delete old-rules", CLIENT_EXIT))]
    Delete {
        /// The bundle's id.
        id: String,
        #[command(flatten)]
        client: ClientArgs,
    },
    /// Replace a bundle in the service (the file's bundle id must be ID).
    #[command(after_help = client_help("EXAMPLES:\n  drydock policy update prod bundle.yaml", CLIENT_EXIT))]
    Update {
        /// The bundle's id.
        id: String,
        /// Bundle file: .json is sent as JSON, anything else as YAML.
        #[arg(value_name = "FILE")]
        file: PathBuf,
        #[command(flatten)]
        client: ClientArgs,
    },
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
    #[command(flatten)]
    pub gate: GateArgs,
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
    /// Seconds the image's layers may take to read before the analysis fails (0: no limit;
    /// default 300, or `max_image_seconds` in the configuration's [limits]).
    #[arg(long, env = "DRYDOCK_TIME_BUDGET", value_name = "SECS")]
    pub time_budget: Option<u64>,
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
    /// Report only vulnerabilities that have a fixed version (--ignore-unfixed: Trivy's name).
    #[arg(long, visible_alias = "ignore-unfixed")]
    pub only_fixed: bool,
    /// Exit 1 when a vulnerability is at or above this severity (secrets and misconfigurations
    /// gate with --fail-on-secrets and --fail-on-misconfig).
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on: Option<SeverityArg>,
    #[command(flatten)]
    pub gate: GateArgs,
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
    /// List the image's package-owned and flagged files (with metadata) in the JSON output; left
    /// out by default, as they are most of a big image's document (`drydock inspect` lists them).
    #[arg(long)]
    pub files: bool,
}

/// What fails a CI run besides `--fail-on`, shared by `scan` and `inspect`.
#[derive(Args, Debug, Clone, Default)]
pub struct GateArgs {
    /// Exit 1 when any secret is found.
    #[arg(long)]
    pub fail_on_secrets: bool,
    /// Exit 1 when a misconfiguration is at or above this severity.
    #[arg(long, value_enum, value_name = "SEVERITY")]
    pub fail_on_misconfig: Option<SeverityArg>,
    /// Report only findings of these severities, comma-separated (Trivy's filter):
    /// unknown, negligible, low, medium, high, critical.
    #[arg(long, value_name = "LIST", value_delimiter = ',', ignore_case = true)]
    pub severity: Vec<SeverityFilterArg>,
    /// The exit status when a --fail-on* gate trips (default 1); without any --fail-on* flag,
    /// every reported finding trips it, as Trivy's --exit-code does.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=125))]
    pub exit_code: Option<u8>,
}

/// A severity `--severity` keeps.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeverityFilterArg {
    Unknown,
    Negligible,
    Low,
    Medium,
    High,
    Critical,
}

/// Arguments of `drydock version`.
#[derive(Args, Debug)]
pub struct VersionArgs {
    /// The vulnerability database to describe.
    #[arg(long, env = "DRYDOCK_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// table (default) or json.
    #[arg(short, long = "output", value_enum, default_value = "table", value_name = "FORMAT")]
    pub output: ClientOutput,
}

/// Arguments of `drydock completion`.
#[derive(Args, Debug)]
pub struct CompletionArgs {
    /// The shell to write the script for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Parses `--scanners`.
pub(super) fn parse_scanners(s: &str) -> Result<drydock_analysis::Scanners, String> {
    drydock_analysis::Scanners::parse(s).map_err(|e| e.to_string())
}
