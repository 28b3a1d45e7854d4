//! RubyGems: Gem::Version's documented ordering.
use crate::common::*;
use drydock_version::Scheme::Gem;

#[test]
fn gem_version_rules() {
    table(
        Gem,
        "
        1.0.a < 1.0
        1.0.a < 1.0.b
        1.0.b1 < 1.0
        1.0.rc1 < 1.0
        1.0.a.2 < 1.0.a.10
        1.0 = 1
        1.0.0 = 1
        1.0.a = 1.0.0.a
        1.0.a.0 = 1.0.a
        1.0.1 > 1.0
        1.8.2 > 0.0.0
        1.8.2.a10 > 1.8.2.a9
        1.8.2 > 1.8.2.a
        1.0.0-rc1 = 1.0.0.pre.rc1
        1.0.0-rc1 < 1.0.0
        1.2.b1 < 1.2
        2.0.0.beta1 < 2.0.0.beta2
        6.1.7.6 > 6.1.7.5
        7.0.8.1 > 7.0.8
        1.13.10 > 1.13.9
        1.0a < 1.0
        1.0a < 1.0.1
        ",
    );
    ascending(Gem, &["1.0.0.a", "1.0.0.b", "1.0.0.rc", "1.0.0", "1.0.1.a", "1.0.1"]);
}

#[test]
fn malformed() {
    for v in ["", "a.1", "1..2", "1.0.", "junk", "1.2.3 4", ".1", "1_0"] {
        invalid(Gem, v);
    }
}
