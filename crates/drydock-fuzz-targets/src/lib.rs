//! The bodies of the fuzz targets: each runs one family of untrusted-input parsers on arbitrary
//! bytes and must never panic, hang or allocate without bound. `fuzz/fuzz_targets/*.rs` wraps
//! each in libFuzzer's `fuzz_target!`; `tests/corpus_replay.rs` runs each over its seed corpus
//! in `fuzz/seeds/<name>/` so that `cargo test` exercises them on a stable toolchain.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

use drydock_image::{FileTree, LayerId, Limits};
use drydock_version::Scheme;
use std::io::Write;
use std::path::PathBuf;

/// One fuzz target: its name (the folder of its corpus) and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, by name.
pub const TARGETS: &[Target] = &[
    ("layer", layer),
    ("rpm_header", rpm_header),
    ("rpm_bdb", rpm_bdb),
    ("rpm_ndb", rpm_ndb),
    ("rpm_sqlite", rpm_sqlite),
    ("dpkg", dpkg),
    ("apk", apk),
    ("package_json", package_json),
    ("sbom_cyclonedx", sbom_cyclonedx),
    ("sbom_spdx", sbom_spdx),
    ("sbom_syft", sbom_syft),
    ("sbom_any", sbom_any),
    ("versions", versions),
    ("feeds", feeds),
    ("jar", jar),
    ("binaries", binaries),
    ("lockfiles", lockfiles),
];

/// Small limits, so that one input cannot make a run slow.
fn limits() -> Limits {
    Limits {
        max_captured_file: 1 << 20,
        max_extracted_file: 1 << 20,
        max_captured_per_layer: 4 << 20,
        max_layer_uncompressed: 16 << 20,
        max_layer_entries: 10_000,
        ..Limits::default()
    }
}

/// The layer reader (gzip, zstd or plain tar; entries, whiteouts, captures) and the squash.
pub fn layer(data: &[u8]) {
    let capture = drydock_catalog::CatalogCapture::new(drydock_catalog::all());
    let id = LayerId {
        index: 0,
        digest: None,
        diff_id: None,
        media_type: String::new(),
    };
    if let Ok(index) = drydock_image::layer::index_layer(data, &id, &capture, &limits()) {
        let tree = FileTree::squash([&index, &index], 8);
        for (path, _) in tree.entries() {
            let _ = tree.resolve(path);
        }
    }
}

/// The rpm header parser.
pub fn rpm_header(data: &[u8]) {
    drydock_catalog::rpm::fuzz_header(data);
}

/// The rpm Berkeley DB reader.
pub fn rpm_bdb(data: &[u8]) {
    drydock_catalog::rpm::fuzz_bdb(data);
}

/// The rpm NDB reader.
pub fn rpm_ndb(data: &[u8]) {
    drydock_catalog::rpm::fuzz_ndb(data);
}

/// The rpm SQLite reader.
pub fn rpm_sqlite(data: &[u8]) {
    drydock_catalog::rpm::fuzz_sqlite(data);
}

/// The dpkg status parser.
pub fn dpkg(data: &[u8]) {
    drydock_catalog::dpkg::fuzz_entry(data);
}

/// The apk installed-database parser.
pub fn apk(data: &[u8]) {
    drydock_catalog::apk::fuzz_entry(data);
}

/// The `package.json` reader.
pub fn package_json(data: &[u8]) {
    let _ = drydock_catalog::javascript::parse_package_json(data);
}

/// The CycloneDX decoder.
pub fn sbom_cyclonedx(data: &[u8]) {
    drydock_sbom::formats::decode::fuzz_cyclonedx(data);
}

/// The SPDX decoder.
pub fn sbom_spdx(data: &[u8]) {
    drydock_sbom::formats::decode::fuzz_spdx(data);
}

/// The Syft decoder.
pub fn sbom_syft(data: &[u8]) {
    drydock_sbom::formats::decode::fuzz_syft(data);
}

/// Format detection and every decoder.
pub fn sbom_any(data: &[u8]) {
    drydock_sbom::formats::decode::fuzz_entry(data);
}

const SCHEMES: &[Scheme] = &[
    Scheme::Dpkg,
    Scheme::Rpm,
    Scheme::Apk,
    Scheme::Semver,
    Scheme::Pep440,
    Scheme::Maven,
    Scheme::Gem,
    Scheme::Go,
    Scheme::Generic,
    Scheme::Composer,
    Scheme::NuGet,
];

/// Every version scheme: parsing, validity and comparison of two versions (split at the
/// first NUL byte).
pub fn versions(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_once('\0').unwrap_or((&text, "0"));
    for &scheme in SCHEMES {
        let _ = drydock_version::parse(scheme, a);
        let _ = drydock_version::is_valid(scheme, b);
        let _ = drydock_version::compare(scheme, a, b);
        let _ = drydock_version::max_version(scheme, [a, b]);
    }
}

/// The vulnerability feed readers: OSV and RustSec records, and the Debian tracker, Alpine
/// secdb, NVD, KEV and EPSS files (written to a temporary file, as they read files).
pub fn feeds(data: &[u8]) {
    use drydock_vulndb::feeds;
    let _ = feeds::osv::parse_record(data, "fuzz", "fuzz");
    let _ = feeds::rustsec::parse_advisory(&String::from_utf8_lossy(data), "fuzz");
    let path = scratch_file();
    let Ok(mut f) = std::fs::File::create(&path) else {
        return;
    };
    if f.write_all(data).is_err() {
        return;
    }
    drop(f);
    let mut sink = |_| Ok(());
    let _ = feeds::debian::read_file(&path, &mut sink);
    let _ = feeds::alpine::read_file(&path, Some("alpine:3.20"), &mut sink);
    let _ = feeds::nvd::read_file(&path, &mut sink);
    let _ = feeds::kev::read_file(&path, &mut sink);
    let _ = feeds::epss::read_file(&path, &mut sink);
    let _ = std::fs::remove_file(&path);
}

/// A file name of this process and thread for readers that take a path.
fn scratch_file() -> PathBuf {
    let thread = format!("{:?}", std::thread::current().id());
    let thread: String = thread.chars().filter(char::is_ascii_digit).collect();
    std::env::temp_dir().join(format!("drydock-fuzz-{}-{thread}.feed", std::process::id()))
}

/// The Java archive reader.
pub fn jar(data: &[u8]) {
    drydock_catalog::java::fuzz_entry(data);
}

/// Executable readers.
pub fn binaries(data: &[u8]) {
    drydock_catalog::exe::fuzz_entry(data);
    drydock_catalog::golang::fuzz_entry(data);
    drydock_catalog::rust::fuzz_entry(data);
    drydock_catalog::binary::fuzz_entry(data);
    drydock_catalog::dotnet::fuzz_entry(data);
}

/// Manifest and lock-file parsers.
pub fn lockfiles(data: &[u8]) {
    drydock_catalog::javascript::fuzz_entry(data);
    drydock_catalog::python::fuzz_entry(data);
    drydock_catalog::gem::fuzz_entry(data);
    drydock_catalog::php::fuzz_entry(data);
}
