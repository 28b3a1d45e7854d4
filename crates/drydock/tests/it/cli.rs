//! `drydock sbom` end to end, on Debian-like images built in code.

use drydock_test_support::fixture::{ImageBuilder, LayerBuilder, Storage};
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const OS_RELEASE: &[u8] =
    b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";

fn para(name: &str, version: &str, source: Option<&str>) -> String {
    let src = source.map(|s| format!("Source: {s}\n")).unwrap_or_default();
    format!(
        "Package: {name}\nStatus: install ok installed\nPriority: required\nInstalled-Size: 100\nMaintainer: Debian <debian@example.org>\nArchitecture: amd64\n{src}Version: {version}\nDescription: {name}\n the {name} package\n\n"
    )
}

const COPYRIGHT: &[u8] = b"Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: someone\nLicense: LGPL-2.1+\n\nFiles: debian/*\nLicense: GPL-2+\n";

fn base() -> Vec<u8> {
    let status = [
        para("base-files", "12.4+deb12u5", None),
        para("libc6", "2.36-9+deb12u7", Some("glibc")),
        para("e2fsprogs", "1.47.0-2", None),
    ]
    .concat();
    LayerBuilder::new()
        .file("usr/lib/os-release", OS_RELEASE, 0o644)
        .symlink("etc/os-release", "../usr/lib/os-release")
        .file("var/lib/dpkg/status", status.as_bytes(), 0o644)
        .file(
            "var/lib/dpkg/info/libc6:amd64.list",
            b"/.\n/lib\n/lib/x86_64-linux-gnu/libc.so.6\n",
            0o644,
        )
        .file(
            "var/lib/dpkg/info/libc6:amd64.md5sums",
            b"0123456789abcdef0123456789abcdef  lib/x86_64-linux-gnu/libc.so.6\n",
            0o644,
        )
        .file("lib/x86_64-linux-gnu/libc.so.6", b"\x7fELF", 0o755)
        .file("var/lib/dpkg/info/e2fsprogs.list", b"/sbin/mke2fs\n", 0o644)
        .file("sbin/mke2fs", b"\x7fELF", 0o755)
        .file("usr/share/doc/libc6/copyright", COPYRIGHT, 0o644)
        .file("usr/share/doc/e2fsprogs/copyright", b"License: GPL-2\n", 0o644)
        .file(DJANGO, b"Metadata-Version: 2.1\nName: Django\nVersion: 1.11.29\nLicense: BSD\n", 0o644)
        .file(
            "opt/venv/lib/python3.11/site-packages/requests-2.20.0.dist-info/METADATA",
            b"Metadata-Version: 2.0\nName: requests\nVersion: 2.20.0\nLicense: Apache 2.0\nRequires-Dist: idna (<2.8,>=2.5)\n\nlong description\nName: not-a-header\n",
            0o644,
        )
        .file(
            "opt/venv/lib/python3.11/site-packages/requests-2.20.0.dist-info/RECORD",
            b"requests/__init__.py,sha256=zuuue4knoyJ-UwPPXg8fezS7VCrXJQrAP7zeNuwvFQg,4057\n../../../bin/req,,\n",
            0o644,
        )
        .finish()
}

const DJANGO: &str = "usr/local/lib/python3.11/dist-packages/Django-1.11.29.dist-info/METADATA";

fn upper() -> Vec<u8> {
    let status = [
        para("base-files", "12.4+deb12u5", None),
        para("libc6", "2.36-9+deb12u7", Some("glibc")),
        para("openssl", "3.0.15-1~deb12u1", None).replace(
            "Version:",
            "Depends: libc6 (>= 2.34), no-such-lib | base-system, missing\nVersion:",
        ),
    ]
    .concat()
    .replace("Package: base-files\n", "Package: base-files\nProvides: base-system\n");
    LayerBuilder::new()
        .file("var/lib/dpkg/status", status.as_bytes(), 0o644)
        .whiteout("var/lib/dpkg/info/e2fsprogs.list")
        .whiteout("sbin/mke2fs")
        .whiteout("usr/share/doc/e2fsprogs")
        .whiteout("usr/local/lib/python3.11/dist-packages/Django-1.11.29.dist-info")
        .finish()
}

fn image() -> ImageBuilder {
    ImageBuilder::new()
        .layer(base(), Storage::Gzip, "ADD rootfs.tar /")
        .layer(
            upper(),
            Storage::Gzip,
            "RUN apt-get purge e2fsprogs && apt-get install openssl",
        )
}

fn drydock(args: &[&str], cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(args)
        .env("DRYDOCK_CACHE_DIR", cache)
        .output()
        .expect("drydock runs")
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "drydock failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn names_of(v: &Value, ty: &str) -> Vec<String> {
    let mut out: Vec<String> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == ty)
        .map(|p| format!("{}@{}", p["name"].as_str().unwrap(), p["version"].as_str().unwrap()))
        .collect();
    out.sort();
    out
}

fn debs(v: &Value) -> Vec<(String, String, String, u64)> {
    let mut out: Vec<_> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["type"] == "deb")
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
                p["architecture"].as_str().unwrap_or("").to_string(),
                p["locations"][0]["layer"].as_u64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn every_source_reports_the_same_packages_and_layers() {
    let dir = tempfile::tempdir().unwrap();
    let img = image();
    img.write_oci_dir(&dir.path().join("layout"), "rich").unwrap();
    img.write_oci_archive(&dir.path().join("img.oci.tar"), "rich").unwrap();
    img.write_docker_archive(&dir.path().join("img.tar"), "fx/deb:rich")
        .unwrap();
    let expected = vec![
        (
            "base-files".to_string(),
            "12.4+deb12u5".to_string(),
            "amd64".to_string(),
            0,
        ),
        ("libc6".into(), "2.36-9+deb12u7".into(), "amd64".into(), 0),
        ("openssl".into(), "3.0.15-1~deb12u1".into(), "amd64".into(), 1),
    ];
    for src in [
        format!("oci-dir:{}:rich", dir.path().join("layout").display()),
        format!("oci-archive:{}", dir.path().join("img.oci.tar").display()),
        format!("docker-archive:{}", dir.path().join("img.tar").display()),
        dir.path().join("img.tar").display().to_string(),
    ] {
        let v = json_of(&drydock(&["sbom", &src, "-o", "json", "--no-cache"], dir.path()));
        assert_eq!(debs(&v), expected, "{src}");
        assert_eq!(v["distro"]["id"], "debian");
        assert_eq!(v["scope"], "squashed");
        assert_eq!(
            names_of(&v, "python"),
            ["requests@2.20.0"],
            "the whited-out Django is gone: {src}"
        );
        let requests = v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "requests")
            .unwrap();
        assert_eq!(requests["purl"], "pkg:pypi/requests@2.20.0");
        assert_eq!(requests["licenses"], serde_json::json!(["Apache 2.0"]));
        assert_eq!(requests["files"][0]["path"], "/opt/venv/bin/req");
        assert_eq!(
            requests["files"][1]["path"],
            "/opt/venv/lib/python3.11/site-packages/requests/__init__.py"
        );
        assert_eq!(
            requests["files"][1]["digest"],
            "sha256:ceebae7b8927a3227e5303cf5e0f1f7b34bb542ad7250ac03fbcde36ec2f1508"
        );
        let libc = v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "libc6")
            .unwrap();
        assert_eq!(
            libc["purl"],
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7?arch=amd64&distro=debian-12&upstream=glibc"
        );
        assert_eq!(libc["source_name"], "glibc");
        assert_eq!(libc["licenses"], serde_json::json!(["GPL-2+", "LGPL-2.1+"]));
        assert_eq!(libc["files"][0]["path"], "/lib/x86_64-linux-gnu/libc.so.6");
        assert_eq!(libc["files"][0]["digest"], "md5:0123456789abcdef0123456789abcdef");
        assert!(libc["cpes"][0]
            .as_str()
            .unwrap()
            .starts_with("cpe:2.3:a:libc6:libc6:2.36:"));
        // openssl depends on libc6 (directly) and on base-files through a virtual name.
        let id_of = |n: &str| {
            v["packages"]
                .as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == n)
                .unwrap()["id"]
                .clone()
        };
        let deps: Vec<_> = v["relationships"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["from"] == id_of("openssl"))
            .map(|r| (r["to"].clone(), r["kind"].clone()))
            .collect();
        assert_eq!(deps.len(), 2, "{deps:?}");
        assert!(deps.contains(&(id_of("libc6"), "depends-on".into())));
        assert!(deps.contains(&(id_of("base-files"), "depends-on".into())));
    }
}

#[test]
fn all_layers_scope_keeps_what_later_layers_deleted() {
    let dir = tempfile::tempdir().unwrap();
    image().write_oci_dir(&dir.path().join("layout"), "rich").unwrap();
    let src = format!("oci-dir:{}", dir.path().join("layout").display());
    let v = json_of(&drydock(
        &["sbom", &src, "--scope", "all-layers", "-o", "json"],
        dir.path(),
    ));
    assert_eq!(v["scope"], "all-layers");
    let names: Vec<_> = debs(&v).into_iter().map(|d| (d.0, d.3)).collect();
    assert!(names.contains(&("e2fsprogs".to_string(), 0)), "{names:?}");
    assert_eq!(names.len(), 4);
    assert_eq!(names_of(&v, "python"), ["Django@1.11.29", "requests@2.20.0"]);
}

#[test]
fn directories_are_catalogued_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(root.join("etc/os-release"), OS_RELEASE).unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        para("zlib1g", "1:1.2.13.dfsg-1", Some("zlib")),
    )
    .unwrap();
    let v = json_of(&drydock(
        &["sbom", &format!("dir:{}", root.display()), "-o", "json"],
        dir.path(),
    ));
    assert_eq!(
        debs(&v),
        vec![(
            "zlib1g".to_string(),
            "1:1.2.13.dfsg-1".to_string(),
            "amd64".to_string(),
            0
        )]
    );
    assert_eq!(v["image"]["source"]["scheme"], "dir");
}

#[test]
fn several_outputs_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    image()
        .write_docker_archive(&dir.path().join("img.tar"), "fx/deb:rich")
        .unwrap();
    let src = format!("docker-archive:{}", dir.path().join("img.tar").display());
    let json_file = dir.path().join("out.json");
    let cdx_file = dir.path().join("out.cdx.json");
    let spdx_file = dir.path().join("out.spdx.json");
    let out = drydock(
        &[
            "sbom",
            &src,
            "-o",
            &format!("json={}", json_file.display()),
            "-o",
            "table",
            "-o",
            &format!("cyclonedx-json={}", cdx_file.display()),
            "-o",
            &format!("spdx-json={}", spdx_file.display()),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let table = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("VERSION") && lines[0].contains("TYPE"));
    assert!(lines
        .iter()
        .any(|l| l.starts_with("openssl") && l.contains("3.0.15-1~deb12u1") && l.contains("deb")));
    let v: Value = serde_json::from_slice(&std::fs::read(&json_file).unwrap()).unwrap();
    assert_eq!(debs(&v).len(), 3);
    let purls: Vec<String> = v["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["purl"].as_str().unwrap().to_string())
        .collect();

    let cdx: Value = serde_json::from_slice(&std::fs::read(&cdx_file).unwrap()).unwrap();
    assert_eq!(cdx["bomFormat"], "CycloneDX");
    assert_eq!(cdx["specVersion"], "1.6");
    assert_eq!(cdx["metadata"]["component"]["type"], "container");
    let mut cdx_purls: Vec<String> = cdx["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["purl"].as_str().map(str::to_string))
        .collect();
    cdx_purls.sort();
    let mut want = purls.clone();
    want.sort();
    assert_eq!(cdx_purls, want);
    let root = cdx["metadata"]["component"]["bom-ref"].clone();
    let root_deps = cdx["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == root)
        .unwrap();
    assert_eq!(
        root_deps["dependsOn"].as_array().unwrap().len(),
        5,
        "three debs, requests and the OS"
    );

    let spdx: Value = serde_json::from_slice(&std::fs::read(&spdx_file).unwrap()).unwrap();
    assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
    let spdx_purls: Vec<&str> = spdx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["externalRefs"].as_array().into_iter().flatten())
        .filter(|r| r["referenceType"] == "purl")
        .filter_map(|r| r["referenceLocator"].as_str())
        .collect();
    for p in &purls {
        assert!(spdx_purls.contains(&p.as_str()), "{p} missing from SPDX");
    }
}

#[test]
fn output_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    image().write_oci_dir(&dir.path().join("layout"), "rich").unwrap();
    let src = format!("oci-dir:{}", dir.path().join("layout").display());
    let a = drydock(&["sbom", &src, "-o", "json", "--no-cache"], dir.path());
    let b = drydock(&["sbom", &src, "-o", "json"], dir.path());
    let c = drydock(&["sbom", &src, "-o", "json"], dir.path());
    assert_eq!(a.stdout, b.stdout);
    assert_eq!(b.stdout, c.stdout, "a cached run reports exactly what a fresh one does");
}

#[test]
fn errors_say_what_failed_and_what_to_try() {
    let dir = tempfile::tempdir().unwrap();
    let out = drydock(&["sbom", "./no-such-image.tar"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no such file") && err.contains("hint:"), "{err}");

    let out = drydock(&["sbom", "dir:/", "-o", "yaml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown output format \"yaml\""));

    // A docker archive whose layer was tampered with.
    image()
        .write_docker_archive(&dir.path().join("img.tar"), "fx/deb:rich")
        .unwrap();
    let mut bytes = std::fs::read(dir.path().join("img.tar")).unwrap();
    let at = bytes.windows(16).position(|w| w == b"0123456789abcdef").unwrap();
    bytes[at] = b'f';
    std::fs::write(dir.path().join("img.tar"), &bytes).unwrap();
    let out = drydock(
        &[
            "sbom",
            &format!("docker-archive:{}", dir.path().join("img.tar").display()),
            "--no-cache",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("digest mismatch"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = drydock(&["sbom"], dir.path());
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

#[test]
fn os_packages_own_the_language_packages_they_installed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let egg = root.join("usr/lib/python3/dist-packages/six-1.16.0.egg-info");
    std::fs::create_dir_all(&egg).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg/info")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/os-release"), OS_RELEASE).unwrap();
    std::fs::write(
        egg.join("PKG-INFO"),
        "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n",
    )
    .unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        para("python3-six", "1.16.0-4", Some("six")),
    )
    .unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/info/python3-six.list"),
        "/usr/lib/python3/dist-packages/six-1.16.0.egg-info\n/usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO\n",
    )
    .unwrap();
    let v = json_of(&drydock(
        &["sbom", &format!("dir:{}", root.display()), "-o", "json"],
        dir.path(),
    ));
    let id_of = |n: &str| {
        v["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == n)
            .unwrap()["id"]
            .clone()
    };
    let rels = v["relationships"].as_array().unwrap();
    assert!(
        rels.iter()
            .any(|r| r["from"] == id_of("python3-six") && r["to"] == id_of("six") && r["kind"] == "ownership-by-files"),
        "{rels:?}"
    );
}
