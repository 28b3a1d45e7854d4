//! Manifest and lock-file parsers of every ecosystem on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drydock_catalog::javascript::fuzz_entry(data);
    drydock_catalog::python::fuzz_entry(data);
    drydock_catalog::gem::fuzz_entry(data);
    drydock_catalog::php::fuzz_entry(data);
});
