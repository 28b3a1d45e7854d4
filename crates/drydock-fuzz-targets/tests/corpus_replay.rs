//! The fuzz smoke run of `cargo test`: every fuzz target runs over its seed corpus in
//! `fuzz/seeds/<target>/`, and over cheap mutations of each seed (truncations, byte flips,
//! an appended tail), on the stable toolchain. Real fuzzing runs with `cargo fuzz` (fuzz/README.md).

use drydock_fuzz_targets::TARGETS;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = fuzz_dir().join("seeds").join(target);
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// A few deterministic variations of one seed.
fn mutations(seed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![seed.to_vec(), Vec::new()];
    let n = seed.len();
    for k in 1..8 {
        out.push(seed[..n * k / 8].to_vec());
    }
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15 ^ n as u64;
    for _ in 0..8 {
        if n == 0 {
            break;
        }
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let mut m = seed.to_vec();
        let i = (x as usize) % n;
        m[i] = m[i].wrapping_add(1 + (x >> 32) as u8 % 255);
        out.push(m);
    }
    let mut tail = seed.to_vec();
    tail.extend_from_slice(&seed[n / 2..]);
    out.push(tail);
    out
}

#[test]
fn every_target_survives_its_corpus() {
    for (name, body) in TARGETS {
        let seeds = seeds(name);
        assert!(!seeds.is_empty(), "fuzz/seeds/{name} has no seeds");
        for (file, seed) in &seeds {
            for (i, input) in mutations(seed).iter().enumerate() {
                let run = std::panic::catch_unwind(|| body(input));
                assert!(run.is_ok(), "target {name} panicked on {file} (variation {i})");
            }
        }
    }
}

#[test]
fn every_target_has_a_fuzz_binary() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for (name, _) in TARGETS {
        let src = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let text = std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
        assert!(
            text.contains(&format!("drydock_fuzz_targets::{name}")),
            "{}",
            src.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml has no [[bin]] {name}"
        );
    }
}
