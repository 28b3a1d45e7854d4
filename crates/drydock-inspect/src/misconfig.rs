//! Misconfiguration checks. Work in progress.
