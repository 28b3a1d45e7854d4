//! The package model, distro detection and SBOM formats.

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod cpe;
pub mod distro;
pub mod formats;
pub mod model;
pub mod purl;

pub use model::*;
pub use purl::Purl;
