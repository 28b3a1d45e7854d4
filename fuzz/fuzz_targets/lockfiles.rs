//! Manifest and lock-file parsers of every ecosystem.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_fuzz_targets::lockfiles(data));
