//! The Composer cataloger over Composer 2 and Composer 1 `installed.json` files, a
//! `composer.lock` and a truncated file.

use crate::common::{assert_snapshot, catalog_dir, fixture, summary};
use drydock_catalog::php::Php;
use drydock_catalog::{Cataloger, Context, Output};
use drydock_image::{Content, FileEntry, FileKind, FileTree, LayerIndex};
use drydock_sbom::RelationshipKind;

#[test]
fn directory_scan_reads_installed_json_and_lock_files() {
    let sbom = catalog_dir(&fixture("php"));
    let text = summary(&sbom, &["php"]);
    assert_snapshot("php-dir", &text);

    assert!(text.contains(
        "php monolog/monolog 3.5.0 pkg:composer/monolog/monolog@3.5.0 /var/www/html/vendor/composer/installed.json"
    ));
    // Versions are kept as Composer wrote them (a leading "v" included).
    assert!(text.contains("php symfony/polyfill-mbstring v1.28.0 pkg:composer/symfony/polyfill-mbstring@v1.28.0 /opt/legacy/vendor/composer/installed.json"));
    assert!(text.contains("php mockery/mockery 1.6.11 pkg:composer/mockery/mockery@1.6.11 /srv/site/composer.lock"));
    assert!(text.contains("warning: /srv/broken/vendor/composer/installed.json: invalid JSON"));

    let monolog = sbom.packages.iter().find(|p| p.name == "monolog/monolog").unwrap();
    assert_eq!(monolog.licenses, ["MIT"]);
    assert_eq!(monolog.supplier.as_deref(), Some("Jordi Boggiano"));
    // psr/log is both installed (next to monolog) and locked in /srv/site.
    let psr = sbom
        .packages
        .iter()
        .find(|p| p.name == "psr/log" && p.locations[0].path.starts_with("/var/www/"))
        .unwrap();
    assert!(sbom
        .relationships
        .iter()
        .any(|r| r.kind == RelationshipKind::DependsOn && r.from == monolog.id && r.to == psr.id));
}

#[test]
fn image_scan_ignores_lock_files() {
    let mut l = LayerIndex::default();
    for (p, rel) in [
        (
            "/app/vendor/composer/installed.json",
            "var/www/html/vendor/composer/installed.json",
        ),
        ("/app/composer.lock", "srv/site/composer.lock"),
    ] {
        let data = std::fs::read(fixture("php").join(rel)).unwrap();
        assert!(Php.wants(p));
        let entry = FileEntry {
            kind: FileKind::Regular,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: data.len() as u64,
            link: None,
            layer: 1,
        };
        l.entries.insert(p.to_string(), entry);
        l.captured.insert(p.to_string(), Content::from(data));
    }
    let mut t = FileTree::new(8);
    t.apply(&l);
    let mut out = Output::default();
    Php.catalog(
        &t,
        &Context {
            distro: None,
            directory_scan: false,
        },
        &mut out,
    );
    let mut got: Vec<&str> = out.packages.iter().map(|p| p.name.as_str()).collect();
    got.sort();
    assert_eq!(got, ["monolog/monolog", "phpunit/phpunit", "psr/log"]);
    assert!(out
        .packages
        .iter()
        .all(|p| p.locations[0].path == "/app/vendor/composer/installed.json" && p.locations[0].layer == 1));
    assert!(out.warnings.is_empty());
}
