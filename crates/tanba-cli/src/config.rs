//! `tanba.toml`: the same settings as the command line, in a file. A flag
//! given on the command line wins over the file.

use serde::Deserialize;
use std::path::{Path, PathBuf};

use tanba::{Error, Limits, Result};

/// The whole file. Every section and key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// What the visible label says and where it goes.
    pub label: LabelSection,
    /// Who made the content and who signs.
    pub provenance: ProvenanceSection,
    /// Decoder limits.
    pub limits: Option<Limits>,
    /// Text formats.
    pub text: TextSection,
    /// PDF.
    pub pdf: PdfSection,
    /// Raster images.
    pub image: ImageSection,
    /// Audio.
    pub audio: AudioSection,
    /// Video.
    pub video: VideoSection,
    /// C2PA Content Credentials.
    pub c2pa: C2paSection,
    /// Bulk-job settings.
    pub job: JobSection,
    /// The badge's look.
    pub badge: crate::style::BadgeSection,
    /// `tanba serve`.
    pub serve: ServeSection,
    /// The imperceptible watermark and the manifest store.
    pub watermark: WatermarkSection,
}

/// `[serve]`: the HTTP service (flags win over it).
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServeSection {
    /// `ADDR:PORT` to listen on.
    pub listen: Option<String>,
    /// Largest request body, in bytes.
    pub max_body: Option<u64>,
    /// Requests labelled at once.
    pub concurrency: Option<usize>,
    /// Seconds a request may take.
    pub timeout: Option<u64>,
    /// The bearer token (TANBA_SERVE_TOKEN and --token win over it).
    pub token: Option<String>,
    /// Folder for request bodies (relative to the config file).
    pub temp_dir: Option<PathBuf>,
}

/// `[watermark]`
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WatermarkSection {
    /// `false` leaves the watermark out (default on).
    pub enabled: Option<bool>,
    /// An operator's private key, 16 hex digits (default: the public key).
    pub key: Option<String>,
    /// The manifest store folder (relative to the config file).
    pub manifest_store: Option<PathBuf>,
}

/// `[pdf]`
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PdfSection {
    /// `all`, `first` or ranges like `1-3,7` (a single page may be a number).
    #[serde(deserialize_with = "number_or_word")]
    pub pages: Option<String>,
    /// `top` or `bottom`.
    pub edge: Option<String>,
    /// Rewrite the whole file instead of an incremental update.
    pub rewrite: Option<bool>,
    /// Refuse PDFs encrypted to restrict changes instead of labelling them.
    pub refuse_encrypted: Option<bool>,
}

/// `[image]`
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImageSection {
    /// `source` or 1-100 (a number, or the same in a string).
    #[serde(deserialize_with = "number_or_word")]
    pub jpeg_quality: Option<String>,
}

/// `[audio]`
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AudioSection {
    /// `prepend`, `overlay`, `append`, `repeat:N`.
    pub mode: Option<String>,
    /// `spoken`, `tone` or a clip path (relative to the config file).
    pub disclaimer: Option<String>,
    /// Programme gain under an overlaid disclaimer, dB (-40..=0).
    pub ducking_db: Option<f32>,
}

/// `[video]`
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VideoSection {
    /// Seconds of the opening notice (a number), or `off`.
    #[serde(deserialize_with = "number_or_word")]
    pub notice: Option<String>,
    /// The corner badge (default on).
    pub badge: Option<bool>,
    /// Constant rate factor.
    pub crf: Option<u32>,
    /// Encoder preset.
    pub preset: Option<String>,
    /// Mix the spoken disclaimer into the soundtrack.
    pub audible: Option<bool>,
}

/// `[c2pa]`
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct C2paSection {
    /// PEM certificate chain, signing certificate first.
    pub cert: Option<PathBuf>,
    /// Its private key (PEM).
    pub key: Option<PathBuf>,
    /// PEM trust anchors for verify.
    pub trust: Option<PathBuf>,
}

/// `[label]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LabelSection {
    /// `["kk", "ru"]`
    pub languages: Option<Vec<String>>,
    /// `long` or `short`
    pub wording: Option<String>,
    /// `bottom-right` …
    pub position: Option<String>,
    /// Custom lines, replacing the shipped texts.
    pub custom: Option<Vec<CustomLine>>,
    /// A TrueType/OpenType font for pictures, video and PDF (relative to
    /// the config file), instead of the embedded Noto Sans Bold.
    pub font: Option<PathBuf>,
    /// The content imitates a real person: the deepfake notice.
    pub real_person: Option<bool>,
    /// The real person's name (recorded, never drawn).
    pub person: Option<String>,
}

/// One custom label line.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomLine {
    /// Language code.
    pub lang: String,
    /// Text.
    pub text: String,
}

/// `[provenance]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvenanceSection {
    /// AI system name.
    pub ai_system: Option<String>,
    /// AI system version.
    pub ai_version: Option<String>,
    /// Operator name.
    pub operator: Option<String>,
    /// Operator BIN.
    pub bin: Option<String>,
    /// Ed25519 signing key file (relative to the config file).
    pub key: Option<PathBuf>,
    /// `generated` or `composite`.
    pub source: Option<String>,
}

/// `[text]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TextSection {
    /// Legacy encoding of non-UTF text (`windows-1251`).
    pub encoding: Option<String>,
    /// Write the plain-text footer.
    pub footer: Option<bool>,
    /// Seconds the subtitle notice lasts.
    pub subtitle_seconds: Option<f64>,
    /// Where the whole manifest of plain text and WebVTT goes:
    /// `reference` (the log only) or `sidecar`.
    pub manifest: Option<String>,
}

/// `[job]`
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JobSection {
    /// Parallel workers.
    pub jobs: Option<usize>,
    /// Compliance log.
    pub log: Option<PathBuf>,
}

/// A setting that is a number or a word (`jpeg_quality = 90` or
/// `"source"`, `notice = 3` or `"off"`): read as the text the flag takes,
/// so one parser checks both.
fn number_or_word<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrWord {
        Integer(i64),
        Float(f64),
        Word(String),
    }
    Ok(Some(
        match NumberOrWord::deserialize(d)
            .map_err(|_| serde::de::Error::custom("expected a number or a word in quotes"))?
        {
            NumberOrWord::Integer(n) => n.to_string(),
            NumberOrWord::Float(x) => x.to_string(),
            NumberOrWord::Word(w) => w,
        },
    ))
}

impl Config {
    /// Reads a config file; paths in it are taken relative to its folder.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::from(e).at(path))?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| Error::config(e.to_string()).at(path))?;
        let base = path.parent().unwrap_or(Path::new("."));
        if let Some(key) = &config.provenance.key {
            config.provenance.key = Some(base.join(key));
        }
        if let Some(clip) = &config.audio.disclaimer
            && clip != "spoken"
            && clip != "tone"
        {
            config.audio.disclaimer = Some(base.join(clip).to_string_lossy().into_owned());
        }
        for path in [
            &mut config.label.font,
            &mut config.c2pa.cert,
            &mut config.c2pa.key,
            &mut config.c2pa.trust,
            &mut config.serve.temp_dir,
            &mut config.watermark.manifest_store,
        ]
        .into_iter()
        .flatten()
        {
            *path = base.join(&*path);
        }
        if let Some(log) = &config.job.log {
            config.job.log = Some(base.join(log));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_taken_as_numbers_and_words_as_words() {
        let c: Config = toml::from_str(
            "[image]\njpeg_quality = 90\n[video]\nnotice = 3.5\ncrf = 20\n\
             [text]\nsubtitle_seconds = 4\n[pdf]\npages = 2",
        )
        .unwrap();
        assert_eq!(c.image.jpeg_quality.as_deref(), Some("90"));
        assert_eq!(c.video.notice.as_deref(), Some("3.5"));
        assert_eq!(c.video.crf, Some(20));
        assert_eq!(c.text.subtitle_seconds, Some(4.0));
        assert_eq!(c.pdf.pages.as_deref(), Some("2"));
        let c: Config =
            toml::from_str("[image]\njpeg_quality = \"source\"\n[video]\nnotice = \"off\"")
                .unwrap();
        assert_eq!(c.image.jpeg_quality.as_deref(), Some("source"));
        assert_eq!(c.video.notice.as_deref(), Some("off"));
        let e = toml::from_str::<Config>("[image]\njpeg_quality = true").unwrap_err();
        assert!(e.to_string().contains("expected a number or a word"), "{e}");
    }

    #[test]
    fn parses_every_section_and_rejects_typos() {
        let c: Config = toml::from_str(
            r#"
            [label]
            languages = ["kk", "en"]
            wording = "short"
            position = "top-left"
            real_person = true
            person = "Jane Roe"
            [provenance]
            ai_system = "Qazaq GPT"
            operator = "ТОО Мысал"
            bin = "123456789013"
            [limits]
            max_pixels = 1000
            [text]
            encoding = "windows-1251"
            [image]
            jpeg_quality = "85"
            [audio]
            mode = "overlay"
            disclaimer = "tone"
            ducking_db = -10.0
            [video]
            notice = "3"
            crf = 23
            [job]
            jobs = 3
            "#,
        )
        .unwrap();
        assert_eq!(c.label.languages.unwrap(), ["kk", "en"]);
        assert_eq!(c.label.real_person, Some(true));
        assert_eq!(c.label.person.as_deref(), Some("Jane Roe"));
        assert_eq!(c.limits.unwrap().max_pixels, 1000);
        assert_eq!(c.limits.unwrap().max_bytes, Limits::default().max_bytes);
        assert!(toml::from_str::<Config>("[label]\nlanguage = [\"kk\"]").is_err());
    }
}
