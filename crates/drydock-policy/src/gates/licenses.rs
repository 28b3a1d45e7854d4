//! `licenses` gate (being written).

use crate::spec::GateSpec;

/// The `licenses` gate.
pub const GATE: GateSpec = GateSpec {
    name: "licenses",
    description: "",
    triggers: &[],
};
