//! `metadata` gate (being written).

use crate::spec::GateSpec;

/// The `metadata` gate.
pub const GATE: GateSpec = GateSpec {
    name: "metadata",
    description: "",
    triggers: &[],
};
