//! Packages, PURLs and CPEs of a build's modules and of its standard library.

use super::*;

/// Packages of one build: dependencies, the main module and the standard library.
pub(super) fn build_packages(b: &Build, path: &str, layer: usize) -> Vec<Package> {
    let mut out: Vec<Package> = b
        .deps
        .iter()
        .filter(|d| !d.path.is_empty())
        .map(|d| module_package(&d.path, &d.version, FOUND_BY, path, layer))
        .collect();
    if let Some(m) = b.main.as_ref().filter(|m| !m.path.is_empty()) {
        out.push(module_package(&m.path, &m.version, FOUND_BY, path, layer));
    }
    if !out.is_empty() {
        if let Some(std) = stdlib_package(&b.go, path, layer) {
            out.push(std);
        }
    }
    out
}

/// The package of one module.
pub(super) fn module_package(module: &str, version: &str, found_by: &str, path: &str, layer: usize) -> Package {
    let mut p = Package::new(PackageType::GoModule, module, version, found_by);
    p.purl = purl(module, version);
    p.cpes = module_cpes(module, version);
    p.locations.push(Location {
        path: path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.compute_id();
    p
}

/// `pkg:golang/<host>/<first segment>/<second>@v#<rest>`: the first three path
/// segments name the package, the rest is the subpath (as Syft writes it).
pub fn purl(module: &str, version: &str) -> String {
    let fields: Vec<&str> = module.split('/').collect();
    let p = match fields.len() {
        0 | 1 => Purl::new("golang", module),
        2 => Purl::new("golang", fields[1]).namespace(fields[0]),
        _ => {
            let mut p = Purl::new("golang", fields[2]).namespace(fields[..2].join("/"));
            let sub = fields[3..].join("/");
            if !sub.is_empty() {
                p.subpath = Some(sub);
            }
            p
        }
    };
    p.version(version).to_string()
}

/// Vendor and product guessed from the module path (`github.com/org/repo/x` →
/// `org`, `repo/x`; `golang.org/x/net` → `golang`, `x/net`); none when unsure.
pub fn module_cpes(module: &str, version: &str) -> Vec<String> {
    let (host, rest) = module.split_once('/').unwrap_or((module, ""));
    let clean = rest.trim_matches('/');
    let elems: Vec<&str> = clean.split('/').collect();
    let (vendor, product) = match host {
        "golang.org" => ("golang".to_string(), clean.to_string()),
        "gopkg.in" => (String::new(), clean.to_string()),
        "google.golang.org" => ("google".to_string(), elems[0].to_string()),
        _ if elems.len() >= 2 => (elems[0].to_string(), elems[1..].join("/")),
        _ => (String::new(), String::new()),
    };
    if vendor.is_empty() || product.is_empty() {
        return Vec::new();
    }
    vec![cpe::application(&vendor, &product, version)]
}

/// The `stdlib` package of the toolchain that built the executable.
pub(super) fn stdlib_package(go: &str, path: &str, layer: usize) -> Option<Package> {
    let bare = go.strip_prefix("go").unwrap_or(go);
    let for_cpe = bare.split('+').next().unwrap_or(bare).as_bytes();
    let start = for_cpe.iter().position(u8::is_ascii_digit)?;
    let s = &for_cpe[start..];
    let mut i = s.iter().take_while(|c| c.is_ascii_digit()).count();
    for _ in 0..2 {
        if s.get(i) == Some(&b'.') && s.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1 + s[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        }
    }
    let version = std::str::from_utf8(&s[..i]).ok()?;
    let cand_len = s[i..].iter().take_while(|&&c| is_word(c)).count();
    let candidate = std::str::from_utf8(&s[i..i + cand_len]).ok()?;
    let update = if candidate.is_empty() { "-" } else { candidate };
    let mut p = Package::new(PackageType::GoModule, "stdlib", go, FOUND_BY);
    p.licenses = vec!["BSD-3-Clause".into()];
    p.purl = Purl::new("golang", "stdlib").version(bare).to_string();
    p.cpes = vec![format!(
        "cpe:2.3:a:golang:go:{}:{}:*:*:*:*:*:*",
        cpe::escape(version),
        cpe::escape(update)
    )];
    p.locations.push(Location {
        path: path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.compute_id();
    Some(p)
}
