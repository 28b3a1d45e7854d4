//! JavaScript packages.
//!
//! Installed evidence (images and directories): every `package.json` file with a name
//! and a version, wherever it is (`node_modules/` trees at any depth, Debian's
//! `/usr/share/nodejs`, global installs under `/usr/lib/node_modules`, and project
//! manifests), as Syft's image cataloger does with its `**/package.json` glob.
//!
//! Declared evidence (directory scans only): `package-lock.json` and
//! `npm-shrinkwrap.json` (lockfile v1, v2 and v3), `yarn.lock` (classic and berry) and
//! `pnpm-lock.yaml` (lockfile 5.x, 6.x and 9.x). Development dependencies are
//! included; [`LockEntry::dev`] says which ones they are.

mod package_json;
mod package_lock;
mod pnpm;
mod yaml;
mod yarn;

use crate::{Cataloger, Context, Output};
use drydock_model::{FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageType, Purl};
use std::collections::BTreeMap;

pub use package_json::{parse_package_json, Manifest};
pub use package_lock::parse_package_lock;
pub use pnpm::parse_pnpm_lock;
pub use yarn::parse_yarn_lock;

/// The JavaScript cataloger.
pub struct JavaScript;

/// `found_by` of packages read from installed `package.json` files.
pub const PACKAGE_FOUND_BY: &str = "javascript-package-cataloger";
/// `found_by` of packages read from lock files.
pub const LOCK_FOUND_BY: &str = "javascript-lock-cataloger";

/// The version of a named `package.json` that has none (Syft's stub value).
pub const UNKNOWN_VERSION: &str = "UNKNOWN";

/// Deepest JSON/YAML nesting (or lock file `dependencies` recursion) followed.
const MAX_DEPTH: usize = 64;

impl Cataloger for JavaScript {
    fn name(&self) -> &'static str {
        PACKAGE_FOUND_BY
    }

    fn wants(&self, p: &str) -> bool {
        lock_kind(p).is_some() || p.ends_with("/package.json")
    }

    fn is_manifest(&self, p: &str) -> bool {
        p.ends_with("/package.json")
    }

    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output) {
        for (p, entry) in tree.entries() {
            // Links (Debian links `lodash-es/package.json` to `lodash`) are not a second
            // package: the target is catalogued at its own path.
            if !matches!(entry.kind, FileKind::Regular | FileKind::Hardlink) {
                continue;
            }
            let location = Location {
                path: p.to_string(),
                layer: entry.layer,
                layer_digest: String::new(),
            };
            if p.ends_with("/package.json") {
                let Some(content) = tree.read(p) else { continue };
                match parse_package_json(content) {
                    Ok(Some(m)) => out.packages.push(installed_package(m, location)),
                    Ok(None) => {}
                    Err(reason) => out.warnings.push(format!("{p}: {reason}")),
                }
                continue;
            }
            if !ctx.directory_scan {
                continue;
            }
            let Some(kind) = lock_kind(p) else { continue };
            let Some(content) = tree.read(p) else { continue };
            let parsed = match kind {
                LockKind::Npm => parse_package_lock(content),
                LockKind::Yarn => parse_yarn_lock(content),
                LockKind::Pnpm => parse_pnpm_lock(content),
            };
            match parsed {
                Ok(entries) => out
                    .packages
                    .extend(dedup(entries).into_iter().map(|e| lock_package(e, location.clone()))),
                Err(reason) => out.warnings.push(format!("{p}: {reason}")),
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LockKind {
    Npm,
    Yarn,
    Pnpm,
}

fn lock_kind(p: &str) -> Option<LockKind> {
    if p.ends_with("/package-lock.json") || p.ends_with("/npm-shrinkwrap.json") {
        // npm's hidden lockfile mirrors node_modules, whose package.json files are
        // catalogued themselves.
        (!p.ends_with("/node_modules/.package-lock.json")).then_some(LockKind::Npm)
    } else if p.ends_with("/yarn.lock") {
        Some(LockKind::Yarn)
    } else if p.ends_with("/pnpm-lock.yaml") {
        Some(LockKind::Pnpm)
    } else {
        None
    }
}

/// One package of a lock file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LockEntry {
    /// Package name (`@scope/name` for scoped packages).
    pub name: String,
    /// Locked version.
    pub version: String,
    /// Only needed for development (`dev: true` in package-lock and pnpm 5/6 locks).
    pub dev: bool,
    /// Licenses the lock file records; empty when it records none.
    pub licenses: Vec<String>,
    /// Names of the packages it depends on.
    pub depends: Vec<String>,
}

/// One entry per name and version (a lock file may list the same package at several
/// install paths); a package is dev-only when every occurrence is.
fn dedup(entries: Vec<LockEntry>) -> Vec<LockEntry> {
    let mut seen: BTreeMap<(String, String), LockEntry> = BTreeMap::new();
    for e in entries {
        if e.name.is_empty() || e.version.is_empty() {
            continue;
        }
        match seen.get_mut(&(e.name.clone(), e.version.clone())) {
            Some(old) => {
                old.dev &= e.dev;
                for d in e.depends {
                    if !old.depends.contains(&d) {
                        old.depends.push(d);
                    }
                }
                if old.licenses.is_empty() {
                    old.licenses = e.licenses;
                }
            }
            None => {
                seen.insert((e.name.clone(), e.version.clone()), e);
            }
        }
    }
    seen.into_values().collect()
}

fn installed_package(m: Manifest, location: Location) -> Package {
    let mut p = Package::new(PackageType::Npm, &m.name, &m.version, PACKAGE_FOUND_BY);
    p.licenses = m.licenses;
    p.supplier = m.author;
    p.depends = m.depends.into_iter().map(|d| vec![d]).collect();
    finish(&mut p, location);
    p
}

fn lock_package(e: LockEntry, location: Location) -> Package {
    let mut p = Package::new(PackageType::Npm, &e.name, &e.version, LOCK_FOUND_BY);
    p.licenses = e.licenses;
    p.dev = e.dev;
    p.depends = e.depends.into_iter().map(|d| vec![d]).collect();
    finish(&mut p, location);
    p
}

fn finish(p: &mut Package, location: Location) {
    let (scope, bare) = split_scope(&p.name);
    let mut purl = Purl::new("npm", bare);
    if let Some(scope) = scope {
        purl = purl.namespace(scope);
    }
    let version = if p.version == UNKNOWN_VERSION {
        ""
    } else {
        p.version.as_str()
    };
    p.purl = purl.version(version).to_string();
    p.cpes = vec![cpe::application(bare, bare, version)];
    p.locations.push(location);
    p.compute_id();
}

/// `@scope/name` → (`Some("@scope")`, `name`).
pub fn split_scope(name: &str) -> (Option<&str>, &str) {
    match name.split_once('/') {
        Some((scope, bare)) if scope.starts_with('@') && !bare.is_empty() => (Some(scope), bare),
        _ => (None, name),
    }
}

/// True when a JSON/YAML-derived name looks like an npm package name (no control
/// characters or whitespace; bounded length).
fn plausible_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 214 && !name.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Runs every parser of this module on arbitrary bytes (for fuzzing).
pub fn fuzz_entry(data: &[u8]) {
    let _ = parse_package_json(data);
    let _ = parse_package_lock(data);
    let _ = parse_yarn_lock(data);
    let _ = parse_pnpm_lock(data);
    let _ = dedup(parse_yarn_lock(data).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants_manifests_and_locks_only() {
        let js = JavaScript;
        assert!(js.wants("/app/node_modules/@babel/core/package.json"));
        assert!(js.wants("/usr/share/nodejs/acorn/package.json"));
        assert!(js.wants("/app/package-lock.json"));
        assert!(js.wants("/app/npm-shrinkwrap.json"));
        assert!(js.wants("/app/yarn.lock"));
        assert!(js.wants("/app/pnpm-lock.yaml"));
        assert!(!js.wants("/app/node_modules/.package-lock.json"));
        assert!(!js.wants("/app/package.json5"));
        assert!(!js.wants("/app/mypackage.json"));
        assert!(!js.wants("/app/yarn.lock.bak"));
    }

    #[test]
    fn scoped_names_become_namespaces() {
        let mut p = Package::new(PackageType::Npm, "@babel/core", "7.18.2", LOCK_FOUND_BY);
        finish(
            &mut p,
            Location {
                path: "/x/package-lock.json".into(),
                layer: 0,
                layer_digest: String::new(),
            },
        );
        assert_eq!(p.purl, "pkg:npm/%40babel/core@7.18.2");
        assert_eq!(p.cpes, ["cpe:2.3:a:core:core:7.18.2:*:*:*:*:*:*:*"]);
        assert_eq!(split_scope("@scope"), (None, "@scope"));
        assert_eq!(split_scope("a/b"), (None, "a/b"));
    }

    #[test]
    fn dedup_keeps_runtime_over_dev() {
        let e = |dev| LockEntry {
            name: "a".into(),
            version: "1".into(),
            dev,
            ..Default::default()
        };
        let out = dedup(vec![e(true), e(false), LockEntry::default()]);
        assert_eq!(out.len(), 1);
        assert!(!out[0].dev);
    }
}
