//! The main module's version when the build says `(devel)`: from `-ldflags`, from a
//! version string in the executable, or a pseudo-version from the VCS stamp (as Syft).

use super::*;

pub(super) const DEVEL: &str = "(devel)";

/// Fills in the main module when only `path` names it, and replaces a `(devel)`
/// version as Syft does: a semantic version from `-ldflags` (`-X main.version=…`),
/// else a NUL-delimited version string in the executable, else a pseudo-version from
/// `vcs.revision` and `vcs.time`.
pub(super) fn resolve_main_version(b: &mut Build, content: &[u8]) {
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
pub(super) fn semver_prefix(s: &[u8]) -> Option<usize> {
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

pub(super) fn utf8_len(c: u8) -> usize {
    match c {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

pub(super) fn is_word(c: u8) -> bool {
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
pub(super) fn match_key(s: &[u8], tag: bool) -> Option<usize> {
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

pub(super) fn nul_terminated_version(s: &[u8]) -> Option<String> {
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
pub(super) fn ends_valid_utf8(data: &[u8], i: usize) -> bool {
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
