//! RPM databases: SQLite (`rpmdb.sqlite`), NDB (`Packages.db`) and Berkeley DB hash
//! (`Packages`), under `/var/lib/rpm` and `/usr/lib/sysimage/rpm`. The database
//! files and the header blobs in them are parsed here (no librpm); every format
//! reader treats its input as hostile and reports damage as warnings.

mod bdb;
mod header;
mod ndb;
mod sqlite;

use crate::{distro_qualifier, Cataloger, Context, Output};
use drydock_model::FileTree;
use drydock_sbom::{cpe, Distro, Location, Package, PackageFile, PackageType, Purl};
use header::PackageInfo;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// Name recorded as `found_by`.
const NAME: &str = "rpm-db-cataloger";
/// Directories rpm keeps its database in, older location first.
const DB_DIRS: [&str; 2] = ["/var/lib/rpm", "/usr/lib/sysimage/rpm"];
/// Database files in the order rpm's backends are preferred (newest first).
const DB_FILES: [(&str, Format); 3] = [
    ("rpmdb.sqlite", Format::Sqlite),
    ("Packages.db", Format::Ndb),
    ("Packages", Format::Bdb),
];
/// The SQLite database's write-ahead log, read with it.
const WAL_FILE: &str = "rpmdb.sqlite-wal";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Sqlite,
    Ndb,
    Bdb,
}

/// One header blob read from a database, with the record key that names it.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    key: u64,
    blob: Cow<'a, [u8]>,
}

/// What a database reader found: readable records and per-record problems.
#[derive(Debug, Default)]
pub(crate) struct Records<'a> {
    records: Vec<Record<'a>>,
    problems: Vec<String>,
}

/// The rpm cataloger.
pub struct Rpm;

impl Cataloger for Rpm {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, path: &str) -> bool {
        DB_DIRS.iter().any(|dir| {
            path.strip_prefix(dir)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|file| file == WAL_FILE || DB_FILES.iter().any(|(f, _)| *f == file))
        })
    }

    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output) {
        // The same file can be reachable from both directories through a link.
        let mut seen = BTreeSet::new();
        for dir in DB_DIRS {
            let mut in_use: Option<String> = None;
            for (file, format) in DB_FILES {
                let path = format!("{dir}/{file}");
                let Some(content) = tree.read(&path) else {
                    continue;
                };
                let real = tree.resolve(&path).unwrap_or_else(|| path.clone());
                if !seen.insert(real.clone()) {
                    continue;
                }
                if let Some(used) = &in_use {
                    out.warnings
                        .push(format!("{real}: ignored, {used} is the rpm database in use"));
                    continue;
                }
                let read = match format {
                    Format::Sqlite => {
                        let wal = tree.read(&format!("{dir}/{WAL_FILE}"));
                        sqlite::read(content, wal.map(|w| &w[..]))
                    }
                    Format::Ndb => ndb::read(content),
                    Format::Bdb => bdb::read(content),
                };
                match read {
                    Ok(records) => {
                        let location = Location {
                            layer: tree.entry(&real).map(|e| e.layer).unwrap_or(0),
                            path: real.clone(),
                            layer_digest: String::new(),
                        };
                        catalog_records(records, &location, ctx.distro, out);
                        in_use = Some(real);
                    }
                    Err(e) => out.warnings.push(format!("{real}: {e}")),
                }
            }
        }
    }
}

/// Runs the rpm header parser on arbitrary bytes (for fuzzing).
pub fn fuzz_header(data: &[u8]) {
    let _ = header::read_package(data);
}

/// Runs the Berkeley DB reader, then the header parser on every record, on arbitrary bytes (for fuzzing).
pub fn fuzz_bdb(data: &[u8]) {
    fuzz_records(bdb::read(data));
}

/// Runs the NDB reader, then the header parser on every record, on arbitrary bytes (for fuzzing).
pub fn fuzz_ndb(data: &[u8]) {
    fuzz_records(ndb::read(data));
}

/// Runs the SQLite reader, then the header parser on every record, on arbitrary bytes (for fuzzing).
pub fn fuzz_sqlite(data: &[u8]) {
    fuzz_records(sqlite::read(data, None));
}

fn fuzz_records(records: Result<Records<'_>, String>) {
    if let Ok(records) = records {
        for rec in records.records {
            let _ = header::read_package(&rec.blob);
        }
    }
}

/// Turns the records of one database into packages, warning about bad ones.
fn catalog_records(records: Records<'_>, location: &Location, distro: Option<&Distro>, out: &mut Output) {
    let path = &location.path;
    for p in records.problems {
        out.warnings.push(format!("{path}: {p}"));
    }
    for rec in records.records {
        match header::read_package(&rec.blob) {
            Ok((info, notes)) => {
                if info.name == "gpg-pubkey" {
                    continue; // imported signing keys, not packages
                }
                for n in notes {
                    out.warnings
                        .push(format!("{path}: record {} ({}): {n}", rec.key, info.name));
                }
                out.packages.push(package(info, location, distro));
            }
            Err(e) => out.warnings.push(format!("{path}: record {}: {e}; skipped", rec.key)),
        }
    }
}

/// `name`, `version` and `release` of a source rpm file name
/// (`name-version-release.src.rpm`).
fn split_source_rpm(srpm: &str) -> Option<(&str, &str, &str)> {
    let stem = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    (!name.is_empty() && !version.is_empty() && !release.is_empty()).then_some((name, version, release))
}

/// The CPE vendor NVD uses for a distro's own packages, by os-release `ID`.
fn cpe_vendor(id: &str) -> &str {
    match id {
        "rhel" => "redhat",
        "fedora" => "fedoraproject",
        "amzn" => "amazon",
        "ol" => "oracle",
        "sles" | "sled" | "sles_sap" => "suse",
        "mariner" | "azurelinux" => "microsoft",
        id if id.starts_with("opensuse") => "opensuse",
        id => id,
    }
}

/// Builds the package for one header.
fn package(info: PackageInfo, location: &Location, distro: Option<&Distro>) -> Package {
    let version_release = format!("{}-{}", info.version, info.release);
    let version = match info.epoch {
        Some(e) => format!("{e}:{version_release}"),
        None => version_release.clone(),
    };
    let mut p = Package::new(PackageType::Rpm, info.name.clone(), version, NAME);
    p.architecture = info.arch.clone();
    if let Some((name, v, r)) = info.source_rpm.as_deref().and_then(split_source_rpm) {
        p.source_name = Some(name.to_string());
        // Subpackages share their spec's epoch, which the file name leaves out.
        p.source_version = Some(match info.epoch {
            Some(e) => format!("{e}:{v}-{r}"),
            None => format!("{v}-{r}"),
        });
    }
    p.licenses = info.license.into_iter().collect();
    p.supplier = info.vendor;
    p.installed_size = info.size;
    let distro_id = distro.map(|d| d.id.as_str()).filter(|id| !id.is_empty());
    p.purl = Purl::new("rpm", &info.name)
        .namespace(distro_id.unwrap_or(""))
        .version(version_release)
        .qualifier("arch", info.arch.unwrap_or_default())
        .qualifier("epoch", info.epoch.map(|e| e.to_string()).unwrap_or_default())
        .qualifier("upstream", info.source_rpm.unwrap_or_default())
        .qualifier("distro", distro_qualifier(distro))
        .to_string();
    p.cpes = cpe::for_os_package(&info.name, &info.version, distro_id.map(cpe_vendor));
    p.locations = vec![location.clone()];
    p.files = info
        .files
        .into_iter()
        .map(|f| PackageFile {
            path: f.path,
            digest: f.digest,
        })
        .collect();
    p.compute_id();
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_model::{Content, FileEntry, FileKind, LayerIndex};

    fn tree(files: &[(&str, Vec<u8>)], links: &[(&str, &str)]) -> FileTree {
        let mut l = LayerIndex::default();
        for (p, c) in files {
            let e = FileEntry {
                kind: FileKind::Regular,
                mode: 0o644,
                uid: 0,
                gid: 0,
                size: c.len() as u64,
                link: None,
                layer: 2,
            };
            l.entries.insert(p.to_string(), e);
            l.captured.insert(p.to_string(), Content::from(c.as_slice()));
        }
        for (p, target) in links {
            let e = FileEntry {
                kind: FileKind::Symlink,
                mode: 0o777,
                uid: 0,
                gid: 0,
                size: 0,
                link: Some((*target).into()),
                layer: 2,
            };
            l.entries.insert(p.to_string(), e);
        }
        let mut t = FileTree::new(8);
        t.apply(&l);
        t
    }

    fn distro() -> Distro {
        Distro {
            id: "rhel".into(),
            version_id: "9.4".into(),
            ..Default::default()
        }
    }

    #[test]
    fn wants_exactly_the_database_files() {
        for p in [
            "/var/lib/rpm/rpmdb.sqlite",
            "/var/lib/rpm/rpmdb.sqlite-wal",
            "/var/lib/rpm/Packages.db",
            "/var/lib/rpm/Packages",
            "/usr/lib/sysimage/rpm/rpmdb.sqlite",
            "/usr/lib/sysimage/rpm/Packages",
        ] {
            assert!(Rpm.wants(p), "{p}");
        }
        for p in [
            "/var/lib/rpm/Index.db",
            "/var/lib/rpm/Name",
            "/var/lib/rpm/rpmdb.sqlite-shm",
            "/var/lib/rpmPackages",
            "/var/lib/rpm/sub/Packages",
            "/usr/lib/rpm/Packages",
        ] {
            assert!(!Rpm.wants(p), "{p}");
        }
    }

    #[test]
    fn builds_the_package_like_syft() {
        let blob = header::tests::sample().build();
        let t = tree(&[("/var/lib/rpm/Packages.db", ndb::tests::build(&[(1, &blob)]))], &[]);
        let d = distro();
        let mut out = Output::default();
        Rpm.catalog(
            &t,
            &Context {
                distro: Some(&d),
                directory_scan: false,
            },
            &mut out,
        );
        assert!(out.warnings.is_empty(), "{:?}", out.warnings);
        let p = &out.packages[0];
        assert_eq!(p.version, "1:5.1.8-9.el9");
        assert_eq!(
            p.purl,
            "pkg:rpm/rhel/bash@5.1.8-9.el9?arch=x86_64&distro=rhel-9.4&epoch=1&upstream=bash-5.1.8-9.el9.src.rpm"
        );
        assert_eq!(p.source_name.as_deref(), Some("bash"));
        assert_eq!(p.source_version.as_deref(), Some("1:5.1.8-9.el9"));
        assert_eq!(p.licenses, ["GPLv3+"]);
        assert_eq!(p.supplier.as_deref(), Some("Red Hat, Inc."));
        assert_eq!(
            p.cpes,
            [
                "cpe:2.3:a:bash:bash:5.1.8:*:*:*:*:*:*:*",
                "cpe:2.3:a:redhat:bash:5.1.8:*:*:*:*:*:*:*"
            ]
        );
        assert_eq!(
            p.locations,
            [Location {
                path: "/var/lib/rpm/Packages.db".into(),
                layer: 2,
                layer_digest: String::new()
            }]
        );
        assert!(!p.id.is_empty());
    }

    #[test]
    fn a_database_reached_through_a_link_is_read_once() {
        let blob = header::tests::sample().build();
        let t = tree(
            &[("/usr/lib/sysimage/rpm/Packages.db", ndb::tests::build(&[(1, &blob)]))],
            &[("/var/lib/rpm", "../../usr/lib/sysimage/rpm")],
        );
        let mut out = Output::default();
        Rpm.catalog(
            &t,
            &Context {
                distro: None,
                directory_scan: false,
            },
            &mut out,
        );
        assert_eq!(out.packages.len(), 1);
        assert_eq!(out.packages[0].locations[0].path, "/usr/lib/sysimage/rpm/Packages.db");
        assert_eq!(
            out.packages[0].purl,
            "pkg:rpm/bash@5.1.8-9.el9?arch=x86_64&epoch=1&upstream=bash-5.1.8-9.el9.src.rpm"
        );
    }

    #[test]
    fn a_stale_older_database_is_ignored_with_a_warning() {
        let blob = header::tests::sample().build();
        let t = tree(
            &[
                ("/var/lib/rpm/Packages.db", ndb::tests::build(&[(1, &blob)])),
                ("/var/lib/rpm/Packages", b"stale".to_vec()),
                ("/var/lib/rpm/rpmdb.sqlite", b"not sqlite".to_vec()),
            ],
            &[],
        );
        let mut out = Output::default();
        Rpm.catalog(
            &t,
            &Context {
                distro: None,
                directory_scan: false,
            },
            &mut out,
        );
        assert_eq!(out.packages.len(), 1);
        assert_eq!(out.warnings.len(), 2, "{:?}", out.warnings);
        assert!(out.warnings[0].starts_with("/var/lib/rpm/rpmdb.sqlite: not an SQLite"));
        assert!(out.warnings[1].starts_with("/var/lib/rpm/Packages: ignored"));
    }

    #[test]
    fn source_rpm_names_split_from_the_right() {
        assert_eq!(
            split_source_rpm("gcc-c++-8.5.0-4.el8.src.rpm"),
            Some(("gcc-c++", "8.5.0", "4.el8"))
        );
        assert_eq!(split_source_rpm("a-1-2.nosrc.rpm"), Some(("a", "1", "2")));
        assert_eq!(split_source_rpm("nodashes.src.rpm"), None);
        assert_eq!(split_source_rpm("-1-2.src.rpm"), None);
        assert_eq!(split_source_rpm("a-1-2.rpm"), None);
    }
}
