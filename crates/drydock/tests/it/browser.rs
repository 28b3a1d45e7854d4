//! The web UI in a real browser (Debian's Chromium, headless, over chromedriver): logging in,
//! the dashboard and the image list of a service with an analysed image, the theme switch,
//! no console error (a Content-Security-Policy violation is one) on any page. Screenshots of
//! each screen go to `target/screenshots/`.

use crate::common::server::{image, serve, Registry, ADMIN_PASSWORD};
use crate::common::webdriver::{Browser, ONE_AT_A_TIME};
use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use serde_json::json;
use std::path::PathBuf;

fn screenshots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/screenshots")
}

#[test]
fn a_user_logs_in_and_reads_the_dashboard_and_the_image_list() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
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
            .file(
                "app/<b>x</b>/.env",
                format!("GITHUB_TOKEN=ghp_{}\n", "Zx9Wv7Ut5".repeat(4)).as_bytes(),
                0o600,
            )
            .finish(),
        Storage::Gzip,
        "/bin/sh -c #(nop) ADD <img src=x onerror=alert(2)> /",
    );
    registry.push("team/hostile", "1", &hostile);
    let tag = format!("{}/team/hostile:1", registry.addr);
    let (s, v) = api.admin("POST", "/v1/images", Some(json!({"tag": tag})));
    assert!(s == 200 || s == 201 || s == 202, "{v}");
    let hostile_id = v["id"].as_str().unwrap().to_string();
    api.analysed(&hostile_id);

    let b = Browser::start();
    b.goto(&format!("{}/images", api.base));
    assert!(b.url().contains("/login?next=%2Fimages"), "{}", b.url());
    assert_eq!(b.title(), "Log in · drydock");
    b.screenshot(&screenshots().join("login.png"));
    b.type_into("#username", "admin");
    b.type_into("#password", "wrong-password");
    b.click("button[type=submit]");
    b.wait_for_text("Wrong user name or password.");
    b.type_into("#password", ADMIN_PASSWORD);
    b.click("button[type=submit]");
    b.find("#image-list");
    assert_eq!(b.title(), "Images · drydock");

    // Add an image from the registry and watch its analysis finish on its page.
    b.type_into("#add-tag", &format!("{}/team/app:1.0", registry.addr));
    b.click("form.add input[name=watch]");
    b.click("form.add button[type=submit]");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    while b.count("nav.tabs") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the page never showed the analysis: {}",
            b.source()
        );
        assert!(!b.source().contains("The analysis failed"), "{}", b.source());
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert!(b.source().contains("team/app:1.0"), "the analysed image's page");
    let (s, subs) = api.admin("GET", "/v1/subscriptions", None);
    assert_eq!(s, 200);
    assert!(subs.to_string().contains("team/app:1.0"), "the tag is watched: {subs}");
    b.click("header nav a[href='/images']");
    b.find("#image-list");
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
    assert!(matches!(first.as_deref(), Some("dark" | "light")), "{first:?}");
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
    b.goto(&format!("{}/images/{}", api.base, hostile_id));
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
    // Secrets: found in a file whose path is markup, shown as text and redacted.
    b.goto(&format!("{}/images/{hostile_id}?tab=secrets", api.base));
    b.find("#secrets table");
    let page = b.source();
    assert!(page.contains("&lt;b&gt;x&lt;/b&gt;/.env"), "{page}");
    assert_eq!(b.count("#secrets td b"), 0, "the path made no element");
    assert!(
        !page.contains(&"Zx9Wv7Ut5".repeat(4)),
        "the secret itself is never shown"
    );
    b.screenshot(&screenshots().join("image-secrets.png"));
    assert!(!b.dialog_open(), "no script ran");
    assert_eq!(
        b.console_errors(),
        Vec::<String>::new(),
        "console errors on the image page"
    );

    // The tag moves: the repository tree counts two digests, the timeline lists both, and
    // comparing them shows the file the new one added.
    registry.push("team/app", "1.0", &image("browser-2"));
    let (s, v) = api.admin(
        "POST",
        "/v1/images",
        Some(json!({"tag": format!("{}/team/app:1.0", registry.addr)})),
    );
    assert!(s == 200 || s == 201 || s == 202, "{v}");
    api.analysed(v["id"].as_str().unwrap());
    b.goto(&format!("{}/repositories", api.base));
    b.find("section.tree");
    assert!(b.source().contains("2 digests"), "{}", b.source());
    b.click("a[href*='tags?tag='][href*='team%2Fapp']");
    b.find("#timeline");
    assert_eq!(b.count("#timeline li"), 2);
    b.screenshot(&screenshots().join("tag-timeline.png"));
    b.click("form[action='/compare'] button");
    b.find("#diff-files");
    assert!(b.source().contains("/app/marker"), "the changed file: {}", b.source());
    b.screenshot(&screenshots().join("compare.png"));
    assert_eq!(
        b.console_errors(),
        Vec::<String>::new(),
        "console errors on the timeline and diff"
    );

    // The logs and the system page open without a console error.
    for (path, marker) in [
        ("/events", "#events"),
        ("/audit", "#audit"),
        ("/system", "#vulnerability-database"),
    ] {
        b.goto(&format!("{}{path}", api.base));
        b.find(marker);
    }
    assert!(b.source().contains("none configured"), "no feed source: {}", b.source());
    b.screenshot(&screenshots().join("system.png"));
    assert_eq!(
        b.console_errors(),
        Vec::<String>::new(),
        "console errors on the logs and system pages"
    );

    // Logging out leads back to the login page; the pages are closed again.
    b.click("form[action='/logout'] button");
    b.wait_for_text("You are logged out.");
    b.goto(&format!("{}/", api.base));
    assert!(b.url().contains("/login"), "{}", b.url());
}

/// Logs `b` in as the admin at `base`.
fn log_in(b: &Browser, base: &str) {
    b.goto(&format!("{base}/login"));
    b.type_into("#username", "admin");
    b.type_into("#password", ADMIN_PASSWORD);
    b.click("button[type=submit]");
    b.find("section.tiles");
}

#[test]
fn findings_are_read_from_the_dashboard_to_the_vulnerability_and_back_to_the_image() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let setup = crate::common::setup();
    let registry = Registry::start();
    registry.push("py/app", "1", &crate::common::scan_image());
    let home = tempfile::tempdir().unwrap();
    let (_p, api) =
        crate::common::server::serve_with(home.path(), None, 1, &["--db", &setup.db, "--watch-seconds", "1"]);
    let (s, v) = api.admin(
        "POST",
        "/v1/images",
        Some(json!({"tag": format!("{}/py/app:1", registry.addr)})),
    );
    assert!(s == 200 || s == 201 || s == 202, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    api.analysed(&id);

    let b = Browser::start();
    log_in(&b, &api.base);
    // The watcher judges the image within a pass or two; the dashboard then ranks it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !b.source().contains("GHSA-dddd-0000-0001") {
        assert!(
            std::time::Instant::now() < deadline,
            "the dashboard never listed the finding: {}",
            b.source()
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
        b.goto(&format!("{}/", api.base));
    }
    assert!(
        b.source().contains("py/app:1"),
        "the image is among the most vulnerable"
    );
    assert!(!b.source().contains("No vulnerability database"), "the service has one");
    b.screenshot(&screenshots().join("dashboard-findings.png"));

    // Known exploited card → the vulnerability page: records, KEV, the affected image.
    b.click("a[href='/vulnerabilities/GHSA-dddd-0000-0001']");
    b.find("#affected");
    let page = b.source();
    assert!(page.contains("CVE-2099-0001") && page.contains("chardet"), "{page}");
    assert!(page.contains("since 2024-03-01"), "KEV date shown");
    assert!(
        page.contains("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
        "the rating's vector"
    );
    assert_eq!(b.count("#affected tbody tr"), 1);
    b.screenshot(&screenshots().join("vulnerability.png"));

    // → the image's vulnerabilities, filtered to it; then by KEV and by fix.
    b.click("#affected tbody a");
    b.find("#vulnerabilities");
    assert_eq!(b.count("#vulnerabilities tbody tr"), 1, "filtered by the id");
    assert!(
        b.source().contains("introduced 0, fixed 4.0.0"),
        "the range that matched"
    );
    b.goto(&format!("{}/images/{id}?tab=vulnerabilities", api.base));
    let all = b.count("#vulnerabilities tbody tr");
    assert!(all >= 2, "{all} findings");
    b.screenshot(&screenshots().join("image-vulnerabilities.png"));
    b.goto(&format!("{}/images/{id}?tab=vulnerabilities&kev=yes", api.base));
    assert_eq!(b.count("#vulnerabilities tbody tr"), 1, "one known exploited");
    b.goto(&format!("{}/images/{id}?tab=vulnerabilities&fix=no", api.base));
    assert!(b.source().contains("GHSA-dddd-0000-0002") && !b.source().contains("GHSA-dddd-0000-0001"));
    assert_eq!(b.console_errors(), Vec::<String>::new());

    // The policy tab: the default bundle's verdict and the triggers that fired.
    b.goto(&format!("{}/images/{id}?tab=policy", api.base));
    b.find("#triggers");
    let page = b.source();
    assert!(page.contains("under "), "{page}");
    assert!(
        page.contains("GHSA-dddd-0000-0001") || page.contains("CVE-2099-0001"),
        "a vulnerability trigger: {page}"
    );
    b.screenshot(&screenshots().join("image-policy.png"));
    assert_eq!(b.console_errors(), Vec::<String>::new());

    // The SBOM downloads with the browser's session: CycloneDX and SPDX documents.
    let cookie = b.cookie("drydock_session").expect("a session cookie");
    let http = reqwest::blocking::Client::new();
    for (format, key) in [("cyclonedx", "bomFormat"), ("spdx", "spdxVersion")] {
        let r = http
            .get(format!("{}/images/{id}/sbom?format={format}", api.base))
            .header("cookie", format!("drydock_session={cookie}"))
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"app-"));
        let doc: serde_json::Value = r.json().unwrap();
        assert!(doc.get(key).is_some(), "{format}: {doc}");
    }
    // Without the session the download is not given.
    let r = http
        .get(format!("{}/images/{id}/sbom?format=spdx", api.base))
        .send()
        .unwrap();
    assert!(r.url().path().starts_with("/login"), "sent to the login page");

    // An unknown address is a page saying so.
    b.goto(&format!("{}/no/such/page", api.base));
    assert!(b.source().contains("There is no page at this address."));
}
