//! `vulnerabilities`: Anchore's vulnerability gate over the analysis's match report.
//!
//! Where data is missing drydock decides as follows (each choice is in the parameter's
//! description, shown by `drydock policy describe`):
//! - a score or EPSS filter on a finding with no such score does not match (the finding does
//!   not fire);
//! - `max_days_since_creation` on a finding with no publication date matches (the age is
//!   unknown, so the grace period cannot be claimed);
//! - `max_days_since_fix`: the database does not record when fixes appeared, so like Anchore
//!   with an unknown fix date, the parameter does not hold a finding back.

use crate::gates::packages::{type_matches, PACKAGE_TYPES};
use crate::spec::{
    compare, EvalContext, Fired, GateSpec, ParamKind, ParamSpec, Params, TriggerInput, TriggerSpec, COMPARISONS,
};
use drydock_match::{Finding, SeverityLevel};
use drydock_time::parse_date_or_timestamp as parse_time;
use drydock_vulndb::{FixState, Severity};
use regex::Regex;
use std::str::FromStr;

/// Severity names, lowest first.
const SEVERITIES: &[&str] = &["unknown", "negligible", "low", "medium", "high", "critical"];

const fn opt(name: &'static str, kind: ParamKind, example: &'static str, description: &'static str) -> ParamSpec {
    ParamSpec {
        name,
        description,
        kind,
        required: false,
        example,
    }
}

const PACKAGE_PARAMS: &[ParamSpec] = &[
    opt(
        "package_type",
        ParamKind::Enum(PACKAGE_TYPES),
        "all",
        "Only findings in packages of this type: all (the default), os (deb, rpm, apk), non-os, or a package \
         type (deb, rpm, apk, python, npm, java-archive, gem, go-module, rust-crate, php, dotnet, binary).",
    ),
    opt(
        "severity_comparison",
        ParamKind::Enum(COMPARISONS),
        ">=",
        "How the finding's severity is compared with `severity`; defaults to `>` as in Anchore.",
    ),
    opt(
        "severity",
        ParamKind::Enum(SEVERITIES),
        "high",
        "Severity to compare with (unknown < negligible < low < medium < high < critical); defaults to unknown \
         when only severity_comparison is given. Without both, severity does not filter.",
    ),
    opt(
        "cvss_v3_base_score_comparison",
        ParamKind::Enum(COMPARISONS),
        ">=",
        "How the CVSS v3 base score is compared with cvss_v3_base_score; defaults to `>=`.",
    ),
    opt(
        "cvss_v3_base_score",
        ParamKind::Number,
        "7.0",
        "CVSS v3 base score to compare with: the highest v3 base score of any source (NVD, GitHub, distro). \
         A finding with no CVSS v3 rating does not fire.",
    ),
    opt(
        "cvss_v3_exploitability_score_comparison",
        ParamKind::Enum(COMPARISONS),
        ">=",
        "How the CVSS v3 exploitability sub-score is compared with cvss_v3_exploitability_score; defaults to `>=`.",
    ),
    opt(
        "cvss_v3_exploitability_score",
        ParamKind::Number,
        "3.9",
        "CVSS v3 exploitability sub-score (0-3.9, computed from the vector, rounded to one decimal as NVD \
         does) to compare with. A finding with no CVSS v3 vector does not fire.",
    ),
    opt(
        "cvss_v3_impact_score_comparison",
        ParamKind::Enum(COMPARISONS),
        ">=",
        "How the CVSS v3 impact sub-score is compared with cvss_v3_impact_score; defaults to `>=`.",
    ),
    opt(
        "cvss_v3_impact_score",
        ParamKind::Number,
        "5.9",
        "CVSS v3 impact sub-score (0-6.0, computed from the vector, rounded to one decimal as NVD does) to \
         compare with. A finding with no CVSS v3 vector does not fire.",
    ),
    opt(
        "vendor_cvss_v3_base_score_comparison",
        ParamKind::Enum(COMPARISONS),
        ">=",
        "How the vendor CVSS v3 base score is compared with vendor_cvss_v3_base_score; defaults to `>=`.",
    ),
    opt(
        "vendor_cvss_v3_base_score",
        ParamKind::Number,
        "7.0",
        "Vendor CVSS v3 base score to compare with: the highest v3 base score of a source other than NVD. \
         A finding with no such rating does not fire.",
    ),
    opt(
        "vendor_cvss_v3_exploitability_score_comparison",
        ParamKind::Enum(COMPARISONS),
        ">=",
        "How the vendor CVSS v3 exploitability sub-score is compared; defaults to `>=`.",
    ),
    opt(
        "vendor_cvss_v3_exploitability_score",
        ParamKind::Number,
        "3.9",
        "Vendor (non-NVD) CVSS v3 exploitability sub-score to compare with. A finding with no such rating \
         does not fire.",
    ),
    opt(
        "vendor_cvss_v3_impact_score_comparison",
        ParamKind::Enum(COMPARISONS),
        ">=",
        "How the vendor CVSS v3 impact sub-score is compared; defaults to `>=`.",
    ),
    opt(
        "vendor_cvss_v3_impact_score",
        ParamKind::Number,
        "5.9",
        "Vendor (non-NVD) CVSS v3 impact sub-score to compare with. A finding with no such rating does not fire.",
    ),
    opt(
        "fix_available",
        ParamKind::Boolean,
        "true",
        "true: only findings with a fixed version; false: only findings without one.",
    ),
    opt(
        "vendor_only",
        ParamKind::Boolean,
        "true",
        "true: skip findings the vendor marked won't-fix. Defaults to false (every finding counts; Anchore \
         defaults to true).",
    ),
    opt(
        "max_days_since_creation",
        ParamKind::Integer,
        "7",
        "Only fire when the vulnerability was published at least this many days ago (a grace period for new \
         vulnerabilities). A finding with no publication date fires.",
    ),
    opt(
        "max_days_since_fix",
        ParamKind::Integer,
        "30",
        "Only fire when the fix has been available at least this many days (with fix_available=true, as in \
         Anchore). The database does not record when fixes appeared, so, as Anchore does with an unknown fix \
         date, this never holds a finding back.",
    ),
    opt(
        "known_exploited",
        ParamKind::Boolean,
        "true",
        "true: only vulnerabilities in CISA's Known Exploited Vulnerabilities catalogue; false: only those not \
         in it.",
    ),
    opt(
        "epss_score_comparison",
        ParamKind::Enum(COMPARISONS),
        ">=",
        "How the EPSS score is compared with epss_score; defaults to `>=`.",
    ),
    opt(
        "epss_score",
        ParamKind::Number,
        "0.1",
        "EPSS score (probability of exploitation in the next 30 days, 0-1) to compare with. A finding with no \
         EPSS data does not fire.",
    ),
    opt(
        "epss_percentile_comparison",
        ParamKind::Enum(COMPARISONS),
        ">=",
        "How the EPSS percentile is compared with epss_percentile; defaults to `>=`.",
    ),
    opt(
        "epss_percentile",
        ParamKind::Number,
        "0.95",
        "EPSS percentile (0-1) to compare with. A finding with no EPSS data does not fire.",
    ),
    opt(
        "package_path_exclude",
        ParamKind::Regex,
        ".*/test/.*",
        "Skip findings in packages whose location path matches this regex (matched from the start of the \
         path, as in Anchore).",
    ),
];

const STALE_PARAMS: &[ParamSpec] = &[ParamSpec {
    name: "max_days_since_sync",
    description: "Fire when the vulnerability database was built more than this many days before the evaluation.",
    kind: ParamKind::Integer,
    required: true,
    example: "7",
}];

/// The `vulnerabilities` gate.
pub const GATE: GateSpec = GateSpec {
    name: "vulnerabilities",
    description: "Checks the vulnerabilities found in the image's packages, and the freshness and coverage of \
                  the vulnerability data they were matched against.",
    triggers: &[
        TriggerSpec {
            name: "package",
            description: "Fires once per vulnerability found in a package that meets every given criterion \
                          (all optional; with none, every finding fires). Trigger id: `<vulnerability id>+<package \
                          name>`, e.g. `CVE-2023-1234+openssl`.",
            params: PACKAGE_PARAMS,
            eval: package,
        },
        TriggerSpec {
            name: "stale_feed_data",
            description: "Fires when the vulnerability database is older than max_days_since_sync days, or its \
                          build time is unknown while vulnerabilities were matched. Trigger id: `stale_feed_data`.",
            params: STALE_PARAMS,
            eval: stale_feed_data,
        },
        TriggerSpec {
            name: "vulnerability_data_unavailable",
            description: "Fires when the image was not matched against vulnerability data (scanner off or no \
                          database), when it has OS packages but its distro has no vulnerability namespace, or when \
                          the database has no advisories for the image's distro release or one of its ecosystems. \
                          Trigger id: `vulnerability_data_unavailable`.",
            params: &[],
            eval: vulnerability_data_unavailable,
        },
    ],
};

/// Evaluation time, Unix seconds: the context's, or the clock when the context has none.
fn now(ctx: &EvalContext) -> u64 {
    if ctx.now_unix == 0 {
        drydock_analysis::now_unix()
    } else {
        ctx.now_unix
    }
}

/// A comparison a rule asks for: operator and value.
#[derive(Debug, Clone)]
struct Cmp {
    op: String,
    value: f64,
}

impl Cmp {
    /// The comparison of `name` (with `<name>_comparison`, default `default_op`), when
    /// `name` is given.
    fn of(p: &Params, name: &str, default_op: &str) -> Option<Cmp> {
        let value = p.number(name)?;
        let op = p
            .text(&format!("{name}_comparison"))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| default_op.to_string());
        Some(Cmp { op, value })
    }

    /// Whether `have` passes; a missing value never does.
    fn holds(&self, have: Option<f64>) -> bool {
        have.is_some_and(|h| compare(h, &self.op, self.value))
    }
}

/// CVSS v3 scores of one rating.
#[derive(Debug, Clone, Copy, Default)]
struct V3Scores {
    base: Option<f64>,
    exploitability: Option<f64>,
    impact: Option<f64>,
}

/// Rounds to one decimal (NVD's sub-scores).
fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The CVSS v3 scores of a rating, when it is a v3 one: the base score as stored (or
/// computed), the exploitability and impact sub-scores computed from the vector.
fn v3_scores(s: &Severity) -> Option<V3Scores> {
    let value = s.value.trim();
    if !(s.kind.eq_ignore_ascii_case("CVSS_V3") || value.starts_with("CVSS:3")) {
        return None;
    }
    let vector = value.parse::<cvss::v3::Vector>().ok();
    let base = s
        .score
        .map(f64::from)
        .or_else(|| vector.as_ref().map(|v| v.base_score().value()))
        .filter(|b| b.is_finite());
    let (exploitability, impact) = match &vector {
        Some(v) => {
            let changed = v.s.is_some_and(|s| s.is_changed());
            let iss = v.impact().value();
            let impact = if changed {
                7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
            } else {
                6.42 * iss
            };
            (Some(round1(v.exploitability().value())), Some(round1(impact.max(0.0))))
        }
        None => (None, None),
    };
    Some(V3Scores {
        base,
        exploitability,
        impact,
    })
}

/// True for a rating from NVD (its primary rating's source is `nvd@nist.gov`).
fn is_nvd(s: &Severity) -> bool {
    s.source.to_ascii_lowercase().contains("nvd")
}

/// The highest of each CVSS v3 score over the ratings `keep` selects.
fn max_v3(ratings: &[Severity], keep: impl Fn(&Severity) -> bool) -> V3Scores {
    let max = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    };
    ratings
        .iter()
        .filter(|s| keep(s))
        .filter_map(v3_scores)
        .fold(V3Scores::default(), |acc, s| V3Scores {
            base: max(acc.base, s.base),
            exploitability: max(acc.exploitability, s.exploitability),
            impact: max(acc.impact, s.impact),
        })
}

/// The `package` trigger's criteria.
struct Criteria {
    package_type: String,
    severity: Option<(String, SeverityLevel)>,
    base: Option<Cmp>,
    exploitability: Option<Cmp>,
    impact: Option<Cmp>,
    vendor_base: Option<Cmp>,
    vendor_exploitability: Option<Cmp>,
    vendor_impact: Option<Cmp>,
    fix_available: Option<bool>,
    vendor_only: bool,
    /// Latest publication time that fires.
    published_before: Option<i64>,
    known_exploited: Option<bool>,
    epss_score: Option<Cmp>,
    epss_percentile: Option<Cmp>,
    path_exclude: Option<Regex>,
}

impl Criteria {
    fn of(p: &Params, now: u64) -> Criteria {
        let severity = if p.text("severity").is_some() || p.text("severity_comparison").is_some() {
            let level = p
                .word("severity")
                .and_then(|w| SeverityLevel::from_str(&w).ok())
                .unwrap_or(SeverityLevel::Unknown);
            let op = p
                .text("severity_comparison")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|| ">".into());
            Some((op, level))
        } else {
            None
        };
        Criteria {
            package_type: p.word("package_type").unwrap_or_default(),
            severity,
            base: Cmp::of(p, "cvss_v3_base_score", ">="),
            exploitability: Cmp::of(p, "cvss_v3_exploitability_score", ">="),
            impact: Cmp::of(p, "cvss_v3_impact_score", ">="),
            vendor_base: Cmp::of(p, "vendor_cvss_v3_base_score", ">="),
            vendor_exploitability: Cmp::of(p, "vendor_cvss_v3_exploitability_score", ">="),
            vendor_impact: Cmp::of(p, "vendor_cvss_v3_impact_score", ">="),
            fix_available: p.bool("fix_available"),
            vendor_only: p.bool("vendor_only").unwrap_or(false),
            published_before: p
                .int("max_days_since_creation")
                .map(|d| now as i64 - d.saturating_mul(86400)),
            known_exploited: p.bool("known_exploited"),
            epss_score: Cmp::of(p, "epss_score", ">="),
            epss_percentile: Cmp::of(p, "epss_percentile", ">="),
            path_exclude: p
                .text("package_path_exclude")
                .and_then(|r| Regex::new(&format!("^(?:{r})")).ok()),
        }
    }

    /// The firing for `f`, when it meets every criterion.
    fn fire(&self, f: &Finding) -> Option<Fired> {
        let t = f.package.package_type;
        if !type_matches(&self.package_type, t) {
            return None;
        }
        if let Some((op, level)) = &self.severity {
            if !compare(f.severity, op, *level) {
                return None;
            }
        }
        if let Some(re) = &self.path_exclude {
            if f.package.locations.iter().any(|l| re.is_match(&l.path)) {
                return None;
            }
        }
        let fixed = f.fix_state == FixState::Fixed || !f.fixed_versions.is_empty();
        if self.fix_available.is_some_and(|want| want != fixed) {
            return None;
        }
        if self.vendor_only && f.fix_state == FixState::WontFix {
            return None;
        }
        let mut extras: Vec<String> = Vec::new();
        if let Some(before) = self.published_before {
            let published = f.published.as_deref().and_then(published_time);
            if published.is_some_and(|p| p > before) {
                return None;
            }
            if let Some(p) = &f.published {
                extras.push(format!("published={}", p.get(..10).unwrap_or(p)));
            }
        }
        let kev = f.kev_date_added.is_some();
        if self.known_exploited.is_some_and(|want| want != kev) {
            return None;
        }
        if let Some(d) = &f.kev_date_added {
            extras.push(format!("known exploited since {d}"));
        }
        let any = [&self.base, &self.exploitability, &self.impact];
        if any.iter().any(|c| c.is_some()) {
            let s = max_v3(&f.ratings, |_| true);
            for (cmp, have, name) in [
                (&self.base, s.base, "cvss_v3_base_score"),
                (&self.exploitability, s.exploitability, "cvss_v3_exploitability_score"),
                (&self.impact, s.impact, "cvss_v3_impact_score"),
            ] {
                if let Some(c) = cmp {
                    if !c.holds(have) {
                        return None;
                    }
                    extras.push(format!("{name}={}", have.unwrap_or_default()));
                }
            }
        }
        let vendor = [&self.vendor_base, &self.vendor_exploitability, &self.vendor_impact];
        if vendor.iter().any(|c| c.is_some()) {
            let s = max_v3(&f.ratings, |r| !is_nvd(r));
            for (cmp, have, name) in [
                (&self.vendor_base, s.base, "vendor_cvss_v3_base_score"),
                (
                    &self.vendor_exploitability,
                    s.exploitability,
                    "vendor_cvss_v3_exploitability_score",
                ),
                (&self.vendor_impact, s.impact, "vendor_cvss_v3_impact_score"),
            ] {
                if let Some(c) = cmp {
                    if !c.holds(have) {
                        return None;
                    }
                    extras.push(format!("{name}={}", have.unwrap_or_default()));
                }
            }
        }
        for (cmp, have, name) in [
            (&self.epss_score, f.epss.map(|e| f64::from(e.score)), "epss_score"),
            (
                &self.epss_percentile,
                f.epss.map(|e| f64::from(e.percentile)),
                "epss_percentile",
            ),
        ] {
            if let Some(c) = cmp {
                if !c.holds(have) {
                    return None;
                }
                extras.push(format!("{name}={:.4}", have.unwrap_or_default()));
            }
        }
        Some(Fired::new(format!("{}+{}", f.id, f.package.name), message(f, &extras)))
    }
}

/// Parses a publication date (RFC 3339, `YYYY-MM-DD`, or a date and time without zone).
fn published_time(s: &str) -> Option<i64> {
    parse_time(s).or_else(|| s.get(..10).and_then(parse_time))
}

/// A link for the vulnerability.
fn link(f: &Finding) -> String {
    if f.id.starts_with("CVE-") {
        format!("https://nvd.nist.gov/vuln/detail/{}", f.id)
    } else if f.id.starts_with("GHSA-") {
        format!("https://github.com/advisories/{}", f.id)
    } else if let Some(r) = f.references.first() {
        r.clone()
    } else {
        format!("https://osv.dev/vulnerability/{}", f.id)
    }
}

/// Anchore's message: `HIGH Vulnerability found in os package type (deb) - openssl
/// 3.0.2-1 (fixed in: 3.0.11-1) (CVE-2023-1234 - https://…)`.
fn message(f: &Finding, extras: &[String]) -> String {
    let t = f.package.package_type;
    let mut m = format!(
        "{} Vulnerability found in {} package type ({}) - {} {}",
        f.severity.as_str().to_ascii_uppercase(),
        if t.is_os() { "os" } else { "non-os" },
        t,
        f.package.name,
        f.package.version
    );
    if !f.fixed_versions.is_empty() {
        m.push_str(&format!(" (fixed in: {})", f.fixed_versions.join(", ")));
    } else if f.fix_state == FixState::WontFix {
        m.push_str(" (won't fix)");
    }
    if !extras.is_empty() {
        m.push_str(&format!(" ({})", extras.join(" ")));
    }
    m.push_str(&format!(" ({} - {})", f.id, link(f)));
    m
}

fn package(input: &TriggerInput<'_>) -> Vec<Fired> {
    let Some(report) = &input.analysis.vulnerabilities else {
        return Vec::new();
    };
    let criteria = Criteria::of(input.params, now(input.ctx));
    report.findings.iter().filter_map(|f| criteria.fire(f)).collect()
}

fn stale_feed_data(input: &TriggerInput<'_>) -> Vec<Fired> {
    let Some(days) = input.params.int("max_days_since_sync") else {
        return Vec::new();
    };
    let max_age = days.max(0).unsigned_abs().saturating_mul(86400);
    let fire = |msg: String| vec![Fired::new("stale_feed_data", msg)];
    match &input.analysis.database {
        Some(db) if db.built_at_unix > 0 => {
            let age = if input.ctx.now_unix == 0 {
                db.age_seconds
            } else {
                input.ctx.now_unix.saturating_sub(db.built_at_unix)
            };
            if age <= max_age {
                return Vec::new();
            }
            let built = db
                .built_at
                .as_deref()
                .map(|b| format!(", built {b}"))
                .unwrap_or_default();
            fire(format!(
                "The vulnerability database is {} days old{built}: older than max_days_since_sync ({days} days)",
                age / 86400
            ))
        }
        Some(db) => fire(format!(
            "The vulnerability database {} has no build time: it may be older than max_days_since_sync ({days} \
             days)",
            db.path
        )),
        None if input.analysis.vulnerabilities.is_some() => fire(format!(
            "The analysis does not say which vulnerability database it used or how old it is: it may be older \
             than max_days_since_sync ({days} days)"
        )),
        // No vulnerability data at all: `vulnerability_data_unavailable` reports that.
        None => Vec::new(),
    }
}

fn vulnerability_data_unavailable(input: &TriggerInput<'_>) -> Vec<Fired> {
    let a = input.analysis;
    let fire = |msg: String| vec![Fired::new("vulnerability_data_unavailable", msg)];
    if a.vulnerabilities.is_none() {
        return fire(if a.scanners.vuln {
            "No vulnerability data: the image was not matched against a vulnerability database (none was \
             available). Cannot check its packages for vulnerabilities"
                .into()
        } else {
            "No vulnerability data: the vulnerability scanner was off for this analysis. Cannot check the \
             image's packages for vulnerabilities"
                .into()
        });
    }
    // Namespaces the database had no advisories for (a distro release or an ecosystem it
    // was not built with): those packages were never checked.
    let mut fired: Vec<Fired> = a
        .vulnerabilities
        .iter()
        .flat_map(|r| &r.unavailable)
        .map(|g| {
            Fired::new(
                "vulnerability_data_unavailable",
                format!(
                    "No vulnerability data for {}: the database has no advisories for it, so the image's {} {} \
                     package(s) there were not checked for vulnerabilities",
                    g.namespace,
                    g.packages,
                    if g.os { "OS" } else { "language" }
                ),
            )
        })
        .collect();
    let os_packages = a.sbom.packages.iter().filter(|p| p.package_type.is_os()).count();
    let namespace = a.sbom.distro.as_ref().and_then(drydock_match::key::distro_namespace);
    if os_packages == 0 || namespace.is_some() {
        return fired;
    }
    let distro = match &a.sbom.distro {
        Some(d) => format!("{} {}", d.id, d.version_id).trim().to_string(),
        None => "(none detected)".into(),
    };
    fired.extend(fire(format!(
        "Distro-specific vulnerability data not found for distro {distro}: its {os_packages} OS packages were not \
         checked for vulnerabilities"
    )));
    fired
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rating(vector: &str, source: &str) -> Severity {
        Severity {
            kind: "CVSS_V3".into(),
            value: vector.into(),
            score: None,
            source: source.into(),
        }
    }

    #[test]
    fn sub_scores_match_nvd() {
        let s = v3_scores(&rating("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "nvd@nist.gov")).unwrap();
        assert_eq!((s.base, s.exploitability, s.impact), (Some(9.8), Some(3.9), Some(5.9)));
        // Scope changed (CVE-2021-44228's vector).
        let s = v3_scores(&rating("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", "x")).unwrap();
        assert_eq!((s.base, s.exploitability, s.impact), (Some(10.0), Some(3.9), Some(6.0)));
        let s = v3_scores(&rating("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", "x")).unwrap();
        assert_eq!((s.base, s.exploitability, s.impact), (Some(5.5), Some(1.8), Some(3.6)));
        assert!(v3_scores(&Severity {
            kind: "CVSS_V2".into(),
            value: "AV:N/AC:L/Au:N/C:P/I:P/A:P".into(),
            score: Some(7.5),
            source: String::new(),
        })
        .is_none());
    }
}
