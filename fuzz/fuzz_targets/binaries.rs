//! Executable readers: ELF/PE/Mach-O, Go build info, cargo-auditable, classifiers, PE version resources.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_fuzz_targets::binaries(data));
