//! Java: archives (`.jar .war .ear .jpi .hpi .par .sar .nar .kar .lpkg`) are
//! summarised during the layer pass — Maven descriptors, the manifest and the file
//! name name the archive's own package, other Maven descriptors name bundled
//! (shaded) packages, and nested archives (`WEB-INF/lib/*.jar`, `BOOT-INF/lib/*.jar`)
//! are opened in memory to a bounded depth. JVM installations are found from their
//! `release` file.
//!
//! Locations of packages found inside an archive are `<archive>:<inner path>`
//! (`/app.war:WEB-INF/lib/x.jar`, `/x.jar:META-INF/maven/g/a/pom.properties`); the
//! containing package is the one at the longest `:`-prefix (see [`containments`]).

pub mod archive;
pub mod jvm;
pub mod parse;

use crate::{Cataloger, Context, Output};
use archive::{Found, Limits, Summary};
use drydock_model::{FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageType, Purl};
use std::collections::HashMap;

/// The Java cataloger.
pub struct Java;

const FOUND_BY: &str = "java-archive-cataloger";
const JVM_FOUND_BY: &str = "java-jvm-cataloger";

impl Cataloger for Java {
    fn name(&self) -> &'static str {
        FOUND_BY
    }

    fn wants(&self, path: &str) -> bool {
        jvm::is_release_file(path)
    }

    fn extracts(&self, path: &str, _mode: u32, size: u64) -> bool {
        // 22 bytes is the smallest zip file (an empty end-of-central-directory record).
        size >= 22 && archive::is_archive_name(path)
    }

    fn extract(&self, path: &str, content: &[u8]) -> Option<String> {
        let summary = archive::summarize(path, content, Limits::default());
        if summary.packages.is_empty() && summary.warnings.is_empty() {
            return None;
        }
        serde_json::to_string(&summary).ok()
    }

    fn catalog(&self, tree: &FileTree, _ctx: &Context<'_>, out: &mut Output) {
        for (path, text) in tree.extracted_by(FOUND_BY) {
            let summary: Summary = match serde_json::from_str(text) {
                Ok(s) => s,
                Err(e) => {
                    out.warnings
                        .push(format!("{path}: unreadable Java archive summary: {e}"));
                    continue;
                }
            };
            let layer = tree.entry(path).map(|e| e.layer).unwrap_or(0);
            out.warnings.extend(summary.warnings);
            for f in &summary.packages {
                out.packages.push(package_from(path, layer, f));
            }
        }
        for (path, entry) in tree.entries() {
            if entry.kind != FileKind::Regular || !jvm::is_release_file(path) {
                continue;
            }
            let Some(content) = tree.read(path) else { continue };
            let Some(release) = jvm::parse_release(&String::from_utf8_lossy(content)) else {
                continue;
            };
            let install = &path[..path.len() - "/release".len()];
            let has_javac = tree.entry(&format!("{install}/bin/javac")).is_some();
            out.packages.push(jvm_package(path, entry.layer, &release, has_javac));
        }
    }
}

/// Turns one summarised archive package into a Package.
fn package_from(outer: &str, layer: usize, f: &Found) -> Package {
    let mut p = Package::new(PackageType::JavaArchive, &f.name, &f.version, FOUND_BY);
    let group = if f.group.is_empty() {
        f.name.as_str()
    } else {
        f.group.as_str()
    };
    p.purl = Purl::new("maven", &f.name)
        .namespace(group)
        .version(&f.version)
        .to_string();
    p.cpes = cpes(&f.group, &f.name, &f.version);
    p.licenses = f.licenses.clone();
    p.supplier = f.supplier.clone();
    let path = if f.inner.is_empty() {
        outer.to_string()
    } else {
        format!("{outer}:{}", f.inner)
    };
    p.locations.push(Location {
        path,
        layer,
        layer_digest: String::new(),
    });
    p.compute_id();
    p
}

/// Candidate CPEs: vendors from the groupId's parts after the top-level domain
/// (`org.apache.logging.log4j` → apache, logging, log4j), else the artifact; products
/// are the artifactId and groupId parts it starts or ends with.
pub fn cpes(group: &str, artifact: &str, version: &str) -> Vec<String> {
    let forbidden = |f: &str| matches!(f.to_ascii_lowercase().as_str(), "plugin" | "plugins");
    let fields: Vec<&str> = group.split('.').map(str::trim).filter(|f| !f.is_empty()).collect();
    let mut vendors: Vec<&str> = Vec::new();
    for f in fields.iter().skip(1) {
        if !forbidden(f) && !vendors.contains(f) && vendors.len() < 3 {
            vendors.push(f);
        }
    }
    if vendors.is_empty() {
        vendors.push(artifact);
    }
    let mut products: Vec<&str> = vec![artifact];
    let is_plugin = artifact.contains("plugin") || group.contains("plugin");
    for f in fields.iter().skip(2) {
        if !is_plugin
            && !forbidden(f)
            && *f != "client"
            && (artifact.starts_with(f) || artifact.ends_with(f))
            && !products.contains(f)
        {
            products.push(f);
        }
    }
    let mut out = Vec::new();
    for v in &vendors {
        for pr in &products {
            out.push(cpe::application(v, pr, version));
        }
    }
    out.truncate(12);
    out
}

fn jvm_package(path: &str, layer: usize, r: &jvm::Release, has_javac: bool) -> Package {
    let version = r.version();
    let (vendor, product) = r.vendor_product(path, has_javac);
    let mut p = Package::new(PackageType::Binary, product, &version, JVM_FOUND_BY);
    p.purl = Purl::new("generic", product)
        .namespace(vendor)
        .version(&version)
        .to_string();
    let (short, update) = jvm::cpe_version(&version);
    if !short.is_empty() {
        let upd = if update.is_empty() {
            "*".to_string()
        } else {
            cpe::escape(&update)
        };
        p.cpes.push(format!(
            "cpe:2.3:a:{}:{}:{}:{upd}:*:*:*:*:*:*",
            cpe::escape(vendor),
            cpe::escape(product),
            cpe::escape(&short)
        ));
    }
    if !r.implementor.is_empty() {
        p.supplier = Some(r.implementor.clone());
    }
    p.locations.push(Location {
        path: path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.compute_id();
    p
}

/// `Contains` pairs (container id, contained id) among Java archive packages: a
/// package located at `A:inner` is contained by the package located at the longest
/// `:`-prefix of it that holds a Java archive package (`/app.war:WEB-INF/lib/x.jar`
/// is in `/app.war`; `/x.jar:META-INF/maven/g/a/pom.properties` is in `/x.jar`).
pub fn containments(packages: &[Package]) -> Vec<(String, String)> {
    let mut at: HashMap<&str, &str> = HashMap::new();
    for p in packages.iter().filter(|p| p.package_type == PackageType::JavaArchive) {
        if let Some(l) = p.locations.first() {
            at.entry(l.path.as_str()).or_insert(p.id.as_str());
        }
    }
    let mut out = Vec::new();
    for p in packages.iter().filter(|p| p.package_type == PackageType::JavaArchive) {
        let Some(l) = p.locations.first() else { continue };
        let mut prefix = l.path.as_str();
        while let Some(i) = prefix.rfind(':') {
            prefix = &prefix[..i];
            if let Some(parent) = at.get(prefix) {
                if *parent != p.id {
                    out.push((parent.to_string(), p.id.clone()));
                }
                break;
            }
        }
    }
    out
}

/// Runs every parser of this module on arbitrary bytes (for fuzzing).
pub fn fuzz_entry(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = parse::parse_manifest(&text);
    let _ = parse::parse_pom_properties(&text);
    let _ = parse::parse_pom_xml(&text);
    let _ = parse::name_version_from_filename(&text);
    let _ = parse::artifact_from_filename_name(&text);
    if let Some(r) = jvm::parse_release(&text) {
        let _ = jvm::cpe_version(&r.version());
    }
    let limits = Limits {
        max_total: 8 << 20,
        max_nested: 4 << 20,
        ..Limits::default()
    };
    let s = archive::summarize("/fuzz.jar", data, limits);
    if let Ok(json) = serde_json::to_string(&s) {
        let _ = serde_json::from_str::<Summary>(&json);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_candidates() {
        let c = cpes("org.apache.logging.log4j", "log4j-core", "2.19.0");
        assert!(c.contains(&"cpe:2.3:a:apache:log4j-core:2.19.0:*:*:*:*:*:*:*".to_string()));
        assert!(c.contains(&"cpe:2.3:a:apache:log4j:2.19.0:*:*:*:*:*:*:*".to_string()));
        assert_eq!(cpes("", "x", "1"), ["cpe:2.3:a:x:x:1:*:*:*:*:*:*:*"]);
    }

    #[test]
    fn fuzz_entry_survives_garbage() {
        fuzz_entry(b"");
        fuzz_entry(b"PK\x05\x06\0\0\0\0\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0");
        fuzz_entry("<project><parent><version>${a}${b}</version></parent>".as_bytes());
        fuzz_entry(b"Manifest-Version: 1.0\n \n\n\n");
    }
}
