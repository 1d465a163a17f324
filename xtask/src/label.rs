//! `cargo xtask label`: label the bundled fixtures into `out/`.

use std::process::Command;

use crate::setup::{self, Need};
use crate::util::{build_cli, exec, root};

/// Builds the CLI and labels `fixtures/` into `out/`; extra arguments go to
/// `tanba label` (and replace the defaults when they name inputs).
pub fn run(args: &[String]) -> Result<(), String> {
    setup::run(Need::Build)?;
    let mut command = Command::new(build_cli(false)?);
    command.arg("label");
    if args.is_empty() {
        let root = root();
        command
            .arg(root.join("fixtures"))
            .arg("--out")
            .arg(root.join("out"));
        command
            .arg("--report")
            .arg(root.join("out").join("report.json"));
    } else {
        command.args(args);
    }
    exec(command)?;
    if args.is_empty() {
        eprintln!("xtask label: labelled files are in out/, the report in out/report.json");
    }
    Ok(())
}
