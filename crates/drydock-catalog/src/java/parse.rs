//! Text formats found inside Java archives: `META-INF/MANIFEST.MF`, Maven's
//! `pom.properties` and `pom.xml`, and archive file names (`name-1.2.3.jar`).

/// A parsed manifest: the main section and the named sections, keys in file order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The main section's attributes.
    pub main: Vec<(String, String)>,
    /// Each further section's attributes, empty sections left out.
    pub sections: Vec<Vec<(String, String)>>,
}

impl Manifest {
    /// A main-section value (case-insensitive key), empty values treated as absent.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.main
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// A value from the main section, else from the first named section holding it.
    pub fn get_any(&self, key: &str) -> Option<&str> {
        self.get(key).or_else(|| {
            self.sections.iter().find_map(|s| {
                s.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(key))
                    .map(|(_, v)| v.as_str())
                    .filter(|v| !v.is_empty())
            })
        })
    }
}

/// Most keys a manifest may contribute; the rest is ignored (bounded memory).
const MAX_MANIFEST_KEYS: usize = 4096;

/// Parses a JAR manifest: `Key: value` lines, continuation lines starting with one
/// space, sections separated by blank lines. Malformed lines are skipped.
pub fn parse_manifest(text: &str) -> Manifest {
    let mut m = Manifest::default();
    let mut current: Vec<(String, String)> = Vec::new();
    let mut in_main = true;
    let mut keys = 0usize;
    let mut continuing = false;
    let flush = |m: &mut Manifest, current: &mut Vec<(String, String)>, in_main: &mut bool| {
        if *in_main {
            m.main = std::mem::take(current);
            *in_main = false;
        } else if !current.is_empty() {
            m.sections.push(std::mem::take(current));
        }
    };
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            // A blank line ends the section (the main one even when it was empty).
            if !current.is_empty() || in_main {
                flush(&mut m, &mut current, &mut in_main);
            }
            continuing = false;
            continue;
        }
        if let Some(rest) = line.strip_prefix(' ') {
            if continuing {
                if let Some((_, v)) = current.last_mut() {
                    if v.len() < 1 << 20 {
                        v.push_str(rest.trim_end());
                    }
                }
            }
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continuing = false;
            continue;
        };
        let k = k.trim();
        if k.is_empty() || keys >= MAX_MANIFEST_KEYS {
            continuing = false;
            continue;
        }
        keys += 1;
        current.push((k.to_string(), v.trim().to_string()));
        continuing = true;
    }
    if !current.is_empty() || in_main {
        flush(&mut m, &mut current, &mut in_main);
    }
    m
}

/// Maven coordinates from `pom.properties` or `pom.xml`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Pom {
    /// `groupId`.
    pub group: String,
    /// `artifactId`.
    pub artifact: String,
    /// `version`, property references resolved.
    pub version: String,
    /// `<name>`, the human-readable project name.
    pub name: String,
    /// `<licenses>` names.
    pub licenses: Vec<String>,
    /// The `<parent>`'s groupId.
    pub parent_group: String,
    /// The `<parent>`'s artifactId.
    pub parent_artifact: String,
    /// The `<parent>`'s version.
    pub parent_version: String,
}

/// Parses `pom.properties` (Java properties: `key=value` or `key: value`, `#`/`!`
/// comments).
pub fn parse_pom_properties(text: &str) -> Pom {
    let mut p = Pom::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let Some(i) = line.find(['=', ':']) else { continue };
        let (k, v) = (line[..i].trim(), line[i + 1..].trim());
        match k {
            "groupId" => p.group = v.to_string(),
            "artifactId" => p.artifact = v.to_string(),
            "version" => p.version = v.to_string(),
            "name" => p.name = v.to_string(),
            _ => {}
        }
    }
    p
}

/// Deepest element nesting followed in a pom.xml; deeper content is skipped.
const MAX_XML_DEPTH: usize = 64;
/// Most `<properties>` entries kept for `${...}` resolution.
const MAX_PROPERTIES: usize = 512;

/// Parses the parts of a `pom.xml` that identify the project, with a tolerant scan
/// (no DTDs, no namespaces beyond stripping prefixes). `${project.version}`-style
/// references to the project, its parent and its `<properties>` are resolved.
pub fn parse_pom_xml(text: &str) -> Pom {
    let mut p = Pom::default();
    let mut props: Vec<(String, String)> = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut textbuf = String::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'<' {
            let end = text[i..].find('<').map(|n| i + n).unwrap_or(bytes.len());
            if textbuf.len() < 64 << 10 {
                textbuf.push_str(&text[i..end]);
            }
            i = end;
            continue;
        }
        let rest = &text[i..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map(|n| i + n + 3).unwrap_or(bytes.len());
            continue;
        }
        if let Some(cdata) = rest.strip_prefix("<![CDATA[") {
            let n = cdata.find("]]>").unwrap_or(cdata.len());
            if textbuf.len() < 64 << 10 {
                textbuf.push_str(&cdata[..n]);
            }
            i += 9 + n + 3;
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            i = rest.find('>').map(|n| i + n + 1).unwrap_or(bytes.len());
            continue;
        }
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[1..close];
        i += close + 1;
        if let Some(name) = tag.strip_prefix('/') {
            let name = local_name(name.trim());
            // Close up to the matching element (tolerates unclosed elements).
            if let Some(pos) = stack.iter().rposition(|s| s == name) {
                if pos + 1 == stack.len() {
                    let value = decode_entities(textbuf.trim());
                    record(&stack, &value, &mut p, &mut props);
                }
                stack.truncate(pos);
            }
            textbuf.clear();
            continue;
        }
        let self_closing = tag.ends_with('/');
        let name = local_name(tag.trim_end_matches('/').split_whitespace().next().unwrap_or(""));
        textbuf.clear();
        if self_closing || name.is_empty() {
            continue;
        }
        if stack.len() >= MAX_XML_DEPTH {
            break;
        }
        stack.push(name.to_string());
    }
    let resolve = |v: &str, p: &Pom| resolve_props(v, p, &props);
    let snapshot = p.clone();
    p.group = resolve(&snapshot.group, &snapshot);
    p.artifact = resolve(&snapshot.artifact, &snapshot);
    p.version = resolve(&snapshot.version, &snapshot);
    p.name = resolve(&snapshot.name, &snapshot);
    p.parent_group = resolve(&snapshot.parent_group, &snapshot);
    p.parent_version = resolve(&snapshot.parent_version, &snapshot);
    // Maven inheritance: a project without its own groupId or version has its parent's.
    if p.group.is_empty() {
        p.group = p.parent_group.clone();
    }
    if p.version.is_empty() {
        p.version = p.parent_version.clone();
    }
    p
}

fn record(stack: &[String], value: &str, p: &mut Pom, props: &mut Vec<(String, String)>) {
    let path: Vec<&str> = stack.iter().map(String::as_str).collect();
    match path.as_slice() {
        ["project", "groupId"] => p.group = value.to_string(),
        ["project", "artifactId"] => p.artifact = value.to_string(),
        ["project", "version"] => p.version = value.to_string(),
        ["project", "name"] => p.name = value.to_string(),
        ["project", "parent", "groupId"] => p.parent_group = value.to_string(),
        ["project", "parent", "artifactId"] => p.parent_artifact = value.to_string(),
        ["project", "parent", "version"] => p.parent_version = value.to_string(),
        ["project", "licenses", "license", "name"] if !value.is_empty() && p.licenses.len() < 32 => {
            p.licenses.push(value.to_string());
        }
        ["project", "properties", key] if props.len() < MAX_PROPERTIES => {
            props.push((key.to_string(), value.to_string()));
        }
        _ => {}
    }
}

fn local_name(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Resolves `${...}` references (one level, bounded) against the project, its
/// parent and `<properties>`; unresolved references are kept verbatim.
fn resolve_props(v: &str, p: &Pom, props: &[(String, String)]) -> String {
    if !v.contains("${") {
        return v.to_string();
    }
    let mut out = String::new();
    let mut rest = v;
    let mut rounds = 0;
    while let Some(start) = rest.find("${") {
        rounds += 1;
        let Some(end) = rest[start..].find('}').map(|n| start + n) else {
            break;
        };
        if rounds > 16 {
            break;
        }
        out.push_str(&rest[..start]);
        let key = &rest[start + 2..end];
        let found = match key {
            "project.version" | "pom.version" | "version" => Some(p.version.as_str()),
            "project.groupId" | "pom.groupId" | "groupId" => Some(p.group.as_str()),
            "project.artifactId" | "artifactId" => Some(p.artifact.as_str()),
            "project.parent.version" | "parent.version" => Some(p.parent_version.as_str()),
            "project.parent.groupId" | "parent.groupId" => Some(p.parent_group.as_str()),
            _ => props.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()),
        }
        .filter(|f| !f.is_empty() && !f.contains("${"));
        match found {
            Some(f) => out.push_str(f),
            None => out.push_str(&rest[start..=end]),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Name and version from an archive file name (`commons-lang3-3.12.0.jar` →
/// `commons-lang3`, `3.12.0`): dash-separated words starting with a letter form
/// the name; the first word starting with a digit (or `build<N>`, `r<N>`, `rc<N>`)
/// starts the version. Names that do not fit the pattern give empty strings.
pub fn name_version_from_filename(file: &str) -> (String, String) {
    let base = file.rsplit('/').next().unwrap_or(file);
    let stem = match base.rfind('.') {
        Some(i) => &base[..i],
        None => base,
    };
    let parts: Vec<&str> = stem.split('-').collect();
    let mut name_end = parts.len();
    for (i, part) in parts.iter().enumerate().skip(1) {
        if starts_version(part) {
            name_end = i;
            break;
        }
    }
    let name_ok = parts[..name_end].iter().all(|w| {
        let mut cs = w.chars();
        cs.next().is_some_and(|c| c.is_ascii_alphabetic())
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    });
    if !name_ok || name_end == 0 {
        return (String::new(), String::new());
    }
    let mut name = parts[..name_end].join("-");
    let mut version = parts[name_end..].join("-");
    if version.is_empty() {
        // `name_1.2` or `name.1.2`: a separator followed by a digit starts the version.
        let b = name.as_bytes();
        if let Some(i) =
            (0..b.len().saturating_sub(1)).find(|&i| matches!(b[i], b'.' | b'_') && b[i + 1].is_ascii_digit())
        {
            version = name[i + 1..].to_string();
            name.truncate(i);
        }
    }
    (name, version)
}

fn starts_version(word: &str) -> bool {
    let b = word.as_bytes();
    if b.first().is_some_and(u8::is_ascii_digit) {
        return true;
    }
    if let Some(rest) = word.strip_prefix("build") {
        return rest.as_bytes().first().is_some_and(u8::is_ascii_digit);
    }
    let digits = word.strip_prefix("rc").or_else(|| word.strip_prefix('r')).unwrap_or("");
    !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
}

/// A file-name-derived artifact name: `org.foo.bar` style names (all parts valid
/// Java identifiers) give their last part, except Eclipse bundles which keep it.
pub fn artifact_from_filename_name(name: &str) -> String {
    if name.contains('.') && !name.starts_with("org.eclipse.") {
        let ident = |f: &str| {
            f.chars()
                .next()
                .is_some_and(|c| c.is_alphabetic() || c == '_' || c == '$')
        };
        if name.split('.').all(ident) {
            return name.rsplit('.').next().unwrap_or(name).to_string();
        }
    }
    name.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_sections_and_continuations() {
        let m = parse_manifest(
            "Manifest-Version: 1.0\r\nImplementation-Title: Commons\r\n  Logging\r\nBundle-Version: 1.2.0\r\n\r\nName: org/x/\r\nSpecification-Version: 9\r\n",
        );
        assert_eq!(m.get("implementation-title"), Some("Commons Logging"));
        assert_eq!(m.get("Specification-Version"), None);
        assert_eq!(m.get_any("Specification-Version"), Some("9"));
        let garbage = parse_manifest(" leading continuation\nno colon here\n:empty key\n");
        assert!(garbage.main.is_empty());
    }

    #[test]
    fn pom_properties_and_xml() {
        let p = parse_pom_properties("#Generated\ngroupId=org.slf4j\nartifactId = slf4j-api\nversion: 1.7.32\n");
        assert_eq!(
            (p.group.as_str(), p.artifact.as_str(), p.version.as_str()),
            ("org.slf4j", "slf4j-api", "1.7.32")
        );
        let x = parse_pom_xml(
            r#"<?xml version="1.0"?><!-- <artifactId>no</artifactId> -->
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <parent><groupId>org.apache.commons</groupId><artifactId>commons-parent</artifactId><version>54</version></parent>
  <artifactId>commons-text</artifactId><version>${rev}</version><name>Apache Commons &amp; Text</name>
  <properties><rev>1.10.0</rev></properties>
  <dependencies><dependency><groupId>x</groupId><artifactId>y</artifactId><version>1</version></dependency></dependencies>
  <licenses><license><name><![CDATA[Apache-2.0]]></name></license></licenses>
</project>"#,
        );
        assert_eq!(x.artifact, "commons-text");
        assert_eq!(x.version, "1.10.0");
        assert_eq!(x.group, "org.apache.commons", "inherited from the parent");
        assert_eq!(x.parent_group, "org.apache.commons");
        assert_eq!(x.name, "Apache Commons & Text");
        assert_eq!(x.licenses, ["Apache-2.0"]);
    }

    #[test]
    fn file_names() {
        let nv = |s: &str| name_version_from_filename(s);
        assert_eq!(
            nv("commons-lang3-3.12.0.jar"),
            ("commons-lang3".into(), "3.12.0".into())
        );
        assert_eq!(nv("/a/b/my-http2-server-5.war"), ("my-http2-server".into(), "5".into()));
        assert_eq!(
            nv("jetpack-build235-rc5.jar"),
            ("jetpack".into(), "build235-rc5".into())
        );
        assert_eq!(nv("httpclient.jar"), ("httpclient".into(), "".into()));
        assert_eq!(nv("foo_1.2.jar"), ("foo".into(), "1.2".into()));
        assert_eq!(nv("+weird-1.jar"), ("".into(), "".into()));
        assert_eq!(artifact_from_filename_name("org.example.widget"), "widget");
        assert_eq!(artifact_from_filename_name("org.eclipse.osgi"), "org.eclipse.osgi");
    }
}
