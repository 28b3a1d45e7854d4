//! The package model, distro detection and SBOM formats.

pub mod cpe;
pub mod distro;
pub mod formats;
pub mod model;
pub mod purl;

pub use model::*;
pub use purl::Purl;
