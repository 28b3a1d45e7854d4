//! SemVer 2.0 precedence (semver.org §11) and npm / Cargo requirement syntax.
use crate::common::*;
use drydock_version::Scheme::Semver;
use drydock_version::{semver_satisfies, SemverFlavour};

#[test]
fn precedence_spec_examples() {
    // semver.org §11
    ascending(Semver, &["1.0.0", "2.0.0", "2.1.0", "2.1.1"]);
    ascending(
        Semver,
        &[
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ],
    );
    table(
        Semver,
        "
        1.0.0+build.1 = 1.0.0+build.2
        1.0.0-alpha+001 = 1.0.0-alpha
        v1.2.3 = 1.2.3
        =1.2.3 = 1.2.3
        1.2 = 1.2.0
        1 = 1.0.0
        1.2.3.1 > 1.2.3
        1.2.3.0 = 1.2.3
        10.0.0 > 9.99.99
        1.0.0-2 < 1.0.0-10
        1.0.0-a10 < 1.0.0-a9
        1.0.0-x-y > 1.0.0-x
        ",
    );
}

#[test]
fn malformed() {
    for v in [
        "",
        "1.2.3-",
        "1.2.3+",
        "1..2",
        "1.2.3-a..b",
        "a.b.c",
        "1.2.3.4.5",
        "1.2.3 4",
        "99999999999999999999.0.0",
        "1.2.3-béta",
    ] {
        invalid(Semver, v);
    }
}

fn npm(req: &str, v: &str) -> bool {
    semver_satisfies(req, v, SemverFlavour::Npm).unwrap_or_else(|e| panic!("{req} / {v}: {e}"))
}

fn cargo(req: &str, v: &str) -> bool {
    semver_satisfies(req, v, SemverFlavour::Cargo).unwrap_or_else(|e| panic!("{req} / {v}: {e}"))
}

#[test]
fn npm_ranges() {
    // node-semver README examples
    let yes = [
        ("^1.2.3", "1.9.9"),
        ("^0.2.3", "0.2.9"),
        ("^0.0.3", "0.0.3"),
        ("^1.2.x", "1.9.0"),
        ("^0.0.x", "0.0.9"),
        ("^0.x", "0.9.9"),
        ("~1.2.3", "1.2.9"),
        ("~1.2", "1.2.0"),
        ("~1", "1.9.9"),
        ("~0.2.3", "0.2.5"),
        ("1.2.3 - 2.3.4", "2.3.4"),
        ("1.2 - 2.3.4", "1.2.0"),
        ("1.2.3 - 2.3", "2.3.9"),
        ("1.2.3 - 2", "2.9.9"),
        ("*", "3.4.5"),
        ("", "0.0.1"),
        ("1.x", "1.99.0"),
        ("1.2.*", "1.2.7"),
        (">=1.2.7 <1.3.0", "1.2.8"),
        ("1.2.7 || >=1.2.9 <2.0.0", "1.4.6"),
        (">= 1.2.3", "1.2.3"),
        (">1.2", "1.3.0"),
        ("<=1.2", "1.2.99"),
        (">=1.2.3-alpha.3", "1.2.3-alpha.7"),
        (">1.2.3-alpha.3", "3.4.5"),
        ("~1.2.3-beta.2", "1.2.3-beta.4"),
        ("^1.2.3-beta.2", "1.2.3-beta.4"),
        ("=1.2.3", "v1.2.3"),
        ("<2.0.0", "1.9.9"),
        ("<2", "1.99.0"),
    ];
    for (r, v) in yes {
        assert!(npm(r, v), "npm: {v} should satisfy {r}");
    }
    let no = [
        ("^1.2.3", "2.0.0"),
        ("^1.2.3", "2.0.0-alpha"),
        ("^0.2.3", "0.3.0"),
        ("^0.0.3", "0.0.4"),
        ("~1.2.3", "1.3.0"),
        ("1.2.3 - 2.3.4", "2.3.5"),
        ("1.2.3 - 2.3", "2.4.0"),
        (">=1.2.7 <1.3.0", "1.3.0"),
        ("1.2.7 || >=1.2.9 <2.0.0", "1.2.8"),
        (">1.2", "1.2.9"),
        ("<=1.2", "1.3.0"),
        // pre-releases only match comparators on the same tuple with a pre-release
        (">=1.2.3-alpha.3", "3.4.5-alpha.9"),
        (">1.2.3-alpha.3", "1.2.3-alpha.2"),
        ("~1.2.3-beta.2", "1.2.4-beta.2"),
        (">=1.0.0", "1.0.1-rc.1"),
        ("<2", "2.0.0-rc.1"),
        ("<2", "1.5.0-rc.1"),
        ("1.x", "2.0.0"),
    ];
    for (r, v) in no {
        assert!(!npm(r, v), "npm: {v} should not satisfy {r}");
    }
}

#[test]
fn cargo_requirements() {
    let yes = [
        ("1.2.3", "1.9.0"),
        ("^1.2.3", "1.2.3"),
        ("^0.2.3", "0.2.9"),
        ("^0.0.3", "0.0.3"),
        ("^0.0", "0.0.9"),
        ("^0", "0.9.9"),
        ("~1.2.3", "1.2.9"),
        ("~1", "1.9.0"),
        ("=1.2.3", "1.2.3"),
        ("=1.2", "1.2.9"),
        ("*", "9.0.0"),
        ("1.*", "1.5.0"),
        ("1.2.*", "1.2.0"),
        (">=1.2.0, <1.5.0", "1.4.9"),
        ("> 1.2", "1.3.0"),
        ("<= 1.2", "1.2.5"),
        (">= 0.4.0-alpha.1, < 0.4.0", "0.4.0-alpha.2"),
        ("^1.0.0-rc.1", "1.0.0-rc.2"),
    ];
    for (r, v) in yes {
        assert!(cargo(r, v), "cargo: {v} should satisfy {r}");
    }
    let no = [
        ("1.2.3", "2.0.0"),
        ("1.2.3", "1.2.2"),
        ("^0.2.3", "0.3.0"),
        ("^0.0.3", "0.0.4"),
        ("~1.2.3", "1.3.0"),
        ("=1.2.3", "1.2.4"),
        ("1.*", "2.0.0"),
        (">=1.2.0, <1.5.0", "1.5.0"),
        ("> 1.2", "1.2.9"),
        ("^1.2.3", "1.3.0-alpha"),
        ("^1.0.0-rc.1", "1.0.1-rc.1"),
    ];
    for (r, v) in no {
        assert!(!cargo(r, v), "cargo: {v} should not satisfy {r}");
    }
}

#[test]
fn bad_requirements_are_errors() {
    for r in ["^", ">=1.2.3 <2", "1.2.3.4.5", "abc", ">=1.2,", "~>1.2"] {
        assert!(
            semver_satisfies(r, "1.2.3", SemverFlavour::Cargo).is_err(),
            "cargo {r:?}"
        );
    }
    for r in ["^a", "1.2.3 - ", ">=x.y.z", "1.2.3 - 2.0.0 - 3"] {
        assert!(semver_satisfies(r, "1.2.3", SemverFlavour::Npm).is_err(), "npm {r:?}");
    }
    assert!(semver_satisfies("^1.0.0", "not-a-version", SemverFlavour::Npm).is_err());
}
