//! Lenient reading of image config blobs (OCI and Docker shapes alike).

use crate::error::{ImageError, Result};
use drydock_model::{ConfigSummary, HistoryStep};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
struct RawConfig {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    variant: Option<String>,
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    config: Option<RawRunConfig>,
    #[serde(default)]
    rootfs: Option<RawRootfs>,
    #[serde(default)]
    history: Vec<RawHistory>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawRunConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    working_dir: Option<String>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize, Default)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RawHistory {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    comment: Option<String>,
    #[serde(default)]
    empty_layer: bool,
}

/// Parses an image config blob; `origin` names it in errors.
pub fn parse_config(bytes: &[u8], origin: &str) -> Result<ConfigSummary> {
    let raw: RawConfig = serde_json::from_slice(bytes).map_err(|e| ImageError::Malformed {
        what: "image config",
        path: origin.to_string(),
        reason: e.to_string(),
    })?;
    let run = raw.config.unwrap_or_default();
    Ok(ConfigSummary {
        os: raw.os,
        architecture: raw.architecture,
        variant: raw.variant.filter(|v| !v.is_empty()),
        created: raw.created,
        user: run.user.filter(|u| !u.is_empty()),
        env: run.env.unwrap_or_default(),
        entrypoint: run.entrypoint.unwrap_or_default(),
        cmd: run.cmd.unwrap_or_default(),
        working_dir: run.working_dir.filter(|w| !w.is_empty()),
        exposed_ports: run.exposed_ports.unwrap_or_default().into_keys().collect(),
        labels: run.labels.unwrap_or_default(),
        history: raw
            .history
            .into_iter()
            .map(|h| HistoryStep {
                created: h.created,
                created_by: h.created_by,
                comment: h.comment,
                empty_layer: h.empty_layer,
            })
            .collect(),
        diff_ids: raw.rootfs.unwrap_or_default().diff_ids,
    })
}
