//! The Java archive reader (nested jars, pom.properties, pom.xml, MANIFEST.MF).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_fuzz_targets::jar(data));
