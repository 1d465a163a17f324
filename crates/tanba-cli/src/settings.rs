//! Flags and `tanba.toml` onto a `Job` and the labelers' `Settings`.

use tanba::{Error, Job, Options, Registry, Result, Settings};

use crate::Linked;
use crate::args::{CommonArgs, WalkArgs};
use crate::config::Config;

/// Builds the job and the registry from the config file and the flags:
/// the flags over the file, option by option, then the facade's one
/// mapping of options ([`Options`]), shared with the Python package.
pub(crate) fn prepare(
    common: &CommonArgs,
    walk: &WalkArgs,
    config: &Config,
    linked: Linked,
) -> Result<(Job, Registry)> {
    prepare_with(&options_of(common, config)?, common, walk, config, linked)
}

/// [`prepare`] from options already taken from the flags and the file
/// (`tanba serve` changes some per request).
pub(crate) fn prepare_with(
    options: &Options,
    common: &CommonArgs,
    walk: &WalkArgs,
    config: &Config,
    linked: Linked,
) -> Result<(Job, Registry)> {
    let job = options.job()?;
    let mut settings = options.settings()?;
    text_types(&mut settings, walk)?;
    crate::style::apply(&mut settings, &common.badge, &config.badge)?;
    Ok((job, (linked.registry)(&settings)))
}

/// Each option from its flag, else from `tanba.toml`.
pub(crate) fn options_of(common: &CommonArgs, config: &Config) -> Result<Options> {
    let prov = &config.provenance;
    let pick = |flag: &Option<String>, file: &Option<String>| flag.clone().or_else(|| file.clone());
    let (text, pdf, video) = (&config.text, &config.pdf, &config.video);
    Ok(Options {
        label_lines: label_lines(common, config)?,
        languages: common
            .lang
            .lang
            .clone()
            .or_else(|| config.label.languages.clone()),
        wording: if common.lang.short {
            Some("short".into())
        } else {
            config.label.wording.clone()
        },
        position: pick(&common.position, &config.label.position),
        ai_system: pick(&common.ai_system, &prov.ai_system),
        ai_version: pick(&common.ai_version, &prov.ai_version),
        operator: pick(&common.operator, &prov.operator),
        bin: pick(&common.bin, &prov.bin),
        key: common.key.clone().or_else(|| prov.key.clone()),
        source: if common.composite {
            Some("composite".into())
        } else {
            prov.source.clone()
        },
        limits: config.limits,
        font: common
            .lang
            .font
            .clone()
            .or_else(|| config.label.font.clone()),
        text_encoding: pick(&common.encoding.text_encoding, &text.encoding),
        text_footer: if common.no_text_footer {
            Some(false)
        } else {
            text.footer
        },
        text_manifest: pick(&common.text_manifest, &text.manifest),
        subtitle_seconds: common.subtitle_seconds.or(text.subtitle_seconds),
        pdf_pages: pick(&common.pdf_pages, &pdf.pages),
        pdf_edge: pick(&common.pdf_edge, &pdf.edge),
        pdf_rewrite: common.pdf_rewrite || pdf.rewrite == Some(true),
        refuse_encrypted: common.refuse_encrypted || pdf.refuse_encrypted == Some(true),
        jpeg_quality: pick(&common.jpeg_quality, &config.image.jpeg_quality),
        audio_mode: pick(&common.audio_mode, &config.audio.mode),
        audio_disclaimer: pick(
            &common.disclaimer.audio_disclaimer,
            &config.audio.disclaimer,
        ),
        ducking_db: config.audio.ducking_db,
        video_notice: pick(&common.video_notice, &video.notice),
        video_badge: if common.no_video_badge {
            Some(false)
        } else {
            video.badge
        },
        video_crf: common.video_crf.or(video.crf),
        video_preset: pick(&common.video_preset, &video.preset),
        video_audible: common.video_audible || video.audible == Some(true),
        c2pa_cert: common
            .c2pa_cert
            .clone()
            .or_else(|| config.c2pa.cert.clone()),
        c2pa_key: common.c2pa_key.clone().or_else(|| config.c2pa.key.clone()),
        c2pa_trust: common
            .trust
            .c2pa_trust
            .clone()
            .or_else(|| config.c2pa.trust.clone()),
        real_person: common.lang.real_person || config.label.real_person == Some(true),
        person: pick(&common.person, &config.label.person),
        // On with the public key unless `--no-watermark` or `[watermark]
        // enabled = false`; an operator's own key and the manifest store
        // from their flags, else from `[watermark]`.
        watermark: if common.no_watermark {
            Some(false)
        } else {
            config.watermark.enabled
        },
        watermark_key: pick(&common.watermark.watermark_key, &config.watermark.key),
        manifest_store: common
            .watermark
            .manifest_store
            .clone()
            .or_else(|| config.watermark.manifest_store.clone()),
    })
}

/// Custom label lines: `--label LANG=TEXT` flags; else, unless `--lang`
/// was given, `[[label.custom]]`; else none (the shipped texts).
fn label_lines(common: &CommonArgs, config: &Config) -> Result<Vec<(String, String)>> {
    if !common.lang.custom.is_empty() {
        return common
            .lang
            .custom
            .iter()
            .map(|l| {
                l.split_once('=')
                    .map(|(lang, text)| (lang.to_string(), text.to_string()))
                    .ok_or_else(|| Error::config(format!("--label {l:?} is not LANG=TEXT")))
            })
            .collect();
    }
    Ok(match (&common.lang.lang, &config.label.custom) {
        (None, Some(custom)) => custom
            .iter()
            .map(|c| (c.lang.clone(), c.text.clone()))
            .collect(),
        _ => Vec::new(),
    })
}

/// An option for a media type this build leaves out is an error, not
/// silently ignored.
#[allow(dead_code, reason = "only builds without some media use it")]
pub(crate) fn not_built(feature: &str, given: bool) -> Result<()> {
    tanba::options::not_built(feature, given)
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
