//! What drydock's tests share. Dev-only (`publish = false`): no library depends on it, only
//! the crates' tests, benches and examples.
//!
//! - [`fixture`]: small, real images built in code (layers, OCI layouts, archives).
//! - [`registry`]: a real `docker-registry` on loopback to push those images to.
//! - [`postgres`]: a throwaway PostgreSQL database per test.
//! - [`python`]: the official schema validators under `scripts/`, run through python3.
//! - [`peak`]: a counting allocator that measures peak heap bytes; a test binary that
//!   bounds what a parser allocates installs it as its global allocator:
//!
//! ```ignore
//! use drydock_test_support::peak;
//! #[global_allocator]
//! static ALLOC: peak::Counting = peak::Counting;
//! ```

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod fixture;
#[allow(unsafe_code)]
pub mod peak;
pub mod postgres;
pub mod python;
pub mod registry;
