//! The remote `drydock policy` subcommands: add, list, get, activate, delete, update.

use super::{done, printed_json};
use crate::cli::PolicyCommand;
use crate::client::{
    dash, emit, fields_text, finish, print_table, time, typed, yes_no, Body, Client, ClientError, Result,
};
use drydock_api::policies::{Policy, PolicyDetail, PolicyList};
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

/// Runs the remote `drydock policy` subcommands.
pub fn policy(command: &PolicyCommand) -> anyhow::Result<ExitCode> {
    let result = match command {
        PolicyCommand::Add { file, client } => Client::new(client).and_then(|c| policy_add(&c, file)),
        PolicyCommand::List { client } => Client::new(client).and_then(|c| policy_list(&c)),
        PolicyCommand::Get { id, client } => Client::new(client).and_then(|c| policy_get(&c, id)),
        PolicyCommand::Activate { id, client } => Client::new(client).and_then(|c| {
            c.post(&["policies", id, "activate"], None)?;
            done(
                &c,
                &format!("policy {id:?} is now the active bundle"),
                json!({"id": id, "active": true}),
            )
        }),
        PolicyCommand::Delete { id, client } => Client::new(client).and_then(|c| {
            c.delete(&["policies", id])?;
            done(
                &c,
                &format!("deleted policy {id:?}"),
                json!({"id": id, "deleted": true}),
            )
        }),
        PolicyCommand::Update { id, file, client } => Client::new(client).and_then(|c| {
            c.put(&["policies", id], bundle_body(file)?)?;
            done(
                &c,
                &format!("updated policy {id:?}"),
                json!({"id": id, "updated": true}),
            )
        }),
        _ => Err(ClientError::usage("not a command of the drydock service")),
    };
    Ok(finish(result))
}

/// A bundle file as a request body: JSON for `.json`, YAML otherwise (the service parses both).
fn bundle_body(file: &Path) -> Result<Body> {
    let limit = drydock_policy::bundle::MAX_BUNDLE_BYTES;
    let f = std::fs::File::open(file)
        .map_err(|e| ClientError::failed(format!("cannot read policy bundle {}: {e}", file.display())))?;
    let mut bytes = Vec::new();
    f.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| ClientError::failed(format!("cannot read policy bundle {}: {e}", file.display())))?;
    if bytes.len() > limit {
        return Err(ClientError::failed(format!(
            "policy bundle {} is larger than {limit} bytes",
            file.display()
        )));
    }
    let is_json = file
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    Ok(Body {
        content_type: if is_json {
            "application/json"
        } else {
            "application/yaml"
        },
        bytes,
    })
}

fn policy_add(c: &Client, file: &Path) -> Result<ExitCode> {
    let v = c.post(&["policies"], Some(bundle_body(file)?))?;
    if printed_json(c, &v)? {
        return Ok(ExitCode::SUCCESS);
    }
    let policy: Policy = typed(&v)?;
    let id = dash(&policy.id);
    let active = if policy.active { " (active)" } else { "" };
    emit(&format!("added policy {id:?}{active}\n"))?;
    if active.is_empty() {
        eprintln!("Make it the bundle image checks use with `drydock policy activate {id}`.");
    }
    Ok(ExitCode::SUCCESS)
}

fn policy_list(c: &Client) -> Result<ExitCode> {
    let v = c.get(&["policies"], &[])?;
    if printed_json(c, &v)? {
        return Ok(ExitCode::SUCCESS);
    }
    let list: PolicyList = typed(&v)?;
    let rows: Vec<Vec<String>> = list
        .policies
        .iter()
        .map(|p| {
            vec![
                dash(&p.id),
                if p.active { "yes".into() } else { "".into() },
                time(Some(p.updated_at)),
                dash(&p.name),
            ]
        })
        .collect();
    print_table(
        &["ID", "ACTIVE", "UPDATED", "NAME"],
        &rows,
        "No policy bundles (image checks use the built-in default).",
    )?;
    Ok(ExitCode::SUCCESS)
}

/// What `policy get` shows of a bundle: its sections' ids and the rule count.
#[derive(Debug, Deserialize)]
struct BundleOutline {
    #[serde(default)]
    rule_sets: Vec<Section>,
    #[serde(default)]
    allowlists: Vec<Section>,
    #[serde(default)]
    mappings: Vec<Section>,
}

/// A rule set, allowlist or mapping: its id (and rules).
#[derive(Debug, Deserialize)]
struct Section {
    #[serde(default)]
    id: String,
    #[serde(default)]
    rules: Vec<Value>,
}

fn policy_get(c: &Client, id: &str) -> Result<ExitCode> {
    let v = c.get(&["policies", id], &[])?;
    if printed_json(c, &v)? {
        return Ok(ExitCode::SUCCESS);
    }
    let detail: PolicyDetail<BundleOutline> = typed(&v)?;
    let b = &detail.bundle;
    let rules: usize = b.rule_sets.iter().map(|r| r.rules.len()).sum();
    let ids = |items: &[Section]| -> String {
        if items.is_empty() {
            "-".into()
        } else {
            items.iter().map(|i| dash(&i.id)).collect::<Vec<_>>().join(", ")
        }
    };
    emit(&fields_text(&[
        ("ID", dash(&detail.id)),
        ("Name", dash(&detail.name)),
        ("Active", yes_no(detail.active)),
        (
            "Rule sets",
            format!("{} ({rules} rules): {}", b.rule_sets.len(), ids(&b.rule_sets)),
        ),
        ("Allowlists", ids(&b.allowlists)),
        ("Mappings", ids(&b.mappings)),
    ]))?;
    eprintln!("The whole bundle: drydock policy get {id} -o json");
    Ok(ExitCode::SUCCESS)
}
