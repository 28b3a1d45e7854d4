//! Zipped `.egg` archives: the `EGG-INFO/PKG-INFO` inside is summarised during the
//! layer pass (only its header block is kept) and read back when cataloguing.

use serde_json::json;
use std::io::{Cursor, Read};

/// Largest `.egg` archive opened.
pub(super) const MAX_EGG_BYTES: u64 = 64 << 20;
/// Largest `PKG-INFO` read from inside an archive (it is compressed: bounds the inflate).
const MAX_PKG_INFO_BYTES: u64 = 1 << 20;
/// Most header bytes kept in the summary.
const MAX_HEADER_BYTES: usize = 64 << 10;

/// Summarises an archive as JSON: `{"pkg_info": "<headers>"}` or `{"error": "..."}`.
pub(super) fn summarise(content: &[u8]) -> String {
    match header_block(content) {
        Ok(headers) => json!({ "pkg_info": headers }).to_string(),
        Err(e) => json!({ "error": e }).to_string(),
    }
}

/// The `PKG-INFO` header text from a summary, or why there is none.
pub(super) fn pkg_info(summary: &str) -> Result<String, String> {
    let v: serde_json::Value = serde_json::from_str(summary).map_err(|e| format!("bad summary: {e}"))?;
    if let Some(text) = v.get("pkg_info").and_then(|t| t.as_str()) {
        return Ok(text.to_string());
    }
    Err(v
        .get("error")
        .and_then(|e| e.as_str())
        .unwrap_or("unreadable egg archive")
        .to_string())
}

fn header_block(content: &[u8]) -> Result<String, String> {
    let mut zip = zip::ZipArchive::new(Cursor::new(content)).map_err(|e| format!("not a readable zip archive: {e}"))?;
    let entry = zip
        .by_name("EGG-INFO/PKG-INFO")
        .map_err(|_| "no EGG-INFO/PKG-INFO in the archive".to_string())?;
    let mut buf = Vec::new();
    entry
        .take(MAX_PKG_INFO_BYTES)
        .read_to_end(&mut buf)
        .map_err(|e| format!("EGG-INFO/PKG-INFO unreadable: {e}"))?;
    let text = String::from_utf8_lossy(&buf);
    // Only the header block matters (the body is the long description).
    let end = text.find("\n\n").unwrap_or(text.len());
    let mut cut = end.min(MAX_HEADER_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    Ok(text[..cut].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    pub(crate) fn egg(pkg_info: &str) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("EGG-INFO/PKG-INFO", opts).unwrap();
        w.write_all(pkg_info.as_bytes()).unwrap();
        w.start_file("demo/__init__.py", opts).unwrap();
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn keeps_only_the_header_block() {
        let s = summarise(&egg("Metadata-Version: 1.1\nName: demo\nVersion: 0.3\n\nlong text\n"));
        assert_eq!(pkg_info(&s).unwrap(), "Metadata-Version: 1.1\nName: demo\nVersion: 0.3");
    }

    #[test]
    fn broken_archives_say_why() {
        assert!(pkg_info(&summarise(b"PK\x03\x04 truncated"))
            .unwrap_err()
            .contains("zip"));
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        w.start_file("other.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        let empty = w.finish().unwrap().into_inner();
        assert!(pkg_info(&summarise(&empty)).unwrap_err().contains("EGG-INFO/PKG-INFO"));
    }
}
