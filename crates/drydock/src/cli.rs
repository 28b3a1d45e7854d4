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
