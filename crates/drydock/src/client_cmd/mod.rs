//! The client commands of the drydock service: `drydock image`, the remote `drydock policy`
//! subcommands, `user`, `apikey`, `event`, `system`, `account`, `subscription`, `webhook`,
//! `notification`, `registry`, `diff`, `query` and `feeds`. Each is one or a few calls to
//! `/v1`, read as the types of `drydock-api` and printed as a table (default) or as the
//! server's JSON (`-o json`). One module per resource, as the server's handlers.

mod accounts;
mod images;
mod notify;
mod policies;
mod queries;
mod registries;
mod system;

pub use accounts::{account, apikey, user};
pub use images::image;
pub use notify::{event, notification, subscription, webhook};
pub use policies::policy;
pub use queries::{diff, query};
pub use registries::registry;
pub use system::{feeds, system};

use crate::client::{emit, print_json, Client, Result};
use serde_json::Value;
use std::process::ExitCode;

/// Reports a change: a sentence, or `json` with `-o json`.
fn done(c: &Client, sentence: &str, json: Value) -> Result<ExitCode> {
    if c.json() {
        print_json(&json)?;
    } else {
        emit(&format!("{sentence}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints the answer as JSON with `-o json` (then `true`: nothing else to print).
fn printed_json(c: &Client, v: &Value) -> Result<bool> {
    if c.json() {
        print_json(v)?;
        return Ok(true);
    }
    Ok(false)
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

/// A duration in seconds, roughly: minutes, hours or days.
fn age_text(seconds: u64) -> String {
    match seconds {
        s if s < 3600 => format!("{} minutes", s / 60),
        s if s < 2 * 86400 => format!("{} hours", s / 3600),
        s => format!("{} days", s / 86400),
    }
}
