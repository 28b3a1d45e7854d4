//! Local image sources: `docker save` archives, OCI image layouts as directories and
//! as tar archives. Blobs are read in place (archives are indexed, never unpacked).

use crate::config::parse_config;
use crate::error::{ImageError, Result};
use crate::limits::Limits;
use crate::platform::Platform;
use crate::source::LayerSource;
use drydock_model::path::{normalize_entry, resolve_link_target};
use drydock_model::{ImageMeta, LayerInfo, SourceInfo};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Read access to the files of a layout or archive, by relative path.
pub trait BlobStore: Send + Sync {
    /// Opens a member for streaming.
    fn open(&self, rel: &str) -> Result<Box<dyn Read + Send + '_>>;
    /// Human-readable location of a member, for errors.
    fn describe(&self, rel: &str) -> String;
    /// True when the member exists.
    fn exists(&self, rel: &str) -> bool;
}

/// Reads a whole (small) document, bounded by the document limit.
fn read_doc(store: &dyn BlobStore, rel: &str, limits: &Limits) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    store
        .open(rel)?
        .take(limits.max_document + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ImageError::io(store.describe(rel), e))?;
    if buf.len() as u64 > limits.max_document {
        return Err(ImageError::Malformed {
            what: "document",
            path: store.describe(rel),
            reason: format!("larger than the {} byte limit", limits.max_document),
        });
    }
    Ok(buf)
}

/// A plain directory holding a layout.
pub struct DirStore {
    root: PathBuf,
}

impl DirStore {
    /// A store rooted at `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        DirStore { root: root.into() }
    }

    fn path(&self, rel: &str) -> Result<PathBuf> {
        let clean = normalize_entry(rel).ok_or_else(|| ImageError::Malformed {
            what: "blob path",
            path: rel.to_string(),
            reason: "leaves the layout directory".into(),
        })?;
        Ok(self.root.join(clean.trim_start_matches('/')))
    }
}

impl DirStore {
    /// The member's path, refused when it is, or passes through, a symbolic link or is not
    /// a regular file (a layout must not make drydock read a file outside it).
    fn regular_file(&self, rel: &str) -> Result<(PathBuf, std::fs::Metadata)> {
        let clean = self.path(rel)?;
        let refuse = |p: &Path, reason: &str| ImageError::Malformed {
            what: "OCI layout member",
            path: p.display().to_string(),
            reason: reason.into(),
        };
        let mut cur = self.root.clone();
        let mut meta = None;
        for comp in clean.strip_prefix(&self.root).unwrap_or(&clean).components() {
            cur.push(comp);
            let m = std::fs::symlink_metadata(&cur).map_err(|e| ImageError::io(&cur, e))?;
            if m.file_type().is_symlink() {
                return Err(refuse(
                    &cur,
                    "is a symbolic link; members of a layout must be regular files inside it",
                ));
            }
            meta = Some(m);
        }
        match meta {
            Some(m) if m.is_file() => Ok((cur, m)),
            _ => Err(refuse(&cur, "is not a regular file")),
        }
    }
}

impl BlobStore for DirStore {
    fn open(&self, rel: &str) -> Result<Box<dyn Read + Send + '_>> {
        let (p, checked) = self.regular_file(rel)?;
        let f = File::open(&p).map_err(|e| ImageError::io(&p, e))?;
        // The file opened is the one checked (not swapped for a link in between).
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let opened = f.metadata().map_err(|e| ImageError::io(&p, e))?;
            if (opened.dev(), opened.ino()) != (checked.dev(), checked.ino()) {
                return Err(ImageError::Malformed {
                    what: "OCI layout member",
                    path: p.display().to_string(),
                    reason: "changed while it was opened".into(),
                });
            }
        }
        #[cfg(not(unix))]
        let _ = checked;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, f)))
    }
    fn describe(&self, rel: &str) -> String {
        self.root.join(rel).display().to_string()
    }
    fn exists(&self, rel: &str) -> bool {
        self.path(rel).map(|p| p.is_file()).unwrap_or(false)
    }
}

/// A tar archive indexed once; members are read by seeking to their data.
pub struct TarStore {
    path: PathBuf,
    members: BTreeMap<String, (u64, u64)>,
    links: BTreeMap<String, String>,
}

/// The tar reader's complaint, without the raw header bytes it quotes (binary garbage).
fn tar_error_text(e: &std::io::Error) -> String {
    let text = e.to_string();
    if text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        crate::limits::clip(&text)
    } else {
        "a member header is not a valid tar header".into()
    }
}

impl TarStore {
    /// Indexes the members of an uncompressed tar archive.
    pub fn open(path: &Path, limits: &Limits) -> Result<Self> {
        let f = File::open(path).map_err(|e| ImageError::io(path, e))?;
        let mut magic = [0u8; 2];
        (&f).read_exact(&mut magic).map_err(|e| ImageError::io(path, e))?;
        if magic == [0x1f, 0x8b] {
            return Err(ImageError::Malformed {
                what: "image archive",
                path: path.display().to_string(),
                reason: "it is gzip-compressed; decompress it first (gunzip) and pass the .tar".into(),
            });
        }
        let f = File::open(path).map_err(|e| ImageError::io(path, e))?;
        let mut archive = tar::Archive::new(std::io::BufReader::new(f));
        let mut members = BTreeMap::new();
        let mut links = BTreeMap::new();
        let malformed = |e: std::io::Error| ImageError::Malformed {
            what: "image archive",
            path: path.display().to_string(),
            reason: format!(
                "not a tar archive, or a damaged or truncated one ({}); re-export it with `docker save` or \
                 `skopeo copy`",
                tar_error_text(&e)
            ),
        };
        for (n, entry) in archive.entries().map_err(malformed)?.enumerate() {
            if n as u64 > limits.max_layer_entries {
                return Err(ImageError::Malformed {
                    what: "image archive",
                    path: path.display().to_string(),
                    reason: "too many members".into(),
                });
            }
            let entry = entry.map_err(malformed)?;
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(name) = normalize_entry(&raw) else { continue };
            match entry.header().entry_type() {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    members.insert(name, (entry.raw_file_position(), entry.size()));
                }
                tar::EntryType::Symlink => {
                    if let Some(t) = entry.link_name_bytes() {
                        let target = resolve_link_target(&name, &String::from_utf8_lossy(&t));
                        links.insert(name, target);
                    }
                }
                tar::EntryType::Link => {
                    if let Some(t) = entry
                        .link_name_bytes()
                        .and_then(|t| normalize_entry(&String::from_utf8_lossy(&t)))
                    {
                        links.insert(name, t);
                    }
                }
                _ => {}
            }
        }
        Ok(TarStore {
            path: path.to_path_buf(),
            members,
            links,
        })
    }

    fn locate(&self, rel: &str) -> Option<(u64, u64)> {
        let mut name = normalize_entry(rel)?;
        for _ in 0..16 {
            if let Some(m) = self.members.get(&name) {
                return Some(*m);
            }
            name = self.links.get(&name)?.clone();
        }
        None
    }
}

impl BlobStore for TarStore {
    fn open(&self, rel: &str) -> Result<Box<dyn Read + Send + '_>> {
        let (offset, size) = self.locate(rel).ok_or_else(|| ImageError::Malformed {
            what: "image archive",
            path: self.path.display().to_string(),
            reason: format!("member {rel} is missing"),
        })?;
        let mut f = File::open(&self.path).map_err(|e| ImageError::io(&self.path, e))?;
        f.seek(SeekFrom::Start(offset))
            .map_err(|e| ImageError::io(&self.path, e))?;
        Ok(Box::new(std::io::BufReader::with_capacity(1 << 20, f.take(size))))
    }
    fn describe(&self, rel: &str) -> String {
        format!("{}!{rel}", self.path.display())
    }
    fn exists(&self, rel: &str) -> bool {
        self.locate(rel).is_some()
    }
}

/// Layers of an image living in a blob store.
pub struct StoreLayers<S: BlobStore> {
    store: S,
    paths: Vec<String>,
}

impl<S: BlobStore> LayerSource for StoreLayers<S> {
    fn open_layer(&self, layer: &LayerInfo) -> Result<Box<dyn Read + Send + '_>> {
        let rel = self.paths.get(layer.index).ok_or_else(|| ImageError::Malformed {
            what: "image",
            path: self.store.describe(""),
            reason: format!("no layer {}", layer.index),
        })?;
        self.store.open(rel)
    }
}

// ---- docker save -----------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// Opens a `docker save` archive; `wanted` picks one of several images by tag.
pub fn open_docker_archive(
    path: &Path,
    wanted: Option<&str>,
    limits: &Limits,
) -> Result<(ImageMeta, StoreLayers<TarStore>)> {
    let store = TarStore::open(path, limits)?;
    let manifest_bytes = read_doc(&store, "manifest.json", limits).map_err(|_| ImageError::Malformed {
        what: "docker archive",
        path: path.display().to_string(),
        reason: "no manifest.json (is this a `docker save` archive? for OCI archives use oci-archive:)".into(),
    })?;
    let entries: Vec<DockerManifestEntry> =
        serde_json::from_slice(&manifest_bytes).map_err(|e| ImageError::Malformed {
            what: "docker archive manifest.json",
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
    let entry = match wanted {
        Some(tag) => entries
            .iter()
            .find(|e| {
                e.repo_tags
                    .iter()
                    .flatten()
                    .any(|t| t == tag || t.ends_with(&format!("/{tag}")))
            })
            .ok_or_else(|| ImageError::NotFound {
                wanted: tag.to_string(),
                source_name: path.display().to_string(),
                available: entries
                    .iter()
                    .flat_map(|e| e.repo_tags.iter().flatten())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
            })?,
        None => match entries.as_slice() {
            [one] => one,
            [] => {
                return Err(ImageError::Malformed {
                    what: "docker archive",
                    path: path.display().to_string(),
                    reason: "manifest.json lists no image".into(),
                })
            }
            many => {
                return Err(ImageError::NotFound {
                    wanted: "a single image".into(),
                    source_name: path.display().to_string(),
                    available: many
                        .iter()
                        .flat_map(|e| e.repo_tags.iter().flatten())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
        },
    };
    let config_bytes = read_doc(&store, &entry.config, limits)?;
    let config = parse_config(&config_bytes, &store.describe(&entry.config))?;
    if config.diff_ids.len() != entry.layers.len() {
        return Err(ImageError::Malformed {
            what: "docker archive",
            path: path.display().to_string(),
            reason: format!(
                "config lists {} layers, manifest.json {}",
                config.diff_ids.len(),
                entry.layers.len()
            ),
        });
    }
    let layers = entry
        .layers
        .iter()
        .enumerate()
        .map(|(i, rel)| {
            let size = store.locate(rel).map(|(_, s)| s).unwrap_or(0);
            LayerInfo {
                index: i,
                digest: digest_from_blob_path(rel).unwrap_or_else(|| config.diff_ids[i].clone()),
                diff_id: Some(config.diff_ids[i].clone()),
                media_type: "application/vnd.docker.image.rootfs.diff.tar".into(),
                size,
                created_by: None,
            }
        })
        .collect();
    let mut meta = ImageMeta {
        source: SourceInfo {
            scheme: "docker-archive".into(),
            input: String::new(),
            reference: path.display().to_string(),
            manifest_digest: None,
            config_digest: Some(format!("sha256:{}", hex::encode(Sha256::digest(&config_bytes)))),
            tags: entry.repo_tags.clone().unwrap_or_default(),
        },
        config,
        layers,
    };
    meta.attach_history();
    let paths = entry.layers.clone();
    Ok((meta, StoreLayers { store, paths }))
}

fn digest_from_blob_path(rel: &str) -> Option<String> {
    let mut parts = rel.trim_start_matches('/').split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("blobs"), Some(alg), Some(hex), None) => Some(format!("{alg}:{hex}")),
        _ => None,
    }
}

// ---- OCI image layout ------------------------------------------------------------

#[derive(Deserialize)]
struct Index {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize, Clone)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    #[serde(default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<DescPlatform>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

#[derive(Deserialize, Clone)]
struct DescPlatform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Manifest {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn blob_rel(digest: &str) -> Result<String> {
    let (alg, hex) = digest.split_once(':').ok_or_else(|| ImageError::Malformed {
        what: "descriptor",
        path: digest.to_string(),
        reason: "digest has no algorithm".into(),
    })?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '+' || c == '.')
    };
    if !ok(alg) || !ok(hex) || hex.contains("..") {
        return Err(ImageError::Malformed {
            what: "descriptor",
            path: digest.to_string(),
            reason: "digest is not of the form algorithm:hex".into(),
        });
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

fn read_verified(store: &dyn BlobStore, digest: &str, limits: &Limits) -> Result<Vec<u8>> {
    let bytes = read_doc(store, &blob_rel(digest)?, limits)?;
    if let Some(hex) = digest.strip_prefix("sha256:") {
        let actual = hex::encode(Sha256::digest(&bytes));
        if actual != hex {
            return Err(ImageError::DigestMismatch {
                what: store.describe(&blob_rel(digest)?),
                expected: digest.to_string(),
                actual: format!("sha256:{actual}"),
            });
        }
    }
    Ok(bytes)
}

fn is_index(media_type: &str) -> bool {
    media_type.contains("image.index") || media_type.contains("manifest.list")
}

/// Opens one image of an OCI layout held in `store`; `tag` picks by ref name.
pub fn open_oci_layout<S: BlobStore>(
    store: S,
    scheme: &str,
    location: &str,
    tag: Option<&str>,
    platform: Option<&Platform>,
    limits: &Limits,
) -> Result<(ImageMeta, StoreLayers<S>)> {
    if !store.exists("oci-layout") || !store.exists("index.json") {
        return Err(ImageError::Malformed {
            what: "OCI layout",
            path: location.to_string(),
            reason: "no oci-layout or index.json file (is this an OCI image layout?)".into(),
        });
    }
    let index: Index =
        serde_json::from_slice(&read_doc(&store, "index.json", limits)?).map_err(|e| ImageError::Malformed {
            what: "OCI index.json",
            path: location.to_string(),
            reason: e.to_string(),
        })?;
    let tags: Vec<String> = index
        .manifests
        .iter()
        .filter_map(|d| d.annotations.get(REF_NAME).cloned())
        .collect();
    let chosen = match tag {
        Some(t) => index
            .manifests
            .iter()
            .find(|d| d.annotations.get(REF_NAME).map(String::as_str) == Some(t))
            .ok_or_else(|| ImageError::NotFound {
                wanted: format!("tag {t}"),
                source_name: location.to_string(),
                available: tags.join(", "),
            })?
            .clone(),
        None if index.manifests.len() == 1 => index.manifests[0].clone(),
        None => {
            let host = Platform::host();
            let want = platform.unwrap_or(&host);
            let untagged_platform_match = index.manifests.iter().all(|d| !d.annotations.contains_key(REF_NAME));
            match index.manifests.iter().find(|d| {
                untagged_platform_match
                    && d.platform
                        .as_ref()
                        .is_some_and(|p| want.matches(&p.os, &p.architecture, p.variant.as_deref()))
            }) {
                Some(d) => d.clone(),
                None => {
                    return Err(ImageError::NotFound {
                        wanted: "one image (the layout holds several: add :TAG)".into(),
                        source_name: location.to_string(),
                        available: tags.join(", "),
                    })
                }
            }
        }
    };
    let (manifest_desc, manifest_bytes) = resolve_platform(&store, chosen, platform, location, limits, 0)?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| ImageError::Malformed {
        what: "image manifest",
        path: store.describe(&format!("blobs/{}", manifest_desc.digest.replace(':', "/"))),
        reason: e.to_string(),
    })?;
    let config_bytes = read_verified(&store, &manifest.config.digest, limits)?;
    let config = parse_config(&config_bytes, &store.describe(&blob_rel(&manifest.config.digest)?))?;
    let mut paths = Vec::new();
    let mut layers = Vec::new();
    for (i, d) in manifest.layers.iter().enumerate() {
        paths.push(blob_rel(&d.digest)?);
        layers.push(LayerInfo {
            index: i,
            digest: d.digest.clone(),
            diff_id: config.diff_ids.get(i).cloned(),
            media_type: d.media_type.clone(),
            size: d.size,
            created_by: None,
        });
    }
    let mut meta = ImageMeta {
        source: SourceInfo {
            scheme: scheme.to_string(),
            input: String::new(),
            reference: location.to_string(),
            manifest_digest: Some(manifest_desc.digest.clone()),
            config_digest: Some(manifest.config.digest.clone()),
            tags: tag.map(|t| vec![t.to_string()]).unwrap_or(tags),
        },
        config,
        layers,
    };
    meta.attach_history();
    Ok((meta, StoreLayers { store, paths }))
}

fn resolve_platform(
    store: &dyn BlobStore,
    desc: Descriptor,
    platform: Option<&Platform>,
    location: &str,
    limits: &Limits,
    depth: usize,
) -> Result<(Descriptor, Vec<u8>)> {
    if depth > 4 {
        return Err(ImageError::Malformed {
            what: "OCI index",
            path: location.to_string(),
            reason: "indexes nested too deeply".into(),
        });
    }
    let bytes = read_verified(store, &desc.digest, limits)?;
    let media_type = if desc.media_type.is_empty() {
        serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v.get("mediaType").and_then(|m| m.as_str()).map(str::to_string))
            .unwrap_or_default()
    } else {
        desc.media_type.clone()
    };
    if !is_index(&media_type) {
        return Ok((desc, bytes));
    }
    let index: Index = serde_json::from_slice(&bytes).map_err(|e| ImageError::Malformed {
        what: "OCI index",
        path: location.to_string(),
        reason: e.to_string(),
    })?;
    let host = Platform::host();
    let want = platform.unwrap_or(&host);
    let found = index
        .manifests
        .iter()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| want.matches(&p.os, &p.architecture, p.variant.as_deref()))
        })
        .cloned()
        .ok_or_else(|| ImageError::NotFound {
            wanted: format!("platform {want}"),
            source_name: location.to_string(),
            available: index
                .manifests
                .iter()
                .filter_map(|d| d.platform.as_ref().map(|p| format!("{}/{}", p.os, p.architecture)))
                .collect::<Vec<_>>()
                .join(", "),
        })?;
    resolve_platform(store, found, platform, location, limits, depth + 1)
}
