//! The inspect checks inside the single layer pass: a capture that wraps the catalogers'
//! capture and adds secret scanning, content search, the files the misconfiguration checks
//! and retrieved files need, and file digests.

use crate::content::{self, ContentSearch};
use crate::secrets::{self, SecretScanner};
use drydock_model::{Capture, Extracted};

/// Wraps another capture (the catalogers') and adds what the inspect checks need.
pub struct InspectCapture<C: Capture> {
    inner: C,
    secrets: Option<SecretScanner>,
    misconfig: bool,
    searches: Vec<ContentSearch>,
    retrieve: Vec<String>,
    digests: bool,
    /// Largest file scanned by content searches.
    max_search_size: u64,
}

impl<C: Capture> InspectCapture<C> {
    /// `secrets`: the scanner, or `None` to scan nothing; `misconfig`: keep the files the
    /// misconfiguration checks read.
    pub fn new(inner: C, secrets: Option<SecretScanner>, misconfig: bool) -> Self {
        InspectCapture {
            inner,
            secrets,
            misconfig,
            searches: Vec::new(),
            retrieve: Vec::new(),
            digests: false,
            max_search_size: 10 << 20,
        }
    }

    /// Also runs these content searches over every text file up to `max_size` bytes.
    pub fn with_content_search(mut self, searches: Vec<ContentSearch>, max_size: u64) -> Self {
        self.searches = searches;
        self.max_search_size = max_size;
        self
    }

    /// Also keeps these files (exact paths) for [`content::retrieve`].
    pub fn with_retrieved(mut self, paths: Vec<String>) -> Self {
        self.retrieve = paths;
        self
    }

    /// Also computes every regular file's digests.
    pub fn with_digests(mut self, on: bool) -> Self {
        self.digests = on;
        self
    }

    /// The wrapped capture.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The secret scanner, when secrets are scanned.
    pub fn secrets(&self) -> Option<&SecretScanner> {
        self.secrets.as_ref()
    }

    /// The content searches.
    pub fn searches(&self) -> &[ContentSearch] {
        &self.searches
    }

    fn searches_file(&self, path: &str, size: u64) -> bool {
        size > 0 && size <= self.max_search_size && self.searches.iter().any(|s| s.applies_to(path))
    }
}

impl<C: Capture> Capture for InspectCapture<C> {
    fn wants(&self, path: &str) -> bool {
        self.inner.wants(path)
            || (self.misconfig && crate::misconfig::wants(path))
            || content::wants_retrieved(&self.retrieve, path)
    }
    fn fingerprint(&self) -> String {
        let secrets = self.secrets.as_ref().map(|s| s.fingerprint()).unwrap_or("none");
        // The inspectors' own sources (build.rs) are part of the key, as the catalogers' are.
        let mut f = format!(
            "{}+inspect-{}+{secrets}",
            self.inner.fingerprint(),
            env!("DRYDOCK_SOURCE_HASH")
        );
        if self.misconfig {
            f.push_str("+misconfig");
        }
        if !self.searches.is_empty() {
            let names: Vec<String> = self
                .searches
                .iter()
                .map(|s| format!("{}={}@{}", s.name, s.regex.as_str(), s.paths.join(",")))
                .collect();
            f.push_str(&format!("+content[{};{}]", names.join(";"), self.max_search_size));
        }
        if !self.retrieve.is_empty() {
            f.push_str(&format!("+retrieve[{}]", self.retrieve.join(",")));
        }
        if self.digests {
            f.push_str("+digests");
        }
        f
    }
    fn extracts(&self, path: &str, mode: u32, size: u64) -> bool {
        self.inner.extracts(path, mode, size)
            || self
                .secrets
                .as_ref()
                .is_some_and(|s| size > 0 && size <= s.max_file_size())
            || self.searches_file(path, size)
    }
    fn extract(&self, path: &str, mode: u32, content: &[u8]) -> Extracted {
        let mut out = if self.inner.extracts(path, mode, content.len() as u64) {
            self.inner.extract(path, mode, content)
        } else {
            Extracted::new()
        };
        if let Some(scanner) = &self.secrets {
            if content.len() as u64 <= scanner.max_file_size() {
                let found = scanner.scan(path, content);
                if !found.is_empty() {
                    if let Ok(json) = serde_json::to_string(&found) {
                        out.insert(secrets::EXTRACTOR.to_string(), json);
                    }
                }
            }
        }
        if self.searches_file(path, content.len() as u64) {
            let hits = content::scan_text(&self.searches, path, content);
            if !hits.is_empty() {
                out.insert(content::EXTRACTOR.to_string(), content::encode_hits(&hits));
            }
        }
        out
    }
    fn digests(&self) -> bool {
        self.digests || self.inner.digests()
    }
    fn is_manifest(&self, path: &str) -> bool {
        // Files kept for the inspect checks are bounded by the general limit.
        self.inner.is_manifest(path)
            && !(self.misconfig && crate::misconfig::wants(path))
            && !content::wants_retrieved(&self.retrieve, path)
    }
}
