//! Hostile documents, built in code, are parsed in bounded memory: a counting allocator
//! measures the peak of what the parser allocates beyond its input.

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
