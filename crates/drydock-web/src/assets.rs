//! Static files embedded in the binary, served under `/assets/` with a content hash in the
//! URL (`?v=`), so browsers may cache them for a year and still see a new release at once.

use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// File name under `/assets/`.
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

/// Every asset the pages use.
pub const ASSETS: &[Asset] = &[
    Asset {
        name: "drydock.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/drydock.css"),
    },
    Asset {
        name: "drydock.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/drydock.js"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/htmx.min.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../assets/favicon.svg"),
    },
];

/// The asset of that name.
pub fn get(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

/// The first 12 hex digits of the SHA-256 of each asset, in [`ASSETS`] order.
fn versions() -> &'static [String] {
    static V: OnceLock<Vec<String>> = OnceLock::new();
    V.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| hex::encode(&Sha256::digest(a.bytes)[..6]))
            .collect()
    })
}

/// The URL pages use for an asset (`/assets/NAME?v=HASH`); an unknown name gives its bare
/// path, so a typo shows as a 404 in the browser rather than a render error.
pub fn url(name: &str) -> String {
    match ASSETS.iter().position(|a| a.name == name) {
        Some(i) => format!("/assets/{name}?v={}", versions()[i]),
        None => format!("/assets/{name}"),
    }
}
