//! rpm's SQLite database (`rpmdb.sqlite`), table `Packages(hnum, blob)`. The file
//! is opened read-only from memory (sqlite3_deserialize): nothing is written to
//! disk. rpm keeps the database in WAL mode; committed frames of a non-empty
//! `-wal` file are applied to the in-memory copy first, as SQLite would on open.

use super::{Record, Records};
use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, MAIN_DB};
use std::borrow::Cow;

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const WAL_MAGIC: u32 = 0x377f_0682;
const WAL_HEADER: usize = 32;
const WAL_FRAME_HEADER: usize = 24;

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Page size from a database or WAL header field (1 means 65536).
fn page_size(raw: u32) -> Option<usize> {
    let ps = if raw == 1 { 65536 } else { raw as usize };
    ((512..=65536).contains(&ps) && ps.is_power_of_two()).then_some(ps)
}

/// SQLite's WAL checksum over `data` (a multiple of 8 bytes), continuing from `s`.
fn wal_checksum(big_endian: bool, data: &[u8], mut s: (u32, u32)) -> (u32, u32) {
    for c in data.chunks_exact(8) {
        let word = |b: &[u8]| {
            let a = [b[0], b[1], b[2], b[3]];
            if big_endian {
                u32::from_be_bytes(a)
            } else {
                u32::from_le_bytes(a)
            }
        };
        s.0 = s.0.wrapping_add(word(&c[..4])).wrapping_add(s.1);
        s.1 = s.1.wrapping_add(word(&c[4..])).wrapping_add(s.0);
    }
    s
}

/// Applies the committed frames of a WAL file to a copy of the database. Returns
/// `None` when the WAL holds nothing valid (SQLite would ignore it too).
fn apply_wal(db: &[u8], wal: &[u8]) -> Result<Option<Vec<u8>>, String> {
    let Some(magic) = be32(wal, 0) else {
        return Ok(None);
    };
    if magic & !1 != WAL_MAGIC {
        return Ok(None);
    }
    let big_endian = magic & 1 == 1;
    let (Some(ps), Some(salt1), Some(salt2)) = (be32(wal, 8).and_then(page_size), be32(wal, 16), be32(wal, 20)) else {
        return Ok(None);
    };
    let Some(header) = wal.get(..WAL_HEADER) else {
        return Ok(None);
    };
    let mut sum = wal_checksum(big_endian, &header[..24], (0, 0));
    if (Some(sum.0), Some(sum.1)) != (be32(wal, 24), be32(wal, 28)) {
        return Ok(None);
    }
    let db_ps = db
        .get(16..18)
        .map(|b| u32::from(u16::from_be_bytes([b[0], b[1]])))
        .and_then(page_size);
    if db_ps != Some(ps) {
        return Err("the -wal file's page size differs from the database's".into());
    }
    // Frames are valid while salts and the running checksum match; only frames up
    // to the last commit frame count.
    let mut frames: Vec<(usize, usize)> = Vec::new(); // (page number, offset of page data)
    let mut committed = 0usize;
    let mut db_pages = 0usize;
    let mut at = WAL_HEADER;
    while let Some(frame) = wal.get(at..at + WAL_FRAME_HEADER + ps) {
        let (Some(pgno), Some(commit)) = (be32(frame, 0), be32(frame, 4)) else {
            break;
        };
        if be32(frame, 8) != Some(salt1) || be32(frame, 12) != Some(salt2) || pgno == 0 {
            break;
        }
        sum = wal_checksum(big_endian, &frame[..8], sum);
        sum = wal_checksum(big_endian, &frame[WAL_FRAME_HEADER..], sum);
        if (Some(sum.0), Some(sum.1)) != (be32(frame, 16), be32(frame, 20)) {
            break;
        }
        frames.push((pgno as usize, at + WAL_FRAME_HEADER));
        if commit != 0 {
            committed = frames.len();
            db_pages = commit as usize;
        }
        at += WAL_FRAME_HEADER + ps;
    }
    if committed == 0 {
        return Ok(None);
    }
    let size = db_pages
        .checked_mul(ps)
        .filter(|&n| n <= db.len().saturating_add(wal.len()))
        .ok_or("the -wal file claims an impossible database size")?;
    let mut image = db.to_vec();
    image.resize(size, 0);
    for &(pgno, data) in &frames[..committed] {
        let dst = (pgno - 1) * ps;
        if let (Some(d), Some(s)) = (image.get_mut(dst..dst + ps), wal.get(data..data + ps)) {
            d.copy_from_slice(s);
        }
    }
    Ok(Some(image))
}

/// Reads every `(hnum, blob)` row of rpm's `Packages` table from the database bytes
/// and, when captured, its `-wal` file.
pub(crate) fn read(db: &[u8], wal: Option<&[u8]>) -> Result<Records<'static>, String> {
    if !db.starts_with(SQLITE_MAGIC) || db.len() < 100 {
        return Err("not an SQLite database".into());
    }
    if db.len() > i32::MAX as usize {
        return Err("database is too large to read".into());
    }
    let mut problems = Vec::new();
    let mut image: Cow<'_, [u8]> = Cow::Borrowed(db);
    if let Some(wal) = wal.filter(|w| !w.is_empty()) {
        match apply_wal(db, wal) {
            Ok(Some(applied)) => image = Cow::Owned(applied),
            Ok(None) => {}
            Err(e) => problems.push(format!("-wal file ignored: {e}")),
        }
    }
    if image.len() > i32::MAX as usize {
        return Err("database is too large to read".into());
    }
    // An in-memory database cannot be in WAL mode: mark it as a rollback-journal one.
    if image.get(18..20) == Some(&[2, 2]) {
        let mut owned = image.into_owned();
        owned[18] = 1;
        owned[19] = 1;
        image = Cow::Owned(owned);
    }
    let mut conn =
        Connection::open_in_memory_with_flags(OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| format!("sqlite: {e}"))?;
    // Hostile files: defensive mode, and nothing in the schema is trusted.
    let _ = conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true);
    let _ = conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false);
    // No value can be larger than the file it is stored in (a looping overflow
    // chain could claim otherwise).
    let file_len = image.len();
    let _ = conn.set_limit(Limit::SQLITE_LIMIT_LENGTH, file_len as i32);
    conn.deserialize_read_exact(MAIN_DB, &image[..], file_len, true)
        .map_err(|e| format!("sqlite: {e}"))?;
    let kind: Option<String> = conn
        .query_row("SELECT type FROM sqlite_master WHERE name = 'Packages'", [], |r| {
            r.get(0)
        })
        .map_err(|e| format!("sqlite: no Packages table: {e}"))
        .ok();
    if kind.as_deref() != Some("table") {
        return Err("sqlite: no Packages table".into());
    }
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(|e| format!("sqlite: {e}"))?;
    let mut rows = stmt.query([]).map_err(|e| format!("sqlite: {e}"))?;
    let mut records = Vec::new();
    // Every blob is stored once, so together they cannot outgrow the file.
    let mut total = 0usize;
    loop {
        match rows.next() {
            Ok(Some(row)) => {
                let key = match row.get_ref(0) {
                    Ok(ValueRef::Integer(k)) => k as u64,
                    _ => {
                        problems.push("a row has no integer hnum".into());
                        continue;
                    }
                };
                match row.get_ref(1) {
                    Ok(ValueRef::Blob(b)) => {
                        total = total.saturating_add(b.len());
                        if total > file_len {
                            problems.push(format!(
                                "record {key}: blobs add up to more than the file holds; stopped"
                            ));
                            break;
                        }
                        records.push(Record {
                            key,
                            blob: Cow::Owned(b.to_vec()),
                        });
                    }
                    _ => problems.push(format!("record {key}: blob column is not a blob")),
                }
            }
            Ok(None) => break,
            Err(e) => {
                problems.push(format!("reading rows stopped: {e}"));
                break;
            }
        }
    }
    Ok(Records { records, problems })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn make_db(dir: &std::path::Path, wal_rows: &[(i64, &[u8])]) -> (Vec<u8>, Vec<u8>) {
        let path = dir.join("rpmdb.sqlite");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 0;
             CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);
             INSERT INTO Packages VALUES (1, x'0102');
             PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap();
        for (k, b) in wal_rows {
            c.execute("INSERT INTO Packages VALUES (?1, ?2)", rusqlite::params![k, b])
                .unwrap();
        }
        // Read the files while the connection is open, so the WAL is not checkpointed.
        let db = std::fs::read(&path).unwrap();
        let wal = std::fs::read(dir.join("rpmdb.sqlite-wal")).unwrap_or_default();
        (db, wal)
    }

    #[test]
    fn reads_rows_and_committed_wal_frames() {
        let dir = tempfile::tempdir().unwrap();
        let (db, wal) = make_db(dir.path(), &[(2, b"two"), (3, b"three")]);
        assert!(!wal.is_empty());
        let without = read(&db, None).unwrap();
        assert_eq!(without.records.len(), 1);
        let with = read(&db, Some(&wal)).unwrap();
        assert!(with.problems.is_empty(), "{:?}", with.problems);
        let keys: Vec<u64> = with.records.iter().map(|r| r.key).collect();
        assert_eq!(keys, [1, 2, 3]);
        assert_eq!(&*with.records[2].blob, b"three");
        // A torn last frame drops only the transaction it belongs to.
        let torn = &wal[..wal.len() - 10];
        let r = read(&db, Some(torn)).unwrap();
        assert_eq!(r.records.len(), 2);
        // Garbage WAL is ignored.
        let r = read(&db, Some(b"not a wal file at all, just bytes")).unwrap();
        assert_eq!(r.records.len(), 1);
    }

    #[test]
    fn non_rpm_databases_are_errors() {
        assert!(read(b"", None).is_err());
        assert!(read(b"SQLite format 3\0", None).is_err());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE VIEW Packages AS SELECT 1 AS hnum, x'00' AS blob;")
            .unwrap();
        drop(c);
        let db = std::fs::read(&path).unwrap();
        assert!(read(&db, None).unwrap_err().contains("no Packages table"));
        let mut bad = db.clone();
        for b in &mut bad[100..] {
            *b = 0xa5;
        }
        assert!(read(&bad, None).is_err());
    }
}
