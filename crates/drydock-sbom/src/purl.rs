//! Package URLs (`pkg:type/namespace/name@version?qualifiers#subpath`), built and parsed
//! per the purl specification's encoding rules.

use std::collections::BTreeMap;
use std::fmt;

/// A package URL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Purl {
    /// Type, lowercase (`deb`, `npm`, `maven`…).
    pub ty: String,
    /// Namespace, decoded, segments joined by `/` (e.g. a Maven group id); `None` when absent.
    pub namespace: Option<String>,
    /// Name, decoded.
    pub name: String,
    /// Version, decoded; `None` when absent.
    pub version: Option<String>,
    /// Qualifiers (`arch`, `distro`…), keys lowercase, values decoded, sorted by key.
    pub qualifiers: BTreeMap<String, String>,
    /// Subpath within the package, decoded; `None` when absent.
    pub subpath: Option<String>,
}

impl Purl {
    /// A purl of a type and name.
    pub fn new(ty: &str, name: &str) -> Self {
        Purl {
            ty: ty.to_ascii_lowercase(),
            name: name.to_string(),
            ..Default::default()
        }
    }

    /// Sets the namespace (its `/` separate segments).
    pub fn namespace(mut self, ns: impl Into<String>) -> Self {
        let ns = ns.into();
        self.namespace = (!ns.is_empty()).then_some(ns);
        self
    }

    /// Sets the version.
    pub fn version(mut self, v: impl Into<String>) -> Self {
        let v = v.into();
        self.version = (!v.is_empty()).then_some(v);
        self
    }

    /// Adds a qualifier; empty values are dropped as the spec requires.
    pub fn qualifier(mut self, k: &str, v: impl Into<String>) -> Self {
        let v = v.into();
        if !v.is_empty() {
            self.qualifiers.insert(k.to_ascii_lowercase(), v);
        }
        self
    }

    /// Parses a purl string.
    pub fn parse(s: &str) -> Option<Purl> {
        let rest = s.strip_prefix("pkg:")?.trim_start_matches('/');
        let (rest, subpath) = match rest.split_once('#') {
            Some((r, sp)) => (r, Some(decode(sp.trim_matches('/')))),
            None => (rest, None),
        };
        let (rest, quals) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (ty, rest) = rest.split_once('/')?;
        let rest = rest.trim_end_matches('/');
        let (path, version) = match rest.rfind('@') {
            Some(i) if !rest[i..].contains('/') => (&rest[..i], Some(decode(&rest[i + 1..]))),
            _ => (rest, None),
        };
        let (namespace, name) = match path.rfind('/') {
            Some(i) => (
                Some(path[..i].split('/').map(decode).collect::<Vec<_>>().join("/")),
                decode(&path[i + 1..]),
            ),
            None => (None, decode(path)),
        };
        if name.is_empty() {
            return None;
        }
        let mut qualifiers = BTreeMap::new();
        for kv in quals.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
            if let Some((k, v)) = kv.split_once('=') {
                qualifiers.insert(k.to_ascii_lowercase(), decode(v));
            }
        }
        Some(Purl {
            ty: ty.to_ascii_lowercase(),
            namespace,
            name,
            version,
            qualifiers,
            subpath,
        })
    }
}

fn encode(s: &str, out: &mut String, keep: &[u8]) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::from("pkg:");
        s.push_str(&self.ty);
        s.push('/');
        if let Some(ns) = &self.namespace {
            for (i, seg) in ns.split('/').filter(|x| !x.is_empty()).enumerate() {
                if i > 0 {
                    s.push('/');
                }
                encode(seg, &mut s, b"");
            }
            s.push('/');
        }
        encode(&self.name, &mut s, b"");
        if let Some(v) = &self.version {
            s.push('@');
            encode(v, &mut s, b":");
        }
        if !self.qualifiers.is_empty() {
            s.push('?');
            for (i, (k, v)) in self.qualifiers.iter().enumerate() {
                if i > 0 {
                    s.push('&');
                }
                s.push_str(k);
                s.push('=');
                encode(v, &mut s, b":/");
            }
        }
        if let Some(sp) = &self.subpath {
            s.push('#');
            encode(sp, &mut s, b"/");
        }
        f.write_str(&s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deb_purl_round_trips() {
        let p = Purl::new("deb", "openssl")
            .namespace("debian")
            .version("3.0.15-1~deb12u1")
            .qualifier("arch", "amd64")
            .qualifier("distro", "debian-12");
        let s = p.to_string();
        assert_eq!(s, "pkg:deb/debian/openssl@3.0.15-1~deb12u1?arch=amd64&distro=debian-12");
        let plus = Purl::new("deb", "libc6").namespace("debian").version("2.36-9+deb12u7");
        assert_eq!(
            plus.to_string(),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u7",
            "as Syft and the purl spec encode it"
        );
        assert_eq!(Purl::parse(&plus.to_string()).unwrap(), plus);
        assert_eq!(Purl::parse(&s).unwrap(), p);
    }

    #[test]
    fn special_characters_are_encoded() {
        let p = Purl::new("rpm", "gcc-c++")
            .namespace("redhat")
            .version("1:8.5.0-4.el8")
            .qualifier("arch", "x86_64");
        assert_eq!(p.to_string(), "pkg:rpm/redhat/gcc-c%2B%2B@1:8.5.0-4.el8?arch=x86_64");
        let npm = Purl::new("npm", "core").namespace("@babel").version("7.0.0");
        assert_eq!(npm.to_string(), "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(
            Purl::parse(&npm.to_string()).unwrap().namespace.as_deref(),
            Some("@babel")
        );
    }
}
