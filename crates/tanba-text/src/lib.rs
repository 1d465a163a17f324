//! # tanba-text
//!
//! Labels text formats as Art. 21 of Kazakhstan's AI law asks: a visible
//! notice at the beginning, and the machine-readable mark (the TC260 AIGC
//! JSON and the Tanba manifest) where the format can hide it.
//!
//! | format | visible notice | machine-readable mark |
//! |---|---|---|
//! | plain text | first line | footer lines `AIGC:` and `Tanba-Manifest-Ref:` (id, digest, label fingerprint) |
//! | Markdown | block quote after the front matter | front-matter keys, else a leading HTML comment |
//! | HTML | banner first in `<body>` | `<meta name="ai-generated">`, `<meta name="AIGC">`, manifest `<script>` in `<head>`, after `<meta charset>` |
//! | SubRip | cue 1, over the first seconds | none in the file (no hidden place): the sidecar |
//! | WebVTT | a cue over the first seconds | `NOTE` blocks: `AIGC` and `Tanba-Manifest-Ref` |
//!
//! Plain text and subtitles carry the short manifest reference, not the
//! manifest: the whole manifest goes to the caller's compliance log and,
//! where asked ([`TextSettings::manifest_sidecar`]), and always for
//! SubRip, to a sidecar ([`sidecar_path`]), which `verify` checks against
//! the reference.
//!
//! Plain text is claimed by name only (`*.txt`, `*.text` and
//! [`TextSettings::plain_text_extensions`]); other text files (JSON, XML,
//! CSV, code, logs, `Makefile`, `.env` …) are declined as structured
//! text ([`STRUCTURED_TEXT`]), since a notice would break them. SVG is
//! neither taken nor declined: it is a picture, for the image labeler. Bytes
//! without a name are taken as plain text: the caller vouches for them.
//! Text files from 4 MiB on are streamed: the head is read to place the
//! notice, the checks run over the file in chunks and the rest is copied
//! as it is (SubRip's cue numbers moved up a line at a time), in flat
//! memory (the same bytes out). Smaller files, and what the head does not
//! settle (an HTML `<meta>` past the head, a front matter longer than it,
//! a forced relabel, UTF-16, a legacy encoding), are read whole. Either way a file past
//! [`Limits::max_text_bytes`] is refused before it is read.
//!
//! Encodings are kept: UTF-8 with or without a BOM, UTF-16 with a BOM; so are
//! line endings. Other encodings are refused unless named
//! ([`TextSettings::legacy_encoding`]), and refused again if the label's
//! letters do not fit in them: never mangled.

mod encoding;
// Entry points for the fuzz targets (fuzz/); not part of the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
mod html;
mod markdown;
mod marks;
mod plain;
mod sidecar;
mod sniff;
mod stream;
mod stream_formats;
mod subtitles;

use std::borrow::Cow;
use std::io::{Read, SeekFrom};
use std::path::Path;

use tanba_core::{
    Error, Format, Job, Labeler, Labelled, Limits, Manifest, PerceptibleCheck, Placement, Result,
    SignatureState, Source, Verification, WriteSeek,
};

use marks::{KnownTexts, Values};

pub use encoding::{LineEnding, TextEncoding};
pub use sidecar::{SIDECAR_SUFFIX, sidecar_contents, sidecar_path};
pub use sniff::STRUCTURED_TEXT;

/// Plain text.
pub static PLAIN: Format = Format {
    name: "text",
    mime: "text/plain",
    extensions: &["txt", "text"],
};
/// Markdown.
pub static MARKDOWN: Format = Format {
    name: "markdown",
    mime: "text/markdown",
    extensions: &["md", "markdown", "mdown", "mkd"],
};
/// HTML.
pub static HTML: Format = Format {
    name: "html",
    mime: "text/html",
    extensions: &["html", "htm", "xhtml"],
};
/// SubRip subtitles.
pub static SRT: Format = Format {
    name: "srt",
    mime: "application/x-subrip",
    extensions: &["srt"],
};
/// WebVTT subtitles.
pub static VTT: Format = Format {
    name: "vtt",
    mime: "text/vtt",
    extensions: &["vtt"],
};

static FORMATS: [&Format; 5] = [&PLAIN, &MARKDOWN, &HTML, &SRT, &VTT];

/// Settings of the text labeler.
#[derive(Debug, Clone, PartialEq)]
pub struct TextSettings {
    /// The encoding of input that is not UTF-8 or UTF-16 with a BOM (for
    /// example Windows-1251). `None` refuses such input.
    pub legacy_encoding: Option<&'static encoding_rs::Encoding>,
    /// Write the `AIGC:` / `Tanba-Manifest:` footer in plain text. Plain
    /// text has no hidden carrier (docs/compliance.md); without the footer
    /// a plain text file carries the visible notice only.
    pub plain_text_footer: bool,
    /// How long the subtitle notice cue lasts, in seconds.
    pub subtitle_seconds: f64,
    /// Also write the whole manifest to a sidecar `NAME.EXT.tanba.json`
    /// beside plain text and WebVTT outputs, which carry only its reference
    /// ([`TextSettings::writes_sidecar`]). SubRip always gets one.
    pub manifest_sidecar: bool,
    /// The extensions (any case, with or without the dot) of files labelled
    /// as plain text; default `txt` and `text`. Text files of any other
    /// name that is not Markdown, HTML or subtitles (JSON, XML, CSV, code,
    /// logs, `Makefile`, `.env` …) are left alone as structured text.
    /// Bytes without a name are taken as plain text: the caller vouches.
    pub plain_text_extensions: Vec<String>,
}

impl Default for TextSettings {
    fn default() -> Self {
        TextSettings {
            legacy_encoding: None,
            plain_text_footer: true,
            manifest_sidecar: false,
            subtitle_seconds: 4.0,
            plain_text_extensions: PLAIN.extensions.iter().map(|e| e.to_string()).collect(),
        }
    }
}

impl TextSettings {
    /// Names the legacy encoding by its WHATWG label (`windows-1251`, `koi8-r` …).
    pub fn with_legacy_encoding(mut self, label: &str) -> Result<Self> {
        let enc = encoding_rs::Encoding::for_label(label.trim().as_bytes())
            .ok_or_else(|| Error::config(format!("unknown text encoding {label:?}")))?;
        self.legacy_encoding = Some(enc);
        Ok(self)
    }

    /// Whether an output of `format` gets a manifest sidecar
    /// ([`sidecar_path`], [`sidecar_contents`]): SubRip always (it has no
    /// hidden place for a mark), plain text and WebVTT when
    /// [`TextSettings::manifest_sidecar`] asks.
    pub fn writes_sidecar(&self, format: &Format) -> bool {
        let name = format.name;
        name == SRT.name
            || (self.manifest_sidecar
                && (name == VTT.name || (name == PLAIN.name && self.plain_text_footer)))
    }

    /// Whether files ending in `.ext` are labelled as plain text.
    pub fn claims_extension(&self, ext: &str) -> bool {
        let ext = ext.trim_start_matches('.');
        self.plain_text_extensions
            .iter()
            .any(|e| !ext.is_empty() && e.trim_start_matches('.').eq_ignore_ascii_case(ext))
    }
}

/// The labeler for text formats.
///
/// ```
/// use std::io::Cursor;
/// use tanba_core::{Job, Labeler, Limits, Source};
/// use tanba_text::{MARKDOWN, TextLabeler};
///
/// let labeler = TextLabeler::default();
/// let input = "# Report\n\nWritten by a model.\n".as_bytes();
/// let len = input.len() as u64;
/// let source = Source { reader: &mut Cursor::new(input), format: &MARKDOWN, path: None, len };
/// let mut output = Cursor::new(Vec::new());
/// labeler.label(source, &mut output, &Job::new())?;
///
/// let labelled = output.into_inner();
/// let len = labelled.len() as u64;
/// let source = Source { reader: &mut Cursor::new(&labelled), format: &MARKDOWN, path: None, len };
/// assert!(labeler.verify(source, &Limits::default())?.is_compliant());
/// # Ok::<(), tanba_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct TextLabeler {
    /// Its settings.
    pub settings: TextSettings,
}

impl TextLabeler {
    /// A labeler with these settings.
    pub fn new(settings: TextSettings) -> Self {
        TextLabeler { settings }
    }

    fn find_marks(format: &Format, text: &str) -> marks::Found {
        match format.name {
            "markdown" => markdown::find_marks(text),
            "html" => html::find_marks(text),
            "srt" | "vtt" => subtitles::find_marks(text),
            _ => plain::find_marks(text),
        }
    }

    /// Where the visible notice should be, as text.
    fn notice_region(format: &Format, text: &str) -> String {
        match format.name {
            "markdown" => markdown::first_visible_block(text),
            "html" => html::banner_text(text).unwrap_or_default(),
            "srt" | "vtt" => subtitles::leading_blocks(text, 6).to_string(),
            _ => plain::first_line(text).to_string(),
        }
    }

    /// Whether the notice is where it belongs: every label line of the
    /// manifest; without it (a reference, no sidecar), the notice's lines
    /// with the fingerprint the reference holds; without either, any
    /// shipped label text.
    fn check_notice(
        format: &Format,
        text: &str,
        manifest: Option<&Manifest>,
        fingerprint: Option<&str>,
    ) -> PerceptibleCheck {
        let region = Self::notice_region(format, text);
        let where_ = match format.name {
            "markdown" => "the first block",
            "html" => "the banner at the start of <body>",
            "srt" | "vtt" => "the first cues",
            _ => "the first line",
        };
        if let (None, Some(fingerprint)) = (manifest, fingerprint) {
            let lines: Vec<&str> = match format.name {
                "vtt" => subtitles::vtt_notice_lines(text),
                _ => plain::first_line(text).split(" / ").collect(),
            };
            return if !lines.is_empty() && marks::label_fingerprint(lines) == fingerprint {
                PerceptibleCheck::found(format!(
                    "notice found in {where_} (its wording matches the reference)"
                ))
            } else {
                PerceptibleCheck::missing(format!(
                    "no notice with the wording the reference records in {where_}"
                ))
            };
        }
        if marks::has_notice(&region, manifest) {
            return PerceptibleCheck::found(format!("notice found in {where_}"));
        }
        PerceptibleCheck::missing(format!("no notice in {where_}"))
    }

    /// Reads and decodes the whole source, refusing it by size before a
    /// byte is read, and subtitles by their cues before any is copied.
    fn read(
        &self,
        source: &mut Source<'_>,
        limits: &Limits,
    ) -> Result<(Vec<u8>, encoding::Decoded)> {
        let bytes = read_text(source, limits)?;
        let decoded = encoding::decode(&bytes, self.settings.legacy_encoding)?;
        if matches!(source.format.name, "srt" | "vtt") {
            subtitles::check_cues(&decoded.text, source.format.name == "vtt", limits)?;
        }
        Ok((bytes, decoded))
    }

    /// `text` without our earlier notice and marks, for a forced relabel.
    fn strip<'a>(format: &Format, text: &'a str, known: &KnownTexts) -> Cow<'a, str> {
        match format.name {
            "markdown" => Cow::Owned(markdown::strip(text, known)),
            "html" => Cow::Owned(html::strip(text)),
            "srt" | "vtt" => Cow::Owned(subtitles::strip(text, known)),
            _ => Cow::Borrowed(plain::strip(text, known)),
        }
    }

    /// The labelled text of `text`.
    fn labelled(
        &self,
        format: &Format,
        decoded: &encoding::Decoded,
        text: &str,
        job: &Job,
        manifest: &Manifest,
    ) -> Result<String> {
        let lines: Vec<&str> = job.label.texts().collect();
        let eol = decoded.eol;
        let seconds = self.settings.subtitle_seconds;
        let legacy = matches!(decoded.encoding, TextEncoding::Legacy(_));
        let whole = || Values::whole(manifest, legacy);
        let reference = Values::reference(manifest);
        Ok(match format.name {
            "markdown" => {
                let v = whole();
                markdown::label(text, eol, &lines, (&v.aigc, &v.manifest))
            }
            "html" => {
                let v = whole();
                html::label(text, &job.label.lines, (&v.aigc, &v.manifest))?
            }
            "srt" => subtitles::label_srt(text, eol, &lines, seconds),
            "vtt" => subtitles::label_vtt(text, eol, &lines, seconds, &reference),
            _ => {
                let footer = self.settings.plain_text_footer.then_some(&reference);
                plain::label(text, eol, &marks::notice(&job.label), footer)
            }
        })
    }

    /// Where the notice goes, for the manifest.
    fn placement(&self, format: &Format) -> Placement {
        let position = match format.name {
            "markdown" | "text" => "start",
            "html" => "body-start",
            _ => "first-cue",
        };
        let mut placement = Placement::at(position);
        if matches!(format.name, "srt" | "vtt") {
            placement.span = Some([0.0, self.settings.subtitle_seconds]);
        }
        placement
    }

    /// What the caller should know about an output of `format`.
    fn notes(&self, format: &Format) -> Vec<String> {
        let mut notes = Vec::new();
        if format.name == "text" && !self.settings.plain_text_footer {
            notes
                .push("plain text carries the visible notice only (footer turned off)".to_string());
        }
        if format.name == "srt" {
            notes.push(format!(
                "SubRip has no hidden place (players show every cue): the mark is in the \
                 sidecar NAME.srt{SIDECAR_SUFFIX}"
            ));
        }
        notes
    }

    /// Labels a big text file in flat memory ([`stream`]): `None` when it
    /// must be read whole instead.
    fn label_streamed(
        &self,
        source: &mut Source<'_>,
        output: &mut dyn WriteSeek,
        job: &Job,
    ) -> Result<Option<Labelled>> {
        let format = source.format;
        let legacy = self.settings.legacy_encoding.is_some();
        let Some(head) = stream::open(source, &job.limits, legacy)? else {
            return Ok(None);
        };
        if !stream_formats::settles_label(source, &head, &job.limits)? {
            return Ok(None);
        }
        let existing = match format.name {
            "text" => plain::find_marks(&head.tail),
            _ => Self::find_marks(format, &head.text),
        };
        // SubRip carries no mark: an earlier labelling shows as our cue 1.
        let earlier_cue = format.name == "srt" && {
            let known = Self::known_texts(format, &existing, source.path, job);
            subtitles::strip(&head.text, &known) != head.text
        };
        if existing.any() || earlier_cue {
            return Err(Error::already_labelled());
        }
        let job = match &job.source_sha256 {
            Some(_) => job.clone(),
            None => job
                .clone()
                .with_source_sha256(tanba_core::manifest::sha256_of(source.reader)?),
        };
        let manifest = job.manifest(format.mime, self.placement(format));
        let Some(start) = self.streamed_start(format, &head, &job, &manifest) else {
            return Ok(None);
        };
        output.write_all(head.bom)?;
        output.write_all(start.as_bytes())?;
        let bom = head.bom.len() as u64;
        match format.name {
            "markdown" => {
                let (_, split) = markdown::label_head(&head.text, head.eol, &[], ("", ""));
                stream::copy_from(source, bom + split as u64, output)?;
            }
            "html" => stream::copy_from(source, bom + head.text.len() as u64, output)?,
            "srt" => stream_formats::write_renumbered(source, bom, output)?,
            "vtt" => {
                let end = subtitles::after_first_blank_line(&head.text);
                stream::copy_from(source, bom + end as u64, output)?;
            }
            _ => {
                stream::copy_from(source, bom, output)?;
                if self.settings.plain_text_footer {
                    let values = Values::reference(&manifest);
                    let footer = plain::footer_text(head.eol, !head.ends_with_newline, &values);
                    output.write_all(footer.as_bytes())?;
                }
            }
        }
        Ok(Some(
            Labelled::new(format, manifest).with_notes(self.notes(format)),
        ))
    }

    /// What the streamed output starts with, before the copied rest (after
    /// any BOM); `None` when the head of an HTML document does not settle
    /// it.
    fn streamed_start(
        &self,
        format: &Format,
        head: &stream::Head,
        job: &Job,
        manifest: &Manifest,
    ) -> Option<String> {
        let lines: Vec<&str> = job.label.texts().collect();
        let seconds = self.settings.subtitle_seconds;
        Some(match format.name {
            "markdown" => {
                let v = Values::whole(manifest, false);
                markdown::label_head(&head.text, head.eol, &lines, (&v.aigc, &v.manifest)).0
            }
            "html" => {
                let v = Values::whole(manifest, false);
                html::label_head(&head.text, &job.label.lines, (&v.aigc, &v.manifest))?
            }
            "srt" => subtitles::label_srt("", head.eol, &lines, seconds),
            "vtt" => {
                let end = subtitles::after_first_blank_line(&head.text);
                let reference = Values::reference(manifest);
                subtitles::label_vtt(&head.text[..end], head.eol, &lines, seconds, &reference)
            }
            _ => plain::prefix(head.eol, &marks::notice(&job.label)),
        })
    }

    /// The label texts an earlier notice may hold: the job's, and those of
    /// the earlier manifest, in the file or in the input's sidecar.
    fn known_texts(
        format: &Format,
        existing: &marks::Found,
        path: Option<&Path>,
        job: &Job,
    ) -> KnownTexts {
        let reference = existing.reference().and_then(Result::ok);
        let earlier = existing
            .manifest()
            .and_then(Result::ok)
            .or_else(|| sidecar::look(path, format, reference.as_ref(), &job.limits).manifest);
        KnownTexts::new(&job.label, earlier.as_ref()).with_fingerprint(existing.label_fingerprint())
    }

    /// The verdict on a text whose notice region starts `text` and whose
    /// marks are in `marks_in` (the whole text, or its head or tail).
    fn judge(
        &self,
        path: Option<&Path>,
        format: &'static Format,
        text: &str,
        marks_in: &str,
        limits: &Limits,
    ) -> Result<Verification> {
        let found = Self::find_marks(format, marks_in);
        let mut manifest: Option<Manifest> = found.manifest().transpose()?;
        let reference = found.reference().transpose()?;
        let beside = sidecar::look(path, format, reference.as_ref(), limits);
        if manifest.is_none() {
            manifest = beside.manifest;
        }
        let carrier = match format.name {
            "markdown" if text.trim_start().starts_with("<!--") => "leading comment",
            "markdown" => "front matter",
            "html" => "<head>",
            "vtt" => "NOTE",
            "srt" => "zero-length cue",
            _ => "footer",
        };
        let mut marks = found.marks(carrier);
        marks.extend(beside.marks);
        if format.name == "html" && text.contains(html::FLAG) {
            marks.push(tanba_core::Mark::new(
                tanba_core::MarkKind::Native,
                "<meta name=\"ai-generated\">",
            ));
        }
        let fingerprint = found.label_fingerprint();
        let perceptible =
            Self::check_notice(format, text, manifest.as_ref(), fingerprint.as_deref());
        let mut verification = Verification::new(format, marks, manifest, perceptible);
        verification.manifest_ref = reference;
        if let Some(reason) = beside.broken {
            verification.signature = SignatureState::Invalid { reason };
        }
        Ok(verification)
    }
}

/// Reads a text source whole. Text is decoded and rebuilt in memory, so it
/// is refused past `max_text_bytes` before anything is read or allocated.
fn read_text(source: &mut Source<'_>, limits: &Limits) -> Result<Vec<u8>> {
    limits.check_text_bytes(source.len)?;
    limits.check_bytes(source.len)?;
    source.reader.seek(SeekFrom::Start(0))?;
    let cap = limits.max_text_bytes.min(source.len);
    let mut bytes = Vec::with_capacity(usize::try_from(cap).unwrap_or(0));
    source
        .reader
        .take(limits.max_text_bytes.saturating_add(1))
        .read_to_end(&mut bytes)?;
    limits.check_text_bytes(bytes.len() as u64)?;
    Ok(bytes)
}

impl Labeler for TextLabeler {
    fn name(&self) -> &'static str {
        "text"
    }

    fn formats(&self) -> &'static [&'static Format] {
        &FORMATS
    }

    fn sniff(&self, head: &[u8], name: Option<&Path>) -> Option<&'static Format> {
        sniff::sniff(head, name, &self.settings)
    }

    fn declines(&self, head: &[u8], name: Option<&Path>) -> Option<String> {
        sniff::declines(head, name, &self.settings)
    }

    fn label(
        &self,
        mut source: Source<'_>,
        output: &mut dyn WriteSeek,
        job: &Job,
    ) -> Result<Labelled> {
        let format = source.format;
        if stream::applies(format.name, source.len, job.force)
            && let Some(labelled) = self.label_streamed(&mut source, output, job)?
        {
            return Ok(labelled);
        }
        let (bytes, decoded) = self.read(&mut source, &job.limits)?;
        if bytes.is_empty() {
            return Err(Error::malformed("empty file: nothing to label"));
        }
        if decoded.text.trim().is_empty() {
            return Err(Error::malformed(
                "the file holds only white space: nothing to label",
            ));
        }
        let existing = Self::find_marks(format, &decoded.text);
        let known = Self::known_texts(format, &existing, source.path, job);
        // SubRip carries no mark: an earlier labelling shows as our cue 1.
        let earlier_cue =
            format.name == "srt" && subtitles::strip(&decoded.text, &known) != decoded.text;
        if (existing.any() || earlier_cue) && !job.force {
            return Err(Error::already_labelled());
        }
        // A forced relabel replaces: our earlier notice and marks go.
        let text = if job.force {
            Self::strip(format, &decoded.text, &known)
        } else {
            Cow::Borrowed(decoded.text.as_str())
        };
        let job = match &job.source_sha256 {
            Some(_) => job.clone(),
            None => job
                .clone()
                .with_source_sha256(tanba_core::manifest::sha256_hex(&bytes)),
        };
        let manifest = job.manifest(format.mime, self.placement(format));
        let labelled = self.labelled(format, &decoded, &text, &job, &manifest)?;
        output.write_all(&encoding::encode(&labelled, decoded.encoding)?)?;
        let notes = self.notes(format);
        Ok(Labelled::new(format, manifest).with_notes(notes))
    }

    fn verify(&self, mut source: Source<'_>, limits: &Limits) -> Result<Verification> {
        let format = source.format;
        if stream::applies(format.name, source.len, false)
            && let Some(head) =
                stream::open(&mut source, limits, self.settings.legacy_encoding.is_some())?
            && stream_formats::settles_verdict(&mut source, &head, limits)?
        {
            // The marks are in the tail (the plain text footer) or the
            // head; the notice is at the start.
            let marks_in = if format.name == "text" {
                &head.tail
            } else {
                &head.text
            };
            return self.judge(source.path, format, &head.text, marks_in, limits);
        }
        let (_, decoded) = self.read(&mut source, limits)?;
        self.judge(source.path, format, &decoded.text, &decoded.text, limits)
    }
}
