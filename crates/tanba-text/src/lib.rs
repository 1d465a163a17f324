//! # tanba-text
//!
//! Labels text formats as Art. 21 of Kazakhstan's AI law asks: a visible
//! notice at the beginning, and the machine-readable mark (the TC260 AIGC
//! JSON and the Tanba manifest) where the format can hide it.
//!
//! | format | visible notice | machine-readable mark |
//! |---|---|---|
//! | plain text | first line | footer lines `AIGC:` and `Tanba-Manifest:` |
//! | Markdown | block quote after the front matter | front-matter keys, else a leading HTML comment |
//! | HTML | banner first in `<body>` | `<meta name="ai-generated">`, `<meta name="AIGC">`, manifest `<script>` in `<head>` |
//! | SubRip | a cue over the first seconds | a zero-length cue |
//! | WebVTT | a cue over the first seconds | `NOTE` blocks |
//!
//! Encodings are kept: UTF-8 with or without a BOM, UTF-16 with a BOM; so are
//! line endings. Other encodings are refused unless named
//! ([`TextSettings::legacy_encoding`]), and refused again if the label's
//! letters do not fit in them: never mangled.

mod encoding;
mod html;
mod markdown;
mod marks;
mod plain;
mod subtitles;

use std::path::Path;

use tanba_core::{
    Error, Format, Job, Labeler, Labelled, Limits, Manifest, PerceptibleCheck, Placement, Result,
    SignatureState, Source, Verification, WriteSeek, read_all,
};

pub use encoding::{LineEnding, TextEncoding};

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
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TextSettings {
    /// The encoding of input that is not UTF-8 or UTF-16 with a BOM (for
    /// example Windows-1251). `None` refuses such input.
    pub legacy_encoding: Option<&'static encoding_rs::Encoding>,
    /// Write the `AIGC:` / `Tanba-Manifest:` footer in plain text. docs/compliance.md
    /// gives plain text no hidden carrier; without the footer a plain text
    /// file carries the visible notice only.
    pub plain_text_footer: bool,
    /// How long the subtitle notice cue lasts, in seconds.
    pub subtitle_seconds: f64,
}

impl Default for TextSettings {
    fn default() -> Self {
        TextSettings {
            legacy_encoding: None,
            plain_text_footer: true,
            subtitle_seconds: 4.0,
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
}

/// The labeler for text formats.
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
}

fn starts_with_ignore_case(text: &[u8], prefix: &[u8]) -> bool {
    text.len() >= prefix.len() && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn is_srt(text: &str) -> bool {
    let mut lines = text.lines().map(str::trim).skip_while(|l| l.is_empty());
    let (Some(index), Some(times)) = (lines.next(), lines.next()) else {
        return false;
    };
    !index.is_empty()
        && index.bytes().all(|b| b.is_ascii_digit())
        && times.contains("-->")
        && times.as_bytes().get(2) == Some(&b':')
}

fn sniff_text(head: &[u8], name: Option<&Path>) -> Option<&'static Format> {
    if !encoding::looks_like_text(head) {
        return None;
    }
    // Decode what we can of the head for the content checks.
    let text = encoding::decode(head, Some(encoding_rs::WINDOWS_1252))
        .map(|d| d.text)
        .unwrap_or_else(|_| String::from_utf8_lossy(head).into_owned());
    let trimmed = text.trim_start();
    if trimmed.starts_with("WEBVTT") {
        return Some(&VTT);
    }
    if is_srt(trimmed) {
        return Some(&SRT);
    }
    let t = trimmed.as_bytes();
    let lower = trimmed
        .get(..trimmed.len().min(1024))
        .unwrap_or(trimmed)
        .to_ascii_lowercase();
    if starts_with_ignore_case(t, b"<!doctype html")
        || starts_with_ignore_case(t, b"<html")
        || lower.contains("<html") && lower.contains("<head")
    {
        return Some(&HTML);
    }
    // Markdown and plain text cannot be told apart by content: the name decides.
    let ext = name
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some(e) if MARKDOWN.extensions.contains(&e) => Some(&MARKDOWN),
        Some(e) if HTML.extensions.contains(&e) => Some(&HTML),
        _ => Some(&PLAIN),
    }
}

impl Labeler for TextLabeler {
    fn name(&self) -> &'static str {
        "text"
    }

    fn formats(&self) -> &'static [&'static Format] {
        &FORMATS
    }

    fn sniff(&self, head: &[u8], name: Option<&Path>) -> Option<&'static Format> {
        sniff_text(head, name)
    }

    fn label(
        &self,
        mut source: Source<'_>,
        output: &mut dyn WriteSeek,
        job: &Job,
    ) -> Result<Labelled> {
        let format = source.format;
        let bytes = read_all(&mut source, &job.limits)?;
        if bytes.is_empty() {
            return Err(Error::malformed("empty file: nothing to label"));
        }
        let decoded = encoding::decode(&bytes, self.settings.legacy_encoding)?;
        if decoded.text.trim().is_empty() {
            return Err(Error::malformed(
                "the file holds only white space: nothing to label",
            ));
        }
        let existing = Self::find_marks(format, &decoded.text);
        if existing.any() && !job.force {
            return Err(Error::already_labelled());
        }
        let job = match &job.source_sha256 {
            Some(_) => job.clone(),
            None => Job {
                source_sha256: Some(tanba_core::manifest::sha256_hex(&bytes)),
                ..job.clone()
            },
        };
        let position = match format.name {
            "markdown" | "text" => "start",
            "html" => "body-start",
            _ => "first-cue",
        };
        let mut placement = Placement::at(position);
        if matches!(format.name, "srt" | "vtt") {
            placement.span = Some([0.0, self.settings.subtitle_seconds]);
        }
        let manifest = job.manifest(format.mime, placement);
        let (aigc, manifest_json) = marks::values(&manifest);
        let values = (aigc.as_str(), manifest_json.as_str());
        let lines: Vec<&str> = job.label.texts().collect();
        let text = &decoded.text;
        let eol = decoded.eol;
        let seconds = self.settings.subtitle_seconds;
        let labelled = match format.name {
            "markdown" => markdown::label(text, eol, &lines, values),
            "html" => html::label(text, &job.label.lines, values)?,
            "srt" => subtitles::label_srt(text, eol, &lines, seconds, values),
            "vtt" => subtitles::label_vtt(text, eol, &lines, seconds, values),
            _ => {
                let footer = self.settings.plain_text_footer.then_some(values);
                plain::label(text, eol, &marks::notice(&job.label), footer)
            }
        };
        output.write_all(&encoding::encode(&labelled, decoded.encoding)?)?;
        let mut notes = Vec::new();
        if format.name == "text" && !self.settings.plain_text_footer {
            notes
                .push("plain text carries the visible notice only (footer turned off)".to_string());
        }
        Ok(Labelled {
            format,
            manifest,
            notes,
        })
    }

    fn verify(&self, mut source: Source<'_>, limits: &Limits) -> Result<Verification> {
        let format = source.format;
        let bytes = read_all(&mut source, limits)?;
        let decoded = encoding::decode(&bytes, self.settings.legacy_encoding)?;
        let found = Self::find_marks(format, &decoded.text);
        let manifest: Option<Manifest> = match found.manifest() {
            Some(Ok(m)) => Some(m),
            Some(Err(e)) => return Err(e),
            None => None,
        };
        let carrier = match format.name {
            "markdown" if decoded.text.trim_start().starts_with("<!--") => "leading comment",
            "markdown" => "front matter",
            "html" => "<head>",
            "vtt" => "NOTE",
            "srt" => "zero-length cue",
            _ => "footer",
        };
        let mut marks = found.marks(carrier);
        if format.name == "html"
            && decoded
                .text
                .contains("<meta name=\"ai-generated\" content=\"true\">")
        {
            marks.push(tanba_core::Mark::new(
                tanba_core::MarkKind::Native,
                "<meta name=\"ai-generated\">",
            ));
        }
        let region = Self::notice_region(format, &decoded.text);
        let found_notice = marks::has_notice(&region, manifest.as_ref());
        let where_ = match format.name {
            "markdown" => "the first block",
            "html" => "the banner at the start of <body>",
            "srt" | "vtt" => "the first cues",
            _ => "the first line",
        };
        let detail = if found_notice {
            format!("notice found in {where_}")
        } else {
            format!("no notice in {where_}")
        };
        let signature = manifest
            .as_ref()
            .map_or(SignatureState::Unsigned, Manifest::signature_state);
        Ok(Verification {
            credentials: None,
            format: format.name,
            marks,
            manifest,
            signature,
            perceptible: PerceptibleCheck {
                found: found_notice,
                detail,
                score: None,
            },
        })
    }
}
