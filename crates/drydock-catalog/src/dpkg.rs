//! Debian packages: `/var/lib/dpkg/status` and distroless `/var/lib/dpkg/status.d/*`,
//! with file lists (`info/*.list`), digests (`info/*.md5sums`) and licenses from
//! machine-readable `/usr/share/doc/*/copyright` files.

use crate::{distro_qualifier, Cataloger, Context, Output, MAX_PACKAGES_PER_DB};
use drydock_model::FileTree;
use drydock_sbom::{cpe, Location, Package, PackageFile, PackageType, Purl};
use std::borrow::Cow;
use std::collections::BTreeSet;

const STATUS: &str = "/var/lib/dpkg/status";
const STATUS_D: &str = "/var/lib/dpkg/status.d/";
const INFO: &str = "/var/lib/dpkg/info/";
const DOC: &str = "/usr/share/doc/";

/// The dpkg cataloger.
pub struct Dpkg;

impl Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg-db-cataloger"
    }

    fn wants(&self, path: &str) -> bool {
        if path == STATUS {
            return true;
        }
        if let Some(rest) = path.strip_prefix(STATUS_D) {
            return !rest.contains('/');
        }
        if let Some(rest) = path.strip_prefix(INFO) {
            return !rest.contains('/') && (rest.ends_with(".list") || rest.ends_with(".md5sums"));
        }
        if let Some(rest) = path.strip_prefix(DOC) {
            return rest
                .split_once('/')
                .is_some_and(|(pkg, f)| !pkg.is_empty() && f == "copyright");
        }
        false
    }

    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output) {
        let mut sources: Vec<(String, bool)> = Vec::new();
        if tree.read(STATUS).is_some() {
            sources.push((STATUS.to_string(), false));
        }
        for (path, _) in tree.captured_under(STATUS_D) {
            if !path.ends_with(".md5sums") {
                sources.push((path.to_string(), true));
            }
        }
        for (path, distroless) in sources {
            read_db(tree, ctx, &path, distroless, MAX_PACKAGES_PER_DB, out);
        }
    }
}

/// Reads the packages of one status file, at most `max` of them, stanza by stanza.
fn read_db(tree: &FileTree, ctx: &Context<'_>, path: &str, distroless: bool, max: usize, out: &mut Output) {
    let Some(content) = tree.read(path) else { return };
    let text = String::from_utf8_lossy(content);
    let layer = tree.entry(path).map(|e| e.layer).unwrap_or(0);
    let wanted = |k: &str| WANTED.iter().any(|w| w.eq_ignore_ascii_case(k));
    let mut found = 0usize;
    for (n, para) in paragraphs_with(&text, wanted).enumerate() {
        if found >= max {
            out.warnings
                .push(format!("{path}: more than {max} packages; the rest are skipped"));
            break;
        }
        match package_from(&para, path, layer, distroless, tree, ctx) {
            Ok(Some(p)) => {
                found += 1;
                out.packages.push(p);
            }
            Ok(None) => {}
            Err(reason) => out.warnings.push(format!("{path}: entry {}: {reason}", n + 1)),
        }
    }
}

/// One control-file paragraph as (field, value) pairs, continuation lines joined. Values
/// borrow from the text unless continuation lines had to be joined.
type Paragraph<'a> = Vec<(&'a str, Cow<'a, str>)>;

/// Fields the cataloger reads; the others (descriptions, conffiles lists) are skipped
/// without being copied.
const WANTED: &[&str] = &[
    "Package",
    "Status",
    "Version",
    "Architecture",
    "Source",
    "Maintainer",
    "Installed-Size",
    "Pre-Depends",
    "Depends",
    "Provides",
];

/// Splits a control file into paragraphs of fields, one paragraph at a time.
pub fn paragraphs(text: &str) -> impl Iterator<Item = Paragraph<'_>> + '_ {
    paragraphs_with(text, |_| true)
}

/// Like [`paragraphs`], keeping only the fields `keep` accepts (and skipping their
/// continuation lines unread).
fn paragraphs_with<'a>(text: &'a str, keep: impl Fn(&str) -> bool + 'a) -> impl Iterator<Item = Paragraph<'a>> + 'a {
    let mut lines = text.lines();
    std::iter::from_fn(move || {
        let mut para: Paragraph<'a> = Vec::new();
        // Whether the last field line started a paragraph (a skipped field still does).
        let mut started = false;
        let mut skipping = false;
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                if !started {
                    continue;
                }
                return Some(para);
            }
            if line.starts_with(' ') || line.starts_with('\t') {
                if skipping {
                    continue;
                }
                if let Some((_, v)) = para.last_mut() {
                    let v = v.to_mut();
                    v.push('\n');
                    v.push_str(line.trim_start());
                }
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                started = true;
                let k = k.trim();
                skipping = !keep(k);
                if !skipping {
                    para.push((k, Cow::Borrowed(v.trim())));
                }
            } else {
                skipping = true;
            }
        }
        started.then_some(para)
    })
}

/// Runs the status-file parser on arbitrary bytes (for fuzzing).
pub fn fuzz_entry(data: &[u8]) {
    let ctx = Context {
        distro: None,
        directory_scan: false,
    };
    Dpkg.catalog(&tree_with_status(data), &ctx, &mut Output::default());
}

/// A tree holding only `/var/lib/dpkg/status` with the given content.
fn tree_with_status(data: &[u8]) -> FileTree {
    let mut layer = drydock_model::LayerIndex::default();
    layer.captured.insert(STATUS.to_string(), data.into());
    layer.entries.insert(
        STATUS.to_string(),
        drydock_model::FileEntry {
            kind: drydock_model::FileKind::Regular,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: data.len() as u64,
            link: None,
            layer: 0,
        },
    );
    let mut tree = FileTree::new(8);
    tree.apply(&layer);
    tree
}

fn field<'a>(para: &'a Paragraph<'_>, name: &str) -> Option<&'a str> {
    para.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

fn package_from(
    para: &Paragraph<'_>,
    path: &str,
    layer: usize,
    distroless: bool,
    tree: &FileTree,
    ctx: &Context<'_>,
) -> Result<Option<Package>, String> {
    let name = field(para, "Package").ok_or("no Package field")?;
    if name.is_empty() {
        return Err("empty Package field".into());
    }
    if let Some(status) = field(para, "Status") {
        let state = status.split_whitespace().nth(2).unwrap_or("");
        if matches!(state, "not-installed" | "config-files") {
            return Ok(None);
        }
    }
    let version = field(para, "Version").ok_or_else(|| format!("package {name} has no Version"))?;
    let arch = field(para, "Architecture").unwrap_or("").to_string();
    let (source_name, source_version) = match field(para, "Source") {
        Some(src) => match src.split_once('(') {
            Some((n, v)) => (n.trim().to_string(), Some(v.trim_end_matches(')').trim().to_string())),
            None => (src.trim().to_string(), None),
        },
        None => (String::new(), None),
    };
    let mut p = Package::new(PackageType::Deb, name, version, "dpkg-db-cataloger");
    p.architecture = (!arch.is_empty()).then(|| arch.clone());
    p.source_name = (!source_name.is_empty() && source_name != name).then(|| source_name.clone());
    p.source_version = source_version.filter(|v| v != version);
    p.supplier = field(para, "Maintainer").map(str::to_string);
    p.installed_size = field(para, "Installed-Size")
        .and_then(|s| s.parse::<u64>().ok())
        .map(|k| k * 1024);
    p.locations.push(Location {
        path: path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.files = package_files(name, &arch, distroless, tree);
    p.depends = ["Pre-Depends", "Depends"]
        .iter()
        .filter_map(|f| field(para, f))
        .flat_map(|v| v.split(','))
        .map(|group| {
            group
                .split('|')
                .map(relation_name)
                .filter(|n| !n.is_empty())
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect();
    p.provides = field(para, "Provides")
        .map(|v| v.split(',').map(relation_name).filter(|n| !n.is_empty()).collect())
        .unwrap_or_default();
    p.licenses = licenses(name, tree);

    let distro = ctx.distro;
    let namespace = distro.map(|d| d.id.clone()).unwrap_or_else(|| "debian".into());
    let mut purl = Purl::new("deb", name)
        .namespace(namespace.clone())
        .version(version)
        .qualifier("arch", arch.as_str())
        .qualifier("distro", distro_qualifier(distro));
    if !source_name.is_empty() && source_name != name {
        let upstream = match &p.source_version {
            Some(v) => format!("{source_name}@{v}"),
            None => source_name.clone(),
        };
        purl = purl.qualifier("upstream", upstream);
    }
    p.purl = purl.to_string();
    p.cpes = cpe::for_os_package(name, upstream_version(version), Some(&namespace));
    p.compute_id();
    Ok(Some(p))
}

/// The package name of one relation (`libc6 (>= 2.34)`, `python3:any`).
fn relation_name(rel: &str) -> String {
    let name = rel
        .trim()
        .split(|c: char| c.is_whitespace() || c == '(' || c == '[')
        .next()
        .unwrap_or("");
    name.split(':').next().unwrap_or("").to_string()
}

/// The upstream part of a Debian version (no epoch, no revision).
pub fn upstream_version(v: &str) -> &str {
    let v = v.split_once(':').map(|(_, r)| r).unwrap_or(v);
    match v.rfind('-') {
        Some(i) => &v[..i],
        None => v,
    }
}

fn package_files(name: &str, arch: &str, distroless: bool, tree: &FileTree) -> Vec<PackageFile> {
    let candidates: Vec<String> = if distroless {
        vec![format!("{STATUS_D}{name}.md5sums")]
    } else {
        vec![format!("{INFO}{name}:{arch}"), format!("{INFO}{name}")]
    };
    let mut files: BTreeSet<String> = BTreeSet::new();
    let mut digests: Vec<(String, String)> = Vec::new();
    for base in &candidates {
        let list = if distroless {
            None
        } else {
            tree.read(&format!("{base}.list"))
        };
        if let Some(list) = list {
            for line in String::from_utf8_lossy(list).lines() {
                let l = line.trim();
                if l.starts_with('/') && l != "/." {
                    files.insert(l.to_string());
                }
            }
        }
        let md5 = if distroless {
            tree.read(base)
        } else {
            tree.read(&format!("{base}.md5sums"))
        };
        if let Some(md5) = md5 {
            for line in String::from_utf8_lossy(md5).lines() {
                if let Some((hash, path)) = line.split_once(char::is_whitespace) {
                    let path = path.trim();
                    if hash.len() == 32 && hash.bytes().all(|b| b.is_ascii_hexdigit()) && !path.is_empty() {
                        let abs = if path.starts_with('/') {
                            path.to_string()
                        } else {
                            format!("/{path}")
                        };
                        digests.push((abs, format!("md5:{}", hash.to_ascii_lowercase())));
                    }
                }
            }
        }
        if !files.is_empty() || !digests.is_empty() {
            break;
        }
    }
    // Directories listed in .list files are not files the package owns exclusively.
    // A listed path that is the parent of another listed path is a directory too.
    let parents: BTreeSet<String> = files
        .iter()
        .zip(files.iter().skip(1))
        .filter(|(a, b)| b.len() > a.len() && b.starts_with(a.as_str()) && b.as_bytes()[a.len()] == b'/')
        .map(|(a, _)| a.clone())
        .collect();
    files.retain(|f| {
        !parents.contains(f)
            && tree
                .entry(f)
                .is_none_or(|e| e.kind != drydock_model::FileKind::Directory)
    });
    let digest_of: std::collections::HashMap<&str, &str> =
        digests.iter().map(|(p, d)| (p.as_str(), d.as_str())).collect();
    let mut out: Vec<PackageFile> = files
        .iter()
        .map(|f| PackageFile {
            path: f.clone(),
            digest: digest_of.get(f.as_str()).map(|d| d.to_string()),
        })
        .collect();
    for (p, d) in &digests {
        if !files.contains(p) {
            out.push(PackageFile {
                path: p.clone(),
                digest: Some(d.clone()),
            });
        }
    }
    out.sort();
    out
}

/// License names from a package's copyright file: `License:` fields of the
/// machine-readable format and references to `/usr/share/common-licenses/`.
fn licenses(name: &str, tree: &FileTree) -> Vec<String> {
    let Some(text) = tree.read(&format!("{DOC}{name}/copyright")) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(text);
    let mut found: BTreeSet<String> = BTreeSet::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("License:") {
            let v = v.trim();
            if let Some(first) = v.split_whitespace().next() {
                if v.split_whitespace().count() == 1 && first.len() < 64 {
                    found.insert(first.trim_end_matches(',').to_string());
                } else {
                    // "GPL-2+ or Artistic": keep each named license.
                    for part in v.split(|c: char| c.is_whitespace() || c == ',') {
                        let part = part.trim();
                        let lower = part.to_ascii_lowercase();
                        if !part.is_empty() && lower != "or" && lower != "and" && lower != "with" && part.len() < 64 {
                            found.insert(part.to_string());
                        }
                    }
                }
            }
        }
        if let Some(i) = line.find("/usr/share/common-licenses/") {
            let rest = &line[i + "/usr/share/common-licenses/".len()..];
            let lic: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
                .collect();
            let lic = lic.trim_end_matches('.').to_string();
            if !lic.is_empty() {
                found.insert(lic);
            }
        }
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_join_continuation_lines() {
        let text = "Package: a\nDescription: x\n more\n\n\nPackage: b\nVersion: 1\n";
        let ps: Vec<Paragraph> = paragraphs(text).collect();
        let wanted: Vec<Paragraph> = paragraphs_with("Description: x\n more\nPackage: a\n\nDescription: only\n", |k| {
            k == "Package"
        })
        .collect();
        assert_eq!(wanted.len(), 2);
        assert_eq!(field(&wanted[0], "Package"), Some("a"));
        assert!(wanted[1].is_empty());
        assert_eq!(ps.len(), 2);
        assert_eq!(field(&ps[0], "description"), Some("x\nmore"));
        assert_eq!(field(&ps[1], "Version"), Some("1"));
    }

    #[test]
    fn packages_per_database_are_capped() {
        let text: String = (0..5)
            .map(|i| format!("Package: p{i}\nStatus: install ok installed\nVersion: 1\n\n"))
            .collect();
        let tree = tree_with_status(text.as_bytes());
        let ctx = Context {
            distro: None,
            directory_scan: false,
        };
        let mut out = Output::default();
        read_db(&tree, &ctx, STATUS, false, 2, &mut out);
        assert_eq!(out.packages.len(), 2);
        assert_eq!(
            out.warnings,
            ["/var/lib/dpkg/status: more than 2 packages; the rest are skipped"]
        );
        let mut out = Output::default();
        Dpkg.catalog(&tree, &ctx, &mut out);
        assert_eq!((out.packages.len(), out.warnings.len()), (5, 0));
    }

    #[test]
    fn upstream_versions() {
        assert_eq!(upstream_version("1:2.38.1-5+deb12u3"), "2.38.1");
        assert_eq!(upstream_version("3.0.15-1~deb12u1"), "3.0.15");
        assert_eq!(upstream_version("20230311"), "20230311");
    }
}
