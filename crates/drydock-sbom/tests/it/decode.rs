//! Reading SBOMs back: hand-written documents in each format, drydock's own encodings round
//! tripped, and hostile input.

use drydock_image::{ImageMeta, LayerInfo, SourceInfo};
use drydock_sbom::formats::decode::{detect_format, DecodeError, SbomFormat};
use drydock_sbom::formats::{read_sbom, to_cyclonedx_json, to_spdx_json};
use drydock_sbom::{
    cpe, Distro, Location, Package, PackageFile, PackageType, Purl, Relationship, RelationshipKind, Sbom, Scope,
};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const LAYER0: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const LAYER1: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/decode")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read_fixture(name: &str) -> Sbom {
    read_sbom(&fixture(name), &format!("sbom:{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What a user sees of an SBOM, one line per fact.
fn summary(s: &Sbom) -> String {
    let src = &s.image.source;
    let mut out = vec![format!(
        "source: {} {} ref={} manifest={} config={} tags={:?}",
        src.scheme,
        src.input,
        src.reference,
        src.manifest_digest.as_deref().unwrap_or("-"),
        src.config_digest.as_deref().unwrap_or("-"),
        src.tags
    )];
    if !s.image.layers.is_empty() {
        let layers: Vec<&str> = s.image.layers.iter().map(|l| l.digest.as_str()).collect();
        out.push(format!("layers: {layers:?}"));
    }
    if let Some(d) = &s.distro {
        out.push(format!(
            "distro: {} {} {} {} like={:?}",
            d.id,
            d.version_id,
            d.version_codename.as_deref().unwrap_or("-"),
            d.pretty_name.as_deref().unwrap_or("-"),
            d.id_like
        ));
    }
    let names: BTreeMap<&str, String> = s
        .packages
        .iter()
        .map(|p| (p.id.as_str(), format!("{}@{}", p.name, p.version)))
        .collect();
    for p in &s.packages {
        out.push(format!(
            "{} {} {} purl={} arch={} src={}/{} lic={:?} supplier={} size={} cpes={:?} by={} files={}",
            p.package_type,
            p.name,
            p.version,
            p.purl,
            p.architecture.as_deref().unwrap_or("-"),
            p.source_name.as_deref().unwrap_or("-"),
            p.source_version.as_deref().unwrap_or("-"),
            p.licenses,
            p.supplier.as_deref().unwrap_or("-"),
            p.installed_size.map(|s| s.to_string()).unwrap_or("-".into()),
            p.cpes,
            p.found_by,
            p.files.len(),
        ));
        for l in &p.locations {
            out.push(format!("    at {} layer {}", l.path, l.layer));
        }
    }
    for r in &s.relationships {
        out.push(format!(
            "{} -{:?}-> {}",
            names[r.from.as_str()],
            r.kind,
            names[r.to.as_str()]
        ));
    }
    for w in &s.warnings {
        out.push(format!("warning: {w}"));
    }
    out.join("\n")
}

fn assert_lines(actual: &str, expected: &str) {
    let expected: Vec<&str> = expected.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect();
    let actual: Vec<&str> = actual.lines().collect();
    if actual != expected {
        panic!(
            "summary differs\n--- expected\n{}\n--- actual\n{}\n",
            expected.join("\n"),
            actual.join("\n")
        );
    }
}

/// Every package has the id drydock computes or a 16-digit one it carried, and ids are unique.
fn assert_ids(s: &Sbom) {
    let mut seen = std::collections::BTreeSet::new();
    for p in &s.packages {
        assert_eq!(p.id.len(), 16, "{}: id {}", p.name, p.id);
        assert!(seen.insert(p.id.clone()), "repeated id {}", p.id);
    }
}

#[test]
fn formats_are_detected_from_their_markers() {
    for (name, format) in [
        ("syft.json", SbomFormat::Syft),
        ("cyclonedx-1.5.json", SbomFormat::CycloneDx),
        ("spdx-2.3.json", SbomFormat::Spdx),
        ("spdx-2.2.json", SbomFormat::Spdx),
        ("drydock.json", SbomFormat::Drydock),
    ] {
        let doc: Value = serde_json::from_slice(&fixture(name)).unwrap();
        assert_eq!(detect_format(&doc), Some(format), "{name}");
    }
    assert_eq!(detect_format(&json!({"artifacts": []})), None);
    assert_eq!(detect_format(&json!([])), None);
}

#[test]
fn syft_json_is_read() {
    let s = read_fixture("syft.json");
    assert_ids(&s);
    assert_eq!(s.image.config.architecture, "amd64");
    assert_lines(
        &summary(&s),
        r#"
source: sbom sbom:syft.json ref=docker.io/fx/bookworm:rich manifest=sha256:d8bd334ddb2ff3741ca4766e27023cedd43d42c7c14349d6428c4ceac3b7c264 config=sha256:cfe0dc64434f289bae8b01eb021f301203e5ee5a35128416e0842f48876664e5 tags=["docker.io/fx/bookworm:rich"]
layers: ["sha256:e1c12f916822341330cd8c215b40b95b8b4fb7cbc0aee81effbf67f54f766f21", "sha256:a228d47ed206ee615bc481b29249ab37144297c909a2ea8c42c799799fe12bb9"]
distro: debian 12 bookworm Debian GNU/Linux 12 (bookworm) like=[]
deb bsdutils 1:2.38.1-5+deb12u3 purl=pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5%2Bdeb12u3 arch=amd64 src=util-linux/2.38.1-5+deb12u3 lic=["BSD-3-clause", "GPL-2+", "public-domain"] supplier=util-linux packagers <util-linux@packages.debian.org> size=363520 cpes=["cpe:2.3:a:bsdutils:bsdutils:1\\:2.38.1-5\\+deb12u3:*:*:*:*:*:*:*"] by=dpkg-db-cataloger files=2
    at /usr/share/doc/bsdutils/copyright layer 0
    at /var/lib/dpkg/status layer 1
deb libc6 2.36-9+deb12u9 purl=pkg:deb/debian/libc6@2.36-9%2Bdeb12u9?arch=amd64&distro=debian-12&upstream=glibc arch=amd64 src=glibc/- lic=[] supplier=- size=12288000 cpes=[] by=dpkg-db-cataloger files=0
    at /var/lib/dpkg/status layer 0
python certifi 2018.8.24 purl=pkg:pypi/certifi@2018.8.24 arch=- src=-/- lic=["MPL-2.0"] supplier=Kenneth Reitz size=- cpes=["cpe:2.3:a:kennethreitz:certifi:2018.8.24:*:*:*:*:python:*:*"] by=python-installed-package-cataloger files=1
    at /opt/venv/lib/python3.11/site-packages/certifi-2018.8.24.dist-info/METADATA layer 1
    at /opt/venv/lib/python3.11/site-packages/certifi-2018.8.24.dist-info/RECORD layer 1
npm @ampproject/remapping 2.2.0 purl=pkg:npm/%40ampproject/remapping@2.2.0 arch=- src=-/- lic=["Apache-2.0"] supplier=Justin Ridgewell <jridgewell@google.com> size=- cpes=["cpe:2.3:a:\\@ampproject\\/remapping:\\@ampproject\\/remapping:2.2.0:*:*:*:*:*:*:*"] by=javascript-package-cataloger files=0
    at /usr/share/nodejs/@ampproject/remapping/package.json layer 1
java-archive bson 3.6.3 purl=pkg:maven/org.mongodb.bson/bson@3.6.3 arch=- src=-/- lic=[] supplier=- size=- cpes=["cpe:2.3:a:org.mongodb.bson:bson:3.6.3:*:*:*:*:*:*:*", "cpe:2.3:a:mongodb:bson:3.6.3:*:*:*:*:*:*:*"] by=java-archive-cataloger files=0
    at /usr/share/java/bson-3.6.3.jar layer 1
go-module github.com/docker/distribution/cmd/registry v2.8.2+ds1 purl=pkg:golang/github.com/docker/distribution@v2.8.2%2Bds1#cmd/registry arch=amd64 src=-/- lic=[] supplier=- size=- cpes=[] by=go-module-binary-cataloger files=0
    at /usr/bin/docker-registry layer 1
binary luasocket 3.1.0-1 purl=pkg:luarocks/luasocket@3.1.0-1 arch=- src=-/- lic=[] supplier=- size=- cpes=[] by=lua-rock-cataloger files=0
    at /usr/lib/luarocks/rocks/luasocket/3.1.0-1/luasocket-3.1.0-1.rockspec layer 0
bsdutils@1:2.38.1-5+deb12u3 -OwnershipByFiles-> @ampproject/remapping@2.2.0
bsdutils@1:2.38.1-5+deb12u3 -DependsOn-> libc6@2.36-9+deb12u9
bson@3.6.3 -Contains-> github.com/docker/distribution/cmd/registry@v2.8.2+ds1
warning: sbom:syft.json: $.artifacts[7]: an artifact without a name; skipped
warning: sbom:syft.json: $.artifacts[8]: expected an object, found a string
warning: sbom:syft.json: $.artifactRelationships[5]: incomplete relationship; skipped
warning: sbom:syft.json: package types drydock does not model were read as binary: lua-rocks (1)
"#,
    );
}

#[test]
fn cyclonedx_from_another_tool_is_read() {
    let s = read_fixture("cyclonedx-1.5.json");
    assert_ids(&s);
    assert_lines(
        &summary(&s),
        r#"
source: sbom sbom:cyclonedx-1.5.json ref=alpine:3.20 manifest=sha256:0000000000000000000000000000000000000000000000000000000000000abc config=- tags=[]
distro: alpine 3.20.3 - Alpine Linux v3.20 like=[]
apk busybox 1.36.1-r29 purl=pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64 arch=x86_64 src=-/- lic=["GPL-2.0-only"] supplier=- size=- cpes=[] by=sbom-cyclonedx files=0
apk musl 1.2.5-r0 purl=pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=3.20.3 arch=x86_64 src=musl/- lic=["MIT"] supplier=Timo Teräs <timo.teras@iki.fi> size=- cpes=["cpe:2.3:a:musl-libc:musl:1.2.5-r0:*:*:*:*:*:*:*"] by=sbom-cyclonedx files=0
python requests 2.31.0 purl=pkg:pypi/requests@2.31.0 arch=- src=-/- lic=["Apache-2.0", "MIT OR BSD-3-Clause"] supplier=Kenneth Reitz size=- cpes=[] by=sbom-cyclonedx files=0
npm body-parser 1.20.1 purl=pkg:npm/body-parser@1.20.1 arch=- src=-/- lic=[] supplier=- size=- cpes=[] by=sbom-cyclonedx files=0
npm express 4.18.2 purl=pkg:npm/express@4.18.2 arch=- src=-/- lic=["MIT License"] supplier=- size=- cpes=[] by=sbom-cyclonedx files=0
rust-crate serde 1.0.200 purl=pkg:cargo/serde@1.0.200 arch=- src=-/- lic=[] supplier=- size=- cpes=[] by=sbom-cyclonedx files=0
binary weird  purl= arch=- src=-/- lic=[] supplier=- size=- cpes=[] by=sbom-cyclonedx files=0
busybox@1.36.1-r29 -DependsOn-> musl@1.2.5-r0
express@4.18.2 -Contains-> body-parser@1.20.1
express@4.18.2 -DependsOn-> body-parser@1.20.1
warning: sbom:cyclonedx-1.5.json: $.components[7]: a component without a name; skipped
warning: sbom:cyclonedx-1.5.json: $.components[8].version: expected a string, found a number
warning: sbom:cyclonedx-1.5.json: $.dependencies[2].dependsOn[2]: expected a string
warning: sbom:cyclonedx-1.5.json: $.dependencies[3]: a dependency without a ref
warning: sbom:cyclonedx-1.5.json: package types drydock does not model were read as binary: untyped (1)
"#,
    );
}

#[test]
fn spdx_2_3_from_another_tool_is_read() {
    let s = read_fixture("spdx-2.3.json");
    assert_ids(&s);
    assert_lines(
        &summary(&s),
        r#"
source: sbom sbom:spdx-2.3.json ref=registry.example/app:1.0 manifest=sha256:1111111111111111111111111111111111111111111111111111111111111111 config=- tags=[]
distro: debian 12 - Debian GNU/Linux 12 (bookworm) like=[]
deb libssl3 3.0.15-1~deb12u1 purl=pkg:deb/debian/libssl3@3.0.15-1~deb12u1?arch=amd64&upstream=openssl%403.0.15-1~deb12u1 arch=amd64 src=openssl/3.0.15-1~deb12u1 lic=["Apache-2.0"] supplier=- size=- cpes=[] by=sbom-spdx files=0
deb openssl 3.0.15-1~deb12u1 purl=pkg:deb/debian/openssl@3.0.15-1~deb12u1?arch=amd64&upstream=openssl&distro=debian-12 arch=amd64 src=openssl/- lic=["Apache-2.0", "Artistic"] supplier=Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net> size=- cpes=["cpe:2.3:a:openssl:openssl:3.0.15-1\\~deb12u1:*:*:*:*:*:*:*"] by=DPKG DB files=0
    at /usr/share/doc/openssl/copyright layer 0
    at /var/lib/dpkg/status layer 0
npm lodash 4.17.21 purl=pkg:npm/lodash@4.17.21 arch=- src=-/- lic=["MIT"] supplier=- size=- cpes=[] by=installed node module manifest file files=0
    at /app/node_modules/lodash/package.json layer 0
binary mystery 0.1 purl= arch=- src=-/- lic=[] supplier=- size=- cpes=[] by=sbom-spdx files=0
mystery@0.1 -DependsOn-> lodash@4.17.21
openssl@3.0.15-1~deb12u1 -DependsOn-> libssl3@3.0.15-1~deb12u1
libssl3@3.0.15-1~deb12u1 -OwnershipByFiles-> lodash@4.17.21
warning: sbom:spdx-2.3.json: $.packages[6]: a package without a name; skipped
warning: sbom:spdx-2.3.json: $.packages[7]: expected an object, found a number
warning: sbom:spdx-2.3.json: $.relationships[7]: incomplete relationship; skipped
warning: sbom:spdx-2.3.json: package types drydock does not model were read as binary: untyped (1)
"#,
    );
}

#[test]
fn spdx_2_2_describing_a_package_is_read() {
    let s = read_fixture("spdx-2.2.json");
    assert_ids(&s);
    assert_lines(
        &summary(&s),
        r#"
source: sbom sbom:spdx-2.2.json ref=my-app manifest=- config=- tags=[]
gem rack 2.2.8 purl=pkg:gem/rack@2.2.8 arch=- src=-/- lic=["MIT"] supplier=Rack Core Team size=- cpes=[] by=sbom-spdx files=0
"#,
    );
}

#[test]
fn drydock_json_is_read() {
    let s = read_fixture("drydock.json");
    assert_ids(&s);
    assert_lines(
        &summary(&s),
        r#"
source: sbom sbom:drydock.json ref=app.tar manifest=- config=sha256:cfe0dc64434f289bae8b01eb021f301203e5ee5a35128416e0842f48876664e5 tags=["docker.io/fx/app:1"]
layers: ["sha256:e1c12f916822341330cd8c215b40b95b8b4fb7cbc0aee81effbf67f54f766f21"]
distro: debian 12 bookworm - like=[]
deb adduser 3.134 purl=pkg:deb/debian/adduser@3.134?arch=all&distro=debian-12 arch=all src=-/- lic=["GPL-2"] supplier=Debian Adduser Developers <adduser@packages.debian.org> size=702464 cpes=["cpe:2.3:a:adduser:adduser:3.134:*:*:*:*:*:*:*"] by=dpkg-db-cataloger files=1
    at /var/lib/dpkg/status layer 0
deb passwd 1:4.13+dfsg1-1 purl=pkg:deb/debian/passwd@1:4.13%2Bdfsg1-1?arch=amd64&distro=debian-12 arch=- src=-/- lic=[] supplier=- size=- cpes=[] by=dpkg-db-cataloger files=0
    at /var/lib/dpkg/status layer 0
passwd@1:4.13+dfsg1-1 -DependsOn-> adduser@3.134
warning: /var/lib/dpkg/status: paragraph 7 has no Package field
warning: sbom:drydock.json: $.packages[2]: skipped: unknown variant `no-such-type`, expected one of `deb`, `rpm`, `apk`, `python`, `npm`, `java-archive`, `gem`, `go-module`, `rust-crate`, `php`, `dotnet`, `binary`
warning: sbom:drydock.json: $.relationships[2]: skipped: missing field `to`
"#,
    );
}

// ---------------------------------------------------------------------------------------------
// Round trips: drydock's own documents read back.

fn loc(path: &str, layer: usize, digest: &str) -> Location {
    Location {
        path: path.into(),
        layer,
        layer_digest: digest.into(),
    }
}

fn original() -> Sbom {
    let mut deb = Package::new(PackageType::Deb, "perl-base", "5.36.0-7+deb12u1", "dpkg-db-cataloger");
    deb.architecture = Some("amd64".into());
    deb.source_name = Some("perl".into());
    deb.source_version = Some("5.36.0-7+deb12u1".into());
    deb.licenses = vec!["GPL-2.0-only".into(), "Artistic".into()];
    deb.supplier = Some("Niko Tyni <ntyni@debian.org>".into());
    deb.installed_size = Some(7_000_000);
    deb.purl = Purl::new("deb", "perl-base")
        .namespace("debian")
        .version("5.36.0-7+deb12u1")
        .qualifier("arch", "amd64")
        .qualifier("distro", "debian-12")
        .to_string();
    deb.cpes = cpe::for_os_package("perl-base", "5.36.0", Some("debian"));
    deb.locations = vec![loc("/var/lib/dpkg/status", 0, LAYER0)];
    deb.files = vec![PackageFile {
        path: "/usr/bin/perl".into(),
        digest: Some("md5:0123456789abcdef0123456789abcdef".into()),
    }];

    let mut rpm = Package::new(PackageType::Rpm, "gcc-c++", "1:8.5.0-4.el8", "rpm-db-cataloger");
    rpm.architecture = Some("x86_64".into());
    rpm.licenses = vec!["GPLv3+ and GPLv3+ with exceptions".into()];
    rpm.supplier = Some("Red Hat, Inc.".into());
    rpm.purl = Purl::new("rpm", "gcc-c++")
        .namespace("redhat")
        .version("1:8.5.0-4.el8")
        .qualifier("arch", "x86_64")
        .to_string();
    rpm.cpes = vec![cpe::application("gnu", "gcc-c++", "8.5.0")];
    rpm.locations = vec![loc("/var/lib/rpm/rpmdb.sqlite", 1, LAYER1)];

    let mut py = Package::new(PackageType::Python, "requests", "2.31.0", "python-installed-cataloger");
    py.licenses = vec!["MIT OR Apache-2.0".into()];
    py.purl = Purl::new("pypi", "requests").version("2.31.0").to_string();
    py.locations = vec![
        loc(
            "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
            1,
            LAYER1,
        ),
        loc(
            "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/RECORD",
            1,
            LAYER1,
        ),
    ];

    let mut npm = Package::new(PackageType::Npm, "core", "7.24.0", "javascript-package-cataloger");
    npm.name = "@babel/core".into();
    npm.licenses = vec!["MIT".into()];
    npm.purl = Purl::new("npm", "core")
        .namespace("@babel")
        .version("7.24.0")
        .to_string();
    npm.locations = vec![loc("/app/node_modules/@babel/core/package.json", 1, LAYER1)];

    let mut bin = Package::new(PackageType::Binary, "busybox", "1.36.1", "binary-classifier-cataloger");
    bin.purl = Purl::new("generic", "busybox").version("1.36.1").to_string();
    bin.cpes = vec![cpe::application("busybox", "busybox", "1.36.1")];
    bin.locations = vec![loc("/bin/busybox", 0, LAYER0)];

    let mut go = Package::new(
        PackageType::GoModule,
        "golang.org/x/net",
        "v0.20.0",
        "go-module-binary-cataloger",
    );
    go.purl = Purl::new("golang", "net")
        .namespace("golang.org/x")
        .version("v0.20.0")
        .to_string();
    go.locations = vec![loc("/usr/bin/app", 1, LAYER1)];

    let mut packages = vec![deb, rpm, py, npm, bin, go];
    for p in &mut packages {
        p.compute_id();
    }
    let id = |i: usize| packages[i].id.clone();
    let relationships = vec![
        Relationship {
            from: id(2),
            to: id(0),
            kind: RelationshipKind::DependsOn,
        },
        Relationship {
            from: id(0),
            to: id(2),
            kind: RelationshipKind::OwnershipByFiles,
        },
        Relationship {
            from: id(4),
            to: id(5),
            kind: RelationshipKind::Contains,
        },
    ];
    let mut sbom = Sbom {
        scope: Scope::AllLayers,
        image: ImageMeta {
            source: SourceInfo {
                scheme: "registry".into(),
                input: "debian:12".into(),
                reference: "docker.io/library/debian:12".into(),
                manifest_digest: Some(format!("sha256:{}", "1".repeat(64))),
                config_digest: Some(format!("sha256:{}", "2".repeat(64))),
                tags: vec!["12".into()],
            },
            layers: vec![
                LayerInfo {
                    index: 0,
                    digest: LAYER0.into(),
                    ..Default::default()
                },
                LayerInfo {
                    index: 1,
                    digest: LAYER1.into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        },
        distro: Some(Distro {
            id: "debian".into(),
            version_id: "12".into(),
            version_codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            id_like: vec![],
        }),
        packages,
        relationships,
        ..Default::default()
    };
    sbom.normalize();
    sbom
}

fn decode_value(doc: &Value, origin: &str) -> Sbom {
    let bytes = serde_json::to_vec_pretty(doc).unwrap();
    read_sbom(&bytes, origin).unwrap_or_else(|e| panic!("{origin}: {e}"))
}

#[test]
fn native_json_round_trips_losslessly() {
    let orig = original();
    let back = decode_value(&serde_json::to_value(&orig).unwrap(), "sbom:native.json");
    assert_eq!(back.packages, orig.packages);
    assert_eq!(back.relationships, orig.relationships);
    assert_eq!(back.distro, orig.distro);
    assert_eq!(back.scope, Scope::AllLayers);
    assert_eq!(back.image.layers, orig.image.layers);
    let src = &back.image.source;
    assert_eq!((src.scheme.as_str(), src.input.as_str()), ("sbom", "sbom:native.json"));
    assert_eq!(src.reference, "docker.io/library/debian:12");
    assert_eq!(src.manifest_digest, orig.image.source.manifest_digest);
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
}

#[test]
fn cyclonedx_round_trips_every_field_it_carries() {
    let orig = original();
    let back = decode_value(&to_cyclonedx_json(&orig), "sbom:out.cdx.json");
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    // CycloneDX carries everything but the files.
    let mut expected = orig.packages.clone();
    for p in &mut expected {
        p.files.clear();
    }
    assert_eq!(back.packages, expected);
    // Every relationship kind is a dependsOn edge in CycloneDX.
    let edges = |s: &Sbom| -> Vec<(String, String)> {
        s.relationships.iter().map(|r| (r.from.clone(), r.to.clone())).collect()
    };
    assert_eq!(edges(&back), edges(&orig));
    assert!(back.relationships.iter().all(|r| r.kind == RelationshipKind::DependsOn));
    assert_eq!(back.distro, orig.distro);
    assert_eq!(back.scope, Scope::AllLayers);
    let (src, o) = (&back.image.source, &orig.image.source);
    assert_eq!(src.scheme, "sbom");
    assert_eq!(src.reference, o.reference);
    assert_eq!(src.manifest_digest, o.manifest_digest);
    assert_eq!(src.config_digest, o.config_digest);
    assert_eq!(src.tags, o.tags);
    let layers: Vec<&str> = back.image.layers.iter().map(|l| l.digest.as_str()).collect();
    assert_eq!(layers, [LAYER0, LAYER1]);
}

#[test]
fn spdx_round_trips_identity_licenses_and_relationships() {
    let orig = original();
    let back = decode_value(&to_spdx_json(&orig), "sbom:out.spdx.json");
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
    assert_eq!(back.packages.len(), orig.packages.len());
    for (b, o) in back.packages.iter().zip(&orig.packages) {
        let what = &o.name;
        assert_eq!(b.id, o.id, "{what}");
        assert_eq!(
            (b.package_type, &b.name, &b.version, &b.purl),
            (o.package_type, &o.name, &o.version, &o.purl),
            "{what}"
        );
        assert_eq!(b.cpes, o.cpes, "{what}");
        assert_eq!(b.found_by, o.found_by, "{what}");
        assert_eq!(b.supplier, o.supplier, "{what}");
        // Licenses come back as SPDX spells them; these are already canonical, except the RPM
        // string that is not an expression and comes back verbatim through its LicenseRef.
        assert_eq!(b.licenses, o.licenses, "{what}");
        // SPDX carries the paths, not the layers.
        let paths = |p: &Package| p.locations.iter().map(|l| l.path.clone()).collect::<Vec<_>>();
        assert_eq!(paths(b), paths(o), "{what}");
        // Architecture comes back from the purl.
        assert_eq!(b.architecture, o.architecture, "{what}");
    }
    assert_eq!(back.relationships, orig.relationships);
    let d = back.distro.expect("distro");
    assert_eq!((d.id.as_str(), d.version_id.as_str()), ("debian", "12"));
    assert_eq!(d.pretty_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    assert_eq!(back.image.source.reference, "docker.io/library/debian:12");
}

#[test]
fn spdx_operating_system_purpose_is_read_in_both_spellings() {
    let orig = original();
    let doc = to_spdx_json(&orig);
    let os = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "debian")
        .expect("the distro is a package");
    // The JSON schema's enum spelling; the specification's prose writes OPERATING-SYSTEM.
    assert_eq!(os["primaryPackagePurpose"], "OPERATING_SYSTEM");
    for spelling in ["OPERATING_SYSTEM", "OPERATING-SYSTEM", "operating-system"] {
        let mut d = doc.clone();
        for p in d["packages"].as_array_mut().unwrap() {
            if p["name"] == "debian" {
                p["primaryPackagePurpose"] = spelling.into();
            }
        }
        let back = decode_value(&d, "sbom:os.spdx.json");
        let distro = back.distro.unwrap_or_else(|| panic!("{spelling}: no distro"));
        assert_eq!(
            (distro.id.as_str(), distro.version_id.as_str()),
            ("debian", "12"),
            "{spelling}"
        );
        assert!(
            !back.packages.iter().any(|p| p.name == "debian"),
            "{spelling}: not a package"
        );
    }
}

#[test]
fn decoded_sboms_encode_again() {
    // Whatever was read can be written in every format: the CLI relies on it.
    for name in ["syft.json", "cyclonedx-1.5.json", "spdx-2.3.json", "drydock.json"] {
        let s = read_fixture(name);
        let cdx = to_cyclonedx_json(&s);
        let again = decode_value(&cdx, name);
        let key = |s: &Sbom| -> Vec<(PackageType, String, String, String)> {
            s.packages
                .iter()
                .map(|p| (p.package_type, p.name.clone(), p.version.clone(), p.purl.clone()))
                .collect()
        };
        assert_eq!(key(&again), key(&s), "{name}");
        let spdx = to_spdx_json(&s);
        assert_eq!(key(&decode_value(&spdx, name)), key(&s), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile input.

#[test]
fn what_is_not_an_sbom_is_a_clear_error() {
    let err = |bytes: &[u8]| read_sbom(bytes, "sbom:x.json").unwrap_err();
    let e = err(b"{\"bomFormat\": \"CycloneDX\", ");
    assert!(matches!(e, DecodeError::Json { .. }), "{e}");
    assert!(e.to_string().starts_with("sbom:x.json: not valid JSON"), "{e}");
    let e = err(b"[1, 2]");
    assert!(matches!(&e, DecodeError::Invalid { path, .. } if path == "$"), "{e}");
    let e = err(b"{\"name\": \"x\", \"packages\": []}");
    assert!(matches!(e, DecodeError::UnknownFormat { .. }), "{e}");
    assert!(e.to_string().contains("top-level keys: name, packages"), "{e}");
    assert!(
        e.to_string().contains("CycloneDX JSON, SPDX 2.2/2.3 JSON, Syft JSON"),
        "{e}"
    );
    let e = err(b"  <?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"></bom>");
    assert!(e.to_string().contains("CycloneDX XML is not supported"), "{e}");
    let e = err(b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n");
    assert!(e.to_string().contains("SPDX tag-value"), "{e}");
    let e = err(b"");
    assert!(matches!(e, DecodeError::Json { .. }), "{e}");
    let e = err(br#"{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": {"a": 1}}"#);
    assert!(
        matches!(&e, DecodeError::Invalid { path, .. } if path == "$.components"),
        "{e}"
    );
    let e = err(br#"{"spdxVersion": "SPDX-2.3", "packages": "none"}"#);
    assert!(
        matches!(&e, DecodeError::Invalid { path, .. } if path == "$.packages"),
        "{e}"
    );
    let e = err(br#"{"artifacts": 3, "descriptor": {"name": "syft"}}"#);
    assert!(
        matches!(&e, DecodeError::Invalid { path, .. } if path == "$.artifacts"),
        "{e}"
    );
}

/// Every node of a document, as a JSON pointer.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, c) in m {
                pointers(c, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(a) => {
            for (i, c) in a.iter().enumerate() {
                pointers(c, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

#[test]
fn wrong_types_anywhere_never_panic() {
    let replacements = [
        json!(null),
        json!(7),
        json!(-1.5e300),
        json!("x"),
        json!("é (ü) AND ä-1 OR pkg:é/ü@1?distro=ö-1&upstream=x.src.rpm"),
        json!([]),
        json!({}),
        json!([1, "a", null]),
    ];
    let mut decoded = 0;
    for name in [
        "syft.json",
        "cyclonedx-1.5.json",
        "spdx-2.3.json",
        "spdx-2.2.json",
        "drydock.json",
    ] {
        let doc: Value = serde_json::from_slice(&fixture(name)).unwrap();
        let mut ptrs = Vec::new();
        pointers(&doc, String::new(), &mut ptrs);
        for ptr in ptrs.iter().filter(|p| !p.is_empty()) {
            for rep in &replacements {
                let mut d = doc.clone();
                *d.pointer_mut(ptr).unwrap() = rep.clone();
                if read_sbom(&serde_json::to_vec(&d).unwrap(), name).is_ok() {
                    decoded += 1;
                }
            }
        }
    }
    assert!(decoded > 1000, "most mutations still read: {decoded}");
}

#[test]
fn truncated_documents_are_errors() {
    let bytes = fixture("cyclonedx-1.5.json");
    for len in (0..bytes.len() - 2).step_by(97) {
        assert!(read_sbom(&bytes[..len], "cut").is_err(), "prefix of {len} bytes");
    }
}

#[test]
fn deep_nesting_is_bounded() {
    // JSON nesting beyond the parser's limit is an error, not a stack overflow.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        read_sbom(deep.as_bytes(), "deep"),
        Err(DecodeError::Json { .. } | DecodeError::Invalid { .. })
    ));
    let deep = format!(
        r#"{{"bomFormat":"CycloneDX","components":[{}{}],"x":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000),
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(read_sbom(deep.as_bytes(), "deep").is_err());
    // Nested CycloneDX components are followed to a bound.
    let mut comp = json!({"type": "library", "name": "leaf", "version": "1", "purl": "pkg:npm/leaf@1"});
    for i in 0..40 {
        comp = json!({"type": "library", "name": format!("n{i}"), "version": "1", "components": [comp]});
    }
    let bom = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": [comp]});
    let s = decode_value(&bom, "nested");
    assert!(s.packages.len() < 40);
    assert!(s.packages.len() >= 30);
    assert!(
        s.warnings.iter().any(|w| w.contains("nested more than 32 deep")),
        "{:?}",
        s.warnings
    );
    assert!(s.relationships.iter().all(|r| r.kind == RelationshipKind::Contains));
}

#[test]
fn many_packages_and_warnings_stay_bounded() {
    let mut comps = Vec::new();
    for i in 0..5000 {
        comps.push(json!({"type": "library", "name": format!("p{i}"), "version": 1}));
    }
    let bom = json!({"bomFormat": "CycloneDX", "specVersion": "1.6", "components": comps});
    let s = decode_value(&bom, "many");
    assert_eq!(s.packages.len(), 5000);
    assert!(s.warnings.len() <= 1003, "{}", s.warnings.len());
    assert!(s.warnings.iter().any(|w| w.ends_with("more warnings not shown")));
}

#[test]
fn fuzz_entry_survives_garbage() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let fixtures: Vec<Vec<u8>> = ["syft.json", "cyclonedx-1.5.json", "spdx-2.3.json", "drydock.json"]
        .iter()
        .map(|n| fixture(n))
        .collect();
    for round in 0..400 {
        let mut data = fixtures[round % fixtures.len()].clone();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let i = (seed as usize) % data.len();
            data[i] = (seed >> 32) as u8;
        }
        drydock_sbom::formats::decode::fuzz_entry(&data);
    }
}

/// Real Syft output for the rich fixture image, when it is on this machine.
#[test]
#[ignore = "needs /tmp/bench/dockerarchive-rich.syft.json"]
fn real_syft_output_is_read_completely() {
    let path = "/tmp/bench/dockerarchive-rich.syft.json";
    let bytes = std::fs::read(path).expect("syft output");
    let s = read_sbom(&bytes, path).expect("readable");
    let doc: Value = serde_json::from_slice(&bytes).unwrap();
    let mut want: Vec<(String, String, String)> = doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["type"].as_str().unwrap().to_string(),
                a["name"].as_str().unwrap().to_string(),
                a["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut got: Vec<(String, String, String)> = s
        .packages
        .iter()
        .map(|p| (p.package_type.to_string(), p.name.clone(), p.version.clone()))
        .collect();
    want.sort();
    want.dedup();
    got.sort();
    got.dedup();
    assert_eq!(got, want);
    eprintln!(
        "{} packages, {} relationships, {} warnings: {:?}",
        s.packages.len(),
        s.relationships.len(),
        s.warnings.len(),
        s.warnings
    );
    assert_eq!(s.distro.as_ref().map(|d| d.id.as_str()), Some("debian"));
    assert!(s.packages.iter().all(|p| !p.locations.is_empty()));
}

/// Every row of the package-type table: its purl type parses, and a package of the type read
/// back from drydock's CycloneDX and SPDX, and from a purl alone, keeps its type.
#[test]
fn every_package_type_row_round_trips_through_purls_and_sboms() {
    for row in drydock_ecosystem::TYPES {
        let purl = Purl::new(row.purl_type, "thing").version("1.2.3").to_string();
        let parsed = Purl::parse(&purl).unwrap_or_else(|| panic!("{}: {purl} does not parse", row.name));
        assert_eq!(parsed.ty, row.purl_type, "{purl}");
        assert_eq!(PackageType::from_purl_type(&parsed.ty), Some(row.ty));

        let mut p = Package::new(row.ty, "thing", "1.2.3", "test-cataloger");
        p.purl = purl.clone();
        p.locations.push(Location {
            path: "/x".into(),
            layer: 0,
            layer_digest: LAYER0.into(),
        });
        p.compute_id();
        let mut sbom = Sbom::default();
        sbom.packages.push(p);
        for (format, doc) in [("cyclonedx", to_cyclonedx_json(&sbom)), ("spdx", to_spdx_json(&sbom))] {
            let back = read_sbom(doc.to_string().as_bytes(), format).unwrap();
            assert_eq!(back.packages[0].package_type, row.ty, "{} via {format}", row.name);
        }
        // A peer's document that gives only the purl.
        let doc = json!({"bomFormat": "CycloneDX", "specVersion": "1.5",
            "components": [{"type": "library", "name": "thing", "version": "1.2.3", "purl": purl}]});
        let back = read_sbom(doc.to_string().as_bytes(), "purl-only").unwrap();
        assert_eq!(back.packages[0].package_type, row.ty, "{} from its purl", row.name);
    }
}

// ---------------------------------------------------------------------------------------------
// Streaming from a reader.

#[test]
fn a_reader_gives_what_the_same_bytes_give() {
    use drydock_sbom::formats::decode::stream_sbom_from;
    use std::io::Cursor;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/decode");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    for name in &names {
        let bytes = fixture(name);
        let whole = read_sbom(&bytes, name).map(|s| serde_json::to_value(s).unwrap());
        let streamed = stream_sbom_from(Cursor::new(bytes.clone()), name).map(|s| serde_json::to_value(s).unwrap());
        match (whole, streamed) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}"),
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
            (a, b) => panic!("{name}: {:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
        }
        // With a byte-order mark too.
        let mut bom = b"\xef\xbb\xbf".to_vec();
        bom.extend_from_slice(&bytes);
        let a = read_sbom(&bom, name)
            .map(|s| s.packages.len())
            .map_err(|e| e.to_string());
        let b = stream_sbom_from(Cursor::new(bom), name)
            .map(|s| s.packages.len())
            .map_err(|e| e.to_string());
        assert_eq!(a, b, "{name} with a byte-order mark");
    }
    // What the prefix tells is refused the same way.
    for doc in [
        &b"  <?xml version=\"1.0\"?><bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"></bom>"[..],
        b"SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\n",
        b"{\"bomFormat\": \"CycloneDX\", ",
        b"[1, 2]",
    ] {
        let a = read_sbom(doc, "x").unwrap_err().to_string();
        let b = stream_sbom_from(Cursor::new(doc.to_vec()), "x")
            .unwrap_err()
            .to_string();
        assert_eq!(a, b);
    }
}

#[test]
fn a_reader_that_fails_midway_is_an_error_not_a_short_sbom() {
    use drydock_sbom::formats::decode::stream_sbom_from;
    use std::io::{Cursor, Read, Seek, SeekFrom};
    /// Reads its document whole on the first pass, then fails from the second pass on.
    struct Flaky {
        inner: Cursor<Vec<u8>>,
        passes: usize,
    }
    impl Read for Flaky {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.passes > 2 && self.inner.position() > 10 {
                return Err(std::io::Error::other("disk on fire"));
            }
            self.inner.read(buf)
        }
    }
    impl Seek for Flaky {
        fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
            if matches!(to, SeekFrom::Start(_)) {
                self.passes += 1;
            }
            self.inner.seek(to)
        }
    }
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","version":"1"}]}"#;
    let e = stream_sbom_from(
        Flaky {
            inner: Cursor::new(doc.to_vec()),
            passes: 0,
        },
        "flaky",
    )
    .unwrap_err();
    assert!(matches!(e, DecodeError::Io { .. }), "{e}");
    assert!(e.to_string().contains("disk on fire"), "{e}");
}
