//! Settings: the vision and profile, the teams and their members, the
//! people and their access, the API tokens, the alert rules, webhooks and
//! last deliveries (webhooks by name, never by address), and the KPI
//! registry (the custom KPIs with their status).
//!
//! Everyone reads the vision, the teams and the registry; only an admin
//! logged in sees the people and the tokens and changes anything
//! ([`okapi_app::admin`] holds the rule: the forms here only call it). A
//! new token's secret is shown once, on the page that answers its
//! creation, and never put in a URL.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use maud::html;
use okapi_app::admin::{self, Admin, PersonChange};
use okapi_app::people::{TeamChange, UserChange};
use okapi_app::tokens::{NewToken, Principal};
use okapi_store::{Access, TokenAccess};
use serde::Deserialize;

use super::format::time;
use super::{PageResult, Viewer, fail, layout};
use crate::AppState;

/// Alert deliveries listed on the page.
const DELIVERIES_SHOWN: u32 = 20;

#[derive(Debug, Deserialize)]
pub struct Done {
    saved: Option<String>,
}

/// The page, with a notice and, right after a token was created, its
/// secret.
async fn render(
    st: &AppState,
    viewer: &Principal,
    notice: Option<&str>,
    new_token: Option<&NewToken>,
) -> Result<Response, Response> {
    let admin = Admin::of(viewer).ok();
    let vision = okapi_app::people::vision(&st.ws).await.map_err(fail)?;
    let teams = okapi_app::people::teams(&st.ws).await.map_err(fail)?;
    let (people, tokens) = match &admin {
        Some(a) => (
            Some(admin::people(&st.ws, a).await.map_err(fail)?),
            Some(admin::tokens(&st.ws, a).await.map_err(fail)?),
        ),
        None => (None, None),
    };
    let custom = &st.ws.settings.custom_kpis;
    let is_admin = admin.is_some();
    let hooks = &st.ws.settings.webhooks;
    let rules = &st.ws.settings.alerts;
    let deliveries = okapi_app::alerts::log(&st.ws, DELIVERIES_SHOWN)
        .await
        .map_err(fail)?;
    let body = html! {
        h1 { "Settings" }
        p.lead {
            @if is_admin { "You are an admin: you can change everything here." }
            @else { "Only admins change these settings; ask one of them." }
        }
        @if let Some(n) = notice { p.notice role="status" { (n) } }
        @if let Some(t) = new_token {
            section.card #new-token aria-labelledby="new-token-h" {
                h2 #new-token-h { "Token " (t.token.name) " created" }
                p { "Its secret, shown this once (okapi keeps only its hash):" }
                p { code #token-secret { (t.secret) } }
                p.small.muted { "Send it as " code { "Authorization: Bearer <secret>" } "." }
            }
        }
        div.row {
            section.card aria-labelledby="vision-h" {
                h2 #vision-h { "Vision and profile" }
                @if is_admin {
                    form.stack method="post" action="/settings/vision" {
                        label { "Vision" textarea name="vision" { (vision.as_deref().unwrap_or("")) } }
                        button type="submit" { "Save the vision" }
                    }
                } @else {
                    p { (vision.as_deref().unwrap_or("No vision yet.")) }
                }
                p.small.muted { "Profile: " strong { (st.ws.settings.profile.as_str()) } " (set in okapi.toml; it picks the executive KPIs and the funnel)." }
            }
            section.card aria-labelledby="teams-h" {
                h2 #teams-h { "Teams" }
                @if teams.is_empty() { p.empty { "No team yet." } }
                @else {
                    table #teams {
                        thead { tr { th { "Team" } th { "Mission" } th { "Members" } } }
                        tbody {
                            @for t in &teams {
                                tr { td { (t.team.name) br; span.small.muted { (t.team.key) } } td.small { (t.team.mission.as_deref().unwrap_or("—")) } td.small { (t.members.join(", ")) } }
                            }
                        }
                    }
                }
                @if is_admin {
                    form.stack method="post" action="/settings/teams" {
                        label { "Key" input name="key" required pattern="[a-z0-9-]+" placeholder="customer-success"; }
                        label { "Name" input name="name"; }
                        label { "Mission" input name="mission"; }
                        button type="submit" { "Add or change the team" }
                    }
                }
            }
        }
        @if let Some(people) = &people {
            section.card aria-labelledby="people-h" {
                h2 #people-h { "People and access" }
                p.small.muted { "Admins change everything; editors the OKRs and check-ins of their team; viewers read. Passwords are set with " code { "okapi user login" } "." }
                table #people {
                    thead { tr { th { "Person" } th { "Team" } th { "Access" } th { "Can log in" } } }
                    tbody {
                        @for p in people {
                            tr data-person=(p.key) {
                                td { (p.name) br; span.small.muted { (p.key) @if let Some(e) = &p.email { " · " (e) } } }
                                td { (p.team.as_deref().unwrap_or("—")) }
                                td {
                                    form method="post" action=(format!("/settings/people/{}", p.key)) {
                                        label.sr for=(format!("access-{}", p.key)) { "Access of " (p.name) }
                                        select id=(format!("access-{}", p.key)) name="access" {
                                            @for a in ["admin", "editor", "viewer"] {
                                                option value=(a) selected[p.access.as_str() == a] { (a) }
                                            }
                                        }
                                        " "
                                        button.plain type="submit" { "Save" }
                                    }
                                }
                                td { (if p.can_log_in { "yes" } else { "no password yet" }) }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(tokens) = &tokens {
            section.card aria-labelledby="tokens-h" {
                h2 #tokens-h { "API tokens" }
                @if tokens.is_empty() { p.empty { "No token yet. A token lets a program read the API (or, with write access, check in and upload data)." } }
                @else {
                    table #tokens {
                        thead { tr { th { "Id" } th { "Name" } th { "Access" } th { "Created" } th { "" } } }
                        tbody {
                            @for t in tokens {
                                tr data-token=(t.id) {
                                    td { (t.id) } td { (t.name) } td { (t.access.as_str()) } td.small { (time(t.created_at)) }
                                    td {
                                        @match t.revoked_at {
                                            Some(r) => { span.small.muted { "revoked " (time(r)) } },
                                            None => {
                                                form method="post" action=(format!("/settings/tokens/{}/revoke", t.id)) {
                                                    button.plain type="submit" { "Revoke" }
                                                }
                                            },
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                form.stack method="post" action="/settings/tokens" {
                    label { "Name" input name="name" required placeholder="dashboard-screen"; }
                    label { "Access" select name="access" { option value="read" { "read" } option value="write" { "write" } } }
                    button type="submit" { "Create a token" }
                }
            }
        }
        section.card aria-labelledby="alerts-h" {
            h2 #alerts-h { "Alerts" }
            @if rules.is_empty() {
                p.empty { "No alert rule yet. Add " code { "[[webhook]]" } " and " code { "[[alert]]" } " tables to okapi.toml: after each refresh, what the rules match is posted to the webhooks." }
            } @else {
                h3 { "Rules" }
                table #alert-rules {
                    thead { tr { th { "Rule" } th { "Fires on" } th { "Webhooks" } } }
                    tbody {
                        @for r in rules {
                            tr {
                                td { (r.name) }
                                td.small {
                                    (r.when.finding_kind().replace('_', " "))
                                    @if let Some(k) = &r.kpi { " of " a href=(format!("/kpis/{k}")) { (k) } }
                                    @if let Some(a) = r.above { " above " (a) }
                                    @if let Some(b) = r.below { " below " (b) }
                                }
                                td.small { (r.webhooks.join(", ")) }
                            }
                        }
                    }
                }
                h3 { "Webhooks" }
                table #webhooks {
                    thead { tr { th { "Webhook" } th { "Body" } th { "Signed" } th { "Timeout, retries" } } }
                    tbody {
                        @for w in hooks {
                            tr {
                                td { (w.name) }
                                td.small { (if w.format == okapi_core::alerting::WebhookFormat::Slack { "Slack text" } else { "JSON" }) }
                                td.small { (if w.secret_env.is_some() { "HMAC-SHA256" } else { "no" }) }
                                td.small { (w.timeout_secs) " s, " (w.retries) }
                            }
                        }
                    }
                }
            }
            h3 { "Last deliveries" }
            @if deliveries.is_empty() {
                p.empty { "No alert sent yet." }
            } @else {
                table #deliveries {
                    thead { tr { th { "Tried" } th { "Webhook" } th { "Rule" } th { "Status" } th { "Alert" } } }
                    tbody {
                        @for d in &deliveries {
                            tr data-status=(d.status) {
                                td.small { (time(d.last_try_at)) }
                                td { (d.webhook) }
                                td.small { (d.rule) }
                                td {
                                    span.grade.(if d.status == "delivered" { "green" } else { "red" }) { (d.status) }
                                    br;
                                    span.small.muted {
                                        (d.attempts) (if d.attempts == 1 { " attempt" } else { " attempts" })
                                        @if let Some(e) = &d.error { " · " (e) }
                                    }
                                }
                                td.small { (d.sentence) }
                            }
                        }
                    }
                }
                p.small.muted { "Also " code { "okapi alerts log" } " and " code { "GET /api/v1/alerts/deliveries" } "." }
            }
        }
        section.card aria-labelledby="registry-h" {
            h2 #registry-h { "KPI registry" }
            @if custom.is_empty() {
                p.empty { "No custom KPI yet. Add one as a " code { "[[kpi]]" } " in okapi.toml: a formula over other KPIs, or SQL over the data." }
            } @else {
                table #registry {
                    thead { tr { th { "KPI" } th { "Status" } th { "Owner" } th { "Question" } th { "Review on" } } }
                    tbody {
                        @for k in custom {
                            tr {
                                td { a href=(format!("/kpis/{}", k.id)) { (k.name) } br; span.small.muted { (k.id) } }
                                td { span.pill { (k.status.as_str()) } }
                                td { (k.owner.as_deref().unwrap_or("—")) }
                                td.small { (k.question.as_deref().unwrap_or("—")) }
                                td { (k.review_date.map_or("—".to_string(), |d| d.to_string())) }
                            }
                        }
                    }
                }
                p.small.muted { "Custom KPIs are defined in okapi.toml, which only whoever administers the workspace's files changes; a change shows after the server restarts." }
            }
        }
    };
    Ok(layout(st, viewer, "Settings", "/settings", body).into_response())
}

/// `GET /settings`.
pub async fn page(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    Query(done): Query<Done>,
) -> PageResult {
    let notice = done.saved.map(|what| format!("Saved: {what}."));
    render(&st, &viewer, notice.as_deref(), None).await
}

fn saved(what: &str) -> Response {
    let what: String = url::form_urlencoded::byte_serialize(what.as_bytes()).collect();
    Redirect::to(&format!("/settings?saved={what}")).into_response()
}

#[derive(Debug, Deserialize)]
pub struct VisionForm {
    vision: String,
}

/// `POST /settings/vision`.
pub async fn vision(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    Form(f): Form<VisionForm>,
) -> PageResult {
    let a = Admin::of(&viewer).map_err(fail)?;
    admin::set_vision(&st.ws, &a, &f.vision)
        .await
        .map_err(fail)?;
    Ok(saved("vision"))
}

#[derive(Debug, Deserialize)]
pub struct TeamForm {
    key: String,
    name: Option<String>,
    mission: Option<String>,
}

/// `POST /settings/teams`.
pub async fn team(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    Form(f): Form<TeamForm>,
) -> PageResult {
    let a = Admin::of(&viewer).map_err(fail)?;
    let given = |v: Option<String>| v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    admin::save_team(
        &st.ws,
        &a,
        TeamChange {
            key: f.key.trim().to_string(),
            name: given(f.name),
            mission: given(f.mission),
        },
    )
    .await
    .map_err(fail)?;
    Ok(saved("team"))
}

#[derive(Debug, Deserialize)]
pub struct AccessForm {
    access: Access,
}

/// `POST /settings/people/{key}`: a person's access.
pub async fn person(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    Path(key): Path<String>,
    Form(f): Form<AccessForm>,
) -> PageResult {
    let a = Admin::of(&viewer).map_err(fail)?;
    admin::save_person(
        &st.ws,
        &a,
        PersonChange {
            user: UserChange {
                key,
                ..Default::default()
            },
            access: Some(f.access),
        },
    )
    .await
    .map_err(fail)?;
    Ok(saved("access"))
}

#[derive(Debug, Deserialize)]
pub struct TokenForm {
    name: String,
    access: TokenAccess,
}

/// `POST /settings/tokens`: creates a token and shows its secret once.
pub async fn create_token(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    Form(f): Form<TokenForm>,
) -> PageResult {
    let a = Admin::of(&viewer).map_err(fail)?;
    let made = admin::create_token(&st.ws, &a, &f.name, f.access, Utc::now())
        .await
        .map_err(fail)?;
    render(&st, &viewer, None, Some(&made)).await
}

/// `POST /settings/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(st): State<AppState>,
    Viewer(viewer): Viewer,
    Path(id): Path<String>,
) -> PageResult {
    let a = Admin::of(&viewer).map_err(fail)?;
    admin::revoke_token(&st.ws, &a, &id, Utc::now())
        .await
        .map_err(fail)?;
    Ok(saved("token revoked"))
}
