//! What one request may take: its body (streamed to a temporary file, up
//! to a size), a permit among `concurrency` (503 when none is free) and
//! its time (504 past it). The temporary folder goes when the request is
//! done, answered or not.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, header};
use futures_util::{Stream, StreamExt as _};
use tokio::io::AsyncWriteExt as _;
use tokio::sync::OwnedSemaphorePermit;

use super::App;
use super::errors::ApiError;

/// Seconds a caller told "busy" is asked to wait.
const RETRY_AFTER_SECS: u32 = 1;

/// A free permit, or 503 with `Retry-After` at once: a full service says
/// so rather than queueing requests nobody bounds.
pub(crate) fn permit(app: &App) -> Result<OwnedSemaphorePermit, ApiError> {
    Arc::clone(&app.permits).try_acquire_owned().map_err(|_| {
        let mut e = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!(
                "all {} labelling slots are busy; try again shortly",
                app.service.concurrency
            ),
        );
        e.retry_after = Some(RETRY_AFTER_SECS);
        e
    })
}

/// `work`, or 504 once the service's timeout has passed. Work already on
/// the blocking pool finishes and then removes its files.
pub(crate) async fn with_timeout<T>(
    app: &App,
    work: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, ApiError> {
    let limit = app.service.timeout;
    tokio::time::timeout(limit, work).await.unwrap_or_else(|_| {
        Err(ApiError::new(
            StatusCode::GATEWAY_TIMEOUT,
            "timeout",
            format!("the request took longer than {} s", limit.as_secs()),
        ))
    })
}

/// A request body on disk, in a folder of its own that is removed when
/// this is dropped.
#[derive(Debug)]
pub(crate) struct Upload {
    pub(crate) dir: tempfile::TempDir,
    /// The body's file.
    pub(crate) path: PathBuf,
    /// Its name as the caller gave it (or `upload.EXT`), for messages.
    pub(crate) name: String,
    pub(crate) len: u64,
}

impl Upload {
    /// Where its labelled copy goes.
    pub(crate) fn output(&self) -> PathBuf {
        self.dir.path().join("out").join(&self.name)
    }
}

/// The largest body taken: the service's limit, or the decoder limit on
/// file size if that is smaller.
pub(crate) fn max_body(app: &App) -> u64 {
    app.service.max_body.min(app.job.limits.max_bytes)
}

pub(crate) fn too_large(max: u64) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
        format!("the body is larger than {max} bytes"),
    )
}

/// 413 before reading a body whose `Content-Length` passes `max`.
pub(crate) fn check_declared(headers: &HeaderMap, max: u64) -> Result<(), ApiError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_large(max));
    }
    Ok(())
}

/// A request's own temporary folder, with the `out` folder its labelled
/// copy goes to; the body is spooled to `body` in it.
pub(crate) fn request_dir(app: &App) -> Result<tempfile::TempDir, ApiError> {
    let dir = tempfile::Builder::new()
        .prefix(".tanba-serve-")
        .tempdir_in(&app.service.temp_dir)
        .map_err(ApiError::internal)?;
    std::fs::create_dir(dir.path().join("out")).map_err(ApiError::internal)?;
    Ok(dir)
}

/// Streams the body to a temporary file, refusing it (413) as soon as it
/// passes the limit, before reading it when `Content-Length` says so.
/// `name` is the caller's file name (see [`named`]).
pub(crate) async fn spool(
    app: &App,
    headers: &HeaderMap,
    body: Body,
    name: Option<&str>,
) -> Result<Upload, ApiError> {
    let max = max_body(app);
    check_declared(headers, max)?;
    let dir = request_dir(app)?;
    let (len, head) = write_body(
        &dir.path().join("body"),
        body.into_data_stream(),
        max,
        |e| ApiError::bad_request(format!("reading the body: {e}")),
    )
    .await?;
    named(app, dir, len, &head, name)
}

/// The spooled `body` of `dir` under its name: the caller's, else after
/// the format its first bytes show, which breaks ties as an extension
/// would. An empty body is refused.
pub(crate) fn named(
    app: &App,
    dir: tempfile::TempDir,
    len: u64,
    head: &[u8],
    name: Option<&str>,
) -> Result<Upload, ApiError> {
    if len == 0 {
        return Err(ApiError::bad_request("the body is empty: send the file"));
    }
    let name = match name.and_then(safe_name) {
        Some(n) => n,
        None => sniffed_name(&app.registry, head),
    };
    let path = dir.path().join(&name);
    std::fs::rename(dir.path().join("body"), &path).map_err(ApiError::internal)?;
    Ok(Upload {
        dir,
        path,
        name,
        len,
    })
}

/// Writes a stream of chunks (a raw body, or a form's file part) to
/// `path`, at most `max` bytes; returns its length and first bytes.
/// `failed` turns the stream's own error into the answer.
pub(crate) async fn write_body<E>(
    path: &Path,
    stream: impl Stream<Item = Result<Bytes, E>>,
    max: u64,
    failed: impl Fn(E) -> ApiError,
) -> Result<(u64, Vec<u8>), ApiError> {
    let mut file = tokio::fs::File::create(path)
        .await
        .map_err(ApiError::internal)?;
    let mut stream = std::pin::pin!(stream);
    let mut len = 0u64;
    let mut head = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(&failed)?;
        len += chunk.len() as u64;
        if len > max {
            return Err(too_large(max));
        }
        if head.len() < tanba::SNIFF_LEN {
            let take = (tanba::SNIFF_LEN - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
        }
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    file.flush().await.map_err(ApiError::internal)?;
    Ok((len, head))
}

/// The last part of the caller's name, if it is a plain file name.
fn safe_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next()?;
    let plain = !base.is_empty()
        && base != "."
        && base != ".."
        && base != "body"
        && base != "out"
        && !base.chars().any(char::is_control);
    plain.then(|| base.to_string())
}

/// `upload.EXT` after the format the first bytes show, else `upload`.
fn sniffed_name(registry: &tanba::Registry, head: &[u8]) -> String {
    match registry.detect(head, None) {
        Some((_, format)) => format!("upload.{}", format.extension()),
        None => "upload".to_string(),
    }
}
