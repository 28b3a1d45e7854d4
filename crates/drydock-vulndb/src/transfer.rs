//! `drydock db export` / `drydock db import`: one zstd-compressed file with a header
//! (magic, format, schema version, payload length, SHA-256 of the payload), and an
//! import that verifies while streaming into a temporary file beside the database,
//! then syncs and renames it into place. Anything wrong leaves the old database alone.

use crate::{Db, DbError, SCHEMA_VERSION};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// First bytes of an export file.
pub const MAGIC: &[u8; 8] = b"DDVULNDB";
/// Version of the export container format.
pub const FORMAT_VERSION: u32 = 1;
/// Header size: magic, format version, schema version, payload length, SHA-256.
pub const HEADER_LEN: usize = 8 + 4 + 4 + 8 + 32;
/// Largest database an import will write (decompressed).
pub const MAX_IMPORT_BYTES: u64 = 32 << 30;

/// Why an import was refused. The database in place is untouched in every case.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Not an export file (bad magic), or a header too short.
    #[error("{file}: not a drydock database export ({reason})")]
    NotAnExport {
        /// The file.
        file: String,
        /// Detail.
        reason: String,
    },
    /// Exported by a drydock with another schema or format.
    #[error("{file}: exported with schema version {found} (format {format}); this drydock reads schema {expected}")]
    Schema {
        /// The file.
        file: String,
        /// Schema version found.
        found: u32,
        /// Format version found.
        format: u32,
        /// Schema version expected.
        expected: u32,
    },
    /// The payload is damaged: checksum mismatch, truncation, bad compression.
    #[error("{file}: damaged export ({reason}); the current database was left in place")]
    Corrupt {
        /// The file.
        file: String,
        /// Detail.
        reason: String,
    },
    /// The decompressed payload is not a usable database.
    #[error("{file}: the exported database is unusable ({reason}); the current database was left in place")]
    BadDatabase {
        /// The file.
        file: String,
        /// Detail.
        reason: String,
    },
    /// A file-system error.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The error.
        source: io::Error,
    },
}

/// Writes `db_path` (a valid database) as an export file `file` (atomically).
/// Returns the payload's SHA-256 in hex.
pub fn export(db_path: &Path, file: &Path) -> Result<String, DbError> {
    drop(Db::open(db_path)?);
    let dir = parent_dir(file);
    let mut tmp = tempfile::Builder::new()
        .prefix(".drydock-export-")
        // Readable by every user, like the file it replaces (the database is public data).
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| DbError::io(format!("temporary file in {}", dir.display()), e))?;
    let io_err = |what: &str, e: io::Error| DbError::io(format!("{what} {}", file.display()), e);
    let f = tmp.as_file_mut();
    f.write_all(&[0u8; HEADER_LEN]).map_err(|e| io_err("write", e))?;
    let (digest, len) = {
        let mut hashing = HashWriter {
            inner: BufWriter::new(&mut *f),
            hasher: Sha256::new(),
            len: 0,
        };
        {
            let mut enc = zstd::Encoder::new(&mut hashing, 9).map_err(|e| io_err("compress", e))?;
            let mut src = File::open(db_path).map_err(|e| DbError::io(format!("read {}", db_path.display()), e))?;
            io::copy(&mut src, &mut enc).map_err(|e| io_err("compress", e))?;
            enc.finish().map_err(|e| io_err("compress", e))?;
        }
        hashing.inner.flush().map_err(|e| io_err("write", e))?;
        let HashWriter { hasher, len, .. } = hashing;
        let digest: [u8; 32] = hasher.finalize().into();
        (digest, len)
    };
    let mut header = Vec::with_capacity(HEADER_LEN);
    header.extend_from_slice(MAGIC);
    header.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    header.extend_from_slice(&SCHEMA_VERSION.to_le_bytes());
    header.extend_from_slice(&len.to_le_bytes());
    header.extend_from_slice(&digest);
    f.seek(SeekFrom::Start(0)).map_err(|e| io_err("write", e))?;
    f.write_all(&header).map_err(|e| io_err("write", e))?;
    f.sync_all().map_err(|e| io_err("sync", e))?;
    tmp.persist(file).map_err(|e| io_err("rename into", e.error))?;
    crate::build::sync_dir(&dir);
    Ok(hex::encode(digest))
}

struct HashWriter<W: Write> {
    inner: W,
    hasher: Sha256,
    len: u64,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct HashReader<R: Read> {
    inner: R,
    hasher: Sha256,
    len: u64,
}

impl<R: Read> Read for HashReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.len += n as u64;
        Ok(n)
    }
}

fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Imports an export file into `db_path` (see [`import_with`]).
pub fn import(file: &Path, db_path: &Path) -> Result<(), ImportError> {
    import_with(file, db_path, &mut |_| {})
}

/// Imports an export file: checks the header, streams the payload through SHA-256 and
/// zstd into a temporary file beside `db_path` (`.drydock-import-*.partial`, never
/// taken for the database), verifies the checksum, length and the database itself,
/// syncs, and renames it over `db_path`. `progress` is called with the bytes written
/// so far after each chunk. On any error the temporary file is removed (a killed
/// import leaves at most a `.partial` file) and `db_path` is untouched.
pub fn import_with(file: &Path, db_path: &Path, progress: &mut dyn FnMut(u64)) -> Result<(), ImportError> {
    let fname = file.display().to_string();
    let io_err = |context: String| move |source: io::Error| ImportError::Io { context, source };
    let mut f = BufReader::new(File::open(file).map_err(io_err(format!("open {fname}")))?);
    let mut header = [0u8; HEADER_LEN];
    if let Err(e) = f.read_exact(&mut header) {
        return Err(ImportError::NotAnExport {
            file: fname,
            reason: format!("header: {e}"),
        });
    }
    if &header[..8] != MAGIC {
        return Err(ImportError::NotAnExport {
            file: fname,
            reason: "bad magic".into(),
        });
    }
    let u32_at = |i: usize| u32::from_le_bytes(header[i..i + 4].try_into().unwrap_or([0; 4]));
    let format = u32_at(8);
    let schema = u32_at(12);
    if format != FORMAT_VERSION || schema != SCHEMA_VERSION {
        return Err(ImportError::Schema {
            file: fname,
            found: schema,
            format,
            expected: SCHEMA_VERSION,
        });
    }
    let payload_len = u64::from_le_bytes(header[16..24].try_into().unwrap_or([0; 8]));
    let want_digest = &header[24..56];
    let file_len = std::fs::metadata(file).map_err(io_err(format!("stat {fname}")))?.len();
    if file_len != HEADER_LEN as u64 + payload_len {
        return Err(ImportError::Corrupt {
            file: fname,
            reason: format!(
                "file is {file_len} bytes, the header announces {} (truncated or padded)",
                HEADER_LEN as u64 + payload_len
            ),
        });
    }
    let dir = parent_dir(db_path);
    std::fs::create_dir_all(&dir).map_err(io_err(format!("create {}", dir.display())))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".drydock-import-")
        // Readable by every user, like the file it replaces (the database is public data).
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644))
        .suffix(".partial")
        .tempfile_in(&dir)
        .map_err(io_err(format!("temporary file in {}", dir.display())))?;
    let corrupt = |reason: String| ImportError::Corrupt {
        file: file.display().to_string(),
        reason,
    };
    let mut hashing = HashReader {
        inner: f.take(payload_len),
        hasher: Sha256::new(),
        len: 0,
    };
    {
        let mut dec = zstd::Decoder::new(&mut hashing).map_err(|e| corrupt(format!("decompress: {e}")))?;
        let tmp_name = tmp.path().display().to_string();
        let out = tmp.as_file_mut();
        let mut buf = vec![0u8; 1 << 20];
        let mut written = 0u64;
        loop {
            let n = match dec.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(corrupt(format!("decompress: {e}"))),
            };
            written += n as u64;
            if written > MAX_IMPORT_BYTES {
                return Err(corrupt(format!("decompresses to more than {MAX_IMPORT_BYTES} bytes")));
            }
            out.write_all(&buf[..n]).map_err(io_err(format!("write {tmp_name}")))?;
            progress(written);
        }
    }
    // Drain whatever the decoder did not need, so the checksum covers the whole payload.
    io::copy(&mut hashing, &mut io::sink()).map_err(io_err(format!("read {fname}")))?;
    if hashing.len != payload_len {
        return Err(corrupt(format!(
            "payload is {} bytes, expected {payload_len}",
            hashing.len
        )));
    }
    let digest: [u8; 32] = hashing.hasher.finalize().into();
    if digest[..] != want_digest[..] {
        return Err(corrupt(format!(
            "checksum mismatch: payload sha256 {} but header says {}",
            hex::encode(digest),
            hex::encode(want_digest)
        )));
    }
    tmp.as_file()
        .sync_all()
        .map_err(io_err(format!("sync {}", tmp.path().display())))?;
    // The database itself must open and pass SQLite's check.
    let bad = |reason: String| ImportError::BadDatabase {
        file: file.display().to_string(),
        reason,
    };
    {
        let db = Db::open(tmp.path()).map_err(|e| bad(e.to_string()))?;
        let conn = db.conn();
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| bad(format!("quick_check: {e}")))?;
        if check != "ok" {
            return Err(bad(format!("quick_check: {check}")));
        }
    }
    tmp.persist(db_path).map_err(|e| ImportError::Io {
        context: format!("rename into {}", db_path.display()),
        source: e.error,
    })?;
    crate::build::sync_dir(&dir);
    Ok(())
}
