//! Keyword arguments onto the facade's [`Options`]: the same options as
//! the command line's flags and `tanba.toml`, mapped onto the job and the
//! labelers' settings by the facade, not here.

use std::path::PathBuf;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use tanba::{Limits, Options};

/// Every keyword `label`, `label_file` and `verify` take, for the error
/// that names an unknown one.
pub(crate) const KEYWORDS: &[&str] = &[
    "lang",
    "label",
    "short",
    "position",
    "ai_system",
    "ai_version",
    "operator",
    "bin",
    "key",
    "source",
    "limits",
    "font",
    "text_encoding",
    "text_footer",
    "text_manifest",
    "subtitle_seconds",
    "pdf_pages",
    "pdf_edge",
    "pdf_rewrite",
    "refuse_encrypted",
    "jpeg_quality",
    "audio_mode",
    "audio_disclaimer",
    "ducking_db",
    "video_notice",
    "video_badge",
    "video_crf",
    "video_preset",
    "video_audible",
    "c2pa_cert",
    "c2pa_key",
    "c2pa_trust",
    "real_person",
    "person",
    "watermark",
    "watermark_key",
    "manifest_store",
];

/// The options of a call's keyword arguments; an unknown keyword or a
/// value of the wrong type is a `TypeError`, as for any Python function.
pub(crate) fn from_kwargs(kwargs: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut o = Options::default();
    let Some(kwargs) = kwargs else {
        return Ok(o);
    };
    for (key, value) in kwargs.iter() {
        let key: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        let v = &value;
        match key.as_str() {
            "lang" => o.languages = Some(languages(v)?),
            "label" => o.label_lines = label_lines(v)?,
            "short" => {
                if v.extract::<bool>()? {
                    o.wording = Some("short".into());
                }
            }
            "position" => o.position = Some(v.extract()?),
            "ai_system" => o.ai_system = Some(v.extract()?),
            "ai_version" => o.ai_version = Some(v.extract()?),
            "operator" => o.operator = Some(v.extract()?),
            "bin" => o.bin = Some(v.extract()?),
            "key" => o.key = Some(v.extract::<PathBuf>()?),
            "source" => o.source = Some(v.extract()?),
            "limits" => o.limits = Some(limits(v)?),
            "font" => o.font = Some(v.extract::<PathBuf>()?),
            "text_encoding" => o.text_encoding = Some(v.extract()?),
            "text_footer" => o.text_footer = Some(v.extract()?),
            "text_manifest" => o.text_manifest = Some(v.extract()?),
            "subtitle_seconds" => o.subtitle_seconds = Some(v.extract()?),
            "pdf_pages" => o.pdf_pages = Some(number_or_word(v)?),
            "pdf_edge" => o.pdf_edge = Some(v.extract()?),
            "pdf_rewrite" => o.pdf_rewrite = v.extract()?,
            "refuse_encrypted" => o.refuse_encrypted = v.extract()?,
            "jpeg_quality" => o.jpeg_quality = Some(number_or_word(v)?),
            "audio_mode" => o.audio_mode = Some(v.extract()?),
            "audio_disclaimer" => o.audio_disclaimer = Some(v.extract()?),
            "ducking_db" => o.ducking_db = Some(v.extract()?),
            "video_notice" => o.video_notice = Some(number_or_word(v)?),
            "video_badge" => o.video_badge = Some(v.extract()?),
            "video_crf" => o.video_crf = Some(v.extract()?),
            "video_preset" => o.video_preset = Some(v.extract()?),
            "video_audible" => o.video_audible = v.extract()?,
            "c2pa_cert" => o.c2pa_cert = Some(v.extract::<PathBuf>()?),
            "c2pa_key" => o.c2pa_key = Some(v.extract::<PathBuf>()?),
            "c2pa_trust" => o.c2pa_trust = Some(v.extract::<PathBuf>()?),
            "real_person" => o.real_person = v.extract()?,
            "person" => o.person = Some(v.extract()?),
            "watermark" => o.watermark = Some(v.extract()?),
            "watermark_key" => o.watermark_key = Some(v.extract()?),
            "manifest_store" => o.manifest_store = Some(v.extract::<PathBuf>()?),
            other => {
                return Err(PyTypeError::new_err(format!(
                    "unexpected keyword argument {other:?}; the options are: {}",
                    KEYWORDS.join(", ")
                )));
            }
        }
    }
    Ok(o)
}

/// `"kk,en"` or `["kk", "en"]`.
fn languages(v: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s
            .to_cow()?
            .split(',')
            .map(|l| l.trim().to_string())
            .collect());
    }
    v.extract()
}

/// `{"kk": "…", "en": "…"}` or `[("kk", "…"), …]`, in order.
fn label_lines(v: &Bound<'_, PyAny>) -> PyResult<Vec<(String, String)>> {
    if let Ok(d) = v.cast::<PyDict>() {
        return d
            .iter()
            .map(|(k, t)| Ok((k.extract()?, t.extract()?)))
            .collect();
    }
    v.extract()
}

/// `90` or `"source"`, `3` or `"off"`: the text the flag takes.
fn number_or_word(v: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = v.extract::<String>() {
        return Ok(s);
    }
    Ok(v.str()?.to_cow()?.into_owned())
}

/// A dict of limits (`{"max_bytes": …, "max_pixels": …}`), the keys of
/// `[limits]` in `tanba.toml`; those left out keep their default.
fn limits(v: &Bound<'_, PyAny>) -> PyResult<Limits> {
    let json = v
        .py()
        .import("json")?
        .call_method1("dumps", (v,))?
        .extract::<String>()?;
    serde_json::from_str(&json).map_err(|e| PyTypeError::new_err(format!("limits: {e}")))
}
