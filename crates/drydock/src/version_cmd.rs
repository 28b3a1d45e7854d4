//! `drydock version` (what is running, and against which database) and `drydock completion`.

use crate::cli::{ClientOutput, CompletionArgs, VersionArgs};
use crate::db_cmd::{db_path, DbConfig};
use anyhow::Result;
use clap::CommandFactory;
use serde_json::json;
use std::process::ExitCode;

/// Runs `drydock version`: the version, and the database a scan would use (or that it has none).
pub fn run(args: &VersionArgs, config: &DbConfig) -> Result<ExitCode> {
    let path = db_path(args.db.as_deref(), config)?;
    let db = if path.is_file() {
        match drydock_vulndb::status(&path, None) {
            Ok(s) => json!({
                "path": path.display().to_string(),
                "built_at": s.built_at,
                "age_days": s.age_seconds / 86400,
                "schema_version": s.schema_version,
                "advisories": s.advisories,
                "sources": s.sources.iter().map(|s| &s.name).collect::<Vec<_>>(),
            }),
            Err(e) => json!({ "path": path.display().to_string(), "error": e.to_string() }),
        }
    } else {
        json!({ "path": path.display().to_string(), "missing": true })
    };
    let doc = json!({
        "name": "drydock",
        "version": env!("CARGO_PKG_VERSION"),
        "target": format!("{}-{}", std::env::consts::ARCH, std::env::consts::OS),
        "vulnerability_database": db,
    });
    match args.output {
        ClientOutput::Json => println!("{}", serde_json::to_string_pretty(&doc)?),
        ClientOutput::Table => {
            println!(
                "drydock {} ({})",
                env!("CARGO_PKG_VERSION"),
                doc["target"].as_str().unwrap_or("")
            );
            let p = path.display();
            if db["missing"] == true {
                println!("vulnerability database: none at {p} (create it with `drydock db build --from DIR` or `drydock db update`)");
            } else if let Some(e) = db["error"].as_str() {
                println!("vulnerability database: {p} cannot be used: {e}");
            } else {
                println!(
                    "vulnerability database: {p}, built {} ({} days ago), {} advisories from {}",
                    db["built_at"].as_str().unwrap_or("?"),
                    db["age_days"],
                    db["advisories"],
                    db["sources"]
                        .as_array()
                        .map(|a| a.iter().filter_map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `drydock completion SHELL`: the completion script on standard output.
pub fn completion(args: &CompletionArgs) -> Result<ExitCode> {
    let mut cmd = crate::cli::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "drydock", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
