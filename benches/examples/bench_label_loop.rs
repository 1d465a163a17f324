//! The floor for the bulk benchmark: labels every file under IN into OUT
//! (same relative paths) in one thread, with the library alone: read,
//! `Registry::label_bytes`, write. No walk library, no report, no hashing
//! beyond what labelling does. `cargo xtask bench` times it against
//! `tanba label --jobs 1` on the same files.
//!
//! `bench_label_loop IN OUT`

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tanba::{Job, Registry};

fn files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

fn run(input: &Path, output: &Path) -> Result<usize, String> {
    let registry = Registry::default();
    let job = Job::default();
    let mut list = Vec::new();
    files(input, &mut list).map_err(|e| format!("{}: {e}", input.display()))?;
    list.sort();
    for file in &list {
        let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let (labelled, _) = registry
            .label_bytes(&bytes, Some(file), &job)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let rel = file.strip_prefix(input).unwrap_or(file);
        let target = output.join(rel);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&target, labelled).map_err(|e| format!("{}: {e}", target.display()))?;
    }
    Ok(list.len())
}

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: bench_label_loop IN OUT");
        return ExitCode::from(2);
    };
    let started = std::time::Instant::now();
    match run(input, output) {
        Ok(n) => {
            eprintln!(
                "labelled {n} files in {:.3} s",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bench_label_loop: {e}");
            ExitCode::FAILURE
        }
    }
}
