//! `files` gate (being written).

use crate::spec::GateSpec;

/// The `files` gate.
pub const GATE: GateSpec = GateSpec {
    name: "files",
    description: "",
    triggers: &[],
};
