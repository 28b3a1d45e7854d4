//! Arguments of the commands that talk to a drydock service (`image`, `user`, `apikey`,
//! `event`, `system`, `account`, `subscription`, `webhook`, `notification`, `registry`,
//! `diff`, `query`, `feeds`).

use super::*;

/// How client commands print the service's answers: readable tables, or the JSON as is.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientOutput {
    Table,
    Json,
}

/// Where the service is and how client commands log in (passwords only from the environment).
#[derive(Args, Debug, Clone)]
pub struct ClientArgs {
    /// URL of the drydock service.
    #[arg(
        long,
        env = "DRYDOCK_URL",
        default_value = "http://127.0.0.1:8228",
        global = true,
        value_name = "URL"
    )]
    pub url: String,
    /// User to log in as (else $DRYDOCK_API_KEY, else $DRYDOCK_USER); the password comes from $DRYDOCK_PASSWORD,
    /// or is asked on a terminal.
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// Act on this account instead of your own (admins only).
    #[arg(long, env = "DRYDOCK_ACCOUNT", global = true, value_name = "ACCOUNT")]
    pub as_account: Option<String>,
    /// table (default) or json (the service's answer as is).
    #[arg(
        short,
        long = "output",
        value_enum,
        default_value = "table",
        global = true,
        value_name = "FORMAT"
    )]
    pub output: ClientOutput,
}

/// The exit statuses of the client commands.
pub(super) const CLIENT_EXIT: &str = "  0  done\n  2  error: the service refused or failed (its error and hint are printed), invalid command\n     line or missing credentials";

/// The --help epilogue of a client command: its examples, how to connect, its exit statuses.
pub(super) fn client_help(examples: &str, exit: &str) -> String {
    format!(
        "{examples}\n\n\
         CONNECTING:\n  \
         --url, else DRYDOCK_URL, else http://127.0.0.1:8228 (where `drydock serve` listens by default).\n  \
         Log in with --user NAME (password from DRYDOCK_PASSWORD, or asked on a terminal), else with\n  \
         DRYDOCK_API_KEY (see `drydock apikey create`), else as DRYDOCK_USER with DRYDOCK_PASSWORD.\n  \
         Passwords are never command-line arguments. Admins act on another account with --as-account\n  \
         (or DRYDOCK_ACCOUNT).\n\n\
         OUTPUT: -o table (default) or -o json (the service's JSON answer as is).\n\n\
         EXIT STATUS:\n{exit}"
    )
}

/// Arguments of `drydock image`.
#[derive(Args, Debug)]
pub struct ImageArgs {
    #[command(subcommand)]
    pub command: ImageCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// SBOM formats the service writes.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbomFormatArg {
    /// drydock's own JSON (a package table without -o json).
    Native,
    /// CycloneDX 1.6 JSON.
    Cyclonedx,
    /// SPDX 2.3 JSON.
    Spdx,
}

/// `drydock image` subcommands.
#[derive(Subcommand, Debug)]
pub enum ImageCommand {
    /// Add an image by tag: the service queues its analysis (with --wait, until it is done).
    /// An image is its manifest digest: a tag whose digest the service already analysed
    /// returns that image and queues nothing, unless --force.
    Add {
        /// An image in a registry, e.g. registry.example.com/team/app:1.0.
        tag: String,
        /// Analyse again even when the digest already has an analysis (the new one replaces it).
        #[arg(long)]
        force: bool,
        /// Wait until the analysis is done (analyzed: exit 0; failed or timed out: exit 1).
        #[arg(long)]
        wait: bool,
        /// Seconds --wait waits.
        #[arg(long, default_value = "600", value_name = "SECS")]
        timeout: u64,
    },
    /// List images, newest first.
    List {
        /// Only images in this state.
        #[arg(long, value_parser = ["queued", "analyzing", "analyzed", "failed"])]
        status: Option<String>,
        /// Only images from this registry (host[:port]).
        #[arg(long, value_name = "REGISTRY")]
        registry: Option<String>,
        /// Only images of this repository (e.g. team/app).
        #[arg(long, value_name = "REPOSITORY")]
        repository: Option<String>,
        /// Only images added or seen under this tag (registry/repository:tag).
        #[arg(long, value_name = "TAG")]
        tag: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Show one image: status, tags, digest, times, and the error of a failed analysis.
    Get {
        /// Image id, manifest digest (sha256:…) or tag (registry/repository:tag: the image its latest analysis found).
        #[arg(value_name = "IMAGE")]
        id: String,
    },
    /// Delete an image and its stored analysis.
    Delete {
        /// Image id, manifest digest (sha256:…) or tag (registry/repository:tag: the image its latest analysis found).
        #[arg(value_name = "IMAGE")]
        id: String,
    },
    /// Vulnerabilities found: of OS packages, of the others, or all.
    Vuln {
        /// Image id, manifest digest (sha256:…) or tag (registry/repository:tag: the image its latest analysis found).
        #[arg(value_name = "IMAGE")]
        id: String,
        /// Which packages.
        #[arg(default_value = "all", value_parser = ["os", "non-os", "all"])]
        kind: String,
    },
    /// Packages of one type, or the files of the image.
    Content {
        /// Image id, manifest digest (sha256:…) or tag (registry/repository:tag: the image its latest analysis found).
        #[arg(value_name = "IMAGE")]
        id: String,
        /// What to list.
        #[arg(value_name = "TYPE", value_parser = clap::builder::PossibleValuesParser::new(drydock_ecosystem::content_kinds()))]
        kind: String,
    },
    /// Judge the image against a policy bundle of the service: STOP, WARN or GO, and why.
    Check {
        /// Image id, manifest digest (sha256:…) or tag (registry/repository:tag: the image its latest analysis found).
        #[arg(value_name = "IMAGE")]
        id: String,
        /// Bundle id (default: the account's active bundle, else the built-in default).
        #[arg(long, value_name = "ID")]
        policy: Option<String>,
        /// The tag mappings see (registry/repository:tag; default: the image's first tag).
        #[arg(long, value_name = "TAG")]
        tag: Option<String>,
        /// Exit 1 on WARN too.
        #[arg(long)]
        fail_on_warn: bool,
    },
    /// The digests a tag pointed at, oldest first.
    History {
        /// registry/repository:tag
        tag: String,
    },
    /// The image's SBOM: a package table, or the document (-o json, or --format cyclonedx|spdx).
    Sbom {
        /// Image id, manifest digest (sha256:…) or tag (registry/repository:tag: the image its latest analysis found).
        #[arg(value_name = "IMAGE")]
        id: String,
        /// Document format.
        #[arg(long, value_enum, default_value = "native")]
        format: SbomFormatArg,
    },
    /// Secrets left in the image (always redacted).
    Secrets {
        /// Image id, manifest digest (sha256:…) or tag (registry/repository:tag: the image its latest analysis found).
        #[arg(value_name = "IMAGE")]
        id: String,
    },
    /// Misconfigurations found (root user, exposed SSH, setuid files, …).
    Misconfig {
        /// Image id, manifest digest (sha256:…) or tag (registry/repository:tag: the image its latest analysis found).
        #[arg(value_name = "IMAGE")]
        id: String,
    },
}

/// Arguments of `drydock user`.
#[derive(Args, Debug)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock user` subcommands.
#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user (password from DRYDOCK_NEW_PASSWORD, or asked on a terminal).
    Add {
        /// The user's name.
        name: String,
        /// admin, account-admin, read-write, read-only, policy-editor or image-analyzer.
        #[arg(long, value_parser = crate::client::parse_role)]
        role: String,
        /// The user's account (admins only; default: yours).
        #[arg(long, value_name = "ACCOUNT")]
        account: Option<String>,
    },
    /// List users (of your account; admins: all).
    List,
    /// Delete a user.
    Delete {
        /// The user's name.
        name: String,
    },
}

/// Arguments of `drydock apikey`.
#[derive(Args, Debug)]
pub struct ApikeyArgs {
    #[command(subcommand)]
    pub command: ApikeyCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock apikey` subcommands.
#[derive(Subcommand, Debug)]
pub enum ApikeyCommand {
    /// Create an API key for yourself: printed once on stdout (use it as DRYDOCK_API_KEY).
    Create,
    /// Revoke an API key.
    Revoke {
        /// The key's id (the part after ddk_, before the next _).
        id: String,
    },
}

/// Arguments of `drydock event`.
#[derive(Args, Debug)]
pub struct EventArgs {
    #[command(subcommand)]
    pub command: EventCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock event` subcommands.
/// One page of a list: `--limit`, `--offset`.
#[derive(Args, Debug, Clone, Copy)]
pub struct PageArgs {
    /// At most this many (1-500; default 100).
    #[arg(long, value_name = "N")]
    pub limit: Option<u32>,
    /// Skip this many.
    #[arg(long, value_name = "N")]
    pub offset: Option<u32>,
}

impl PageArgs {
    /// The query parameters of the page.
    pub fn query(&self) -> Vec<(&'static str, String)> {
        [("limit", self.limit), ("offset", self.offset)]
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k, v.to_string())))
            .collect()
    }
}

#[derive(Subcommand, Debug)]
pub enum EventCommand {
    /// List events, newest first.
    List {
        #[command(flatten)]
        page: PageArgs,
    },
}

/// Arguments of `drydock system`.
#[derive(Args, Debug)]
pub struct SystemArgs {
    #[command(subcommand)]
    pub command: SystemCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock system` subcommands.
#[derive(Subcommand, Debug)]
pub enum SystemCommand {
    /// Version, database kind and analysis queue of the service.
    Status,
}

/// Arguments of `drydock account`.
#[derive(Args, Debug)]
pub struct AccountArgs {
    #[command(subcommand)]
    pub command: AccountCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock account` subcommands.
#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Add an account.
    Add {
        /// Letters, digits, '-', '_' or '.' (at most 64).
        name: String,
    },
    /// List accounts.
    List,
}

/// Arguments of `drydock subscription`.
#[derive(Args, Debug)]
pub struct SubscriptionArgs {
    #[command(subcommand)]
    pub command: SubscriptionCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock subscription` subcommands.
#[derive(Subcommand, Debug)]
pub enum SubscriptionCommand {
    /// Subscribe your account to one kind of change of a tag.
    Add {
        /// tag_update, vuln_update, policy_eval or analysis_update (the service checks it).
        kind: String,
        /// registry/repository:tag, e.g. registry.example.com/team/app:1.0.
        tag: String,
    },
    /// List your account's subscriptions.
    List,
    /// Delete a subscription.
    Delete {
        /// The subscription's id (see `drydock subscription list`).
        id: String,
    },
}

/// Arguments of `drydock webhook`.
#[derive(Args, Debug)]
pub struct WebhookArgs {
    #[command(subcommand)]
    pub command: WebhookCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock webhook` subcommands.
#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// Add an endpoint: prints its id and its signing secret (shown once).
    Add {
        /// http(s) URL the service POSTs notifications to.
        // Its own id: `url` is the service's (--url).
        #[arg(id = "endpoint", value_name = "URL")]
        url: String,
    },
    /// List your account's endpoints (never their secrets).
    List,
    /// Delete an endpoint.
    Delete {
        /// The endpoint's id (see `drydock webhook list`).
        id: String,
    },
}

/// Arguments of `drydock notification`.
#[derive(Args, Debug)]
pub struct NotificationArgs {
    #[command(subcommand)]
    pub command: NotificationCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock notification` subcommands.
#[derive(Subcommand, Debug)]
pub enum NotificationCommand {
    /// List deliveries, newest first: state, kind, tag, attempts, last HTTP status or error.
    List {
        #[command(flatten)]
        page: PageArgs,
    },
}

/// Arguments of `drydock registry`.
#[derive(Args, Debug)]
pub struct RegistryArgs {
    #[command(subcommand)]
    pub command: RegistryCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock registry` subcommands.
#[derive(Subcommand, Debug)]
pub enum RegistryCommand {
    /// Store (or replace) the credentials of a registry (password from DRYDOCK_REGISTRY_PASSWORD, or asked).
    Add {
        /// The registry's host[:port], e.g. registry.example.com or 10.0.0.5:5000.
        #[arg(value_name = "HOST")]
        host: String,
        /// User name at the registry.
        #[arg(long, value_name = "NAME")]
        username: String,
        /// The registry speaks plain HTTP.
        #[arg(long)]
        insecure: bool,
    },
    /// List the registries with stored credentials (no passwords).
    List,
    /// Delete a registry's credentials.
    Delete {
        /// The registry's host[:port].
        #[arg(value_name = "HOST")]
        host: String,
    },
}

/// Arguments of `drydock diff`.
#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The older image: id or manifest digest.
    #[arg(value_name = "FROM")]
    pub from: String,
    /// The newer image: id or manifest digest.
    #[arg(value_name = "TO")]
    pub to: String,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// Arguments of `drydock query`.
#[derive(Args, Debug)]
pub struct QueryArgs {
    #[command(subcommand)]
    pub command: QueryCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock query` subcommands.
#[derive(Subcommand, Debug)]
pub enum QueryCommand {
    /// Analysed images with findings of a vulnerability (by id or alias).
    Vulnerability {
        /// CVE-…, GHSA-… or another advisory id.
        id: String,
    },
    /// Analysed images containing a package (name matched without regard to case).
    Package {
        /// The package's name.
        name: String,
        /// Only this exact version.
        #[arg(long, value_name = "VERSION")]
        version: Option<String>,
        /// Only this package type (deb, apk, rpm, python, npm, java-archive, go-module, …).
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
    },
}

/// Arguments of `drydock feeds`.
#[derive(Args, Debug)]
pub struct FeedsArgs {
    #[command(subcommand)]
    pub command: FeedsCommand,
    #[command(flatten)]
    pub client: ClientArgs,
}

/// `drydock feeds` subcommands.
#[derive(Subcommand, Debug)]
pub enum FeedsCommand {
    /// The service's vulnerability database: path, schema, build time and age, sources,
    /// where updates come from and how the last one went.
    Status,
    /// Update the service's database from its feed source now (another drydock's
    /// /v1/feeds/db or the [db] feeds of its configuration), then re-match every stored
    /// analysis. Exit 1 when the update failed (the previous database stays in use).
    Update {
        /// Start the update and return at once (`feeds status` shows how it went).
        #[arg(long)]
        no_wait: bool,
    },
}
