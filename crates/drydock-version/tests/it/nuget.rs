//! NuGet: NuGet.Versioning's parsing (`NuGetVersion.TryParse`) and `VersionComparer`
//! (NuGetVersionTest, VersionComparerTests, SemanticVersionTest cases) and real releases.
use crate::common::*;
use drydock_version::Scheme::NuGet;
use drydock_version::{in_range, Event, Scheme};

#[test]
fn version_comparer_vectors() {
    // VersionComparerTests (Default comparer: equal, less).
    table(
        NuGet,
        "
        1.0.0-BETA+AA = 1.0.0-beta+aa
        1.0.0-BETA.X.y.5.77.0+AA = 1.0.0-beta.x.y.5.77.0+aa
        0.0.0 < 1.0.0
        1.999.9999 < 2.1.1
        1.0.0-BETA < 1.0.0-beta2
        1.0.0-beta+AA < 1.0.0+aa
        1.0.0-BETA < 1.0.0-beta.1+AA
        1.0.0-BETA.X.y.5.77.0+AA < 1.0.0-beta.x.y.5.79.0+aa
        1.0.0-BETA.X.y.5.79.0+AA < 1.0.0-beta.x.y.5.790.0+abc
        # labels beyond 32 bits are not numeric to int.TryParse: compared as text
        1.0.0-2147483648 > 1.0.0-2147483647
        1.0.0-99999999999 < 1.0.0-a
        1.0.0 = 1.0.0
        1.0.0-BETA = 1.0.0-beta
        1.0.0-BETA.1 = 1.0.0-beta.1
        1.0.0-Beta.1+ABC = 1.0.0-beta.1+xyz
        1.0.0 = 1.0.0+meta
        1.0 = 1.0.0
        1 = 1.0.0.0
        1.0.0.0 = 1.0.0
        01.02.03 = 1.2.3
        1.0.0.1 > 1.0.0
        1.0.0.1-beta > 1.0.0
        1.0.0-beta < 1.0.0
        1.0.0-beta.2 < 1.0.0-beta.11
        1.0.0-beta.1 < 1.0.0-beta.a
        1.0.0-beta < 1.0.0-beta.0
        1.0.0-alpha < 1.0.0-BETA
        1.0.0-ALPHA < 1.0.0-beta
        1.0.0-beta2 > 1.0.0-beta11
        1.0.0-0 < 1.0.0-a
        1.0.0-rc-1 > 1.0.0-rc.1
        2.0.0 > 1.9.9.9
        ",
    );
    ascending(
        NuGet,
        &[
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.0.1",
            "1.0.1",
        ],
    );
}

#[test]
fn real_releases() {
    // Newtonsoft.Json, Microsoft.AspNetCore.App, System.Text.Json, log4net.
    ascending(
        NuGet,
        &["12.0.3", "13.0.1-beta1", "13.0.1-beta2", "13.0.1", "13.0.2", "13.0.3"],
    );
    ascending(
        NuGet,
        &[
            "7.0.0-preview.7.22375.6",
            "7.0.0-rc.1.22427.1",
            "7.0.0-rc.2.22472.3",
            "7.0.0",
            "8.0.0-preview.1.23110.8",
        ],
    );
    ascending(NuGet, &["2.0.8", "2.0.10", "2.0.12", "2.0.15", "3.0.0"]);
    ascending(NuGet, &["1.2.10", "1.2.10.1", "1.2.11"]);
}

#[test]
fn ranges() {
    let ev = |i: &str, f: &str| vec![Event::Introduced(i.into()), Event::Fixed(f.into())];
    assert!(!in_range(NuGet, "13.0.1", &ev("0", "13.0.1-BETA1")).unwrap());
    assert!(in_range(NuGet, "13.0.1-beta1", &ev("0", "13.0.1")).unwrap());
    assert!(!in_range(NuGet, "4.3.1.0", &ev("0", "4.3.1")).unwrap());
    assert_eq!(Scheme::for_ecosystem("NuGet"), NuGet);
}

#[test]
fn malformed() {
    for v in [
        "",
        "1.0.0-",
        "1.0.0+",
        "1.0.0-beta+",
        "1.2.3.4.5",
        "1..2",
        "1.0.0-beta..1",
        "1.0.0-01",
        "1.0.0-beta_1",
        "1.0.0+a+b",
        "a.b.c",
        "2147483648.0.0",
        "-1.0.0",
        "1.0.0-bêta",
    ] {
        invalid(NuGet, v);
    }
}
