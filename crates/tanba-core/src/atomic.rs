//! Atomic output: a temporary file beside the target, synced, then renamed.

use std::collections::BTreeSet;
use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::{Error, Result};

/// When an output's bytes are forced to the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    /// Synced before it takes its final name, so it survives a power cut
    /// from the moment it exists. The default.
    #[default]
    EachFile,
    /// Not synced here: the caller syncs the whole batch once at its end
    /// ([`sync_filesystem`]), which costs one flush instead of one per
    /// file. The rename still makes every output appear whole to other
    /// programs; only a power cut before the batch's sync can leave an
    /// output short, and a resumed batch relabels any output that does not
    /// verify.
    Batch,
}

/// Writes `target` atomically: `write` fills a temporary file in the same
/// folder, which is synced and renamed over `target` only if `write`
/// succeeds. On any error the temporary file is removed, so no partial
/// output is ever visible under the target's name.
pub fn write_atomic<T>(target: &Path, write: impl FnOnce(&mut File) -> Result<T>) -> Result<T> {
    let dir = parent_of(target);
    write_atomic_in(
        dir,
        Durability::EachFile,
        |f| write(f).map_err(|e| e.at(target)),
        |_| target.to_path_buf(),
    )
    .map(|(value, _)| value)
}

/// Like [`write_atomic`], for when the final name depends on what was
/// written (an output whose format, and so extension, changed): `name`
/// picks the target, which must be in `dir`, after `write` succeeded.
pub fn write_atomic_in<T>(
    dir: &Path,
    durability: Durability,
    write: impl FnOnce(&mut File) -> Result<T>,
    name: impl FnOnce(&T) -> PathBuf,
) -> Result<(T, PathBuf)> {
    let mut tmp = tempfile::Builder::new()
        .prefix(".tanba-")
        .suffix(".partial")
        .tempfile_in(dir)
        .map_err(|e| Error::from(e).at(dir))?;
    let _unfinished = track_unfinished(tmp.path());
    let value = write(tmp.as_file_mut())?;
    let target = name(&value);
    let file = tmp.as_file_mut();
    // Temporary files are created private (0600); unless the writer chose a
    // mode itself, the output gets the mode of the file it replaces, or 0644.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let current = file
            .metadata()
            .map_err(|e| Error::from(e).at(&target))?
            .permissions()
            .mode()
            & 0o7777;
        if current == 0o600 {
            let mode =
                std::fs::metadata(&target).map_or(0o644, |m| m.permissions().mode() & 0o7777);
            file.set_permissions(std::fs::Permissions::from_mode(mode))
                .map_err(|e| Error::from(e).at(&target))?;
        }
    }
    file.flush().map_err(|e| Error::from(e).at(&target))?;
    if durability == Durability::EachFile {
        file.sync_all().map_err(|e| Error::from(e).at(&target))?;
    }
    tmp.persist(&target)
        .map_err(|e| Error::from(e.error).at(&target))?;
    Ok((value, target))
}

/// Forces everything written to the file system holding `path` to the
/// disk: the end of a [`Durability::Batch`] job. One `syncfs(2)` on Linux,
/// a global `sync(2)` elsewhere on Unix, and nothing on other systems.
pub fn sync_filesystem(path: &Path) -> Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let dir = File::open(path).map_err(|e| Error::from(e).at(path))?;
        rustix::fs::syncfs(&dir).map_err(|e| Error::from(std::io::Error::from(e)).at(path))?;
    }
    #[cfg(all(unix, not(any(target_os = "linux", target_os = "android"))))]
    {
        let _ = path;
        rustix::fs::sync();
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Temporary files being written right now, so an interrupted program can
/// remove them ([`remove_unfinished`]) instead of leaving them behind.
static UNFINISHED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

/// A file that must not outlive the program if it is interrupted; it is
/// forgotten again when this guard drops (after a rename or a removal).
#[derive(Debug)]
pub struct Unfinished(PathBuf);

impl Drop for Unfinished {
    fn drop(&mut self) {
        UNFINISHED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.0);
    }
}

/// Records `path` as unfinished until the returned guard drops.
pub fn track_unfinished(path: &Path) -> Unfinished {
    UNFINISHED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(path.to_path_buf());
    Unfinished(path.to_path_buf())
}

/// Removes every unfinished file and returns how many there were. For a
/// Ctrl-C or SIGTERM handler: the process exits right after, so the
/// writers' own clean-up never runs.
pub fn remove_unfinished() -> usize {
    let paths = std::mem::take(&mut *UNFINISHED.lock().unwrap_or_else(PoisonError::into_inner));
    paths
        .iter()
        .filter(|p| std::fs::remove_file(p).is_ok())
        .count()
}

/// The folder a path is in (`.` for a bare file name).
pub fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// The unfinished set is global: the test that empties it must not run
    /// beside the others.
    static SERIAL: Mutex<()> = Mutex::new(());

    #[test]
    fn an_interrupted_write_can_be_cleaned_up() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.bin");
        let result = write_atomic(&target, |f| {
            f.write_all(b"half")?;
            // What a signal handler does while a writer is busy.
            assert!(remove_unfinished() >= 1);
            Ok(())
        });
        // The temporary file is gone, so the rename fails and nothing is left.
        assert!(result.is_err());
        assert!(!target.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn failure_leaves_nothing() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let r: Result<()> = write_atomic(&target, |f| {
            f.write_all(b"half")?;
            Err(Error::malformed("boom"))
        });
        assert_eq!(r.unwrap_err().path(), Some(target.as_path()));
        assert!(!target.exists());
        assert_eq!(
            std::fs::read_dir(dir.path())
                .map(|d| d.count())
                .unwrap_or(99),
            0
        );
    }

    #[test]
    fn success_renames() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, b"old").unwrap();
        write_atomic(&target, |f| Ok(f.write_all(b"new")?)).unwrap();
        assert_eq!(std::fs::read(&target).unwrap_or_default(), b"new");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let fresh = dir.path().join("fresh.txt");
            write_atomic(&fresh, |f| Ok(f.write_all(b"x")?)).unwrap();
            assert_eq!(
                std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777,
                0o644
            );
        }
    }
}
