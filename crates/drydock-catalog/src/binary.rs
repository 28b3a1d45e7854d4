//! Binary classifiers: versions of well-known runtimes and servers read from the bytes
//! of their executables and libraries (files no package manager declares, such as a
//! Python built from source in `/usr/local` or a vendored OpenSSL).
//!
//! Only files with well-known names are read (`python3.11`, `libpython3.11.so.1.0`,
//! `node`, `libnode.so.108`, `openssl`, `libssl.so.3`, `libcrypto.so.3`, `busybox`,
//! `java`, `libjvm.so`, `curl`, `libcurl.so.4`, `nginx`, `redis-server`, `postgres`;
//! executables must have an execute bit), during the layer pass: the version string is
//! searched for and only `{"class": ..., "version": ...}` is kept.
//!
//! Every classified file is reported with its own path as location; the SBOM builder
//! drops classifications of files an OS package installed (the OS package already
//! names them), so on a distro image only binaries installed by other means remain.

use crate::{Cataloger, Context, Output};
use drydock_model::{FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageType, Purl};
use serde_json::json;

/// The binary classifier cataloger.
pub struct Binary;

const NAME: &str = "binary-classifier-cataloger";
/// Largest file read (static Node.js builds are above 100 MiB).
const MAX_BINARY_BYTES: u64 = 256 << 20;
/// Longest version string accepted.
const MAX_VERSION_LEN: usize = 64;

/// What a file was classified as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Python,
    Node,
    OpenSsl,
    BusyBox,
    Java,
    Curl,
    Nginx,
    Redis,
    Postgres,
}

const CLASSES: [Class; 9] = [
    Class::Python,
    Class::Node,
    Class::OpenSsl,
    Class::BusyBox,
    Class::Java,
    Class::Curl,
    Class::Nginx,
    Class::Redis,
    Class::Postgres,
];

impl Class {
    /// The package name reported (and the PURL name).
    fn package(self) -> &'static str {
        match self {
            Class::Python => "python",
            Class::Node => "node",
            Class::OpenSsl => "openssl",
            Class::BusyBox => "busybox",
            Class::Java => "java",
            Class::Curl => "curl",
            Class::Nginx => "nginx",
            Class::Redis => "redis",
            Class::Postgres => "postgresql",
        }
    }

    /// CPE vendor/product pairs as NVD names the product.
    fn cpes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Class::Python => &[("python_software_foundation", "python"), ("python", "python")],
            Class::Node => &[("nodejs", "node.js")],
            Class::OpenSsl => &[("openssl", "openssl")],
            Class::BusyBox => &[("busybox", "busybox")],
            Class::Java => &[("oracle", "openjdk")],
            Class::Curl => &[("haxx", "curl"), ("haxx", "libcurl")],
            Class::Nginx => &[("f5", "nginx"), ("nginx", "nginx")],
            Class::Redis => &[("redis", "redis"), ("redislabs", "redis")],
            Class::Postgres => &[("postgresql", "postgresql")],
        }
    }

    fn from_package(name: &str) -> Option<Class> {
        CLASSES.into_iter().find(|c| c.package() == name)
    }
}

/// The class a file name may hold, and whether it must be executable to count.
/// Cheap (no allocation): called for every file of every layer.
fn class_by_name(name: &str) -> Option<(Class, bool)> {
    let lib = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|r| r.is_empty() || r.starts_with('.'))
    };
    match name {
        "node" | "nodejs" => Some((Class::Node, true)),
        "openssl" => Some((Class::OpenSsl, true)),
        "busybox" => Some((Class::BusyBox, true)),
        "java" => Some((Class::Java, true)),
        "libjvm.so" => Some((Class::Java, false)),
        "curl" => Some((Class::Curl, true)),
        "nginx" => Some((Class::Nginx, true)),
        "redis-server" => Some((Class::Redis, true)),
        "postgres" | "postgresql" => Some((Class::Postgres, true)),
        _ if lib("libnode.so") => Some((Class::Node, false)),
        _ if lib("libssl.so") || lib("libcrypto.so") => Some((Class::OpenSsl, false)),
        _ if lib("libcurl.so") => Some((Class::Curl, false)),
        _ if name.starts_with("libpython") && name.contains(".so") => Some((Class::Python, false)),
        _ if is_python_executable(name) => Some((Class::Python, true)),
        _ => None,
    }
}

/// `python`, `python3`, `python3.11`, `python3.13t` (not `python3.11-config`).
fn is_python_executable(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("python") else {
        return false;
    };
    let rest = rest.strip_suffix(['m', 'd', 't', 'u']).unwrap_or(rest);
    rest.bytes().all(|b| b.is_ascii_digit() || b == b'.') && !rest.starts_with('.')
}

impl Cataloger for Binary {
    fn name(&self) -> &'static str {
        NAME
    }

    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn extracts(&self, path: &str, mode: u32, size: u64) -> bool {
        if size == 0 || size > MAX_BINARY_BYTES {
            return false;
        }
        match class_by_name(file_name(path)) {
            Some((_, true)) => mode & 0o111 != 0,
            Some((_, false)) => true,
            None => false,
        }
    }

    fn extract(&self, path: &str, content: &[u8]) -> Option<String> {
        let name = file_name(path);
        let (class, _) = class_by_name(name)?;
        let version = classify(class, name, content)?;
        Some(json!({ "class": class.package(), "version": version }).to_string())
    }

    fn catalog(&self, tree: &FileTree, _ctx: &Context<'_>, out: &mut Output) {
        for (p, summary) in tree.extracted_by(NAME) {
            // Hard links share their target's result: the target is reported once.
            let Some(entry) = tree.entry(p).filter(|e| e.kind == FileKind::Regular) else {
                continue;
            };
            match parse_summary(summary) {
                Some((class, version)) => out.packages.push(package(class, &version, p, entry.layer)),
                None => out.warnings.push(format!("{p}: unreadable binary classification")),
            }
        }
    }
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn parse_summary(summary: &str) -> Option<(Class, String)> {
    let v: serde_json::Value = serde_json::from_str(summary).ok()?;
    let class = Class::from_package(v.get("class")?.as_str()?)?;
    let version = v.get("version")?.as_str()?;
    (!version.is_empty() && version.len() <= MAX_VERSION_LEN).then(|| (class, version.to_string()))
}

fn package(class: Class, version: &str, path: &str, layer: usize) -> Package {
    let name = class.package();
    let mut p = Package::new(PackageType::Binary, name, version, NAME);
    p.purl = Purl::new("generic", name).version(version).to_string();
    p.cpes = class
        .cpes()
        .iter()
        .map(|(vendor, product)| cpe::application(vendor, product, version))
        .collect();
    p.locations.push(Location {
        path: path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    p.compute_id();
    p
}

/// Runs every classifier on arbitrary bytes (for fuzzing): must not panic.
pub fn fuzz_entry(data: &[u8]) {
    for name in [
        "python3.11",
        "python",
        "libpython3.11.so.1.0",
        "libjvm.so",
        "java",
        "libcurl.so.4",
    ] {
        if let Some((class, _)) = class_by_name(name) {
            let _ = classify(class, name, data);
        }
    }
    for class in CLASSES {
        let _ = classify(class, class.package(), data);
    }
    let _ = parse_summary(&String::from_utf8_lossy(data));
}

/// The version a file of this class and name declares in its bytes.
fn classify(class: Class, name: &str, hay: &[u8]) -> Option<String> {
    let v = match class {
        Class::Python => python(name, hay),
        Class::Node => after(hay, b"node.js/v", 3, no_suffix, not_version_byte)
            .or_else(|| after(hay, b"/download/release/v", 3, no_suffix, |b| b == b'/')),
        Class::OpenSsl => openssl(hay),
        Class::BusyBox => after(
            hay,
            b"BusyBox v",
            2,
            |b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-',
            |b| matches!(b, b' ' | 0 | b'(' | b'\n'),
        ),
        Class::Java => java(hay),
        Class::Curl => after(hay, b"\0curl/", 3, curl_suffix, |b| b == 0)
            .or_else(|| after(hay, b"libcurl/", 3, curl_suffix, |b| b == 0 || b == b' '))
            .or_else(|| after(hay, b"curl ", 3, curl_suffix, |b| b == b' ')),
        Class::Nginx => after(hay, b"nginx version: nginx/", 3, no_suffix, not_version_byte)
            .or_else(|| after(hay, b"Server: nginx/", 3, no_suffix, not_version_byte))
            .or_else(|| after(hay, b"\0nginx/", 3, no_suffix, |b| b == 0)),
        Class::Redis => redis(hay),
        Class::Postgres => after(
            hay,
            b"(PostgreSQL) ",
            1,
            |b| b.is_ascii_alphanumeric(),
            |b| matches!(b, 0 | b'\n' | b' '),
        )
        .or_else(|| after(hay, b"PostgreSQL ", 1, |b| b.is_ascii_alphanumeric(), |b| b == b' ')),
    }?;
    Some(v.to_string())
}

fn no_suffix(_: u8) -> bool {
    false
}

fn not_version_byte(b: u8) -> bool {
    !(b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
}

fn curl_suffix(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// `\0<major.minor>.<patch>[suffix]\0`, the major.minor taken from the file name
/// when it has one (`python3.11` → `3.11.`), else any 2.x.y / 3.x.y.
fn python<'a>(name: &str, hay: &'a [u8]) -> Option<&'a str> {
    let digits = name.trim_start_matches("lib").trim_start_matches("python");
    let hint_len = digits
        .bytes()
        .position(|b| !(b.is_ascii_digit() || b == b'.'))
        .unwrap_or(digits.len());
    let hint = digits[..hint_len].trim_end_matches('.');
    let suffix = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'+';
    let term = |b: u8| b == 0;
    let majors: Vec<&str> = if hint.is_empty() { vec!["3", "2"] } else { vec![hint] };
    majors.into_iter().find_map(|m| {
        let needle = [b"\0".as_slice(), m.as_bytes(), b"."].concat();
        // The version begins after the NUL.
        scan(hay, &needle, 1, 3, suffix, term)
    })
}

/// `OpenSSL 3.0.15 3 Sep 2024`: the version must be followed by the release date.
fn openssl(hay: &[u8]) -> Option<&str> {
    let suffix = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
    let mut from = 0;
    while let Some(at) = find(hay, b"OpenSSL ", from) {
        from = at + 1;
        let start = at + b"OpenSSL ".len();
        if let Some((v, end)) = version_at(hay, start, 3, suffix) {
            let rest = &hay[end..hay.len().min(end + 4)];
            let spaces = rest.iter().take_while(|b| **b == b' ').count();
            if (1..=2).contains(&spaces) && rest.get(spaces).is_some_and(u8::is_ascii_digit) {
                return Some(v);
            }
        }
    }
    None
}

/// The launcher's `\0openjdk\0java\0<release>\0<full version>\0`, or libjvm's
/// `... JRE (<full version>)`.
fn java(hay: &[u8]) -> Option<&str> {
    let marker = b"\0openjdk\0java\0";
    if let Some(at) = find(hay, marker, 0) {
        let release_start = at + marker.len();
        if let Some(release) = nul_string(hay, release_start) {
            if let Some(full) = nul_string(hay, release_start + release.len() + 1) {
                if plausible_java(full) {
                    return Some(full);
                }
            }
        }
    }
    let mut from = 0;
    while let Some(at) = find(hay, b" JRE (", from) {
        from = at + 1;
        let start = at + b" JRE (".len();
        let window = &hay[start..hay.len().min(start + MAX_VERSION_LEN + 1)];
        if let Some(close) = window.iter().position(|b| *b == b')') {
            if let Ok(v) = std::str::from_utf8(&window[..close]) {
                if plausible_java(v) {
                    return Some(v);
                }
            }
        }
    }
    None
}

fn plausible_java(v: &str) -> bool {
    v.starts_with(|c: char| c.is_ascii_digit())
        && v.len() <= MAX_VERSION_LEN
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
}

/// The NUL-terminated printable string starting at `start` (at most 64 bytes).
fn nul_string(hay: &[u8], start: usize) -> Option<&str> {
    let window = hay.get(start..hay.len().min(start + MAX_VERSION_LEN + 1))?;
    let end = window.iter().position(|b| *b == 0)?;
    let s = std::str::from_utf8(&window[..end]).ok()?;
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_graphic())).then_some(s)
}

/// Redis keeps its version as a bare string (`\x007.2.4\0`) used by the `Redis server
/// v=%s` and `redis_version:%s` formats: those must be present to call the file Redis;
/// a version also found at the start of the build id (`7.2.4buildhost-1700000000…`)
/// is preferred over other bare versions.
fn redis(hay: &[u8]) -> Option<&str> {
    find(hay, b"Redis server v=", 0).or_else(|| find(hay, b"redis_version:", 0))?;
    let mut candidates: Vec<&str> = Vec::new();
    let mut from = 0;
    while candidates.len() < 32 {
        let Some(at) = find_nul_digit(hay, from) else { break };
        from = at + 1;
        if let Some((v, end)) = version_at(hay, at + 1, 3, no_suffix) {
            if hay.get(end) == Some(&0) && !candidates.contains(&v) {
                candidates.push(v);
            }
        }
    }
    let with_build_id = candidates.iter().find(|v| {
        let needle = [b"\0".as_slice(), v.as_bytes()].concat();
        let mut from = 0;
        while let Some(at) = find(hay, &needle, from) {
            from = at + 1;
            if hay.get(at + needle.len()).is_some_and(|b| b.is_ascii_alphabetic()) {
                return true;
            }
        }
        false
    });
    with_build_id.or(candidates.first()).copied()
}

/// Next position of a NUL followed by a digit.
fn find_nul_digit(hay: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i + 1 < hay.len() {
        let at = i + hay.get(i..)?.iter().position(|b| *b == 0)?;
        if hay.get(at + 1).is_some_and(u8::is_ascii_digit) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// The first version found right after `needle`, with at least `min_parts` numeric
/// parts, any `suffix` bytes, and a following byte accepted by `term`.
fn after<'a>(
    hay: &'a [u8],
    needle: &[u8],
    min_parts: usize,
    suffix: impl Fn(u8) -> bool,
    term: impl Fn(u8) -> bool,
) -> Option<&'a str> {
    scan(hay, needle, needle.len(), min_parts, suffix, term)
}

/// Like `after`, the version starting `offset` bytes into each match of `needle`.
fn scan<'a>(
    hay: &'a [u8],
    needle: &[u8],
    offset: usize,
    min_parts: usize,
    suffix: impl Fn(u8) -> bool,
    term: impl Fn(u8) -> bool,
) -> Option<&'a str> {
    let mut from = 0;
    while let Some(at) = find(hay, needle, from) {
        from = at + 1;
        if let Some((v, end)) = version_at(hay, at + offset, min_parts, &suffix) {
            if hay.get(end).is_some_and(|b| term(*b)) {
                return Some(v);
            }
        }
    }
    None
}

/// `digits(.digits)*` with at least `min_parts` parts, then `suffix` bytes; returns
/// the version and the index after it.
fn version_at(hay: &[u8], start: usize, min_parts: usize, suffix: impl Fn(u8) -> bool) -> Option<(&str, usize)> {
    let mut i = start;
    let mut parts = 0;
    loop {
        let digits = hay.get(i..)?.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 {
            return None;
        }
        i += digits;
        parts += 1;
        if hay.get(i) == Some(&b'.') && hay.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i += 1;
        } else {
            break;
        }
        if i - start > MAX_VERSION_LEN {
            return None;
        }
    }
    if parts < min_parts {
        return None;
    }
    while hay.get(i).is_some_and(|b| suffix(*b)) && i - start <= MAX_VERSION_LEN {
        i += 1;
    }
    if i - start > MAX_VERSION_LEN {
        return None;
    }
    let v = std::str::from_utf8(&hay[start..i]).ok()?;
    Some((v, i))
}

/// Position of `needle` in `hay` at or after `from`. Scans for the needle's first
/// non-NUL byte (binaries are full of NULs) and compares around it.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    let k = needle.iter().position(|b| *b != 0).unwrap_or(0);
    let anchor = needle[k];
    let mut i = from.checked_add(k)?;
    while i < hay.len() {
        let at = i + hay[i..].iter().position(|b| *b == anchor)?;
        let start = at - k;
        if hay.get(start..start + needle.len()) == Some(needle) {
            return Some(start);
        }
        i = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(path: &str, bytes: &[u8]) -> Option<String> {
        let c = Binary;
        assert!(c.extracts(path, 0o755, bytes.len() as u64), "{path} not selected");
        c.extract(path, bytes)
            .and_then(|s| parse_summary(&s))
            .map(|(cl, v)| format!("{}@{v}", cl.package()))
    }

    #[test]
    fn names_select_files_cheaply() {
        let c = Binary;
        assert!(c.extracts("/usr/bin/python3.11", 0o755, 10));
        assert!(!c.extracts("/usr/bin/python3.11", 0o644, 10));
        assert!(!c.extracts("/usr/bin/python3.11-config", 0o755, 10));
        assert!(!c.extracts("/usr/share/binfmts/python3.11", 0o644, 10));
        assert!(c.extracts("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0", 0o644, 10));
        assert!(c.extracts("/usr/lib/x86_64-linux-gnu/libssl.so.3", 0o644, 10));
        assert!(!c.extracts("/usr/lib/x86_64-linux-gnu/libssl3.so", 0o644, 10));
        assert!(!c.extracts("/usr/share/lintian/overrides/openssl", 0o644, 10));
        assert!(!c.extracts("/usr/bin/node", 0o755, 0));
        assert!(!c.extracts("/usr/bin/node", 0o755, MAX_BINARY_BYTES + 1));
        assert!(!c.extracts("/usr/bin/ls", 0o755, 10));
    }

    #[test]
    fn versions_from_bytes() {
        assert_eq!(
            run("/usr/bin/python3.11", b"x\0pymalloc\x003.11.2\0strict").as_deref(),
            Some("python@3.11.2")
        );
        assert_eq!(
            run("/usr/bin/python3.12", b"x\x003.11.2\0\x003.12.0rc1\0").as_deref(),
            Some("python@3.12.0rc1")
        );
        assert_eq!(
            run("/usr/local/bin/python", b"\0\x002.7.18\0").as_deref(),
            Some("python@2.7.18")
        );
        assert_eq!(
            run("/usr/bin/node", b"/json\0node.js/v18.19.0\0").as_deref(),
            Some("node@18.19.0")
        );
        assert_eq!(
            run(
                "/usr/lib/libcrypto.so.3",
                b"OpenSSL 1.0.2 or later\0\x40\0OpenSSL 3.0.15 3 Sep 2024\0"
            )
            .as_deref(),
            Some("openssl@3.0.15")
        );
        assert_eq!(
            run("/usr/bin/openssl", b"\0OpenSSL 1.1.1w  11 Sep 2023\0").as_deref(),
            Some("openssl@1.1.1w")
        );
        assert_eq!(
            run("/bin/busybox", b"\0BusyBox v1.36.1 (2023-11-07)\0").as_deref(),
            Some("busybox@1.36.1")
        );
        assert_eq!(
            run(
                "/opt/jdk/bin/java",
                b"\0openjdk\0java\x0017.0.9\x0017.0.9+9-Debian-1deb12u1\0"
            )
            .as_deref(),
            Some("java@17.0.9+9-Debian-1deb12u1")
        );
        assert_eq!(
            run(
                "/opt/jdk/lib/server/libjvm.so",
                b"OpenJDK 64-Bit Server VM (21.0.1+12) for linux-amd64 JRE (21.0.1+12), built"
            )
            .as_deref(),
            Some("java@21.0.1+12")
        );
        assert_eq!(
            run("/usr/local/bin/curl", b"json\0curl/8.5.0\0\0").as_deref(),
            Some("curl@8.5.0")
        );
        assert_eq!(
            run("/usr/lib/libcurl.so.4.8.0", b"/\0libcurl/7.88.1\0zlib/%s").as_deref(),
            Some("curl@7.88.1")
        );
        assert_eq!(
            run(
                "/usr/sbin/nginx",
                b"nginx version: nginx/1.25.3\n\0Server: nginx/1.25.3\r\n"
            )
            .as_deref(),
            Some("nginx@1.25.3")
        );
        assert_eq!(
            run(
                "/usr/local/bin/redis-server",
                b"Redis server v=%s sha=%s\0\x005.3.0\0\x007.2.4\0\x007.2.4buildkitsandbox-17000\0"
            )
            .as_deref(),
            Some("redis@7.2.4")
        );
        assert_eq!(
            run(
                "/usr/lib/postgresql/15/bin/postgres",
                b"\0postgres (PostgreSQL) 15.5\n\0"
            )
            .as_deref(),
            Some("postgresql@15.5")
        );
    }

    #[test]
    fn no_version_no_package() {
        assert_eq!(run("/usr/bin/python3.11", b"3.11.2 without delimiters"), None);
        assert_eq!(run("/usr/bin/openssl", b"OpenSSL 3.0.15 and then text"), None);
        assert_eq!(run("/usr/bin/redis-server", b"\x007.2.4\0 but no redis markers"), None);
        assert_eq!(run("/usr/bin/java", b"\0openjdk\0java\x0017\0"), None);
        assert_eq!(run("/usr/bin/node", b"node.js/v"), None);
    }

    #[test]
    fn search_handles_edges() {
        assert_eq!(find(b"\0\0\0ab\0", b"\0ab", 0), Some(2));
        assert_eq!(find(b"ab", b"abc", 0), None);
        assert_eq!(find(b"abab", b"ab", 1), Some(2));
        assert_eq!(find(b"ab", b"ab", usize::MAX), None);
        assert_eq!(version_at(b"1.2.3.", 0, 3, no_suffix), Some(("1.2.3", 5)));
        let long = "1.".repeat(100) + "1";
        assert_eq!(version_at(long.as_bytes(), 0, 1, no_suffix), None);
        fuzz_entry(b"\0openjdk\0java\0");
        fuzz_entry(b" JRE (1");
        fuzz_entry(b"OpenSSL 1.1.1 ");
    }

    /// Arbitrary inputs assembled from the tokens the parsers look for.
    #[test]
    fn fuzz_entry_survives_token_soup() {
        const TOKENS: &[&[u8]] = &[
            b"\x00",
            b"3.",
            b"11",
            b".",
            b"OpenSSL ",
            b" ",
            b"\x00openjdk\x00java\x00",
            b" JRE (",
            b")",
            b"node.js/v",
            b"curl/",
            b"BusyBox v",
            b"Redis server v=",
            b"(PostgreSQL) ",
            b"\xff",
            b"+",
            b"a",
        ];
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3000 {
            let mut data = Vec::new();
            for _ in 0..(seed % 12) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                data.extend_from_slice(TOKENS[(seed % TOKENS.len() as u64) as usize]);
            }
            fuzz_entry(&data);
        }
    }
}
