//! File metadata for policies and reports (mode, owner, size, digests, owning packages)
//! and package file verification: files whose content no longer matches the digest the
//! package manager recorded, or that are gone.

use drydock_model::{FileDigests, FileEntry, FileKind, FileTree};
use drydock_sbom::Sbom;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Why a file is listed with its full metadata.
pub mod reason {
    /// A package manager says a package installed it.
    pub const PACKAGE: &str = "package";
    /// Setuid bit set.
    pub const SETUID: &str = "setuid";
    /// Setgid bit set.
    pub const SETGID: &str = "setgid";
    /// Writable by everyone.
    pub const WORLD_WRITABLE: &str = "world-writable";
    /// A secret was found in it.
    pub const SECRET: &str = "secret";
    /// A misconfiguration check reported it.
    pub const MISCONFIG: &str = "misconfig";
    /// A content search matched in it.
    pub const CONTENT_MATCH: &str = "content-match";
    /// Listed as a retrieved file.
    pub const RETRIEVED: &str = "retrieved";
}

/// One file of the squashed image with the metadata policies read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    /// Absolute path in the image.
    pub path: String,
    /// Regular file, directory, link, device…
    pub kind: FileKind,
    /// Permission and special bits, e.g. `0o4755` for a setuid binary.
    pub mode: u32,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// Size in bytes.
    pub size: u64,
    /// Layer (0 = base) that wrote this version of the file.
    pub layer: usize,
    /// Link target of symbolic and hard links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// SHA-256 in lower-case hex; set for package-owned and flagged files when digests were computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// MD5 in lower-case hex; set like `sha256`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// Ids of the packages that installed it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub packages: Vec<String>,
    /// Why the file is listed (see [`reason`]); empty for an ordinary file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<String>,
}

impl FileRecord {
    /// True when the file has a reason to be reported (package-owned or flagged).
    pub fn is_notable(&self) -> bool {
        !self.reasons.is_empty()
    }
}

/// Every non-directory entry of the tree as a record. Package-owned files and the paths in
/// `flagged` (path → reasons) carry their reasons and, when computed during the pass,
/// their digests; setuid, setgid and world-writable files are flagged here. The tree is
/// taken apart as the records are made (it may hold millions of files).
pub fn records(tree: FileTree, sbom: &Sbom, flagged: &BTreeMap<String, BTreeSet<String>>) -> Vec<FileRecord> {
    let mut owners: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for p in &sbom.packages {
        for f in &p.files {
            owners.entry(f.path.as_str()).or_default().push(p.id.as_str());
        }
    }
    // While the tree is whole: how many records, and the digests of the notable files
    // (found through links, so the tree is needed).
    let mut count = 0;
    let mut digests: HashMap<String, FileDigests> = HashMap::new();
    for (path, e) in tree.entries() {
        if e.kind == FileKind::Directory {
            continue;
        }
        count += 1;
        if flagged.contains_key(path) || owners.contains_key(path) || !flags(e).is_empty() {
            if let Some(d) = tree.digests(path) {
                digests.insert(path.to_string(), *d);
            }
        }
    }
    // The tree's other maps (digests of every file) are freed before the records are
    // made, and its entries as they are turned into records.
    let entries = tree.into_entries();
    let mut out = Vec::with_capacity(count);
    for (path, e) in entries {
        if e.kind == FileKind::Directory {
            continue;
        }
        let mut reasons: BTreeSet<String> = flagged.get(&path).cloned().unwrap_or_default();
        let packages: Vec<String> = owners
            .get(path.as_str())
            .map(|ids| {
                let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
                v.sort();
                v.dedup();
                v
            })
            .unwrap_or_default();
        if !packages.is_empty() {
            reasons.insert(reason::PACKAGE.into());
        }
        reasons.extend(flags(&e).into_iter().map(String::from));
        let digests = if reasons.is_empty() { None } else { digests.get(&path) };
        out.push(FileRecord {
            path,
            kind: e.kind,
            mode: e.mode,
            uid: e.uid.into(),
            gid: e.gid.into(),
            size: e.size,
            layer: e.layer,
            link: e.link.map(String::from),
            sha256: digests.map(|d| d.sha256()),
            md5: digests.map(|d| d.md5()),
            packages,
            reasons: reasons.into_iter().collect(),
        });
    }
    out
}

/// The reasons a file's own metadata gives: setuid, setgid, world-writable.
fn flags(e: &FileEntry) -> Vec<&'static str> {
    let mut out = Vec::new();
    if e.kind == FileKind::Regular {
        if e.mode & 0o4000 != 0 {
            out.push(reason::SETUID);
        }
        if e.mode & 0o2000 != 0 {
            out.push(reason::SETGID);
        }
    }
    if e.mode & 0o002 != 0 && e.kind != FileKind::Symlink {
        out.push(reason::WORLD_WRITABLE);
    }
    out
}

/// What happened to a package's file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileChange {
    /// The content differs from the recorded digest.
    Modified,
    /// The package says it installed the file; the image does not have it.
    Missing,
}

/// A package file that failed verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedFile {
    /// Package id, name and version.
    pub package_id: String,
    /// Package name.
    pub package: String,
    /// Package version.
    pub version: String,
    /// Absolute path of the file.
    pub path: String,
    /// Modified or missing.
    pub change: FileChange,
    /// The digest the package manager recorded (`algorithm:hex`).
    pub expected: String,
    /// The digest of the file in the image, in the same algorithm (for modified files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<String>,
}

/// Compares each package file that has a recorded MD5 or SHA-256 digest with the digest of
/// the file in the tree (links followed, so `/bin/ls` finds `/usr/bin/ls` on merged-/usr
/// systems). Files whose digest was not computed are not judged, nor are language packages
/// an OS package installed (their metadata file is OS-owned) or files an OS package owns:
/// the OS package database is the authority there (distributions strip, move or drop
/// files after a module's RECORD was written).
/// Sorted by path, then package.
pub fn verify(tree: &FileTree, sbom: &Sbom) -> Vec<ChangedFile> {
    let os_owned: BTreeSet<&str> = sbom
        .packages
        .iter()
        .filter(|p| p.package_type.is_os())
        .flat_map(|p| p.files.iter().map(|f| f.path.as_str()))
        .collect();
    let mut out = Vec::new();
    for p in &sbom.packages {
        if !p.package_type.is_os() && p.locations.iter().any(|l| os_owned.contains(l.path.as_str())) {
            continue;
        }
        for f in &p.files {
            if !p.package_type.is_os() && os_owned.contains(f.path.as_str()) {
                continue;
            }
            let Some((algo, want)) = f.digest.as_deref().and_then(|d| d.split_once(':')) else {
                continue;
            };
            if !matches!(algo, "md5" | "sha256") {
                continue;
            }
            let exists = tree
                .resolve(&f.path)
                .and_then(|real| tree.entry(&real))
                .is_some_and(|e| e.kind != FileKind::Directory);
            let change = if !exists {
                Some((FileChange::Missing, None))
            } else {
                let have = tree
                    .digests(&f.path)
                    .map(|d| if algo == "md5" { d.md5() } else { d.sha256() });
                match have {
                    Some(h) if !h.eq_ignore_ascii_case(want) => {
                        Some((FileChange::Modified, Some(format!("{algo}:{h}"))))
                    }
                    _ => None,
                }
            };
            if let Some((change, actual)) = change {
                out.push(ChangedFile {
                    package_id: p.id.clone(),
                    package: p.name.clone(),
                    version: p.version.clone(),
                    path: f.path.clone(),
                    change,
                    expected: format!("{algo}:{}", want.to_ascii_lowercase()),
                    actual,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.path, &a.package_id).cmp(&(&b.path, &b.package_id)));
    out
}
