//! Helpers shared by the conformance tests (included with `mod common;`).
#![allow(dead_code)]

use drydock_version::{compare, Scheme};
use std::cmp::Ordering;

/// Asserts `a OP b` under `scheme` (OP one of `<`, `=`, `>`), and the mirrored relation.
pub fn check(scheme: Scheme, a: &str, op: &str, b: &str) {
    let want = match op {
        "<" => Ordering::Less,
        "=" | "==" => Ordering::Equal,
        ">" => Ordering::Greater,
        _ => panic!("bad op {op}"),
    };
    let got = compare(scheme, a, b).unwrap_or_else(|e| panic!("{scheme}: {a} {op} {b}: {e}"));
    assert_eq!(got, want, "{scheme}: expected {a} {op} {b}");
    let back = compare(scheme, b, a).unwrap_or_else(|e| panic!("{scheme}: {b} vs {a}: {e}"));
    assert_eq!(back, want.reverse(), "{scheme}: expected {b} mirrored vs {a}");
}

/// Checks every line `a OP b` of a table.
pub fn table(scheme: Scheme, rows: &str) {
    for line in rows
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(parts.len(), 3, "bad row {line:?}");
        check(scheme, parts[0], parts[1], parts[2]);
    }
}

/// Asserts that a strictly increasing chain really is strictly increasing (all pairs).
pub fn ascending(scheme: Scheme, chain: &[&str]) {
    for i in 0..chain.len() {
        for j in i + 1..chain.len() {
            check(scheme, chain[i], "<", chain[j]);
        }
    }
}

/// Asserts that the version is rejected, and that the error names the scheme and the input.
pub fn invalid(scheme: Scheme, v: &str) {
    match drydock_version::parse(scheme, v) {
        Ok(p) => panic!("{scheme}: {v:?} should not parse (got {p:?})"),
        Err(e) => {
            assert_eq!(e.scheme, scheme);
            assert!(!e.reason.is_empty());
        }
    }
}
