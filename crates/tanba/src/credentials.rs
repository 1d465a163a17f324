//! C2PA Content Credentials around the labelers: signed after the label and
//! our marks are written, read back beside our own checks.

use std::fs::File;
use std::io::{Cursor, SeekFrom, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tanba_c2pa::{Applied, C2paSigner, C2paState, Parent};
use tanba_core::{
    CredentialsCheck, CredentialsState, Format, Job, Labeler, Labelled, Result, Source,
    Verification, WriteSeek, atomic,
};

use crate::Signed;

/// C2PA settings of a registry.
#[derive(Debug, Clone, Default)]
pub struct C2paOptions {
    /// Sign every labelled file with this signer (none: no C2PA manifest).
    pub signer: Option<Arc<C2paSigner>>,
    /// PEM trust anchors: credentials whose signer chains to one of them
    /// verify as trusted, not just valid.
    pub trust_anchors_pem: Option<String>,
}

/// Inputs up to this size are labelled into memory before signing, which
/// spares a temporary file's write and read; larger ones (video) are
/// labelled into a temporary file, so memory stays flat.
const IN_MEMORY_MAX: u64 = 64 * 1024 * 1024;

/// Labels into memory or a temporary file, then signs that into `out`: the
/// labelled bytes are read once more and written once more. The unlabelled
/// input is the parent, so credentials it had are kept.
pub(crate) fn label_and_sign(
    labeler: &dyn Labeler,
    input: &mut File,
    source: (&'static Format, &Path, u64),
    out: &mut File,
    job: &Job,
    signer: &C2paSigner,
) -> Result<(Labelled, Option<Signed>)> {
    let (format, path, len) = source;
    // A relabelled sidecar format's earlier credentials (Ogg, PDF, text):
    // kept as the parent ingredient, as an embedded manifest is.
    let own = tanba_c2pa::sidecar_path(path);
    let mut original_sidecar = if own != path && own.is_file() {
        Some(std::fs::read(&own).map_err(|e| tanba_core::Error::from(e).at(&own))?)
    } else {
        None
    };
    let label_into = |staging: &mut dyn WriteSeek, input: &mut File| {
        labeler.label(
            Source {
                reader: input,
                format,
                path: Some(path),
                len,
            },
            staging,
            job,
        )
    };
    let mut sign = |labelled: &Labelled, staged: &mut dyn tanba_c2pa::Input, input: &mut File| {
        staged.seek(SeekFrom::Start(0))?;
        tanba_c2pa::apply(
            labelled.format.mime,
            staged,
            out,
            &labelled.manifest,
            job.source_kind,
            signer,
            Some(Parent {
                mime: format.mime,
                reader: input,
                sidecar: original_sidecar.take(),
            }),
        )
    };
    let (labelled, applied) = if len <= IN_MEMORY_MAX {
        let capacity = usize::try_from(len).unwrap_or(0).saturating_add(64 * 1024);
        let mut staged = Cursor::new(Vec::with_capacity(capacity));
        let labelled = label_into(&mut staged, input)?;
        let applied = sign(&labelled, &mut staged, input)?;
        (labelled, applied)
    } else {
        let mut staged =
            tempfile::tempfile_in(atomic::parent_of(path)).or_else(|_| tempfile::tempfile())?;
        let labelled = label_into(&mut staged, input)?;
        let applied = sign(&labelled, &mut staged, input)?;
        (labelled, applied)
    };
    out.flush()?;
    let signed = match applied {
        Applied::Embedded => Signed::Embedded,
        Applied::Sidecar(store) => Signed::Sidecar(store),
    };
    Ok((labelled, Some(signed)))
}

/// Writes the sidecar of a finished output, atomically like the output.
pub(crate) fn write_sidecar(output: &Path, store: &[u8]) -> Result<PathBuf> {
    let path = tanba_c2pa::sidecar_path(output);
    atomic::write_atomic(&path, |f| Ok(f.write_all(store)?))?;
    Ok(path)
}

/// Without a C2PA key: keeps another tool's credentials of `input` (its
/// embedded manifest store, or the `.c2pa` sidecar beside it) in the
/// sidecar of `output`, and notes it, so they are never silently dropped.
pub(crate) fn keep_original(
    input: &Path,
    format: &'static Format,
    output: &Path,
    labelled: &mut Labelled,
) -> Result<Option<PathBuf>> {
    let mut file = File::open(input).map_err(|e| tanba_core::Error::from(e).at(input))?;
    let own_sidecar = tanba_c2pa::sidecar_path(input);
    let store = match tanba_c2pa::embedded_store(format.mime, &mut file) {
        Some(store) => store,
        None if own_sidecar != input && own_sidecar.is_file() => {
            std::fs::read(&own_sidecar).map_err(|e| tanba_core::Error::from(e).at(&own_sidecar))?
        }
        None => return Ok(None),
    };
    // Two outputs of one name but their extension (a.jpg, a.png) share
    // NAME.c2pa: another file's store already there is never overwritten;
    // this one then goes to NAME.EXT.c2pa, which the note names.
    let mut path = tanba_c2pa::sidecar_path(output);
    if path.is_file() && std::fs::read(&path).ok().as_deref() != Some(store.as_slice()) {
        let mut name = output.as_os_str().to_owned();
        name.push(".c2pa");
        path = PathBuf::from(name);
    }
    atomic::write_atomic(&path, |f| Ok(f.write_all(&store)?))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    labelled.notes.push(format!(
        "the original's C2PA Content Credentials were kept in {name} (they describe the \
         unlabelled original, which labelling changed; with a C2PA key they become the \
         parent ingredient of new credentials instead)"
    ));
    Ok(Some(path))
}

/// Adds what the C2PA reader finds (embedded, or in the sidecar) to a
/// verification: the mark, and the state, which makes a file whose
/// credentials fail non-compliant. Another tool's credentials in a sidecar
/// that do not bind to the file are the original's, kept when it was
/// labelled without a key ([`keep_original`]): not a failure.
pub(crate) fn check(
    options: &C2paOptions,
    path: &Path,
    format: &'static Format,
    verification: &mut Verification,
) -> Result<()> {
    let report = tanba_c2pa::inspect_file(path, format.mime, options.trust_anchors_pem.as_deref())?;
    if let Some(mark) = report.mark() {
        verification.marks.push(mark);
    }
    let signer = report
        .signer
        .iter()
        .map(|s| format!("signed by {s}"))
        .chain(report.issuer.iter().map(|i| format!("issued by {i}")))
        .chain(
            report
                .claim_generator
                .iter()
                .map(|g| format!("claim generator {g}")),
        )
        .chain(
            report
                .digital_source_type
                .iter()
                .map(|d| format!("digital source type {d}")),
        )
        .chain(report.real_person.then(|| {
            format!(
                "{}: the content imitates a real person",
                tanba_c2pa::REAL_PERSON_LABEL
            )
        }));
    // Another generator's, or Tanba's for an earlier label (its manifest
    // is not the one this file carries).
    let earlier_tanba = match (&report.tanba_manifest, &verification.manifest) {
        (Some(theirs), Some(ours)) => theirs.id != ours.id,
        (Some(_), None) => true,
        (None, _) => false,
    };
    let of_original = !report.embedded
        && (earlier_tanba
            || report
                .claim_generator
                .as_deref()
                .is_some_and(|g| !g.starts_with("Tanba")));
    let check = match &report.state {
        C2paState::Absent => None,
        C2paState::Invalid(_) if of_original => Some(CredentialsCheck::new(
            CredentialsState::OfOriginal,
            signer.collect(),
        )),
        C2paState::Valid => Some(CredentialsCheck::new(
            CredentialsState::Valid,
            signer.collect(),
        )),
        C2paState::Trusted => Some(CredentialsCheck::new(
            CredentialsState::Trusted,
            signer.collect(),
        )),
        C2paState::Invalid(reasons) => Some(CredentialsCheck::new(
            CredentialsState::Invalid,
            reasons.clone(),
        )),
    };
    let who = report.signer.clone().or(report.claim_generator.clone());
    verification.credentials =
        check.map(|c| c.with_origin(who, report.digital_source_type.clone()));
    Ok(())
}

/// Checks the C2PA manifest store recovered from the manifest store (the
/// file at `c2pa`, found by the watermark's payload) against the file, as
/// a soft binding: its `c2pa.soft-binding` assertion (`tanba.wm.1`) must
/// name the payload the file's watermark reads. Its hard binding cannot
/// hold, since the file lost its metadata (that is why it was recovered):
/// those failures are set aside, and any other (a broken signature) makes
/// the credentials invalid, as a mismatched soft binding does.
pub(crate) fn check_recovered(
    options: &C2paOptions,
    (path, format): (&Path, &'static Format),
    c2pa: &Path,
    v: &mut Verification,
) -> Result<()> {
    let Some(payload) = v.watermark.map(|w| w.payload_hex()) else {
        return Ok(());
    };
    let bytes = std::fs::read(c2pa).map_err(|e| tanba_core::Error::from(e).at(c2pa))?;
    let mut file = File::open(path).map_err(|e| tanba_core::Error::from(e).at(path))?;
    let read = tanba_c2pa::ReadOptions {
        trust_anchors_pem: options.trust_anchors_pem.clone(),
        sidecar: Some(bytes),
    };
    let report = tanba_c2pa::inspect(format.mime, &mut file, &read).map_err(|e| e.at(path))?;
    let other: Vec<String> = match &report.state {
        C2paState::Invalid(reasons) => reasons
            .iter()
            .filter(|r| !is_hard_binding(r))
            .cloned()
            .collect(),
        _ => Vec::new(),
    };
    let signer = report
        .signer
        .iter()
        .map(|s| format!("signed by {s}"))
        .chain(report.issuer.iter().map(|i| format!("issued by {i}")));
    let (state, mut detail) = match (&report.soft_binding, other.is_empty()) {
        (Some(bound), true) if *bound == payload => (
            if report.state == C2paState::Trusted {
                CredentialsState::Trusted
            } else {
                CredentialsState::Valid
            },
            vec![format!(
                "soft-binding match: the recovered manifest's {} assertion names payload \
                 {payload}, as the file's watermark reads",
                tanba_c2pa::SOFT_BINDING_ALG
            )],
        ),
        (Some(bound), true) => (
            CredentialsState::Invalid,
            vec![format!(
                "soft-binding mismatch: the recovered manifest binds watermark payload {bound}, \
                 the file's watermark reads {payload}"
            )],
        ),
        (None, true) => (
            CredentialsState::Invalid,
            vec![format!(
                "soft-binding mismatch: the recovered manifest has no {} assertion",
                tanba_c2pa::SOFT_BINDING_ALG
            )],
        ),
        (_, false) => (CredentialsState::Invalid, other),
    };
    detail.extend(signer);
    let who = report.signer.clone().or(report.claim_generator.clone());
    v.credentials = Some(
        CredentialsCheck::new(state, detail)
            .with_origin(who, report.digital_source_type.clone())
            .recovered_from(c2pa.to_path_buf()),
    );
    Ok(())
}

/// A validation failure of a hard binding (the hash of the bytes the
/// manifest was signed over), which a stripped copy cannot keep.
fn is_hard_binding(reason: &str) -> bool {
    ["dataHash.", "bmffHash.", "boxesHash.", "collectionHash."]
        .iter()
        .any(|h| reason.contains(h))
}
