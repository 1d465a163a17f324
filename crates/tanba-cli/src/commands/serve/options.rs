//! A request's options: query parameters, a form's option fields and/or
//! a JSON `Tanba-Options` header (the header wins, then the form), over
//! the service's defaults. Only options about the label and the media are
//! taken; paths to files on the server (keys, fonts, clips, the manifest
//! store) stay the operator's to set.

use axum::extract::Query;
use axum::http::{HeaderMap, Uri};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use tanba::Options;

use super::errors::ApiError;

/// The header carrying the options as a JSON object.
pub(crate) const HEADER: &str = "tanba-options";

/// What a request may set; every field a string (numbers and booleans
/// are taken too, in the header's JSON).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RequestOptions {
    /// The file's name: breaks ties between formats (Markdown or text) and
    /// names the labelled file.
    #[serde(deserialize_with = "text")]
    pub(crate) filename: Option<String>,
    /// `kk,ru,en`.
    #[serde(deserialize_with = "text")]
    lang: Option<String>,
    /// `true`: the short wording.
    #[serde(deserialize_with = "text")]
    short: Option<String>,
    #[serde(deserialize_with = "text")]
    position: Option<String>,
    #[serde(deserialize_with = "text")]
    ai_system: Option<String>,
    #[serde(deserialize_with = "text")]
    ai_version: Option<String>,
    #[serde(deserialize_with = "text")]
    operator: Option<String>,
    #[serde(deserialize_with = "text")]
    bin: Option<String>,
    /// `generated` or `composite`.
    #[serde(deserialize_with = "text")]
    source: Option<String>,
    #[serde(deserialize_with = "text")]
    pdf_pages: Option<String>,
    #[serde(deserialize_with = "text")]
    pdf_edge: Option<String>,
    #[serde(deserialize_with = "text")]
    jpeg_quality: Option<String>,
    #[serde(deserialize_with = "text")]
    audio_mode: Option<String>,
    #[serde(deserialize_with = "text")]
    video_notice: Option<String>,
    /// `false`: no invisible watermark (the operator's key and store stay
    /// the service's).
    #[serde(deserialize_with = "text")]
    watermark: Option<String>,
    /// `true`: the content imitates a real person, so the deepfake notice
    /// (issue #23) instead of the default one.
    #[serde(deserialize_with = "text")]
    real_person: Option<String>,
    /// The real person's name: recorded in the manifest (and XMP), never
    /// drawn; needs `real_person`.
    #[serde(deserialize_with = "text")]
    person: Option<String>,
}

/// A string, number or boolean, as the text the flag would take.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Word(String),
        Integer(i64),
        Float(f64),
        Bool(bool),
    }
    Ok(Some(match Text::deserialize(d)? {
        Text::Word(w) => w,
        Text::Integer(n) => n.to_string(),
        Text::Float(x) => x.to_string(),
        Text::Bool(b) => b.to_string(),
    }))
}

impl RequestOptions {
    /// The options of a request: its query, then a form's option fields
    /// (`form`, empty for a raw body) over it, then its header over both.
    pub(crate) fn of(
        uri: &Uri,
        headers: &HeaderMap,
        form: Vec<(String, String)>,
    ) -> Result<Self, ApiError> {
        let query = Query::<std::collections::BTreeMap<String, String>>::try_from_uri(uri)
            .map_err(|e| ApiError::bad_request(format!("query: {e}")))?;
        let mut map: Map<String, Value> = query
            .0
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        map.extend(form.into_iter().map(|(k, v)| (k, Value::String(v))));
        if let Some(value) = headers.get(HEADER) {
            let json: Value = value
                .to_str()
                .ok()
                .and_then(|s| serde_json::from_str(s).ok())
                .ok_or_else(|| ApiError::bad_request("Tanba-Options is not a JSON object"))?;
            let Value::Object(fields) = json else {
                return Err(ApiError::bad_request("Tanba-Options is not a JSON object"));
            };
            map.extend(fields.into_iter().filter(|(_, v)| !v.is_null()));
        }
        serde_json::from_value(Value::Object(map))
            .map_err(|e| ApiError::bad_request(format!("options: {e}")))
    }

    /// Whether a labeler setting changes, so the request needs a registry
    /// of its own (the job alone changes for the rest).
    pub(crate) fn changes_settings(&self) -> bool {
        [
            &self.pdf_pages,
            &self.pdf_edge,
            &self.jpeg_quality,
            &self.audio_mode,
            &self.video_notice,
        ]
        .iter()
        .any(|o| o.is_some())
    }

    /// Whether any labelling option is set.
    pub(crate) fn is_empty(&self) -> bool {
        !self.changes_settings()
            && [
                &self.lang,
                &self.short,
                &self.position,
                &self.ai_system,
                &self.ai_version,
                &self.operator,
                &self.bin,
                &self.source,
                &self.watermark,
                &self.real_person,
                &self.person,
            ]
            .iter()
            .all(|o| o.is_none())
    }

    /// The service's defaults with these options over them.
    pub(crate) fn over(&self, defaults: &Options) -> Result<Options, ApiError> {
        let mut o = defaults.clone();
        if let Some(on) = self.watermark.as_deref() {
            o.watermark = Some(yes_or_no("watermark", on)?);
        }
        if let Some(on) = self.real_person.as_deref() {
            o.real_person = yes_or_no("real_person", on)?;
        }
        if self.person.is_some() {
            o.person.clone_from(&self.person);
        }
        if let Some(lang) = &self.lang {
            o.languages = Some(lang.split(',').map(|l| l.trim().to_string()).collect());
            o.label_lines.clear();
        }
        if let Some(short) = self.short.as_deref() {
            let short = yes_or_no("short", short)?;
            o.wording = Some(if short { "short" } else { "long" }.into());
        }
        let set = |field: &mut Option<String>, given: &Option<String>| {
            if given.is_some() {
                field.clone_from(given);
            }
        };
        set(&mut o.position, &self.position);
        set(&mut o.ai_system, &self.ai_system);
        set(&mut o.ai_version, &self.ai_version);
        set(&mut o.operator, &self.operator);
        set(&mut o.bin, &self.bin);
        set(&mut o.source, &self.source);
        set(&mut o.pdf_pages, &self.pdf_pages);
        set(&mut o.pdf_edge, &self.pdf_edge);
        set(&mut o.jpeg_quality, &self.jpeg_quality);
        set(&mut o.audio_mode, &self.audio_mode);
        set(&mut o.video_notice, &self.video_notice);
        Ok(o)
    }
}

/// A boolean option's text: `true`/`1`/`yes` or `false`/`0`/`no`.
fn yes_or_no(name: &str, text: &str) -> Result<bool, ApiError> {
    match text {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        other => Err(ApiError::bad_request(format!(
            "{name} {other:?}: use true or false"
        ))),
    }
}
