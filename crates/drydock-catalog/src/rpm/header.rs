//! RPM header blobs as the package databases store them: a big-endian index
//! count and data length, the index entries (tag, type, offset, count) and the
//! data store they point into. Every read is bounds-checked against the blob, and
//! nothing is allocated from a count before the data behind it is known to exist.

use std::fmt;

/// Most index entries rpm itself accepts in one header.
const MAX_ENTRIES: usize = 0xffff;
/// Largest data store rpm itself accepts in one header.
const MAX_DATA: usize = 0x0fff_ffff;
/// Size of one index entry.
const ENTRY_SIZE: usize = 16;
/// Most bytes of file paths one package may expand to (directory plus base names);
/// real packages stay far below, hostile ones could multiply a long directory name.
const MAX_FILE_LIST_BYTES: usize = 64 << 20;
/// Most bytes of file paths per byte of header: real headers hold more per file
/// (digests, modes, sizes, owners) than the joined path, so this only stops blow-ups.
const MAX_FILE_LIST_RATIO: usize = 16;

pub(crate) const TAG_NAME: u32 = 1000;
pub(crate) const TAG_VERSION: u32 = 1001;
pub(crate) const TAG_RELEASE: u32 = 1002;
pub(crate) const TAG_EPOCH: u32 = 1003;
pub(crate) const TAG_SIZE: u32 = 1009;
pub(crate) const TAG_VENDOR: u32 = 1011;
pub(crate) const TAG_LICENSE: u32 = 1014;
pub(crate) const TAG_ARCH: u32 = 1022;
pub(crate) const TAG_OLDFILENAMES: u32 = 1027;
pub(crate) const TAG_FILEDIGESTS: u32 = 1035;
pub(crate) const TAG_SOURCERPM: u32 = 1044;
pub(crate) const TAG_DIRINDEXES: u32 = 1116;
pub(crate) const TAG_BASENAMES: u32 = 1117;
pub(crate) const TAG_DIRNAMES: u32 = 1118;
pub(crate) const TAG_LONGSIZE: u32 = 5009;
pub(crate) const TAG_FILEDIGESTALGO: u32 = 5011;

const TYPE_INT32: u32 = 4;
const TYPE_INT64: u32 = 5;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;
/// Highest defined entry type (RPM_I18NSTRING_TYPE).
const TYPE_MAX: u32 = 9;

/// Why a header blob (or one of its tags) could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderError(String);

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T, HeaderError> {
    Err(HeaderError(msg.into()))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    ty: u32,
    offset: usize,
    count: usize,
}

/// A parsed header: its index and data store, borrowed from the blob.
#[derive(Debug)]
pub(crate) struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

impl<'a> Header<'a> {
    /// Parses the index of a header blob (`il`, `dl`, entries, data store).
    pub(crate) fn parse(blob: &'a [u8]) -> Result<Self, HeaderError> {
        let (Some(il), Some(dl)) = (be32(blob, 0), be32(blob, 4)) else {
            return err(format!("header blob of {} bytes is too short", blob.len()));
        };
        let (il, dl) = (il as usize, dl as usize);
        if il == 0 || il > MAX_ENTRIES {
            return err(format!("header has an impossible index count {il}"));
        }
        if dl > MAX_DATA {
            return err(format!("header has an impossible data length {dl}"));
        }
        // il and dl are bounded above, so this cannot overflow.
        let data_start = 8 + il * ENTRY_SIZE;
        let needed = data_start + dl;
        if blob.len() < needed {
            return err(format!(
                "header is truncated: {il} entries and {dl} data bytes need {needed} bytes, blob has {}",
                blob.len()
            ));
        }
        let data = &blob[data_start..needed];
        let mut entries = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * ENTRY_SIZE;
            let (Some(tag), Some(ty), Some(offset), Some(count)) = (
                be32(blob, at),
                be32(blob, at + 4),
                be32(blob, at + 8),
                be32(blob, at + 12),
            ) else {
                return err("header index is truncated");
            };
            if ty > TYPE_MAX {
                return err(format!("index entry {i} (tag {tag}) has unknown type {ty}"));
            }
            let (offset, count) = (offset as usize, count as usize);
            if offset > dl {
                return err(format!(
                    "index entry {i} (tag {tag}) points past the data store ({offset} > {dl})"
                ));
            }
            entries.push(Entry { tag, ty, offset, count });
        }
        Ok(Header { entries, data })
    }

    fn find(&self, tag: u32) -> Option<Entry> {
        self.entries.iter().find(|e| e.tag == tag).copied()
    }

    /// Reads `count` NUL-terminated strings starting at the entry's offset.
    fn strings(&self, e: Entry, limit: usize) -> Result<Vec<String>, HeaderError> {
        let mut out = Vec::new();
        let mut pos = e.offset;
        for _ in 0..e.count.min(limit) {
            let rest = self.data.get(pos..).unwrap_or_default();
            let Some(nul) = rest.iter().position(|&b| b == 0) else {
                return err(format!("tag {} has an unterminated string", e.tag));
            };
            out.push(String::from_utf8_lossy(&rest[..nul]).into_owned());
            pos += nul + 1;
        }
        Ok(out)
    }

    /// A single string (STRING, or the first of an I18NSTRING or STRING_ARRAY).
    pub(crate) fn string(&self, tag: u32) -> Result<Option<String>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if !matches!(e.ty, TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY) {
            return err(format!("tag {tag} has type {} where a string was expected", e.ty));
        }
        if e.count == 0 {
            return err(format!("tag {tag} has no values"));
        }
        Ok(self.strings(e, 1)?.pop())
    }

    /// All strings of a STRING_ARRAY tag (empty when absent).
    pub(crate) fn string_array(&self, tag: u32) -> Result<Vec<String>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(Vec::new());
        };
        if e.ty != TYPE_STRING_ARRAY {
            return err(format!("tag {tag} has type {} where a string array was expected", e.ty));
        }
        // Every string takes at least one byte, so more strings than bytes is a lie.
        if e.count > self.data.len() - e.offset {
            return err(format!(
                "tag {tag} claims {} strings in {} bytes",
                e.count,
                self.data.len() - e.offset
            ));
        }
        self.strings(e, e.count)
    }

    /// All values of an INT32 tag (empty when absent).
    pub(crate) fn int32_array(&self, tag: u32) -> Result<Vec<u32>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(Vec::new());
        };
        if e.ty != TYPE_INT32 {
            return err(format!("tag {tag} has type {} where INT32 was expected", e.ty));
        }
        let bytes = e
            .count
            .checked_mul(4)
            .and_then(|n| self.data.get(e.offset..e.offset.checked_add(n)?));
        let Some(bytes) = bytes else {
            return err(format!("tag {tag} claims {} INT32 values past the data store", e.count));
        };
        Ok(bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// The first value of an INT32 tag.
    pub(crate) fn int32(&self, tag: u32) -> Result<Option<u32>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if e.count == 0 {
            return err(format!("tag {tag} has no values"));
        }
        Ok(self.int32_array(tag)?.first().copied())
    }

    /// The first value of an INT64 tag.
    pub(crate) fn int64(&self, tag: u32) -> Result<Option<u64>, HeaderError> {
        let Some(e) = self.find(tag) else {
            return Ok(None);
        };
        if e.ty != TYPE_INT64 {
            return err(format!("tag {tag} has type {} where INT64 was expected", e.ty));
        }
        if e.count == 0 {
            return err(format!("tag {tag} has no values"));
        }
        let Some(b) = self
            .data
            .get(e.offset..e.offset.saturating_add(8))
            .filter(|b| b.len() == 8)
        else {
            return err(format!("tag {tag} points past the data store"));
        };
        Ok(Some(u64::from_be_bytes([
            b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
        ])))
    }
}

/// A file listed in a header, with its recorded digest (`algorithm:hex`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HeaderFile {
    pub path: String,
    pub digest: Option<String>,
}

/// The fields of an installed package's header that the cataloger reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PackageInfo {
    pub name: String,
    pub version: String,
    pub release: String,
    pub epoch: Option<u32>,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
    pub size: Option<u64>,
    pub files: Vec<HeaderFile>,
}

/// Name of a file digest algorithm by its OpenPGP hash number (rpm's PGPHASHALGO).
fn digest_algorithm(algo: u32) -> Option<&'static str> {
    Some(match algo {
        1 => "md5",
        2 => "sha1",
        3 => "ripemd160",
        5 => "md2",
        6 => "tiger192",
        8 => "sha256",
        9 => "sha384",
        10 => "sha512",
        11 => "sha224",
        _ => return None,
    })
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty() && s != "(none)")
}

/// Reads a package from a header blob. Problems that leave the package usable (a
/// file list that does not add up) are returned as notes; anything that makes the
/// record unusable is an error.
pub(crate) fn read_package(blob: &[u8]) -> Result<(PackageInfo, Vec<String>), HeaderError> {
    let h = Header::parse(blob)?;
    let limit = blob.len().saturating_mul(MAX_FILE_LIST_RATIO).min(MAX_FILE_LIST_BYTES);
    let mut notes = Vec::new();
    let required = |tag: u32, what: &str| -> Result<String, HeaderError> {
        match h.string(tag)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => err(format!("header has no {what}")),
        }
    };
    let name = required(TAG_NAME, "NAME")?;
    let version = required(TAG_VERSION, "VERSION")?;
    let release = required(TAG_RELEASE, "RELEASE")?;
    let mut info = PackageInfo {
        name,
        version,
        release,
        epoch: h.int32(TAG_EPOCH)?,
        arch: non_empty(h.string(TAG_ARCH)?),
        source_rpm: non_empty(h.string(TAG_SOURCERPM)?),
        license: non_empty(h.string(TAG_LICENSE)?),
        vendor: non_empty(h.string(TAG_VENDOR)?),
        size: match h.int64(TAG_LONGSIZE)? {
            Some(n) => Some(n),
            None => h.int32(TAG_SIZE)?.map(u64::from),
        },
        files: Vec::new(),
    };
    match files(&h, limit) {
        Ok((files, digest_note)) => {
            info.files = files;
            notes.extend(digest_note);
        }
        Err(e) => notes.push(format!("file list omitted: {e}")),
    }
    Ok((info, notes))
}

/// The file list: DIRNAMES + BASENAMES + DIRINDEXES (or the old OLDFILENAMES), with
/// FILEDIGESTS in FILEDIGESTALGO (md5 when absent), at most `limit` bytes of paths.
fn files(h: &Header<'_>, limit: usize) -> Result<(Vec<HeaderFile>, Option<String>), HeaderError> {
    let basenames = h.string_array(TAG_BASENAMES)?;
    let paths: Vec<String> = if basenames.is_empty() {
        let old = h.string_array(TAG_OLDFILENAMES)?;
        if old.iter().map(String::len).fold(0usize, usize::saturating_add) > limit {
            return err("file paths exceed the size limit");
        }
        old
    } else {
        let dirnames = h.string_array(TAG_DIRNAMES)?;
        let dirindexes = h.int32_array(TAG_DIRINDEXES)?;
        if dirindexes.len() != basenames.len() {
            return err(format!(
                "{} base names but {} directory indexes",
                basenames.len(),
                dirindexes.len()
            ));
        }
        let mut total = 0usize;
        for (base, &di) in basenames.iter().zip(&dirindexes) {
            let Some(dir) = dirnames.get(di as usize) else {
                return err(format!("directory index {di} out of {} directories", dirnames.len()));
            };
            total = total.saturating_add(dir.len()).saturating_add(base.len());
        }
        if total > limit {
            return err(format!("file paths would take {total} bytes, over the limit"));
        }
        basenames
            .iter()
            .zip(&dirindexes)
            .map(|(base, &di)| {
                let dir = dirnames.get(di as usize).map(String::as_str).unwrap_or_default();
                format!("{dir}{base}")
            })
            .collect()
    };
    let digests = h.string_array(TAG_FILEDIGESTS)?;
    let algo_num = h.int32(TAG_FILEDIGESTALGO)?.unwrap_or(1);
    let mut note = None;
    let algo = match digest_algorithm(algo_num) {
        Some(a) if digests.len() == paths.len() => Some(a),
        Some(_) if digests.is_empty() => None,
        Some(_) => {
            note = Some(format!(
                "file digests omitted: {} digests for {} files",
                digests.len(),
                paths.len()
            ));
            None
        }
        None => {
            if !digests.is_empty() {
                note = Some(format!("file digests omitted: unknown digest algorithm {algo_num}"));
            }
            None
        }
    };
    let files = paths
        .into_iter()
        .enumerate()
        .map(|(i, path)| HeaderFile {
            path,
            digest: algo.and_then(|a| digests.get(i).filter(|d| !d.is_empty()).map(|d| format!("{a}:{d}"))),
        })
        .collect();
    Ok((files, note))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Builds header blobs for tests: entries in order, data appended as given.
    #[derive(Default)]
    pub(crate) struct Builder {
        index: Vec<[u32; 4]>,
        data: Vec<u8>,
    }

    impl Builder {
        pub(crate) fn raw(mut self, tag: u32, ty: u32, bytes: &[u8], count: u32) -> Self {
            if ty == TYPE_INT32 {
                while self.data.len() & 3 != 0 {
                    self.data.push(0);
                }
            }
            self.index.push([tag, ty, self.data.len() as u32, count]);
            self.data.extend_from_slice(bytes);
            self
        }
        pub(crate) fn string(self, tag: u32, s: &str) -> Self {
            let mut b = s.as_bytes().to_vec();
            b.push(0);
            self.raw(tag, TYPE_STRING, &b, 1)
        }
        pub(crate) fn strings(self, tag: u32, items: &[&str]) -> Self {
            let mut b = Vec::new();
            for s in items {
                b.extend_from_slice(s.as_bytes());
                b.push(0);
            }
            self.raw(tag, TYPE_STRING_ARRAY, &b, items.len() as u32)
        }
        pub(crate) fn int32(self, tag: u32, values: &[u32]) -> Self {
            let b: Vec<u8> = values.iter().flat_map(|v| v.to_be_bytes()).collect();
            self.raw(tag, TYPE_INT32, &b, values.len() as u32)
        }
        pub(crate) fn build(&self) -> Vec<u8> {
            let mut out = Vec::new();
            out.extend((self.index.len() as u32).to_be_bytes());
            out.extend((self.data.len() as u32).to_be_bytes());
            for e in &self.index {
                for v in e {
                    out.extend(v.to_be_bytes());
                }
            }
            out.extend(&self.data);
            out
        }
    }

    pub(crate) fn sample() -> Builder {
        Builder::default()
            .string(TAG_NAME, "bash")
            .string(TAG_VERSION, "5.1.8")
            .string(TAG_RELEASE, "9.el9")
            .int32(TAG_EPOCH, &[1])
            .string(TAG_ARCH, "x86_64")
            .string(TAG_SOURCERPM, "bash-5.1.8-9.el9.src.rpm")
            .string(TAG_LICENSE, "GPLv3+")
            .string(TAG_VENDOR, "Red Hat, Inc.")
            .int32(TAG_SIZE, &[7_000_000])
            .strings(TAG_DIRNAMES, &["/usr/bin/", "/etc/"])
            .strings(TAG_BASENAMES, &["bash", "bashrc", "sh"])
            .int32(TAG_DIRINDEXES, &[0, 1, 0])
            .strings(TAG_FILEDIGESTS, &["aa11", "bb22", ""])
            .int32(TAG_FILEDIGESTALGO, &[8])
    }

    #[test]
    fn reads_the_package_fields() {
        let (p, notes) = read_package(&sample().build()).unwrap();
        assert!(notes.is_empty(), "{notes:?}");
        assert_eq!(
            (p.name.as_str(), p.version.as_str(), p.release.as_str()),
            ("bash", "5.1.8", "9.el9")
        );
        assert_eq!(p.epoch, Some(1));
        assert_eq!(p.arch.as_deref(), Some("x86_64"));
        assert_eq!(p.vendor.as_deref(), Some("Red Hat, Inc."));
        assert_eq!(p.size, Some(7_000_000));
        let files: Vec<(&str, Option<&str>)> = p.files.iter().map(|f| (f.path.as_str(), f.digest.as_deref())).collect();
        assert_eq!(
            files,
            [
                ("/usr/bin/bash", Some("sha256:aa11")),
                ("/etc/bashrc", Some("sha256:bb22")),
                ("/usr/bin/sh", None)
            ]
        );
    }

    #[test]
    fn md5_is_the_default_digest_and_longsize_wins() {
        let blob = Builder::default()
            .string(TAG_NAME, "a")
            .string(TAG_VERSION, "1")
            .string(TAG_RELEASE, "1")
            .int32(TAG_SIZE, &[5])
            .raw(TAG_LONGSIZE, TYPE_INT64, &(1u64 << 33).to_be_bytes(), 1)
            .strings(TAG_OLDFILENAMES, &["/a/b"])
            .strings(TAG_FILEDIGESTS, &["00ff"])
            .build();
        let (p, _) = read_package(&blob).unwrap();
        assert_eq!(p.size, Some(1 << 33));
        assert_eq!(p.epoch, None);
        assert_eq!(p.files[0].digest.as_deref(), Some("md5:00ff"));
    }

    #[test]
    fn every_truncation_is_an_error_or_a_package_never_a_panic() {
        let blob = sample().build();
        for n in 0..blob.len() {
            if let Ok((p, _)) = read_package(&blob[..n]) {
                panic!("truncated blob of {n} bytes parsed as {p:?}");
            }
        }
    }

    #[test]
    fn absurd_counts_are_rejected_without_allocating() {
        let mut blob = sample().build();
        blob[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(read_package(&blob).unwrap_err().0.contains("index count"));
        let mut blob = sample().build();
        blob[4..8].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
        assert!(read_package(&blob).unwrap_err().0.contains("data length"));
        // BASENAMES (entry 10) claiming four billion strings.
        let mut blob = sample().build();
        let at = 8 + 10 * ENTRY_SIZE + 12;
        blob[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let (p, notes) = read_package(&blob).unwrap();
        assert!(p.files.is_empty());
        assert!(notes[0].contains("claims"), "{notes:?}");
        // DIRINDEXES (entry 11) claiming four billion values.
        let mut blob = sample().build();
        let at = 8 + 11 * ENTRY_SIZE + 12;
        blob[at..at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        let (_, notes) = read_package(&blob).unwrap();
        assert!(notes[0].contains("INT32"), "{notes:?}");
    }

    #[test]
    fn bad_entries_are_errors() {
        // NAME's offset past the data store.
        let mut blob = sample().build();
        blob[8 + 8..8 + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(read_package(&blob).is_err());
        // Unknown type.
        let mut blob = sample().build();
        blob[8 + 4..8 + 8].copy_from_slice(&77u32.to_be_bytes());
        assert!(read_package(&blob).is_err());
        // NAME as INT32.
        let blob = Builder::default().int32(TAG_NAME, &[1]).build();
        assert!(read_package(&blob).is_err());
        // Missing NAME.
        let blob = Builder::default().string(TAG_VERSION, "1").build();
        assert!(read_package(&blob).unwrap_err().0.contains("NAME"));
    }

    #[test]
    fn inconsistent_file_lists_are_notes() {
        let blob = Builder::default()
            .string(TAG_NAME, "a")
            .string(TAG_VERSION, "1")
            .string(TAG_RELEASE, "1")
            .strings(TAG_DIRNAMES, &["/"])
            .strings(TAG_BASENAMES, &["x"])
            .int32(TAG_DIRINDEXES, &[3])
            .build();
        let (p, notes) = read_package(&blob).unwrap();
        assert!(p.files.is_empty());
        assert!(notes[0].contains("directory index 3"), "{notes:?}");
        let blob = Builder::default()
            .string(TAG_NAME, "a")
            .string(TAG_VERSION, "1")
            .string(TAG_RELEASE, "1")
            .strings(TAG_DIRNAMES, &["/"])
            .strings(TAG_BASENAMES, &["x", "y"])
            .int32(TAG_DIRINDEXES, &[0, 0])
            .strings(TAG_FILEDIGESTS, &["ab"])
            .build();
        let (p, notes) = read_package(&blob).unwrap();
        assert_eq!(p.files.len(), 2);
        assert!(p.files.iter().all(|f| f.digest.is_none()));
        assert!(notes[0].contains("1 digests for 2 files"), "{notes:?}");
    }

    #[test]
    fn a_long_directory_name_cannot_blow_up_the_file_list() {
        let dir = "d".repeat(1 << 20);
        let bases: Vec<&str> = vec!["x"; 100];
        let blob = Builder::default()
            .string(TAG_NAME, "a")
            .string(TAG_VERSION, "1")
            .string(TAG_RELEASE, "1")
            .strings(TAG_DIRNAMES, &[&dir])
            .strings(TAG_BASENAMES, &bases)
            .int32(TAG_DIRINDEXES, &[0; 100])
            .build();
        let (p, notes) = read_package(&blob).unwrap();
        assert!(p.files.is_empty());
        assert!(notes[0].contains("over the limit"), "{notes:?}");
        // Small headers are held to a ratio: 1000 paths of a 1 KiB directory.
        let dir = "d".repeat(1024);
        let bases: Vec<&str> = vec!["x"; 1000];
        let blob = Builder::default()
            .string(TAG_NAME, "a")
            .string(TAG_VERSION, "1")
            .string(TAG_RELEASE, "1")
            .strings(TAG_DIRNAMES, &[&dir])
            .strings(TAG_BASENAMES, &bases)
            .int32(TAG_DIRINDEXES, &[0; 1000])
            .build();
        let (p, notes) = read_package(&blob).unwrap();
        assert!(p.files.is_empty() && notes[0].contains("over the limit"), "{notes:?}");
    }
}
