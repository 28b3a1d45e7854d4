//! Every version scheme: parse, validate, compare.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_fuzz_targets::versions(data));
