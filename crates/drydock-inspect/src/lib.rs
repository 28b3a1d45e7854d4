//! Beyond packages: secrets left in layers, misconfiguration, file metadata and package
//! file verification, content search and retrieved files — all fed by the single layer
//! pass through [`InspectCapture`].

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod capture;
pub mod content;
pub mod files;
pub mod misconfig;
pub mod secrets;

pub use capture::InspectCapture;
