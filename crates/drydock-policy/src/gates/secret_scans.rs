//! `secret_scans` gate (being written).

use crate::spec::GateSpec;

/// The `secret_scans` gate.
pub const GATE: GateSpec = GateSpec {
    name: "secret_scans",
    description: "",
    triggers: &[],
};
