//! The files of a layer: entries, digests, captured contents and what one pass over a
//! layer learned ([`LayerIndex`]).

use crate::path_map::PathMap;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The kind of a file system entry.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A regular file.
    Regular,
    /// A directory.
    Directory,
    /// A symbolic link (`link` holds its target).
    Symlink,
    /// A hard link (`link` holds the absolute path it shares content with).
    Hardlink,
    /// A character device.
    CharDevice,
    /// A block device.
    BlockDevice,
    /// A named pipe.
    Fifo,
}

/// Metadata of one path in a layer or in the squashed view. Compact (48 bytes): a layer
/// may hold millions of them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    /// What kind of entry this is.
    pub kind: FileKind,
    /// Permission and special bits (setuid, setgid, sticky), without the type bits.
    pub mode: u32,
    /// Owner (Linux ids are 32 bits; a bigger id in a tar header reads as `u32::MAX`).
    pub uid: u32,
    /// Owning group (as `uid`).
    pub gid: u32,
    /// Size in bytes as the tar header records it (0 for all but regular files).
    pub size: u64,
    /// Target of a symbolic or hard link, as stored (hard links normalised to absolute).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<Box<str>>,
    /// Layer that wrote this version of the path.
    pub layer: usize,
}

/// Shared, immutable file content captured during the single pass.
pub type Content = Arc<[u8]>;

/// Summaries extracted from one file during the pass: extractor name → its result.
pub type Extracted = BTreeMap<String, String>;

/// Content digests of a regular file, computed during the pass when the capture asks for
/// them. Held as bytes (48 per file: images have millions of files), written as lower-case
/// hex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigests {
    sha256: [u8; 32],
    /// MD5, the algorithm dpkg records for package files.
    md5: [u8; 16],
}

/// How [`FileDigests`] are written: lower-case hex.
#[derive(Serialize, Deserialize)]
struct HexDigests {
    sha256: String,
    md5: String,
}

impl Serialize for FileDigests {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        HexDigests {
            sha256: self.sha256(),
            md5: self.md5(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for FileDigests {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let h = HexDigests::deserialize(d)?;
        let mut out = FileDigests {
            sha256: [0; 32],
            md5: [0; 16],
        };
        hex::decode_to_slice(&h.sha256, &mut out.sha256).map_err(serde::de::Error::custom)?;
        hex::decode_to_slice(&h.md5, &mut out.md5).map_err(serde::de::Error::custom)?;
        Ok(out)
    }
}

impl FileDigests {
    /// SHA-256 in lower-case hex.
    pub fn sha256(&self) -> String {
        hex::encode(self.sha256)
    }

    /// MD5 in lower-case hex.
    pub fn md5(&self) -> String {
        hex::encode(self.md5)
    }

    /// Digests of a whole content.
    pub fn of(content: &[u8]) -> Self {
        let mut h = Hashers::default();
        h.update(content);
        h.finish()
    }
}

/// Running SHA-256 and MD5 over a file streamed in pieces.
#[derive(Default)]
pub struct Hashers {
    sha256: sha2::Sha256,
    md5: md5::Md5,
}

impl Hashers {
    /// Feeds the next piece.
    pub fn update(&mut self, data: &[u8]) {
        use sha2::Digest;
        self.sha256.update(data);
        self.md5.update(data);
    }
    /// The digests of everything fed.
    pub fn finish(self) -> FileDigests {
        use sha2::Digest;
        FileDigests {
            sha256: self.sha256.finalize().into(),
            md5: self.md5.finalize().into(),
        }
    }
}

/// What one pass over one layer learned: its entries, deletions and captured files.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LayerIndex {
    /// Paths the layer writes, with their metadata.
    pub entries: PathMap<FileEntry>,
    /// Paths the layer deletes from lower layers (`.wh.` files).
    #[serde(default)]
    pub whiteouts: Vec<String>,
    /// Directories whose lower-layer contents the layer hides (`.wh..wh..opq`).
    #[serde(default)]
    pub opaque_dirs: Vec<String>,
    /// Contents of the files that catalogers asked for.
    #[serde(default, with = "content_map")]
    pub captured: BTreeMap<String, Content>,
    /// Summaries of files read for extraction (binaries, archives), by path.
    #[serde(default)]
    pub extracted: BTreeMap<String, Arc<Extracted>>,
    /// Content digests of regular files, when the capture asked for them.
    #[serde(default, skip_serializing_if = "PathMap::is_empty")]
    pub digests: PathMap<FileDigests>,
    /// Entries skipped as hostile or unreadable, with the reason.
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Bytes of the uncompressed layer.
    #[serde(default)]
    pub uncompressed_size: u64,
}

/// Serialises captured contents as base64 strings (compact, JSON-safe) for the cache.
mod content_map {
    use super::Content;
    use base64::Engine;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(map: &BTreeMap<String, Content>, s: S) -> Result<S::Ok, S::Error> {
        let enc: BTreeMap<&str, String> = map
            .iter()
            .map(|(k, v)| (k.as_str(), base64::engine::general_purpose::STANDARD.encode(v)))
            .collect();
        enc.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Content>, D::Error> {
        let enc = BTreeMap::<String, String>::deserialize(d)?;
        enc.into_iter()
            .map(|(k, v)| {
                base64::engine::general_purpose::STANDARD
                    .decode(v)
                    .map(|b| (k, Content::from(b)))
                    .map_err(serde::de::Error::custom)
            })
            .collect()
    }
}
