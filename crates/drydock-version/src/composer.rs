//! Composer (Packagist) versions, ordered as Composer orders them: each version is first
//! normalised like composer/semver's `VersionParser::normalize` (`v1.0` → `1.0.0.0`,
//! `1.0.0RC1dev` → `1.0.0.0-RC1-dev`, `1.2-p1` → `1.2.0.0-patch1`, `1.x-dev` →
//! `1.9999999.9999999.9999999-dev`, date versions, `dev-<branch>`), `dev-master`,
//! `dev-trunk` and `dev-default` become `9999999-dev` as in `Semver::sort`, and the
//! normalised strings are compared with PHP's `version_compare`: numbers numerically,
//! and special forms `dev` < `alpha` = `a` < `beta` = `b` < `RC` = `rc` < a number <
//! `patch` = `pl` = `p`, so `1.0-dev` < `1.0-alpha1` < `1.0-RC9` < `1.0-RC10` < `1.0` <
//! `1.0-p1`. Composer does not order named branches (`dev-feature`); here they sort
//! below every numbered version (as `version_compare` puts them) and among themselves by
//! name, equal only when identical.

use std::cmp::Ordering;

/// A normalised Composer version.
#[derive(Debug, Clone)]
pub(crate) struct ComposerVersion {
    /// The normalised form (`1.0.0.0-RC1`, `dev-feature`, `9999999-dev`).
    normalized: String,
}

impl ComposerVersion {
    pub(crate) fn parse(s: &str) -> Result<ComposerVersion, String> {
        let n = normalize(s)?;
        let n = match n.as_str() {
            "dev-master" | "dev-default" | "dev-trunk" => "9999999-dev".to_string(),
            _ => n,
        };
        Ok(ComposerVersion { normalized: n })
    }

    fn is_branch(&self) -> bool {
        self.normalized.starts_with("dev-")
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.is_branch(), other.is_branch()) {
            (true, true) => self.normalized.as_bytes().cmp(other.normalized.as_bytes()),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => php_version_compare(self.normalized.as_bytes(), other.normalized.as_bytes()),
        }
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ComposerVersion {}

/// PHP's `trim()` character set.
fn php_trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0B'))
}

/// PCRE's `\s` (without the `u` flag).
fn is_pcre_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

fn ends_with_ci(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len() && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// `^([^,\s]++) ++as ++([^,\s]++)$`: the aliased version of `"1.0.x-dev as 1.0.0"`.
fn strip_alias(s: &str) -> &str {
    let stop = |c: char| c == ',' || is_pcre_space(c);
    let Some(end) = s.find(stop) else { return s };
    if end == 0 {
        return s;
    }
    let rest = &s[end..];
    let after_spaces = rest.trim_start_matches(' ');
    if after_spaces.len() == rest.len() {
        return s;
    }
    let Some(after_as) = after_spaces.strip_prefix("as") else {
        return s;
    };
    let alias = after_as.trim_start_matches(' ');
    if alias.len() == after_as.len() || alias.is_empty() || alias.contains(stop) {
        return s;
    }
    &s[..end]
}

/// `@(?:stable|RC|beta|alpha|dev)$` (case-insensitive): a stability flag.
fn strip_stability_flag(s: &str) -> &str {
    for flag in ["stable", "rc", "beta", "alpha", "dev"] {
        let n = flag.len() + 1;
        if s.len() >= n && s.as_bytes()[s.len() - n] == b'@' && ends_with_ci(s, flag) {
            return &s[..s.len() - n];
        }
    }
    s
}

/// `^([^,\s+]++)\+[^\s]++$`: strips build metadata.
fn strip_build(s: &str) -> &str {
    let Some(i) = s.find(|c: char| c == ',' || c == '+' || is_pcre_space(c)) else {
        return s;
    };
    if i == 0 || s.as_bytes()[i] != b'+' {
        return s;
    }
    let meta = &s[i + 1..];
    if meta.is_empty() || meta.contains(is_pcre_space) {
        return s;
    }
    &s[..i]
}

/// The parts a version modifier (`$modifierRegex`) captured.
struct Modifier<'a> {
    /// The stability word as written (`RC`, `b`, `pl`, …), if any.
    stability: Option<&'a str>,
    /// The digits after it, with their separators (`.1.2`, `-3`).
    number: &'a str,
    dev: bool,
}

const STABILITY_WORDS: [&str; 9] = ["stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p"];

/// `(?:[.-]?\d+)*+`: the longest run of optionally separated digit groups.
fn number_run(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        let mut j = i;
        if j < b.len() && (b[j] == b'.' || b[j] == b'-') {
            j += 1;
        }
        let digits = b[j..].iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return i;
        }
        i = j + digits;
    }
}

/// `([.-]?dev)?$`: true when the rest is empty or (optionally separated) `dev`.
fn dev_tail(s: &str) -> Option<bool> {
    if s.is_empty() {
        return Some(false);
    }
    let t = s.strip_prefix(['.', '-']).unwrap_or(s);
    (t.len() == 3 && t.eq_ignore_ascii_case("dev")).then_some(true)
}

/// Matches `$modifierRegex` followed by the end of the string, case-insensitively, in
/// PCRE's order of preference.
fn match_modifier(s: &str) -> Option<Modifier<'_>> {
    let mut starts = Vec::with_capacity(2);
    if s.starts_with(['.', '_', '-']) {
        starts.push(&s[1..]);
    }
    starts.push(s);
    for r in starts {
        for word in STABILITY_WORDS {
            if !starts_with_ci(r, word) {
                continue;
            }
            let after = &r[word.len()..];
            let n = number_run(after);
            if let Some(dev) = dev_tail(&after[n..]) {
                return Some(Modifier {
                    stability: Some(&r[..word.len()]),
                    number: &after[..n],
                    dev,
                });
            }
        }
        if let Some(dev) = dev_tail(r) {
            return Some(Modifier {
                stability: None,
                number: "",
                dev,
            });
        }
    }
    None
}

/// `^v?(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?` + modifier: `1.2.3.4` padded to four parts.
fn match_classical(s: &str) -> Option<(String, Modifier<'_>)> {
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let b = s.as_bytes();
    let major = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if major == 0 || major > 5 {
        return None;
    }
    let mut out = s[..major].to_string();
    let mut i = major;
    let mut parts = 1;
    while parts < 4 && i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
        let d = b[i + 1..].iter().take_while(|c| c.is_ascii_digit()).count();
        out.push_str(&s[i..i + 1 + d]);
        i += 1 + d;
        parts += 1;
    }
    for _ in parts..4 {
        out.push_str(".0");
    }
    let m = match_modifier(&s[i..])?;
    Some((out, m))
}

/// `\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2}` matched against all of `s`.
fn is_date_body(s: &[u8]) -> bool {
    fn units(s: &[u8], twos: usize, rest: usize) -> bool {
        if s.is_empty() {
            return twos >= 1;
        }
        let t = if matches!(s[0], b'.' | b':' | b'-') { &s[1..] } else { s };
        let digits = t.iter().take_while(|c| c.is_ascii_digit()).count();
        // Another two-digit unit while allowed, then one- to three-digit units.
        if rest == 0 && twos < 6 && digits >= 2 && units(&t[2..], twos + 1, 0) {
            return true;
        }
        if twos >= 1 && rest < 2 {
            for n in 1..=digits.min(3) {
                if units(&t[n..], twos, rest + 1) {
                    return true;
                }
            }
        }
        false
    }
    s.len() >= 4 && s[..4].iter().all(u8::is_ascii_digit) && units(&s[4..], 0, 0)
}

/// `^v?(<date>)` + modifier: date and date-time versions, separators turned into dots.
fn match_date(s: &str) -> Option<(String, Modifier<'_>)> {
    let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
    let b = s.as_bytes();
    let mut end = b
        .iter()
        .take_while(|c| c.is_ascii_digit() || matches!(c, b'.' | b':' | b'-'))
        .count();
    // The body ends in a digit; a separator before the modifier belongs to the modifier.
    if end > 0 && !b[end - 1].is_ascii_digit() {
        end -= 1;
    }
    if !is_date_body(&b[..end]) {
        return None;
    }
    let m = match_modifier(&s[end..])?;
    let body: String = s[..end]
        .chars()
        .map(|c| if c.is_ascii_digit() { c } else { '.' })
        .collect();
    Some((body, m))
}

/// `VersionParser::expandStability`.
fn expand_stability(s: &str) -> String {
    let l = s.to_ascii_lowercase();
    match l.as_str() {
        "a" => "alpha".into(),
        "b" => "beta".into(),
        "p" | "pl" => "patch".into(),
        "rc" => "RC".into(),
        _ => l,
    }
}

/// `VersionParser::normalizeBranch` for a numeric branch (`1.x`, `v2.1.*`):
/// `1.9999999.9999999.9999999-dev`; `None` for a named branch.
fn normalize_numeric_branch(name: &str) -> Option<String> {
    let name = php_trim(name);
    let name = name.strip_prefix(['v', 'V']).unwrap_or(name);
    let b = name.as_bytes();
    let major = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if major == 0 {
        return None;
    }
    let mut out = name[..major].to_string();
    let mut i = major;
    let mut parts = 1;
    while parts < 4 && i < b.len() {
        if b[i] != b'.' {
            return None;
        }
        let t = &b[i + 1..];
        let d = t.iter().take_while(|c| c.is_ascii_digit()).count();
        if d > 0 {
            out.push_str(&name[i..i + 1 + d]);
            i += 1 + d;
        } else if matches!(t.first(), Some(b'x' | b'X' | b'*')) {
            out.push_str(".x");
            i += 2;
        } else {
            return None;
        }
        parts += 1;
    }
    if i != b.len() {
        return None;
    }
    for _ in parts..4 {
        out.push_str(".x");
    }
    Some(out.replace('x', "9999999") + "-dev")
}

/// `VersionParser::normalize`.
pub(crate) fn normalize(input: &str) -> Result<String, String> {
    let v = php_trim(input);
    if v.is_empty() {
        return Err("empty version".into());
    }
    let v = strip_alias(v);
    let v = strip_stability_flag(v);
    let owned;
    let v = if matches!(v, "master" | "trunk" | "default") {
        owned = format!("dev-{v}");
        owned.as_str()
    } else {
        v
    };
    if starts_with_ci(v, "dev-") {
        return Ok(format!("dev-{}", &v[4..]));
    }
    let v = strip_build(v);
    if let Some((mut out, m)) = match_classical(v).or_else(|| match_date(v)) {
        if let Some(word) = m.stability {
            if word == "stable" {
                return Ok(out);
            }
            out.push('-');
            out.push_str(&expand_stability(word));
            out.push_str(m.number.trim_start_matches(['.', '-']));
        }
        if m.dev {
            out.push_str("-dev");
        }
        return Ok(out);
    }
    if ends_with_ci(v, "dev") {
        let name = &v[..v.len() - 3];
        let name = name.strip_suffix(['.', '-']).unwrap_or(name);
        if let Some(n) = normalize_numeric_branch(name) {
            return Ok(n);
        }
    }
    Err("not a Composer version (expected e.g. 1.2.3, v1.2.3-RC1, 1.2.x-dev or dev-<branch>)".into())
}

/// `php_canonicalize_version`: `-`, `_`, `+` and other non-alphanumerics become `.`,
/// and a `.` goes between letters and digits (`1.0RC1` → `1.0.RC.1`).
fn canonicalize(v: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(v.len() * 2);
    let Some((&first, rest)) = v.split_first() else {
        return out;
    };
    out.push(first);
    let mut lp = first;
    let dig = |c: u8| c.is_ascii_digit();
    let ndig = |c: u8| !c.is_ascii_digit() && c != b'.';
    for &c in rest {
        let last_dot = out.last() == Some(&b'.');
        if matches!(c, b'-' | b'_' | b'+') {
            if !last_dot {
                out.push(b'.');
            }
        } else if (ndig(lp) && dig(c)) || (dig(lp) && ndig(c)) {
            if !last_dot {
                out.push(b'.');
            }
            out.push(c);
        } else if !c.is_ascii_alphanumeric() {
            if !last_dot {
                out.push(b'.');
            }
        } else {
            out.push(c);
        }
        lp = c;
    }
    out
}

/// `compare_special_version_forms`: the rank of the first special form `s` starts with.
fn special_form(s: &[u8]) -> i32 {
    const FORMS: [(&[u8], i32); 10] = [
        (b"dev", 0),
        (b"alpha", 1),
        (b"a", 1),
        (b"beta", 2),
        (b"b", 2),
        (b"RC", 3),
        (b"rc", 3),
        (b"#", 4),
        (b"pl", 5),
        (b"p", 5),
    ];
    FORMS
        .iter()
        .find(|(name, _)| s.starts_with(name))
        .map_or(-1, |(_, rank)| *rank)
}

/// `strtol` on a canonical element that starts with a digit (saturating like C's).
fn php_number(s: &[u8]) -> i64 {
    let mut n: i64 = 0;
    for &c in s.iter().take_while(|c| c.is_ascii_digit()) {
        n = n.saturating_mul(10).saturating_add(i64::from(c - b'0'));
    }
    n
}

fn cmp_elements(a: &[u8], b: &[u8]) -> Ordering {
    let da = a.first().is_some_and(u8::is_ascii_digit);
    let db = b.first().is_some_and(u8::is_ascii_digit);
    match (da, db) {
        (true, true) => php_number(a).cmp(&php_number(b)),
        (false, false) => special_form(a).cmp(&special_form(b)),
        (true, false) => special_form(b"#N#").cmp(&special_form(b)),
        (false, true) => special_form(a).cmp(&special_form(b"#N#")),
    }
}

/// PHP's `version_compare` (main/versioning.c) without an operator.
pub(crate) fn php_version_compare(v1: &[u8], v2: &[u8]) -> Ordering {
    if v1.is_empty() || v2.is_empty() {
        return (!v1.is_empty()).cmp(&!v2.is_empty());
    }
    let c1 = if v1[0] == b'#' { v1.to_vec() } else { canonicalize(v1) };
    let c2 = if v2[0] == b'#' { v2.to_vec() } else { canonicalize(v2) };
    let (mut p1, mut p2) = (0usize, 0usize);
    let (mut n1, mut n2): (Option<usize>, Option<usize>) = (Some(0), Some(0));
    let mut compare = Ordering::Equal;
    while p1 < c1.len() && p2 < c2.len() && n1.is_some() && n2.is_some() {
        n1 = c1[p1..].iter().position(|&c| c == b'.').map(|k| p1 + k);
        n2 = c2[p2..].iter().position(|&c| c == b'.').map(|k| p2 + k);
        let e1 = &c1[p1..n1.unwrap_or(c1.len())];
        let e2 = &c2[p2..n2.unwrap_or(c2.len())];
        compare = cmp_elements(e1, e2);
        if compare != Ordering::Equal {
            break;
        }
        if let Some(n) = n1 {
            p1 = n + 1;
        }
        if let Some(n) = n2 {
            p2 = n + 1;
        }
    }
    if compare == Ordering::Equal {
        if n1.is_some() {
            compare = if c1.get(p1).is_some_and(u8::is_ascii_digit) {
                Ordering::Greater
            } else {
                php_version_compare(&c1[p1.min(c1.len())..], b"#N#")
            };
        } else if n2.is_some() {
            compare = if c2.get(p2).is_some_and(u8::is_ascii_digit) {
                Ordering::Less
            } else {
                php_version_compare(b"#N#", &c2[p2.min(c2.len())..])
            };
        }
    }
    compare
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn php_version_compare_vectors() {
        // php-src ext/standard/tests/versioning/version_compare.phpt ("TESTING COMPARE",
        // without its "1.2(message)" row: normalised versions never hold such text),
        // each row checked both ways.
        let rows = "
            1 < 2
            10 > 2
            1.0 < 1.1
            1.2 > 1.0.1
            1.0-dev = 1.0-dev
            1.0-dev < 1.0a1
            1.0-dev < 1.0b1
            1.0-dev < 1.0RC1
            1.0-dev < 1.0rc1
            1.0-dev < 1.0
            1.0-dev < 1.0pl1
            1.0a1 = 1.0a1
            1.0a1 < 1.0b1
            1.0a1 < 1.0RC1
            1.0a1 < 1.0rc1
            1.0a1 < 1.0
            1.0a1 < 1.0pl1
            1.0b1 = 1.0b1
            1.0b1 < 1.0RC1
            1.0b1 < 1.0rc1
            1.0b1 < 1.0
            1.0b1 < 1.0pl1
            1.0RC1 = 1.0RC1
            1.0RC1 = 1.0rc1
            1.0RC1 < 1.0
            1.0RC1 < 1.0pl1
            1.0rc1 < 1.0
            1.0rc1 < 1.0pl1
            1.0 = 1.0
            1.0 < 1.0pl1
            1.0pl1 = 1.0pl1
            1 < 1.0
            1.0.0.0-RC9 < 1.0.0.0-RC10
            1.0.0.0-beta1-dev < 1.0.0.0-beta1
            1.0.0.0-beta1-dev > 1.0.0.0-beta
            1.0.0.0-patch1 > 1.0.0.0
            1.0.0.0-stable < 1.0.0.0
            dev-foo < 0.0.0.0-dev
        ";
        for row in rows.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let p: Vec<&str> = row.split(' ').collect();
            let want = match p[1] {
                "<" => Ordering::Less,
                ">" => Ordering::Greater,
                _ => Ordering::Equal,
            };
            assert_eq!(php_version_compare(p[0].as_bytes(), p[2].as_bytes()), want, "{row}");
            assert_eq!(
                php_version_compare(p[2].as_bytes(), p[0].as_bytes()),
                want.reverse(),
                "{row} (mirrored)"
            );
        }
        assert_eq!(php_version_compare(b"", b"1"), Ordering::Less);
        assert_eq!(php_version_compare(b"", b""), Ordering::Equal);
    }

    #[test]
    fn normalize_vectors() {
        // composer/semver tests/VersionParserTest.php successfulNormalizedVersions
        for (input, want) in [
            ("1.0.0", "1.0.0.0"),
            ("1.2.3.4", "1.2.3.4"),
            ("1.0.0RC1dev", "1.0.0.0-RC1-dev"),
            ("1.0.0-rC15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"),
            ("1.0.0-rc1", "1.0.0.0-RC1"),
            ("1.0.0.pl3-dev", "1.0.0.0-patch3-dev"),
            ("1.0-dev", "1.0.0.0-dev"),
            ("0", "0.0.0.0"),
            ("99999", "99999.0.0.0"),
            ("10.4.13-beta", "10.4.13.0-beta"),
            ("10.4.13beta2", "10.4.13.0-beta2"),
            ("10.4.13beta.2", "10.4.13.0-beta2"),
            ("v1.13.11-beta.0", "1.13.11.0-beta0"),
            ("1.13.11.0-beta0", "1.13.11.0-beta0"),
            ("10.4.13-b", "10.4.13.0-beta"),
            ("10.4.13-b5", "10.4.13.0-beta5"),
            ("v1.0.0", "1.0.0.0"),
            ("2010.01", "2010.01.0.0"),
            ("2010.01.02", "2010.01.02.0"),
            ("2010.1.555", "2010.1.555.0"),
            ("2010.10.200", "2010.10.200.0"),
            ("20230131.0.0", "20230131.0.0"),
            ("202301310000.0.0", "202301310000.0.0"),
            ("v20100102", "20100102"),
            ("20100102", "20100102"),
            ("20100102.0", "20100102.0"),
            ("20100102.1.0", "20100102.1.0"),
            ("20100102.0.3", "20100102.0.3"),
            ("100000", "100000"),
            ("2010-01-02-10-20-30.0.3", "2010.01.02.10.20.30.0.3"),
            ("2010-01-02-10-20-30.5", "2010.01.02.10.20.30.5"),
            ("2010-01-02", "2010.01.02"),
            ("2012.06.07", "2012.06.07.0"),
            ("2010-01-02.5", "2010.01.02.5"),
            ("2010.1.555", "2010.1.555.0"),
            ("20100102-203040", "20100102.203040"),
            ("20100102.x-dev", "20100102.9999999.9999999.9999999-dev"),
            ("20100102.203040.x-dev", "20100102.203040.9999999.9999999-dev"),
            ("20100102203040-10", "20100102203040.10"),
            ("20100102-203040-p1", "20100102.203040-patch1"),
            ("201903.0", "201903.0"),
            ("201903.x-dev", "201903.9999999.9999999.9999999-dev"),
            ("201903.0-p2", "201903.0-patch2"),
            ("dev-master", "dev-master"),
            ("master", "dev-master"),
            ("dev-trunk", "dev-trunk"),
            ("1.x-dev", "1.9999999.9999999.9999999-dev"),
            ("dev-feature-foo", "dev-feature-foo"),
            ("DEV-FOOBAR", "dev-FOOBAR"),
            ("dev-feature/foo", "dev-feature/foo"),
            ("dev-feature+issue-1", "dev-feature+issue-1"),
            ("dev-master as 1.0.0", "dev-master"),
            (
                "dev-load-varnish-only-when-used as ^2.0",
                "dev-load-varnish-only-when-used",
            ),
            (
                "dev-load-varnish-only-when-used@dev as ^2.0@dev",
                "dev-load-varnish-only-when-used",
            ),
            ("1.0.0+foo@dev", "1.0.0.0"),
            (
                "dev-load-varnish-only-when-used@stable",
                "dev-load-varnish-only-when-used",
            ),
            ("1.0.0-beta.5+foo", "1.0.0.0-beta5"),
            ("1.0.0+foo", "1.0.0.0"),
            ("1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"),
            ("1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1"),
            ("1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"),
            // not supported for BC 'semver metadata/7' => array('1.0.0-0.3.7', '1.0.0.0-0.3.7'),
            // not supported for BC 'semver metadata/8' => array('1.0.0-x.7.z.92', '1.0.0.0-x.7.z.92'),
            ("1.0.0+foo as 2.0", "1.0.0.0"),
            ("00.01.03.04", "00.01.03.04"),
            ("000.001.003.004", "000.001.003.004"),
            ("0.000.103.204", "0.000.103.204"),
            ("0700", "0700.0.0.0"),
            ("041.x-dev", "041.9999999.9999999.9999999-dev"),
            ("dev-041.003", "dev-041.003"),
            ("dev-1.0.0-dev<1.0.5-dev", "dev-1.0.0-dev<1.0.5-dev"),
            ("dev-foo bar", "dev-foo bar"),
            (" 1.0.0", "1.0.0.0"),
            ("1.0.0 ", "1.0.0.0"),
        ] {
            assert_eq!(normalize(input).as_deref(), Ok(want), "{input:?}");
        }
    }

    #[test]
    fn normalize_failures() {
        // composer/semver tests/VersionParserTest.php failingNormalizedVersions
        for input in [
            "",
            "a",
            "1.0.0-meh",
            "1.0.0.0.0",
            "feature-foo",
            "1.0.0+foo bar",
            "1.0.1-SNAPSHOT",
            "1.0.0<1.0.5-dev",
            "1.0.0-dev<1.0.5-dev",
            "foo bar-dev",
            "1.0 .2",
            " as ",
            " as 1.2",
            "^",
            "^8 || ^",
            "~",
            "~1 ~",
            "~1",
            "^1",
            "1.*",
            "20100102.0.3.4",
            "100000.0.0.0",
            "2023013.0.0",
            "202301311.0.0",
            "20230131000.0.0",
            "2023013100000.0.0",
        ] {
            assert!(normalize(input).is_err(), "{input:?} -> {:?}", normalize(input));
        }
    }

    #[test]
    fn numeric_branches() {
        // composer/semver tests/VersionParserTest.php successfulNormalizedBranches
        for (input, want) in [
            ("v1.x", "1.9999999.9999999.9999999-dev"),
            ("v1.*", "1.9999999.9999999.9999999-dev"),
            ("v1.0", "1.0.9999999.9999999-dev"),
            ("2.0", "2.0.9999999.9999999-dev"),
            ("v1.0.x", "1.0.9999999.9999999-dev"),
            ("v1.0.3.*", "1.0.3.9999999-dev"),
            ("v2.4.0", "2.4.0.9999999-dev"),
            ("2.4.4", "2.4.4.9999999-dev"),
        ] {
            assert_eq!(normalize_numeric_branch(input).as_deref(), Some(want), "{input:?}");
        }
        for named in ["master", "feature-a", "FOOBAR", "feature+issue-1", "1.x.y", "1.2.3.4.5"] {
            assert_eq!(normalize_numeric_branch(named), None, "{named:?}");
        }
    }
}
