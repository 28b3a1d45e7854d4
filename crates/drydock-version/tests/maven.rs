//! Maven: the POM reference's "Version Order Specification" examples and Maven's
//! ComparableVersionTest cases.
mod common;
use common::*;
use drydock_version::Scheme::Maven;

#[test]
fn qualifier_order() {
    ascending(
        Maven,
        &["1-alpha", "1-beta", "1-milestone", "1-rc", "1-snapshot", "1", "1-sp"],
    );
    ascending(
        Maven,
        &[
            "1-alpha-1",
            "1-alpha-2",
            "1-beta-1",
            "1-rc-1",
            "1-SNAPSHOT",
            "1",
            "1-sp-1",
            "1-foo",
            "1.1",
        ],
    );
}

#[test]
fn pom_reference_examples() {
    table(
        Maven,
        "
        1 < 1.1
        1-snapshot < 1
        1 < 1-sp
        1-foo2 < 1-foo10
        1.foo = 1-foo
        1-foo < 1-1
        1-1 < 1.1
        1.ga = 1-ga
        1-ga = 1-0
        1-0 = 1.0
        1.0 = 1
        1-sp > 1-ga
        1-sp.1 > 1-ga.1
        # Maven 3.9 reads X-1 as X1 (a combination item), so these differ from the
        # older POM reference text (which had 1-sp-1 < 1-ga-1 = 1-1).
        1-sp-1 > 1-ga-1
        1-ga-1 < 1-1
        1-a1 = 1-alpha-1
        1.0.0 = 1
        1.final = 1
        1.release = 1
        1-cr1 = 1-rc1
        1.0-RC1 = 1.0-rc1
        1.0-rc1 < 1.0
        1.0.RC2 < 1.0-RC3
        1.0-RC3 < 1.0.1
        ",
    );
}

#[test]
fn comparable_version_test_cases() {
    // ComparableVersionTest.VERSIONS_QUALIFIER
    ascending(
        Maven,
        &[
            "1-alpha2snapshot",
            "1-alpha2",
            "1-alpha-123",
            "1-beta-2",
            "1-beta123",
            "1-m2",
            "1-m11",
            "1-rc",
            "1-cr2",
            "1-rc123",
            "1-SNAPSHOT",
            "1",
            "1-sp",
            "1-sp2",
            "1-sp123",
            "1-abc",
            "1-def",
            "1-pom-1",
            "1-1-snapshot",
            "1-1",
            "1-2",
            "1-123",
        ],
    );
    // ComparableVersionTest.VERSIONS_NUMBER
    ascending(
        Maven,
        &[
            "2.0", "2.0.a", "2-1", "2.0.2", "2.0.123", "2.1.0", "2.1-a", "2.1b", "2.1-c", "2.1-1", "2.1.0.1", "2.2",
            "2.123", "11.a2", "11.a11", "11.b2", "11.b11", "11.m2", "11.m11", "11", "11.a", "11b", "11c", "11m",
        ],
    );
    table(
        Maven,
        "
        1 = 1.0.0
        1-alpha = 1-ALPHA
        1a1 = 1-a-1
        1b2 = 1-beta-2
        1m3 = 1-milestone-3
        1-final = 1
        2.0.0.v200706041905-7C78EK9E_EkMNfNOd2d8qq = 2.0.0.v200706041905-7C78EK9E_EkMNfNOd2d8qq
        12345678901234567890 < 12345678901234567891
        # a numeric -N sub-list is newer than the bare release (timestamped snapshots too)
        1.0.0-20230101.120000-1 > 1.0.0
        ",
    );
}

#[test]
fn real_artifact_versions() {
    ascending(
        Maven,
        &["2.9.10", "2.9.10.1", "2.9.10.8", "2.10.0", "2.12.7.1", "2.13.4.2"],
    );
    // An unknown qualifier sorts after the release: Maven really orders jackson's
    // 2.10.0.pr1 after 2.10.0 (but before 2.10.1).
    check(Maven, "2.10.0.pr1", ">", "2.10.0");
    check(Maven, "2.10.0.pr1", "<", "2.10.1");
    ascending(Maven, &["5.3.17", "5.3.18", "6.0.0-M1", "6.0.0-RC1", "6.0.0"]);
    ascending(
        Maven,
        &["2.14.1", "2.15.0-rc1", "2.15.0-rc2", "2.15.0", "2.16.0", "2.17.0"],
    );
    ascending(
        Maven,
        &[
            "9.4.43.v20210629",
            "9.4.44.v20210927",
            "10.0.0.alpha1-SNAPSHOT",
            "10.0.0",
        ],
    );
    check(Maven, "1.2.3.Final", "=", "1.2.3");
    check(Maven, "3.1.0.RELEASE", "=", "3.1.0");
}

#[test]
fn malformed() {
    for v in ["", " ", "1.0 beta", "1.0\u{7}"] {
        invalid(Maven, v);
    }
}
