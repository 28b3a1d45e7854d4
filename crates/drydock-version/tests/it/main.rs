//! drydock-version's integration tests, one binary (one link, one process): each former
//! `tests/*.rs` is a module here. Tests share the process, so none changes its environment
//! or current directory; each works in a temporary directory of its own.

mod apk;
mod common;
mod composer;
mod corpus;
mod dpkg;
mod gem;
mod generic;
mod go;
mod maven;
mod nuget;
mod osv_ranges;
mod pep440;
mod robustness;
mod rpm;
mod semver;
