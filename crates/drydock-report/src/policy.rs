//! Output of `drydock check`: table (final action first, then triggers by gate), the
//! evaluation as JSON, JUnit XML (one test case per rule) and SARIF.

use crate::sarif::{image_uri, SarifRun};
use crate::table::{table, write_warnings};
use crate::OutputFormat;
use drydock_policy::bundle::Rule;
use drydock_policy::{Action, Bundle, Evaluation, RuleResult};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Schema of the JSON output.
const SCHEMA: &str = "https://drydock.dev/schema/policy-evaluation/v1.json";

/// A format `drydock check` can write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human-readable tables (`table`).
    Table,
    /// The native JSON document (`json`, `native`, `drydock-json`).
    Json,
    /// JUnit XML, one test case per rule of the mapped rule sets (`junit`, `junit-xml`, `xml`).
    Junit,
    /// SARIF 2.1.0 (`sarif`, `sarif-json`).
    Sarif,
}

impl OutputFormat for Format {
    const NAMES: &'static [(&'static str, Self)] = &[
        ("table", Format::Table),
        ("json", Format::Json),
        ("native", Format::Json),
        ("drydock-json", Format::Json),
        ("junit", Format::Junit),
        ("junit-xml", Format::Junit),
        ("xml", Format::Junit),
        ("sarif", Format::Sarif),
        ("sarif-json", Format::Sarif),
    ];
}

/// Writes the evaluation in one format.
pub fn render(
    bundle: &Bundle,
    eval: &Evaluation,
    format: Format,
    w: &mut dyn Write,
    color: bool,
    fail_on_warn: bool,
) -> io::Result<()> {
    match format {
        Format::Table => write_table(bundle, eval, w, color),
        Format::Json => {
            #[derive(Serialize)]
            struct Doc<'a> {
                #[serde(rename = "$schema")]
                schema: &'static str,
                #[serde(flatten)]
                eval: &'a Evaluation,
            }
            serde_json::to_writer_pretty(&mut *w, &Doc { schema: SCHEMA, eval })?;
            writeln!(w)
        }
        Format::Junit => write_junit(bundle, eval, w, fail_on_warn),
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut *w, &sarif(bundle, eval))?;
            writeln!(w)
        }
    }
}

fn paint(action: Action, text: &str, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match action {
        Action::Stop => "1;31",
        Action::Warn => "1;33",
        Action::Go => "1;32",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

fn image_line(eval: &Evaluation) -> String {
    let tag = eval.image.full_tag();
    let name = if tag.is_empty() { "(no tag)".to_string() } else { tag };
    if eval.image.digest.is_empty() {
        name
    } else {
        format!("{name}  {}", eval.image.digest)
    }
}

fn write_table(bundle: &Bundle, eval: &Evaluation, w: &mut dyn Write, color: bool) -> io::Result<()> {
    let header = TableHeader {
        image: image_line(eval),
        bundle_id: &bundle.id,
        bundle_name: &bundle.name,
        bundle_note: "",
        vulnerabilities_unchecked: false,
        unmapped: "no mapping matched (--unmapped go)",
    };
    check_table(eval, &header, w, color)
}

/// What the head of a [`check_table`] names: the image, the bundle and how it was chosen.
#[derive(Debug, Clone)]
pub struct TableHeader<'a> {
    /// The image line: tag (or `(no tag)`) and digest.
    pub image: String,
    /// The bundle's id.
    pub bundle_id: &'a str,
    /// The bundle's name (may be empty).
    pub bundle_name: &'a str,
    /// Said after the bundle (e.g. that it is the built-in default).
    pub bundle_note: &'a str,
    /// The image was not matched against vulnerability data: a `Vulns:` line says so.
    pub vulnerabilities_unchecked: bool,
    /// The reason given when no mapping matched.
    pub unmapped: &'a str,
}

/// The evaluation as `drydock check` and `drydock image check` print it: image, bundle,
/// final action, then the triggers grouped by gate, then the warnings.
pub fn check_table(eval: &Evaluation, header: &TableHeader, w: &mut dyn Write, color: bool) -> io::Result<()> {
    let count = |a: Action| eval.counts.get(&a).copied().unwrap_or(0);
    let allowed = eval.results.iter().filter(|r| r.allowlisted.is_some()).count();
    writeln!(w, "Image:        {}", header.image)?;
    let bundle_name = if header.bundle_name.is_empty() {
        format!("{:?}", header.bundle_id)
    } else {
        format!("{:?} ({})", header.bundle_id, header.bundle_name)
    };
    let note = header.bundle_note;
    match &eval.mapping {
        Some(m) => writeln!(
            w,
            "Bundle:       {bundle_name}{note}, mapping {:?}{}",
            m.id,
            if m.name.is_empty() {
                String::new()
            } else {
                format!(" ({})", m.name)
            }
        )?,
        None => writeln!(w, "Bundle:       {bundle_name}{note}, no mapping")?,
    }
    if header.vulnerabilities_unchecked {
        writeln!(
            w,
            "Vulns:        {}",
            paint(
                Action::Warn,
                "NOT CHECKED: no vulnerability data (vulnerability_data_unavailable); the service has no vulnerability \
                 database",
                color
            )
        )?;
    }
    let reason = match eval.final_action_reason {
        drydock_policy::evaluate::FinalReason::PolicyEvaluation => format!(
            "{} STOP, {} WARN, {} GO, {allowed} allowlisted",
            count(Action::Stop),
            count(Action::Warn),
            count(Action::Go)
        ),
        drydock_policy::evaluate::FinalReason::Denylisted => format!(
            "the image is denylisted ({})",
            eval.matched_image_entry.as_deref().unwrap_or("")
        ),
        drydock_policy::evaluate::FinalReason::Allowlisted => format!(
            "the image is allowlisted ({})",
            eval.matched_image_entry.as_deref().unwrap_or("")
        ),
        drydock_policy::evaluate::FinalReason::Unmapped => header.unmapped.to_string(),
    };
    writeln!(
        w,
        "Final action: {}  ({reason})",
        paint(eval.final_action, eval.final_action.as_str(), color)
    )?;
    let mut by_gate: Vec<(&str, Vec<&RuleResult>)> = Vec::new();
    for r in &eval.results {
        match by_gate.last_mut() {
            Some((g, list)) if *g == r.gate => list.push(r),
            _ => by_gate.push((r.gate.as_str(), vec![r])),
        }
    }
    for (gate, results) in by_gate {
        writeln!(w, "\n{gate} ({})", results.len())?;
        let rows: Vec<Vec<String>> = results
            .iter()
            .map(|r| {
                let action = match &r.allowlisted {
                    Some(a) => format!("GO ({}/{})", a.allowlist_id, a.item_id),
                    None => r.action.as_str().to_string(),
                };
                vec![action, r.trigger.clone(), r.trigger_id.clone(), r.message.clone()]
            })
            .collect();
        let mut buf = Vec::new();
        table(&mut buf, &["ACTION", "TRIGGER", "TRIGGER ID", "MESSAGE"], &rows)?;
        for line in String::from_utf8_lossy(&buf).lines() {
            let line = if color {
                let action = [Action::Stop, Action::Warn]
                    .into_iter()
                    .find(|a| line.starts_with(&format!("{} ", a.as_str())));
                match action {
                    Some(a) => paint(a, line, true),
                    None => line.to_string(),
                }
            } else {
                line.to_string()
            };
            writeln!(w, "  {line}")?;
        }
    }
    write_warnings(w, &eval.warnings)
}

/// Escapes text for XML attributes and content.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The rules of the mapped rule sets, in order: (rule set id, rule id, rule).
fn mapped_rules<'a>(bundle: &'a Bundle, eval: &Evaluation) -> Vec<(&'a str, String, &'a Rule)> {
    let mut out = Vec::new();
    let Some(m) = &eval.mapping else {
        return out;
    };
    for id in &m.rule_set_ids {
        if let Some(rs) = bundle.rule_sets.iter().find(|r| &r.id == id) {
            for (j, rule) in rs.rules.iter().enumerate() {
                let rule_id = if rule.id.is_empty() {
                    format!("{}#{j}", rs.id)
                } else {
                    rule.id.clone()
                };
                out.push((rs.id.as_str(), rule_id, rule));
            }
        }
    }
    out
}

/// JUnit XML: one test case per rule of the mapped rule sets; a rule fails when a STOP
/// trigger (or a WARN one with `--fail-on-warn`) fired and was not allowlisted.
fn write_junit(bundle: &Bundle, eval: &Evaluation, w: &mut dyn Write, fail_on_warn: bool) -> io::Result<()> {
    let rules = mapped_rules(bundle, eval);
    let mut cases = String::new();
    let mut failures = 0;
    for (rs, rule_id, rule) in &rules {
        let fired: Vec<&RuleResult> = eval
            .results
            .iter()
            .filter(|r| r.rule_set_id == *rs && &r.rule_id == rule_id)
            .collect();
        let counting: Vec<&&RuleResult> = fired.iter().filter(|r| r.allowlisted.is_none()).collect();
        let fails = counting
            .iter()
            .any(|r| r.action == Action::Stop || (fail_on_warn && r.action == Action::Warn));
        cases.push_str(&format!(
            "    <testcase classname=\"drydock.{}\" name=\"{}: {}.{} ({})\">\n",
            xml(&rule.gate),
            xml(rule_id),
            xml(&rule.gate),
            xml(&rule.trigger),
            xml(&rule.action.to_uppercase())
        ));
        let lines: Vec<String> = fired
            .iter()
            .map(|r| match &r.allowlisted {
                Some(a) => format!(
                    "ALLOWLISTED ({}/{}) {}: {}",
                    a.allowlist_id, a.item_id, r.trigger_id, r.message
                ),
                None => format!("{} {}: {}", r.action, r.trigger_id, r.message),
            })
            .collect();
        if fails {
            failures += 1;
            cases.push_str(&format!(
                "      <failure type=\"{}\" message=\"{} trigger(s) fired\">{}</failure>\n",
                xml(&rule.action.to_uppercase()),
                counting.len(),
                xml(&lines.join("\n"))
            ));
        } else if !lines.is_empty() {
            cases.push_str(&format!("      <system-out>{}</system-out>\n", xml(&lines.join("\n"))));
        }
        cases.push_str("    </testcase>\n");
    }
    let suite = format!("{} on {}", eval.bundle_id, image_line(eval));
    writeln!(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>")?;
    writeln!(
        w,
        "<testsuites name=\"drydock check\" tests=\"{}\" failures=\"{failures}\">",
        rules.len()
    )?;
    writeln!(
        w,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
        xml(&suite),
        rules.len()
    )?;
    writeln!(w, "    <properties>")?;
    for (k, v) in [
        ("final_action", eval.final_action.as_str().to_string()),
        ("bundle", eval.bundle_id.clone()),
        (
            "mapping",
            eval.mapping.as_ref().map(|m| m.id.clone()).unwrap_or_default(),
        ),
        ("image_digest", eval.image.digest.clone()),
    ] {
        writeln!(w, "      <property name=\"{k}\" value=\"{}\"/>", xml(&v))?;
    }
    for warning in &eval.warnings {
        writeln!(w, "      <property name=\"warning\" value=\"{}\"/>", xml(warning))?;
    }
    writeln!(w, "    </properties>")?;
    write!(w, "{cases}")?;
    writeln!(w, "  </testsuite>\n</testsuites>")
}

/// SARIF 2.1.0: one rule per bundle rule that fired (its id prefixed with the rule set's
/// when two rule sets use the same rule id), one result per firing pointing at the image;
/// allowlisted firings carry a suppression naming the allowlist item; the evaluation's
/// warnings are tool execution notifications.
fn sarif(bundle: &Bundle, eval: &Evaluation) -> serde_json::Value {
    let rules = mapped_rules(bundle, eval);
    let by_id: BTreeMap<(&str, &str), &Rule> = rules.iter().map(|(rs, id, r)| ((*rs, id.as_str()), *r)).collect();
    let mut used: Vec<(&str, &str)> = Vec::new();
    for r in &eval.results {
        let key = (r.rule_set_id.as_str(), r.rule_id.as_str());
        if !used.contains(&key) {
            used.push(key);
        }
    }
    let mut sets_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, id) in &used {
        *sets_of.entry(id).or_default() += 1;
    }
    let sarif_id = |key: (&str, &str)| -> String {
        if sets_of.get(key.1).copied().unwrap_or(0) > 1 {
            format!("{}/{}", key.0, key.1)
        } else {
            key.1.to_string()
        }
    };
    let mut run = SarifRun::new(image_uri(&image_name(eval)));
    for key in &used {
        let rule = by_id.get(key);
        let (gate, trigger, action) = rule
            .map(|r| (r.gate.as_str(), r.trigger.as_str(), r.action.to_uppercase()))
            .unwrap_or_default();
        run.add_rule(json!({
            "id": sarif_id(*key),
            "name": format!("{gate}.{trigger}"),
            "shortDescription": { "text": format!("{gate}.{trigger} ({action}) in rule set {}", key.0) },
            "help": { "text": rule.and_then(|r| r.recommendation.clone()).unwrap_or_else(|| format!("See `drydock policy describe {gate}`.")) },
            "properties": { "tags": ["policy", gate], "action": action, "ruleSet": key.0 },
        }));
    }
    for r in &eval.results {
        let level = match r.action {
            Action::Stop => "error",
            Action::Warn => "warning",
            Action::Go => "note",
        };
        let mut v = json!({
            "level": level,
            "message": { "text": format!("{} {}.{}: {} ({})", r.action, r.gate, r.trigger, r.message, r.trigger_id) },
            "properties": { "gate": r.gate, "trigger": r.trigger, "triggerId": r.trigger_id, "action": r.action },
        });
        if let Some(a) = &r.allowlisted {
            v["suppressions"] = json!([{ "kind": "external", "justification": format!("allowlist {} item {}", a.allowlist_id, a.item_id) }]);
        }
        let id = sarif_id((r.rule_set_id.as_str(), r.rule_id.as_str()));
        run.add_result(&id, v, &["policy", &r.rule_set_id, &r.gate, &r.trigger, &r.trigger_id]);
    }
    run.add_warnings(&eval.warnings);
    run.set_property("finalAction", json!(eval.final_action));
    run.set_property("bundle", json!(eval.bundle_id));
    run.set_property("image", json!(image_line(eval)));
    run.to_json()
}

/// The image's name for locations: `registry/repository`, else its digest or id.
fn image_name(eval: &Evaluation) -> String {
    let i = &eval.image;
    if !i.repository.is_empty() {
        if i.registry.is_empty() {
            i.repository.clone()
        } else {
            format!("{}/{}", i.registry, i.repository)
        }
    } else if !i.tag.is_empty() {
        i.tag.clone()
    } else if !i.digest.is_empty() {
        i.digest.replace(':', "-")
    } else {
        i.image_id.replace(':', "-")
    }
}
