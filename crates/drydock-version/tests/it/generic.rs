//! Generic fallback: accepts anything, numeric-aware.
use crate::common::*;
use drydock_version::Scheme::Generic;

#[test]
fn numeric_aware() {
    table(
        Generic,
        "
        1.10 > 1.9
        1.0 = 1
        1.0.0 = 1-0
        1.0rc1 < 1.0
        1.0 < 1.0.1
        2.0-beta < 2.0
        v2 = 2
        R2021b > R2021a
        10 > 9
        abc = ABC
        ",
    );
    assert!(drydock_version::is_valid(Generic, ""));
    assert!(drydock_version::is_valid(Generic, "anything at all ✓"));
}
