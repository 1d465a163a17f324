//! `multipart/form-data` uploads (`curl -F file=@photo.png -F lang=kk`):
//! the `file` part is the file, streamed to the request's temporary folder
//! under the same limit as a raw body; every other part is an option, as
//! the query's parameters are. Parsed by `multer`, part by part, so the
//! file is never held in memory.

use axum::body::Body;
use axum::http::{HeaderMap, Uri, header};
use multer::{Constraints, Multipart, SizeLimit};

use super::App;
use super::errors::ApiError;
use super::limits::{self, Upload};
use super::options::RequestOptions;

/// The part that carries the file.
const FILE_PART: &str = "file";
/// The largest option field: options are short words, held in memory.
const MAX_FIELD: u64 = 64 * 1024;

/// The boundary of a `multipart/form-data` body; `None` for a raw body
/// (any other media type).
pub(crate) fn boundary(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(header::CONTENT_TYPE) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::bad_request("Content-Type is not ASCII"))?;
    let is_form = text
        .trim_start()
        .get(..19)
        .is_some_and(|t| t.eq_ignore_ascii_case("multipart/form-data"));
    if !is_form {
        return Ok(None);
    }
    multer::parse_boundary(text)
        .map(Some)
        .map_err(|e| ApiError::bad_request(format!("multipart/form-data: {e}")))
}

/// A request's file and options: a raw body, with the options already
/// read from its query and header (`None` here); or a form's `file` part,
/// with its option fields read over the query (`Some`).
pub(crate) async fn upload(
    app: &App,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
    raw_name: Option<&str>,
) -> Result<(Upload, Option<RequestOptions>), ApiError> {
    let Some(boundary) = boundary(headers)? else {
        return Ok((limits::spool(app, headers, body, raw_name).await?, None));
    };
    let max = limits::max_body(app);
    limits::check_declared(headers, max)?;
    let limit = SizeLimit::new()
        .whole_stream(max)
        .per_field(MAX_FIELD)
        .for_field(FILE_PART, max);
    let mut form = Multipart::with_constraints(
        body.into_data_stream(),
        boundary,
        Constraints::new().size_limit(limit),
    );
    let dir = limits::request_dir(app)?;
    let mut file = None;
    let mut fields = Vec::new();
    while let Some(part) = form.next_field().await.map_err(refused)? {
        let name = part.name().unwrap_or_default().to_string();
        if name != FILE_PART {
            fields.push((name, part.text().await.map_err(refused)?));
            continue;
        }
        if file.is_some() {
            return Err(ApiError::bad_request(
                "the form has two `file` parts: send one file per request",
            ));
        }
        let part_name = part.file_name().map(str::to_string);
        let (len, head) = limits::write_body(&dir.path().join("body"), part, max, refused).await?;
        file = Some((len, head, part_name));
    }
    let Some((len, head, part_name)) = file else {
        return Err(ApiError::bad_request(
            "the form has no `file` part: send the file as `-F file=@PATH`",
        ));
    };
    let request = RequestOptions::of(uri, headers, fields)?;
    // The `filename` option names the file, else the part's own name.
    let name = request.filename.as_deref().or(part_name.as_deref());
    let upload = limits::named(app, dir, len, &head, name)?;
    Ok((upload, Some(request)))
}

/// A form the parser refused: too large (413) or not a well-formed form
/// (400).
fn refused(e: multer::Error) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { limit } => limits::too_large(limit),
        multer::Error::FieldSizeExceeded { limit, field_name } => ApiError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            format!(
                "the form's part {:?} is larger than {limit} bytes",
                field_name.unwrap_or_default()
            ),
        ),
        other => ApiError::bad_request(format!("multipart/form-data: {other}")),
    }
}
