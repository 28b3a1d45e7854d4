//! The JavaScript cataloger over a fixture tree laid out like an image/checkout:
//! installed `package.json` files (node_modules at any depth, scoped packages, Debian's
//! /usr/share/nodejs, a global npm install), and lock files of every supported format.

use crate::common::{assert_snapshot, catalog_dir, fixture, summary};
use drydock_catalog::javascript::{self, JavaScript, LOCK_FOUND_BY, PACKAGE_FOUND_BY};
use drydock_catalog::{Cataloger, Context, Output};
use drydock_image::{Content, FileEntry, FileKind, FileTree, LayerIndex};
use drydock_sbom::{Package, Sbom};
use std::path::Path;

fn find<'a>(sbom: &'a Sbom, name: &str, path: &str) -> &'a Package {
    sbom.packages
        .iter()
        .find(|p| p.name == name && p.locations.first().is_some_and(|l| l.path == path))
        .unwrap_or_else(|| panic!("no {name} at {path}"))
}

#[test]
fn directory_scan_snapshot() {
    let sbom = catalog_dir(&fixture("javascript"));
    assert_snapshot("javascript-dir", &summary(&sbom, &["npm"]));
}

#[test]
fn installed_package_fields() {
    let sbom = catalog_dir(&fixture("javascript"));
    let express = find(&sbom, "express", "/app/node_modules/express/package.json");
    assert_eq!(express.version, "4.16.0");
    assert_eq!(express.purl, "pkg:npm/express@4.16.0");
    assert_eq!(express.cpes, ["cpe:2.3:a:express:express:4.16.0:*:*:*:*:*:*:*"]);
    assert_eq!(express.licenses, ["MIT"]);
    assert_eq!(express.supplier.as_deref(), Some("TJ Holowaychuk <tj@vision-media.ca>"));
    assert_eq!(express.found_by, PACKAGE_FOUND_BY);
    assert_eq!(express.depends, [vec!["debug".to_string()]]);

    let debug = find(
        &sbom,
        "debug",
        "/app/node_modules/express/node_modules/debug/package.json",
    );
    assert_eq!(debug.licenses, ["MIT"]);
    assert_eq!(debug.supplier.as_deref(), Some("TJ Holowaychuk <tj@vision-media.ca>"));

    let types = find(&sbom, "@types/node", "/app/node_modules/@types/node/package.json");
    assert_eq!(types.purl, "pkg:npm/%40types/node@18.11.9");

    // A named sub-manifest without a version is reported, as Syft does, with a
    // version-less PURL and CPE.
    let sub = find(
        &sbom,
        "web-streams-polyfill-es6",
        "/usr/share/nodejs/web-streams-polyfill/es6/package.json",
    );
    assert_eq!(sub.version, "UNKNOWN");
    assert_eq!(sub.purl, "pkg:npm/web-streams-polyfill-es6");
    assert_eq!(
        sub.cpes,
        ["cpe:2.3:a:web-streams-polyfill-es6:web-streams-polyfill-es6:*:*:*:*:*:*:*:*"]
    );

    let esm = find(&sbom, "esm-only", "/app/node_modules/esm-only/package.json");
    assert_eq!(esm.licenses, ["MIT", "Apache-2.0"]);

    // The Debian symlink is not a second lodash; the marker file is not a package.
    let lodash: Vec<_> = sbom.packages.iter().filter(|p| p.name == "lodash").collect();
    assert_eq!(lodash.len(), 1);
    assert_eq!(lodash[0].locations[0].path, "/usr/share/nodejs/lodash/package.json");
    assert!(!sbom
        .packages
        .iter()
        .any(|p| p.locations[0].path.ends_with("/lib/package.json")));

    assert!(sbom
        .warnings
        .iter()
        .any(|w| w.starts_with("/app/node_modules/broken/package.json: malformed JSON")));
}

#[test]
fn lock_file_packages() {
    let sbom = catalog_dir(&fixture("javascript"));
    let lock = "/app/package-lock.json";
    let express = find(&sbom, "express", lock);
    assert_eq!(express.found_by, LOCK_FOUND_BY);
    assert_eq!(express.licenses, ["MIT"]);
    // The alias entry is the real package; the link entry is listed by its target.
    find(&sbom, "strip-ansi", lock);
    find(&sbom, "local-tool", lock);
    find(&sbom, "fx-app", lock);
    assert_eq!(sbom.packages.iter().filter(|p| p.locations[0].path == lock).count(), 6);

    let core = find(&sbom, "@babel/helper-compilation-targets", "/pnpm5/pnpm-lock.yaml");
    assert_eq!(core.version, "7.18.2");
    assert_eq!(core.purl, "pkg:npm/%40babel/helper-compilation-targets@7.18.2");
    assert_eq!(find(&sbom, "react-dom", "/pnpm6/pnpm-lock.yaml").version, "18.2.0");
    let vue = find(&sbom, "@vue/shared", "/pnpm9/pnpm-lock.yaml");
    assert_eq!(vue.depends, [vec!["picocolors".to_string()]]);
    assert_eq!(find(&sbom, "string-width", "/yarn-classic/yarn.lock").version, "4.2.3");
    assert_eq!(find(&sbom, "debug", "/yarn-berry/yarn.lock").version, "4.3.4");
    // Development dependencies are reported and marked.
    assert!(find(&sbom, "mocha", "/legacy/package-lock.json").dev);
    assert!(!express.dev);
    assert!(!sbom.packages.iter().any(|p| p.name == "berry-app"));

    for bad in [
        "/bad/package-lock.json: malformed JSON",
        "/bad/pnpm-lock.yaml: not UTF-8 text",
    ] {
        assert!(
            sbom.warnings.iter().any(|w| w.starts_with(bad)),
            "no warning {bad}: {:?}",
            sbom.warnings
        );
    }
}

/// The fixture's regular files as one image layer.
fn image_tree(root: &Path) -> FileTree {
    fn walk(dir: &Path, root: &Path, layer: &mut LayerIndex) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let rel = format!("/{}", p.strip_prefix(root).unwrap().display());
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                walk(&p, root, layer);
                continue;
            }
            let (kind, link) = if meta.file_type().is_symlink() {
                (
                    FileKind::Symlink,
                    Some(std::fs::read_link(&p).unwrap().display().to_string()),
                )
            } else {
                (FileKind::Regular, None)
            };
            let entry = FileEntry {
                kind,
                mode: 0o644,
                uid: 0,
                gid: 0,
                size: meta.len(),
                link: link.map(Into::into),
                layer: 2,
            };
            if kind == FileKind::Regular && JavaScript.wants(&rel) {
                layer
                    .captured
                    .insert(rel.clone(), Content::from(std::fs::read(&p).unwrap()));
            }
            layer.entries.insert(rel, entry);
        }
    }
    let mut layer = LayerIndex::default();
    walk(root, root, &mut layer);
    let mut tree = FileTree::new(8);
    tree.apply(&layer);
    tree
}

#[test]
fn images_count_installed_packages_only() {
    let tree = image_tree(&fixture("javascript"));
    let mut out = Output::default();
    JavaScript.catalog(
        &tree,
        &Context {
            distro: None,
            directory_scan: false,
        },
        &mut out,
    );
    let mut got: Vec<String> = out
        .packages
        .iter()
        .map(|p| {
            format!(
                "{} {} {} layer {}",
                p.name, p.version, p.locations[0].path, p.locations[0].layer
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "@types/node 18.11.9 /app/node_modules/@types/node/package.json layer 2",
            "acorn 8.8.1 /usr/share/nodejs/acorn/package.json layer 2",
            "debug 2.6.9 /app/node_modules/express/node_modules/debug/package.json layer 2",
            "esm-only 2.0.0 /app/node_modules/esm-only/package.json layer 2",
            "express 4.16.0 /app/node_modules/express/package.json layer 2",
            "fx-app 1.0.0 /app/package.json layer 2",
            "lodash 4.17.21 /usr/share/nodejs/lodash/package.json layer 2",
            "npm 9.2.0 /usr/lib/node_modules/npm/package.json layer 2",
            "web-streams-polyfill-es6 UNKNOWN /usr/share/nodejs/web-streams-polyfill/es6/package.json layer 2",
        ]
    );
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].starts_with("/app/node_modules/broken/package.json: "));
}

#[test]
fn hostile_input_never_panics() {
    let mut samples: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\x00\xff".to_vec(),
        "[".repeat(50_000).into_bytes(),
        "{\"dependencies\":".repeat(50_000).into_bytes(),
        b"packages:\n".to_vec(),
        "  ".repeat(10_000).into_bytes(),
        b"a:\n  version \"\n\"b\":\n    - x\n  '\n".to_vec(),
        b"lockfileVersion: 5\npackages:\n  /@:\n  /@/:\n  /a/_:\n  /\xc3\xa9/1:\n  @\xc3\xa9@1:\n".to_vec(),
    ];
    for f in std::fs::read_dir(fixture("javascript").join("pnpm5")).unwrap() {
        let data = std::fs::read(f.unwrap().path()).unwrap();
        for cut in (0..data.len()).step_by(7) {
            samples.push(data[..cut].to_vec());
        }
    }
    for s in &samples {
        javascript::fuzz_entry(s);
    }
}
