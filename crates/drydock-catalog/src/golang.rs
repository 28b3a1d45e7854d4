//! Go modules: the build information the Go linker embeds in every executable
//! (`\xff Go buildinf:` header, then the `modinfo` text: main module, dependencies,
//! replacements, build settings) and, in directory scans, `go.mod`.
//!
//! Binaries are summarised during the layer pass (`extract`): a 16-byte aligned
//! search for the header, then either the inline strings of Go >= 1.18 or the
//! pointers of older toolchains, read through the section and segment tables.

mod buildinfo;
mod gomod;
mod packages;
mod version;

pub use buildinfo::{parse_modinfo, summarize, Build, Module, Summary};
pub use gomod::{parse_go_mod, parse_go_sum};
pub use packages::{module_cpes, purl};
pub use version::{pseudo_timestamp, version_from_contents, version_from_ldflags};

use buildinfo::read_buildinfo;
use packages::{build_packages, module_package};
use version::{is_word, resolve_main_version};

use crate::exe;
use crate::{Cataloger, Context, Output};
use drydock_model::{FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageType, Purl};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The Go cataloger (binaries everywhere; `go.mod` in directory scans).
pub struct Golang;

const FOUND_BY: &str = "go-module-binary-cataloger";

const MOD_FOUND_BY: &str = "go-module-file-cataloger";

/// Executables larger than this are not analysed.
pub const MAX_EXECUTABLE: u64 = 512 << 20;

/// True for files worth reading as executables: executable bits or `.exe`, sanely sized.
pub fn is_executable_candidate(path: &str, mode: u32, size: u64) -> bool {
    (64..=MAX_EXECUTABLE).contains(&size) && (mode & 0o111 != 0 || ends_with_ignore_case(path, ".exe"))
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len() && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

impl Cataloger for Golang {
    fn name(&self) -> &'static str {
        FOUND_BY
    }

    fn wants(&self, p: &str) -> bool {
        p.ends_with("/go.mod")
    }

    fn extracts(&self, path: &str, mode: u32, size: u64) -> bool {
        is_executable_candidate(path, mode, size)
    }

    fn extract(&self, _path: &str, content: &[u8]) -> Option<String> {
        let summary = summarize(content)?;
        serde_json::to_string(&summary).ok()
    }

    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output) {
        for (p, text) in tree.extracted_by(FOUND_BY) {
            if is_duplicate_hardlink(tree, p) {
                continue;
            }
            let layer = tree.entry(p).map(|e| e.layer).unwrap_or(0);
            match serde_json::from_str::<Summary>(text) {
                Ok(summary) => {
                    for e in &summary.errors {
                        out.warnings.push(format!("{p}: {e}"));
                    }
                    for build in &summary.builds {
                        out.packages.extend(build_packages(build, p, layer));
                    }
                }
                Err(e) => out.warnings.push(format!("{p}: unreadable Go build summary: {e}")),
            }
        }
        if !ctx.directory_scan {
            return;
        }
        for (p, entry) in tree.entries() {
            if entry.kind != FileKind::Regular || !p.ends_with("/go.mod") {
                continue;
            }
            let Some(content) = tree.read(p) else { continue };
            // go.sum's `h1:` hashes have no place in the package model yet (see
            // `parse_go_sum`), so only go.mod is read.
            match parse_go_mod(&String::from_utf8_lossy(content)) {
                Ok(mods) => {
                    for m in mods {
                        out.packages
                            .push(module_package(&m.path, &m.version, MOD_FOUND_BY, p, entry.layer));
                    }
                }
                Err(e) => out.warnings.push(format!("{p}: {e}")),
            }
        }
    }
}

/// A hard link whose target is still in the tree: the same bytes are reported once,
/// at the target (image layers record the second name as a link entry).
pub fn is_duplicate_hardlink(tree: &FileTree, path: &str) -> bool {
    match tree.entry(path) {
        Some(e) if e.kind == FileKind::Hardlink => e
            .link
            .as_deref()
            .and_then(|t| tree.entry(t))
            .is_some_and(|t| t.kind == FileKind::Regular),
        _ => false,
    }
}

/// Runs every parser of this module on arbitrary bytes.
pub fn fuzz_entry(data: &[u8]) {
    let _ = summarize(data);
    for at in (0..data.len()).step_by(16).take(64) {
        let _ = read_buildinfo(data, at);
    }
    let text = String::from_utf8_lossy(data);
    let b = parse_modinfo(&text);
    let _ = build_packages(&b, "/fuzz", 0);
    let _ = version_from_ldflags(&text, "example.com/m");
    let _ = version_from_contents(data);
    let _ = pseudo_timestamp(&text);
    let _ = parse_go_mod(&text);
    let _ = parse_go_sum(&text);
}

#[cfg(test)]
mod tests {
    use super::buildinfo::MAGIC;
    use super::packages::stdlib_package;
    use super::*;

    fn varstr(s: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut n = s.len();
        loop {
            let b = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
        out.extend_from_slice(s);
        out
    }

    /// A Go 1.18+ build-info blob (header with inline strings).
    pub fn blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut h = MAGIC.to_vec();
        h.push(8);
        h.push(2);
        h.resize(32, 0);
        h.extend(varstr(version.as_bytes()));
        let mut m = b"0123456789abcdef".to_vec();
        m.extend_from_slice(modinfo.as_bytes());
        m.extend_from_slice(b"fedcba9876543210");
        h.extend(varstr(&m));
        h
    }

    const ESBUILD: &str = "path\tgithub.com/evanw/esbuild/cmd/esbuild\nmod\tgithub.com/evanw/esbuild\t(devel)\t\ndep\tgolang.org/x/sys\tv0.0.0-20220715151400-c0bba94af5f8\th1:0A+M6Uqn+Eje4kHMK80dtF3JCXC4ykBgQG4Fe06QRhQ=\nbuild\t-compiler=gc\nbuild\tvcs.revision=22f0818cf81024b63752d815c51fe737612b43ec\nbuild\tvcs.time=2023-08-08T04:14:26Z\n";

    #[test]
    fn inline_build_info_with_pseudo_version() {
        let elf = exe::tests::elf64(&[(".go.buildinfo", 0x4000, &blob("go1.20.7", ESBUILD))]);
        let s = summarize(&elf).unwrap();
        let b = &s.builds[0];
        assert_eq!(b.go, "go1.20.7");
        let main = b.main.as_ref().unwrap();
        assert_eq!(main.version, "v0.0.0-20230808041426-22f0818cf810");
        assert_eq!(b.deps[0].sum, "h1:0A+M6Uqn+Eje4kHMK80dtF3JCXC4ykBgQG4Fe06QRhQ=");
        let pkgs = build_packages(b, "/x", 0);
        assert_eq!(pkgs.len(), 3);
        assert_eq!(pkgs[2].purl, "pkg:golang/stdlib@1.20.7");
        assert_eq!(pkgs[2].cpes, ["cpe:2.3:a:golang:go:1.20.7:-:*:*:*:*:*:*"]);
        assert_eq!(
            pkgs[0].cpes,
            ["cpe:2.3:a:golang:x\\/sys:v0.0.0-20220715151400-c0bba94af5f8:*:*:*:*:*:*:*"]
        );
    }

    #[test]
    fn a_literal_copy_of_the_magic_is_not_the_header() {
        let mut literal = MAGIC.to_vec();
        literal.extend(b"\x00\x00garbage");
        let real = blob("go1.20.7", ESBUILD);
        let elf = exe::tests::elf64(&[(".rodata", 0x1000, &literal), (".go.buildinfo", 0x4000, &real)]);
        let s = summarize(&elf).unwrap();
        assert_eq!((s.builds.len(), s.errors.len()), (1, 0));
        assert_eq!(s.builds[0].go, "go1.20.7");
        // without a section named for it, the candidate that parses wins
        let elf = exe::tests::elf64(&[(".rodata", 0x1000, &literal), (".data", 0x4000, &real)]);
        assert_eq!(summarize(&elf).unwrap().builds[0].go, "go1.20.7");
    }

    #[test]
    fn pointer_build_info_of_old_toolchains() {
        // header at 0x5000 with pointers to string headers at 0x5020 / 0x5030
        let mut data = MAGIC.to_vec();
        data.extend([8, 0]);
        data.extend(0x5020u64.to_le_bytes());
        data.extend(0x5030u64.to_le_bytes());
        data.extend(0x5040u64.to_le_bytes());
        data.extend(8u64.to_le_bytes());
        let modinfo = format!(
            "0123456789abcdef{}fedcba9876543210",
            "path\tex.com/a\nmod\tex.com/a\tv1.2.3\t\n"
        );
        data.extend(0x5048u64.to_le_bytes());
        data.extend((modinfo.len() as u64).to_le_bytes());
        data.extend(b"go1.16.2");
        data.extend(modinfo.as_bytes());
        let elf = exe::tests::elf64(&[(".go.buildinfo", 0x5000, &data)]);
        let s = summarize(&elf).unwrap();
        assert_eq!(s.builds[0].go, "go1.16.2");
        assert_eq!(s.builds[0].main.as_ref().unwrap().version, "v1.2.3");
    }

    #[test]
    fn replacements_and_quoted_settings() {
        let b = parse_modinfo(
            "mod\tex.com/m\t(devel)\t\ndep\tex.com/a\tv1.0.0\th1:x\n=>\tex.com/fork\tv1.0.1\th1:y\nbuild\t-ldflags=\"-s -w -X main.version=1.4.2\"\n",
        );
        assert_eq!(b.deps[0].path, "ex.com/fork");
        assert_eq!(b.deps[0].replaces.as_deref(), Some("ex.com/a"));
        assert_eq!(b.settings[0].1, "-s -w -X main.version=1.4.2");
        assert_eq!(
            version_from_ldflags(&b.settings[0].1, "ex.com/m").as_deref(),
            Some("1.4.2")
        );
        assert_eq!(
            version_from_ldflags("-X ex.com/m/internal/build.Version=v2.0.1-rc1", "ex.com/m").as_deref(),
            Some("v2.0.1-rc1")
        );
        assert_eq!(
            version_from_ldflags("-X main.tag=refs/tags/3.1.0", "x").as_deref(),
            Some("3.1.0")
        );
        assert_eq!(version_from_ldflags("-X main.GitTag=3.1.0", "x"), None);
        assert_eq!(version_from_ldflags("-X other.version=1.0.0", "ex.com/m"), None);
    }

    #[test]
    fn contents_and_timestamps() {
        assert_eq!(
            version_from_contents(b"abc\x002.8.2+ds1\x00zz").as_deref(),
            Some("2.8.2+ds1")
        );
        assert_eq!(version_from_contents(b"abc\x002.8.2\x01"), None);
        assert_eq!(version_from_contents(b"\xa0L1.0.0\x00"), None);
        assert_eq!(version_from_contents(b"\x00\xa0L1.0.0\x00").as_deref(), Some("1.0.0"));
        assert_eq!(pseudo_timestamp("2023-08-08T04:14:26Z"), "20230808041426");
        assert_eq!(pseudo_timestamp("2024-01-01T01:30:00+02:00"), "20231231233000");
        assert_eq!(pseudo_timestamp("yesterday"), "00010101000000");
    }

    #[test]
    fn purls_and_cpes_follow_syft() {
        assert_eq!(
            purl("github.com/docker/distribution/cmd/registry", "v2.8.2"),
            "pkg:golang/github.com/docker/distribution@v2.8.2#cmd/registry"
        );
        assert_eq!(purl("golang.org/x/sys", "v0.1.0"), "pkg:golang/golang.org/x/sys@v0.1.0");
        assert_eq!(
            module_cpes("github.com/docker/distribution/cmd/registry", "v2.8.2"),
            ["cpe:2.3:a:docker:distribution\\/cmd\\/registry:v2.8.2:*:*:*:*:*:*:*"]
        );
        assert!(module_cpes("gopkg.in/yaml.v3", "v3.0.1").is_empty());
        assert!(module_cpes("k8s.io/api", "v0.1.0").is_empty());
        let rc = stdlib_package("go1.21rc2", "/x", 0).unwrap();
        assert_eq!(rc.cpes, ["cpe:2.3:a:golang:go:1.21:rc2:*:*:*:*:*:*"]);
    }

    #[test]
    fn go_mod_requires_and_replaces() {
        let mods = parse_go_mod(
            "module ex.com/m\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.2.3 // indirect\n\tgithub.com/c/d v0.1.0\n)\nrequire github.com/e/f v2.0.0+incompatible\nreplace github.com/c/d => github.com/c/d v0.1.1\nreplace github.com/e/f => ../f\nexclude github.com/a/b v1.2.3\n",
        )
        .unwrap();
        let got: Vec<(String, String)> = mods.into_iter().map(|m| (m.path, m.version)).collect();
        assert_eq!(
            got,
            [
                ("github.com/c/d".to_string(), "v0.1.1".to_string()),
                ("github.com/e/f".to_string(), "v2.0.0+incompatible".to_string())
            ]
        );
        assert!(parse_go_mod("require\n").is_err());
        let sums = parse_go_sum("a.com/b v1.0.0 h1:x=\na.com/b v1.0.0/go.mod h1:y=\n");
        assert_eq!(sums.len(), 1);
        assert_eq!(sums[&("a.com/b".to_string(), "v1.0.0".to_string())], "h1:x=");
    }

    #[test]
    fn truncated_blobs_warn_without_panicking() {
        let full = exe::tests::elf64(&[(".go.buildinfo", 0x4000, &blob("go1.20.7", ESBUILD))]);
        for n in 0..full.len() {
            fuzz_entry(&full[..n]);
        }
        // every single-byte corruption of the tables and the header
        for i in 0..full.len() {
            for v in [0x00, 0x7f, 0xff] {
                let mut m = full.clone();
                m[i] = v;
                fuzz_entry(&m);
            }
        }
        let mut broken = b"\x7fELF".to_vec();
        broken.resize(16, 0);
        broken.extend(blob("go1.20.7", ESBUILD));
        broken.truncate(16 + 45);
        let s = summarize(&broken).unwrap();
        assert!(s.builds.is_empty());
        assert_eq!(s.errors, ["truncated module information in build info"]);
    }
}
