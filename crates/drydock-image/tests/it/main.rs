//! drydock-image's integration tests, one binary (one link, one process): each former
//! `tests/*.rs` is a module here. Tests share the process, so none changes its environment
//! or current directory; each works in a temporary directory of its own.

mod hostile;
mod hostile_registry;
mod layers;
mod oci_layout_links;
mod registry;
