//! Logging in and out from a page: a form of email (or user key) and
//! password; a success sets the session cookie and goes back to the page
//! asked for, a failure shows the form again with why.

use std::net::SocketAddr;

use axum::Form;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::{DOCTYPE, html};
use okapi_app::AppError;
use serde::Deserialize;

use super::{Viewer, head, safe_next};
use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie, same_site};

#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

/// The login form; `next` is where to go after.
fn render(next: &str, user: &str, error: Option<&str>, status: StatusCode) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            (head("Log in", "okapi"))
            body {
                main #main.login {
                    span.brand { "okapi" }
                    section.card {
                        h1 { "Log in" }
                        p.lead { "Your company's OKRs and KPIs, in one place." }
                        @if let Some(e) = error {
                            p.error role="alert" { (e) }
                        }
                        form.stack method="post" action="/login" {
                            input type="hidden" name="next" value=(next);
                            label {
                                "Email or user name"
                                input type="text" name="user" value=(user) autocomplete="username" required autofocus;
                            }
                            label {
                                "Password"
                                input type="password" name="password" autocomplete="current-password" required;
                            }
                            button type="submit" { "Log in" }
                        }
                    }
                }
            }
        }
    };
    (status, Html(page.into_string())).into_response()
}

/// `GET /login`.
pub async fn form(Query(q): Query<Next>) -> Response {
    render(safe_next(q.next.as_deref()), "", None, StatusCode::OK)
}

/// The login form's fields; no `Debug`, so the password cannot be printed.
#[derive(Deserialize)]
pub struct LoginForm {
    user: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`.
pub async fn submit(
    State(st): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let next = safe_next(f.next.as_deref()).to_string();
    // A login posted from another site would log the browser in as
    // someone else.
    if !same_site(&headers) {
        return render(
            &next,
            "",
            Some("A login from another site is refused."),
            StatusCode::FORBIDDEN,
        );
    }
    // Counted by account: its key and its email share one limit.
    let account = match okapi_app::accounts::account_of(&st.ws, &f.user).await {
        Ok(a) => a,
        Err(e) => return super::error_page(&e),
    };
    if let Err(e) = st.login_limits.attempt(peer.ip(), &account) {
        return render(
            &next,
            &f.user,
            Some(&e.to_string()),
            StatusCode::TOO_MANY_REQUESTS,
        );
    }
    match okapi_app::accounts::login(&st.ws, &f.user, f.password, Utc::now()).await {
        Ok(session) => {
            let cookie = format!(
                "{SESSION_COOKIE}={}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{}",
                session.secret,
                okapi_app::accounts::SESSION_HOURS * 3600,
                if st.secure_cookies { "; Secure" } else { "" }
            );
            ([(SET_COOKIE, cookie)], Redirect::to(&next)).into_response()
        }
        Err(AppError::Unauthenticated(_)) => render(
            &next,
            &f.user,
            Some("Wrong email, user name or password."),
            StatusCode::UNAUTHORIZED,
        ),
        Err(e) => super::error_page(&e),
    }
}

/// `POST /logout`: ends the session and goes to the login page.
pub async fn logout(State(st): State<AppState>, _: Viewer, headers: HeaderMap) -> Response {
    if let Some(secret) = cookie(&headers, SESSION_COOKIE)
        && let Err(e) = okapi_app::accounts::logout(&st.ws, secret, Utc::now()).await
    {
        return super::error_page(&e);
    }
    let cleared = format!("{SESSION_COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0");
    ([(SET_COOKIE, cleared)], Redirect::to("/login")).into_response()
}
