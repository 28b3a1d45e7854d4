//! `pnpm-lock.yaml`: the `packages` section (and v9's `snapshots`, which holds the
//! dependencies). Keys are `/name/1.2.3_peer@1` (lockfile 5.x), `/name@1.2.3(peer@1)`
//! (6.x) or `name@1.2.3(peer@1)` (9.x); peer-dependency suffixes are not part of the
//! version and are dropped.

use super::yaml::lines;
use super::{plausible_name, LockEntry};

/// The packages a pnpm lock file resolves.
pub fn parse_pnpm_lock(content: &[u8]) -> Result<Vec<LockEntry>, String> {
    let text = std::str::from_utf8(content).map_err(|_| "not UTF-8 text".to_string())?;
    let mut major: Option<u32> = None;
    let mut in_packages = false;
    let mut entry_level: Option<usize> = None;
    let mut blocks: Vec<Block> = Vec::new();
    for l in lines(text) {
        if l.indent == 0 {
            if l.key == "lockfileVersion" {
                major = l
                    .value
                    .as_deref()
                    .and_then(|v| v.split('.').next()?.trim().parse().ok());
            }
            in_packages = matches!(l.key.as_str(), "packages" | "snapshots") && l.value.is_none();
            entry_level = None;
            continue;
        }
        if !in_packages {
            continue;
        }
        let level = *entry_level.get_or_insert(l.indent);
        if l.indent < level {
            continue;
        }
        if l.indent == level {
            blocks.push(Block {
                key: l.key,
                ..Default::default()
            });
            continue;
        }
        let Some(b) = blocks.last_mut() else { continue };
        let prop_level = *b.prop_level.get_or_insert(l.indent);
        if l.indent == prop_level {
            b.in_deps = false;
            match (l.key.as_str(), l.value) {
                ("name", Some(v)) => b.name = Some(v),
                ("version", Some(v)) => b.version = Some(v),
                ("dev", Some(v)) => b.dev = v == "true",
                ("dependencies" | "optionalDependencies", None) => b.in_deps = true,
                _ => {}
            }
        } else if l.indent > prop_level && b.in_deps && plausible_name(&l.key) {
            b.depends.push(l.key);
        }
    }
    Ok(blocks.into_iter().filter_map(|b| b.finish(major)).collect())
}

#[derive(Default)]
struct Block {
    key: String,
    name: Option<String>,
    version: Option<String>,
    dev: bool,
    depends: Vec<String>,
    prop_level: Option<usize>,
    in_deps: bool,
}

impl Block {
    fn finish(self, major: Option<u32>) -> Option<LockEntry> {
        let (key_name, key_version) = split_key(&self.key, major).unwrap_or(("", ""));
        let name = self.name.as_deref().unwrap_or(key_name);
        let version = self.version.as_deref().map(strip_peers).unwrap_or(key_version);
        if !plausible_name(name) || version.is_empty() {
            return None;
        }
        Some(LockEntry {
            name: name.to_string(),
            version: version.to_string(),
            dev: self.dev,
            licenses: Vec::new(),
            depends: self.depends,
        })
    }
}

/// The name and version of a `packages` key (`None` for keys of tarball or git
/// dependencies, whose entries carry `name:` and `version:` fields instead).
fn split_key(key: &str, major: Option<u32>) -> Option<(&str, &str)> {
    let k = key.strip_prefix('/').unwrap_or(key);
    let k = k.split('(').next().unwrap_or(k);
    let slash_style = match major {
        Some(m) => m < 6,
        None => {
            key.starts_with('/')
                && k.rsplit('/')
                    .next()
                    .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        }
    };
    let (name, version) = if slash_style {
        let (name, version) = k.rsplit_once('/')?;
        (name, strip_peers(version))
    } else {
        let i = k.get(1..)?.find('@')? + 1;
        (&k[..i], &k[i + 1..])
    };
    // `registry.example.org/name/1.0.0`-style keys are not npm names.
    let bare = match name.strip_prefix('@') {
        Some(scoped) => scoped.split_once('/').map(|(_, b)| b).unwrap_or(""),
        None => name,
    };
    (!bare.is_empty() && !bare.contains('/') && !version.is_empty()).then_some((name, version))
}

/// `1.2.3_peer@1.0.0` (5.x) and `1.2.3(peer@1.0.0)` (6.x and later) → `1.2.3`
/// (a semver version holds neither character; `file:`/`link:` specifiers may hold `_`).
fn strip_peers(version: &str) -> &str {
    let v = version.split('(').next().unwrap_or(version);
    if v.starts_with(|c: char| c.is_ascii_digit()) {
        v.split('_').next().unwrap_or(v)
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(entries: &[LockEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| {
                format!(
                    "{}@{}{} [{}]",
                    e.name,
                    e.version,
                    if e.dev { " dev" } else { "" },
                    e.depends.join(",")
                )
            })
            .collect()
    }

    #[test]
    fn v5() {
        let lock = "lockfileVersion: 5.4\n\nspecifiers:\n  '@babel/core': ^7.18.2\n\n\
            devDependencies:\n  '@babel/core': 7.18.2\n\npackages:\n\n  \
            /@babel/core/7.18.2:\n    resolution: {integrity: sha512-x}\n    dependencies:\n      \
            debug: 4.3.4\n      '@babel/types': 7.18.4\n    transitivePeerDependencies:\n      - supports-color\n    \
            dev: true\n\n  /@babel/helper-compilation-targets/7.18.2_@babel+core@7.18.2:\n    \
            resolution: {integrity: sha512-y}\n    dev: false\n\n  \
            github.com/user/repo/0123abc:\n    resolution: {tarball: https://codeload.github.com/user/repo/tar.gz/0123abc}\n    \
            name: repo\n    version: 1.0.0\n\n  registry.example.org/x/1.0.0:\n    resolution: {tarball: x}\n";
        assert_eq!(
            show(&parse_pnpm_lock(lock.as_bytes()).unwrap()),
            [
                "@babel/core@7.18.2 dev [debug,@babel/types]",
                "@babel/helper-compilation-targets@7.18.2 []",
                "repo@1.0.0 []"
            ]
        );
    }

    #[test]
    fn v6_and_v9() {
        let v6 = "lockfileVersion: '6.0'\n\npackages:\n\n  /@s/a@1.0.0(react@18.2.0):\n    \
            resolution: {integrity: x}\n    dependencies:\n      b: 2.0.0\n    dev: true\n\n  /b@2.0.0:\n    \
            resolution: {integrity: y}\n";
        assert_eq!(
            show(&parse_pnpm_lock(v6.as_bytes()).unwrap()),
            ["@s/a@1.0.0 dev [b]", "b@2.0.0 []"]
        );
        let v9 = "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      b:\n        \
            specifier: ^2\n        version: 2.0.0\n\npackages:\n\n  '@s/a@1.0.0':\n    resolution: {integrity: x}\n\n  \
            b@2.0.0:\n    resolution: {integrity: y}\n\nsnapshots:\n\n  '@s/a@1.0.0(react@18.2.0)':\n    \
            dependencies:\n      b: 2.0.0\n\n  b@2.0.0: {}\n";
        assert_eq!(
            show(&parse_pnpm_lock(v9.as_bytes()).unwrap()),
            ["@s/a@1.0.0 []", "b@2.0.0 []", "@s/a@1.0.0 [b]", "b@2.0.0 []"]
        );
    }

    #[test]
    fn keys() {
        assert_eq!(split_key("/a/1.0.0", None), Some(("a", "1.0.0")));
        assert_eq!(split_key("/a@1.0.0", None), Some(("a", "1.0.0")));
        assert_eq!(split_key("/@s/a@1.0.0(x@1)", Some(6)), Some(("@s/a", "1.0.0")));
        assert_eq!(split_key("@", Some(9)), None);
        assert_eq!(split_key("/", Some(5)), None);
        assert_eq!(split_key("", None), None);
        assert_eq!(
            split_key("/http_ece/1.0.0_web-push@3.6.7", Some(5)),
            Some(("http_ece", "1.0.0"))
        );
        assert_eq!(strip_peers("file:../a_b"), "file:../a_b");
        assert_eq!(strip_peers("4.10.0_fzn43tb6bdtdxy2s3aqevve2su"), "4.10.0");
        assert!(parse_pnpm_lock(b"\xc3").is_err());
        assert_eq!(parse_pnpm_lock(b"packages:\n  x\n    y\n   z: 1\n"), Ok(vec![]));
    }
}
