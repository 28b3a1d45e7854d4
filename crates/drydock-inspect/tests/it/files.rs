//! File records and package file verification on trees built in code.

use drydock_image::{FileDigests, FileEntry, FileKind, FileTree, LayerIndex};
use drydock_inspect::files::{records, verify, FileChange};
use drydock_sbom::{Location, Package, PackageFile, PackageType, Sbom};
use std::collections::BTreeMap;

fn file(layer: &mut LayerIndex, path: &str, mode: u32, content: &[u8]) {
    layer.entries.insert(
        path.into(),
        FileEntry {
            kind: FileKind::Regular,
            mode,
            uid: 0,
            gid: 0,
            size: content.len() as u64,
            link: None,
            layer: 0,
        },
    );
    layer.digests.insert(path.into(), FileDigests::of(content));
}

fn symlink(layer: &mut LayerIndex, path: &str, target: &str) {
    layer.entries.insert(
        path.into(),
        FileEntry {
            kind: FileKind::Symlink,
            mode: 0o777,
            uid: 0,
            gid: 0,
            size: 0,
            link: Some(target.into()),
            layer: 0,
        },
    );
}

fn package(t: PackageType, name: &str, location: &str, files: &[(&str, String)]) -> Package {
    let mut p = Package::new(t, name, "1.0", "test");
    p.id = format!("id-{name}");
    p.locations = vec![Location {
        path: location.into(),
        layer: 0,
        layer_digest: String::new(),
    }];
    p.files = files
        .iter()
        .map(|(path, digest)| PackageFile {
            path: path.to_string(),
            digest: Some(digest.clone()),
        })
        .collect();
    p
}

fn md5(c: &[u8]) -> String {
    format!("md5:{}", FileDigests::of(c).md5())
}

fn sha256(c: &[u8]) -> String {
    format!("sha256:{}", FileDigests::of(c).sha256())
}

#[test]
fn verification_follows_merged_usr_and_trusts_the_os_database() {
    let mut l = LayerIndex::default();
    symlink(&mut l, "/bin", "usr/bin");
    file(&mut l, "/usr/bin/ls", 0o755, b"ls binary");
    file(&mut l, "/usr/bin/passwd", 0o4755, b"edited passwd");
    file(&mut l, "/var/lib/dpkg/status", 0o644, b"status");
    file(
        &mut l,
        "/usr/lib/python3/dist-packages/mod-1.0.dist-info/METADATA",
        0o644,
        b"meta",
    );
    file(
        &mut l,
        "/usr/lib/python3/dist-packages/mod/_ext.so",
        0o644,
        b"stripped by the distribution",
    );
    file(
        &mut l,
        "/opt/venv/lib/site-packages/app-2.0.dist-info/METADATA",
        0o644,
        b"meta",
    );
    file(&mut l, "/opt/venv/lib/site-packages/app/core.py", 0o644, b"tampered");
    let tree = FileTree::squash([&l], 8);
    let sbom = Sbom {
        packages: vec![
            package(
                PackageType::Deb,
                "coreutils",
                "/var/lib/dpkg/status",
                &[
                    ("/bin/ls", md5(b"ls binary")),
                    ("/usr/bin/passwd", md5(b"original passwd")),
                    ("/usr/bin/gone", md5(b"gone")),
                    (
                        "/usr/lib/python3/dist-packages/mod-1.0.dist-info/METADATA",
                        md5(b"meta"),
                    ),
                    (
                        "/usr/lib/python3/dist-packages/mod/_ext.so",
                        md5(b"stripped by the distribution"),
                    ),
                ],
            ),
            package(
                PackageType::Python,
                "mod",
                "/usr/lib/python3/dist-packages/mod-1.0.dist-info/METADATA",
                &[("/usr/lib/python3/dist-packages/mod/_ext.so", sha256(b"as built"))],
            ),
            package(
                PackageType::Python,
                "app",
                "/opt/venv/lib/site-packages/app-2.0.dist-info/METADATA",
                &[("/opt/venv/lib/site-packages/app/core.py", sha256(b"as released"))],
            ),
        ],
        ..Default::default()
    };
    let changed: Vec<(String, FileChange, String)> = verify(&tree, &sbom)
        .into_iter()
        .map(|c| (c.path, c.change, c.package))
        .collect();
    assert_eq!(
        changed,
        [
            (
                "/opt/venv/lib/site-packages/app/core.py".to_string(),
                FileChange::Modified,
                "app".to_string()
            ),
            (
                "/usr/bin/gone".to_string(),
                FileChange::Missing,
                "coreutils".to_string()
            ),
            (
                "/usr/bin/passwd".to_string(),
                FileChange::Modified,
                "coreutils".to_string()
            ),
        ],
        "/bin/ls is found through the /bin link; the OS-installed module is judged by dpkg only"
    );

    let recs = records(tree, &sbom, &BTreeMap::new());
    let passwd = recs.iter().find(|r| r.path == "/usr/bin/passwd").unwrap();
    assert_eq!(passwd.reasons, ["package", "setuid"]);
    assert_eq!(
        passwd.md5.as_deref(),
        Some(FileDigests::of(b"edited passwd").md5().as_str())
    );
    let status = recs.iter().find(|r| r.path == "/var/lib/dpkg/status").unwrap();
    assert!(
        status.reasons.is_empty() && status.md5.is_none(),
        "ordinary files carry no digests"
    );
}
