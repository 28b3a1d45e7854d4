//! The web UI in a real browser (Debian's Chromium, headless, over chromedriver): logging in,
//! the dashboard and the image list of a service with an analysed image, the theme switch,
//! no console error (a Content-Security-Policy violation is one) on any page. Screenshots of
//! each screen go to `target/screenshots/`.

mod common;

use common::server::{image, serve, Registry, ADMIN_PASSWORD};
use common::webdriver::Browser;
use serde_json::json;
use std::path::PathBuf;

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots")
}

#[test]
fn a_user_logs_in_and_reads_the_dashboard_and_the_image_list() {
    let registry = Registry::start();
    registry.push("team/app", "1.0", &image("browser"));
    let home = tempfile::tempdir().unwrap();
    let (_p, api) = serve(home.path(), None, 1);
    let tag = format!("{}/team/app:1.0", registry.addr);
    let (s, v) = api.admin("POST", "/v1/images", Some(json!({"tag": tag})));
    assert!(s == 200 || s == 201 || s == 202, "{v}");
    api.analysed(v["id"].as_str().unwrap());

    let b = Browser::start();
    b.goto(&format!("{}/images", api.base));
    assert!(b.url().contains("/login?next=%2Fimages"), "{}", b.url());
    assert_eq!(b.title(), "Log in · drydock");
    b.screenshot(&screenshots().join("login.png"));
    b.type_into("#username", "admin");
    b.type_into("#password", "wrong-password");
    b.click("button[type=submit]");
    assert!(b.source().contains("Wrong user name or password."));
    b.type_into("#password", ADMIN_PASSWORD);
    b.click("button[type=submit]");
    b.find("#image-list");
    assert_eq!(b.title(), "Images · drydock");
    assert!(b.source().contains("team/app:1.0"), "the analysed image is listed");
    b.screenshot(&screenshots().join("images.png"));
    assert_eq!(b.console_errors(), Vec::<String>::new(), "console errors on the image list");

    b.click("header nav a[href='/']");
    b.find("section.tiles");
    assert_eq!(b.title(), "Dashboard · drydock");
    assert_eq!(b.count("svg.chart"), 2, "two charts before any daily history");
    b.screenshot(&screenshots().join("dashboard.png"));

    // The theme switch flips the page to dark (and back), kept by the browser.
    b.click("[data-theme-toggle]");
    let first = b.attribute("html", "data-theme");
    assert!(matches!(first.as_deref(), Some("dark") | Some("light")), "{first:?}");
    b.goto(&format!("{}/", api.base));
    assert_eq!(b.attribute("html", "data-theme"), first, "the choice survives a reload");
    if first.as_deref() == Some("dark") {
        b.screenshot(&screenshots().join("dashboard-dark.png"));
    }
    assert_eq!(b.console_errors(), Vec::<String>::new(), "console errors on the dashboard");

    // Logging out leads back to the login page; the pages are closed again.
    b.click("form[action='/logout'] button");
    assert!(b.source().contains("You are logged out."));
    b.goto(&format!("{}/", api.base));
    assert!(b.url().contains("/login"), "{}", b.url());
}
