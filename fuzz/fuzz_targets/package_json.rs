//! The package.json reader.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_fuzz_targets::package_json(data));
