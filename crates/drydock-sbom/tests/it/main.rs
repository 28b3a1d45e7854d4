//! drydock-sbom's integration tests, one binary (one link, one process): each former
//! `tests/*.rs` is a module here. Tests share the process, so none changes its environment
//! or current directory; each works in a temporary directory of its own.
//! (`tests/bounded_memory.rs` stays a binary of its own: it installs a counting global
//! allocator and measures peak heap bytes, which other tests would disturb.)

mod decode;
mod formats;
