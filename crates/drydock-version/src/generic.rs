//! The fallback scheme: any string; runs of digits compare numerically, runs of letters
//! case-insensitively, every other character separates. The shorter version is padded
//! with zeros (`1.0` = `1`), and a letter run sorts below any number, so a trailing
//! word reads as a pre-release: `1.0rc1` < `1.0` < `1.0.1`. A leading `v` before a
//! digit is ignored (`v2` = `2`).

use crate::util::{cmp_digits, digits_are_zero};
use std::cmp::Ordering;

#[derive(Debug, Clone)]
enum Tok {
    Num(String),
    Str(String),
}

/// A generic version, as its tokens.
#[derive(Debug, Clone)]
pub(crate) struct GenericVersion {
    toks: Vec<Tok>,
}

impl GenericVersion {
    pub(crate) fn parse(s: &str) -> GenericVersion {
        let mut toks = Vec::new();
        let mut cur = String::new();
        let mut cur_digit = false;
        // A leading `v` before a digit is a tag prefix, not part of the version.
        let s = match s.trim_start().strip_prefix(['v', 'V']) {
            Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
            _ => s,
        };
        let flush = |cur: &mut String, digit: bool, toks: &mut Vec<Tok>| {
            if !cur.is_empty() {
                let t = std::mem::take(cur);
                toks.push(if digit { Tok::Num(t) } else { Tok::Str(t) });
            }
        };
        for c in s.chars() {
            if c.is_ascii_digit() {
                if !cur_digit {
                    flush(&mut cur, false, &mut toks);
                }
                cur_digit = true;
                cur.push(c);
            } else if c.is_alphabetic() {
                if cur_digit {
                    flush(&mut cur, true, &mut toks);
                }
                cur_digit = false;
                cur.extend(c.to_lowercase());
            } else {
                flush(&mut cur, cur_digit, &mut toks);
            }
        }
        flush(&mut cur, cur_digit, &mut toks);
        while matches!(toks.last(), Some(Tok::Num(n)) if digits_are_zero(n)) {
            toks.pop();
        }
        GenericVersion { toks }
    }
}

impl Ord for GenericVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let zero = Tok::Num(String::new());
        let n = self.toks.len().max(other.toks.len());
        for i in 0..n {
            let a = self.toks.get(i).unwrap_or(&zero);
            let b = other.toks.get(i).unwrap_or(&zero);
            let o = match (a, b) {
                (Tok::Num(x), Tok::Num(y)) => cmp_digits(x, y),
                (Tok::Str(x), Tok::Str(y)) => x.cmp(y),
                (Tok::Str(_), Tok::Num(_)) => Ordering::Less,
                (Tok::Num(_), Tok::Str(_)) => Ordering::Greater,
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GenericVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GenericVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GenericVersion {}
