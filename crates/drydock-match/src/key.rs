//! From a catalogued package to the (namespace, name, version) the database is keyed by.

use drydock_ecosystem::Matching;
use drydock_sbom::{Distro, Package, PackageType, Purl};
use drydock_version::Scheme;
use serde::{Deserialize, Serialize};

/// Which of a package's names a lookup used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NameKind {
    /// The package's own (ecosystem-normalised) name.
    Package,
    /// The distro source package (dpkg `Source`, rpm source RPM, apk origin).
    Source,
    /// The binary package name, tried because the source name had no advisories.
    BinaryFallback,
    /// A CPE's `vendor:product` (the opt-in CPE fallback).
    Cpe,
}

/// What a package is looked up as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupKey {
    /// Normalised namespace: `pypi`, `go`, `debian:12`, …
    pub namespace: String,
    /// Names to look up, in order; a [`NameKind::BinaryFallback`] name is only looked up when
    /// the names before it found nothing.
    pub names: Vec<(String, NameKind)>,
    /// The version compared against the advisories' ranges.
    pub version: String,
    /// The namespace's version scheme (used for explicit version lists).
    pub scheme: Scheme,
}

/// Why a package has no lookup key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoKey {
    /// The package type has no advisory ecosystem (binaries, …) or lacks what is needed (a
    /// Maven artifact without a group id, a Go main module at `(devel)`): silently skipped.
    Unsupported,
    /// Something a user should know about (no distro for an OS package, a Go toolchain
    /// version that cannot be read).
    Warn(String),
}

/// The database namespace of a distro release: `debian:12`, `ubuntu:22.04`, `alpine:3.20`,
/// `rhel:9`, `sles:15.5`, `wolfi`; `None` when the release has no usable version.
pub fn distro_namespace(d: &Distro) -> Option<String> {
    let id = d.id.trim().to_ascii_lowercase();
    if id.is_empty() {
        return None;
    }
    let v = d.version_id.trim();
    let numeric: Vec<&str> = v
        .split(['.', '_', '-'])
        .take_while(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .collect();
    let major = || numeric.first().map(|s| s.to_string());
    let major_minor = || match numeric.as_slice() {
        [a, b, ..] => Some(format!("{a}.{b}")),
        [a] => Some(a.to_string()),
        [] => None,
    };
    let version = match id.as_str() {
        "wolfi" | "chainguard" => return Some(id),
        // Testing and unstable have no VERSION_ID, only a codename.
        "debian" if numeric.is_empty() => {
            let codename = d.version_codename.as_deref().unwrap_or("").trim().to_ascii_lowercase();
            return drydock_vulndb::feeds::debian::codename_namespace(&codename).map(str::to_string);
        }
        "ubuntu" | "alpine" => major_minor(),
        "sles" | "sled" | "sles_sap" | "opensuse-leap" => {
            return (!v.is_empty()).then(|| format!("{}:{v}", if id == "opensuse-leap" { &id } else { "sles" }))
        }
        "debian" | "rhel" | "rocky" | "almalinux" | "centos" | "ol" | "amzn" | "fedora" => major(),
        _ => major().filter(|_| !v.is_empty()),
    }?;
    Some(format!("{id}:{version}"))
}

/// PEP 503 normalisation: lower case, runs of `-`, `_`, `.` become one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// The Go standard library's version in OSV's form: `go1.20.7` → `1.20.7`, `go1.20` →
/// `1.20.0`, `go1.21rc2` → `1.21.0-rc.2`, `go1.22.1 X:boringcrypto` → `1.22.1`.
pub fn go_stdlib_version(v: &str) -> Result<String, String> {
    let bad = || format!("{v:?} is not a Go release version");
    let s = v.trim();
    let s = s.strip_prefix("go").ok_or_else(bad)?;
    let s = s.split([' ', '+', '-']).next().unwrap_or("");
    let digits_end = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, pre) = s.split_at(digits_end);
    let parts: Vec<&str> = num.split('.').collect();
    if parts.is_empty() || parts.len() > 3 || parts.iter().any(|p| p.is_empty() || p.len() > 9) {
        return Err(bad());
    }
    let mut base = parts.join(".");
    for _ in parts.len()..3 {
        base.push_str(".0");
    }
    if pre.is_empty() {
        return Ok(base);
    }
    for tag in ["rc", "beta", "alpha"] {
        if let Some(n) = pre.strip_prefix(tag) {
            if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) {
                return Ok(format!("{base}-{tag}.{n}"));
            }
        }
    }
    Err(bad())
}

/// The lookup key of a package, given the SBOM's distro.
pub fn lookup_key(p: &Package, distro: Option<&Distro>) -> Result<LookupKey, NoKey> {
    if p.version.trim().is_empty() {
        return Err(NoKey::Unsupported);
    }
    // The database namespace comes from the package-type table; only the name needs
    // per-ecosystem shaping.
    let namespace = match p.package_type.info().matching {
        Matching::Distro => return os_key(p, distro),
        Matching::Namespace(ns) => ns,
        Matching::ByCpe => return Err(NoKey::Unsupported),
    };
    let (name, version) = match p.package_type {
        PackageType::JavaArchive => {
            let purl = Purl::parse(&p.purl)
                .filter(|u| u.ty == PackageType::JavaArchive.purl_type())
                .ok_or(NoKey::Unsupported)?;
            let group = purl.namespace.filter(|g| !g.is_empty()).ok_or(NoKey::Unsupported)?;
            (format!("{group}:{}", purl.name), p.version.clone())
        }
        PackageType::GoModule if p.name == "stdlib" => {
            let v = go_stdlib_version(&p.version).map_err(|e| {
                if p.version.contains("devel") {
                    NoKey::Unsupported
                } else {
                    NoKey::Warn(format!("Go standard library in {}: {e}", location(p)))
                }
            })?;
            ("stdlib".to_string(), v)
        }
        PackageType::GoModule => {
            if p.version.starts_with('(') {
                // `(devel)`: a main module built from a work tree, no release to compare.
                return Err(NoKey::Unsupported);
            }
            let v = p.version.strip_prefix('v').unwrap_or(&p.version).to_string();
            // The module path: the purl's namespace/name (a main package's purl carries the
            // package directory as a subpath, which is not part of the module).
            let module = Purl::parse(&p.purl)
                .filter(|u| u.ty == PackageType::GoModule.purl_type())
                .map(|u| match u.namespace {
                    Some(ns) => format!("{ns}/{}", u.name),
                    None => u.name,
                })
                .unwrap_or_else(|| p.name.clone());
            (module, v)
        }
        _ => (p.name.clone(), p.version.clone()),
    };
    let name = drydock_vulndb::normalize_package(namespace, &name);
    if name.is_empty() {
        return Err(NoKey::Unsupported);
    }
    Ok(LookupKey {
        namespace: namespace.to_string(),
        names: vec![(name, NameKind::Package)],
        version,
        scheme: p.package_type.scheme(),
    })
}

fn os_key(p: &Package, distro: Option<&Distro>) -> Result<LookupKey, NoKey> {
    let Some(d) = distro else {
        return Err(NoKey::Warn(
            "the SBOM names no distro: operating-system packages are not matched".into(),
        ));
    };
    let namespace = distro_namespace(d).ok_or_else(|| {
        NoKey::Warn(format!(
            "distro {:?} version {:?} has no vulnerability namespace: operating-system packages are not matched",
            d.id, d.version_id
        ))
    })?;
    let scheme = p.package_type.scheme();
    let source = p.source_name.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut names = Vec::with_capacity(2);
    match source {
        Some(s) if s != p.name => {
            names.push((drydock_vulndb::normalize_package(&namespace, s), NameKind::Source));
            names.push((
                drydock_vulndb::normalize_package(&namespace, &p.name),
                NameKind::BinaryFallback,
            ));
        }
        _ => names.push((
            drydock_vulndb::normalize_package(&namespace, &p.name),
            NameKind::Package,
        )),
    }
    let version = p
        .source_version
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(&p.version)
        .to_string();
    Ok(LookupKey {
        namespace,
        names,
        version,
        scheme,
    })
}

fn location(p: &Package) -> &str {
    p.locations.first().map(|l| l.path.as_str()).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn distro(id: &str, v: &str) -> Distro {
        Distro {
            id: id.into(),
            version_id: v.into(),
            ..Default::default()
        }
    }

    #[test]
    fn namespaces() {
        assert_eq!(distro_namespace(&distro("debian", "12")).as_deref(), Some("debian:12"));
        assert_eq!(
            distro_namespace(&distro("ubuntu", "22.04")).as_deref(),
            Some("ubuntu:22.04")
        );
        assert_eq!(
            distro_namespace(&distro("alpine", "3.20.3")).as_deref(),
            Some("alpine:3.20")
        );
        assert_eq!(distro_namespace(&distro("rhel", "9.4")).as_deref(), Some("rhel:9"));
        assert_eq!(distro_namespace(&distro("rocky", "9.3")).as_deref(), Some("rocky:9"));
        assert_eq!(distro_namespace(&distro("sles", "15.5")).as_deref(), Some("sles:15.5"));
        assert_eq!(distro_namespace(&distro("wolfi", "20230201")).as_deref(), Some("wolfi"));
        assert_eq!(distro_namespace(&distro("debian", "")), None);
        let mut trixie = distro("debian", "");
        trixie.version_codename = Some("trixie".into());
        assert_eq!(distro_namespace(&trixie).as_deref(), Some("debian:13"));
    }

    #[test]
    fn go_versions() {
        assert_eq!(go_stdlib_version("go1.20.7").unwrap(), "1.20.7");
        assert_eq!(go_stdlib_version("go1.20").unwrap(), "1.20.0");
        assert_eq!(go_stdlib_version("go1.21rc2").unwrap(), "1.21.0-rc.2");
        assert_eq!(go_stdlib_version("go1.22.1 X:boringcrypto").unwrap(), "1.22.1");
        assert!(go_stdlib_version("devel go1.23-abc").is_err());
        assert!(go_stdlib_version("go").is_err());
    }

    #[test]
    fn names() {
        assert_eq!(pep503("Jinja2"), "jinja2");
        assert_eq!(pep503("zope.interface"), "zope-interface");
        assert_eq!(pep503("A__b-.c"), "a-b-c");
        let mut p = Package::new(PackageType::JavaArchive, "log4j-core", "2.14.1", "t");
        p.purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into();
        let k = lookup_key(&p, None).unwrap();
        assert_eq!(k.names[0].0, "org.apache.logging.log4j:log4j-core");
        assert_eq!(k.namespace, "maven");
        let mut d = Package::new(PackageType::Deb, "libc6", "2.36-9+deb12u7", "t");
        d.source_name = Some("glibc".into());
        let k = lookup_key(&d, Some(&distro("debian", "12"))).unwrap();
        assert_eq!(k.names[0], ("glibc".to_string(), NameKind::Source));
        assert_eq!(k.names[1], ("libc6".to_string(), NameKind::BinaryFallback));
        assert_eq!(k.version, "2.36-9+deb12u7");
        assert!(matches!(lookup_key(&d, None), Err(NoKey::Warn(_))));
        let mut g = Package::new(
            PackageType::GoModule,
            "github.com/docker/distribution/cmd/registry",
            "v2.8.2+ds1",
            "t",
        );
        g.purl = "pkg:golang/github.com/docker/distribution@v2.8.2%2Bds1#cmd/registry".into();
        let k = lookup_key(&g, None).unwrap();
        assert_eq!(
            (k.names[0].0.as_str(), k.version.as_str()),
            ("github.com/docker/distribution", "2.8.2+ds1")
        );
    }
}
