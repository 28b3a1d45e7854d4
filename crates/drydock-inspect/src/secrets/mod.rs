//! Secret detection: built-in and user rules run over text files during the layer pass,
//! behind an Aho-Corasick keyword prefilter; findings carry only redacted values.

mod capture;
pub mod rules;

pub use capture::{collect_secrets, LayerSecret, SecretsScope, EXTRACTOR};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use regex::bytes::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Version of the built-in rules and scanning logic; part of the layer cache key.
pub const RULES_VERSION: &str = "1";

/// Default largest file scanned (bytes).
pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 << 20;

/// Bytes looked at to tell text from binary.
const SNIFF: usize = 8 << 10;

/// Bytes examined on either side of a keyword hit on one line.
const LINE_REACH: usize = 2 << 10;

/// Bytes examined after a keyword hit by a multi-line rule (PEM blocks, JSON documents).
const BLOCK_REACH: usize = 8 << 10;

/// How bad a leaked secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Severity {
    /// Low (`LOW`).
    Low,
    /// Medium (`MEDIUM`).
    Medium,
    /// High (`HIGH`), the default for rules.
    High,
    /// Critical (`CRITICAL`).
    Critical,
}

impl Severity {
    /// Upper-case name, as tables print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "LOW",
            Severity::Medium => "MEDIUM",
            Severity::High => "HIGH",
            Severity::Critical => "CRITICAL",
        }
    }
}

/// Errors in secret rules (built-in or from the user's config).
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// A regex of a rule (pattern, allow or path) or of an allow rule does not compile.
    #[error("secret rule {rule}: invalid regex: {source}")]
    BadRegex {
        /// The rule's id (or the allow rule's name).
        rule: String,
        /// The regex compiler's error.
        #[source]
        source: regex::Error,
    },
    /// A rule without keywords (the prefilter needs at least one).
    #[error("secret rule {rule}: needs at least one keyword (lower-case literal text the secret always contains)")]
    NoKeywords {
        /// The rule's id.
        rule: String,
    },
    /// Two `[[secrets.rules]]` entries share an id.
    #[error("secret rule {rule}: defined twice")]
    Duplicate {
        /// The id used twice.
        rule: String,
    },
    /// The keyword automaton could not be built (the builder's message).
    #[error("secret keyword prefilter: {0}")]
    Prefilter(String),
}

/// A rule as written (built in, or `[[secrets.rules]]` in the config file).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Rule id (e.g. `aws-access-key-id`); a user rule with a built-in id replaces it.
    pub id: String,
    /// One-line description; the id when empty.
    #[serde(default)]
    pub title: String,
    /// Severity of its findings (default high).
    #[serde(default = "default_severity")]
    pub severity: Severity,
    /// Literals one of which every match contains (matched ASCII case-insensitively).
    pub keywords: Vec<String>,
    /// The pattern; its first capture group (when present) is the secret itself.
    pub regex: String,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entropy: Option<f64>,
    /// Regexes that, matching the secret or its line, drop the finding.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<String>,
    /// Only files whose path matches this regex are checked by the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The match may span lines (examined in a bounded block after the keyword).
    #[serde(default)]
    pub multiline: bool,
    /// A catch-all rule, dropped where a specific rule matched the same text.
    #[serde(default)]
    pub generic: bool,
}

fn default_severity() -> Severity {
    Severity::High
}

/// An allow rule: `[[secrets.allow]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowSpec {
    /// A name for the allow rule (documentation only).
    #[serde(default)]
    pub id: String,
    /// Drops findings whose secret or line matches.
    #[serde(default)]
    pub regex: Option<String>,
    /// Drops findings in files whose path matches.
    #[serde(default)]
    pub path: Option<String>,
    /// Rule ids it applies to; empty for all.
    #[serde(default)]
    pub rules: Vec<String>,
}

/// The `[secrets]` table of the config file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    /// Extra rules (`[[secrets.rules]]`); a rule with a built-in id replaces it.
    pub rules: Vec<RuleSpec>,
    /// Extra allow rules (`[[secrets.allow]]`).
    pub allow: Vec<AllowSpec>,
    /// Built-in rule ids to turn off.
    pub disable: Vec<String>,
    /// Largest file scanned, in bytes (default 10 MiB).
    pub max_file_size: Option<u64>,
    /// Do not use the built-in path and placeholder allow rules.
    pub no_default_allow: bool,
}

/// One secret found in one file. The secret itself is never kept: only `redacted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretFinding {
    /// Id of the rule that matched.
    pub rule_id: String,
    /// The rule's title.
    pub title: String,
    /// The rule's severity.
    pub severity: Severity,
    /// Absolute path of the file.
    pub path: String,
    /// 1-based line of the secret's first character.
    pub line: usize,
    /// The secret with all but its first four and last two characters masked.
    pub redacted: String,
}

struct Rule {
    spec: RuleSpec,
    regex: Regex,
    allow: Vec<Regex>,
    path: Option<Regex>,
}

struct Allow {
    regex: Option<Regex>,
    path: Option<Regex>,
    rules: Vec<String>,
}

impl Allow {
    fn applies(&self, rule: &str) -> bool {
        self.rules.is_empty() || self.rules.iter().any(|r| r == rule)
    }
}

/// Compiled rules plus the keyword automaton; build once, scan many files.
pub struct SecretScanner {
    rules: Vec<Rule>,
    automaton: AhoCorasick,
    /// Keyword pattern index → rules that keyword triggers.
    keyword_rules: Vec<Vec<usize>>,
    allow: Vec<Allow>,
    max_file_size: u64,
    fingerprint: String,
}

impl std::fmt::Debug for SecretScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretScanner")
            .field("rules", &self.rules.len())
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

fn compile(rule: &str, re: &str) -> Result<Regex, SecretsError> {
    RegexBuilder::new(re)
        .unicode(false)
        .size_limit(32 << 20)
        .build()
        .map_err(|source| SecretsError::BadRegex {
            rule: rule.to_string(),
            source,
        })
}

impl SecretScanner {
    /// The built-in rules and allow rules.
    pub fn new() -> Result<Self, SecretsError> {
        Self::with_config(&SecretsConfig::default())
    }

    /// The built-in rules adjusted by the user's config.
    pub fn with_config(config: &SecretsConfig) -> Result<Self, SecretsError> {
        let mut specs: Vec<RuleSpec> = rules::builtin()
            .into_iter()
            .filter(|r| !config.disable.contains(&r.id))
            .collect();
        let mut user_ids = HashSet::new();
        for r in &config.rules {
            if !user_ids.insert(r.id.clone()) {
                return Err(SecretsError::Duplicate { rule: r.id.clone() });
            }
            specs.retain(|b| b.id != r.id);
            specs.push(r.clone());
        }
        let mut allow_specs: Vec<AllowSpec> = if config.no_default_allow {
            Vec::new()
        } else {
            rules::default_allow()
        };
        allow_specs.extend(config.allow.iter().cloned());
        let mut rules = Vec::with_capacity(specs.len());
        let mut keywords: Vec<String> = Vec::new();
        let mut by_keyword: BTreeMap<String, usize> = BTreeMap::new();
        let mut keyword_rules: Vec<Vec<usize>> = Vec::new();
        for mut spec in specs {
            if spec.title.is_empty() {
                spec.title = spec.id.clone();
            }
            let kws: Vec<String> = spec
                .keywords
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .filter(|k| !k.is_empty())
                .collect();
            if kws.is_empty() {
                return Err(SecretsError::NoKeywords { rule: spec.id });
            }
            let idx = rules.len();
            for k in kws {
                let p = *by_keyword.entry(k.clone()).or_insert_with(|| {
                    keywords.push(k);
                    keyword_rules.push(Vec::new());
                    keyword_rules.len() - 1
                });
                if !keyword_rules[p].contains(&idx) {
                    keyword_rules[p].push(idx);
                }
            }
            let regex = compile(&spec.id, &spec.regex)?;
            let allow = spec
                .allow
                .iter()
                .map(|a| compile(&spec.id, a))
                .collect::<Result<_, _>>()?;
            let path = spec.path.as_deref().map(|p| compile(&spec.id, p)).transpose()?;
            rules.push(Rule {
                spec,
                regex,
                allow,
                path,
            });
        }
        let allow = allow_specs
            .iter()
            .map(|a| {
                let name = format!("allow {}", a.id);
                Ok(Allow {
                    regex: a.regex.as_deref().map(|r| compile(&name, r)).transpose()?,
                    path: a.path.as_deref().map(|r| compile(&name, r)).transpose()?,
                    rules: a.rules.clone(),
                })
            })
            .collect::<Result<_, SecretsError>>()?;
        // A full DFA: the keyword search runs over every text file, so its speed matters
        // more than the automaton's size (a few MiB for the built-in keywords).
        let automaton = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&keywords)
            .map_err(|e| SecretsError::Prefilter(e.to_string()))?;
        let max_file_size = config.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
        let user = serde_json::to_string(&(
            &config.rules,
            &config.allow,
            &config.disable,
            max_file_size,
            config.no_default_allow,
        ))
        .unwrap_or_default();
        let fingerprint = format!("secrets-{RULES_VERSION}-{:016x}", fnv1a(user.as_bytes()));
        Ok(SecretScanner {
            rules,
            automaton,
            keyword_rules,
            allow,
            max_file_size,
            fingerprint,
        })
    }

    /// Number of rules in use.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The rules in use, in definition order.
    pub fn rules(&self) -> impl Iterator<Item = &RuleSpec> {
        self.rules.iter().map(|r| &r.spec)
    }

    /// Largest file scanned, in bytes.
    pub fn max_file_size(&self) -> u64 {
        self.max_file_size
    }

    /// Stable name of the rules and settings, for cache keys.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// True when the path is skipped by an allow rule that applies to every rule.
    fn path_skipped(&self, path: &str) -> bool {
        self.allow.iter().any(|a| {
            a.rules.is_empty() && a.regex.is_none() && a.path.as_ref().is_some_and(|p| p.is_match(path.as_bytes()))
        })
    }

    /// Finds the secrets in one file's content. Binary content, files over the size limit
    /// and allow-listed paths give nothing.
    pub fn scan(&self, path: &str, content: &[u8]) -> Vec<SecretFinding> {
        if content.len() as u64 > self.max_file_size || is_binary(content) || self.path_skipped(path) {
            return Vec::new();
        }
        // (rule, secret start, secret end, where its line is counted from)
        let mut hits: Vec<(usize, usize, usize, usize)> = Vec::new();
        let mut windows: HashSet<(usize, usize)> = HashSet::new();
        let mut starts: HashSet<(usize, usize)> = HashSet::new();
        for m in self.automaton.find_overlapping_iter(content) {
            for &ri in &self.keyword_rules[m.pattern().as_usize()] {
                let rule = &self.rules[ri];
                if let Some(p) = &rule.path {
                    if !p.is_match(path.as_bytes()) {
                        continue;
                    }
                }
                let (ws, we) = if rule.spec.multiline {
                    let lo = m.start().saturating_sub(LINE_REACH);
                    (
                        line_start(content, lo, m.start()),
                        (m.end() + BLOCK_REACH).min(content.len()),
                    )
                } else {
                    let lo = m.start().saturating_sub(LINE_REACH);
                    let hi = (m.end() + LINE_REACH).min(content.len());
                    (line_start(content, lo, m.start()), line_end(content, m.end(), hi))
                };
                if !windows.insert((ri, ws)) {
                    continue;
                }
                let window = &content[ws..we];
                for caps in rule.regex.captures_iter(window) {
                    let Some(g) = (1..caps.len()).find_map(|i| caps.get(i)).or_else(|| caps.get(0)) else {
                        continue;
                    };
                    let (s, e) = (ws + g.start(), ws + g.end());
                    if s == e || !starts.insert((ri, s)) {
                        continue;
                    }
                    if self.allowed(rule, path, content, s, e) {
                        continue;
                    }
                    // A block (PEM, JSON) is reported at its first line, e.g. the header.
                    let at = if rule.spec.multiline {
                        caps.get(0).map_or(s, |m| ws + m.start())
                    } else {
                        s
                    };
                    hits.push((ri, s, e, at));
                }
            }
        }
        // Catch-all rules give way to specific ones on the same text.
        let specific: Vec<(usize, usize)> = hits
            .iter()
            .filter(|(ri, ..)| !self.rules[*ri].spec.generic)
            .map(|&(_, s, e, _)| (s, e))
            .collect();
        hits.retain(|&(ri, s, e, _)| !self.rules[ri].spec.generic || !specific.iter().any(|&(a, b)| s < b && a < e));
        hits.sort_by_key(|&(ri, s, _, at)| (at, s, ri));
        let mut line = 1;
        let mut pos = 0;
        let mut out = Vec::with_capacity(hits.len());
        for (ri, s, e, at) in hits {
            line += content[pos..at].iter().filter(|&&b| b == b'\n').count();
            pos = at;
            let rule = &self.rules[ri].spec;
            out.push(SecretFinding {
                rule_id: rule.id.clone(),
                title: rule.title.clone(),
                severity: rule.severity,
                path: path.to_string(),
                line,
                redacted: redact(&String::from_utf8_lossy(&content[s..e])),
            });
        }
        out
    }

    fn allowed(&self, rule: &Rule, path: &str, content: &[u8], s: usize, e: usize) -> bool {
        let secret = &content[s..e];
        if let Some(min) = rule.spec.entropy {
            if entropy(secret) < min {
                return true;
            }
        }
        let ls = line_start(content, s.saturating_sub(LINE_REACH), s);
        let le = line_end(content, s, (s + LINE_REACH).min(content.len()));
        let line = &content[ls..le.max(ls)];
        if rule.allow.iter().any(|a| a.is_match(secret) || a.is_match(line)) {
            return true;
        }
        self.allow.iter().filter(|a| a.applies(&rule.spec.id)).any(|a| {
            let path_ok = a.path.as_ref().is_none_or(|p| p.is_match(path.as_bytes()));
            let re_ok = a.regex.as_ref().is_none_or(|r| r.is_match(secret) || r.is_match(line));
            path_ok && re_ok && (a.path.is_some() || a.regex.is_some())
        })
    }
}

/// Start of the line holding `at`, looking back no further than `lo`.
fn line_start(content: &[u8], lo: usize, at: usize) -> usize {
    content[lo..at]
        .iter()
        .rposition(|&b| b == b'\n')
        .map(|p| lo + p + 1)
        .unwrap_or(lo)
}

/// End of the line holding `at` (exclusive, before the newline), looking no further than `hi`.
fn line_end(content: &[u8], at: usize, hi: usize) -> usize {
    content[at..hi]
        .iter()
        .position(|&b| b == b'\n')
        .map(|p| at + p)
        .unwrap_or(hi)
}

/// True when the first 8 KiB hold a NUL byte.
pub fn is_binary(content: &[u8]) -> bool {
    content[..content.len().min(SNIFF)].contains(&0)
}

/// Shannon entropy in bits per byte.
pub fn entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0usize; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

/// Masks a secret: at most the first four and last two characters stay, every other
/// character becomes `*` (at most 16 of them), never longer than the secret.
pub fn redact(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().filter(|c| !c.is_whitespace()).collect();
    let n = chars.len();
    let (head, tail) = match n {
        0..=7 => (0, 0),
        8..=15 => (2, 0),
        _ => (4, 2),
    };
    let stars = (n - head - tail).min(16);
    let mut out: String = chars[..head].iter().collect();
    out.extend(std::iter::repeat_n('*', stars));
    out.extend(chars[n - tail..].iter());
    out
}

fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_few_characters() {
        assert_eq!(redact("AKIADLNNOHPFHHOALBPC"), "AKIA**************PC");
        assert_eq!(redact("abcdefghij"), "ab********");
        assert_eq!(redact("abc"), "***");
        let long = "a".repeat(100);
        assert_eq!(redact(&long).len(), 22);
    }

    #[test]
    fn entropy_of_uniform_text() {
        assert_eq!(entropy(b"aaaa"), 0.0);
        assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    }
}
