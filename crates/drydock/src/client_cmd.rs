//! The client commands of the drydock service: `drydock image`, the remote `drydock policy`
//! subcommands, `user`, `apikey`, `event`, `system`, `account`, `subscription`, `webhook`,
//! `notification`, `registry`, `diff`, `query` and `feeds`. Each is one or a few calls to
//! `/v1`, printed as a table (default) or as the server's JSON (`-o json`).

use crate::cli::{
    AccountArgs, AccountCommand, ApikeyArgs, ApikeyCommand, DiffArgs, EventArgs, EventCommand, FeedsArgs, FeedsCommand,
    ImageArgs, ImageCommand, NotificationArgs, NotificationCommand, PolicyCommand, QueryArgs, QueryCommand,
    RegistryArgs, RegistryCommand, SbomFormatArg, SubscriptionArgs, SubscriptionCommand, SystemArgs, SystemCommand,
    UserArgs, UserCommand, WebhookArgs, WebhookCommand,
};
use crate::client::{
    emit, fields_text, finish, list, print_json, print_table, read_secret, show, string, table_text, text, time, Body,
    Client, ClientError, Result,
};
use serde_json::{json, Value};
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Runs `drydock image …`. `image check` exits like `drydock check`.
pub fn image(args: &ImageArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| run_image(&c, &args.command));
    Ok(finish(result))
}

/// Runs the remote `drydock policy` subcommands (add, list, get, activate, delete, update).
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

/// Runs `drydock user …`.
pub fn user(args: &UserArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        UserCommand::Add { name, role, account } => user_add(&c, name, role, account.as_deref()),
        UserCommand::List => {
            let v = c.get(&["users"], &[])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "users")
                .iter()
                .map(|u| {
                    vec![
                        text(u, "name"),
                        text(u, "role"),
                        text(u, "account"),
                        time(u, "created_at"),
                    ]
                })
                .collect();
            print_table(&["NAME", "ROLE", "ACCOUNT", "CREATED"], &rows, "No users.")?;
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Delete { name } => {
            c.delete(&["users", name])?;
            done(
                &c,
                &format!("deleted user {name:?}"),
                json!({"name": name, "deleted": true}),
            )
        }
    });
    Ok(finish(result))
}

/// Runs `drydock apikey …`.
pub fn apikey(args: &ApikeyArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        ApikeyCommand::Create => {
            let v = c.post(&["apikeys"], None)?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let key = string(&v, "key").ok_or_else(|| ClientError::failed("the service's answer holds no key"))?;
            emit(&format!("{key}\n"))?;
            let id = text(&v, "id");
            eprintln!(
                "API key {id} created. It is shown once: store it now. Use it as DRYDOCK_API_KEY; revoke it with \
                 `drydock apikey revoke {id}`."
            );
            Ok(ExitCode::SUCCESS)
        }
        ApikeyCommand::Revoke { id } => {
            c.delete(&["apikeys", id])?;
            done(&c, &format!("revoked API key {id}"), json!({"id": id, "revoked": true}))
        }
    });
    Ok(finish(result))
}

/// Runs `drydock event …`.
pub fn event(args: &EventArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        EventCommand::List { page } => {
            let v = c.get(&["events"], &page.query())?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "events")
                .iter()
                .map(|e| {
                    vec![
                        time(e, "created_at"),
                        text(e, "kind"),
                        text(e, "subject"),
                        clip(&show(e.get("detail").unwrap_or(&Value::Null)), 100),
                    ]
                })
                .collect();
            print_table(&["TIME", "KIND", "SUBJECT", "DETAIL"], &rows, "No events.")?;
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}

/// Runs `drydock system …`.
pub fn system(args: &SystemArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        SystemCommand::Status => {
            let v = c.get(&["system", "status"], &[])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let queue = v.get("queue").unwrap_or(&Value::Null);
            let mut fields = vec![
                ("Service", args.client.url.trim_end_matches('/').to_string()),
                ("Version", text(&v, "version")),
                ("Database", text(&v, "database")),
                ("Queued", text(queue, "queued")),
                ("Analysing", text(queue, "running")),
            ];
            fields.extend(vulndb_fields(v.get("vulnerability_database").unwrap_or(&Value::Null)));
            emit(&fields_text(&fields))?;
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}

/// The vulnerability database lines of `system status`: state, build time and age, build
/// id, sources with their advisory counts.
fn vulndb_fields(db: &Value) -> Vec<(&'static str, String)> {
    let state = match string(db, "state") {
        Some("ready") => "ready".to_string(),
        Some("waiting_for_feed") => "none yet: waiting for the first feed update".to_string(),
        Some("unavailable") => "UNAVAILABLE: images are not matched against vulnerability data (checks report \
             vulnerability_data_unavailable)"
            .to_string(),
        _ => "unknown (an older service)".to_string(),
    };
    let mut out = vec![("Vuln DB", state)];
    let Some(status) = db.get("status").filter(|s| s.is_object()) else {
        if let Some(e) = string(db, "error") {
            out.push(("Vuln DB error", e.to_string()));
        }
        return out;
    };
    let age = status.get("ageSeconds").and_then(Value::as_u64).unwrap_or(0);
    let stale = if status.get("stale").and_then(Value::as_bool) == Some(true) {
        ", STALE"
    } else {
        ""
    };
    out.push(("DB path", text(status, "path")));
    out.push((
        "DB built",
        format!("{} ({} old{stale})", text(status, "builtAt"), age_text(age)),
    ));
    out.push(("DB build id", text(db, "build_id")));
    let sources: Vec<String> = list(status, "sources")
        .iter()
        .map(|s| format!("{} ({})", text(s, "name"), text(s, "records")))
        .collect();
    out.push((
        "DB sources",
        if sources.is_empty() {
            "-".into()
        } else {
            sources.join(", ")
        },
    ));
    out
}

/// Runs `drydock account …`.
pub fn account(args: &AccountArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        AccountCommand::Add { name } => {
            let v = c.post(&["accounts"], Some(Body::json(&json!({"name": name}))))?;
            done(&c, &format!("added account {name:?}"), v)
        }
        AccountCommand::List => {
            let v = c.get(&["accounts"], &[])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "accounts").iter().map(|a| vec![show(a)]).collect();
            print_table(&["ACCOUNT"], &rows, "No accounts.")?;
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}

/// Reports a change: a sentence, or `json` with `-o json`.
fn done(c: &Client, sentence: &str, json: Value) -> Result<ExitCode> {
    if c.json() {
        print_json(&json)?;
    } else {
        emit(&format!("{sentence}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// At most `n` characters, with an ellipsis when cut.
fn clip(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

// Images.

fn run_image(c: &Client, command: &ImageCommand) -> Result<ExitCode> {
    match command {
        ImageCommand::Add {
            tag,
            force,
            wait,
            timeout,
        } => image_add(c, tag, *force, *wait, *timeout),
        ImageCommand::List {
            status,
            registry,
            repository,
            tag,
            page,
        } => {
            let mut q = page.query();
            if let Some(s) = status {
                q.push(("status", s.clone()));
            }
            if let Some(r) = registry {
                q.push(("registry", r.clone()));
            }
            if let Some(t) = tag {
                q.push(("tag", t.clone()));
            }
            if let Some(r) = repository {
                q.push(("repository", r.clone()));
            }
            let v = c.get(&["images"], &q)?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "images")
                .iter()
                .map(|i| {
                    // Tags are known once the analysis resolved them; until then, the repository.
                    let name = if list(i, "tags").is_empty() {
                        format!("{}/{}", text(i, "registry"), text(i, "repository"))
                    } else {
                        text(i, "tags")
                    };
                    vec![
                        text(i, "id"),
                        text(i, "status"),
                        time(i, "created_at"),
                        name,
                        text(i, "digest"),
                    ]
                })
                .collect();
            print_table(&["ID", "STATUS", "ADDED", "IMAGE", "DIGEST"], &rows, "No images.")?;
            Ok(ExitCode::SUCCESS)
        }
        ImageCommand::Get { id } => {
            let v = c.get(&["images", id], &[])?;
            print_image(c, &v)?;
            Ok(ExitCode::SUCCESS)
        }
        ImageCommand::Delete { id } => {
            c.delete(&["images", id])?;
            done(c, &format!("deleted image {id}"), json!({"id": id, "deleted": true}))
        }
        ImageCommand::Vuln { id, kind } => image_vuln(c, id, kind),
        ImageCommand::Content { id, kind } => image_content(c, id, kind),
        ImageCommand::Check {
            id,
            policy,
            tag,
            fail_on_warn,
        } => image_check(c, id, policy.as_deref(), tag.as_deref(), *fail_on_warn),
        ImageCommand::History { tag } => {
            let v = c.get(&["history"], &[("tag", tag.clone())])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "history")
                .iter()
                .map(|h| {
                    vec![
                        time(h, "first_seen"),
                        time(h, "last_seen"),
                        text(h, "image_id"),
                        text(h, "digest"),
                    ]
                })
                .collect();
            print_table(
                &["FIRST SEEN", "LAST SEEN", "IMAGE", "DIGEST"],
                &rows,
                &format!("No history for {tag}."),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        ImageCommand::Sbom { id, format } => {
            let name = match format {
                SbomFormatArg::Native => "native",
                SbomFormatArg::Cyclonedx => "cyclonedx",
                SbomFormatArg::Spdx => "spdx",
            };
            let v = c.get(&["images", id, "sbom"], &[("format", name.to_string())])?;
            if c.json() || *format != SbomFormatArg::Native {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "packages").iter().map(package_row).collect();
            print_table(&["NAME", "VERSION", "TYPE", "LOCATION"], &rows, "No packages.")?;
            Ok(ExitCode::SUCCESS)
        }
        ImageCommand::Secrets { id } => {
            let v = c.get(&["images", id, "secrets"], &[])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "secrets")
                .iter()
                .map(|s| {
                    vec![
                        text(s, "severity").to_uppercase(),
                        text(s, "rule_id"),
                        format!("{}:{}", text(s, "path"), text(s, "line")),
                        text(s, "layer"),
                        text(s, "redacted"),
                    ]
                })
                .collect();
            print_table(
                &["SEVERITY", "SECRET RULE", "PATH:LINE", "LAYER", "MATCH (REDACTED)"],
                &rows,
                "No secrets found.",
            )?;
            Ok(ExitCode::SUCCESS)
        }
        ImageCommand::Misconfig { id } => {
            let v = c.get(&["images", id, "misconfig"], &[])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "misconfigurations")
                .iter()
                .map(|m| {
                    vec![
                        text(m, "severity").to_uppercase(),
                        text(m, "id"),
                        text(m, "path"),
                        text(m, "layer"),
                        text(m, "title"),
                    ]
                })
                .collect();
            print_table(
                &["SEVERITY", "CHECK", "PATH", "LAYER", "TITLE"],
                &rows,
                "No misconfigurations found.",
            )?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Prints one image: its fields, or its JSON.
fn print_image(c: &Client, v: &Value) -> Result<()> {
    if c.json() {
        return print_json(v);
    }
    let mut fields = vec![
        ("ID", text(v, "id")),
        ("Status", text(v, "status")),
        ("Tags", text(v, "tags")),
        ("Digest", text(v, "digest")),
        ("Registry", text(v, "registry")),
        ("Repository", text(v, "repository")),
        ("Account", text(v, "account")),
        ("Added", time(v, "created_at")),
        ("Analysed", time(v, "analyzed_at")),
    ];
    if v.get("error").is_some_and(|e| !e.is_null()) {
        fields.push(("Error", text(v, "error")));
    }
    emit(&fields_text(&fields))
}

fn image_add(c: &Client, tag: &str, force: bool, wait: bool, timeout: u64) -> Result<ExitCode> {
    let mut body = json!({ "tag": tag });
    if force {
        body["force"] = true.into();
    }
    let added = c.post(&["images"], Some(Body::json(&body)))?;
    let id = string(&added, "id")
        .ok_or_else(|| ClientError::failed("the service's answer names no image id"))?
        .to_string();
    let queued = added.get("queued").and_then(Value::as_bool).unwrap_or(true);
    if !queued {
        print_image(c, &added)?;
        if !c.json() {
            if added.get("already_analysed").and_then(Value::as_bool) == Some(true) {
                eprintln!(
                    "{} is already analysed ({}); nothing queued: use --force to analyse again.",
                    tag,
                    text(&added, "digest")
                );
            } else {
                eprintln!(
                    "{} is already known ({}, {}); nothing new queued.",
                    tag,
                    text(&added, "digest"),
                    text(&added, "status")
                );
            }
        }
        if !wait {
            return Ok(ExitCode::SUCCESS);
        }
    }
    if !wait {
        print_image(c, &added)?;
        if !c.json() {
            eprintln!("The analysis is queued: `drydock image get {id}` shows its status (or add --wait).");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let start = Instant::now();
    let limit = Duration::from_secs(timeout);
    let mut current = added;
    loop {
        // A failed re-analysis leaves the stored one (the image stays analysed, with the error).
        let refailed = queued && current.get("error").is_some_and(|e| !e.is_null());
        match string(&current, "status") {
            Some("analyzed") if !refailed => {
                print_image(c, &current)?;
                return Ok(ExitCode::SUCCESS);
            }
            Some("failed") | Some("analyzed") => {
                print_image(c, &current)?;
                return Err(
                    ClientError::failed(format!("the analysis of {tag} failed: {}", text(&current, "error"))).hint(
                        "check the tag and that the service can reach the registry; `drydock image add` tries again",
                    ),
                );
            }
            _ => {}
        }
        let elapsed = start.elapsed();
        if elapsed >= limit {
            return Err(ClientError::failed(format!(
                "image {id} is still {} after {timeout} s",
                text(&current, "status")
            ))
            .hint(format!(
                "the analysis goes on in the service: `drydock image get {id}` shows it later (raise --timeout to wait \
                 longer; a service started with --workers 0 needs `drydock worker` processes)"
            )));
        }
        std::thread::sleep((limit - elapsed).min(Duration::from_secs(1)));
        current = c.get(&["images", &id], &[])?;
    }
}

/// Ranks a severity name, most severe first.
fn severity_rank(s: &str) -> u8 {
    match s.to_ascii_lowercase().as_str() {
        "critical" => 0,
        "high" => 1,
        "medium" => 2,
        "low" => 3,
        "negligible" => 4,
        _ => 5,
    }
}

fn image_vuln(c: &Client, id: &str, kind: &str) -> Result<ExitCode> {
    let v = c.get(&["images", id, "vuln", kind], &[])?;
    if c.json() {
        return print_json(&v).map(|_| ExitCode::SUCCESS);
    }
    let mut findings: Vec<&Value> = list(&v, "vulnerabilities").iter().collect();
    findings.sort_by_cached_key(|f| {
        let p = f.get("package").unwrap_or(&Value::Null);
        (
            severity_rank(&text(f, "severity")),
            text(p, "name"),
            text(p, "version"),
            text(f, "id"),
        )
    });
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            let p = f.get("package").unwrap_or(&Value::Null);
            let fixed = match list(f, "fixed_versions") {
                [] => match string(f, "fix_state") {
                    Some(s) if s != "fixed" && s != "unknown" => format!("({s})"),
                    _ => "-".into(),
                },
                vs => vs.iter().map(show).collect::<Vec<_>>().join(", "),
            };
            vec![
                text(p, "name"),
                text(p, "version"),
                text(f, "id"),
                text(f, "severity").to_uppercase(),
                fixed,
            ]
        })
        .collect();
    let empty = match string(&v, "note") {
        Some(note) => format!("No vulnerabilities listed: {note}."),
        None => "No vulnerabilities found.".into(),
    };
    print_table(
        &["PACKAGE", "VERSION", "VULNERABILITY", "SEVERITY", "FIXED IN"],
        &rows,
        &empty,
    )?;
    Ok(ExitCode::SUCCESS)
}

fn package_row(p: &Value) -> Vec<String> {
    let location = list(p, "locations")
        .first()
        .map(|l| text(l, "path"))
        .unwrap_or_else(|| "-".into());
    vec![text(p, "name"), text(p, "version"), text(p, "type"), location]
}

fn image_content(c: &Client, id: &str, kind: &str) -> Result<ExitCode> {
    let v = c.get(&["images", id, "content", kind], &[])?;
    if c.json() {
        return print_json(&v).map(|_| ExitCode::SUCCESS);
    }
    let items = list(&v, "content");
    if kind == "files" {
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|f| {
                let mode = f
                    .get("mode")
                    .and_then(Value::as_u64)
                    .map(|m| format!("{m:04o}"))
                    .unwrap_or_else(|| "-".into());
                let mut path = text(f, "path");
                if let Some(link) = string(f, "link") {
                    path = format!("{path} -> {link}");
                }
                vec![
                    text(f, "kind"),
                    mode,
                    format!("{}:{}", text(f, "uid"), text(f, "gid")),
                    text(f, "size"),
                    text(f, "layer"),
                    path,
                ]
            })
            .collect();
        print_table(&["KIND", "MODE", "OWNER", "SIZE", "LAYER", "PATH"], &rows, "No files.")?;
    } else {
        let rows: Vec<Vec<String>> = items.iter().map(package_row).collect();
        print_table(
            &["NAME", "VERSION", "TYPE", "LOCATION"],
            &rows,
            &format!("No {kind} packages."),
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Colours a line by action on a terminal.
fn paint(action: &str, s: &str, color: bool) -> String {
    let code = match action {
        "STOP" => "1;31",
        "WARN" => "1;33",
        "GO" => "1;32",
        _ => return s.to_string(),
    };
    if color {
        format!("\x1b[{code}m{s}\x1b[0m")
    } else {
        s.to_string()
    }
}

fn image_check(c: &Client, id: &str, policy: Option<&str>, tag: Option<&str>, fail_on_warn: bool) -> Result<ExitCode> {
    let mut q = Vec::new();
    if let Some(p) = policy {
        q.push(("policy", p.to_string()));
    }
    if let Some(t) = tag {
        q.push(("tag", t.to_string()));
    }
    let v = c.get(&["images", id, "check"], &q)?;
    let eval = v.get("evaluation").unwrap_or(&Value::Null);
    let action = string(eval, "final_action")
        .ok_or_else(|| ClientError::failed("the service's answer holds no final action"))?
        .to_string();
    if c.json() {
        print_json(&v)?;
    } else {
        emit(&check_table(&v, std::io::stdout().is_terminal()))?;
    }
    Ok(match action.as_str() {
        "STOP" => ExitCode::from(crate::gate::FAILURE),
        "WARN" if fail_on_warn => ExitCode::from(crate::gate::FAILURE),
        "GO" | "WARN" => ExitCode::SUCCESS,
        other => return Err(ClientError::failed(format!("unknown final action {other:?}"))),
    })
}

/// The evaluation as `drydock check` prints it: image, bundle, final action, then the
/// triggers grouped by gate.
fn check_table(v: &Value, color: bool) -> String {
    let eval = v.get("evaluation").unwrap_or(&Value::Null);
    let mut out = String::new();
    let image_tag = string(v, "tag").filter(|t| !t.is_empty()).unwrap_or("(no tag)");
    let digest = eval
        .get("image")
        .and_then(|i| string(i, "digest"))
        .filter(|d| !d.is_empty());
    out.push_str(&format!(
        "Image:        {image_tag}{}\n",
        digest.map(|d| format!("  {d}")).unwrap_or_default()
    ));
    let bundle_id = text(eval, "bundle_id");
    let bundle = match string(eval, "bundle_name").filter(|n| !n.is_empty()) {
        Some(name) => format!("{bundle_id:?} ({name})"),
        None => format!("{bundle_id:?}"),
    };
    let source = if v.get("policy").is_some_and(Value::is_string) {
        ""
    } else {
        " [built-in default: no active bundle]"
    };
    let mapping = match eval.get("mapping").filter(|m| !m.is_null()) {
        Some(m) => match string(m, "name").filter(|n| !n.is_empty()) {
            Some(name) => format!("mapping {:?} ({name})", text(m, "id")),
            None => format!("mapping {:?}", text(m, "id")),
        },
        None => "no mapping".into(),
    };
    out.push_str(&format!("Bundle:       {bundle}{source}, {mapping}\n"));
    if string(v, "vulnerability_data") == Some("unavailable") {
        out.push_str(&format!(
            "Vulns:        {}\n",
            paint(
                "WARN",
                "NOT CHECKED: no vulnerability data (vulnerability_data_unavailable); the service has no vulnerability database",
                color
            )
        ));
    }
    let results = list(eval, "results");
    let count = |a: &str| {
        eval.get("counts")
            .and_then(|c| c.get(a))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    let allowed = results
        .iter()
        .filter(|r| r.get("allowlisted").is_some_and(|a| !a.is_null()))
        .count();
    let entry = text(eval, "matched_image_entry");
    let reason = match string(eval, "final_action_reason") {
        Some("denylisted") => format!("the image is denylisted ({entry})"),
        Some("allowlisted") => format!("the image is allowlisted ({entry})"),
        Some("unmapped") => "no mapping matched".into(),
        _ => format!(
            "{} STOP, {} WARN, {} GO, {allowed} allowlisted",
            count("STOP"),
            count("WARN"),
            count("GO")
        ),
    };
    let action = text(eval, "final_action");
    out.push_str(&format!(
        "Final action: {}  ({reason})\n",
        paint(&action, &action, color)
    ));
    let mut by_gate: Vec<(String, Vec<&Value>)> = Vec::new();
    for r in results {
        let gate = text(r, "gate");
        match by_gate.last_mut() {
            Some((g, list)) if *g == gate => list.push(r),
            _ => by_gate.push((gate, vec![r])),
        }
    }
    for (gate, results) in by_gate {
        out.push_str(&format!("\n{gate} ({})\n", results.len()));
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|r| {
                let action = match r.get("allowlisted").filter(|a| !a.is_null()) {
                    Some(a) => format!("GO ({}/{})", text(a, "allowlist_id"), text(a, "item_id")),
                    None => text(r, "action"),
                };
                vec![action, text(r, "trigger"), text(r, "trigger_id"), text(r, "message")]
            })
            .collect();
        for line in table_text(&["ACTION", "TRIGGER", "TRIGGER ID", "MESSAGE"], &rows).lines() {
            let first = line.split(' ').next().unwrap_or("");
            let line = if matches!(first, "STOP" | "WARN") {
                paint(first, line, color)
            } else {
                line.to_string()
            };
            out.push_str(&format!("  {line}\n"));
        }
    }
    let warnings = list(eval, "warnings");
    if !warnings.is_empty() {
        out.push('\n');
        for w in warnings {
            out.push_str(&format!("warning: {}\n", show(w)));
        }
    }
    out
}

// Policies.

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
    if c.json() {
        return print_json(&v).map(|_| ExitCode::SUCCESS);
    }
    let id = text(&v, "id");
    let active = if v.get("active").and_then(Value::as_bool) == Some(true) {
        " (active)"
    } else {
        ""
    };
    emit(&format!("added policy {id:?}{active}\n"))?;
    if active.is_empty() {
        eprintln!("Make it the bundle image checks use with `drydock policy activate {id}`.");
    }
    Ok(ExitCode::SUCCESS)
}

fn policy_list(c: &Client) -> Result<ExitCode> {
    let v = c.get(&["policies"], &[])?;
    if c.json() {
        return print_json(&v).map(|_| ExitCode::SUCCESS);
    }
    let rows: Vec<Vec<String>> = list(&v, "policies")
        .iter()
        .map(|p| {
            vec![
                text(p, "id"),
                if p.get("active").and_then(Value::as_bool) == Some(true) {
                    "yes".into()
                } else {
                    "".into()
                },
                time(p, "updated_at"),
                text(p, "name"),
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

fn policy_get(c: &Client, id: &str) -> Result<ExitCode> {
    let v = c.get(&["policies", id], &[])?;
    if c.json() {
        return print_json(&v).map(|_| ExitCode::SUCCESS);
    }
    let b = v.get("bundle").unwrap_or(&Value::Null);
    let rule_sets = list(b, "rule_sets");
    let rules: usize = rule_sets.iter().map(|r| list(r, "rules").len()).sum();
    let ids = |key: &str| -> String {
        let items = list(b, key);
        if items.is_empty() {
            "-".into()
        } else {
            items.iter().map(|i| text(i, "id")).collect::<Vec<_>>().join(", ")
        }
    };
    emit(&fields_text(&[
        ("ID", text(&v, "id")),
        ("Name", text(&v, "name")),
        ("Active", text(&v, "active")),
        (
            "Rule sets",
            format!("{} ({rules} rules): {}", rule_sets.len(), ids("rule_sets")),
        ),
        ("Allowlists", ids("allowlists")),
        ("Mappings", ids("mappings")),
    ]))?;
    eprintln!("The whole bundle: drydock policy get {id} -o json");
    Ok(ExitCode::SUCCESS)
}

// Users.

fn user_add(c: &Client, name: &str, role: &str, account: Option<&str>) -> Result<ExitCode> {
    let password = match std::env::var("DRYDOCK_NEW_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let first = read_secret(&format!("Password for the new user {name}: "), "DRYDOCK_NEW_PASSWORD")?;
            let again = read_secret("Again: ", "DRYDOCK_NEW_PASSWORD")?;
            if first != again {
                return Err(ClientError::usage("the passwords differ"));
            }
            first
        }
    };
    let mut body = json!({"name": name, "password": password, "role": role});
    if let Some(a) = account {
        body["account"] = json!(a);
    }
    let v = c.post(&["users"], Some(Body::json(&body)))?;
    let place = account.map(|a| format!(" in account {a:?}")).unwrap_or_default();
    done(c, &format!("added user {name:?} with role {role}{place}"), v)
}

// Subscriptions, webhooks and the delivery log.

/// Runs `drydock subscription …`.
pub fn subscription(args: &SubscriptionArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        SubscriptionCommand::Add { kind, tag } => {
            // The service checks the kind, so its message lists the kinds it knows.
            let v = c.post(&["subscriptions"], Some(Body::json(&json!({"kind": kind, "tag": tag}))))?;
            done(
                &c,
                &format!(
                    "subscribed to {} of {} (subscription {})",
                    text(&v, "kind"),
                    text(&v, "tag"),
                    text(&v, "id")
                ),
                v,
            )
        }
        SubscriptionCommand::List => {
            let v = c.get(&["subscriptions"], &[])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "subscriptions")
                .iter()
                .map(|s| vec![text(s, "id"), text(s, "kind"), text(s, "tag"), time(s, "created_at")])
                .collect();
            print_table(&["ID", "KIND", "TAG", "CREATED"], &rows, "No subscriptions.")?;
            Ok(ExitCode::SUCCESS)
        }
        SubscriptionCommand::Delete { id } => {
            c.delete(&["subscriptions", id])?;
            done(
                &c,
                &format!("deleted subscription {id}"),
                json!({"id": id, "deleted": true}),
            )
        }
    });
    Ok(finish(result))
}

/// Runs `drydock webhook …`. `add` prints the signing secret, which the service shows once.
pub fn webhook(args: &WebhookArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        WebhookCommand::Add { url } => {
            let v = c.post(&["webhooks"], Some(Body::json(&json!({ "url": url }))))?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let secret =
                string(&v, "secret").ok_or_else(|| ClientError::failed("the service's answer holds no secret"))?;
            let id = text(&v, "id");
            emit(&fields_text(&[
                ("ID", id.clone()),
                ("URL", text(&v, "url")),
                ("Secret", secret.to_string()),
            ]))?;
            eprintln!(
                "The secret is shown once: store it now. Deliveries carry X-Drydock-Signature: sha256=<hex \
                 HMAC-SHA256 of the body, keyed with the secret>; check it before trusting a delivery. Remove the \
                 endpoint with `drydock webhook delete {id}`."
            );
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::List => {
            let v = c.get(&["webhooks"], &[])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "webhooks")
                .iter()
                .map(|w| vec![text(w, "id"), time(w, "created_at"), text(w, "url")])
                .collect();
            print_table(&["ID", "CREATED", "URL"], &rows, "No webhooks.")?;
            Ok(ExitCode::SUCCESS)
        }
        WebhookCommand::Delete { id } => {
            c.delete(&["webhooks", id])?;
            done(&c, &format!("deleted webhook {id}"), json!({"id": id, "deleted": true}))
        }
    });
    Ok(finish(result))
}

/// Runs `drydock notification …`.
pub fn notification(args: &NotificationArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        NotificationCommand::List { page } => {
            let v = c.get(&["notifications"], &page.query())?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "deliveries")
                .iter()
                .map(|d| {
                    vec![
                        time(d, "created_at"),
                        text(d, "state"),
                        text(d, "kind"),
                        text(d, "subject"),
                        text(d, "attempts"),
                        text(d, "last_status"),
                        clip(&text(d, "last_error"), 80),
                    ]
                })
                .collect();
            print_table(
                &["TIME", "STATE", "KIND", "TAG", "ATTEMPTS", "LAST STATUS", "LAST ERROR"],
                &rows,
                "No notifications.",
            )?;
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}

// Registry credentials.

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

/// Runs `drydock registry …`. The password is never an argument and never printed.
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
            let body = json!({"registry": host, "username": username, "password": password, "insecure": insecure});
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
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "registries")
                .iter()
                .map(|r| {
                    vec![
                        text(r, "registry"),
                        text(r, "username"),
                        text(r, "insecure"),
                        time(r, "created_at"),
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

// Diff, queries and feeds.

/// Runs `drydock diff FROM TO`.
pub fn diff(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| {
        let (from, to) = (args.from.as_str(), args.to.as_str());
        let v = c
            .get(&["diff"], &[("from", from.to_string()), ("to", to.to_string())])
            .map_err(|e| diff_error(&c, e, from, to))?;
        if c.json() {
            return print_json(&v).map(|_| ExitCode::SUCCESS);
        }
        emit(&diff_text(&v))?;
        Ok(ExitCode::SUCCESS)
    });
    Ok(finish(result))
}

/// The service answers an unknown image with a bare "image not found": say which.
fn diff_error(c: &Client, e: ClientError, from: &str, to: &str) -> ClientError {
    if e.message != "image not found" {
        return e;
    }
    let missing = |id: &str| {
        c.get(&["images", id], &[])
            .is_err_and(|e| e.message == "image not found")
    };
    let what = match (missing(from), missing(to)) {
        (true, true) if from == to => format!("no image {from:?}"),
        (true, true) => format!("no image {from:?} and no image {to:?}"),
        (true, false) => format!("no image {from:?} (FROM)"),
        (false, true) => format!("no image {to:?} (TO)"),
        (false, false) => return e,
    };
    ClientError::failed(format!("cannot compare: {what} in the service"))
        .hint("give image ids or manifest digests (sha256:…); `drydock image list` shows both")
}

/// A diff as text: the counts, then packages and files added, removed and changed.
fn diff_text(v: &Value) -> String {
    let packages = v.get("packages").unwrap_or(&Value::Null);
    let files = v.get("files").unwrap_or(&Value::Null);
    let counts = |x: &Value| {
        format!(
            "{} added, {} removed, {} changed",
            list(x, "added").len(),
            list(x, "removed").len(),
            list(x, "changed").len()
        )
    };
    let mut out = fields_text(&[
        ("From", text(v, "from")),
        ("To", text(v, "to")),
        ("Packages", counts(packages)),
        ("Files", counts(files)),
    ]);
    let mut section = |title: &str, n: usize, body: String| {
        if n > 0 {
            out.push_str(&format!("\n{title} ({n})\n"));
            for line in body.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    };
    for (key, title) in [("added", "Packages added"), ("removed", "Packages removed")] {
        let items = list(packages, key);
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|p| vec![text(p, "name"), text(p, "version"), text(p, "type")])
            .collect();
        section(title, rows.len(), table_text(&["NAME", "VERSION", "TYPE"], &rows));
    }
    let rows: Vec<Vec<String>> = list(packages, "changed")
        .iter()
        .map(|p| vec![text(p, "name"), text(p, "from"), text(p, "to"), text(p, "type")])
        .collect();
    section(
        "Packages changed",
        rows.len(),
        table_text(&["NAME", "FROM", "TO", "TYPE"], &rows),
    );
    for (key, title) in [
        ("added", "Files added"),
        ("removed", "Files removed"),
        ("changed", "Files changed"),
    ] {
        let items = list(files, key);
        let body: String = items.iter().map(|f| format!("{}\n", show(f))).collect();
        section(title, items.len(), body);
    }
    out
}

/// Runs `drydock query …`.
pub fn query(args: &QueryArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        QueryCommand::Vulnerability { id } => {
            let v = c.get(&["query", "vulnerability"], &[("id", id.clone())])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let mut hits: Vec<&Value> = list(&v, "images").iter().collect();
            hits.sort_by_cached_key(|h| {
                (
                    severity_rank(&text(h, "severity")),
                    text(h, "image_id"),
                    text(h, "package"),
                    text(h, "version"),
                )
            });
            let rows: Vec<Vec<String>> = hits
                .iter()
                .map(|h| {
                    vec![
                        text(h, "image_id"),
                        text(h, "digest"),
                        text(h, "package"),
                        text(h, "version"),
                        text(h, "type"),
                        text(h, "severity").to_uppercase(),
                        text(h, "fixed_versions"),
                    ]
                })
                .collect();
            print_table(
                &["IMAGE", "DIGEST", "PACKAGE", "VERSION", "TYPE", "SEVERITY", "FIXED IN"],
                &rows,
                &format!("No analysed image is affected by {id}."),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        QueryCommand::Package { name, version, kind } => {
            let mut q = vec![("name", name.clone())];
            if let Some(v) = version {
                q.push(("version", v.clone()));
            }
            if let Some(t) = kind {
                q.push(("type", t.clone()));
            }
            let v = c.get(&["query", "package"], &q)?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let rows: Vec<Vec<String>> = list(&v, "images")
                .iter()
                .map(|h| {
                    let location = list(h, "locations")
                        .first()
                        .map(|l| text(l, "path"))
                        .unwrap_or_else(|| "-".into());
                    vec![
                        text(h, "image_id"),
                        text(h, "digest"),
                        text(h, "package"),
                        text(h, "version"),
                        text(h, "type"),
                        location,
                    ]
                })
                .collect();
            let mut wanted = name.clone();
            if let Some(v) = version {
                wanted.push_str(&format!(" {v}"));
            }
            if let Some(t) = kind {
                wanted.push_str(&format!(" ({t})"));
            }
            print_table(
                &["IMAGE", "DIGEST", "PACKAGE", "VERSION", "TYPE", "LOCATION"],
                &rows,
                &format!("No analysed image contains {wanted}."),
            )?;
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}

/// One feed update, in a line: result, source, duration, error.
fn feed_run_text(run: &Value) -> String {
    let seconds = run.get("seconds").and_then(Value::as_f64).unwrap_or(0.0);
    let mut s = format!(
        "{} ({}, {}, {seconds:.1} s)",
        text(run, "result"),
        text(run, "source"),
        time(run, "started_at")
    );
    if let Some(e) = string(run, "error") {
        s.push_str(&format!(": {e}"));
    }
    s
}

/// Runs `drydock feeds …`.
pub fn feeds(args: &FeedsArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        FeedsCommand::Update { no_wait: true } => {
            let v = c.call(
                reqwest::Method::POST,
                &["feeds", "update"],
                &[("wait", "false".to_string())],
                None,
            )?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            emit("Feed update started; `drydock feeds status` shows how it went.\n")?;
            Ok(ExitCode::SUCCESS)
        }
        FeedsCommand::Update { no_wait: false } => {
            let v = c.post(&["feeds", "update"], None)?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            match v.get("update").filter(|u| u.is_object()) {
                Some(run) => emit(&format!(
                    "Feed update: {}; stored analyses re-matched.\n",
                    feed_run_text(run)
                ))?,
                None => emit(&format!(
                    "{}.\n",
                    string(&v, "note").unwrap_or("stored analyses re-matched")
                ))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        FeedsCommand::Status => {
            let v = c.get(&["feeds"], &[])?;
            if c.json() {
                return print_json(&v).map(|_| ExitCode::SUCCESS);
            }
            let db = match v.get("database").filter(|d| d.is_object()) {
                Some(db) => db,
                None => {
                    let note = string(&v, "note").unwrap_or("the service reports none");
                    emit(&format!("No vulnerability database: {note}.\n"))?;
                    eprintln!(
                        "Analyses list packages, secrets and misconfigurations but no vulnerabilities; start \
                         `drydock serve --db PATH` with a database from `drydock db update` or `drydock db build`, \
                         or `--feed-url` to keep a copy of another drydock's."
                    );
                    return Ok(ExitCode::SUCCESS);
                }
            };
            let built = match db.get("builtAtUnix").and_then(Value::as_u64).filter(|b| *b > 0) {
                Some(_) => {
                    let age = db.get("ageSeconds").and_then(Value::as_u64).unwrap_or(0);
                    format!("{} ({} ago)", text(db, "builtAt"), age_text(age))
                }
                None => "-".into(),
            };
            let stale = db.get("stale").and_then(Value::as_bool) == Some(true);
            let source = string(&v, "source").unwrap_or("none (the database file is updated on the service's host)");
            let last = v
                .get("last_update")
                .filter(|l| l.is_object())
                .map_or("-".to_string(), feed_run_text);
            let mut out = fields_text(&[
                ("Database", text(db, "path")),
                ("Schema", text(db, "schemaVersion")),
                ("Built", built),
                ("Stale", text(db, "stale")),
                ("Updates from", source.to_string()),
                ("Last update", last),
            ]);
            let rows: Vec<Vec<String>> = list(db, "sources")
                .iter()
                .map(|s| {
                    vec![
                        text(s, "name"),
                        text(s, "kind"),
                        text(s, "records"),
                        text(s, "enrichment"),
                        text(s, "skipped"),
                        text(s, "newest"),
                        text(s, "location"),
                    ]
                })
                .collect();
            if rows.is_empty() {
                out.push_str("\nNo sources recorded.\n");
            } else {
                out.push('\n');
                out.push_str(&table_text(
                    &[
                        "SOURCE",
                        "KIND",
                        "RECORDS",
                        "ENRICHMENT",
                        "SKIPPED",
                        "NEWEST",
                        "LOCATION",
                    ],
                    &rows,
                ));
            }
            emit(&out)?;
            if stale {
                eprintln!(
                    "warning: the service's vulnerability database is stale; update it on the service's host \
                     (`drydock db update`): stored analyses are re-matched when it changes."
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}

/// A duration in seconds, roughly: minutes, hours or days.
fn age_text(seconds: u64) -> String {
    match seconds {
        s if s < 3600 => format!("{} minutes", s / 60),
        s if s < 2 * 86400 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86400),
    }
}
