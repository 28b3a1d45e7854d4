//! Walks one Java archive held in memory (and the archives nested in it, never
//! written to disk) and names the packages it holds, within fixed limits so that
//! hostile archives (zip bombs, deep nesting, lying headers) cost bounded memory.

use super::parse::{self, Manifest, Pom};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

/// Bounds for one top-level archive and everything nested in it.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Archives nested deeper than this are not opened.
    pub max_depth: usize,
    /// Largest nested archive read into memory (uncompressed bytes).
    pub max_nested: u64,
    /// Largest text entry (manifest, pom files) read.
    pub max_text: u64,
    /// Uncompressed bytes read in total per top-level archive.
    pub max_total: u64,
    /// Entries looked at per archive.
    pub max_entries: usize,
    /// Maven descriptors read per archive.
    pub max_poms: usize,
    /// Highest uncompressed/compressed ratio accepted for a nested archive over 1 MiB.
    pub max_ratio: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 5,
            max_nested: 64 << 20,
            max_text: 1 << 20,
            max_total: 512 << 20,
            max_entries: 200_000,
            max_poms: 2_000,
            max_ratio: 100,
        }
    }
}

/// One package named by an archive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Found {
    /// Where inside the top-level archive: empty for the archive itself, else
    /// `:`-joined inner paths (`WEB-INF/lib/x.jar`, `x.jar:META-INF/maven/g/a/pom.properties`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub inner: String,
    /// Artifact name (Maven artifactId, or from the manifest or file name).
    pub name: String,
    /// Version; empty when unknown.
    #[serde(default)]
    pub version: String,
    /// Maven groupId (or a guess from the manifest); empty when unknown.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Licenses from the manifest or the POM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// The manifest's Implementation-, Bundle- or Specification-Vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub supplier: Option<String>,
}

/// What `extract` stores for one archive file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Summary {
    /// Packages found, the archive's own and nested ones.
    #[serde(default)]
    pub packages: Vec<Found>,
    /// Problems reading it, each naming the inner path (at most 64).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// True for file names of Java archives (case-insensitive suffix check, no allocation).
pub fn is_archive_name(path: &str) -> bool {
    const SUFFIXES: [&str; 10] = [
        ".jar", ".war", ".ear", ".jpi", ".hpi", ".par", ".sar", ".nar", ".kar", ".lpkg",
    ];
    let b = path.as_bytes();
    SUFFIXES
        .iter()
        .any(|s| b.len() > s.len() && b[b.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes()))
}

/// Catalogues the archive at `path` with the given content.
pub fn summarize(path: &str, content: &[u8], limits: Limits) -> Summary {
    let mut w = Walker {
        outer: path,
        limits,
        read_total: 0,
        summary: Summary::default(),
    };
    w.walk(content, path, "", 0);
    w.summary
}

struct Walker<'a> {
    outer: &'a str,
    limits: Limits,
    read_total: u64,
    summary: Summary,
}

fn join(inner: &str, name: &str) -> String {
    if inner.is_empty() {
        name.to_string()
    } else {
        format!("{inner}:{name}")
    }
}

/// The parent directory of a zip entry name (`META-INF/maven/g/a`).
fn dir_of(name: &str) -> &str {
    name.rfind('/').map(|i| &name[..i]).unwrap_or("")
}

struct Descriptor {
    entry: String,
    pom: Pom,
}

impl Walker<'_> {
    fn display(&self, inner: &str) -> String {
        if inner.is_empty() {
            self.outer.to_string()
        } else {
            format!("{}:{inner}", self.outer)
        }
    }

    fn warn(&mut self, inner: &str, msg: impl std::fmt::Display) {
        if self.summary.warnings.len() < 64 {
            let w = format!("{}: {msg}", self.display(inner));
            self.summary.warnings.push(w);
        }
    }

    /// Reads one entry whole, within `limit` and the total budget.
    fn read_entry(
        &mut self,
        zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
        index: usize,
        limit: u64,
        inner: &str,
    ) -> Option<Vec<u8>> {
        let mut f = match zip.by_index(index) {
            Ok(f) => f,
            Err(e) => {
                self.warn(inner, format!("unreadable entry: {e}"));
                return None;
            }
        };
        let name = f.name().map(|n| n.to_string()).unwrap_or_default();
        let declared = f.size();
        if declared > limit {
            self.warn(
                inner,
                format!("{name}: skipped, {declared} bytes is over the {limit} byte limit"),
            );
            return None;
        }
        let budget = self.limits.max_total.saturating_sub(self.read_total);
        if declared > budget {
            self.warn(inner, format!("{name}: skipped, archive read budget spent"));
            return None;
        }
        let cap = limit.min(budget);
        let mut buf = Vec::with_capacity(declared.min(cap).min(16 << 20) as usize);
        let res = (&mut f).take(cap + 1).read_to_end(&mut buf);
        self.read_total += buf.len() as u64;
        if let Err(e) = res {
            self.warn(inner, format!("{name}: unreadable entry: {e}"));
            return None;
        }
        if buf.len() as u64 > cap {
            self.warn(
                inner,
                format!("{name}: skipped, larger than declared and over the limit"),
            );
            return None;
        }
        Some(buf)
    }

    fn walk(&mut self, content: &[u8], file_name: &str, inner: &str, depth: usize) {
        let mut zip = match zip::ZipArchive::new(Cursor::new(content)) {
            Ok(z) => z,
            Err(e) => {
                self.warn(inner, format!("not a readable zip archive: {e}"));
                return;
            }
        };
        let count = zip.len();
        if count > self.limits.max_entries {
            self.warn(
                inner,
                format!(
                    "{count} entries; only the first {} were examined",
                    self.limits.max_entries
                ),
            );
        }
        let mut manifest_idx = None;
        let mut props_idx: Vec<(usize, String)> = Vec::new();
        let mut xml_idx: Vec<(usize, String)> = Vec::new();
        let mut nested: Vec<(usize, String, u64, u64)> = Vec::new();
        for i in 0..count.min(self.limits.max_entries) {
            let Ok(e) = zip.by_index_data(i) else { continue };
            if e.is_dir() {
                continue;
            }
            let Ok(name) = e.name() else { continue };
            let name = name.trim_start_matches('/');
            if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                manifest_idx.get_or_insert(i);
            } else if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
                props_idx.push((i, name.to_string()));
            } else if name.starts_with("META-INF/maven/") && name.ends_with("/pom.xml") {
                xml_idx.push((i, name.to_string()));
            } else if is_archive_name(name) {
                nested.push((i, name.to_string(), e.size(), e.compressed_size()));
            }
        }
        let text_limit = self.limits.max_text;
        let manifest = manifest_idx
            .and_then(|i| self.read_entry(&mut zip, i, text_limit, inner))
            .map(|b| parse::parse_manifest(&String::from_utf8_lossy(&b)));
        if props_idx.len() + xml_idx.len() > self.limits.max_poms {
            self.warn(
                inner,
                format!(
                    "{} Maven descriptors; only {} were read",
                    props_idx.len() + xml_idx.len(),
                    self.limits.max_poms
                ),
            );
        }
        props_idx.sort_by(|a, b| a.1.cmp(&b.1));
        xml_idx.sort_by(|a, b| a.1.cmp(&b.1));
        let mut budget = self.limits.max_poms;
        let mut props: Vec<Descriptor> = Vec::new();
        for (i, name) in props_idx {
            if budget == 0 {
                break;
            }
            budget -= 1;
            if let Some(b) = self.read_entry(&mut zip, i, text_limit, inner) {
                let pom = parse::parse_pom_properties(&String::from_utf8_lossy(&b));
                if !pom.artifact.is_empty() && !pom.version.is_empty() {
                    props.push(Descriptor { entry: name, pom });
                }
            }
        }
        let mut projects: BTreeMap<String, Descriptor> = BTreeMap::new();
        for (i, name) in xml_idx {
            if budget == 0 {
                break;
            }
            budget -= 1;
            if let Some(b) = self.read_entry(&mut zip, i, text_limit, inner) {
                let pom = parse::parse_pom_xml(&String::from_utf8_lossy(&b));
                projects.insert(dir_of(&name).to_string(), Descriptor { entry: name, pom });
            }
        }

        let base = file_name.rsplit('/').next().unwrap_or(file_name);
        let main = main_package(manifest.as_ref(), base, &props, &projects);
        let (mut main_found, matched) = match main {
            Some((f, entry)) => (
                Some(Found {
                    inner: inner.to_string(),
                    ..f
                }),
                entry,
            ),
            None => (None, None),
        };
        let mut contained = Vec::new();
        for d in &props {
            if Some(d.entry.as_str()) == matched.as_deref() {
                continue;
            }
            let project = projects.get(dir_of(&d.entry)).map(|p| &p.pom);
            if let Some(m) = main_found.as_mut() {
                if m.name == d.pom.artifact {
                    // The archive's own descriptor: it completes the main package.
                    if m.group.is_empty() {
                        m.group = group_of(&d.pom, project, None, &m.name);
                    }
                    if m.version.is_empty() {
                        m.version = d.pom.version.clone();
                    }
                    continue;
                }
            }
            contained.push(Found {
                inner: join(inner, &d.entry),
                name: d.pom.artifact.clone(),
                version: d.pom.version.clone(),
                group: group_of(&d.pom, project, None, &d.pom.artifact),
                licenses: project.map(|p| p.licenses.clone()).unwrap_or_default(),
                supplier: None,
            });
        }
        if let Some(m) = main_found {
            self.summary.packages.push(m);
        }
        self.summary.packages.extend(contained);

        for (i, name, size, compressed) in nested {
            let child = join(inner, &name);
            if depth + 1 > self.limits.max_depth {
                self.warn(
                    &child,
                    format!("not opened: nested deeper than {} archives", self.limits.max_depth),
                );
                continue;
            }
            if size > 1 << 20 && size / compressed.max(1) > self.limits.max_ratio {
                self.warn(
                    &child,
                    format!("not opened: compression ratio over {}:1", self.limits.max_ratio),
                );
                continue;
            }
            let limit = self.limits.max_nested;
            let Some(bytes) = self.read_entry(&mut zip, i, limit, inner) else {
                continue;
            };
            self.walk(&bytes, &name, &child, depth + 1);
        }
    }
}

/// The archive's own package, with the descriptor entry that named it (if any).
/// Order: a `pom.properties` whose artifactId matches the file name, a matching
/// `pom.xml`, then the manifest and the file name. Without a manifest, only a
/// matching Maven descriptor makes a main package.
fn main_package(
    manifest: Option<&Manifest>,
    file_name: &str,
    props: &[Descriptor],
    projects: &BTreeMap<String, Descriptor>,
) -> Option<(Found, Option<String>)> {
    let (fname, fversion) = parse::name_version_from_filename(file_name);
    let matches = |artifact: &str| {
        !artifact.is_empty() && !fname.is_empty() && (artifact.starts_with(&fname) || fname.ends_with(artifact))
    };
    let from_props = best(props.iter().filter(|d| matches(&d.pom.artifact)).collect(), &fname);
    let from_xml = if from_props.is_none() {
        best(projects.values().filter(|d| matches(&d.pom.artifact)).collect(), &fname)
    } else {
        None
    };
    if manifest.is_none() && from_props.is_none() && from_xml.is_none() {
        return None;
    }
    let project = from_props
        .and_then(|d| projects.get(dir_of(&d.entry)))
        .or(from_xml)
        .map(|d| &d.pom);
    let pom = from_props.map(|d| &d.pom).or(project);

    let mut name = pom.map(|p| p.artifact.clone()).unwrap_or_default();
    if name.is_empty() {
        name = select_name(manifest, &fname);
    }
    if name.is_empty() {
        return None;
    }
    let mut version = pom
        .map(|p| p.version.clone())
        .filter(|v| !v.is_empty() && !v.contains("${"))
        .unwrap_or_default();
    if version.is_empty() {
        version = fversion;
    }
    if version.is_empty() {
        if let Some(m) = manifest {
            version = [
                "Implementation-Version",
                "Specification-Version",
                "Plugin-Version",
                "Bundle-Version",
            ]
            .iter()
            .find_map(|k| m.get_any(k))
            .unwrap_or("")
            .to_string();
        }
    }
    let group = match pom {
        Some(p) => group_of(p, project, manifest, &name),
        None => group_from_manifest(manifest),
    };
    let mut licenses: Vec<String> = manifest
        .map(|m| {
            ["Bundle-License", "Plugin-License-Name"]
                .iter()
                .filter_map(|k| m.get_any(k))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    if licenses.is_empty() {
        licenses = project.map(|p| p.licenses.clone()).unwrap_or_default();
    }
    let supplier = manifest
        .and_then(|m| {
            m.get("Implementation-Vendor")
                .or(m.get("Bundle-Vendor"))
                .or(m.get("Specification-Vendor"))
        })
        .map(str::to_string);
    let entry = from_props.or(from_xml).map(|d| d.entry.clone());
    Some((
        Found {
            inner: String::new(),
            name,
            version,
            group,
            licenses,
            supplier,
        },
        entry,
    ))
}

/// The exact artifactId match, else the first candidate.
fn best<'a>(cands: Vec<&'a Descriptor>, fname: &str) -> Option<&'a Descriptor> {
    cands
        .iter()
        .find(|d| d.pom.artifact == fname)
        .or_else(|| cands.first())
        .copied()
}

/// The package name from the manifest and file name when no Maven descriptor names it.
fn select_name(manifest: Option<&Manifest>, fname: &str) -> String {
    if let Some(m) = manifest {
        // The Maven Bundle Plugin derives Bundle-SymbolicName from groupId.artifactId.
        if m.get("Created-By")
            .is_some_and(|c| c.contains("Apache Maven Bundle Plugin"))
        {
            if let Some(sym) = m.get("Bundle-SymbolicName") {
                let sym = sym.split(';').next().unwrap_or(sym).trim();
                if !sym.is_empty() && m.get("Implementation-Vendor-Id") != Some(sym) {
                    return sym.rsplit('.').next().unwrap_or(sym).to_string();
                }
            }
        }
    }
    let from_file = parse::artifact_from_filename_name(fname);
    if !from_file.is_empty() {
        return from_file;
    }
    manifest
        .and_then(|m| {
            [
                "Name",
                "Bundle-Name",
                "Short-Name",
                "Extension-Name",
                "Implementation-Title",
            ]
            .iter()
            .find_map(|k| m.get(k))
        })
        .unwrap_or("")
        .to_string()
}

const DOMAINS: [&str; 5] = ["com", "org", "net", "io", "be"];

fn looks_like_domain(v: &str) -> bool {
    DOMAINS.iter().any(|d| v.starts_with(d))
}

fn clean_group(v: &str) -> String {
    v.split(';').next().unwrap_or(v).trim().to_string()
}

/// The groupId of a Maven descriptor: its own, its pom.xml's, its parent's, then
/// the manifest's guess.
fn group_of(pom: &Pom, project: Option<&Pom>, manifest: Option<&Manifest>, name: &str) -> String {
    if !pom.group.is_empty() && !pom.group.contains("${") {
        return clean_group(&pom.group);
    }
    if pom.artifact.contains('.') && pom.artifact != name {
        return clean_group(&pom.artifact);
    }
    if let Some(p) = project {
        for g in [&p.group, &p.parent_group] {
            if !g.is_empty() && !g.contains("${") {
                return clean_group(g);
            }
        }
    }
    group_from_manifest(manifest)
}

/// A groupId guess from domain-like manifest values (`org.apache`,
/// `org.mongodb.bson`): the shortest-sorting candidate of the primary fields, else
/// of the secondary ones.
fn group_from_manifest(manifest: Option<&Manifest>) -> String {
    let Some(m) = manifest else { return String::new() };
    const PRIMARY: [&str; 7] = [
        "Bundle-SymbolicName",
        "Extension-Name",
        "Specification-Vendor",
        "Implementation-Vendor",
        "Implementation-Vendor-Id",
        "Implementation-Title",
        "Bundle-Activator",
    ];
    const SECONDARY: [&str; 3] = ["Automatic-Module-Name", "Main-Class", "Package"];
    for fields in [&PRIMARY[..], &SECONDARY[..]] {
        let mut cands: Vec<String> = fields
            .iter()
            .filter_map(|k| m.get(k))
            .filter(|v| looks_like_domain(v))
            .map(clean_group)
            .filter(|v| !v.is_empty())
            .collect();
        cands.sort();
        if let Some(c) = cands.into_iter().next() {
            return c;
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes() {
        assert!(is_archive_name("/usr/share/java/a.JAR"));
        assert!(is_archive_name("x/y.war"));
        assert!(!is_archive_name(".jar"));
        assert!(!is_archive_name("/a/jar"));
        assert!(!is_archive_name("/a/b.jar.sha1"));
    }

    #[test]
    fn manifest_group_guess() {
        let m = parse::parse_manifest(
            "Bundle-SymbolicName: org.apache.commons.logging\nImplementation-Vendor-Id: org.apache\nImplementation-Vendor: The Apache Software Foundation\n",
        );
        assert_eq!(group_from_manifest(Some(&m)), "org.apache");
        let m = parse::parse_manifest("Bundle-SymbolicName: org.mongodb.bson;singleton:=true\n");
        assert_eq!(group_from_manifest(Some(&m)), "org.mongodb.bson");
    }

    #[test]
    fn garbage_is_a_warning() {
        let s = summarize("/x.jar", b"PK\x03\x04 not really", Limits::default());
        assert!(s.packages.is_empty());
        assert_eq!(s.warnings.len(), 1);
        assert!(s.warnings[0].starts_with("/x.jar: not a readable zip archive"));
    }
}
