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

/// An error: its stable code (whose HTTP status is the response's) and
/// what was refused and why.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub(crate) struct Body<'a> {
    code: Code,
    message: &'a str,
    /// The rows refused, for `invalid_rows`: the first ones in full.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<okapi_engine::load::RowIssue>>)]
    issues: Option<&'a okapi_engine::load::Issues>,
}

/// A response with `code`'s status and body.
pub fn respond(code: Code, message: &str) -> Response {
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(Body {
            code,
            message,
            issues: None,
        }),
    )
        .into_response()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.code();
        if code == Code::Internal {
            tracing::error!(error = %self.0, "request failed");
            // The details stay in the log.
            return respond(code, "internal error");
        }
        if let Some(issues) = self.0.invalid_rows() {
            let status = StatusCode::from_u16(code.http_status())
                .unwrap_or(StatusCode::UNPROCESSABLE_ENTITY);
            let message = self.0.to_string();
            let body = Body {
                code,
                message: &message,
                issues: Some(issues),
            };
            return (status, Json(body)).into_response();
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
