//! The routes and their handlers. A file's request: options checked,
//! a permit taken (503 when none), the body spooled to a temporary file
//! (413 past the limit), the library run on the blocking pool, the
//! answer sent and the temporary folder removed, all within the timeout.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::middleware;
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};

use tanba::{Credentials, Job, Registry};

use super::App;
use super::errors::ApiError;
use super::form;
use super::limits::{self, Upload};
use super::metrics::{self, Record};
use super::mixed::{self, Part};
use super::options::RequestOptions;
use crate::report::LogLine;

/// Every route the service answers (method, path); the OpenAPI document
/// names exactly these.
pub(crate) const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v1/label"),
    ("POST", "/v1/verify"),
    ("GET", "/v1/formats"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
];

/// The service: the token guards all but the health probe and the
/// document; every request is counted and logged.
pub(crate) fn router(app: Arc<App>) -> Router {
    let guarded = Router::new()
        .route("/v1/label", post(label))
        .route("/v1/verify", post(verify))
        .route("/v1/formats", get(formats))
        .route("/metrics", get(metrics::metrics))
        .route_layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            super::auth::require,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(super::openapi::document))
        .merge(guarded)
        // The body is streamed to disk under the service's own limit.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn_with_state(
            Arc::clone(&app),
            metrics::observe,
        ))
        .with_state(app)
}

/// `GET /healthz`: the process is up and answering.
async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /v1/formats`: what this build labels.
async fn formats(State(app): State<Arc<App>>) -> Json<serde_json::Value> {
    let rows: Vec<_> = app
        .registry
        .formats()
        .iter()
        .map(|(labeler, f)| serde_json::json!({ "labeler": labeler, "format": f.name, "mime": f.mime, "extensions": f.extensions }))
        .collect();
    Json(serde_json::Value::Array(rows))
}

/// The labelled file, on its way back.
struct Done {
    bytes: Vec<u8>,
    outcome: tanba::FileOutcome,
    input_len: u64,
    /// The sidecar files its marks live in, for a `multipart/mixed` answer.
    sidecars: Vec<Part>,
}

/// `POST /v1/label`: the body is the file (or a form's `file` part); the
/// answer is the labelled file, its manifest id and notes in headers.
async fn label(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    // The query's and header's options are checked before any body is read.
    let request = RequestOptions::of(&uri, &headers, Vec::new())?;
    let prepared = job_for(&app, &request)?;
    let permit = limits::permit(&app)?;
    let done = limits::with_timeout(&app, async {
        let name = request.filename.as_deref();
        let (upload, form) = form::upload(&app, &uri, &headers, body, name).await?;
        let (job, registry) = match form {
            Some(request) => job_for(&app, &request)?,
            None => prepared,
        };
        let mixed = mixed::accepted(&headers);
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            label_upload(&registry, &job, upload, mixed)
        })
        .await
        .map_err(ApiError::internal)?
    })
    .await?;
    Ok(labelled_response(done))
}

/// The job and registry of a request: the service's own unless its
/// options change them.
fn job_for(app: &App, request: &RequestOptions) -> Result<(Job, Arc<Registry>), ApiError> {
    if request.is_empty() {
        return Ok((app.job.clone(), Arc::clone(&app.registry)));
    }
    let options = request.over(&app.options)?;
    if request.changes_settings() {
        let (job, registry) = app.prepare(&options)?;
        return Ok((job, Arc::new(registry)));
    }
    Ok((options.job()?, Arc::clone(&app.registry)))
}

/// Labels the upload (on the blocking pool) and reads the result back,
/// with its sidecars when the client takes a `multipart/mixed` answer
/// (`mixed`); the temporary folder goes when `upload` is dropped, here.
fn label_upload(
    registry: &Registry,
    job: &Job,
    upload: Upload,
    mixed: bool,
) -> Result<Done, ApiError> {
    let outcome = registry
        .label_file(&upload.path, &upload.output(), job)
        .map_err(|e| ApiError::of(&e, &upload.path, &upload.name))?;
    let c2pa = match &outcome.credentials {
        Some(Credentials::Sidecar(path)) => Some(path.as_path()),
        _ => None,
    };
    let sidecars: Vec<&std::path::Path> = outcome
        .manifest_sidecar
        .as_deref()
        .into_iter()
        .chain(c2pa)
        .collect();
    if !sidecars.is_empty() && !mixed {
        return Err(ApiError::of(
            &tanba::Error::cannot_label(
                "this format keeps its marks in a sidecar file beside it, which a one-file \
                 answer cannot carry: ask for both with `Accept: multipart/mixed`, or label \
                 it with `tanba label`",
            ),
            &upload.path,
            &upload.name,
        ));
    }
    let sidecars = sidecars
        .into_iter()
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(Part {
                mime: mixed::sidecar_mime(&name),
                name,
                bytes: std::fs::read(path).map_err(ApiError::internal)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    let bytes = std::fs::read(&outcome.output).map_err(ApiError::internal)?;
    Ok(Done {
        bytes,
        outcome,
        input_len: upload.len,
        sidecars,
    })
}

/// A header value of visible ASCII: anything else escaped as JSON does.
fn ascii_header(text: &str) -> HeaderValue {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if (' '..='~').contains(&c) {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    HeaderValue::from_str(&out).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The labelled bytes with their media type, manifest id and notes.
fn labelled_response(done: Done) -> Response {
    let labelled = &done.outcome.labelled;
    let manifest = &labelled.manifest;
    let name = done
        .outcome
        .output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let notes = serde_json::to_string(&labelled.notes).unwrap_or_default();
    let compliance = serde_json::to_value(LogLine::new(
        (&name, &name),
        (&done.outcome.input_sha256, &done.outcome.output_sha256),
        manifest,
    ))
    .ok();
    let record = Record {
        format: Some(labelled.format.name),
        bytes_in: done.input_len,
        bytes_out: done.bytes.len() as u64,
        compliance,
        ..Record::default()
    };
    let (body, content_type) = if done.sidecars.is_empty() {
        (done.bytes, labelled.format.mime.to_string())
    } else {
        let mut parts = vec![Part {
            name: name.clone(),
            mime: labelled.format.mime,
            bytes: done.bytes,
        }];
        parts.extend(done.sidecars);
        mixed::body(&manifest.id, &parts)
    };
    let record = Record {
        bytes_out: body.len() as u64,
        ..record
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, ascii_header(&content_type));
    h.insert("tanba-manifest-id", ascii_header(&manifest.id));
    h.insert("tanba-format", ascii_header(labelled.format.name));
    h.insert("tanba-notes", ascii_header(&notes));
    h.insert(
        header::CONTENT_DISPOSITION,
        ascii_header(&format!("attachment; filename={}", quoted(&name))),
    );
    response.extensions_mut().insert(record);
    response
}

/// A file name as a quoted header parameter.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace(['"', '\\'], "_"))
}

/// `POST /v1/verify`: the body is the file (or a form's `file` part);
/// the answer says which marks it carries and whether it is compliant.
async fn verify(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let request = RequestOptions::of(&uri, &headers, Vec::new())?;
    let permit = limits::permit(&app)?;
    let worker = Arc::clone(&app);
    let (row, record) = limits::with_timeout(&app, async {
        let name = request.filename.as_deref();
        let (upload, _) = form::upload(&app, &uri, &headers, body, name).await?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            verify_upload(&worker, &upload)
        })
        .await
        .map_err(ApiError::internal)?
    })
    .await?;
    let mut response = Json(row).into_response();
    response.extensions_mut().insert(record);
    Ok(response)
}

/// Verifies the upload (on the blocking pool).
fn verify_upload(app: &App, upload: &Upload) -> Result<(serde_json::Value, Record), ApiError> {
    let format = std::fs::File::open(&upload.path).ok().and_then(|mut f| {
        let mut head = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(&mut f, tanba::SNIFF_LEN as u64),
            &mut head,
        )
        .ok()?;
        app.registry
            .detect(&head, Some(&upload.path))
            .map(|(_, f)| f.name)
    });
    let v = app
        .registry
        .verify_file(&upload.path, &app.job.limits)
        .map_err(|e| ApiError::of(&e, &upload.path, &upload.name))?;
    let row = serde_json::json!({
        "file": upload.name,
        "format": format,
        "compliant": v.is_compliant(),
        "real_person": v.real_person,
        "verification": v,
    });
    let record = Record {
        format,
        bytes_in: upload.len,
        ..Record::default()
    };
    Ok((row, record))
}
