//! Rust crates: the dependency list `cargo auditable` embeds in executables (a
//! zlib-compressed JSON document in the `.dep-v0` section of ELF, PE and Mach-O
//! files) everywhere, and `Cargo.lock` in directory scans.

use crate::exe;
use crate::golang::{is_duplicate_hardlink, is_executable_candidate};
use crate::{Cataloger, Context, Output};
use drydock_model::{FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageType, Purl};
use flate2::read::ZlibDecoder;
use serde::{Deserialize, Serialize};
use std::io::Read;

/// The Rust cataloger.
pub struct Rust;

const FOUND_BY: &str = "rust-cargo-cataloger";
const AUDIT_FOUND_BY: &str = "cargo-auditable-binary-cataloger";
const LOCK_FOUND_BY: &str = "rust-cargo-lock-cataloger";
const SECTION: &str = ".dep-v0";
/// Largest decompressed dependency list accepted (as `rust-audit-info`'s default).
const MAX_AUDIT_JSON: u64 = 8 << 20;
/// Most packages kept from one list or lock file.
const MAX_PACKAGES: usize = 100_000;

impl Cataloger for Rust {
    fn name(&self) -> &'static str {
        FOUND_BY
    }

    fn wants(&self, p: &str) -> bool {
        p.ends_with("/Cargo.lock")
    }

    fn extracts(&self, path: &str, mode: u32, size: u64) -> bool {
        is_executable_candidate(path, mode, size)
    }

    fn extract(&self, _path: &str, content: &[u8]) -> Option<String> {
        let summary = match audit_data(content)? {
            Ok(packages) => AuditSummary { packages, error: None },
            Err(e) => AuditSummary {
                packages: Vec::new(),
                error: Some(e),
            },
        };
        serde_json::to_string(&summary).ok()
    }

    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output) {
        for (p, text) in tree.extracted_by(FOUND_BY) {
            if is_duplicate_hardlink(tree, p) {
                continue;
            }
            let layer = tree.entry(p).map(|e| e.layer).unwrap_or(0);
            match serde_json::from_str::<AuditSummary>(text) {
                Ok(s) => {
                    if let Some(e) = s.error {
                        out.warnings.push(format!("{p}: {e}"));
                    }
                    out.packages.extend(audit_packages(&s.packages, p, layer));
                }
                Err(e) => out
                    .warnings
                    .push(format!("{p}: unreadable cargo-auditable summary: {e}")),
            }
        }
        if !ctx.directory_scan {
            return;
        }
        for (p, entry) in tree.entries() {
            if entry.kind != FileKind::Regular || !p.ends_with("/Cargo.lock") {
                continue;
            }
            let Some(content) = tree.read(p) else { continue };
            match parse_cargo_lock(&String::from_utf8_lossy(content)) {
                Ok(pkgs) => {
                    for lp in pkgs {
                        let depends = lp.dependencies.iter().map(|d| vec![dependency_name(d)]).collect();
                        out.packages.push(crate_package(
                            &lp.name,
                            &lp.version,
                            LOCK_FOUND_BY,
                            p,
                            entry.layer,
                            depends,
                        ));
                    }
                }
                Err(e) => out.warnings.push(format!("{p}: {e}")),
            }
        }
    }
}

/// One crate of a `cargo auditable` dependency list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPackage {
    /// Crate name.
    pub name: String,
    /// Crate version.
    pub version: String,
    /// Where it came from (`crates.io`, `local`, git or registry objects), kept as written.
    #[serde(default)]
    pub source: serde_json::Value,
    /// `runtime` (default) or `build`.
    #[serde(default)]
    pub kind: Option<String>,
    /// Indices into the package list.
    #[serde(default)]
    pub dependencies: Vec<usize>,
    /// The binary's own crate.
    #[serde(default)]
    pub root: bool,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct AuditSummary {
    #[serde(default)]
    packages: Vec<AuditPackage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Deserialize)]
struct AuditDoc {
    packages: Vec<AuditPackage>,
}

/// The embedded dependency list: `None` when the file is not an executable with a
/// `.dep-v0` section, an error when the section is unreadable.
pub fn audit_data(content: &[u8]) -> Option<Result<Vec<AuditPackage>, String>> {
    if !exe::looks_executable(content) {
        return None;
    }
    let section = exe::slices(content)
        .into_iter()
        .filter_map(exe::parse_with_data)
        .find_map(|(bin, data)| bin.section_data(data, SECTION))?;
    let mut json = Vec::new();
    let mut z = ZlibDecoder::new(section).take(MAX_AUDIT_JSON + 1);
    if let Err(e) = z.read_to_end(&mut json) {
        return Some(Err(format!("cannot decompress the {SECTION} section: {e}")));
    }
    if json.len() as u64 > MAX_AUDIT_JSON {
        return Some(Err(format!("{SECTION} section expands beyond {MAX_AUDIT_JSON} bytes")));
    }
    Some(
        serde_json::from_slice::<AuditDoc>(&json)
            .map_err(|e| format!("malformed {SECTION} dependency list: {e}"))
            .and_then(|d| {
                if d.packages.len() > MAX_PACKAGES {
                    Err(format!("{SECTION} lists more than {MAX_PACKAGES} packages"))
                } else {
                    Ok(d.packages)
                }
            }),
    )
}

/// Runtime crates of a dependency list (build-time ones are not in the executable),
/// with dependency edges from the indices.
fn audit_packages(list: &[AuditPackage], path: &str, layer: usize) -> Vec<Package> {
    list.iter()
        .filter(|p| !p.name.is_empty() && p.kind.as_deref().unwrap_or("runtime") == "runtime")
        .map(|p| {
            let depends = p
                .dependencies
                .iter()
                .filter_map(|&i| list.get(i))
                .map(|d| vec![d.name.clone()])
                .collect();
            crate_package(&p.name, &p.version, AUDIT_FOUND_BY, path, layer, depends)
        })
        .collect()
}

fn crate_package(
    name: &str,
    version: &str,
    found_by: &str,
    path: &str,
    layer: usize,
    depends: Vec<Vec<String>>,
) -> Package {
    let mut p = Package::new(PackageType::RustCrate, name, version, found_by);
    p.purl = Purl::new("cargo", name).version(version).to_string();
    p.cpes = vec![cpe::application(name, name, version)];
    p.locations.push(Location {
        path: path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.depends = depends;
    p.compute_id();
    p
}

/// One `[[package]]` of a `Cargo.lock`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LockPackage {
    /// Crate name.
    pub name: String,
    /// Crate version.
    pub version: String,
    /// `registry+…`, `git+…`; `None` for workspace members and path dependencies.
    #[serde(default)]
    pub source: Option<String>,
    /// SHA-256 of the `.crate` file in hex; `None` when absent (path and git sources).
    #[serde(default)]
    pub checksum: Option<String>,
    /// `name`, `name version` or `name version (source)`.
    #[serde(default)]
    pub dependencies: Vec<String>,
}

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockPackage>,
}

/// The packages of a `Cargo.lock` (any lock file version).
pub fn parse_cargo_lock(text: &str) -> Result<Vec<LockPackage>, String> {
    let lock: Lock = toml::from_str(text).map_err(|e| format!("malformed Cargo.lock: {}", e.message()))?;
    if lock.package.len() > MAX_PACKAGES {
        return Err(format!("more than {MAX_PACKAGES} packages"));
    }
    Ok(lock.package)
}

fn dependency_name(dep: &str) -> String {
    dep.split_whitespace().next().unwrap_or("").to_string()
}

/// Runs every parser of this module on arbitrary bytes.
pub fn fuzz_entry(data: &[u8]) {
    if let Some(Ok(list)) = audit_data(data) {
        let _ = audit_packages(&list, "/fuzz", 0);
    }
    let mut z = ZlibDecoder::new(data).take(MAX_AUDIT_JSON + 1);
    let mut json = Vec::new();
    if z.read_to_end(&mut json).is_ok() {
        if let Ok(doc) = serde_json::from_slice::<AuditDoc>(&json) {
            let _ = audit_packages(&doc.packages, "/fuzz", 0);
        }
    }
    let _ = parse_cargo_lock(&String::from_utf8_lossy(data));
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::ZlibEncoder, Compression};
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    const AUDIT: &str = r#"{"packages":[{"name":"hello","version":"0.1.0","source":"local","dependencies":[1,2],"root":true},{"name":"itoa","version":"1.0.9","source":"crates.io"},{"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}]}"#;

    #[test]
    fn auditable_section_lists_runtime_crates() {
        let elf = exe::tests::elf64(&[
            (".text", 0x1000, b"\x90\x90"),
            (SECTION, 0x2000, &zlib(AUDIT.as_bytes())),
        ]);
        let list = audit_data(&elf).unwrap().unwrap();
        assert_eq!(list.len(), 3);
        let pkgs = audit_packages(&list, "/usr/bin/hello", 1);
        let names: Vec<_> = pkgs
            .iter()
            .map(|p| format!("{}@{} {}", p.name, p.version, p.purl))
            .collect();
        assert_eq!(
            names,
            ["hello@0.1.0 pkg:cargo/hello@0.1.0", "itoa@1.0.9 pkg:cargo/itoa@1.0.9"]
        );
        assert_eq!(pkgs[0].depends, [vec!["itoa".to_string()], vec!["cc".to_string()]]);
    }

    #[test]
    fn bad_sections_are_errors_not_panics() {
        let elf = exe::tests::elf64(&[(SECTION, 0x2000, b"not zlib")]);
        assert!(audit_data(&elf).unwrap().unwrap_err().contains("decompress"));
        let elf = exe::tests::elf64(&[(SECTION, 0x2000, &zlib(b"{\"packages\":7}"))]);
        assert!(audit_data(&elf).unwrap().unwrap_err().contains("malformed"));
        // a zlib bomb: 16 MiB of zeros
        let elf = exe::tests::elf64(&[(SECTION, 0x2000, &zlib(&vec![0u8; 16 << 20]))]);
        assert!(audit_data(&elf).unwrap().unwrap_err().contains("expands beyond"));
        assert!(audit_data(b"\x7fELF-no-tables").is_none());
        for n in 0..200 {
            fuzz_entry(&elf[..n.min(elf.len())]);
        }
    }

    #[test]
    fn cargo_lock_packages() {
        let pkgs = parse_cargo_lock(
            "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"serde 1.0.188 (registry+https://github.com/rust-lang/crates.io-index)\",\n]\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.188\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"abc\"\n",
        )
        .unwrap();
        assert_eq!(pkgs.len(), 2);
        assert_eq!(dependency_name(&pkgs[0].dependencies[0]), "serde");
        assert_eq!(pkgs[1].checksum.as_deref(), Some("abc"));
        assert!(parse_cargo_lock("[[package]]\nname = 1\n").is_err());
    }
}
