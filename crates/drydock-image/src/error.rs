//! Errors raised while opening images and reading their layers.

use std::path::PathBuf;

/// Everything that can go wrong between a reference and a file index.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// The user's source string could not be understood.
    #[error("bad image reference {input:?}: {reason}")]
    BadReference {
        /// The source string as given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A local file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An archive or layout is not shaped as its format requires.
    #[error("{what} in {path}: {reason}")]
    Malformed {
        /// The part that is wrong (`manifest`, `index.json`, …).
        what: &'static str,
        /// The archive or layout.
        path: String,
        /// What its format requires and what was found.
        reason: String,
    },
    /// A layer's bytes could not be decoded.
    #[error("layer {layer} ({digest}) is corrupt: {reason}")]
    CorruptLayer {
        /// Position of the layer, 0 = base.
        layer: usize,
        /// The layer's digest.
        digest: String,
        /// What the decoder said.
        reason: String,
    },
    /// A blob's content does not hash to the digest that names it.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// The blob (layer, config, manifest) that was checked.
        what: String,
        /// The digest that names it.
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// A limit on input size was exceeded (decompression bomb, absurd entry counts).
    #[error(
        "layer {layer} ({digest}) exceeds the {limit} limit of {max}; raise it in the limits if the image is genuine"
    )]
    LimitExceeded {
        /// Position of the layer, 0 = base.
        layer: usize,
        /// The layer's digest.
        digest: String,
        /// The limit's name as the configuration spells it.
        limit: &'static str,
        /// The limit's value (bytes or a count).
        max: u64,
    },
    /// Reading the image took longer than its time budget.
    #[error("the image took longer than its time budget of {seconds} s to read; raise --time-budget (or [limits] max_image_seconds) if the image is genuine")]
    TimeBudget {
        /// The budget, in seconds.
        seconds: u64,
    },
    /// A layer uses a media type drydock does not read.
    #[error("unsupported layer media type {media_type} for layer {digest}")]
    UnsupportedMediaType {
        /// The media type found.
        media_type: String,
        /// The layer's digest.
        digest: String,
    },
    /// The registry refused or failed a request.
    #[error("registry {registry}: {reason}")]
    Registry {
        /// The registry's host.
        registry: String,
        /// Its answer (status and registry error code, never a response body).
        reason: String,
    },
    /// The registry's (or its token service's) host name does not resolve: no network, no
    /// DNS, or a misspelt host.
    #[error("cannot resolve the registry host {host} (DNS lookup failed: {reason})")]
    UnknownHost {
        /// The host name looked up.
        host: String,
        /// The resolver's error.
        reason: String,
    },
    /// The registry asked for credentials that were missing or wrong.
    #[error("registry {registry} refused access to {repository}: {reason}")]
    AuthRefused {
        /// The registry's host.
        registry: String,
        /// The repository asked for.
        repository: String,
        /// The registry's answer.
        reason: String,
    },
    /// No image in an index or layout matches what was asked for.
    #[error("no image matching {wanted} in {source_name}; available: {available}")]
    NotFound {
        /// The platform, tag or name asked for.
        wanted: String,
        /// The index, archive or layout searched.
        source_name: String,
        /// What it holds instead.
        available: String,
    },
    /// The layer cache could not be written (reading problems are treated as misses).
    #[error("layer cache at {path}: {source}")]
    Cache {
        /// The cache directory.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl ImageError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ImageError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result alias for this crate.
pub type Result<T, E = ImageError> = std::result::Result<T, E>;

/// True when an error's text is a failed name lookup (what hyper, reqwest and getaddrinfo
/// say), told apart from refused connections and refused credentials.
pub fn is_dns_failure(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    [
        "dns error",
        "failed to lookup address",
        "name or service not known",
        "no address associated with hostname",
        "temporary failure in name resolution",
        "nodename nor servname",
    ]
    .iter()
    .any(|m| t.contains(m))
}
