//! The Go cataloger over a directory with synthetic Go executables (build info in
//! the exact Go 1.18+ layout and in the pointer layout of older toolchains), a
//! `go.mod`/`go.sum` checkout, and damaged or non-Go files; plus the image view
//! (hard links, no manifests) and the real executables of the fixture image.

use crate::elf;

use crate::common::{assert_snapshot, catalog_dir, fixture, summary};
use drydock_catalog::golang::Golang;
use drydock_catalog::{Cataloger, Context, Output};
use drydock_image::{FileEntry, FileKind, FileTree, LayerIndex};
use std::sync::Arc;

const MAGIC: &[u8] = b"\xff Go buildinf:";

fn varstr(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut n = s.len();
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out.extend_from_slice(s);
    out
}

/// Build info as Go 1.18+ writes it: 32-byte header, then varint-prefixed strings,
/// the module text wrapped in its two 16-byte sentinels.
fn inline_blob(go: &str, modinfo: &str) -> Vec<u8> {
    let mut b = MAGIC.to_vec();
    b.extend([8, 2]);
    b.resize(32, 0);
    b.extend(varstr(go.as_bytes()));
    let wrapped = format!("0123456789abcdef{modinfo}\nfedcba9876543210");
    b.extend(varstr(wrapped.as_bytes()));
    b
}

/// Build info as Go < 1.18 writes it: pointers to string headers, at `base`.
fn pointer_blob(base: u64, go: &str, modinfo: &str) -> Vec<u8> {
    let wrapped = format!("0123456789abcdef{modinfo}\nfedcba9876543210");
    let mut b = MAGIC.to_vec();
    b.extend([8, 0]);
    b.extend((base + 32).to_le_bytes());
    b.extend((base + 48).to_le_bytes());
    b.extend((base + 64).to_le_bytes());
    b.extend((go.len() as u64).to_le_bytes());
    b.extend((base + 64 + go.len() as u64).to_le_bytes());
    b.extend((wrapped.len() as u64).to_le_bytes());
    b.extend(go.as_bytes());
    b.extend(wrapped.as_bytes());
    b
}

const APP: &str = "path\texample.com/app/cmd/app
mod\texample.com/app\t(devel)\t
dep\tgithub.com/spf13/cobra\tv1.8.0\th1:7aJaZx1B85qltLMc546zn58BxxfZdR/W22ej9CFoEf0=
dep\tgithub.com/old/lib\tv1.0.0\th1:aaaa
=>\tgithub.com/new/lib\tv1.0.2\th1:bbbb
build\t-compiler=gc
build\t-ldflags=\"-s -w -X example.com/app/internal/version.Version=1.4.2\"
build\tvcs.revision=0123456789abcdef0123456789abcdef01234567
build\tvcs.time=2024-01-02T03:04:05Z";

const VCS_ONLY: &str = "path\tgithub.com/acme/tool
mod\tgithub.com/acme/tool\t(devel)\t
build\tvcs=git
build\tvcs.revision=22f0818cf81024b63752d815c51fe737612b43ec
build\tvcs.time=2023-08-08T04:14:26Z";

const OLD: &str = "path\tgolang.org/x/tools/cmd/stringer
mod\tgolang.org/x/tools\tv0.1.0\th1:cccc
dep\tgolang.org/x/mod\tv0.3.0\th1:dddd";

/// A directory like a checkout with built executables.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    elf::copy_tree(&fixture("golang"), root);
    let app = elf::elf64(&[
        (".text", 0x401000, b"\x90\x90\x90\x90"),
        (".go.buildinfo", 0x600000, &inline_blob("go1.22.1", APP)),
    ]);
    elf::write(root, "usr/local/bin/app", &app, 0o755);
    let tool = elf::elf64(&[(
        ".go.buildinfo",
        0x500000,
        &inline_blob("go1.21rc2 X:boringcrypto", VCS_ONLY),
    )]);
    elf::write(root, "opt/tool/tool", &tool, 0o755);
    let old = elf::elf64(&[(".data", 0x700000, &pointer_blob(0x700000, "go1.16.15", OLD))]);
    elf::write(root, "usr/bin/stringer", &old, 0o755);
    // The header is there, the strings are cut off.
    let mut cut = inline_blob("go1.22.1", APP);
    cut.truncate(60);
    let mut broken = b"\x7fELF\x02\x01\x01".to_vec();
    broken.resize(64, 0);
    broken.extend(cut);
    elf::write(root, "usr/bin/broken", &broken, 0o755);
    // Not executable: not read as a binary.
    elf::write(root, "srv/data/app.bin", &app, 0o644);
    // An ELF without Go build info.
    elf::write(
        root,
        "usr/bin/true",
        &elf::elf64(&[(".text", 0x401000, b"\xc3")]),
        0o755,
    );
    dir
}

#[test]
fn directory_scan() {
    let dir = tree();
    let sbom = catalog_dir(dir.path());
    let text = summary(&sbom, &["go-module"]);
    assert_snapshot("golang-dir", &text);

    let find = |name: &str, path: &str| {
        sbom.packages
            .iter()
            .find(|p| p.name == name && p.locations[0].path == path)
            .unwrap_or_else(|| panic!("{name} at {path}"))
    };
    // ldflags beat the VCS pseudo-version for the main module
    let app = find("example.com/app", "/usr/local/bin/app");
    assert_eq!(app.version, "v1.4.2");
    assert_eq!(app.found_by, "go-module-binary-cataloger");
    // replaced dependencies are reported under the replacement
    assert_eq!(find("github.com/new/lib", "/usr/local/bin/app").version, "v1.0.2");
    assert!(!sbom
        .packages
        .iter()
        .any(|p| p.name == "github.com/old/lib" && p.locations[0].path == "/usr/local/bin/app"));
    let cobra = find("github.com/spf13/cobra", "/usr/local/bin/app");
    assert_eq!(cobra.cpes, ["cpe:2.3:a:spf13:cobra:v1.8.0:*:*:*:*:*:*:*"]);
    let tool = find("github.com/acme/tool", "/opt/tool/tool");
    assert_eq!(tool.version, "v0.0.0-20230808041426-22f0818cf810");
    let std = find("stdlib", "/opt/tool/tool");
    assert_eq!(
        (std.version.as_str(), std.purl.as_str()),
        ("go1.21rc2", "pkg:golang/stdlib@1.21rc2")
    );
    assert_eq!(std.cpes, ["cpe:2.3:a:golang:go:1.21:rc2:*:*:*:*:*:*"]);
    assert_eq!(find("golang.org/x/tools", "/usr/bin/stringer").version, "v0.1.0");
    // go.mod in a directory scan
    let from_mod = find("github.com/spf13/cobra", "/src/project/go.mod");
    assert_eq!(from_mod.found_by, "go-module-file-cataloger");
    assert!(sbom.warnings.iter().any(|w| w.starts_with("/usr/bin/broken: ")));
    assert!(sbom.warnings.iter().any(|w| w.starts_with("/src/broken/go.mod: ")));
    assert!(!sbom.packages.iter().any(|p| p.locations[0].path.starts_with("/srv/")));
}

fn entry(kind: FileKind, link: Option<&str>) -> FileEntry {
    FileEntry {
        kind,
        mode: 0o755,
        uid: 0,
        gid: 0,
        size: 1,
        link: link.map(Into::into),
        layer: 0,
    }
}

/// The image view: a hard link to a Go binary is reported once (at its target, as
/// Syft does), and manifests are not evidence.
#[test]
fn image_scan_skips_hard_links_and_manifests() {
    let app = elf::elf64(&[(".go.buildinfo", 0x600000, &inline_blob("go1.22.1", VCS_ONLY))]);
    let summary_text = Golang.extract("/a/tool", &app).expect("a Go binary");
    let mut l = LayerIndex::default();
    l.entries.insert("/a/tool".into(), entry(FileKind::Regular, None));
    l.entries
        .insert("/b/tool".into(), entry(FileKind::Hardlink, Some("/a/tool")));
    l.entries.insert("/src/go.mod".into(), entry(FileKind::Regular, None));
    l.captured.insert(
        "/src/go.mod".into(),
        b"module x\nrequire github.com/a/b v1.0.0\n".to_vec().into(),
    );
    for p in ["/a/tool", "/b/tool"] {
        let found = [("go-module-binary-cataloger".to_string(), summary_text.clone())]
            .into_iter()
            .collect();
        l.extracted.insert(p.into(), Arc::new(found));
    }
    let mut tree = FileTree::new(8);
    tree.apply(&l);
    let mut out = Output::default();
    Golang.catalog(
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
        .map(|p| format!("{} {} {}", p.name, p.version, p.locations[0].path))
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "github.com/acme/tool v0.0.0-20230808041426-22f0818cf810 /a/tool",
            "stdlib go1.22.1 /a/tool"
        ]
    );
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
}

/// Files with executable bits are read; anything else (or too small) is not.
#[test]
fn extraction_selection() {
    assert!(Golang.extracts("/usr/bin/x", 0o755, 4096));
    assert!(Golang.extracts("/w/APP.EXE", 0o644, 4096));
    assert!(!Golang.extracts("/usr/share/doc/x", 0o644, 4096));
    assert!(!Golang.extracts("/usr/bin/tiny", 0o755, 10));
    assert!(Golang
        .extract("/usr/bin/script", b"#!/bin/sh\necho \xff Go buildinf:\n")
        .is_none());
}

/// The real executables of the fixture image (when present on this machine): the
/// main module version of docker-registry comes from its contents (Debian builds
/// without module information), esbuild's from its VCS settings.
#[test]
fn real_executables_of_the_fixture_image() {
    let root = std::path::Path::new("/var/tmp/fx/bookworm-rich");
    let cases = [
        (
            "usr/bin/docker-registry",
            vec![
                "github.com/docker/distribution/cmd/registry v2.8.2+ds1",
                "stdlib go1.19.8",
            ],
        ),
        (
            "app/node_modules/@esbuild/linux-x64/bin/esbuild",
            vec![
                "github.com/evanw/esbuild v0.0.0-20230808041426-22f0818cf810",
                "golang.org/x/sys v0.0.0-20220715151400-c0bba94af5f8",
                "stdlib go1.20.7",
            ],
        ),
    ];
    for (rel, expected) in cases {
        let Ok(bytes) = std::fs::read(root.join(rel)) else {
            eprintln!("skipping: {rel} not present");
            continue;
        };
        let text = Golang.extract(rel, &bytes).expect("Go build info");
        let mut l = LayerIndex::default();
        let path = format!("/{rel}");
        l.entries.insert(path.clone(), entry(FileKind::Regular, None));
        let found = [("go-module-binary-cataloger".to_string(), text)].into_iter().collect();
        l.extracted.insert(path, Arc::new(found));
        let mut tree = FileTree::new(8);
        tree.apply(&l);
        let mut out = Output::default();
        Golang.catalog(
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
            .map(|p| format!("{} {}", p.name, p.version))
            .collect();
        got.sort();
        assert_eq!(got, expected);
    }
}
