//! Writes the hostile images of `drydock_test_support::fixture::hostile` as docker archives into a
//! directory, to measure a scan of each: `cargo run -p drydock-image --example hostile DIR [FILES]`.

use drydock_test_support::fixture::hostile;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| "hostile".into()));
    let files: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3_000_000);
    std::fs::create_dir_all(&dir)?;
    hostile::sparse_file(1 << 40).write_docker_archive(&dir.join("sparse-1tib.tar"), "hostile/sparse:1")?;
    hostile::sparse_file(60 << 30).write_docker_archive(&dir.join("sparse-60gib.tar"), "hostile/sparse:2")?;
    hostile::sparse_manifests(3, 40, 250 << 20)
        .write_docker_archive(&dir.join("sparse-manifests.tar"), "hostile/manifests:1")?;
    hostile::passwd_through_symlink().write_docker_archive(&dir.join("passwd-symlink.tar"), "hostile/passwd:1")?;
    hostile::many_files(files).write_docker_archive(&dir.join("many-files.tar"), "hostile/files:1")?;
    for e in std::fs::read_dir(&dir)? {
        let e = e?;
        println!("{} {} bytes", e.path().display(), e.metadata()?.len());
    }
    Ok(())
}
