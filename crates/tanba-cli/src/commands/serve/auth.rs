//! The bearer token: when the service has one, every call but `/healthz`
//! and `/openapi.json` must bring `Authorization: Bearer TOKEN`. The body
//! of a refused call is never read.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::App;
use super::errors::ApiError;

/// Lets the request through when it brings the service's token.
pub(crate) async fn require(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    if let Some(token) = &app.service.token {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        if !given.is_some_and(|g| same(g.trim().as_bytes(), token.as_bytes())) {
            return ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this service needs `Authorization: Bearer TOKEN`",
            )
            .into_response();
        }
    }
    next.run(request).await
}

/// Equal, in a time that does not depend on where they first differ (a
/// token must not be guessable byte by byte from response times).
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
