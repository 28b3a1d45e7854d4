//! CycloneDX and SPDX encodings, read back the way a consumer's tool reads them.

use drydock_image::{ImageMeta, LayerInfo, SourceInfo};
use drydock_sbom::formats::{
    to_cyclonedx_json, to_cyclonedx_json_with, to_spdx_json_with, write_cyclonedx_with, write_spdx_with, EncodeOptions,
};
use drydock_sbom::{cpe, Distro, Location, Package, PackageType, Purl, Relationship, RelationshipKind, Sbom};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

const MANIFEST: &str = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
const CONFIG: &str = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
const LAYER0: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const LAYER1: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn opts() -> EncodeOptions {
    EncodeOptions::at_unix(1_700_000_000)
}

fn deb() -> Package {
    let mut p = Package::new(PackageType::Deb, "perl-base", "5.36.0-7+deb12u1", "dpkg-db-cataloger");
    p.architecture = Some("amd64".into());
    p.source_name = Some("perl".into());
    p.source_version = Some("5.36.0-7+deb12u1".into());
    p.licenses = vec!["GPL-2.0-only".into(), "Artistic".into()];
    p.supplier = Some("Niko Tyni <ntyni@debian.org>".into());
    p.installed_size = Some(7_000_000);
    p.purl = Purl::new("deb", "perl-base")
        .namespace("debian")
        .version("5.36.0-7+deb12u1")
        .qualifier("arch", "amd64")
        .qualifier("distro", "debian-12")
        .to_string();
    p.cpes = cpe::for_os_package("perl-base", "5.36.0", Some("debian"));
    p.locations = vec![Location {
        path: "/var/lib/dpkg/status".into(),
        layer: 0,
        layer_digest: LAYER0.into(),
    }];
    p.compute_id();
    p
}

fn rpm() -> Package {
    let mut p = Package::new(PackageType::Rpm, "gcc-c++", "1:8.5.0-4.el8", "rpm-db-cataloger");
    p.architecture = Some("x86_64".into());
    p.licenses = vec!["GPLv3+ and GPLv3+ with exceptions".into()];
    p.supplier = Some("Red Hat, Inc.".into());
    p.purl = Purl::new("rpm", "gcc-c++")
        .namespace("redhat")
        .version("1:8.5.0-4.el8")
        .qualifier("arch", "x86_64")
        .to_string();
    p.cpes = vec![cpe::application("gnu", "gcc-c++", "8.5.0")];
    p.locations = vec![Location {
        path: "/var/lib/rpm/rpmdb.sqlite".into(),
        layer: 1,
        layer_digest: LAYER1.into(),
    }];
    p.compute_id();
    p
}

fn python() -> Package {
    let mut p = Package::new(PackageType::Python, "requests", "2.31.0", "python-installed-cataloger");
    p.licenses = vec!["apache-2.0 OR mit".into()];
    p.purl = Purl::new("pypi", "requests").version("2.31.0").to_string();
    p.locations = vec![Location {
        path: "/usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA".into(),
        layer: 1,
        layer_digest: LAYER1.into(),
    }];
    p.compute_id();
    p
}

fn sbom() -> Sbom {
    let (deb, rpm, py) = (deb(), rpm(), python());
    let relationships = vec![
        Relationship {
            from: py.id.clone(),
            to: deb.id.clone(),
            kind: RelationshipKind::DependsOn,
        },
        Relationship {
            from: deb.id.clone(),
            to: py.id.clone(),
            kind: RelationshipKind::OwnershipByFiles,
        },
        Relationship {
            from: rpm.id.clone(),
            to: py.id.clone(),
            kind: RelationshipKind::Contains,
        },
        // Dangling: must not produce a reference to a missing element.
        Relationship {
            from: deb.id.clone(),
            to: "0000000000000000".into(),
            kind: RelationshipKind::DependsOn,
        },
    ];
    Sbom {
        image: ImageMeta {
            source: SourceInfo {
                scheme: "registry".into(),
                input: "debian:12".into(),
                reference: "docker.io/library/debian:12".into(),
                manifest_digest: Some(MANIFEST.into()),
                config_digest: Some(CONFIG.into()),
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
        packages: vec![rpm, py, deb],
        relationships,
        ..Default::default()
    }
}

fn arr<'a>(v: &'a Value, key: &str) -> &'a Vec<Value> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array: {v}"))
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} is not a string: {v}"))
}

fn cdx_component<'a>(bom: &'a Value, name: &str) -> &'a Value {
    arr(bom, "components")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no component {name}"))
}

fn prop<'a>(c: &'a Value, name: &str) -> Option<&'a str> {
    c["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

#[test]
fn cyclonedx_header_and_root_component() {
    let bom = to_cyclonedx_json_with(&sbom(), &opts());
    assert_eq!(bom["bomFormat"], "CycloneDX");
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["version"], 1);
    let serial = s(&bom, "serialNumber");
    let uuid = serial.strip_prefix("urn:uuid:").expect("urn:uuid serial");
    assert_eq!(uuid.len(), 36);
    assert!(uuid
        .chars()
        .all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(&uuid[14..15], "4");

    let meta = &bom["metadata"];
    assert_eq!(meta["timestamp"], "2023-11-14T22:13:20Z");
    let tool = &meta["tools"]["components"][0];
    assert_eq!(tool["type"], "application");
    assert_eq!(tool["name"], "drydock");
    assert_eq!(tool["version"], env!("CARGO_PKG_VERSION"));

    let root = &meta["component"];
    assert_eq!(root["type"], "container");
    assert_eq!(root["name"], "docker.io/library/debian:12");
    assert_eq!(root["version"], MANIFEST);
    assert!(!s(root, "bom-ref").is_empty());
    assert_eq!(
        root["purl"],
        format!("pkg:oci/debian@{MANIFEST}?repository_url=docker.io/library/debian&tag=12")
    );
    assert_eq!(prop(root, "drydock:image:configDigest"), Some(CONFIG));
}

#[test]
fn cyclonedx_components_carry_identifiers_licenses_and_properties() {
    let input = sbom();
    let bom = to_cyclonedx_json_with(&input, &opts());
    let components = arr(&bom, "components");
    assert_eq!(components.len(), input.packages.len() + 1);

    for p in &input.packages {
        let c = cdx_component(&bom, &p.name);
        assert_eq!(c["bom-ref"], p.id.as_str());
        assert_eq!(c["type"], "library");
        assert_eq!(c["version"], p.version.as_str());
        assert_eq!(c["purl"], p.purl.as_str(), "purl of {}", p.name);
        assert_eq!(Purl::parse(s(c, "purl")).map(|x| x.name), Some(p.name.clone()));
        if let Some(first) = p.cpes.first() {
            assert_eq!(c["cpe"], first.as_str());
        }
        assert_eq!(prop(c, "drydock:package:type"), Some(p.package_type.as_str()));
        assert_eq!(prop(c, "drydock:package:foundBy"), Some(p.found_by.as_str()));
        assert_eq!(prop(c, "drydock:location:0:path"), Some(p.locations[0].path.as_str()));
        let layer = p.locations[0].layer.to_string();
        assert_eq!(prop(c, "drydock:location:0:layerIndex"), Some(layer.as_str()));
        assert_eq!(
            prop(c, "drydock:location:0:layerDigest"),
            Some(p.locations[0].layer_digest.as_str())
        );
    }

    let perl = cdx_component(&bom, "perl-base");
    assert_eq!(
        perl["licenses"],
        serde_json::json!([{ "license": { "id": "GPL-2.0-only" } }, { "license": { "name": "Artistic" } }])
    );
    assert_eq!(perl["supplier"]["name"], "Niko Tyni");
    assert_eq!(perl["publisher"], "Niko Tyni <ntyni@debian.org>");
    assert_eq!(prop(perl, "drydock:package:architecture"), Some("amd64"));
    assert_eq!(prop(perl, "drydock:package:sourceName"), Some("perl"));
    assert_eq!(prop(perl, "drydock:package:sourceVersion"), Some("5.36.0-7+deb12u1"));
    // The second CPE candidate is kept as a property.
    assert_eq!(prop(perl, "drydock:cpe23"), Some(deb().cpes[1].as_str()));

    let gcc = cdx_component(&bom, "gcc-c++");
    assert_eq!(
        gcc["licenses"],
        serde_json::json!([{ "license": { "name": "GPLv3+ and GPLv3+ with exceptions" } }])
    );
    let requests = cdx_component(&bom, "requests");
    assert_eq!(
        requests["licenses"],
        serde_json::json!([{ "expression": "Apache-2.0 OR MIT" }])
    );

    let os = cdx_component(&bom, "debian");
    assert_eq!(os["type"], "operating-system");
    assert_eq!(os["version"], "12");
    assert_eq!(os["description"], "Debian GNU/Linux 12 (bookworm)");
}

#[test]
fn cyclonedx_dependency_graph_is_rooted_at_the_image_and_resolves() {
    let input = sbom();
    let bom = to_cyclonedx_json_with(&input, &opts());
    let root_ref = s(&bom["metadata"]["component"], "bom-ref").to_string();

    let mut refs = BTreeSet::from([root_ref.clone()]);
    for c in arr(&bom, "components") {
        assert!(refs.insert(s(c, "bom-ref").to_string()), "duplicate bom-ref {c}");
    }

    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for d in arr(&bom, "dependencies") {
        let r = s(d, "ref").to_string();
        assert!(refs.contains(&r), "dangling ref {r}");
        let deps: BTreeSet<String> = arr(d, "dependsOn")
            .iter()
            .map(|x| x.as_str().expect("string ref").to_string())
            .collect();
        for dep in &deps {
            assert!(refs.contains(dep), "dangling dependsOn {dep}");
        }
        assert!(graph.insert(r, deps).is_none(), "ref listed twice");
    }

    // The image depends on every package and on the operating system: every component is
    // reachable from the root.
    let os_ref = s(cdx_component(&bom, "debian"), "bom-ref").to_string();
    let root_deps = &graph[&root_ref];
    for p in &input.packages {
        assert!(root_deps.contains(&p.id), "root does not reach {}", p.name);
    }
    assert!(root_deps.contains(&os_ref));
    assert_eq!(root_deps.len(), refs.len() - 1);

    let (perl, gcc, requests) = (deb().id, rpm().id, python().id);
    // DependsOn, OwnershipByFiles and Contains edges go from the dependent or owner.
    assert_eq!(graph[&requests], BTreeSet::from([perl.clone()]));
    assert_eq!(graph[&perl], BTreeSet::from([requests.clone()]));
    assert_eq!(graph[&gcc], BTreeSet::from([requests.clone()]));
}

#[test]
fn cyclonedx_directory_root_is_a_file() {
    let mut input = sbom();
    input.image.source = SourceInfo {
        scheme: "dir".into(),
        input: "./rootfs".into(),
        reference: "/home/me/rootfs".into(),
        ..Default::default()
    };
    let bom = to_cyclonedx_json_with(&input, &opts());
    let root = &bom["metadata"]["component"];
    assert_eq!(root["type"], "file");
    assert_eq!(root["name"], "/home/me/rootfs");
    assert!(root.get("version").is_none());
    assert!(root.get("purl").is_none());

    let doc = to_spdx_json_with(&input, &opts());
    assert_eq!(doc["packages"][0]["primaryPackagePurpose"], "FILE");
    assert_eq!(
        doc["packages"][0]["SPDXID"],
        "SPDXRef-DocumentRoot-Directory--home-me-rootfs"
    );
}

fn spdx_package<'a>(doc: &'a Value, name: &str) -> &'a Value {
    arr(doc, "packages")
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name}"))
}

fn valid_spdx_id(id: &str) -> bool {
    id.strip_prefix("SPDXRef-")
        .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
}

#[test]
fn spdx_document_header() {
    let doc = to_spdx_json_with(&sbom(), &opts());
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["name"], "docker.io/library/debian:12");
    let ns = s(&doc, "documentNamespace");
    let uuid = ns
        .strip_prefix("https://drydock.dev/spdx/docker.io-library-debian-12-")
        .expect("namespace prefix");
    assert_eq!(uuid.len(), 36);
    let info = &doc["creationInfo"];
    assert_eq!(info["created"], "2023-11-14T22:13:20Z");
    assert_eq!(
        info["creators"],
        serde_json::json!([format!("Tool: drydock-{}", env!("CARGO_PKG_VERSION"))])
    );
    assert!(info["licenseListVersion"].is_string());
}

#[test]
fn spdx_packages_ids_and_relationships() {
    let input = sbom();
    let doc = to_spdx_json_with(&input, &opts());
    let packages = arr(&doc, "packages");
    assert_eq!(packages.len(), input.packages.len() + 2);

    let mut ids = BTreeSet::from(["SPDXRef-DOCUMENT".to_string()]);
    for p in packages {
        let id = s(p, "SPDXID");
        assert!(valid_spdx_id(id), "bad SPDXID {id}");
        assert!(ids.insert(id.to_string()), "duplicate SPDXID {id}");
        assert_eq!(p["downloadLocation"], "NOASSERTION");
        assert_eq!(p["filesAnalyzed"], false);
        assert_eq!(p["licenseConcluded"], "NOASSERTION");
        assert_eq!(p["copyrightText"], "NOASSERTION");
    }

    let root = &packages[0];
    let root_id = s(root, "SPDXID");
    assert!(root_id.starts_with("SPDXRef-DocumentRoot-Image-"));
    assert_eq!(root["primaryPackagePurpose"], "CONTAINER");
    assert_eq!(root["versionInfo"], MANIFEST);
    assert_eq!(root["checksums"][0]["algorithm"], "SHA256");

    let rels = arr(&doc, "relationships");
    let triples: BTreeSet<(String, String, String)> = rels
        .iter()
        .map(|r| {
            let (a, t, b) = (
                s(r, "spdxElementId"),
                s(r, "relationshipType"),
                s(r, "relatedSpdxElement"),
            );
            assert!(ids.contains(a), "dangling {a}");
            assert!(ids.contains(b), "dangling {b}");
            (a.to_string(), t.to_string(), b.to_string())
        })
        .collect();
    assert_eq!(triples.len(), rels.len(), "duplicate relationships");
    let describes: Vec<_> = triples.iter().filter(|(_, t, _)| t == "DESCRIBES").collect();
    assert_eq!(describes.len(), 1);
    assert_eq!(describes[0].0, "SPDXRef-DOCUMENT");
    assert_eq!(describes[0].2, root_id);

    let id_of = |name: &str| s(spdx_package(&doc, name), "SPDXID").to_string();
    for p in &input.packages {
        let id = id_of(&p.name);
        assert!(id.starts_with(&format!("SPDXRef-Package-{}-", p.package_type)));
        assert!(id.ends_with(&p.id));
        assert!(triples.contains(&(root_id.to_string(), "CONTAINS".into(), id)));
    }
    let os_id = id_of("debian");
    assert!(triples.contains(&(root_id.to_string(), "CONTAINS".into(), os_id)));
    assert_eq!(
        spdx_package(&doc, "debian")["primaryPackagePurpose"],
        "OPERATING_SYSTEM"
    );
    assert_eq!(spdx_package(&doc, "debian")["versionInfo"], "12");

    let (perl, gcc, requests) = (id_of("perl-base"), id_of("gcc-c++"), id_of("requests"));
    assert_eq!(gcc, format!("SPDXRef-Package-rpm-gcc-c---{}", rpm().id));
    assert!(triples.contains(&(requests.clone(), "DEPENDS_ON".into(), perl.clone())));
    assert!(triples.contains(&(gcc.clone(), "CONTAINS".into(), requests.clone())));
    let other = rels
        .iter()
        .find(|r| r["relationshipType"] == "OTHER")
        .expect("ownership relationship");
    assert_eq!(other["spdxElementId"], perl.as_str());
    assert_eq!(other["relatedSpdxElement"], requests.as_str());
    assert_eq!(other["comment"], "evident-by");
    // The dangling relationship is dropped: 1 DESCRIBES + 4 CONTAINS from the root + 3 edges.
    assert_eq!(rels.len(), 1 + input.packages.len() + 1 + 3);
}

#[test]
fn spdx_package_fields_and_extracted_licenses() {
    let doc = to_spdx_json_with(&sbom(), &opts());
    let perl = spdx_package(&doc, "perl-base");
    assert_eq!(perl["versionInfo"], "5.36.0-7+deb12u1");
    assert_eq!(perl["licenseDeclared"], "GPL-2.0-only AND LicenseRef-Artistic");
    assert_eq!(perl["supplier"], "Organization: Niko Tyni (ntyni@debian.org)");
    assert_eq!(perl["primaryPackagePurpose"], "LIBRARY");
    assert_eq!(
        perl["sourceInfo"],
        "acquired package info from dpkg-db-cataloger: /var/lib/dpkg/status"
    );
    let refs = arr(perl, "externalRefs");
    let purl = refs.iter().find(|r| r["referenceType"] == "purl").expect("purl ref");
    assert_eq!(purl["referenceCategory"], "PACKAGE-MANAGER");
    assert_eq!(purl["referenceLocator"], deb().purl.as_str());
    let cpes: Vec<&str> = refs
        .iter()
        .filter(|r| r["referenceType"] == "cpe23Type")
        .inspect(|r| assert_eq!(r["referenceCategory"], "SECURITY"))
        .map(|r| s(r, "referenceLocator"))
        .collect();
    assert_eq!(cpes, deb().cpes);

    let gcc = spdx_package(&doc, "gcc-c++");
    assert_eq!(gcc["licenseDeclared"], "LicenseRef-GPLv3--and-GPLv3--with-exceptions");
    assert_eq!(gcc["supplier"], "Organization: Red Hat, Inc.");
    assert_eq!(spdx_package(&doc, "requests")["licenseDeclared"], "Apache-2.0 OR MIT");
    assert_eq!(spdx_package(&doc, "requests")["supplier"], "NOASSERTION");

    // Every LicenseRef used is defined exactly once, with its original text.
    let infos = arr(&doc, "hasExtractedLicensingInfos");
    let defined: BTreeMap<&str, &str> = infos
        .iter()
        .map(|i| (s(i, "licenseId"), s(i, "extractedText")))
        .collect();
    assert_eq!(defined.len(), infos.len());
    assert_eq!(defined.get("LicenseRef-Artistic"), Some(&"Artistic"));
    assert_eq!(
        defined.get("LicenseRef-GPLv3--and-GPLv3--with-exceptions"),
        Some(&"GPLv3+ and GPLv3+ with exceptions")
    );
    for p in arr(&doc, "packages") {
        for tok in s(p, "licenseDeclared").split([' ', '(', ')']) {
            if tok.starts_with("LicenseRef-") {
                assert!(defined.contains_key(tok), "undefined {tok}");
            }
        }
    }
}

#[test]
fn license_refs_that_sanitize_alike_stay_distinct() {
    let mut input = sbom();
    input.packages[0].licenses = vec!["Foo+".into(), "Foo ".into(), "Foo-".into(), "LicenseRef-Foo".into()];
    let doc = to_spdx_json_with(&input, &opts());
    let infos = arr(&doc, "hasExtractedLicensingInfos");
    let ids: BTreeSet<&str> = infos.iter().map(|i| s(i, "licenseId")).collect();
    assert_eq!(ids.len(), infos.len());
    let texts: BTreeSet<&str> = infos.iter().map(|i| s(i, "extractedText")).collect();
    assert!(texts.contains("Foo+") && texts.contains("Foo-") && texts.contains("Foo"));
}

#[test]
fn encodings_are_deterministic() {
    let input = sbom();
    let o = opts();
    type Encoder = fn(&Sbom, &EncodeOptions, &mut Vec<u8>) -> std::io::Result<()>;
    let encoders: [Encoder; 2] = [
        |s, o, w| write_cyclonedx_with(s, o, w),
        |s, o, w| write_spdx_with(s, o, w),
    ];
    for encode in encoders {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode(&input, &o, &mut a).expect("encode");
        encode(&input, &o, &mut b).expect("encode");
        assert_eq!(a, b);
        assert!(a.ends_with(b"}\n"));
        // Package and relationship order in the input does not matter.
        let mut shuffled = input.clone();
        shuffled.packages.reverse();
        shuffled.relationships.reverse();
        let mut c = Vec::new();
        encode(&shuffled, &o, &mut c).expect("encode");
        assert_eq!(a, c);
        let parsed: Value = serde_json::from_slice(&a).expect("valid JSON");
        assert!(parsed.is_object());
    }

    // Different content gives a different serial number and namespace.
    let mut other = input.clone();
    other.packages.pop();
    let serial = |s: &Sbom| to_cyclonedx_json_with(s, &o)["serialNumber"].clone();
    let ns = |s: &Sbom| to_spdx_json_with(s, &o)["documentNamespace"].clone();
    assert_eq!(serial(&input), serial(&input.clone()));
    assert_ne!(serial(&input), serial(&other));
    assert_ne!(ns(&input), ns(&other));
    // The creation time is not part of the identity.
    let later = EncodeOptions::at_unix(1_800_000_000);
    assert_eq!(to_cyclonedx_json_with(&input, &later)["serialNumber"], serial(&input));
}

#[test]
fn default_options_give_an_rfc3339_timestamp() {
    let bom = to_cyclonedx_json(&sbom());
    let ts = s(&bom["metadata"], "timestamp");
    assert_eq!(ts.len(), 20, "{ts}");
    assert!(ts.ends_with('Z') && &ts[10..11] == "T", "{ts}");
    assert_eq!(EncodeOptions::at_unix(0).created, "1970-01-01T00:00:00Z");
}

/// Writes sample documents (into `DRYDOCK_SBOM_DUMP_DIR` when set) and checks them with
/// `scripts/validate-sbom.py`: CycloneDX against the official CycloneDX schema, SPDX with
/// spdx-tools (and the SPDX 2.3 JSON schema when `SPDX_SCHEMA` names a copy). Skipped when
/// python3 or its packages are missing, except under CI=true, where that fails.
#[test]
fn samples_are_valid_for_the_official_schemas_and_tools() {
    let dir = match std::env::var_os("DRYDOCK_SBOM_DUMP_DIR") {
        Some(d) => std::path::PathBuf::from(d),
        None => std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("sbom-samples"),
    };
    std::fs::create_dir_all(&dir).expect("dump dir");
    let mut dir_sbom = sbom();
    dir_sbom.image.source = SourceInfo {
        scheme: "dir".into(),
        input: ".".into(),
        reference: "/srv/rootfs".into(),
        ..Default::default()
    };
    let empty = Sbom::default();
    let mut files = Vec::new();
    for (name, input) in [("image", sbom()), ("dir", dir_sbom), ("empty", empty)] {
        let path = dir.join(format!("{name}.cdx.json"));
        write_cyclonedx_with(&input, &opts(), std::fs::File::create(&path).expect("create")).expect("write");
        files.push(path);
        let path = dir.join(format!("{name}.spdx.json"));
        write_spdx_with(&input, &opts(), std::fs::File::create(&path).expect("create")).expect("write");
        files.push(path);
    }

    let files: Vec<&std::path::Path> = files.iter().map(|f| f.as_path()).collect();
    drydock_test_support::python::validate("validate-sbom.py", "jsonschema, cyclonedx, spdx_tools", &files);
}
