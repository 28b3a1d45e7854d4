//! `drydock diff` and `drydock query`: comparisons and searches over the service's
//! analysed images.

use super::{printed_json, severity_rank};
use crate::cli::{DiffArgs, QueryArgs, QueryCommand};
use crate::client::{
    dash, emit, fields_text, finish, joined, opt, print_table, table_text, typed, Client, ClientError,
};
use drydock_api::images::Diff;
use drydock_api::queries::{PackageImages, VulnerabilityImages};
use serde::Deserialize;
use std::process::ExitCode;

/// Runs `drydock diff FROM TO`.
pub fn diff(args: &DiffArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| {
        let (from, to) = (args.from.as_str(), args.to.as_str());
        let v = c
            .get(&["diff"], &[("from", from.to_string()), ("to", to.to_string())])
            .map_err(|e| diff_error(&c, e, from, to))?;
        if printed_json(&c, &v)? {
            return Ok(ExitCode::SUCCESS);
        }
        emit(&diff_text(&typed(&v)?))?;
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
fn diff_text(d: &Diff) -> String {
    let counts =
        |added: usize, removed: usize, changed: usize| format!("{added} added, {removed} removed, {changed} changed");
    let (p, f) = (&d.packages, &d.files);
    let mut out = fields_text(&[
        ("From", dash(&d.from)),
        ("To", dash(&d.to)),
        ("Packages", counts(p.added.len(), p.removed.len(), p.changed.len())),
        ("Files", counts(f.added.len(), f.removed.len(), f.changed.len())),
    ]);
    let mut section = |title: &str, n: usize, body: String| {
        if n > 0 {
            out.push_str(&format!("\n{title} ({n})\n"));
            for line in body.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        }
    };
    for (items, title) in [(&p.added, "Packages added"), (&p.removed, "Packages removed")] {
        let rows: Vec<Vec<String>> = items
            .iter()
            .map(|p| vec![dash(&p.name), dash(&p.version), dash(&p.package_type)])
            .collect();
        section(title, rows.len(), table_text(&["NAME", "VERSION", "TYPE"], &rows));
    }
    let rows: Vec<Vec<String>> = p
        .changed
        .iter()
        .map(|p| vec![dash(&p.name), dash(&p.from), dash(&p.to), dash(&p.package_type)])
        .collect();
    section(
        "Packages changed",
        rows.len(),
        table_text(&["NAME", "FROM", "TO", "TYPE"], &rows),
    );
    for (items, title) in [
        (&f.added, "Files added"),
        (&f.removed, "Files removed"),
        (&f.changed, "Files changed"),
    ] {
        let body: String = items.iter().map(|f| format!("{}\n", dash(f))).collect();
        section(title, items.len(), body);
    }
    out
}

/// Where a package was found (the SBOM's locations: the first path is shown).
#[derive(Debug, Deserialize)]
struct Location {
    #[serde(default)]
    path: String,
}

/// Runs `drydock query …`.
pub fn query(args: &QueryArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| match &args.command {
        QueryCommand::Vulnerability { id } => {
            let v = c.get(&["query", "vulnerability"], &[("id", id.clone())])?;
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let mut found: VulnerabilityImages = typed(&v)?;
            found.images.sort_by_cached_key(|h| {
                (
                    severity_rank(&h.severity),
                    dash(&h.image_id),
                    dash(&h.package),
                    dash(&h.version),
                )
            });
            let rows: Vec<Vec<String>> = found
                .images
                .iter()
                .map(|h| {
                    vec![
                        dash(&h.image_id),
                        opt(h.digest.as_deref()),
                        dash(&h.package),
                        dash(&h.version),
                        dash(&h.package_type),
                        dash(&h.severity).to_uppercase(),
                        joined(&h.fixed_versions),
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
            if printed_json(&c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let found: PackageImages<Vec<Location>> = typed(&v)?;
            let rows: Vec<Vec<String>> = found
                .images
                .iter()
                .map(|h| {
                    let location = h.locations.first().map_or_else(|| "-".into(), |l| dash(&l.path));
                    vec![
                        dash(&h.image_id),
                        opt(h.digest.as_deref()),
                        dash(&h.package),
                        dash(&h.version),
                        dash(&h.package_type),
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
