//! Registry client (Docker Registry HTTP API V2 / OCI distribution). Work in progress.

use crate::error::{ImageError, Result};
use crate::limits::Limits;
use crate::model::{ImageMeta, LayerInfo};
use crate::platform::Platform;
use crate::source::LayerSource;
use std::io::Read;
use std::path::PathBuf;

/// How to reach and authenticate to registries.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// Registries (host[:port]) that may be spoken to over plain HTTP.
    pub insecure: Vec<String>,
    /// Basic-auth user name given on the command line or in the environment.
    pub username: Option<String>,
    /// Password or token for `username`.
    pub password: Option<String>,
    /// Docker `config.json` to read credentials from (default `~/.docker/config.json`).
    pub docker_config: Option<PathBuf>,
}

/// Streams layer blobs from a registry.
pub struct RegistryLayers {}

impl LayerSource for RegistryLayers {
    fn open_layer(&self, layer: &LayerInfo) -> Result<Box<dyn Read + Send + '_>> {
        Err(ImageError::Registry { registry: String::new(), reason: format!("not implemented for {}", layer.digest) })
    }
}

/// Resolves a reference to one image manifest and its config.
pub fn open_registry(
    reference: &str,
    _platform: Option<&Platform>,
    _opts: &RegistryOptions,
    _limits: &Limits,
) -> Result<(ImageMeta, RegistryLayers)> {
    Err(ImageError::Registry { registry: reference.into(), reason: "not implemented".into() })
}
