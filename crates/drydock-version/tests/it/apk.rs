//! apk: apk-tools version.c rules and a selection of apk-tools' test/version.data.
use crate::common::*;
use drydock_version::Scheme::Apk;

#[test]
fn apk_tools_vectors() {
    table(
        Apk,
        "
        2.34 > 0.1.0_alpha
        0.1.0_alpha = 0.1.0_alpha
        0.1.0_alpha < 0.1.3_alpha
        0.1.0_alpha2 > 0.1.0_alpha
        0.1.0_alpha < 2.2.39-r1
        1.0.4-r3 < 1.0.4-r4
        1.1 > 1.1_alpha1
        1.2.1 > 1.2
        1.2 < 1.3_alpha
        1.3_alpha2 < 1.3_alpha3
        0.8_beta1 < 0.8_beta2
        2.3.0b-r1 < 2.3.0b-r2
        2.3.0b-r4 > 0.12.1
        0.12.3 > 0.12
        1.06-r6 < 006
        006 > 1.0.0
        1.2.2-r1 > 1.2.2
        20050718-r1 < 20050718-r2
        3.9.8-r5 > 2.01.01_alpha10
        0.99.3.20040818 > 0.7
        1.00_beta2 > 0.9.2
        4.2.52_p2-r1 < 4.2.52_p4-r2
        2.8.9-r1 > 2.8.9
        3.0.20060720 < 20060720
        2.5.1-r8 < 2.5.1a-r1
        1.3.5-r10 > 1.3.5-r8
        2.0.0_rc3-r1 > 1.5
        3.9_pre20060124 > 0.01
        6b-r7 > 1.12-r7
        0.10.0-r1 > 0.10.0
        0.10.0 < 0.10.1_rc1
        2.1_pre20 < 2.1_pre26
        02.08.01b < 4.77
        1.2.07.8 < 1.2.12.04
        1.2.12.04 < 1.2.12.05
        0.59s-r11 < 0.65
        0.20070118 < 0.20070207_rc1
        4.5_p1-r1 > 4.5_p1
        0.9.8c-r1 < 0.9.8d
        1.7 < 1.7b
        1.8.5 < 1.8.5_p2
        1.6.8_p12-r1 > 1.6.8_p9-r2
        2.12r-r4 < 2.12r-r5
        7.0.17 < 7.0.174
        1.3-r0 < 1.3.1-r0
        1.3_pre1-r1 < 1.3.2
        1.0_p10-r0 > 1.0_p9-r0
        0.1.0_alpha_pre2 < 0.1.0_alpha
        1.0.0_pre20191002222144-r0 < 1.0.0_pre20210530193627-r0
        6.0_pre1 < 6.0
        6.0_p1 > 6.0
        ",
    );
}

#[test]
fn suffix_order_and_hash() {
    ascending(
        Apk,
        &[
            "1.0_alpha",
            "1.0_beta",
            "1.0_pre",
            "1.0_rc",
            "1.0",
            "1.0_cvs",
            "1.0_svn",
            "1.0_git",
            "1.0_hg",
            "1.0_p",
            "1.0_p1",
            "1.0_p1-r1",
            "1.0a",
            "1.0.1",
        ],
    );
    // commit hash sits between suffixes and the revision; compared as a string
    check(Apk, "1.0~abc123-r0", ">", "1.0-r5");
    check(Apk, "1.0~abc123-r0", "<", "1.0~abd-r0");
    check(Apk, "1.0_git20240101~abc-r0", "<", "1.0_git20240102-r0");
    // real Alpine secdb fixed versions
    check(Apk, "1.1.1g-r0", ">", "1.1.1d-r3");
    check(Apk, "3.0.8-r0", ">", "3.0.7-r2");
    // apk-tools 2.x form with a number after the letter (old openssh entries)
    check(Apk, "6.6.2p1-r0", ">", "6.6.2-r0");
    check(Apk, "6.6.2p1-r0", "<", "6.6.2p2-r0");
    check(Apk, "6.6.2p1-r0", "<", "6.6.3-r0");
}

#[test]
fn malformed() {
    for v in [
        "",
        "a1",
        "1.0bc",
        "23_foo",
        "1.0-1",
        "1.0-r",
        "1.0-r1-r2",
        "1.0_alpha.1",
        "1.0A",
        "1.0~",
        "1..0",
        "1.0 ",
    ] {
        invalid(Apk, v);
    }
}
