//! Hostile SBOMs, built in code, are read in bounded memory: a counting allocator measures
//! the peak of what the decoder allocates beyond its input.

use drydock_test_support::peak;

// A test binary of its own, not a module of tests/it: the counting allocator is the whole
// process's, and other tests allocating at the same time would spoil the measurement.
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

/// A CycloneDX document generated as it is read, never held whole: a header, `count`
/// components of one fixed length (each with `pad` bytes of an irrelevant field), and
/// dependencies naming each component. Seekable, so the decoder can read it in passes.
mod generated {
    use std::io::{self, Read, Seek, SeekFrom};

    pub struct CycloneDx {
        count: usize,
        pad: String,
        /// Position in the document.
        pos: u64,
        /// The bytes of the current piece and how far into it the reader is.
        piece: Vec<u8>,
        at: usize,
        /// The next piece to render: 0 the header, 1..=count components, then the middle,
        /// then dependencies, then the end.
        next: usize,
    }

    const HEAD: &str = r#"{"bomFormat":"CycloneDX","specVersion":"1.5","metadata":{"component":{"type":"container","name":"generated"}},"components":["#;
    const MIDDLE: &str = r#"],"dependencies":["#;
    const END: &str = "]}";

    impl CycloneDx {
        pub fn new(count: usize, pad: usize) -> Self {
            CycloneDx {
                count,
                pad: "x".repeat(pad),
                pos: 0,
                piece: Vec::new(),
                at: 0,
                next: 0,
            }
        }

        fn component(&self, i: usize) -> String {
            let sep = if i + 1 < self.count { "," } else { "" };
            format!(
                r#"{{"bom-ref":"c{i:09}","type":"library","name":"n{i:09}","version":"1.0","purl":"pkg:npm/n{i:09}@1.0","x-junk":"{}"}}{sep}"#,
                self.pad
            )
        }

        fn dependency(&self, i: usize) -> String {
            let sep = if i + 1 < self.count { "," } else { "" };
            let next = (i + 1) % self.count;
            format!(r#"{{"ref":"c{i:09}","dependsOn":["c{next:09}"]}}{sep}"#)
        }

        /// The whole length, computed without generating the document.
        pub fn len(&self) -> u64 {
            let n = self.count as u64;
            let sized = |s: String| s.len() as u64;
            let (c, d) = (sized(self.component(0)), sized(self.dependency(0)));
            (HEAD.len() + MIDDLE.len() + END.len()) as u64 + n * c + n * d - 2 * u64::from(n > 0)
        }

        /// Renders the next piece; false at the end of the document.
        fn advance(&mut self) -> bool {
            let n = self.count;
            let piece = match self.next {
                0 => HEAD.to_string(),
                k if k <= n => self.component(k - 1),
                k if k == n + 1 => MIDDLE.to_string(),
                k if k <= 2 * n + 1 => self.dependency(k - n - 2),
                k if k == 2 * n + 2 => END.to_string(),
                _ => return false,
            };
            self.next += 1;
            self.piece = piece.into_bytes();
            self.at = 0;
            true
        }
    }

    impl Read for CycloneDx {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            while self.at == self.piece.len() {
                if !self.advance() {
                    return Ok(0);
                }
            }
            let k = buf.len().min(self.piece.len() - self.at);
            buf[..k].copy_from_slice(&self.piece[self.at..self.at + k]);
            self.at += k;
            self.pos += k as u64;
            Ok(k)
        }
    }

    impl Seek for CycloneDx {
        fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
            let target = match to {
                SeekFrom::Start(p) => p,
                SeekFrom::End(0) => self.len(),
                SeekFrom::Current(0) => self.pos,
                _ => return Err(io::Error::other("generated documents seek to the start or the end")),
            };
            if target == self.len() {
                self.next = 2 * self.count + 3;
                self.piece.clear();
                self.at = 0;
                self.pos = target;
                return Ok(target);
            }
            // Start over, then skip forward.
            self.pos = 0;
            self.next = 0;
            self.piece.clear();
            self.at = 0;
            io::copy(&mut self.by_ref().take(target), &mut io::sink())?;
            Ok(self.pos)
        }
    }
}

#[test]
fn a_large_document_is_streamed_from_a_reader_never_held_whole() {
    let _alone = peak::alone();
    use drydock_sbom::formats::decode::read_sbom_from;
    // 12,000 components of ~5 KiB each: a ~60 MiB document generated as it is read.
    let count = 12_000;
    let doc = generated::CycloneDx::new(count, 5 << 10);
    let size = doc.len();
    assert!(size > 58 * MIB as u64, "{size}");
    let (sbom, peak) = peak::measure(|| read_sbom_from(doc, "generated"));
    let sbom = sbom.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(sbom.packages.len(), count);
    assert_eq!(sbom.relationships.len(), count);
    println!("{size} bytes read with a peak of {peak} bytes allocated");
    // What stays is the packages and relationships (~1.5 KiB each, as above); the document
    // passes through a 64 KiB buffer one component at a time.
    assert!(peak < 24 * MIB, "{peak} bytes allocated for a {size}-byte document");
}

#[test]
fn a_streamed_document_over_the_limit_is_refused_unread() {
    let _alone = peak::alone();
    use drydock_sbom::formats::decode::{read_sbom_from, MAX_SBOM_BYTES};
    // ~600 MiB: refused by its length before a byte is parsed.
    let doc = generated::CycloneDx::new(120_000, 5 << 10);
    assert!(doc.len() > MAX_SBOM_BYTES);
    let (r, peak) = peak::measure(|| read_sbom_from(doc, "huge").map(|_| ()));
    assert!(r.unwrap_err().to_string().contains("larger than"));
    assert!(peak < MIB, "{peak}");
}
