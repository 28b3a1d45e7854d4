//! rpm: rpmvercmp's documented behaviour (rpm's own test vectors, tests/rpmvercmp.at)
//! and EVR handling.
use crate::common::*;
use drydock_version::Scheme::Rpm;
use drydock_version::{compare, in_range, in_versions, Event};
use std::cmp::Ordering;

#[test]
fn rpmvercmp_vectors() {
    table(
        Rpm,
        "
        1.0 = 1.0
        1.0 < 2.0
        2.0.1 > 2.0
        2.0.1a > 2.0.1
        5.5p1 < 5.5p2
        5.5p1 < 5.5p10
        10xyz < 10.1xyz
        xyz10 < xyz10.1
        xyz.4 < 8
        xyz.4 < 2
        5.5p2 < 5.6p1
        6.0.rc1 > 6.0
        10b2 > 10a1
        1.0a < 1.0aa
        10.0001 = 10.1
        10.0001 < 10.0039
        4.999.9 < 5.0
        20101121 < 20101122
        2_0 = 2.0
        a+ = a_
        +a = _a
        _+ = +_
        + = _
        # tilde: pre-release, sorts lower
        1.0~rc1 < 1.0
        1.0~rc1 < 1.0~rc2
        1.0~rc1~git123 < 1.0~rc1
        # caret: post-release snapshot, above the base, below the next version
        1.0^ > 1.0
        1.0^git1 > 1.0
        1.0^git1 < 1.0^git2
        1.0^git1 < 1.01
        1.0^20160101 < 1.0.1
        1.0^20160102 > 1.0^20160101^git1
        1.0~rc1^git1 > 1.0~rc1
        1.0^git1~pre < 1.0^git1
        # the rest of rpmvercmp.at, including its documented odd cases
        2.0 < 2.0.1
        5.6p1 < 6.5p1
        10a2 < 10b2
        10.1 = 10.0001
        2.0 = 2_0
        a = a
        a_ = a+
        _+ = _
        1.0^20160101^git1 = 1.0^20160101^git1
        1b.fc17 < 1.fc17
        1g.fc17 > 1.fc17
        ",
    );
}

#[test]
fn missing_release_is_older() {
    // rpm's EVR order (rpm.labelCompare, rpmdev-vercmp): a version without a release is
    // older than the same version with one, never equal to it.
    table(
        Rpm,
        "
        3.0.7 < 3.0.7-27.el9
        1:3.0.7 < 1:3.0.7-1
        1.0 = 0:1.0
        1.0 > 0.9-99
        ",
    );
    let ev = |i: &str, f: &str| vec![Event::Introduced(i.into()), Event::Fixed(f.into())];
    // An installed version without a release is below a fix with one.
    assert!(in_range(Rpm, "3.0.7", &ev("0", "3.0.7-27.el9")).unwrap());
    assert!(!in_range(Rpm, "3.0.7-27.el9", &ev("0", "3.0.7-27.el9")).unwrap());
    assert!(!in_range(Rpm, "3.0.7", &ev("3.0.7-1", "3.0.8")).unwrap());
    assert!(in_range(
        Rpm,
        "3.0.7",
        &[
            Event::Introduced("0".into()),
            Event::LastAffected("3.0.7-27.el9".into())
        ]
    )
    .unwrap());
    // A listed version with a release matches only that release.
    assert!(!in_versions(Rpm, "1.0", &["1.0-3"]).unwrap());
    assert!(in_versions(Rpm, "1.0-3", &["1.0"]).unwrap());
    assert_eq!(compare(Rpm, "1.0-3", "1.0").unwrap(), Ordering::Greater);
}

#[test]
fn epoch_version_release() {
    table(
        Rpm,
        "
        1:1.0-1 > 2.0-1
        0:1.0-1 = 1.0-1
        1.0-1.el9 < 1.0-2.el9
        1.0-1.el9 < 1.0-1.el9_2
        3.0.7-24.el9 < 3.0.7-25.el9_3
        1:3.0.7-27.el9 > 1:3.0.7-25.el9_3
        2.17-326.el7_9 < 2.17-326.el7_9.3
        ",
    );
}

#[test]
fn release_less_bound_matches_any_release() {
    // rpm compares the release only when both sides have one.
    let ev = |i: &str, f: &str| vec![Event::Introduced(i.into()), Event::Fixed(f.into())];
    assert!(!in_range(Rpm, "1.2-5.el9", &ev("0", "1.2")).unwrap());
    assert!(in_range(Rpm, "1.1-9.el9", &ev("0", "1.2")).unwrap());
    assert!(in_range(
        Rpm,
        "1.2-5.el9",
        &[Event::Introduced("0".into()), Event::LastAffected("1.2".into())]
    )
    .unwrap());
    assert!(in_range(Rpm, "1.2-5.el9", &ev("1.2", "1.3")).unwrap());
}

#[test]
fn malformed() {
    for v in ["", "1.0-", "-1", "1.0 1", "1.0-1-", "x:1.0", "1.0@1", "é1"] {
        invalid(Rpm, v);
    }
}
