//! Notifications: a [`Notifier`] delivers queued notifications; the webhook notifier POSTs
//! the JSON payload with an HMAC-SHA256 signature header, and failed deliveries are retried
//! with exponential backoff until they succeed or run out of attempts. Every attempt is
//! recorded, so the delivery log is visible through the API.

use drydock_store::{Delivery, Store, Webhook};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Header carrying `sha256=<hex HMAC of the body with the webhook's secret>`.
pub const SIGNATURE_HEADER: &str = "X-Drydock-Signature";
/// Attempts before a delivery is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// Delivers one notification to one endpoint.
pub trait Notifier: Send + Sync {
    /// Sends; the HTTP status (or other proof) on success, an error to retry otherwise.
    fn deliver(&self, delivery: &Delivery, webhook: &Webhook) -> Result<u16, (Option<u16>, String)>;
}

/// `sha256=<hex>` of the body under the secret.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// POSTs the payload as JSON with the signature, event and delivery headers.
pub struct WebhookNotifier {
    client: reqwest::blocking::Client,
}

impl WebhookNotifier {
    /// A notifier with a 10-second timeout per attempt.
    pub fn new() -> Result<Self, String> {
        reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map(|client| WebhookNotifier { client })
            .map_err(|e| e.to_string())
    }
}

impl Notifier for WebhookNotifier {
    fn deliver(&self, d: &Delivery, w: &Webhook) -> Result<u16, (Option<u16>, String)> {
        let body = d.payload.as_bytes().to_vec();
        let r = self
            .client
            .post(&w.url)
            .header("content-type", "application/json")
            .header(SIGNATURE_HEADER, signature(&w.secret, &body))
            .header("X-Drydock-Event", &d.kind)
            .header("X-Drydock-Delivery", &d.id)
            .body(body)
            .send()
            .map_err(|e| (None, e.to_string()))?;
        let status = r.status().as_u16();
        if r.status().is_success() {
            Ok(status)
        } else {
            Err((Some(status), format!("the endpoint answered {status}")))
        }
    }
}

/// Delivers due notifications until `stop`; `base_backoff` doubles per attempt (capped at
/// an hour).
pub fn run(store: Store, notifier: Arc<dyn Notifier>, stop: Arc<AtomicBool>, base_backoff: Duration) {
    while !stop.load(Ordering::Relaxed) {
        match store.due_deliveries(50) {
            Ok(due) if !due.is_empty() => {
                for (d, w) in due {
                    let (status, error) = match notifier.deliver(&d, &w) {
                        Ok(s) => (Some(s), None),
                        Err((s, e)) => (s, Some(e)),
                    };
                    let retry_at = error.as_ref().and_then(|_| {
                        (d.attempts + 1 < MAX_ATTEMPTS).then(|| {
                            let secs = base_backoff.as_secs_f64() * 2f64.powi(d.attempts as i32);
                            drydock_store::now() + secs.min(3600.0).ceil() as i64
                        })
                    });
                    if let Some(e) = &error {
                        tracing::warn!("notification {} to {} failed: {e}", d.id, w.url);
                    }
                    if let Err(e) = store.delivery_attempted(&d.id, status, error.as_deref(), retry_at) {
                        tracing::warn!("cannot record a delivery attempt: {e}");
                    }
                }
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(250)),
            Err(e) => {
                tracing::warn!("notifications: {e}");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
