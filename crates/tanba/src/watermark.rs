//! The watermark around the labelers: read back from every output that
//! records one, read in `verify`, and the manifest store that lets a
//! stripped file's watermark bring its manifest back.
//!
//! A store is a folder of `<payload>.json` manifests (the payload as 16
//! hex digits: the first 64 bits of the manifest id's UUID), with the
//! C2PA manifest store beside it as `<payload>.c2pa` when it was signed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use tanba_core::{
    Error, Format, Labeler, Limits, Manifest, Mark, MarkKind, ReadSeek, Result, Source,
    Verification, WatermarkFound, WatermarkKey, atomic,
};

/// Watermark settings of a registry (the key a job marks with is the
/// job's own, [`tanba_core::Job::watermark`]).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct WatermarkOptions {
    /// An operator's private key, tried before the public key when
    /// verifying.
    pub private_key: Option<WatermarkKey>,
    /// The manifest store: `label` writes each output's manifest there,
    /// `verify` loads a stripped file's manifest from it.
    pub manifest_store: Option<PathBuf>,
}

impl WatermarkOptions {
    /// The keys `verify` tries, the private one first.
    fn keys(&self) -> impl Iterator<Item = WatermarkKey> + '_ {
        self.private_key
            .into_iter()
            .chain(std::iter::once(WatermarkKey::PUBLIC))
    }
}

/// Where the manifest of `payload` is kept in `store`.
pub fn store_path(store: &Path, payload: u64) -> PathBuf {
    store.join(format!("{payload:016x}.json"))
}

/// Where the C2PA manifest store of `payload` is kept in `store`.
pub fn store_c2pa_path(store: &Path, payload: u64) -> PathBuf {
    store.join(format!("{payload:016x}.c2pa"))
}

/// Reads the watermark of an open file with each key in turn.
pub(crate) fn read(
    options: &WatermarkOptions,
    labeler: &dyn Labeler,
    (reader, format, path, len): (&mut dyn ReadSeek, &'static Format, Option<&Path>, u64),
    limits: &Limits,
) -> Result<Option<WatermarkFound>> {
    for key in options.keys() {
        reader.seek(std::io::SeekFrom::Start(0))?;
        let source = Source {
            reader: &mut *reader,
            format,
            path,
            len,
        };
        if let Some(found) = labeler.read_watermark(source, key, limits)? {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Adds a watermark read from the file to its verification: a mark of its
/// own, and, when the file's manifest is gone, the manifest from the store.
pub(crate) fn add_to(
    options: &WatermarkOptions,
    found: Option<WatermarkFound>,
    format: &'static Format,
    v: &mut Verification,
) {
    let Some(found) = found else {
        return;
    };
    v.marks.push(Mark::new(
        MarkKind::Watermark,
        format!("payload {} ({} key)", found.payload_hex(), found.key),
    ));
    v.watermark = Some(found);
    if v.manifest.is_none()
        && let Some(store) = &options.manifest_store
    {
        recover(store, found.payload, format, v);
    }
}

/// Loads the manifest of `payload` from the store into `v`, if it is there
/// and matches the file.
fn recover(store: &Path, payload: u64, format: &'static Format, v: &mut Verification) {
    let path = store_path(store, payload);
    let Ok(text) = std::fs::read_to_string(&path) else {
        v.store_note = Some(format!(
            "no manifest for payload {payload:016x} in the store {}",
            store.display()
        ));
        return;
    };
    let manifest = match Manifest::from_json(&text) {
        Ok(m) => m,
        Err(e) => {
            v.store_note = Some(format!("{}: {e}", path.display()));
            return;
        }
    };
    if let Err(why) = matches_file(&manifest, payload, format) {
        v.store_note = Some(format!(
            "{} does not match this file: {why}",
            path.display()
        ));
        return;
    }
    v.signature = manifest.signature_state();
    v.manifest = Some(manifest);
    v.recovered_from = Some(path);
}

/// The C2PA manifest store kept beside the manifest `v` was recovered
/// with, when the file carries no credentials of its own.
#[cfg(feature = "c2pa")]
pub(crate) fn recovered_c2pa(options: &WatermarkOptions, v: &Verification) -> Option<PathBuf> {
    let (Some(store), Some(_), Some(found), None) = (
        &options.manifest_store,
        &v.recovered_from,
        &v.watermark,
        &v.credentials,
    ) else {
        return None;
    };
    Some(store_c2pa_path(store, found.payload)).filter(|p| p.is_file())
}

/// Whether a stored manifest can be this file's: its id gives the payload
/// read, and it describes the same kind of media (a picture converted
/// from PNG to JPEG keeps its watermark, so only the top-level type must
/// agree; the exact type is reported when it differs).
fn matches_file(
    manifest: &Manifest,
    payload: u64,
    format: &'static Format,
) -> std::result::Result<(), String> {
    if manifest.watermark_payload() != Some(payload) {
        return Err(format!(
            "its id {} does not give payload {payload:016x}",
            manifest.id
        ));
    }
    let family = |mime: &str| mime.split('/').next().unwrap_or_default().to_string();
    if family(&manifest.media_type) != family(format.mime) {
        return Err(format!(
            "it describes {} and the file is {}",
            manifest.media_type, format.mime
        ));
    }
    if manifest.watermark.is_none() {
        return Err("it records no watermark".to_string());
    }
    Ok(())
}

/// The key a finished output's watermark is read back with: the job's,
/// when the manifest records a watermark made with it.
pub(crate) fn expected_key(manifest: &Manifest, key: Option<WatermarkKey>) -> Option<WatermarkKey> {
    (manifest.watermark.is_some() && manifest.watermark_payload().is_some())
        .then_some(key)
        .flatten()
}

/// Judges the watermark read back from a finished output (by
/// [`Labeler::verify_with_watermark`], at the geometry it was embedded
/// with) against the one the manifest records. A mark that does not read
/// back (the picture or frames left it too weak to decode: small, flat or
/// heavily compressed content) does not fail the output, whose metadata
/// and label verified: it gives a note saying so. A mark read with
/// another payload is [`Error::Unverified`].
pub(crate) fn check_output(
    found: Option<WatermarkFound>,
    manifest: &Manifest,
    key: Option<WatermarkKey>,
) -> Result<Option<String>> {
    let (Some(_), Some(payload)) = (expected_key(manifest, key), manifest.watermark_payload())
    else {
        return Ok(None);
    };
    match found {
        Some(found) if found.payload == payload => Ok(None),
        Some(found) => Err(Error::unverified(format!(
            "the watermark reads back as payload {} instead of {payload:016x}",
            found.payload_hex()
        ))),
        None => Ok(Some(format!(
            "the watermark (payload {payload:016x}) was embedded but does not read back from \
             the output: too weak in this content to count on"
        ))),
    }
}

/// Writes `manifest` (and its C2PA manifest store, when there is one) to
/// the store under its payload.
pub(crate) fn store(store: &Path, manifest: &Manifest, c2pa: Option<&[u8]>) -> Result<()> {
    let (Some(_), Some(payload)) = (&manifest.watermark, manifest.watermark_payload()) else {
        return Ok(());
    };
    std::fs::create_dir_all(store).map_err(|e| Error::from(e).at(store))?;
    let path = store_path(store, payload);
    let json = manifest.to_json_pretty();
    atomic::write_atomic(&path, |f| Ok(f.write_all(json.as_bytes())?))?;
    if let Some(bytes) = c2pa {
        let path = store_c2pa_path(store, payload);
        atomic::write_atomic(&path, |f| Ok(f.write_all(bytes)?))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tanba_core::{Job, Placement};

    #[test]
    fn an_output_check_passes_notes_or_refuses_by_what_reads_back() {
        let job = Job::new();
        let m = job.manifest_with_watermark("image/jpeg", Placement::at("x"), None, job.watermark);
        let payload = m.watermark_payload().unwrap();
        let read = |payload| {
            Some(WatermarkFound {
                payload,
                strength: 9.0,
                key: "public",
            })
        };
        assert_eq!(
            check_output(read(payload), &m, job.watermark).unwrap(),
            None
        );
        let note = check_output(None, &m, job.watermark).unwrap().unwrap();
        assert!(note.contains("does not read back"), "{note}");
        let err = check_output(read(payload ^ 1), &m, job.watermark).unwrap_err();
        assert_eq!(err.kind_name(), Error::unverified("x").kind_name());
        // Nothing recorded, or no key: nothing to check, nothing to read.
        let plain = job.manifest("image/jpeg", Placement::at("x"));
        assert_eq!(check_output(None, &plain, job.watermark).unwrap(), None);
        assert_eq!(check_output(None, &m, None).unwrap(), None);
        assert_eq!(expected_key(&plain, job.watermark), None);
        assert_eq!(expected_key(&m, None), None);
        assert_eq!(expected_key(&m, job.watermark), job.watermark);
    }

    static JPEG: Format = Format {
        name: "jpeg",
        mime: "image/jpeg",
        extensions: &["jpg"],
    };

    #[test]
    fn a_stored_manifest_is_recovered_only_when_it_matches() {
        let dir = tempfile::tempdir().unwrap();
        let job = Job::new();
        let m = job.manifest_with_watermark(
            "image/png",
            Placement::at("bottom-right"),
            None,
            job.watermark,
        );
        let payload = m.watermark_payload().unwrap();
        store(dir.path(), &m, Some(b"c2pa")).unwrap();
        assert!(store_c2pa_path(dir.path(), payload).is_file());
        let options = WatermarkOptions {
            private_key: None,
            manifest_store: Some(dir.path().to_path_buf()),
        };
        let found = WatermarkFound {
            payload,
            strength: 12.0,
            key: "public",
        };
        let mut v = Verification::unmarked(&JPEG, "no Tanba manifest");
        add_to(&options, Some(found), &JPEG, &mut v);
        assert_eq!(v.manifest.as_ref(), Some(&m), "{:?}", v.store_note);
        assert!(v.has_machine_mark());
        assert_eq!(v.recovered_from, Some(store_path(dir.path(), payload)));

        // Another payload: nothing in the store.
        let mut v = Verification::unmarked(&JPEG, "no Tanba manifest");
        add_to(
            &options,
            Some(WatermarkFound {
                payload: 1,
                ..found
            }),
            &JPEG,
            &mut v,
        );
        assert!(v.manifest.is_none());
        assert!(v.store_note.unwrap().contains("no manifest"));

        // A manifest of audio is not this picture's.
        let audio =
            job.manifest_with_watermark("audio/mpeg", Placement::at("start"), None, job.watermark);
        let other = audio.watermark_payload().unwrap();
        store(dir.path(), &audio, None).unwrap();
        let mut v = Verification::unmarked(&JPEG, "no Tanba manifest");
        add_to(
            &options,
            Some(WatermarkFound {
                payload: other,
                ..found
            }),
            &JPEG,
            &mut v,
        );
        assert!(v.manifest.is_none());
        assert!(v.store_note.unwrap().contains("audio/mpeg"));
    }
}
