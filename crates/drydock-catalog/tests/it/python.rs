//! The Python cataloger over a fixture tree (tests/fixtures/python) holding installed
//! packages (dist-info with RECORD and direct_url.json, egg-info directory and file,
//! unzipped and zipped eggs) and a project's lock files, scanned as a directory (lock
//! files count) and as an image (they do not).

use crate::common::{assert_snapshot, catalog_dir, fixture, summary};
use drydock_catalog::{all, build_sbom, CatalogCapture};
use drydock_image::{open, read_layers, NoProgress, OpenOptions, ReadOptions, SourceSpec};
use drydock_sbom::{RelationshipKind, Sbom, Scope};
use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

const SITE: &str = "opt/venv/lib/python3.12/site-packages";

/// A zipped egg holding `EGG-INFO/PKG-INFO`.
fn egg(pkg_info: &str) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.start_file("EGG-INFO/PKG-INFO", opts).unwrap();
    w.write_all(pkg_info.as_bytes()).unwrap();
    w.start_file("oldlib/__init__.py", opts).unwrap();
    w.write_all(b"VERSION = '1.2'\n").unwrap();
    w.finish().unwrap().into_inner()
}

/// The fixture files plus two `.egg` archives (one good, one not a zip).
fn files() -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    let root = fixture("python");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out.push((
        format!("{SITE}/oldlib-1.2-py3.12.egg"),
        egg("Metadata-Version: 1.1\nName: OldLib\nVersion: 1.2\nAuthor: Old Author\n\nA long description.\n"),
    ));
    out.push((
        format!("{SITE}/notzip-0.1-py3.12.egg"),
        b"PK\x03\x04 cut short".to_vec(),
    ));
    out.sort();
    out
}

fn write_tree(root: &Path) {
    for (rel, content) in files() {
        let p = root.join(&rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
}

fn catalog_image(archive: &Path) -> Sbom {
    let spec = format!("docker-archive:{}", archive.display());
    let opened = open(&SourceSpec::parse(&spec).unwrap(), &spec, &OpenOptions::default()).unwrap();
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
    .unwrap();
    build_sbom(opened.meta(), &read.layers, Scope::Squashed, capture.catalogers(), 40)
}

fn tmp_root() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    write_tree(&root);
    (dir, root)
}

#[test]
fn directory_scan_reports_installed_and_declared_packages() {
    let (_dir, root) = tmp_root();
    let sbom = catalog_dir(&root);
    assert_snapshot("python-dir", &summary(&sbom, &["python"]));

    let by_name = |n: &str| {
        sbom.packages
            .iter()
            .find(|p| p.name == n)
            .unwrap_or_else(|| panic!("no {n}"))
    };
    // Names as declared, PURLs normalised; a VCS install carries its origin.
    let vcs = by_name("Demo_VCS");
    assert_eq!(
        vcs.purl,
        "pkg:pypi/demo-vcs@0.4.0?vcs_url=git%2Bhttps://example.org/demo/demo-vcs.git%404f1c0ffee0000000000000000000000000000001"
    );
    // RECORD paths resolve against site-packages, digests become hex.
    let requests = by_name("requests");
    let paths: Vec<&str> = requests.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/opt/venv/bin/normalizer",
            "/opt/venv/lib/python3.12/site-packages/requests-2.31.0.dist-info/METADATA",
            "/opt/venv/lib/python3.12/site-packages/requests/__init__.py",
        ]
    );
    assert_eq!(requests.supplier.as_deref(), Some("Kenneth Reitz"));
    // Zipped eggs are read during the pass.
    let old = by_name("OldLib");
    assert_eq!(
        (old.version.as_str(), old.purl.as_str()),
        ("1.2", "pkg:pypi/oldlib@1.2")
    );
    assert_eq!(old.supplier.as_deref(), Some("Old Author"));
    // `Requires-Dist: Requests` resolves to `requests` through the normalised name, and
    // poetry's declared dependency to its package.
    let depends = |from: &str, to: &str| {
        let (f, t) = (by_name(from).id.clone(), by_name(to).id.clone());
        sbom.relationships
            .iter()
            .any(|r| r.from == f && r.to == t && r.kind == RelationshipKind::DependsOn)
    };
    assert!(depends("Demo_VCS", "requests"));
    assert!(depends("cattrs", "attrs"));
    assert!(depends("anyio", "sniffio"));
    // Declared packages are told apart from installed ones.
    assert_eq!(by_name("Django").found_by, "python-package-cataloger");
    assert_eq!(requests.found_by, "python-installed-package-cataloger");
}

#[test]
fn image_scan_counts_only_installed_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let mut layer = LayerBuilder::new();
    for (rel, content) in files() {
        layer = layer.file(&rel, &content, 0o644);
    }
    let archive = dir.path().join("image.tar");
    ImageBuilder::new()
        .layer(layer.finish(), Storage::Gzip, "COPY . /")
        .write_docker_archive(&archive, "python-fixture:1")
        .unwrap();
    let sbom = catalog_image(&archive);
    let text = summary(&sbom, &["python"]);
    assert!(
        !text.contains("/srv/app/"),
        "lock files are not evidence in images:\n{text}"
    );
    assert!(text.contains("python OldLib 1.2 pkg:pypi/oldlib@1.2"), "{text}");
    assert_snapshot("python-image", &text);
}

#[test]
fn damaged_files_warn_and_the_rest_is_still_reported() {
    let (_dir, root) = tmp_root();
    let sbom = catalog_dir(&root);
    let warned = |needle: &str| sbom.warnings.iter().any(|w| w.contains(needle));
    assert!(warned("broken-0.1.dist-info/METADATA: no Version header"));
    assert!(warned("notzip-0.1-py3.12.egg: not a readable zip archive"));
    assert!(warned("/srv/broken/poetry.lock: invalid TOML"));
    assert!(warned("/srv/broken/Pipfile.lock: invalid JSON"));
    assert!(sbom.packages.iter().any(|p| p.name == "six"));
}
