//! Flags and `tanba.toml` onto a `Job` and the labelers' `Settings`.

use std::sync::Arc;

use tanba::{
    AiSystem, Error, Job, Label, Lang, Operator, Position, Registry, Result, Settings, SourceKind,
    Wording,
};

use crate::Linked;
use crate::args::{CommonArgs, WalkArgs};
use crate::config::Config;

/// Builds the job and the registry from the config file and the flags.
pub(crate) fn prepare(
    common: &CommonArgs,
    walk: &WalkArgs,
    config: &Config,
    linked: Linked,
) -> Result<(Job, Registry)> {
    let label = label_of(common, config)?;
    let position: Position = common
        .position
        .as_deref()
        .or(config.label.position.as_deref())
        .map(str::parse)
        .transpose()?
        .unwrap_or_default();
    let prov = &config.provenance;
    let ai_name = common.ai_system.clone().or_else(|| prov.ai_system.clone());
    let ai_system = ai_name.map(|name| AiSystem {
        name,
        version: common
            .ai_version
            .clone()
            .or_else(|| prov.ai_version.clone()),
    });
    let operator = match common.operator.clone().or_else(|| prov.operator.clone()) {
        Some(name) => Some(Operator::new(
            name,
            common.bin.clone().or_else(|| prov.bin.clone()),
        )?),
        None if common.bin.is_some() => return Err(Error::config("--bin needs --operator")),
        None => None,
    };
    let key_path = common.key.clone().or_else(|| prov.key.clone());
    // A missing or wrong key is an error before any file is touched.
    let signing_key = key_path
        .map(|p| tanba::manifest::load_signing_key(&p).map(Arc::new))
        .transpose()?;
    let source_kind = match (common.composite, prov.source.as_deref()) {
        (true, _) | (false, Some("composite")) => SourceKind::Composite,
        (false, None | Some("generated")) => SourceKind::Generated,
        (false, Some(other)) => {
            return Err(Error::config(format!(
                "provenance.source {other:?}: use generated or composite"
            )));
        }
    };
    let mut job = Job::new()
        .with_label(label)
        .with_position(position)
        .with_limits(config.limits.unwrap_or_default())
        .with_source_kind(source_kind);
    job.ai_system = ai_system;
    job.operator = operator;
    job.signing_key = signing_key;
    let mut settings = Settings::default();
    watermark_settings(&mut job, &mut settings, common, config)?;
    if let Some(enc) = common
        .encoding
        .text_encoding
        .as_deref()
        .or(config.text.encoding.as_deref())
    {
        settings.text = settings.text.with_legacy_encoding(enc)?;
    }
    if common.no_text_footer || config.text.footer == Some(false) {
        settings.text.plain_text_footer = false;
    }
    match common
        .text_manifest
        .as_deref()
        .or(config.text.manifest.as_deref())
    {
        None | Some("reference") => {}
        Some("sidecar") => settings.text.manifest_sidecar = true,
        Some(other) => {
            return Err(Error::config(format!(
                "text manifest {other:?}: use reference or sidecar"
            )));
        }
    }
    if let Some(s) = common.subtitle_seconds.or(config.text.subtitle_seconds) {
        if !(0.5..=60.0).contains(&s) {
            return Err(Error::config("subtitle seconds must be between 0.5 and 60"));
        }
        settings.text.subtitle_seconds = s;
    }
    text_types(&mut settings, walk)?;
    font_settings(&mut settings, common, config)?;
    crate::style::apply(&mut settings, &common.badge, &config.badge)?;
    pdf_settings(&mut settings, common, config)?;
    image_settings(&mut settings, common, config)?;
    audio_settings(&mut settings, common, config)?;
    video_settings(&mut settings, common, config)?;
    c2pa_settings(&mut settings, common, config)?;
    Ok((job, (linked.registry)(&settings)))
}

/// The watermark: on with the public key unless `--no-watermark` or
/// `[watermark] enabled = false`; `--watermark-key` or `[watermark] key`
/// for an operator's own key, also tried first by `verify`; the manifest
/// store from `--manifest-store` or `[watermark] manifest_store`.
fn watermark_settings(
    job: &mut Job,
    settings: &mut Settings,
    common: &CommonArgs,
    config: &Config,
) -> Result<()> {
    let section = &config.watermark;
    let private = common
        .watermark
        .watermark_key
        .as_deref()
        .or(section.key.as_deref())
        .map(str::parse::<tanba::WatermarkKey>)
        .transpose()?;
    let enabled = !common.no_watermark && section.enabled != Some(false);
    job.watermark = enabled.then(|| private.unwrap_or(tanba::WatermarkKey::PUBLIC));
    settings.watermark.private_key = private;
    settings.watermark.manifest_store = common
        .watermark
        .manifest_store
        .clone()
        .or_else(|| section.manifest_store.clone());
    Ok(())
}

/// The label lines: `--label` lines; else `--lang` (with `--short` or
/// `[label] wording`); else `[[label.custom]]`; else `[label] languages`;
/// else Kazakh and Russian.
fn label_of(common: &CommonArgs, config: &Config) -> Result<Label> {
    Ok(if !common.lang.custom.is_empty() {
        let lines = common
            .lang
            .custom
            .iter()
            .map(|l| {
                l.split_once('=')
                    .ok_or_else(|| Error::config(format!("--label {l:?} is not LANG=TEXT")))
            })
            .collect::<Result<Vec<_>>>()?;
        Label::custom(lines)?
    } else if let (None, Some(custom)) = (&common.lang.lang, &config.label.custom) {
        Label::custom(custom.iter().map(|c| (c.lang.clone(), c.text.clone())))?
    } else {
        let langs = match common
            .lang
            .lang
            .clone()
            .or_else(|| config.label.languages.clone())
        {
            Some(names) => names
                .iter()
                .map(|n| n.parse::<Lang>())
                .collect::<Result<Vec<_>>>()?,
            None => vec![Lang::Kk, Lang::Ru],
        };
        let wording = if common.lang.short {
            Wording::Short
        } else {
            config
                .label
                .wording
                .as_deref()
                .map(str::parse)
                .transpose()?
                .unwrap_or_default()
        };
        Label::standard(&langs, wording)
    })
}

/// An option for a media type this build leaves out is an error, not
/// silently ignored.
#[allow(dead_code, reason = "only builds without some media use it")]
pub(crate) fn not_built(feature: &str, given: bool) -> Result<()> {
    if given {
        return Err(Error::config(format!(
            "this tanba was built without {feature} support (cargo feature `{feature}`)"
        )));
    }
    Ok(())
}

/// `--font` or `[label] font`: read and parsed now, so a bad file stops
/// the job before any work; the pictures', video's and PDF's font.
fn font_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    let Some(path) = common.lang.font.as_deref().or(config.label.font.as_deref()) else {
        return Ok(());
    };
    let font = tanba::FontFile::load(path)?;
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

/// Refuses, before any file is touched, a job one of the labelers it will
/// use cannot carry out (a label its font cannot draw, a language without
/// a spoken clip), naming the formats concerned.
pub(crate) fn check_job(registry: &Registry, job: &Job, used: &[usize]) -> Result<()> {
    for (i, labeler) in registry.labelers().enumerate() {
        if !used.contains(&i) {
            continue;
        }
        if let Err(e) = labeler.check_job(job) {
            let reason = match e {
                Error::CannotLabel { reason, .. } | Error::Config { reason, .. } => reason,
                other => other.to_string(),
            };
            return Err(Error::config(format!("{} files: {reason}", labeler.name())));
        }
    }
    Ok(())
}

#[cfg(feature = "pdf")]
fn pdf_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    if let Some(pages) = common.pdf_pages.as_deref().or(config.pdf.pages.as_deref()) {
        settings.pdf.pages = pages.parse()?;
    }
    if let Some(edge) = common.pdf_edge.as_deref().or(config.pdf.edge.as_deref()) {
        settings.pdf.edge = Some(edge.parse()?);
    }
    settings.pdf.rewrite = common.pdf_rewrite || config.pdf.rewrite == Some(true);
    settings.pdf.refuse_encrypted =
        common.refuse_encrypted || config.pdf.refuse_encrypted == Some(true);
    Ok(())
}

#[cfg(not(feature = "pdf"))]
fn pdf_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "pdf",
        common.pdf_pages.is_some()
            || common.pdf_edge.is_some()
            || common.pdf_rewrite
            || common.refuse_encrypted
            || config.pdf != Default::default(),
    )
}

#[cfg(feature = "image")]
fn image_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    if let Some(q) = common
        .jpeg_quality
        .as_deref()
        .or(config.image.jpeg_quality.as_deref())
    {
        settings.image.jpeg_quality = parse_jpeg_quality(q)?;
    }
    Ok(())
}

#[cfg(not(feature = "image"))]
fn image_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "image",
        common.jpeg_quality.is_some() || config.image != Default::default(),
    )
}

#[cfg(feature = "audio")]
fn audio_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    if let Some(mode) = common
        .audio_mode
        .as_deref()
        .or(config.audio.mode.as_deref())
    {
        settings.audio.mode = mode.parse()?;
    }
    if let Some(what) = common
        .disclaimer
        .audio_disclaimer
        .as_deref()
        .or(config.audio.disclaimer.as_deref())
    {
        settings.audio.disclaimer = parse_disclaimer(what)?;
    }
    if let Some(db) = config.audio.ducking_db {
        if !(-40.0..=0.0).contains(&db) {
            return Err(Error::config("audio.ducking_db must be between -40 and 0"));
        }
        settings.audio.ducking_db = db;
    }
    Ok(())
}

#[cfg(not(feature = "audio"))]
fn audio_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "audio",
        common.audio_mode.is_some()
            || common.disclaimer.audio_disclaimer.is_some()
            || config.audio != Default::default(),
    )
}

#[cfg(feature = "video")]
fn video_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    if let Some(notice) = common
        .video_notice
        .as_deref()
        .or(config.video.notice.as_deref())
    {
        settings.video.notice_seconds = match notice {
            "off" => None,
            seconds => Some(seconds.parse::<f64>().map_err(|_| {
                Error::config(format!(
                    "video notice {seconds:?}: give seconds (at least 2) or `off`"
                ))
            })?),
        };
    }
    if common.no_video_badge || config.video.badge == Some(false) {
        settings.video.corner_badge = false;
    }
    settings.video.crf = common.video_crf.or(config.video.crf);
    settings.video.preset = common
        .video_preset
        .clone()
        .or_else(|| config.video.preset.clone());
    settings.video.audible = common.video_audible || config.video.audible == Some(true);
    settings.video.validate()?;
    Ok(())
}

#[cfg(not(feature = "video"))]
fn video_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "video",
        common.video_notice.is_some()
            || common.no_video_badge
            || common.video_crf.is_some()
            || common.video_preset.is_some()
            || common.video_audible
            || config.video != Default::default(),
    )
}

#[cfg(feature = "c2pa")]
fn c2pa_settings(settings: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    let c2pa_cert = common
        .c2pa_cert
        .clone()
        .or_else(|| config.c2pa.cert.clone());
    let c2pa_key = common.c2pa_key.clone().or_else(|| config.c2pa.key.clone());
    settings.c2pa.signer = match (c2pa_cert, c2pa_key) {
        (Some(cert), Some(key)) => {
            Some(Arc::new(tanba::c2pa::C2paSigner::from_files(&cert, &key)?))
        }
        (None, None) => None,
        _ => {
            return Err(Error::config(
                "C2PA signing needs both a certificate chain and its private key",
            ));
        }
    };
    if let Some(trust) = common
        .trust
        .c2pa_trust
        .clone()
        .or_else(|| config.c2pa.trust.clone())
    {
        settings.c2pa.trust_anchors_pem =
            Some(std::fs::read_to_string(&trust).map_err(|e| Error::from(e).at(&trust))?);
    }
    Ok(())
}

#[cfg(not(feature = "c2pa"))]
fn c2pa_settings(_: &mut Settings, common: &CommonArgs, config: &Config) -> Result<()> {
    not_built(
        "c2pa",
        common.c2pa_cert.is_some()
            || common.c2pa_key.is_some()
            || common.trust.c2pa_trust.is_some()
            || config.c2pa != Default::default(),
    )
}

/// `source` or a fixed quality 1-100.
#[cfg(feature = "image")]
fn parse_jpeg_quality(text: &str) -> Result<tanba::image::JpegQuality> {
    if text.eq_ignore_ascii_case("source") {
        return Ok(tanba::image::JpegQuality::Source);
    }
    match text.parse::<u8>() {
        Ok(q) if (1..=100).contains(&q) => Ok(tanba::image::JpegQuality::Fixed(q)),
        _ => Err(Error::config(format!(
            "JPEG quality {text:?}: use `source` or a number from 1 to 100"
        ))),
    }
}

/// `spoken`, `tone`, or the path of a clip (read now, so a missing file
/// fails before any input is touched).
#[cfg(feature = "audio")]
fn parse_disclaimer(text: &str) -> Result<tanba::audio::Disclaimer> {
    use tanba::audio::{Disclaimer, ToneSettings};
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

/// `--type-add text:*.EXT` also makes *.EXT plain text to label.
/// Only extension globs can say what is plain text; any other glob for the
/// `text` type only filters the walk.
fn text_types(settings: &mut Settings, walk: &WalkArgs) -> Result<()> {
    for def in &walk.type_add {
        let Some(("text", glob)) = def.split_once(':') else {
            continue;
        };
        match glob.strip_prefix("*.") {
            Some(ext) if !ext.is_empty() && !ext.contains(['*', '?', '[', '/', '.']) => {
                settings.text.plain_text_extensions.push(ext.to_string());
            }
            _ => {
                return Err(Error::config(format!(
                    "--type-add {def:?}: the text type takes globs of the form *.EXT"
                )));
            }
        }
    }
    Ok(())
}
