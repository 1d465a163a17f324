//! The manifest sidecar of text outputs (`NAME.EXT.tanba.json`, see
//! `tanba_text::sidecar_path`): staged beside the temporary output so that
//! the check reads it as a later `verify` will, then renamed with it.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use tanba_core::atomic::{self, Unfinished};
use tanba_core::{Error, Manifest, Result};

/// A sidecar written beside a temporary output, until it takes its name.
#[derive(Debug, Default)]
pub(crate) struct Staged(RefCell<Option<(PathBuf, Unfinished)>>);

impl Staged {
    /// Writes `manifest` to `path` (the sidecar of the temporary output).
    pub(crate) fn write(&self, path: PathBuf, manifest: &Manifest) -> Result<()> {
        let guard = atomic::track_unfinished(&path);
        std::fs::write(&path, tanba_text::sidecar_contents(manifest))
            .map_err(|e| Error::from(e).at(&path))?;
        *self.0.borrow_mut() = Some((path, guard));
        Ok(())
    }

    /// Removes the staged sidecar, if any (the output failed).
    pub(crate) fn discard(&self) {
        if let Some((path, _guard)) = self.0.borrow_mut().take() {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Gives the staged sidecar the name of `output`'s; on failure the
    /// output goes too, so neither is left without the other.
    pub(crate) fn commit(self, output: &Path) -> Result<Option<PathBuf>> {
        let Some((staged, _guard)) = self.0.into_inner() else {
            return Ok(None);
        };
        let target = tanba_text::sidecar_path(output);
        if let Err(e) = std::fs::rename(&staged, &target) {
            let _ = std::fs::remove_file(&staged);
            let _ = std::fs::remove_file(output);
            return Err(Error::from(e).at(&target));
        }
        Ok(Some(target))
    }
}
