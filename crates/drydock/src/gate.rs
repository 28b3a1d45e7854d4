//! The CI contract: which findings are reported (`--severity`), which fail the run
//! (`--fail-on`, `--fail-on-secrets`, `--fail-on-misconfig`) and the exit status that says so.
//!
//! Every command exits 0 when it ran and nothing it gates on tripped, [`FAILURE`] (or
//! `--exit-code N`) when a gate tripped (a finding at a threshold, a policy STOP), and
//! [`ERROR`] for anything that kept it from giving an answer, bad command lines included
//! (`exit_help!` in cli.rs says the same in every `--help`).

use crate::cli::{GateArgs, SeverityArg, SeverityFilterArg};
use drydock_analysis::Analysis;
use drydock_match::SeverityLevel;
use std::process::ExitCode;

/// Exit status of a run whose gate tripped: a finding at a `--fail-on*` threshold, a policy STOP.
pub const FAILURE: u8 = 1;
/// Exit status of a run that could not give an answer (bad input, unreachable registry,
/// invalid command line).
pub const ERROR: u8 = 2;

/// The level of a `--fail-on` severity.
pub fn level(arg: SeverityArg) -> SeverityLevel {
    match arg {
        SeverityArg::Negligible => SeverityLevel::Negligible,
        SeverityArg::Low => SeverityLevel::Low,
        SeverityArg::Medium => SeverityLevel::Medium,
        SeverityArg::High => SeverityLevel::High,
        SeverityArg::Critical => SeverityLevel::Critical,
    }
}

fn filter_level(arg: SeverityFilterArg) -> SeverityLevel {
    match arg {
        SeverityFilterArg::Unknown => SeverityLevel::Unknown,
        SeverityFilterArg::Negligible => SeverityLevel::Negligible,
        SeverityFilterArg::Low => SeverityLevel::Low,
        SeverityFilterArg::Medium => SeverityLevel::Medium,
        SeverityFilterArg::High => SeverityLevel::High,
        SeverityFilterArg::Critical => SeverityLevel::Critical,
    }
}

/// Drops the findings whose severity `--severity` does not list (nothing when it lists none).
pub fn apply_severity_filter(a: &mut Analysis, keep: &[SeverityFilterArg]) {
    if keep.is_empty() {
        return;
    }
    let keep: Vec<SeverityLevel> = keep.iter().copied().map(filter_level).collect();
    let kept = |l: SeverityLevel| keep.contains(&l);
    if let Some(r) = a.vulnerabilities.as_mut() {
        r.findings.retain(|f| kept(f.severity));
    }
    if let Some(s) = a.secrets.as_mut() {
        s.retain(|s| kept(SeverityLevel::from_word(s.finding.severity.as_str())));
    }
    if let Some(m) = a.misconfigurations.as_mut() {
        m.retain(|m| kept(SeverityLevel::from_word(m.severity.as_str())));
    }
}

/// The findings that trip the run's gates, one line each (empty: the run passes).
pub fn tripped(a: &Analysis, fail_on: Option<SeverityArg>, gate: &GateArgs) -> Vec<String> {
    let any =
        gate.exit_code.is_some() && fail_on.is_none() && !gate.fail_on_secrets && gate.fail_on_misconfig.is_none();
    let vuln_threshold = fail_on.map(level).or(any.then_some(SeverityLevel::Unknown));
    let mut out = Vec::new();
    if let Some(t) = vuln_threshold {
        for f in a
            .vulnerabilities
            .iter()
            .flat_map(|r| &r.findings)
            .filter(|f| f.severity >= t)
        {
            out.push(format!(
                "vulnerability {} ({}) in {} {}",
                f.id,
                f.severity.as_str().to_lowercase(),
                f.package.name,
                f.package.version
            ));
        }
    }
    if gate.fail_on_secrets || any {
        for s in a.secrets.iter().flatten() {
            out.push(format!(
                "secret {} ({}) in {}:{}",
                s.finding.rule_id,
                s.finding.severity.as_str().to_lowercase(),
                s.finding.path,
                s.finding.line
            ));
        }
    }
    let misconfig_threshold = gate.fail_on_misconfig.map(level).or(any.then_some(SeverityLevel::Low));
    if let Some(t) = misconfig_threshold {
        for m in a.misconfigurations.iter().flatten() {
            if SeverityLevel::from_word(m.severity.as_str()) >= t {
                out.push(format!(
                    "misconfiguration {} ({}){}",
                    m.id,
                    m.severity.as_str().to_lowercase(),
                    m.path.as_deref().map(|p| format!(" at {p}")).unwrap_or_default()
                ));
            }
        }
    }
    out
}

/// Most tripping findings named in the failure message; the rest are counted.
const NAMED: usize = 10;

/// Says why the run failed (on stderr) and gives its exit status; success when nothing tripped.
pub fn verdict(a: &Analysis, fail_on: Option<SeverityArg>, gate: &GateArgs) -> ExitCode {
    let lines = tripped(a, fail_on, gate);
    if lines.is_empty() {
        return ExitCode::SUCCESS;
    }
    let mut flags = Vec::new();
    if let Some(t) = fail_on {
        flags.push(format!("--fail-on {}", level(t).as_str().to_lowercase()));
    }
    if gate.fail_on_secrets {
        flags.push("--fail-on-secrets".into());
    }
    if let Some(t) = gate.fail_on_misconfig {
        flags.push(format!("--fail-on-misconfig {}", level(t).as_str().to_lowercase()));
    }
    if flags.is_empty() {
        flags.push(format!("--exit-code {}", gate.exit_code.unwrap_or(FAILURE)));
    }
    eprintln!("{} finding(s) failed this run ({}):", lines.len(), flags.join(", "));
    for l in lines.iter().take(NAMED) {
        eprintln!("  {l}");
    }
    if lines.len() > NAMED {
        eprintln!("  … and {} more", lines.len() - NAMED);
    }
    ExitCode::from(gate.exit_code.unwrap_or(FAILURE))
}
