//! The rpm cataloger against real databases written by rpm 4.18 (SQLite, NDB) and by
//! Berkeley DB's own db_load from rpm headers (see tests/fixtures/rpm/README.md), and
//! against damaged copies of them.

use drydock_catalog::rpm::Rpm;
use drydock_catalog::{Cataloger, Context, Output};
use drydock_image::{Content, FileEntry, FileKind, FileTree, LayerIndex};
use drydock_sbom::{Distro, Location, Package, PackageFile, PackageType};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/rpm");

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap()
}

fn tree(files: &[(&str, &[u8])], layer: usize) -> FileTree {
    let mut l = LayerIndex::default();
    for (path, content) in files {
        let entry = FileEntry {
            kind: FileKind::Regular,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: content.len() as u64,
            link: None,
            layer,
        };
        l.entries.insert(path.to_string(), entry);
        l.captured.insert(path.to_string(), Content::from(*content));
    }
    let mut t = FileTree::new(8);
    t.apply(&l);
    t
}

fn rhel() -> Distro {
    Distro {
        id: "rhel".into(),
        version_id: "9.4".into(),
        ..Default::default()
    }
}

fn catalog(path: &str, content: &[u8]) -> Output {
    let t = tree(&[(path, content)], 3);
    let d = rhel();
    let mut out = Output::default();
    Rpm.catalog(
        &t,
        &Context {
            distro: Some(&d),
            directory_scan: false,
        },
        &mut out,
    );
    out
}

fn find<'a>(out: &'a Output, name: &str) -> &'a Package {
    out.packages.iter().find(|p| p.name == name).unwrap_or_else(|| {
        panic!(
            "{name} not found in {:?}",
            out.packages.iter().map(|p| &p.name).collect::<Vec<_>>()
        )
    })
}

fn file(path: &str, digest: Option<&str>) -> PackageFile {
    PackageFile {
        path: path.into(),
        digest: digest.map(str::to_string),
    }
}

/// Everything the fixtures' rpms say, as `rpm -q --qf` printed it.
fn assert_fixture_packages(out: &Output, db_path: &str) {
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let mut names: Vec<&str> = out.packages.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        ["hello-drydock", "libtiny", "manyfiles"],
        "gpg-pubkey is skipped"
    );
    let location = vec![Location {
        path: db_path.into(),
        layer: 3,
        layer_digest: String::new(),
    }];

    let hello = find(out, "hello-drydock");
    assert_eq!(hello.package_type, PackageType::Rpm);
    assert_eq!(hello.version, "2:1.2.3-4.dd1");
    assert_eq!(hello.architecture.as_deref(), Some("x86_64"));
    assert_eq!(hello.source_name.as_deref(), Some("hello-drydock"));
    assert_eq!(hello.source_version.as_deref(), Some("2:1.2.3-4.dd1"));
    assert_eq!(hello.licenses, ["MIT"]);
    assert_eq!(hello.supplier.as_deref(), Some("Drydock Test Vendor"));
    assert_eq!(hello.installed_size, Some(68));
    assert_eq!(
        hello.purl,
        "pkg:rpm/rhel/hello-drydock@1.2.3-4.dd1?arch=x86_64&distro=rhel-9.4&epoch=2&upstream=hello-drydock-1.2.3-4.dd1.src.rpm"
    );
    assert_eq!(
        hello.cpes,
        [
            "cpe:2.3:a:hello-drydock:hello-drydock:1.2.3:*:*:*:*:*:*:*",
            "cpe:2.3:a:redhat:hello-drydock:1.2.3:*:*:*:*:*:*:*"
        ]
    );
    assert_eq!(hello.found_by, "rpm-db-cataloger");
    assert_eq!(hello.locations, location);
    assert_eq!(hello.id.len(), 16);
    assert_eq!(
        hello.files,
        [
            file(
                "/usr/bin/hello-drydock",
                Some("sha256:a153da31a02a880b0163d8510bf90d6c64d2092ecb4f0ef0922dd84d994241f9")
            ),
            file("/usr/bin/hi-drydock", None),
            file("/usr/share/doc/hello-drydock", None),
            file(
                "/usr/share/doc/hello-drydock/README",
                Some("sha256:5384129f598df6f7d18e9bab35992881a8214e35f44b3e15aaf21c11ed732b4c")
            ),
        ]
    );

    let tiny = find(out, "libtiny");
    assert_eq!(tiny.version, "0.9-1");
    assert_eq!(tiny.architecture.as_deref(), Some("noarch"));
    assert_eq!(tiny.source_name.as_deref(), Some("libtiny"));
    assert_eq!(tiny.source_version.as_deref(), Some("0.9-1"));
    assert_eq!(tiny.licenses, ["GPL-2.0-or-later AND BSD-3-Clause"]);
    assert_eq!(tiny.supplier, None);
    assert_eq!(tiny.installed_size, Some(10));
    assert_eq!(
        tiny.purl,
        "pkg:rpm/rhel/libtiny@0.9-1?arch=noarch&distro=rhel-9.4&upstream=libtiny-0.9-1.src.rpm"
    );
    // Built with md5 file digests: rpm then writes no FILEDIGESTALGO at all.
    assert_eq!(
        tiny.files,
        [file(
            "/usr/lib/libtiny/data.txt",
            Some("md5:801c2d3bdc0587873282c5e17228afb3")
        )]
    );

    let many = find(out, "manyfiles");
    assert_eq!(many.version, "1.0-1");
    assert_eq!(many.licenses, ["Apache-2.0"]);
    assert_eq!(many.installed_size, Some(1800));
    assert_eq!(many.files.len(), 201);
    assert_eq!(many.files[0], file("/usr/share/manyfiles", None));
    assert_eq!(
        many.files[1],
        file(
            "/usr/share/manyfiles/file-001.txt",
            Some("sha256:8d44b89e8e94a4e7f1ec4cdcb5f3eac3c561285b8380dc01d4e54b7a012acf16")
        )
    );
    assert_eq!(
        many.files[200],
        file(
            "/usr/share/manyfiles/file-200.txt",
            Some("sha256:2c4678497a6dd0ca01046420e464534b24d5d7a5fdae2e9662ee750dea0bffb0")
        )
    );
}

#[test]
fn sqlite_database() {
    let out = catalog("/var/lib/rpm/rpmdb.sqlite", &fixture("rpmdb.sqlite"));
    assert_fixture_packages(&out, "/var/lib/rpm/rpmdb.sqlite");
}

#[test]
fn ndb_database() {
    let out = catalog("/usr/lib/sysimage/rpm/Packages.db", &fixture("Packages.db"));
    assert_fixture_packages(&out, "/usr/lib/sysimage/rpm/Packages.db");
}

#[test]
fn berkeley_db_little_endian() {
    let out = catalog("/var/lib/rpm/Packages", &fixture("Packages"));
    assert_fixture_packages(&out, "/var/lib/rpm/Packages");
}

#[test]
fn berkeley_db_big_endian_small_pages() {
    let out = catalog("/usr/lib/sysimage/rpm/Packages", &fixture("Packages.be512"));
    assert_fixture_packages(&out, "/usr/lib/sysimage/rpm/Packages");
}

#[test]
fn no_distro_means_no_namespace() {
    let t = tree(&[("/var/lib/rpm/Packages.db", &fixture("Packages.db"))], 0);
    let mut out = Output::default();
    Rpm.catalog(
        &t,
        &Context {
            distro: None,
            directory_scan: false,
        },
        &mut out,
    );
    assert_eq!(
        find(&out, "libtiny").purl,
        "pkg:rpm/libtiny@0.9-1?arch=noarch&upstream=libtiny-0.9-1.src.rpm"
    );
    assert_eq!(find(&out, "libtiny").cpes.len(), 1);
}

#[test]
fn wants_the_database_files_only() {
    for p in [
        "/var/lib/rpm/rpmdb.sqlite",
        "/var/lib/rpm/rpmdb.sqlite-wal",
        "/var/lib/rpm/Packages.db",
        "/var/lib/rpm/Packages",
        "/usr/lib/sysimage/rpm/rpmdb.sqlite",
        "/usr/lib/sysimage/rpm/rpmdb.sqlite-wal",
        "/usr/lib/sysimage/rpm/Packages.db",
        "/usr/lib/sysimage/rpm/Packages",
    ] {
        assert!(Rpm.wants(p), "{p}");
    }
    for p in [
        "/var/lib/rpm/Index.db",
        "/var/lib/rpm/Basenames",
        "/var/lib/rpm",
        "/Packages",
    ] {
        assert!(!Rpm.wants(p), "{p}");
    }
    assert_eq!(Rpm.name(), "rpm-db-cataloger");
}

/// Rewrites one package's blob in a copy of the SQLite fixture.
fn sqlite_with(edit: impl Fn(&str, &mut Vec<u8>)) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpmdb.sqlite");
    std::fs::write(&path, fixture("rpmdb.sqlite")).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    let rows: Vec<(i64, Vec<u8>)> = c
        .prepare("SELECT hnum, blob FROM Packages")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (hnum, mut blob) in rows {
        let name = ["hello-drydock", "libtiny", "manyfiles", "gpg-pubkey"]
            .into_iter()
            .find(|n| {
                blob.windows(n.len() + 1)
                    .any(|w| w[..n.len()] == *n.as_bytes() && w[n.len()] == 0)
            })
            .unwrap();
        edit(name, &mut blob);
        c.execute(
            "UPDATE Packages SET blob = ?1 WHERE hnum = ?2",
            rusqlite::params![blob, hnum],
        )
        .unwrap();
    }
    drop(c);
    std::fs::read(&path).unwrap()
}

#[test]
fn hostile_header_blobs_are_warnings() {
    let db = sqlite_with(|name, blob| match name {
        // Truncated header.
        "hello-drydock" => blob.truncate(100),
        // Absurd index count.
        "libtiny" => blob[0..4].copy_from_slice(&0x7fff_ffffu32.to_be_bytes()),
        // Every entry's count set to four billion: the file list cannot be read.
        "manyfiles" => {
            let il = u32::from_be_bytes([blob[0], blob[1], blob[2], blob[3]]) as usize;
            for i in 0..il {
                let at = 8 + 16 * i + 12;
                blob[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
            }
        }
        _ => {}
    });
    let out = catalog("/var/lib/rpm/rpmdb.sqlite", &db);
    assert!(out.packages.is_empty(), "{:?}", out.packages);
    assert_eq!(out.warnings.len(), 3, "{:?}", out.warnings);
    for w in &out.warnings {
        assert!(w.starts_with("/var/lib/rpm/rpmdb.sqlite: record "), "{w}");
    }
    assert!(out.warnings.iter().any(|w| w.contains("truncated")));
    assert!(out.warnings.iter().any(|w| w.contains("index count")));
}

#[test]
fn truncated_databases_are_warnings() {
    for (path, name) in [
        ("/var/lib/rpm/rpmdb.sqlite", "rpmdb.sqlite"),
        ("/var/lib/rpm/Packages.db", "Packages.db"),
        ("/var/lib/rpm/Packages", "Packages"),
        ("/var/lib/rpm/Packages", "Packages.be512"),
    ] {
        let full = fixture(name);
        let mut cuts: Vec<usize> = (0..full.len()).step_by(509).collect();
        cuts.extend([0, 1, 8, 15, 16, 31, 32, 99, 100, 4095, 4096, 4097, full.len() - 1]);
        for cut in cuts {
            let out = catalog(path, &full[..cut]);
            for w in &out.warnings {
                assert!(w.starts_with(path), "{w}");
            }
        }
        if name != "rpmdb.sqlite" {
            // Cut just short of the end: the last page or blob is lost with a warning.
            let out = catalog(path, &full[..full.len() - 1]);
            assert!(!out.warnings.is_empty(), "{name}");
            assert!(out.packages.len() < 3, "{name}");
        }
    }
}

#[test]
fn an_ndb_blob_with_a_bad_checksum_is_a_warning() {
    let mut db = fixture("Packages.db");
    // Damage libtiny's blob (its name in the data store).
    let at = db.windows(8).position(|w| w == b"libtiny\0").unwrap();
    db[at] ^= 0x55;
    let out = catalog("/var/lib/rpm/Packages.db", &db);
    assert_eq!(out.packages.len(), 2);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].starts_with("/var/lib/rpm/Packages.db: package "));
    assert!(out.warnings[0].contains("adler32"));
}

#[test]
fn a_berkeley_db_page_pointing_past_the_end_is_a_warning() {
    let mut db = fixture("Packages");
    let ps = 4096;
    // Find an overflow page that links to another, and point it past the file.
    let pages = db.len() / ps;
    let pg = (1..pages)
        .find(|&p| db[p * ps + 25] == 7 && db[p * ps + 16..p * ps + 20] != [0, 0, 0, 0])
        .expect("a multi-page overflow chain");
    db[pg * ps + 16..pg * ps + 20].copy_from_slice(&0x00ff_ffffu32.to_le_bytes());
    let out = catalog("/var/lib/rpm/Packages", &db);
    assert_eq!(out.packages.len(), 2, "{:?}", out.warnings);
    assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
    assert!(out.warnings[0].starts_with("/var/lib/rpm/Packages: record "));
    assert!(out.warnings[0].contains("outside the file"));

    // A bucket page whose item offsets point outside the page.
    let mut db = fixture("Packages.be512");
    let ps = 512;
    let pg = (1..db.len() / ps)
        .find(|&p| db[p * ps + 25] == 13 && db[p * ps + 21] > 0)
        .unwrap();
    db[pg * ps + 26..pg * ps + 28].copy_from_slice(&0xfff0u16.to_be_bytes());
    let out = catalog("/var/lib/rpm/Packages", &db);
    assert!(
        out.warnings.iter().any(|w| w.contains("bad offset")),
        "{:?}",
        out.warnings
    );
}

#[test]
fn random_damage_never_panics() {
    // DRYDOCK_FUZZ_SCALE multiplies the rounds for a longer run by hand.
    let scale: usize = std::env::var("DRYDOCK_FUZZ_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    // A small deterministic generator (xorshift) picks the bytes to damage.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (path, name, rounds) in [
        ("/var/lib/rpm/Packages.db", "Packages.db", 400),
        ("/var/lib/rpm/Packages", "Packages", 400),
        ("/var/lib/rpm/Packages", "Packages.be512", 400),
        ("/var/lib/rpm/rpmdb.sqlite", "rpmdb.sqlite", 60),
    ] {
        let clean = fixture(name);
        for _ in 0..rounds * scale {
            let mut db = clean.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() % db.len() as u64) as usize;
                db[at] = next() as u8;
            }
            let out = catalog(path, &db);
            assert!(out.packages.len() <= 4, "{:?}", out.packages);
        }
    }
}

#[test]
fn uncheckpointed_wal_changes_are_seen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rpmdb.sqlite");
    std::fs::write(&path, fixture("rpmdb.sqlite")).unwrap();
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA foreign_keys = OFF;")
        .unwrap();
    let hnums: Vec<(i64, Vec<u8>)> = c
        .prepare("SELECT hnum, blob FROM Packages")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let tiny = hnums
        .iter()
        .find(|(_, b)| b.windows(8).any(|w| w == b"libtiny\0"))
        .map(|(h, _)| *h)
        .unwrap();
    c.execute("DELETE FROM Packages WHERE hnum = ?1", [tiny]).unwrap();
    // Read both files while the connection is open, before any checkpoint.
    let db = std::fs::read(&path).unwrap();
    let wal = std::fs::read(dir.path().join("rpmdb.sqlite-wal")).unwrap();
    drop(c);
    assert!(!wal.is_empty());

    let d = rhel();
    let mut out = Output::default();
    let t = tree(
        &[
            ("/var/lib/rpm/rpmdb.sqlite", &db),
            ("/var/lib/rpm/rpmdb.sqlite-wal", &wal),
        ],
        1,
    );
    Rpm.catalog(
        &t,
        &Context {
            distro: Some(&d),
            directory_scan: false,
        },
        &mut out,
    );
    assert!(out.warnings.is_empty(), "{:?}", out.warnings);
    let mut names: Vec<&str> = out.packages.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(names, ["hello-drydock", "manyfiles"]);

    // Without its WAL the database still lists the deleted package.
    assert_eq!(catalog("/var/lib/rpm/rpmdb.sqlite", &db).packages.len(), 3);
}
