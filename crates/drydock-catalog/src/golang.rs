//! Go modules: the build information the Go linker embeds in every executable
//! (`\xff Go buildinf:` header, then the `modinfo` text: main module, dependencies,
//! replacements, build settings) and, in directory scans, `go.mod`.
//!
//! Binaries are summarised during the layer pass (`extract`): a 16-byte aligned
//! search for the header, then either the inline strings of Go >= 1.18 or the
//! pointers of older toolchains, read through the section and segment tables.

use crate::exe;
use crate::{Cataloger, Context, Output};
use drydock_image::{FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageType, Purl};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The Go cataloger (binaries everywhere; `go.mod` in directory scans).
pub struct Golang;

const FOUND_BY: &str = "go-module-binary-cataloger";
const MOD_FOUND_BY: &str = "go-module-file-cataloger";
const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
/// Executables larger than this are not analysed.
pub const MAX_EXECUTABLE: u64 = 512 << 20;
/// Longest string read through a pointer of an old-style header (as Go's own reader).
const MAX_STRING: u64 = 64 << 20;
const DEVEL: &str = "(devel)";

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

/// What `extract` keeps of one executable.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    #[serde(default)]
    pub builds: Vec<Build>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// The build information of one Go executable.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Build {
    /// Toolchain version (`go1.20.7`), experiments removed.
    pub go: String,
    /// The `path` line: the main package's import path.
    #[serde(default)]
    pub path: String,
    /// The main module, its version already resolved from ldflags, contents or VCS settings.
    #[serde(default)]
    pub main: Option<Module>,
    /// Dependencies, replacements applied.
    #[serde(default)]
    pub deps: Vec<Module>,
    #[serde(default)]
    pub settings: Vec<(String, String)>,
}

/// A module path and version (with its `h1:` hash when known).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    pub path: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub sum: String,
    /// The module this one replaced (`=>` lines), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

/// Summarises an executable: `None` when it carries no Go build information.
pub fn summarize(content: &[u8]) -> Option<Summary> {
    if !exe::looks_executable(content) {
        return None;
    }
    let mut summary = Summary::default();
    for part in exe::slices(content) {
        // The header starts the build-info section (ELF, Mach-O) or the data section
        // (PE); without section headers, any 16-byte aligned copy of the magic is a
        // candidate (the first few are tried: a string literal may come first).
        let from_section = exe::parse(part).and_then(|bin| {
            [".go.buildinfo", "__go_buildinfo", ".data"]
                .iter()
                .filter_map(|name| bin.section(name))
                .filter_map(|s| usize::try_from(s.offset).ok())
                .find(|&o| part.get(o..o + MAGIC.len()) == Some(&MAGIC[..]))
        });
        let candidates = from_section.into_iter().chain(find_magic(part).take(4));
        let mut error = None;
        for at in candidates {
            match read_buildinfo(part, at) {
                Ok((version, modinfo)) => {
                    let mut build = parse_modinfo(&modinfo);
                    build.go = version.split(' ').next().unwrap_or("").to_string();
                    resolve_main_version(&mut build, content);
                    summary.builds.push(build);
                    error = None;
                    break;
                }
                Err(e) => error = error.or(Some(e)),
            }
        }
        summary.errors.extend(error);
    }
    (!summary.builds.is_empty() || !summary.errors.is_empty()).then_some(summary)
}

/// Offsets of the build-info magic: the header is 16-byte aligned in the file.
fn find_magic(data: &[u8]) -> impl Iterator<Item = usize> + '_ {
    data.chunks_exact(16)
        .enumerate()
        .filter(|(_, c)| c[0] == 0xff && c[1] == b' ' && c[..MAGIC.len()] == MAGIC[..])
        .map(|(i, _)| i * 16)
}

/// Reads the toolchain version and the raw `modinfo` text (sentinels removed).
fn read_buildinfo(data: &[u8], at: usize) -> Result<(String, String), String> {
    let header = data
        .get(at..at.saturating_add(32))
        .ok_or("truncated Go build info header")?;
    let ptr_size = header[14] as usize;
    let flags = header[15];
    let (version, modinfo) = if flags & 2 != 0 {
        let mut pos = at + 32;
        let v = read_varstr(data, &mut pos).ok_or("truncated Go version string in build info")?;
        let m = read_varstr(data, &mut pos).ok_or("truncated module information in build info")?;
        (v, m)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(format!("Go build info with pointer size {ptr_size}"));
        }
        let bin = exe::parse(data).ok_or("Go build info in an executable with unreadable headers")?;
        let big = flags & 1 != 0;
        let ptr = |b: &[u8]| -> Option<u64> {
            if ptr_size == 8 {
                let a: [u8; 8] = b.get(..8)?.try_into().ok()?;
                Some(if big {
                    u64::from_be_bytes(a)
                } else {
                    u64::from_le_bytes(a)
                })
            } else {
                let a: [u8; 4] = b.get(..4)?.try_into().ok()?;
                Some(u64::from(if big {
                    u32::from_be_bytes(a)
                } else {
                    u32::from_le_bytes(a)
                }))
            }
        };
        let string_at = |addr: u64| -> Option<&[u8]> {
            let hdr = bin.read_addr(data, addr, 2 * ptr_size as u64)?;
            let (p, len) = (ptr(hdr)?, ptr(&hdr[ptr_size..])?);
            if len > MAX_STRING {
                return None;
            }
            bin.read_addr(data, p, len)
        };
        let vaddr = ptr(&header[16..]).ok_or("truncated Go build info header")?;
        let maddr = ptr(&header[16 + ptr_size..]).ok_or("truncated Go build info header")?;
        let v = string_at(vaddr).ok_or("Go version string of the build info is outside the file")?;
        // An executable without module support has a null modinfo string.
        let m = string_at(maddr).unwrap_or_default();
        (v, m)
    };
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &[][..]
    };
    Ok((
        String::from_utf8_lossy(version).into_owned(),
        String::from_utf8_lossy(modinfo).into_owned(),
    ))
}

/// A uvarint length followed by that many bytes.
fn read_varstr<'a>(data: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
    let mut len: u64 = 0;
    let mut shift = 0;
    loop {
        let b = *data.get(*pos)?;
        *pos += 1;
        if shift > 63 {
            return None;
        }
        len |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            break;
        }
        shift += 7;
    }
    let len = usize::try_from(len).ok()?;
    let s = data.get(*pos..pos.checked_add(len)?)?;
    *pos += len;
    Some(s)
}

/// Parses the `modinfo` text (`path`, `mod`, `dep`, `=>`, `build` lines); malformed
/// lines are skipped.
pub fn parse_modinfo(text: &str) -> Build {
    let mut b = Build::default();
    let mut last_is_main = false;
    for line in text.lines() {
        let Some((kind, rest)) = line.split_once('\t') else {
            continue;
        };
        match kind {
            "go" => b.go = rest.to_string(),
            "path" => b.path = rest.to_string(),
            "mod" | "dep" => {
                let mut cols = rest.split('\t');
                let m = Module {
                    path: cols.next().unwrap_or("").to_string(),
                    version: cols.next().unwrap_or("").to_string(),
                    sum: cols.next().unwrap_or("").to_string(),
                    replaces: None,
                };
                if kind == "mod" {
                    b.main = Some(m);
                    last_is_main = true;
                } else {
                    b.deps.push(m);
                    last_is_main = false;
                }
            }
            "=>" => {
                let mut cols = rest.split('\t');
                let new_path = cols.next().unwrap_or("").to_string();
                let new_version = cols.next().unwrap_or("").to_string();
                let new_sum = cols.next().unwrap_or("").to_string();
                let target = if last_is_main {
                    b.main.as_mut()
                } else {
                    b.deps.last_mut()
                };
                if let Some(m) = target {
                    if m.replaces.is_none() && !new_path.is_empty() {
                        let old = std::mem::replace(&mut m.path, new_path);
                        m.version = new_version;
                        m.sum = new_sum;
                        m.replaces = Some(old);
                    }
                }
            }
            "build" => {
                if let Some((k, v)) = split_setting(rest) {
                    b.settings.push((k, v));
                }
            }
            _ => {}
        }
    }
    b
}

/// `KEY=VALUE` of a `build` line, either side possibly Go-quoted.
fn split_setting(s: &str) -> Option<(String, String)> {
    let (key, rest) = if s.starts_with('"') {
        let (k, used) = unquote(s)?;
        (k, s.get(used..)?.strip_prefix('=')?)
    } else {
        let (k, v) = s.split_once('=')?;
        (k.to_string(), v)
    };
    let value = if rest.starts_with('"') {
        unquote(rest).map(|(v, _)| v).unwrap_or_else(|| rest.to_string())
    } else {
        rest.to_string()
    };
    Some((key, value))
}

/// A Go double-quoted string at the start of `s`: (value, bytes consumed).
fn unquote(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    if chars.next()?.1 != '"' {
        return None;
    }
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                let hex = |chars: &mut std::str::CharIndices<'_>, n: usize| -> Option<u32> {
                    let mut v = 0;
                    for _ in 0..n {
                        v = v * 16 + chars.next()?.1.to_digit(16)?;
                    }
                    Some(v)
                };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'v' => out.push('\x0b'),
                    'x' => out.push(char::from_u32(hex(&mut chars, 2)?).unwrap_or('\u{fffd}')),
                    'u' => out.push(char::from_u32(hex(&mut chars, 4)?).unwrap_or('\u{fffd}')),
                    'U' => out.push(char::from_u32(hex(&mut chars, 8)?).unwrap_or('\u{fffd}')),
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    None
}

/// Fills in the main module when only `path` names it, and replaces a `(devel)`
/// version as Syft does: a semantic version from `-ldflags` (`-X main.version=…`),
/// else a NUL-delimited version string in the executable, else a pseudo-version from
/// `vcs.revision` and `vcs.time`.
fn resolve_main_version(b: &mut Build, content: &[u8]) {
    let missing = match &b.main {
        None => !b.path.is_empty(),
        Some(m) => m.path == "command-line-arguments" && m.version.is_empty(),
    };
    if missing {
        let devel: Vec<usize> = (0..b.deps.len()).filter(|&i| b.deps[i].version == DEVEL).collect();
        b.main = Some(if devel.len() == 1 {
            b.deps.remove(devel[0])
        } else {
            Module {
                path: b.path.clone(),
                version: DEVEL.into(),
                ..Default::default()
            }
        });
    }
    let Some(main) = b.main.as_mut() else { return };
    if main.version != DEVEL {
        return;
    }
    let setting = |k: &str| b.settings.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let found = setting("-ldflags")
        .and_then(|f| version_from_ldflags(f, &main.path))
        .or_else(|| version_from_contents(content))
        .or_else(|| {
            let rev = setting("vcs.revision")?;
            let time = setting("vcs.time")?;
            let short: String = rev.chars().take(12).collect();
            Some(format!("v0.0.0-{}-{short}", pseudo_timestamp(time)))
        });
    if let Some(v) = found {
        main.version = if v.starts_with('v') { v } else { format!("v{v}") };
    }
}

/// `v?N.N.N[-\w]*` at the start of `s` (the two inner separators may be any char,
/// as in Syft's pattern); returns its length.
fn semver_prefix(s: &[u8]) -> Option<usize> {
    let mut i = usize::from(s.first() == Some(&b'v'));
    for part in 0..3 {
        let start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        if part < 2 {
            // any single character, as the unescaped `.` of the pattern
            let c = *s.get(i)?;
            i += if c < 0x80 { 1 } else { utf8_len(c) };
        }
    }
    while s.get(i).is_some_and(|&c| c == b'-' || is_word(c)) {
        i += 1;
    }
    Some(i)
}

fn utf8_len(c: u8) -> usize {
    match c {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The version from the first `main.<…>version=` / `<module>/….Version=` / `.tag=`
/// assignment in the linker flags.
pub fn version_from_ldflags(flags: &str, main_path: &str) -> Option<String> {
    // Real flags are short; the search below is quadratic in the worst case.
    let b = &flags.as_bytes()[..flags.len().min(4096)];
    for tag_pattern in [false, true] {
        for start in 0..b.len() {
            // where `\.KEY=` may begin for a match starting here
            let dots: Vec<usize> = if b[start..].starts_with(b"main") {
                vec![start + 4]
            } else if !main_path.is_empty()
                && b[start..].starts_with(main_path.as_bytes())
                && b.get(start + main_path.len()) == Some(&b'/')
            {
                let from = start + main_path.len() + 1;
                let end = (from..b.len()).find(|&i| b[i].is_ascii_whitespace()).unwrap_or(b.len());
                // greedy `[^\s]*`: the last dot first
                (from..end).rev().filter(|&i| b[i] == b'.').collect()
            } else {
                continue;
            };
            for dot in dots {
                if b.get(dot) != Some(&b'.') {
                    continue;
                }
                let Some(after_key) = match_key(&b[dot + 1..], tag_pattern) else {
                    continue;
                };
                let value_start = dot + 1 + after_key;
                let token_end = (value_start..b.len())
                    .find(|&i| b[i].is_ascii_whitespace())
                    .unwrap_or(b.len());
                // `(\S+/)*`: greedy, so the version after the last usable slash
                let mut starts: Vec<usize> = (value_start..token_end)
                    .filter(|&i| b[i] == b'/')
                    .map(|i| i + 1)
                    .collect();
                starts.reverse();
                starts.push(value_start);
                for s in starts {
                    if let Some(len) = semver_prefix(&b[s..]) {
                        return std::str::from_utf8(&b[s..s + len]).ok().map(str::to_string);
                    }
                }
            }
        }
    }
    None
}

/// Matches `([gG]it)?([bB]uild)?[vV]er(sion)?=` (or `[tT]ag=`); returns the length.
fn match_key(s: &[u8], tag: bool) -> Option<usize> {
    if tag {
        return (s.len() >= 4 && (s[0] == b't' || s[0] == b'T') && &s[1..4] == b"ag=").then_some(4);
    }
    let mut i = 0;
    let word = |s: &[u8], i: usize, w: &[u8]| -> bool {
        s.len() >= i + w.len() && s[i].eq_ignore_ascii_case(&w[0]) && s[i + 1..i + w.len()] == w[1..]
    };
    if word(s, i, b"git") {
        i += 3;
    }
    if word(s, i, b"build") {
        i += 5;
    }
    if !word(s, i, b"ver") {
        return None;
    }
    i += 3;
    if s[i..].starts_with(b"sion") {
        i += 4;
    }
    (s.get(i) == Some(&b'=')).then_some(i + 1)
}

/// The first `\0` or invalid-UTF-8 byte, optionally `?L`, then `v?N.N.N[-\w]*[+\w]*`
/// and a NUL (Syft's "version from contents" guess).
pub fn version_from_contents(content: &[u8]) -> Option<String> {
    let mut i = 0;
    while i < content.len() {
        let c = content[i];
        let opener = c == 0 || (c >= 0x80 && !ends_valid_utf8(content, i));
        if opener {
            for skip in [1usize, 0] {
                // `(.L)?`: try with it first, as the regex does not prefer either;
                // the version is what matters.
                let at = if skip == 1 {
                    let next = i + 1;
                    let Some(&n) = content.get(next) else { continue };
                    let width = if n < 0x80 { 1 } else { utf8_len(n) };
                    if content.get(next + width) != Some(&b'L') {
                        continue;
                    }
                    next + width + 1
                } else {
                    i + 1
                };
                if let Some(v) = nul_terminated_version(&content[at..]) {
                    return Some(v);
                }
            }
        }
        i += 1;
    }
    None
}

fn nul_terminated_version(s: &[u8]) -> Option<String> {
    let first = *s.first()?;
    if !(first.is_ascii_digit() || first == b'v') {
        return None;
    }
    let mut i = usize::from(first == b'v');
    for part in 0..3 {
        let start = i;
        while s.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start || i - start > 20 {
            return None;
        }
        if part < 2 {
            if s.get(i) != Some(&b'.') {
                return None;
            }
            i += 1;
        }
    }
    let mut plus = false;
    while let Some(&c) = s.get(i) {
        if c == b'+' {
            plus = true;
        } else if c == b'-' {
            if plus {
                return None;
            }
        } else if !is_word(c) {
            break;
        }
        i += 1;
        if i > 256 {
            return None;
        }
    }
    (s.get(i) == Some(&0)).then(|| String::from_utf8_lossy(&s[..i]).into_owned())
}

/// True when the byte at `i` completes a valid multi-byte UTF-8 sequence (so a regex
/// over the text sees a real character there, not U+FFFD).
fn ends_valid_utf8(data: &[u8], i: usize) -> bool {
    if !(0x80..0xc0).contains(&data[i]) {
        return false;
    }
    (2..=4).any(|n| i + 1 >= n && std::str::from_utf8(&data[i + 1 - n..=i]).is_ok())
}

/// `vcs.time` (RFC 3339) as the `yyyymmddhhmmss` UTC stamp of a pseudo-version;
/// unparsable times give the zero time, as in Syft.
pub fn pseudo_timestamp(t: &str) -> String {
    drydock_time::parse_timestamp(t)
        .filter(|&secs| (-62_167_219_200..=253_402_300_799).contains(&secs))
        .map(|secs| {
            let utc = drydock_time::format_rfc3339(secs);
            utc.chars().filter(char::is_ascii_digit).collect()
        })
        .unwrap_or_else(|| "00010101000000".into())
}

/// Packages of one build: dependencies, the main module and the standard library.
fn build_packages(b: &Build, path: &str, layer: usize) -> Vec<Package> {
    let mut out: Vec<Package> = b
        .deps
        .iter()
        .filter(|d| !d.path.is_empty())
        .map(|d| module_package(&d.path, &d.version, FOUND_BY, path, layer))
        .collect();
    if let Some(m) = b.main.as_ref().filter(|m| !m.path.is_empty()) {
        out.push(module_package(&m.path, &m.version, FOUND_BY, path, layer));
    }
    if !out.is_empty() {
        if let Some(std) = stdlib_package(&b.go, path, layer) {
            out.push(std);
        }
    }
    out
}

/// The package of one module.
fn module_package(module: &str, version: &str, found_by: &str, path: &str, layer: usize) -> Package {
    let mut p = Package::new(PackageType::GoModule, module, version, found_by);
    p.purl = purl(module, version);
    p.cpes = module_cpes(module, version);
    p.locations.push(Location {
        path: path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.compute_id();
    p
}

/// `pkg:golang/<host>/<first segment>/<second>@v#<rest>`: the first three path
/// segments name the package, the rest is the subpath (as Syft writes it).
pub fn purl(module: &str, version: &str) -> String {
    let fields: Vec<&str> = module.split('/').collect();
    let p = match fields.len() {
        0 | 1 => Purl::new("golang", module),
        2 => Purl::new("golang", fields[1]).namespace(fields[0]),
        _ => {
            let mut p = Purl::new("golang", fields[2]).namespace(fields[..2].join("/"));
            let sub = fields[3..].join("/");
            if !sub.is_empty() {
                p.subpath = Some(sub);
            }
            p
        }
    };
    p.version(version).to_string()
}

/// Vendor and product guessed from the module path (`github.com/org/repo/x` →
/// `org`, `repo/x`; `golang.org/x/net` → `golang`, `x/net`); none when unsure.
pub fn module_cpes(module: &str, version: &str) -> Vec<String> {
    let (host, rest) = module.split_once('/').unwrap_or((module, ""));
    let clean = rest.trim_matches('/');
    let elems: Vec<&str> = clean.split('/').collect();
    let (vendor, product) = match host {
        "golang.org" => ("golang".to_string(), clean.to_string()),
        "gopkg.in" => (String::new(), clean.to_string()),
        "google.golang.org" => ("google".to_string(), elems[0].to_string()),
        _ if elems.len() >= 2 => (elems[0].to_string(), elems[1..].join("/")),
        _ => (String::new(), String::new()),
    };
    if vendor.is_empty() || product.is_empty() {
        return Vec::new();
    }
    vec![cpe::application(&vendor, &product, version)]
}

/// The `stdlib` package of the toolchain that built the executable.
fn stdlib_package(go: &str, path: &str, layer: usize) -> Option<Package> {
    let bare = go.strip_prefix("go").unwrap_or(go);
    let for_cpe = bare.split('+').next().unwrap_or(bare).as_bytes();
    let start = for_cpe.iter().position(u8::is_ascii_digit)?;
    let s = &for_cpe[start..];
    let mut i = s.iter().take_while(|c| c.is_ascii_digit()).count();
    for _ in 0..2 {
        if s.get(i) == Some(&b'.') && s.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1 + s[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        }
    }
    let version = std::str::from_utf8(&s[..i]).ok()?;
    let cand_len = s[i..].iter().take_while(|&&c| is_word(c)).count();
    let candidate = std::str::from_utf8(&s[i..i + cand_len]).ok()?;
    let update = if candidate.is_empty() { "-" } else { candidate };
    let mut p = Package::new(PackageType::GoModule, "stdlib", go, FOUND_BY);
    p.licenses = vec!["BSD-3-Clause".into()];
    p.purl = Purl::new("golang", "stdlib").version(bare).to_string();
    p.cpes = vec![format!(
        "cpe:2.3:a:golang:go:{}:{}:*:*:*:*:*:*",
        cpe::escape(version),
        cpe::escape(update)
    )];
    p.locations.push(Location {
        path: path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.compute_id();
    Some(p)
}

/// Modules required by a `go.mod` (replacements applied, exclusions removed), as
/// Syft's go.mod cataloger reports them.
pub fn parse_go_mod(text: &str) -> Result<Vec<Module>, String> {
    let mut required: BTreeMap<String, String> = BTreeMap::new();
    let mut replaces: Vec<(String, Option<String>, String, String)> = Vec::new();
    let mut excludes: Vec<(String, String)> = Vec::new();
    let mut block: Option<String> = None;
    let mut saw_module = false;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split("//").next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let tokens: Vec<String> = line.split_whitespace().map(unquote_token).collect();
        let (verb, args): (String, &[String]) = match &block {
            Some(_) if tokens[0] == ")" => {
                block = None;
                continue;
            }
            Some(b) => (b.clone(), &tokens[..]),
            None => {
                if tokens.len() == 2 && tokens[1] == "(" {
                    block = Some(tokens[0].clone());
                    continue;
                }
                (tokens[0].clone(), &tokens[1..])
            }
        };
        match verb.as_str() {
            "module" => saw_module = true,
            "require" => {
                if args.len() < 2 {
                    return Err(format!("line {}: malformed require", n + 1));
                }
                required.insert(args[0].clone(), args[1].clone());
            }
            "replace" => {
                let Some(arrow) = args.iter().position(|t| t == "=>") else {
                    return Err(format!("line {}: replace without =>", n + 1));
                };
                let (old, new) = (&args[..arrow], &args[arrow + 1..]);
                if old.is_empty() || new.is_empty() {
                    return Err(format!("line {}: malformed replace", n + 1));
                }
                replaces.push((
                    old[0].clone(),
                    old.get(1).cloned(),
                    new[0].clone(),
                    new.get(1).cloned().unwrap_or_default(),
                ));
            }
            "exclude" => {
                if let [path, version, ..] = args {
                    excludes.push((path.clone(), version.clone()));
                }
            }
            _ => {}
        }
    }
    if !saw_module && required.is_empty() {
        return Err("no module directive".into());
    }
    let mut out: BTreeMap<String, String> = required;
    for (old, old_version, new, new_version) in replaces {
        // A replacement by a local directory has no version: the original stays.
        if new_version.is_empty() {
            continue;
        }
        // As Syft: the replacement is added under its own path (a different old path stays).
        let _ = (old, old_version);
        out.insert(new, new_version);
    }
    // Only the excluded version goes (Syft drops the path whatever the version).
    for (path, version) in excludes {
        if out.get(&path) == Some(&version) {
            out.remove(&path);
        }
    }
    Ok(out
        .into_iter()
        .map(|(path, version)| Module {
            path,
            version,
            ..Default::default()
        })
        .collect())
}

fn unquote_token(t: &str) -> String {
    if t.len() >= 2 && ((t.starts_with('"') && t.ends_with('"')) || (t.starts_with('`') && t.ends_with('`'))) {
        t[1..t.len() - 1].to_string()
    } else {
        t.to_string()
    }
}

/// `h1:` hashes from `go.sum`, keyed by (module, version).
pub fn parse_go_sum(text: &str) -> BTreeMap<(String, String), String> {
    text.lines()
        .filter_map(|l| {
            let mut cols = l.split_whitespace();
            let (m, v, h) = (cols.next()?, cols.next()?, cols.next()?);
            (!v.ends_with("/go.mod")).then(|| ((m.to_string(), v.to_string()), h.to_string()))
        })
        .collect()
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
