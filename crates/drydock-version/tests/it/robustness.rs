//! Untrusted input: nothing panics, work stays bounded, errors carry the input.
use drydock_version::{compare, in_range, parse, semver_satisfies, Event, Scheme, SemverFlavour, MAX_VERSION_LEN};

const ALL: [Scheme; 11] = [
    Scheme::Dpkg,
    Scheme::Rpm,
    Scheme::Apk,
    Scheme::Semver,
    Scheme::Pep440,
    Scheme::Maven,
    Scheme::Gem,
    Scheme::Go,
    Scheme::Generic,
    Scheme::Composer,
    Scheme::NuGet,
];

fn nasty() -> Vec<String> {
    let mut v: Vec<String> = [
        "",
        " ",
        "0",
        "-",
        ".",
        ":",
        "~",
        "^",
        "+",
        "_",
        "-r",
        "a",
        "1-",
        "1.",
        "1..",
        "v",
        "go",
        "1:",
        ":1",
        "1~",
        "1^",
        "1.0-r1-r2",
        "١٢٣",
        "1.0\u{0}",
        "1.0\n",
        "ß.1",
        "1.é",
        "*",
        "x",
        "||",
        "1 - 2",
        "0-0",
        "-0",
        "--1",
        "1--1",
        "1.-1",
        "a-1",
        "rc1",
        "1-rc-1-sp-1-ga",
        "18446744073709551616",
        "99999999999999999999999.1",
        "1.0+",
        "1.0+a+b",
        "1!2!3",
        "0!",
        "!1",
        "1.0a1b2c3",
        "1_alpha",
        "1.0_alpha_beta_rc_p",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("a1".repeat(500)); // deep Maven nesting
    v.push("1.".repeat(511) + "1");
    v.push("9".repeat(1000));
    v.push("1".repeat(MAX_VERSION_LEN + 1));
    v.push("~".repeat(1000));
    v.push("1-".repeat(400) + "1");
    v.push("2010-".repeat(200));
    v.push("2010".to_string() + &"01".repeat(500));
    v.push("1.0.0-beta".to_string() + &".1".repeat(400));
    v.push("dev-".repeat(250));
    v.push(format!("1.0.0-{}", "0".repeat(1000)));
    v
}

#[test]
fn no_panics_on_garbage() {
    let inputs = nasty();
    for s in ALL {
        for a in &inputs {
            let pa = parse(s, a);
            if let Err(e) = &pa {
                assert_eq!(e.scheme, s);
                assert!(e.version.chars().count() <= 201);
            }
            for b in inputs.iter().take(20) {
                let _ = compare(s, a, b);
            }
            let _ = in_range(s, a, &[Event::Introduced("0".into()), Event::Fixed(a.clone())]);
        }
    }
    for r in &inputs {
        for f in [SemverFlavour::Npm, SemverFlavour::Cargo] {
            let _ = semver_satisfies(r, "1.2.3", f);
        }
    }
}

#[test]
fn too_long_is_an_error_except_generic() {
    let long = "1".repeat(MAX_VERSION_LEN + 1);
    for s in ALL {
        assert_eq!(parse(s, &long).is_ok(), s == Scheme::Generic, "{s}");
    }
}

#[test]
fn ecosystem_names() {
    for (eco, want) in [
        ("PyPI", Scheme::Pep440),
        ("Debian:12", Scheme::Dpkg),
        ("Ubuntu:Pro:18.04:LTS", Scheme::Dpkg),
        ("Alpine:v3.20", Scheme::Apk),
        ("Wolfi", Scheme::Apk),
        ("Red Hat:rhel_aus:8.4::appstream", Scheme::Rpm),
        ("Rocky Linux:9", Scheme::Rpm),
        ("SUSE:Linux Enterprise Server 15 SP5", Scheme::Rpm),
        ("crates.io", Scheme::Semver),
        ("npm", Scheme::Semver),
        ("Go", Scheme::Go),
        ("Maven", Scheme::Maven),
        ("Maven:https://maven.google.com", Scheme::Maven),
        ("RubyGems", Scheme::Gem),
        ("Packagist", Scheme::Composer),
        ("NuGet", Scheme::NuGet),
        ("Hackage", Scheme::Generic),
    ] {
        assert_eq!(Scheme::for_ecosystem(eco), want, "{eco}");
    }
}
