//! Authentication: a bearer token of the workspace served, as an extractor,
//! so that a handler that takes [`Auth`] cannot run unauthenticated.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use okapi_app::AppError;
use okapi_app::tokens::{Principal, authenticate};

use crate::AppState;
use crate::error::ApiError;

/// The principal a request acts as.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let missing = || AppError::Unauthenticated("a bearer token is required".into());
        let value = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(missing)?;
        let secret = value
            .strip_prefix("Bearer ")
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(missing)?;
        let principal = authenticate(&state.ws.store, &state.ws.id, secret).await?;
        Ok(Auth(principal))
    }
}
