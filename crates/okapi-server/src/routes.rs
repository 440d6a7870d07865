//! The routes of `/api/v1`: each authenticates, calls one use case of the
//! application layer and answers its result as JSON. The settings (the
//! vision, teams, people, API tokens) are in [`settings`]; the insights,
//! findings and alert log in [`insights`]; the OpenAPI
//! document of them all, from the `#[utoipa::path]` of each handler, in
//! [`openapi`].

mod insights;
mod openapi;
mod settings;

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use chrono::{NaiveDate, Utc};
use okapi_app::AppError;
use okapi_app::checkins::{self, CheckInRequest, CheckedIn};
use okapi_app::okr_views::{self, Filter, History, StatusQuery, TreeNode};
use okapi_app::status::CycleStatus;
use okapi_app::{people, stored};
use okapi_core::okr::Confidence;
use okapi_core::period::Grain;
use okapi_store::StoredKpiValue;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::Auth;
use crate::error::{ApiError, respond};

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn api() -> Router<AppState> {
    Router::new()
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/workspace", get(workspace))
        .route("/api/v1/kpis", get(kpis))
        .route("/api/v1/catalog", get(catalog))
        .route("/api/v1/refresh", get(last_refresh).post(refresh_now))
        .route("/api/v1/kpis/{id}", get(kpi_series))
        .route("/api/v1/home", get(home))
        .route("/api/v1/journey", get(journey))
        .route("/api/v1/key-results/{key}", get(key_result))
        .route("/api/v1/okrs", get(okrs))
        .route("/api/v1/okrs/tree", get(tree))
        .route("/api/v1/report", get(report))
        .route("/api/v1/report/weekly", get(weekly_report))
        .route(
            "/api/v1/key-results/{key}/checkins",
            get(history).post(check_in),
        )
        .route("/api/v1/data/{table}", put(upload))
        .merge(settings::routes())
        .merge(insights::routes())
        .route("/api/v1/openapi.json", get(openapi::document))
        .fallback(|| async { respond(okapi_app::Code::NotFound, "no such route") })
        .method_not_allowed_fallback(|method: axum::http::Method| async move {
            respond(
                okapi_app::Code::MethodNotAllowed,
                &format!("this path does not answer {method}"),
            )
        })
}

/// A query string refused, as an `invalid` error.
fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v)
        .map_err(|e| ApiError(AppError::Invalid(e.body_text())))
}

/// The workspace served.
#[derive(Debug, Serialize, ToSchema)]
struct WorkspaceInfo {
    id: String,
    vision: Option<String>,
    profile: &'static str,
}

/// The workspace: its id, vision and profile (`b2b` or `b2c`).
#[utoipa::path(get, path = "/api/v1/workspace", tag = "workspace",
    responses(
        (status = 200, description = "The workspace", body = WorkspaceInfo),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn workspace(State(st): State<AppState>, Auth(_): Auth) -> ApiResult<WorkspaceInfo> {
    Ok(Json(WorkspaceInfo {
        id: st.ws.id.clone(),
        vision: people::vision(&st.ws).await?,
        profile: st.ws.settings.profile.as_str(),
    }))
}

/// Every KPI the workspace knows: the catalog's, then its custom ones,
/// with name, stage, unit, direction and formula; a custom KPI's owner,
/// question, status and review date.
#[utoipa::path(get, path = "/api/v1/catalog", tag = "kpis",
    responses(
        (status = 200, description = "The catalog's KPIs, then the custom ones", body = Vec<okapi_app::data::CatalogEntry>),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn catalog(
    State(st): State<AppState>,
    Auth(_): Auth,
) -> ApiResult<Vec<okapi_app::data::CatalogEntry>> {
    Ok(Json(okapi_app::data::catalog(&st.ws.settings)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct KpiQuery {
    /// `day`, `week`, `month` (default), `quarter` or `year`.
    grain: Option<Grain>,
    /// `column=value` (`plan=pro`); all accounts when left out.
    segment: Option<String>,
}

/// Every KPI's value in the latest period stored.
#[utoipa::path(get, path = "/api/v1/kpis", tag = "kpis", params(KpiQuery),
    responses(
        (status = 200, description = "Each KPI's value in the latest period stored (empty before the first refresh)", body = Vec<StoredKpiValue>),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn kpis(
    State(st): State<AppState>,
    Auth(_): Auth,
    q: Result<Query<KpiQuery>, QueryRejection>,
) -> ApiResult<Vec<StoredKpiValue>> {
    let q = query(q)?;
    let values = stored::latest(
        &st.ws,
        q.grain.unwrap_or(Grain::Month),
        q.segment.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(values))
}

/// One KPI's stored series, oldest first.
#[utoipa::path(get, path = "/api/v1/kpis/{id}", tag = "kpis",
    params(("id" = String, Path, description = "The KPI's id (`mrr`)"), KpiQuery),
    responses(
        (status = 200, description = "The KPI's stored values, oldest first", body = Vec<StoredKpiValue>),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 404, response = openapi::NotFound),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn kpi_series(
    State(st): State<AppState>,
    Auth(_): Auth,
    Path(id): Path<String>,
    q: Result<Query<KpiQuery>, QueryRejection>,
) -> ApiResult<Vec<StoredKpiValue>> {
    let q = query(q)?;
    let values = stored::series(
        &st.ws,
        &id,
        q.grain.unwrap_or(Grain::Month),
        q.segment.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(values))
}

/// The executive home: the seven executive subjects, the key results at
/// risk, the inactive paying customers, the findings.
#[utoipa::path(get, path = "/api/v1/home", tag = "workspace",
    responses(
        (status = 200, description = "The executive home", body = okapi_app::dashboard::Home),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn home(State(st): State<AppState>, Auth(_): Auth) -> ApiResult<okapi_app::dashboard::Home> {
    let home = okapi_app::dashboard::home(&st.ws, Utc::now().date_naive()).await?;
    Ok(Json(std::sync::Arc::unwrap_or_clone(home)))
}

/// The customer journey: the funnel and each stage's KPIs.
#[utoipa::path(get, path = "/api/v1/journey", tag = "kpis",
    responses(
        (status = 200, description = "The customer journey", body = okapi_app::dashboard::Journey),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn journey(
    State(st): State<AppState>,
    Auth(_): Auth,
) -> ApiResult<okapi_app::dashboard::Journey> {
    Ok(Json(okapi_app::dashboard::journey(&st.ws).await?))
}

/// A key result's page: its status in its cycle today, its check-ins and
/// its KPI's latest stored value.
#[utoipa::path(get, path = "/api/v1/key-results/{key}", tag = "okrs",
    params(("key" = String, Path, description = "The key result's key")),
    responses(
        (status = 200, description = "The key result's page", body = okapi_app::dashboard::KrPage),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 404, response = openapi::NotFound),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn key_result(
    State(st): State<AppState>,
    Auth(_): Auth,
    Path(key): Path<String>,
) -> ApiResult<okapi_app::dashboard::KrPage> {
    Ok(Json(
        okapi_app::dashboard::kr_page(&st.ws, &key, Utc::now().date_naive()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct OkrQuery {
    /// The cycle's key; the active cycle when left out.
    cycle: Option<String>,
    /// The day of the status (default: today, or the cycle's last day).
    at: Option<NaiveDate>,
    /// Only this team's objectives.
    team: Option<String>,
    /// Only what this person owns.
    owner: Option<String>,
}

async fn status_of(st: &AppState, q: OkrQuery) -> Result<CycleStatus, ApiError> {
    Ok(std::sync::Arc::unwrap_or_clone(
        shared_status_of(st, q).await?,
    ))
}

async fn shared_status_of(
    st: &AppState,
    q: OkrQuery,
) -> Result<std::sync::Arc<CycleStatus>, ApiError> {
    let query = StatusQuery {
        cycle: q.cycle,
        at: q.at,
        live: false,
        filter: Filter {
            team: q.team,
            owner: q.owner,
        },
    };
    Ok(okr_views::status_shared(&st.ws, query, Utc::now().date_naive()).await?)
}

/// A cycle's status: its objectives and key results with scores, grades,
/// pace and forecast.
#[utoipa::path(get, path = "/api/v1/okrs", tag = "okrs", params(OkrQuery),
    responses(
        (status = 200, description = "The cycle's status", body = CycleStatus),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 404, response = openapi::NotFound),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn okrs(
    State(st): State<AppState>,
    Auth(_): Auth,
    q: Result<Query<OkrQuery>, QueryRejection>,
) -> ApiResult<CycleStatus> {
    Ok(Json(status_of(&st, query(q)?).await?))
}

/// A cycle's alignment tree: objectives under their parents.
#[utoipa::path(get, path = "/api/v1/okrs/tree", tag = "okrs", params(OkrQuery),
    responses(
        (status = 200, description = "The alignment tree's roots", body = Vec<TreeNode>),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 404, response = openapi::NotFound),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn tree(
    State(st): State<AppState>,
    Auth(_): Auth,
    q: Result<Query<OkrQuery>, QueryRejection>,
) -> ApiResult<Vec<TreeNode>> {
    let status = shared_status_of(&st, query(q)?).await?;
    Ok(Json(okr_views::tree(&status)))
}

/// A key result and its check-ins, oldest first, each with the score it
/// gave.
#[utoipa::path(get, path = "/api/v1/key-results/{key}/checkins", tag = "okrs",
    params(("key" = String, Path, description = "The key result's key")),
    responses(
        (status = 200, description = "The key result and its check-ins", body = History),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 404, response = openapi::NotFound),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn history(
    State(st): State<AppState>,
    Auth(_): Auth,
    Path(key): Path<String>,
) -> ApiResult<History> {
    Ok(Json(okr_views::history(&st.ws, &key).await?))
}

/// A check-in; every field may be left out.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct CheckInBody {
    /// The key result's value; a KPI-linked key result without one reads
    /// its KPI.
    value: Option<f64>,
    confidence: Option<Confidence>,
    note: Option<String>,
    /// The day checked in (default: today).
    at: Option<NaiveDate>,
}

/// A check-in on a key result: by an admin, an editor of the key result's
/// team or its owner, or a writing token.
#[utoipa::path(post, path = "/api/v1/key-results/{key}/checkins", tag = "okrs",
    params(("key" = String, Path, description = "The key result's key")),
    request_body = CheckInBody,
    responses(
        (status = 201, description = "Checked in: the score it gives, the expected progress, pace and forecast", body = CheckedIn),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 404, response = openapi::NotFound),
        (status = 409, response = openapi::Conflict),
        (status = 422, response = openapi::Unprocessable),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn check_in(
    State(st): State<AppState>,
    Auth(principal): Auth,
    Path(key): Path<String>,
    body: Result<Json<CheckInBody>, JsonRejection>,
) -> Result<(StatusCode, Json<CheckedIn>), ApiError> {
    okapi_app::accounts::may_check_in(&st.ws, &principal, &key).await?;
    let Json(body) = body.map_err(|e| ApiError(AppError::Invalid(e.body_text())))?;
    let req = CheckInRequest {
        kr: key,
        value: body.value,
        confidence: body.confidence,
        note: body.note,
        author: okapi_app::tokens::author_of(&st.ws, &principal).await?,
        at: body.at,
    };
    let done = checkins::check_in(&st.ws, req, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UploadQuery {
    /// `csv`, `jsonl` or `parquet` (default `csv`).
    format: Option<String>,
}

/// A table's file replaced.
#[derive(Debug, Serialize, ToSchema)]
struct UploadAnswer {
    #[serde(flatten)]
    uploaded: okapi_app::upload::Uploaded,
    /// The stored KPI values are being recomputed (`started`).
    refresh: &'static str,
}

/// Replaces a table's file with the body, once every row of it is valid,
/// then refreshes the stored KPI values in the background: an admin's or a
/// writing token's.
#[utoipa::path(put, path = "/api/v1/data/{table}", tag = "data",
    params(("table" = String, Path, description = "The table (`subscriptions`, `events`, …)"), UploadQuery),
    request_body(description = "The table's whole file, in the format of `format` (at most 256 MiB)",
        content(
            (String = "text/csv"),
            (String = "application/x-ndjson"),
            (openapi::FileBytes = "application/octet-stream"),
        )),
    responses(
        (status = 200, description = "The table's file replaced; the refresh started", body = UploadAnswer),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 404, response = openapi::NotFound),
        (status = 413, response = openapi::TooLarge),
        (status = 422, response = openapi::Unprocessable),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn upload(
    State(st): State<AppState>,
    Auth(principal): Auth,
    Path(table): Path<String>,
    q: Result<Query<UploadQuery>, QueryRejection>,
    body: axum::body::Body,
) -> ApiResult<UploadAnswer> {
    use http_body_util::BodyExt;
    okapi_app::accounts::may_manage_data(&principal)?;
    let table = okapi_app::inputs::table(&table)?;
    let q = query(q)?;
    let format = okapi_app::inputs::data_format(q.format.as_deref().unwrap_or("csv"))?;
    // The body goes to disk as it arrives, never whole in memory.
    let mut staged = okapi_app::upload::StagedUpload::begin(&st.ws, table, format).await?;
    let mut body = body;
    while let Some(frame) = body.frame().await {
        let frame =
            frame.map_err(|e| ApiError(AppError::Invalid(format!("the upload broke off: {e}"))))?;
        if let Some(chunk) = frame.data_ref() {
            staged.write(chunk).await?;
        }
    }
    let uploaded = staged.finish(&st.ws).await?;
    let ws = st.ws.clone();
    tokio::spawn(async move {
        match okapi_app::refresh::refresh_workspace(&ws, false).await {
            Ok(r) => tracing::info!(values = r.values, "refresh after an upload"),
            Err(e) => tracing::error!(error = %e, "refresh after an upload failed"),
        }
    });
    Ok(Json(UploadAnswer {
        uploaded,
        refresh: "started",
    }))
}

/// A login's body; no `Debug`, so the password cannot be printed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    /// The user's key, or their email address.
    user: String,
    #[schema(format = Password)]
    password: String,
}

/// Logs in: answers who and until when, and sets the session cookie
/// (HttpOnly, SameSite=Lax, Secure when the server is behind TLS).
#[utoipa::path(post, path = "/api/v1/login", tag = "session", security(()),
    request_body = LoginBody,
    responses(
        (status = 200, description = "Logged in", body = okapi_app::accounts::LoginSession,
            headers(("Set-Cookie" = String, description = "The session cookie, `okapi_session`"))),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 429, response = openapi::TooManyRequests),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn login(
    State(st): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    body: Result<Json<LoginBody>, JsonRejection>,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    let Json(body) = body.map_err(|e| ApiError(AppError::Invalid(e.body_text())))?;
    // Counted by account: its key and its email share one limit.
    let account = okapi_app::accounts::account_of(&st.ws, &body.user).await?;
    st.login_limits.attempt(peer.ip(), &account)?;
    let session = okapi_app::accounts::login(&st.ws, &body.user, body.password, Utc::now()).await?;
    let cookie = format!(
        "{}={}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{}",
        crate::auth::SESSION_COOKIE,
        session.secret,
        okapi_app::accounts::SESSION_HOURS * 3600,
        if st.secure_cookies { "; Secure" } else { "" }
    );
    Ok(([(axum::http::header::SET_COOKIE, cookie)], Json(session)))
}

/// A session ended.
#[derive(Debug, Serialize, ToSchema)]
struct LoggedOut {
    logged_out: bool,
}

/// Logs out: the session ends and the cookie is cleared.
#[utoipa::path(post, path = "/api/v1/logout", tag = "session",
    responses(
        (status = 200, description = "Logged out", body = LoggedOut,
            headers(("Set-Cookie" = String, description = "The session cookie, cleared"))),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn logout(
    State(st): State<AppState>,
    Auth(_): Auth,
    headers: axum::http::HeaderMap,
) -> Result<impl axum::response::IntoResponse, ApiError> {
    if let Some(secret) = crate::auth::cookie(&headers, crate::auth::SESSION_COOKIE) {
        okapi_app::accounts::logout(&st.ws, secret, Utc::now()).await?;
    }
    let cleared = format!(
        "{}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0",
        crate::auth::SESSION_COOKIE
    );
    Ok((
        [(axum::http::header::SET_COOKIE, cleared)],
        Json(LoggedOut { logged_out: true }),
    ))
}

/// The last refresh of the stored KPI values (`null` before the first).
#[utoipa::path(get, path = "/api/v1/refresh", tag = "kpis",
    responses(
        (status = 200, description = "The last refresh, or `null` before the first", body = Option<okapi_store::KpiRefresh>),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn last_refresh(
    State(st): State<AppState>,
    Auth(_): Auth,
) -> ApiResult<Option<okapi_store::KpiRefresh>> {
    Ok(Json(stored::last_refresh(&st.ws).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct RefreshQuery {
    /// Recompute even when nothing changed.
    #[serde(default)]
    force: bool,
}

/// Refreshes the stored KPI values now and answers what was done (an
/// admin's or a writing token's).
#[utoipa::path(post, path = "/api/v1/refresh", tag = "kpis", params(RefreshQuery),
    responses(
        (status = 200, description = "What the refresh recomputed, or that nothing changed", body = okapi_app::refresh::RefreshReport),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 422, response = openapi::Unprocessable),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn refresh_now(
    State(st): State<AppState>,
    Auth(principal): Auth,
    q: Result<Query<RefreshQuery>, QueryRejection>,
) -> ApiResult<okapi_app::refresh::RefreshReport> {
    okapi_app::accounts::may_manage_data(&principal)?;
    let q = query(q)?;
    Ok(Json(
        okapi_app::refresh::refresh_workspace(&st.ws, q.force).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WeeklyQuery {
    /// The week's last day (default: the data's last day).
    at: Option<NaiveDate>,
    /// `markdown` (default), `html` or `json`.
    format: Option<String>,
}

/// The executive report of the week to download: Markdown, one
/// self-contained HTML page that prints to PDF, or JSON.
#[utoipa::path(get, path = "/api/v1/report/weekly", tag = "insights", params(WeeklyQuery),
    responses(
        (status = 200, description = "The report, as a file to save",
            content((String = "text/markdown"), (String = "text/html"), (okapi_app::weekly::WeeklyReport = "application/json")),
            headers(("Content-Disposition" = String, description = "`attachment`, with the file's name"))),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn weekly_report(
    State(st): State<AppState>,
    Auth(_): Auth,
    q: Result<Query<WeeklyQuery>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let q = query(q)?;
    let r = okapi_app::weekly::report(&st.ws, q.at, Utc::now().date_naive()).await?;
    let out = okapi_app::weekly::render(&r, q.format.as_deref().unwrap_or("markdown"))?;
    Ok((
        [
            (CONTENT_TYPE, out.content_type.to_string()),
            (
                CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"weekly-report-{}.{}\"",
                    r.to, out.extension
                ),
            ),
        ],
        out.text,
    )
        .into_response())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ReportQuery {
    /// The cycle's key; the active cycle when left out.
    cycle: Option<String>,
    /// The day of the status (default: today, or the cycle's last day).
    at: Option<NaiveDate>,
    /// `markdown` (default) or `html`.
    format: Option<String>,
}

/// A cycle's OKR report to download: Markdown, or one self-contained HTML
/// page that prints to PDF.
#[utoipa::path(get, path = "/api/v1/report", tag = "okrs", params(ReportQuery),
    responses(
        (status = 200, description = "The report, as a file to save",
            content((String = "text/markdown"), (String = "text/html")),
            headers(("Content-Disposition" = String, description = "`attachment`, with the file's name"))),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 404, response = openapi::NotFound),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
async fn report(
    State(st): State<AppState>,
    Auth(_): Auth,
    q: Result<Query<ReportQuery>, QueryRejection>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let q = query(q)?;
    let html = okapi_app::inputs::report_is_html(q.format.as_deref().unwrap_or("markdown"))?;
    let query = StatusQuery {
        cycle: q.cycle,
        at: q.at,
        ..Default::default()
    };
    let text =
        okapi_app::report_markdown::report(&st.ws, query, Utc::now().date_naive(), html).await?;
    let (kind, name) = if html {
        ("text/html; charset=utf-8", "okr-report.html")
    } else {
        ("text/markdown; charset=utf-8", "okr-report.md")
    };
    Ok((
        [
            (CONTENT_TYPE, kind.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        text,
    )
        .into_response())
}
