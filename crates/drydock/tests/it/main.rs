//! drydock's integration tests, one binary (one link, one process): each former
//! `tests/*.rs` is a module here. Tests share the process, so none changes its environment
//! or current directory; each works in a temporary directory of its own.
//! The service tests run `drydock serve` as child processes on ports and databases of
//! their own.

mod browser;
mod check;
mod cli;
mod client;
mod common;
mod contracts;
mod inspect;
mod sarif;
mod sbom_input;
mod scan;
mod service;
mod web;
