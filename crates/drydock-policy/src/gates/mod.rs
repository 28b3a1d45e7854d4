//! Every gate, one module each, registered in [`ALL`] — the single table validation,
//! `drydock policy describe` and evaluation read.

use crate::spec::GateSpec;

pub mod always;
pub mod distro;
pub mod dockerfile;
pub mod files;
pub mod licenses;
pub mod metadata;
pub mod packages;
pub mod passwd_file;
pub mod retrieved_files;
pub mod secret_scans;
pub mod vulnerabilities;

/// Every gate, in `describe` order.
pub const ALL: &[&GateSpec] = &[
    &vulnerabilities::GATE,
    &packages::GATE,
    &licenses::GATE,
    &secret_scans::GATE,
    &dockerfile::GATE,
    &files::GATE,
    &passwd_file::GATE,
    &distro::GATE,
    &metadata::GATE,
    &retrieved_files::GATE,
    &always::GATE,
];

/// The gate with this name (case-insensitive, `-` and `_` equivalent).
pub fn gate(name: &str) -> Option<&'static GateSpec> {
    let want = name.trim().to_ascii_lowercase().replace('-', "_");
    ALL.iter().copied().find(|g| g.name == want)
}
