//! `drydock check`: analyse a source, evaluate a policy bundle against it, report the
//! final action (STOP / WARN / GO) and every trigger behind it.

use crate::analysis_run::{analyze, prepare_vulns};
use crate::cli::{CheckArgs, Cli, UnmappedArg};
use crate::config::Config;
use crate::gate;
use crate::output::{parse_outputs, write_outputs};
use crate::policy_cmd::load_bundle;
use crate::progress::{describe, Summary};
use anyhow::{anyhow, Result};
use drydock_analysis::{now_unix, Analysis};
use drydock_inspect::secrets::SecretsScope;
use drydock_policy::{evaluate, Action, EvalContext, EvalOptions, ImageTarget, Unmapped};
use drydock_report::policy::{render, Format};
use drydock_sbom::Scope;
use std::process::ExitCode;
use std::time::Instant;

/// Runs `drydock check`.
pub fn run(args: &CheckArgs, cli: &Cli, config: &Config) -> Result<ExitCode> {
    let summary = Summary::start();
    let outputs = parse_outputs::<Format>(&args.output)?;
    // The bundle first: a bad one fails before a long image read.
    let bundle = load_bundle(args.policy.as_deref())?;
    let issues = drydock_policy::validate(&bundle);
    if !issues.is_empty() {
        return Err(anyhow!(drydock_policy::PolicyError::Invalid(issues))
            .context("the policy bundle cannot be used (see `drydock policy validate`)"));
    }
    let vulns = prepare_vulns(config, args.db.as_deref(), args.scanners.vuln, false, false, &[])
        .map_err(|e| e.context("the vulnerability database is needed (or run with --scanners secret,misconfig)"))?;
    let mut analysis = analyze(
        &args.source,
        args.scanners,
        Scope::Squashed,
        SecretsScope::Squashed,
        &config.analysis,
        cli.quiet,
    )?;
    vulns.apply(&mut analysis)?;

    let target = target(args.tag.as_deref(), &analysis);
    let ctx = EvalContext {
        now_unix: now_unix(),
        tag: Some(target.full_tag()).filter(|t| !t.is_empty()),
    };
    let opts = EvalOptions {
        unmapped: match args.unmapped {
            UnmappedArg::Error => Unmapped::Error,
            UnmappedArg::Go => Unmapped::Go,
        },
    };
    let start = Instant::now();
    let mut eval = evaluate(&bundle, &analysis, &target, &ctx, &opts)?;
    // What the scan itself could not do (coverage gaps, unparseable versions) goes with the verdict.
    let scan_warnings = drydock_report::findings::analysis_warnings(&analysis);
    eval.warnings.splice(0..0, scan_warnings.into_iter().cloned());
    tracing::info!(
        "bundle {} evaluated in {:.2} ms: {} ({} triggers)",
        bundle.id,
        start.elapsed().as_secs_f64() * 1000.0,
        eval.final_action,
        eval.results.len()
    );
    write_outputs(&outputs, |format, w, color| {
        render(&bundle, &eval, format, w, color, args.fail_on_warn)
    })?;
    summary.finish(cli.quiet, &format!("{}: {}", eval.final_action, describe(&analysis)));
    Ok(match eval.final_action {
        Action::Stop => ExitCode::from(gate::FAILURE),
        Action::Warn if args.fail_on_warn => ExitCode::from(gate::FAILURE),
        _ => ExitCode::SUCCESS,
    })
}

/// What mappings see: `--tag`, else the registry reference, else a full `repo:tag` the
/// archive carries; otherwise an image with no registry, repository or tag (matched only
/// by `*`).
fn target(tag: Option<&str>, analysis: &Analysis) -> ImageTarget {
    let source = &analysis.image().source;
    let mut t = if let Some(tag) = tag {
        ImageTarget::parse(tag)
    } else if source.scheme == "registry" {
        ImageTarget::parse(&source.reference)
    } else if let Some(full) = source.tags.iter().find(|t| t.contains('/') || t.contains(':')) {
        ImageTarget::parse(full)
    } else {
        ImageTarget {
            tag: source.tags.first().cloned().unwrap_or_default(),
            ..Default::default()
        }
    };
    if t.digest.is_empty() {
        t.digest = source.manifest_digest.clone().unwrap_or_default();
    }
    t.image_id = source.config_digest.clone().unwrap_or_default();
    t
}
