//! The web UI's pages, without I/O: templates embedded in the binary (minijinja; every value
//! is HTML-escaped unless a template marks it safe), the static assets (stylesheet, vendored
//! htmx, the page script) and server-rendered SVG charts. The server gathers each page's data
//! (the API's own types, `drydock-api`) and renders it here.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod assets;
pub mod chart;
pub mod frame;

pub use assets::{Asset, ASSETS};
pub use frame::{Frame, HeaderStatus, NavItem};

use serde::Serialize;

/// Every template, by name: `(name, source)`. Pages extend `base.html`.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("dashboard.html", include_str!("../templates/dashboard.html")),
    ("images.html", include_str!("../templates/images.html")),
    ("image.html", include_str!("../templates/image.html")),
    ("vulnerability.html", include_str!("../templates/vulnerability.html")),
    ("repositories.html", include_str!("../templates/repositories.html")),
    ("tag.html", include_str!("../templates/tag.html")),
    ("compare.html", include_str!("../templates/compare.html")),
    ("pending.html", include_str!("../templates/pending.html")),
    ("policies.html", include_str!("../templates/policies.html")),
    ("events.html", include_str!("../templates/events.html")),
    ("audit.html", include_str!("../templates/audit.html")),
    ("system.html", include_str!("../templates/system.html")),
    ("users.html", include_str!("../templates/users.html")),
    ("profile.html", include_str!("../templates/profile.html")),
];

/// A template failed to compile or render (a bug in a template: the page says so, the
/// service goes on).
#[derive(Debug, thiserror::Error)]
#[error("web template {name}: {source}")]
pub struct WebError {
    /// The template.
    pub name: String,
    /// What minijinja said.
    #[source]
    pub source: minijinja::Error,
}

/// The compiled templates.
pub struct Ui {
    env: minijinja::Environment<'static>,
}

impl Ui {
    /// Compiles every template (once, at start).
    pub fn new() -> Result<Ui, WebError> {
        let mut env = minijinja::Environment::new();
        // Templates end in .html: minijinja escapes every value for HTML by that name.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|source| WebError {
                name: (*name).to_string(),
                source,
            })?;
        }
        env.add_function("asset", |name: &str| {
            minijinja::Value::from_safe_string(assets::url(name))
        });
        env.add_filter("ago", |secs: i64, now: i64| ago(now - secs));
        env.add_filter("short_digest", |d: &str| short_digest(d).to_string());
        env.add_filter("urlencode", |s: &str| urlencode(s));
        Ok(Ui { env })
    }

    /// Renders a page: `frame` (who is signed in, navigation, header status) and the page's
    /// own data are the template's `frame` and `page`.
    pub fn render<T: Serialize>(&self, name: &str, frame: &Frame, page: &T) -> Result<String, WebError> {
        let err = |source| WebError {
            name: name.to_string(),
            source,
        };
        let template = self.env.get_template(name).map_err(err)?;
        template
            .render(minijinja::context! {
                frame => minijinja::Value::from(minijinja::value::Serde(frame)),
                page => minijinja::Value::from(minijinja::value::Serde(page)),
            })
            .map_err(err)
    }
}

impl Ui {
    /// Renders one block of a page template alone (an htmx fragment), with the page's data.
    pub fn render_fragment<T: Serialize>(&self, name: &str, block: &str, page: &T) -> Result<String, WebError> {
        let err = |source| WebError {
            name: format!("{name}#{block}"),
            source,
        };
        let template = self.env.get_template(name).map_err(err)?;
        let frame = Frame::default();
        let mut captured = template
            .render_captured(minijinja::context! {
                frame => minijinja::Value::from(minijinja::value::Serde(&frame)),
                page => minijinja::Value::from(minijinja::value::Serde(page)),
            })
            .map_err(err)?;
        captured.with_state_mut(|state| state.render_block(block)).map_err(err)
    }
}

/// "3 min ago", "2 h ago", "5 days ago" for a number of seconds.
pub fn ago(secs: i64) -> String {
    match secs.max(0) {
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), for a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// `sha256:0123456789ab` for a digest (algorithm and the first 12 hex digits).
pub fn short_digest(digest: &str) -> &str {
    match digest.find(':') {
        Some(i) => &digest[..(i + 13).min(digest.len())],
        None => &digest[..12.min(digest.len())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_digests_read_as_people_say_them() {
        assert_eq!(ago(5), "just now");
        assert_eq!(ago(7_200), "2 h ago");
        assert_eq!(ago(3 * 86_400 + 5), "3 days ago");
        assert_eq!(short_digest("sha256:0123456789abcdef"), "sha256:0123456789ab");
        assert_eq!(short_digest("abc"), "abc");
    }
}

/// Every template rendered with hostile values: nothing a user controls comes out as markup.
#[cfg(test)]
mod render_tests {
    use super::*;
    use serde_json::json;

    const EVIL: &str = "<script>alert(1)</script>";

    fn frame() -> Frame {
        Frame {
            title: EVIL.into(),
            user: Some(EVIL.into()),
            role: "admin".into(),
            account: EVIL.into(),
            accounts: vec![EVIL.into(), "other".into()],
            csrf: "tok\"en".into(),
            nav: vec![NavItem {
                label: "Images",
                href: "/images",
                active: true,
            }],
            status: Some(HeaderStatus {
                queued: 1,
                running: 0,
                feeds_built_at: None,
                feeds_state: "waiting_for_feed".into(),
            }),
            can_write_images: true,
            can_write_policies: false,
            now: 1_000_000,
        }
    }

    fn check(html: &str) {
        assert!(!html.contains(EVIL), "{html}");
        assert!(html.contains("&lt;script&gt;alert(1)"), "{html}");
        assert!(!html.contains("tok\"en"), "attribute values are escaped");
    }

    #[test]
    fn a_pending_images_status_renders_alone_and_polls_until_done() {
        let ui = Ui::new().unwrap();
        let html = ui
            .render_fragment(
                "pending.html",
                "status",
                &json!({"id": "i1", "name": EVIL, "status": "queued", "error": null, "created_at": 1, "now": 61}),
            )
            .unwrap();
        assert!(
            html.trim_start().starts_with("<section id=\"analysis-status\""),
            "{html}"
        );
        assert!(
            html.contains(r#"hx-get="/images/i1/status""#) && !html.contains("<html"),
            "{html}"
        );
        let failed = ui
            .render_fragment(
                "pending.html",
                "status",
                &json!({"id": "i1", "name": "n", "status": "failed", "error": EVIL, "created_at": 1, "now": 61}),
            )
            .unwrap();
        assert!(
            !failed.contains("hx-get") && failed.contains("&lt;script&gt;"),
            "{failed}"
        );
    }

    #[test]
    fn every_page_escapes_what_users_control() {
        let ui = Ui::new().unwrap();
        let sev = json!({"critical": 1, "high": 2});
        let pages = [
            (
                "login.html",
                json!({"next": EVIL, "error": EVIL, "notice": null, "username": EVIL}),
            ),
            (
                "error.html",
                json!({"status": 403, "title": EVIL, "message": EVIL, "hint": EVIL}),
            ),
            (
                "dashboard.html",
                json!({
                "notices": [EVIL], "totals": {"images": 1, "stop": 1, "warn": 0, "go": 0, "pending": 0, "failed": 0},
                "by_action_svg": "<svg></svg>", "by_severity_svg": "<svg></svg>", "over_time_svg": null, "days": 30,
                "top_images": [{"id": EVIL, "name": EVIL, "final_action": "STOP", "severities": sev}],
                "widespread": [{"id": EVIL, "severity": "High", "images": 2, "kev": true}],
                "kev": [{"id": EVIL, "severity": "High", "images": 1, "kev": true}],
                "changed": [{"image_id": "i", "subject": EVIL, "detail": "GO → STOP", "at": 999_000}]}),
            ),
            (
                "images.html",
                json!({"q": EVIL, "status": null, "action": null, "prev": null, "next": "/images?offset=50",
                "images": [{"id": "i", "name": EVIL, "other_tags": [EVIL], "digest": "sha256:abc", "status": "analyzed",
                            "error": null, "final_action": null, "severities": null, "analyzed_at": 999_000}]}),
            ),
            (
                "repositories.html",
                json!({"registries": [{"name": EVIL, "tags": 1, "repositories": [{"name": EVIL, "images": 1,
                "tags": [{"full": EVIL, "tag": EVIL, "image_id": "i", "digest": "sha256:1", "digests": 2, "last_seen": 1,
                          "final_action": "WARN", "severities": sev}]}]}]}),
            ),
            (
                "tag.html",
                json!({"tag": EVIL, "timeline": [{"digest": EVIL, "image_id": "i", "first_seen": 1, "last_seen": 2,
                "current": true, "final_action": "GO", "severities": sev}]}),
            ),
            (
                "compare.html",
                json!({"from": EVIL, "to": "b",
                "packages": {"added": [{"type": "deb", "name": EVIL, "version": "1"}], "removed": [],
                             "changed": [{"type": "deb", "name": "x", "from": EVIL, "to": "2"}]},
                "findings": {"added": [EVIL], "removed": [], "changed": []},
                "files": {"added": [], "removed": [EVIL], "changed": []}}),
            ),
            (
                "pending.html",
                json!({"id": "i", "name": EVIL, "status": "failed", "error": EVIL, "created_at": 1, "now": 61}),
            ),
        ];
        for (name, page) in pages {
            let html = ui
                .render(name, &frame(), &page)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
            check(&html);
        }
        let overview = json!({"registry": EVIL, "repository": "r", "digest": "sha256:abc", "tags": [EVIL], "status": "analyzed",
            "analyzed_at": 1, "distro": null, "platform": "linux/amd64", "created": null, "user": null, "entrypoint": EVIL,
            "layers": [{"index": 0, "digest": "sha256:1", "size": 2048, "created_by": EVIL}], "size": 2048, "packages": 1,
            "database": null});
        let vuln = json!({"id": EVIL, "aliases": [EVIL], "summary": EVIL, "severity": "High", "package": EVIL,
            "version": "1", "package_type": "deb", "fixed": "", "fix_state": "not-fixed", "kev": true, "epss": "1.0 %",
            "record": EVIL, "matched": EVIL, "location": EVIL});
        let package = json!({"name": EVIL, "version": "1", "package_type": "deb", "licenses": [EVIL], "purl": EVIL, "location": EVIL});
        let result = json!({"rule_set_id": "r", "rule_id": "x", "gate": EVIL, "trigger": EVIL, "trigger_id": EVIL,
            "message": EVIL, "action": "STOP", "allowlisted": {"allowlist_id": "a", "allowlist_name": EVIL, "item_id": EVIL}});
        let evaluation = json!({"bundle_id": "b", "bundle_name": EVIL, "final_action": "STOP", "final_action_reason": "policy_evaluation",
            "mapping": {"id": "m", "name": EVIL, "position": 0, "rule_set_ids": [], "allowlist_ids": []},
            "counts": {"STOP": 1}, "warnings": [EVIL], "evaluated_at_unix": 1, "image": {}, "results": [result]});
        let policy = json!({"choices": [{"id": "p1", "name": EVIL, "active": true}], "chosen": null, "error": EVIL,
            "check": {"image": "i", "tag": EVIL, "policy": null, "vulnerability_data": "available", "evaluation": evaluation}});
        let secrets = json!({"has_files": false,
            "secrets": [{"title": EVIL, "rule_id": EVIL, "severity": "high", "path": EVIL, "line": 1, "redacted": EVIL, "layer": 0}],
            "misconfigurations": [{"id": EVIL, "severity": "medium", "title": EVIL, "explanation": EVIL, "path": EVIL, "layer": 0, "evidence": EVIL}]});
        let tabs = json!([{"key": "overview", "label": "Overview", "active": true, "count": null},
                          {"key": "vulnerabilities", "label": "Vulnerabilities", "active": false, "count": 1}]);
        for (tab, o, v, note, p) in [
            ("overview", overview.clone(), json!(null), json!(null), json!(null)),
            ("vulnerabilities", json!(null), json!([vuln]), json!(null), json!(null)),
            ("vulnerabilities", json!(null), json!([]), json!(EVIL), json!(null)),
            ("packages", json!(null), json!(null), json!(null), json!([package])),
            ("policy", json!(null), json!(null), json!(null), json!(null)),
            ("secrets", json!(null), json!(null), json!(null), json!(null)),
        ] {
            let page = json!({"id": "i", "title": EVIL, "tab": tab, "tabs": tabs, "overview": o, "vulnerabilities": v,
                "vuln_note": note, "packages": p, "package_types": ["deb"], "severities": ["critical", "high"],
                "query": {"tab": tab, "q": EVIL, "severity": null, "fix": null, "kev": null, "epss": null, "type": null, "sort": null, "policy": null},
                "policy": policy, "secrets": secrets});
            let html = ui
                .render("image.html", &frame(), &page)
                .unwrap_or_else(|e| panic!("image.html {tab}: {e:#}"));
            check(&html);
        }
    }
}
