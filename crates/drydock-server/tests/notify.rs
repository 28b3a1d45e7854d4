//! Notification delivery: retries with backoff until delivered, give-up after the last
//! attempt, and the delivery log — with a notifier that fails on demand.

use drydock_server::notify::{run, Notifier, MAX_ATTEMPTS};
use drydock_store::{Delivery, Store, Webhook};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Fails the first `failures` attempts, then answers 200.
struct Flaky {
    failures: usize,
    calls: AtomicUsize,
}

impl Notifier for Flaky {
    fn deliver(&self, _: &Delivery, _: &Webhook) -> Result<u16, (Option<u16>, String)> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        if n < self.failures {
            Err((Some(503), "the endpoint answered 503".into()))
        } else {
            Ok(200)
        }
    }
}

fn setup() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("s.sqlite").to_str().unwrap()).unwrap();
    store.ensure_account("a").unwrap();
    store.add_subscription("a", "vuln_update", "r/app:1").unwrap();
    store.add_webhook("a", "http://127.0.0.1:1/hook", "secret").unwrap();
    assert_eq!(
        store
            .notify("vuln_update", "r/app:1", &serde_json::json!({"added": ["CVE-1+x"]}))
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .notify("vuln_update", "r/other:1", &serde_json::json!({}))
            .unwrap(),
        0,
        "not subscribed"
    );
    (dir, store)
}

/// Runs the deliverer until the single delivery leaves `pending`.
fn deliver_with(store: &Store, notifier: Arc<dyn Notifier>) -> Delivery {
    let stop = Arc::new(AtomicBool::new(false));
    let t = {
        let (store, stop) = (store.clone(), stop.clone());
        std::thread::spawn(move || run(store, notifier, stop, Duration::ZERO))
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let d = loop {
        let d = store.deliveries("a", 10, 0).unwrap().remove(0);
        if d.state != "pending" || Instant::now() > deadline {
            break d;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    stop.store(true, Ordering::Relaxed);
    t.join().unwrap();
    d
}

#[test]
fn failed_deliveries_are_retried_until_they_succeed() {
    let (_dir, store) = setup();
    let flaky = Arc::new(Flaky {
        failures: 2,
        calls: AtomicUsize::new(0),
    });
    let d = deliver_with(&store, flaky.clone());
    assert_eq!(
        (d.state.as_str(), d.attempts, d.last_status),
        ("delivered", 3, Some(200))
    );
    assert!(d.delivered_at.is_some());
    let body: serde_json::Value = serde_json::from_str(&d.payload).unwrap();
    assert_eq!(
        (body["kind"].as_str(), body["tag"].as_str()),
        (Some("vuln_update"), Some("r/app:1"))
    );
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 3);
}

#[test]
fn a_delivery_that_keeps_failing_is_given_up() {
    let (_dir, store) = setup();
    let d = deliver_with(
        &store,
        Arc::new(Flaky {
            failures: usize::MAX,
            calls: AtomicUsize::new(0),
        }),
    );
    assert_eq!((d.state.as_str(), d.attempts), ("failed", MAX_ATTEMPTS));
    assert_eq!(d.last_error.as_deref(), Some("the endpoint answered 503"));
}
