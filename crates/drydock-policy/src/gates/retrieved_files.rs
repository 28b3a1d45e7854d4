//! `retrieved_files` gate (being written).

use crate::spec::GateSpec;

/// The `retrieved_files` gate.
pub const GATE: GateSpec = GateSpec {
    name: "retrieved_files",
    description: "",
    triggers: &[],
};
