//! Versioned schema migrations, applied in order at start; each runs once, recorded in
//! `schema_migrations`. The SQL is portable between SQLite and PostgreSQL (TEXT, BIGINT).

use crate::sql::{Backend, Value};
use crate::StoreError;

/// (version, statements).
pub const MIGRATIONS: &[(i64, &[&str])] = &[
    (
        1,
        &[
        "CREATE TABLE accounts (name TEXT PRIMARY KEY, created_at BIGINT NOT NULL)",
        "CREATE TABLE users (name TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES accounts(name), \
         role TEXT NOT NULL, password_hash TEXT NOT NULL, created_at BIGINT NOT NULL)",
        "CREATE TABLE api_keys (id TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE, \
         secret_hash TEXT NOT NULL, created_at BIGINT NOT NULL, revoked BIGINT NOT NULL DEFAULT 0)",
        "CREATE TABLE images (id TEXT PRIMARY KEY, account TEXT NOT NULL REFERENCES accounts(name), \
         digest TEXT, registry TEXT NOT NULL, repository TEXT NOT NULL, status TEXT NOT NULL, \
         error TEXT, created_at BIGINT NOT NULL, analyzed_at BIGINT)",
        "CREATE INDEX images_account ON images (account, registry, repository)",
        "CREATE TABLE tag_history (account TEXT NOT NULL, tag TEXT NOT NULL, digest TEXT NOT NULL, \
         image_id TEXT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, \
         PRIMARY KEY (account, tag, digest))",
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, account TEXT NOT NULL, image_id TEXT NOT NULL, tag TEXT NOT NULL, \
         state TEXT NOT NULL, worker TEXT, lease_until BIGINT NOT NULL DEFAULT 0, attempts BIGINT NOT NULL DEFAULT 0, \
         created_at BIGINT NOT NULL, finished_at BIGINT, error TEXT)",
        "CREATE INDEX jobs_queue ON jobs (state, created_at)",
        "CREATE TABLE analyses (image_id TEXT PRIMARY KEY, account TEXT NOT NULL, document TEXT NOT NULL, \
         job_id TEXT NOT NULL, stored_at BIGINT NOT NULL)",
        "CREATE TABLE policies (account TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, bundle TEXT NOT NULL, \
         active BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, \
         PRIMARY KEY (account, id))",
        "CREATE TABLE events (id TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL, \
         detail TEXT NOT NULL, created_at BIGINT NOT NULL)",
        "CREATE INDEX events_account ON events (account, created_at)",
        "CREATE TABLE audit (id TEXT PRIMARY KEY, account TEXT, user_name TEXT, method TEXT NOT NULL, \
         path TEXT NOT NULL, status BIGINT NOT NULL, remote TEXT, created_at BIGINT NOT NULL)",
        ],
    ),
    (
        2,
        &[
            "CREATE TABLE subscriptions (id TEXT PRIMARY KEY, account TEXT NOT NULL, kind TEXT NOT NULL, tag TEXT NOT NULL, \
             created_at BIGINT NOT NULL, UNIQUE (account, kind, tag))",
            "CREATE TABLE webhooks (id TEXT PRIMARY KEY, account TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL, \
             created_at BIGINT NOT NULL)",
            "CREATE TABLE deliveries (id TEXT PRIMARY KEY, account TEXT NOT NULL, webhook_id TEXT NOT NULL, kind TEXT NOT NULL, \
             subject TEXT NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, attempts BIGINT NOT NULL DEFAULT 0, \
             next_attempt_at BIGINT NOT NULL, last_status BIGINT, last_error TEXT, created_at BIGINT NOT NULL, \
             delivered_at BIGINT)",
            "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)",
            "CREATE TABLE image_state (image_id TEXT PRIMARY KEY, vulnerabilities TEXT NOT NULL, final_action TEXT NOT NULL, \
             updated_at BIGINT NOT NULL)",
            "CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
        ],
    ),
    (
        3,
        &[
            "CREATE TABLE registries (account TEXT NOT NULL, registry TEXT NOT NULL, username TEXT NOT NULL, \
             sealed_password TEXT NOT NULL, insecure BIGINT NOT NULL DEFAULT 0, created_at BIGINT NOT NULL, \
             PRIMARY KEY (account, registry))",
        ],
    ),
    (
        4,
        &["ALTER TABLE image_state ADD COLUMN severities TEXT NOT NULL DEFAULT '{}'"],
    ),
    (
        5,
        &[
            "CREATE INDEX tag_history_image ON tag_history (image_id, last_seen)",
            "CREATE INDEX tag_history_tag ON tag_history (account, tag, last_seen)",
            "CREATE INDEX images_created ON images (account, created_at)",
            "CREATE INDEX jobs_tag ON jobs (account, tag, state)",
        ],
    ),
    (
        6,
        &["ALTER TABLE analyses ADD COLUMN revision TEXT NOT NULL DEFAULT ''"],
    ),
    (
        7,
        &[
            "ALTER TABLE analyses ADD COLUMN indexed BIGINT NOT NULL DEFAULT 0",
            "CREATE TABLE image_packages (account TEXT NOT NULL, image_id TEXT NOT NULL, type TEXT NOT NULL, \
             name TEXT NOT NULL, name_lc TEXT NOT NULL, version TEXT NOT NULL, locations TEXT NOT NULL)",
            "CREATE INDEX image_packages_name ON image_packages (account, name_lc)",
            "CREATE INDEX image_packages_image ON image_packages (image_id)",
            "CREATE TABLE image_vulns (account TEXT NOT NULL, image_id TEXT NOT NULL, lookup_id TEXT NOT NULL, \
             detail TEXT NOT NULL)",
            "CREATE INDEX image_vulns_id ON image_vulns (account, lookup_id)",
            "CREATE INDEX image_vulns_image ON image_vulns (image_id)",
            "CREATE INDEX analyses_unindexed ON analyses (indexed, image_id)",
        ],
    ),
    (
        8,
        &[
            // One image per (account, manifest digest). Duplicates an older drydock made by
            // re-adding a tag are merged first: the row with the newest analysis (else the
            // newest row) keeps the digest; the others' tag history and jobs move to it, and
            // their older copies of the same analysis go.
            "CREATE TABLE image_merge AS SELECT i.id AS old_id, \
             (SELECT k.id FROM images k LEFT JOIN analyses a ON a.image_id = k.id \
              WHERE k.account = i.account AND k.digest = i.digest \
              ORDER BY COALESCE(a.stored_at, -1) DESC, k.created_at DESC, k.id DESC LIMIT 1) AS keep_id \
             FROM images i WHERE i.digest IS NOT NULL",
            "DELETE FROM image_merge WHERE old_id = keep_id",
            "UPDATE tag_history SET image_id = (SELECT m.keep_id FROM image_merge m WHERE m.old_id = tag_history.image_id) \
             WHERE image_id IN (SELECT old_id FROM image_merge)",
            "UPDATE jobs SET image_id = (SELECT m.keep_id FROM image_merge m WHERE m.old_id = jobs.image_id) \
             WHERE image_id IN (SELECT old_id FROM image_merge)",
            "DELETE FROM analyses WHERE image_id IN (SELECT old_id FROM image_merge)",
            "DELETE FROM image_state WHERE image_id IN (SELECT old_id FROM image_merge)",
            "DELETE FROM image_packages WHERE image_id IN (SELECT old_id FROM image_merge)",
            "DELETE FROM image_vulns WHERE image_id IN (SELECT old_id FROM image_merge)",
            "DELETE FROM images WHERE id IN (SELECT old_id FROM image_merge)",
            "DROP TABLE image_merge",
            "CREATE UNIQUE INDEX images_account_digest ON images (account, digest)",
            // A forced re-analysis replaces the stored one; any other job for an analysed
            // digest stores nothing.
            "ALTER TABLE jobs ADD COLUMN forced BIGINT NOT NULL DEFAULT 0",
        ],
    ),
    (
        9,
        &[
            // Web UI sessions: the SHA-256 of the cookie's token, never the token.
            "CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, user_name TEXT NOT NULL, account TEXT NOT NULL, \
             csrf TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL)",
            "CREATE INDEX sessions_user ON sessions (user_name)",
            // The index's findings now say whether they are known exploited: index again.
            "UPDATE analyses SET indexed = 0",
            // One row per image and day: the state the dashboard's history is drawn from.
            "CREATE TABLE daily_state (day TEXT NOT NULL, account TEXT NOT NULL, image_id TEXT NOT NULL, \
             final_action TEXT NOT NULL, severities TEXT NOT NULL, PRIMARY KEY (day, image_id))",
            "CREATE INDEX daily_state_account ON daily_state (account, day)",
        ],
    ),
];

/// Applies the migrations not applied yet; returns the schema version. A database newer
/// than this program is refused.
pub fn migrate(db: &dyn Backend) -> Result<i64, StoreError> {
    let latest = MIGRATIONS.last().map_or(0, |m| m.0);
    let mut version = 0;
    db.transaction(true, &mut |tx| {
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
            &[],
        )?;
        let rows = tx.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?;
        version = rows
            .first()
            .and_then(|r| r.first())
            .map_or(Ok(0), |v| v.int("schema_migrations.version"))?;
        if version > latest {
            return Err(StoreError::TooNew {
                found: version,
                supported: latest,
            });
        }
        let current = version;
        for (v, statements) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            for s in *statements {
                tx.execute(s, &[])?;
            }
            tx.execute(
                "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                &[Value::Int(*v), Value::Int(crate::now())],
            )?;
            tracing::info!("{} database: schema migration {v} applied", db.kind());
            version = *v;
        }
        Ok(())
    })?;
    Ok(version)
}
