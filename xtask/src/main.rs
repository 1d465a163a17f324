//! `cargo xtask`: set up a machine, label the fixtures, run the suite.
//!
//! A plain binary with no dependencies (see `.cargo/config.toml` for the
//! alias), one module per subcommand.

mod assets;
mod bench;
mod fuzz;
mod label;
mod python;
mod setup;
mod test;
mod tidy;
mod util;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <command> [args]

commands:
  setup           check for the system packages the build and the tests need;
                  install the missing ones with apt-get (as root), or print the
                  exact command and fail
  label [ARGS]    label fixtures/ into out/ (ARGS go to `tanba label`)
  test            the whole suite: setup, fmt, tidy, clippy, tests, labelled fixtures verified,
                  the Python wheel built and tested in a fresh virtual environment
  python          only test's Python step: build the wheel, pytest it in a fresh venv
  tidy            check the docs against the code (feature tables, code map, cited
                  files, invariant tests) and the house rules (unsafe, long functions)
  bench [--quick] benchmarks side by side with ImageMagick, ffmpeg and qpdf
  bench watermark the watermark's robustness matrix (docs/benchmarks-watermark.md)
  fuzz [TARGET] [--seconds N] [--cmin]
                  run the fuzz targets of fuzz/ (all, or one) for N seconds each
                  (default 60) with cargo-fuzz on nightly, installing cargo-fuzz when
                  missing; crashes go to fuzz/artifacts/ (docs/fuzzing.md); --cmin
                  minimises the corpus instead
  assets          regenerate the bundled spoken disclaimers with espeak-ng and sox";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match command {
        "setup" => setup::run(setup::Need::Everything),
        "label" => label::run(rest),
        "test" => test::run(),
        "python" => util::build_cli(false).and_then(|cli| python::run(&cli)),
        "tidy" => tidy::run(),
        "bench" => bench::run(rest),
        "assets" => assets::run(),
        "fuzz" => fuzz::run(rest),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
