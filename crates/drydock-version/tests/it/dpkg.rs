//! dpkg: Debian Policy §5.6.12 and dpkg's own test cases.
use crate::common::*;
use drydock_version::Scheme::Dpkg;

#[test]
fn policy_rules() {
    table(
        Dpkg,
        "
        # ~ sorts before anything, even the end of a part
        1.0~rc1 < 1.0
        1.0~~ < 1.0~~a
        1.0~~a < 1.0~
        1.0~ < 1.0
        1.0 < 1.0a
        # letters sort before non-letters
        1.0a < 1.0+
        1.0a < 1.0.
        1.0+ < 1.0.1
        # epoch dominates
        1:0.9 > 2.0
        0:2.0 = 2.0
        2:1 > 1:9999
        # revision
        1.0-1 < 1.0-2
        1.0-1 < 1.0-1.1
        1.0-1ubuntu1 > 1.0-1
        1.0-1~bpo1 < 1.0-1
        1.0 = 1.0-0
        # numeric parts compare numerically, leading zeros ignored
        1.10 > 1.9
        1.010 = 1.10
        1.2.3 < 1.2.10
        2.30 > 2.4
        # hyphens in upstream when a revision exists; colons when an epoch exists
        1:1.2-3-4 > 1:1.2-3-3
        1:2:3-1 > 1:2:2-1
        # long numbers do not overflow
        1.20230808041426123456789 > 1.20230808041426123456788
        ",
    );
}

#[test]
fn real_debian_versions() {
    ascending(
        Dpkg,
        &[
            "1.1.1n-0+deb10u3",
            "1.1.1n-0+deb10u6",
            "1.1.1n-0+deb11u5",
            "1.1.1w-0+deb11u1",
            "3.0.11-1~deb12u1",
            "3.0.11-1~deb12u2",
            "3.0.11-1",
            "3.0.15-1~deb12u1",
        ],
    );
    ascending(Dpkg, &["2.36-9+deb12u3", "2.36-9+deb12u4", "2.36-9+deb12u10"]);
    ascending(Dpkg, &["1:9.18.19-1~deb12u1", "1:9.18.24-1", "1:9.18.28-1~deb12u2"]);
    check(Dpkg, "7.88.1-10+deb12u5", "<", "7.88.1-10+deb12u7");
    check(Dpkg, "1.2.13.dfsg-1", "<", "1:1.2.11.dfsg-2");
}

#[test]
fn malformed() {
    for v in [
        "",
        " ",
        "1.0 2",
        ":1.0",
        "a:1.0",
        "1:",
        "1.0-",
        "<unfixed>",
        "1.0_1",
        "1.0-1@",
        "99999999999:1",
    ] {
        invalid(Dpkg, v);
    }
    // dpkg only warns about a non-digit first character
    assert!(drydock_version::is_valid(Dpkg, "a1.0"));
}
