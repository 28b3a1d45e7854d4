//! Secrets found during the single layer pass (by [`crate::InspectCapture`]), collected
//! per layer afterwards.

use super::{SecretFinding, SecretScanner};
use drydock_model::{FileTree, LayerIndex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Extractor name under which a file's secret findings (JSON) are stored.
pub const EXTRACTOR: &str = "secrets";

/// Which files secrets are reported for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SecretsScope {
    /// Files a container started from the image sees.
    Squashed,
    /// Every file of every layer, including files later layers deleted or replaced.
    AllLayers,
}

/// A secret finding with the layer that holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerSecret {
    /// The finding (its fields flattened into this object in JSON).
    #[serde(flatten)]
    pub finding: SecretFinding,
    /// Index of the layer (0 = base) that wrote the file.
    pub layer: usize,
}

fn decode(path: &str, text: &str, layer: usize, out: &mut Vec<LayerSecret>) {
    let found: Vec<SecretFinding> = serde_json::from_str(text).unwrap_or_default();
    out.extend(found.into_iter().map(|mut f| {
        f.path = path.to_string();
        LayerSecret { finding: f, layer }
    }));
}

/// Gathers the secrets found during the layer pass (and scans the files kept whole,
/// which the pass does not hand to `extract`), sorted by path, line and rule.
pub fn collect_secrets(
    layers: &[Arc<LayerIndex>],
    tree: &FileTree,
    scope: SecretsScope,
    scanner: &SecretScanner,
) -> Vec<LayerSecret> {
    let mut out = Vec::new();
    match scope {
        SecretsScope::Squashed => {
            for (path, text) in tree.extracted_by(EXTRACTOR) {
                let layer = tree.entry(path).map(|e| e.layer).unwrap_or(0);
                decode(path, text, layer, &mut out);
            }
            for (path, content) in tree.captured_under("/") {
                let layer = tree.entry(path).map(|e| e.layer).unwrap_or(0);
                out.extend(
                    scanner
                        .scan(path, content)
                        .into_iter()
                        .map(|finding| LayerSecret { finding, layer }),
                );
            }
        }
        SecretsScope::AllLayers => {
            for (i, layer) in layers.iter().enumerate() {
                for (path, found) in &layer.extracted {
                    if let Some(text) = found.get(EXTRACTOR) {
                        decode(path, text, i, &mut out);
                    }
                }
                for (path, content) in &layer.captured {
                    out.extend(
                        scanner
                            .scan(path, content)
                            .into_iter()
                            .map(|finding| LayerSecret { finding, layer: i }),
                    );
                }
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.finding.path, a.finding.line, &a.finding.rule_id, a.layer).cmp(&(
            &b.finding.path,
            b.finding.line,
            &b.finding.rule_id,
            b.layer,
        ))
    });
    out.dedup();
    out
}
