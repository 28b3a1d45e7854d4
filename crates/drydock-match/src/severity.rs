//! Qualitative severity of a finding: the highest of its CVSS base scores and vendor ratings.

use drydock_vulndb::Severity;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Severity levels, lowest first (so `Ord` ranks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SeverityLevel {
    /// No rating known.
    #[default]
    Unknown,
    /// Rated, but of no practical concern (CVSS 0.0, Debian "unimportant").
    Negligible,
    /// CVSS 0.1–3.9 or vendor "low".
    Low,
    /// CVSS 4.0–6.9 or vendor "medium"/"moderate".
    Medium,
    /// CVSS 7.0–8.9 or vendor "high"/"important".
    High,
    /// CVSS 9.0–10.0 or vendor "critical".
    Critical,
}

impl SeverityLevel {
    /// The level of a CVSS base score (CVSS v3/v4 qualitative ranges).
    pub fn from_score(score: f32) -> SeverityLevel {
        match score {
            s if !s.is_finite() || s < 0.0 => SeverityLevel::Unknown,
            s if s >= 9.0 => SeverityLevel::Critical,
            s if s >= 7.0 => SeverityLevel::High,
            s if s >= 4.0 => SeverityLevel::Medium,
            s if s > 0.0 => SeverityLevel::Low,
            _ => SeverityLevel::Negligible,
        }
    }

    /// The level of a vendor's word (`HIGH`, `Important`, `moderate`, `unimportant`, …).
    pub fn from_word(word: &str) -> SeverityLevel {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => SeverityLevel::Critical,
            "high" | "important" => SeverityLevel::High,
            "medium" | "moderate" => SeverityLevel::Medium,
            "low" => SeverityLevel::Low,
            "negligible" | "unimportant" | "minor" | "none" | "info" | "informational" => SeverityLevel::Negligible,
            _ => SeverityLevel::Unknown,
        }
    }

    /// The level of one rating: its score when it has one, else its vendor word.
    pub fn of(s: &Severity) -> SeverityLevel {
        match s.score {
            Some(score) => SeverityLevel::from_score(score),
            None if s.kind.to_ascii_uppercase().starts_with("CVSS") => SeverityLevel::Unknown,
            None => SeverityLevel::from_word(&s.value),
        }
    }

    /// The highest level of several ratings (`Unknown` when there are none).
    pub fn highest<'a>(ratings: impl IntoIterator<Item = &'a Severity>) -> SeverityLevel {
        ratings.into_iter().map(SeverityLevel::of).max().unwrap_or_default()
    }

    /// The capitalised name (`Critical`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SeverityLevel::Unknown => "Unknown",
            SeverityLevel::Negligible => "Negligible",
            SeverityLevel::Low => "Low",
            SeverityLevel::Medium => "Medium",
            SeverityLevel::High => "High",
            SeverityLevel::Critical => "Critical",
        }
    }
}

impl fmt::Display for SeverityLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SeverityLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Ok(SeverityLevel::Critical),
            "high" => Ok(SeverityLevel::High),
            "medium" => Ok(SeverityLevel::Medium),
            "low" => Ok(SeverityLevel::Low),
            "negligible" => Ok(SeverityLevel::Negligible),
            "unknown" => Ok(SeverityLevel::Unknown),
            other => Err(format!(
                "unknown severity {other:?}; use one of: critical, high, medium, low, negligible, unknown"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sev(kind: &str, value: &str, score: Option<f32>) -> Severity {
        Severity {
            kind: kind.into(),
            value: value.into(),
            score,
            source: String::new(),
        }
    }

    #[test]
    fn levels() {
        assert_eq!(SeverityLevel::from_score(9.8), SeverityLevel::Critical);
        assert_eq!(SeverityLevel::from_score(7.0), SeverityLevel::High);
        assert_eq!(SeverityLevel::from_score(6.9), SeverityLevel::Medium);
        assert_eq!(SeverityLevel::from_score(0.1), SeverityLevel::Low);
        assert_eq!(SeverityLevel::from_score(0.0), SeverityLevel::Negligible);
        assert_eq!(SeverityLevel::from_word("Important"), SeverityLevel::High);
        assert_eq!(SeverityLevel::from_word("unimportant"), SeverityLevel::Negligible);
        assert_eq!(SeverityLevel::from_word("not yet assigned"), SeverityLevel::Unknown);
        let ratings = [
            sev("vendor", "low", None),
            sev("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", Some(7.5)),
        ];
        assert_eq!(SeverityLevel::highest(&ratings), SeverityLevel::High);
        assert_eq!(SeverityLevel::highest(&[]), SeverityLevel::Unknown);
        assert!(SeverityLevel::Critical > SeverityLevel::High && SeverityLevel::Negligible > SeverityLevel::Unknown);
    }
}
