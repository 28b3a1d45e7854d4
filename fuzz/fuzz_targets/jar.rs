//! The Java archive reader (nested jars, pom.properties, pom.xml, MANIFEST.MF) on arbitrary bytes.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| drydock_catalog::java::fuzz_entry(data));
