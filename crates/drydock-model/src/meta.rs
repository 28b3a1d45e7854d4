//! What an image is before its layers are read: where it came from, its config and layers.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where an image came from and how it was identified.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct SourceInfo {
    /// Scheme used to read it: `registry`, `docker-archive`, `oci-archive`, `oci-dir`, `dir`.
    pub scheme: String,
    /// The user's input, as given.
    pub input: String,
    /// Fully qualified reference (registry sources) or the path read.
    pub reference: String,
    /// Digest of the image manifest, when the source has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// Digest of the image config blob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// Tags that name the image in its source.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// The parts of an image config that analysis and policies use.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConfigSummary {
    /// Operating system (`linux`, `windows`).
    pub os: String,
    /// CPU architecture in OCI terms (`amd64`, `arm64`).
    pub architecture: String,
    /// Architecture variant (`v7`, `v8`), when the config names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// When the image was built (RFC 3339, as the config says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The user the container runs as (`name`, `uid`, `uid:gid`); none means root.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Environment variables, `NAME=value`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// The entrypoint, one argument per element.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    /// The default command (arguments to the entrypoint), one argument per element.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    /// The working directory of the container's process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Exposed ports as written in the config (`80/tcp`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    /// Image labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// Build history, oldest step first, empty-layer steps included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryStep>,
    /// Digests of the uncompressed layers, base first (the config's rootfs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff_ids: Vec<String>,
}

/// One step of the image's build history.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryStep {
    /// When the step ran (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// The instruction that ran (`RUN apt-get install …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// A free-text comment the builder left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// True when the step changed no files (no layer of its own).
    #[serde(default)]
    pub empty_layer: bool,
}

/// One layer of an image as its manifest describes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct LayerInfo {
    /// Position in the image, 0 = base.
    pub index: usize,
    /// Digest of the blob as stored (compressed).
    pub digest: String,
    /// Digest of the uncompressed tar (from the config's rootfs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
    /// Media type of the blob (tar, gzip or zstd; Docker or OCI).
    pub media_type: String,
    /// Size of the stored blob in bytes.
    pub size: u64,
    /// The history step that made this layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
}

/// Everything known about an image before its layers are read.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ImageMeta {
    /// Where the image came from.
    pub source: SourceInfo,
    /// What its config says.
    pub config: ConfigSummary,
    /// Its layers, base first.
    pub layers: Vec<LayerInfo>,
}

impl ImageMeta {
    /// Attaches the non-empty history steps to the layers they produced.
    pub fn attach_history(&mut self) {
        let steps: Vec<&HistoryStep> = self.config.history.iter().filter(|h| !h.empty_layer).collect();
        if steps.len() == self.layers.len() {
            for (layer, step) in self.layers.iter_mut().zip(steps) {
                layer.created_by = step.created_by.clone();
            }
        }
    }
}
