//! Which operating system an image is: `/etc/os-release`, then `/usr/lib/os-release`,
//! then the release files older systems carry.

use crate::model::Distro;
use drydock_model::FileTree;

/// Paths distro detection reads, in order of preference.
pub const RELEASE_FILES: &[&str] = &[
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/debian_version",
    "/etc/redhat-release",
    "/etc/centos-release",
    "/etc/system-release",
    "/etc/lsb-release",
];

/// Detects the distro from the captured release files.
pub fn detect(tree: &FileTree) -> Option<Distro> {
    for path in ["/etc/os-release", "/usr/lib/os-release"] {
        if let Some(d) = tree
            .read(path)
            .and_then(|c| parse_os_release(&String::from_utf8_lossy(c)))
        {
            return Some(d);
        }
    }
    if let Some(c) = tree.read("/etc/alpine-release") {
        return Some(Distro {
            id: "alpine".into(),
            version_id: String::from_utf8_lossy(c).trim().to_string(),
            ..Default::default()
        });
    }
    if let Some(c) = tree.read("/etc/debian_version") {
        let v = String::from_utf8_lossy(c).trim().to_string();
        let major = v.split('.').next().unwrap_or("").to_string();
        return Some(Distro {
            id: "debian".into(),
            version_id: if major.chars().all(|c| c.is_ascii_digit()) {
                major
            } else {
                v
            },
            ..Default::default()
        });
    }
    for path in ["/etc/redhat-release", "/etc/centos-release", "/etc/system-release"] {
        if let Some(c) = tree.read(path) {
            return parse_redhat_release(&String::from_utf8_lossy(c));
        }
    }
    None
}

/// Parses the `KEY=value` lines of an os-release file.
pub fn parse_os_release(text: &str) -> Option<Distro> {
    let mut d = Distro::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else { continue };
        let v = unquote(v.trim());
        match k.trim() {
            "ID" => d.id = v.to_ascii_lowercase(),
            "VERSION_ID" => d.version_id = v,
            "VERSION_CODENAME" if !v.is_empty() => d.version_codename = Some(v),
            "PRETTY_NAME" if !v.is_empty() => d.pretty_name = Some(v),
            "ID_LIKE" => d.id_like = v.split_whitespace().map(str::to_string).collect(),
            _ => {}
        }
    }
    (!d.id.is_empty()).then_some(d)
}

fn unquote(v: &str) -> String {
    let v = v
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
        .unwrap_or(v);
    v.replace("\\\"", "\"").replace("\\$", "$").replace("\\\\", "\\")
}

fn parse_redhat_release(text: &str) -> Option<Distro> {
    let line = text.lines().next()?.trim();
    let lower = line.to_ascii_lowercase();
    let id = if lower.starts_with("centos") {
        "centos"
    } else if lower.starts_with("rocky") {
        "rocky"
    } else if lower.starts_with("almalinux") {
        "almalinux"
    } else if lower.starts_with("fedora") {
        "fedora"
    } else if lower.starts_with("amazon") {
        "amzn"
    } else {
        "rhel"
    };
    let version = line
        .split_whitespace()
        .find(|w| w.chars().next().is_some_and(|c| c.is_ascii_digit()))
        .unwrap_or("")
        .to_string();
    Some(Distro {
        id: id.into(),
        version_id: version,
        pretty_name: Some(line.to_string()),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_fields() {
        let d = parse_os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n").unwrap();
        assert_eq!(d.id, "debian");
        assert_eq!(d.version_id, "12");
        assert_eq!(d.version_codename.as_deref(), Some("bookworm"));
        assert!(parse_os_release("NAME=nothing\n").is_none());
        let r = parse_redhat_release("Rocky Linux release 9.3 (Blue Onyx)\n").unwrap();
        assert_eq!((r.id.as_str(), r.version_id.as_str()), ("rocky", "9.3"));
    }
}
