//! A layer of many files is read and analysed in bounded memory: a counting allocator
//! measures the peak of heap bytes from reading the layer to the analysis document.

use drydock_test_support::peak;

// A test binary of its own, not a module of tests/it: the counting allocator is the whole
// process's, and other tests allocating at the same time would spoil the measurement.
#[global_allocator]
static ALLOC: peak::Counting = peak::Counting;

const MIB: usize = 1 << 20;

use drydock_analysis::{AnalysisConfig, Analyzer, Scanners};
use drydock_image::{open, read_layers, Limits, NoProgress, OpenOptions, ReadOptions, SourceSpec};
use drydock_inspect::secrets::SecretsScope;
use drydock_sbom::Scope;
use drydock_test_support::fixture::hostile;

/// What one `drydock scan` (every scanner, no database) costs in heap bytes per file of an
/// image of one layer of `files` empty files, from reading the layer to the analysis: the
/// peak beyond the compressed archive, and the analysis itself.
fn scan_bytes_per_file(files: usize) -> (usize, usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.tar");
    hostile::many_files(files)
        .write_docker_archive(&path, "hostile/files:1")
        .unwrap();
    let spec = format!("docker-archive:{}", path.display());
    let analyzer = Analyzer::new(
        Scanners::default(),
        Scope::Squashed,
        SecretsScope::Squashed,
        &AnalysisConfig::default(),
    )
    .unwrap();
    let _one = peak::alone();
    let (analysis, peak) = peak::measure(|| {
        let opened = open(&SourceSpec::parse(&spec).unwrap(), &spec, &OpenOptions::default()).unwrap();
        let read = read_layers(
            &opened,
            &ReadOptions {
                capture: analyzer.capture(),
                limits: Limits::default(),
                cache: None,
                threads: 1,
                progress: &NoProgress,
            },
        )
        .unwrap();
        analyzer.analyze(opened.meta(), read.layers, 40)
    });
    assert_eq!(analysis.files.len(), files, "every file is recorded");
    (peak / files, peak)
}

#[test]
fn a_layer_of_many_files_costs_bounded_bytes_per_file() {
    let (per_file, peak) = scan_bytes_per_file(200_000);
    eprintln!("200000 files: {per_file} bytes per file, {} MiB", peak / MIB);
    // The peak is reading the layer: its entries and every file's digests. The squashed
    // tree takes them over (no copy), and the file records take over the tree's entries,
    // freeing each as it goes. Measured: 373 bytes per file (debug build); holding the
    // layer, a copy of it in the tree and the records at once cost about twice that.
    assert!(per_file < 450, "{per_file} bytes per file ({} MiB in all)", peak / MIB);
}

/// The figures of the issue: `cargo test --release -p drydock-analysis --test
/// bounded_memory -- --ignored --nocapture`.
#[test]
#[ignore]
fn three_million_files_measured() {
    for files in [1_000_000, 3_000_000] {
        let start = std::time::Instant::now();
        let (per_file, peak) = scan_bytes_per_file(files);
        println!(
            "{files} files: peak {} MiB of heap, {per_file} bytes per file, {:.1} s",
            peak / MIB,
            start.elapsed().as_secs_f64()
        );
    }
}
