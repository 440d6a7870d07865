//! Errors as the API answers them: `{ "code", "message" }`, with the HTTP
//! status of the code ([`okapi_app::Code::http_status`]).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use okapi_app::{AppError, Code};
use serde::Serialize;

/// An application error on its way out.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

#[derive(Debug, Serialize)]
struct Body<'a> {
    code: Code,
    message: &'a str,
}

/// A response with `code`'s status and body.
pub fn respond(code: Code, message: &str) -> Response {
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, Json(Body { code, message })).into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.code();
        if code == Code::Internal {
            tracing::error!(error = %self.0, "request failed");
            // The details stay in the log.
            return respond(code, "internal error");
        }
        respond(code, &self.0.to_string())
    }
}

/// The answer of a handler that panicked: the panic is logged, the server
/// goes on.
pub fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    respond(Code::Internal, "internal error")
}
