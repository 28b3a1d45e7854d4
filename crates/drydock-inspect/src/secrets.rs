//! Secret detection. Work in progress.
