//! `cargo xtask test`'s Python step: builds the `tanba` wheel with maturin,
//! installs it into a fresh virtual environment and runs the pytest suite
//! of crates/tanba-py/tests against it, with the built `tanba` command for
//! the cross-check.
//!
//! Two virtual environments under the target folder: `tools` (maturin and
//! pytest, from the package index, kept between runs) and `fresh`, made
//! anew every run, so the wheel is proven to install on its own.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{exec, root, target_dir, with_lints};

/// The build tools, from the package index (maturin >= 1.9.4 sets
/// `PYO3_BUILD_EXTENSION_MODULE`, so the module does not link libpython).
const TOOLS: &[&str] = &["maturin>=1.9.4,<2", "pytest"];
/// What the tests import besides the wheel.
const TEST_DEPS: &[&str] = &["pytest", "Pillow"];

/// The whole step, with `tanba` the CLI for the cross-check; prints how
/// long it took.
pub fn run(tanba: &Path) -> Result<(), String> {
    let started = std::time::Instant::now();
    let work = target_dir().join("xtask-py");
    let tools = venv(&work.join("tools"), false)?;
    install(&tools, TOOLS)?;
    let wheel = build_wheel(&tools, &work.join("wheels"))?;
    let fresh = venv(&work.join("fresh"), true)?;
    install(&fresh, TEST_DEPS)?;
    let mut wheel_args = vec!["--no-deps".to_string()];
    wheel_args.push(wheel.display().to_string());
    let refs: Vec<&str> = wheel_args.iter().map(String::as_str).collect();
    install(&fresh, &refs)?;
    let mut pytest = Command::new(fresh.join("bin/python"));
    pytest
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(root().join("crates/tanba-py/tests"))
        .env("TANBA_CLI", tanba)
        // The tests must import the installed wheel, not the source tree.
        .current_dir(&work);
    exec(pytest)?;
    let size = std::fs::metadata(&wheel).map_or(0, |m| m.len());
    eprintln!(
        "xtask test: the tanba wheel ({}, {:.1} MB) passed its pytest suite in a fresh \
         virtual environment; the Python step took {:.0} s",
        wheel.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
        size as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A virtual environment at `dir` (made anew when `fresh`); its folder.
fn venv(dir: &Path, fresh: bool) -> Result<PathBuf, String> {
    if fresh && dir.exists() {
        std::fs::remove_dir_all(dir).map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
    }
    if !dir.join("bin/python").is_file() {
        let mut make = Command::new("python3");
        make.args(["-m", "venv"]).arg(dir);
        exec(make).map_err(|e| {
            format!(
                "{e}\n(a virtual environment needs Python's venv: apt-get install python3-venv)"
            )
        })?;
    }
    Ok(dir.to_path_buf())
}

/// `pip install` into a virtual environment, quietly.
fn install(venv: &Path, what: &[&str]) -> Result<(), String> {
    let mut pip = Command::new(venv.join("bin/python"));
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
    ])
    .args(what);
    exec(pip)
}

/// `maturin build` of crates/tanba-py into `out` (cleared first); the
/// wheel's path. The dev profile reuses what the rest of the suite built
/// (dependencies are optimised in it, see the workspace Cargo.toml); a
/// release wheel is `maturin build --release` (crates/tanba-py/README.md).
fn build_wheel(tools: &Path, out: &Path) -> Result<PathBuf, String> {
    if out.exists() {
        std::fs::remove_dir_all(out).map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    let mut maturin = Command::new(tools.join("bin/maturin"));
    maturin
        .args(["build", "--quiet", "--profile", "dev", "--manifest-path"])
        .arg(root().join("crates/tanba-py/Cargo.toml"))
        .arg("--out")
        .arg(out)
        .env("CARGO_TARGET_DIR", target_dir());
    with_lints(&mut maturin);
    exec(maturin)?;
    let wheel = std::fs::read_dir(out)
        .map_err(|e| format!("{}: {e}", out.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.extension().is_some_and(|x| x == "whl"))
        .ok_or_else(|| format!("maturin wrote no wheel into {}", out.display()))?;
    Ok(wheel)
}
