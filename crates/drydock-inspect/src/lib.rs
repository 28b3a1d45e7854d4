//! Beyond packages: secrets left in layers, misconfiguration, file checks, content
//! search and retrieved files. Work in progress.

pub mod content;
pub mod misconfig;
pub mod secrets;
