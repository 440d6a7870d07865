//! The OpenAPI 3.1 document of `/api/v1`, generated from the handlers'
//! `#[utoipa::path]` and the types they take and answer, and served as
//! `GET /api/v1/openapi.json` without credentials (it describes the API,
//! and holds nothing of the workspace's).
//!
//! Errors are one schema, `Error` (`{code, message}`), answered with the
//! status of its code ([`okapi_app::Code::http_status`]); each status is
//! one reusable response here. Two security schemes: an API token
//! (`Authorization: Bearer okapi_…`) and the login session cookie
//! (`okapi_session`); every route takes either, but those that say none.

use std::sync::OnceLock;

use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::auth::SESSION_COOKIE;
use crate::error::ApiError;

/// An error response: the `Error` schema, with the status of `code`.
macro_rules! error_response {
    ($name:ident, $description:literal) => {
        #[doc = $description]
        pub(super) struct $name;

        impl<'r> utoipa::ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
                let content = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Error")))
                    .build();
                let response = ResponseBuilder::new()
                    .description($description)
                    .content("application/json", content)
                    .build();
                (stringify!($name), RefOr::T(response))
            }
        }
    };
}

error_response!(
    Invalid,
    "`invalid`: a malformed query or body, or a request that breaks a rule"
);
error_response!(
    Unauthenticated,
    "`unauthenticated`: no valid token or session of this workspace"
);
error_response!(
    Forbidden,
    "`forbidden`: not allowed to do this, or a change with the session cookie from another site"
);
error_response!(NotFound, "`not_found`: not in this workspace");
error_response!(
    Conflict,
    "`conflict`: it exists already or changed since it was read, or the change would leave no admin"
);
error_response!(
    Unprocessable,
    "`invalid_rows` (rows that break the data model, listed in `issues`) or `invalid_data` (a data file that cannot be used)"
);
error_response!(
    TooManyRequests,
    "`too_many_requests`: too many login attempts; the message says when to try again"
);
error_response!(
    TooLarge,
    "`too_large`: the body is larger than an upload may hold (256 MiB)"
);
error_response!(
    MethodNotAllowed,
    "`method_not_allowed`: the path exists, but not with this method"
);
error_response!(Internal, "`internal`: a bug or an unexpected failure");
error_response!(
    Unavailable,
    "`unavailable`: the database cannot be reached, or a file cannot be read or written"
);

/// A file's bytes, as a request body: only the document's name for them.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)] // never built: it only names a schema
pub(super) struct FileBytes(Vec<u8>);

/// The two ways a request proves who it is.
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (`okapi_` and 64 hex digits), reading or writing",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The login session `POST /api/v1/login` sets; a change made with it must \
                 come from this server's pages",
            ))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "okapi",
        description = "The REST API of an okapi workspace: its KPIs, stored and live, its OKRs \
                       and check-ins, its data files and its settings. Errors are \
                       `{code, message}` with the HTTP status of their code."
    ),
    paths(
        super::login,
        super::logout,
        super::workspace,
        super::home,
        super::journey,
        super::kpis,
        super::kpi_series,
        super::catalog,
        super::last_refresh,
        super::refresh_now,
        super::okrs,
        super::tree,
        super::report,
        super::weekly_report,
        super::key_result,
        super::history,
        super::check_in,
        super::upload,
        super::settings::set_vision,
        super::settings::teams,
        super::settings::save_team,
        super::settings::users,
        super::settings::save_user,
        super::settings::tokens,
        super::settings::create_token,
        super::settings::revoke_token,
        super::insights::insights,
        super::insights::list,
        super::insights::acknowledge,
        super::insights::deliveries,
        document,
    ),
    components(
        schemas(crate::error::Body),
        responses(
            Invalid,
            Unauthenticated,
            Forbidden,
            NotFound,
            Conflict,
            Unprocessable,
            TooManyRequests,
            TooLarge,
            MethodNotAllowed,
            Internal,
            Unavailable
        )
    ),
    modifiers(&Security),
    security(("bearer" = []), ("session" = [])),
    tags(
        (name = "session", description = "Logging in and out"),
        (name = "workspace", description = "The workspace and its executive home"),
        (name = "kpis", description = "KPI values, the catalog, the refresh of stored values"),
        (name = "okrs", description = "Cycles, objectives, key results and check-ins"),
        (name = "data", description = "The workspace's data files"),
        (name = "insights", description = "Anomalies, dissonances, OKR and customer risks; findings and their acknowledgement; the alert log"),
        (name = "settings", description = "The vision, teams, people and their access, API tokens"),
        (name = "document", description = "This document"),
    )
)]
struct ApiDoc;

/// The document, pretty-printed, ending with a newline; generated once.
fn text() -> Result<&'static str, ApiError> {
    static TEXT: OnceLock<Result<String, String>> = OnceLock::new();
    TEXT.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            .map(|json| json + "\n")
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map(String::as_str)
    .map_err(|e| {
        ApiError(okapi_app::AppError::Internal(format!(
            "OpenAPI document: {e}"
        )))
    })
}

/// This document: every route of `/api/v1`, what it takes and what it
/// answers. No credentials are needed.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "document", security(()),
    responses(
        (status = 200, description = "The OpenAPI 3.1 document", body = Object),
        (status = 500, response = Internal),
    ))]
pub(super) async fn document() -> Response {
    match text() {
        Ok(text) => ([(CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => e.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::respond;
    use okapi_app::Code;

    #[test]
    fn the_document_generates_and_every_code_has_a_response() {
        let doc: serde_json::Value = serde_json::from_str(text().unwrap()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let responses = doc["components"]["responses"].as_object().unwrap();
        for code in Code::ALL {
            let status = respond(code, "").status();
            assert!(status.as_u16() >= 400, "{code}");
            let named = responses.values().any(|r| {
                r["description"]
                    .as_str()
                    .is_some_and(|d| d.contains(&format!("`{code}`")))
            });
            assert!(named, "no response says `{code}`");
        }
    }
}
