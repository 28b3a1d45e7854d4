//! What the user asked to scan (`registry:`, `docker-archive:`, `oci-archive:`,
//! `oci-dir:`, `dir:` or a bare reference / path) and opening it.

use crate::archive::{open_docker_archive, open_oci_layout, DirStore, TarStore};
use crate::error::{ImageError, Result};
use crate::limits::Limits;
use crate::platform::Platform;
use crate::registry::{open_registry, RegistryOptions};
use drydock_model::{ImageMeta, LayerInfo, SourceInfo};
use std::io::Read;
use std::path::{Path, PathBuf};

/// A parsed source string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// An image in a registry, by reference.
    Registry(String),
    /// A `docker save` archive, optionally naming one of its tags.
    DockerArchive(PathBuf, Option<String>),
    /// An OCI layout packed in a tar, optionally naming a tag.
    OciArchive(PathBuf, Option<String>),
    /// An OCI layout directory, optionally naming a tag.
    OciDir(PathBuf, Option<String>),
    /// A plain directory (a root filesystem or any tree).
    Dir(PathBuf),
}

/// The schemes accepted before a colon, with what they read.
pub const SCHEMES: &[(&str, &str)] = &[
    (
        "registry",
        "an image in a registry, pulled directly (e.g. registry:alpine:3.20)",
    ),
    (
        "docker-archive",
        "a `docker save` tar (docker-archive:image.tar[:repo:tag])",
    ),
    (
        "oci-archive",
        "an OCI layout packed in a tar (oci-archive:image.oci.tar[:tag])",
    ),
    ("oci-dir", "an OCI layout directory (oci-dir:path[:tag])"),
    ("dir", "a plain directory such as a root filesystem (dir:/)"),
];

impl SourceSpec {
    /// Parses a user's source string; without a scheme, an existing path is sniffed
    /// and anything else is taken as a registry reference.
    pub fn parse(input: &str) -> Result<Self> {
        let bad = |reason: &str| ImageError::BadReference {
            input: input.to_string(),
            reason: reason.to_string(),
        };
        if input.trim().is_empty() {
            return Err(bad("empty source"));
        }
        if let Some((scheme, rest)) = input.split_once(':') {
            let need = |r: &str| {
                if r.is_empty() {
                    Err(bad("nothing after the scheme"))
                } else {
                    Ok(())
                }
            };
            match scheme {
                "registry" | "docker" => {
                    need(rest)?;
                    return Ok(SourceSpec::Registry(rest.to_string()));
                }
                "docker-archive" => {
                    need(rest)?;
                    let (p, t) = split_path_tag(rest, true);
                    return Ok(SourceSpec::DockerArchive(p, t));
                }
                "oci-archive" => {
                    need(rest)?;
                    let (p, t) = split_path_tag(rest, false);
                    return Ok(SourceSpec::OciArchive(p, t));
                }
                "oci-dir" | "oci" => {
                    need(rest)?;
                    let (p, t) = split_path_tag(rest, false);
                    return Ok(SourceSpec::OciDir(p, t));
                }
                "dir" => {
                    need(rest)?;
                    return Ok(SourceSpec::Dir(PathBuf::from(rest)));
                }
                _ => {}
            }
        }
        let path = Path::new(input);
        if path.is_dir() {
            if path.join("oci-layout").is_file() {
                return Ok(SourceSpec::OciDir(path.to_path_buf(), None));
            }
            return Ok(SourceSpec::Dir(path.to_path_buf()));
        }
        if path.is_file() {
            return sniff_archive(path);
        }
        if input.starts_with('.') || input.starts_with('/') {
            return Err(bad("no such file or directory"));
        }
        Ok(SourceSpec::Registry(input.to_string()))
    }
}

/// Splits `path[:tag]`: the tag is what follows the first colon whose prefix is an
/// existing path (docker-archive tags may hold a colon, `repo:tag`); for a path that
/// does not exist yet, a trailing `:name` without `/` is taken as the tag.
fn split_path_tag(rest: &str, tag_may_have_colon: bool) -> (PathBuf, Option<String>) {
    if Path::new(rest).exists() {
        return (PathBuf::from(rest), None);
    }
    for (i, _) in rest.match_indices(':') {
        if i > 0 && Path::new(&rest[..i]).exists() && i + 1 < rest.len() {
            return (PathBuf::from(&rest[..i]), Some(rest[i + 1..].to_string()));
        }
    }
    let cut = if tag_may_have_colon {
        rest.find(':')
    } else {
        rest.rfind(':')
    };
    match cut {
        Some(i) if i > 0 && i + 1 < rest.len() && !rest[i + 1..].contains('/') => {
            (PathBuf::from(&rest[..i]), Some(rest[i + 1..].to_string()))
        }
        _ => (PathBuf::from(rest), None),
    }
}

fn sniff_archive(path: &Path) -> Result<SourceSpec> {
    let limits = Limits::default();
    let store = TarStore::open(path, &limits).map_err(|_| ImageError::BadReference {
        input: path.display().to_string(),
        reason: "a file that is not a tar archive; expected a docker-archive or oci-archive".into(),
    })?;
    use crate::archive::BlobStore;
    if store.exists("manifest.json") {
        Ok(SourceSpec::DockerArchive(path.to_path_buf(), None))
    } else if store.exists("oci-layout") {
        Ok(SourceSpec::OciArchive(path.to_path_buf(), None))
    } else {
        Err(ImageError::BadReference {
            input: path.display().to_string(),
            reason: "a tar archive with neither manifest.json (docker save) nor oci-layout (OCI)".into(),
        })
    }
}

/// Opens layer blobs for streaming.
pub trait LayerSource: Send + Sync {
    /// A reader over the stored (possibly compressed) bytes of one layer.
    fn open_layer(&self, layer: &LayerInfo) -> Result<Box<dyn Read + Send + '_>>;
}

/// How to open sources.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Platform to pick from multi-arch indexes; the host's when absent.
    pub platform: Option<Platform>,
    /// How registries are reached (credentials, TLS, address policy, timeouts).
    pub registry: RegistryOptions,
    /// Size, count and time limits.
    pub limits: Limits,
}

/// An opened source: an image with layers, or a directory walked in place.
pub enum Opened {
    /// An image with layers to read (registry, archive, OCI layout).
    Image {
        /// What the manifest and config say.
        meta: ImageMeta,
        /// Where the layers' blobs are read from.
        layers: Box<dyn LayerSource>,
    },
    /// A directory of the local file system, read as one layer.
    Directory {
        /// A description made for the directory (no config, one pseudo-layer).
        meta: ImageMeta,
        /// The directory's path.
        root: PathBuf,
    },
}

impl Opened {
    /// What is known about the source before any layer is read.
    pub fn meta(&self) -> &ImageMeta {
        match self {
            Opened::Image { meta, .. } | Opened::Directory { meta, .. } => meta,
        }
    }
}

/// Opens a parsed source.
pub fn open(spec: &SourceSpec, input: &str, opts: &OpenOptions) -> Result<Opened> {
    let (mut meta, layers): (ImageMeta, Box<dyn LayerSource>) = match spec {
        SourceSpec::Registry(reference) => {
            let (m, l) = open_registry(reference, opts.platform.as_ref(), &opts.registry, &opts.limits)?;
            (m, Box::new(l))
        }
        SourceSpec::DockerArchive(path, tag) => {
            let (m, l) = open_docker_archive(path, tag.as_deref(), &opts.limits)?;
            (m, Box::new(l))
        }
        SourceSpec::OciArchive(path, tag) => {
            let store = TarStore::open(path, &opts.limits)?;
            let (m, l) = open_oci_layout(
                store,
                "oci-archive",
                &path.display().to_string(),
                tag.as_deref(),
                opts.platform.as_ref(),
                &opts.limits,
            )?;
            (m, Box::new(l))
        }
        SourceSpec::OciDir(path, tag) => {
            let store = DirStore::new(path);
            let (m, l) = open_oci_layout(
                store,
                "oci-dir",
                &path.display().to_string(),
                tag.as_deref(),
                opts.platform.as_ref(),
                &opts.limits,
            )?;
            (m, Box::new(l))
        }
        SourceSpec::Dir(path) => {
            if !path.is_dir() {
                return Err(ImageError::BadReference {
                    input: input.to_string(),
                    reason: "not a directory".into(),
                });
            }
            let meta = ImageMeta {
                source: SourceInfo {
                    scheme: "dir".into(),
                    input: input.to_string(),
                    reference: path.display().to_string(),
                    ..Default::default()
                },
                layers: vec![LayerInfo {
                    index: 0,
                    digest: String::new(),
                    media_type: "directory".into(),
                    ..Default::default()
                }],
                ..Default::default()
            };
            return Ok(Opened::Directory {
                meta,
                root: path.clone(),
            });
        }
    };
    meta.source.input = input.to_string();
    Ok(Opened::Image { meta, layers })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemes_and_bare_references() {
        assert_eq!(
            SourceSpec::parse("alpine:3.20").unwrap(),
            SourceSpec::Registry("alpine:3.20".into())
        );
        assert_eq!(
            SourceSpec::parse("registry:127.0.0.1:5000/fx/bookworm:rich").unwrap(),
            SourceSpec::Registry("127.0.0.1:5000/fx/bookworm:rich".into())
        );
        assert_eq!(
            SourceSpec::parse("oci-dir:/nonexistent/layout:rich").unwrap(),
            SourceSpec::OciDir("/nonexistent/layout".into(), Some("rich".into()))
        );
        assert_eq!(SourceSpec::parse("dir:/").unwrap(), SourceSpec::Dir("/".into()));
        assert!(SourceSpec::parse("./does-not-exist.tar").is_err());
        assert!(SourceSpec::parse("dir:").is_err());
    }
}
