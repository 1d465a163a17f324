//! `tanba-full`: the `tanba` command with every labeler of the build linked
//! in, FFmpeg's included. `tanba` hands it what it cannot label itself; it
//! can also be run directly.

use std::process::ExitCode;

fn main() -> ExitCode {
    tanba_cli::run(tanba_cli::Linked::ALL)
}
