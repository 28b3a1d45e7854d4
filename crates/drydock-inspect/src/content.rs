//! Content search (named user regexes over text files, like Anchore's
//! `content_search`) and retrieved files (user-listed paths stored with the analysis).
//!
//! Searching every text file needs their contents during the layer pass: an extractor
//! calls [`scan_text`] on each candidate file and stores [`encode_hits`] under
//! [`EXTRACTOR`]; [`search`] then reads those results from the tree, together with
//! files captured whole.

use drydock_model::{FileKind, FileTree};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

/// Name under which an extractor stores content-search hits for a file.
pub const EXTRACTOR: &str = "content-search";

/// Paths retrieved when the user lists none.
pub const DEFAULT_RETRIEVE: &[&str] = &["/etc/passwd"];

/// Default bound on one retrieved file's content.
pub const DEFAULT_RETRIEVE_MAX: u64 = 64 << 10;

/// Bytes looked at to tell text from binary.
const SNIFF: usize = 8 << 10;

/// One named search from the user's config.
#[derive(Debug, Clone)]
pub struct ContentSearch {
    /// Name matches are reported under.
    pub name: String,
    /// The compiled pattern, run over each line.
    pub regex: Regex,
    /// Path prefixes the search is limited to (whole components); empty = every file.
    pub paths: Vec<String>,
}

impl ContentSearch {
    /// Compiles a search over every file.
    pub fn new(name: &str, pattern: &str) -> Result<Self, regex::Error> {
        Ok(ContentSearch {
            name: name.to_string(),
            regex: Regex::new(pattern)?,
            paths: Vec::new(),
        })
    }

    /// Limits the search to files under these prefixes.
    pub fn with_paths(mut self, paths: Vec<String>) -> Self {
        self.paths = paths;
        self
    }

    /// True when this search applies to the path.
    pub fn applies_to(&self, path: &str) -> bool {
        self.paths.is_empty()
            || self.paths.iter().any(|p| {
                let p = p.trim_end_matches('/');
                p.is_empty() || path == p || path.strip_prefix(p).is_some_and(|r| r.starts_with('/'))
            })
    }
}

/// A line of a file that matched a named search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentMatch {
    /// Name of the search that matched.
    pub name: String,
    /// Absolute path of the file.
    pub path: String,
    /// 1-based line number.
    pub line: usize,
    /// Layer (0 = base) that wrote the file.
    pub layer: usize,
}

/// True when the content looks like text (no NUL byte in its first 8 KiB).
pub fn is_text(content: &[u8]) -> bool {
    !content[..content.len().min(SNIFF)].contains(&0)
}

/// Runs the searches that apply to `path` over a text file's content: (search name,
/// 1-based line) for each matching line, once per search and line. Binary content
/// yields nothing. Matched text is not returned (it may be a secret).
pub fn scan_text(searches: &[ContentSearch], path: &str, content: &[u8]) -> Vec<(String, usize)> {
    let active: Vec<&ContentSearch> = searches.iter().filter(|s| s.applies_to(path)).collect();
    if active.is_empty() || !is_text(content) {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for (i, line) in content.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        for s in &active {
            if s.regex.is_match(line) {
                hits.push((s.name.clone(), i + 1));
            }
        }
    }
    hits
}

/// Encodes [`scan_text`] hits for storage in a layer's extracted results.
pub fn encode_hits(hits: &[(String, usize)]) -> String {
    serde_json::to_string(hits).unwrap_or_default()
}

/// Decodes hits stored by [`encode_hits`]; malformed input yields nothing.
pub fn decode_hits(s: &str) -> Vec<(String, usize)> {
    serde_json::from_str(s).unwrap_or_default()
}

/// Content-search matches over the tree: files captured whole are scanned now, and
/// hits an extractor stored under [`EXTRACTOR`] are read back. Only paths accepted by
/// `path_filter` are considered. Sorted by path, line, name.
pub fn search(tree: &FileTree, searches: &[ContentSearch], path_filter: impl Fn(&str) -> bool) -> Vec<ContentMatch> {
    let mut out: Vec<ContentMatch> = Vec::new();
    let layer_of = |p: &str| tree.entry(p).map(|e| e.layer).unwrap_or(0);
    let mut push = |path: &str, hits: Vec<(String, usize)>| {
        for (name, line) in hits {
            out.push(ContentMatch {
                name,
                path: path.to_string(),
                line,
                layer: layer_of(path),
            });
        }
    };
    for (path, stored) in tree.extracted_by(EXTRACTOR) {
        if path_filter(path) {
            let known: Vec<(String, usize)> = decode_hits(stored)
                .into_iter()
                .filter(|(n, _)| searches.is_empty() || searches.iter().any(|s| &s.name == n))
                .collect();
            push(path, known);
        }
    }
    if !searches.is_empty() {
        for (path, content) in tree.captured_under("/") {
            if path_filter(path) {
                push(path, scan_text(searches, path, content));
            }
        }
    }
    out.sort_by(|a, b| (&a.path, a.line, &a.name).cmp(&(&b.path, b.line, &b.name)));
    out.dedup();
    out
}

/// A file stored with the analysis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetrievedFile {
    /// Absolute path in the image.
    pub path: String,
    /// Layer (0 = base) that wrote the file.
    pub layer: usize,
    /// Size in bytes.
    pub size: u64,
    /// Permission and special bits, e.g. `0o644`.
    pub mode: u32,
    /// Owner user id.
    pub uid: u64,
    /// Owner group id.
    pub gid: u64,
    /// `utf-8` or `base64` when `content` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
    /// The content, encoded per `encoding`; `None` when not kept (see `note`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// Why the content is missing (too large, not captured, not a regular file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl RetrievedFile {
    /// The retrieved content, decoded (UTF-8 text or base64); `None` when there is none.
    pub fn bytes(&self) -> Option<Vec<u8>> {
        let c = self.content.as_deref()?;
        match self.encoding.as_deref() {
            Some("base64") => decode_base64(c),
            _ => Some(c.as_bytes().to_vec()),
        }
    }
}

/// True when the capture should keep this path for [`retrieve`].
pub fn wants_retrieved(paths: &[String], path: &str) -> bool {
    paths.iter().any(|p| p == path)
}

/// Retrieves the listed paths (following links) with their metadata; content is
/// included as UTF-8 text or base64 when captured and at most `max_size` bytes.
/// Paths absent from the image are left out.
pub fn retrieve(tree: &FileTree, paths: &[String], max_size: u64) -> Vec<RetrievedFile> {
    let mut out = Vec::new();
    for path in paths {
        let real = tree.resolve(path).unwrap_or_else(|| path.clone());
        let Some(entry) = tree.entry(&real).or_else(|| tree.entry(path)) else {
            continue;
        };
        let mut f = RetrievedFile {
            path: path.clone(),
            layer: entry.layer,
            size: entry.size,
            mode: entry.mode,
            uid: entry.uid.into(),
            gid: entry.gid.into(),
            encoding: None,
            content: None,
            note: None,
        };
        if !matches!(entry.kind, FileKind::Regular | FileKind::Hardlink) {
            f.note = Some("not a regular file".into());
        } else if entry.size > max_size {
            f.note = Some(format!("larger than the {max_size}-byte limit"));
        } else {
            match tree.read(path) {
                None => f.note = Some("content not captured".into()),
                Some(c) => match std::str::from_utf8(c) {
                    Ok(s) => {
                        f.encoding = Some("utf-8".into());
                        f.content = Some(s.to_string());
                    }
                    Err(_) => {
                        f.encoding = Some("base64".into());
                        f.content = Some(base64(c));
                    }
                },
            }
        }
        out.push(f);
    }
    out
}

/// Decodes standard base64 (padding optional, whitespace ignored); `None` when malformed.
fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(s.len() / 4 * 3);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// Standard base64 with padding.
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut s = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                s.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                s.push('=');
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::{base64, decode_base64};

    #[test]
    fn base64_matches_rfc4648_vectors_both_ways() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (i, o) in cases {
            assert_eq!(base64(i.as_bytes()), o);
            assert_eq!(decode_base64(o).as_deref(), Some(i.as_bytes()));
        }
        assert_eq!(decode_base64("Zm9v!"), None, "not base64");
    }
}
