//! The layer reader (gzip, zstd or plain tar; whiteouts; captures) and the squash.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_fuzz_targets::layer(data));
