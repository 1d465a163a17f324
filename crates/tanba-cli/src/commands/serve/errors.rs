//! Typed errors as HTTP answers: a status and `{"kind", "reason"}`, the
//! kind being [`tanba::Error::kind_name`] or one of the service's own
//! (`too-large`, `unauthorized`, `busy`, `timeout`, `bad-request`,
//! `internal`).

use std::path::Path;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::metrics::Record;

/// An error answer.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) kind: &'static str,
    pub(crate) reason: String,
    /// Seconds to wait before trying again (503).
    pub(crate) retry_after: Option<u32>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: &'static str, reason: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            reason: reason.into(),
            retry_after: None,
        }
    }

    /// A bad request that is not about the file (options, headers).
    pub(crate) fn bad_request(reason: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad-request", reason)
    }

    /// The service's own failure (a task that panicked, a disk that failed).
    pub(crate) fn internal(reason: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            reason.to_string(),
        )
    }

    /// A library error about the uploaded file at `path`, shown to the
    /// caller as `shown` (their file name): the server's paths stay private.
    pub(crate) fn of(e: &tanba::Error, path: &Path, shown: &str) -> Self {
        let status = match e {
            tanba::Error::Unsupported { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            tanba::Error::LimitExceeded { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            tanba::Error::AlreadyLabelled { .. } => StatusCode::CONFLICT,
            tanba::Error::Config { .. } => StatusCode::BAD_REQUEST,
            tanba::Error::Io { .. } | tanba::Error::Unverified { .. } => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            // Malformed, encrypted, cannot label, and kinds added later.
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let reason = e
            .to_string()
            .replace(&path.display().to_string(), shown)
            .replace(&dir_of(path), "");
        ApiError::new(status, e.kind_name(), reason)
    }
}

/// The upload's folder with a trailing separator, to strip from messages
/// that name another file in it.
fn dir_of(path: &Path) -> String {
    path.parent()
        .map(|d| format!("{}{}", d.display(), std::path::MAIN_SEPARATOR))
        .unwrap_or_default()
}

impl From<tanba::Error> for ApiError {
    /// An error about the options, before any file.
    fn from(e: tanba::Error) -> Self {
        let status = match e {
            tanba::Error::Config { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, e.kind_name(), e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "kind": self.kind, "reason": self.reason });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response.extensions_mut().insert(Record {
            kind: Some(self.kind),
            reason: Some(self.reason),
            ..Record::default()
        });
        response
    }
}
