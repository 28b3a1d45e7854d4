//! `vulnerabilities` gate (being written).

use crate::spec::GateSpec;

/// The `vulnerabilities` gate.
pub const GATE: GateSpec = GateSpec {
    name: "vulnerabilities",
    description: "",
    triggers: &[],
};
