//! The manifest sidecar, `NAME.EXT.tanba.json` beside a text output: the
//! whole manifest, for formats whose file holds only its reference (plain
//! text and WebVTT, when asked) or no mark at all (SubRip, always: it has
//! no hidden place). Written by the caller that names the output (the
//! `tanba` facade); read back here by `verify`, given the file's path.

use std::path::{Path, PathBuf};

use tanba_core::{Error, Format, Limits, Manifest, ManifestRef, Mark, MarkKind, Result};

/// What the sidecar's name adds to the output's.
pub const SIDECAR_SUFFIX: &str = ".tanba.json";

/// The sidecar of `output`: its whole name with [`SIDECAR_SUFFIX`] added,
/// so it can be no other output's name.
pub fn sidecar_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(SIDECAR_SUFFIX);
    PathBuf::from(name)
}

/// The sidecar's bytes: the manifest as indented UTF-8 JSON.
pub fn sidecar_contents(manifest: &Manifest) -> String {
    let mut json = manifest.to_json_pretty();
    json.push('\n');
    json
}

/// What the sidecar beside a file adds to its verification.
#[derive(Debug, Default)]
pub struct Beside {
    /// The manifest, when it is the one the file refers to.
    pub manifest: Option<Manifest>,
    /// The marks the sidecar holds.
    pub marks: Vec<Mark>,
    /// Why the sidecar is not intact, when it is not.
    pub broken: Option<String>,
}

/// Looks for the sidecar of `path`. It counts for a file that refers to a
/// manifest (and then must hold that very manifest), or for SubRip, whose
/// sidecar is its only mark; a sidecar beside any other file is ignored.
pub fn look(
    path: Option<&Path>,
    format: &Format,
    reference: Option<&ManifestRef>,
    limits: &Limits,
) -> Beside {
    let srt = format.name == crate::SRT.name;
    let Some(path) = path.filter(|_| srt || reference.is_some()) else {
        return Beside::default();
    };
    let sidecar = sidecar_path(path);
    if !sidecar.is_file() {
        return Beside::default();
    }
    let name = sidecar
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let carrier = format!("sidecar {name}");
    let manifest = match read(&sidecar, limits) {
        Ok(m) => m,
        Err(e) => {
            return Beside {
                broken: Some(format!("{carrier}: {e}")),
                ..Beside::default()
            };
        }
    };
    match reference {
        Some(r) if !r.matches(&manifest) => Beside {
            broken: Some(format!(
                "{carrier} does not hold the manifest the file refers to (id or SHA-256 differ)"
            )),
            ..Beside::default()
        },
        Some(_) => Beside {
            manifest: Some(manifest),
            marks: vec![Mark::new(MarkKind::Manifest, carrier)],
            broken: None,
        },
        None => Beside {
            manifest: Some(manifest),
            marks: vec![
                Mark::new(MarkKind::Aigc, format!("{carrier} aigc")),
                Mark::new(MarkKind::Manifest, carrier),
            ],
            broken: None,
        },
    }
}

/// Reads and parses a sidecar, refused past `max_text_bytes` before reading.
fn read(sidecar: &Path, limits: &Limits) -> Result<Manifest> {
    let len = std::fs::metadata(sidecar)
        .map_err(|e| Error::from(e).at(sidecar))?
        .len();
    limits.check_text_bytes(len)?;
    let text = std::fs::read_to_string(sidecar).map_err(|e| Error::from(e).at(sidecar))?;
    Manifest::from_json(&text)
}
