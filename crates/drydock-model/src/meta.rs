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
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entrypoint: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cmd: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exposed_ports: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<HistoryStep>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diff_ids: Vec<String>,
}

/// One step of the image's build history.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HistoryStep {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
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
    pub source: SourceInfo,
    pub config: ConfigSummary,
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
