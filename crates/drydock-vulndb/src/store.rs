//! The SQLite file: schema, the writer used at build time, helpers for time stamps.

use crate::feeds::EnrichmentUpdate;
use crate::model::Advisory;
use crate::DbError;
use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;

/// Version of the on-disk schema (`PRAGMA user_version` and `meta.schema_version`).
/// 3: Packagist and NuGet ranges carry their own version schemes (`composer`, `nuget`)
/// instead of `semver`, so a database from before is rebuilt rather than misread.
pub const SCHEMA_VERSION: u32 = 3;

pub(crate) const SCHEMA: &str = "
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE sources(
    seq INTEGER PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, location TEXT NOT NULL,
    records INTEGER NOT NULL, enrichment INTEGER NOT NULL, skipped INTEGER NOT NULL, newest TEXT);
CREATE TABLE advisories(
    rowid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, id TEXT NOT NULL, source TEXT NOT NULL,
    modified TEXT, withdrawn TEXT, json TEXT NOT NULL);
CREATE TABLE affected(namespace TEXT NOT NULL, package TEXT NOT NULL, advisory INTEGER NOT NULL,
    affected_index INTEGER NOT NULL);
CREATE TABLE aliases(alias TEXT NOT NULL, advisory INTEGER NOT NULL);
CREATE TABLE enrichment(cve TEXT PRIMARY KEY, kev_date TEXT, epss REAL, epss_percentile REAL, nvd TEXT)
    WITHOUT ROWID;
CREATE TABLE cpe_match(vendor TEXT NOT NULL, product TEXT NOT NULL, cve TEXT NOT NULL, criteria TEXT NOT NULL,
    start_incl TEXT, start_excl TEXT, end_incl TEXT, end_excl TEXT);
CREATE INDEX cpe_match_product ON cpe_match(vendor, product);
CREATE INDEX cpe_match_cve ON cpe_match(cve);
CREATE INDEX affected_package ON affected(namespace, package);
CREATE INDEX affected_advisory ON affected(advisory);
CREATE INDEX aliases_alias ON aliases(alias);
CREATE INDEX aliases_advisory ON aliases(advisory);
";

fn sql_err(path: &Path, e: impl std::fmt::Display) -> DbError {
    DbError::Unusable {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes a new database file (inside one transaction).
pub(crate) struct Writer {
    conn: Connection,
    path: std::path::PathBuf,
}

impl Writer {
    pub(crate) fn create(path: &Path) -> Result<Writer, DbError> {
        let conn = Connection::open(path).map_err(|e| sql_err(path, e))?;
        conn.execute_batch(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA page_size=8192; PRAGMA cache_size=-65536;",
        )
        .map_err(|e| sql_err(path, e))?;
        conn.execute_batch(SCHEMA).map_err(|e| sql_err(path, e))?;
        conn.execute_batch("BEGIN").map_err(|e| sql_err(path, e))?;
        Ok(Writer {
            conn,
            path: path.to_path_buf(),
        })
    }

    fn err(&self, e: impl std::fmt::Display) -> DbError {
        sql_err(&self.path, e)
    }

    /// Inserts an advisory, replacing one stored under the same key.
    pub(crate) fn put_advisory(&mut self, key: &str, adv: &Advisory) -> Result<(), DbError> {
        let json = serde_json::to_string(adv).map_err(|e| self.err(e))?;
        let c = &self.conn;
        let existing: Option<i64> = c
            .prepare_cached("SELECT rowid FROM advisories WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(|e| sql_err(&self.path, e))?;
        let rowid = match existing {
            Some(rowid) => {
                c.prepare_cached("DELETE FROM affected WHERE advisory = ?1")
                    .and_then(|mut s| s.execute([rowid]))
                    .map_err(|e| sql_err(&self.path, e))?;
                c.prepare_cached("DELETE FROM aliases WHERE advisory = ?1")
                    .and_then(|mut s| s.execute([rowid]))
                    .map_err(|e| sql_err(&self.path, e))?;
                c.prepare_cached(
                    "UPDATE advisories SET id=?2, source=?3, modified=?4, withdrawn=?5, json=?6 WHERE rowid=?1",
                )
                .and_then(|mut s| s.execute(params![rowid, adv.id, adv.source, adv.modified, adv.withdrawn, json]))
                .map_err(|e| sql_err(&self.path, e))?;
                rowid
            }
            None => {
                c.prepare_cached(
                    "INSERT INTO advisories(key, id, source, modified, withdrawn, json) VALUES (?1,?2,?3,?4,?5,?6)",
                )
                .and_then(|mut s| s.execute(params![key, adv.id, adv.source, adv.modified, adv.withdrawn, json]))
                .map_err(|e| sql_err(&self.path, e))?;
                c.last_insert_rowid()
            }
        };
        let mut ins = c
            .prepare_cached("INSERT INTO affected(namespace, package, advisory, affected_index) VALUES (?1,?2,?3,?4)")
            .map_err(|e| sql_err(&self.path, e))?;
        for (i, a) in adv.affected.iter().enumerate() {
            ins.execute(params![a.namespace, a.package, rowid, i as i64])
                .map_err(|e| sql_err(&self.path, e))?;
        }
        let mut al = c
            .prepare_cached("INSERT INTO aliases(alias, advisory) VALUES (?1,?2)")
            .map_err(|e| sql_err(&self.path, e))?;
        al.execute(params![adv.id, rowid]).map_err(|e| sql_err(&self.path, e))?;
        for a in &adv.aliases {
            al.execute(params![a, rowid]).map_err(|e| sql_err(&self.path, e))?;
        }
        Ok(())
    }

    /// Merges enrichment for a CVE (fields the update leaves out are kept).
    pub(crate) fn put_enrichment(&mut self, e: &EnrichmentUpdate) -> Result<(), DbError> {
        let nvd = match &e.nvd {
            Some(n) => Some(serde_json::to_string(n).map_err(|x| self.err(x))?),
            None => None,
        };
        self.conn
            .prepare_cached(
                "INSERT INTO enrichment(cve, kev_date, epss, epss_percentile, nvd) VALUES (?1,?2,?3,?4,?5)
                 ON CONFLICT(cve) DO UPDATE SET kev_date=coalesce(excluded.kev_date, kev_date),
                   epss=coalesce(excluded.epss, epss), epss_percentile=coalesce(excluded.epss_percentile, epss_percentile),
                   nvd=coalesce(excluded.nvd, nvd)",
            )
            .and_then(|mut s| {
                s.execute(params![e.cve, e.kev_date_added, e.epss.map(|x| x.0 as f64), e.epss.map(|x| x.1 as f64), nvd])
            })
            .map_err(|x| sql_err(&self.path, x))?;
        if let Some(matches) = &e.cpe_matches {
            self.put_cpe_matches(&e.cve, matches)?;
        }
        Ok(())
    }

    /// Replaces the CPE match criteria stored for a CVE (vendor and product from the
    /// criteria, unescaped and lower-cased; unparsable criteria are left out).
    fn put_cpe_matches(&mut self, cve: &str, matches: &[crate::cpe::CpeCandidate]) -> Result<(), DbError> {
        let c = &self.conn;
        c.prepare_cached("DELETE FROM cpe_match WHERE cve = ?1")
            .and_then(|mut s| s.execute([cve]))
            .map_err(|e| sql_err(&self.path, e))?;
        let mut ins = c
            .prepare_cached(
                "INSERT INTO cpe_match(vendor, product, cve, criteria, start_incl, start_excl, end_incl, end_excl)
                 VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
            )
            .map_err(|e| sql_err(&self.path, e))?;
        for m in matches {
            let Some(cpe) = crate::cpe::Cpe::parse(&m.criteria) else {
                continue;
            };
            ins.execute(params![
                cpe.vendor,
                cpe.product,
                cve,
                m.criteria,
                m.start_including,
                m.start_excluding,
                m.end_including,
                m.end_excluding
            ])
            .map_err(|e| sql_err(&self.path, e))?;
        }
        Ok(())
    }

    /// Records one source's metadata.
    pub(crate) fn put_source(&mut self, s: &crate::SourceInfo) -> Result<(), DbError> {
        self.conn
            .execute(
                "INSERT INTO sources(name, kind, location, records, enrichment, skipped, newest) VALUES (?1,?2,?3,?4,?5,?6,?7)",
                params![s.name, s.kind, s.location, s.records as i64, s.enrichment as i64, s.skipped as i64, s.newest],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Writes metadata, commits, and optimises the file; closes it.
    pub(crate) fn finish(self, built_at_unix: u64) -> Result<(), DbError> {
        let c = &self.conn;
        let meta = [
            ("schema_version", SCHEMA_VERSION.to_string()),
            ("built_at", rfc3339(built_at_unix)),
            ("built_at_unix", built_at_unix.to_string()),
            ("build_id", build_id()),
            ("generator", format!("drydock-vulndb {}", env!("CARGO_PKG_VERSION"))),
        ];
        for (k, v) in meta {
            c.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?1, ?2)", params![k, v])
                .map_err(|e| self.err(e))?;
        }
        c.execute_batch("COMMIT").map_err(|e| self.err(e))?;
        c.execute_batch(&format!("ANALYZE; PRAGMA user_version={SCHEMA_VERSION}; VACUUM;"))
            .map_err(|e| self.err(e))?;
        let Writer { conn, path } = self;
        conn.close().map_err(|(_, e)| sql_err(&path, e))?;
        Ok(())
    }
}

/// A value unique to one build (time in nanoseconds and process id), so two databases built
/// in the same second are still told apart.
fn build_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{nanos:x}-{:x}", std::process::id())
}

/// Opens a database file read-only and immutable, checking its schema.
pub(crate) fn open_read_only(path: &Path) -> Result<Connection, DbError> {
    use rusqlite::OpenFlags;
    let meta = std::fs::metadata(path).map_err(|e| sql_err(path, e))?;
    if !meta.is_file() {
        return Err(sql_err(path, "not a regular file"));
    }
    let uri = format!(
        "file:{}?immutable=1",
        uri_escape(&std::path::absolute(path).unwrap_or(path.to_path_buf()))
    );
    let conn = Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| sql_err(path, e))?;
    let version: u32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| sql_err(path, format!("not a drydock vulnerability database: {e}")))?;
    if version != SCHEMA_VERSION {
        let why = if version == 0 {
            "not a drydock vulnerability database (or an unfinished build)".to_string()
        } else {
            format!(
                "schema version {version}, this drydock reads {SCHEMA_VERSION}: rebuild or update the database \
                 (`drydock db build` or `drydock db update`)"
            )
        };
        return Err(sql_err(path, why));
    }
    let v: Option<String> = conn
        .query_row("SELECT value FROM meta WHERE key='schema_version'", [], |r| r.get(0))
        .optional()
        .map_err(|e| sql_err(path, format!("not a drydock vulnerability database: {e}")))?;
    if v.as_deref() != Some(&SCHEMA_VERSION.to_string()) {
        return Err(sql_err(path, "metadata does not match the schema version"));
    }
    Ok(conn)
}

fn uri_escape(p: &Path) -> String {
    let s = p.to_string_lossy();
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Seconds since the Unix epoch, now.
pub(crate) fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Formats Unix seconds as RFC 3339 UTC (`2024-10-10T17:35:05Z`).
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86400) as i64;
    let rem = secs % 86400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_728_581_705), "2024-10-10T17:35:05Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
