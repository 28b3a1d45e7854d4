//! Ruby gems: installed specifications (`specifications/*.gemspec` and
//! `specifications/default/*.gemspec` under any gem directory, read as text, never
//! executed) and, in directory scans, `Gemfile.lock` / `gems.locked` and gemspecs
//! anywhere else.

use crate::{Cataloger, Context, Output};
use drydock_model::{path, FileKind, FileTree};
use drydock_sbom::{cpe, Location, Package, PackageFile, PackageType, Purl};
use std::collections::BTreeSet;

const FOUND_BY: &str = "ruby-gem-cataloger";

/// Longest literal list element or string we keep (longer ones are cut off).
const MAX_STRING: usize = 4096;
/// Most elements taken from one literal array (`s.files` of big gems).
const MAX_ITEMS: usize = 100_000;

/// The Ruby gem cataloger.
pub struct Gem;

impl Cataloger for Gem {
    fn name(&self) -> &'static str {
        FOUND_BY
    }

    fn wants(&self, p: &str) -> bool {
        p.ends_with(".gemspec") || p.ends_with("/Gemfile.lock") || p.ends_with("/gems.locked")
    }

    fn catalog(&self, tree: &FileTree, ctx: &Context<'_>, out: &mut Output) {
        for (p, entry) in tree.entries() {
            if entry.kind == FileKind::Directory || entry.kind == FileKind::Symlink {
                continue;
            }
            if p.ends_with(".gemspec") {
                let installed = is_installed_spec(p);
                if !installed && !ctx.directory_scan {
                    continue;
                }
                let Some(content) = tree.read(p) else { continue };
                match package_from_gemspec(p, content, entry.layer, installed, tree) {
                    Ok(Some(pkg)) => out.packages.push(pkg),
                    Ok(None) => {}
                    Err(reason) => out.warnings.push(format!("{p}: {reason}")),
                }
            } else if ctx.directory_scan && (p.ends_with("/Gemfile.lock") || p.ends_with("/gems.locked")) {
                let Some(content) = tree.read(p) else { continue };
                let text = String::from_utf8_lossy(content);
                let specs = parse_gemfile_lock(&text);
                if specs.is_empty() && !text.trim().is_empty() && !text.contains("specs:") {
                    out.warnings.push(format!("{p}: no specs sections in lock file"));
                }
                for s in specs {
                    out.packages.push(lock_package(s, p, entry.layer));
                }
            }
        }
    }
}

/// Runs every parser of this module on arbitrary bytes (for fuzzing).
pub fn fuzz_entry(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = parse_gemspec(&text);
    let _ = parse_gemfile_lock(&text);
}

/// `…/specifications/<file>.gemspec` or `…/specifications/default/<file>.gemspec`.
fn is_installed_spec(p: &str) -> bool {
    let dir = path::parent(p);
    dir.ends_with("/specifications") || dir.ends_with("/specifications/default")
}

/// What a gemspec says, literals only.
#[derive(Debug, Default, PartialEq)]
pub struct GemSpec {
    /// `s.name`; `None` when absent or not a literal.
    pub name: Option<String>,
    /// `s.version`; `None` when absent or not a literal.
    pub version: Option<String>,
    /// `s.license` or `s.licenses`.
    pub licenses: Vec<String>,
    /// `s.authors` (or `s.author`).
    pub authors: Vec<String>,
    /// `s.homepage`.
    pub homepage: Option<String>,
    /// `s.files`, relative to the gem's directory.
    pub files: Vec<String>,
    /// Names of its runtime dependencies, deduplicated.
    pub depends: Vec<String>,
}

/// Reads a gemspec (the Ruby file written by RubyGems, or a hand-written one) without
/// evaluating it: `<receiver>.<field> = <literal>` assignments and dependency calls.
pub fn parse_gemspec(text: &str) -> GemSpec {
    let mut spec = GemSpec::default();
    let mut stub: Option<(String, String)> = None;
    let mut in_else = false;
    let mut plain_deps: Vec<String> = Vec::new();
    let mut offset = 0;
    // Lines up to here belong to a multi-line array already read.
    let mut skip_until = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        if start < skip_until {
            continue;
        }
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("# stub: ") {
            let mut f = rest.split_whitespace();
            if let (Some(n), Some(v), None) = (f.next(), f.next(), stub.as_ref()) {
                stub = Some((n.to_string(), v.to_string()));
            }
            continue;
        }
        if t.starts_with('#') {
            continue;
        }
        if t == "else" {
            in_else = true;
            continue;
        }
        if t == "end" {
            in_else = false;
            continue;
        }
        let Some((field, value_at)) = assignment_or_call(t) else {
            continue;
        };
        // Position of the value within the whole text (arrays may span lines).
        let value_start = start + (line.len() - line.trim_start().len()) + value_at;
        let value_start = value_start.min(text.len());
        let rest = &text[value_start..];
        let mut list = || {
            let (items, used) = strings(rest);
            skip_until = value_start + used;
            items
        };
        match field {
            "name" => spec.name = first_string(rest),
            "version" => spec.version = first_string(rest),
            "homepage" => spec.homepage = first_string(rest),
            "license" => spec.licenses = first_string(rest).into_iter().collect(),
            "licenses" => spec.licenses = list(),
            "authors" | "author" => spec.authors = list(),
            "files" => spec.files = list(),
            "add_runtime_dependency" => spec.depends.extend(first_string(rest)),
            "add_dependency" if !in_else => plain_deps.extend(first_string(rest)),
            _ => {}
        }
    }
    // Old RubyGems wrote `add_dependency` for every kind in an `else` fallback branch
    // (skipped above); elsewhere it declares a runtime dependency.
    spec.depends.extend(plain_deps);
    let mut seen = BTreeSet::new();
    spec.depends.retain(|d| !d.is_empty() && seen.insert(d.clone()));
    if let Some((n, v)) = stub {
        if spec.name.is_none() {
            spec.name = Some(n);
        }
        if spec.version.is_none() {
            spec.version = Some(v);
        }
    }
    spec
}

/// For `s.field = …` the field and the offset of the text after `=`; for
/// `s.add_dependency(…)`/`s.add_dependency …` the method and the offset after it.
fn assignment_or_call(t: &str) -> Option<(&str, usize)> {
    let dot = t.find('.')?;
    let receiver = &t[..dot];
    if receiver.is_empty() || !receiver.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return None;
    }
    let after = &t[dot + 1..];
    let len = after
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let field = &after[..len];
    let rest = &after[len..];
    let value_at = dot + 1 + len;
    if field.starts_with("add_") {
        return Some((field, value_at));
    }
    let trimmed = rest.trim_start();
    let eq = trimmed.strip_prefix('=')?;
    if eq.starts_with('=') || eq.starts_with('~') {
        return None;
    }
    Some((field, value_at + (rest.len() - trimmed.len()) + 1))
}

/// The first string literal of a one-line expression (`"x".freeze`,
/// `Gem::Version.new("1.2")`, `%q<x>`), or `None` when it holds none before the line ends.
fn first_string(rest: &str) -> Option<String> {
    let line = rest.split('\n').next().unwrap_or("");
    let mut i = 0;
    let b = line.as_bytes();
    while i < b.len() {
        match string_at(line, i) {
            Some(Ok((s, _))) => return Some(s),
            Some(Err(())) => return None,
            None => {}
        }
        if b[i] == b'#' {
            return None;
        }
        i += 1;
    }
    None
}

/// The string literals of an expression: a (possibly multi-line) `[…]` array, or a
/// single literal on the line; with the number of bytes of `rest` the array spans.
fn strings(rest: &str) -> (Vec<String>, usize) {
    let t = rest.trim_start_matches([' ', '\t']);
    let skipped = rest.len() - t.len();
    if !t.starts_with('[') {
        return (first_string(t).into_iter().collect(), 0);
    }
    let b = t.as_bytes();
    let mut out = Vec::new();
    let mut i = 1;
    let mut depth = 1usize;
    while i < b.len() && depth > 0 && out.len() < MAX_ITEMS {
        match string_at(t, i) {
            Some(Ok((s, next))) => {
                out.push(s);
                i = next;
                continue;
            }
            Some(Err(())) => break,
            None => {}
        }
        match b[i] {
            b'[' => depth += 1,
            b']' => depth -= 1,
            b'#' => {
                // A comment runs to the end of the line.
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    (out, skipped + i)
}

/// A string literal starting at byte `i` (`"…"`, `'…'`, `%q<…>`, `%Q{…}`, `%(…)`):
/// `None` when no literal starts there, `Some(Err(()))` when it never ends, else its
/// value and the offset after it.
fn string_at(s: &str, i: usize) -> Option<Result<(String, usize), ()>> {
    let b = s.as_bytes();
    let (close, body) = match b.get(i)? {
        b'"' => (b'"', i + 1),
        b'\'' => (b'\'', i + 1),
        b'%' => {
            let mut j = i + 1;
            if matches!(b.get(j), Some(b'q' | b'Q')) {
                j += 1;
            }
            let close = match *b.get(j)? {
                b'<' => b'>',
                b'{' => b'}',
                b'(' => b')',
                b'[' => b']',
                d @ (b'|' | b'!' | b'/') => d,
                _ => return None,
            };
            (close, j + 1)
        }
        _ => return None,
    };
    let mut out: Vec<u8> = Vec::new();
    let mut j = body;
    while j < b.len() {
        let c = b[j];
        if c == b'\\' && j + 1 < b.len() {
            let v = match b[j + 1] {
                b'n' => b'\n',
                b't' => b'\t',
                other => other,
            };
            if out.len() < MAX_STRING {
                out.push(v);
            }
            j += 2;
            continue;
        }
        if c == close {
            return Some(Ok((String::from_utf8_lossy(&out).into_owned(), j + 1)));
        }
        if out.len() < MAX_STRING {
            out.push(c);
        }
        j += 1;
    }
    Some(Err(()))
}

fn package_from_gemspec(
    p: &str,
    content: &[u8],
    layer: usize,
    installed: bool,
    tree: &FileTree,
) -> Result<Option<Package>, String> {
    let text = String::from_utf8_lossy(content);
    let spec = parse_gemspec(&text);
    let name = spec.name.as_deref().filter(|n| valid_token(n));
    let version = spec.version.as_deref().filter(|v| valid_token(v));
    let (name, version) = match (name, version) {
        (Some(n), Some(v)) => (n, v),
        // A gemspec in a source checkout usually computes its version
        // (`spec.version = Foo::VERSION`): nothing to report, nothing wrong.
        _ if !installed => return Ok(None),
        (None, _) => return Err("no literal gem name".into()),
        (_, None) => return Err("no literal gem version".into()),
    };
    let mut pkg = Package::new(PackageType::Gem, name, version, FOUND_BY);
    pkg.licenses = spec.licenses.iter().filter(|l| !l.is_empty()).cloned().collect();
    if !spec.authors.is_empty() {
        pkg.supplier = Some(spec.authors.join(", "));
    }
    pkg.locations.push(Location {
        path: p.to_string(),
        layer,
        layer_digest: String::new(),
    });
    if installed {
        pkg.files = installed_files(p, name, version, &spec.files, tree);
    }
    pkg.depends = spec.depends.iter().map(|d| vec![d.clone()]).collect();
    finish(&mut pkg);
    Ok(Some(pkg))
}

/// Gem names and versions are single tokens; anything else is not a literal we can trust.
fn valid_token(s: &str) -> bool {
    !s.is_empty() && s.len() <= 256 && !s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '/')
}

/// `s.files` made absolute against the gem's directory (`<gem home>/gems/<name>-<version>`),
/// when that directory is in the tree (Debian's rubygems-integration specs and default
/// gems keep their files elsewhere).
fn installed_files(spec_path: &str, name: &str, version: &str, files: &[String], tree: &FileTree) -> Vec<PackageFile> {
    let mut home = path::parent(path::parent(spec_path));
    if path::parent(spec_path).ends_with("/specifications/default") {
        home = path::parent(home);
    }
    let dir = path::join(&path::join(home, "gems"), &format!("{name}-{version}"));
    let prefix = format!("{dir}/");
    if tree.under(&prefix).next().is_none() {
        return Vec::new();
    }
    let mut out: Vec<PackageFile> = files
        .iter()
        .filter(|f| !f.is_empty() && !f.starts_with('/') && !f.split('/').any(|c| c == ".."))
        .map(|f| PackageFile {
            path: path::join(&dir, f),
            digest: None,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

fn finish(pkg: &mut Package) {
    pkg.purl = Purl::new("gem", &pkg.name).version(pkg.version.clone()).to_string();
    let (n, v) = (pkg.name.as_str(), pkg.version.as_str());
    pkg.cpes = vec![
        cpe::application(n, n, v),
        cpe::application("ruby-lang", n, v),
        cpe::application("ruby", n, v),
    ];
    pkg.compute_id();
}

/// One `name (version)` entry of a lock file's specs, with its dependencies' names.
#[derive(Debug, PartialEq)]
pub struct LockSpec {
    /// Gem name.
    pub name: String,
    /// Version as in the parentheses (may carry a platform, e.g. `1.15.4-x86_64-linux`).
    pub version: String,
    /// Names of the gems it depends on.
    pub depends: Vec<String>,
}

/// The specs of a `Gemfile.lock`: entries indented by four spaces in the GEM, GIT,
/// PATH and PLUGIN SOURCE sections; six spaces are the entry's dependencies.
pub fn parse_gemfile_lock(text: &str) -> Vec<LockSpec> {
    let mut out: Vec<LockSpec> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut in_section = false;
    let mut last_kept = false;
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if !line.starts_with(' ') {
            in_section = matches!(line.trim(), "GEM" | "GIT" | "PATH" | "PLUGIN SOURCE");
            last_kept = false;
            continue;
        }
        if !in_section {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut fields = line.split_whitespace();
        let (Some(name), rest) = (fields.next(), fields.next()) else {
            continue;
        };
        match indent {
            4 => {
                last_kept = false;
                let Some(version) = rest.and_then(|v| v.strip_prefix('(')).and_then(|v| v.strip_suffix(')')) else {
                    continue;
                };
                if fields.next().is_some() || !valid_token(name) || !valid_token(version) {
                    continue;
                }
                if seen.insert((name.to_string(), version.to_string())) {
                    out.push(LockSpec {
                        name: name.to_string(),
                        version: version.to_string(),
                        depends: Vec::new(),
                    });
                    last_kept = true;
                }
            }
            6 if last_kept => {
                if let Some(last) = out.last_mut() {
                    let dep = name.trim_end_matches('!').to_string();
                    if !last.depends.contains(&dep) {
                        last.depends.push(dep);
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn lock_package(s: LockSpec, lock_path: &str, layer: usize) -> Package {
    let mut pkg = Package::new(PackageType::Gem, s.name, s.version, FOUND_BY);
    pkg.locations.push(Location {
        path: lock_path.to_string(),
        layer,
        layer_digest: String::new(),
    });
    pkg.depends = s.depends.into_iter().map(|d| vec![d]).collect();
    finish(&mut pkg);
    pkg
}

#[cfg(test)]
mod tests {
    use super::*;

    const GENERATED: &str = r#"# -*- encoding: utf-8 -*-
# stub: nokogiri 1.13.10 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "nokogiri".freeze
  s.version = "1.13.10"
  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.authors = ["Mike Dalessio".freeze, "Aaron Patterson".freeze]
  s.files = ["lib/nokogiri.rb".freeze, "lib/a \"quoted\" name.rb".freeze]
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.15".freeze

  if s.respond_to? :add_runtime_dependency then
    s.add_runtime_dependency(%q<racc>.freeze, ["~> 1.4"])
    s.add_development_dependency(%q<rake>.freeze, [">= 0"])
  else
    s.add_dependency(%q<racc>.freeze, ["~> 1.4"])
    s.add_dependency(%q<rake>.freeze, [">= 0"])
  end
end
"#;

    #[test]
    fn generated_gemspec() {
        let s = parse_gemspec(GENERATED);
        assert_eq!(s.name.as_deref(), Some("nokogiri"));
        assert_eq!(s.version.as_deref(), Some("1.13.10"));
        assert_eq!(s.licenses, ["MIT"]);
        assert_eq!(s.authors, ["Mike Dalessio", "Aaron Patterson"]);
        assert_eq!(s.files, ["lib/nokogiri.rb", "lib/a \"quoted\" name.rb"]);
        assert_eq!(s.depends, ["racc"]);
    }

    #[test]
    fn hand_written_gemspec() {
        let s = parse_gemspec(
            "Gem::Specification.new do |spec|\n  spec.name    = 'widget'\n  spec.version = Gem::Version.new('2.0.1')\n  spec.license = %q{Apache-2.0}\n  spec.files = [\n    'a.rb', # first\n    \"b.rb\"\n  ]\n  spec.add_dependency 'json', '>= 2'\n  spec.required_ruby_version = '>= 3.0'\nend\n",
        );
        assert_eq!(s.name.as_deref(), Some("widget"));
        assert_eq!(s.version.as_deref(), Some("2.0.1"));
        assert_eq!(s.licenses, ["Apache-2.0"]);
        assert_eq!(s.files, ["a.rb", "b.rb"]);
        assert_eq!(s.depends, ["json"]);
    }

    #[test]
    fn computed_version_is_not_a_literal() {
        let s = parse_gemspec("Gem::Specification.new do |s|\n  s.name = 'x'\n  s.version = X::VERSION\nend\n");
        assert_eq!(s.version, None);
        assert!(s.name.is_some());
    }

    #[test]
    fn lock_file_sections() {
        let specs = parse_gemfile_lock(
            "GIT\n  remote: https://example.org/a.git\n  revision: abc\n  specs:\n    a (0.1.0)\n      b (~> 1)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    b (1.2.0-x86_64-linux)\n    c (3.0)\n      d!\n\nDEPENDENCIES\n  a!\n    z (9.9)\n",
        );
        let got: Vec<(&str, &str)> = specs.iter().map(|s| (s.name.as_str(), s.version.as_str())).collect();
        assert_eq!(got, [("a", "0.1.0"), ("b", "1.2.0-x86_64-linux"), ("c", "3.0")]);
        assert_eq!(specs[0].depends, ["b"]);
        assert_eq!(specs[2].depends, ["d"]);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        for s in [
            "s.name = \"",
            "s.files = [",
            "s.x = %q",
            "é.name = 'x'",
            "s.name=",
            "s.add_dependency",
            "%",
        ] {
            fuzz_entry(s.as_bytes());
        }
        fuzz_entry(&[0xff, b'.', b'n', b'=', b'"']);
        let deep = "s.files = ".to_string() + &"[".repeat(100_000);
        assert!(parse_gemspec(&deep).files.is_empty());
        // Unclosed arrays and strings on many lines stay linear (each byte read once or twice).
        let many = "s.files = [ \"a\",\n".repeat(50_000);
        assert_eq!(parse_gemspec(&many).files.len(), 50_000);
        let many = "s.name = %q<x\n".repeat(50_000);
        assert_eq!(parse_gemspec(&many).name, None);
    }
}
