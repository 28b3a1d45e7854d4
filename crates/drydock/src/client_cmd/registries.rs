//! `drydock registry`: credentials the service uses for a registry. The password is never
//! an argument and never printed.

use super::{done, printed_json};
use crate::cli::{RegistryArgs, RegistryCommand};
use crate::client::{dash, finish, print_table, read_secret, time, typed, yes_no, Body, Client, ClientError, Result};
use drydock_api::registries::{AddRegistry, RegistryList};
use serde_json::json;
use std::process::ExitCode;

/// The variable `registry add` reads the registry password from.
const REGISTRY_PASSWORD_ENV: &str = "DRYDOCK_REGISTRY_PASSWORD";

/// Checks a registry given as `host[:port]` (no scheme, no path).
fn registry_host(raw: &str) -> Result<&str> {
    let host = raw.trim().trim_end_matches('/');
    if host.is_empty() || host.contains("://") || host.contains('/') || host.contains(char::is_whitespace) {
        return Err(ClientError::usage(format!("{raw:?} is not a registry host"))
            .hint("give the registry as host[:port], e.g. registry.example.com or 10.0.0.5:5000"));
    }
    Ok(host)
}

/// Runs `drydock registry …`.
pub fn registry(args: &RegistryArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        RegistryCommand::Add {
            host,
            username,
            insecure,
        } => {
            let host = registry_host(host)?;
            let password = match std::env::var(REGISTRY_PASSWORD_ENV) {
                Ok(p) => p,
                Err(_) => read_secret(&format!("Password of {username} at {host}: "), REGISTRY_PASSWORD_ENV)?,
            };
            if password.is_empty() {
                return Err(ClientError::usage("the registry password is empty")
                    .hint(format!("set {REGISTRY_PASSWORD_ENV}, or type the password when asked")));
            }
            let body = AddRegistry {
                registry: host.to_string(),
                username: username.clone(),
                password,
                insecure: *insecure,
            };
            let v = c.post(&["registries"], Some(Body::json(&body)))?;
            let plain = if *insecure { " (plain HTTP)" } else { "" };
            done(
                &c,
                &format!("stored the credentials of {username:?} for registry {host}{plain}"),
                v,
            )
        }
        RegistryCommand::List => {
            let v = c.get(&["registries"], &[])?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let list: RegistryList = typed(&v)?;
            let rows: Vec<Vec<String>> = list
                .registries
                .iter()
                .map(|r| {
                    vec![
                        dash(&r.registry),
                        dash(&r.username),
                        yes_no(r.insecure),
                        time(Some(r.created_at)),
                    ]
                })
                .collect();
            print_table(
                &["REGISTRY", "USERNAME", "INSECURE", "ADDED"],
                &rows,
                "No registry credentials.",
            )?;
            Ok(ExitCode::SUCCESS)
        }
        RegistryCommand::Delete { host } => {
            let host = registry_host(host)?;
            c.delete(&["registries", host])?;
            done(
                &c,
                &format!("deleted the credentials of registry {host}"),
                json!({"registry": host, "deleted": true}),
            )
        }
    });
    Ok(finish(result))
}
