//! `cargo xtask fuzz [TARGET] [--seconds N] [--cmin]`: runs the
//! coverage-guided fuzz targets of `fuzz/` (cargo-fuzz, libFuzzer, on the
//! nightly toolchain), one or all, and reports the crashes they store in
//! `fuzz/artifacts/TARGET/`. docs/fuzzing.md says how to turn a crash
//! into a fix and a regression file.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{exec, root};

/// Seconds per target when `--seconds` is not given.
const DEFAULT_SECONDS: u64 = 60;

/// libFuzzer's budget for one input. 2048 MB of resident memory: the
/// fuzz targets' limits admit 1 MB inputs and 512 × 512 pictures, which
/// label in tens of MB; an input that makes the process hold 2 GB is an
/// allocation bomb, a finding. 10 s: an input labels in milliseconds to a
/// few hundred at those limits, so ten seconds is far past any linear
/// path even on a loaded machine, and a quadratic one blows through it.
const BUDGET: [&str; 2] = ["-rss_limit_mb=2048", "-timeout=10"];

/// What the command line asked for.
struct Request {
    targets: Vec<String>,
    seconds: u64,
    cmin: bool,
}

/// Runs the request; fails when a target found a crash or did not build.
pub fn run(args: &[String]) -> Result<(), String> {
    let request = parse(args)?;
    ensure_cargo_fuzz()?;
    let mut failed = Vec::new();
    for target in &request.targets {
        let result = if request.cmin {
            minimise(target)
        } else {
            fuzz(target, request.seconds)
        };
        if let Err(e) = result {
            eprintln!("xtask fuzz: {target}: {e}");
            failed.push(target.as_str());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} targets failed: {}; crashes are under fuzz/artifacts/",
            failed.len(),
            request.targets.len(),
            failed.join(", ")
        ))
    }
}

/// Reads `[TARGET] [--seconds N] [--cmin]`.
fn parse(args: &[String]) -> Result<Request, String> {
    let all = targets()?;
    let mut request = Request {
        targets: Vec::new(),
        seconds: DEFAULT_SECONDS,
        cmin: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                request.seconds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--seconds takes a positive whole number")?;
            }
            "--cmin" => request.cmin = true,
            name if all.iter().any(|t| t == name) => request.targets.push(name.to_string()),
            other => {
                return Err(format!(
                    "unknown fuzz target or option {other:?}; targets: {}",
                    all.join(" ")
                ));
            }
        }
    }
    if request.targets.is_empty() {
        request.targets = all;
    }
    Ok(request)
}

/// The fuzz targets: the files of `fuzz/fuzz_targets/`.
fn targets() -> Result<Vec<String>, String> {
    let dir = fuzz_dir().join("fuzz_targets");
    let entries =
        std::fs::read_dir(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut names: Vec<String> = entries
        .filter_map(|e| {
            let path = e.ok()?.path();
            (path.extension()? == "rs").then_some(path.file_stem()?.to_str()?.to_string())
        })
        .collect();
    names.sort();
    Ok(names)
}

fn fuzz_dir() -> PathBuf {
    root().join("fuzz")
}

/// `cargo +nightly fuzz …` from the repository root, with the build in
/// `$CARGO_TARGET_DIR` when set (cargo-fuzz's own flag; the variable alone
/// would not tell it where to find the binaries).
fn cargo_fuzz(subcommand: &str, target: &str) -> Command {
    let mut c = Command::new("cargo");
    // `cargo xtask` runs under the stable toolchain, whose variables
    // would otherwise pin the nested cargo to it.
    for var in ["CARGO", "RUSTC", "RUSTDOC", "RUSTUP_TOOLCHAIN"] {
        c.env_remove(var);
    }
    c.current_dir(root());
    // No sanitizer: the fuzzed code is safe Rust (unsafe lives only in
    // the FFmpeg and libheif bindings, which these targets do not link),
    // so ASan would find nothing and halve the executions per second.
    c.args(["+nightly", "fuzz", subcommand, "--sanitizer", "none"]);
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        c.arg("--target-dir").arg(dir);
    }
    c.arg(target);
    c
}

/// Fuzzes `target` for `seconds` from its corpus, with its dictionary.
fn fuzz(target: &str, seconds: u64) -> Result<(), String> {
    let artifacts = fuzz_dir().join("artifacts").join(target);
    std::fs::create_dir_all(&artifacts)
        .map_err(|e| format!("cannot create {}: {e}", artifacts.display()))?;
    let before = count_files(&artifacts);
    let mut c = cargo_fuzz("run", target);
    c.arg("--").args(BUDGET);
    c.arg(format!("-max_total_time={seconds}"));
    c.arg("-print_final_stats=1");
    let dict = fuzz_dir().join("dict").join(format!("{target}.dict"));
    if dict.is_file() {
        c.arg(format!("-dict={}", dict.display()));
    }
    let ran = exec(c);
    let found = count_files(&artifacts).saturating_sub(before);
    if found > 0 {
        return Err(format!(
            "{found} new crash file(s) in {}: fix each, and keep it there for \
             the replay test (docs/fuzzing.md)",
            artifacts.display()
        ));
    }
    ran
}

/// Shrinks `target`'s corpus to the files that reach distinct coverage.
fn minimise(target: &str) -> Result<(), String> {
    exec(cargo_fuzz("cmin", target))
}

fn count_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

/// Installs cargo-fuzz with `cargo install` when it is missing, as setup
/// installs the system packages; the nightly toolchain must be there.
fn ensure_cargo_fuzz() -> Result<(), String> {
    let mut nightly = Command::new("rustup");
    nightly.args(["run", "nightly", "rustc", "--version"]);
    if !nightly.output().is_ok_and(|o| o.status.success()) {
        return Err("the nightly toolchain is missing (libFuzzer needs it): \
             rustup toolchain install nightly --profile minimal"
            .into());
    }
    let mut probe = Command::new("cargo");
    probe.args(["fuzz", "--version"]);
    if probe.output().is_ok_and(|o| o.status.success()) {
        return Ok(());
    }
    let mut install = Command::new("cargo");
    install.args(["install", "cargo-fuzz", "--locked"]);
    exec(install)
}
