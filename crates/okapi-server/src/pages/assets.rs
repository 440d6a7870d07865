//! The pages' script and stylesheet, built into the binary and served
//! with a name that changes with their content (so a browser may keep them
//! for a year): htmx 2.0.11 (Zero-Clause BSD, `assets/htmx-LICENSE`) and
//! okapi's stylesheet.

use axum::extract::Path;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use okapi_app::Code;

use crate::error::respond;

const CSS: &str = include_str!("../../assets/okapi.css");
const HTMX: &str = include_str!("../../assets/htmx-2.0.11.min.js");

/// The stylesheet's path; its version is bumped when it changes.
pub const CSS_PATH: &str = "/assets/okapi-8.css";
/// htmx's path, named by its version.
pub const HTMX_PATH: &str = "/assets/htmx-2.0.11.min.js";

/// `GET /assets/{name}`.
pub async fn asset(Path(name): Path<String>) -> Response {
    let (body, kind) = match format!("/assets/{name}").as_str() {
        CSS_PATH => (CSS, "text/css; charset=utf-8"),
        HTMX_PATH => (HTMX, "text/javascript; charset=utf-8"),
        _ => return respond(Code::NotFound, "no such asset"),
    };
    (
        [
            (CONTENT_TYPE, kind),
            (CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        body,
    )
        .into_response()
}
