//! The Rust cataloger over a directory with synthetic `cargo auditable` executables
//! (a zlib-compressed dependency list in an ELF `.dep-v0` section), `Cargo.lock`
//! files, and damaged copies of both; plus the image view.

use crate::elf;

use crate::common::{assert_snapshot, catalog_dir, fixture, summary};
use drydock_catalog::rust::Rust;
use drydock_catalog::{Cataloger, Context, Output};
use drydock_image::{FileEntry, FileKind, FileTree, LayerIndex};
use flate2::{write::ZlibEncoder, Compression};
use std::io::Write;
use std::sync::Arc;

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

const DEPS: &str = r#"{"packages":[
 {"name":"ripgrep","version":"14.1.0","source":"local","dependencies":[1,2],"root":true},
 {"name":"regex","version":"1.10.2","source":"crates.io","dependencies":[3]},
 {"name":"memchr","version":"2.7.1","source":"crates.io"},
 {"name":"regex-syntax","version":"0.8.2","source":"crates.io"},
 {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}
]}"#;

fn auditable(json: &[u8]) -> Vec<u8> {
    elf::elf64(&[(".text", 0x401000, b"\x90\x90\xc3"), (".dep-v0", 0x600000, &zlib(json))])
}

#[test]
fn directory_scan() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    elf::copy_tree(&fixture("rust"), root);
    elf::write(root, "usr/local/bin/rg", &auditable(DEPS.as_bytes()), 0o755);
    elf::write(
        root,
        "usr/local/bin/garbled",
        &elf::elf64(&[(".dep-v0", 0x600000, b"\x78\x9cnot deflate")]),
        0o755,
    );
    elf::write(
        root,
        "usr/local/bin/wrongjson",
        &auditable(br#"{"packages":{}}"#),
        0o755,
    );
    elf::write(
        root,
        "usr/local/bin/plain",
        &elf::elf64(&[(".text", 0x401000, b"\xc3")]),
        0o755,
    );
    elf::write(root, "srv/rg.copy", &auditable(DEPS.as_bytes()), 0o644);
    let sbom = catalog_dir(root);
    assert_snapshot("rust-dir", &summary(&sbom, &["rust-crate"]));

    let rg: Vec<_> = sbom
        .packages
        .iter()
        .filter(|p| p.locations[0].path == "/usr/local/bin/rg")
        .collect();
    // build-time crates are not in the executable
    assert_eq!(rg.len(), 4);
    assert!(rg.iter().all(|p| p.found_by == "cargo-auditable-binary-cataloger"));
    let regex = rg.iter().find(|p| p.name == "regex").unwrap();
    assert_eq!(regex.purl, "pkg:cargo/regex@1.10.2");
    assert_eq!(regex.cpes, ["cpe:2.3:a:regex:regex:1.10.2:*:*:*:*:*:*:*"]);
    // dependency edges from the list's indices
    let root_pkg = rg.iter().find(|p| p.name == "ripgrep").unwrap();
    let regex_edge = sbom
        .relationships
        .iter()
        .any(|r| r.from == root_pkg.id && r.to == regex.id && r.kind == drydock_sbom::RelationshipKind::DependsOn);
    assert!(regex_edge, "ripgrep depends on regex");
    let lock: Vec<_> = sbom
        .packages
        .iter()
        .filter(|p| p.found_by == "rust-cargo-lock-cataloger")
        .collect();
    assert_eq!(lock.len(), 3);
    for w in [
        "/usr/local/bin/garbled: ",
        "/usr/local/bin/wrongjson: ",
        "/src/bad/Cargo.lock: ",
    ] {
        assert!(
            sbom.warnings.iter().any(|x| x.starts_with(w)),
            "no warning for {w}: {:?}",
            sbom.warnings
        );
    }
}

fn entry(kind: FileKind, link: Option<&str>) -> FileEntry {
    FileEntry {
        kind,
        mode: 0o755,
        uid: 0,
        gid: 0,
        size: 1,
        link: link.map(Into::into),
        layer: 1,
    }
}

/// In an image only executables count: lock files are not evidence, and a hard link
/// to an executable is reported once.
#[test]
fn image_scan() {
    let text = Rust
        .extract("/usr/bin/rg", &auditable(DEPS.as_bytes()))
        .expect("auditable data");
    let mut l = LayerIndex::default();
    l.entries.insert("/usr/bin/rg".into(), entry(FileKind::Regular, None));
    l.entries.insert(
        "/usr/bin/ripgrep".into(),
        entry(FileKind::Hardlink, Some("/usr/bin/rg")),
    );
    l.entries
        .insert("/src/Cargo.lock".into(), entry(FileKind::Regular, None));
    l.captured.insert(
        "/src/Cargo.lock".into(),
        b"[[package]]\nname = \"x\"\nversion = \"1.0.0\"\n".to_vec().into(),
    );
    for p in ["/usr/bin/rg", "/usr/bin/ripgrep"] {
        let found = [("rust-cargo-cataloger".to_string(), text.clone())]
            .into_iter()
            .collect();
        l.extracted.insert(p.into(), Arc::new(found));
    }
    let mut tree = FileTree::new(8);
    tree.apply(&l);
    let mut out = Output::default();
    Rust.catalog(
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
            "memchr 2.7.1 /usr/bin/rg layer 1",
            "regex 1.10.2 /usr/bin/rg layer 1",
            "regex-syntax 0.8.2 /usr/bin/rg layer 1",
            "ripgrep 14.1.0 /usr/bin/rg layer 1"
        ]
    );
    assert!(Rust.extract("/usr/bin/sh", b"#!/bin/sh\n.dep-v0").is_none());
}
