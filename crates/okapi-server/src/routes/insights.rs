//! The insight routes of `/api/v1`: what the insights find now, the
//! findings kept across refreshes and their acknowledgement, and the log
//! of alerts sent. Reading is anyone's; acknowledging is for those who may
//! change things ([`okapi_app::findings::acknowledge_as`] decides).

use axum::Json;
use axum::Router;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use okapi_app::AppError;
use okapi_app::findings::{self, FindingList};
use okapi_app::insights::Insights;
use okapi_store::{AlertDelivery, StoredFinding};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{ApiResult, openapi, query};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/insights", get(insights))
        .route("/api/v1/findings", get(list))
        .route("/api/v1/findings/{id}/ack", post(acknowledge))
        .route("/api/v1/alerts/deliveries", get(deliveries))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct InsightsQuery {
    /// The day the OKR risks are read on (default: today).
    at: Option<NaiveDate>,
}

/// The anomalies, dissonances, OKR and customer risks found now in the
/// stored values, each with what the stored findings say of it.
#[utoipa::path(get, path = "/api/v1/insights", tag = "insights", params(InsightsQuery),
    responses(
        (status = 200, description = "Everything found", body = Insights),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn insights(
    State(st): State<AppState>,
    Auth(_): Auth,
    q: Result<Query<InsightsQuery>, QueryRejection>,
) -> ApiResult<Insights> {
    let q = query(q)?;
    let at = match q.at {
        Some(d) => okapi_app::inputs::day("at", d)?,
        None => Utc::now().date_naive(),
    };
    Ok(Json(okapi_app::insights::insights(&st.ws, at).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FindingsQuery {
    /// Also the findings no longer found.
    #[serde(default)]
    all: bool,
}

/// The findings recorded at refreshes: the current ones, or all.
#[utoipa::path(get, path = "/api/v1/findings", tag = "insights", params(FindingsQuery),
    responses(
        (status = 200, description = "The findings, the most recently seen first", body = FindingList),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn list(
    State(st): State<AppState>,
    Auth(_): Auth,
    q: Result<Query<FindingsQuery>, QueryRejection>,
) -> ApiResult<FindingList> {
    let q = query(q)?;
    Ok(Json(findings::list(&st.ws, q.all).await?))
}

/// An acknowledgement's note.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AckBody {
    note: Option<String>,
}

/// Acknowledges a finding as the caller (an admin, an editor or a
/// writing token), with an optional note.
#[utoipa::path(post, path = "/api/v1/findings/{id}/ack", tag = "insights",
    params(("id" = String, Path, description = "The finding's id")),
    request_body = AckBody,
    responses(
        (status = 200, description = "The finding, acknowledged", body = StoredFinding),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 404, response = openapi::NotFound),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn acknowledge(
    State(st): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
    b: Result<Json<AckBody>, JsonRejection>,
) -> ApiResult<StoredFinding> {
    principal.require_write()?;
    let b = b
        .map(|Json(v)| v)
        .map_err(|e| ApiError(AppError::Invalid(e.body_text())))?;
    Ok(Json(
        findings::acknowledge_as(&st.ws, &principal, &id, b.note, Utc::now()).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct DeliveriesQuery {
    /// How many (default 50, at most 10,000).
    limit: Option<u32>,
}

/// The log of alerts sent, or tried, to the webhooks, the latest first.
/// Webhooks are named, never shown by address.
#[utoipa::path(get, path = "/api/v1/alerts/deliveries", tag = "insights", params(DeliveriesQuery),
    responses(
        (status = 200, description = "The deliveries, the latest tried first", body = Vec<AlertDelivery>),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn deliveries(
    State(st): State<AppState>,
    Auth(_): Auth,
    q: Result<Query<DeliveriesQuery>, QueryRejection>,
) -> ApiResult<Vec<AlertDelivery>> {
    let q = query(q)?;
    Ok(Json(
        okapi_app::alerts::log(&st.ws, q.limit.unwrap_or(50)).await?,
    ))
}
