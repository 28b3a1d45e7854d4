//! PEP 440: the spec's ordering examples, normalisation and local versions.
use crate::common::*;
use drydock_version::Scheme::Pep440;

#[test]
fn spec_ordering() {
    // PEP 440 "Summary of permitted suffixes and relative ordering"
    ascending(
        Pep440,
        &[
            "1.dev0",
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ],
    );
    ascending(Pep440, &["2012.15", "2013.1", "1!1.0", "1!2.0", "2!0.1"]);
}

#[test]
fn normalisation() {
    table(
        Pep440,
        "
        1.0 = 1.0.0
        1.0 = 1.0.0.0
        v1.0 = 1.0
        1.0ALPHA1 = 1.0a1
        1.0alpha1 = 1.0a1
        1.0-beta.2 = 1.0b2
        1.0c1 = 1.0rc1
        1.0pre1 = 1.0rc1
        1.0preview1 = 1.0rc1
        1.0a = 1.0a0
        1.0-1 = 1.0.post1
        1.0.rev1 = 1.0.post1
        1.0-r1 = 1.0.post1
        1.0.post = 1.0.post0
        1.0-dev = 1.0.dev0
        01.02 = 1.2
        0!1.0 = 1.0
        1.0+ubuntu-1 = 1.0+ubuntu.1
        1.0+ABC = 1.0+abc
        1.0.0.1 > 1.0
        1.0+1 > 1.0+a
        1.0+1.1 > 1.0+1
        ",
    );
}

#[test]
fn malformed() {
    for v in ["", "1.0-foo", "latest", "1.0+", "1.0..1", "1.0 1", "0.2.0-n653", "dev"] {
        invalid(Pep440, v);
    }
}

#[test]
fn requests_versions() {
    table(
        Pep440,
        "
        2.20.0 < 2.20.1
        2.20.0 > 2.3.0
        2.20.0 < 2.31.0
        2.6.0 < 2.20.0
        2.20.0rc1 < 2.20.0
        ",
    );
}
