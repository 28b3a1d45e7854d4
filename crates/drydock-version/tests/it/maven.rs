//! Maven: the POM reference's "Version Order Specification" examples and Maven's
//! ComparableVersionTest cases.
use crate::common::*;
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
        1-sp-1 < 1-ga-1
        # ga is the empty qualifier, so 1-ga-1 is 1-[[1]]: a list, below the number 1-1.
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
        # a/b/m expand only when a digit follows directly
        1a1 < 1-a-1
        1a1 = 1-alpha-1
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

#[test]
fn comparable_version_test_edges() {
    // ComparableVersionTest: testVersionsEqual, testVersionsHaveSameOrderButAreNotEqual,
    // testVersionComparing, testLeadingZeroes, testMng5568, testMng6572, testMng6964,
    // testMng7644 (Maven 3.9.x), and testLexicographicOrder, testCompareDigitToLetter.
    table(
        Maven,
        "
        1 = 1.0
        1 = 1-0
        1 = 1.0-0
        1.0 = 1.0-0
        1a = 1-a
        1a = 1.0-a
        1a = 1.0.0-a
        1.0a = 1-a
        1.0.0a = 1-a
        1x = 1-x
        1x = 1.0-x
        1x = 1.0.0-x
        1.0x = 1-x
        1.0.0x = 1-x
        1cr = 1rc
        1X = 1x
        1A = 1a
        1B = 1b
        1M = 1m
        1Cr = 1Rc
        1cR = 1rC
        1m3 = 1Milestone3
        1m3 = 1MileStone3
        1m3 = 1MILESTONE3
        1ga = 1
        1release = 1
        1final = 1
        1Ga = 1
        1GA = 1
        1RELEASE = 1
        1RELeaSE = 1
        1Final = 1
        1FinaL = 1
        1FINAL = 1
        1 < 2
        1.5 < 2
        1 < 2.5
        1.0 < 1.1
        1.1 < 1.2
        1.0.0 < 1.1
        1.0.1 < 1.1
        1.1 < 1.2.0
        1.0-alpha-1 < 1.0
        1.0-alpha-1 < 1.0-alpha-2
        1.0-alpha-1 < 1.0-beta-1
        1.0-beta-1 < 1.0-SNAPSHOT
        1.0-SNAPSHOT < 1.0
        1.0-alpha-1-SNAPSHOT < 1.0-alpha-1
        1.0 < 1.0-1
        1.0-1 < 1.0-2
        1.0.0 < 1.0-1
        2.0-1 < 2.0.1
        2.0.1-klm < 2.0.1-lmn
        2.0.1 < 2.0.1-xyz
        2.0.1 < 2.0.1-123
        2.0.1-xyz < 2.0.1-123
        0.7 < 2
        0.2 < 1.0.7
        6.1.0rc3 < 6.1.0
        6.1.0rc3 < 6.1H.5-beta
        6.1.0 < 6.1H.5-beta
        20190126.230843 < 1234567890.12345
        1234567890.12345 < 123456789012345.1H.5-beta
        123456789012345.1H.5-beta < 12345678901234567890.1H.5-beta
        20190126.230843 < 12345678901234567890.1H.5-beta
        0000000000000000001 = 1
        000000001 = 01
        0000000000000000000 = 0
        00 = 0
        1-0.alpha < 1
        1-0.beta < 1
        1-0.alpha < 1-0.beta
        # MNG-7714 changed these only in Maven 4; 3.9 drops the empty `final` qualifier
        # and compares `redhat` with `sp`.
        1.0.final-redhat > 1.0-sp1-redhat
        1.0.final-redhat > 1.0-sp-1-redhat
        1.0.final-redhat > 1.0-sp.1-redhat
        aardvark < zebra
        zebra < ζέβρα
        J < 7
        c < 7
        é < 1
        1.a = 1.A
        1.é = 1.É
        1.0.0-alpha1 = 1.0.0-ALPHA1
        1-abcdefghijklmnopqrstuvwxyz = 1-ABCDEFGHIJKLMNOPQRSTUVWXYZ
        ",
    );
    for x in ["abc", "alpha", "a", "beta", "b", "def", "milestone", "m", "RC"] {
        check(Maven, &format!("1.0.0.{x}1"), "<", &format!("1.0.0-{x}2"));
        check(Maven, &format!("2-{x}"), "=", &format!("2.0.{x}"));
        check(Maven, &format!("2-{x}"), "=", &format!("2.0.0.{x}"));
        check(Maven, &format!("2.0.{x}"), "=", &format!("2.0.0.{x}"));
    }
}

#[test]
fn qualifier_edge_forms() {
    // Forms the issue names: a release qualifier with a number, a numbered qualifier with
    // and without a separator, and separators that build the same item list. Maven 3.9
    // puts the number after a qualifier in a list of its own (`beta11` is `[beta, [11]]`,
    // `beta.6` is `[beta, 6]`, and a list sorts below a number).
    table(
        Maven,
        "
        1.0-ga20 > 1.0
        1.0-ga20 = 1-ga-20
        1.0-ga20 < 1-20
        1.0-ga20 < 1.0-ga-21
        1.0-ga20 = 1.0-final-20
        1.0-ga20 > 1.0-sp
        1.0-ga20 < 1.0.1
        1.0-beta11 < 1.0-beta.6
        1.0-beta11 = 1.0-beta-11
        1.0-beta11 > 1.0-beta6
        1.0-beta.11 > 1.0-beta.6
        1.0-beta.6 > 1.0-beta6
        # IntItem / LongItem / BigIntegerItem order by class: an all-zero run keeps its
        # length in Java's stripLeadingZeroes
        0000000000.1 > 0.1
        0000000000000000000.1 > 000000000000000000.1
        999999999 < 1000000000
        999999999999999999 < 1000000000000000000
        1.0-beta.6 > 1.0-beta
        1.0-beta6 > 1.0-beta
        1.0.beta6 = 1.0-beta6
        1-1 = 1-1.0
        1-1.0.0 = 1-1
        1.0-1-1 < 1.0-1.1
        1.0.0.RELEASE = 1.0.0-ga
        2.0.0-M1 < 2.0.0-RC1
        2.0.0.M1 = 2.0.0-milestone-1
        ",
    );
}
