//! Hostile documents, built in code, are parsed in bounded memory: a counting allocator
//! measures the peak of what the parser allocates beyond its input.

use drydock_test_support::peak;

// A test binary of its own, not a module of tests/it: the counting allocator is the whole
// process's, and other tests allocating at the same time would spoil the measurement.
#[global_allocator]
static ALLOC: peak::Counting = peak::Counting;

const MIB: usize = 1 << 20;

use drydock_catalog::dpkg::paragraphs;
use drydock_catalog::javascript::parse_package_json;

/// `{"name":…,"version":…,<key>: <filler repeated until size>}`.
fn package_json_with(key: &str, open: &str, item: &str, close: &str, size: usize) -> Vec<u8> {
    let mut s = String::with_capacity(size + 256);
    s.push_str(r#"{"name":"big","version":"1.0.0","#);
    s.push_str(&format!("\"{key}\":{open}"));
    while s.len() < size {
        s.push_str(item);
    }
    s.push_str(close);
    s.push_str(r#","license":"MIT"}"#);
    s.into_bytes()
}

#[test]
fn a_huge_irrelevant_array_in_package_json_is_skipped_unread() {
    let _alone = peak::alone();
    let doc = package_json_with("files", "[", r#"{"k":[1,2]},"#, "{}]", 32 * MIB);
    let (m, peak) = peak::measure(|| parse_package_json(&doc));
    let m = m.unwrap().unwrap();
    assert_eq!((m.name.as_str(), m.version.as_str()), ("big", "1.0.0"));
    assert_eq!(m.licenses, ["MIT"]);
    assert!(peak < 64 * 1024, "{peak} bytes allocated for a 32 MiB array");
}

#[test]
fn a_huge_description_in_package_json_is_not_copied() {
    let _alone = peak::alone();
    let doc = package_json_with("description", "\"", "xxxxxxxxxxxxxxxx", "\"", 32 * MIB);
    let (m, peak) = peak::measure(|| parse_package_json(&doc));
    assert_eq!(m.unwrap().unwrap().name, "big");
    assert!(peak < 64 * 1024, "{peak} bytes allocated for a 32 MiB string");
}

#[test]
fn dependency_names_are_bounded() {
    let _alone = peak::alone();
    let mut s = String::from(r#"{"name":"a","version":"1","dependencies":{"#);
    for i in 0..200_000 {
        s.push_str(&format!("\"dep-{i}\":\"^1\","));
    }
    s.push_str(r#""last":"1"}}"#);
    let (m, peak) = peak::measure(|| parse_package_json(s.as_bytes()));
    let m = m.unwrap().unwrap();
    assert_eq!(m.depends.len(), 10_000);
    assert!(peak < 4 * MIB, "{peak} bytes allocated");
}

#[test]
fn dpkg_stanzas_are_read_one_at_a_time() {
    let _alone = peak::alone();
    let mut text = String::new();
    for i in 0..200_000 {
        text.push_str(&format!(
            "Package: p{i}\nStatus: install ok installed\nVersion: 1.{i}\nDescription: x\n more\n\n"
        ));
    }
    let (n, peak) = peak::measure(|| paragraphs(&text).filter(|p| p.len() == 4).count());
    assert_eq!(n, 200_000);
    assert!(peak < 64 * 1024, "{peak} bytes allocated over 200k stanzas");
}

/// A lock file of `n` packages, each with `pad` bytes of fields the parsers do not use.
fn lock_with(n: usize, pad: usize) -> Vec<u8> {
    let junk = "x".repeat(pad);
    let mut s = String::from(
        r#"{"name":"app","version":"1.0.0","lockfileVersion":3,"packages":{"":{"name":"app","version":"1.0.0"}"#,
    );
    for i in 0..n {
        s.push_str(&format!(
            r#","node_modules/p{i}":{{"version":"1.0.{i}","resolved":"https://example.invalid/{junk}","integrity":"sha512-{junk}","engines":{{"node":[{junk:?}]}},"license":"MIT"}}"#
        ));
    }
    s.push_str("}}");
    s.into_bytes()
}

#[test]
fn package_lock_keeps_only_the_fields_used() {
    use drydock_catalog::javascript::parse_package_lock;
    let _alone = peak::alone();
    // 2,000 packages with ~12 KiB of hashes and URLs each: a ~24 MiB document.
    let doc = lock_with(2_000, 4 << 10);
    assert!(doc.len() > 23 * MIB);
    let (_, whole) = peak::measure(|| serde_json::from_slice::<serde_json::Value>(&doc).map(|_| ()));
    let (entries, peak) = peak::measure(|| parse_package_lock(&doc));
    println!("{} bytes: {whole} bytes as a Value, {peak} bytes typed", doc.len());
    let entries = entries.unwrap();
    assert_eq!(entries.len(), 2_001);
    assert_eq!(entries[1].licenses, ["MIT"]);
    // Parsed into a `Value` it took more than the document; typed, only the entries kept.
    assert!(whole > doc.len());
    assert!(
        peak < 2 * MIB,
        "{peak} bytes allocated for a {}-byte lock file",
        doc.len()
    );
}

#[test]
fn composer_and_deps_json_keep_only_the_fields_used() {
    use drydock_catalog::dotnet::parse_deps_json;
    use drydock_catalog::php::parse_composer_lock;
    let _alone = peak::alone();
    let junk = "x".repeat(4 << 10);
    let mut lock = String::from(r#"{"content-hash":"h","packages":["#);
    for i in 0..2_000 {
        if i > 0 {
            lock.push(',');
        }
        lock.push_str(&format!(
            r#"{{"name":"v/p{i}","version":"1.{i}","description":"{junk}","dist":{{"url":"{junk}","shasum":"{junk}"}},"license":["MIT"]}}"#
        ));
    }
    lock.push_str("]}");
    let (found, peak) = peak::measure(|| parse_composer_lock(lock.as_bytes()));
    assert_eq!(found.unwrap().len(), 2_000);
    assert!(
        peak < 2 * MIB,
        "{peak} bytes allocated for a {}-byte composer.lock",
        lock.len()
    );

    let mut deps = String::from(r#"{"runtimeTarget":{"name":"t"},"targets":{"t":{}},"libraries":{"#);
    for i in 0..2_000 {
        if i > 0 {
            deps.push(',');
        }
        deps.push_str(&format!(
            r#""P{i}/1.0.{i}":{{"type":"package","serviceable":true,"sha512":"sha512-x","path":"{junk}","hashPath":"{junk}"}}"#
        ));
    }
    deps.push_str("}}");
    let (found, peak) = peak::measure(|| parse_deps_json(deps.as_bytes()));
    assert_eq!(found.unwrap().len(), 2_000);
    assert!(
        peak < 2 * MIB,
        "{peak} bytes allocated for a {}-byte deps.json",
        deps.len()
    );
}
