//! The Ruby gem cataloger over a small tree mirroring real paths: RubyGems' own
//! specifications (default and installed gems), Debian's rubygems-integration, a
//! Bundler lock file and source-checkout gemspecs.

use crate::common::{assert_snapshot, catalog_dir, fixture, summary};
use drydock_catalog::gem::Gem;
use drydock_catalog::{Cataloger, Context, Output};
use drydock_image::{Content, FileEntry, FileKind, FileTree, LayerIndex};
use drydock_sbom::RelationshipKind;
use std::path::Path;

/// Every file under `root` as captured content of one layer (what an image scan sees).
fn image_tree(root: &Path) -> FileTree {
    fn walk(dir: &Path, root: &Path, l: &mut LayerIndex) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, l);
                continue;
            }
            let rel = format!("/{}", p.strip_prefix(root).unwrap().display());
            let data = std::fs::read(&p).unwrap();
            let entry = FileEntry {
                kind: FileKind::Regular,
                mode: 0o644,
                uid: 0,
                gid: 0,
                size: data.len() as u64,
                link: None,
                layer: 2,
            };
            l.entries.insert(rel.clone(), entry);
            if Gem.wants(&rel) {
                l.captured.insert(rel, Content::from(data));
            }
        }
    }
    let mut l = LayerIndex::default();
    walk(root, root, &mut l);
    let mut t = FileTree::new(8);
    t.apply(&l);
    t
}

#[test]
fn directory_scan_reads_specs_lock_files_and_source_gemspecs() {
    let sbom = catalog_dir(&fixture("gem"));
    let text = summary(&sbom, &["gem"]);
    assert_snapshot("gem-dir", &text);

    // Installed gems and lock entries are both there, each at its own evidence file.
    assert!(text
        .contains("gem rack 2.2.22 pkg:gem/rack@2.2.22 /usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.22.gemspec"));
    assert!(text.contains("gem rack 2.2.22 pkg:gem/rack@2.2.22 /srv/app/Gemfile.lock"));
    // Platform suffixes stay part of the locked version, as Bundler writes them.
    assert!(
        text.contains("gem nokogiri 1.16.0-x86_64-linux pkg:gem/nokogiri@1.16.0-x86_64-linux /srv/app/Gemfile.lock")
    );
    // DEPENDENCIES entries are not packages; a computed version is not guessed.
    assert!(!text.contains("bogus"));
    assert!(!text.contains("/srv/app/app.gemspec"));

    let rack = sbom
        .packages
        .iter()
        .find(|p| p.name == "rack" && p.locations[0].path.contains("specifications"))
        .unwrap();
    assert_eq!(rack.licenses, ["MIT"]);
    assert_eq!(rack.supplier.as_deref(), Some("Leah Neukirchen"));
    assert_eq!(rack.found_by, "ruby-gem-cataloger");
    // The gem directory exists, so its files are listed with absolute paths.
    let files: Vec<&str> = rack.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        files,
        [
            "/usr/lib/ruby/gems/3.1.0/gems/rack-2.2.22/bin/rackup",
            "/usr/lib/ruby/gems/3.1.0/gems/rack-2.2.22/lib/rack.rb"
        ]
    );
    // rack depends on json at runtime (minitest is a development dependency).
    let json = sbom.packages.iter().find(|p| p.name == "json").unwrap();
    assert!(sbom
        .relationships
        .iter()
        .any(|r| r.kind == RelationshipKind::DependsOn && r.from == rack.id && r.to == json.id));
    assert!(!sbom.packages.iter().any(|p| p.name == "minitest"));
}

#[test]
fn image_scan_only_trusts_installed_specifications() {
    let tree = image_tree(&fixture("gem"));
    let mut out = Output::default();
    Gem.catalog(
        &tree,
        &Context {
            distro: None,
            directory_scan: false,
        },
        &mut out,
    );
    let mut got: Vec<String> = out
        .packages
        .iter()
        .map(|p| {
            format!(
                "{} {} {} layer={}",
                p.name, p.version, p.locations[0].path, p.locations[0].layer
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "json 2.6.1 /usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec layer=2",
            "rack 2.2.22 /usr/lib/ruby/gems/3.1.0/specifications/rack-2.2.22.gemspec layer=2",
            "webrick 1.8.1 /usr/share/rubygems-integration/all/specifications/webrick-1.8.1.gemspec layer=2",
        ]
    );
    assert_eq!(
        out.warnings,
        ["/usr/share/rubygems-integration/all/specifications/broken-0.1.gemspec: no literal gem version"]
    );
}
