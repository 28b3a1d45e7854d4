//! Notifications: a [`Notifier`] delivers queued notifications; the webhook notifier POSTs
//! the JSON payload with an HMAC-SHA256 signature header, and failed deliveries are retried
//! with exponential backoff until they succeed or run out of attempts. Every attempt is
//! recorded, so the delivery log is visible through the API.

use drydock_store::{Delivery, Store, Webhook};
use hmac::{Hmac, KeyInit, Mac};
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
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// True for addresses a webhook must not reach unless allowed: loopback, private,
/// link-local, unique-local, shared (CGNAT), benchmarking (198.18.0.0/15), reserved
/// (240.0.0.0/4), multicast and unspecified ones — also when embedded in an IPv6 address
/// (IPv4-mapped, IPv4-compatible, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32).
pub fn is_internal(ip: std::net::IpAddr) -> bool {
    use std::net::Ipv4Addr;
    match ip {
        std::net::IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1]))
                || (o[0] == 192 && o[1] == 0 && o[2] == 0)
                || (o[0] == 198 && (o[1] & 0xfe) == 18)
                || o[0] >= 240
        }
        std::net::IpAddr::V6(v6) => {
            let s = v6.segments();
            let embedded = |hi: u16, lo: u16| Ipv4Addr::from(((hi as u32) << 16) | lo as u32);
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || v6.to_ipv4_mapped().is_some_and(|v4| is_internal(v4.into()))
                // IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks).
                || (s[..6].iter().all(|x| *x == 0) && is_internal(embedded(s[6], s[7]).into()))
                // NAT64: the well-known prefix carries an IPv4 address; local-use ones are internal.
                || (s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] && is_internal(embedded(s[6], s[7]).into()))
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
                // 6to4: 2002:AABB:CCDD::/48 is IPv4 AA.BB.CC.DD.
                || (s[0] == 0x2002 && is_internal(embedded(s[1], s[2]).into()))
                // Teredo: the server at segments 2-3, the client (inverted) at 6-7.
                || (s[0] == 0x2001
                    && s[1] == 0
                    && (is_internal(embedded(s[2], s[3]).into()) || is_internal(embedded(!s[6], !s[7]).into())))
        }
    }
}

/// Refuses a webhook URL whose host is, or (with `resolve`) resolves to, an internal
/// address — so users cannot make the server call into its own network — unless
/// `allow_internal`. Without `resolve` only literal addresses and `localhost` are judged
/// (a name may resolve only where the server runs).
pub fn check_destination(url: &str, allow_internal: bool, resolve: bool) -> Result<(), String> {
    destination(url, allow_internal, resolve).map(|_| ())
}

/// A webhook destination judged for delivery: the host name and the addresses it resolved
/// to (empty for literal addresses, or when internal ones are allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    /// Host of the URL as written (IPv6 literals in brackets).
    pub host: String,
    /// Addresses the name resolved to, the only ones to connect to; empty when not resolved.
    pub addrs: Vec<std::net::SocketAddr>,
}

/// Judges `url` like [`check_destination`] and returns the addresses judged, so the request
/// goes to exactly those (a name re-resolved at connect time could point elsewhere: DNS
/// rebinding).
pub fn destination(url: &str, allow_internal: bool, resolve: bool) -> Result<Destination, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("{url:?} is not an http(s) URL"));
    }
    let host = parsed.host_str().ok_or_else(|| format!("{url:?} has no host"))?;
    let mut pinned = Destination {
        host: host.to_string(),
        addrs: Vec::new(),
    };
    if allow_internal {
        return Ok(pinned);
    }
    let port = parsed.port_or_known_default().unwrap_or(443);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<std::net::IpAddr> = match host.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![ip],
        Err(_) if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") => {
            vec![std::net::Ipv4Addr::LOCALHOST.into()]
        }
        Err(_) if !resolve => Vec::new(),
        Err(_) => {
            pinned.addrs = std::net::ToSocketAddrs::to_socket_addrs(&(host, port))
                .map_err(|e| format!("cannot resolve {host}: {e}"))?
                .collect();
            if pinned.addrs.is_empty() {
                return Err(format!("{host} resolves to no address"));
            }
            pinned.addrs.iter().map(|a| a.ip()).collect()
        }
    };
    match addrs.iter().find(|ip| is_internal(**ip)) {
        Some(ip) => Err(format!(
            "{host} is an internal address ({ip}); webhooks may only call public addresses unless the server runs with --allow-internal-webhooks"
        )),
        None => Ok(pinned),
    }
}

/// POSTs the payload as JSON with the signature, event and delivery headers.
pub struct WebhookNotifier {
    client: reqwest::blocking::Client,
    allow_internal: bool,
}

/// The client webhooks are sent with: a 10-second timeout per attempt, no redirects.
fn client_builder() -> reqwest::blocking::ClientBuilder {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
}

impl WebhookNotifier {
    /// A notifier that (unless `allow_internal`) refuses internal destinations and connects
    /// only to the addresses it judged.
    pub fn new(allow_internal: bool) -> Result<Self, String> {
        client_builder()
            .build()
            .map(|client| WebhookNotifier { client, allow_internal })
            .map_err(|e| e.to_string())
    }
}

impl Notifier for WebhookNotifier {
    fn deliver(&self, d: &Delivery, w: &Webhook) -> Result<u16, (Option<u16>, String)> {
        let dest = destination(&w.url, self.allow_internal, true).map_err(|e| (None, e))?;
        self.send(&dest, d, w)
    }
}

impl WebhookNotifier {
    /// Sends to `dest`: a resolved name connects only to the addresses judged.
    pub fn send(&self, dest: &Destination, d: &Delivery, w: &Webhook) -> Result<u16, (Option<u16>, String)> {
        let pinned;
        let client = if dest.addrs.is_empty() {
            &self.client
        } else {
            pinned = client_builder()
                .resolve_to_addrs(&dest.host, &dest.addrs)
                .build()
                .map_err(|e| (None, e.to_string()))?;
            &pinned
        };
        let body = d.payload.as_bytes().to_vec();
        let r = client
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
    use super::{check_destination, signature};

    #[test]
    fn internal_destinations_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/x",
            "http://10.1.2.3/",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://100.64.0.1/",
            "http://localhost/",
            "http://198.18.0.1/",
            "http://198.19.255.254/",
            "http://240.0.0.1/",
            "http://255.255.255.255/",
            "http://0.1.2.3/",
            "http://224.0.0.1/",
            // IPv4-compatible, NAT64 (well-known and local-use), 6to4 and Teredo forms.
            "http://[::127.0.0.1]/",
            "http://[::a9fe:a9fe]/",
            "http://[64:ff9b::10.0.0.1]/",
            "http://[64:ff9b::7f00:1]/",
            "http://[64:ff9b:1::5db8:d822]/",
            "http://[2002:7f00:1::]/",
            "http://[2002:a9fe:a9fe::1]/",
            "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
            "http://[::ffff:169.254.169.254]/",
            "http://[fec0::1]/",
        ] {
            assert!(check_destination(url, false, true).is_err(), "{url}");
            assert!(
                check_destination(url, false, false).is_err(),
                "{url}: literal addresses need no lookup"
            );
            assert!(check_destination(url, true, true).is_ok(), "{url}");
        }
        assert!(check_destination("http://93.184.216.34/hook", false, true).is_ok());
        for public in [
            "http://[2606:2800:220:1:248:1893:25c8:1946]/",
            "http://[64:ff9b::5db8:d822]/",
            "http://[2002:5db8:d822::1]/",
            "http://198.20.0.1/",
            "http://239.255.255.255.invalid/",
        ] {
            assert!(check_destination(public, false, false).is_ok(), "{public} is public");
        }
        assert!(
            check_destination("https://hooks.example.invalid/x", false, false).is_ok(),
            "names are judged at delivery"
        );
        assert!(check_destination("ftp://93.184.216.34/", true, true).is_err());
    }

    #[test]
    fn a_judged_name_is_connected_to_at_the_judged_address_only() {
        use std::io::{Read, Write};
        // The name does not resolve; the delivery must go to the pinned address anyway,
        // proving no second lookup happens between the check and the connection.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut buf = vec![0u8; 4096];
            let n = s.read(&mut buf).unwrap();
            s.write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
                .unwrap();
            String::from_utf8_lossy(&buf[..n]).to_string()
        });
        let host = "hooks.drydock-test.invalid";
        let dest = super::Destination {
            host: host.into(),
            addrs: vec![addr],
        };
        let w = drydock_store::Webhook {
            id: "w".into(),
            account: "a".into(),
            url: format!("http://{host}:{}/hook", addr.port()),
            secret: "s".into(),
            created_at: 0,
        };
        let d = drydock_store::Delivery {
            id: "d".into(),
            account: "a".into(),
            webhook_id: "w".into(),
            kind: "vuln_update".into(),
            subject: "t".into(),
            payload: "{}".into(),
            state: "pending".into(),
            attempts: 0,
            next_attempt_at: 0,
            last_status: None,
            last_error: None,
            created_at: 0,
            delivered_at: None,
        };
        let n = super::WebhookNotifier::new(false).unwrap();
        assert_eq!(n.send(&dest, &d, &w), Ok(204));
        let request = server.join().unwrap();
        assert!(request.starts_with("POST /hook"), "{request}");
        assert!(
            request.to_ascii_lowercase().contains(&format!("host: {host}:")),
            "{request}"
        );
    }

    #[test]
    fn signature_is_hmac_sha256_of_the_body() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
