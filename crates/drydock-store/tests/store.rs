//! The store on both backends: an SQLite file and a real PostgreSQL (127.0.0.1:5432, trust
//! auth; `DRYDOCK_TEST_POSTGRES` to point elsewhere), each test on a fresh database.

use drydock_store::{Completion, ImageFilter, Store, StoreError};
use std::collections::BTreeSet;

use drydock_test_support::postgres::{admin_url, PgDb};

fn on_both(test: impl Fn(&dyn Fn() -> Store)) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/drydock.sqlite");
    test(&|| Store::open(path.to_str().unwrap()).unwrap());
    let pg = PgDb::new();
    test(&|| Store::open(&pg.url).unwrap());
}

#[test]
fn migrations_apply_once_and_users_and_keys_round_trip() {
    on_both(|open| {
        let s = open();
        let again = open();
        assert_eq!(s.kind(), again.kind());
        s.ensure_account("admin").unwrap();
        s.ensure_account("admin").unwrap();
        s.ensure_account("team-a").unwrap();
        assert_eq!(s.accounts().unwrap(), ["admin", "team-a"]);
        s.add_user("alice", "team-a", "read-write", "$argon2id$hash").unwrap();
        assert!(matches!(
            s.add_user("alice", "team-a", "read-only", "x"),
            Err(StoreError::Exists(_))
        ));
        assert!(matches!(
            s.add_user("bob", "nowhere", "read-only", "x"),
            Err(StoreError::NotFound(_))
        ));
        let alice = again.user("alice").unwrap().unwrap();
        assert_eq!((alice.account.as_str(), alice.role.as_str()), ("team-a", "read-write"));
        s.add_api_key("k1", "alice", "secret-hash").unwrap();
        assert_eq!(s.api_key("k1").unwrap(), Some(("alice".into(), "secret-hash".into())));
        s.revoke_api_key("k1").unwrap();
        assert_eq!(s.api_key("k1").unwrap(), None);
        s.delete_user("alice").unwrap();
        assert!(s.user("alice").unwrap().is_none());
    });
}

#[test]
fn a_job_is_analysed_once_and_a_dead_workers_job_is_claimed_again() {
    on_both(|open| {
        let s = open();
        s.ensure_account("a").unwrap();
        let image = s
            .add_image("a", "127.0.0.1:5000/fx/app:1", "127.0.0.1:5000", "fx/app")
            .unwrap();
        assert_eq!(s.queue_depth().unwrap(), (1, 0));
        assert_eq!(s.image("a", &image).unwrap().unwrap().status, "queued");
        assert!(s.image("b", &image).unwrap().is_none(), "accounts are isolated");

        // Worker A claims with a lease that is already over: as if it died mid-analysis.
        let a = s.claim_job("worker-a", -1).unwrap().unwrap();
        assert_eq!(a.attempts, 1);
        let b = open()
            .claim_job("worker-b", 300)
            .unwrap()
            .expect("the expired job is claimed again");
        assert_eq!((b.id.as_str(), b.attempts), (a.id.as_str(), 2));
        assert!(
            s.claim_job("worker-c", 300).unwrap().is_none(),
            "a held lease is respected"
        );
        assert!(!s.renew_job(&a, 300).unwrap(), "A lost the job");
        assert!(s.renew_job(&b, 300).unwrap());

        assert!(s.complete_job(&b, "sha256:aaa", "{\"by\":\"b\"}").unwrap());
        assert!(
            !s.complete_job(&a, "sha256:aaa", "{\"by\":\"a\"}").unwrap(),
            "stored exactly once"
        );
        assert!(!s.complete_job(&b, "sha256:aaa", "{\"by\":\"b2\"}").unwrap());
        assert_eq!(s.analyses_stored(&image).unwrap(), 1);
        let (doc, job) = s.analysis("a", &image).unwrap().unwrap();
        assert_eq!((doc.as_str(), job.as_str()), ("{\"by\":\"b\"}", b.id.as_str()));
        let img = s.image("a", "sha256:aaa").unwrap().expect("found by digest");
        assert_eq!(
            (img.status.as_str(), img.tags.clone()),
            ("analyzed", vec!["127.0.0.1:5000/fx/app:1".to_string()])
        );
        assert_eq!(s.queue_depth().unwrap(), (0, 0));

        // The tag moves: a second analysis records the new digest in the history.
        let image2 = s
            .add_image("a", "127.0.0.1:5000/fx/app:1", "127.0.0.1:5000", "fx/app")
            .unwrap();
        let j = s.claim_job("worker-a", 300).unwrap().unwrap();
        assert!(s.complete_job(&j, "sha256:bbb", "{}").unwrap());
        let h = s.tag_history("a", "127.0.0.1:5000/fx/app:1").unwrap();
        let digests: Vec<&str> = h.iter().map(|t| t.digest.as_str()).collect();
        assert_eq!(digests, ["sha256:aaa", "sha256:bbb"]);
        assert_eq!(
            s.image("a", &image2).unwrap().unwrap().tags,
            ["127.0.0.1:5000/fx/app:1"]
        );
        let events = s.events("a", 10, 0).unwrap();
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.kind == "analysis_update"));

        let listed = s
            .images(
                "a",
                &ImageFilter {
                    status: Some("analyzed"),
                    ..Default::default()
                },
                10,
                0,
            )
            .unwrap();
        assert_eq!(listed.len(), 2);
        s.delete_image("a", &image).unwrap();
        assert!(s.analysis("a", &image).unwrap().is_none());
        assert_eq!(s.images("a", &ImageFilter::default(), 10, 0).unwrap().len(), 1);

        // A failure is recorded once, by the holder.
        let image3 = s
            .add_image("a", "127.0.0.1:5000/fx/broken:1", "127.0.0.1:5000", "fx/broken")
            .unwrap();
        let j = s.claim_job("worker-a", 300).unwrap().unwrap();
        assert!(s.fail_job(&j, "manifest unknown").unwrap());
        let img = s.image("a", &image3).unwrap().unwrap();
        assert_eq!(
            (img.status.as_str(), img.error.as_deref()),
            ("failed", Some("manifest unknown"))
        );
    });
}

#[test]
fn concurrent_workers_never_claim_the_same_job() {
    on_both(|open| {
        let s = open();
        s.ensure_account("a").unwrap();
        for i in 0..40 {
            s.add_image("a", &format!("r/x:{i}"), "r", "x").unwrap();
        }
        let claimed: Vec<Vec<String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|w| {
                    let store = open();
                    scope.spawn(move || {
                        let mut mine = Vec::new();
                        while let Some(j) = store.claim_job(&format!("w{w}"), 300).unwrap() {
                            assert!(store.complete_job(&j, &format!("sha256:{}", j.id), "{}").unwrap());
                            mine.push(j.id);
                        }
                        mine
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let all: Vec<&String> = claimed.iter().flatten().collect();
        let unique: BTreeSet<&String> = all.iter().copied().collect();
        assert_eq!(all.len(), 40);
        assert_eq!(unique.len(), 40, "no job claimed twice");
    });
}

#[test]
fn policies_one_active_per_account() {
    on_both(|open| {
        let s = open();
        s.ensure_account("a").unwrap();
        s.put_policy("a", "p1", "first", "{}").unwrap();
        s.put_policy("a", "p2", "second", "{}").unwrap();
        assert_eq!(
            s.policy("a", None).unwrap().unwrap().id,
            "p1",
            "the first policy is active"
        );
        s.activate_policy("a", "p2").unwrap();
        let active: Vec<String> = s
            .policies("a")
            .unwrap()
            .into_iter()
            .filter(|p| p.active)
            .map(|p| p.id)
            .collect();
        assert_eq!(active, ["p2"]);
        s.put_policy("a", "p2", "renamed", "{\"id\":\"p2\"}").unwrap();
        assert_eq!(s.policy("a", Some("p2")).unwrap().unwrap().name, "renamed");
        assert!(matches!(s.activate_policy("a", "nope"), Err(StoreError::NotFound(_))));
        s.delete_policy("a", "p1").unwrap();
        assert_eq!(s.policies("a").unwrap().len(), 1);
        s.audit(
            Some("a"),
            Some("alice"),
            "DELETE",
            "/v1/policies/p1",
            200,
            Some("127.0.0.1"),
        )
        .unwrap();
    });
}

#[test]
fn retention_drops_superseded_images_and_keeps_current_ones() {
    on_both(|open| {
        let s = open();
        s.ensure_account("a").unwrap();
        let old = s.add_image("a", "r/app:1", "r", "app").unwrap();
        let j = s.claim_job("w", 60).unwrap().unwrap();
        assert!(s.complete_job(&j, "sha256:old", "{}").unwrap());
        let other = s.add_image("a", "r/other:1", "r", "other").unwrap();
        let j = s.claim_job("w", 60).unwrap().unwrap();
        assert!(s.complete_job(&j, "sha256:other", "{}").unwrap());
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let new = s.add_image("a", "r/app:1", "r", "app").unwrap();
        let j = s.claim_job("w", 60).unwrap().unwrap();
        assert!(s.complete_job(&j, "sha256:new", "{}").unwrap());
        let removed = s.prune_history(drydock_store::now() + 10).unwrap();
        assert_eq!(removed, 1, "only the superseded image");
        assert!(s.image("a", &old).unwrap().is_none());
        assert!(s.analysis("a", &old).unwrap().is_none());
        assert!(
            s.analysis("a", &new).unwrap().is_some(),
            "the tag's current image stays"
        );
        assert!(
            s.analysis("a", &other).unwrap().is_some(),
            "an old but current image stays"
        );
        let h = s.tag_history("a", "r/app:1").unwrap();
        assert_eq!(h.iter().map(|e| e.digest.as_str()).collect::<Vec<_>>(), ["sha256:new"]);
    });
}

#[test]
fn an_analysis_revision_changes_with_its_document_and_readers_run_beside_a_writer() {
    on_both(|open| {
        let s = open();
        s.ensure_account("a").unwrap();
        let image = s
            .add_image("a", "127.0.0.1:5000/fx/rev:1", "127.0.0.1:5000", "fx/rev")
            .unwrap();
        assert_eq!(s.analysis_revision("a", &image, None).unwrap(), None, "not analysed");
        let job = s.claim_job("w", 300).unwrap().unwrap();
        assert!(s.complete_job(&job, "sha256:r1", "{\"v\":1}").unwrap());
        let (rev1, doc) = s.analysis_revision("a", &image, None).unwrap().unwrap();
        assert_eq!(doc.as_deref(), Some("{\"v\":1}"));
        assert_eq!(
            s.analysis_revision("a", &image, Some(&rev1)).unwrap(),
            Some((rev1.clone(), None)),
            "an unchanged document is not sent again"
        );
        assert_eq!(
            s.analysis_revision("b", &image, None).unwrap(),
            None,
            "accounts are isolated"
        );
        // A re-match rewrites the document: a new revision.
        s.set_image_state(&image, "[]", "GO", "{}", Some(("{\"v\":2}", &[])))
            .unwrap();
        let (rev2, doc) = s.analysis_revision("a", &image, Some(&rev1)).unwrap().unwrap();
        assert_ne!(rev1, rev2);
        assert_eq!(doc.as_deref(), Some("{\"v\":2}"));

        // Many readers and one writer at once: every read sees a committed document.
        let writer = {
            let s = s.clone();
            let image = image.clone();
            std::thread::spawn(move || {
                for i in 3..40 {
                    s.set_image_state(&image, "[]", "GO", "{}", Some((&format!("{{\"v\":{i}}}"), &[])))
                        .unwrap();
                }
            })
        };
        let readers: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                let image = image.clone();
                std::thread::spawn(move || {
                    for _ in 0..40 {
                        let (_, doc) = s.analysis_revision("a", &image, None).unwrap().unwrap();
                        let v: serde_json::Value = serde_json::from_str(&doc.unwrap()).unwrap();
                        assert!(v["v"].as_i64().unwrap() >= 2);
                        assert!(s.images("a", &ImageFilter::default(), 10, 0).unwrap().len() == 1);
                    }
                })
            })
            .collect();
        writer.join().unwrap();
        for r in readers {
            r.join().unwrap();
        }
        let (_, doc) = s.analysis_revision("a", &image, None).unwrap().unwrap();
        assert_eq!(doc.as_deref(), Some("{\"v\":39}"), "the last write is what readers see");
    });
}

#[test]
fn the_query_index_follows_the_stored_analyses() {
    use drydock_store::{AnalysisIndex, IndexedFinding, IndexedPackage};
    on_both(|open| {
        let s = open();
        s.ensure_account("a").unwrap();
        let finding = IndexedFinding {
            id: "GHSA-aaaa-bbbb-cccc".into(),
            aliases: vec!["CVE-2099-1".into()],
            package: "Jinja2".into(),
            version: "2.10".into(),
            package_type: "python".into(),
            severity: "high".into(),
            fixed_versions: vec!["2.10.1".into()],
            kev: false,
        };
        let index = AnalysisIndex {
            packages: vec![IndexedPackage {
                package_type: "python".into(),
                name: "Jinja2".into(),
                version: "2.10".into(),
                locations: serde_json::json!([{"path": "/x", "layer": 0}]),
            }],
            findings: vec![finding.clone()],
        };
        let one = s.add_image("a", "r:5000/q/one:1", "r:5000", "q/one").unwrap();
        let job = s.claim_job("w", 300).unwrap().unwrap();
        assert!(s.complete_job_indexed(&job, "sha256:q1", "{}", &index).unwrap());
        for id in ["GHSA-aaaa-bbbb-cccc", "CVE-2099-1", "cve-2099-1"] {
            let hits = s.images_with_vulnerability("a", id).unwrap();
            assert_eq!(hits.len(), 1, "found by id and by alias: {id}");
            assert_eq!(
                (hits[0].image_id.as_str(), hits[0].digest.as_deref()),
                (one.as_str(), Some("sha256:q1"))
            );
            assert_eq!(hits[0].hit, finding);
        }
        assert!(
            s.images_with_vulnerability("b", "CVE-2099-1").unwrap().is_empty(),
            "accounts"
        );
        let hits = s.images_with_package("a", "jinja2").unwrap();
        assert_eq!(hits.len(), 1, "any case");
        assert_eq!(hits[0].hit.locations[0]["path"], "/x");

        // Stored without an index (as before the index existed): waits for put_index.
        let two = s.add_image("a", "r:5000/q/two:1", "r:5000", "q/two").unwrap();
        let job = s.claim_job("w", 300).unwrap().unwrap();
        assert!(s.complete_job(&job, "sha256:q2", "{}").unwrap());
        let waiting: Vec<String> = s.analyses_unindexed(10).unwrap().into_iter().map(|r| r.0).collect();
        assert_eq!(waiting, std::slice::from_ref(&two));
        s.put_index(&two, &index).unwrap();
        assert!(s.analyses_unindexed(10).unwrap().is_empty());
        assert_eq!(s.images_with_package("a", "JINJA2").unwrap().len(), 2);
        // A re-match rewrites the document and its findings in the same transaction (the
        // packages stay): the finding is gone from image two only.
        s.set_image_state(&two, "[]", "GO", "{}", Some(("{}", &[]))).unwrap();
        assert!(s.analyses_unindexed(10).unwrap().is_empty());
        let hits = s.images_with_vulnerability("a", "CVE-2099-1").unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].image_id, one);
        assert_eq!(s.images_with_package("a", "jinja2").unwrap().len(), 2);

        // Deleting an image removes its rows.
        s.delete_image("a", &one).unwrap();
        assert!(s.images_with_vulnerability("a", "CVE-2099-1").unwrap().is_empty());
        let left: Vec<String> = s
            .images_with_package("a", "jinja2")
            .unwrap()
            .into_iter()
            .map(|h| h.image_id)
            .collect();
        assert_eq!(left, [two]);
    });
}

/// Runs the migrations up to `version` on a raw connection (an older drydock's schema).
fn migrate_to(exec: &mut dyn FnMut(&str), version: i64) {
    exec("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)");
    for (v, statements) in drydock_store::migrations::MIGRATIONS.iter().filter(|m| m.0 <= version) {
        for s in *statements {
            exec(s);
        }
        exec(&format!(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ({v}, 0)"
        ));
    }
}

/// What an older drydock stored after `image add` of one tag twice (two images of one
/// digest, two analyses, the tag on the second) and a second tag of the same digest still
/// queued on a third row.
const DUPLICATES: &[&str] = &[
    "INSERT INTO accounts (name, created_at) VALUES ('a', 1)",
    "INSERT INTO accounts (name, created_at) VALUES ('b', 1)",
    "INSERT INTO images (id, account, digest, registry, repository, status, created_at, analyzed_at) \
     VALUES ('old', 'a', 'sha256:d', 'r', 'app', 'analyzed', 10, 11)",
    "INSERT INTO images (id, account, digest, registry, repository, status, created_at, analyzed_at) \
     VALUES ('new', 'a', 'sha256:d', 'r', 'app', 'analyzed', 20, 21)",
    "INSERT INTO images (id, account, digest, registry, repository, status, created_at, analyzed_at) \
     VALUES ('other', 'a', 'sha256:e', 'r', 'other', 'analyzed', 5, 6)",
    "INSERT INTO images (id, account, digest, registry, repository, status, created_at, analyzed_at) \
     VALUES ('b-copy', 'b', 'sha256:d', 'r', 'app', 'analyzed', 30, 31)",
    "INSERT INTO analyses (image_id, account, document, job_id, stored_at) VALUES ('old', 'a', '{\"v\":1}', 'j1', 11)",
    "INSERT INTO analyses (image_id, account, document, job_id, stored_at) VALUES ('new', 'a', '{\"v\":2}', 'j2', 21)",
    "INSERT INTO analyses (image_id, account, document, job_id, stored_at) VALUES ('other', 'a', '{}', 'j0', 6)",
    "INSERT INTO analyses (image_id, account, document, job_id, stored_at) VALUES ('b-copy', 'b', '{}', 'j3', 31)",
    "INSERT INTO image_state (image_id, vulnerabilities, final_action, updated_at) VALUES ('old', '[]', 'GO', 12)",
    "INSERT INTO tag_history (account, tag, digest, image_id, first_seen, last_seen) VALUES ('a', 'r/app:1', 'sha256:d', 'new', 11, 21)",
    "INSERT INTO tag_history (account, tag, digest, image_id, first_seen, last_seen) VALUES ('a', 'r/app:stable', 'sha256:d', 'old', 11, 11)",
    "INSERT INTO jobs (id, account, image_id, tag, state, created_at) VALUES ('j1', 'a', 'old', 'r/app:1', 'done', 10)",
    "INSERT INTO jobs (id, account, image_id, tag, state, created_at) VALUES ('j2', 'a', 'new', 'r/app:1', 'done', 20)",
];

fn check_merged(s: &Store) {
    let img = s.image("a", "sha256:d").unwrap().expect("the digest is still there");
    assert_eq!(img.id, "new", "the image with the newest analysis stays");
    assert_eq!(img.tags, ["r/app:1", "r/app:stable"], "both tags moved to it");
    assert!(s.image("a", "old").unwrap().is_none());
    assert_eq!(s.analyses_of_digest("a", "sha256:d").unwrap(), 1);
    assert_eq!(s.analysis("a", "new").unwrap().unwrap().0, "{\"v\":2}");
    assert_eq!(
        s.analyses_of_digest("a", "sha256:e").unwrap(),
        1,
        "other images untouched"
    );
    assert_eq!(
        s.analyses_of_digest("b", "sha256:d").unwrap(),
        1,
        "another account's copy is its own"
    );
    // Adding the tag again now finds the merged image.
    let again = s
        .add_image_digest("a", "r/app:1", "r", "app", Some("sha256:d"), false)
        .unwrap();
    assert_eq!(
        (again.image_id.as_str(), again.new, again.queued),
        ("new", false, false)
    );
}

#[test]
fn an_upgrade_merges_duplicate_images_of_one_digest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        migrate_to(&mut |sql| c.execute_batch(sql).unwrap(), 7);
        for sql in DUPLICATES {
            c.execute_batch(sql).unwrap();
        }
    }
    check_merged(&Store::open(path.to_str().unwrap()).unwrap());

    let pg = PgDb::new();
    {
        let mut c = postgres::Client::connect(&pg.url, postgres::NoTls).unwrap();
        migrate_to(&mut |sql| c.batch_execute(sql).unwrap(), 7);
        for sql in DUPLICATES {
            c.batch_execute(sql).unwrap();
        }
    }
    check_merged(&Store::open(&pg.url).unwrap());
}

#[test]
fn an_image_is_its_account_and_digest() {
    on_both(|open| {
        let s = open();
        s.ensure_account("a").unwrap();
        let add = |tag: &str, digest: Option<&str>, force: bool| {
            s.add_image_digest("a", tag, "r", "app", digest, force).unwrap()
        };
        let first = add("r/app:1", Some("sha256:d1"), false);
        assert!(first.new && first.queued);
        let pending = add("r/app:1", Some("sha256:d1"), false);
        assert_eq!(
            (pending.image_id.as_str(), pending.new, pending.queued),
            (first.image_id.as_str(), false, false)
        );
        assert_eq!(s.queue_depth().unwrap(), (1, 0), "one job for one digest");
        let job = s.claim_job("w", 300).unwrap().unwrap();
        assert_eq!((job.digest.as_deref(), job.force), (Some("sha256:d1"), false));
        assert_eq!(
            s.finish_job(&job, "sha256:d1", "{\"v\":1}", None).unwrap(),
            Completion::Stored
        );

        // Known digest: the same image, nothing queued; a second tag is recorded on it.
        let again = add("r/app:1", Some("sha256:d1"), false);
        assert_eq!(
            (again.image_id.as_str(), again.new, again.queued),
            (first.image_id.as_str(), false, false)
        );
        let latest = add("r/app:latest", Some("sha256:d1"), false);
        assert_eq!(latest.image_id, first.image_id);
        assert_eq!(s.queue_depth().unwrap(), (0, 0));
        let img = s.image("a", &first.image_id).unwrap().unwrap();
        assert_eq!(
            (img.status.as_str(), img.tags.clone()),
            ("analyzed", vec!["r/app:1".to_string(), "r/app:latest".to_string()])
        );
        assert_eq!(s.images("a", &ImageFilter::default(), 100, 0).unwrap().len(), 1);

        // force: analysed again, the new analysis replaces the old one.
        let forced = add("r/app:1", Some("sha256:d1"), true);
        assert_eq!(
            (forced.image_id.as_str(), forced.new, forced.queued),
            (first.image_id.as_str(), false, true)
        );
        let job = s.claim_job("w", 300).unwrap().unwrap();
        assert!(job.force);
        assert_eq!(
            s.finish_job(&job, "sha256:d1", "{\"v\":2}", None).unwrap(),
            Completion::Stored
        );
        assert_eq!(s.analyses_of_digest("a", "sha256:d1").unwrap(), 1);
        assert_eq!(s.analysis("a", &first.image_id).unwrap().unwrap().0, "{\"v\":2}");

        // The tag moves: a new image, and the move in the tag history.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let moved = add("r/app:1", Some("sha256:d2"), false);
        assert!(moved.new && moved.queued && moved.image_id != first.image_id);
        let job = s.claim_job("w", 300).unwrap().unwrap();
        assert_eq!(s.finish_job(&job, "sha256:d2", "{}", None).unwrap(), Completion::Stored);
        let h: Vec<String> = s
            .tag_history("a", "r/app:1")
            .unwrap()
            .into_iter()
            .map(|h| h.digest)
            .collect();
        assert_eq!(h, ["sha256:d1", "sha256:d2"]);
        assert_eq!(s.image_by_tag("a", "r/app:1").unwrap(), Some(moved.image_id.clone()));
        // ... and back: the old image again, nothing queued.
        std::thread::sleep(std::time::Duration::from_millis(1100));
        let back = add("r/app:1", Some("sha256:d1"), false);
        assert_eq!((back.image_id.as_str(), back.queued), (first.image_id.as_str(), false));
        assert_eq!(s.image_by_tag("a", "r/app:1").unwrap(), Some(first.image_id.clone()));

        // A failed analysis is retried by adding again.
        let broken = add("r/broken:1", Some("sha256:d3"), false);
        let job = s.claim_job("w", 300).unwrap().unwrap();
        assert!(s.fail_job(&job, "manifest unknown").unwrap());
        let retry = add("r/broken:1", Some("sha256:d3"), false);
        assert_eq!(
            (retry.image_id.as_str(), retry.new, retry.queued),
            (broken.image_id.as_str(), false, true)
        );
        let job = s.claim_job("w", 300).unwrap().unwrap();
        assert_eq!(s.finish_job(&job, "sha256:d3", "{}", None).unwrap(), Completion::Stored);

        // Digest unknown at add time (registry unreachable): two images until the workers
        // find the digest; then one, with one analysis.
        let p1 = add("r/late:1", None, false);
        let p2 = add("r/late:1", None, false);
        assert_ne!(p1.image_id, p2.image_id);
        let (j1, j2) = (
            s.claim_job("w1", 300).unwrap().unwrap(),
            s.claim_job("w2", 300).unwrap().unwrap(),
        );
        assert_eq!(j1.digest, None);
        assert_eq!(
            s.finish_job(&j1, "sha256:d4", "{\"by\":1}", None).unwrap(),
            Completion::Stored
        );
        assert_eq!(
            s.finish_job(&j2, "sha256:d4", "{\"by\":2}", None).unwrap(),
            Completion::AlreadyAnalysed
        );
        assert_eq!(s.analyses_of_digest("a", "sha256:d4").unwrap(), 1);
        let late = s.image("a", "sha256:d4").unwrap().unwrap();
        assert_eq!(
            (late.status.as_str(), late.tags.clone()),
            ("analyzed", vec!["r/late:1".to_string()])
        );
        assert_eq!(
            s.images(
                "a",
                &ImageFilter {
                    tag: Some("r/late:1"),
                    ..Default::default()
                },
                100,
                0
            )
            .unwrap()
            .len(),
            1
        );
        // A queued job whose image got its analysis meanwhile is closed, not run.
        let p3 = add("r/late:1", None, false);
        let j3 = s.claim_job("w1", 300).unwrap().unwrap();
        assert_eq!(
            s.finish_job(&j3, "sha256:d4", "{}", None).unwrap(),
            Completion::AlreadyAnalysed
        );
        assert!(
            s.image("a", &p3.image_id).unwrap().is_none(),
            "folded into the known image"
        );
        assert_eq!(s.queue_depth().unwrap(), (0, 0));
    });
}

#[test]
fn concurrent_adds_of_one_digest_make_one_image_and_one_job() {
    on_both(|open| {
        let s = open();
        s.ensure_account("a").unwrap();
        let added: Vec<drydock_store::Added> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    let store = open();
                    scope.spawn(move || {
                        store
                            .add_image_digest("a", "r/app:1", "r", "app", Some("sha256:same"), false)
                            .unwrap()
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let ids: BTreeSet<&str> = added.iter().map(|a| a.image_id.as_str()).collect();
        assert_eq!(ids.len(), 1, "{added:?}");
        assert_eq!(added.iter().filter(|a| a.new).count(), 1, "{added:?}");
        assert_eq!(added.iter().filter(|a| a.queued).count(), 1, "{added:?}");
        assert_eq!(s.queue_depth().unwrap(), (1, 0));

        // Two images added before their digest was known, finished at once with one digest:
        // one analysis, one image.
        s.add_image("a", "r/late:1", "r", "late").unwrap();
        s.add_image("a", "r/late:1", "r", "late").unwrap();
        let jobs: Vec<drydock_store::Job> = (0..3)
            .filter_map(|i| s.claim_job(&format!("w{i}"), 300).unwrap())
            .collect();
        let late: Vec<_> = jobs.into_iter().filter(|j| j.tag == "r/late:1").collect();
        assert_eq!(late.len(), 2);
        let done: Vec<Completion> = std::thread::scope(|scope| {
            let handles: Vec<_> = late
                .iter()
                .map(|j| {
                    let store = open();
                    scope.spawn(move || store.finish_job(j, "sha256:late", "{}", None).unwrap())
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert!(
            done.contains(&Completion::Stored) && done.contains(&Completion::AlreadyAnalysed),
            "{done:?}"
        );
        assert_eq!(s.analyses_of_digest("a", "sha256:late").unwrap(), 1);
        let filter = ImageFilter {
            tag: Some("r/late:1"),
            ..Default::default()
        };
        assert_eq!(s.images("a", &filter, 100, 0).unwrap().len(), 1);
    });
}

#[test]
fn a_stopping_worker_puts_its_job_back_and_keys_name_their_account() {
    on_both(|open| {
        let s = open();
        s.ensure_account("a").unwrap();
        s.add_user("ann", "a", "read-only", "x").unwrap();
        s.add_api_key("ka", "ann", "h").unwrap();
        assert_eq!(s.api_key_owner("ka").unwrap(), Some(("ann".into(), "a".into())));
        assert_eq!(s.api_key_owner("nope").unwrap(), None);
        s.revoke_api_key("ka").unwrap();
        assert_eq!(s.api_key_owner("ka").unwrap(), None);

        let image = s
            .add_image("a", "127.0.0.1:5000/fx/app:1", "127.0.0.1:5000", "fx/app")
            .unwrap();
        let job = s.claim_job("w-1", 300).unwrap().unwrap();
        assert_eq!(s.image("a", &image).unwrap().unwrap().status, "analyzing");
        assert!(s.claim_job("w-2", 300).unwrap().is_none(), "held");
        assert_eq!(s.release_jobs("w-other").unwrap(), 0);
        assert_eq!(s.release_jobs("w-1").unwrap(), 1);
        assert_eq!(s.image("a", &image).unwrap().unwrap().status, "queued");
        assert_eq!(s.queue_depth().unwrap(), (1, 0));
        let again = open().claim_job("w-2", 300).unwrap().expect("claimable at once");
        assert_eq!(again.id, job.id);
        assert!(
            !s.complete_job(&job, "sha256:late", "{}").unwrap(),
            "the released worker's result is dropped"
        );
        assert!(s.complete_job(&again, "sha256:b", "{}").unwrap());
    });
}

/// Whether the server's connections from the test database use TLS, as PostgreSQL sees them.
fn tls_sessions(pg: &PgDb) -> Vec<bool> {
    let admin = admin_url();
    let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
    c.query(
        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = $1",
        &[&pg.name],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[test]
fn postgres_connections_use_tls_as_the_url_asks() {
    let pg = PgDb::new();
    let admin = admin_url();
    let server_ssl: String = postgres::Client::connect(&admin, postgres::NoTls)
        .unwrap()
        .query_one("SHOW ssl", &[])
        .unwrap()
        .get(0);
    let sep = if pg.url.contains('?') { '&' } else { '?' };

    // sslmode=require: encrypted, or no connection at all when the server cannot.
    let required = Store::open(&format!("{}{sep}sslmode=require", pg.url));
    if server_ssl == "on" {
        let store = required.unwrap();
        store.ensure_account("admin").unwrap();
        assert!(tls_sessions(&pg).iter().all(|&ssl| ssl) && !tls_sessions(&pg).is_empty());
        drop(store);
    } else {
        let e = required
            .err()
            .expect("require must refuse a server without TLS")
            .to_string();
        assert!(e.contains("TLS") || e.contains("SSL") || e.contains("ssl"), "{e}");
    }

    // sslmode=disable: clear text, as asked.
    let store = Store::open(&format!("{}{sep}sslmode=disable", pg.url)).unwrap();
    store.ensure_account("admin").unwrap();
    let sessions = tls_sessions(&pg);
    assert!(sessions.contains(&false), "{sessions:?}");
    drop(store);

    // verify-full against a certificate no trusted root signed (Debian's self-signed
    // snakeoil, or none): refused, saying why, the password never in the message.
    if server_ssl == "on" {
        let url = pg
            .url
            .replacen("postgres://postgres@", "postgres://postgres:hunter2@", 1);
        let e = Store::open(&format!("{url}{sep}sslmode=verify-full"))
            .err()
            .expect("an unverifiable certificate must be refused")
            .to_string();
        assert!(e.contains("certificate"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    // A misspelt mode is an error naming it, not a silent clear-text connection.
    let e = Store::open(&format!("{}{sep}sslmode=requre", pg.url))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("unknown sslmode 'requre'"), "{e}");
}

#[test]
fn driver_errors_keep_their_cause_and_bad_data_names_its_column() {
    use drydock_store::sql::{Backend, Value};
    use std::error::Error as _;

    // A unique violation is told apart on both backends, the driver's error kept as source.
    let dir = tempfile::tempdir().unwrap();
    let sqlite = drydock_store::sqlite::Sqlite::open(&dir.path().join("u.sqlite"), 0).unwrap();
    let pg = PgDb::new();
    let postgres = drydock_store::postgres::Postgres::connect(&pg.url, 1).unwrap();
    for db in [&sqlite as &dyn Backend, &postgres] {
        let e = db
            .transaction(false, &mut |tx| {
                tx.execute("CREATE TABLE u (k TEXT PRIMARY KEY)", &[])?;
                tx.execute("INSERT INTO u (k) VALUES ($1)", &[Value::from("a")])?;
                tx.execute("INSERT INTO u (k) VALUES ($1)", &[Value::from("a")])?;
                Ok(())
            })
            .unwrap_err();
        assert!(e.is_unique_violation(), "{}: {e}", db.kind());
        assert!(!e.is_connection_failure(), "{}: {e}", db.kind());
        assert!(
            matches!(e, StoreError::Driver(_)) && e.source().is_some(),
            "{}: {e:?}",
            db.kind()
        );
    }

    // No server: a connection failure, its cause kept.
    let e = Store::open("postgres://postgres@127.0.0.1:1/none").err().unwrap();
    assert!(e.is_connection_failure(), "{e}");
    assert!(e.source().is_some(), "{e:?}");

    // A text where a number belongs is an error naming the column, not a 0.
    let path = dir.path().join("bad.sqlite");
    let s = Store::open(path.to_str().unwrap()).unwrap();
    s.ensure_account("a").unwrap();
    s.add_user("ann", "a", "admin", "hash").unwrap();
    assert!(s.user("ann").unwrap().is_some());
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute("UPDATE users SET created_at = 'yesterday' WHERE name = 'ann'", [])
        .unwrap();
    let e = s.user("ann").unwrap_err();
    assert!(
        matches!(&e, StoreError::NotInteger { column, .. } if *column == "users.created_at"),
        "{e:?}"
    );
    assert!(
        e.to_string().contains("users.created_at") && e.to_string().contains("yesterday"),
        "{e}"
    );
}
