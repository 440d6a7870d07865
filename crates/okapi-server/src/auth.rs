//! Authentication as an extractor, so that a handler that takes [`Auth`]
//! cannot run unauthenticated: a bearer API token
//! (`Authorization: Bearer okapi_…`), or the session cookie a login set
//! ([`SESSION_COOKIE`]).
//!
//! A change made with the cookie must come from the server's own pages: a
//! request whose `Sec-Fetch-Site` is another site's, or whose `Origin` is
//! not the server's host, is refused (a cross-site form cannot post as the
//! person logged in). Bearer tokens are not sent by browsers on their own
//! and need no such check.

use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, ORIGIN};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use chrono::Utc;
use okapi_app::AppError;
use okapi_app::accounts::authenticate_session;
use okapi_app::tokens::{Principal, authenticate};

use crate::AppState;
use crate::error::ApiError;

/// The name of the login session cookie.
pub const SESSION_COOKIE: &str = "okapi_session";

/// The principal a request acts as.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

/// The value of cookie `name`, if the request sent it.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Whether a request that changes something comes from this server's own
/// pages.
pub(crate) fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return matches!(site, "same-origin" | "none");
    }
    let host = headers.get(HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => origin
            .split_once("://")
            .is_some_and(|(_, rest)| rest == host),
        // Neither header: not a browser's cross-site request.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let missing =
            || AppError::Unauthenticated("a bearer token or a login session is required".into());
        if let Some(value) = parts.headers.get(AUTHORIZATION) {
            let secret = value
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .ok_or_else(missing)?;
            let principal = authenticate(&state.ws, secret).await?;
            return Ok(Auth(principal));
        }
        let secret = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(missing)?;
        let principal = authenticate_session(&state.ws, secret, Utc::now()).await?;
        let reads = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !reads && !same_site(&parts.headers) {
            return Err(ApiError(AppError::Forbidden(
                "a change from another site is refused".into(),
            )));
        }
        Ok(Auth(principal))
    }
}
