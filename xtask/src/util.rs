//! Running commands from the repository root.

use std::path::PathBuf;
use std::process::Command;

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

/// `cargo`, as the one running us.
pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string()));
    c.current_dir(root());
    c
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
