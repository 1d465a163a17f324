//! Atomic output: a temporary file beside the target, synced, then renamed.

use std::fs::File;
use std::io::Write as _;
use std::path::Path;

use crate::{Error, Result};

/// Writes `target` atomically: `write` fills a temporary file in the same
/// folder, which is synced and renamed over `target` only if `write`
/// succeeds. On any error the temporary file is removed, so no partial
/// output is ever visible under the target's name.
pub fn write_atomic<T>(target: &Path, write: impl FnOnce(&mut File) -> Result<T>) -> Result<T> {
    let dir = match target.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".tanba-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| Error::from(e).at(target))?;
    let value = write(tmp.as_file_mut()).map_err(|e| e.at(target))?;
    let file = tmp.as_file_mut();
    file.flush().map_err(|e| Error::from(e).at(target))?;
    file.sync_all().map_err(|e| Error::from(e).at(target))?;
    tmp.persist(target).map_err(|e| Error::from(e.error).at(target))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn failure_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let r: Result<()> = write_atomic(&target, |f| {
            f.write_all(b"half")?;
            Err(Error::malformed("boom"))
        });
        assert!(r.is_err());
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).map(|d| d.count()).unwrap_or(99), 0);
    }

    #[test]
    fn success_renames() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, b"old").unwrap();
        write_atomic(&target, |f| Ok(f.write_all(b"new")?)).unwrap();
        assert_eq!(std::fs::read(&target).unwrap_or_default(), b"new");
    }
}
