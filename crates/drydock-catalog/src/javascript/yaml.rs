//! The line-oriented subset of YAML that `pnpm-lock.yaml` and yarn lock files (berry's
//! YAML and classic's YAML-like format) are written in: one `key: value`, `key:` or
//! (classic yarn) `key value` per line, nesting by indentation. Flow collections,
//! anchors and multi-line scalars are kept as raw text; nothing here can panic.

/// One significant line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    /// Leading spaces.
    pub indent: usize,
    /// The key with quotes removed (may hold several comma-separated specs in yarn).
    pub key: String,
    /// The value with quotes removed; `None` for `key:` opening a nested block.
    pub value: Option<String>,
    /// The raw key text, before unquoting.
    pub raw_key: &'a str,
}

/// The significant lines of a document (blank lines, comments and list items skipped).
pub fn lines(text: &str) -> impl Iterator<Item = Line<'_>> {
    text.lines().filter_map(line)
}

fn line(raw: &str) -> Option<Line<'_>> {
    let raw = raw.trim_end();
    let content = raw.trim_start_matches(' ');
    if content.is_empty() || content.starts_with('#') || content.starts_with("- ") || content == "-" {
        return None;
    }
    let indent = raw.len() - content.len();
    let (raw_key, value) = split_key(content);
    let raw_key = raw_key.trim();
    Some(Line {
        indent,
        key: unquote(raw_key),
        value: value.map(|v| unquote(v.trim())),
        raw_key,
    })
}

/// Splits at the first `: ` (or a final `:`) outside quotes; failing that, at the
/// first space outside quotes (classic yarn's `version "1.2.3"`).
fn split_key(content: &str) -> (&str, Option<&str>) {
    let bytes = content.as_bytes();
    let mut quote: Option<u8> = None;
    let mut first_space = None;
    for (i, &b) in bytes.iter().enumerate() {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None => match b {
                b'"' | b'\'' => quote = Some(b),
                b':' if i + 1 == bytes.len() => return (&content[..i], None),
                b':' if bytes[i + 1] == b' ' => return (&content[..i], Some(&content[i + 2..])),
                b' ' if first_space.is_none() => first_space = Some(i),
                _ => {}
            },
        }
    }
    match first_space {
        Some(i) => (&content[..i], Some(&content[i + 1..])),
        None => (content, Some("")),
    }
}

/// Removes one pair of surrounding quotes.
pub fn unquote(s: &str) -> String {
    let b = s.as_bytes();
    if b.len() >= 2 && (b[0] == b'"' || b[0] == b'\'') && b[b.len() - 1] == b[0] {
        s[1..s.len() - 1].to_string()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(text: &str) -> Vec<(usize, String, Option<String>)> {
        lines(text).map(|l| (l.indent, l.key, l.value)).collect()
    }

    #[test]
    fn the_three_line_shapes() {
        let got = kv("# c\n\n'@a/b@1.0.0':\n  resolution: {integrity: sha512-x}\n  version \"1.2.3\"\n  - item\n");
        assert_eq!(
            got,
            [
                (0, "@a/b@1.0.0".to_string(), None),
                (2, "resolution".to_string(), Some("{integrity: sha512-x}".to_string())),
                (2, "version".to_string(), Some("1.2.3".to_string())),
            ]
        );
    }

    #[test]
    fn quoted_colons_stay_in_keys() {
        let got = kv("\"a@npm:1.0.0, a@npm:^1\":\n  dev: true\r\nx\n\"\n'");
        assert_eq!(got[0].1, "a@npm:1.0.0, a@npm:^1");
        assert_eq!(got[1], (2, "dev".to_string(), Some("true".to_string())));
        assert_eq!(got[2], (0, "x".to_string(), Some(String::new())));
        assert_eq!(got.len(), 5);
    }
}
