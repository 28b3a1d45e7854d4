//! The streaming pass and the squashed view, on images built in code.

use drydock_image::layer::index_layer;
use drydock_image::{
    open, read_layers, Capture, FileKind, FileTree, ImageError, LayerCache, LayerId, Limits, NoProgress, OpenOptions,
    Opened, ReadOptions, SourceSpec,
};
use drydock_test_support::fixture::{gzip, sha256, ImageBuilder, LayerBuilder, Storage};

struct Wants(&'static [&'static str]);
impl Capture for Wants {
    fn wants(&self, path: &str) -> bool {
        self.0.contains(&path)
    }
    fn fingerprint(&self) -> String {
        self.0.join(",")
    }
}

const WANTS: Wants = Wants(&[
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/motd",
    "/etc/motd-hard",
    "/opt/app/config",
]);

fn base_layer() -> Vec<u8> {
    LayerBuilder::new()
        .dir("etc")
        .file("usr/lib/os-release", b"ID=debian\nVERSION_ID=\"12\"\n", 0o644)
        .symlink("etc/os-release", "../usr/lib/os-release")
        .file("etc/motd", b"base motd", 0o644)
        .hardlink("etc/motd-hard", "etc/motd")
        .file("opt/app/config", b"old", 0o644)
        .file("opt/app/extra", b"gone after opaque", 0o644)
        .file("var/lib/removed/data", b"deleted later", 0o644)
        .file("usr/bin/su", b"\x7fELF", 0o4755)
        .finish()
}

fn upper_layer() -> Vec<u8> {
    LayerBuilder::new()
        .whiteout("var/lib/removed")
        .opaque("opt/app")
        .file("opt/app/config", b"new", 0o600)
        .file("etc/motd", b"upper motd", 0o644)
        .finish()
}

fn index(tar: &[u8], idx: usize) -> drydock_image::LayerIndex {
    let id = LayerId {
        index: idx,
        digest: Some(sha256(tar)),
        ..Default::default()
    };
    index_layer(tar, &id, &WANTS, &Limits::default()).expect("layer indexes")
}

#[test]
fn squashed_view_honours_whiteouts_opaque_dirs_and_links() {
    let base = index(&base_layer(), 0);
    let upper = index(&upper_layer(), 1);
    assert_eq!(upper.whiteouts, ["/var/lib/removed"]);
    assert_eq!(upper.opaque_dirs, ["/opt/app"]);
    let tree = FileTree::squash([&base, &upper], 40);
    assert!(
        tree.entry("/var/lib/removed/data").is_none(),
        "whited-out directory's children are gone"
    );
    assert!(
        tree.entry("/opt/app/extra").is_none(),
        "opaque directory hides lower contents"
    );
    assert_eq!(&**tree.read("/opt/app/config").unwrap(), b"new");
    assert_eq!(tree.entry("/opt/app/config").unwrap().layer, 1);
    assert_eq!(tree.entry("/opt/app/config").unwrap().mode, 0o600);
    assert_eq!(
        &**tree.read("/etc/os-release").unwrap(),
        b"ID=debian\nVERSION_ID=\"12\"\n"
    );
    assert_eq!(&**tree.read("/etc/motd").unwrap(), b"upper motd");
    // The hard link was captured from the base layer's content.
    assert_eq!(&**tree.read("/etc/motd-hard").unwrap(), b"base motd");
    assert_eq!(tree.entry("/usr/bin/su").unwrap().mode, 0o4755);
    // In layer 0 alone, the deleted data is there (all-layers scope sees it).
    let only_base = FileTree::squash([&base], 40);
    assert!(only_base.entry("/var/lib/removed/data").is_some());
}

#[test]
fn compressed_layers_stream_the_same() {
    let tar = base_layer();
    let plain = index(&tar, 0);
    for blob in [gzip(&tar), drydock_test_support::fixture::zstd(&tar)] {
        let id = LayerId {
            index: 0,
            digest: Some(sha256(&blob)),
            diff_id: Some(sha256(&tar)),
            ..Default::default()
        };
        let idx = index_layer(&blob[..], &id, &WANTS, &Limits::default()).unwrap();
        assert_eq!(idx.entries, plain.entries);
        assert_eq!(idx.captured, plain.captured);
        assert_eq!(idx.uncompressed_size, plain.uncompressed_size);
    }
}

#[test]
fn hostile_entries_are_skipped_with_a_warning() {
    let tar = LayerBuilder::new()
        .raw(b"../../etc/evil", tar::EntryType::Regular, None, b"x")
        .raw(b"a/../../escape", tar::EntryType::Regular, None, b"x")
        .raw(
            b"etc/shadow-link",
            tar::EntryType::Symlink,
            Some(b"/../../../../etc/shadow"),
            b"",
        )
        .raw(b"bad-hardlink", tar::EntryType::Link, Some(b"../../outside"), b"")
        .raw(b"dev/sda", tar::EntryType::Block, None, b"")
        .file("etc/shadow", b"root:*:1::::::\n", 0o640)
        .finish();
    let idx = index(&tar, 0);
    assert_eq!(idx.warnings.len(), 4, "{:?}", idx.warnings);
    assert!(idx.warnings.iter().any(|w| w.contains("device file /dev/sda")));
    assert!(idx.warnings.iter().any(|w| w.contains("../../etc/evil")));
    assert!(idx.entries.keys().all(|p| !p.contains("..")));
    assert_eq!(idx.entries["/dev/sda"].kind, FileKind::BlockDevice);
    let tree = FileTree::squash([&idx], 40);
    assert_eq!(tree.resolve("/etc/shadow-link").as_deref(), Some("/etc/shadow"));
}

#[test]
fn decompression_bomb_hits_the_limit() {
    let tar = LayerBuilder::new().file("zeros", &vec![0u8; 4 << 20], 0o644).finish();
    let blob = gzip(&tar);
    assert!(blob.len() < 64 << 10, "the bomb is small compressed");
    let limits = Limits {
        max_layer_uncompressed: 1 << 20,
        ..Limits::default()
    };
    let id = LayerId {
        index: 3,
        digest: Some(sha256(&blob)),
        ..Default::default()
    };
    match index_layer(&blob[..], &id, &WANTS, &limits) {
        Err(ImageError::LimitExceeded { layer: 3, limit, .. }) => assert_eq!(limit, "uncompressed layer size"),
        other => panic!("expected the limit, got {other:?}"),
    }
}

#[test]
fn truncated_and_tampered_layers_are_errors() {
    let blob = gzip(&base_layer());
    let cut = &blob[..blob.len() / 2];
    let id = LayerId {
        index: 0,
        digest: Some(sha256(&blob)),
        ..Default::default()
    };
    assert!(matches!(
        index_layer(cut, &id, &WANTS, &Limits::default()),
        Err(ImageError::CorruptLayer { .. })
    ));
    let other = LayerId {
        index: 0,
        digest: Some(sha256(b"something else")),
        ..Default::default()
    };
    assert!(matches!(
        index_layer(&blob[..], &other, &WANTS, &Limits::default()),
        Err(ImageError::DigestMismatch { .. })
    ));
    let sig = LayerId {
        media_type: "application/vnd.dev.cosign.simplesigning.v1+json".into(),
        ..Default::default()
    };
    assert!(matches!(
        index_layer(&blob[..], &sig, &WANTS, &Limits::default()),
        Err(ImageError::UnsupportedMediaType { .. })
    ));
}

#[test]
fn oversized_files_are_not_captured() {
    let tar = LayerBuilder::new().file("etc/motd", &vec![b'x'; 4096], 0o644).finish();
    let limits = Limits {
        max_captured_file: 1024,
        ..Limits::default()
    };
    let idx = index_layer(&tar[..], &LayerId::default(), &WANTS, &limits).unwrap();
    assert!(idx.captured.is_empty());
    assert!(idx.warnings[0].contains("/etc/motd"));
    assert_eq!(idx.entries["/etc/motd"].size, 4096);
}

fn image() -> ImageBuilder {
    ImageBuilder::new()
        .layer(base_layer(), Storage::Gzip, "ADD base.tar /")
        .layer(upper_layer(), Storage::Zstd, "RUN rm -rf /var/lib/removed")
}

fn read(spec: &str, cache: Option<LayerCache>) -> (Opened, drydock_image::ReadLayers) {
    let opened = open(&SourceSpec::parse(spec).unwrap(), spec, &OpenOptions::default()).unwrap();
    let layers = read_layers(
        &opened,
        &ReadOptions {
            capture: &WANTS,
            limits: Limits::default(),
            cache,
            threads: 2,
            progress: &NoProgress,
        },
    )
    .unwrap();
    (opened, layers)
}

#[test]
fn every_local_format_reads_the_same_image() {
    let dir = tempfile::tempdir().unwrap();
    let img = image();
    img.write_oci_dir(&dir.path().join("layout"), "v1").unwrap();
    img.write_oci_archive(&dir.path().join("img.oci.tar"), "v1").unwrap();
    img.write_docker_archive(&dir.path().join("img.docker.tar"), "fx/test:v1")
        .unwrap();
    let mut trees = Vec::new();
    for spec in [
        format!("oci-dir:{}:v1", dir.path().join("layout").display()),
        format!("oci-archive:{}", dir.path().join("img.oci.tar").display()),
        format!("docker-archive:{}", dir.path().join("img.docker.tar").display()),
        dir.path().join("img.docker.tar").display().to_string(),
        dir.path().join("layout").display().to_string(),
    ] {
        let (opened, read) = read(&spec, None);
        let meta = opened.meta();
        assert_eq!(meta.layers.len(), 2, "{spec}");
        assert_eq!(
            meta.layers[1].created_by.as_deref(),
            Some("RUN rm -rf /var/lib/removed"),
            "{spec}"
        );
        let tree = FileTree::squash(read.layers.iter().map(|l| &**l), 40);
        trees.push(
            tree.entries()
                .map(|(p, e)| (p.to_string(), e.clone()))
                .collect::<Vec<_>>(),
        );
    }
    assert!(trees.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn unknown_tag_lists_the_available_ones() {
    let dir = tempfile::tempdir().unwrap();
    image().write_oci_dir(dir.path(), "v1").unwrap();
    let spec = format!("oci-dir:{}:nope", dir.path().display());
    let err = open(&SourceSpec::parse(&spec).unwrap(), &spec, &OpenOptions::default())
        .err()
        .unwrap();
    assert!(err.to_string().contains("available: v1"), "{err}");
}

#[test]
fn layer_cache_skips_layers_already_read() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(dir.path().join("cache"));
    image().write_oci_dir(&dir.path().join("a"), "a").unwrap();
    // A second image on the same base layer with a different upper layer.
    ImageBuilder::new()
        .layer(base_layer(), Storage::Gzip, "ADD base.tar /")
        .layer(
            LayerBuilder::new().file("etc/motd", b"b", 0o644).finish(),
            Storage::Gzip,
            "RUN b",
        )
        .write_oci_dir(&dir.path().join("b"), "b")
        .unwrap();
    let (_, first) = read(
        &format!("oci-dir:{}", dir.path().join("a").display()),
        Some(cache.clone()),
    );
    assert_eq!(first.from_cache, [false, false]);
    let (_, again) = read(
        &format!("oci-dir:{}", dir.path().join("a").display()),
        Some(cache.clone()),
    );
    assert_eq!(again.from_cache, [true, true]);
    assert_eq!(again.layers[1].captured, first.layers[1].captured);
    let (_, other) = read(&format!("oci-dir:{}", dir.path().join("b").display()), Some(cache));
    assert_eq!(other.from_cache, [true, false], "only the new upper layer is read");
}

/// Extracts the size of ELF files and keeps nothing else.
struct ElfSizes;
impl Capture for ElfSizes {
    fn wants(&self, _path: &str) -> bool {
        false
    }
    fn fingerprint(&self) -> String {
        "elf-sizes".into()
    }
    fn extracts(&self, _path: &str, mode: u32, _size: u64) -> bool {
        mode & 0o111 != 0
    }
    fn extract(&self, _path: &str, _mode: u32, content: &[u8]) -> drydock_image::Extracted {
        let mut out = drydock_image::Extracted::new();
        if content.starts_with(b"\x7fELF") {
            out.insert("elf".into(), content.len().to_string());
        }
        out
    }
}

#[test]
fn extraction_keeps_summaries_not_contents() {
    let base = LayerBuilder::new()
        .file("usr/bin/tool", b"\x7fELF and more", 0o755)
        .file("usr/bin/script", b"#!/bin/sh", 0o755)
        .file("usr/bin/gone", b"\x7fELF", 0o755)
        .file("etc/data", b"\x7fELF but not executable", 0o644)
        .finish();
    let upper = LayerBuilder::new().whiteout("usr/bin/gone").finish();
    let l0 = index_layer(&base[..], &LayerId::default(), &ElfSizes, &Limits::default()).unwrap();
    let l1 = index_layer(
        &upper[..],
        &LayerId {
            index: 1,
            ..Default::default()
        },
        &ElfSizes,
        &Limits::default(),
    )
    .unwrap();
    assert!(l0.captured.is_empty());
    assert_eq!(l0.extracted.len(), 2, "{:?}", l0.extracted);
    let tree = FileTree::squash([&l0, &l1], 40);
    let found: Vec<(&str, &str)> = tree.extracted_by("elf").collect();
    assert_eq!(found, [("/usr/bin/tool", "13")]);
}

/// Keeps `/etc/motd` whole, extracts executables and asks for every file's digests.
struct Digesting;
impl Capture for Digesting {
    fn wants(&self, path: &str) -> bool {
        path == "/etc/motd"
    }
    fn fingerprint(&self) -> String {
        "digesting".into()
    }
    fn extracts(&self, _path: &str, mode: u32, _size: u64) -> bool {
        mode & 0o111 != 0
    }
    fn digests(&self) -> bool {
        true
    }
}

#[test]
fn digests_of_every_file_are_computed_in_the_pass() {
    let big: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let base = LayerBuilder::new()
        .file("etc/motd", b"captured", 0o644)
        .file("usr/bin/tool", b"\x7fELF extracted", 0o755)
        .file("var/big", &big, 0o644)
        .hardlink("var/big-link", "var/big")
        .symlink("etc/motd-link", "motd")
        .file("var/removed", b"x", 0o644)
        .finish();
    let upper = LayerBuilder::new()
        .whiteout("var/removed")
        .file("usr/bin/tool", b"\x7fELF replaced", 0o755)
        .finish();
    let id = |index| LayerId {
        index,
        ..Default::default()
    };
    let l0 = index_layer(&base[..], &id(0), &Digesting, &Limits::default()).unwrap();
    let l1 = index_layer(&upper[..], &id(1), &Digesting, &Limits::default()).unwrap();
    let tree = FileTree::squash([&l0, &l1], 40);
    let d = |p: &str| tree.digests(p).map(|d| (d.sha256(), d.md5()));
    let want = |c: &[u8]| {
        let f = drydock_image::FileDigests::of(c);
        Some((f.sha256(), f.md5()))
    };
    assert_eq!(d("/etc/motd"), want(b"captured"), "captured file");
    assert_eq!(d("/usr/bin/tool"), want(b"\x7fELF replaced"), "upper layer wins");
    assert_eq!(d("/var/big"), want(&big), "streamed file");
    assert_eq!(d("/var/big-link"), want(&big), "hard link");
    assert_eq!(d("/etc/motd-link"), want(b"captured"), "symbolic link followed");
    assert_eq!(d("/var/removed"), None, "deleted file");
    // Known vectors: the hashes themselves are right.
    let empty = drydock_image::FileDigests::of(b"");
    assert_eq!(empty.md5(), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(
        empty.sha256(),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn a_path_written_twice_in_a_layer_keeps_only_the_last_results() {
    // Summaries and digests are computed on helper threads: a result for the first
    // version must not win over the second, whatever order the helpers finish in.
    let mut layer = LayerBuilder::new();
    for i in 0..200 {
        layer = layer.file(&format!("usr/bin/tool{i}"), b"\x7fELF first version", 0o755);
    }
    for i in 0..200 {
        if i % 2 == 0 {
            layer = layer.file(&format!("usr/bin/tool{i}"), b"#!/bin/sh\n", 0o755);
        } else {
            layer = layer.dir(&format!("usr/bin/tool{i}"));
        }
    }
    struct Both;
    impl Capture for Both {
        fn wants(&self, _: &str) -> bool {
            false
        }
        fn fingerprint(&self) -> String {
            "both".into()
        }
        fn extracts(&self, p: &str, m: u32, s: u64) -> bool {
            ElfSizes.extracts(p, m, s)
        }
        fn extract(&self, p: &str, m: u32, c: &[u8]) -> drydock_image::Extracted {
            ElfSizes.extract(p, m, c)
        }
        fn digests(&self) -> bool {
            true
        }
    }
    let l0 = index_layer(&layer.finish()[..], &LayerId::default(), &Both, &Limits::default()).unwrap();
    let tree = FileTree::squash([&l0], 40);
    assert_eq!(tree.extracted_by("elf").count(), 0, "no stale summary");
    let script = drydock_image::FileDigests::of(b"#!/bin/sh\n");
    for i in 0..200 {
        let d = tree.digests(&format!("/usr/bin/tool{i}"));
        if i % 2 == 0 {
            assert_eq!(d, Some(&script), "tool{i}");
        } else {
            assert_eq!(d, None, "tool{i} is a directory now");
        }
    }
}
