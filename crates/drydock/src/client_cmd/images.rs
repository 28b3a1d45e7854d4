//! `drydock image`: add (and wait for) an image, list, get and delete images, and read
//! what their analyses hold. `image check` exits like `drydock check`.

use super::{done, printed_json, severity_rank};
use crate::cli::{ImageArgs, ImageCommand, SbomFormatArg};
use crate::client::{
    dash, emit, fields_text, finish, joined, opt, print_json, print_table, show, time, typed, Body, Client,
    ClientError, Result,
};
use drydock_api::images::{
    AddImage, AddedImage, Check, Content, History, Image, ImageList, Misconfigurations, Secrets, VulnReport,
    VulnerabilityData,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Runs `drydock image …`.
pub fn image(args: &ImageArgs) -> anyhow::Result<ExitCode> {
    let result = Client::new(&args.client).and_then(|c| run_image(&c, &args.command));
    Ok(finish(result))
}

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
            if printed_json(c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let list: ImageList = typed(&v)?;
            let rows: Vec<Vec<String>> = list
                .images
                .iter()
                .map(|i| {
                    // Tags are known once the analysis resolved them; until then, the repository.
                    let name = if i.tags.is_empty() {
                        format!("{}/{}", dash(&i.registry), dash(&i.repository))
                    } else {
                        joined(&i.tags)
                    };
                    vec![
                        dash(&i.id),
                        dash(&i.status),
                        time(Some(i.created_at)),
                        name,
                        opt(i.digest.as_deref()),
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
            if printed_json(c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let history: History = typed(&v)?;
            let rows: Vec<Vec<String>> = history
                .history
                .iter()
                .map(|h| {
                    vec![
                        time(Some(h.first_seen)),
                        time(Some(h.last_seen)),
                        dash(&h.image_id),
                        dash(&h.digest),
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
            let sbom: SbomOutline = typed(&v)?;
            let rows: Vec<Vec<String>> = sbom.packages.iter().map(PackageRow::row).collect();
            print_table(&["NAME", "VERSION", "TYPE", "LOCATION"], &rows, "No packages.")?;
            Ok(ExitCode::SUCCESS)
        }
        ImageCommand::Secrets { id } => {
            let v = c.get(&["images", id, "secrets"], &[])?;
            if printed_json(c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let found: Secrets<SecretRow> = typed(&v)?;
            let rows: Vec<Vec<String>> = found
                .secrets
                .iter()
                .map(|s| {
                    vec![
                        show(&s.severity).to_uppercase(),
                        show(&s.rule_id),
                        format!("{}:{}", show(&s.path), show(&s.line)),
                        show(&s.layer),
                        show(&s.redacted),
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
            if printed_json(c, &v)? {
                return Ok(ExitCode::SUCCESS);
            }
            let found: Misconfigurations<MisconfigRow> = typed(&v)?;
            let rows: Vec<Vec<String>> = found
                .misconfigurations
                .iter()
                .map(|m| {
                    vec![
                        show(&m.severity).to_uppercase(),
                        dash(&m.id),
                        opt(m.path.as_deref()),
                        m.layer.map_or_else(|| "-".into(), |l| l.to_string()),
                        dash(&m.title),
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

// What the tables show of the analysis documents (the server sends them whole).

/// The native SBOM's packages.
#[derive(Debug, Deserialize)]
struct SbomOutline {
    #[serde(default)]
    packages: Vec<PackageRow>,
}

/// A package: name, version, type and where it was found.
#[derive(Debug, Deserialize)]
struct PackageRow {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default, rename = "type")]
    package_type: String,
    #[serde(default)]
    locations: Vec<LocationRow>,
}

/// Where a package was found.
#[derive(Debug, Deserialize)]
struct LocationRow {
    #[serde(default)]
    path: String,
}

impl PackageRow {
    fn row(&self) -> Vec<String> {
        let location = self.locations.first().map_or_else(|| "-".into(), |l| dash(&l.path));
        vec![
            dash(&self.name),
            dash(&self.version),
            dash(&self.package_type),
            location,
        ]
    }
}

/// A file of the image.
#[derive(Debug, Deserialize)]
struct FileRow {
    #[serde(default)]
    path: String,
    #[serde(default)]
    kind: Value,
    mode: Option<u64>,
    #[serde(default)]
    uid: Value,
    #[serde(default)]
    gid: Value,
    #[serde(default)]
    size: Value,
    #[serde(default)]
    layer: Value,
    link: Option<String>,
}

/// A vulnerability finding.
#[derive(Debug, Deserialize)]
struct FindingRow {
    #[serde(default)]
    id: String,
    #[serde(default)]
    severity: String,
    package: FindingPackage,
    fix_state: Option<String>,
    #[serde(default)]
    fixed_versions: Vec<String>,
}

/// The package of a finding.
#[derive(Debug, Deserialize)]
struct FindingPackage {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
}

/// A secret (redacted).
#[derive(Debug, Deserialize)]
struct SecretRow {
    #[serde(default)]
    severity: Value,
    #[serde(default)]
    rule_id: Value,
    #[serde(default)]
    path: Value,
    #[serde(default)]
    line: Value,
    #[serde(default)]
    layer: Value,
    #[serde(default)]
    redacted: Value,
}

/// A misconfiguration.
#[derive(Debug, Deserialize)]
struct MisconfigRow {
    #[serde(default)]
    id: String,
    #[serde(default)]
    severity: Value,
    #[serde(default)]
    title: String,
    path: Option<String>,
    layer: Option<u64>,
}

/// Prints one image (the answer of `GET /v1/images/{id}` or `POST /v1/images`): its fields,
/// or its JSON.
fn print_image(c: &Client, v: &Value) -> Result<()> {
    if c.json() {
        return print_json(v);
    }
    let i: Image = typed(v)?;
    let mut fields = vec![
        ("ID", dash(&i.id)),
        ("Status", dash(&i.status)),
        ("Tags", joined(&i.tags)),
        ("Digest", opt(i.digest.as_deref())),
        ("Registry", dash(&i.registry)),
        ("Repository", dash(&i.repository)),
        ("Account", dash(&i.account)),
        ("Added", time(Some(i.created_at))),
        ("Analysed", time(i.analyzed_at)),
    ];
    if let Some(e) = &i.error {
        fields.push(("Error", dash(e)));
    }
    emit(&fields_text(&fields))
}

fn image_add(c: &Client, tag: &str, force: bool, wait: bool, timeout: u64) -> Result<ExitCode> {
    let body = AddImage {
        tag: tag.to_string(),
        force,
    };
    let answer = c.post(&["images"], Some(Body::json(&body)))?;
    let added: AddedImage = typed(&answer)?;
    let id = added.image.id.clone();
    let queued = added.queued;
    if !queued {
        print_image(c, &answer)?;
        if !c.json() {
            let digest = opt(added.image.digest.as_deref());
            if added.already_analysed {
                eprintln!("{tag} is already analysed ({digest}); nothing queued: use --force to analyse again.");
            } else {
                eprintln!(
                    "{tag} is already known ({digest}, {}); nothing new queued.",
                    dash(&added.image.status)
                );
            }
        }
        if !wait {
            return Ok(ExitCode::SUCCESS);
        }
    }
    if !wait {
        print_image(c, &answer)?;
        if !c.json() {
            eprintln!("The analysis is queued: `drydock image get {id}` shows its status (or add --wait).");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let start = Instant::now();
    let limit = Duration::from_secs(timeout);
    let (mut current_v, mut current) = (answer, added.image);
    loop {
        // A failed re-analysis leaves the stored one (the image stays analysed, with the error).
        let refailed = queued && current.error.is_some();
        match current.status.as_str() {
            "analyzed" if !refailed => {
                print_image(c, &current_v)?;
                return Ok(ExitCode::SUCCESS);
            }
            "failed" | "analyzed" => {
                print_image(c, &current_v)?;
                return Err(ClientError::failed(format!(
                    "the analysis of {tag} failed: {}",
                    opt(current.error.as_deref())
                ))
                .hint("check the tag and that the service can reach the registry; `drydock image add` tries again"));
            }
            _ => {}
        }
        let elapsed = start.elapsed();
        if elapsed >= limit {
            return Err(ClientError::failed(format!(
                "image {id} is still {} after {timeout} s",
                dash(&current.status)
            ))
            .hint(format!(
                "the analysis goes on in the service: `drydock image get {id}` shows it later (raise --timeout to wait \
                 longer; a service started with --workers 0 needs `drydock worker` processes)"
            )));
        }
        std::thread::sleep((limit - elapsed).min(Duration::from_secs(1)));
        current_v = c.get(&["images", &id], &[])?;
        current = typed(&current_v)?;
    }
}

fn image_vuln(c: &Client, id: &str, kind: &str) -> Result<ExitCode> {
    let v = c.get(&["images", id, "vuln", kind], &[])?;
    if printed_json(c, &v)? {
        return Ok(ExitCode::SUCCESS);
    }
    let mut report: VulnReport<FindingRow> = typed(&v)?;
    report.vulnerabilities.sort_by_cached_key(|f| {
        (
            severity_rank(&f.severity),
            dash(&f.package.name),
            dash(&f.package.version),
            dash(&f.id),
        )
    });
    let rows: Vec<Vec<String>> = report
        .vulnerabilities
        .iter()
        .map(|f| {
            let fixed = match f.fixed_versions.as_slice() {
                [] => match f.fix_state.as_deref() {
                    Some(s) if s != "fixed" && s != "unknown" => format!("({s})"),
                    _ => "-".into(),
                },
                vs => vs.iter().map(|v| dash(v)).collect::<Vec<_>>().join(", "),
            };
            vec![
                dash(&f.package.name),
                dash(&f.package.version),
                dash(&f.id),
                dash(&f.severity).to_uppercase(),
                fixed,
            ]
        })
        .collect();
    let empty = match &report.note {
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

fn image_content(c: &Client, id: &str, kind: &str) -> Result<ExitCode> {
    let v = c.get(&["images", id, "content", kind], &[])?;
    if printed_json(c, &v)? {
        return Ok(ExitCode::SUCCESS);
    }
    if kind == "files" {
        let content: Content<FileRow> = typed(&v)?;
        let rows: Vec<Vec<String>> = content
            .content
            .iter()
            .map(|f| {
                let mode = f.mode.map_or_else(|| "-".into(), |m| format!("{m:04o}"));
                let mut path = dash(&f.path);
                if let Some(link) = &f.link {
                    path = format!("{path} -> {link}");
                }
                vec![
                    show(&f.kind),
                    mode,
                    format!("{}:{}", show(&f.uid), show(&f.gid)),
                    show(&f.size),
                    show(&f.layer),
                    path,
                ]
            })
            .collect();
        print_table(&["KIND", "MODE", "OWNER", "SIZE", "LAYER", "PATH"], &rows, "No files.")?;
    } else {
        let content: Content<PackageRow> = typed(&v)?;
        let rows: Vec<Vec<String>> = content.content.iter().map(PackageRow::row).collect();
        print_table(
            &["NAME", "VERSION", "TYPE", "LOCATION"],
            &rows,
            &format!("No {kind} packages."),
        )?;
    }
    Ok(ExitCode::SUCCESS)
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
    let check: Check<drydock_policy::Evaluation> = typed(&v)?;
    let action = check.evaluation.final_action;
    if c.json() {
        print_json(&v)?;
    } else {
        emit(&check_text(&check, std::io::stdout().is_terminal()))?;
    }
    Ok(match action {
        drydock_policy::Action::Stop => ExitCode::from(crate::gate::FAILURE),
        drydock_policy::Action::Warn if fail_on_warn => ExitCode::from(crate::gate::FAILURE),
        drydock_policy::Action::Go | drydock_policy::Action::Warn => ExitCode::SUCCESS,
    })
}

/// The evaluation as `drydock check` prints it (the one table of `drydock_report`), headed
/// by the tag the service judged and how it chose the bundle.
fn check_text(check: &Check<drydock_policy::Evaluation>, color: bool) -> String {
    let eval = &check.evaluation;
    let tag = if check.tag.is_empty() { "(no tag)" } else { &check.tag };
    let image = if eval.image.digest.is_empty() {
        tag.to_string()
    } else {
        format!("{tag}  {}", eval.image.digest)
    };
    let header = drydock_report::policy::TableHeader {
        image,
        bundle_id: &eval.bundle_id,
        bundle_name: &eval.bundle_name,
        bundle_note: if check.policy.is_some() {
            ""
        } else {
            " [built-in default: no active bundle]"
        },
        vulnerabilities_unchecked: check.vulnerability_data == VulnerabilityData::Unavailable,
        unmapped: "no mapping matched",
    };
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = drydock_report::policy::check_table(eval, &header, &mut out, color);
    String::from_utf8_lossy(&out).into_owned()
}
