//! CPE 2.3 formatted strings for packages, so NVD-keyed data can be matched.

/// Escapes a value for a CPE 2.3 formatted-string attribute.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            ' ' => out.push('_'),
            c if c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.' => out.push(c.to_ascii_lowercase()),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
    out
}

/// An application CPE for vendor, product and version.
pub fn application(vendor: &str, product: &str, version: &str) -> String {
    let v = if version.is_empty() {
        "*".to_string()
    } else {
        escape(version)
    };
    format!("cpe:2.3:a:{}:{}:{}:*:*:*:*:*:*:*", escape(vendor), escape(product), v)
}

/// Candidate CPEs for an OS package: the package name as product, with the name
/// and the distro as vendor candidates (as NVD often names the upstream project).
pub fn for_os_package(name: &str, upstream_version: &str, distro_vendor: Option<&str>) -> Vec<String> {
    let mut out = vec![application(name, name, upstream_version)];
    if let Some(vendor) = distro_vendor {
        if vendor != name {
            out.push(application(vendor, name, upstream_version));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        assert_eq!(
            application("gnu", "gcc-c++", "12.2.0"),
            "cpe:2.3:a:gnu:gcc-c\\+\\+:12.2.0:*:*:*:*:*:*:*"
        );
        assert_eq!(
            application("openssl", "openssl", ""),
            "cpe:2.3:a:openssl:openssl:*:*:*:*:*:*:*:*"
        );
    }
}
