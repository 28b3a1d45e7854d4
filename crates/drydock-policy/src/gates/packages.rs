//! `packages` gate (being written).

use crate::spec::GateSpec;

/// The `packages` gate.
pub const GATE: GateSpec = GateSpec {
    name: "packages",
    description: "",
    triggers: &[],
};
