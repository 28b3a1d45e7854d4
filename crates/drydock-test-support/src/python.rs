//! The official validators of drydock's output formats, `scripts/validate-*.py` (JSON
//! schemas, cyclonedx, spdx-tools, sarif-tools), run through python3.

use std::path::{Path, PathBuf};
use std::process::Command;

/// True under `CI=true` (or any value but empty, `0` and `false`).
pub fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

/// The path of `scripts/NAME` in the workspace.
pub fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts").join(name)
}

/// Runs `scripts/NAME` on the files when python3 can import `modules` (`"jsonschema,
/// cyclonedx"`) and fails the test when it rejects them. A missing python3 or module skips
/// the check (saying so on stderr), except under CI=true, where it fails the test.
#[allow(clippy::panic)]
pub fn validate(name: &str, modules: &str, files: &[&Path]) {
    let probe = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output();
    match probe {
        Ok(o) if o.status.success() => {}
        other => {
            let why = match other {
                Ok(o) => String::from_utf8_lossy(&o.stderr)
                    .trim()
                    .lines()
                    .last()
                    .unwrap_or("")
                    .to_string(),
                Err(e) => format!("python3: {e}"),
            };
            assert!(
                !ci(),
                "CI=true but {name} cannot run ({why}); .ci/run installs its packages"
            );
            eprintln!("skipping {name}: {why}");
            return;
        }
    }
    let out = Command::new("python3")
        .arg(script(name))
        .args(files)
        .output()
        .unwrap_or_else(|e| panic!("python3 runs: {e}"));
    assert!(
        out.status.success(),
        "{name} rejected drydock's output:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
