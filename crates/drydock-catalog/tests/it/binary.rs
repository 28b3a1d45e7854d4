//! Binary classifiers over synthetic executables and libraries (files holding only the
//! version strings real builds carry) at the paths real images use, next to a dpkg
//! database (tests/fixtures/binary) that owns `/usr/bin/openssl`.

use crate::common::{assert_snapshot, catalog_dir, fixture, summary};
use drydock_catalog::{all, build_sbom, CatalogCapture};
use drydock_image::{open, read_layers, NoProgress, OpenOptions, ReadOptions, SourceSpec};
use drydock_sbom::{Sbom, Scope};
use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// (path, mode, content) of every synthetic file.
const FILES: &[(&str, u32, &[u8])] = &[
    (
        "usr/local/bin/python3.12",
        0o755,
        b"\x7fELF\0pymalloc_debug\x003.12.1\0strict\0",
    ),
    ("usr/local/lib/libpython3.12.so.1.0", 0o644, b"\x7fELF\0\x003.12.1\0"),
    (
        "usr/local/bin/node",
        0o755,
        b"\x7fELF\0/json\0node.js/v20.10.0\0(delegate_)",
    ),
    (
        "usr/local/ssl/lib64/libcrypto.so.3",
        0o644,
        b"\x7fELF\0OpenSSL 3.0.15 3 Sep 2024\x003.0.15\0",
    ),
    (
        "bin/busybox",
        0o755,
        b"\x7fELF\0BusyBox v1.36.1 (2023-11-07 18:53:09 UTC)\0",
    ),
    (
        "opt/java/openjdk/bin/java",
        0o755,
        b"\x7fELF\0openjdk\0java\x0021.0.1\x0021.0.1+12-LTS\0",
    ),
    (
        "opt/java/openjdk/lib/server/libjvm.so",
        0o644,
        b"\x7fELF\0OpenJDK 64-Bit Server VM (21.0.1+12-LTS) for linux-amd64 JRE (21.0.1+12-LTS), built on\0",
    ),
    (
        "usr/local/bin/curl",
        0o755,
        b"\x7fELF\0application/json\0curl/8.5.0\0\0\0",
    ),
    (
        "usr/local/lib/libcurl.so.4.8.0",
        0o644,
        b"\x7fELF\0/\0libcurl/8.5.0\0zlib/%s\0",
    ),
    ("usr/sbin/nginx", 0o755, b"\x7fELF\0nginx version: nginx/1.25.3\n\0"),
    (
        "usr/local/bin/redis-server",
        0o755,
        b"\x7fELF\0Redis server v=%s sha=%s:%d\0\x007.2.4\0\x007.2.4buildkitsandbox-1700000000\0",
    ),
    (
        "usr/lib/postgresql/16/bin/postgres",
        0o755,
        b"\x7fELF\0postgres (PostgreSQL) 16.1\n\0",
    ),
    // Installed by the dpkg package `openssl`: the OS package reports it, not a classifier.
    ("usr/bin/openssl", 0o755, b"\x7fELF\0OpenSSL 3.0.11 19 Sep 2023\0"),
    // Not executable, not a known name, or no version: nothing.
    (
        "usr/share/lintian/overrides/openssl",
        0o644,
        b"OpenSSL 9.9.9 1 Jan 2030",
    ),
    ("usr/local/bin/nodejs", 0o644, b"node.js/v99.0.0\0"),
    ("usr/local/bin/nginx-debug", 0o755, b"nginx version: nginx/9.9.9\n"),
    ("usr/local/bin/python3.12-config", 0o755, b"\x003.12.1\0"),
    ("usr/bin/node", 0o755, b"#!/bin/sh\nexec /usr/local/bin/node \"$@\"\n"),
];

fn write_tree(root: &Path) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let p = e.unwrap().path();
            let dest = to.join(p.file_name().unwrap());
            if p.is_dir() {
                copy(&p, &dest);
            } else {
                std::fs::copy(&p, &dest).unwrap();
            }
        }
    }
    copy(&fixture("binary"), root);
    for (rel, mode, content) in FILES {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, content).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    std::os::unix::fs::symlink("python3.12", root.join("usr/local/bin/python3")).unwrap();
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

#[test]
fn classifies_known_binaries_by_their_version_strings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    write_tree(&root);
    let sbom = catalog_dir(&root);
    let text = summary(&sbom, &["binary"]);
    assert_snapshot("binary-dir", &text);
    // The dpkg-owned openssl is reported once, as the deb package.
    assert!(!text.contains("/usr/bin/openssl"), "{text}");
    assert!(sbom
        .packages
        .iter()
        .any(|p| p.name == "openssl" && p.package_type.as_str() == "deb"));

    let curl = sbom
        .packages
        .iter()
        .find(|p| p.locations[0].path == "/usr/local/bin/curl")
        .expect("curl");
    assert_eq!(curl.found_by, "binary-classifier-cataloger");
    assert_eq!(
        curl.cpes,
        [
            "cpe:2.3:a:haxx:curl:8.5.0:*:*:*:*:*:*:*",
            "cpe:2.3:a:haxx:libcurl:8.5.0:*:*:*:*:*:*:*"
        ]
    );
}

#[test]
fn image_layers_hard_links_and_later_layers() {
    let dir = tempfile::tempdir().unwrap();
    let base = LayerBuilder::new()
        .file("bin/busybox", b"\0BusyBox v1.36.1 (2023-11-07)\0", 0o755)
        .hardlink("bin/ls", "bin/busybox")
        .hardlink("bin/sh", "bin/busybox")
        .file("usr/local/bin/python3.11", b"\0\x003.11.7\0", 0o755)
        .finish();
    // The next layer replaces Python and adds nginx.
    let top = LayerBuilder::new()
        .file("usr/local/bin/python3.11", b"\0\x003.11.9\0", 0o755)
        .file("usr/sbin/nginx", b"nginx version: nginx/1.25.3\n", 0o755)
        .finish();
    let archive = dir.path().join("image.tar");
    ImageBuilder::new()
        .layer(base, Storage::Gzip, "ADD rootfs.tar /")
        .layer(top, Storage::Plain, "RUN upgrade")
        .write_docker_archive(&archive, "binary-fixture:1")
        .unwrap();
    let sbom = catalog_image(&archive);
    let text = summary(&sbom, &["binary"]);
    assert_snapshot("binary-image", &text);
    let busybox: Vec<_> = sbom.packages.iter().filter(|p| p.name == "busybox").collect();
    assert_eq!(busybox.len(), 1, "hard links are the same file:\n{text}");
    let python = sbom.packages.iter().find(|p| p.name == "python").expect("python");
    assert_eq!((python.version.as_str(), python.layer()), ("3.11.9", Some(1)));
}
