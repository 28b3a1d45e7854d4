//! Memory probe for the document parsers: builds a hostile input in memory and parses it.
//! Run under `/usr/bin/time -v` to read the peak RSS:
//!
//! ```sh
//! cargo run -p drydock-catalog --example parse_probe -- package-json-array 200
//! cargo run -p drydock-catalog --example parse_probe -- package-json-string 200
//! cargo run -p drydock-catalog --example parse_probe -- dpkg 2000000
//! cargo run -p drydock-catalog --example parse_probe -- dpkg-min 2000000
//! ```
use drydock_catalog::dpkg::Dpkg;
use drydock_catalog::javascript::parse_package_json;
use drydock_catalog::{Cataloger, Context, Output};
use drydock_image::{Content, FileEntry, FileKind, FileTree, LayerIndex};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("package-json-array");
    let n: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(200);
    let input = match mode {
        "package-json-array" => {
            // A 200 MB irrelevant array of small objects beside the name and version.
            let mut s = String::with_capacity(n << 20);
            s.push_str(r#"{"name":"big","version":"1.0.0","files":["#);
            while s.len() < n << 20 {
                s.push_str(r#"{"k":[1,2]},"#);
            }
            s.push_str(r#"{}]}"#);
            s.into_bytes()
        }
        "package-json-string" => {
            let mut s = String::with_capacity((n << 20) + 64);
            s.push_str(r#"{"name":"big","version":"1.0.0","description":""#);
            s.extend(std::iter::repeat_n('x', n << 20));
            s.push_str(r#""}"#);
            s.into_bytes()
        }
        "dpkg" => {
            let mut s = String::new();
            for i in 0..n {
                s.push_str(&format!(
                    "Package: pkg{i}\nStatus: install ok installed\nPriority: optional\nSection: libs\n\
                     Installed-Size: 123\nMaintainer: Debian Maintainers <debian@example.org>\n\
                     Architecture: amd64\nSource: src{i} (1.0-1)\nVersion: 1:1.0-1+deb12u1\n\
                     Depends: libc6 (>= 2.34), libfoo{i} | libbar\nDescription: a package\n \
                     with a longer description\n .\n spanning several lines\n\n"
                ));
            }
            s.into_bytes()
        }
        "dpkg-min" => {
            // The smallest stanzas a status file can hold: 2 M of them fit the capture cap.
            let mut s = String::new();
            for i in 0..n {
                s.push_str(&format!("Package: p{i}\nVersion: 1\n\n"));
            }
            s.into_bytes()
        }
        other => panic!("unknown mode {other}"),
    };
    eprintln!("input: {} bytes", input.len());
    let start = Instant::now();
    match mode {
        "dpkg" | "dpkg-min" => {
            let mut layer = LayerIndex::default();
            let path = "/var/lib/dpkg/status".to_string();
            layer.entries.insert(
                path.clone(),
                FileEntry {
                    kind: FileKind::Regular,
                    mode: 0o644,
                    uid: 0,
                    gid: 0,
                    size: input.len() as u64,
                    link: None,
                    layer: 0,
                },
            );
            layer.captured.insert(path, Content::from(input));
            let mut tree = FileTree::new(8);
            tree.apply(&layer);
            drop(layer);
            let mut out = Output::default();
            Dpkg.catalog(
                &tree,
                &Context {
                    distro: None,
                    directory_scan: false,
                },
                &mut out,
            );
            eprintln!("packages: {}, warnings: {}", out.packages.len(), out.warnings.len());
        }
        _ => {
            let r = parse_package_json(&input);
            eprintln!("result: {:?}", r.map(|m| m.map(|m| (m.name, m.version))));
        }
    }
    eprintln!("parse time: {:.2?}", start.elapsed());
}
