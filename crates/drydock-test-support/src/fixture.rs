//! Builds small, real images in code — tar layers with whiteouts and links, written as
//! OCI layouts, OCI archives and `docker save` archives — for tests, benches and examples.

use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Write};
use std::path::Path;

/// Builds one uncompressed tar layer.
pub struct LayerBuilder {
    tar: tar::Builder<Vec<u8>>,
}

impl Default for LayerBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl LayerBuilder {
    /// An empty layer.
    pub fn new() -> Self {
        let mut tar = tar::Builder::new(Vec::new());
        tar.mode(tar::HeaderMode::Deterministic);
        LayerBuilder { tar }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(0);
        h
    }

    /// Adds a regular file (path relative to the root, e.g. `etc/os-release`).
    pub fn file(mut self, path: &str, content: &[u8], mode: u32) -> Self {
        let mut h = Self::header(tar::EntryType::Regular, mode, content.len() as u64);
        self.tar.append_data(&mut h, path, content).expect("in-memory tar");
        self
    }

    /// Adds a directory.
    pub fn dir(mut self, path: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Directory, 0o755, 0);
        self.tar.append_data(&mut h, path, io::empty()).expect("in-memory tar");
        self
    }

    /// Adds a symbolic link.
    pub fn symlink(mut self, path: &str, target: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0);
        self.tar.append_link(&mut h, path, target).expect("in-memory tar");
        self
    }

    /// Adds a hard link to an earlier entry of this layer.
    pub fn hardlink(mut self, path: &str, target: &str) -> Self {
        let mut h = Self::header(tar::EntryType::Link, 0o644, 0);
        self.tar.append_link(&mut h, path, target).expect("in-memory tar");
        self
    }

    /// Deletes a path of the lower layers (`.wh.<name>`).
    pub fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let wh = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&wh, b"", 0o644)
    }

    /// Hides everything lower layers put in a directory (`.wh..wh..opq`).
    pub fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"", 0o644)
    }

    /// Adds an entry with a raw name, bypassing all checks (for hostile-input tests).
    pub fn raw(mut self, name: &[u8], kind: tar::EntryType, link: Option<&[u8]>, content: &[u8]) -> Self {
        let mut h = Self::header(kind, 0o644, content.len() as u64);
        {
            let old = h.as_old_mut();
            let n = name.len().min(old.name.len());
            old.name[..n].copy_from_slice(&name[..n]);
            if let Some(link) = link {
                let n = link.len().min(old.linkname.len());
                old.linkname[..n].copy_from_slice(&link[..n]);
            }
        }
        h.set_cksum();
        self.tar.append(&h, content).expect("in-memory tar");
        self
    }

    /// The finished tar bytes.
    pub fn finish(self) -> Vec<u8> {
        self.tar.into_inner().expect("in-memory tar")
    }
}

/// Writes the hand-made header of a GNU sparse entry: `real_size` bytes once expanded, of
/// which only the last byte is stored (a 1 TiB file costs one 512-byte data block).
fn sparse_header(path: &str, real_size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(tar::EntryType::GNUSparse);
    h.set_path(path).expect("short sparse entry path");
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(1);
    if let Some(gnu) = h.as_gnu_mut() {
        gnu.sparse[0].set_offset(real_size.saturating_sub(1));
        gnu.sparse[0].set_length(1);
        gnu.set_real_size(real_size);
    }
    h.set_cksum();
    h
}

impl LayerBuilder {
    /// Adds a GNU sparse file that expands to `real_size` bytes (hostile-input tests).
    pub fn sparse(mut self, path: &str, real_size: u64) -> Self {
        let h = sparse_header(path, real_size);
        self.tar.append(&h, &b"x"[..]).expect("in-memory tar");
        self
    }
}

/// Hashes what passes through it (the diff-id of a layer written on the fly).
struct HashWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A gzip layer compressed as it is written, for layers too big to hold uncompressed
/// (millions of entries); only the compressed blob is kept.
pub struct StreamingLayer {
    tar: tar::Builder<HashWriter<flate2::write::GzEncoder<Vec<u8>>>>,
}

impl Default for StreamingLayer {
    fn default() -> Self {
        Self::new()
    }
}

impl StreamingLayer {
    /// An empty layer.
    pub fn new() -> Self {
        let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut tar = tar::Builder::new(HashWriter {
            inner: gz,
            hasher: Sha256::new(),
        });
        tar.mode(tar::HeaderMode::Deterministic);
        StreamingLayer { tar }
    }

    /// Adds a regular file.
    pub fn file(&mut self, path: &str, content: &[u8], mode: u32) -> &mut Self {
        let mut h = LayerBuilder::header(tar::EntryType::Regular, mode, content.len() as u64);
        self.tar.append_data(&mut h, path, content).expect("in-memory tar");
        self
    }

    /// Adds a directory.
    pub fn dir(&mut self, path: &str) -> &mut Self {
        let mut h = LayerBuilder::header(tar::EntryType::Directory, 0o755, 0);
        self.tar.append_data(&mut h, path, io::empty()).expect("in-memory tar");
        self
    }

    /// Adds a symbolic link.
    pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        let mut h = LayerBuilder::header(tar::EntryType::Symlink, 0o777, 0);
        self.tar.append_link(&mut h, path, target).expect("in-memory tar");
        self
    }

    /// Adds a GNU sparse file that expands to `real_size` bytes.
    pub fn sparse(&mut self, path: &str, real_size: u64) -> &mut Self {
        let h = sparse_header(path, real_size);
        self.tar.append(&h, &b"x"[..]).expect("in-memory tar");
        self
    }

    /// The gzip blob and the diff-id (digest of the uncompressed tar).
    pub fn finish(self) -> (Vec<u8>, String) {
        let w = self.tar.into_inner().expect("in-memory tar");
        let diff_id = format!("sha256:{}", hex::encode(w.hasher.finalize()));
        (w.inner.finish().expect("in-memory gzip"), diff_id)
    }
}

/// Gzip-compresses a blob.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("in-memory gzip");
    e.finish().expect("in-memory gzip")
}

/// Zstd-compresses a blob.
pub fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::stream::encode_all(data, 1).expect("in-memory zstd")
}

/// `sha256:<hex>` of some bytes.
pub fn sha256(data: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(data)))
}

/// How a layer is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    /// An uncompressed tar.
    Plain,
    /// A gzip-compressed tar.
    Gzip,
    /// A zstd-compressed tar.
    Zstd,
}

struct BuiltLayer {
    blob: Vec<u8>,
    diff_id: String,
    media_type: &'static str,
    created_by: String,
}

/// Builds an image from layers and writes it in any local format.
pub struct ImageBuilder {
    layers: Vec<BuiltLayer>,
    architecture: String,
    user: Option<String>,
    exposed_ports: Vec<String>,
}

impl Default for ImageBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ImageBuilder {
    /// An image with no layers, for linux/amd64.
    pub fn new() -> Self {
        ImageBuilder {
            layers: Vec::new(),
            architecture: "amd64".into(),
            user: None,
            exposed_ports: Vec::new(),
        }
    }

    /// Sets the architecture in the config.
    pub fn architecture(mut self, arch: &str) -> Self {
        self.architecture = arch.into();
        self
    }

    /// Sets the config's `User`.
    pub fn user(mut self, user: &str) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Adds a port (`22/tcp`) to the config's `ExposedPorts`.
    pub fn expose(mut self, port: &str) -> Self {
        self.exposed_ports.push(port.into());
        self
    }

    /// Appends a layer (uncompressed tar bytes), stored as asked.
    pub fn layer(mut self, tar: Vec<u8>, storage: Storage, created_by: &str) -> Self {
        let diff_id = sha256(&tar);
        let (blob, media_type) = match storage {
            Storage::Plain => (tar, "application/vnd.oci.image.layer.v1.tar"),
            Storage::Gzip => (gzip(&tar), "application/vnd.oci.image.layer.v1.tar+gzip"),
            Storage::Zstd => (zstd(&tar), "application/vnd.oci.image.layer.v1.tar+zstd"),
        };
        self.layers.push(BuiltLayer {
            blob,
            diff_id,
            media_type,
            created_by: created_by.into(),
        });
        self
    }

    /// Appends a layer already gzip-compressed (from [`StreamingLayer::finish`]).
    pub fn gzip_layer(mut self, blob: Vec<u8>, diff_id: String, created_by: &str) -> Self {
        self.layers.push(BuiltLayer {
            blob,
            diff_id,
            media_type: "application/vnd.oci.image.layer.v1.tar+gzip",
            created_by: created_by.into(),
        });
        self
    }

    /// The config JSON.
    pub fn config_json(&self) -> Vec<u8> {
        let history: Vec<serde_json::Value> = self
            .layers
            .iter()
            .map(|l| serde_json::json!({"created": "2024-01-01T00:00:00Z", "created_by": l.created_by}))
            .collect();
        let mut config = serde_json::json!({"Env": ["PATH=/usr/bin:/bin"], "Cmd": ["/bin/sh"]});
        if let Some(u) = &self.user {
            config["User"] = serde_json::Value::String(u.clone());
        }
        if !self.exposed_ports.is_empty() {
            let ports: serde_json::Map<String, serde_json::Value> = self
                .exposed_ports
                .iter()
                .map(|p| (p.clone(), serde_json::json!({})))
                .collect();
            config["ExposedPorts"] = serde_json::Value::Object(ports);
        }
        serde_json::to_vec(&serde_json::json!({
            "architecture": self.architecture,
            "os": "linux",
            "created": "2024-01-01T00:00:00Z",
            "config": config,
            "rootfs": {"type": "layers", "diff_ids": self.layers.iter().map(|l| l.diff_id.clone()).collect::<Vec<_>>()},
            "history": history,
        }))
        .expect("json")
    }

    /// The OCI manifest JSON (its config blob is `config_json()`).
    pub fn manifest_json(&self) -> Vec<u8> {
        let config = self.config_json();
        serde_json::to_vec(&serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
            "layers": self.layers.iter().map(|l| serde_json::json!({
                "mediaType": l.media_type, "digest": sha256(&l.blob), "size": l.blob.len()
            })).collect::<Vec<_>>(),
        }))
        .expect("json")
    }

    /// Every blob (layers, config, manifest) as (digest, bytes).
    pub fn blobs(&self) -> Vec<(String, Vec<u8>)> {
        let mut out: Vec<(String, Vec<u8>)> = self.layers.iter().map(|l| (sha256(&l.blob), l.blob.clone())).collect();
        let config = self.config_json();
        out.push((sha256(&config), config));
        let manifest = self.manifest_json();
        out.push((sha256(&manifest), manifest));
        out
    }

    /// Writes an OCI image layout directory with the image under `tag`.
    pub fn write_oci_dir(&self, dir: &Path, tag: &str) -> io::Result<()> {
        fs::create_dir_all(dir.join("blobs/sha256"))?;
        for (digest, bytes) in self.blobs() {
            fs::write(
                dir.join("blobs/sha256").join(digest.trim_start_matches("sha256:")),
                bytes,
            )?;
        }
        let manifest = self.manifest_json();
        fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)?;
        let index = serde_json::json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": sha256(&manifest), "size": manifest.len(),
                "annotations": {"org.opencontainers.image.ref.name": tag}
            }]
        });
        fs::write(dir.join("index.json"), serde_json::to_vec(&index).expect("json"))
    }

    /// Writes an OCI layout packed in a tar.
    pub fn write_oci_archive(&self, file: &Path, tag: &str) -> io::Result<()> {
        let tmp = tempdir_in(file)?;
        self.write_oci_dir(&tmp, tag)?;
        let mut b = tar::Builder::new(fs::File::create(file)?);
        b.append_dir_all(".", &tmp)?;
        b.finish()?;
        fs::remove_dir_all(&tmp)
    }

    /// Writes a `docker save` archive (uncompressed layer tars named `<n>/layer.tar`).
    pub fn write_docker_archive(&self, file: &Path, repo_tag: &str) -> io::Result<()> {
        let mut b = tar::Builder::new(fs::File::create(file)?);
        let mut add = |name: &str, data: &[u8]| -> io::Result<()> {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, name, data)
        };
        let config = self.config_json();
        let config_name = format!("{}.json", sha256(&config).trim_start_matches("sha256:"));
        add(&config_name, &config)?;
        let mut names = Vec::new();
        for (i, l) in self.layers.iter().enumerate() {
            let tar = decompress(&l.blob)?;
            let name = format!("{i:03}/layer.tar");
            add(&name, &tar)?;
            names.push(name);
        }
        let manifest = serde_json::json!([{"Config": config_name, "RepoTags": [repo_tag], "Layers": names}]);
        add("manifest.json", &serde_json::to_vec(&manifest).expect("json"))?;
        b.into_inner()?.sync_all()
    }
}

fn decompress(blob: &[u8]) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    match blob {
        [0x1f, 0x8b, ..] => {
            flate2::read::GzDecoder::new(blob).read_to_end(&mut out)?;
        }
        [0x28, 0xb5, 0x2f, 0xfd, ..] => out = zstd::stream::decode_all(blob)?,
        _ => out = blob.to_vec(),
    }
    Ok(out)
}

fn tempdir_in(file: &Path) -> io::Result<std::path::PathBuf> {
    let parent = file.parent().unwrap_or(Path::new("."));
    let dir = parent.join(format!(".oci-build-{}", std::process::id()));
    fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Hostile images built in code, for the tests that prove one image cannot take the
/// scanner down (and for measuring: `cargo run -p drydock-image --example hostile DIR`).
pub mod hostile {
    use super::{ImageBuilder, LayerBuilder, Storage, StreamingLayer};

    /// One layer holding one GNU sparse file of `real_size` bytes (1 TiB makes a blob of
    /// about a hundred bytes).
    pub fn sparse_file(real_size: u64) -> ImageBuilder {
        let mut layer = StreamingLayer::new();
        layer.file("etc/os-release", b"ID=debian\nVERSION_ID=12\n", 0o644);
        layer.sparse("usr/lib/huge.bin", real_size);
        let (blob, diff_id) = layer.finish();
        ImageBuilder::new().gzip_layer(blob, diff_id, "sparse")
    }

    /// `layers` layers, each with `per_layer` sparse `package.json` files of `size` bytes.
    pub fn sparse_manifests(layers: usize, per_layer: usize, size: u64) -> ImageBuilder {
        let mut image = ImageBuilder::new();
        for l in 0..layers {
            let mut layer = StreamingLayer::new();
            for i in 0..per_layer {
                layer.sparse(&format!("app/node_modules/p{l}x{i}/package.json"), size);
            }
            let (blob, diff_id) = layer.finish();
            image = image.gzip_layer(blob, diff_id, "manifests");
        }
        image
    }

    /// One layer of `count` empty files spread over directories of a thousand.
    pub fn many_files(count: usize) -> ImageBuilder {
        let mut layer = StreamingLayer::new();
        for i in 0..count {
            if i % 1000 == 0 {
                layer.dir(&format!("data/d{}", i / 1000));
            }
            layer.file(&format!("data/d{}/f{}", i / 1000, i % 1000), b"", 0o644);
        }
        let (blob, diff_id) = layer.finish();
        ImageBuilder::new().gzip_layer(blob, diff_id, "many files")
    }

    /// A base with one root account, then a layer writing a second uid-0 account through a
    /// symbolic link to `/etc` (`/lnk -> /etc`, `/lnk/passwd`).
    pub fn passwd_through_symlink() -> ImageBuilder {
        let base = LayerBuilder::new()
            .dir("etc")
            .file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
            .file("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.0\n", 0o644)
            .finish();
        let upper = LayerBuilder::new()
            .symlink("lnk", "/etc")
            .file(
                "lnk/passwd",
                b"root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0:backdoor:/root:/bin/sh\n",
                0o644,
            )
            .finish();
        ImageBuilder::new()
            .layer(base, Storage::Gzip, "base")
            .layer(upper, Storage::Gzip, "through a link")
    }

    /// A base with one root account and links `etc2 -> /etc` and `apkdb -> /lib/apk/db`;
    /// an upper layer writes a second uid-0 account and an apk database through the links
    /// (the reader of the upper layer alone cannot tell where they land).
    pub fn written_through_lower_links() -> ImageBuilder {
        let base = LayerBuilder::new()
            .dir("etc")
            .file("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
            .file("etc/os-release", b"ID=alpine\nVERSION_ID=3.20.0\n", 0o644)
            .dir("lib/apk/db")
            .symlink("etc2", "/etc")
            .symlink("apkdb", "../lib/apk/db")
            .finish();
        let upper = LayerBuilder::new()
            .file(
                "etc2/passwd",
                b"root:x:0:0:root:/root:/bin/sh\ntoor:x:0:0:backdoor:/root:/bin/sh\n",
                0o644,
            )
            .file("apkdb/installed", b"P:busybox\nV:1.36.1-r29\nA:x86_64\n\n", 0o644)
            .finish();
        ImageBuilder::new().layer(base, Storage::Gzip, "base with links").layer(
            upper,
            Storage::Gzip,
            "through the base's links",
        )
    }
}
