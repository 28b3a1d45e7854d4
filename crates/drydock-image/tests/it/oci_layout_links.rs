//! An OCI layout cannot make drydock read files outside it: blobs (or the directories
//! holding them) that are symbolic links are refused, even when the bytes they point at
//! would hash to the right digest.

use drydock_image::{open, read_layers, CaptureNothing, NoProgress, OpenOptions, ReadOptions, SourceSpec};
use drydock_test_support::fixture::{sha256, ImageBuilder, LayerBuilder, Storage};
use std::path::Path;

fn layout(dir: &Path) -> (ImageBuilder, String) {
    let tar = LayerBuilder::new()
        .file("etc/os-release", b"ID=debian\n", 0o644)
        .finish();
    let digest = sha256(&tar);
    let img = ImageBuilder::new().layer(tar, Storage::Plain, "ADD base");
    img.write_oci_dir(dir, "v1").expect("write layout");
    (img, digest)
}

fn read(dir: &Path) -> drydock_image::Result<()> {
    let input = format!("oci-dir:{}", dir.display());
    let spec = SourceSpec::parse(&input)?;
    let opened = open(&spec, &input, &OpenOptions::default())?;
    read_layers(
        &opened,
        &ReadOptions {
            capture: &CaptureNothing,
            limits: Default::default(),
            cache: None,
            threads: 1,
            progress: &NoProgress,
        },
    )
    .map(|_| ())
}

#[test]
fn a_layer_blob_that_is_a_symlink_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    let (_, digest) = layout(&dir);
    read(&dir).expect("the untouched layout reads");

    // The "host file" holds exactly the layer's bytes, so only the link gives it away.
    let blob = dir.join("blobs/sha256").join(digest.trim_start_matches("sha256:"));
    let host_file = tmp.path().join("host-file");
    std::fs::rename(&blob, &host_file).unwrap();
    std::os::unix::fs::symlink(&host_file, &blob).unwrap();
    let err = read(&dir).expect_err("a symlinked blob must be refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
}

#[test]
fn a_blob_directory_that_is_a_symlink_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("layout");
    layout(&dir);
    let outside = tmp.path().join("elsewhere");
    std::fs::rename(dir.join("blobs/sha256"), &outside).unwrap();
    std::os::unix::fs::symlink(&outside, dir.join("blobs/sha256")).unwrap();
    let err = read(&dir).expect_err("a symlinked blob directory must be refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
}
