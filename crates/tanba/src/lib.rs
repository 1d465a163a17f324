//! # tanba
//!
//! Labels AI-generated content as Kazakhstan's AI law (No. 230-VIII,
//! Art. 21) asks: a machine-readable mark **and** a visible or audible
//! warning. This facade ties the media crates together: one cargo feature
//! per media crate, a [`Registry`] of the enabled labelers, and file and
//! in-memory entry points.
//!
//! ```no_run
//! use tanba::{Job, Registry};
//! let registry = Registry::default();
//! let outcome = registry.label_file("in.md".as_ref(), "out/in.md".as_ref(), &Job::default())?;
//! let check = registry.verify_file(&outcome.output, &tanba::Limits::default())?;
//! assert!(check.is_compliant());
//! # Ok::<(), tanba::Error>(())
//! ```
//!
//! | feature | crate | formats |
//! |---|---|---|
//! | `text` (default) | `tanba-text` | plain text, Markdown, HTML, SRT, WebVTT |
//! | `image` | `tanba-image` | JPEG, PNG and APNG, WebP (still and animated), GIF, TIFF, BMP, SVG |
//! | `audio` | `tanba-audio` | WAV (its sample coding kept), AIFF/AIFF-C, FLAC, MP3, Ogg Vorbis, M4A (AAC, ALAC), ADTS AAC, audio-only MP4 (compressed input written as WAV) |
//! | `audio-ffmpeg` | `tanba-audio/ffmpeg` | the same, compressed formats kept (re-encoded through FFmpeg), and Opus (Ogg, WebM, Matroska) and audio-only WebM/Matroska |
//! | `pdf` | `tanba-pdf` | PDF |
//! | `office` | `tanba-office` | DOCX, ODT, PPTX, ODP, XLSX, ODS, EPUB |
//! | `video` | `tanba-video` | MP4, MOV, MKV, WebM, MPEG-TS, M2TS (with the text feature: its manifest sidecar), AVI (through FFmpeg) |
//! | `all` | every media crate | everything above |
//! | `c2pa` | `tanba-c2pa` | C2PA Content Credentials signed after labelling, embedded or as a `.c2pa` sidecar; read back by `verify_file` |

// docs.rs builds with every feature and `--cfg docsrs`: each feature-gated
// item then says which feature it needs. (`doc_auto_cfg` was merged into
// `doc_cfg` in nightly 1.92; stable rustc never sees this line.)
#![cfg_attr(docsrs, feature(doc_cfg))]

use std::fs::File;
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The label font of pictures, video and PDF: [`FontFile::load`] reads a
/// user's TrueType/OpenType font for their settings' `font`.
pub use tanba_core::font::FontFile;
pub use tanba_core::{
    AiSystem, CredentialsCheck, CredentialsState, Error, Format, Job, Label, LabelLine, Labeler,
    Labelled, Lang, LimitKind, Limits, Manifest, ManifestRef, Mark, MarkKind, Operator,
    PerceptibleCheck, Placement, Position, Progress, ProgressSink, ProgressUnit, ProgressUpdate,
    ReadSeek, Result, SNIFF_LEN, SignatureState, Source, SourceKind, Verification,
    WATERMARK_METHOD, WatermarkFound, WatermarkKey, WatermarkRecord, Wording, WriteSeek,
    is_ai_source_type, manifest, read_all, read_head, signing,
};
// The atomic writer, for the command-line tool; not part of the stable API.
#[doc(hidden)]
/// A label found by searching a file's content, when no manifest records it.
pub use tanba_core::VisibleFound;

pub use tanba_core::atomic;

#[cfg(feature = "audio")]
pub use tanba_audio as audio;
#[cfg(feature = "image")]
pub use tanba_image as image;
#[cfg(feature = "office")]
pub use tanba_office as office;
#[cfg(feature = "pdf")]
pub use tanba_pdf as pdf;
#[cfg(feature = "text")]
pub use tanba_text as text;
#[cfg(feature = "video")]
pub use tanba_video as video;

#[cfg(feature = "text")]
mod manifest_sidecar;
pub mod watermark;
pub use watermark::WatermarkOptions;

pub mod options;
pub use options::Options;
pub mod foreign;

#[cfg(feature = "c2pa")]
pub use tanba_c2pa as c2pa;
#[cfg(feature = "c2pa")]
mod credentials;
#[cfg(feature = "c2pa")]
pub use credentials::C2paOptions;

/// Settings of every enabled labeler.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Raster images.
    #[cfg(feature = "image")]
    pub image: tanba_image::ImageSettings,
    /// Audio.
    #[cfg(feature = "audio")]
    pub audio: tanba_audio::AudioSettings,
    /// PDF.
    #[cfg(feature = "pdf")]
    pub pdf: tanba_pdf::PdfSettings,
    /// Office documents.
    #[cfg(feature = "office")]
    pub office: tanba_office::OfficeSettings,
    /// Text formats.
    #[cfg(feature = "text")]
    pub text: tanba_text::TextSettings,
    /// Video.
    #[cfg(feature = "video")]
    pub video: tanba_video::VideoSettings,
    /// C2PA signing and trust.
    #[cfg(feature = "c2pa")]
    pub c2pa: C2paOptions,
    /// The watermark keys `verify` tries, and the manifest store.
    pub watermark: WatermarkOptions,
}

/// The enabled labelers, asked in order; the first whose sniff matches wins.
///
/// ```
/// use tanba::{Job, Lang, Label, Limits, Registry, Wording};
///
/// let registry = Registry::default();
/// let job = Job::new().with_label(Label::standard(&[Lang::Kk, Lang::En], Wording::Short));
/// let (bytes, labelled) = registry.label_bytes(b"Generated text.\n", None, &job)?;
/// assert_eq!(labelled.format.name, "text");
/// assert!(registry.verify_bytes(&bytes, None, &Limits::default())?.is_compliant());
/// # Ok::<(), tanba::Error>(())
/// ```
#[derive(Debug)]
pub struct Registry {
    labelers: Vec<Box<dyn Labeler>>,
    /// Per labeler, SHA-256 of its settings as it shows them (`Debug`),
    /// taken once when it is registered: part of every output's
    /// `settings_sha256`.
    labeler_settings: Vec<String>,
    durability: atomic::Durability,
    /// The text settings, which say which outputs get a manifest sidecar.
    #[cfg(feature = "text")]
    text: tanba_text::TextSettings,
    #[cfg(feature = "c2pa")]
    c2pa: C2paOptions,
    watermark: WatermarkOptions,
}

/// Where a file's C2PA Content Credentials went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    /// Inside the output.
    Embedded,
    /// In this `.c2pa` sidecar beside the output (the format has no place
    /// for them).
    Sidecar(PathBuf),
}

impl Default for Registry {
    /// Every labeler this build has, with default settings.
    fn default() -> Self {
        Registry::with_settings(&Settings::default())
    }
}

/// What signing produced, before the output has its final name.
#[derive(Debug)]
#[cfg_attr(not(feature = "c2pa"), allow(dead_code))] // only C2PA signing makes one
enum Signed {
    Embedded,
    /// The manifest store for the sidecar.
    #[cfg(feature = "c2pa")]
    Sidecar(Vec<u8>),
}

/// What labelling one file produced.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FileOutcome {
    /// Where the output was written (its extension follows the output format).
    pub output: PathBuf,
    /// The labeler's result.
    pub labelled: Labelled,
    /// Size of the input in bytes.
    pub input_len: u64,
    /// SHA-256 of the input.
    pub input_sha256: String,
    /// Size of the output in bytes.
    pub output_len: u64,
    /// SHA-256 of the output.
    pub output_sha256: String,
    /// C2PA Content Credentials, when the registry signs them.
    pub credentials: Option<Credentials>,
    /// The manifest sidecar beside the output, when its format gets one
    /// ([`Registry::manifest_sidecar_of`]).
    pub manifest_sidecar: Option<PathBuf>,
    /// Another tool's C2PA credentials of the input, kept in this `.c2pa`
    /// sidecar beside the output because no C2PA key was given to carry
    /// them on as an ingredient (left embedded, the labelled content would
    /// break them). A note in `labelled.notes` says so too.
    pub kept_credentials: Option<PathBuf>,
}

/// An input file's identity, to notice a file that changes while it is read.
#[derive(Debug, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
}

fn stamp(path: &Path) -> Result<Stamp> {
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::Io {
                path: Some(path.to_path_buf()),
                source: e,
            }
        } else {
            Error::from(e).at(path)
        }
    })?;
    // Opening a FIFO would wait for a writer; a device never ends.
    if !meta.is_file() {
        return Err(Error::unsupported(
            "not a regular file (a FIFO, socket or device is never opened)",
        )
        .at(path));
    }
    Ok(Stamp {
        len: meta.len(),
        modified: meta.modified().ok(),
    })
}

impl Registry {
    /// A registry with no labelers, to fill with [`Registry::register`].
    pub fn empty() -> Self {
        Registry {
            labelers: Vec::new(),
            labeler_settings: Vec::new(),
            durability: atomic::Durability::EachFile,
            #[cfg(feature = "text")]
            text: tanba_text::TextSettings::default(),
            #[cfg(feature = "c2pa")]
            c2pa: C2paOptions::default(),
            watermark: WatermarkOptions::default(),
        }
    }

    /// Every labeler this build has, with the given settings. Binary formats
    /// are asked first; text, the catch-all, last.
    pub fn with_settings(settings: &Settings) -> Self {
        let mut registry = Registry::configured(settings);
        registry.register_without_ffmpeg(settings);
        #[cfg(feature = "audio-ffmpeg")]
        registry.register(tanba_audio::AudioLabeler::new(settings.audio.clone()));
        #[cfg(feature = "video")]
        registry.register(tanba_video::VideoLabeler::new(settings.video.clone()));
        registry.register_text(settings);
        registry
    }

    /// The labelers of this build that need no FFmpeg (text, PDF, image,
    /// and audio when built without `audio-ffmpeg`), with the given
    /// settings. A program that never names [`Registry::with_settings`]
    /// then links none of FFmpeg, even when the crate is built with every
    /// feature, and so starts without loading its shared libraries.
    pub fn without_ffmpeg(settings: &Settings) -> Self {
        let mut registry = Registry::configured(settings);
        registry.register_without_ffmpeg(settings);
        registry.register_text(settings);
        registry
    }

    /// An empty registry with the settings that are not a labeler's.
    fn configured(settings: &Settings) -> Self {
        Registry {
            #[cfg(feature = "c2pa")]
            c2pa: settings.c2pa.clone(),
            watermark: settings.watermark.clone(),
            ..Registry::empty()
        }
    }

    /// The watermark keys verify tries and the manifest store.
    pub fn watermark_options(&self) -> &WatermarkOptions {
        &self.watermark
    }

    /// The binary-format labelers that need no FFmpeg.
    fn register_without_ffmpeg(&mut self, settings: &Settings) {
        #[cfg(feature = "image")]
        self.register(tanba_image::ImageLabeler::new(settings.image.clone()));
        #[cfg(all(feature = "audio", not(feature = "audio-ffmpeg")))]
        self.register(tanba_audio::AudioLabeler::new(settings.audio.clone()));
        #[cfg(feature = "pdf")]
        self.register(tanba_pdf::PdfLabeler::new(settings.pdf.clone()));
        #[cfg(feature = "office")]
        self.register(tanba_office::OfficeLabeler::new(settings.office.clone()));
        let _ = settings;
    }

    /// Text, the catch-all, which must be asked last.
    fn register_text(&mut self, settings: &Settings) {
        #[cfg(feature = "text")]
        {
            self.text = settings.text.clone();
            self.register(tanba_text::TextLabeler::new(settings.text.clone()));
        }
        let _ = settings;
    }

    /// When [`Registry::label_file`]'s outputs are synced to the disk: each
    /// before it takes its name (the default), or by the caller once a
    /// whole batch is written ([`atomic::sync_filesystem`]).
    pub fn set_durability(&mut self, durability: atomic::Durability) -> &mut Self {
        self.durability = durability;
        self
    }

    /// When outputs are synced: see [`Registry::set_durability`].
    pub fn durability(&self) -> atomic::Durability {
        self.durability
    }

    /// Adds a labeler. Those added earlier are asked first.
    pub fn register(&mut self, labeler: impl Labeler + 'static) -> &mut Self {
        self.labeler_settings
            .push(manifest::sha256_hex(format!("{labeler:?}").as_bytes()));
        self.labelers.push(Box::new(labeler));
        self
    }

    /// The labelers, in the order they are asked.
    pub fn labelers(&self) -> impl Iterator<Item = &dyn Labeler> {
        self.labelers.iter().map(|l| l.as_ref())
    }

    /// Every supported format with the name of its labeler.
    pub fn formats(&self) -> Vec<(&'static str, &'static Format)> {
        self.labelers()
            .flat_map(|l| l.formats().iter().map(move |f| (l.name(), *f)))
            .collect()
    }

    /// The labeler and format for content starting with `head`.
    pub fn detect(
        &self,
        head: &[u8],
        name: Option<&Path>,
    ) -> Option<(&dyn Labeler, &'static Format)> {
        self.labelers()
            .find_map(|l| l.sniff(head, name).map(|f| (l, f)))
    }

    /// Whether one of the labelers recognises the file's content.
    pub fn recognises_file(&self, path: &Path) -> Result<bool> {
        stamp(path)?;
        let mut file = File::open(path).map_err(|e| Error::from(e).at(path))?;
        let head = read_head(&mut file).map_err(|e| e.at(path))?;
        Ok(!head.is_empty() && self.detect(&head, Some(path)).is_some())
    }

    /// The index in the registry, labeler and format of content starting
    /// with `head`.
    pub fn detect_indexed(
        &self,
        head: &[u8],
        name: Option<&Path>,
    ) -> Option<(usize, &dyn Labeler, &'static Format)> {
        self.labelers()
            .enumerate()
            .find_map(|(i, l)| l.sniff(head, name).map(|f| (i, l, f)))
    }

    /// Why no labeler takes content that one of them would call its kind
    /// of media ([`Labeler::declines`]): structured text, for one.
    pub fn declined(&self, head: &[u8], name: Option<&Path>) -> Option<String> {
        self.labelers().find_map(|l| l.declines(head, name))
    }

    fn detect_or_fail(
        &self,
        head: &[u8],
        name: Option<&Path>,
    ) -> Result<(usize, &dyn Labeler, &'static Format)> {
        if head.is_empty() {
            return Err(Error::malformed("empty file (0 bytes)"));
        }
        if let Some(found) = self.detect_indexed(head, name) {
            return Ok(found);
        }
        Err(Error::unsupported(match self.declined(head, name) {
            Some(reason) => reason,
            None => format!(
                "content not recognised as any supported format (starts with {})",
                describe_head(head)
            ),
        }))
    }

    /// Where the C2PA sidecar of an output of `format` goes, when this
    /// registry signs and the format cannot hold the credentials itself.
    pub fn sidecar_of(&self, output: &Path, format: &Format) -> Option<PathBuf> {
        #[cfg(feature = "c2pa")]
        if self.c2pa.signer.is_some() && !tanba_c2pa::supports(format.mime) {
            return Some(tanba_c2pa::sidecar_path(output));
        }
        let _ = (output, format);
        None
    }

    /// Where the manifest sidecar of an output of `format` goes, when it
    /// gets one: SubRip always (it has no hidden place for a mark), plain
    /// text and WebVTT when `TextSettings::manifest_sidecar` asks, and M2TS
    /// video (no metadata stream readers recognise).
    pub fn manifest_sidecar_of(&self, output: &Path, format: &Format) -> Option<PathBuf> {
        #[cfg(feature = "text")]
        if self.text.writes_sidecar(format) {
            return Some(tanba_text::sidecar_path(output));
        }
        #[cfg(all(feature = "text", feature = "video"))]
        if std::ptr::eq(format, &tanba_video::M2TS) {
            return Some(tanba_text::sidecar_path(output));
        }
        let _ = (output, format);
        None
    }

    /// Labels `input` into `output`, atomically. When the output format
    /// differs from the input's (compressed audio written as WAV), the
    /// output's extension follows it. The input is only ever opened for
    /// reading. The output counts only once the same labeler's `verify`,
    /// reading it back from disk, finds the machine-readable mark and the
    /// perceptible label; otherwise it is removed and the error is
    /// [`Error::Unverified`]. On any error no output file is left.
    pub fn label_file(&self, input: &Path, output: &Path, job: &Job) -> Result<FileOutcome> {
        let before = stamp(input)?;
        job.limits
            .check_bytes(before.len)
            .map_err(|e| e.at(input))?;
        let mut file = File::open(input).map_err(|e| Error::from(e).at(input))?;
        let head = read_head(&mut file).map_err(|e| e.at(input))?;
        let (index, labeler, format) = self
            .detect_or_fail(&head, Some(input))
            .map_err(|e| e.at(input))?;
        let input_sha256 = manifest::sha256_of(&mut file).map_err(|e| e.at(input))?;
        let job = carry_aigc(
            job.clone()
                .with_source_sha256(input_sha256.clone())
                .with_settings_sha256(self.settings_sha256(index, job)),
            || foreign::scan_file(input),
        )?;
        let dir = atomic::parent_of(output);
        std::fs::create_dir_all(dir).map_err(|e| Error::from(e).at(dir))?;
        let write = |out: &mut File| -> Result<Written> {
            // The output is hashed as it is written (no second read), unless
            // C2PA signing rewrites it afterwards.
            let mut hashed = manifest::Sha256Writer::new(out);
            let (labelled, signed) = self.label_into(
                labeler,
                (&mut file, format, input, before.len),
                &mut hashed,
                &job,
            )?;
            // A file that changed under us would give a label for content
            // nobody has: refuse it rather than publish it.
            if stamp(input)? != before {
                return Err(
                    Error::malformed("the file changed while it was being labelled").at(input),
                );
            }
            let (len, sha) = hashed.finish().map_err(|e| e.at(output))?;
            Ok(Written {
                labelled,
                len,
                sha,
                signed,
            })
        };
        let name = |written: &Written| output_name(output, format, written.labelled.format);
        let watermark_note = std::cell::RefCell::new(None);
        #[cfg(feature = "text")]
        let staged = manifest_sidecar::Staged::default();
        let check = |tmp: &Path, written: &Written| {
            #[cfg(feature = "text")]
            if let Some(path) = self.manifest_sidecar_of(tmp, written.labelled.format) {
                staged.write(path, &written.labelled.manifest)?;
            }
            let final_name = name(written);
            let names = (Some(tmp), Some(final_name.as_path()));
            File::open(tmp)
                .and_then(|f| Ok((f.metadata()?.len(), f)))
                .map_err(Error::from)
                .and_then(|(len, mut file)| {
                    let manifest = &written.labelled.manifest;
                    let key = watermark::expected_key(manifest, job.watermark);
                    let found = check_output(labeler, &mut file, names, len, &job.limits, key)?;
                    let note = watermark::check_output(found, manifest, job.watermark)?;
                    *watermark_note.borrow_mut() = note;
                    Ok(())
                })
                .map_err(|e| e.at(output))
        };
        let done = atomic::write_checked_in(dir, self.durability, write, check, name);
        #[cfg(feature = "text")]
        let (done, manifest_sidecar) = match done {
            Ok((written, output)) => {
                let sidecar = staged.commit(&output)?;
                (Ok((written, output)), sidecar)
            }
            Err(e) => {
                staged.discard();
                (Err(e), None)
            }
        };
        #[cfg(not(feature = "text"))]
        let manifest_sidecar = None;
        let (mut written, output) = done?;
        let kept_credentials = self.keep_credentials(input, format, &output, &mut written)?;
        written.labelled.notes.extend(watermark_note.into_inner());
        if let Some(store) = &self.watermark.manifest_store {
            let c2pa = signed_store(&output, &written)?;
            watermark::store(store, &written.labelled.manifest, c2pa.as_deref())?;
        }
        let credentials = match written.signed {
            None => None,
            Some(Signed::Embedded) => Some(Credentials::Embedded),
            #[cfg(feature = "c2pa")]
            Some(Signed::Sidecar(store)) => Some(Credentials::Sidecar(credentials::write_sidecar(
                &output, &store,
            )?)),
        };
        Ok(FileOutcome {
            output,
            labelled: written.labelled,
            input_len: before.len,
            input_sha256,
            output_len: written.len,
            output_sha256: written.sha,
            credentials,
            manifest_sidecar,
            kept_credentials,
        })
    }

    /// Without a C2PA key, another tool's credentials of `input` are kept
    /// in the sidecar of `output` (see [`FileOutcome::kept_credentials`]).
    fn keep_credentials(
        &self,
        input: &Path,
        format: &'static Format,
        output: &Path,
        written: &mut Written,
    ) -> Result<Option<PathBuf>> {
        #[cfg(feature = "c2pa")]
        if self.c2pa.signer.is_none() {
            return credentials::keep_original(input, format, output, &mut written.labelled);
        }
        let _ = (input, format, output, written);
        Ok(None)
    }

    /// Runs the labeler over an open input into `out`, and signs the result
    /// with C2PA when the registry has a signer.
    fn label_into(
        &self,
        labeler: &dyn Labeler,
        (file, format, input, len): (&mut File, &'static Format, &Path, u64),
        out: &mut manifest::Sha256Writer<'_, File>,
        job: &Job,
    ) -> Result<(Labelled, Option<Signed>)> {
        #[cfg(feature = "c2pa")]
        if let Some(signer) = &self.c2pa.signer {
            return credentials::label_and_sign(
                labeler,
                file,
                (format, input, len),
                out.bypass(),
                job,
                signer,
            )
            .map_err(|e| e.at(input));
        }
        let labelled = labeler
            .label(file_source(file, format, input, len), out, job)
            .map_err(|e| e.at(input))?;
        Ok((labelled, None))
    }

    /// Fingerprint of everything that decides what a label looks like: the
    /// job's label, position and provenance, the signing keys, and the
    /// labeler's own settings. Equal fingerprints, equal labels.
    pub fn settings_sha256(&self, labeler_index: usize, job: &Job) -> String {
        let key = job
            .signing_key
            .as_deref()
            .map(manifest::public_key_base64)
            .unwrap_or_default();
        #[cfg(feature = "c2pa")]
        let c2pa = self.c2pa.signer.is_some();
        #[cfg(not(feature = "c2pa"))]
        let c2pa = false;
        // The watermark key itself is a secret: only its hash goes in.
        let watermark = job.watermark.map_or_else(
            || "none".to_string(),
            |k| manifest::sha256_hex(&k.0.to_le_bytes()),
        );
        let mut text = format!(
            "{:?}|{}|{:?}|{:?}|{:?}|{key}|c2pa={c2pa}|wm={watermark}|{}",
            job.label.lines,
            job.position.name(),
            job.source_kind,
            job.ai_system,
            job.operator,
            self.labeler_settings
                .get(labeler_index)
                .map_or("", String::as_str),
        );
        // Only when set, so every other fingerprint stays as it was.
        if job.real_person {
            text.push_str(&format!("|real-person={:?}", job.person));
        }
        manifest::sha256_hex(text.as_bytes())
    }

    /// Reads a file and reports the marks it carries.
    pub fn verify_file(&self, path: &Path, limits: &Limits) -> Result<Verification> {
        let len = stamp(path)?.len;
        limits.check_bytes(len).map_err(|e| e.at(path))?;
        let mut file = File::open(path).map_err(|e| Error::from(e).at(path))?;
        let head = read_head(&mut file).map_err(|e| e.at(path))?;
        let (_, labeler, format) = self
            .detect_or_fail(&head, Some(path))
            .map_err(|e| e.at(path))?;
        let mut verification = labeler
            .verify(
                Source {
                    reader: &mut file,
                    format,
                    path: Some(path),
                    len,
                },
                limits,
            )
            .map_err(|e| e.at(path))?;
        let found = watermark::read(
            &self.watermark,
            labeler,
            (&mut file, format, Some(path), len),
            limits,
        )
        .map_err(|e| e.at(path))?;
        watermark::add_to(&self.watermark, found, format, &mut verification);
        #[cfg(feature = "c2pa")]
        {
            credentials::check(&self.c2pa, path, format, &mut verification)?;
            if let Some(c2pa) = watermark::recovered_c2pa(&self.watermark, &verification) {
                credentials::check_recovered(&self.c2pa, (path, format), &c2pa, &mut verification)?;
            }
        }
        // The manifest may have been recovered from the store since.
        Ok(verification.with_real_person_flag())
    }

    /// Searches a file's pixels or sound for the visible or audible label
    /// `job` would put there (its text, languages and position), for a file
    /// whose manifest is gone (see [`Labeler::find_visible_label`]).
    /// `Ok(None)` when it is not found or the format cannot be searched.
    pub fn find_visible_label_file(&self, path: &Path, job: &Job) -> Result<Option<VisibleFound>> {
        let len = stamp(path)?.len;
        job.limits.check_bytes(len).map_err(|e| e.at(path))?;
        let mut file = File::open(path).map_err(|e| Error::from(e).at(path))?;
        let head = read_head(&mut file).map_err(|e| e.at(path))?;
        let (_, labeler, format) = self
            .detect_or_fail(&head, Some(path))
            .map_err(|e| e.at(path))?;
        let source = Source {
            reader: &mut file,
            format,
            path: Some(path),
            len,
        };
        labeler
            .find_visible_label(source, job)
            .map_err(|e| e.at(path))
    }

    /// Labels bytes in memory, for services. `name` only breaks ties between
    /// formats content cannot tell apart (Markdown or plain text). As with
    /// [`Registry::label_file`], the output is verified by the labeler that
    /// wrote it before it is returned ([`Error::Unverified`] otherwise),
    /// and its manifest is kept in the manifest store, if one is set.
    pub fn label_bytes(
        &self,
        input: &[u8],
        name: Option<&Path>,
        job: &Job,
    ) -> Result<(Vec<u8>, Labelled)> {
        job.limits.check_bytes(input.len() as u64)?;
        let head = &input[..input.len().min(SNIFF_LEN)];
        let (index, labeler, format) = self.detect_or_fail(head, name)?;
        #[cfg(feature = "text")]
        if std::ptr::eq(format, &tanba_text::SRT) {
            return Err(Error::cannot_label(
                "SubRip has no hidden place for the mark (players show every cue), so it goes \
                 in a sidecar file beside the output: label SubRip as a file, not as bytes",
            ));
        }
        #[cfg(all(feature = "text", feature = "video"))]
        if std::ptr::eq(format, &tanba_video::M2TS) {
            return Err(Error::cannot_label(
                "M2TS has no metadata stream readers recognise, so its marks go in a sidecar \
                 file beside the output: label M2TS as a file, not as bytes",
            ));
        }
        // C2PA signing works on files (the parent ingredient, a sidecar):
        // with a signer, the bytes are labelled as a file in a temporary
        // folder, so they are signed and the manifest store keeps their
        // C2PA store, as for files.
        #[cfg(feature = "c2pa")]
        if self.c2pa.signer.is_some() {
            return self.label_bytes_signed(input, name, format, job);
        }
        let job = carry_aigc(
            job.clone()
                .with_source_sha256(manifest::sha256_hex(input))
                .with_settings_sha256(self.settings_sha256(index, job)),
            || Ok(foreign::scan(input)),
        )?;
        let mut reader = Cursor::new(input);
        let mut out = Cursor::new(Vec::with_capacity(input.len() + 4096));
        let source = Source {
            reader: &mut reader,
            format,
            path: None,
            len: input.len() as u64,
        };
        let labelled = labeler.label(source, &mut out, &job)?;
        let output = out.into_inner();
        let len = output.len() as u64;
        let mut reader = Cursor::new(&output);
        let key = watermark::expected_key(&labelled.manifest, job.watermark);
        let found = check_output(labeler, &mut reader, (None, name), len, &job.limits, key)?;
        let note = watermark::check_output(found, &labelled.manifest, job.watermark)?;
        let mut labelled = labelled;
        labelled.notes.extend(note);
        // As for files: a stripped copy of these bytes finds its manifest
        // by the watermark (the Python package labels bytes).
        if let Some(store) = &self.watermark.manifest_store {
            watermark::store(store, &labelled.manifest, None)?;
        }
        Ok((output, labelled))
    }

    /// [`Registry::label_bytes`] with a C2PA signer: through
    /// [`Registry::label_file`] in a temporary folder (signed, verified,
    /// kept in the manifest store with its C2PA store), the output read
    /// back. A format whose credentials go in a sidecar cannot be answered
    /// as bytes alone: refused, as SubRip and M2TS are.
    #[cfg(feature = "c2pa")]
    fn label_bytes_signed(
        &self,
        input: &[u8],
        name: Option<&Path>,
        format: &'static Format,
        job: &Job,
    ) -> Result<(Vec<u8>, Labelled)> {
        let dir = tempfile::tempdir()?;
        let file_name = name.and_then(Path::file_name).map_or_else(
            || format!("input.{}", format.extension()).into(),
            PathBuf::from,
        );
        let src = dir.path().join(&file_name);
        std::fs::write(&src, input).map_err(|e| Error::from(e).at(&src))?;
        let out_dir = dir.path().join("out");
        std::fs::create_dir(&out_dir).map_err(|e| Error::from(e).at(&out_dir))?;
        let outcome = self.label_file(&src, &out_dir.join(&file_name), job)?;
        if matches!(outcome.credentials, Some(Credentials::Sidecar(_))) {
            return Err(Error::cannot_label(format!(
                "{} keeps its C2PA credentials in a sidecar file beside it, which bytes alone \
                 cannot carry: label it as a file, not as bytes",
                format.name
            )));
        }
        let bytes =
            std::fs::read(&outcome.output).map_err(|e| Error::from(e).at(&outcome.output))?;
        Ok((bytes, outcome.labelled))
    }

    /// Verifies bytes in memory.
    pub fn verify_bytes(
        &self,
        input: &[u8],
        name: Option<&Path>,
        limits: &Limits,
    ) -> Result<Verification> {
        limits.check_bytes(input.len() as u64)?;
        let head = &input[..input.len().min(SNIFF_LEN)];
        let (_, labeler, format) = self.detect_or_fail(head, name)?;
        let mut reader = Cursor::new(input);
        let len = input.len() as u64;
        let mut verification = labeler.verify(
            Source {
                reader: &mut reader,
                format,
                path: None,
                len,
            },
            limits,
        )?;
        let found = watermark::read(
            &self.watermark,
            labeler,
            (&mut reader, format, None, len),
            limits,
        )?;
        watermark::add_to(&self.watermark, found, format, &mut verification);
        Ok(verification.with_real_person_flag())
    }
}

/// The job with the AIGC label the input already carries (`scan` finds it),
/// so the output carries that one on instead of a second; a job that names
/// one already keeps it.
fn carry_aigc(job: Job, scan: impl FnOnce() -> Result<foreign::ForeignMarks>) -> Result<Job> {
    if job.prior_aigc.is_some() {
        return Ok(job);
    }
    Ok(match scan()?.aigc_label() {
        Some(prior) => job.with_prior_aigc(prior.clone()),
        None => job,
    })
}

/// What writing one output produced, before it has its final name.
struct Written {
    labelled: Labelled,
    len: u64,
    sha: String,
    signed: Option<Signed>,
}

/// The C2PA manifest store of a signed output, for the manifest store:
/// the sidecar's bytes, or the store embedded in the output.
fn signed_store(output: &Path, written: &Written) -> Result<Option<Vec<u8>>> {
    Ok(match &written.signed {
        #[cfg(feature = "c2pa")]
        Some(Signed::Sidecar(bytes)) => Some(bytes.clone()),
        #[cfg(feature = "c2pa")]
        Some(Signed::Embedded) => {
            let mut file = File::open(output).map_err(|e| Error::from(e).at(output))?;
            tanba_c2pa::embedded_store(written.labelled.format.mime, &mut file)
        }
        _ => {
            let _ = output;
            None
        }
    })
}

/// The output's name: the one asked for, with the extension of the format
/// written when that is not the input's.
fn output_name(output: &Path, input: &'static Format, written: &'static Format) -> PathBuf {
    if std::ptr::eq(input, written) {
        output.to_path_buf()
    } else {
        output.with_extension(written.extension())
    }
}

/// Reads a finished output (a temporary file at `path`, or bytes) back
/// with the labeler that wrote it: both parts of the label, and an intact
/// signature, or [`Error::Unverified`]. `name` is the output's final name,
/// which breaks sniffing ties as it will for any later reader. With `key`,
/// the watermark is read back in the same pass (from the same decode,
/// where the labeler can) and returned, for [`watermark::check_output`].
fn check_output(
    labeler: &dyn Labeler,
    output: &mut dyn ReadSeek,
    (path, name): (Option<&Path>, Option<&Path>),
    len: u64,
    limits: &Limits,
    key: Option<WatermarkKey>,
) -> Result<Option<WatermarkFound>> {
    let head = read_head(output)?;
    let format = labeler.sniff(&head, name).ok_or_else(|| {
        Error::unverified(format!(
            "the {} labeler does not recognise its own output",
            labeler.name()
        ))
    })?;
    let source = Source {
        reader: output,
        format,
        path,
        len,
    };
    let verification = match key {
        Some(key) => labeler.verify_with_watermark(source, key, limits)?,
        None => labeler.verify(source, limits)?,
    };
    verdict(&verification)?;
    Ok(verification.watermark)
}

/// Why a verification falls short of a label, if it does.
fn verdict(v: &Verification) -> Result<()> {
    if !v.has_machine_mark() {
        return Err(Error::unverified("no machine-readable mark"));
    }
    if !v.perceptible.found {
        return Err(Error::unverified(format!(
            "perceptible label not found ({})",
            v.perceptible.detail
        )));
    }
    if let SignatureState::Invalid { reason } = &v.signature {
        return Err(Error::unverified(format!("manifest signature: {reason}")));
    }
    Ok(())
}

/// A file on disk as a labeler's source.
fn file_source<'a>(
    file: &'a mut File,
    format: &'static Format,
    path: &'a Path,
    len: u64,
) -> Source<'a> {
    Source {
        reader: file,
        format,
        path: Some(path),
        len,
    }
}

/// The first bytes of a file, for an error message.
fn describe_head(head: &[u8]) -> String {
    let shown: Vec<String> = head.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("bytes {}", shown.join(" "))
}

/// Labels one file with the default registry.
pub fn label_file(input: &Path, output: &Path, job: &Job) -> Result<FileOutcome> {
    Registry::default().label_file(input, output, job)
}

/// Verifies one file with the default registry.
pub fn verify_file(path: &Path) -> Result<Verification> {
    Registry::default().verify_file(path, &Limits::default())
}
