//! Go: module semver, pseudo-versions, +incompatible and toolchain versions.
use crate::common::*;
use drydock_version::go_toolchain_to_semver;
use drydock_version::Scheme::Go;

#[test]
fn module_versions() {
    table(
        Go,
        "
        v1.2.3 = 1.2.3
        v1 = v1.0.0
        v1.2 = v1.2.0
        v2.0.0+incompatible = v2.0.0
        v2.0.1+incompatible > v2.0.0+incompatible
        v1.0.0-rc.1 < v1.0.0
        v0.17.0 > v0.9.0
        ",
    );
}

#[test]
fn numbers_longer_than_64_bits() {
    // golang.org/x/mod/semver compares numbers of any length (by length, then digits).
    table(
        Go,
        "
        v18446744073709551616.0.0 > v18446744073709551615.0.0
        v1.18446744073709551616.0 > v1.9.0
        v1.0.99999999999999999999999 < v1.0.100000000000000000000000
        v1.0.99999999999999999999999 = v1.0.99999999999999999999999
        v0.0.0-99999999999999999999 > v0.0.0-9999999999999999999
        ",
    );
}

#[test]
fn pseudo_versions() {
    // The three pseudo-version forms (go.dev/ref/mod#pseudo-versions) order as pre-releases.
    ascending(
        Go,
        &[
            "v0.0.0-20191109021931-daa7c04131f5",
            "v0.0.0-20230808041426-22f0818cf810",
            "v0.0.0-20230809000000-000000000000",
            "v0.1.0",
            "v1.2.3",
            "v1.2.4-0.20230808041426-22f0818cf810",
            "v1.2.4-pre",
            "v1.2.4-pre.0.20230808041426-22f0818cf810",
            "v1.2.4",
        ],
    );
    check(
        Go,
        "0.0.0-20220722155237-a158d28d115b",
        ">",
        "0.0.0-20220315194320-039c03cc5b86",
    );
}

#[test]
fn toolchain_versions() {
    assert_eq!(go_toolchain_to_semver("go1.20.7").as_deref(), Some("1.20.7"));
    assert_eq!(go_toolchain_to_semver("go1.20").as_deref(), Some("1.20.0"));
    assert_eq!(go_toolchain_to_semver("1.21rc2").as_deref(), Some("1.21.0-rc.2"));
    assert_eq!(go_toolchain_to_semver("go1.9beta1").as_deref(), Some("1.9.0-beta.1"));
    assert_eq!(go_toolchain_to_semver("devel +abc"), None);
    table(
        Go,
        "
        go1.20.7 = 1.20.7
        go1.21rc2 = 1.21.0-rc.2
        1.21rc2 < 1.21.0
        1.21rc2 > 1.21.0-0
        go1.21.0 > go1.21rc4
        go1.20 = 1.20.0
        go1.19.13 < 1.20.0-0
        ",
    );
}

#[test]
fn malformed() {
    for v in [
        "",
        "v1.2.3.4",
        "v01.2.3",
        "latest",
        "go",
        "godevel",
        "v1.2.3-",
        "1.21alpha1",
        "master",
        "v1.2-pre",
        "v1+meta",
        "v1.2.3-01",
        "v1.2.3-beta.01",
    ] {
        invalid(Go, v);
    }
}
