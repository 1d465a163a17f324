//! `cargo xtask bench`: criterion benches and the side-by-side run against
//! the peer tools.

use crate::setup::{self, Need};
use crate::util::{cargo, exec};

/// Runs the criterion benches (`--quick`: a short measurement).
pub fn run(args: &[String]) -> Result<(), String> {
    setup::run(Need::Everything)?;
    let quick = args.iter().any(|a| a == "--quick");
    let mut bench = cargo();
    bench.args(["bench", "--package", "tanba-benches"]);
    if quick {
        bench.args(["--", "--warm-up-time", "1", "--measurement-time", "3"]);
    }
    exec(bench)
}
