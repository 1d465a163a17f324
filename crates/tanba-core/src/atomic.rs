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
    write_checked_in(dir, durability, write, |_, _| Ok(()), name)
}

/// Like [`write_atomic_in`], with a `check` of the finished temporary file
/// (given its path, with the written bytes flushed) before it takes its
/// name: an output that fails the check never appears.
pub fn write_checked_in<T>(
    dir: &Path,
    durability: Durability,
    write: impl FnOnce(&mut File) -> Result<T>,
    check: impl FnOnce(&Path, &T) -> Result<()>,
    name: impl FnOnce(&T) -> PathBuf,
) -> Result<(T, PathBuf)> {
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(|e| Error::from(e).at(dir))?;
    let _unfinished = track_unfinished(tmp.path());
    let value = write(tmp.as_file_mut())?;
    tmp.as_file_mut()
        .flush()
        .map_err(|e| Error::from(e).at(dir))?;
    check(tmp.path(), &value)?;
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

/// How every temporary output file's name starts: `.tanba-PID-`, with the
/// writer's process id, so a later run can tell a dead writer's leftovers
/// ([`remove_stale`]) from a live one's.
pub const TEMP_PREFIX: &str = ".tanba-";
/// How every temporary output file's name ends.
pub const TEMP_SUFFIX: &str = ".partial";

/// Whether `name` is one of our temporary output files.
pub fn is_temporary(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

/// Removes the temporary files in `dir` that a killed run left: ours by
/// name, and written by a process that no longer exists. A file whose
/// writer is alive (another run in the same folder) or cannot be told is
/// kept. Returns how many were removed.
pub fn remove_stale(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let Some(name) = name.to_str() else {
                return false;
            };
            is_temporary(name) && writer_of(name).is_some_and(|pid| !process_alive(pid))
        })
        .filter(|e| std::fs::remove_file(e.path()).is_ok())
        .count()
}

/// The process id in a temporary file's name (`.tanba-PID-RANDOM.partial`).
fn writer_of(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, _) = rest.split_once('-')?;
    pid.parse().ok()
}

/// Whether a process runs with this id; where that cannot be told, yes.
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") {
        Path::new("/proc").join(pid.to_string()).exists()
    } else {
        true
    }
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
    fn stale_temporaries_of_dead_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // No process has id 4194304 (above Linux's pid_max limit).
        let dead = dir.path().join(".tanba-4194304-abc.partial");
        let live = dir
            .path()
            .join(format!(".tanba-{}-abc.partial", std::process::id()));
        let old_style = dir.path().join(".tanba-abcdef.partial");
        let other = dir.path().join("photo.partial");
        for p in [&dead, &live, &old_style, &other] {
            std::fs::write(p, b"x").unwrap();
        }
        let removed = remove_stale(dir.path());
        if cfg!(target_os = "linux") {
            assert_eq!(removed, 1);
            assert!(!dead.exists());
        }
        assert!(live.exists() && old_style.exists() && other.exists());
    }

    #[test]
    fn a_failed_check_leaves_nothing() {
        let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        let r = write_checked_in(
            dir.path(),
            Durability::EachFile,
            |f| Ok(f.write_all(b"written")?),
            |tmp, ()| {
                assert_eq!(std::fs::read(tmp).unwrap(), b"written");
                Err(Error::unverified("no label"))
            },
            |()| target.clone(),
        );
        assert_eq!(r.unwrap_err().kind_name(), "unverified");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
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
