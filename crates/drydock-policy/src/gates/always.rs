//! `always`: fires every time (for testing bundles and mappings).

use crate::spec::{Fired, GateSpec, TriggerInput, TriggerSpec};

/// The `always` gate.
pub const GATE: GateSpec = GateSpec {
    name: "always",
    description: "Fires on every image; for testing bundles, mappings and allowlists.",
    triggers: &[TriggerSpec {
        name: "always",
        description: "Fires unconditionally.",
        params: &[],
        eval: always,
    }],
};

fn always(_: &TriggerInput<'_>) -> Vec<Fired> {
    vec![Fired::new("always", "always fires")]
}
