//! `passwd_file` gate (being written).

use crate::spec::GateSpec;

/// The `passwd_file` gate.
pub const GATE: GateSpec = GateSpec {
    name: "passwd_file",
    description: "",
    triggers: &[],
};
