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

/// Runs FFmpeg quietly (errors only, overwriting), failing the test with
/// its message when it fails: CI installs it, so a missing FFmpeg fails too.
pub fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y"])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("ffmpeg must be installed: {e}"));
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `tanba verify --json FILE EXTRA..`, its one row.
pub fn verify_json(file: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["verify", "--json", s(file)];
    args.extend(extra);
    let out = tanba(&args);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    rows.into_iter().next().unwrap()
}

/// Runs `tanba ARGS` under GNU time: its peak resident memory in MiB.
pub fn peak_mib(args: &[&str]) -> f64 {
    let out = Command::new("/usr/bin/time")
        .arg("-v")
        .arg(env!("CARGO_BIN_EXE_tanba"))
        .args(args)
        .output()
        .expect("GNU time is installed at /usr/bin/time");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "tanba {args:?}: {err}");
    let kib: f64 = err
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak in {err}"));
    kib / 1024.0
}

/// Runs `tool ARGS`, failing the test when it fails; its standard output.
pub fn tool_stdout(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is installed: {e}"));
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
