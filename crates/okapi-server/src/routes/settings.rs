//! The settings routes of `/api/v1`: the vision, teams, people and their
//! access, API tokens. Reading the teams is anyone's; everything else is an
//! admin's ([`okapi_app::admin`] decides, and a token is never one). The
//! admin is checked before the body is read, so a refused request learns
//! nothing from how its body was judged.

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, put};
use chrono::Utc;
use okapi_app::AppError;
use okapi_app::admin::{self, Admin, Person, PersonChange};
use okapi_app::people::{self, TeamChange, TeamMembers, UserChange};
use okapi_app::tokens::NewToken;
use okapi_store::{Access, ApiToken, Team, TokenAccess};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiResult, openapi};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/vision", put(set_vision))
        .route("/api/v1/teams", get(teams))
        .route("/api/v1/teams/{key}", put(save_team))
        .route("/api/v1/users", get(users))
        .route("/api/v1/users/{key}", put(save_user))
        .route("/api/v1/tokens", get(tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
}

/// A JSON body refused, as an `invalid` error.
fn body<T>(b: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    b.map(|Json(v)| v)
        .map_err(|e| ApiError(AppError::Invalid(e.body_text())))
}

/// The vision to set; an empty one removes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct VisionBody {
    vision: String,
}

/// The vision as saved (`null`: none).
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct VisionAnswer {
    vision: Option<String>,
}

/// Sets the vision (an admin's); an empty one removes it.
#[utoipa::path(put, path = "/api/v1/vision", tag = "settings",
    request_body = VisionBody,
    responses(
        (status = 200, description = "The vision as saved (`null`: none)", body = VisionAnswer),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn set_vision(
    State(st): State<AppState>,
    Auth(principal): Auth,
    b: Result<Json<VisionBody>, JsonRejection>,
) -> ApiResult<VisionAnswer> {
    let by = Admin::of(&principal)?;
    let b = body(b)?;
    let vision = admin::set_vision(&st.ws, &by, &b.vision).await?;
    Ok(Json(VisionAnswer { vision }))
}

/// Every team, with the keys of its members.
#[utoipa::path(get, path = "/api/v1/teams", tag = "settings",
    responses(
        (status = 200, description = "Every team with its members", body = Vec<TeamMembers>),
        (status = 401, response = openapi::Unauthenticated),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn teams(
    State(st): State<AppState>,
    Auth(_): Auth,
) -> ApiResult<Vec<TeamMembers>> {
    Ok(Json(people::teams(&st.ws).await?))
}

/// A team's fields to set; those left out keep their values.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TeamBody {
    name: Option<String>,
    mission: Option<String>,
}

/// Creates the team, or changes the fields given (an admin's).
#[utoipa::path(put, path = "/api/v1/teams/{key}", tag = "settings",
    params(("key" = String, Path, description = "The team's key")),
    request_body = TeamBody,
    responses(
        (status = 200, description = "The team as saved", body = Team),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn save_team(
    State(st): State<AppState>,
    Auth(principal): Auth,
    Path(key): Path<String>,
    b: Result<Json<TeamBody>, JsonRejection>,
) -> ApiResult<Team> {
    let by = Admin::of(&principal)?;
    let b = body(b)?;
    let change = TeamChange {
        key,
        name: b.name,
        mission: b.mission,
    };
    Ok(Json(admin::save_team(&st.ws, &by, change).await?))
}

/// Every person, with their access (an admin's).
#[utoipa::path(get, path = "/api/v1/users", tag = "settings",
    responses(
        (status = 200, description = "Every person, by key", body = Vec<Person>),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn users(
    State(st): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Vec<Person>> {
    let by = Admin::of(&principal)?;
    Ok(Json(admin::people(&st.ws, &by).await?))
}

/// A person's fields to set; those left out keep their values.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct UserBody {
    name: Option<String>,
    email: Option<String>,
    /// Their role in the company (a title, not an access).
    role: Option<String>,
    /// The key of their team.
    team: Option<String>,
    access: Option<Access>,
}

/// Creates the person, or changes the fields given (an admin's); refused
/// when it would leave no admin who can log in.
#[utoipa::path(put, path = "/api/v1/users/{key}", tag = "settings",
    params(("key" = String, Path, description = "The person's key")),
    request_body = UserBody,
    responses(
        (status = 200, description = "The person as saved", body = Person),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 404, response = openapi::NotFound),
        (status = 409, response = openapi::Conflict),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn save_user(
    State(st): State<AppState>,
    Auth(principal): Auth,
    Path(key): Path<String>,
    b: Result<Json<UserBody>, JsonRejection>,
) -> ApiResult<Person> {
    let by = Admin::of(&principal)?;
    let b = body(b)?;
    let change = PersonChange {
        user: UserChange {
            key,
            name: b.name,
            email: b.email,
            role: b.role,
            team: b.team,
        },
        access: b.access,
    };
    Ok(Json(admin::save_person(&st.ws, &by, change).await?))
}

/// Every API token, revoked ones included; never their secrets (an
/// admin's).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "settings",
    responses(
        (status = 200, description = "Every token, by id", body = Vec<ApiToken>),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn tokens(
    State(st): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Vec<ApiToken>> {
    let by = Admin::of(&principal)?;
    Ok(Json(admin::tokens(&st.ws, &by).await?))
}

/// A token to create: who or what uses it, and what it may do (default
/// `read`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenBody {
    name: String,
    access: Option<TokenAccess>,
}

/// Creates a token and answers its secret, this once (an admin's).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "settings",
    request_body = TokenBody,
    responses(
        (status = 201, description = "The token and its secret, shown this once", body = NewToken),
        (status = 400, response = openapi::Invalid),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn create_token(
    State(st): State<AppState>,
    Auth(principal): Auth,
    b: Result<Json<TokenBody>, JsonRejection>,
) -> Result<(StatusCode, Json<NewToken>), ApiError> {
    let by = Admin::of(&principal)?;
    let b = body(b)?;
    let access = b.access.unwrap_or(TokenAccess::Read);
    let token = admin::create_token(&st.ws, &by, &b.name, access, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revokes a token: it authenticates nothing from now on (an admin's).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "settings",
    params(("id" = String, Path, description = "The token's id (`T-1`)")),
    responses(
        (status = 200, description = "The token, revoked", body = ApiToken),
        (status = 401, response = openapi::Unauthenticated),
        (status = 403, response = openapi::Forbidden),
        (status = 404, response = openapi::NotFound),
        (status = 500, response = openapi::Internal),
        (status = 503, response = openapi::Unavailable),
    ))]
pub(super) async fn revoke_token(
    State(st): State<AppState>,
    Auth(principal): Auth,
    Path(id): Path<String>,
) -> ApiResult<ApiToken> {
    let by = Admin::of(&principal)?;
    Ok(Json(
        admin::revoke_token(&st.ws, &by, &id, Utc::now()).await?,
    ))
}
