//! Secrets inside the single layer pass: a capture that wraps the catalogers' capture and
//! also scans text files, and the collection of findings per layer afterwards.

use super::{SecretFinding, SecretScanner};
use drydock_image::{Capture, Extracted, FileTree, LayerIndex};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Extractor name under which a file's secret findings (JSON) are stored.
pub const EXTRACTOR: &str = "secrets";

/// Wraps another capture (the catalogers') and adds the inspect checks: every regular
/// text file up to the size limit is scanned for secrets while its layer is read, and
/// the files the misconfiguration checks read are kept.
pub struct InspectCapture<C: Capture> {
    inner: C,
    secrets: Option<SecretScanner>,
    misconfig: bool,
}

impl<C: Capture> InspectCapture<C> {
    /// `secrets`: the scanner, or `None` to scan nothing; `misconfig`: keep the files the
    /// misconfiguration checks read.
    pub fn new(inner: C, secrets: Option<SecretScanner>, misconfig: bool) -> Self {
        InspectCapture {
            inner,
            secrets,
            misconfig,
        }
    }

    /// The wrapped capture.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The secret scanner, when secrets are scanned.
    pub fn secrets(&self) -> Option<&SecretScanner> {
        self.secrets.as_ref()
    }
}

impl<C: Capture> Capture for InspectCapture<C> {
    fn wants(&self, path: &str) -> bool {
        self.inner.wants(path) || (self.misconfig && crate::misconfig::wants(path))
    }
    fn fingerprint(&self) -> String {
        let secrets = self.secrets.as_ref().map(|s| s.fingerprint()).unwrap_or("none");
        let misconfig = if self.misconfig { "+misconfig" } else { "" };
        format!("{}+{secrets}{misconfig}", self.inner.fingerprint())
    }
    fn extracts(&self, path: &str, mode: u32, size: u64) -> bool {
        self.inner.extracts(path, mode, size)
            || self
                .secrets
                .as_ref()
                .is_some_and(|s| size > 0 && size <= s.max_file_size())
    }
    fn extract(&self, path: &str, mode: u32, content: &[u8]) -> Extracted {
        let mut out = if self.inner.extracts(path, mode, content.len() as u64) {
            self.inner.extract(path, mode, content)
        } else {
            Extracted::new()
        };
        if let Some(scanner) = &self.secrets {
            let found = scanner.scan(path, content);
            if !found.is_empty() {
                if let Ok(json) = serde_json::to_string(&found) {
                    out.insert(EXTRACTOR.to_string(), json);
                }
            }
        }
        out
    }
}

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
