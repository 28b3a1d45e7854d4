//! Policy as a gate: Anchore-compatible bundles ([`bundle`]), one module per gate
//! ([`gates`], described by [`spec`]), validation with precise errors ([`validate`]) and a
//! deterministic evaluation to STOP / WARN / GO that explains every decision
//! ([`evaluate`]).

// No unwrap or panic outside tests: errors are returned, and reported at the edge.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod bundle;
pub mod compat;
pub mod evaluate;
pub mod gates;
pub mod spec;
pub mod validate;

pub use bundle::{default_bundle, parse_bundle, Action, Bundle};
pub use evaluate::{evaluate, EvalOptions, Evaluation, ImageTarget, RuleResult, Unmapped};
pub use spec::EvalContext;
pub use validate::{validate, Issue};

/// What can go wrong reading or applying a bundle.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The bundle could not be read (too large, not UTF-8, not JSON or YAML, wrong shape).
    #[error("policy bundle {origin}: {reason}")]
    Parse {
        /// Names the input (as given to [`parse_bundle`]).
        origin: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The bundle fails validation; every issue found.
    #[error("policy bundle is invalid:\n{}", .0.iter().map(|i| format!("  - {i}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<Issue>),
    /// No mapping matches the image and unmapped images are errors ([`Unmapped::Error`]).
    #[error("no mapping of bundle {bundle:?} matches {image}; add a mapping for it (or one with registry, repository and image \"*\")")]
    Unmapped {
        /// The image as `registry/repository:tag`.
        image: String,
        /// The bundle's id.
        bundle: String,
    },
}
