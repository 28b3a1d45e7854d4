//! Memory probe for the SBOM decoders: builds a large document in memory and reads it.
//! Run under `/usr/bin/time -v` to read the peak RSS:
//!
//! ```sh
//! cargo run -p drydock-sbom --example decode_probe -- cyclonedx 480
//! ```
use drydock_sbom::formats::read_sbom;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map(String::as_str).unwrap_or("cyclonedx");
    let mb: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(480);
    let limit = mb << 20;
    let desc = "d".repeat(200);
    let mut s = String::with_capacity(limit + 4096);
    let mut i = 0usize;
    match mode {
        "cyclonedx" => {
            s.push_str(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","version":1,"components":["#);
            while s.len() < limit {
                s.push_str(&format!(
                    r#"{{"type":"library","bom-ref":"pkg:npm/name-{i}@1.0.{i}","name":"name-{i}","version":"1.0.{i}","purl":"pkg:npm/name-{i}@1.0.{i}","description":"{desc}","licenses":[{{"license":{{"id":"MIT"}}}}],"properties":[{{"name":"x","value":"y"}}]}},"#
                ));
                i += 1;
            }
            s.pop();
            s.push_str(r#"],"dependencies":[{"ref":"pkg:npm/name-0@1.0.0","dependsOn":["pkg:npm/name-1@1.0.1"]}]}"#);
        }
        "cyclonedx-junk" => {
            // Few packages, one huge irrelevant array.
            s.push_str(r#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"name":"a","version":"1"}],"vulnerabilities":["#);
            while s.len() < limit {
                s.push_str(r#"{"k":[1,2]},"#);
            }
            s.push_str("{}]}");
        }
        other => panic!("unknown mode {other}"),
    }
    eprintln!("input: {} bytes", s.len());
    let bytes = s.into_bytes();
    let start = Instant::now();
    match read_sbom(&bytes, "probe") {
        Ok(sbom) => eprintln!(
            "packages: {}, relationships: {}, warnings: {}",
            sbom.packages.len(),
            sbom.relationships.len(),
            sbom.warnings.len()
        ),
        Err(e) => eprintln!("error: {e}"),
    }
    eprintln!("read time: {:.2?}", start.elapsed());
}
