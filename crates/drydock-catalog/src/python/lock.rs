//! Declared Python dependencies, counted as evidence in directory scans only: pinned
//! `requirements*.txt` lines, `poetry.lock`, `Pipfile.lock`, `uv.lock`, `pdm.lock`.

use super::{identify, normalize_name, requirement_name, DECLARED_BY};
use crate::lenient::{self, Obj, Str};
use crate::Output;
use drydock_model::{path, FileTree};
use drydock_sbom::{Location, Package, PackageType};
use std::collections::BTreeMap;

/// One declared package: name, version and the (normalised) names it depends on.
#[derive(Debug, PartialEq)]
struct Declared {
    name: String,
    version: String,
    depends: Vec<String>,
}

#[derive(Clone, Copy)]
enum Kind {
    Requirements,
    Poetry,
    Pipfile,
    Uv,
    Pdm,
}

fn kind(p: &str) -> Option<Kind> {
    match path::file_name(p) {
        "poetry.lock" => Some(Kind::Poetry),
        "Pipfile.lock" => Some(Kind::Pipfile),
        "uv.lock" => Some(Kind::Uv),
        "pdm.lock" => Some(Kind::Pdm),
        n if n.ends_with(".txt") && n.contains("requirements") => Some(Kind::Requirements),
        _ => None,
    }
}

/// Cheap: true for the file names above.
pub(super) fn wants(p: &str) -> bool {
    kind(p).is_some()
}

/// Packages from every captured lock file and requirements file.
pub(super) fn catalog(tree: &FileTree, out: &mut Output) {
    for (p, entry) in tree.entries() {
        if entry.kind != drydock_model::FileKind::Regular {
            continue;
        }
        let Some(k) = kind(p) else { continue };
        let Some(content) = tree.read(p) else { continue };
        let text = String::from_utf8_lossy(content);
        match parse(k, &text) {
            Ok(found) => {
                for d in found {
                    let mut pkg = Package::new(PackageType::Python, d.name, d.version, DECLARED_BY);
                    pkg.locations.push(Location {
                        path: p.to_string(),
                        layer: entry.layer,
                        layer_digest: String::new(),
                    });
                    pkg.depends = d.depends.into_iter().map(|n| vec![n]).collect();
                    identify(&mut pkg, None);
                    out.packages.push(pkg);
                }
            }
            Err(e) => out.warnings.push(format!("{p}: {e}")),
        }
    }
}

fn parse(k: Kind, text: &str) -> Result<Vec<Declared>, String> {
    match k {
        Kind::Requirements => Ok(requirements(text)),
        Kind::Pipfile => pipfile_lock(text),
        Kind::Poetry => toml_packages(text, TomlFlavour::Poetry),
        Kind::Uv => toml_packages(text, TomlFlavour::Uv),
        Kind::Pdm => toml_packages(text, TomlFlavour::Pdm),
    }
}

/// Runs every parser on arbitrary bytes (for fuzzing).
pub(super) fn fuzz_entry(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for k in [Kind::Requirements, Kind::Poetry, Kind::Pipfile, Kind::Uv, Kind::Pdm] {
        let _ = parse(k, &text);
    }
}

/// Pinned requirements (`name[extras]==version` or `===version`); unpinned ones,
/// options (`-r`, `-e`, `--index-url`), URLs and paths are not packages with a known
/// version and are skipped. Markers after `;` and per-line options (`--hash`) are cut.
fn requirements(text: &str) -> Vec<Declared> {
    let mut out = Vec::new();
    let mut logical = String::new();
    for raw in text.lines() {
        let line = strip_comment(raw);
        if let Some(head) = line.strip_suffix('\\') {
            logical.push_str(head);
            logical.push(' ');
            continue;
        }
        logical.push_str(line);
        if let Some(d) = pinned(&logical) {
            out.push(d);
        }
        logical.clear();
    }
    if let Some(d) = pinned(&logical) {
        out.push(d);
    }
    out
}

/// The line without a `#` comment (one at the start or after whitespace).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return line[..i].trim_end();
        }
    }
    line.trim_end()
}

fn pinned(line: &str) -> Option<Declared> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('-') || line.contains("://") {
        return None;
    }
    let req = line.split(';').next().unwrap_or("");
    let req = match req.find(" --").or_else(|| req.find("\t--")) {
        Some(i) => &req[..i],
        None => req,
    }
    .trim();
    let name_end = req
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(req.len());
    let name = &req[..name_end];
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rest = req[name_end..].trim_start();
    if let Some(extras) = rest.strip_prefix('[') {
        rest = extras.split_once(']')?.1.trim_start();
    }
    let version = rest.strip_prefix("===").or_else(|| rest.strip_prefix("=="))?.trim();
    let valid = !version.is_empty()
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '!' | '-' | '_'));
    valid.then(|| Declared {
        name: name.to_string(),
        version: version.to_string(),
        depends: Vec::new(),
    })
}

/// The sections of a `Pipfile.lock` that are read (typed, streamed; hashes and the rest
/// are skipped unread).
#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Pipfile {
    default: Obj<BTreeMap<String, Obj<PipfileEntry>>>,
    develop: Obj<BTreeMap<String, Obj<PipfileEntry>>>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PipfileEntry {
    version: Str,
}

/// `Pipfile.lock`: `default` and `develop` objects of `name: {"version": "==1.2"}`;
/// entries without a pinned version (VCS, paths) are skipped.
fn pipfile_lock(text: &str) -> Result<Vec<Declared>, String> {
    let lock: Pipfile = lenient::document(text.as_bytes())
        .map_err(|e| format!("invalid JSON: {e}"))?
        .ok_or("not a JSON object")?;
    let mut out = Vec::new();
    for section in [lock.default, lock.develop] {
        let Some(entries) = section.0 else { continue };
        for (name, spec) in entries {
            let version = spec.0.and_then(|s| s.version.0).and_then(|v| {
                v.strip_prefix("===")
                    .or_else(|| v.strip_prefix("=="))
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            });
            if let Some(version) = version {
                out.push(Declared {
                    name,
                    version,
                    depends: Vec::new(),
                });
            }
        }
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq)]
enum TomlFlavour {
    /// `[package.dependencies]` is a table keyed by name.
    Poetry,
    /// `dependencies = [{ name = "..." }]`; `source` says where it came from.
    Uv,
    /// `dependencies = ["requirement string"]`.
    Pdm,
}

/// The `[[package]]` array shared by `poetry.lock`, `uv.lock` and `pdm.lock`.
fn toml_packages(text: &str, flavour: TomlFlavour) -> Result<Vec<Declared>, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| format!("invalid TOML: {}", e.message()))?;
    let Some(packages) = doc.get("package") else {
        return Ok(Vec::new());
    };
    let packages = packages.as_array().ok_or("`package` is not an array of tables")?;
    let mut out = Vec::new();
    for pkg in packages.iter().filter_map(|p| p.as_table()) {
        let str_of = |k: &str| pkg.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty());
        let (Some(name), Some(version)) = (str_of("name"), str_of("version")) else {
            continue;
        };
        if flavour == TomlFlavour::Uv {
            // The project itself and workspace members are local sources, not packages.
            let source = pkg.get("source").and_then(|s| s.as_table());
            if source.is_some_and(|s| s.contains_key("virtual") || s.contains_key("editable")) {
                continue;
            }
        }
        let depends: Vec<String> = match (flavour, pkg.get("dependencies")) {
            (TomlFlavour::Poetry, Some(toml::Value::Table(t))) => t.keys().map(|k| normalize_name(k)).collect(),
            (TomlFlavour::Uv, Some(toml::Value::Array(a))) => a
                .iter()
                .filter_map(|d| d.get("name").and_then(|n| n.as_str()))
                .map(normalize_name)
                .collect(),
            (TomlFlavour::Pdm, Some(toml::Value::Array(a))) => {
                a.iter().filter_map(|d| d.as_str()).map(requirement_name).collect()
            }
            _ => Vec::new(),
        };
        let mut depends: Vec<String> = depends.into_iter().filter(|d| !d.is_empty()).collect();
        depends.sort();
        depends.dedup();
        out.push(Declared {
            name: name.to_string(),
            version: version.to_string(),
            depends,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(found: &[Declared]) -> Vec<String> {
        found.iter().map(|d| format!("{}@{}", d.name, d.version)).collect()
    }

    #[test]
    fn only_pinned_requirements_count() {
        let text = "# comment\n-r base.txt\n-e git+https://h/x.git#egg=x\n--index-url https://pypi.org/simple\n\
                    Django==4.2.7 ; python_version >= \"3.8\"\nrequests[socks] == 2.31.0 \\\n    --hash=sha256:abc \\\n    --hash=sha256:def\n\
                    flask>=2.0\nnumpy==1.*\narrow===1.3.0  # exact\nurllib3==2.0.7,<3\nlocal @ file:///src/local\n./vendored\n";
        assert_eq!(
            pairs(&requirements(text)),
            ["Django@4.2.7", "requests@2.31.0", "arrow@1.3.0"]
        );
        assert!(requirements("==1.0\n[x]==2\n").is_empty());
    }

    #[test]
    fn pipfile_lock_sections() {
        let text = r#"{"_meta": {}, "default": {"requests": {"version": "==2.31.0"}, "vcs": {"git": "https://h/x"}},
                      "develop": {"pytest": {"version": "==7.4.3"}}}"#;
        assert_eq!(pairs(&pipfile_lock(text).unwrap()), ["requests@2.31.0", "pytest@7.4.3"]);
        assert!(pipfile_lock("[1]").is_err());
        assert!(pipfile_lock("{\"default\": ").unwrap_err().contains("invalid JSON"));
    }

    #[test]
    fn toml_lock_flavours() {
        let poetry = "[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\n\n[package.dependencies]\ncharset-normalizer = \">=2,<4\"\nIDNA = \">=2.5\"\n";
        let found = toml_packages(poetry, TomlFlavour::Poetry).unwrap();
        assert_eq!(pairs(&found), ["requests@2.31.0"]);
        assert_eq!(found[0].depends, ["charset-normalizer", "idna"]);

        let uv = "version = 1\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n\
                  dependencies = [{ name = \"anyio\" }]\n[[package]]\nname = \"anyio\"\nversion = \"4.1.0\"\n\
                  source = { registry = \"https://pypi.org/simple\" }\ndependencies = [{ name = \"idna\" }]\n\
                  [[package]]\nname = \"dynamic\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        let found = toml_packages(uv, TomlFlavour::Uv).unwrap();
        assert_eq!(pairs(&found), ["anyio@4.1.0"]);
        assert_eq!(found[0].depends, ["idna"]);

        let pdm = "[[package]]\nname = \"sniffio\"\nversion = \"1.3.0\"\ndependencies = [\"Exceptiongroup>=1; python_version < '3.11'\"]\n";
        let found = toml_packages(pdm, TomlFlavour::Pdm).unwrap();
        assert_eq!(found[0].depends, ["exceptiongroup"]);

        assert!(toml_packages("package = 3", TomlFlavour::Poetry).is_err());
        assert!(toml_packages("[[package]\n", TomlFlavour::Poetry)
            .unwrap_err()
            .contains("invalid TOML"));
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowed() {
        let deep = format!("x = {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(toml_packages(&deep, TomlFlavour::Uv).is_err());
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(pipfile_lock(&deep).is_err());
    }
}
