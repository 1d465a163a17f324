//! # tanba-video
//!
//! Labels video for Kazakhstan's AI law (No. 230-VIII, Art. 21): the badge
//! tanba-image renders is burned into every frame (a corner badge for the
//! whole video, plus a larger full-width notice over the opening seconds),
//! and the machine-readable marks go into the container (MP4/MOV: the
//! `AIGC` metadata key, the Tanba manifest and the XMP `uuid` box;
//! Matroska/WebM: tags; MPEG-TS/M2TS: a timed-ID3 metadata stream; AVI:
//! `LIST/INFO` items and an `_PMX` XMP chunk).
//!
//! Decoding, encoding and muxing go through FFmpeg (ffmpeg-next). The badge
//! is converted once into the frames' own YUV planes and alpha-blended per
//! frame, so there is no RGB round trip; every other stream (audio,
//! subtitles, data) is copied packet for packet. See the crate README for
//! the encoder table and quality settings.

#[cfg(feature = "audible")]
mod audible;
mod avi;
mod encoder;
mod ffi;
mod find;
mod frames;
mod layout;
mod marks;
mod mpegts;
mod overlay;
mod paint;
mod probe;
mod transcode;
mod verify;

use std::io::{Read, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tanba_core::font::FontFile;
use tanba_core::{
    Error, Format, Job, Label, Labeler, Labelled, Limits, Result, Source, Verification,
    VisibleFound, WriteSeek,
};
use tanba_image::BadgeStyle;

pub use overlay::ColourMatrix;
pub use probe::{Container, VideoInfo};
pub use verify::PRESENCE_THRESHOLD;

/// MPEG-4 (ISO base media file format).
pub static MP4: Format = Format {
    name: "mp4",
    mime: "video/mp4",
    extensions: &["mp4", "m4v", "3gp"],
};
/// QuickTime.
pub static MOV: Format = Format {
    name: "mov",
    mime: "video/quicktime",
    extensions: &["mov", "qt"],
};
/// Matroska.
pub static MKV: Format = Format {
    name: "mkv",
    mime: "video/x-matroska",
    extensions: &["mkv"],
};
/// WebM (the Matroska subset for the web).
pub static WEBM: Format = Format {
    name: "webm",
    mime: "video/webm",
    extensions: &["webm"],
};

/// MPEG transport stream (broadcast, HLS segments).
pub static TS: Format = Format {
    name: "ts",
    mime: "video/mp2t",
    extensions: &["ts", "mpegts", "m2t"],
};
/// Blu-ray/AVCHD transport stream (192-byte packets).
pub static M2TS: Format = Format {
    name: "m2ts",
    mime: "video/mp2t",
    extensions: &["m2ts", "mts"],
};
/// AVI (RIFF).
pub static AVI: Format = Format {
    name: "avi",
    mime: "video/x-msvideo",
    extensions: &["avi"],
};

static FORMATS: [&Format; 7] = [&MP4, &MOV, &MKV, &WEBM, &TS, &M2TS, &AVI];

/// Shortest opening notice the law's reference (GB 45438-2025) allows, seconds.
pub const MIN_NOTICE_SECONDS: f64 = 2.0;

/// The video settings the CLI and configuration map onto.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoSettings {
    /// A corner badge on every frame (default on; the corner is the job's position).
    pub corner_badge: bool,
    /// Seconds the full-width opening notice shows; `None` turns it off.
    /// Default 2.5; values under [`MIN_NOTICE_SECONDS`] are refused.
    pub notice_seconds: Option<f64>,
    /// Text size of the opening notice as a fraction of the displayed
    /// shorter side (default 0.08; the corner badge uses 0.05).
    pub notice_text_fraction: f32,
    /// Constant rate factor override; the default depends on the encoder
    /// (x264 20, x265 22, VP9 31, AV1 30), see the README.
    pub crf: Option<u32>,
    /// Encoder preset override (x264/x265 names, `medium` by default;
    /// libvpx `cpu-used` and SVT-AV1 presets take a number).
    pub preset: Option<String>,
    /// Encoder and decoder threads; 0 lets FFmpeg choose (default).
    pub threads: usize,
    /// Mix the spoken disclaimer into the first audio stream (only that
    /// stream is re-encoded). Needs the `audible` feature. Default off.
    pub audible: bool,
    /// The font of the badge and the notice (default: the embedded Noto
    /// Sans Bold); every label text must be drawable in it.
    pub font: FontFile,
    /// The corner badge's look (the image crate's); the opening notice
    /// takes its colours, opacity and padding. Verification re-renders
    /// with it, so verify with the style the video was labelled with.
    pub style: BadgeStyle,
}

impl Default for VideoSettings {
    fn default() -> Self {
        VideoSettings {
            corner_badge: true,
            notice_seconds: Some(2.5),
            notice_text_fraction: 0.08,
            crf: None,
            preset: None,
            threads: 0,
            audible: false,
            font: FontFile::default(),
            style: BadgeStyle::default(),
        }
    }
}

impl VideoSettings {
    /// Refuses settings that would break the law's minimum or make no label.
    pub fn validate(&self) -> Result<()> {
        if let Some(s) = self.notice_seconds
            && (!s.is_finite() || s < MIN_NOTICE_SECONDS)
        {
            return Err(Error::config(format!(
                "opening notice of {s} s is shorter than the {MIN_NOTICE_SECONDS} s minimum"
            )));
        }
        if !self.corner_badge && self.notice_seconds.is_none() {
            return Err(Error::config(
                "both the corner badge and the opening notice are off: no visible label",
            ));
        }
        self.style.validate()?;
        if !(0.05..=0.25).contains(&self.notice_text_fraction) {
            return Err(Error::config(format!(
                "notice text fraction {} is outside 0.05..=0.25",
                self.notice_text_fraction
            )));
        }
        if let Some(crf) = self.crf
            && crf > 63
        {
            return Err(Error::config(format!("CRF {crf} is outside 0..=63")));
        }
        if self.audible && !cfg!(feature = "audible") {
            return Err(Error::config(
                "the audible label needs tanba-video built with the `audible` feature",
            ));
        }
        Ok(())
    }

    /// Refuses, before any work, a label the font cannot draw and, with the
    /// audible label, a label language no spoken clip exists for.
    pub fn check_label(&self, label: &Label) -> Result<()> {
        self.font.check_label(label)?;
        #[cfg(feature = "audible")]
        if self.audible {
            tanba_audio::Disclaimer::default().check(label)?;
        }
        Ok(())
    }
}

/// The video labeler (through FFmpeg, which needs the input as a file).
///
/// ```no_run
/// use std::fs::File;
/// use std::path::Path;
/// use tanba_core::{Job, Labeler, Source};
/// use tanba_video::{MP4, VideoLabeler};
///
/// let path = Path::new("clip.mp4");
/// let mut input = File::open(path)?;
/// let len = input.metadata()?.len();
/// let source = Source { reader: &mut input, format: &MP4, path: Some(path), len };
/// let mut output = File::create("clip-labelled.mp4")?;
/// VideoLabeler::default().label(source, &mut output, &Job::new())?;
/// # Ok::<(), tanba_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct VideoLabeler {
    /// Its settings.
    pub settings: VideoSettings,
}

impl VideoLabeler {
    /// A labeler with the given settings.
    pub fn new(settings: VideoSettings) -> Self {
        VideoLabeler { settings }
    }
}

/// Recognises MP4/MOV (an `ftyp` box whose brand is not audio-only) and
/// Matroska/WebM (the EBML magic, then the DocType).
pub fn sniff(head: &[u8]) -> Option<&'static Format> {
    if head.len() >= 12 && &head[4..8] == b"ftyp" {
        // AVIF/HEIC pictures are the image labeler's (never an AV1 video).
        if tanba_image::is_heif_picture(head) {
            return None;
        }
        return match &head[8..12] {
            // Audio-only MPEG-4 is the audio crate's.
            b"M4A " | b"M4B " | b"M4P " => None,
            b"qt  " => Some(&MOV),
            _ => Some(&MP4),
        };
    }
    if head.len() >= 12 && &head[4..8] == b"moov" || head.len() >= 8 && &head[4..8] == b"wide" {
        // Old QuickTime files start without ftyp.
        return Some(&MOV);
    }
    if head.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        let doc_type_webm = find(head, &[0x42, 0x82]).is_some_and(|i| {
            head.get(i + 2..)
                .and_then(|rest| {
                    // One-byte size (0x80 | len) then the DocType string.
                    let len = usize::from(rest.first()? & 0x7F);
                    rest.get(1..1 + len)
                })
                .is_some_and(|doc| doc == b"webm")
        });
        return Some(if doc_type_webm { &WEBM } else { &MKV });
    }
    sniff_ts_avi(head)
}

/// MPEG-TS (the sync byte every 188 bytes), M2TS (every 192 bytes after a
/// 4-byte timestamp) and AVI (`RIFF....AVI `).
fn sniff_ts_avi(head: &[u8]) -> Option<&'static Format> {
    if avi::sniff(head) {
        return Some(&AVI);
    }
    mpegts::sniff(head).map(|m2ts| if m2ts { &M2TS } else { &TS })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The input as a file FFmpeg can open: the caller's path, or a temporary
/// copy of in-memory bytes.
pub(crate) struct InputFile {
    path: PathBuf,
    _temp: Option<tempfile::NamedTempFile>,
}

impl InputFile {
    pub(crate) fn from_source(source: &mut Source<'_>, limits: &Limits) -> Result<Self> {
        limits.check_bytes(source.len)?;
        if let Some(p) = source.path {
            return Ok(InputFile {
                path: p.to_path_buf(),
                _temp: None,
            });
        }
        let mut temp = tempfile::Builder::new()
            .prefix("tanba-video-in-")
            .suffix(&format!(".{}", source.format.extension()))
            .tempfile()?;
        source.reader.seek(SeekFrom::Start(0))?;
        let copied = std::io::copy(
            &mut source.reader.take(limits.max_bytes.saturating_add(1)),
            temp.as_file_mut(),
        )?;
        limits.check_bytes(copied)?;
        temp.as_file_mut().flush()?;
        source.reader.seek(SeekFrom::Start(0))?;
        Ok(InputFile {
            path: temp.path().to_path_buf(),
            _temp: Some(temp),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Labeler for VideoLabeler {
    fn name(&self) -> &'static str {
        "video"
    }

    fn formats(&self) -> &'static [&'static Format] {
        &FORMATS
    }

    fn sniff(&self, head: &[u8], _name: Option<&Path>) -> Option<&'static Format> {
        sniff(head)
    }

    fn label(
        &self,
        mut source: Source<'_>,
        output: &mut dyn WriteSeek,
        job: &Job,
    ) -> Result<Labelled> {
        self.settings.validate()?;
        self.settings.check_label(&job.label)?;
        let input = InputFile::from_source(&mut source, &job.limits)?;
        let job = job.with_source_hash(source.reader)?;
        let format = source.format;
        let done = transcode::label_file(input.path(), format, &self.settings, &job)?;
        // Only a complete, finished output reaches the caller's writer.
        let mut encoded = std::fs::File::open(done.output.path())?;
        output.seek(SeekFrom::Start(0))?;
        std::io::copy(&mut encoded, output)?;
        output.flush()?;
        Ok(Labelled::new(format, done.manifest).with_notes(done.notes))
    }

    fn check_job(&self, job: &Job) -> Result<()> {
        self.settings.check_label(&job.label)
    }

    fn verify(&self, mut source: Source<'_>, limits: &Limits) -> Result<Verification> {
        let input = InputFile::from_source(&mut source, limits)?;
        verify::verify(
            input.path(),
            source.format,
            limits,
            (&self.settings.font, &self.settings.style),
            None,
        )
    }

    fn verify_with_watermark(
        &self,
        mut source: Source<'_>,
        key: tanba_core::WatermarkKey,
        limits: &Limits,
    ) -> Result<Verification> {
        let input = InputFile::from_source(&mut source, limits)?;
        verify::verify(
            input.path(),
            source.format,
            limits,
            (&self.settings.font, &self.settings.style),
            Some(key),
        )
    }

    fn read_watermark(
        &self,
        mut source: Source<'_>,
        key: tanba_core::WatermarkKey,
        limits: &Limits,
    ) -> Result<Option<tanba_core::WatermarkFound>> {
        let input = InputFile::from_source(&mut source, limits)?;
        verify::read_watermark(input.path(), limits, key)
    }

    fn find_visible_label(
        &self,
        mut source: Source<'_>,
        job: &Job,
    ) -> Result<Option<VisibleFound>> {
        let input = InputFile::from_source(&mut source, &job.limits)?;
        find::find_label(
            input.path(),
            job,
            &job.limits,
            (&self.settings.font, &self.settings.style),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_content() {
        let mut mp4 = vec![0, 0, 0, 0x18];
        mp4.extend_from_slice(b"ftypisom\0\0\x02\0isomiso2");
        assert_eq!(sniff(&mp4).map(|f| f.name), Some("mp4"));
        let mut m4a = vec![0, 0, 0, 0x18];
        m4a.extend_from_slice(b"ftypM4A \0\0\x02\0isomiso2");
        assert!(sniff(&m4a).is_none());
        let mut mov = vec![0, 0, 0, 0x14];
        mov.extend_from_slice(b"ftypqt  \0\0\x02\0qt  ");
        assert_eq!(sniff(&mov).map(|f| f.name), Some("mov"));
        let webm = [
            0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01, 0x42, 0x82, 0x84, b'w', b'e',
            b'b', b'm',
        ];
        assert_eq!(sniff(&webm).map(|f| f.name), Some("webm"));
        let mkv = [
            0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x82, 0x88, b'm', b'a', b't', b'r', b'o', b's',
            b'k', b'a',
        ];
        assert_eq!(sniff(&mkv).map(|f| f.name), Some("mkv"));
        assert!(sniff(b"GIF89a").is_none());
        let mut ts = vec![0u8; 188 * 4];
        ts.iter_mut().step_by(188).for_each(|b| *b = 0x47);
        assert_eq!(sniff(&ts).map(|f| f.name), Some("ts"));
        let mut m2ts = vec![0u8; 192 * 4];
        m2ts.iter_mut().skip(4).step_by(192).for_each(|b| *b = 0x47);
        assert_eq!(sniff(&m2ts).map(|f| f.name), Some("m2ts"));
        assert_eq!(
            sniff(b"RIFF\x10\0\0\0AVI LIST").map(|f| f.name),
            Some("avi")
        );
        assert!(sniff(b"RIFF\x10\0\0\0WAVEfmt ").is_none());
        // AVIF and HEIC pictures are the image labeler's, never AV1 video.
        let mut avif = vec![0, 0, 0, 0x1c];
        avif.extend_from_slice(b"ftypavif\0\0\0\0avifmif1miaf");
        assert!(sniff(&avif).is_none());
        let mut heic = vec![0, 0, 0, 0x1c];
        heic.extend_from_slice(b"ftypheic\0\0\0\0mif1heicmiaf");
        assert!(sniff(&heic).is_none());
    }

    #[test]
    fn settings_keep_the_two_second_minimum() {
        let s = VideoSettings {
            notice_seconds: Some(1.5),
            ..VideoSettings::default()
        };
        assert!(s.validate().is_err());
        let s = VideoSettings {
            corner_badge: false,
            notice_seconds: None,
            ..VideoSettings::default()
        };
        assert!(s.validate().is_err());
        assert!(VideoSettings::default().validate().is_ok());
    }
}
