//! The rpm NDB reader and the header parser.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_fuzz_targets::rpm_ndb(data));
