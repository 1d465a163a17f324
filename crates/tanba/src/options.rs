//! Plain options onto a [`Job`] and the labelers' [`Settings`]: one
//! mapping for every front end (the command line with `tanba.toml`, the
//! Python package, a service), so each option is parsed and checked in one
//! place and means the same everywhere.

use std::path::PathBuf;
use std::sync::Arc;

use crate::{
    AiSystem, Error, Job, Label, Lang, Limits, Operator, Position, Result, Settings, SourceKind,
    WatermarkKey, Wording,
};

/// Every labelling option as text, numbers and paths, as a front end
/// receives them; `None` (or `false`) keeps the default.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Custom label lines (language code, text), replacing the shipped
    /// texts; when given, `languages` and `wording` are not used.
    pub label_lines: Vec<(String, String)>,
    /// Languages of the shipped texts (`kk`, `ru`, `en`); default Kazakh
    /// and Russian.
    pub languages: Option<Vec<String>>,
    /// `long` or `short`.
    pub wording: Option<String>,
    /// `bottom-right`, `top-left` …
    pub position: Option<String>,
    /// The AI system's name, and its version.
    pub ai_system: Option<String>,
    /// The AI system's version (only with `ai_system`).
    pub ai_version: Option<String>,
    /// The operator's name.
    pub operator: Option<String>,
    /// The operator's BIN (needs `operator`).
    pub bin: Option<String>,
    /// Ed25519 signing key file (PKCS#8 PEM) for the manifest.
    pub key: Option<PathBuf>,
    /// `generated` (the default) or `composite`.
    pub source: Option<String>,
    /// Decoder limits.
    pub limits: Option<Limits>,
    /// A TrueType/OpenType font for pictures, video and PDF.
    pub font: Option<PathBuf>,
    /// Legacy encoding of non-UTF text (`windows-1251`).
    pub text_encoding: Option<String>,
    /// Write the plain-text footer (default yes).
    pub text_footer: Option<bool>,
    /// Where plain text's and WebVTT's whole manifest goes: `reference` or `sidecar`.
    pub text_manifest: Option<String>,
    /// Seconds the subtitle notice lasts (0.5 to 60).
    pub subtitle_seconds: Option<f64>,
    /// PDF pages: `all`, `first` or ranges like `1-3,7`.
    pub pdf_pages: Option<String>,
    /// PDF banner edge: `top` or `bottom`.
    pub pdf_edge: Option<String>,
    /// Rewrite the whole PDF instead of an incremental update.
    pub pdf_rewrite: bool,
    /// Refuse PDFs encrypted to restrict changes.
    pub refuse_encrypted: bool,
    /// JPEG quality: `source` or 1-100.
    pub jpeg_quality: Option<String>,
    /// Audio mode: `prepend`, `overlay`, `append`, `repeat:N`.
    pub audio_mode: Option<String>,
    /// Audio disclaimer: `spoken`, `tone` or the path of a clip.
    pub audio_disclaimer: Option<String>,
    /// Programme gain under an overlaid disclaimer, dB (-40 to 0).
    pub ducking_db: Option<f32>,
    /// Seconds of the video's opening notice, or `off`.
    pub video_notice: Option<String>,
    /// The video's corner badge (default on).
    pub video_badge: Option<bool>,
    /// The video encoder's constant rate factor.
    pub video_crf: Option<u32>,
    /// The video encoder's preset.
    pub video_preset: Option<String>,
    /// Mix the spoken disclaimer into the video's soundtrack.
    pub video_audible: bool,
    /// C2PA certificate chain (PEM), signing certificate first.
    pub c2pa_cert: Option<PathBuf>,
    /// The C2PA certificate's private key (PEM).
    pub c2pa_key: Option<PathBuf>,
    /// PEM trust anchors for reading C2PA credentials.
    pub c2pa_trust: Option<PathBuf>,
    /// The content imitates a real person: the deepfake notice instead of
    /// the default texts (custom lines stay as given), recorded in the
    /// manifest.
    pub real_person: bool,
    /// The real person's name, recorded (manifest, XMP), never drawn;
    /// needs `real_person`.
    pub person: Option<String>,
    /// The invisible watermark: on unless `Some(false)`.
    pub watermark: Option<bool>,
    /// An operator's own watermark key (16 hex digits): marks with it
    /// instead of the public key, and `verify` tries it before the public
    /// one.
    pub watermark_key: Option<String>,
    /// The manifest store: `label` keeps each output's manifest there,
    /// `verify` brings a stripped file's manifest back from it.
    pub manifest_store: Option<PathBuf>,
}

/// An option for a media type this build leaves out is an error, not
/// silently ignored.
pub fn not_built(feature: &str, given: bool) -> Result<()> {
    if given {
        return Err(Error::config(format!(
            "this tanba was built without {feature} support (cargo feature `{feature}`)"
        )));
    }
    Ok(())
}

impl Options {
    /// The job: label, position, provenance, signing key, limits and the
    /// watermark key (none when the watermark is off). A
    /// missing or wrong key is an error here, before any file is touched.
    pub fn job(&self) -> Result<Job> {
        let position: Position = self
            .position
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or_default();
        let source_kind = match self.source.as_deref() {
            None | Some("generated") => SourceKind::Generated,
            Some("composite") => SourceKind::Composite,
            Some(other) => {
                return Err(Error::config(format!(
                    "provenance source {other:?}: use generated or composite"
                )));
            }
        };
        let mut job = Job::new()
            .with_label(self.label()?)
            .with_position(position)
            .with_limits(self.limits.unwrap_or_default())
            .with_source_kind(source_kind);
        job.ai_system = self.ai_system.clone().map(|name| AiSystem {
            name,
            version: self.ai_version.clone(),
        });
        job.operator = match &self.operator {
            Some(name) => Some(Operator::new(name.clone(), self.bin.clone())?),
            None if self.bin.is_some() => return Err(Error::config("a BIN needs an operator")),
            None => None,
        };
        job.signing_key = self
            .key
            .as_deref()
            .map(|p| crate::manifest::load_signing_key(p).map(Arc::new))
            .transpose()?;
        job.real_person = self.real_person;
        job.person = self.person()?;
        job.watermark = match (self.watermark, self.watermark_key()?) {
            (Some(false), _) => None,
            (_, private) => Some(private.unwrap_or(WatermarkKey::PUBLIC)),
        };
        Ok(job)
    }

    /// The operator's watermark key, parsed (a malformed one is an error
    /// before any file is touched).
    fn watermark_key(&self) -> Result<Option<WatermarkKey>> {
        self.watermark_key
            .as_deref()
            .map(str::parse::<WatermarkKey>)
            .transpose()
    }

    /// The person's name, checked: only with `real_person`, one line, not
    /// empty, at most 200 characters.
    fn person(&self) -> Result<Option<String>> {
        let Some(name) = &self.person else {
            return Ok(None);
        };
        if !self.real_person {
            return Err(Error::config("a person's name needs --real-person"));
        }
        let name = name.trim();
        if name.is_empty() || name.contains(['\n', '\r']) || name.chars().count() > 200 {
            return Err(Error::config(
                "the person's name must be one non-empty line of at most 200 characters",
            ));
        }
        Ok(Some(name.to_string()))
    }

    /// The label lines: custom lines, else the shipped texts (the deepfake
    /// notice with `real_person`) in `languages` (Kazakh and Russian by
    /// default) with `wording`.
    fn label(&self) -> Result<Label> {
        if !self.label_lines.is_empty() {
            return Label::custom(self.label_lines.iter().cloned());
        }
        let langs = match &self.languages {
            Some(names) => names
                .iter()
                .map(|n| n.parse::<Lang>())
                .collect::<Result<Vec<_>>>()?,
            None => vec![Lang::Kk, Lang::Ru],
        };
        let wording: Wording = self
            .wording
            .as_deref()
            .map(str::parse)
            .transpose()?
            .unwrap_or_default();
        Ok(if self.real_person {
            Label::real_person(&langs, wording)
        } else {
            Label::standard(&langs, wording)
        })
    }

    /// Every labeler's settings. Files named (font, disclaimer clip,
    /// C2PA keys) are read now, so a bad one fails before any work; an
    /// option for a media type this build leaves out is an error.
    pub fn settings(&self) -> Result<Settings> {
        let mut settings = Settings::default();
        self.text_settings(&mut settings)?;
        self.font_settings(&mut settings)?;
        self.pdf_settings(&mut settings)?;
        self.image_settings(&mut settings)?;
        self.audio_settings(&mut settings)?;
        self.video_settings(&mut settings)?;
        self.c2pa_settings(&mut settings)?;
        settings.watermark.private_key = self.watermark_key()?;
        settings.watermark.manifest_store = self.manifest_store.clone();
        Ok(settings)
    }

    #[cfg(feature = "text")]
    fn text_settings(&self, settings: &mut Settings) -> Result<()> {
        if let Some(enc) = self.text_encoding.as_deref() {
            settings.text = settings.text.clone().with_legacy_encoding(enc)?;
        }
        if self.text_footer == Some(false) {
            settings.text.plain_text_footer = false;
        }
        match self.text_manifest.as_deref() {
            None | Some("reference") => {}
            Some("sidecar") => settings.text.manifest_sidecar = true,
            Some(other) => {
                return Err(Error::config(format!(
                    "text manifest {other:?}: use reference or sidecar"
                )));
            }
        }
        if let Some(s) = self.subtitle_seconds {
            if !(0.5..=60.0).contains(&s) {
                return Err(Error::config("subtitle seconds must be between 0.5 and 60"));
            }
            settings.text.subtitle_seconds = s;
        }
        Ok(())
    }

    #[cfg(not(feature = "text"))]
    fn text_settings(&self, _: &mut Settings) -> Result<()> {
        not_built(
            "text",
            self.text_encoding.is_some()
                || self.text_footer.is_some()
                || self.text_manifest.is_some()
                || self.subtitle_seconds.is_some(),
        )
    }

    /// The font, read and parsed now: pictures', video's and PDF's.
    fn font_settings(&self, settings: &mut Settings) -> Result<()> {
        let Some(path) = self.font.as_deref() else {
            return Ok(());
        };
        let font = crate::FontFile::load(path)?;
        #[cfg(feature = "image")]
        {
            settings.image.font = font.clone();
        }
        #[cfg(feature = "video")]
        {
            settings.video.font = font.clone();
        }
        #[cfg(feature = "pdf")]
        {
            settings.pdf.font = font.clone();
        }
        let _ = (settings, font);
        Ok(())
    }

    #[cfg(feature = "pdf")]
    fn pdf_settings(&self, settings: &mut Settings) -> Result<()> {
        if let Some(pages) = self.pdf_pages.as_deref() {
            settings.pdf.pages = pages.parse()?;
        }
        if let Some(edge) = self.pdf_edge.as_deref() {
            settings.pdf.edge = Some(edge.parse()?);
        }
        settings.pdf.rewrite = self.pdf_rewrite;
        settings.pdf.refuse_encrypted = self.refuse_encrypted;
        Ok(())
    }

    #[cfg(not(feature = "pdf"))]
    fn pdf_settings(&self, _: &mut Settings) -> Result<()> {
        not_built(
            "pdf",
            self.pdf_pages.is_some()
                || self.pdf_edge.is_some()
                || self.pdf_rewrite
                || self.refuse_encrypted,
        )
    }

    #[cfg(feature = "image")]
    fn image_settings(&self, settings: &mut Settings) -> Result<()> {
        if let Some(q) = self.jpeg_quality.as_deref() {
            settings.image.jpeg_quality = parse_jpeg_quality(q)?;
        }
        Ok(())
    }

    #[cfg(not(feature = "image"))]
    fn image_settings(&self, _: &mut Settings) -> Result<()> {
        not_built("image", self.jpeg_quality.is_some())
    }

    #[cfg(feature = "audio")]
    fn audio_settings(&self, settings: &mut Settings) -> Result<()> {
        if let Some(mode) = self.audio_mode.as_deref() {
            settings.audio.mode = mode.parse()?;
        } else if self.real_person {
            // The deepfake disclaimer is heard at the start and at the end.
            settings.audio.mode = crate::audio::Mode::StartAndEnd;
        }
        if let Some(what) = self.audio_disclaimer.as_deref() {
            settings.audio.disclaimer = parse_disclaimer(what)?;
        }
        if let Some(db) = self.ducking_db {
            if !(-40.0..=0.0).contains(&db) {
                return Err(Error::config("audio ducking must be between -40 and 0 dB"));
            }
            settings.audio.ducking_db = db;
        }
        Ok(())
    }

    #[cfg(not(feature = "audio"))]
    fn audio_settings(&self, _: &mut Settings) -> Result<()> {
        not_built(
            "audio",
            self.audio_mode.is_some()
                || self.audio_disclaimer.is_some()
                || self.ducking_db.is_some(),
        )
    }

    #[cfg(feature = "video")]
    fn video_settings(&self, settings: &mut Settings) -> Result<()> {
        if let Some(notice) = self.video_notice.as_deref() {
            settings.video.notice_seconds = match notice {
                "off" => None,
                seconds => Some(seconds.parse::<f64>().map_err(|_| {
                    Error::config(format!(
                        "video notice {seconds:?}: give seconds (at least 2) or `off`"
                    ))
                })?),
            };
        }
        if self.video_badge == Some(false) {
            settings.video.corner_badge = false;
        }
        settings.video.crf = self.video_crf;
        settings.video.preset = self.video_preset.clone();
        settings.video.audible = self.video_audible;
        settings.video.validate()?;
        Ok(())
    }

    #[cfg(not(feature = "video"))]
    fn video_settings(&self, _: &mut Settings) -> Result<()> {
        not_built(
            "video",
            self.video_notice.is_some()
                || self.video_badge.is_some()
                || self.video_crf.is_some()
                || self.video_preset.is_some()
                || self.video_audible,
        )
    }

    #[cfg(feature = "c2pa")]
    fn c2pa_settings(&self, settings: &mut Settings) -> Result<()> {
        settings.c2pa.signer = match (&self.c2pa_cert, &self.c2pa_key) {
            (Some(cert), Some(key)) => {
                Some(Arc::new(crate::c2pa::C2paSigner::from_files(cert, key)?))
            }
            (None, None) => None,
            _ => {
                return Err(Error::config(
                    "C2PA signing needs both a certificate chain and its private key",
                ));
            }
        };
        if let Some(trust) = &self.c2pa_trust {
            settings.c2pa.trust_anchors_pem =
                Some(std::fs::read_to_string(trust).map_err(|e| Error::from(e).at(trust))?);
        }
        Ok(())
    }

    #[cfg(not(feature = "c2pa"))]
    fn c2pa_settings(&self, _: &mut Settings) -> Result<()> {
        not_built(
            "c2pa",
            self.c2pa_cert.is_some() || self.c2pa_key.is_some() || self.c2pa_trust.is_some(),
        )
    }
}

/// `source` or a fixed quality 1-100.
#[cfg(feature = "image")]
fn parse_jpeg_quality(text: &str) -> Result<crate::image::JpegQuality> {
    if text.eq_ignore_ascii_case("source") {
        return Ok(crate::image::JpegQuality::Source);
    }
    match text.parse::<u8>() {
        Ok(q) if (1..=100).contains(&q) => Ok(crate::image::JpegQuality::Fixed(q)),
        _ => Err(Error::config(format!(
            "JPEG quality {text:?}: use `source` or a number from 1 to 100"
        ))),
    }
}

/// `spoken`, `tone`, or the path of a clip (read now, so a missing file
/// fails before any input is touched).
#[cfg(feature = "audio")]
fn parse_disclaimer(text: &str) -> Result<crate::audio::Disclaimer> {
    use crate::audio::{Disclaimer, ToneSettings};
    match text {
        "spoken" => Ok(Disclaimer::JobLanguages),
        "tone" => Ok(Disclaimer::Tone(ToneSettings::default())),
        path => {
            let bytes =
                std::fs::read(path).map_err(|e| Error::from(e).at(std::path::Path::new(path)))?;
            Ok(Disclaimer::Clip(bytes.into()))
        }
    }
}
