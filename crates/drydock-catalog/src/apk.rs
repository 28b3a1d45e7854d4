//! Alpine packages: the installed database `/lib/apk/db/installed`.

use crate::{distro_qualifier, Cataloger, Context, Output};
use drydock_model::FileTree;
use drydock_sbom::{cpe, Location, Package, PackageFile, PackageType, Purl};

const INSTALLED: &str = "/lib/apk/db/installed";

/// The apk cataloger.
pub struct Apk;

impl Cataloger for Apk {
    fn name(&self) -> &'static str {
        "apk-db-cataloger"
    }

    fn wants(&self, path: &str) -> bool {
        path == INSTALLED
    }

    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output) {
        let Some(content) = tree.read(INSTALLED) else { return };
        let layer = tree.entry(INSTALLED).map(|e| e.layer).unwrap_or(0);
        let text = String::from_utf8_lossy(content);
        for (n, record) in records(&text).enumerate() {
            match package_from(&record, layer, ctx) {
                Some(p) => out.packages.push(p),
                None => out
                    .warnings
                    .push(format!("{INSTALLED}: record {} has no P: or V: line", n + 1)),
            }
        }
    }
}

/// Runs the installed-database parser on arbitrary bytes (for fuzzing).
pub fn fuzz_entry(data: &[u8]) {
    let ctx = Context {
        distro: None,
        directory_scan: false,
    };
    for record in records(&String::from_utf8_lossy(data)) {
        let _ = package_from(&record, 0, &ctx);
    }
}

/// One package's `X:value` lines, in order (order matters for F:/R:/Z:).
type Record<'a> = Vec<(char, &'a str)>;

fn records(text: &str) -> impl Iterator<Item = Record<'_>> + '_ {
    let mut lines = text.lines();
    std::iter::from_fn(move || {
        let mut rec: Record<'_> = Vec::new();
        for line in lines.by_ref() {
            if line.trim().is_empty() {
                if rec.is_empty() {
                    continue;
                }
                return Some(rec);
            }
            let mut chars = line.chars();
            if let (Some(k), Some(':')) = (chars.next(), chars.next()) {
                rec.push((k, &line[k.len_utf8() + 1..]));
            }
        }
        (!rec.is_empty()).then_some(rec)
    })
}

fn package_from(rec: &Record<'_>, layer: usize, ctx: &Context<'_>) -> Option<Package> {
    let get = |k: char| rec.iter().find(|(c, _)| *c == k).map(|(_, v)| *v);
    let name = get('P').filter(|s| !s.is_empty())?;
    let version = get('V').filter(|s| !s.is_empty())?;
    let mut p = Package::new(PackageType::Apk, name, version, "apk-db-cataloger");
    p.architecture = get('A').map(str::to_string);
    p.source_name = get('o').filter(|o| *o != name).map(str::to_string);
    p.supplier = get('m').map(str::to_string);
    p.installed_size = get('I').and_then(|s| s.parse().ok());
    p.licenses = get('L')
        .map(|l| {
            l.split_whitespace()
                .filter(|w| !matches!(*w, "AND" | "OR" | "and" | "or"))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    p.locations.push(Location {
        path: INSTALLED.to_string(),
        layer,
        layer_digest: String::new(),
    });
    let mut dir = String::new();
    for (k, v) in rec {
        match k {
            'F' => dir = v.to_string(),
            'R' => p.files.push(PackageFile {
                path: if dir.is_empty() {
                    format!("/{v}")
                } else {
                    format!("/{dir}/{v}")
                },
                digest: None,
            }),
            'Z' => {
                if let (Some(last), Some(b64)) = (p.files.last_mut(), v.strip_prefix("Q1")) {
                    last.digest = Some(format!("sha1:{}", base64_to_hex(b64)));
                }
            }
            _ => {}
        }
    }
    let distro = ctx.distro;
    let namespace = distro.map(|d| d.id.clone()).unwrap_or_else(|| "alpine".into());
    let mut purl = Purl::new("apk", name)
        .namespace(namespace.clone())
        .version(version)
        .qualifier("arch", p.architecture.clone().unwrap_or_default())
        .qualifier("distro", distro_qualifier(distro));
    if let Some(origin) = &p.source_name {
        purl = purl.qualifier("upstream", origin.clone());
    }
    p.purl = purl.to_string();
    let upstream = version.rsplit_once("-r").map(|(v, _)| v).unwrap_or(version);
    p.cpes = cpe::for_os_package(name, upstream, Some(&namespace));
    p.compute_id();
    Some(p)
}

fn base64_to_hex(b64: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = String::new();
    for c in b64.bytes() {
        let Some(v) = ALPHABET.iter().position(|&a| a == c) else {
            break;
        };
        bits = (bits << 6) | v as u32;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push_str(&format!("{:02x}", (bits >> nbits) & 0xff));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_with_files_and_checksums() {
        let db = "C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\nm:Maint <m@x>\nF:lib\nR:libc.musl-x86_64.so.1\nZ:Q1AAAA\n\nP:busybox\nV:1.36.1-r29\nA:x86_64\nL:GPL-2.0-only\no:busybox\n";
        let recs: Vec<_> = records(db).collect();
        assert_eq!(recs.len(), 2);
        let ctx = Context {
            distro: None,
            directory_scan: false,
        };
        let p = package_from(&recs[0], 0, &ctx).unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("musl", "1.2.5-r0"));
        assert_eq!(p.files[0].path, "/lib/libc.musl-x86_64.so.1");
        assert_eq!(p.files[0].digest.as_deref(), Some("sha1:000000"));
        assert_eq!(p.purl, "pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64");
    }
}
