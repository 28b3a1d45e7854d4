//! Python packages.
//!
//! Installed evidence (images and directories): `*.dist-info/METADATA` (wheels, with
//! `direct_url.json` for VCS installs), `*.egg-info` (`PKG-INFO` inside a directory, or
//! the file itself), unzipped `*.egg/EGG-INFO/PKG-INFO` and zipped `.egg` archives, with
//! files from `RECORD` or `installed-files.txt`.
//!
//! Declared evidence (directory scans only, see [`lock`]): pinned `requirements*.txt`
//! lines, `poetry.lock`, `Pipfile.lock`, `uv.lock` and `pdm.lock`.

mod egg;
mod lock;

use crate::{Cataloger, Context, Output};
use drydock_model::{path, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageFile, PackageType, Purl};

/// The Python cataloger.
pub struct Python;

const FOUND_BY: &str = "python-installed-package-cataloger";
/// `found_by` of packages declared by lock files and requirements.
const DECLARED_BY: &str = "python-package-cataloger";

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
            || p.ends_with(".dist-info/direct_url.json")
            || p.ends_with(".egg/EGG-INFO/PKG-INFO")
            || lock::wants(p)
    }

    fn is_manifest(&self, p: &str) -> bool {
        p.ends_with("/METADATA") || p.ends_with("/PKG-INFO")
    }

    fn extracts(&self, p: &str, _mode: u32, size: u64) -> bool {
        p.ends_with(".egg") && size <= egg::MAX_EGG_BYTES
    }

    fn extract(&self, _path: &str, content: &[u8]) -> Option<String> {
        Some(egg::summarise(content))
    }

    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output) {
        for (p, entry) in tree.entries() {
            if entry.kind != drydock_model::FileKind::Regular {
                continue;
            }
            let is_metadata = p.ends_with(".dist-info/METADATA")
                || p.ends_with(".egg-info/PKG-INFO")
                || p.ends_with(".egg-info")
                || p.ends_with(".egg/EGG-INFO/PKG-INFO");
            if !is_metadata {
                continue;
            }
            let Some(content) = tree.read(p) else { continue };
            let files = record_files(p, tree);
            match package_from(p, &String::from_utf8_lossy(content), entry.layer, files) {
                Ok(mut pkg) => {
                    if p.ends_with(".dist-info/METADATA") {
                        add_vcs_url(&mut pkg, p, tree, out);
                    }
                    out.packages.push(pkg);
                }
                Err(reason) => out.warnings.push(format!("{p}: {reason}")),
            }
        }
        for (p, summary) in tree.extracted_by(FOUND_BY) {
            // A hard link shares its target's summary: the target is reported.
            let Some(layer) = tree
                .entry(p)
                .filter(|e| e.kind == drydock_model::FileKind::Regular)
                .map(|e| e.layer)
            else {
                continue;
            };
            match egg::pkg_info(summary).and_then(|text| package_from(p, &text, layer, Vec::new())) {
                Ok(pkg) => out.packages.push(pkg),
                Err(reason) => out.warnings.push(format!("{p}: {reason}")),
            }
        }
        if ctx.directory_scan {
            lock::catalog(tree, out);
        }
    }
}

/// Runs every parser of this module on arbitrary bytes (for fuzzing): must not panic.
pub fn fuzz_entry(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = package_from("/fuzz.dist-info/METADATA", &text, 0, Vec::new());
    let _ = vcs_url(&text);
    let _ = egg::pkg_info(&egg::summarise(data));
    lock::fuzz_entry(data);
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

/// A package from a core-metadata text (`METADATA` / `PKG-INFO`) found at `meta_path`.
fn package_from(meta_path: &str, text: &str, layer: usize, files: Vec<PackageFile>) -> Result<Package, String> {
    let hs = headers(text);
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
    p.files = files;
    p.depends = hs
        .iter()
        .filter(|(h, v)| h.eq_ignore_ascii_case("Requires-Dist") && !v.contains("extra =="))
        .map(|(_, v)| vec![requirement_name(v)])
        .filter(|g| !g[0].is_empty())
        .collect();
    identify(&mut p, None);
    Ok(p)
}

/// Sets the PURL (PEP 503 name, optional `vcs_url` qualifier), CPEs, the normalised
/// name as a provided name (so normalised `Requires-Dist` names resolve) and the id.
fn identify(p: &mut Package, vcs_url: Option<String>) {
    let normalized = normalize_name(&p.name);
    let mut purl = Purl::new("pypi", &normalized).version(p.version.as_str());
    if let Some(v) = vcs_url {
        purl = purl.qualifier("vcs_url", v);
    }
    p.purl = purl.to_string();
    p.cpes = vec![
        cpe::application(&normalized, &normalized, &p.version),
        cpe::application(&format!("python-{normalized}"), &normalized, &p.version),
    ];
    p.provides = vec![normalized];
    p.compute_id();
}

/// PEP 610 `direct_url.json` next to `METADATA`: a VCS install gets the `vcs_url`
/// PURL qualifier (`git+https://host/repo@commit`).
fn add_vcs_url(p: &mut Package, meta_path: &str, tree: &FileTree, out: &mut Output) {
    let direct = path::join(path::parent(meta_path), "direct_url.json");
    let Some(content) = tree.read(&direct) else { return };
    match vcs_url(&String::from_utf8_lossy(content)) {
        Ok(Some(v)) => identify(p, Some(v)),
        Ok(None) => {}
        Err(e) => out.warnings.push(format!("{direct}: {e}")),
    }
}

/// The `vcs+url@commit` of a `direct_url.json`, when it records a VCS checkout.
fn vcs_url(json: &str) -> Result<Option<String>, String> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| format!("invalid JSON: {e}"))?;
    let Some(vcs) = v.get("vcs_info") else { return Ok(None) };
    let (Some(url), Some(kind)) = (
        v.get("url").and_then(|u| u.as_str()),
        vcs.get("vcs").and_then(|k| k.as_str()),
    ) else {
        return Err("vcs_info without url or vcs".into());
    };
    let mut s = if url.starts_with(&format!("{kind}+")) {
        url.to_string()
    } else {
        format!("{kind}+{url}")
    };
    if let Some(commit) = vcs.get("commit_id").and_then(|c| c.as_str()).filter(|c| !c.is_empty()) {
        s.push('@');
        s.push_str(commit);
    }
    Ok(Some(s))
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

/// The normalised project name at the start of a PEP 508 requirement.
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
/// A RECORD digest as `algorithm:hex`. The standard encoding is unpadded URL-safe base64;
/// Debian's packaged modules write hex instead (told apart by length and alphabet).
fn record_digest(alg: &str, value: &str) -> Option<String> {
    let hex_len = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        "sha1" => 40,
        "md5" => 32,
        _ => 0,
    };
    if value.len() == hex_len && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(format!("{alg}:{}", value.to_ascii_lowercase()));
    }
    base64url_to_hex(value).map(|hex| format!("{alg}:{hex}"))
}

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
                .and_then(|(alg, value)| record_digest(alg, value));
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
    fn direct_url_vcs_origin() {
        let git = r#"{"url": "https://h/r.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}}"#;
        assert_eq!(vcs_url(git).unwrap().as_deref(), Some("git+https://h/r.git@abc"));
        assert_eq!(vcs_url(r#"{"url": "file:///src", "dir_info": {}}"#).unwrap(), None);
        assert!(vcs_url(r#"{"vcs_info": {}}"#).is_err());
        assert!(vcs_url("[").is_err());
        fuzz_entry(b"Name: x\nVersion: 1\n");
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

    /// Arbitrary inputs assembled from the tokens the parsers look for.
    #[test]
    fn fuzz_entry_survives_token_soup() {
        const TOKENS: &[&[u8]] = &[
            b"Name: x\n",
            b"Version: 1\n",
            b"\n",
            b"[[package]]\n",
            b"name = \"a\"\n",
            b"version = \"1\"\n",
            b"{\"default\": {",
            b"\"a\": {\"version\": \"==1\"}",
            b"}",
            b"==",
            b"[",
            b"]",
            b"\\\n",
            b"#",
            b";",
            b"PK\x03\x04",
            b"\xff",
            b" --hash",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3000 {
            let mut data = Vec::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                data.extend_from_slice(TOKENS[(seed % TOKENS.len() as u64) as usize]);
            }
            fuzz_entry(&data);
        }
    }
}

#[cfg(test)]
mod record_tests {
    use super::record_digest;

    #[test]
    fn record_digests_in_base64_and_in_debians_hex() {
        let empty = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert_eq!(
            record_digest("sha256", "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU").as_deref(),
            Some(empty)
        );
        assert_eq!(
            record_digest(
                "sha256",
                "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
            )
            .as_deref(),
            Some(empty)
        );
        assert_eq!(record_digest("sha256", "not base64!"), None);
    }
}
