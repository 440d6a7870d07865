//! The pages people use: rendered on the server (maud templates, escaped
//! by default), with htmx for partial updates, every script and style
//! served from the binary (nothing loaded from another site), charts as
//! inline SVG from [`okapi_app::charts`].
//!
//! A page needs a login session: without one it redirects to `/login`
//! (and back after). A change sent from a page (a form post) must come
//! from this server's pages, like every change made with the session
//! cookie ([`crate::auth`]). Pages work without script: links and forms
//! are plain HTML, and htmx (`hx-boost`) only swaps the page's body
//! instead of reloading it.
//!
//! Each page reads what the application layer composes for it
//! ([`okapi_app::dashboard`] and the OKR views); no rule lives here, only
//! the layout.

mod assets;
mod customers;
mod format;
mod home;
mod journey;
mod kpis;
mod kr;
mod login;
mod mrr;
mod okrs;
mod review;
mod settings;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::Utc;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use okapi_app::tokens::Principal;
use okapi_app::{AppError, Code};

use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie, same_site};

/// The content security policy of the pages: scripts and styles from this
/// server only (no inline script, no eval), images inline (SVG) or from
/// here, forms posting here, no framing.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The pages' routes.
pub fn pages() -> Router<AppState> {
    Router::new()
        .route("/", get(home::page))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route("/journey", get(journey::page))
        .route("/mrr", get(mrr::page))
        .route("/customers", get(customers::page))
        .route("/kpis", get(kpis::list))
        .route("/kpis/{id}", get(kpis::page))
        .route("/okrs", get(okrs::page))
        .route("/krs/{key}", get(kr::page))
        .route("/krs/{key}/check-in", post(kr::check_in))
        .route("/review", get(review::page))
        .route("/settings", get(settings::page))
        .route("/settings/vision", post(settings::vision))
        .route("/settings/teams", post(settings::team))
        .route("/settings/people/{key}", post(settings::person))
        .route("/settings/tokens", post(settings::create_token))
        .route("/settings/tokens/{id}/revoke", post(settings::revoke_token))
        .route("/assets/{name}", get(assets::asset))
}

/// The person a page is shown to: a login session's principal.
pub struct Viewer(pub Principal);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Response> {
        let Some(secret) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(to_login(parts));
        };
        let principal =
            match okapi_app::accounts::authenticate_session(&st.ws, secret, Utc::now()).await {
                Ok(p) => p,
                Err(AppError::Unauthenticated(_)) => return Err(to_login(parts)),
                Err(e) => return Err(error_page(&e)),
            };
        let reads = matches!(parts.method, Method::GET | Method::HEAD);
        if !reads && !same_site(&parts.headers) {
            return Err(error_page(&AppError::Forbidden(
                "a change from another site is refused".into(),
            )));
        }
        Ok(Viewer(principal))
    }
}

/// A redirect to the login page that comes back to this page after.
fn to_login(parts: &Parts) -> Response {
    let back = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let next: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
    Redirect::to(&format!("/login?next={next}")).into_response()
}

/// Where a login may send the browser after: a path of this server only
/// (never another site: `//host` and `/\host` are refused).
pub(crate) fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n,
        _ => "/",
    }
}

/// The navigation: (path, label).
const NAV: &[(&str, &str)] = &[
    ("/", "Home"),
    ("/journey", "Journey"),
    ("/mrr", "MRR"),
    ("/customers", "Customers"),
    ("/kpis", "KPIs"),
    ("/okrs", "OKRs"),
    ("/review", "Review"),
    ("/settings", "Settings"),
];

/// A whole page: header with navigation and who is logged in, `body`.
pub(crate) fn layout(
    st: &AppState,
    viewer: &Principal,
    title: &str,
    here: &str,
    body: Markup,
) -> Html<String> {
    let name = st
        .ws
        .settings
        .workspace
        .name
        .clone()
        .unwrap_or_else(|| st.ws.id.clone());
    Html(
        html! {
            (DOCTYPE)
            html lang="en" {
                (head(title, &name))
                body hx-boost="true" {
                    a.skip href="#main" { "Skip to content" }
                    header.top {
                        div.bar {
                            a.brand href="/" { "okapi" small { (name) } }
                            nav.main aria-label="Main" {
                                @for (path, label) in NAV {
                                    @let current = if *path == "/" { here == "/" } else { here.starts_with(path) };
                                    a href=(path) aria-current=[current.then_some("page")] { (label) }
                                }
                            }
                            div.who {
                                span { (viewer.name) " · " (access_word(viewer)) }
                                form method="post" action="/logout" {
                                    button.plain type="submit" { "Log out" }
                                }
                            }
                        }
                    }
                    main #main { (body) }
                    footer.bottom { "okapi · numbers as of the last refresh" }
                }
            }
        }
        .into_string(),
    )
}

fn head(title: &str, workspace: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width,initial-scale=1";
            meta name="htmx-config" content=r#"{"allowEval":false,"allowScriptTags":false,"includeIndicatorStyles":false,"historyCacheSize":0}"#;
            title { (title) " · " (workspace) " · okapi" }
            link rel="stylesheet" href=(assets::CSS_PATH);
            script src=(assets::HTMX_PATH) defer {}
        }
    }
}

fn access_word(p: &Principal) -> &'static str {
    match &p.credential {
        okapi_app::tokens::Credential::User { access, .. } => access.as_str(),
        okapi_app::tokens::Credential::Token { .. } => "token",
    }
}

/// A page for an error: its status from the code table, its message
/// (internal details stay in the log).
pub(crate) fn error_page(e: &AppError) -> Response {
    let code = e.code();
    let status =
        StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = if code == Code::Internal {
        tracing::error!(error = %e, "page failed");
        "Something went wrong on the server; it has been logged.".to_string()
    } else {
        e.to_string()
    };
    let title = match code {
        Code::NotFound => "Not found",
        Code::Forbidden => "Not allowed",
        Code::Unauthenticated => "Please log in",
        _ => "Something is wrong",
    };
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, "okapi"))
            body {
                main #main {
                    section.card {
                        h1 { (title) }
                        p.error role="alert" { (message) }
                        p { a href="/" { "Back to the home page" } }
                    }
                }
            }
        }
    };
    (status, Html(page.into_string())).into_response()
}

/// A page's result: the page, or the error page.
pub(crate) type PageResult = Result<Response, Response>;

/// Turns an application error into its page.
pub(crate) fn fail(e: AppError) -> Response {
    error_page(&e)
}

/// Inline SVG from the chart module, trusted as markup (it escapes what
/// it draws).
pub(crate) fn svg(text: String) -> PreEscaped<String> {
    PreEscaped(text)
}
