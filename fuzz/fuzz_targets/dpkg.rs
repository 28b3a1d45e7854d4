//! The dpkg status parser.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_fuzz_targets::dpkg(data));
