//! Hostile SBOMs, built in code, are read in bounded memory: a counting allocator measures
//! the peak of what the decoder allocates beyond its input.

/// Counts live heap bytes and their peak, so a test can bound what a parser allocates.
/// (A global allocator is the one place tests need `unsafe`.)
#[allow(unsafe_code)]
mod peak {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    use std::sync::Mutex;

    pub struct Counting;
    static CURRENT: AtomicUsize = AtomicUsize::new(0);
    static PEAK: AtomicUsize = AtomicUsize::new(0);
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

    fn grew(by: usize) {
        let now = CURRENT.fetch_add(by, SeqCst) + by;
        PEAK.fetch_max(now, SeqCst);
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, l: Layout) -> *mut u8 {
            let p = unsafe { System.alloc(l) };
            if !p.is_null() {
                grew(l.size());
            }
            p
        }
        unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
            let p = unsafe { System.alloc_zeroed(l) };
            if !p.is_null() {
                grew(l.size());
            }
            p
        }
        unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
            unsafe { System.dealloc(p, l) };
            CURRENT.fetch_sub(l.size(), SeqCst);
        }
        unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
            let q = unsafe { System.realloc(p, l, new) };
            if !q.is_null() {
                if new > l.size() {
                    grew(new - l.size());
                } else {
                    CURRENT.fetch_sub(l.size() - new, SeqCst);
                }
            }
            q
        }
    }

    /// Held for the whole of each test, so that no other test allocates while one measures.
    pub fn alone() -> std::sync::MutexGuard<'static, ()> {
        ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` and returns its result with the peak of heap bytes it added.
    pub fn measure<T>(f: impl FnOnce() -> T) -> (T, usize) {
        let base = CURRENT.load(SeqCst);
        PEAK.store(base, SeqCst);
        let out = f();
        (out, PEAK.load(SeqCst).saturating_sub(base))
    }
}

#[global_allocator]
static ALLOC: peak::Counting = peak::Counting;

const MIB: usize = 1 << 20;

use drydock_sbom::formats::read_sbom;

/// A document: `head` (without its closing brace), then `"junk": [filler…]` up to `size`.
fn with_junk(head: &str, size: usize) -> Vec<u8> {
    let mut s = String::with_capacity(size + 256);
    s.push_str(head);
    s.push_str(r#","junk":["#);
    while s.len() < size {
        s.push_str(r#"{"k":[1,2]},"#);
    }
    s.push_str("{}]}");
    s.into_bytes()
}

const CDX: &str =
    r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","version":"1","purl":"pkg:npm/a@1"}]"#;
const SPDX: &str = r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","packages":[{"SPDXID":"SPDXRef-a","name":"a","versionInfo":"1","externalRefs":[{"referenceType":"purl","referenceLocator":"pkg:npm/a@1"}]}]"#;
const SYFT: &str = r#"{"descriptor":{"name":"syft"},"schema":{"url":"https://raw.githubusercontent.com/anchore/syft/main/schema/json/schema-16.0.0.json"},"artifacts":[{"id":"x","name":"a","version":"1","type":"npm","purl":"pkg:npm/a@1"}]"#;

#[test]
fn irrelevant_arrays_are_skipped_unread() {
    let _alone = peak::alone();
    for (name, head) in [("cyclonedx", CDX), ("spdx", SPDX), ("syft", SYFT)] {
        let doc = with_junk(head, 16 * MIB);
        let (sbom, peak) = peak::measure(|| read_sbom(&doc, name));
        let sbom = sbom.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(sbom.packages.len(), 1, "{name}");
        assert!(peak < 2 * MIB, "{name}: {peak} bytes allocated for a 16 MiB array");
    }
}

#[test]
fn components_are_streamed_one_at_a_time() {
    let _alone = peak::alone();
    // 100k components: what stays is the packages; what passes is one component at a time.
    let mut s = String::from(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":["#);
    let desc = "d".repeat(200);
    for i in 0..100_000 {
        s.push_str(&format!(
            r#"{{"name":"n{i}","version":"1","description":"{desc}","hashes":[{{"alg":"SHA-256","content":"{desc}"}}]}},"#
        ));
    }
    s.pop();
    s.push_str("]}");
    let (sbom, peak) = peak::measure(|| read_sbom(s.as_bytes(), "many"));
    let sbom = sbom.unwrap();
    assert_eq!(sbom.packages.len(), 100_000);
    // The document is ~50 MB of text; parsed whole it took several times that.
    let per_package = peak / 100_000;
    println!("{per_package} bytes per package");
    assert!(per_package < 1_500, "{per_package} bytes per package");
}

#[test]
fn an_oversized_component_is_skipped_whole() {
    let _alone = peak::alone();
    // One component whose irrelevant evidence parses to more than the per-element budget.
    let mut s = String::from(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"big","version":"1","evidence":["#,
    );
    for _ in 0..1_500_000 {
        s.push_str("1,");
    }
    s.push_str(r#"1]},{"name":"small","version":"2"}]}"#);
    let (sbom, peak) = peak::measure(|| read_sbom(s.as_bytes(), "oversized"));
    let sbom = sbom.unwrap();
    let names: Vec<&str> = sbom.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["small"]);
    assert!(
        sbom.warnings.iter().any(|w| w.contains("too large")),
        "{:?}",
        sbom.warnings
    );
    assert!(peak < 128 * MIB, "{peak} bytes allocated");
}

#[test]
fn documents_over_the_limit_are_refused_before_parsing() {
    let _alone = peak::alone();
    use drydock_sbom::formats::decode::MAX_SBOM_BYTES;
    // A slice longer than the limit that is never touched: the length check comes first.
    let len = MAX_SBOM_BYTES as usize + 1;
    let v = vec![0u8; len];
    let (r, _) = peak::measure(|| read_sbom(&v, "huge").map(|_| ()));
    assert!(r.unwrap_err().to_string().contains("larger than"));
}
