#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Every file of `fuzz/corpus/TARGET/` and `fuzz/artifacts/TARGET/` through
//! the function the fuzz target TARGET calls: the regression half of the
//! fuzzing, run on stable by `cargo xtask test` (no fuzzing here). A crash
//! the fuzzer found stays fixed because its file stays in `artifacts/`.

use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

/// The files under `dir/TARGET/` for every TARGET, each with its target.
fn files_under(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut files = Vec::new();
    let Ok(targets) = std::fs::read_dir(dir) else {
        return files;
    };
    for target in targets {
        let target = target.unwrap().path();
        let name = target.file_name().unwrap().to_str().unwrap().to_string();
        if !target.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&target).unwrap() {
            files.push((name.clone(), file.unwrap().path()));
        }
    }
    files.sort();
    files
}

fn replay(dir: &Path) -> usize {
    let files = files_under(dir);
    for (name, path) in &files {
        let target = tanba_fuzz::target(name)
            .unwrap_or_else(|| panic!("{} is under no known target", path.display()));
        let bytes = std::fs::read(path).unwrap();
        eprintln!("{name}: {}", path.display());
        target(&bytes);
    }
    files.len()
}

#[test]
fn every_corpus_file_replays() {
    let count = replay(&fuzz_dir().join("corpus"));
    // The corpus is committed; an empty one means the path is wrong.
    assert!(count > 100, "only {count} corpus files found");
}

#[test]
fn every_crash_found_stays_fixed() {
    replay(&fuzz_dir().join("artifacts"));
}

#[test]
fn every_fuzz_target_has_a_function_and_a_corpus() {
    let mut on_disk: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            p.file_stem().unwrap().to_str().unwrap().to_string()
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = tanba_fuzz::TARGETS
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed, "fuzz/fuzz_targets/ and TARGETS differ");
    for name in &listed {
        let corpus = fuzz_dir().join("corpus").join(name);
        let seeds = std::fs::read_dir(&corpus).map_or(0, |d| d.count());
        assert!(seeds > 0, "{} has no seed", corpus.display());
    }
}
