//! `drydock policy`: validate bundles, describe the gates, show the default bundle (the
//! subcommands that talk to the service are in [`crate::client_cmd`]).

use crate::cli::{PolicyArgs, PolicyCommand};
use anyhow::{bail, Context, Result};
use drydock_policy::bundle::{parse_bundle, DEFAULT_BUNDLE, MAX_BUNDLE_BYTES};
use drydock_policy::gates::{self, ALL};
use drydock_policy::spec::{GateSpec, ParamKind};
use drydock_policy::{default_bundle, validate, Bundle};
use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// Reads a bundle file (or the built-in default when `None`).
pub fn load_bundle(path: Option<&Path>) -> Result<Bundle> {
    let Some(path) = path else {
        return Ok(default_bundle());
    };
    let f = std::fs::File::open(path).with_context(|| format!("cannot read policy bundle {}", path.display()))?;
    let mut bytes = Vec::new();
    f.take(MAX_BUNDLE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read policy bundle {}", path.display()))?;
    Ok(parse_bundle(&bytes, &path.display().to_string())?)
}

/// Runs `drydock policy …`.
pub fn run(args: &PolicyArgs) -> Result<ExitCode> {
    match &args.command {
        PolicyCommand::Validate { files } => {
            let mut ok = true;
            for f in files {
                let bundle = match load_bundle(Some(f)) {
                    Ok(b) => b,
                    Err(e) => {
                        ok = false;
                        eprintln!("{}: {e:#}", f.display());
                        continue;
                    }
                };
                let issues = validate(&bundle);
                if issues.is_empty() {
                    let rules: usize = bundle.rule_sets.iter().map(|r| r.rules.len()).sum();
                    println!(
                        "{}: valid — bundle {:?}: {} rule sets ({rules} rules), {} allowlists, {} mappings",
                        f.display(),
                        bundle.id,
                        bundle.rule_sets.len(),
                        bundle.allowlists.len(),
                        bundle.mappings.len()
                    );
                } else {
                    ok = false;
                    println!("{}: {} problem(s)", f.display(), issues.len());
                    for i in issues {
                        println!("  - {i}");
                    }
                }
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(crate::gate::FAILURE)
            })
        }
        PolicyCommand::Describe { gate, output } => {
            let gates: Vec<&GateSpec> = match gate {
                Some(name) => match gates::gate(name) {
                    Some(g) => vec![g],
                    None => bail!(
                        "unknown gate {name:?}\nhint: gates are {}",
                        ALL.iter().map(|g| g.name).collect::<Vec<_>>().join(", ")
                    ),
                },
                None => ALL.to_vec(),
            };
            let mut out = std::io::stdout().lock();
            match output.as_str() {
                "json" => {
                    serde_json::to_writer_pretty(&mut out, &gates)?;
                    writeln!(out)?;
                }
                "table" | "text" => describe(&gates, &mut out)?,
                other => bail!("unknown output format {other:?}; use table or json"),
            }
            Ok(ExitCode::SUCCESS)
        }
        PolicyCommand::ShowDefault => {
            print!("{DEFAULT_BUNDLE}");
            Ok(ExitCode::SUCCESS)
        }
        remote => crate::client_cmd::policy(remote),
    }
}

fn describe(gates: &[&GateSpec], w: &mut dyn Write) -> std::io::Result<()> {
    for (i, g) in gates.iter().enumerate() {
        if i > 0 {
            writeln!(w)?;
        }
        writeln!(w, "GATE {}\n  {}", g.name, g.description)?;
        for t in g.triggers {
            writeln!(w, "\n  TRIGGER {}.{}\n    {}", g.name, t.name, t.description)?;
            for p in t.params {
                let values = match p.kind {
                    ParamKind::Enum(v) | ParamKind::EnumList(v) => format!(" [{}]", v.join(", ")),
                    _ => String::new(),
                };
                writeln!(
                    w,
                    "    - {}{} ({}{values}): {} e.g. {:?}",
                    p.name,
                    if p.required { " (required)" } else { "" },
                    p.kind.name(),
                    p.description,
                    p.example
                )?;
            }
        }
    }
    Ok(())
}
