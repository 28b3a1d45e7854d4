//! The .NET cataloger over a deps.json application directory and hand-built PE files
//! (written by the test into a copy of the fixture tree): assemblies a deps.json
//! accounts for are not reported twice, others are named from their version resource.

use crate::common::{assert_snapshot, catalog_dir, fixture, summary};
use drydock_catalog::dotnet::{build_test_pe, Dotnet};
use drydock_catalog::Cataloger;
use drydock_sbom::RelationshipKind;
use std::path::{Path, PathBuf};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        let dest = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

/// The fixture tree plus PE files built here.
fn tree_with_assemblies() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dotnet-fixture");
    let _ = std::fs::remove_dir_all(&root);
    copy_dir(&fixture("dotnet"), &root);
    let write = |rel: &str, data: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    // Accounted for by app.deps.json: the app itself and a package's runtime asset.
    write(
        "app/app.dll",
        &build_test_pe(&[("ProductName", "app"), ("ProductVersion", "1.0.0")], true),
    );
    write(
        "app/Newtonsoft.Json.dll",
        &build_test_pe(
            &[
                ("ProductName", "Json.NET"),
                ("ProductVersion", "13.0.3+0a2e291c0d9c0c7675d445703e51750363a549ef"),
            ],
            true,
        ),
    );
    // Not in the deps.json: reported from its version resource.
    write(
        "app/Extra.Plugin.dll",
        &build_test_pe(
            &[
                ("CompanyName", "Extra Ltd"),
                ("ProductName", "Extra.Plugin"),
                ("ProductVersion", "3.2.1"),
                ("FileVersion", "3.2.1.0"),
            ],
            true,
        ),
    );
    write(
        "opt/tool/Tool.exe",
        &build_test_pe(
            &[
                ("CompanyName", "Microsoft Corporation"),
                ("ProductName", "Microsoft® .NET"),
                ("FileDescription", "dotnet-tool"),
                ("ProductVersion", "8.0.1.0 built by: lab"),
                ("FileVersion", "8.0.123.58001"),
            ],
            true,
        ),
    );
    // A native Windows DLL (no CLR header) and a file that only looks like one.
    write(
        "opt/native/native.dll",
        &build_test_pe(&[("ProductName", "Native"), ("ProductVersion", "1.0")], false),
    );
    write("opt/tool/readme.dll", &[b'x'; 100]);
    // A damaged assembly: the version resource points outside the file.
    let mut bad = build_test_pe(&[("ProductName", "Bad"), ("ProductVersion", "1.0")], true);
    bad[0x200 + 72..0x200 + 76].copy_from_slice(&0x7fff_0000u32.to_le_bytes());
    write("opt/tool/bad.dll", &bad);
    root
}

#[test]
fn deps_json_and_assemblies() {
    let sbom = catalog_dir(&tree_with_assemblies());
    let text = summary(&sbom, &["dotnet"]);
    assert_snapshot("dotnet-dir", &text);

    assert!(text.contains("dotnet Newtonsoft.Json 13.0.3 pkg:nuget/Newtonsoft.Json@13.0.3 /app/app.deps.json"));
    assert!(text.contains("dotnet app 1.0.0 pkg:nuget/app@1.0.0 /app/app.deps.json"));
    // The more detailed of ProductVersion and FileVersion is the version.
    assert!(text.contains("dotnet Extra.Plugin 3.2.1.0 pkg:nuget/Extra.Plugin@3.2.1.0 /app/Extra.Plugin.dll"));
    // Microsoft's assemblies are named by their description; a version is its first word.
    assert!(text.contains("dotnet dotnet-tool 8.0.1.0 pkg:nuget/dotnet-tool@8.0.1.0 /opt/tool/Tool.exe"));
    // Claimed by the deps.json: not reported a second time.
    assert!(!text.contains("Json.NET"));
    assert!(!text.contains("Native"));
    assert!(text.contains("warning: /opt/tool/bad.dll: malformed PE file: version resource outside the file"));
    assert!(text.contains("warning: /srv/broken.deps.json: no \"libraries\" object"));

    let app = sbom.packages.iter().find(|p| p.name == "app").unwrap();
    let nj = sbom.packages.iter().find(|p| p.name == "Newtonsoft.Json").unwrap();
    assert!(sbom
        .relationships
        .iter()
        .any(|r| r.kind == RelationshipKind::DependsOn && r.from == app.id && r.to == nj.id));
    // The runtime asset deployed next to the deps.json belongs to the package.
    assert_eq!(
        nj.files.iter().map(|f| f.path.as_str()).collect::<Vec<_>>(),
        ["/app/Newtonsoft.Json.dll"]
    );
    let plugin = sbom.packages.iter().find(|p| p.name == "Extra.Plugin").unwrap();
    assert_eq!(plugin.supplier.as_deref(), Some("Extra Ltd"));
}

#[test]
fn only_pe_files_are_extracted() {
    assert!(Dotnet.extracts("/app/X.DLL", 0o644, 4096));
    assert!(Dotnet.extracts("/app/x.exe", 0o755, 4096));
    assert!(!Dotnet.extracts("/app/x.dll.config", 0o644, 4096));
    assert!(!Dotnet.extracts("/app/x.dll", 0o644, 1 << 40));
    assert!(Dotnet.wants("/app/app.deps.json"));
    assert_eq!(Dotnet.extract("/a.dll", b"MZ but not really"), None);
}
