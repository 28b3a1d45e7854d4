//! Talking to one repository through `oci-client`: retries with backoff, turning client
//! errors into [`ImageError`]s that name the registry and repository, bounded document
//! fetches, and the blocking reader over a blob stream.

use super::auth::Credentials;
use super::{verify_sha256, ACCEPTED_MANIFESTS};
use crate::error::{ImageError, Result};
use crate::limits::Limits;
use futures_util::{Stream, StreamExt};
use oci_client::errors::{DigestError, OciDistributionError, OciErrorCode};
use oci_client::{Client, Reference, RegistryOperation};
use std::fmt;
use std::future::Future;
use std::io::{self, Read};
use std::time::Duration;

/// Attempts per request for transient failures (waits of 200 ms, 400 ms, 800 ms, 1.6 s).
const ATTEMPTS: u32 = 5;
const FIRST_BACKOFF: Duration = Duration::from_millis(200);

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

/// A repository on a registry, with the client and credentials to reach it.
pub(super) struct Remote {
    pub client: Client,
    pub reference: Reference,
    /// Registry as written in the reference (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    pub repository: String,
    /// Host actually contacted (`index.docker.io` for `docker.io`).
    pub host: String,
    pub plain_http: bool,
    pub creds: Credentials,
}

impl Remote {
    /// Runs `f` until it succeeds, fails for good, or the attempts are spent.
    pub async fn retry<T, F, Fut>(&self, op: &Op<'_>, mut f: F) -> std::result::Result<T, OciDistributionError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, OciDistributionError>>,
    {
        let mut delay = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            match f().await {
                Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                    tracing::debug!(
                        "{}/{}: {op} failed ({}); retrying in {delay:?}",
                        self.registry,
                        self.repository,
                        chain(&e)
                    );
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// Obtains a token (or settles on basic or anonymous access) for pulling.
    pub async fn authenticate(&self) -> Result<()> {
        let op = Op::Connect;
        self.retry(&op, || {
            self.client
                .auth(&self.reference, &self.creds.auth, RegistryOperation::Pull)
        })
        .await
        .map(|_| ())
        .map_err(|e| self.error(e, &op))
    }

    /// Fetches a manifest document; `label` is the tag or digest asked for and
    /// `expected` the digest the bytes must hash to, when known.
    pub async fn fetch_manifest(
        &self,
        reference: &Reference,
        label: &str,
        expected: Option<&str>,
        limits: &Limits,
    ) -> Result<(Vec<u8>, String)> {
        let op = Op::Manifest(label);
        let fetched = self
            .retry(&op, || {
                self.client
                    .pull_manifest_raw(reference, &self.creds.auth, ACCEPTED_MANIFESTS)
            })
            .await;
        let (body, digest) = match fetched {
            Ok(v) => v,
            Err(e) if is_not_found(&e) => return Err(self.not_found(label).await),
            Err(e) => return Err(self.error(e, &op)),
        };
        if body.len() as u64 > limits.max_document {
            return Err(self.too_large(&format!("manifest {label}"), body.len() as u64, limits));
        }
        if let Some(expected) = expected {
            verify_sha256(&body, expected, || {
                format!("manifest {label} from {}/{}", self.registry, self.repository)
            })?;
        }
        Ok((body.to_vec(), digest))
    }

    /// Fetches and verifies the config blob, bounded by the document limit.
    pub async fn fetch_config(&self, digest: &str, limits: &Limits) -> Result<Vec<u8>> {
        let op = Op::Config(digest);
        let max = limits.max_document;
        let fetch = || async move {
            let mut sized = self.client.pull_blob_stream(&self.reference, digest).await?;
            let mut buf = Vec::new();
            while let Some(chunk) = sized.stream.next().await {
                let chunk = chunk?;
                if (buf.len() + chunk.len()) as u64 > max {
                    return Err(OciDistributionError::GenericError(Some(format!(
                        "larger than the {max} byte document limit"
                    ))));
                }
                buf.extend_from_slice(&chunk);
            }
            Ok(buf)
        };
        let bytes = self.retry(&op, fetch).await.map_err(|e| self.error(e, &op))?;
        verify_sha256(&bytes, digest, || {
            format!("config blob from {}/{}", self.registry, self.repository)
        })?;
        Ok(bytes)
    }

    /// The error for a tag or digest the repository does not hold, listing its tags.
    async fn not_found(&self, label: &str) -> ImageError {
        let available = match self
            .client
            .list_tags(&self.reference, &self.creds.auth, Some(100), None)
            .await
        {
            Ok(t) if t.tags.is_empty() => "no tags".to_string(),
            Ok(t) => {
                let mut shown: Vec<&str> = t.tags.iter().take(20).map(String::as_str).collect();
                if t.tags.len() > 20 {
                    shown.push("...");
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
    pub fn too_large(&self, what: &str, size: u64, limits: &Limits) -> ImageError {
        self.malformed(
            what,
            format!("{size} bytes is over the {} byte document limit", limits.max_document),
        )
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

    /// Turns a client error into an [`ImageError`] naming the registry and repository.
    pub fn error(&self, e: OciDistributionError, op: &Op<'_>) -> ImageError {
        let text = chain(&e);
        if crate::error::is_dns_failure(&text) {
            return ImageError::UnknownHost {
                host: self.host.clone(),
                reason: short(&text),
            };
        }
        if let Some((expected, actual)) = digest_mismatch(&e) {
            return ImageError::DigestMismatch {
                what: format!("{op} from {}/{}", self.registry, self.repository),
                expected,
                actual,
            };
        }
        match &e {
            OciDistributionError::UnauthorizedError { .. } => {
                self.auth_refused(format!("{op} was refused with 401 Unauthorized"))
            }
            OciDistributionError::AuthenticationFailure(reason) => {
                let reason: String = reason.trim().chars().take(300).collect();
                self.auth_refused(format!("the token service refused access ({reason})"))
            }
            OciDistributionError::RegistryError { envelope, .. } => {
                let messages: Vec<String> = envelope
                    .errors
                    .iter()
                    .map(|err| format!("{:?}: {}", err.code, err.message))
                    .collect();
                let messages = messages.join("; ");
                if envelope
                    .errors
                    .iter()
                    .any(|err| matches!(err.code, OciErrorCode::Unauthorized | OciErrorCode::Denied))
                {
                    self.auth_refused(format!("{op} was denied ({messages})"))
                } else if envelope.errors.iter().any(|err| err.code == OciErrorCode::BlobUnknown) {
                    self.registry_error(format!("{op} is missing from the registry ({messages})"))
                } else if envelope
                    .errors
                    .iter()
                    .any(|err| err.code == OciErrorCode::Toomanyrequests)
                {
                    self.registry_error(format!(
                        "{op}: rate limited by the registry, try again later ({messages})"
                    ))
                } else {
                    self.registry_error(format!("{op}: {messages}"))
                }
            }
            OciDistributionError::ServerError { code: 403, message, .. } => {
                self.auth_refused(format!("{op} was refused with 403 Forbidden ({})", short(message)))
            }
            OciDistributionError::ServerError { code, message, .. } => {
                self.registry_error(format!("{op}: HTTP {code} {}", short(message)))
            }
            OciDistributionError::RequestError(r) if r.is_connect() => {
                let (scheme, hint) = if self.plain_http {
                    ("http", String::new())
                } else {
                    (
                        "https",
                        format!(" for plain HTTP registries pass --insecure-registry {}", self.registry),
                    )
                };
                ImageError::Registry {
                    registry: self.registry.clone(),
                    reason: format!(
                        "cannot connect to {scheme}://{}/ for {} ({}); is the registry running?{hint}",
                        self.host,
                        self.repository,
                        chain(&e),
                    ),
                }
            }
            OciDistributionError::RequestError(r) if r.is_timeout() => {
                self.registry_error(format!("{op}: timed out ({})", chain(&e)))
            }
            OciDistributionError::UnsupportedMediaTypeError(mt) => {
                self.registry_error(format!("{op}: unsupported manifest media type {mt}"))
            }
            _ => self.registry_error(format!("{op}: {}", chain(&e))),
        }
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

/// Failures worth another attempt: connection trouble, timeouts, 5xx and 429.
fn is_transient(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RequestError(r) => r.is_connect() || r.is_timeout() || r.is_request() || r.is_body(),
        OciDistributionError::ServerError { code, .. } => *code >= 500 || *code == 429 || *code == 408,
        OciDistributionError::RegistryError { envelope, .. } => envelope
            .errors
            .iter()
            .any(|err| err.code == OciErrorCode::Toomanyrequests),
        OciDistributionError::IoError(io) => digest_error(io).is_none(),
        _ => false,
    }
}

fn is_not_found(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|err| {
            matches!(
                err.code,
                OciErrorCode::ManifestUnknown | OciErrorCode::NameUnknown | OciErrorCode::NotFound
            )
        }),
        OciDistributionError::ServerError { code: 404, .. } => true,
        _ => false,
    }
}

fn digest_error(e: &io::Error) -> Option<&DigestError> {
    e.get_ref().and_then(|inner| inner.downcast_ref::<DigestError>())
}

fn digest_mismatch(e: &OciDistributionError) -> Option<(String, String)> {
    let d = match e {
        OciDistributionError::DigestError(d) => d,
        OciDistributionError::IoError(io) => digest_error(io)?,
        _ => return None,
    };
    match d {
        DigestError::VerificationError { expected, actual } => Some((expected.clone(), actual.clone())),
        _ => None,
    }
}

/// Reopens a blob stream at a byte offset after a failure mid-stream; returns the new
/// stream and how many of its first bytes to skip (when the registry ignored the range).
pub(super) type Reopen<'a, S> = Box<dyn FnMut(u64) -> io::Result<(S, u64)> + Send + 'a>;

/// Times a blob stream is reopened after failing part-way.
const MAX_RESUMES: u32 = 3;

/// A blocking reader over a blob stream, driven on the registry runtime.
///
/// The stream verifies the blob's digest at its end. When the caller hashes every byte
/// against the same (sha256) digest itself, a failed verification ends the reader
/// normally so that the caller reports the mismatch as such; otherwise it is an error.
/// Only then is a stream that breaks part-way resumed with a range request, since the
/// caller's hash covers the stitched bytes.
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
    downstream_verifies: bool,
    reopen: Option<Reopen<'a, S>>,
    resumes: u32,
}

impl<'a, S, B> BlobReader<'a, S, B>
where
    S: Stream<Item = io::Result<B>> + Unpin,
    B: AsRef<[u8]> + Default,
{
    pub fn new(
        handle: tokio::runtime::Handle,
        stream: S,
        downstream_verifies: bool,
        reopen: Option<Reopen<'a, S>>,
    ) -> Self {
        BlobReader {
            handle,
            stream,
            chunk: B::default(),
            pos: 0,
            delivered: 0,
            skip: 0,
            done: false,
            downstream_verifies,
            reopen,
            resumes: 0,
        }
    }
}

impl<S, B> Read for BlobReader<'_, S, B>
where
    S: Stream<Item = io::Result<B>> + Unpin,
    B: AsRef<[u8]>,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let data = self.chunk.as_ref();
            if self.pos < data.len() {
                let n = buf.len().min(data.len() - self.pos);
                buf[..n].copy_from_slice(&data[self.pos..self.pos + n]);
                self.pos += n;
                self.delivered += n as u64;
                return Ok(n);
            }
            if self.done || buf.is_empty() {
                return Ok(0);
            }
            match self.handle.block_on(self.stream.next()) {
                Some(Ok(chunk)) => {
                    let len = chunk.as_ref().len() as u64;
                    if self.skip >= len {
                        self.skip -= len;
                        continue;
                    }
                    // Lossless: skip < len, and len came from a usize.
                    self.pos = self.skip as usize;
                    self.skip = 0;
                    self.chunk = chunk;
                }
                None => self.done = true,
                Some(Err(e)) if self.downstream_verifies && digest_error(&e).is_some() => self.done = true,
                Some(Err(e)) => {
                    let resumable = self.downstream_verifies && self.resumes < MAX_RESUMES;
                    match self.reopen.as_mut().filter(|_| resumable) {
                        Some(reopen) => {
                            self.resumes += 1;
                            tracing::debug!("blob stream broke after {} bytes ({e}); resuming", self.delivered);
                            std::thread::sleep(FIRST_BACKOFF * self.resumes);
                            let (stream, skip) = reopen(self.delivered)?;
                            self.stream = stream;
                            self.skip = skip;
                        }
                        None => return Err(e),
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_reader_passes_bytes_and_hands_digest_errors_on() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let chunks = || {
            futures_util::stream::iter(vec![
                Ok(b"hello ".to_vec()),
                Ok(b"world".to_vec()),
                Err(io::Error::other(DigestError::VerificationError {
                    expected: "sha256:a".into(),
                    actual: "sha256:b".into(),
                })),
            ])
        };
        let mut out = String::new();
        BlobReader::new(rt.handle().clone(), chunks(), true, None)
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "hello world");
        let mut out = String::new();
        let err = BlobReader::new(rt.handle().clone(), chunks(), false, None)
            .read_to_string(&mut out)
            .unwrap_err();
        assert!(digest_error(&err).is_some());
    }

    #[test]
    fn blob_reader_resumes_at_the_offset() {
        type Chunks = futures_util::stream::Iter<std::vec::IntoIter<io::Result<Vec<u8>>>>;
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
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
        BlobReader::new(rt.handle().clone(), broken(&whole[..30]), true, Some(reopen))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, whole);
        assert_eq!(*offsets.lock().unwrap(), vec![30, 50]);

        // Without the caller's own digest check there is no stitching.
        let reopen: Reopen<'_, Chunks> = Box::new(|_| panic!("must not reopen"));
        let mut out = Vec::new();
        assert!(
            BlobReader::new(rt.handle().clone(), broken(&whole[..30]), false, Some(reopen))
                .read_to_end(&mut out)
                .is_err()
        );
    }

    #[test]
    fn transient_errors() {
        let server = |code| OciDistributionError::ServerError {
            code,
            url: String::new(),
            message: String::new(),
        };
        assert!(is_transient(&server(503)));
        assert!(is_transient(&server(429)));
        assert!(!is_transient(&server(404)));
        assert!(!is_transient(&OciDistributionError::UnauthorizedError {
            url: String::new()
        }));
        assert!(is_transient(&OciDistributionError::IoError(io::Error::other("reset"))));
        assert!(!is_transient(&OciDistributionError::IoError(io::Error::other(
            DigestError::MissingAlgorithm
        ))));
    }
}
