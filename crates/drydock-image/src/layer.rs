//! The single streaming pass over one layer: decompress, walk tar entries, record
//! metadata, capture the files catalogers asked for, honour the limits.

use crate::error::{ImageError, Result};
use crate::limits::{clip, ImageBudget, Limits};
use drydock_model::path::{file_name, join, landing, normalize_entry, parent};
use drydock_model::{Capture, Content, Extracted, FileDigests, FileEntry, FileKind, Hashers, LayerIndex, PathMap};
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::{mpsc, Arc, Condvar, Mutex};

/// Identity of a layer being read, for error messages and digest checks.
#[derive(Debug, Clone, Default)]
pub struct LayerId {
    /// Position in the image, 0 = base.
    pub index: usize,
    /// Digest the stored bytes must hash to, when known.
    pub digest: Option<String>,
    /// Digest the uncompressed tar must hash to; checked only for uncompressed blobs.
    pub diff_id: Option<String>,
    /// Media type the manifest gives for the blob.
    pub media_type: String,
}

impl LayerId {
    fn name(&self) -> String {
        self.digest
            .clone()
            .or_else(|| self.diff_id.clone())
            .unwrap_or_else(|| "unknown digest".into())
    }
}

/// Compression detected from a blob's first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain tar.
    None,
    /// gzip (RFC 1952).
    Gzip,
    /// Zstandard (RFC 8878).
    Zstd,
}

/// Refuses media types that are not filesystem layers (signatures, attestations...).
pub fn check_media_type(id: &LayerId) -> Result<()> {
    let mt = id.media_type.as_str();
    let ok = mt.is_empty() || mt.contains("tar") || mt.ends_with(".rootfs.diff") || mt == "application/octet-stream";
    if ok {
        Ok(())
    } else {
        Err(ImageError::UnsupportedMediaType {
            media_type: mt.to_string(),
            digest: id.name(),
        })
    }
}

/// Streams one layer blob and returns what it holds (the layer is an image of its own:
/// it gets a fresh [`ImageBudget`]).
pub fn index_layer(blob: impl Read, id: &LayerId, capture: &dyn Capture, limits: &Limits) -> Result<LayerIndex> {
    index_layer_in(blob, id, capture, limits, &ImageBudget::new(limits))
}

/// Streams one layer blob of an image and returns what it holds, spending the image's
/// capture and time budget.
pub fn index_layer_in(
    blob: impl Read,
    id: &LayerId,
    capture: &dyn Capture,
    limits: &Limits,
    budget: &ImageBudget,
) -> Result<LayerIndex> {
    check_media_type(id)?;
    let mut hashing = HashingReader::new(blob);
    let mut head = [0u8; 4];
    let n = read_up_to(&mut hashing, &mut head).map_err(|e| corrupt(id, e))?;
    let compression = match &head[..n] {
        [0x1f, 0x8b, ..] => Compression::Gzip,
        [0x28, 0xb5, 0x2f, 0xfd] => Compression::Zstd,
        _ => Compression::None,
    };
    let prefixed = io::Cursor::new(head[..n].to_vec()).chain(&mut hashing);
    let decoded: Box<dyn Read + '_> = match compression {
        Compression::None => Box::new(prefixed),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(prefixed)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(prefixed).map_err(|e| corrupt(id, e))?),
    };
    let mut counted = CountingReader {
        inner: decoded,
        count: 0,
        max: limits.max_layer_uncompressed,
        budget,
    };
    let mut index = walk_tar(&mut counted, id, capture, limits, budget)?;
    index.uncompressed_size = counted.count;
    // Drain what the tar reader left (padding, trailing blocks) so the digest covers
    // the whole blob.
    io::copy(&mut counted, &mut io::sink()).map_err(|e| corrupt_or_limit(id, e, limits, budget))?;
    drop(counted);
    let actual = format!("sha256:{}", hex::encode(hashing.hasher.finalize()));
    let expected = match compression {
        Compression::None => id.digest.clone().or_else(|| id.diff_id.clone()),
        _ => id.digest.clone(),
    };
    if let Some(expected) = expected {
        if expected.starts_with("sha256:") && expected != actual {
            return Err(ImageError::DigestMismatch {
                what: format!("layer {}", id.index),
                expected,
                actual,
            });
        }
    }
    Ok(index)
}

/// Files at most this big are summarised and hashed on helper threads while the reader
/// goes on decompressing; bigger ones are handled on the reader's thread.
const JOB_MAX: u64 = 8 << 20;
/// Bytes of file content handed to helper threads and not yet processed, per layer.
const IN_FLIGHT_MAX: u64 = 64 << 20;

/// A file handed to a helper thread.
struct Job {
    seq: usize,
    path: String,
    mode: u32,
    content: Vec<u8>,
    extract: bool,
    digest: bool,
}

/// What a helper thread made of a [`Job`].
struct Done {
    seq: usize,
    path: String,
    extracted: Extracted,
    digests: Option<FileDigests>,
}

/// Bounds the bytes in flight between the reader and the helpers.
struct InFlight {
    used: Mutex<u64>,
    freed: Condvar,
}

impl InFlight {
    fn take(&self, n: u64) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        while *used > 0 && *used + n > IN_FLIGHT_MAX {
            used = self.freed.wait(used).unwrap_or_else(|e| e.into_inner());
        }
        *used += n;
    }
    fn give(&self, n: u64) {
        let mut used = self.used.lock().unwrap_or_else(|e| e.into_inner());
        *used = used.saturating_sub(n);
        self.freed.notify_all();
    }
}

/// Helper threads per layer: one per core (the reader mostly waits on decompression, and
/// the work per file is the heavier side), at most four.
fn helper_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
}

fn process(job: Job, capture: &dyn Capture) -> Done {
    let extracted = if job.extract {
        capture.extract(&job.path, job.mode, &job.content)
    } else {
        Extracted::new()
    };
    Done {
        seq: job.seq,
        digests: job.digest.then(|| FileDigests::of(&job.content)),
        path: job.path,
        extracted,
    }
}

fn walk_tar(
    reader: &mut CountingReader<'_>,
    id: &LayerId,
    capture: &dyn Capture,
    limits: &Limits,
    image: &ImageBudget,
) -> Result<LayerIndex> {
    let budget = InFlight {
        used: Mutex::new(0),
        freed: Condvar::new(),
    };
    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let job_rx = Mutex::new(job_rx);
    let (done_tx, done_rx) = mpsc::channel::<Done>();
    std::thread::scope(|scope| {
        for _ in 0..helper_threads() {
            let (job_rx, done_tx, budget) = (&job_rx, done_tx.clone(), &budget);
            scope.spawn(move || loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok(job) = job else { return };
                let size = job.content.len() as u64;
                let done = process(job, capture);
                budget.give(size);
                if done_tx.send(done).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let result = read_entries(reader, id, capture, limits, image, &budget, &job_tx, &done_rx);
        drop(job_tx);
        let mut read = result?;
        for done in done_rx {
            read.done(done);
        }
        Ok(read.finish(id.index))
    })
}

/// A layer being read: its entries in tar order, and what was learned of them, by their
/// position in the tar (a path written twice keeps only its last version's).
struct Reading {
    index: LayerIndex,
    /// Path and entry, in tar order; while the layer is read, an entry's `layer` holds its
    /// position in the tar.
    entries: Vec<(String, FileEntry)>,
    /// Digests of regular files, by position.
    digests: Vec<(usize, FileDigests)>,
    /// Summaries, by position and path.
    extracted: Vec<(usize, String, Extracted)>,
}

impl Reading {
    /// Keeps what a helper made of a file.
    fn done(&mut self, done: Done) {
        if let Some(d) = done.digests {
            self.digests.push((done.seq, d));
        }
        if !done.extracted.is_empty() {
            self.extracted.push((done.seq, done.path, done.extracted));
        }
    }

    /// The layer's index: each path's last version with its digests and summaries; hard
    /// links share their target's.
    fn finish(self, layer: usize) -> LayerIndex {
        let Reading {
            mut index,
            mut entries,
            mut digests,
            extracted,
        } = self;
        // By path, then position: the last version of a path is the one kept.
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.layer.cmp(&b.1.layer)));
        entries.dedup_by(|later, kept| {
            let same = later.0 == kept.0;
            if same {
                std::mem::swap(later, kept);
            }
            same
        });
        let position = |path: &str| {
            entries
                .binary_search_by(|(p, _)| p.as_str().cmp(path))
                .ok()
                .map(|i| &entries[i].1)
        };
        for (seq, path, found) in extracted {
            if position(&path).is_some_and(|e| e.layer == seq) {
                index.extracted.insert(path, Arc::new(found));
            }
        }
        digests.sort_unstable_by_key(|(seq, _)| *seq);
        let of_version = |seq: usize| {
            digests
                .binary_search_by_key(&seq, |(s, _)| *s)
                .ok()
                .map(|i| digests[i].1)
        };
        let mut by_path: Vec<(String, FileDigests)> = Vec::with_capacity(digests.len());
        for (path, e) in &entries {
            let d = match e.kind {
                FileKind::Regular => of_version(e.layer),
                FileKind::Hardlink => {
                    let Some(target) = e.link.as_deref() else { continue };
                    // Summaries of the target, or of an earlier link to it.
                    if let Some(found) = index.extracted.get(target).cloned() {
                        index.extracted.insert(path.clone(), found);
                    }
                    if target < path.as_str() {
                        // Its digests (or an earlier link's) are already in the list.
                        by_path
                            .binary_search_by(|(p, _)| p.as_str().cmp(target))
                            .ok()
                            .map(|i| by_path[i].1)
                    } else {
                        position(target)
                            .filter(|t| t.kind == FileKind::Regular)
                            .and_then(|t| of_version(t.layer))
                    }
                }
                _ => None,
            };
            if let Some(d) = d {
                by_path.push((path.clone(), d));
            }
        }
        drop(digests);
        for (_, e) in &mut entries {
            e.layer = layer;
        }
        index.entries = PathMap::from_unsorted(entries);
        index.digests = PathMap::from_unsorted(by_path);
        index
    }
}

/// Walks the tar entries: metadata, captured files and streamed digests here; files to
/// summarise or hash go to the helpers, whose results are taken as they come.
#[allow(clippy::too_many_arguments)]
fn read_entries(
    reader: &mut CountingReader<'_>,
    id: &LayerId,
    capture: &dyn Capture,
    limits: &Limits,
    image: &ImageBudget,
    budget: &InFlight,
    jobs: &mpsc::Sender<Job>,
    results: &mpsc::Receiver<Done>,
) -> Result<Reading> {
    let mut read = Reading {
        index: LayerIndex::default(),
        entries: Vec::new(),
        digests: Vec::new(),
        extracted: Vec::new(),
    };
    let mut warnings = Warnings::new(limits.max_warnings_per_layer);
    let headers = HeaderWindow::default();
    let mut archive = tar::Archive::new(Guarded {
        inner: reader,
        window: &headers,
    });
    let mut captured_total = 0u64;
    let mut expanded_total = 0u64;
    // Symbolic links this layer wrote so far: a later entry below one is written where it
    // points, so it is captured if that path is wanted.
    let mut links: HashMap<String, String> = HashMap::new();
    let mut count = 0u64;
    let fail = |e: io::Error| corrupt_or_limit(id, e, limits, image);
    let mut entries = archive.entries().map_err(fail)?;
    let digests = capture.digests();
    let mut chunk = if digests { vec![0u8; 64 << 10] } else { Vec::new() };
    // Stored bytes of the previous entry: the tar reader skips what was not read of them
    // before the next header.
    let mut previous_stored = 0u64;
    loop {
        headers.open(previous_stored);
        let next = entries.next();
        headers.close();
        let Some(entry) = next else { break };
        let mut entry = entry.map_err(fail)?;
        previous_stored = stored_size(&mut entry);
        count += 1;
        let seq = usize::try_from(count).unwrap_or(usize::MAX);
        if count > limits.max_layer_entries {
            return Err(ImageError::LimitExceeded {
                layer: id.index,
                digest: id.name(),
                limit: "entries per layer",
                max: limits.max_layer_entries,
            });
        }
        if image.expired() {
            return Err(ImageError::TimeBudget {
                seconds: image.seconds(),
            });
        }
        // What the entry expands to (a sparse file's holes included) is what reading it
        // costs, whatever the compressed or stored size.
        let size = entry.size();
        expanded_total = expanded_total.saturating_add(size);
        if expanded_total > limits.max_layer_uncompressed {
            return Err(ImageError::LimitExceeded {
                layer: id.index,
                digest: id.name(),
                limit: "uncompressed layer size",
                max: limits.max_layer_uncompressed,
            });
        }
        let mut entry = Timed { inner: entry, image };
        let raw_path = String::from_utf8_lossy(&entry.inner.path_bytes()).into_owned();
        let Some(path) = normalize_entry(&raw_path) else {
            warnings.push(format!("skipped {:?}: path leaves the image root", clip(&raw_path)));
            continue;
        };
        let name = file_name(&path);
        if let Some(hidden) = name.strip_prefix(".wh.") {
            let dir = parent(&path);
            if hidden == ".wh..opq" {
                read.index.opaque_dirs.push(dir.to_string());
            } else if hidden.is_empty() || hidden == "." || hidden == ".." || hidden.contains('/') {
                warnings.push(format!("skipped whiteout {:?}: names nothing", clip(&raw_path)));
            } else {
                read.index.whiteouts.push(join(dir, hidden));
            }
            continue;
        }
        let header = entry.inner.header();
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => FileKind::Regular,
            tar::EntryType::Directory => FileKind::Directory,
            tar::EntryType::Symlink => FileKind::Symlink,
            tar::EntryType::Link => FileKind::Hardlink,
            tar::EntryType::Char => FileKind::CharDevice,
            tar::EntryType::Block => FileKind::BlockDevice,
            tar::EntryType::Fifo => FileKind::Fifo,
            other => {
                warnings.push(format!("skipped {}: unsupported tar entry type {other:?}", clip(&path)));
                continue;
            }
        };
        if matches!(kind, FileKind::CharDevice | FileKind::BlockDevice) {
            warnings.push(format!("device file {} recorded as metadata only", clip(&path)));
        }
        let mode = header.mode().unwrap_or(0) & 0o7777;
        let id32 = |id: io::Result<u64>| u32::try_from(id.unwrap_or(0)).unwrap_or(u32::MAX);
        let uid = id32(header.uid());
        let gid = id32(header.gid());
        let link: Option<Box<str>> = match kind {
            FileKind::Symlink => entry
                .inner
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into()),
            FileKind::Hardlink => {
                let target = entry
                    .inner
                    .link_name_bytes()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                match normalize_entry(&target) {
                    Some(t) => Some(t.into_boxed_str()),
                    None => {
                        warnings.push(format!(
                            "skipped hard link {} -> {:?}: target leaves the image root",
                            clip(&path),
                            clip(&target)
                        ));
                        continue;
                    }
                }
            }
            _ => None,
        };
        // A path written twice in one layer: the later entry wins, as on extraction.
        if let Some(old) = read.index.captured.remove(&path) {
            // Shared with a hard link when it still names the old content.
            if !read.index.captured.values().any(|c| std::sync::Arc::ptr_eq(c, &old)) {
                captured_total -= old.len() as u64;
                image.refund(old.len() as u64);
            }
        }
        let mut digested = false;
        let wanted = capture.wants(&path)
            || (!links.is_empty()
                && landing(&path, limits.max_symlink_hops, |d| links.get(d).map(String::as_str))
                    .is_some_and(|p| capture.wants(&p)));
        if kind == FileKind::Symlink {
            if let Some(target) = &link {
                links.insert(path.clone(), target.to_string());
            }
        } else {
            links.remove(&path);
        }
        if kind == FileKind::Regular && wanted {
            let max_file = if capture.is_manifest(&path) {
                limits.max_captured_file.min(limits.max_captured_manifest)
            } else {
                limits.max_captured_file
            };
            if size > max_file {
                warnings.push(format!(
                    "not captured {}: {size} bytes is over the {max_file} byte limit",
                    clip(&path)
                ));
            } else if captured_total + size > limits.max_captured_per_layer {
                warnings.push(format!("not captured {}: layer capture budget spent", clip(&path)));
            } else if !image.try_capture(size) {
                warnings.push(format!(
                    "not captured {}: image capture budget of {} bytes spent",
                    clip(&path),
                    limits.max_captured_per_image
                ));
            } else {
                let mut buf = Vec::with_capacity(size.min(16 << 20) as usize);
                (&mut entry).take(size).read_to_end(&mut buf).map_err(fail)?;
                image.refund(size - buf.len() as u64);
                captured_total += buf.len() as u64;
                if digests {
                    read.digests.push((seq, FileDigests::of(&buf)));
                    digested = true;
                }
                read.index.captured.insert(path.clone(), Content::from(buf));
            }
        } else if kind == FileKind::Hardlink && wanted {
            if let Some(content) = link.as_deref().and_then(|t| read.index.captured.get(t)).cloned() {
                read.index.captured.insert(path.clone(), content);
            }
        }
        let extract = kind == FileKind::Regular
            && !read.index.captured.contains_key(&path)
            && capture.extracts(&path, mode, size);
        if extract && size > limits.max_extracted_file {
            warnings.push(format!(
                "not analysed {}: {size} bytes is over the {} byte limit",
                clip(&path),
                limits.max_extracted_file
            ));
        }
        let extract = extract && size <= limits.max_extracted_file;
        let digest = digests && kind == FileKind::Regular && !digested;
        if digest && size > limits.max_digested_file {
            warnings.push(format!(
                "no digests for {}: {size} bytes is over the {} byte limit",
                clip(&path),
                limits.max_digested_file
            ));
        }
        let digest = digest && size <= limits.max_digested_file;
        if extract || digest {
            if size <= JOB_MAX {
                let mut buf = Vec::with_capacity(size as usize);
                (&mut entry).take(JOB_MAX + 1).read_to_end(&mut buf).map_err(fail)?;
                budget.take(buf.len() as u64);
                let job = Job {
                    seq,
                    path: path.clone(),
                    mode,
                    content: buf,
                    extract,
                    digest,
                };
                if let Err(mpsc::SendError(job)) = jobs.send(job) {
                    // No helper is left (one panicked): do the work here.
                    budget.give(job.content.len() as u64);
                    read.done(process(job, capture));
                }
                // Results are kept as they come (held in the channel, millions of small
                // files would cost more than their digests).
                while let Ok(done) = results.try_recv() {
                    read.done(done);
                }
            } else if extract {
                let mut buf = Vec::with_capacity(size.min(16 << 20) as usize);
                (&mut entry)
                    .take(limits.max_extracted_file + 1)
                    .read_to_end(&mut buf)
                    .map_err(fail)?;
                if digest {
                    read.digests.push((seq, FileDigests::of(&buf)));
                }
                let found = capture.extract(&path, mode, &buf);
                if !found.is_empty() {
                    read.extracted.push((seq, path.clone(), found));
                }
            } else {
                let mut h = Hashers::default();
                loop {
                    match entry.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => h.update(&chunk[..n]),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(fail(e)),
                    }
                }
                read.digests.push((seq, h.finish()));
            }
        }
        read.entries.push((
            path,
            FileEntry {
                kind,
                mode,
                uid,
                gid,
                size: if kind == FileKind::Regular { size } else { 0 },
                link,
                layer: seq,
            },
        ));
    }
    read.index.warnings = warnings.finish();
    Ok(read)
}

/// Bytes of tar extension headers (GNU long name and long link, PAX records, a GNU sparse
/// map) allowed before one entry. The tar reader holds them whole in memory, so a hostile
/// layer could otherwise make it read a gigabyte-long name.
pub const MAX_ENTRY_HEADERS: u64 = 256 << 10;

/// How many bytes the tar reader may read while it looks for the next entry: the rest of
/// the previous entry's stored data, padding, the entry's header and its extension headers
/// up to [`MAX_ENTRY_HEADERS`]. Outside of that search it does not limit anything.
#[derive(Default)]
struct HeaderWindow {
    /// Bytes read through the guard in all.
    read: Cell<u64>,
    /// While the reader looks for an entry: the position it may not pass.
    until: Cell<Option<u64>>,
    /// Bytes read when the previous entry was handed out.
    handed_out_at: Cell<u64>,
}

impl HeaderWindow {
    /// Opens the search for the next entry, `previous_stored` being the stored bytes of the
    /// entry handed out last (0 for none).
    fn open(&self, previous_stored: u64) {
        let consumed = self.read.get() - self.handed_out_at.get();
        let left = previous_stored.saturating_sub(consumed);
        // Padding of the previous entry, the entry's own header, up to three extension
        // entries (long name, long link, PAX) with their headers and padding.
        let slack = 511 + 512 + 3 * (512 + 511) + MAX_ENTRY_HEADERS;
        self.until
            .set(Some(self.read.get().saturating_add(left).saturating_add(slack)));
    }
    fn close(&self) {
        self.until.set(None);
        self.handed_out_at.set(self.read.get());
    }
}

/// The reader under the tar reader, enforcing the [`HeaderWindow`].
struct Guarded<'w, R> {
    inner: R,
    window: &'w HeaderWindow,
}

impl<R: Read> Read for Guarded<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut len = buf.len();
        if let Some(until) = self.window.until.get() {
            let allowed = until.saturating_sub(self.window.read.get());
            if allowed == 0 && len > 0 {
                return Err(io::Error::other(HEADERS_MARKER));
            }
            len = len.min(usize::try_from(allowed).unwrap_or(usize::MAX));
        }
        let n = self.inner.read(&mut buf[..len])?;
        self.window.read.set(self.window.read.get() + n as u64);
        Ok(n)
    }
}

/// Bytes an entry occupies in the archive after its headers: its size as the tar reader
/// counts it (a PAX `size` record wins), not the expanded size of a sparse file.
fn stored_size<R: Read>(entry: &mut tar::Entry<'_, R>) -> u64 {
    let from_pax = entry.pax_extensions().ok().flatten().and_then(|mut exts| {
        exts.find_map(|e| {
            let e = e.ok()?;
            (e.key_bytes() == b"size").then(|| std::str::from_utf8(e.value_bytes()).ok()?.parse::<u64>().ok())?
        })
    });
    match from_pax {
        Some(size) => size,
        None if entry.header().entry_type().is_gnu_sparse() => entry.header().entry_size().unwrap_or(0),
        None => entry.size(),
    }
}

/// The warnings of one layer, at most `max` kept; the rest counted.
struct Warnings {
    kept: Vec<String>,
    dropped: u64,
    max: usize,
}

impl Warnings {
    fn new(max: usize) -> Self {
        Warnings {
            kept: Vec::new(),
            dropped: 0,
            max,
        }
    }
    fn push(&mut self, w: String) {
        if self.kept.len() < self.max {
            self.kept.push(w);
        } else {
            self.dropped += 1;
        }
    }
    fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.kept.push(format!("{} more warnings not shown", self.dropped));
        }
        self.kept
    }
}

/// An entry's content, read against the image's time budget (a sparse file's holes never
/// pass through the decompressor, so its clock cannot catch them).
struct Timed<'b, R> {
    inner: R,
    image: &'b ImageBudget,
}

impl<R: Read> Read for Timed<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.image.expired() {
            return Err(io::Error::other(TIME_MARKER));
        }
        self.inner.read(buf)
    }
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn corrupt(id: &LayerId, e: impl std::fmt::Display) -> ImageError {
    ImageError::CorruptLayer {
        layer: id.index,
        digest: id.name(),
        reason: clip(&e.to_string()),
    }
}

const LIMIT_MARKER: &str = "drydock: uncompressed layer size limit exceeded";
const TIME_MARKER: &str = "drydock: image time budget spent";
const HEADERS_MARKER: &str = "drydock: tar extension headers over their limit";

fn corrupt_or_limit(id: &LayerId, e: io::Error, limits: &Limits, image: &ImageBudget) -> ImageError {
    let text = e.to_string();
    if text.contains(TIME_MARKER) {
        ImageError::TimeBudget {
            seconds: image.seconds(),
        }
    } else if text.contains(HEADERS_MARKER) {
        ImageError::LimitExceeded {
            layer: id.index,
            digest: id.name(),
            limit: "tar extension headers (long name, long link, PAX records, sparse map) per entry",
            max: MAX_ENTRY_HEADERS,
        }
    } else if text.contains(LIMIT_MARKER) {
        ImageError::LimitExceeded {
            layer: id.index,
            digest: id.name(),
            limit: "uncompressed layer size",
            max: limits.max_layer_uncompressed,
        }
    } else {
        corrupt(id, e)
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

struct CountingReader<'a> {
    inner: Box<dyn Read + 'a>,
    count: u64,
    max: u64,
    budget: &'a ImageBudget,
}

impl Read for CountingReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.expired() {
            return Err(io::Error::other(TIME_MARKER));
        }
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        if self.count > self.max {
            return Err(io::Error::other(LIMIT_MARKER));
        }
        Ok(n)
    }
}
