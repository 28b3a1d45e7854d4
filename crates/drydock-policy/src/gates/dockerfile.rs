//! `dockerfile` gate (being written).

use crate::spec::GateSpec;

/// The `dockerfile` gate.
pub const GATE: GateSpec = GateSpec {
    name: "dockerfile",
    description: "",
    triggers: &[],
};
