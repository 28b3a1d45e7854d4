//! `drydock system` and `drydock feeds`: the service's status and its vulnerability
//! database.

use super::{age_text, printed_json};
use crate::cli::{FeedsArgs, FeedsCommand, SystemArgs, SystemCommand};
use crate::client::{dash, emit, fields_text, finish, opt, table_text, time, typed, yes_no, Client};
use drydock_analysis::DbStatus;
use drydock_api::system::{FeedRun, FeedUpdate, Feeds, SystemStatus, VulnDbSummary};
use std::process::ExitCode;

/// Runs `drydock system …`.
pub fn system(args: &SystemArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        SystemCommand::Status => {
            let v = c.get(&["system", "status"], &[])?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let status: SystemStatus<DbStatus> = typed(&v)?;
            let mut fields = vec![
                ("Service", args.client.url.trim_end_matches('/').to_string()),
                ("Version", dash(&status.version)),
                ("Database", dash(&status.database)),
                ("Queued", status.queue.queued.to_string()),
                ("Analysing", status.queue.running.to_string()),
            ];
            fields.extend(vulndb_fields(&status.vulnerability_database));
            emit(&fields_text(&fields))?;
            Ok(ExitCode::SUCCESS)
        }
    });
    Ok(finish(result))
}

/// The vulnerability database lines of `system status`: state, build time and age, build
/// id, sources with their advisory counts.
fn vulndb_fields(db: &VulnDbSummary<DbStatus>) -> Vec<(&'static str, String)> {
    let state = match db.state.as_str() {
        "ready" => "ready".to_string(),
        "waiting_for_feed" => "none yet: waiting for the first feed update".to_string(),
        "unavailable" => "UNAVAILABLE: images are not matched against vulnerability data (checks report \
             vulnerability_data_unavailable)"
            .to_string(),
        _ => "unknown (an older service)".to_string(),
    };
    let mut out = vec![("Vuln DB", state)];
    let Some(status) = &db.status else {
        if let Some(e) = &db.error {
            out.push(("Vuln DB error", e.clone()));
        }
        return out;
    };
    let stale = if status.stale { ", STALE" } else { "" };
    out.push(("DB path", dash(&status.path)));
    out.push((
        "DB built",
        format!(
            "{} ({} old{stale})",
            opt(status.built_at.as_deref()),
            age_text(status.age_seconds)
        ),
    ));
    out.push(("DB build id", opt(db.build_id.clone().flatten().as_deref())));
    let sources: Vec<String> = status
        .sources
        .iter()
        .map(|s| format!("{} ({})", dash(&s.name), s.records))
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

/// One feed update, in a line: result, source, duration, error.
fn feed_run_text(run: &FeedRun) -> String {
    let mut s = format!(
        "{} ({}, {}, {:.1} s)",
        dash(&run.result),
        dash(&run.source),
        time(Some(run.started_at)),
        run.seconds
    );
    if let Some(e) = &run.error {
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
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            emit("Feed update started; `drydock feeds status` shows how it went.\n")?;
            Ok(ExitCode::SUCCESS)
        }
        FeedsCommand::Update { no_wait: false } => {
            let v = c.post(&["feeds", "update"], None)?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let update: FeedUpdate = typed(&v)?;
            match &update.update {
                Some(run) => emit(&format!(
                    "Feed update: {}; stored analyses re-matched.\n",
                    feed_run_text(run)
                ))?,
                None => emit(&format!(
                    "{}.\n",
                    update.note.as_deref().unwrap_or("stored analyses re-matched")
                ))?,
            }
            Ok(ExitCode::SUCCESS)
        }
        FeedsCommand::Status => {
            let v = c.get(&["feeds"], &[])?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let feeds: Feeds<DbStatus> = typed(&v)?;
            let Some(db) = &feeds.database else {
                let note = feeds.note.as_deref().unwrap_or("the service reports none");
                emit(&format!("No vulnerability database: {note}.\n"))?;
                eprintln!(
                    "Analyses list packages, secrets and misconfigurations but no vulnerabilities; start \
                     `drydock serve --db PATH` with a database from `drydock db update` or `drydock db build`, \
                     or `--feed-url` to keep a copy of another drydock's."
                );
                return Ok(ExitCode::SUCCESS);
            };
            let built = if db.built_at_unix > 0 {
                format!("{} ({} ago)", opt(db.built_at.as_deref()), age_text(db.age_seconds))
            } else {
                "-".into()
            };
            let source = feeds
                .source
                .as_deref()
                .unwrap_or("none (the database file is updated on the service's host)");
            let last = feeds.last_update.as_ref().map_or("-".to_string(), feed_run_text);
            let mut out = fields_text(&[
                ("Database", dash(&db.path)),
                ("Schema", opt(db.schema_version.as_deref())),
                ("Built", built),
                ("Stale", yes_no(db.stale)),
                ("Updates from", source.to_string()),
                ("Last update", last),
            ]);
            let rows: Vec<Vec<String>> = db
                .sources
                .iter()
                .map(|s| {
                    vec![
                        dash(&s.name),
                        dash(&s.kind),
                        s.records.to_string(),
                        s.enrichment.to_string(),
                        s.skipped.to_string(),
                        opt(s.newest.as_deref()),
                        dash(&s.location),
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
            if db.stale {
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
