//! Files that come with the workspace's dependencies: the picture and video
//! matrices' real photos (`webp`'s lake.jpg, `tiff`'s Kodak frames).
//!
//! Used by the matrix examples with
//! `#[path = "support/registry.rs"] mod registry;`.

use std::path::PathBuf;

/// `rel` inside the newest unpacked crate of the cargo registry whose
/// folder name starts with `prefix`: the picture bench's real photos come
/// with the workspace's dependencies, so every machine that builds it has
/// them.
pub fn registry_path(prefix: &str, rel: &str) -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let mut found: Vec<PathBuf> = std::fs::read_dir(home.join("registry/src"))
        .ok()?
        .flatten()
        .filter_map(|index| std::fs::read_dir(index.path()).ok())
        .flatten()
        .flatten()
        .filter(|c| c.file_name().to_string_lossy().starts_with(prefix))
        .map(|c| c.path().join(rel))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    found.pop()
}
