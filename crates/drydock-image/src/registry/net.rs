//! Talking to one repository over HTTP: token and basic authentication, retries with
//! backoff, capped streaming reads of documents, timeouts on every request, an optional
//! address policy (checked on every connection and redirect), errors that name the
//! registry and repository but never echo a response body, and the blocking reader over a
//! blob stream.

use super::auth::Credentials;
use super::{verify_digest, AddressPolicy, ACCEPTED_MANIFESTS};
use crate::error::{ImageError, Result};
use crate::limits::Limits;
use base64::Engine;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use oci_client::secrets::RegistryAuth;
use std::fmt;
use std::future::Future;
use std::io::{self, Read};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Attempts per request for transient failures (waits of 200 ms, 400 ms, 800 ms, 1.6 s).
const ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The registry client's time limits, from [`Limits`] (`registry_*`).
#[derive(Debug, Clone, Copy)]
pub(super) struct Timing {
    /// Time to establish a connection (TCP and TLS).
    pub connect: Duration,
    /// Longest wait for the next bytes of any response.
    pub read: Duration,
    /// Whole-request budget (connect to last byte) for manifests, tag lists, tokens, configs.
    pub document: Duration,
    /// Whole-request budget for a blob: this much plus its declared size at `blob_min_rate`.
    pub blob_base: Duration,
    /// Slowest average rate (bytes per second) a blob may arrive at, after `blob_grace`
    /// (0: no rate check).
    pub blob_min_rate: u64,
    pub blob_grace: Duration,
}

impl Timing {
    /// The limits' registry settings (a zero duration would fail every request, so it is
    /// read as one second).
    pub fn from_limits(l: &Limits) -> Self {
        let secs = |s: u64| Duration::from_secs(s.max(1));
        Timing {
            connect: secs(l.registry_connect_seconds),
            read: secs(l.registry_read_seconds),
            document: secs(l.registry_document_seconds),
            blob_base: secs(l.registry_blob_seconds),
            blob_min_rate: l.registry_blob_min_rate,
            blob_grace: Duration::from_secs(l.registry_blob_grace_seconds),
        }
    }

    /// The whole-request budget for a blob of `size` declared bytes.
    pub fn blob_timeout(&self, size: u64) -> Duration {
        let at_rate = size.checked_div(self.blob_min_rate).unwrap_or(0);
        self.blob_base.saturating_add(Duration::from_secs(at_rate))
    }
}
/// Largest token response, tag list and error body read.
const MAX_TOKEN_BODY: u64 = 1 << 20;
const MAX_TAGS_BODY: u64 = 1 << 20;
const MAX_ERROR_BODY: u64 = 64 << 10;
/// Redirects followed per request.
const MAX_REDIRECTS: usize = 5;

/// What a request was for, in error messages.
pub(super) enum Op<'a> {
    Connect,
    Manifest(&'a str),
    Config(&'a str),
    Layer(usize, &'a str),
}

impl fmt::Display for Op<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::Connect => write!(f, "authentication"),
            Op::Manifest(m) => write!(f, "manifest {m}"),
            Op::Config(d) => write!(f, "config blob {d}"),
            Op::Layer(i, d) => write!(f, "layer {i} blob {d}"),
        }
    }
}

/// Why one request failed, before it becomes an [`ImageError`].
#[derive(Debug)]
pub(super) enum Fail {
    /// Transport trouble (connect, TLS, timeout, broken body).
    Http(reqwest::Error),
    /// The address policy refused a destination.
    Refused(String),
    /// A non-success status with the (sanitised) OCI error codes of its body.
    Status { code: u16, codes: Vec<String> },
    /// A document over its limit: by its Content-Length (`size`), or by the bytes read.
    TooLarge { size: Option<u64>, max: u64 },
    /// The token service's answer was unusable.
    Token(String),
}

/// A destination refused by the address policy (travels through reqwest's error chain).
#[derive(Debug)]
struct Refused(String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Which requests the HTTP client sends through a proxy, decided by the same rules it uses
/// (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY`, upper or lower case). Through a
/// proxy the client never resolves the registry's name itself (the proxy does), so the
/// address policy resolves and judges it before the request is sent.
#[derive(Clone)]
pub(super) struct ProxyRules(Arc<hyper_util::client::proxy::matcher::Matcher>);

impl ProxyRules {
    /// The rules of the environment, as the client reads them when it is built.
    pub fn from_env() -> Self {
        ProxyRules(Arc::new(hyper_util::client::proxy::matcher::Matcher::from_system()))
    }

    /// Rules for tests: `proxy` for every scheme, `no_proxy` as `NO_PROXY` is written.
    #[cfg(test)]
    fn new(proxy: &str, no_proxy: &str) -> Self {
        let m = hyper_util::client::proxy::matcher::Matcher::builder()
            .all(proxy.to_string())
            .no(no_proxy.to_string())
            .build();
        ProxyRules(Arc::new(m))
    }

    /// The proxy `url` would go through, if any.
    fn proxy_for(&self, url: &reqwest::Url) -> Option<http::Uri> {
        let uri: http::Uri = url.as_str().parse().ok()?;
        self.0.intercept(&uri).map(|i| i.uri().clone())
    }

    /// True when `host` is the host of a proxy in use (the client resolves it to connect).
    fn is_proxy_host(&self, host: &str) -> bool {
        ["http://drydock.invalid/", "https://drydock.invalid/"]
            .iter()
            .any(|probe| {
                reqwest::Url::parse(probe)
                    .ok()
                    .and_then(|u| self.proxy_for(&u))
                    .is_some_and(|p| p.host().is_some_and(|h| h.eq_ignore_ascii_case(host)))
            })
    }
}

impl AddressPolicy {
    /// Judges a URL the client will send through a proxy: its host name is resolved here
    /// and refused when any of its addresses is internal (unless the host is allowed), as
    /// the resolver does for direct connections. Direct requests are left to the resolver.
    /// The lookup blocks; it runs on a blocking thread or the registry runtime.
    fn judge_proxied(&self, url: &reqwest::Url, proxy: &ProxyRules) -> std::result::Result<(), String> {
        if proxy.proxy_for(url).is_none() {
            return Ok(());
        }
        let Some(host) = url.host_str() else {
            return Err("a URL without a host".into());
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if bare.parse::<IpAddr>().is_ok() || self.host_allowed(bare) {
            // Literal addresses were judged by judge_url.
            return Ok(());
        }
        let addrs = (bare, url.port_or_known_default().unwrap_or(443))
            .to_socket_addrs()
            .map_err(|e| format!("{bare} does not resolve ({e})"))?;
        match addrs.map(|a| a.ip()).find(|ip| (self.is_internal)(*ip)) {
            Some(ip) => Err(self.refusal(bare, ip)),
            None => Ok(()),
        }
    }
}

impl AddressPolicy {
    /// True when `host` (a name or address, no port) is one the policy lets be internal.
    fn host_allowed(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed_hosts
            .iter()
            .any(|a| super::host_part(a.trim()).eq_ignore_ascii_case(host))
    }

    /// Like [`Self::host_allowed`], but an entry naming a port allows only that port.
    fn host_allowed_at(&self, host: &str, port: Option<u16>) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allowed_hosts.iter().any(|a| {
            let a = a.trim();
            let h = super::host_part(a);
            let entry_port = a
                .rsplit_once(':')
                .filter(|(before, _)| !h.contains(':') || before.ends_with(']'))
                .and_then(|(_, p)| p.parse::<u16>().ok());
            h.eq_ignore_ascii_case(host) && (entry_port.is_none() || entry_port == port)
        })
    }

    fn refusal(&self, host: &str, ip: IpAddr) -> String {
        format!("{host} is an internal address ({ip}); {}", self.hint)
    }

    /// Judges a URL before it is requested: the scheme, and a host that is an address
    /// literal or a `localhost` name (names are judged when they are resolved).
    fn judge_url(&self, url: &reqwest::Url) -> std::result::Result<(), String> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{} is not an http(s) URL", url.scheme()));
        }
        let Some(host) = url.host_str() else {
            return Err("a URL without a host".into());
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let ip = match bare.parse::<IpAddr>() {
            Ok(ip) => ip,
            Err(_) if bare.eq_ignore_ascii_case("localhost") || bare.to_ascii_lowercase().ends_with(".localhost") => {
                IpAddr::from([127, 0, 0, 1])
            }
            Err(_) => return Ok(()),
        };
        if (self.is_internal)(ip) && !self.host_allowed_at(bare, url.port_or_known_default()) {
            return Err(self.refusal(bare, ip));
        }
        Ok(())
    }
}

/// Resolves names for the client and refuses those resolving to internal addresses; the
/// connection then goes to exactly the addresses judged (no second lookup to rebind).
struct PolicyResolver {
    policy: AddressPolicy,
    refused: Arc<Mutex<Option<String>>>,
    /// The proxies the operator configured may be internal; they are resolved here too.
    proxy: ProxyRules,
}

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        let slot = self.refused.clone();
        let host = name.as_str().to_string();
        let is_proxy = self.proxy.is_proxy_host(&host);
        Box::pin(async move {
            let h = host.clone();
            let addrs: Vec<SocketAddr> =
                tokio::task::spawn_blocking(move || (h.as_str(), 0).to_socket_addrs().map(|a| a.collect()))
                    .await
                    .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)??;
            if !policy.host_allowed(&host) && !is_proxy {
                if let Some(ip) = addrs.iter().map(|a| a.ip()).find(|ip| (policy.is_internal)(*ip)) {
                    let msg = policy.refusal(&host, ip);
                    if let Ok(mut s) = slot.lock() {
                        *s = Some(msg.clone());
                    }
                    return Err(Box::new(Refused(msg)) as Box<dyn std::error::Error + Send + Sync>);
                }
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The HTTP client for one registry: timeouts, redirects and (with a policy) the resolver
/// and redirect checks that keep it off internal addresses.
pub(super) fn client(
    policy: Option<&AddressPolicy>,
    refused: &Arc<Mutex<Option<String>>>,
    timing: &Timing,
    proxy: &ProxyRules,
) -> std::result::Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder()
        .connect_timeout(timing.connect)
        .read_timeout(timing.read)
        .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")));
    let Some(policy) = policy else {
        return builder
            .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
            .build();
    };
    let judge = policy.clone();
    let slot = refused.clone();
    let rules = proxy.clone();
    builder
        .dns_resolver(Arc::new(PolicyResolver {
            policy: policy.clone(),
            refused: refused.clone(),
            proxy: proxy.clone(),
        }))
        .redirect(reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() > MAX_REDIRECTS {
                return attempt.error(Refused("too many redirects".into()));
            }
            // A redirect through a proxy is judged here, its name resolved on the spot.
            let verdict = judge
                .judge_url(attempt.url())
                .and_then(|()| judge.judge_proxied(attempt.url(), &rules));
            match verdict {
                Ok(()) => attempt.follow(),
                Err(msg) => {
                    let msg = format!("a redirect was refused: {msg}");
                    if let Ok(mut s) = slot.lock() {
                        *s = Some(msg.clone());
                    }
                    attempt.error(Refused(msg))
                }
            }
        }))
        .build()
}

/// A repository on a registry, with the client and credentials to reach it.
pub(super) struct Remote {
    pub client: reqwest::Client,
    pub policy: Option<AddressPolicy>,
    /// The last refusal of the address policy (reqwest may hide it in its error chain).
    pub refused: Arc<Mutex<Option<String>>>,
    /// `http(s)://host[:port]` of the registry API.
    pub base: String,
    pub reference: oci_client::Reference,
    /// Registry as written in the reference (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    pub repository: String,
    /// Host actually contacted (`index.docker.io` for `docker.io`).
    pub host: String,
    pub plain_http: bool,
    pub creds: Credentials,
    /// Time limits of every request.
    pub timing: Timing,
    /// Which requests go through a proxy (their host names are judged before sending).
    pub proxy: ProxyRules,
    /// The `Authorization` header value settled on by [`Remote::authenticate`].
    pub authorization: Mutex<Option<String>>,
}

/// A blob's bytes as they arrive.
pub(super) type BlobStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// Reads a response body into memory, refusing it by Content-Length first and stopping
/// as soon as it passes `max`.
async fn read_capped(mut resp: reqwest::Response, max: u64) -> std::result::Result<Vec<u8>, Fail> {
    if let Some(len) = resp.content_length().filter(|l| *l > max) {
        return Err(Fail::TooLarge { size: Some(len), max });
    }
    let mut buf = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(Fail::Http)? {
        if (buf.len() + chunk.len()) as u64 > max {
            // Not read to its end: the size is unknown, only that it is over.
            return Err(Fail::TooLarge { size: None, max });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}

/// The OCI error codes of an error body, sanitised: upper-case words only, at most three.
fn error_codes(body: &[u8]) -> Vec<String> {
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(default)]
        errors: Vec<serde_json::Value>,
    }
    let Ok(env) = serde_json::from_slice::<Envelope>(body) else {
        return Vec::new();
    };
    env.errors
        .iter()
        .filter_map(|e| e.get("code")?.as_str())
        .filter(|c| !c.is_empty() && c.len() <= 40 && c.chars().all(|ch| ch.is_ascii_uppercase() || ch == '_'))
        .take(3)
        .map(str::to_string)
        .collect()
}

/// Parses `Bearer realm="…",service="…"` (or `Basic realm="…"`) into its scheme and
/// parameters.
fn parse_challenge(header: &str) -> Option<(String, Vec<(String, String)>)> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = Vec::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let (value, tail) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        params.push((key.trim().to_ascii_lowercase(), value.to_string()));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    Some((scheme.to_ascii_lowercase(), params))
}

/// A token usable in a header: visible ASCII only, bounded.
fn header_safe(token: &str) -> bool {
    !token.is_empty() && token.len() <= 16 << 10 && token.bytes().all(|b| (0x21..0x7f).contains(&b))
}

impl Remote {
    /// Runs `f` until it succeeds, fails for good, or the attempts are spent.
    pub async fn retry<T, F, Fut>(&self, op: &Op<'_>, mut f: F) -> std::result::Result<T, Fail>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, Fail>>,
    {
        let mut delay = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            match f().await {
                Err(e) if attempt < ATTEMPTS && self.is_transient(&e) => {
                    tracing::debug!(
                        "{}/{}: {op} failed ({}); retrying in {delay:?}",
                        self.registry,
                        self.repository,
                        describe(&e)
                    );
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    fn authorization(&self) -> Option<String> {
        self.authorization.lock().ok().and_then(|a| a.clone())
    }

    fn set_authorization(&self, value: String) {
        if let Ok(mut a) = self.authorization.lock() {
            *a = Some(value);
        }
    }

    /// Judges a URL against the policy, if any, before requesting it; one that goes
    /// through a proxy has its host name resolved and judged first.
    async fn judge(&self, url: &reqwest::Url) -> std::result::Result<(), Fail> {
        let Some(p) = &self.policy else { return Ok(()) };
        p.judge_url(url).map_err(Fail::Refused)?;
        let (p, url, proxy) = (p.clone(), url.clone(), self.proxy.clone());
        tokio::task::spawn_blocking(move || p.judge_proxied(&url, &proxy))
            .await
            .map_err(|e| Fail::Refused(format!("the address check failed: {e}")))?
            .map_err(|msg| {
                if let Ok(mut s) = self.refused.lock() {
                    *s = Some(msg.clone());
                }
                Fail::Refused(msg)
            })
    }

    /// One GET, authenticating once on a 401 challenge; non-success statuses become
    /// [`Fail::Status`] (the body is read only for its error codes, capped).
    async fn get(
        &self,
        url: &str,
        accept: Option<&str>,
        range: Option<u64>,
        timeout: Duration,
    ) -> std::result::Result<reqwest::Response, Fail> {
        let parsed = reqwest::Url::parse(url).map_err(|e| Fail::Refused(format!("bad URL: {e}")))?;
        self.judge(&parsed).await?;
        let mut challenged = false;
        loop {
            let mut rq = self.client.get(parsed.clone()).timeout(timeout);
            if let Some(a) = accept {
                rq = rq.header(reqwest::header::ACCEPT, a);
            }
            if let Some(off) = range {
                rq = rq.header(reqwest::header::RANGE, format!("bytes={off}-"));
            }
            if let Some(auth) = self.authorization() {
                rq = rq.header(reqwest::header::AUTHORIZATION, auth);
            }
            let resp = rq.send().await.map_err(Fail::Http)?;
            let status = resp.status();
            if status.is_success() {
                return Ok(resp);
            }
            if status.as_u16() == 401 && !challenged {
                if let Some(challenge) = challenge_of(&resp) {
                    challenged = true;
                    self.login(&challenge).await?;
                    continue;
                }
            }
            return Err(status_fail(resp).await);
        }
    }

    /// Answers a `WWW-Authenticate` challenge: basic credentials, or a token fetched from
    /// the realm (its answer read capped, under the document timeout).
    async fn login(&self, challenge: &str) -> std::result::Result<(), Fail> {
        let (scheme, params) = parse_challenge(challenge).ok_or_else(|| Fail::Status {
            code: 401,
            codes: Vec::new(),
        })?;
        let param = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
        let basic = match &self.creds.auth {
            RegistryAuth::Basic(u, p) => Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
            )),
            _ => None,
        };
        if let RegistryAuth::Bearer(token) = &self.creds.auth {
            self.set_authorization(format!("Bearer {token}"));
            return Ok(());
        }
        match scheme.as_str() {
            "basic" => match basic {
                Some(b) => {
                    self.set_authorization(b);
                    Ok(())
                }
                None => Err(Fail::Status {
                    code: 401,
                    codes: Vec::new(),
                }),
            },
            "bearer" => {
                let realm = param("realm").ok_or_else(|| Fail::Token("the challenge names no realm".into()))?;
                let mut url = reqwest::Url::parse(realm).map_err(|_| Fail::Token("the realm is not a URL".into()))?;
                {
                    let mut q = url.query_pairs_mut();
                    if let Some(service) = param("service") {
                        q.append_pair("service", service);
                    }
                    q.append_pair("scope", &format!("repository:{}:pull", self.repository));
                }
                self.judge(&url).await?;
                let mut rq = self.client.get(url).timeout(self.timing.document);
                if let Some(b) = basic {
                    rq = rq.header(reqwest::header::AUTHORIZATION, b);
                }
                let resp = rq.send().await.map_err(Fail::Http)?;
                if !resp.status().is_success() {
                    return Err(match status_fail(resp).await {
                        Fail::Status { code, codes } => Fail::Token(format!(
                            "HTTP {code}{}",
                            if codes.is_empty() {
                                String::new()
                            } else {
                                format!(" {}", codes.join(", "))
                            }
                        )),
                        other => other,
                    });
                }
                let body = read_capped(resp, MAX_TOKEN_BODY).await?;
                #[derive(serde::Deserialize)]
                struct TokenReply {
                    #[serde(default)]
                    token: Option<String>,
                    #[serde(default)]
                    access_token: Option<String>,
                }
                let reply: TokenReply =
                    serde_json::from_slice(&body).map_err(|_| Fail::Token("the token answer is not JSON".into()))?;
                let token = reply
                    .token
                    .filter(|t| !t.is_empty())
                    .or(reply.access_token)
                    .filter(|t| header_safe(t))
                    .ok_or_else(|| Fail::Token("the token answer holds no usable token".into()))?;
                self.set_authorization(format!("Bearer {token}"));
                Ok(())
            }
            _ => Err(Fail::Token("an unknown authentication scheme".into())),
        }
    }

    /// Obtains a token (or settles on basic or anonymous access) for pulling.
    pub async fn authenticate(&self) -> Result<()> {
        let op = Op::Connect;
        let url = format!("{}/v2/", self.base);
        let result = self
            .retry(&op, || async {
                match self.get(&url, None, None, self.timing.document).await {
                    Ok(_) => Ok(()),
                    // Some registries only challenge on repository URLs, or do not
                    // implement /v2/ at all: let the real request tell.
                    Err(Fail::Status { code, .. }) if code == 404 || code == 401 && self.authorization().is_none() => {
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            })
            .await;
        result.map_err(|e| self.error(e, &op))
    }

    /// Fetches a manifest document by tag or digest (`label`), capped at the document
    /// limit; `expected` is the digest the bytes must hash to, when known. Returns the
    /// bytes and their digest (verified against the registry's `Docker-Content-Digest`).
    pub async fn fetch_manifest(
        &self,
        label: &str,
        expected: Option<&str>,
        limits: &Limits,
    ) -> Result<(Vec<u8>, String)> {
        let op = Op::Manifest(label);
        let url = format!("{}/v2/{}/manifests/{label}", self.base, self.repository);
        let accept = ACCEPTED_MANIFESTS.join(", ");
        let fetched = self
            .retry(&op, || async {
                let resp = self.get(&url, Some(&accept), None, self.timing.document).await?;
                let header = resp
                    .headers()
                    .get("docker-content-digest")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                Ok((read_capped(resp, limits.max_document).await?, header))
            })
            .await;
        let (body, header) = match fetched {
            Ok(v) => v,
            Err(e) if is_not_found(&e) => return Err(self.not_found(label).await),
            Err(Fail::TooLarge { size, .. }) => return Err(self.too_large(&format!("manifest {label}"), size, limits)),
            Err(e) => return Err(self.error(e, &op)),
        };
        let what = || format!("manifest {label} from {}/{}", self.registry, self.repository);
        let digest = match (expected, header) {
            (Some(expected), _) => expected.to_string(),
            (None, Some(h)) if super::valid_digest(&h) => h,
            (None, _) => format!("sha256:{}", hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&body))),
        };
        verify_digest(&body, &digest, what)?;
        Ok((body, digest))
    }

    /// Fetches and verifies the config blob, bounded by the document limit.
    pub async fn fetch_config(&self, digest: &str, limits: &Limits) -> Result<Vec<u8>> {
        let op = Op::Config(digest);
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.repository);
        let bytes = self
            .retry(&op, || async {
                let resp = self.get(&url, None, None, self.timing.document).await?;
                read_capped(resp, limits.max_document).await
            })
            .await;
        let bytes = match bytes {
            Ok(b) => b,
            Err(Fail::TooLarge { size, .. }) => return Err(self.too_large(&format!("config {digest}"), size, limits)),
            Err(e) => return Err(self.error(e, &op)),
        };
        verify_digest(&bytes, digest, || {
            format!("config blob from {}/{}", self.registry, self.repository)
        })?;
        Ok(bytes)
    }

    /// Opens a blob stream from `offset` (a range request when non-zero); returns the
    /// stream and how many of its first bytes to skip (when the range was ignored).
    pub async fn open_blob(
        &self,
        digest: &str,
        offset: u64,
        timeout: Duration,
    ) -> std::result::Result<(BlobStream, u64), Fail> {
        let url = format!("{}/v2/{}/blobs/{digest}", self.base, self.repository);
        let resp = self.get(&url, None, (offset > 0).then_some(offset), timeout).await?;
        let skip = if offset > 0 && resp.status().as_u16() != 206 {
            offset
        } else {
            0
        };
        let stream = futures_util::stream::unfold(Some(resp), |state| async move {
            let mut resp = state?;
            match resp.chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(resp))),
                Ok(None) => None,
                Err(e) => Some((Err(io::Error::other(e)), None)),
            }
        });
        Ok((Box::pin(stream), skip))
    }

    /// The error for a tag or digest the repository does not hold, listing its tags.
    async fn not_found(&self, label: &str) -> ImageError {
        let url = format!("{}/v2/{}/tags/list?n=100", self.base, self.repository);
        let listed = async {
            let resp = self.get(&url, None, None, self.timing.document).await?;
            let body = read_capped(resp, MAX_TAGS_BODY).await?;
            #[derive(serde::Deserialize)]
            struct Tags {
                #[serde(default)]
                tags: Option<Vec<String>>,
            }
            serde_json::from_slice::<Tags>(&body)
                .map(|t| t.tags.unwrap_or_default())
                .map_err(|_| Fail::Token("not JSON".into()))
        }
        .await;
        let available = match listed {
            Ok(t) if t.is_empty() => "no tags".to_string(),
            Ok(t) => {
                let mut shown: Vec<String> = t
                    .iter()
                    .take(20)
                    .map(|s| s.chars().filter(|c| c.is_ascii_graphic()).take(128).collect())
                    .collect();
                if t.len() > 20 {
                    shown.push("...".into());
                }
                shown.join(", ")
            }
            Err(e) if is_not_found(&e) => "none (the repository does not exist)".to_string(),
            Err(_) => "unknown (the tags could not be listed)".to_string(),
        };
        let wanted = if label.contains(':') {
            format!("manifest {label}")
        } else {
            format!("tag {label}")
        };
        ImageError::NotFound {
            wanted,
            source_name: format!("{}/{}", self.registry, self.repository),
            available,
        }
    }

    /// A document that is not shaped as the distribution spec requires.
    pub fn malformed(&self, what: &str, reason: String) -> ImageError {
        ImageError::Malformed {
            what: "registry image",
            path: self.reference.whole(),
            reason: format!("{what}: {reason}"),
        }
    }

    /// A manifest or config over the document limit.
    pub fn too_large(&self, what: &str, size: Option<u64>, limits: &Limits) -> ImageError {
        self.malformed(what, over(size, limits.max_document, "document "))
    }

    /// A problem with the registry that is not about the image's shape.
    pub fn registry_error(&self, reason: String) -> ImageError {
        ImageError::Registry {
            registry: self.registry.clone(),
            reason: format!("{}: {reason}", self.repository),
        }
    }

    fn auth_refused(&self, what: String) -> ImageError {
        let creds = match &self.creds.source {
            Some(source) => format!("the credentials from {source} were not accepted"),
            None => "no credentials were found for it (or the repository does not exist)".to_string(),
        };
        ImageError::AuthRefused {
            registry: self.registry.clone(),
            repository: self.repository.clone(),
            reason: format!(
                "{what}; {creds}; run `docker login {}` or pass --username/--password",
                self.registry
            ),
        }
    }

    /// The policy refusal behind a transport error, if that is what it was.
    fn refusal_of(&self, e: &reqwest::Error) -> Option<String> {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(s) = source {
            if let Some(r) = s.downcast_ref::<Refused>() {
                return Some(r.0.clone());
            }
            source = s.source();
        }
        if self.policy.is_some() && (e.is_connect() || e.is_redirect()) {
            return self.refused.lock().ok().and_then(|s| s.clone());
        }
        None
    }

    fn is_transient(&self, e: &Fail) -> bool {
        match e {
            // A request that used up its whole budget is not tried again (a trickling
            // registry would hold the worker for every attempt); a slow connect is.
            Fail::Http(r) if r.is_timeout() => r.is_connect(),
            Fail::Http(r) => {
                self.refusal_of(r).is_none() && !r.is_redirect() && (r.is_connect() || r.is_request() || r.is_body())
            }
            Fail::Status { code, codes } => {
                *code >= 500 || *code == 429 || *code == 408 || codes.iter().any(|c| c == "TOOMANYREQUESTS")
            }
            _ => false,
        }
    }

    /// Turns a request failure into an [`ImageError`] naming the registry and repository.
    pub fn error(&self, e: Fail, op: &Op<'_>) -> ImageError {
        match e {
            Fail::Refused(msg) => ImageError::Registry {
                registry: self.registry.clone(),
                reason: format!("{} ({op}): {msg}", self.repository),
            },
            Fail::TooLarge { size, max } => self.malformed(&op.to_string(), over(size, max, "")),
            Fail::Token(msg) => self.auth_refused(format!("the token service refused access ({msg})")),
            Fail::Status { code, codes } => {
                let listed = if codes.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", codes.join(", "))
                };
                let has = |c: &str| codes.iter().any(|x| x == c);
                if code == 401 || has("UNAUTHORIZED") {
                    self.auth_refused(format!("{op} was refused with 401 Unauthorized{listed}"))
                } else if code == 403 || has("DENIED") {
                    self.auth_refused(format!("{op} was refused with {code} Forbidden{listed}"))
                } else if has("BLOB_UNKNOWN") {
                    self.registry_error(format!("{op} is missing from the registry (HTTP {code}{listed})"))
                } else if code == 429 || has("TOOMANYREQUESTS") {
                    self.registry_error(format!("{op}: rate limited by the registry, try again later{listed}"))
                } else {
                    self.registry_error(format!("{op}: HTTP {code}{listed}"))
                }
            }
            Fail::Http(r) => {
                if let Some(msg) = self.refusal_of(&r) {
                    return self.error(Fail::Refused(msg), op);
                }
                let text = chain(&r);
                if crate::error::is_dns_failure(&text) {
                    return ImageError::UnknownHost {
                        host: self.host.clone(),
                        reason: short(&text),
                    };
                }
                if r.is_connect() {
                    let (scheme, hint) = if self.plain_http {
                        ("http", String::new())
                    } else {
                        (
                            "https",
                            format!(" for plain HTTP registries pass --insecure-registry {}", self.registry),
                        )
                    };
                    return ImageError::Registry {
                        registry: self.registry.clone(),
                        reason: format!(
                            "cannot connect to {scheme}://{}/ for {} ({}); is the registry running?{hint}",
                            self.host,
                            self.repository,
                            short(&text),
                        ),
                    };
                }
                if r.is_timeout() {
                    return self.registry_error(format!("{op}: timed out"));
                }
                self.registry_error(format!("{op}: {}", short(&text)))
            }
        }
    }
}

/// The `WWW-Authenticate` challenge of a 401 answer.
fn challenge_of(resp: &reqwest::Response) -> Option<String> {
    resp.headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// A failed status with the error codes of its body (read capped, never echoed).
async fn status_fail(resp: reqwest::Response) -> Fail {
    let code = resp.status().as_u16();
    let body = tokio::time::timeout(Duration::from_secs(10), read_capped(resp, MAX_ERROR_BODY))
        .await
        .ok()
        .and_then(|b| b.ok())
        .unwrap_or_default();
    Fail::Status {
        code,
        codes: error_codes(&body),
    }
}

fn describe(e: &Fail) -> String {
    match e {
        Fail::Http(r) => chain(r),
        Fail::Status { code, codes } => format!("HTTP {code} {}", codes.join(", ")),
        other => format!("{other:?}"),
    }
}

/// "N bytes is over the M byte limit", or "more than M bytes, over the limit" when the
/// size is unknown.
fn over(size: Option<u64>, max: u64, kind: &str) -> String {
    match size {
        Some(size) => format!("{size} bytes is over the {max} byte {kind}limit"),
        None => format!("more than {max} bytes, over the {max} byte {kind}limit"),
    }
}

fn short(message: &str) -> String {
    let m: String = message.trim().chars().take(300).collect();
    if m.is_empty() {
        "no details".into()
    } else {
        m
    }
}

/// An error with its sources, deduplicated (reqwest repeats itself).
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

fn is_not_found(e: &Fail) -> bool {
    match e {
        Fail::Status { code, codes } => {
            *code == 404
                || codes
                    .iter()
                    .any(|c| matches!(c.as_str(), "MANIFEST_UNKNOWN" | "NAME_UNKNOWN" | "NOT_FOUND"))
        }
        _ => false,
    }
}

/// Reopens a blob stream at a byte offset after a failure mid-stream; returns the new
/// stream and how many of its first bytes to skip (when the registry ignored the range).
pub(super) type Reopen<'a, S> = Box<dyn FnMut(u64) -> io::Result<(S, u64)> + Send + 'a>;

/// Times a blob stream is reopened after failing part-way.
const MAX_RESUMES: u32 = 3;

/// How a [`BlobReader`] checks what it delivers.
pub(super) struct Checks {
    /// The declared size: more bytes than this are refused (`None`: unknown).
    pub size: Option<u64>,
    /// When the whole blob must have arrived by.
    pub deadline: Instant,
    /// Slowest average rate (bytes per second) allowed after `grace` (0: not checked).
    pub min_rate: u64,
    pub grace: Duration,
    /// A digest the reader verifies itself (the caller verifies `sha256` on its own).
    pub verify: Option<(String, sha2::Sha512)>,
}

/// A blocking reader over a blob stream, driven on the registry runtime.
///
/// A stream that breaks part-way is resumed with a range request (the digest covers the
/// stitched bytes). Delivering more than the declared size, missing the deadline, or
/// arriving slower than the minimum rate are errors.
pub(super) struct BlobReader<'a, S, B> {
    handle: tokio::runtime::Handle,
    stream: S,
    chunk: B,
    pos: usize,
    /// Bytes handed to the caller so far.
    delivered: u64,
    /// Bytes still to drop from the start of a reopened stream.
    skip: u64,
    done: bool,
    reopen: Option<Reopen<'a, S>>,
    resumes: u32,
    checks: Checks,
    started: Instant,
}

impl<'a, S, B> BlobReader<'a, S, B>
where
    S: Stream<Item = io::Result<B>> + Unpin,
    B: AsRef<[u8]> + Default,
{
    pub fn new(handle: tokio::runtime::Handle, stream: S, reopen: Option<Reopen<'a, S>>, checks: Checks) -> Self {
        BlobReader {
            handle,
            stream,
            chunk: B::default(),
            pos: 0,
            delivered: 0,
            skip: 0,
            done: false,
            reopen,
            resumes: 0,
            checks,
            started: Instant::now(),
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        self.done = true;
        if let Some((expected, hasher)) = self.checks.verify.take() {
            let actual = format!("sha512:{}", hex::encode(sha2::Digest::finalize(hasher)));
            if actual != expected {
                return Err(io::Error::other(ImageError::DigestMismatch {
                    what: "layer blob".into(),
                    expected,
                    actual,
                }));
            }
        }
        Ok(())
    }
}

impl<S, B> Read for BlobReader<'_, S, B>
where
    S: Stream<Item = io::Result<B>> + Unpin,
    B: AsRef<[u8]> + Default,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let data = self.chunk.as_ref();
            if self.pos < data.len() {
                let n = buf.len().min(data.len() - self.pos);
                buf[..n].copy_from_slice(&data[self.pos..self.pos + n]);
                if let Some((_, h)) = self.checks.verify.as_mut() {
                    sha2::Digest::update(h, &buf[..n]);
                }
                self.pos += n;
                self.delivered += n as u64;
                return Ok(n);
            }
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            let elapsed = self.started.elapsed();
            let min_rate = self.checks.min_rate;
            if min_rate > 0
                && elapsed > self.checks.grace
                && self.delivered < min_rate.saturating_mul(elapsed.as_secs()) / 4
            {
                return Err(io::Error::other(format!(
                    "the blob arrives too slowly ({} bytes in {}s)",
                    self.delivered,
                    elapsed.as_secs()
                )));
            }
            let left = self.checks.deadline.saturating_duration_since(Instant::now());
            let next = self.handle.block_on(async {
                // Entered for the timer; the stream is polled on this thread.
                tokio::time::timeout(left, self.stream.next()).await
            });
            let Ok(next) = next else {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    "the blob did not arrive within its time budget",
                ));
            };
            match next {
                Some(Ok(chunk)) => {
                    let len = chunk.as_ref().len() as u64;
                    if self.skip >= len {
                        self.skip -= len;
                        continue;
                    }
                    let fresh = len - self.skip;
                    if let Some(size) = self.checks.size {
                        if self.delivered + fresh > size {
                            return Err(io::Error::other(format!(
                                "the registry sent more than the {size} bytes the manifest declares"
                            )));
                        }
                    }
                    // Lossless: skip < len, and len came from a usize.
                    self.pos = self.skip as usize;
                    self.skip = 0;
                    self.chunk = chunk;
                }
                None => self.finish()?,
                Some(Err(e)) => match self.reopen.as_mut().filter(|_| self.resumes < MAX_RESUMES) {
                    Some(reopen) => {
                        self.resumes += 1;
                        tracing::debug!("blob stream broke after {} bytes ({e}); resuming", self.delivered);
                        std::thread::sleep(FIRST_BACKOFF * self.resumes);
                        let (stream, skip) = reopen(self.delivered)?;
                        self.stream = stream;
                        self.skip = skip;
                        self.chunk = B::default();
                        self.pos = 0;
                    }
                    None => return Err(e),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allowed: &[&str]) -> AddressPolicy {
        AddressPolicy {
            is_internal: |ip| ip.is_loopback(),
            allowed_hosts: allowed.iter().map(|h| h.to_string()).collect(),
            hint: "hint".into(),
        }
    }

    #[test]
    fn names_sent_through_a_proxy_are_resolved_and_judged() {
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        let proxy = ProxyRules::new("http://192.0.2.1:3128", "direct.example,.corp.example");
        // localhost resolves to loopback: through the proxy it would reach the proxy's own
        // loopback or whatever the name means there, so it is refused before sending.
        let e = policy(&[])
            .judge_proxied(&url("https://localhost:5000/v2/"), &proxy)
            .unwrap_err();
        assert!(e.contains("localhost is an internal address (127.0.0.1)"), "{e}");
        // Plain HTTP is proxied as well.
        assert!(policy(&[]).judge_proxied(&url("http://localhost/v2/"), &proxy).is_err());
        // A host the policy allows is not refused.
        assert!(policy(&["localhost:5000"])
            .judge_proxied(&url("https://localhost:5000/v2/"), &proxy)
            .is_ok());
        // NO_PROXY hosts go direct: the client's resolver judges them when it connects.
        let direct = ProxyRules::new("http://192.0.2.1:3128", "localhost");
        assert!(policy(&[])
            .judge_proxied(&url("https://localhost:5000/v2/"), &direct)
            .is_ok());
        assert!(direct.proxy_for(&url("https://localhost/")).is_none());
        assert!(proxy.proxy_for(&url("https://direct.example/")).is_none());
        assert!(proxy.proxy_for(&url("https://a.corp.example/")).is_none());
        assert!(proxy.proxy_for(&url("https://registry.example/")).is_some());
        // Without a proxy nothing is looked up here.
        let none = ProxyRules::new("", "");
        assert!(policy(&[])
            .judge_proxied(&url("https://localhost:5000/v2/"), &none)
            .is_ok());
        // The proxy's own host is resolved by the client and may be internal.
        assert!(proxy.is_proxy_host("192.0.2.1"));
        assert!(!proxy.is_proxy_host("registry.example"));
    }

    fn checks() -> Checks {
        Checks {
            size: None,
            deadline: Instant::now() + Duration::from_secs(60),
            min_rate: 256 << 10,
            grace: Duration::from_secs(60),
            verify: None,
        }
    }

    #[test]
    fn blob_reader_resumes_at_the_offset() {
        type Chunks = futures_util::stream::Iter<std::vec::IntoIter<io::Result<Vec<u8>>>>;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let whole: Vec<u8> = (0..100u8).collect();
        let broken = |bytes: &[u8]| -> Chunks {
            futures_util::stream::iter(vec![Ok(bytes.to_vec()), Err(io::Error::other("connection reset"))])
        };
        let offsets = std::sync::Mutex::new(Vec::new());
        let w = whole.clone();
        let reopen: Reopen<'_, Chunks> = Box::new(|offset| {
            let mut seen = offsets.lock().unwrap();
            seen.push(offset);
            if seen.len() == 1 {
                // The registry ignores the range: the whole blob again (skip what was
                // delivered), and it breaks once more.
                Ok((broken(&w[..50]), offset))
            } else {
                Ok((futures_util::stream::iter(vec![Ok(w[offset as usize..].to_vec())]), 0))
            }
        });
        let mut out = Vec::new();
        BlobReader::new(rt.handle().clone(), broken(&whole[..30]), Some(reopen), checks())
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, whole);
        assert_eq!(*offsets.lock().unwrap(), vec![30, 50]);
    }

    #[test]
    fn blob_reader_enforces_size_and_sha512() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let chunks = || futures_util::stream::iter(vec![Ok(b"hello ".to_vec()), Ok(b"world".to_vec())]);
        let mut c = checks();
        c.size = Some(8);
        let mut out = Vec::new();
        let err = BlobReader::new(rt.handle().clone(), chunks(), None, c)
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(err.to_string().contains("more than the 8 bytes"), "{err}");

        let good = format!(
            "sha512:{}",
            hex::encode(<sha2::Sha512 as sha2::Digest>::digest(b"hello world"))
        );
        for (digest, ok) in [(good, true), (format!("sha512:{}", "0".repeat(128)), false)] {
            let mut c = checks();
            c.verify = Some((digest, <sha2::Sha512 as sha2::Digest>::new()));
            let mut out = Vec::new();
            let r = BlobReader::new(rt.handle().clone(), chunks(), None, c).read_to_end(&mut out);
            assert_eq!(r.is_ok(), ok, "{r:?}");
        }
    }

    #[test]
    fn challenges_and_error_codes() {
        let (scheme, params) =
            parse_challenge(r#"Bearer realm="https://auth.example/token",service="reg, x",scope="repository:a:pull""#)
                .unwrap();
        assert_eq!(scheme, "bearer");
        assert_eq!(params[0], ("realm".into(), "https://auth.example/token".into()));
        assert_eq!(params[1], ("service".into(), "reg, x".into()));
        assert_eq!(parse_challenge("Basic realm=x").unwrap().0, "basic");
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"secret internal text"},{"code":"<script>"}]}"#;
        assert_eq!(error_codes(body), vec!["MANIFEST_UNKNOWN".to_string()]);
        assert!(error_codes(b"root:x:0:0:root:/root:/bin/bash").is_empty());
        assert!(!header_safe("a\r\nX-Evil: 1"));
    }
}
