//! The `Labeler` trait every media crate implements, and what it works with.

use serde::Serialize;
use std::fmt;
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use crate::label::Label;
use crate::limits::Limits;
use crate::manifest::{
    Aigc, DST_COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA, DST_TRAINED_ALGORITHMIC_MEDIA,
    LAW_REFERENCE, LabelRecord, MANIFEST_VERSION,
};
use crate::progress::{Progress, ProgressSink, ProgressUnit};
use crate::visible::VisibleFound;
use crate::watermark::{WATERMARK_METHOD, WatermarkFound, WatermarkKey, WatermarkRecord};
use crate::{AiSystem, Error, Manifest, ManifestRef, Operator, Placement, Result, SignatureState};

/// How many leading bytes [`Labeler::sniff`] is shown.
pub const SNIFF_LEN: usize = 8192;

/// A reader that can also seek.
pub trait ReadSeek: Read + Seek {}
impl<T: Read + Seek + ?Sized> ReadSeek for T {}

/// A writer that can also seek (WAV and MP4 headers are patched at the end).
pub trait WriteSeek: Write + Seek {}
impl<T: Write + Seek + ?Sized> WriteSeek for T {}

/// A file format a labeler handles.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct Format {
    /// Short name, `png`, `markdown`, `pdf` …
    pub name: &'static str,
    /// MIME type.
    pub mime: &'static str,
    /// File name extensions, preferred first, without the dot.
    pub extensions: &'static [&'static str],
}

impl Format {
    /// The preferred extension.
    pub fn extension(&self) -> &'static str {
        self.extensions.first().copied().unwrap_or("bin")
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Where a visual label goes. Media without corners (text, audio) ignore it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Position {
    /// Top left corner.
    TopLeft,
    /// Centred on the top edge.
    TopCenter,
    /// Top right corner.
    TopRight,
    /// Bottom left corner.
    BottomLeft,
    /// Centred on the bottom edge.
    BottomCenter,
    /// Bottom right corner: the default, where it hides least of a picture.
    #[default]
    BottomRight,
}

impl Position {
    /// Every position.
    pub const ALL: [Position; 6] = [
        Position::TopLeft,
        Position::TopCenter,
        Position::TopRight,
        Position::BottomLeft,
        Position::BottomCenter,
        Position::BottomRight,
    ];

    /// The kebab-case name, as in the manifest and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Position::TopLeft => "top-left",
            Position::TopCenter => "top-center",
            Position::TopRight => "top-right",
            Position::BottomLeft => "bottom-left",
            Position::BottomCenter => "bottom-center",
            Position::BottomRight => "bottom-right",
        }
    }

    /// True for the three positions on the top edge.
    pub fn is_top(self) -> bool {
        matches!(
            self,
            Position::TopLeft | Position::TopCenter | Position::TopRight
        )
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Position {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Position::ALL.into_iter().find(|p| p.name() == s.trim()).ok_or_else(|| {
            Error::config(format!(
                "unknown position {s:?} (use top-left, top-center, top-right, bottom-left, bottom-center or bottom-right)"
            ))
        })
    }
}

/// Whether the content was generated outright or is real media edited by AI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// Made by a trained model (`trainedAlgorithmicMedia`).
    #[default]
    Generated,
    /// A real capture edited with a trained model (`compositeWithTrainedAlgorithmicMedia`).
    Composite,
}

impl SourceKind {
    /// The IPTC digital source type URI.
    pub fn iptc_uri(self) -> &'static str {
        match self {
            SourceKind::Generated => DST_TRAINED_ALGORITHMIC_MEDIA,
            SourceKind::Composite => DST_COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA,
        }
    }
}

/// Everything one labelling run needs besides the bytes.
///
/// Media-specific settings (JPEG quality, audio mode, PDF pages) live on the
/// labeler itself; a `Job` holds what every medium shares.
///
/// Built with [`Job::new`] and the `with_` methods; the fields stay public
/// for reading and for changing one in place (`job.force = true`).
///
/// ```
/// use tanba_core::{Job, Position, SourceKind};
/// let job = Job::new()
///     .with_position(Position::TopLeft)
///     .with_source_kind(SourceKind::Composite)
///     .with_force(true);
/// assert!(job.force);
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct Job {
    /// The visible label.
    pub label: Label,
    /// Where a visual label goes.
    pub position: Position,
    /// Decoder limits.
    pub limits: Limits,
    /// Label even when the input already carries our mark.
    pub force: bool,
    /// Generated or edited.
    pub source_kind: SourceKind,
    /// The AI system that made the content.
    pub ai_system: Option<AiSystem>,
    /// Who operates it.
    pub operator: Option<Operator>,
    /// Signs the manifest when set.
    pub signing_key: Option<Arc<ed25519_dalek::SigningKey>>,
    /// SHA-256 of the source when the caller already hashed it; otherwise
    /// the labeler hashes the input itself.
    pub source_sha256: Option<String>,
    /// Fingerprint of the settings the label was made with (the facade's
    /// `Registry` fills it in), recorded in the manifest so a rerun can tell
    /// an output made with other settings from one it can keep.
    pub settings_sha256: Option<String>,
    /// Where long labellings report their progress (frames, media time,
    /// pages); see [`ProgressSink`]. It never changes what is written, so
    /// it is no part of the settings fingerprint.
    pub progress: Option<ProgressSink>,
    /// The GB 45438 AIGC label the input already carries (its producer's):
    /// kept, with this job's operator filled in as the propagator, so the
    /// output has one AIGC label, not a second one (see
    /// [`Job::with_prior_aigc`]).
    pub prior_aigc: Option<Aigc>,
    /// The imperceptible watermark's key: pictures, video and audio carry
    /// a mark made with it (the public key by default); `None` leaves the
    /// mark out (`--no-watermark`).
    pub watermark: Option<WatermarkKey>,
    /// The content imitates a real person's likeness or voice: the
    /// manifest says so, and the label should be the deepfake notice
    /// ([`Label::real_person`]; the front ends pick it).
    pub real_person: bool,
    /// The real person's name, recorded in the manifest (and XMP's IPTC
    /// `PersonInImage`), never drawn.
    pub person: Option<String>,
}

impl fmt::Debug for Job {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Job")
            .field("label", &self.label)
            .field("position", &self.position)
            .field("limits", &self.limits)
            .field("force", &self.force)
            .field("source_kind", &self.source_kind)
            .field("ai_system", &self.ai_system)
            .field("operator", &self.operator)
            .field(
                "signing_key",
                &self.signing_key.as_ref().map(|_| "<secret>"),
            )
            .field("source_sha256", &self.source_sha256)
            .field("settings_sha256", &self.settings_sha256)
            .field("progress", &self.progress.as_ref().map(|_| "<sink>"))
            .field("prior_aigc", &self.prior_aigc)
            .field("watermark", &self.watermark)
            .field("real_person", &self.real_person)
            .field("person", &self.person)
            .finish()
    }
}

impl Default for Job {
    fn default() -> Self {
        Job {
            label: Label::default(),
            position: Position::default(),
            limits: Limits::default(),
            force: false,
            source_kind: SourceKind::default(),
            ai_system: None,
            operator: None,
            signing_key: None,
            source_sha256: None,
            settings_sha256: None,
            progress: None,
            prior_aigc: None,
            watermark: Some(WatermarkKey::PUBLIC),
            real_person: false,
            person: None,
        }
    }
}

impl Job {
    /// The default job: the standard trilingual label at the bottom right,
    /// default limits, not forced, generated content, unsigned.
    pub fn new() -> Self {
        Job::default()
    }

    /// With this visible label.
    #[must_use]
    pub fn with_label(mut self, label: Label) -> Self {
        self.label = label;
        self
    }

    /// With the visual label at `position`.
    #[must_use]
    pub fn with_position(mut self, position: Position) -> Self {
        self.position = position;
        self
    }

    /// With these decoder limits.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Labelling even an input that already carries our mark, or not.
    #[must_use]
    pub fn with_force(mut self, force: bool) -> Self {
        self.force = force;
        self
    }

    /// Generated or edited content.
    #[must_use]
    pub fn with_source_kind(mut self, source_kind: SourceKind) -> Self {
        self.source_kind = source_kind;
        self
    }

    /// Naming the AI system that made the content.
    #[must_use]
    pub fn with_ai_system(mut self, ai_system: AiSystem) -> Self {
        self.ai_system = Some(ai_system);
        self
    }

    /// Naming who operates the AI system.
    #[must_use]
    pub fn with_operator(mut self, operator: Operator) -> Self {
        self.operator = Some(operator);
        self
    }

    /// With the AIGC label the input already carries: its producer fields
    /// stay, the operator becomes the propagator (GB 45438 asks a
    /// distributor to fill those, not to replace the producer's label).
    #[must_use]
    pub fn with_prior_aigc(mut self, aigc: Aigc) -> Self {
        self.prior_aigc = Some(aigc);
        self
    }

    /// Signing the manifest with `key` (a key or an `Arc` of one, shared
    /// between jobs without copying the secret).
    #[must_use]
    pub fn with_signing_key(mut self, key: impl Into<Arc<ed25519_dalek::SigningKey>>) -> Self {
        self.signing_key = Some(key.into());
        self
    }

    /// With the source's SHA-256 (hex) already known, so the labeler does
    /// not hash the input again.
    #[must_use]
    pub fn with_source_sha256(mut self, sha256: impl Into<String>) -> Self {
        self.source_sha256 = Some(sha256.into());
        self
    }

    /// With the fingerprint of the settings the label is made with.
    #[must_use]
    pub fn with_settings_sha256(mut self, sha256: impl Into<String>) -> Self {
        self.settings_sha256 = Some(sha256.into());
        self
    }

    /// Reporting progress inside long labellings to `sink`.
    #[must_use]
    pub fn with_progress(mut self, sink: ProgressSink) -> Self {
        self.progress = Some(sink);
        self
    }

    /// With the watermark made with `key`, or none.
    #[must_use]
    pub fn with_watermark(mut self, key: Option<WatermarkKey>) -> Self {
        self.watermark = key;
        self
    }

    /// Marking the content as imitating a real person (the deepfake
    /// notice's flag), or not. The label stays the caller's: give it
    /// [`Label::real_person`] for the shipped deepfake texts.
    #[must_use]
    pub fn with_real_person(mut self, real_person: bool) -> Self {
        self.real_person = real_person;
        self
    }

    /// Naming the real person the content imitates (recorded, never drawn).
    #[must_use]
    pub fn with_person(mut self, person: impl Into<String>) -> Self {
        self.person = Some(person.into());
        self
    }

    /// A [`Progress`] reporter for one labelling, reporting to this job's
    /// sink (a no-op without one).
    pub fn progress(
        &self,
        unit: ProgressUnit,
        total: Option<u64>,
        media_total_seconds: Option<f64>,
    ) -> Progress {
        Progress::start(self.progress.as_ref(), unit, total, media_total_seconds)
    }

    /// The manifest for one labelled file: fresh id and time, the job's
    /// provenance, signed when the job has a key.
    pub fn manifest(&self, media_type: &str, placement: Placement) -> Manifest {
        self.manifest_with_audible(media_type, placement, None)
    }

    /// [`Job::manifest`] for a visible label with an audible companion,
    /// recorded before signing so the signature covers it.
    pub fn manifest_with_audible(
        &self,
        media_type: &str,
        placement: Placement,
        audible: Option<Placement>,
    ) -> Manifest {
        self.manifest_with_watermark(media_type, placement, audible, None)
    }

    /// [`Job::manifest_with_audible`] for content that will carry the
    /// watermark made with `watermark` (the labeler passes the job's key
    /// only when the content can take a mark), recorded before signing.
    /// The payload is the id's first 64 bits
    /// ([`Manifest::watermark_payload`]).
    pub fn manifest_with_watermark(
        &self,
        media_type: &str,
        placement: Placement,
        audible: Option<Placement>,
        watermark: Option<WatermarkKey>,
    ) -> Manifest {
        let id = uuid::Uuid::new_v4();
        let created = time::OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
        let created = created
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default();
        let producer = match &self.operator {
            Some(Operator { bin: Some(bin), .. }) => bin.clone(),
            Some(op) => op.name.clone(),
            None => "unspecified".to_string(),
        };
        let mut manifest = Manifest {
            version: MANIFEST_VERSION,
            id: format!("urn:uuid:{id}"),
            created,
            media_type: media_type.to_string(),
            digital_source_type: self.source_kind.iptc_uri().to_string(),
            label: LabelRecord {
                lines: self.label.lines.clone(),
                placement,
                audible,
            },
            ai_system: self.ai_system.clone(),
            operator: self.operator.clone(),
            source_sha256: self.source_sha256.clone().unwrap_or_default(),
            settings_sha256: self.settings_sha256.clone(),
            law: LAW_REFERENCE.to_string(),
            generator: concat!("tanba/", env!("CARGO_PKG_VERSION")).to_string(),
            // The same producer labelling again (a forced relabel of its own
            // output) is no propagation: its label is made afresh.
            aigc: match &self.prior_aigc {
                Some(prior) if prior.content_producer != producer => {
                    prior.propagated(producer, id.to_string())
                }
                _ => Aigc {
                    label: "1".to_string(),
                    content_producer: producer,
                    produce_id: id.to_string(),
                    reserved_code1: String::new(),
                    content_propagator: String::new(),
                    propagate_id: String::new(),
                    reserved_code2: String::new(),
                },
            },
            watermark: watermark.map(|key| WatermarkRecord {
                method: WATERMARK_METHOD.to_string(),
                payload: format!("{:016x}", id.as_u64_pair().0),
                key: key.kind().to_string(),
            }),
            real_person: self.real_person,
            person: self.person.clone(),
            signature: None,
        };
        if let Some(key) = &self.signing_key {
            manifest.sign(key);
        }
        manifest
    }

    /// The source hash: the one the caller gave, or computed from `input`
    /// (which is rewound afterwards).
    pub fn source_hash(&self, input: &mut dyn ReadSeek) -> Result<String> {
        match &self.source_sha256 {
            Some(h) => Ok(h.clone()),
            None => crate::manifest::sha256_of(input),
        }
    }

    /// A copy of the job with the source hash filled in from `input`.
    pub fn with_source_hash(&self, input: &mut dyn ReadSeek) -> Result<Job> {
        Ok(self.clone().with_source_sha256(self.source_hash(input)?))
    }
}

/// The input to a labeler.
pub struct Source<'a> {
    /// The content, positioned at its start.
    pub reader: &'a mut dyn ReadSeek,
    /// The sniffed format.
    pub format: &'static Format,
    /// The file it came from, when there is one (for tools that need a path).
    pub path: Option<&'a Path>,
    /// Its length in bytes.
    pub len: u64,
}

impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Source")
            .field("format", &self.format.name)
            .field("path", &self.path)
            .field("len", &self.len)
            .finish()
    }
}

/// What a successful labelling produced.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Labelled {
    /// The output's format (usually the input's).
    pub format: &'static Format,
    /// The manifest written into the output.
    pub manifest: Manifest,
    /// Things the user should know (a changed format, a repaired input …).
    pub notes: Vec<String>,
}

impl Labelled {
    /// An output of `format` carrying `manifest`, with no notes yet.
    pub fn new(format: &'static Format, manifest: Manifest) -> Self {
        Labelled {
            format,
            manifest,
            notes: Vec::new(),
        }
    }

    /// With these notes for the user.
    #[must_use]
    pub fn with_notes(mut self, notes: Vec<String>) -> Self {
        self.notes = notes;
        self
    }

    /// With one more note for the user.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }
}

/// A kind of machine-readable mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MarkKind {
    /// The XMP packet with the IPTC digital source type.
    Xmp,
    /// The TC260 AIGC label.
    Aigc,
    /// The Tanba manifest.
    Manifest,
    /// A format-native flag (HTML meta, front-matter key …).
    Native,
    /// A C2PA manifest.
    C2pa,
    /// The imperceptible watermark in the pixels or samples.
    Watermark,
}

/// One machine-readable mark found in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Mark {
    /// What kind.
    pub kind: MarkKind,
    /// Where in the file (`XMP APP1`, `PNG tEXt AIGC`, `front matter` …).
    pub carrier: String,
}

impl Mark {
    /// A mark of `kind` found in `carrier`.
    pub fn new(kind: MarkKind, carrier: impl Into<String>) -> Self {
        Mark {
            kind,
            carrier: carrier.into(),
        }
    }
}

/// The check of the visible or audible label.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct PerceptibleCheck {
    /// The label is where the manifest says.
    pub found: bool,
    /// How it was checked and what was seen.
    pub detail: String,
    /// A similarity score in 0..=1, where the check is fuzzy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

impl PerceptibleCheck {
    /// The label was `found` or not, as `detail` says; no score.
    pub fn new(found: bool, detail: impl Into<String>) -> Self {
        PerceptibleCheck {
            found,
            detail: detail.into(),
            score: None,
        }
    }

    /// The label is there, as `detail` says.
    pub fn found(detail: impl Into<String>) -> Self {
        PerceptibleCheck::new(true, detail)
    }

    /// The label is missing, as `detail` says.
    pub fn missing(detail: impl Into<String>) -> Self {
        PerceptibleCheck::new(false, detail)
    }

    /// With a similarity score in 0..=1 (or none).
    #[must_use]
    pub fn with_score(mut self, score: impl Into<Option<f64>>) -> Self {
        self.score = score.into();
        self
    }
}

/// The state of C2PA Content Credentials found in or beside a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialsState {
    /// Signature and hashes check; the signer is not on a trust list given.
    Valid,
    /// Valid, and the signer chains to a trust anchor given.
    Trusted,
    /// Something failed (an edited file, a broken signature).
    Invalid,
    /// Another tool's credentials for the unlabelled original, kept in the
    /// sidecar when no C2PA key was given: they describe the original, so
    /// they cannot bind to the labelled file, and that is not a failure.
    OfOriginal,
}

/// Content Credentials (C2PA) as a reader outside the labeler found them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CredentialsCheck {
    /// The validation state.
    pub state: CredentialsState,
    /// Who signed, or what failed.
    pub detail: Vec<String>,
    /// The IPTC digital source type the credentials' actions declare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_source_type: Option<String>,
    /// The signer (certificate common name) or else the claim generator:
    /// who says so.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<String>,
    /// The manifest store file these credentials were recovered from, for
    /// a file that lost its own: found by the payload of its watermark and
    /// checked against it as a soft binding.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered_from: Option<std::path::PathBuf>,
}

impl CredentialsCheck {
    /// Credentials in `state`, with who signed or what failed.
    pub fn new(state: CredentialsState, detail: Vec<String>) -> Self {
        CredentialsCheck {
            state,
            detail,
            digital_source_type: None,
            signer: None,
            recovered_from: None,
        }
    }

    /// Recovered from the manifest store file `path`.
    #[must_use]
    pub fn recovered_from(mut self, path: std::path::PathBuf) -> Self {
        self.recovered_from = Some(path);
        self
    }

    /// With who signed and the digital source type they declare.
    #[must_use]
    pub fn with_origin(
        mut self,
        signer: Option<String>,
        digital_source_type: Option<String>,
    ) -> Self {
        self.signer = signer;
        self.digital_source_type = digital_source_type;
        self
    }

    /// The credentials say the content was made, or edited, by a trained
    /// model (IPTC trained-algorithmic or composite digital source type).
    pub fn declares_ai(&self) -> bool {
        self.digital_source_type
            .as_deref()
            .is_some_and(is_ai_source_type)
    }
}

/// Whether an IPTC digital source type (URI or bare term) says a trained
/// model made or edited the content.
pub fn is_ai_source_type(dst: &str) -> bool {
    let term = dst.rsplit('/').next().unwrap_or(dst);
    matches!(
        term,
        "trainedAlgorithmicMedia" | "compositeWithTrainedAlgorithmicMedia"
    )
}

/// What [`Labeler::verify`] found in a file.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct Verification {
    /// The sniffed format name.
    pub format: &'static str,
    /// The machine-readable marks present.
    pub marks: Vec<Mark>,
    /// The Tanba manifest, if one was found and parsed.
    pub manifest: Option<Manifest>,
    /// The short reference to a manifest kept outside the file, when the
    /// file carries one instead of the manifest (plain text, subtitles).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_ref: Option<ManifestRef>,
    /// Its signature state.
    pub signature: SignatureState,
    /// The visible or audible label.
    pub perceptible: PerceptibleCheck,
    /// C2PA Content Credentials, when the file carries them (filled in by
    /// the facade's C2PA reader, not by the labelers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credentials: Option<CredentialsCheck>,
    /// The imperceptible watermark, when one was read (filled in by the
    /// facade through [`Labeler::read_watermark`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub watermark: Option<WatermarkFound>,
    /// The manifest store file the manifest was recovered from, when the
    /// file had lost its own and its watermark named one there.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recovered_from: Option<std::path::PathBuf>,
    /// Why a manifest store gave nothing back for the watermark read (no
    /// entry, or one that does not match the file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_note: Option<String>,
    /// The manifest says the content imitates a real person (the deepfake
    /// notice); see [`Verification::real_person_check`].
    pub real_person: bool,
}

impl Verification {
    /// What a labeler found in a file of `format`: the `marks`, the
    /// `manifest` if one parsed (its signature state is read from it) and
    /// the check of the perceptible label. No Content Credentials yet.
    pub fn new(
        format: &'static Format,
        marks: Vec<Mark>,
        manifest: Option<Manifest>,
        perceptible: PerceptibleCheck,
    ) -> Self {
        let signature = manifest
            .as_ref()
            .map_or(SignatureState::Unsigned, Manifest::signature_state);
        Verification {
            format: format.name,
            marks,
            manifest,
            manifest_ref: None,
            signature,
            perceptible,
            credentials: None,
            watermark: None,
            recovered_from: None,
            store_note: None,
            real_person: false,
        }
        .with_real_person_flag()
    }

    /// Sets [`Verification::real_person`] from the manifest (call again
    /// when the manifest is replaced, e.g. recovered from a store).
    #[must_use]
    pub fn with_real_person_flag(mut self) -> Self {
        self.real_person = self.manifest.as_ref().is_some_and(|m| m.real_person);
        self
    }

    /// Whether the file is labelled as imitating a real person: the
    /// manifest says so, the perceptible label recorded there was found,
    /// and that label is not the default notice. `Err` says why not.
    pub fn real_person_check(&self) -> std::result::Result<(), String> {
        let Some(manifest) = &self.manifest else {
            return Err("no Tanba manifest to say the content imitates a real person".into());
        };
        if !manifest.real_person {
            return Err(
                "labelled with the default notice, not the real-person (deepfake) one".into(),
            );
        }
        let shown = Label {
            lines: manifest.label.lines.clone(),
        };
        if shown.has_default_notice() {
            return Err(
                "the manifest says real person, yet the label shown is the default notice".into(),
            );
        }
        if !self.perceptible.found {
            return Err("the deepfake notice the manifest records was not found".into());
        }
        Ok(())
    }

    /// A verification of a file that carries no mark at all.
    pub fn unmarked(format: &'static Format, detail: impl Into<String>) -> Self {
        Verification::new(format, Vec::new(), None, PerceptibleCheck::missing(detail))
    }

    /// A machine-readable mark is present.
    pub fn has_machine_mark(&self) -> bool {
        !self.marks.is_empty()
    }

    /// Both parts Art. 21(2) asks for are present, and no signature (ours
    /// or the Content Credentials') is broken.
    pub fn is_compliant(&self) -> bool {
        self.has_machine_mark()
            && self.perceptible.found
            && !matches!(self.signature, SignatureState::Invalid { .. })
            && !self
                .credentials
                .as_ref()
                .is_some_and(|c| c.state == CredentialsState::Invalid)
    }
}

/// A label renderer for one family of media.
///
/// Implementations are stateless apart from their settings, so one value
/// serves many threads.
pub trait Labeler: Send + Sync + fmt::Debug {
    /// Short name of the family (`text`, `image`, …), as the cargo feature.
    fn name(&self) -> &'static str;

    /// Every format this labeler handles.
    fn formats(&self) -> &'static [&'static Format];

    /// Recognises a format by content. `head` is up to [`SNIFF_LEN`] leading
    /// bytes; `name` is only a tie-breaker between formats the content
    /// cannot tell apart (Markdown and plain text).
    fn sniff(&self, head: &[u8], name: Option<&Path>) -> Option<&'static Format>;

    /// Why this labeler leaves alone content that `sniff` did not claim but
    /// that is its kind of media, for the report: JSON or source code is
    /// text, yet a notice would break it. `None` when it has nothing to say.
    fn declines(&self, head: &[u8], name: Option<&Path>) -> Option<String> {
        let _ = (head, name);
        None
    }

    /// Refuses, before any file is read, a job this labeler could never
    /// carry out: a label text its font cannot draw, a label language it
    /// has no spoken clip for. A bulk job asks each labeler it will use once,
    /// so that it stops before touching a file. `label` checks it too.
    fn check_job(&self, job: &Job) -> Result<()> {
        let _ = job;
        Ok(())
    }

    /// The format [`Labeler::label`] writes for an input of `input`: the
    /// input's own unless the labeler converts (compressed audio written as
    /// WAV without FFmpeg). A bulk job plans every output name from it
    /// before any work starts.
    fn output_format(&self, input: &'static Format) -> &'static Format {
        input
    }

    /// Labels `source` into `output`. Refuses with [`Error::AlreadyLabelled`]
    /// when the input carries our mark and the job is not forced.
    fn label(&self, source: Source<'_>, output: &mut dyn WriteSeek, job: &Job) -> Result<Labelled>;

    /// Reports the marks `source` carries and checks the perceptible label.
    fn verify(&self, source: Source<'_>, limits: &Limits) -> Result<Verification>;

    /// Reads the imperceptible watermark made with `key`, if `source`
    /// carries one (pictures: the whole picture; video and audio: their
    /// first seconds). Media without a watermark keep the default: none.
    fn read_watermark(
        &self,
        source: Source<'_>,
        key: WatermarkKey,
        limits: &Limits,
    ) -> Result<Option<WatermarkFound>> {
        let _ = (source, key, limits);
        Ok(None)
    }

    /// [`Labeler::verify`] of an output this labeler has just written, with
    /// the watermark made with `key` read back into
    /// [`Verification::watermark`] (`None` when it does not read). The
    /// output's size and mark geometry are its own, so a labeler may read
    /// the mark where it put it, from the pixels its verification decodes
    /// anyway, instead of a blind search over a second decode. The default
    /// verifies, then reads with [`Labeler::read_watermark`].
    fn verify_with_watermark(
        &self,
        source: Source<'_>,
        key: WatermarkKey,
        limits: &Limits,
    ) -> Result<Verification> {
        let Source {
            reader,
            format,
            path,
            len,
        } = source;
        let first = Source {
            reader: &mut *reader,
            format,
            path,
            len,
        };
        let mut v = self.verify(first, limits)?;
        reader.seek(std::io::SeekFrom::Start(0))?;
        let again = Source {
            reader,
            format,
            path,
            len,
        };
        v.watermark = self.read_watermark(again, key, limits)?;
        Ok(v)
    }

    /// Searches the content itself for the visible or audible label `job`
    /// would put there (its text, languages, position and style), for a file
    /// whose manifest is gone, so nothing records where the label is.
    /// `Ok(None)` when it is not found, or the labeler cannot search.
    fn find_visible_label(&self, source: Source<'_>, job: &Job) -> Result<Option<VisibleFound>> {
        let _ = (source, job);
        Ok(None)
    }
}

/// Reads up to [`SNIFF_LEN`] bytes from the start and rewinds.
pub fn read_head(reader: &mut dyn ReadSeek) -> Result<Vec<u8>> {
    reader.seek(std::io::SeekFrom::Start(0))?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    reader.take(SNIFF_LEN as u64).read_to_end(&mut head)?;
    reader.seek(std::io::SeekFrom::Start(0))?;
    Ok(head)
}

/// Reads a whole source into memory, refusing it past `limits.max_bytes`.
pub fn read_all(source: &mut Source<'_>, limits: &Limits) -> Result<Vec<u8>> {
    limits.check_bytes(source.len)?;
    source.reader.seek(std::io::SeekFrom::Start(0))?;
    let mut bytes = Vec::with_capacity(usize::try_from(source.len).unwrap_or(0));
    source
        .reader
        .take(limits.max_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    limits.check_bytes(bytes.len() as u64)?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_prior_aigc_label_keeps_its_producer_and_gets_the_propagator() {
        let prior = Aigc {
            label: "1".into(),
            content_producer: "acme".into(),
            produce_id: "p1".into(),
            reserved_code1: "r1".into(),
            content_propagator: String::new(),
            propagate_id: String::new(),
            reserved_code2: String::new(),
        };
        let job = Job::new()
            .with_operator(Operator::new("Dist", None).unwrap())
            .with_prior_aigc(prior)
            .with_source_sha256("ab");
        let m = job.manifest("image/png", Placement::at("bottom-right"));
        assert_eq!(m.aigc.content_producer, "acme");
        assert_eq!(m.aigc.produce_id, "p1");
        assert_eq!(m.aigc.reserved_code1, "r1");
        assert_eq!(m.aigc.content_propagator, "Dist");
        assert!(m.id.ends_with(&m.aigc.propagate_id));
        let fresh = Job::new().with_source_sha256("ab");
        let m = fresh.manifest("image/png", Placement::at("bottom-right"));
        assert!(m.aigc.content_propagator.is_empty());
        // Its own earlier label, relabelled: made afresh, no propagator.
        let again = fresh.clone().with_prior_aigc(m.aigc.clone());
        let m2 = again.manifest("image/png", Placement::at("bottom-right"));
        assert!(m2.aigc.content_propagator.is_empty());
        assert_ne!(m2.aigc.produce_id, m.aigc.produce_id);
        assert!(is_ai_source_type(DST_TRAINED_ALGORITHMIC_MEDIA));
        assert!(is_ai_source_type("compositeWithTrainedAlgorithmicMedia"));
        assert!(!is_ai_source_type(
            "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"
        ));
    }

    #[test]
    fn the_builder_sets_every_field() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]);
        let limits = Limits {
            max_frames: 7,
            ..Limits::default()
        };
        let job = Job::new()
            .with_label(Label::standard(&[crate::Lang::En], crate::Wording::Short))
            .with_position(Position::TopLeft)
            .with_limits(limits)
            .with_force(true)
            .with_source_kind(SourceKind::Composite)
            .with_ai_system(AiSystem {
                name: "m".into(),
                version: None,
            })
            .with_operator(Operator::new("op", None).unwrap())
            .with_signing_key(key)
            .with_source_sha256("ab")
            .with_settings_sha256("cd")
            .with_progress(Arc::new(|_: &crate::ProgressUpdate| {}));
        assert!(job.progress.is_some());
        assert!(format!("{job:?}").contains("progress: Some(\"<sink>\")"));
        assert_eq!(job.label.lines.len(), 1);
        assert_eq!(job.position, Position::TopLeft);
        assert_eq!(job.limits.max_frames, 7);
        assert!(job.force);
        assert_eq!(job.source_kind, SourceKind::Composite);
        assert_eq!(job.ai_system.as_ref().unwrap().name, "m");
        assert_eq!(job.operator.as_ref().unwrap().name, "op");
        assert!(job.signing_key.is_some());
        assert_eq!(job.source_sha256.as_deref(), Some("ab"));
        assert_eq!(job.settings_sha256.as_deref(), Some("cd"));
        // `new` is the default job.
        let plain = Job::new();
        assert!(!plain.force && plain.signing_key.is_none() && plain.ai_system.is_none());
    }

    /// A labeler that implements only what it must.
    #[derive(Debug)]
    struct Bare;

    impl Labeler for Bare {
        fn name(&self) -> &'static str {
            "bare"
        }
        fn formats(&self) -> &'static [&'static Format] {
            &[]
        }
        fn sniff(&self, _: &[u8], _: Option<&Path>) -> Option<&'static Format> {
            None
        }
        fn label(&self, _: Source<'_>, _: &mut dyn WriteSeek, _: &Job) -> Result<Labelled> {
            Err(Error::unsupported("bare"))
        }
        fn verify(&self, _: Source<'_>, _: &Limits) -> Result<Verification> {
            Err(Error::unsupported("bare"))
        }
    }

    #[test]
    fn a_labeler_that_cannot_search_finds_nothing() {
        let mut reader = std::io::Cursor::new(b"anything".to_vec());
        let source = Source {
            reader: &mut reader,
            format: &NOTE,
            path: None,
            len: 8,
        };
        assert_eq!(Bare.find_visible_label(source, &Job::new()).unwrap(), None);
        let found = crate::VisibleFound::new("bottom-right", 0.9);
        assert_eq!(
            serde_json::to_value(&found).unwrap(),
            serde_json::json!({ "place": "bottom-right", "score": 0.9f32 })
        );
    }

    /// A labeler whose watermark reader finds payload 9 after verifying
    /// from the start of the file.
    #[derive(Debug)]
    struct Marked;

    impl Labeler for Marked {
        fn name(&self) -> &'static str {
            "marked"
        }
        fn formats(&self) -> &'static [&'static Format] {
            &[]
        }
        fn sniff(&self, _: &[u8], _: Option<&Path>) -> Option<&'static Format> {
            None
        }
        fn label(&self, _: Source<'_>, _: &mut dyn WriteSeek, _: &Job) -> Result<Labelled> {
            Err(Error::unsupported("marked"))
        }
        fn verify(&self, source: Source<'_>, _: &Limits) -> Result<Verification> {
            // Reads to the end, as a real verification may.
            std::io::copy(source.reader, &mut std::io::sink())?;
            Ok(Verification::unmarked(&NOTE, "stub"))
        }
        fn read_watermark(
            &self,
            source: Source<'_>,
            key: WatermarkKey,
            _: &Limits,
        ) -> Result<Option<WatermarkFound>> {
            let mut head = [0u8; 1];
            source.reader.read_exact(&mut head)?;
            Ok((head == *b"m").then_some(WatermarkFound {
                payload: 9,
                strength: 7.0,
                key: key.kind(),
            }))
        }
    }

    #[test]
    fn verify_with_watermark_by_default_verifies_then_reads_from_the_start() {
        let mut reader = std::io::Cursor::new(b"marked".to_vec());
        let source = Source {
            reader: &mut reader,
            format: &NOTE,
            path: None,
            len: 6,
        };
        let v = Marked
            .verify_with_watermark(source, WatermarkKey::PUBLIC, &Limits::default())
            .unwrap();
        assert_eq!(v.watermark.map(|w| w.payload), Some(9));
        assert!(!v.perceptible.found);
        let found = CredentialsCheck::new(CredentialsState::Valid, vec![])
            .recovered_from("s/x.c2pa".into());
        assert_eq!(
            serde_json::to_value(&found).unwrap()["recovered_from"],
            "s/x.c2pa"
        );
    }

    static NOTE: Format = Format {
        name: "note",
        mime: "text/plain",
        extensions: &["note"],
    };

    #[test]
    fn a_verification_reads_the_signature_state_from_its_manifest() {
        let signed = Job::new()
            .with_signing_key(ed25519_dalek::SigningKey::from_bytes(&[5u8; 32]))
            .manifest("text/plain", Placement::at("start"));
        let marks = vec![Mark::new(MarkKind::Manifest, "footer")];
        let v = Verification::new(
            &NOTE,
            marks.clone(),
            Some(signed),
            PerceptibleCheck::found("seen").with_score(0.9),
        );
        assert!(matches!(v.signature, SignatureState::Valid { .. }));
        assert_eq!(v.format, "note");
        assert_eq!(v.perceptible.score, Some(0.9));
        assert!(v.is_compliant());
        let unsigned = Verification::new(&NOTE, marks, None, PerceptibleCheck::missing("gone"));
        assert_eq!(unsigned.signature, SignatureState::Unsigned);
        assert!(!unsigned.perceptible.found && !unsigned.is_compliant());
        let labelled = Labelled::new(
            &NOTE,
            Job::new().manifest("text/plain", Placement::at("start")),
        )
        .with_notes(vec!["a".into()])
        .with_note("b");
        assert_eq!(labelled.notes, ["a", "b"]);
    }
}
