//! The vulnerability feed readers (OSV, RustSec, Debian tracker, Alpine secdb, NVD, KEV, EPSS).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_fuzz_targets::feeds(data));
