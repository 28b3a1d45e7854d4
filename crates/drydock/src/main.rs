//! The drydock command line.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

mod analysis_run;
mod check_cmd;
mod cli;
mod client;
mod client_cmd;
mod config;
mod db_cmd;
mod gate;
mod inspect_cmd;
mod output;
mod policy_cmd;
mod progress;
mod report;
mod sbom_cmd;
mod scan_cmd;
mod serve_cmd;
mod version_cmd;

use clap::Parser;
use config::{config_path, Config};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    match run(&cli) {
        Ok(code) => code,
        Err(e) => {
            report::print_error(&e);
            ExitCode::from(gate::ERROR)
        }
    }
}

/// Reads the configuration file once, for the commands that use one, and runs the command.
fn run(cli: &cli::Cli) -> anyhow::Result<ExitCode> {
    let config = match config_file(&cli.command) {
        Some(path) => Config::load(path.as_deref())?,
        None => Config::default(),
    };
    match &cli.command {
        cli::Command::Sbom(args) => sbom_cmd::run(args, cli),
        cli::Command::Scan(args) => scan_cmd::run(args, cli, &config),
        cli::Command::Db(args) => db_cmd::run(args, cli, &config.db),
        cli::Command::Version(args) => version_cmd::run(args, &config.db),
        cli::Command::Completion(args) => version_cmd::completion(args),
        cli::Command::Inspect(args) => inspect_cmd::run(args, cli, &config),
        cli::Command::Check(args) => check_cmd::run(args, cli, &config),
        cli::Command::Policy(args) => policy_cmd::run(args),
        cli::Command::Serve(args) => serve_cmd::serve(args, &config),
        cli::Command::Worker(args) => serve_cmd::worker(args, &config),
        cli::Command::Image(args) => client_cmd::image(args),
        cli::Command::User(args) => client_cmd::user(args),
        cli::Command::Apikey(args) => client_cmd::apikey(args),
        cli::Command::Event(args) => client_cmd::event(args),
        cli::Command::System(args) => client_cmd::system(args),
        cli::Command::Account(args) => client_cmd::account(args),
        cli::Command::Subscription(args) => client_cmd::subscription(args),
        cli::Command::Webhook(args) => client_cmd::webhook(args),
        cli::Command::Notification(args) => client_cmd::notification(args),
        cli::Command::Registry(args) => client_cmd::registry(args),
        cli::Command::Diff(args) => client_cmd::diff(args),
        cli::Command::Query(args) => client_cmd::query(args),
        cli::Command::Feeds(args) => client_cmd::feeds(args),
    }
}

/// The configuration file a command reads: `Some(None)` for none, `None` for a command that
/// reads no configuration. The local commands fall back to the user's default file; the
/// service reads only the one it is given.
fn config_file(command: &cli::Command) -> Option<Option<PathBuf>> {
    use cli::Command;
    match command {
        Command::Scan(a) => Some(config_path(a.config.as_deref())),
        Command::Inspect(a) => Some(config_path(a.config.as_deref())),
        Command::Check(a) => Some(config_path(a.config.as_deref())),
        Command::Db(a) => Some(config_path(a.config.as_deref())),
        Command::Version(_) => Some(config_path(None)),
        Command::Serve(a) => Some(a.service.config.clone()),
        Command::Worker(a) => Some(a.service.config.clone()),
        _ => None,
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DRYDOCK_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!("{level},oci_client=warn,reqwest=warn,hyper=warn"))
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()))
        .with_target(false)
        .without_time()
        .init();
}
