//! Registry source (Docker Registry HTTP API V2 / OCI distribution) over `reqwest`
//! (`oci-client` parses references): resolves a reference to one image manifest (through
//! manifest lists and OCI indexes, by platform), fetches and verifies the config, and
//! streams layer blobs.
//!
//! Registries are untrusted servers: every document is read with a capped streaming read
//! (refused by Content-Length first), every request has connect, read and whole-request
//! timeouts, only `sha256`/`sha512` digests are accepted and both are verified, response
//! bodies never reach error messages (status and sanitised OCI error codes only), and an
//! optional [`AddressPolicy`] keeps every connection and redirect off internal addresses.
//!
//! The client is asynchronous; [`RegistryLayers`] owns a small tokio runtime and bridges
//! each blob stream to a blocking [`Read`] so layers can be read from plain threads.

mod auth;
mod net;

use crate::config::parse_config;
use crate::error::{ImageError, Result};
use crate::limits::Limits;
use crate::platform::Platform;
use crate::source::LayerSource;
use drydock_model::{ImageMeta, LayerInfo, SourceInfo};
use net::{BlobReader, BlobStream, Checks, Op, Remote, Reopen};
use oci_client::Reference;
use serde::Deserialize;
use sha2::{Digest, Sha256, Sha512};
use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// How to reach and authenticate to registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Registries (host[:port]) that may be spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// Basic-auth user name given on the command line or in the environment.
    pub username: Option<String>,
    /// Password or token for `username`.
    pub password: Option<String>,
    /// Docker `config.json` to read credentials from (default `~/.docker/config.json`).
    pub docker_config: Option<PathBuf>,
    /// Directory the `docker-credential-*` helpers named in the docker config are run
    /// from; `None` finds them on PATH.
    pub credential_helpers: Option<PathBuf>,
    /// When set (the service), connections and redirects to internal addresses are refused.
    pub address_policy: Option<AddressPolicy>,
}

/// Which addresses a registry client may connect to, judged on every connection (names as
/// resolved, the connection pinned to the addresses judged) and every redirect.
#[derive(Debug, Clone)]
pub struct AddressPolicy {
    /// True for addresses refused unless their host is allowed (loopback, private, …).
    pub is_internal: fn(IpAddr) -> bool,
    /// Hosts (`host[:port]`; the port is not compared) that may be internal anyway.
    pub allowed_hosts: Vec<String>,
    /// What to do about a refusal, appended to the message.
    pub hint: String,
}

/// Streams layer blobs from a registry.
///
/// Owns the async runtime the registry client runs on. Layer readers block on it, so
/// they must be read from ordinary threads, not from inside an async runtime.
pub struct RegistryLayers {
    runtime: Option<tokio::runtime::Runtime>,
    remote: Remote,
}

impl Drop for RegistryLayers {
    fn drop(&mut self) {
        // Never blocks, so dropping is safe even inside an async context.
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl LayerSource for RegistryLayers {
    /// Streams the layer blob as stored (compressed), never holding more than a chunk.
    /// For `sha256` digests the content is verified by the caller (the layer pass hashes
    /// every byte against `layer.digest`), and a stream that breaks part-way is resumed
    /// with a range request; other algorithms are verified here and not resumed.
    fn open_layer(&self, layer: &LayerInfo) -> Result<Box<dyn Read + Send + '_>> {
        let rt = self.runtime()?;
        let remote = &self.remote;
        check_digest(&layer.digest, "layer", remote)?;
        let op = Op::Layer(layer.index, &layer.digest);
        let timeout = remote.timing.blob_timeout(layer.size);
        let deadline = Instant::now() + timeout;
        let (stream, _) = block_outside_runtime(rt, remote.retry(&op, || remote.open_blob(&layer.digest, 0, timeout)))
            .map_err(|e| remote.error(e, &op))?;
        let (index, digest) = (layer.index, layer.digest.clone());
        let reopen: Reopen<'_, BlobStream> = Box::new(move |offset| {
            let op = Op::Layer(index, &digest);
            let left = deadline.saturating_duration_since(Instant::now());
            block_outside_runtime(rt, remote.retry(&op, || remote.open_blob(&digest, offset, left)))
                .map_err(|e| std::io::Error::other(remote.error(e, &op)))
        });
        let checks = Checks {
            size: (layer.size > 0).then_some(layer.size),
            deadline,
            min_rate: remote.timing.blob_min_rate,
            grace: remote.timing.blob_grace,
            // sha256 is verified by the layer pass, which hashes every byte.
            verify: layer
                .digest
                .starts_with("sha512:")
                .then(|| (layer.digest.clone(), Sha512::new())),
        };
        Ok(Box::new(BlobReader::new(
            rt.handle().clone(),
            stream,
            Some(reopen),
            checks,
        )))
    }
}

impl RegistryLayers {
    fn runtime(&self) -> Result<&tokio::runtime::Runtime> {
        self.runtime.as_ref().ok_or_else(|| ImageError::Registry {
            registry: self.remote.registry.clone(),
            reason: "the registry client was shut down".into(),
        })
    }
}

/// Media types of the manifests drydock asks registries for.
const ACCEPTED_MANIFESTS: &[&str] = &[
    oci_client::manifest::OCI_IMAGE_MEDIA_TYPE,
    oci_client::manifest::IMAGE_MANIFEST_MEDIA_TYPE,
    oci_client::manifest::OCI_IMAGE_INDEX_MEDIA_TYPE,
    oci_client::manifest::IMAGE_MANIFEST_LIST_MEDIA_TYPE,
];

/// Resolves a reference to one image manifest and its config.
///
/// `reference` is parsed like Docker does (`ubuntu` is `docker.io/library/ubuntu:latest`);
/// manifest lists and OCI indexes are resolved to `platform` (the host's when `None`).
/// Loopback registries and those in `opts.insecure` are spoken to over plain HTTP.
pub fn open_registry(
    reference: &str,
    platform: Option<&Platform>,
    opts: &RegistryOptions,
    limits: &Limits,
) -> Result<(ImageMeta, RegistryLayers)> {
    let parsed: Reference = reference
        .trim()
        .parse()
        .map_err(|e: oci_client::ParseError| ImageError::BadReference {
            input: reference.to_string(),
            reason: e.to_string(),
        })?;
    let registry = parsed.registry().to_string();
    let repository = parsed.repository().to_string();
    let host = parsed.resolve_registry().to_string();
    let plain_http = is_loopback(&host)
        || opts
            .insecure
            .iter()
            .any(|i| same_host(i, &host) || same_host(i, &registry));
    let creds = auth::resolve(&registry, &repository, opts)?;
    let failed = |what: &str, e: &dyn std::fmt::Display| ImageError::Registry {
        registry: registry.clone(),
        reason: format!("cannot set up the {what}: {e}"),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("drydock-registry")
        .enable_all()
        .build()
        .map_err(|e| failed("async runtime", &e))?;
    let refused = Arc::new(Mutex::new(None));
    let timing = net::Timing::from_limits(limits);
    let proxy = net::ProxyRules::from_env();
    let client = net::client(opts.address_policy.as_ref(), &refused, &timing, &proxy)
        .map_err(|e| failed("registry client", &e))?;
    let base = format!("{}://{host}", if plain_http { "http" } else { "https" });
    // Owned by the layer source from here on, so that an early return shuts the
    // runtime down without blocking (dropping it plainly panics inside async code).
    let layers = RegistryLayers {
        runtime: Some(runtime),
        remote: Remote {
            client,
            policy: opts.address_policy.clone(),
            refused,
            base,
            authorization: Mutex::new(None),
            reference: parsed,
            registry,
            repository,
            host,
            plain_http,
            creds,
            timing,
            proxy,
        },
    };
    let remote = &layers.remote;
    let host_platform = Platform::host();
    let want = platform.unwrap_or(&host_platform);
    let resolved = block_outside_runtime(layers.runtime()?, resolve(remote, want, limits))?;

    let config = parse_config(
        &resolved.config,
        &format!(
            "config {} of {}",
            resolved.manifest.config.digest,
            remote.reference.whole()
        ),
    )?;
    if let Some(asked) = platform {
        if !config.architecture.is_empty()
            && !asked.matches(&config.os, &config.architecture, config.variant.as_deref())
        {
            tracing::warn!(
                "{} is a single-platform image for {}/{}, not the requested {asked}",
                remote.reference.whole(),
                config.os,
                config.architecture
            );
        }
    }
    let layer_infos = resolved
        .manifest
        .layers
        .iter()
        .enumerate()
        .map(|(i, d)| LayerInfo {
            index: i,
            digest: d.digest.clone(),
            diff_id: config.diff_ids.get(i).cloned(),
            media_type: d.media_type.clone(),
            size: d.size,
            created_by: None,
        })
        .collect();
    let mut meta = ImageMeta {
        source: SourceInfo {
            scheme: "registry".into(),
            input: String::new(),
            reference: remote.reference.whole(),
            manifest_digest: Some(resolved.manifest_digest),
            config_digest: Some(resolved.manifest.config.digest.clone()),
            tags: remote.reference.tag().map(|t| vec![t.to_string()]).unwrap_or_default(),
        },
        config,
        layers: layer_infos,
    };
    meta.attach_history();
    Ok((meta, layers))
}

/// Runs a future to completion on `rt`; from inside another async runtime (where
/// blocking on it directly would panic) it is driven from a helper thread.
fn block_outside_runtime<F>(rt: &tokio::runtime::Runtime, fut: F) -> F::Output
where
    F: std::future::Future + Send,
    F::Output: Send,
{
    if tokio::runtime::Handle::try_current().is_err() {
        return rt.block_on(fut);
    }
    std::thread::scope(|s| match s.spawn(|| rt.block_on(fut)).join() {
        Ok(out) => out,
        Err(panic) => std::panic::resume_unwind(panic),
    })
}

// ---- manifests -------------------------------------------------------------------

#[derive(Deserialize, Clone, Debug)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<DescPlatform>,
}

#[derive(Deserialize, Clone, Debug)]
struct DescPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

impl std::fmt::Display for DescPlatform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// Any manifest document, before its kind is known.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawManifest {
    #[serde(default)]
    schema_version: Option<i64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Option<Vec<Descriptor>>,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
}

/// An image manifest (OCI or Docker v2 schema 2).
#[derive(Debug)]
struct ImageManifest {
    config: Descriptor,
    layers: Vec<Descriptor>,
}

#[derive(Debug)]
enum Manifest {
    Image(ImageManifest),
    Index(Vec<Descriptor>),
}

/// Why a manifest cannot be used.
#[derive(Debug)]
enum ManifestProblem {
    /// A kind of manifest drydock does not read.
    Unsupported(String),
    /// Not a well-formed manifest.
    Malformed(String),
}

/// Classifies a manifest by its media type (or, when it has none, by its shape).
fn parse_manifest(bytes: &[u8]) -> std::result::Result<Manifest, ManifestProblem> {
    use ManifestProblem::{Malformed, Unsupported};
    let raw: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| Malformed(format!("the manifest is not valid JSON: {e}")))?;
    if let Some(v) = raw.schema_version.filter(|v| *v != 2) {
        return Err(Unsupported(format!(
            "unsupported manifest schema version {v} (Docker v2 schema 1 images are deprecated; re-push the image with a current tool)"
        )));
    }
    let media_type = raw.media_type.clone().unwrap_or_default();
    let is_index = match media_type.as_str() {
        oci_client::manifest::OCI_IMAGE_INDEX_MEDIA_TYPE | oci_client::manifest::IMAGE_MANIFEST_LIST_MEDIA_TYPE => true,
        oci_client::manifest::OCI_IMAGE_MEDIA_TYPE | oci_client::manifest::IMAGE_MANIFEST_MEDIA_TYPE => false,
        "" if raw.manifests.is_some() => true,
        "" if raw.config.is_some() => false,
        "" => return Err(Malformed("the manifest has neither a media type nor image fields".into())),
        other => {
            return Err(Unsupported(format!(
                "unsupported manifest media type {other} (drydock reads Docker v2 schema 2 and OCI image manifests and indexes)"
            )))
        }
    };
    if is_index {
        return Ok(Manifest::Index(raw.manifests.unwrap_or_default()));
    }
    let config = raw
        .config
        .ok_or_else(|| Malformed("the image manifest has no config".into()))?;
    Ok(Manifest::Image(ImageManifest {
        config,
        layers: raw.layers.unwrap_or_default(),
    }))
}

/// Picks the entry of an index for `want`; a lone entry without a platform is taken.
fn pick_platform<'a>(entries: &'a [Descriptor], want: &Platform) -> Option<&'a Descriptor> {
    entries
        .iter()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| want.matches(&p.os, &p.architecture, p.variant.as_deref()))
        })
        .or(match entries {
            [only] if only.platform.is_none() => Some(only),
            _ => None,
        })
}

fn available_platforms(entries: &[Descriptor]) -> String {
    let list: Vec<String> = entries
        .iter()
        .filter_map(|d| d.platform.as_ref())
        .filter(|p| p.os != "unknown" && p.architecture != "unknown")
        .map(|p| p.to_string())
        .collect();
    if list.is_empty() {
        "no platforms".into()
    } else {
        list.join(", ")
    }
}

/// What resolving a reference produced.
struct Resolved {
    manifest_digest: String,
    manifest: ImageManifest,
    config: Vec<u8>,
}

async fn resolve(remote: &Remote, want: &Platform, limits: &Limits) -> Result<Resolved> {
    remote.authenticate().await?;
    let top = remote
        .reference
        .digest()
        .or(remote.reference.tag())
        .unwrap_or("latest")
        .to_string();
    if let Some(d) = remote.reference.digest() {
        check_digest(d, "manifest", remote)?;
    }
    let (mut bytes, mut digest) = remote.fetch_manifest(&top, remote.reference.digest(), limits).await?;
    let mut depth = 0;
    let manifest = loop {
        let manifest = parse_manifest(&bytes).map_err(|problem| match problem {
            ManifestProblem::Unsupported(r) => remote.registry_error(format!("manifest {digest}: {r}")),
            ManifestProblem::Malformed(r) => remote.malformed(&format!("manifest {digest}"), r),
        })?;
        let entries = match manifest {
            Manifest::Image(m) => break m,
            Manifest::Index(entries) => entries,
        };
        depth += 1;
        if depth > 4 {
            return Err(remote.malformed(&format!("index {digest}"), "indexes nested too deeply".into()));
        }
        let chosen = pick_platform(&entries, want).ok_or_else(|| ImageError::NotFound {
            wanted: format!("platform {want}"),
            source_name: remote.reference.whole(),
            available: available_platforms(&entries),
        })?;
        check_digest(&chosen.digest, "manifest", remote)?;
        if chosen.size > limits.max_document {
            return Err(remote.too_large(&format!("manifest {}", chosen.digest), Some(chosen.size), limits));
        }
        (bytes, digest) = remote
            .fetch_manifest(&chosen.digest, Some(&chosen.digest), limits)
            .await?;
    };
    check_digest(&manifest.config.digest, "config", remote)?;
    for layer in &manifest.layers {
        check_digest(&layer.digest, "layer", remote)?;
    }
    if manifest.config.size > limits.max_document {
        return Err(remote.too_large(
            &format!("config {}", manifest.config.digest),
            Some(manifest.config.size),
            limits,
        ));
    }
    let config = remote.fetch_config(&manifest.config.digest, limits).await?;
    Ok(Resolved {
        manifest_digest: digest,
        manifest,
        config,
    })
}

/// True for the digests drydock accepts: lower-case `sha256` or `sha512` with a hex
/// value of the right length (every accepted algorithm is verified).
fn valid_digest(digest: &str) -> bool {
    let hex_ok =
        |hex: &str, len: usize| hex.len() == len && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    match digest.split_once(':') {
        Some(("sha256", hex)) => hex_ok(hex, 64),
        Some(("sha512", hex)) => hex_ok(hex, 128),
        _ => false,
    }
}

/// Refuses digests other than lower-case `sha256`/`sha512` (they end up in request URLs,
/// and only those are verified).
fn check_digest(digest: &str, what: &str, remote: &Remote) -> Result<()> {
    if valid_digest(digest) {
        Ok(())
    } else {
        let shown: String = digest.chars().take(140).collect();
        Err(remote.malformed(what, format!("{shown:?} is not a lower-case sha256 or sha512 digest")))
    }
}

/// Checks that `bytes` hash to `expected` (a sha256 or sha512 digest; others are refused).
fn verify_digest(bytes: &[u8], expected: &str, what: impl FnOnce() -> String) -> Result<()> {
    let actual = match expected.split_once(':') {
        Some(("sha256", _)) => format!("sha256:{}", hex::encode(Sha256::digest(bytes))),
        Some(("sha512", _)) => format!("sha512:{}", hex::encode(Sha512::digest(bytes))),
        _ => {
            return Err(ImageError::DigestMismatch {
                what: what(),
                expected: expected.chars().take(140).collect(),
                actual: "an unsupported digest algorithm".into(),
            })
        }
    };
    if actual != expected {
        return Err(ImageError::DigestMismatch {
            what: what(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(())
}

// ---- hosts -----------------------------------------------------------------------

/// True for registries on the loopback interface (127.0.0.0/8, `localhost`, `[::1]`).
fn is_loopback(registry: &str) -> bool {
    let host = host_part(registry);
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host of `host[:port]`, without brackets around IPv6 addresses.
fn host_part(registry: &str) -> &str {
    if let Some(rest) = registry.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match registry.rsplit_once(':') {
        Some((h, port)) if !h.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => registry,
    }
}

/// True when an `--insecure-registry` value names `registry` (scheme and trailing
/// slashes ignored).
fn same_host(given: &str, registry: &str) -> bool {
    let g = given.trim();
    let g = g
        .strip_prefix("http://")
        .or_else(|| g.strip_prefix("https://"))
        .unwrap_or(g);
    g.trim_end_matches('/').eq_ignore_ascii_case(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1:5000",
            "127.1.2.3",
            "localhost",
            "LOCALHOST:80",
            "[::1]:5000",
            "::1",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "10.0.0.1:5000",
            "docker.io",
            "index.docker.io",
            "localhost.example.com:5000",
            "[fe80::1]:5000",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
        assert!(same_host("http://reg.lan:5000/", "reg.lan:5000"));
        assert!(!same_host("reg.lan", "reg.lan:5000"));
    }

    #[test]
    fn references_parse_like_docker() {
        let r: Reference = "ubuntu".parse().unwrap();
        assert_eq!(r.whole(), "docker.io/library/ubuntu:latest");
        assert_eq!(r.resolve_registry(), "index.docker.io");
        let r: Reference = "localhost:5000/a/b@sha256:0123456789012345678901234567890123456789012345678901234567890123"
            .parse()
            .unwrap();
        assert_eq!(r.registry(), "localhost:5000");
        assert_eq!(r.tag(), None);
        let r: Reference = "127.0.0.1:5000/fx/bookworm:rich".parse().unwrap();
        assert_eq!(
            (r.registry(), r.repository(), r.tag()),
            ("127.0.0.1:5000", "fx/bookworm", Some("rich"))
        );
        assert!(open_registry("UPPER/Case", None, &RegistryOptions::default(), &Limits::default()).is_err());
    }

    #[test]
    fn manifest_kinds() {
        let oci = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:aa","size":2},"layers":[]}"#;
        assert!(matches!(parse_manifest(oci), Ok(Manifest::Image(_))));
        let list = br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"digest":"sha256:bb","size":1,"platform":{"os":"linux","architecture":"arm64","variant":"v8"}}]}"#;
        let Ok(Manifest::Index(entries)) = parse_manifest(list) else {
            panic!("not an index")
        };
        assert!(pick_platform(&entries, &Platform::parse("linux/arm64").unwrap()).is_some());
        assert!(pick_platform(&entries, &Platform::parse("linux/amd64").unwrap()).is_none());
        assert_eq!(available_platforms(&entries), "linux/arm64/v8");
        let v1 = br#"{"schemaVersion":1,"name":"x","tag":"y","fsLayers":[]}"#;
        assert!(matches!(parse_manifest(v1), Err(ManifestProblem::Unsupported(r)) if r.contains("schema version 1")));
        let art = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.artifact.manifest.v1+json"}"#;
        assert!(
            matches!(parse_manifest(art), Err(ManifestProblem::Unsupported(r)) if r.contains("unsupported manifest media type"))
        );
        assert!(matches!(parse_manifest(b"[]"), Err(ManifestProblem::Malformed(_))));
    }
}
