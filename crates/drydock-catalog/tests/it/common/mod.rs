//! Shared helpers for cataloger tests: catalogue a fixture tree exactly as `drydock
//! sbom dir:` would, and compare the result with a reviewed snapshot file.
#![allow(dead_code)]

use drydock_catalog::{all, build_sbom, CatalogCapture};
use drydock_image::{open, read_layers, NoProgress, OpenOptions, ReadOptions, SourceSpec};
use drydock_sbom::{Sbom, Scope};
use std::path::{Path, PathBuf};

/// The fixture directory `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

/// Catalogues a directory with every cataloger, as `drydock sbom dir:PATH` does.
pub fn catalog_dir(root: &Path) -> Sbom {
    let spec = format!("dir:{}", root.display());
    let opened = open(&SourceSpec::parse(&spec).expect("spec"), &spec, &OpenOptions::default()).expect("open");
    let capture = CatalogCapture::new(all());
    let read = read_layers(
        &opened,
        &ReadOptions {
            capture: &capture,
            limits: Default::default(),
            cache: None,
            threads: 1,
            progress: &NoProgress,
        },
    )
    .expect("read");
    build_sbom(opened.meta(), &read.layers, Scope::Squashed, capture.catalogers(), 40)
}

/// One line per package: `type name version purl path` (sorted), plus warnings.
pub fn summary(sbom: &Sbom, types: &[&str]) -> String {
    let mut lines: Vec<String> = sbom
        .packages
        .iter()
        .filter(|p| types.is_empty() || types.contains(&p.package_type.as_str()))
        .map(|p| {
            let path = p.locations.first().map(|l| l.path.as_str()).unwrap_or("");
            format!("{} {} {} {} {}", p.package_type, p.name, p.version, p.purl, path)
        })
        .collect();
    lines.sort();
    for w in &sbom.warnings {
        lines.push(format!("warning: {w}"));
    }
    lines.join("\n") + "\n"
}

/// Compares `actual` with `tests/snapshots/<name>.txt`; with `UPDATE_SNAPSHOTS=1`
/// the file is (re)written instead. Snapshots are reviewed like code.
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, actual).expect("write snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    assert_eq!(
        actual, expected,
        "snapshot {name} differs; if the change is right, UPDATE_SNAPSHOTS=1 and review"
    );
}
