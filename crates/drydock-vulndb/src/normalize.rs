//! Namespace and package-name normalisation: the contract between the database and the
//! matcher. Both sides call these functions so that names meet.

use drydock_ecosystem::Matching;

/// Maps an OSV ecosystem string (`PyPI`, `Debian:12`, `Alpine:v3.20`, `Ubuntu:22.04:LTS`,
/// `Red Hat:enterprise_linux:9::appstream`, `SUSE:Linux Enterprise Server 15 SP5`…) to a
/// drydock namespace (`pypi`, `debian:12`, `alpine:3.20`, `ubuntu:22.04`, `rhel:9`,
/// `sles:15.5`…). `None` for ecosystems drydock deliberately ignores (Ubuntu Pro/ESM
/// streams, Red Hat extended-support streams) or empty strings.
pub fn normalize_namespace(ecosystem: &str) -> Option<String> {
    let eco = ecosystem.trim();
    if eco.is_empty() {
        return None;
    }
    let (base, rest) = match eco.split_once(':') {
        Some((b, r)) => (b.trim(), Some(r.trim())),
        None => (eco, None),
    };
    let lower = base.to_ascii_lowercase();
    let simple = |s: &str| Some(s.to_string());
    // A package type's OSV ecosystem is its namespace (the package-type table's); OSV may
    // suffix a repository URL: `Maven:https://repo1.maven.org/maven2/`.
    if let Some(ns) = drydock_ecosystem::TYPES.iter().find_map(|t| match (t.osv, t.matching) {
        (Some(osv), Matching::Namespace(ns)) if osv.eq_ignore_ascii_case(base) => Some(ns),
        _ => None,
    }) {
        return simple(ns);
    }
    match lower.as_str() {
        "hex" => simple("hex"),
        "pub" => simple("pub"),
        "wolfi" => simple("wolfi"),
        "chainguard" => simple("chainguard"),
        "debian" => {
            let v = rest?;
            let major = v.split('.').next().unwrap_or(v);
            Some(format!("debian:{}", major.to_ascii_lowercase()))
        }
        "ubuntu" => {
            let v = rest?;
            // `Ubuntu:22.04:LTS`, `Ubuntu:24.04`, `Ubuntu:Pro:18.04:LTS` (ignored),
            // `Ubuntu:Pro:FIPS-updates:…` (ignored).
            let first = v.split(':').next().unwrap_or(v);
            if !first.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                return None;
            }
            Some(format!("ubuntu:{first}"))
        }
        "alpine" => {
            let v = rest?;
            let v = v.strip_prefix('v').unwrap_or(v);
            Some(format!("alpine:{v}"))
        }
        "rocky linux" | "rocky" => Some(format!("rocky:{}", major_of(rest?))),
        "almalinux" => Some(format!("almalinux:{}", major_of(rest?))),
        "red hat" | "redhat" | "rhel" => {
            let v = rest?;
            // `enterprise_linux:9::appstream`, `enterprise_linux:8::baseos`; other
            // streams (`rhel_eus:9.2::baseos`, `rhel_aus…`) are not a base image's.
            let mut parts = v.split(':');
            let product = parts.next().unwrap_or("");
            let version = parts.next().unwrap_or("");
            if lower == "rhel" && product.chars().all(|c| c.is_ascii_digit() || c == '.') && !product.is_empty() {
                return Some(format!("rhel:{}", major_of(product)));
            }
            if product == "enterprise_linux" && !version.is_empty() {
                return Some(format!("rhel:{}", major_of(version)));
            }
            None
        }
        "suse" => suse_namespace(rest?),
        "opensuse" => {
            let v = rest?;
            if let Some(ver) = v.strip_prefix("Leap ") {
                return Some(format!("opensuse-leap:{}", ver.split_whitespace().next()?));
            }
            if v.starts_with("Tumbleweed") {
                return simple("opensuse-tumbleweed");
            }
            None
        }
        _ => {
            let base = lower.replace(' ', "-");
            match rest {
                Some(r) if !r.is_empty() => Some(format!("{base}:{}", r.to_ascii_lowercase())),
                _ => Some(base),
            }
        }
    }
}

fn major_of(v: &str) -> &str {
    let v = v.trim();
    v.split('.').next().unwrap_or(v)
}

/// `Linux Enterprise Server 15 SP5` → `sles:15.5`; `Linux Enterprise Module for Basesystem
/// 15 SP5` → `sles:15.5` (modules ship into SLES and its BCI images); `Linux Enterprise
/// Micro 5.5` → `sle-micro:5.5`.
fn suse_namespace(product: &str) -> Option<String> {
    let words: Vec<&str> = product.split_whitespace().collect();
    let id = if product.starts_with("Linux Enterprise Server") || product.starts_with("Linux Enterprise Module") {
        "sles"
    } else if product.starts_with("Linux Enterprise Micro") {
        "sle-micro"
    } else {
        return None;
    };
    // The first all-numeric-ish word is the version, an `SPn` word after it the service pack.
    let pos = words
        .iter()
        .position(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let version = words[pos];
    match words.get(pos + 1).and_then(|w| w.strip_prefix("SP")) {
        Some(sp) if sp.chars().all(|c| c.is_ascii_digit()) && !sp.is_empty() => Some(format!("{id}:{version}.{sp}")),
        _ => Some(format!("{id}:{version}")),
    }
}

/// Normalises a package name for a (normalised) namespace: PEP 503 for `pypi`,
/// lower-case for case-insensitive ecosystems (`crates.io`, `packagist`, `nuget`, `hex`,
/// Debian/Ubuntu/Alpine/Wolfi source packages), unchanged elsewhere (npm, Maven
/// `group:artifact`, Go module paths, RubyGems, rpm names).
pub fn normalize_package(namespace: &str, name: &str) -> String {
    let name = name.trim();
    let base = namespace.split(':').next().unwrap_or(namespace);
    match base {
        "pypi" => pep503(name),
        "crates.io" | "packagist" | "nuget" | "hex" | "debian" | "ubuntu" | "alpine" | "wolfi" | "chainguard" => {
            name.to_ascii_lowercase()
        }
        _ => name.to_string(),
    }
}

/// PEP 503 normalisation: lower-case, runs of `-`, `_`, `.` collapsed to one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut sep = false;
    for c in name.chars() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces() {
        let cases = [
            ("PyPI", Some("pypi")),
            ("Maven", Some("maven")),
            ("Maven:https://repo1.maven.org/maven2/", Some("maven")),
            ("crates.io", Some("crates.io")),
            ("Debian:12", Some("debian:12")),
            ("Debian:11", Some("debian:11")),
            ("Ubuntu:22.04:LTS", Some("ubuntu:22.04")),
            ("Ubuntu:24.10", Some("ubuntu:24.10")),
            ("Ubuntu:Pro:18.04:LTS", None),
            ("Alpine:v3.20", Some("alpine:3.20")),
            ("Rocky Linux:9", Some("rocky:9")),
            ("AlmaLinux:8", Some("almalinux:8")),
            ("Red Hat:enterprise_linux:9::appstream", Some("rhel:9")),
            ("Red Hat:rhel_eus:9.2::baseos", None),
            ("SUSE:Linux Enterprise Server 15 SP5", Some("sles:15.5")),
            ("SUSE:Linux Enterprise Module for Basesystem 15 SP6", Some("sles:15.6")),
            ("SUSE:Linux Enterprise Micro 5.5", Some("sle-micro:5.5")),
            ("openSUSE:Leap 15.5", Some("opensuse-leap:15.5")),
            ("Wolfi", Some("wolfi")),
            ("Chainguard", Some("chainguard")),
            ("GitHub Actions", Some("github-actions")),
            ("", None),
        ];
        for (eco, want) in cases {
            assert_eq!(normalize_namespace(eco).as_deref(), want, "{eco}");
        }
    }

    #[test]
    fn packages() {
        assert_eq!(normalize_package("pypi", "Flask_SQLAlchemy"), "flask-sqlalchemy");
        assert_eq!(normalize_package("pypi", "zope.interface"), "zope-interface");
        assert_eq!(normalize_package("pypi", "a__b--c"), "a-b-c");
        assert_eq!(normalize_package("maven", "org.Apache:Foo"), "org.Apache:Foo");
        assert_eq!(normalize_package("npm", "@Scope/pkg"), "@Scope/pkg");
        assert_eq!(normalize_package("nuget", "Newtonsoft.Json"), "newtonsoft.json");
        assert_eq!(normalize_package("debian:12", "OpenSSL"), "openssl");
        assert_eq!(normalize_package("rhel:9", "NetworkManager"), "NetworkManager");
    }
}
