//! Matching: every package of an SBOM against the vulnerability database. Work in progress.
