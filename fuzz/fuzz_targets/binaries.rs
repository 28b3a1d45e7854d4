//! Executable readers: ELF/PE/Mach-O sections, Go build info, cargo-auditable data,
//! binary classifiers, PE version resources.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    drydock_catalog::golang::fuzz_entry(data);
    drydock_catalog::rust::fuzz_entry(data);
    drydock_catalog::binary::fuzz_entry(data);
    drydock_catalog::dotnet::fuzz_entry(data);
});
