//! .NET: `*.deps.json` files written by the SDK next to an application (every library
//! of the runtime target, packages and projects), and the version resource
//! (`VS_VERSIONINFO`) of .NET assemblies (`.dll`/`.exe` PE files with a CLR header)
//! that no deps.json in the same directory accounts for.

use crate::lenient::{self, Obj, Str};
use crate::{exe, Cataloger, Context, Output};
use drydock_model::{path, FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageFile, PackageType, Purl};
use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const FOUND_BY: &str = "dotnet-deps-cataloger";
const DEPS_SUFFIX: &str = ".deps.json";
/// Assemblies bigger than this are not read for their version resource.
const MAX_PE_SIZE: u64 = 128 * 1024 * 1024;
/// Nesting depth of version-info blocks (root, StringFileInfo, StringTable, String).
const MAX_BLOCK_DEPTH: usize = 4;
/// Most version-info strings kept per assembly.
const MAX_STRINGS: usize = 64;

/// The .NET cataloger.
pub struct Dotnet;

impl Cataloger for Dotnet {
    fn name(&self) -> &'static str {
        FOUND_BY
    }

    fn wants(&self, p: &str) -> bool {
        p.ends_with(DEPS_SUFFIX)
    }

    fn extracts(&self, p: &str, _mode: u32, size: u64) -> bool {
        let b = p.as_bytes();
        (64..=MAX_PE_SIZE).contains(&size)
            && b.len() > 4
            && (b[b.len() - 4..].eq_ignore_ascii_case(b".dll") || b[b.len() - 4..].eq_ignore_ascii_case(b".exe"))
    }

    fn extract(&self, _path: &str, content: &[u8]) -> Option<String> {
        match read_pe(content) {
            Ok(Some(info)) if info.clr => Some(info.to_json()),
            Ok(_) => None,
            Err(PeError::NotPe) => None,
            Err(PeError::Malformed(reason)) => Some(json!({ "error": reason }).to_string()),
        }
    }

    fn catalog(&self, tree: &FileTree, _ctx: &Context<'_>, out: &mut Output) {
        // File names (lower case) that a deps.json accounts for, per directory.
        let mut claimed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (p, entry) in tree.entries() {
            if !p.ends_with(DEPS_SUFFIX) || entry.kind == FileKind::Directory || entry.kind == FileKind::Symlink {
                continue;
            }
            let Some(content) = tree.read(p) else { continue };
            let libs = match parse_deps_json(content) {
                Ok(l) => l,
                Err(reason) => {
                    out.warnings.push(format!("{p}: {reason}"));
                    continue;
                }
            };
            let dir = path::parent(p);
            let names = claimed.entry(dir.to_string()).or_default();
            if let Some(app) = path::file_name(p).strip_suffix(DEPS_SUFFIX) {
                names.insert(format!("{}.dll", app.to_ascii_lowercase()));
                names.insert(format!("{}.exe", app.to_ascii_lowercase()));
            }
            for lib in libs {
                names.insert(format!("{}.dll", lib.name.to_ascii_lowercase()));
                for a in &lib.assets {
                    names.insert(path::file_name(a).to_ascii_lowercase());
                }
                out.packages.push(deps_package(lib, p, entry.layer, tree));
            }
        }
        for (p, summary) in tree.extracted_by(FOUND_BY) {
            let claimed_here = claimed.get(path::parent(p));
            if claimed_here.is_some_and(|c| c.contains(&path::file_name(p).to_ascii_lowercase())) {
                continue;
            }
            let layer = tree.entry(p).map(|e| e.layer).unwrap_or(0);
            match pe_package(summary, p, layer) {
                Ok(Some(pkg)) => out.packages.push(pkg),
                Ok(None) => {}
                Err(reason) => out.warnings.push(format!("{p}: {reason}")),
            }
        }
    }
}

/// Runs every parser of this module on arbitrary bytes (for fuzzing).
pub fn fuzz_entry(data: &[u8]) {
    let _ = parse_deps_json(data);
    if let Ok(Some(info)) = read_pe(data) {
        let _ = pe_package(&info.to_json(), "/fuzz.dll", 0);
    }
    let _ = pe_package(&String::from_utf8_lossy(data), "/fuzz.dll", 0);
}

/// One library of a deps.json.
#[derive(Debug, PartialEq)]
pub struct DepsLibrary {
    /// Library name (NuGet package id or project name).
    pub name: String,
    /// Library version.
    pub version: String,
    /// `package`, `project`, `reference`…
    pub kind: String,
    /// Package hash as written (`sha512-<base64>`); `None` when absent or empty.
    pub sha512: Option<String>,
    /// Names of the libraries it depends on (runtime target).
    pub depends: Vec<String>,
    /// Runtime asset paths (`lib/net8.0/X.dll`) from the runtime target.
    pub assets: Vec<String>,
}

/// The fields of a deps.json that are read (typed, streamed; the rest is skipped unread).
#[derive(Deserialize, Default)]
#[serde(default)]
struct DepsJson {
    #[serde(rename = "runtimeTarget")]
    runtime_target: Obj<RuntimeTarget>,
    /// Target name → library key → what the target says of it.
    targets: Obj<BTreeMap<String, Obj<Target>>>,
    /// Library key (`Name/1.2.3`) → entry.
    libraries: Obj<BTreeMap<String, Obj<LibraryEntry>>>,
}

/// One target: library key → what the target says of it.
type Target = BTreeMap<String, Obj<TargetLibrary>>;

#[derive(Deserialize, Default)]
#[serde(default)]
struct RuntimeTarget {
    name: Str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TargetLibrary {
    dependencies: Obj<BTreeMap<String, IgnoredAny>>,
    runtime: Obj<BTreeMap<String, IgnoredAny>>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LibraryEntry {
    #[serde(rename = "type")]
    kind: Str,
    sha512: Str,
}

/// Parses a `.deps.json`: every entry of `libraries`, with dependencies and runtime
/// assets from the runtime target (`runtimeTarget.name`, else the only/first target).
/// One streaming pass reads only those fields.
pub fn parse_deps_json(content: &[u8]) -> Result<Vec<DepsLibrary>, String> {
    let doc: DepsJson = lenient::document(content)
        .map_err(|e| format!("invalid JSON: {e}"))?
        .ok_or("not a JSON object")?;
    let libraries = doc.libraries.0.ok_or("no \"libraries\" object")?;
    let target_name = doc.runtime_target.0.and_then(|r| r.name.0);
    let mut targets = doc.targets.0.unwrap_or_default();
    let chosen = match target_name.as_deref().and_then(|n| targets.remove(n)) {
        Some(t) => t,
        None => targets.into_values().next().unwrap_or_default(),
    };
    let mut target = chosen.0.unwrap_or_default();
    let mut out = Vec::new();
    for (key, lib) in libraries {
        let Some((name, version)) = key.rsplit_once('/') else {
            continue;
        };
        if name.is_empty() || version.is_empty() {
            continue;
        }
        let t = target.remove(&key).and_then(|t| t.0);
        let (depends, assets) = match t {
            Some(t) => (
                t.dependencies.0.map(|d| d.into_keys().collect()).unwrap_or_default(),
                t.runtime.0.map(|r| r.into_keys().collect()).unwrap_or_default(),
            ),
            None => (Vec::new(), Vec::new()),
        };
        let lib = lib.0.unwrap_or_default();
        out.push(DepsLibrary {
            name: name.to_string(),
            version: version.to_string(),
            kind: lib.kind.0.unwrap_or_default(),
            sha512: lib.sha512.0.filter(|s| !s.is_empty()),
            depends,
            assets,
        });
    }
    Ok(out)
}

fn deps_package(lib: DepsLibrary, deps_path: &str, layer: usize, tree: &FileTree) -> Package {
    let dir = path::parent(deps_path);
    let mut p = Package::new(PackageType::Dotnet, lib.name.clone(), lib.version.clone(), FOUND_BY);
    p.locations.push(Location {
        path: deps_path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    let mut files: Vec<PackageFile> = lib
        .assets
        .iter()
        .map(|a| path::join(dir, path::file_name(a)))
        .filter(|f| tree.entry(f).is_some())
        .map(|f| PackageFile { path: f, digest: None })
        .collect();
    files.sort();
    files.dedup();
    p.files = files;
    p.depends = lib.depends.into_iter().map(|d| vec![d]).collect();
    finish(&mut p);
    p
}

fn finish(p: &mut Package) {
    p.purl = Purl::new("nuget", &p.name).version(p.version.clone()).to_string();
    p.cpes = vec![cpe::application(&p.name, &p.name, &p.version)];
    p.compute_id();
}

/// What the PE reader found in one file.
#[derive(Debug, Default, PartialEq)]
pub struct PeInfo {
    /// True for .NET assemblies (a CLR runtime header is present).
    pub clr: bool,
    /// `VS_FIXEDFILEINFO` file and product versions (`a.b.c.d`).
    pub file_version: Option<String>,
    /// `VS_FIXEDFILEINFO` product version (`a.b.c.d`).
    pub product_version: Option<String>,
    /// StringFileInfo entries (ProductName, ProductVersion, FileVersion, CompanyName…).
    pub strings: BTreeMap<String, String>,
}

impl PeInfo {
    fn to_json(&self) -> String {
        json!({
            "clr": self.clr,
            "file_version": self.file_version,
            "product_version": self.product_version,
            "strings": self.strings,
        })
        .to_string()
    }
}

/// Why a PE file could not be read.
#[derive(Debug, PartialEq)]
pub enum PeError {
    /// Not a PE file at all (no `MZ`/`PE` signatures).
    NotPe,
    /// A PE file whose headers or resources point outside it.
    Malformed(String),
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

/// Reads a PE file's CLR flag and version resource; `Ok(None)` for a PE without
/// a version resource. The headers are read by [`crate::exe`], the reader the Go and
/// Rust catalogers share.
pub fn read_pe(b: &[u8]) -> Result<Option<PeInfo>, PeError> {
    let bad = |what: &str| PeError::Malformed(what.to_string());
    if b.get(0..2) != Some(b"MZ") {
        return Err(PeError::NotPe);
    }
    let pe = u32_at(b, 0x3c).ok_or(PeError::NotPe)? as usize;
    if b.get(pe..pe.saturating_add(4)) != Some(b"PE\0\0") {
        return Err(PeError::NotPe);
    }
    let bin = exe::parse(b)
        .filter(|bin| bin.format == exe::Format::Pe)
        .ok_or_else(|| bad("truncated PE headers"))?;
    let mut info = PeInfo {
        clr: bin.pe_directory(14).is_some(),
        ..Default::default()
    };
    let Some((res_rva, _)) = bin.pe_directory(2) else {
        return Ok(None);
    };
    let res = offset_of(&bin, res_rva, b.len()).ok_or_else(|| bad("resource directory outside the file"))?;
    let Some(data) = version_resource(b, res, &bin)? else {
        return Ok(None);
    };
    parse_version_info(data, &mut info).map_err(|e| bad(&e))?;
    Ok(Some(info))
}

/// The file offset of a relative address, when it is inside the file.
fn offset_of(bin: &exe::Binary, rva: u32, len: usize) -> Option<usize> {
    bin.rva_offset(rva)
        .and_then(|o| usize::try_from(o).ok())
        .filter(|o| *o < len)
}

/// Walks the resource tree (type 16 = RT_VERSION, then the first name, then the first
/// language) to the version resource's bytes.
fn version_resource<'a>(b: &'a [u8], res: usize, bin: &exe::Binary) -> Result<Option<&'a [u8]>, PeError> {
    let bad = |what: &str| PeError::Malformed(what.to_string());
    let entries = |dir: usize| -> Result<Vec<(u32, u32)>, PeError> {
        let named = u16_at(b, dir + 12).ok_or_else(|| bad("truncated resource directory"))? as usize;
        let ids = u16_at(b, dir + 14).ok_or_else(|| bad("truncated resource directory"))? as usize;
        let mut out = Vec::new();
        for i in 0..(named + ids) {
            let e = dir + 16 + 8 * i;
            let (Some(id), Some(off)) = (u32_at(b, e), u32_at(b, e + 4)) else {
                return Err(bad("truncated resource directory"));
            };
            out.push((id, off));
        }
        Ok(out)
    };
    let Some(&(_, type_off)) = entries(res)?.iter().find(|(id, _)| *id == 16) else {
        return Ok(None);
    };
    let mut off = type_off;
    // Two more directory levels (name, language), each taking the first entry.
    for _ in 0..2 {
        if off & 0x8000_0000 == 0 {
            return Err(bad("version resource is not a directory"));
        }
        let sub = res.saturating_add((off & 0x7fff_ffff) as usize);
        let Some(&(_, next)) = entries(sub)?.first() else {
            return Ok(None);
        };
        off = next;
    }
    if off & 0x8000_0000 != 0 {
        return Err(bad("resource tree too deep"));
    }
    let entry = res.saturating_add(off as usize);
    let (Some(rva), Some(size)) = (u32_at(b, entry), u32_at(b, entry + 4)) else {
        return Err(bad("truncated resource data entry"));
    };
    let start = offset_of(bin, rva, b.len()).ok_or_else(|| bad("version resource outside the file"))?;
    let end = start.saturating_add(size as usize).min(b.len());
    Ok(Some(&b[start..end]))
}

/// One block of a VS_VERSIONINFO tree.
struct Block<'a> {
    key: String,
    value: &'a [u8],
    children: Vec<Block<'a>>,
}

fn align4(x: usize) -> usize {
    x.saturating_add(3) & !3
}

/// Reads UTF-16LE up to a NUL (or the end); returns the text and the offset after the NUL.
fn utf16z(b: &[u8], mut at: usize, end: usize) -> (String, usize) {
    let mut units = Vec::new();
    while at + 1 < end {
        let u = u16::from_le_bytes([b[at], b[at + 1]]);
        at += 2;
        if u == 0 {
            break;
        }
        if units.len() < 1024 {
            units.push(u);
        }
    }
    (String::from_utf16_lossy(&units), at)
}

fn parse_block(b: &[u8], at: usize, depth: usize) -> Result<(Block<'_>, usize), String> {
    let len = u16_at(b, at).ok_or("truncated version block")? as usize;
    let value_len = u16_at(b, at + 2).ok_or("truncated version block")? as usize;
    let kind = u16_at(b, at + 4).ok_or("truncated version block")?;
    if len < 6 {
        return Err("version block too short".into());
    }
    let end = at.saturating_add(len).min(b.len());
    let (key, after_key) = utf16z(b, at + 6, end);
    let value_start = align4(after_key).min(end);
    let value_bytes = if kind == 1 { value_len * 2 } else { value_len };
    let value_end = value_start.saturating_add(value_bytes).min(end);
    let mut block = Block {
        key,
        value: &b[value_start..value_end],
        children: Vec::new(),
    };
    if depth < MAX_BLOCK_DEPTH {
        let mut child = align4(value_end);
        while child + 6 <= end && block.children.len() < MAX_STRINGS {
            // A damaged child ends the list; what was read before it stays.
            let Ok((c, next)) = parse_block(&b[..end], child, depth + 1) else {
                break;
            };
            block.children.push(c);
            child = align4(next);
        }
    }
    Ok((block, end))
}

fn parse_version_info(data: &[u8], info: &mut PeInfo) -> Result<(), String> {
    let (root, _) = parse_block(data, 0, 0)?;
    if root.key != "VS_VERSION_INFO" {
        return Err(format!("version resource key is {:?}", root.key));
    }
    let v = root.value;
    if u32_at(v, 0) == Some(0xFEEF_04BD) {
        let ver = |ms: usize| -> Option<String> {
            let (hi, lo) = (u32_at(v, ms)?, u32_at(v, ms + 4)?);
            Some(format!("{}.{}.{}.{}", hi >> 16, hi & 0xffff, lo >> 16, lo & 0xffff))
        };
        info.file_version = ver(8);
        info.product_version = ver(16);
    }
    for sfi in root.children.iter().filter(|c| c.key == "StringFileInfo") {
        for table in &sfi.children {
            for s in &table.children {
                let (text, _) = utf16z(s.value, 0, s.value.len());
                let text = text.trim().to_string();
                if !s.key.is_empty() && !text.is_empty() && info.strings.len() < MAX_STRINGS {
                    info.strings.entry(s.key.clone()).or_insert(text);
                }
            }
        }
    }
    Ok(())
}

/// The package an assembly's version resource describes (as Syft names it: the
/// product name, or for Microsoft's own assemblies the file description).
fn pe_package(summary: &str, p: &str, layer: usize) -> Result<Option<Package>, String> {
    let v: Value = serde_json::from_str(summary).map_err(|e| format!("unreadable PE summary: {e}"))?;
    if let Some(e) = v.get("error").and_then(Value::as_str) {
        return Err(format!("malformed PE file: {e}"));
    }
    let strings = v.get("strings").and_then(Value::as_object);
    let get = |k: &str| -> Option<String> {
        strings
            .and_then(|s| s.get(k))
            .and_then(Value::as_str)
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
    };
    let microsoft = [get("CompanyName"), get("ProductName")]
        .iter()
        .flatten()
        .any(|s| s.to_ascii_lowercase().contains("microsoft"));
    let order: [&str; 4] = if microsoft {
        ["FileDescription", "InternalName", "OriginalFilename", "ProductName"]
    } else {
        ["ProductName", "FileDescription", "InternalName", "OriginalFilename"]
    };
    let Some(name) = order.iter().find_map(|k| get(k)) else {
        return Ok(None);
    };
    let first_token = |s: Option<String>| s.and_then(|s| s.split_whitespace().next().map(str::to_string));
    let product = first_token(get("ProductVersion"));
    let file = first_token(get("FileVersion"));
    let dots = |s: &str| s.chars().filter(|c| matches!(c, '.' | '-' | '+')).count();
    let version = match (product, file) {
        // The more detailed of the two wins, the product version on a tie.
        (Some(p), Some(f)) if dots(&f) > dots(&p) && f.chars().any(|c| c.is_ascii_digit()) => f,
        (Some(p), _) if p.chars().any(|c| c.is_ascii_digit()) => p,
        (_, Some(f)) => f,
        _ => match v.get("product_version").and_then(Value::as_str) {
            Some(fixed) if fixed != "0.0.0.0" => fixed.to_string(),
            _ => return Ok(None),
        },
    };
    let mut pkg = Package::new(PackageType::Dotnet, name, version, FOUND_BY);
    pkg.supplier = get("CompanyName");
    pkg.locations.push(Location {
        path: p.to_string(),
        layer,
        layer_digest: String::new(),
    });
    finish(&mut pkg);
    Ok(Some(pkg))
}

#[doc(hidden)]
/// Builds a small PE32 file with a CLR header flag and a version resource holding
/// `strings`, for tests (also used by the integration tests through the public API).
pub fn build_test_pe(strings: &[(&str, &str)], clr: bool) -> Vec<u8> {
    fn utf16(s: &str) -> Vec<u8> {
        s.encode_utf16().chain([0]).flat_map(|u| u.to_le_bytes()).collect()
    }
    fn pad(v: &mut Vec<u8>) {
        while !v.len().is_multiple_of(4) {
            v.push(0);
        }
    }
    fn block(key: &str, kind: u16, value: &[u8], value_len: u16, children: &[Vec<u8>]) -> Vec<u8> {
        let mut v = vec![0, 0];
        v.extend(value_len.to_le_bytes());
        v.extend(kind.to_le_bytes());
        v.extend(utf16(key));
        pad(&mut v);
        v.extend(value);
        for c in children {
            pad(&mut v);
            v.extend(c);
        }
        let len = v.len() as u16;
        v[0..2].copy_from_slice(&len.to_le_bytes());
        v
    }
    let strs: Vec<Vec<u8>> = strings
        .iter()
        .map(|(k, val)| block(k, 1, &utf16(val), (val.encode_utf16().count() + 1) as u16, &[]))
        .collect();
    let table = block("040904b0", 1, &[], 0, &strs);
    let sfi = block("StringFileInfo", 1, &[], 0, &[table]);
    let mut fixed = Vec::new();
    for w in [
        0xFEEF_04BDu32,
        0x0001_0000,
        0x0001_0002,
        0x0003_0004,
        0x0001_0002,
        0x0003_0004,
    ] {
        fixed.extend(w.to_le_bytes());
    }
    fixed.resize(52, 0);
    let root = block("VS_VERSION_INFO", 0, &fixed, 52, &[sfi]);

    // Resource section at file offset 0x200, RVA 0x1000: three directory levels and
    // one data entry, then the version data.
    let sect_rva = 0x1000u32;
    let mut rsrc = Vec::new();
    let dir = |rsrc: &mut Vec<u8>, id: u32, target: u32| {
        rsrc.extend([0u8; 12]);
        rsrc.extend(0u16.to_le_bytes());
        rsrc.extend(1u16.to_le_bytes());
        rsrc.extend(id.to_le_bytes());
        rsrc.extend(target.to_le_bytes());
    };
    dir(&mut rsrc, 16, 0x8000_0000 | 24);
    dir(&mut rsrc, 1, 0x8000_0000 | 48);
    dir(&mut rsrc, 0x409, 72);
    let data_rva = sect_rva + 72 + 16;
    rsrc.extend(data_rva.to_le_bytes());
    rsrc.extend((root.len() as u32).to_le_bytes());
    rsrc.extend([0u8; 8]);
    rsrc.extend(&root);

    let mut f = vec![0u8; 0x200];
    f[0..2].copy_from_slice(b"MZ");
    f[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
    f[0x80..0x84].copy_from_slice(b"PE\0\0");
    let coff = 0x84;
    f[coff..coff + 2].copy_from_slice(&0x14cu16.to_le_bytes());
    f[coff + 2..coff + 4].copy_from_slice(&1u16.to_le_bytes());
    f[coff + 16..coff + 18].copy_from_slice(&224u16.to_le_bytes());
    let opt = coff + 20;
    f[opt..opt + 2].copy_from_slice(&0x10bu16.to_le_bytes());
    f[opt + 92..opt + 96].copy_from_slice(&16u32.to_le_bytes());
    let dirs = opt + 96;
    f[dirs + 16..dirs + 20].copy_from_slice(&sect_rva.to_le_bytes());
    f[dirs + 20..dirs + 24].copy_from_slice(&(rsrc.len() as u32).to_le_bytes());
    if clr {
        f[dirs + 112..dirs + 116].copy_from_slice(&0x2000u32.to_le_bytes());
        f[dirs + 116..dirs + 120].copy_from_slice(&72u32.to_le_bytes());
    }
    let sec = opt + 224;
    f[sec..sec + 5].copy_from_slice(b".rsrc");
    f[sec + 8..sec + 12].copy_from_slice(&(rsrc.len() as u32).to_le_bytes());
    f[sec + 12..sec + 16].copy_from_slice(&sect_rva.to_le_bytes());
    f[sec + 16..sec + 20].copy_from_slice(&(rsrc.len() as u32).to_le_bytes());
    f[sec + 20..sec + 24].copy_from_slice(&0x200u32.to_le_bytes());
    f.extend(rsrc);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPS: &str = r#"{
      "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0", "signature": ""},
      "targets": {
        ".NETCoreApp,Version=v8.0": {
          "app/1.0.0": {"dependencies": {"Newtonsoft.Json": "13.0.3"}, "runtime": {"app.dll": {}}},
          "Newtonsoft.Json/13.0.3": {"runtime": {"lib/net6.0/Newtonsoft.Json.dll": {"assemblyVersion": "13.0.0.0"}}}
        }
      },
      "libraries": {
        "app/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
        "Newtonsoft.Json/13.0.3": {"type": "package", "serviceable": true,
          "sha512": "sha512-HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ==",
          "path": "newtonsoft.json/13.0.3", "hashPath": "newtonsoft.json.13.0.3.nupkg.sha512"}
      }
    }"#;

    #[test]
    fn deps_json_libraries() {
        let libs = parse_deps_json(DEPS.as_bytes()).unwrap();
        assert_eq!(libs.len(), 2);
        let app = libs.iter().find(|l| l.name == "app").unwrap();
        assert_eq!(
            (app.kind.as_str(), app.depends.as_slice()),
            ("project", &["Newtonsoft.Json".to_string()][..])
        );
        let nj = libs.iter().find(|l| l.name == "Newtonsoft.Json").unwrap();
        assert_eq!(nj.version, "13.0.3");
        assert_eq!(nj.assets, ["lib/net6.0/Newtonsoft.Json.dll"]);
        assert!(nj.sha512.is_some());
    }

    #[test]
    fn pe_version_resource() {
        let pe = build_test_pe(
            &[
                ("CompanyName", "Acme Corp"),
                ("ProductName", "Acme.Widgets"),
                ("ProductVersion", "2.1.0+abc123"),
                ("FileVersion", "2.1.0.7"),
            ],
            true,
        );
        let info = read_pe(&pe).unwrap().unwrap();
        assert!(info.clr);
        assert_eq!(info.strings["ProductName"], "Acme.Widgets");
        assert_eq!(info.file_version.as_deref(), Some("1.2.3.4"));
        let pkg = pe_package(&info.to_json(), "/app/Acme.Widgets.dll", 1)
            .unwrap()
            .unwrap();
        assert_eq!(
            (pkg.name.as_str(), pkg.version.as_str()),
            ("Acme.Widgets", "2.1.0+abc123")
        );
        assert!(pkg.purl.starts_with("pkg:nuget/Acme.Widgets@2.1.0"));
        assert!(!read_pe(&build_test_pe(&[], false)).unwrap().unwrap().clr);
    }

    #[test]
    fn microsoft_assemblies_use_the_description() {
        let s = json!({"strings": {"CompanyName": "Microsoft Corporation", "ProductName": "Microsoft® .NET",
            "FileDescription": "System.Text.Json", "ProductVersion": "8.0.1+bf5e279d", "FileVersion": "8.0.123.58001"}})
        .to_string();
        let pkg = pe_package(&s, "/x.dll", 0).unwrap().unwrap();
        assert_eq!(
            (pkg.name.as_str(), pkg.version.as_str()),
            ("System.Text.Json", "8.0.1+bf5e279d")
        );
    }

    #[test]
    fn damaged_pe_files() {
        assert_eq!(read_pe(b"hello"), Err(PeError::NotPe));
        let pe = build_test_pe(&[("ProductName", "X"), ("ProductVersion", "1.0")], true);
        for cut in (0..pe.len()).step_by(7) {
            let _ = read_pe(&pe[..cut]);
        }
        let mut bad = pe.clone();
        // Point the resource data entry far outside the file.
        let at = 0x200 + 72;
        bad[at..at + 4].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
        assert!(matches!(read_pe(&bad), Err(PeError::Malformed(_))));
        // Flip bytes everywhere: never a panic.
        for i in 0..pe.len() {
            let mut m = pe.clone();
            m[i] ^= 0xff;
            fuzz_entry(&m);
        }
    }
}
