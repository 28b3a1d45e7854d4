//! The build information the Go linker embeds (`\xff Go buildinf:` header, then the
//! `modinfo` text): finding it, reading it through the executable's tables, parsing it.

use super::*;

pub(super) const MAGIC: &[u8; 14] = b"\xff Go buildinf:";

/// Longest string read through a pointer of an old-style header (as Go's own reader).
pub(super) const MAX_STRING: u64 = 64 << 20;

/// What `extract` keeps of one executable.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// One build per Go executable found in the file.
    #[serde(default)]
    pub builds: Vec<Build>,
    /// Why build information that looked present could not be read.
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
    /// `build` lines as key and value (`GOOS`, `vcs.revision`, `-ldflags`…), in order.
    #[serde(default)]
    pub settings: Vec<(String, String)>,
}

/// A module path and version (with its `h1:` hash when known).
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    /// Module path (`github.com/x/y`).
    pub path: String,
    /// Module version (`v1.2.3`, `(devel)`).
    pub version: String,
    /// The `h1:` go.sum hash; empty when unknown.
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
pub(super) fn find_magic(data: &[u8]) -> impl Iterator<Item = usize> + '_ {
    data.chunks_exact(16)
        .enumerate()
        .filter(|(_, c)| c[0] == 0xff && c[1] == b' ' && c[..MAGIC.len()] == MAGIC[..])
        .map(|(i, _)| i * 16)
}

/// Reads the toolchain version and the raw `modinfo` text (sentinels removed).
pub(super) fn read_buildinfo(data: &[u8], at: usize) -> Result<(String, String), String> {
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
        let endian = if flags & 1 != 0 {
            exe::Endian::Big
        } else {
            exe::Endian::Little
        };
        let ptr = |b: &[u8]| endian.word(b, ptr_size == 8);
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
pub(super) fn read_varstr<'a>(data: &'a [u8], pos: &mut usize) -> Option<&'a [u8]> {
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
pub(super) fn split_setting(s: &str) -> Option<(String, String)> {
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
pub(super) fn unquote(s: &str) -> Option<(String, usize)> {
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
