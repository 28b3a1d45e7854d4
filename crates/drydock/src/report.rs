//! Errors turned into a short message with a hint about what to do next.

use drydock_image::error::is_dns_failure;
use drydock_image::ImageError;
use std::io::IsTerminal;

/// Prints an error chain and, where one helps, a hint.
pub fn print_error(e: &anyhow::Error) {
    let red = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let prefix = if red { "\x1b[31merror:\x1b[0m" } else { "error:" };
    eprintln!("{prefix} {e}");
    // A cause already quoted by the message above it (`"cannot read {path}: {source}"`) is
    // not printed again.
    let mut shown = e.to_string();
    for cause in e.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            eprintln!("  caused by: {text}");
        }
        shown = text;
    }
    if let Some(hint) = e.chain().find_map(|c| c.downcast_ref::<ImageError>()).and_then(hint) {
        eprintln!("hint: {hint}");
    } else if e.chain().any(|c| is_dns_failure(&c.to_string())) {
        eprintln!("hint: {OFFLINE_HINT}");
    }
}

/// What to do when a host name does not resolve (no network, or no DNS): work offline.
const OFFLINE_HINT: &str = "check the host name and this machine's network and DNS; offline, scan a saved image \
     (docker-archive:FILE, oci-dir:DIR) and use a local database (`drydock db build --from DIR`, `drydock db import \
     FILE`, or `drydock db update --from-url URL` from a drydock service)";

fn hint(e: &ImageError) -> Option<String> {
    Some(match e {
        ImageError::BadReference { .. } => {
            "sources look like alpine:3.20, registry:HOST/REPO:TAG, docker-archive:FILE, oci-archive:FILE, oci-dir:DIR[:TAG] or dir:PATH (see drydock sbom --help)".into()
        }
        ImageError::AuthRefused { registry, .. } => format!(
            "log in with `docker login {registry}`, or pass --username and set DRYDOCK_REGISTRY_PASSWORD"
        ),
        ImageError::UnknownHost { .. } => OFFLINE_HINT.into(),
        ImageError::Registry { .. } => "check the reference and that the registry is reachable; for a plain-HTTP registry pass --insecure-registry HOST".into(),
        ImageError::DigestMismatch { .. } => "the blob was corrupted in storage or in transit; pull again, and if it persists the source is damaged".into(),
        ImageError::CorruptLayer { .. } => "the layer could not be decoded; re-export or re-pull the image".into(),
        ImageError::TimeBudget { .. } => "a hostile or very large image; raise --time-budget SECS (0: no limit) if it is genuine".into(),
        ImageError::LimitExceeded { .. } => "the input is larger than drydock's safety limits allow; if it is genuine, raise the limit".into(),
        ImageError::NotFound { .. } => "pick one of the available names or platforms listed above".into(),
        ImageError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => "check the path".into(),
        ImageError::Io { source, .. } if source.raw_os_error() == Some(28) => "the disk is full; free space or point --cache-dir elsewhere".into(),
        ImageError::Cache { .. } => "use --no-cache or point --cache-dir at a writable directory".into(),
        _ => return None,
    })
}
