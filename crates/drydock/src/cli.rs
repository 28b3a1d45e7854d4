//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// The exit-status paragraph of every command's `--help` (one contract for all of them;
/// `crate::gate` holds the numbers).
macro_rules! exit_help {
    () => {
        "EXIT STATUS (the same in every drydock command):\n\
         \x20 0  it ran, and nothing it gates on tripped\n\
         \x20 1  a gate tripped: a finding at a --fail-on* threshold (scan, inspect), a policy STOP or a WARN\n\
         \x20    with --fail-on-warn (check, image check); --exit-code N picks another status for findings\n\
         \x20 2  error: invalid command line, unknown output format, unwritable output file, unreadable image\n\
         \x20    or SBOM, unreachable registry, database or service"
    };
}

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
        "FORMATS (-o FORMAT[=FILE], repeatable; default: table):\n",
        "  table            packages as a table\n",
        "  json             drydock's native JSON (schema versioned in $schema)\n",
        "  cyclonedx-json   CycloneDX 1.6 JSON\n",
        "  spdx-json        SPDX 2.3 JSON\n\n",
        exit_help!()
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
        "FORMATS (-o FORMAT[=FILE], repeatable; default: table):\n",
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
        "GATES (for CI; the failure message names the findings that tripped it):\n",
        "  --fail-on SEVERITY            a vulnerability at or above it (as Grype's --fail-on)\n",
        "  --fail-on-secrets             any secret\n",
        "  --fail-on-misconfig SEVERITY  a misconfiguration at or above it\n",
        "  --exit-code N                 the status when a gate trips (default 1); alone, any finding trips it\n",
        "  --severity critical,high      report only these severities (Trivy's filter; gates see the same)\n",
        "  --only-fixed, --ignore-unfixed  report only vulnerabilities that have a fix\n\n",
        exit_help!()
    ))]
    Scan(ScanArgs),
    /// Build, update, inspect and move the vulnerability database.
    Db(DbArgs),
    /// Print drydock's version and the vulnerability database it would use (for CI logs).
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock version\n",
        "  drydock version -o json"
    ))]
    Version(VersionArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock completion bash > /etc/bash_completion.d/drydock\n",
        "  drydock completion zsh > \"${fpath[1]}/_drydock\"\n",
        "  drydock completion fish > ~/.config/fish/completions/drydock.fish"
    ))]
    Completion(CompletionArgs),
    /// Look beyond packages: secrets left in the layers and misconfigurations.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock inspect docker-archive:image.tar\n",
        "  drydock inspect alpine:3.20 -o json=inspect.json -o table\n",
        "  drydock inspect oci-dir:layout:rich --secrets-scope all-layers -o sarif=drydock.sarif\n\n",
        "FORMATS (-o FORMAT[=FILE], repeatable; default: table):\n",
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
        "  [files] digests = true   SHA-256 and MD5 of every file (package verification, file digests)\n\n",
        "GATES: --fail-on-secrets, --fail-on-misconfig SEVERITY, --exit-code N, --severity LIST (see scan --help).\n\n",
        exit_help!()
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
        "FORMATS (-o FORMAT[=FILE], repeatable; default: table):\n",
        "  table   final action first, then the triggers grouped by gate\n",
        "  json    the whole evaluation (mapping, every trigger, allowlist matches)\n",
        "  junit   JUnit XML: one test case per rule (for Jenkins and other CI)\n",
        "  sarif   SARIF 2.1.0: one result per trigger (allowlisted ones marked suppressed)\n\n",
        "  0  GO, or WARN without --fail-on-warn; 1 STOP, or WARN with --fail-on-warn; 2 error (bad bundle,\n",
        "     unmapped image, ...)\n\n",
        exit_help!()
    ))]
    Check(CheckArgs),
    /// Validate policy bundles and describe the gates; manage the bundles of the service.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock policy validate bundle.yaml                  (local: no service needed)\n",
        "  drydock policy describe vulnerabilities\n",
        "  drydock policy show-default > bundle.json\n",
        "  drydock policy add bundle.json                       (the service: see `drydock policy add --help`)\n",
        "  drydock policy activate prod\n",
        "  drydock policy update prod bundle.json\n",
        "  drydock policy list -o json\n\n",
        "  `policy validate` exits 1 when a bundle is invalid or unparseable (every problem is listed).\n\n",
        exit_help!()
    ))]
    Policy(PolicyArgs),
    /// Run the service: REST API, analysis workers, watchers and notifications in one process.
    #[command(after_help = concat!(
        "EXAMPLES:\n",
        "  drydock serve --db vulndb.sqlite                      SQLite in the data directory, one worker\n",
        "  DRYDOCK_ADMIN_PASSWORD=… drydock serve --listen 0.0.0.0:8228 --db vulndb.sqlite\n",
        "  drydock serve --database postgres://drydock@db:5432/drydock --workers 0   (workers run elsewhere)\n",
        "  DRYDOCK_FEED_API_KEY=ddk_… drydock serve --feed-url https://central:8228/v1/feeds/db   (air-gapped copy)\n\n",
        "SETTINGS: a flag, else its DRYDOCK_* environment variable (named on each flag), else the [server]\n",
        "table of the --config file (listen, database, data_dir, db, workers, insecure_registries,\n",
        "lease_seconds, poll_seconds, watch_seconds, retention_days, allow_internal_webhooks,\n",
        "allow_internal_registries, vex, feed_url, feed_api_key, feed_seconds, analysis_cache_mb,\n",
        "allow_no_db), else the default. The same file's\n",
        "[[ignore]] rules apply to every match, its [db] section names the feeds the server downloads\n",
        "(without --feed-url).\n",
        "VULNERABILITY DATA: serve refuses to start without a vulnerability database (--db FILE that exists,\n",
        "or a --feed-url / [db] feeds that will make one) unless --allow-no-db; then every image check\n",
        "reports vulnerability_data_unavailable. `drydock system status` shows the database in use.\n",
        "IMAGES: an image is its (account, manifest digest): adding a tag whose digest is already known\n",
        "returns that image and queues nothing (`image add --force` analyses it again).\n",
        "The first start creates the user admin (password from DRYDOCK_ADMIN_PASSWORD, or printed once).\n",
        "Every route but /health and /ready needs HTTP basic auth or an API key (POST /v1/apikeys);\n",
        "the API is described at /v1/openapi.json."
    ))]
    Serve(ServeArgs),
    /// Run analysis workers only, sharing a PostgreSQL database with `drydock serve`.
    Worker(WorkerArgs),
    /// Images in the drydock service: add them for analysis, list them, read findings and checks.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  export DRYDOCK_URL=http://drydock.internal:8228 DRYDOCK_USER=alice DRYDOCK_PASSWORD=…\n",
        "  drydock image add registry.example.com/team/app:1.0 --wait\n",
        "  drydock image list --status analyzed --repository team/app\n",
        "  drydock image get sha256:4f1c…                        (an image id or its manifest digest)\n",
        "  drydock image vuln ID os\n",
        "  drydock image content ID python\n",
        "  drydock image check ID --policy prod --fail-on-warn    (exits like `drydock check`)\n",
        "  drydock image sbom ID --format cyclonedx > app.cdx.json\n",
        "  drydock image history registry.example.com/team/app:1.0\n",
        "  DRYDOCK_API_KEY=ddk_… drydock image list -o json"
    ), concat!(
        "  0  done; `image check`: GO, or WARN without --fail-on-warn\n",
        "  1  `image check`: STOP, or WARN with --fail-on-warn\n",
        "  2  error: the service refused or failed (its error and hint are printed), `add --wait` saw the\n",
        "     analysis fail or time out, invalid command line or missing credentials"
    )))]
    Image(ImageArgs),
    /// Users of the drydock service: add one with a role, list, delete.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  DRYDOCK_NEW_PASSWORD=… drydock user add bob --role read-only\n",
        "  drydock user add carol --role account-admin --account team-a     (admins only: another account)\n",
        "  drydock user list\n",
        "  drydock user delete bob\n\n",
        "ROLES: admin (everything, every account), account-admin (everything in its account, users and keys\n",
        "  included), read-write (images, events; reads policies), read-only (reads images, policies, events),\n",
        "  policy-editor (writes policies; reads images and events), image-analyzer (adds and reads images).\n\n",
        "The new user's password comes from DRYDOCK_NEW_PASSWORD, or is asked twice on a terminal; it is never\n",
        "a command-line argument."
    ), CLIENT_EXIT))]
    User(UserArgs),
    /// API keys for the drydock service: create one for yourself (shown once), revoke one.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  export DRYDOCK_API_KEY=$(drydock apikey create)     (the key on stdout, the note on stderr)\n",
        "  drydock apikey revoke 3f9c2a1b0d4e5f60\n\n",
        "A key acts as the user who created it, with that user's role. Revoke your own keys (user admins: any)."
    ), CLIENT_EXIT))]
    Apikey(ApikeyArgs),
    /// Events of the drydock service (analyses finished, tags moved), newest first.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  drydock event list --limit 20\n",
        "  drydock event list -o json"
    ), CLIENT_EXIT))]
    Event(EventArgs),
    /// The drydock service's status: version, database, analysis queue.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  drydock system status\n",
        "  DRYDOCK_URL=https://drydock.example drydock system status -o json"
    ), CLIENT_EXIT))]
    System(SystemArgs),
    /// Accounts of the drydock service (admins only): add, list.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  drydock account add team-a\n",
        "  drydock account list\n",
        "  drydock image list --as-account team-a              (admins act on another account)"
    ), CLIENT_EXIT))]
    Account(AccountArgs),
    /// Subscriptions: which changes to which tags notify your account (events and webhooks).
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  drydock subscription add tag_update registry.example.com/team/app:1.0\n",
        "  drydock subscription add vuln_update registry.example.com/team/app:1.0\n",
        "  drydock subscription list\n",
        "  drydock subscription delete 0f3a9c…\n\n",
        "KINDS:\n",
        "  tag_update       the tag points at a new digest (subscribing makes the service poll the tag\n",
        "                   and analyse each new digest)\n",
        "  vuln_update      the vulnerabilities of the tag's image changed after a database update\n",
        "  policy_eval      the tag's final action (STOP, WARN, GO) changed on re-evaluation\n",
        "  analysis_update  an analysis of the tag finished or failed\n\n",
        "Notifications go to every webhook of the account (see `drydock webhook --help`)."
    ), CLIENT_EXIT))]
    Subscription(SubscriptionArgs),
    /// Webhook endpoints of your account: signed HTTP POSTs for subscribed changes (user admins).
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  drydock webhook add https://ci.example.com/hooks/drydock\n",
        "  drydock webhook add https://ci.example.com/hooks/drydock -o json | jq -r .secret\n",
        "  drydock webhook list\n",
        "  drydock webhook delete 7b2e…\n\n",
        "SIGNATURES: `webhook add` prints the endpoint's signing secret once; it is never shown again. Each\n",
        "  delivery carries X-Drydock-Signature: sha256=<hex HMAC-SHA256 of the request body, keyed with the\n",
        "  secret>; recompute it and compare in constant time before trusting a delivery. Failed deliveries are\n",
        "  retried; `drydock notification list` shows the delivery log."
    ), CLIENT_EXIT))]
    Webhook(WebhookArgs),
    /// The notification delivery log of your account, newest first.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  drydock notification list\n",
        "  drydock notification list --limit 20 --offset 20\n",
        "  drydock notification list -o json          (with each delivery's payload)\n\n",
        "STATES: pending (queued, or waiting for a retry), delivered, failed (gave up after the retries)."
    ), CLIENT_EXIT))]
    Notification(NotificationArgs),
    /// Registry credentials the service uses to pull images (stored encrypted; never shown).
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  DRYDOCK_REGISTRY_PASSWORD=… drydock registry add registry.example.com --username ci-bot\n",
        "  drydock registry add 10.0.0.5:5000 --username ci-bot --insecure      (asks for the password)\n",
        "  drydock registry list\n",
        "  drydock registry delete registry.example.com\n\n",
        "The password comes from DRYDOCK_REGISTRY_PASSWORD, or is asked on a terminal (not echoed); it is\n",
        "never a command-line argument and is never printed. Adding a registry again replaces its credentials."
    ), CLIENT_EXIT))]
    Registry(RegistryArgs),
    /// Compare two analysed images: packages and files added, removed or changed.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  drydock diff 5c1e… 9a7d…                         (image ids)\n",
        "  drydock diff sha256:4f1c… sha256:b2d0…           (manifest digests)\n",
        "  drydock diff OLD NEW -o json\n\n",
        "The counts come first, then the packages (added, removed, changed version), then the paths of the\n",
        "files added, removed or changed (mode, size or content). Both images must be analysed."
    ), CLIENT_EXIT))]
    Diff(DiffArgs),
    /// Find the analysed images affected by a vulnerability, or containing a package.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  drydock query vulnerability CVE-2024-3094\n",
        "  drydock query vulnerability GHSA-jfh8-c2jp-5v3q -o json\n",
        "  drydock query package openssl\n",
        "  drydock query package log4j-core --version 2.14.1 --type java-archive"
    ), CLIENT_EXIT))]
    Query(QueryArgs),
    /// The vulnerability database of the service: age, schema, sources.
    #[command(after_help = client_help(concat!(
        "EXAMPLES:\n",
        "  drydock feeds status\n",
        "  drydock feeds status -o json\n\n",
        "A service started without a vulnerability database (--db) says so (exit 0): its analyses list\n",
        "packages, secrets and misconfigurations but no vulnerabilities."
    ), CLIENT_EXIT))]
    Feeds(FeedsArgs),
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

/// Parses `--scanners`.
fn parse_scanners(s: &str) -> Result<drydock_analysis::Scanners, String> {
    drydock_analysis::Scanners::parse(s).map_err(|e| e.to_string())
}

// The client of the drydock service.

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
const CLIENT_EXIT: &str = "  0  done\n  2  error: the service refused or failed (its error and hint are printed), invalid command\n     line or missing credentials";

/// The --help epilogue of a client command: its examples, how to connect, its exit statuses.
fn client_help(examples: &str, exit: &str) -> String {
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
