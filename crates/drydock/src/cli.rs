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

mod client;
mod db;
mod local;
mod service;

pub use client::*;
pub use db::*;
pub use local::*;
pub use service::*;

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
