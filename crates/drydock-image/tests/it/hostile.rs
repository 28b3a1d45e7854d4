//! Hostile layers, built in code and streamed (nothing big is committed or held): each
//! must cost little time and memory, and fail or degrade with a clear message.

use drydock_image::layer::index_layer;
use drydock_image::{
    open, read_layers, Capture, CaptureNothing, FileTree, ImageError, LayerCache, LayerId, LayerIndex, Limits,
    NoProgress, OpenOptions, ReadOptions, SourceSpec,
};
use drydock_test_support::fixture::{hostile, StreamingLayer};
use std::io::Read;
use std::time::{Duration, Instant};

/// Wants every `package.json` (a single-package manifest) and every file under `/keep/`,
/// and asks for the digests of every file.
struct Hungry;
impl Capture for Hungry {
    fn wants(&self, path: &str) -> bool {
        path.ends_with("/package.json") || path.starts_with("/keep/")
    }
    fn fingerprint(&self) -> String {
        "hungry".into()
    }
    fn digests(&self) -> bool {
        true
    }
    fn is_manifest(&self, path: &str) -> bool {
        path.ends_with("/package.json")
    }
}

fn one_layer(build: impl FnOnce(&mut StreamingLayer)) -> Vec<u8> {
    let mut layer = StreamingLayer::new();
    build(&mut layer);
    layer.finish().0
}

fn index(blob: &[u8], limits: &Limits) -> Result<LayerIndex, ImageError> {
    index_layer(blob, &LayerId::default(), &Hungry, limits)
}

#[test]
fn a_terabyte_sparse_file_is_refused_at_its_header() {
    let blob = one_layer(|l| {
        l.sparse("usr/lib/huge.bin", 1 << 40);
    });
    assert!(blob.len() < 1024, "the hostile layer is tiny: {} bytes", blob.len());
    let start = Instant::now();
    let err = index(&blob, &Limits::default()).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    match err {
        ImageError::LimitExceeded { limit, .. } => assert_eq!(limit, "uncompressed layer size"),
        other => panic!("expected the layer size limit, got {other}"),
    }
}

#[test]
fn sparse_files_count_together_against_the_layer_limit() {
    let limits = Limits {
        max_layer_uncompressed: 10 << 30,
        ..Limits::default()
    };
    let blob = one_layer(|l| {
        for i in 0..11 {
            l.sparse(&format!("data/f{i}"), 1 << 30);
        }
    });
    // Each file alone is within every per-file limit but for digests; together they are
    // 11 GiB.
    let limits = Limits {
        max_digested_file: 1 << 20,
        ..limits
    };
    assert!(matches!(index(&blob, &limits), Err(ImageError::LimitExceeded { .. })));
}

#[test]
fn files_over_the_digest_budget_are_not_hashed() {
    let blob = one_layer(|l| {
        l.file("etc/small", b"hello", 0o644);
        l.sparse("usr/lib/huge.bin", 8 << 30);
    });
    let start = Instant::now();
    let idx = index(&blob, &Limits::default()).unwrap();
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    assert!(idx.digests.contains_key("/etc/small"));
    assert!(!idx.digests.contains_key("/usr/lib/huge.bin"));
    assert_eq!(idx.entries["/usr/lib/huge.bin"].size, 8 << 30);
    assert!(
        idx.warnings
            .iter()
            .any(|w| w.contains("no digests for /usr/lib/huge.bin")),
        "{:?}",
        idx.warnings
    );
}

#[test]
fn the_image_time_budget_stops_a_slow_layer() {
    // 900 MiB of zeros to hash, within every size limit; one second allowed.
    let blob = one_layer(|l| {
        l.sparse("usr/lib/zeros", 900 << 20);
    });
    let limits = Limits {
        max_image_seconds: 1,
        ..Limits::default()
    };
    let start = Instant::now();
    let err = index(&blob, &limits).unwrap_err();
    assert!(start.elapsed() < Duration::from_secs(10), "{:?}", start.elapsed());
    assert!(matches!(err, ImageError::TimeBudget { seconds: 1 }), "{err}");
    assert!(err.to_string().contains("time budget of 1 s"), "{err}");
}

#[test]
fn sparse_manifests_are_not_captured() {
    let blob = one_layer(|l| {
        for i in 0..40 {
            l.sparse(&format!("app/node_modules/p{i}/package.json"), 250 << 20);
        }
        l.file(
            "app/node_modules/ok/package.json",
            br#"{"name":"ok","version":"1.0.0"}"#,
            0o644,
        );
    });
    let limits = Limits {
        // Hashing 10 GB of zeros is not what this test is about.
        max_digested_file: 1 << 20,
        ..Limits::default()
    };
    let idx = index(&blob, &limits).unwrap();
    assert_eq!(idx.captured.len(), 1, "only the genuine manifest is kept");
    assert!(idx.captured.contains_key("/app/node_modules/ok/package.json"));
    assert!(idx.warnings.iter().any(|w| w.contains("over the 4194304 byte limit")));
}

fn read_image(
    dir: &std::path::Path,
    image: drydock_test_support::fixture::ImageBuilder,
    limits: Limits,
    cache: Option<LayerCache>,
) -> drydock_image::Result<drydock_image::ReadLayers> {
    let file = dir.join("img.tar");
    image.write_docker_archive(&file, "hostile/x:1").unwrap();
    let spec = format!("docker-archive:{}", file.display());
    let opened = open(&SourceSpec::parse(&spec).unwrap(), &spec, &OpenOptions::default()).unwrap();
    read_layers(
        &opened,
        &ReadOptions {
            capture: &Hungry,
            limits,
            cache,
            threads: 3,
            progress: &NoProgress,
        },
    )
}

#[test]
fn captures_share_one_budget_per_image() {
    let dir = tempfile::tempdir().unwrap();
    let mut image = drydock_test_support::fixture::ImageBuilder::new();
    for l in 0..4 {
        let blob_and_id = {
            let mut layer = StreamingLayer::new();
            layer.sparse(&format!("keep/big{l}"), 600 << 10);
            layer.finish()
        };
        image = image.gzip_layer(blob_and_id.0, blob_and_id.1, "big");
    }
    let limits = Limits {
        max_captured_per_image: 1 << 20,
        ..Limits::default()
    };
    let read = read_image(dir.path(), image, limits, None).unwrap();
    let captured: usize = read.layers.iter().map(|l| l.captured.len()).sum();
    assert_eq!(captured, 1, "600 KiB fits once in 1 MiB, whichever layer came first");
    let refused: usize = read
        .layers
        .iter()
        .flat_map(|l| &l.warnings)
        .filter(|w| w.contains("image capture budget"))
        .count();
    assert_eq!(refused, 3);
}

#[test]
fn layers_with_big_captures_are_not_cached() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(dir.path().join("cache"));
    let mut layer = StreamingLayer::new();
    layer.sparse("keep/big", 2 << 20);
    let (blob, diff_id) = layer.finish();
    let mut small = StreamingLayer::new();
    small.file("keep/small", b"tiny", 0o644);
    let (sblob, sdiff) = small.finish();
    let image = drydock_test_support::fixture::ImageBuilder::new()
        .gzip_layer(blob, diff_id, "big")
        .gzip_layer(sblob, sdiff, "small");
    let limits = Limits {
        max_cached_capture: 1 << 20,
        ..Limits::default()
    };
    read_image(dir.path(), image, limits, Some(cache.clone())).unwrap();
    let files: Vec<_> = std::fs::read_dir(dir.path().join("cache/layers")).unwrap().collect();
    assert_eq!(files.len(), 1, "only the small layer is cached");
}

#[test]
fn two_threads_caching_one_layer_do_not_collide() {
    let dir = tempfile::tempdir().unwrap();
    let cache = LayerCache::new(dir.path());
    let mut index = LayerIndex::default();
    for i in 0..2000 {
        index.warnings.push(format!("padding so that writes take a while {i}"));
    }
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..20 {
                    cache.put("samekey", &index).expect("every concurrent write succeeds");
                }
            });
        }
    });
    assert_eq!(cache.get("samekey").unwrap().warnings.len(), 2000);
    let left: Vec<_> = std::fs::read_dir(dir.path().join("layers")).unwrap().collect();
    assert_eq!(left.len(), 1, "no temporary files are left behind");
}

#[test]
fn a_second_root_account_written_through_a_link_lands_in_etc() {
    let dir = tempfile::tempdir().unwrap();
    struct Passwd;
    impl Capture for Passwd {
        fn wants(&self, path: &str) -> bool {
            // Exactly: the layer pass must see that /lnk/passwd is /etc/passwd.
            path == "/etc/passwd"
        }
        fn fingerprint(&self) -> String {
            "passwd".into()
        }
    }
    let file = dir.path().join("img.tar");
    hostile::passwd_through_symlink()
        .write_docker_archive(&file, "hostile/passwd:1")
        .unwrap();
    let spec = format!("docker-archive:{}", file.display());
    let opened = open(&SourceSpec::parse(&spec).unwrap(), &spec, &OpenOptions::default()).unwrap();
    let read = read_layers(
        &opened,
        &ReadOptions {
            capture: &Passwd,
            limits: Limits::default(),
            cache: None,
            threads: 1,
            progress: &NoProgress,
        },
    )
    .unwrap();
    let tree = FileTree::squash(read.layers.iter().map(|l| &**l), 40);
    let passwd = String::from_utf8(tree.read("/etc/passwd").unwrap().to_vec()).unwrap();
    assert!(passwd.contains("toor:x:0:0"), "{passwd}");
    assert_eq!(tree.entry("/etc/passwd").unwrap().layer, 1);
    assert!(tree.entry("/lnk/passwd").is_none(), "no literal path through the link");
}

/// A GNU long-name entry followed by a regular file: names of any length, bypassing the
/// tar builder's checks.
fn long_named(tar: &mut tar::Builder<Vec<u8>>, name: &[u8]) {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNULongName);
    h.as_old_mut().name[..13].copy_from_slice(b"././@LongLink");
    h.set_size(name.len() as u64 + 1);
    h.set_cksum();
    let mut data = name.to_vec();
    data.push(0);
    tar.append(&h, &data[..]).unwrap();
    let mut f = tar::Header::new_gnu();
    f.set_entry_type(tar::EntryType::Regular);
    f.as_old_mut().name[..1].copy_from_slice(b"x");
    f.set_size(0);
    f.set_mode(0o644);
    f.set_cksum();
    tar.append(&f, &b""[..]).unwrap();
}

#[test]
fn warnings_are_short_and_few() {
    let mut tar = tar::Builder::new(Vec::new());
    let long = format!("../{}", "a".repeat(200 << 10));
    for _ in 0..3 {
        long_named(&mut tar, long.as_bytes());
    }
    for i in 0..3000 {
        long_named(&mut tar, format!("../escape{i}").as_bytes());
    }
    let blob = tar.into_inner().unwrap();
    let idx = index(&blob, &Limits::default()).unwrap();
    assert_eq!(idx.warnings.len(), 1001, "a thousand kept, then a count");
    assert!(idx.warnings.iter().all(|w| w.len() < 400), "every warning is clipped");
    assert!(idx.warnings.last().unwrap().contains("2003 more warnings"));
}

/// Counts the bytes read from a stream.
struct Counted<R> {
    inner: R,
    read: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

/// A tar header block of `kind` announcing `size` bytes of data.
fn header_block(kind: tar::EntryType, name: &[u8], size: u64) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.as_old_mut().name[..name.len()].copy_from_slice(name);
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    h.as_bytes().to_vec()
}

/// A layer whose first entry is an extension header of `kind` with `size` bytes of data,
/// streamed (never held), then a file and the end of the archive.
fn huge_extension(kind: tar::EntryType, size: u64, fill: u8) -> impl Read {
    let pad = (512 - size % 512) % 512;
    let mut tail = header_block(tar::EntryType::Regular, b"x", 0);
    tail.extend_from_slice(&[0u8; 1024]);
    std::io::Cursor::new(header_block(kind, b"././@LongLink", size))
        .chain(std::io::repeat(fill).take(size))
        .chain(std::io::repeat(0).take(pad))
        .chain(std::io::Cursor::new(tail))
}

#[test]
fn gigabyte_long_names_and_pax_records_are_refused_after_reading_little() {
    for (kind, fill) in [
        (tar::EntryType::GNULongName, b'a'),
        (tar::EntryType::GNULongLink, b'a'),
        // One endless PAX record: its length field is never ended.
        (tar::EntryType::XHeader, b'9'),
    ] {
        let read = std::rc::Rc::new(std::cell::Cell::new(0));
        let blob = Counted {
            inner: huge_extension(kind, 1 << 30, fill),
            read: read.clone(),
        };
        let start = Instant::now();
        let err = index_layer(blob, &LayerId::default(), &Hungry, &Limits::default()).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{kind:?}: {:?}",
            start.elapsed()
        );
        match &err {
            ImageError::LimitExceeded { limit, max, .. } => {
                assert!(limit.contains("long name"), "{kind:?}: {err}");
                assert_eq!(*max, 256 << 10);
            }
            other => panic!("{kind:?}: expected the extension header limit, got {other}"),
        }
        assert!(
            err.to_string().starts_with("layer 0 ("),
            "the message names the layer: {err}"
        );
        assert!(
            read.get() < 1 << 20,
            "{kind:?}: read {} bytes of a 1 GiB name",
            read.get()
        );
    }
}

#[test]
fn long_names_within_the_limit_and_pax_records_still_read() {
    let long = format!("usr/share/{}/f", "d".repeat(100 << 10));
    let mut tar = tar::Builder::new(Vec::new());
    long_named(&mut tar, long.as_bytes());
    // A PAX path and size record, as Go's archive/tar writes for long names.
    let pax_path = format!("opt/{}/g", "p".repeat(300));
    let content = b"pax content";
    tar.append_pax_extensions([("path", pax_path.as_bytes()), ("size", b"11".as_slice())])
        .unwrap();
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_path("placeholder").unwrap();
    h.set_size(content.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    tar.append(&h, &content[..]).unwrap();
    // 1 MiB the reader skips unread (nothing wants it) before the next header.
    let mut big = tar::Header::new_gnu();
    big.set_entry_type(tar::EntryType::Regular);
    big.set_path("data/big").unwrap();
    big.set_size(1 << 20);
    big.set_mode(0o644);
    big.set_cksum();
    tar.append(&big, std::io::repeat(7).take(1 << 20)).unwrap();
    let mut after = tar::Header::new_gnu();
    after.set_entry_type(tar::EntryType::Regular);
    after.set_path("keep/after").unwrap();
    after.set_size(5);
    after.set_mode(0o644);
    after.set_cksum();
    tar.append(&after, &b"after"[..]).unwrap();
    let blob = tar.into_inner().unwrap();
    let idx = index(&blob, &Limits::default()).unwrap();
    // `long_named` renames the file it writes after the long name; the name wins.
    assert!(
        idx.entries.contains_key(&format!("/{long}")),
        "the 100 KiB name is read"
    );
    assert_eq!(idx.entries[&format!("/{pax_path}")].size, 11);
    assert_eq!(&**idx.captured.get("/keep/after").unwrap(), b"after");
    let skipped = index_layer(&blob[..], &LayerId::default(), &CaptureNothing, &Limits::default()).unwrap();
    assert!(
        skipped.entries.contains_key("/keep/after"),
        "unread data is skipped, not refused"
    );
}

#[test]
fn files_written_through_a_lower_layers_link_are_captured_where_they_land() {
    let dir = tempfile::tempdir().unwrap();
    struct Exact;
    impl Capture for Exact {
        fn wants(&self, path: &str) -> bool {
            // Exactly: `/etc2/passwd` and `/apkdb/installed` are wanted only as the paths
            // the base's links make them.
            path == "/etc/passwd" || path == "/lib/apk/db/installed"
        }
        fn fingerprint(&self) -> String {
            "exact".into()
        }
    }
    let file = dir.path().join("img.tar");
    hostile::written_through_lower_links()
        .write_docker_archive(&file, "hostile/lower:1")
        .unwrap();
    let spec = format!("docker-archive:{}", file.display());
    let opened = open(&SourceSpec::parse(&spec).unwrap(), &spec, &OpenOptions::default()).unwrap();
    let cache = LayerCache::new(dir.path().join("cache"));
    // Twice: read, then from the cache.
    for round in 0..2 {
        let read = read_layers(
            &opened,
            &ReadOptions {
                capture: &Exact,
                limits: Limits::default(),
                cache: Some(cache.clone()),
                threads: 2,
                progress: &NoProgress,
            },
        )
        .unwrap();
        if round == 1 {
            assert!(read.from_cache.iter().all(|c| *c), "both layers come from the cache");
        }
        let tree = FileTree::squash(read.layers.iter().map(|l| &**l), 40);
        let passwd = String::from_utf8(tree.read("/etc/passwd").unwrap().to_vec()).unwrap();
        assert!(passwd.contains("toor:x:0:0"), "round {round}: {passwd}");
        assert_eq!(tree.entry("/etc/passwd").unwrap().layer, 1);
        let db = tree
            .read("/lib/apk/db/installed")
            .expect("the apk database is captured");
        assert!(db.starts_with(b"P:busybox"));
        assert!(tree.entry("/etc2/passwd").is_none(), "no literal path through the link");
    }
}
