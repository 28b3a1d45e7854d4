//! Installed Python packages: `*.dist-info/METADATA` (wheels) and `*.egg-info`
//! (`PKG-INFO` inside a directory, or the file itself), with files from `RECORD` or
//! `installed-files.txt`.

use crate::{Cataloger, Context, Output};
use drydock_image::{path, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageFile, PackageType, Purl};

/// The Python installed-package cataloger.
pub struct Python;

const FOUND_BY: &str = "python-installed-package-cataloger";

impl Cataloger for Python {
    fn name(&self) -> &'static str {
        FOUND_BY
    }

    fn wants(&self, p: &str) -> bool {
        p.ends_with(".dist-info/METADATA")
            || p.ends_with(".dist-info/RECORD")
            || p.ends_with(".egg-info/PKG-INFO")
            || p.ends_with(".egg-info/installed-files.txt")
            || p.ends_with(".egg-info")
    }

    fn catalog(&self, tree: &FileTree, _ctx: &Context<'_>, out: &mut Output) {
        for (p, entry) in tree.entries() {
            if entry.kind != drydock_image::FileKind::Regular {
                continue;
            }
            let is_metadata =
                p.ends_with(".dist-info/METADATA") || p.ends_with(".egg-info/PKG-INFO") || p.ends_with(".egg-info");
            if !is_metadata {
                continue;
            }
            let Some(content) = tree.read(p) else { continue };
            match package_from(p, content, entry.layer, tree) {
                Ok(pkg) => out.packages.push(pkg),
                Err(reason) => out.warnings.push(format!("{p}: {reason}")),
            }
        }
    }
}

/// Header fields of a core-metadata file (stops at the first blank line: the body is
/// the long description).
fn headers(text: &str) -> Vec<(&str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = out.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim(), v.trim().to_string()));
        }
    }
    out
}

fn package_from(meta_path: &str, content: &[u8], layer: usize, tree: &FileTree) -> Result<Package, String> {
    let text = String::from_utf8_lossy(content);
    let hs = headers(&text);
    let get = |k: &str| {
        hs.iter()
            .find(|(h, _)| h.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.as_str())
    };
    let name = get("Name").filter(|n| !n.is_empty()).ok_or("no Name header")?;
    let version = get("Version").filter(|v| !v.is_empty()).ok_or("no Version header")?;
    let mut p = Package::new(PackageType::Python, name, version, FOUND_BY);
    p.licenses = licenses(get("License-Expression"), get("License"), &hs);
    p.supplier = get("Author")
        .or(get("Maintainer"))
        .filter(|a| !a.is_empty() && *a != "UNKNOWN")
        .map(str::to_string);
    p.locations.push(Location {
        path: meta_path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.files = record_files(meta_path, tree);
    p.depends = hs
        .iter()
        .filter(|(h, v)| h.eq_ignore_ascii_case("Requires-Dist") && !v.contains("extra =="))
        .map(|(_, v)| vec![requirement_name(v)])
        .filter(|g| !g[0].is_empty())
        .collect();
    let normalized = normalize_name(name);
    p.purl = Purl::new("pypi", &normalized).version(version).to_string();
    p.cpes = vec![
        cpe::application(&normalized, &normalized, version),
        cpe::application(&format!("python-{normalized}"), &normalized, version),
    ];
    p.compute_id();
    Ok(p)
}

/// PEP 503 normalisation (lower case, runs of `-_.` become `-`).
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn requirement_name(req: &str) -> String {
    let name: String = req
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    normalize_name(&name)
}

fn licenses(expression: Option<&str>, license: Option<&str>, hs: &[(&str, String)]) -> Vec<String> {
    if let Some(e) = expression.filter(|e| !e.is_empty()) {
        return vec![e.to_string()];
    }
    if let Some(l) = license.filter(|l| !l.is_empty() && *l != "UNKNOWN" && !l.contains('\n') && l.len() < 100) {
        return vec![l.to_string()];
    }
    hs.iter()
        .filter(|(h, _)| h.eq_ignore_ascii_case("Classifier"))
        .filter_map(|(_, v)| v.strip_prefix("License :: "))
        .filter_map(|v| v.rsplit(" :: ").next())
        .filter(|v| *v != "OSI Approved")
        .map(str::to_string)
        .collect()
}

/// Files from `RECORD` (`path,sha256=<base64url>,size`) or `installed-files.txt`,
/// made absolute against the directory holding the metadata directory.
fn record_files(meta_path: &str, tree: &FileTree) -> Vec<PackageFile> {
    let meta_dir = if meta_path.ends_with(".egg-info") {
        meta_path
    } else {
        path::parent(meta_path)
    };
    let site = path::parent(meta_dir);
    let mut files = Vec::new();
    if let Some(record) = tree.read(&path::join(meta_dir, "RECORD")) {
        for line in String::from_utf8_lossy(record).lines() {
            let mut cols = line.split(',');
            let (Some(rel), hash) = (cols.next(), cols.next()) else {
                continue;
            };
            if rel.is_empty() {
                continue;
            }
            let digest = hash
                .and_then(|h| h.split_once('='))
                .and_then(|(alg, b64)| base64url_to_hex(b64).map(|hex| format!("{alg}:{hex}")));
            files.push(PackageFile {
                path: path::resolve_link_target(&path::join(site, "x"), rel),
                digest,
            });
        }
    } else if let Some(list) = tree.read(&path::join(meta_dir, "installed-files.txt")) {
        for rel in String::from_utf8_lossy(list).lines().filter(|l| !l.trim().is_empty()) {
            files.push(PackageFile {
                path: path::resolve_link_target(&path::join(meta_dir, "x"), rel.trim()),
                digest: None,
            });
        }
    }
    files.sort();
    files.dedup();
    files
}

fn base64url_to_hex(s: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = String::new();
    for c in s.trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        } as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push_str(&format!("{:02x}", (bits >> n) & 0xff));
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalise() {
        assert_eq!(normalize_name("Jinja2"), "jinja2");
        assert_eq!(normalize_name("charset_normalizer"), "charset-normalizer");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(requirement_name("urllib3 (<1.25,>=1.21.1)"), "urllib3");
    }

    #[test]
    fn headers_stop_at_the_body() {
        let hs = headers("Name: a\nVersion: 1\nClassifier: License :: OSI Approved :: MIT License\n\nName: body\n");
        assert_eq!(hs.len(), 3);
        assert_eq!(licenses(None, Some("UNKNOWN"), &hs), ["MIT License"]);
        assert_eq!(
            base64url_to_hex("zuuue4knoyJ-UwPPXg8fezS7VCrXJQrAP7zeNuwvFQg")
                .unwrap()
                .len(),
            64
        );
    }
}
