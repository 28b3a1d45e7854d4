//! The dashboard: images by final action and worst severity, findings over time (the daily
//! snapshots), the most vulnerable images, the most widespread and known-exploited findings,
//! and images whose policy result changed in the last week.

use super::{frame, render, Viewer};
use crate::api::{blocking, S};
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use drydock_store::{ImageState, Spread};
use drydock_web::chart::{self, Bar, Day};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// Severities from worst to least, as the analysis names them (lower case) and as shown.
pub(crate) const SEVERITIES: &[(&str, &str)] = &[
    ("critical", "Critical"),
    ("high", "High"),
    ("medium", "Medium"),
    ("low", "Low"),
    ("negligible", "Negligible"),
    ("unknown", "Unknown"),
];

/// Days of history on the dashboard.
const DAYS: i64 = 30;

#[derive(Debug, Default, Serialize)]
struct Totals {
    images: usize,
    stop: usize,
    warn: usize,
    go: usize,
    pending: usize,
    failed: usize,
}

#[derive(Debug, Serialize)]
pub(crate) struct ImageRow {
    pub id: String,
    pub name: String,
    pub final_action: String,
    pub severities: BTreeMap<String, i64>,
}

#[derive(Debug, Serialize)]
struct VulnRow {
    id: String,
    severity: String,
    images: i64,
    kev: bool,
}

#[derive(Debug, Serialize)]
struct Change {
    image_id: String,
    subject: String,
    detail: String,
    at: i64,
}

#[derive(Debug, Serialize)]
struct Dashboard {
    notices: Vec<String>,
    totals: Totals,
    by_action_svg: String,
    by_severity_svg: String,
    over_time_svg: Option<String>,
    days: i64,
    top_images: Vec<ImageRow>,
    widespread: Vec<VulnRow>,
    kev: Vec<VulnRow>,
    changed: Vec<Change>,
}

/// Findings by severity from an image state's JSON (missing or bad: none).
pub(crate) fn severities_of(json: Option<&str>) -> BTreeMap<String, i64> {
    json.and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default()
}

/// The worst severity with a finding, or `None` for an image without findings.
fn worst(sev: &BTreeMap<String, i64>) -> Option<&'static str> {
    SEVERITIES
        .iter()
        .find(|(k, _)| sev.get(*k).is_some_and(|n| *n > 0))
        .map(|(k, _)| *k)
}

/// `registry/repository@sha256:0123…` for a list.
pub(crate) fn display_name(s: &ImageState) -> String {
    match &s.digest {
        Some(d) => format!("{}/{}@{}", s.registry, s.repository, drydock_web::short_digest(d)),
        None => format!("{}/{}", s.registry, s.repository),
    }
}

fn vuln_row(s: Spread) -> VulnRow {
    let detail: serde_json::Value = serde_json::from_str(&s.detail).unwrap_or_default();
    let text = |k: &str| detail.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    let id = Some(text("id")).filter(|i| !i.is_empty()).unwrap_or(s.id);
    let sev = text("severity");
    VulnRow {
        id,
        severity: SEVERITIES
            .iter()
            .find(|(k, _)| *k == sev)
            .map_or("Unknown", |(_, shown)| shown)
            .to_string(),
        images: s.images,
        kev: detail.get("kev").and_then(|v| v.as_bool()).unwrap_or(false),
    }
}

/// The judged images with findings, most critical findings first (then high, medium, low).
fn most_vulnerable(states: &[ImageState], n: usize) -> Vec<&ImageState> {
    let key = |s: &ImageState| {
        let sev = severities_of(s.severities.as_deref());
        SEVERITIES[..4]
            .iter()
            .map(|(k, _)| sev.get(*k).copied().unwrap_or(0))
            .collect::<Vec<_>>()
    };
    let mut ranked: Vec<(Vec<i64>, &ImageState)> = states
        .iter()
        .filter(|s| s.final_action.is_some())
        .map(|s| (key(s), s))
        .filter(|(k, _)| k.iter().any(|n| *n > 0))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0));
    ranked.into_iter().take(n).map(|(_, s)| s).collect()
}

pub(super) async fn page(State(s): State<S>, Extension(v): Extension<Viewer>) -> Response {
    let frame = match frame(&s, &v, "Dashboard", "Dashboard").await {
        Ok(f) => f,
        Err(r) => return r,
    };
    let account = v.principal.acting_account.clone();
    let st = s.clone();
    let from_day = {
        let (y, m, d) = drydock_time::civil_from_days(drydock_store::now().div_euclid(86_400) - DAYS + 1);
        format!("{y:04}-{m:02}-{d:02}")
    };
    let week_ago = {
        let (y, m, d) = drydock_time::civil_from_days(drydock_store::now().div_euclid(86_400) - 7);
        format!("{y:04}-{m:02}-{d:02}")
    };
    let data = blocking(move || {
        let states = st.store.image_states(&account)?;
        let widespread = st.store.widespread_findings(&account, 10)?;
        let kev = st.store.kev_findings(&account, 10)?;
        let daily = st.store.daily_states(&account, &from_day)?;
        let mut tags = HashMap::new();
        for s in most_vulnerable(&states, 10) {
            tags.insert(s.image_id.clone(), st.store.current_tags(&s.image_id)?);
        }
        Ok((states, widespread, kev, daily, tags))
    })
    .await;
    let (states, widespread, kev, daily, tags) = match data {
        Ok(d) => d,
        Err(e) => return super::api_error_page(&s, &v, e),
    };
    let mut totals = Totals {
        images: states.len(),
        ..Totals::default()
    };
    let mut by_worst: BTreeMap<&str, i64> = BTreeMap::new();
    let mut clean = 0;
    for st in &states {
        match st.final_action.as_deref() {
            Some("STOP") => totals.stop += 1,
            Some("WARN") => totals.warn += 1,
            Some("GO") => totals.go += 1,
            _ => {}
        }
        match st.status.as_str() {
            "queued" | "analyzing" => totals.pending += 1,
            "failed" => totals.failed += 1,
            _ => {}
        }
        if st.final_action.is_some() {
            match worst(&severities_of(st.severities.as_deref())) {
                Some(w) => *by_worst.entry(w).or_default() += 1,
                None => clean += 1,
            }
        }
    }
    let bar = |label: &str, value: i64, class: &str, href: Option<String>| Bar {
        label: label.to_string(),
        value,
        class: class.to_string(),
        href,
    };
    let by_action_svg = chart::bars(
        "Images by final action",
        &[
            bar(
                "STOP",
                totals.stop as i64,
                "act-stop",
                Some("/images?action=STOP".into()),
            ),
            bar(
                "WARN",
                totals.warn as i64,
                "act-warn",
                Some("/images?action=WARN".into()),
            ),
            bar("GO", totals.go as i64, "act-go", Some("/images?action=GO".into())),
        ],
    );
    let mut sev_bars: Vec<Bar> = SEVERITIES
        .iter()
        .map(|(k, shown)| bar(shown, by_worst.get(k).copied().unwrap_or(0), &format!("sev-{k}"), None))
        .collect();
    sev_bars.push(bar("No findings", clean, "none", None));
    let by_severity_svg = chart::bars("Images by worst severity", &sev_bars);

    // Findings over time: the daily snapshots, and today from the live state.
    let mut per_day: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for d in &daily {
        let sev = severities_of(Some(&d.severities));
        let row = per_day.entry(d.day.clone()).or_insert_with(|| vec![0; 4]);
        for (i, (k, _)) in SEVERITIES[..4].iter().enumerate() {
            row[i] += sev.get(*k).copied().unwrap_or(0);
        }
    }
    let today = drydock_time::today_utc();
    let mut live = vec![0; 4];
    for st in states.iter().filter(|s| s.final_action.is_some()) {
        let sev = severities_of(st.severities.as_deref());
        for (i, (k, _)) in SEVERITIES[..4].iter().enumerate() {
            live[i] += sev.get(*k).copied().unwrap_or(0);
        }
    }
    let had_history = !per_day.is_empty();
    per_day.insert(today, live);
    let over_time_svg = had_history.then(|| {
        // Every day of the window, oldest first; a day without a snapshot draws nothing.
        let today_n = drydock_store::now().div_euclid(86_400);
        let days: Vec<Day> = (today_n - DAYS + 1..=today_n)
            .map(|n| {
                let (y, m, d) = drydock_time::civil_from_days(n);
                let day = format!("{y:04}-{m:02}-{d:02}");
                let values = per_day.get(&day).cloned().unwrap_or_else(|| vec![0; 4]);
                Day { day, values }
            })
            .collect();
        chart::stacked_days(
            "Findings by severity per day",
            &[
                ("Critical", "sev-critical"),
                ("High", "sev-high"),
                ("Medium", "sev-medium"),
                ("Low", "sev-low"),
            ],
            &days,
        )
    });

    // Policy results that changed since a week ago: the earliest snapshot of the week
    // against the live state.
    let first_day = daily.iter().map(|d| d.day.as_str()).find(|d| *d >= week_ago.as_str());
    let week_start: HashMap<&str, &str> = daily
        .iter()
        .filter(|d| Some(d.day.as_str()) == first_day)
        .map(|d| (d.image_id.as_str(), d.final_action.as_str()))
        .collect();
    let changed: Vec<Change> = states
        .iter()
        .filter_map(|st| {
            let now = st.final_action.as_deref()?;
            let then = *week_start.get(st.image_id.as_str())?;
            (then != now).then(|| Change {
                image_id: st.image_id.clone(),
                subject: display_name(st),
                detail: format!("{then} → {now}"),
                at: st.updated_at.unwrap_or(0),
            })
        })
        .take(10)
        .collect();

    let mut notices = Vec::new();
    if let Some(status) = &frame.status {
        if status.feeds_state != "ready" {
            notices.push(match status.feeds_state.as_str() {
                "waiting_for_feed" => "No vulnerability database yet: waiting for the first feed update. Findings below are incomplete.".to_string(),
                _ => "No vulnerability database is configured: images are not matched against vulnerability data, so no findings are shown.".to_string(),
            });
        }
    }
    let top_images = most_vulnerable(&states, 10)
        .into_iter()
        .map(|st| ImageRow {
            id: st.image_id.clone(),
            name: tags
                .get(&st.image_id)
                .and_then(|t| t.first().cloned())
                .unwrap_or_else(|| display_name(st)),
            final_action: st.final_action.clone().unwrap_or_default(),
            severities: severities_of(st.severities.as_deref()),
        })
        .collect();
    let page = Dashboard {
        notices,
        totals,
        by_action_svg,
        by_severity_svg,
        over_time_svg,
        days: DAYS,
        top_images,
        widespread: widespread.into_iter().map(vuln_row).collect(),
        kev: kev.into_iter().map(vuln_row).collect(),
        changed,
    };
    render(&s, "dashboard.html", &frame, &page).into_response()
}
