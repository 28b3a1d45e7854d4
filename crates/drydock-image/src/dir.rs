//! Plain directories (a root filesystem, a checkout) indexed in place as one layer.

use crate::error::{ImageError, Result};
use crate::limits::Limits;
use drydock_model::path::join;
use drydock_model::Capture;
use drydock_model::{Content, FileDigests, FileEntry, FileKind, LayerIndex, PathMap};
use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

/// Kernel file systems that are never part of an image when scanning `/`.
const VIRTUAL_ROOT_DIRS: &[&str] = &["/proc", "/sys", "/dev"];

/// Walks `root` without following symbolic links and records it as layer 0.
pub fn index_directory(root: &Path, capture: &dyn Capture, limits: &Limits) -> Result<LayerIndex> {
    let meta = fs::symlink_metadata(root).map_err(|e| ImageError::io(root, e))?;
    if !meta.is_dir() {
        return Err(ImageError::io(root, std::io::Error::other("not a directory")));
    }
    let scanning_host_root = root.canonicalize().map(|p| p == Path::new("/")).unwrap_or(false);
    let mut index = LayerIndex::default();
    // Gathered in walk order, sorted once at the end.
    let mut entries: Vec<(String, FileEntry)> = Vec::new();
    let mut digests: Vec<(String, FileDigests)> = Vec::new();
    let mut captured_total = 0u64;
    let mut stack = vec![("/".to_string(), root.to_path_buf())];
    while let Some((image_path, real)) = stack.pop() {
        let rd = match fs::read_dir(&real) {
            Ok(rd) => rd,
            Err(e) => {
                index.warnings.push(format!("skipped {image_path}: {e}"));
                continue;
            }
        };
        for dent in rd {
            let Ok(dent) = dent else { continue };
            let name = dent.file_name().to_string_lossy().into_owned();
            let path = join(&image_path, &name);
            let real_child = dent.path();
            let Ok(md) = fs::symlink_metadata(&real_child) else {
                index.warnings.push(format!("skipped {path}: cannot stat"));
                continue;
            };
            let ft = md.file_type();
            let kind = if ft.is_dir() {
                FileKind::Directory
            } else if ft.is_symlink() {
                FileKind::Symlink
            } else if ft.is_file() {
                FileKind::Regular
            } else if ft.is_char_device() {
                FileKind::CharDevice
            } else if ft.is_block_device() {
                FileKind::BlockDevice
            } else if ft.is_fifo() {
                FileKind::Fifo
            } else {
                continue; // sockets are not files an image carries
            };
            if entries.len() as u64 >= limits.max_layer_entries {
                return Err(ImageError::LimitExceeded {
                    layer: 0,
                    digest: root.display().to_string(),
                    limit: "entries per layer",
                    max: limits.max_layer_entries,
                });
            }
            let link = if kind == FileKind::Symlink {
                fs::read_link(&real_child).ok().map(|t| t.to_string_lossy().into())
            } else {
                None
            };
            let mut digested = false;
            if kind == FileKind::Regular && capture.wants(&path) {
                if md.len() > limits.max_captured_file || captured_total + md.len() > limits.max_captured_per_layer {
                    index.warnings.push(format!(
                        "not captured {path}: {} bytes is over the capture limit",
                        md.len()
                    ));
                } else {
                    let mut buf = Vec::with_capacity(md.len() as usize);
                    match fs::File::open(&real_child)
                        .and_then(|f| f.take(limits.max_captured_file).read_to_end(&mut buf))
                    {
                        Ok(_) => {
                            if capture.digests() {
                                digests.push((path.clone(), FileDigests::of(&buf)));
                                digested = true;
                            }
                            captured_total += buf.len() as u64;
                            index.captured.insert(path.clone(), Content::from(buf));
                        }
                        Err(e) => index.warnings.push(format!("not captured {path}: {e}")),
                    }
                }
            }
            if kind == FileKind::Regular
                && !index.captured.contains_key(&path)
                && capture.extracts(&path, md.mode() & 0o7777, md.len())
            {
                if md.len() > limits.max_extracted_file {
                    index
                        .warnings
                        .push(format!("not analysed {path}: {} bytes is over the limit", md.len()));
                } else {
                    let mut buf = Vec::with_capacity(md.len().min(16 << 20) as usize);
                    match fs::File::open(&real_child)
                        .and_then(|f| f.take(limits.max_extracted_file).read_to_end(&mut buf))
                    {
                        Ok(_) => {
                            if capture.digests() {
                                digests.push((path.clone(), FileDigests::of(&buf)));
                                digested = true;
                            }
                            let found = capture.extract(&path, md.mode() & 0o7777, &buf);
                            if !found.is_empty() {
                                index.extracted.insert(path.clone(), std::sync::Arc::new(found));
                            }
                        }
                        Err(e) => index.warnings.push(format!("not analysed {path}: {e}")),
                    }
                }
            }
            if kind == FileKind::Regular && capture.digests() && !digested {
                match digest_file(&real_child) {
                    Ok(d) => digests.push((path.clone(), d)),
                    Err(e) => index.warnings.push(format!("no digest for {path}: {e}")),
                }
            }
            if kind == FileKind::Directory && !(scanning_host_root && VIRTUAL_ROOT_DIRS.contains(&path.as_str())) {
                stack.push((path.clone(), real_child));
            }
            entries.push((
                path,
                FileEntry {
                    kind,
                    mode: md.mode() & 0o7777,
                    uid: md.uid(),
                    gid: md.gid(),
                    size: if kind == FileKind::Regular { md.len() } else { 0 },
                    link,
                    layer: 0,
                },
            ));
        }
    }
    index.entries = PathMap::from_unsorted(entries);
    index.digests = PathMap::from_unsorted(digests);
    Ok(index)
}

/// Digests of a file on disk, streamed.
fn digest_file(path: &std::path::Path) -> std::io::Result<FileDigests> {
    let mut f = fs::File::open(path)?;
    let mut h = drydock_model::Hashers::default();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        match f.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => h.update(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(h.finish())
}
