//! Running commands from the repository root.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The workspace root (the folder above `xtask/`).
///
/// `cargo run` names the manifest's folder at run time; the path compiled in
/// is only the fallback. Two checkouts sharing one `CARGO_TARGET_DIR` share
/// one xtask binary, which cargo does not rebuild for the other checkout, so
/// the compiled-in path sent one checkout's `cargo xtask` to the other's tree.
pub fn root() -> PathBuf {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .filter(|dir| dir.join("Cargo.toml").is_file())
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest.parent().map(PathBuf::from).unwrap_or(manifest)
}

/// `cargo`, as the one running us; it compiles the workspace's crates with
/// clippy's lints once [`lint_every_build`] has been called.
pub fn cargo() -> Command {
    let mut c = Command::new(cargo_path());
    c.current_dir(root());
    with_lints(&mut c);
    c
}

fn cargo_path() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string())
}

/// Set once by `xtask test`: the clippy driver every later build uses.
static LINTING_DRIVER: OnceLock<PathBuf> = OnceLock::new();

/// From now on, every cargo command xtask runs (and any build tool it runs
/// that calls cargo, given [`with_lints`]) compiles the workspace's crates
/// with clippy's driver and `-D warnings`, which is what `cargo clippy` does,
/// but building instead of only checking. The suite then compiles every
/// dependency once, for the tests, and not a second time in check mode for
/// the lints (a cold CI run spent 11 of its 47 minutes on that).
pub fn lint_every_build() -> Result<(), String> {
    // clippy-driver sits beside the toolchain's cargo; rustup's proxy on the
    // PATH is the fallback.
    let beside = PathBuf::from(cargo_path()).with_file_name("clippy-driver");
    let driver = if beside.is_file() {
        beside
    } else if have("clippy-driver") {
        PathBuf::from("clippy-driver")
    } else {
        return Err("clippy-driver not found (rustup component add clippy)".into());
    };
    let _ = LINTING_DRIVER.set(driver);
    Ok(())
}

/// Adds clippy's driver to a command that runs cargo, once
/// [`lint_every_build`] has been called. Cargo keys the workspace's build
/// results on the wrapper and its arguments, so every build of one run must
/// carry the same ones or it compiles the workspace's crates again.
pub fn with_lints(command: &mut Command) {
    if let Some(driver) = LINTING_DRIVER.get() {
        command
            .env("RUSTC_WORKSPACE_WRAPPER", driver)
            // How `cargo clippy -- -D warnings` hands its arguments on.
            .env(
                "CLIPPY_ARGS",
                "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
            );
    }
}

/// Where cargo writes what it builds: `$CARGO_TARGET_DIR`, else `target/`.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// Builds the CLI, `tanba` and the `tanba-full` it hands audio, video and
/// folders to (so not `cargo run --bin tanba`, which would build only the
/// first), and returns the path of `tanba`.
pub fn build_cli(release: bool) -> Result<PathBuf, String> {
    let mut build = cargo();
    build.args(["build", "--quiet", "--package", "tanba-cli", "--bins"]);
    if release {
        build.arg("--release");
    }
    exec(build)?;
    let profile = if release { "release" } else { "debug" };
    Ok(target_dir().join(profile).join("tanba"))
}

/// Runs a command, echoing it; fails with its exit status.
pub fn exec(mut command: Command) -> Result<(), String> {
    let shown = format!("{command:?}").replace('"', "");
    eprintln!("$ {shown}");
    let status = command
        .status()
        .map_err(|e| format!("cannot run {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// Whether a program is on the PATH.
pub fn have(program: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|p| p.join(program).is_file()))
        .unwrap_or(false)
}
