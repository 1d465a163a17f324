//! `cargo xtask test`: the whole suite, as CI runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup::{self, Need};
use crate::util::{cargo, exec, have, root, target_dir};

/// Setup, formatting, tidy, lints, every test, an end-to-end run over the
/// fixtures whose every output must verify, and the Python wheel's suite.
pub fn run() -> Result<(), String> {
    setup::run(Need::Test)?;
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    crate::util::exec(fmt)?;
    crate::tidy::run()?;
    // Clippy's lints run while the tests are built (see `lint_every_build`):
    // every target, benches and examples included, as `cargo clippy
    // --all-targets` would check them.
    crate::util::lint_every_build()?;
    let mut build = cargo();
    build.args([
        "test",
        "--workspace",
        "--all-targets",
        "--no-run",
        "--quiet",
    ]);
    crate::util::exec(build)?;
    // The lean CLI (no FFmpeg) must keep building: its media options are
    // behind cargo features that the default build does not exercise. A
    // check, not a build: its feature sets compile serde, syn and the
    // tanba crates anew, which checking does in a quarter of the time
    // (37 s against 2 min 43 s).
    let mut lean = cargo();
    lean.args([
        "clippy",
        "--package",
        "tanba-cli",
        "--no-default-features",
        "--features",
        "pdf,image",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]);
    crate::util::exec(lean)?;
    let mut test = cargo();
    test.args(["test", "--workspace", "--no-fail-fast"]);
    crate::util::exec(test)?;
    fixtures_end_to_end()?;
    crate::python::run(&tested_cli()?)?;
    c2patool_reads_our_credentials()
}

/// The `tanba` CLI the tests ran, as `cargo test` left it in the target
/// folder. A `cargo build --package tanba-cli` here would compile the
/// workspace's crates again (two minutes cold): cargo unifies features over
/// the packages a command selects, so one package alone gets other feature
/// sets than the whole workspace's test build.
fn tested_cli() -> Result<PathBuf, String> {
    let cli = target_dir().join("debug").join("tanba");
    if cli.is_file() {
        Ok(cli)
    } else {
        Err(format!("the test build left no CLI at {}", cli.display()))
    }
}

/// The `tanba` CLI the tests ran.
fn tanba() -> Result<Command, String> {
    Ok(Command::new(tested_cli()?))
}

/// A clean scratch folder under target/.
fn scratch(name: &str) -> Result<PathBuf, String> {
    let dir = root().join("target").join(name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir)
            .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    Ok(dir)
}

/// Labels every fixture with the real CLI into a scratch folder, then
/// verifies every output with `tanba verify` (non-zero exit if any lacks a mark).
fn fixtures_end_to_end() -> Result<(), String> {
    let out = scratch("xtask-fixtures")?;
    let mut label = tanba()?;
    label.args(["label", "--quiet"]);
    label.arg(root().join("fixtures")).arg("--out").arg(&out);
    exec(label)?;
    let mut outputs = Vec::new();
    collect(&out, &mut outputs)?;
    if outputs.is_empty() {
        return Err("labelling the fixtures produced no output".into());
    }
    let mut verify = tanba()?;
    verify.arg("verify");
    verify.args(&outputs);
    exec(verify)?;
    eprintln!("xtask test: {} labelled fixtures verified", outputs.len());
    Ok(())
}

/// The C2PA reference tool, when installed, validates the Content
/// Credentials Tanba embeds in every fixture (trusted against the test CA)
/// and rejects a copy with one byte of the picture changed. It is not
/// installed by setup: building it takes longer than the rest of the suite
/// (`cargo install c2patool --version 0.27.22 --locked`).
fn c2patool_reads_our_credentials() -> Result<(), String> {
    if !have("c2patool") {
        eprintln!(
            "xtask test: c2patool not installed; the C2PA reference check is skipped \
             (cargo install c2patool --version 0.27.22 --locked)"
        );
        return Ok(());
    }
    let dir = scratch("xtask-c2pa")?;
    let keys = dir.join("keys");
    let out = dir.join("out");
    let mut new_keys = tanba()?;
    new_keys.args(["keys", "new"]).arg(&keys);
    exec(new_keys)?;
    let mut label = tanba()?;
    label.args(["label", "--quiet", "--c2pa-cert"]);
    label
        .arg(keys.join("signing-cert-chain.pem"))
        .arg("--c2pa-key")
        .arg(keys.join("signing-key.pem"))
        .arg(root().join("fixtures"))
        .arg("--out")
        .arg(&out);
    exec(label)?;
    let mut outputs = Vec::new();
    collect(&out, &mut outputs)?;
    // PDF carries its credentials in a .c2pa sidecar, which c2patool reads
    // only beside an asset it can parse.
    outputs.retain(|p| !matches!(p.extension().and_then(|e| e.to_str()), Some("pdf" | "c2pa")));
    let anchors = keys.join("UNTRUSTED-test-ca.pem");
    let state = |file: &Path| -> Result<String, String> {
        let shown = format!(
            "c2patool {} trust --trust_anchors {}",
            file.display(),
            anchors.display()
        );
        let output = Command::new("c2patool")
            .arg(file)
            .args(["trust", "--trust_anchors"])
            .arg(&anchors)
            .output()
            .map_err(|e| format!("cannot run {shown}: {e}"))?;
        let json = String::from_utf8_lossy(&output.stdout);
        // The one field needed; xtask stays free of a JSON library.
        let state = json
            .split("\"validation_state\"")
            .nth(1)
            .and_then(|rest| rest.split('"').nth(1))
            .unwrap_or("absent")
            .to_string();
        Ok(state)
    };
    let mut checked = 0;
    for file in &outputs {
        let got = state(file)?;
        if got != "Trusted" {
            return Err(format!(
                "c2patool: {}: validation state {got}, expected Trusted",
                file.display()
            ));
        }
        checked += 1;
    }
    let jpeg = outputs
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "jpg"))
        .ok_or("no labelled JPEG among the fixtures")?;
    let mut bytes = std::fs::read(jpeg).map_err(|e| format!("{}: {e}", jpeg.display()))?;
    // A byte of entropy-coded picture data, well before the end marker.
    let at = bytes.len().saturating_sub(200);
    if let Some(b) = bytes.get_mut(at) {
        *b ^= 1;
    }
    let tampered = dir.join("tampered.jpg");
    std::fs::write(&tampered, &bytes).map_err(|e| format!("{}: {e}", tampered.display()))?;
    let got = state(&tampered)?;
    if got != "Invalid" {
        return Err(format!(
            "c2patool: a JPEG with one changed byte reads as {got}, expected Invalid"
        ));
    }
    eprintln!(
        "xtask test: c2patool trusts the credentials of {checked} labelled fixtures and rejects a changed JPEG"
    );
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
