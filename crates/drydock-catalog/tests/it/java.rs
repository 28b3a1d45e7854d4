//! The Java cataloger over a tree of archives built here with `zip::ZipWriter` (no
//! committed binaries): Maven descriptors, manifests, file names, nested and shaded
//! archives, hostile archives, and a JVM release file.

use crate::common::{assert_snapshot, catalog_dir, fixture, summary};
use drydock_catalog::java::archive::{summarize, Limits};
use drydock_catalog::java::containments;
use std::io::Write;
use std::path::Path;
use zip::write::SimpleFileOptions;

/// A zip archive of (name, content) entries, deflated.
fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in entries {
        w.start_file(*name, opts).expect("start");
        w.write_all(content).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

fn pom_properties(group: &str, artifact: &str, version: &str) -> Vec<u8> {
    format!("#Created by Apache Maven\ngroupId={group}\nartifactId={artifact}\nversion={version}\n").into_bytes()
}

fn write(root: &Path, rel: &str, content: &[u8]) {
    let p = root.join(rel.trim_start_matches('/'));
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, content).expect("write");
}

/// Builds the fixture tree: text files come from tests/fixtures/java, archives are
/// assembled from them here.
fn build_tree(root: &Path) {
    let fx = fixture("java");
    let read = |rel: &str| std::fs::read(fx.join(rel)).expect("fixture file");

    // Maven-built library: pom.properties names it (the manifest's Bundle-Version is older).
    write(
        root,
        "/usr/share/java/commons-lang3.jar",
        &zip_of(&[
            ("META-INF/MANIFEST.MF", &read("manifests/commons-lang3.MF")),
            (
                "META-INF/maven/org.apache.commons/commons-lang3/pom.properties",
                &pom_properties("org.apache.commons", "commons-lang3", "3.12.0"),
            ),
            (
                "META-INF/maven/org.apache.commons/commons-lang3/pom.xml",
                &read("poms/commons-lang3.xml"),
            ),
            ("org/apache/commons/lang3/StringUtils.class", b"\xca\xfe\xba\xbe"),
        ]),
    );
    // Maven Bundle Plugin manifest, no descriptor: name from Bundle-SymbolicName.
    write(
        root,
        "/usr/share/java/commons-logging-1.2.jar",
        &zip_of(&[("META-INF/MANIFEST.MF", &read("manifests/commons-logging.MF"))]),
    );
    // Empty manifest: the file name is all there is.
    write(
        root,
        "/usr/share/java/mongodb-driver-3.6.3.jar",
        &zip_of(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\r\n\r\n")]),
    );
    // Bnd manifest: group from Bundle-SymbolicName; the symlink is not a second package.
    write(
        root,
        "/usr/share/java/bson-3.6.3.jar",
        &zip_of(&[("META-INF/MANIFEST.MF", &read("manifests/bson.MF"))]),
    );
    std::os::unix::fs::symlink("bson-3.6.3.jar", root.join("usr/share/java/bson.jar")).expect("symlink");
    // No manifest and no descriptor: not a package.
    write(
        root,
        "/usr/share/java/classes-only.jar",
        &zip_of(&[("a/B.class", b"\xca\xfe\xba\xbe")]),
    );

    // Shaded (fat) jar: its own descriptor plus one for a bundled library.
    let fat = zip_of(&[
        (
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Title: shop-service\n",
        ),
        (
            "META-INF/maven/com.example/shop-service/pom.properties",
            &pom_properties("com.example", "shop-service", "2.0.1"),
        ),
        (
            "META-INF/maven/com.google.guava/guava/pom.properties",
            &pom_properties("com.google.guava", "guava", "31.1-jre"),
        ),
        ("META-INF/maven/com.google.guava/guava/pom.xml", &read("poms/guava.xml")),
    ]);
    // A library with only a pom.xml whose version comes from its parent.
    let child = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        (
            "META-INF/maven/org.example/child-lib/pom.xml",
            &read("poms/child-lib.xml"),
        ),
    ]);
    // A web application with nested libraries, one of them shaded.
    write(
        root,
        "/opt/app/webapp.war",
        &zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nImplementation-Title: webapp\nImplementation-Version: 7.1\nImplementation-Vendor-Id: com.example\n"),
            ("WEB-INF/lib/shop-service-2.0.1.jar", &fat),
            ("WEB-INF/lib/child-lib.jar", &child),
            ("WEB-INF/web.xml", b"<web-app/>"),
        ]),
    );
    // Spring Boot layout without a manifest on the outer archive.
    write(
        root,
        "/srv/boot.jar",
        &zip_of(&[(
            "BOOT-INF/lib/jackson-core-2.14.1.jar",
            &zip_of(&[
                ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
                (
                    "META-INF/maven/com.fasterxml.jackson.core/jackson-core/pom.properties",
                    &pom_properties("com.fasterxml.jackson.core", "jackson-core", "2.14.1"),
                ),
            ]),
        )]),
    );

    // Hostile: not a zip, a zip bomb entry, nesting deeper than the limit.
    write(
        root,
        "/opt/bad/broken.jar",
        b"PK\x03\x04this is not a zip archive at all",
    );
    let zeros = vec![0u8; 8 << 20];
    write(
        root,
        "/opt/bad/bomb.jar",
        &zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("lib/zeros.jar", &zeros),
        ]),
    );
    let mut deep = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        (
            "META-INF/maven/org.example/deep/pom.properties",
            &pom_properties("org.example", "deep", "1"),
        ),
    ]);
    for _ in 0..6 {
        deep = zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            ("lib/deep-1.jar", &deep),
        ]);
    }
    write(root, "/opt/bad/deep-1.jar", &deep);

    // A JDK: the release file names it.
    write(root, "/opt/java/openjdk/release", &read("release"));
    write(root, "/opt/java/openjdk/bin/javac", b"#!/bin/sh\n");
}

#[test]
fn java_tree_snapshot() {
    let dir = tempfile::tempdir().expect("tempdir");
    build_tree(dir.path());
    let sbom = catalog_dir(dir.path());
    let text = summary(&sbom, &["java-archive", "binary"]);
    assert_snapshot("java-dir", &text);

    // What a user must see, independently of the snapshot.
    let has = |line: &str| text.lines().any(|l| l == line);
    assert!(has(
        "java-archive logging 1.2 pkg:maven/org.apache/logging@1.2 /usr/share/java/commons-logging-1.2.jar"
    ));
    assert!(has("java-archive commons-lang3 3.12.0 pkg:maven/org.apache.commons/commons-lang3@3.12.0 /usr/share/java/commons-lang3.jar"));
    assert!(has("java-archive mongodb-driver 3.6.3 pkg:maven/mongodb-driver/mongodb-driver@3.6.3 /usr/share/java/mongodb-driver-3.6.3.jar"));
    assert!(has("java-archive guava 31.1-jre pkg:maven/com.google.guava/guava@31.1-jre /opt/app/webapp.war:WEB-INF/lib/shop-service-2.0.1.jar:META-INF/maven/com.google.guava/guava/pom.properties"));
    assert!(has(
        "java-archive child-lib 4.2 pkg:maven/org.example/child-lib@4.2 /opt/app/webapp.war:WEB-INF/lib/child-lib.jar"
    ));
    assert!(!text.contains("bson.jar "), "symlinks are not packages");
    assert!(!text.contains("classes-only"), "no evidence, no package");
    assert!(text.contains("warning: /opt/bad/broken.jar: not a readable zip archive"));
    assert!(text.contains("warning: /opt/bad/bomb.jar:lib/zeros.jar: not opened: compression ratio"));
    assert!(text.contains("not opened: nested deeper than 5 archives"));
    assert!(has("binary openjdk 17.0.9+9-Debian-1deb12u1 pkg:generic/oracle/openjdk@17.0.9%2B9-Debian-1deb12u1 /opt/java/openjdk/release"));
    let lang3 = sbom
        .packages
        .iter()
        .find(|p| p.name == "commons-lang3")
        .expect("commons-lang3");
    assert_eq!(lang3.licenses, ["Apache License, Version 2.0"]);
    assert!(lang3
        .cpes
        .contains(&"cpe:2.3:a:apache:commons-lang3:3.12.0:*:*:*:*:*:*:*".to_string()));
}

#[test]
fn contained_packages_point_at_their_archive() {
    let dir = tempfile::tempdir().expect("tempdir");
    build_tree(dir.path());
    let sbom = catalog_dir(dir.path());
    let by_id = |id: &str| {
        let p = sbom.packages.iter().find(|p| p.id == id).expect("id");
        p.name.clone()
    };
    let mut pairs: Vec<(String, String)> = containments(&sbom.packages)
        .iter()
        .map(|(a, b)| (by_id(a), by_id(b)))
        .collect();
    pairs.sort();
    // Each level of the deeply nested archive contains the next (6 levels opened).
    let deep = pairs.iter().filter(|(a, b)| a == "deep" && b == "deep").count();
    assert_eq!(deep, 5);
    pairs.retain(|(a, _)| a != "deep");
    assert_eq!(
        pairs,
        [
            ("shop-service".to_string(), "guava".to_string()),
            ("webapp".to_string(), "child-lib".to_string()),
            ("webapp".to_string(), "shop-service".to_string()),
        ]
    );
}

#[test]
fn total_budget_bounds_what_is_read() {
    // Incompressible padding so that each nested archive is over 4 KiB.
    let mut x = 1u32;
    let pad: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    let inner = |artifact: &str| {
        zip_of(&[
            ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
            (
                &format!("META-INF/maven/g.x/{artifact}/pom.properties"),
                &pom_properties("g.x", artifact, "1"),
            ),
            ("pad.bin", &pad),
        ])
    };
    let (a, b, c) = (inner("a"), inner("b"), inner("c"));
    let outer = zip_of(&[("lib/a-1.jar", &a), ("lib/b-1.jar", &b), ("lib/c-1.jar", &c)]);
    let limits = Limits {
        max_total: (a.len() + b.len()) as u64 + 1000,
        ..Limits::default()
    };
    let s = summarize("/o.jar", &outer, limits);
    // Two nested archives fit the budget, the third does not.
    let names: Vec<&str> = s.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["a", "b"], "{s:?}");
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("lib/c-1.jar: skipped, archive read budget spent")),
        "{s:?}"
    );
}
