//! Alpine package versions, as apk-tools' `version.c` parses and compares them:
//! `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}`. Pre-release suffixes
//! (`_alpha`, `_beta`, `_pre`, `_rc`) sort before the bare version, post-release ones
//! (`_cvs`, `_svn`, `_git`, `_hg`, `_p`) after it; `-rN` is the package revision.

use crate::util::cmp_digits;
use std::cmp::Ordering;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
}

/// Suffix ranks; `NONE` (5) is the pivot between pre- and post-release suffixes.
const SUFFIX_NONE: u8 = 5;

fn suffix_value(s: &str) -> Option<u8> {
    Some(match s {
        "alpha" => 1,
        "beta" => 2,
        "pre" => 3,
        "rc" => 4,
        "cvs" => 6,
        "svn" => 7,
        "git" => 8,
        "hg" => 9,
        "p" => 10,
        _ => return None,
    })
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    value: String,
    suffix: u8,
}

/// A validated apk version, as its token sequence.
#[derive(Debug, Clone)]
pub(crate) struct ApkVersion {
    tokens: Vec<Token>,
}

impl ApkVersion {
    /// Tokenises and validates like `apk_version_validate`.
    pub(crate) fn parse(s: &str) -> Result<ApkVersion, String> {
        let b = s.as_bytes();
        let mut pos = 0usize;
        let mut tokens = Vec::new();
        let digits = |pos: &mut usize| -> String {
            let start = *pos;
            while *pos < b.len() && b[*pos].is_ascii_digit() {
                *pos += 1;
            }
            s[start..*pos].to_string()
        };
        let first = digits(&mut pos);
        if first.is_empty() {
            return Err("must start with a digit".into());
        }
        tokens.push(Token {
            kind: Kind::InitialDigit,
            value: first,
            suffix: 0,
        });
        let mut last = Kind::InitialDigit;
        while pos < b.len() {
            let c = b[pos];
            let tok = match c {
                b'a'..=b'z' => {
                    if last > Kind::Digit {
                        return Err(format!("letter not allowed here at byte {pos}"));
                    }
                    pos += 1;
                    Token {
                        kind: Kind::Letter,
                        value: (c as char).to_string(),
                        suffix: 0,
                    }
                }
                b'.' | b'0'..=b'9' => {
                    if c == b'.' {
                        if last > Kind::Digit {
                            return Err(format!("'.' not allowed here at byte {pos}"));
                        }
                        pos += 1;
                    }
                    let kind = match last {
                        Kind::InitialDigit | Kind::Digit => Kind::Digit,
                        Kind::Suffix => Kind::SuffixNo,
                        // apk-tools 2.x accepted a number right after the letter
                        // ("6.6.2p1"); old secdb entries still use it.
                        Kind::Letter if c != b'.' => Kind::Digit,
                        _ => return Err(format!("number not allowed here at byte {pos}")),
                    };
                    let v = digits(&mut pos);
                    if v.is_empty() {
                        return Err(format!("expected a number at byte {pos}"));
                    }
                    Token {
                        kind,
                        value: v,
                        suffix: 0,
                    }
                }
                b'_' => {
                    if last > Kind::SuffixNo {
                        return Err(format!("suffix not allowed here at byte {pos}"));
                    }
                    pos += 1;
                    let start = pos;
                    while pos < b.len() && b[pos].is_ascii_lowercase() {
                        pos += 1;
                    }
                    let name = &s[start..pos];
                    let Some(v) = suffix_value(name) else {
                        return Err(format!("invalid suffix {name:?}"));
                    };
                    Token {
                        kind: Kind::Suffix,
                        value: name.to_string(),
                        suffix: v,
                    }
                }
                b'~' => {
                    if last >= Kind::CommitHash {
                        return Err(format!("'~' not allowed here at byte {pos}"));
                    }
                    pos += 1;
                    let start = pos;
                    while pos < b.len() && b[pos].is_ascii_hexdigit() {
                        pos += 1;
                    }
                    if pos == start {
                        return Err(format!("empty commit hash at byte {pos}"));
                    }
                    Token {
                        kind: Kind::CommitHash,
                        value: s[start..pos].to_string(),
                        suffix: 0,
                    }
                }
                b'-' => {
                    if last >= Kind::RevisionNo {
                        return Err(format!("'-' not allowed here at byte {pos}"));
                    }
                    if b.get(pos + 1) != Some(&b'r') {
                        return Err(format!("'-' must start a '-rN' revision at byte {pos}"));
                    }
                    pos += 2;
                    let v = digits(&mut pos);
                    if v.is_empty() {
                        return Err(format!("revision number missing at byte {pos}"));
                    }
                    Token {
                        kind: Kind::RevisionNo,
                        value: v,
                        suffix: 0,
                    }
                }
                _ => {
                    return Err(format!(
                        "invalid character {:?} at byte {pos}",
                        s[pos..].chars().next().unwrap_or('?')
                    ))
                }
            };
            last = tok.kind;
            tokens.push(tok);
        }
        Ok(ApkVersion { tokens })
    }
}

/// `apk_blob_sort`: bytewise, a prefix sorts first.
fn blob_sort(a: &str, b: &str) -> Ordering {
    a.as_bytes().cmp(b.as_bytes())
}

fn token_cmp(a: &Token, b: &Token) -> Ordering {
    match a.kind {
        Kind::Digit if a.value.starts_with('0') || b.value.starts_with('0') => blob_sort(&a.value, &b.value),
        Kind::Digit | Kind::InitialDigit | Kind::SuffixNo | Kind::RevisionNo => cmp_digits(&a.value, &b.value),
        Kind::Letter => a.value.cmp(&b.value),
        Kind::Suffix => a.suffix.cmp(&b.suffix),
        Kind::CommitHash | Kind::End => blob_sort(&a.value, &b.value),
    }
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let end = Token {
            kind: Kind::End,
            value: String::new(),
            suffix: 0,
        };
        let mut k = 0usize;
        let (ta, tb) = loop {
            let ta = self.tokens.get(k).unwrap_or(&end);
            let tb = other.tokens.get(k).unwrap_or(&end);
            if ta.kind != tb.kind || ta.kind == Kind::End {
                break (ta, tb);
            }
            let r = token_cmp(ta, tb);
            if r != Ordering::Equal {
                return r;
            }
            k += 1;
        };
        if ta.kind == tb.kind {
            return Ordering::Equal;
        }
        // Same leading components; the longer one is newer unless what follows is a
        // pre-release suffix.
        if ta.kind == Kind::Suffix && ta.suffix < SUFFIX_NONE {
            return Ordering::Less;
        }
        if tb.kind == Kind::Suffix && tb.suffix < SUFFIX_NONE {
            return Ordering::Greater;
        }
        // A lower token kind means more version components follow: newer.
        tb.kind.cmp(&ta.kind)
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ApkVersion {}
