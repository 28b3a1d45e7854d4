//! `packages`: required packages, denylisted packages and package file verification.
//!
//! Anchore's gate of the same name checks distro packages only; here every catalogued
//! package counts (narrow with the `type` parameter). Anchore's `blacklist` trigger is
//! called `denylist`.

use crate::evaluate::wildcard;
use crate::spec::{Fired, GateSpec, ParamKind, ParamSpec, TriggerInput, TriggerSpec};
use drydock_inspect::files::FileChange;
use drydock_sbom::{Package, PackageType};
use drydock_version::Scheme;
use std::cmp::Ordering;

/// Package type filters: `all`, `os` (deb, rpm, apk), `non-os`, a drydock package type, or
/// one of Anchore's names for a type (`java`, `go`, `nuget`); the package-type table's.
pub const PACKAGE_TYPES: &[&str] = &drydock_ecosystem::TYPE_FILTERS;

/// True when a package of type `t` passes the filter `filter` (one of [`PACKAGE_TYPES`],
/// any case; an empty filter passes everything).
pub fn type_matches(filter: &str, t: PackageType) -> bool {
    drydock_ecosystem::type_filter_matches(filter, t)
}

/// The version scheme packages of type `t` use (the package-type table's).
pub fn scheme_of(t: PackageType) -> Scheme {
    t.scheme()
}

/// Orders two versions of a package of type `t`: by the type's scheme, else by the generic
/// numeric-aware scheme; `None` when neither parses both.
fn compare_versions(t: PackageType, a: &str, b: &str) -> Option<Ordering> {
    drydock_version::compare(scheme_of(t), a, b)
        .or_else(|_| drydock_version::compare(Scheme::Generic, a, b))
        .ok()
}

const REQUIRED_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "name",
        description: "Name of the package that must be installed (exact, as catalogued).",
        kind: ParamKind::Text,
        required: true,
        example: "ca-certificates",
    },
    ParamSpec {
        name: "version",
        description: "Version the package must have; with version_match_type=minimum, the lowest acceptable \
                      version (compared with the package type's version scheme).",
        kind: ParamKind::Text,
        required: false,
        example: "20230311",
    },
    ParamSpec {
        name: "version_match_type",
        description: "How version is compared: exact (the default) or minimum (at least that version).",
        kind: ParamKind::Enum(&["exact", "minimum"]),
        required: false,
        example: "minimum",
    },
    ParamSpec {
        name: "type",
        description: "Only consider packages of this type: all (the default), os, non-os, or a package type \
                      (deb, rpm, apk, python, npm, java-archive, gem, go-module, rust-crate, php, dotnet, binary).",
        kind: ParamKind::Enum(PACKAGE_TYPES),
        required: false,
        example: "os",
    },
];

const DENYLIST_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "name",
        description: "Name of the package to deny; `*` matches any run of characters (e.g. `openssh-*`).",
        kind: ParamKind::Text,
        required: true,
        example: "openssh-server",
    },
    ParamSpec {
        name: "version",
        description: "Only deny this version (exact; `*` wildcards allowed). Absent: every version.",
        kind: ParamKind::Text,
        required: false,
        example: "1:9.2p1-2",
    },
    ParamSpec {
        name: "type",
        description: "Only deny packages of this type: all (the default), os, non-os, or a package type \
                      (deb, rpm, apk, python, npm, java-archive, gem, go-module, rust-crate, php, dotnet, binary).",
        kind: ParamKind::Enum(PACKAGE_TYPES),
        required: false,
        example: "deb",
    },
];

const VERIFY_PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "only_packages",
        description: "Comma-separated package names to verify (`*` wildcards allowed). Absent: every package.",
        kind: ParamKind::List,
        required: false,
        example: "libssl3,openssl",
    },
    ParamSpec {
        name: "only_directories",
        description: "Comma-separated directories to verify (a file counts when it is in one of them or below). \
                      Absent: every directory.",
        kind: ParamKind::List,
        required: false,
        example: "/usr/bin,/usr/lib",
    },
    ParamSpec {
        name: "check",
        description: "Which failures fire: changed (content differs from the package manager's digest), \
                      missing (the file is gone) or all (the default).",
        kind: ParamKind::Enum(&["changed", "missing", "all"]),
        required: false,
        example: "changed",
    },
];

/// The `packages` gate.
pub const GATE: GateSpec = GateSpec {
    name: "packages",
    description: "Checks on the installed packages: packages that must be present, packages that must not \
                  be, and package files whose content no longer matches what the package manager installed.",
    triggers: &[
        TriggerSpec {
            name: "required_package",
            description: "Fires when no package with this name (and, if given, this version or at least this \
                          version) is installed. Trigger id: the package name.",
            params: REQUIRED_PARAMS,
            eval: required_package,
        },
        TriggerSpec {
            name: "denylist",
            description: "Fires for each installed package matching the name (wildcards allowed) and, if \
                          given, the version and type (Anchore's `blacklist`). Trigger id: `<name>+<version>`.",
            params: DENYLIST_PARAMS,
            eval: denylist,
        },
        TriggerSpec {
            name: "verify",
            description: "Fires for each package file whose digest no longer matches the package manager's \
                          record, or that is missing (needs an analysis with file digests; an SBOM-only \
                          analysis has none). Trigger id: `<package>+<path>`.",
            params: VERIFY_PARAMS,
            eval: verify,
        },
    ],
};

fn required_package(input: &TriggerInput<'_>) -> Vec<Fired> {
    let p = input.params;
    let Some(name) = p.text("name").map(str::trim).filter(|n| !n.is_empty()) else {
        return Vec::new();
    };
    let version = p.text("version").map(str::trim).filter(|v| !v.is_empty());
    let minimum = p.word("version_match_type").as_deref() == Some("minimum");
    let type_filter = p.word("type").unwrap_or_default();
    let present: Vec<&Package> = input
        .analysis
        .sbom
        .packages
        .iter()
        .filter(|pkg| pkg.name == name && type_matches(&type_filter, pkg.package_type))
        .collect();
    if present.is_empty() {
        let what = match version {
            Some(v) if minimum => format!("{name} (version {v} or later)"),
            Some(v) => format!("{name} (version {v})"),
            None => name.to_string(),
        };
        return vec![Fired::new(
            name,
            format!("Required package {what} is not present in the image"),
        )];
    }
    let Some(want) = version else {
        return Vec::new();
    };
    let satisfied = present.iter().any(|pkg| {
        let have = pkg.version.trim();
        if have == want {
            return true;
        }
        match compare_versions(pkg.package_type, have, want) {
            Some(o) if minimum => o != Ordering::Less,
            Some(o) => o == Ordering::Equal,
            None => false,
        }
    });
    if satisfied {
        return Vec::new();
    }
    let mut found: Vec<&str> = present.iter().map(|pkg| pkg.version.as_str()).collect();
    found.sort_unstable();
    found.dedup();
    let message = if minimum {
        format!(
            "Required package {name} is present ({}), but at a lower version than the minimum {want}",
            found.join(", ")
        )
    } else {
        format!(
            "Required package {name} is present ({}), but not at the version {want}",
            found.join(", ")
        )
    };
    vec![Fired::new(name, message)]
}

fn denylist(input: &TriggerInput<'_>) -> Vec<Fired> {
    let p = input.params;
    let Some(name) = p.text("name").map(str::trim).filter(|n| !n.is_empty()) else {
        return Vec::new();
    };
    let version = p.text("version").map(str::trim).filter(|v| !v.is_empty());
    let type_filter = p.word("type").unwrap_or_default();
    input
        .analysis
        .sbom
        .packages
        .iter()
        .filter(|pkg| wildcard(name, &pkg.name))
        .filter(|pkg| version.is_none_or(|v| wildcard(v, &pkg.version)))
        .filter(|pkg| type_matches(&type_filter, pkg.package_type))
        .map(|pkg| {
            let at = pkg
                .locations
                .first()
                .map(|l| format!(" at {}", l.path))
                .unwrap_or_default();
            Fired::new(
                format!("{}+{}", pkg.name, pkg.version),
                format!(
                    "Package is denylisted: {} {} ({}){at}",
                    pkg.name, pkg.version, pkg.package_type
                ),
            )
        })
        .collect()
}

/// True when `path` is `dir` or below it (leading and trailing `/` ignored).
fn in_directory(path: &str, dir: &str) -> bool {
    let dir = dir.trim().trim_matches('/');
    if dir.is_empty() {
        return true;
    }
    let path = path.trim_start_matches('/');
    path == dir || path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

fn verify(input: &TriggerInput<'_>) -> Vec<Fired> {
    let p = input.params;
    let packages = p.list("only_packages");
    let dirs = p.list("only_directories");
    let check = p.word("check").unwrap_or_else(|| "all".into());
    input
        .analysis
        .changed_files
        .iter()
        .filter(|c| packages.is_empty() || packages.iter().any(|n| wildcard(n, &c.package)))
        .filter(|c| dirs.is_empty() || dirs.iter().any(|d| in_directory(&c.path, d)))
        .filter(|c| match check.as_str() {
            "changed" => c.change == FileChange::Modified,
            "missing" => c.change == FileChange::Missing,
            _ => true,
        })
        .map(|c| {
            let status = match c.change {
                FileChange::Modified => "changed",
                FileChange::Missing => "missing",
            };
            let detail = match (&c.change, &c.actual) {
                (FileChange::Modified, Some(actual)) => format!(" (expected {}, found {actual})", c.expected),
                _ => String::new(),
            };
            Fired::new(
                format!("{}+{}", c.package, c.path),
                format!(
                    "VERIFY check against package db for package '{}' ({}) failed on entry '{}' with status: \
                     '{status}'{detail}",
                    c.package, c.version, c.path
                ),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_match_by_component() {
        assert!(in_directory("/usr/bin/ls", "/usr"));
        assert!(in_directory("/usr/bin/ls", "usr/bin/"));
        assert!(in_directory("/usr/bin/ls", "/usr/bin/ls"));
        assert!(in_directory("/etc/passwd", "/"));
        assert!(!in_directory("/usr2/bin", "/usr"));
    }

    #[test]
    fn type_filters() {
        assert!(type_matches("os", PackageType::Deb));
        assert!(!type_matches("non-os", PackageType::Rpm));
        assert!(type_matches("JAVA", PackageType::JavaArchive));
        assert!(type_matches("go-module", PackageType::GoModule));
        assert!(!type_matches("npm", PackageType::Python));
        assert!(type_matches("", PackageType::Binary));
    }
}
