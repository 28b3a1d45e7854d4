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

/// "3 min ago", "2 h ago", "5 days ago" for a number of seconds.
pub fn ago(secs: i64) -> String {
    match secs.max(0) {
        s if s < 60 => "just now".to_string(),
        s if s < 3600 => format!("{} min ago", s / 60),
        s if s < 86_400 => format!("{} h ago", s / 3600),
        s => format!("{} days ago", s / 86_400),
    }
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
