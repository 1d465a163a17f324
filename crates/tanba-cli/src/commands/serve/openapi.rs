//! `GET /openapi.json`: the API described for clients and generators. A
//! static document kept beside this file (`openapi.json`); the tests check
//! that it names exactly the routes the service answers.

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// The document, as written.
const DOCUMENT: &str = include_str!("openapi.json");

/// `GET /openapi.json`.
pub(crate) async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}
