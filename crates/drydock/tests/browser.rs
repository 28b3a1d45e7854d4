//! The web UI in a real browser (Debian's Chromium, headless, over chromedriver): logging in,
//! the dashboard and the image list of a service with an analysed image, the theme switch,
//! no console error (a Content-Security-Policy violation is one) on any page. Screenshots of
//! each screen go to `target/screenshots/`.

mod common;

use common::server::{image, serve, Registry, ADMIN_PASSWORD};
use common::webdriver::Browser;
use drydock_image::fixture::{ImageBuilder, LayerBuilder, Storage};
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
    // A package whose name is markup: every page must show it as text.
    let hostile = ImageBuilder::new().layer(
        LayerBuilder::new()
            .file("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n", 0o644)
            .file(
                "var/lib/dpkg/status",
                b"Package: <script>alert(1)</script>\nStatus: install ok installed\nVersion: 1.0\n\n\
                  Package: tool\nStatus: install ok installed\nVersion: 2.0\n\n",
                0o644,
            )
            .finish(),
        Storage::Gzip,
        "/bin/sh -c #(nop) ADD <img src=x onerror=alert(2)> /",
    );
    registry.push("team/hostile", "1", &hostile);
    let mut ids = Vec::new();
    for tag in [
        format!("{}/team/app:1.0", registry.addr),
        format!("{}/team/hostile:1", registry.addr),
    ] {
        let (s, v) = api.admin("POST", "/v1/images", Some(json!({"tag": tag})));
        assert!(s == 200 || s == 201 || s == 202, "{v}");
        ids.push(v["id"].as_str().unwrap().to_string());
        api.analysed(ids.last().unwrap());
    }

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
    assert_eq!(
        b.console_errors(),
        Vec::<String>::new(),
        "console errors on the image list"
    );

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
    assert_eq!(
        b.console_errors(),
        Vec::<String>::new(),
        "console errors on the dashboard"
    );

    // The image page: overview with the layers' build steps, the vulnerabilities tab saying
    // there was no database, the packages tab listing the hostile name as text.
    b.goto(&format!("{}/images/{}", api.base, ids[1]));
    assert!(
        b.source().contains("ADD &lt;img src=x onerror=alert(2)&gt; /"),
        "build step escaped"
    );
    b.screenshot(&screenshots().join("image-overview.png"));
    b.click("nav.tabs a[href$='tab=vulnerabilities']");
    assert!(
        b.source().contains("No vulnerability database was available"),
        "{}",
        b.source()
    );
    b.click("nav.tabs a[href$='tab=packages']");
    b.find("#packages");
    assert!(
        b.source().contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "package name escaped"
    );
    assert_eq!(b.count("#packages tbody tr"), 2);
    b.type_into("#p-q", "tool");
    b.click("form.filters button");
    b.find("#packages");
    assert_eq!(b.count("#packages tbody tr"), 1, "search narrows the list");
    b.screenshot(&screenshots().join("image-packages.png"));
    assert!(!b.dialog_open(), "no script ran");
    assert_eq!(
        b.console_errors(),
        Vec::<String>::new(),
        "console errors on the image page"
    );

    // Logging out leads back to the login page; the pages are closed again.
    b.click("form[action='/logout'] button");
    assert!(b.source().contains("You are logged out."));
    b.goto(&format!("{}/", api.base));
    assert!(b.url().contains("/login"), "{}", b.url());
}
