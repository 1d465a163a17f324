//! `cargo xtask test`: the whole suite, as CI runs it.

use std::path::Path;

use crate::setup::{self, Need};
use crate::util::{cargo, exec, root};

/// Setup, formatting, lints, every test, and an end-to-end run over the
/// fixtures whose every output must verify.
pub fn run() -> Result<(), String> {
    setup::run(Need::Test)?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    crate::util::exec(fmt)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]);
    crate::util::exec(clippy)?;
    let mut test = cargo();
    test.args(["test", "--workspace", "--no-fail-fast"]);
    crate::util::exec(test)?;
    fixtures_end_to_end()
}

/// Labels every fixture with the real CLI into a scratch folder, then
/// verifies every output with `tanba verify` (non-zero exit if any lacks a mark).
fn fixtures_end_to_end() -> Result<(), String> {
    let out = root().join("target").join("xtask-fixtures");
    if out.exists() {
        std::fs::remove_dir_all(&out)
            .map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    let mut label = cargo();
    label.args([
        "run",
        "--quiet",
        "--package",
        "tanba-cli",
        "--bin",
        "tanba",
        "--",
        "label",
        "--quiet",
    ]);
    label.arg(root().join("fixtures")).arg("--out").arg(&out);
    exec(label)?;
    let mut outputs = Vec::new();
    collect(&out, &mut outputs)?;
    if outputs.is_empty() {
        return Err("labelling the fixtures produced no output".into());
    }
    let mut verify = cargo();
    verify.args([
        "run",
        "--quiet",
        "--package",
        "tanba-cli",
        "--bin",
        "tanba",
        "--",
        "verify",
    ]);
    verify.args(&outputs);
    exec(verify)?;
    eprintln!("xtask test: {} labelled fixtures verified", outputs.len());
    Ok(())
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(())
}
