//! What the CLI's test files share: running the built `tanba`, paths as
//! arguments, reading a report.
#![allow(dead_code, reason = "each test file uses its own share")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs the built `tanba` with no standard input.
pub fn tanba(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tanba"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A file of the repository's `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures")
        .join(rel)
}

/// A JSON report, parsed.
pub fn report(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}
