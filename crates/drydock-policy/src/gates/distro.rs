//! `distro` gate (being written).

use crate::spec::GateSpec;

/// The `distro` gate.
pub const GATE: GateSpec = GateSpec {
    name: "distro",
    description: "",
    triggers: &[],
};
