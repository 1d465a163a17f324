//! `cargo xtask tidy`: checks that keep the docs true to the code and the
//! code inside the house rules, in the spirit of rust-analyzer's tidy test.
//!
//! Each check returns findings (`file:line: what`); any finding fails the
//! run. Functions between the brief's aim and the hard limit are reported
//! as notes and do not fail it.
//!
//! - README feature tables (a table whose first header cell is `feature`)
//!   list exactly the `[features]` of the crate beside them (`default` aside).
//! - Every crate under `crates/` is named in docs/architecture.md's code map.
//! - Workspace crates depend one way: tanba-core on no media library and no
//!   other workspace crate, a media crate on tanba-core only (tanba-video
//!   also on tanba-image and tanba-audio).
//! - docs/compliance.md quotes every label text of tanba-core's label.rs.
//! - Docs cite only files that exist: relative Markdown links in `*.md`, and
//!   repository paths (`docs/…`, `crates/…`, `xtask/…`, `fixtures/…`,
//!   `benches/…`) in `*.md` and in `//!` / `///` comments; and none cites the
//!   compliance brief that lives outside the repository (docs/compliance.md
//!   holds its facts).
//! - `unsafe` code only in files named `ffi.rs`.
//! - No non-test function in `crates/*/src` or `xtask/src` over
//!   120 lines (over 100 reported).
//! - Every "Architecture Invariant" paragraph of docs/architecture.md names
//!   the tests that enforce it as `path/to/file.rs::function`, and each
//!   exists.

mod cargo;
mod docs;
mod rust;

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::root;

/// Folders never walked.
const SKIPPED_DIRS: [&str; 3] = ["target", "node_modules", "out"];

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    file: String,
    line: usize,
    message: String,
}

impl Finding {
    fn new(file: &str, line: usize, message: impl Into<String>) -> Self {
        Finding {
            file: file.to_string(),
            line,
            message: message.into(),
        }
    }
}

/// Runs every check from the repository root; fails with the findings.
pub fn run() -> Result<(), String> {
    let root = root();
    let files = walk(&root);
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    findings.extend(cargo::feature_tables(&root, &files));
    findings.extend(docs::code_map(&root));
    findings.extend(cargo::one_way_dependencies(&root));
    findings.extend(docs::compliance_texts(&root));
    findings.extend(docs::cited_paths(&root, &files));
    findings.extend(rust::unsafe_outside_ffi(&root, &files));
    let (long, aim) = rust::long_functions(&root, &files);
    findings.extend(long);
    notes.extend(aim);
    findings.extend(docs::invariant_tests(&root));
    for n in &notes {
        eprintln!("tidy note: {}:{}: {}", n.file, n.line, n.message);
    }
    if findings.is_empty() {
        eprintln!("tidy: clean ({} notes)", notes.len());
        return Ok(());
    }
    for f in &findings {
        eprintln!("tidy: {}:{}: {}", f.file, f.line, f.message);
    }
    Err(format!("tidy: {} findings", findings.len()))
}

/// Every file under `root`, relative paths with `/`, hidden and build
/// folders skipped, sorted.
fn walk(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let Ok(entries) = fs::read_dir(root.join(&rel)) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = rel.join(&name);
            let is_dir = entry.file_type().map(|t| t.is_dir()).unwrap_or(false);
            if name.starts_with('.') || (is_dir && SKIPPED_DIRS.contains(&name.as_str())) {
                continue;
            }
            if is_dir {
                stack.push(path);
            } else {
                out.push(path.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    out.sort();
    out
}

fn read(root: &Path, rel: &str) -> String {
    fs::read_to_string(root.join(rel)).unwrap_or_default()
}

fn parent(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

fn joined(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}
