//! Composer (Packagist): composer/semver's normalisation and ordering (VersionParserTest,
//! ComparatorTest, SemverTest::sortProvider) and real release sequences.
use crate::common::*;
use drydock_version::Scheme::Composer;
use drydock_version::{in_range, max_version, Event, Scheme};

#[test]
fn composer_test_vectors() {
    // ComparatorTest (Comparator::compare) and SemverTest::sortProvider.
    table(
        Composer,
        "
        1.25.0 > 1.24.0
        1.25.0 = 1.25.0
        1.25.0 < 1.26.0
        1.25.0-beta2.1 < 1.25.0-b.3
        1.25.0-b2.1 < 1.25.0beta.3
        1.25.0-b-2.1 < 1.25.0-rc
        1.25.0-beta2.1 = 1.25.0-b.2.1
        1.25.0beta2.1 = 1.25.0-b2.1
        1.0.0 < 1.2-dev
        1.26.0 > dev-foo
        ",
    );
    ascending(
        Composer,
        &[
            "dev-foo",
            "0.1",
            "1.0",
            "2.4.0-alpha",
            "2.4.0",
            "3.2.1",
            "50.2",
            "dev-master",
        ],
    );
    check(Composer, "0.1", "=", "0.1");
}

#[test]
fn normalisation_equalities() {
    // Spellings VersionParser::normalize maps to the same normalised version.
    table(
        Composer,
        "
        1.0.0 = 1.0.0.0
        1 = 1.0.0.0
        v1.0.0 = 1.0.0
        V2.1 = 2.1.0.0
        1.0.0RC1dev = 1.0.0.0-RC1-dev
        1.0.0-rC15-dev = 1.0.0.RC.15-dev
        1.0.0-rc1 = 1.0.0-RC1
        1.0.0.pl3-dev = 1.0.0-patch3-dev
        1.0.0-p1 = 1.0.0-pl1
        1.0.0-p1 = 1.0.0-patch1
        1.0.0a1 = 1.0.0-alpha1
        1.0.0-a = 1.0.0-alpha
        10.4.13-b5 = 10.4.13-beta5
        10.4.13beta.2 = 10.4.13-beta2
        1.0.0-beta.5+foo = 1.0.0-beta5
        1.0.0+foo = 1.0.0
        1.0.0-stable = 1.0.0
        1.0.0@dev = 1.0.0
        1.0.0+foo@dev = 1.0.0
        1.0.0+foo_as_bar = 1.0.0
        2010-01-02 = 2010:01:02
        # dates read as classical versions gain a fourth number, so they sort after
        2010-01-02 < 2010.01.02
        20100102-203040-p1 = 20100102.203040-patch1
        00.01.03.04 = 0.1.3.4
        dev-master = 9999999-dev
        master = dev-trunk
        dev-default = dev-master
        1.x-dev = 1.9999999.9999999.9999999-dev
        v1.0.x-dev = 1.0.9999999.9999999-dev
        ",
    );
    // Aliases: the version before `as` counts.
    check(Composer, "1.0.0+foo as 2.0", "=", "1.0.0");
    check(Composer, "dev-master as 1.0.0", "=", "dev-master");
}

#[test]
fn stabilities_and_numbered_labels() {
    // dev < alpha < beta < RC < release < patch, numbered labels numerically.
    ascending(
        Composer,
        &[
            "1.0.0-dev",
            "1.0.0-alpha",
            "1.0.0-alpha1",
            "1.0.0-alpha2",
            "1.0.0-alpha10",
            "1.0.0-beta1-dev",
            "1.0.0-beta1",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-RC1",
            "1.0.0-RC9",
            "1.0.0-RC10",
            "1.0.0",
            "1.0.0-p1",
            "1.0.0-patch2",
            "1.0.0.1",
            "1.0.1-dev",
            "1.0.1",
            "1.0.x-dev",
            "1.1.0",
        ],
    );
    table(
        Composer,
        "
        1.0.0-beta1-dev > 1.0.0-beta
        1.0.0-alpha3.1 > 1.0.0-alpha3
        1.0.0-alpha-2.1-3 < 1.0.0-alpha2.2
        1.0.0-RC1 > 1.0.0-beta99
        1.0.0-STABLE < 1.0.0
        ",
    );
}

#[test]
fn branches() {
    // Named branches sort below every numbered version; Composer does not order them
    // among themselves, here they are equal only when identical.
    table(
        Composer,
        "
        dev-feature < 0.0.1
        dev-feature < 0.0.0-dev
        dev-feature = DEV-feature
        dev-a < dev-b
        dev-feature/foo > dev-feature
        dev-master > 99999.99999
        1.x-dev < 2.0.0-alpha1
        ",
    );
}

#[test]
fn real_release_sequences() {
    // symfony/http-kernel, laravel/framework, guzzlehttp/guzzle, drupal/core, phpunit.
    ascending(
        Composer,
        &[
            "v5.3.16",
            "v5.4.0-BETA1",
            "v5.4.0-BETA2",
            "v5.4.0-RC1",
            "v5.4.0",
            "v5.4.1",
            "v5.4.10",
            "v6.0.0-BETA1",
            "v6.0.0",
        ],
    );
    ascending(
        Composer,
        &[
            "v8.83.27",
            "v9.0.0-beta.1",
            "v9.0.0-beta.5",
            "v9.0.0",
            "v9.52.16",
            "v10.0.0",
        ],
    );
    ascending(
        Composer,
        &["6.5.7", "6.5.8", "7.0.0-beta.1", "7.0.0-rc.1", "7.0.0", "7.4.5"],
    );
    ascending(
        Composer,
        &[
            "8.9.20",
            "9.0.0-alpha1",
            "9.0.0-beta3",
            "9.0.0-rc1",
            "9.0.0",
            "9.0.1",
            "10.0.0-alpha1",
        ],
    );
    ascending(Composer, &["4.8.36", "5.0.0", "9.5.9", "9.5.10", "9.6.0", "10.0.0"]);
    ascending(
        Composer,
        &[
            "2.0.0-RC1",
            "2.0.0-RC2",
            "2.0.0-RC9",
            "2.0.0-RC10",
            "2.0.0-RC11",
            "2.0.0",
        ],
    );
    ascending(Composer, &["1.2.3.4", "1.2.3.5", "1.2.3.10", "1.2.4"]);
    assert_eq!(
        max_version(Composer, ["2.0.0-RC9", "2.0.0-RC10", "2.0.0-beta"]),
        Some("2.0.0-RC10")
    );
}

#[test]
fn ranges() {
    let ev = |i: &str, f: &str| vec![Event::Introduced(i.into()), Event::Fixed(f.into())];
    assert!(in_range(Composer, "5.4.0-RC1", &ev("5.0.0", "5.4.0")).unwrap());
    assert!(!in_range(Composer, "v5.4.0", &ev("5.0.0", "5.4.0")).unwrap());
    assert!(in_range(Composer, "2.0.0-RC9", &ev("0", "2.0.0-RC10")).unwrap());
    assert!(!in_range(Composer, "1.0.0-p1", &ev("0", "1.0.0")).unwrap());
    assert_eq!(Scheme::for_ecosystem("Packagist"), Composer);
}

#[test]
fn malformed() {
    // VersionParserTest failingNormalizedVersions.
    for v in [
        "",
        "a",
        "1.0.0-meh",
        "1.0.0.0.0",
        "feature-foo",
        "1.0.0+foo bar",
        "1.0.1-SNAPSHOT",
        "1.0.0<1.0.5-dev",
        "foo bar-dev",
        "1.0 .2",
        "^1",
        "~1",
        "1.*",
        "20100102.0.3.4",
        "100000.0.0.0",
        "2023013.0.0",
        "1.0.0-pre1",
    ] {
        invalid(Composer, v);
    }
}
