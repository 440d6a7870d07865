//! The company's vision, its teams and its people.
//!
//! Saving a team or a user is an upsert by key: fields not given keep
//! their stored values, so `team add marketing --mission …` changes only
//! the mission of an existing team.

use okapi_store::{Session, Team, User};
use serde::Serialize;

use crate::error::AppError;
use crate::workspace::Workspace;

/// The workspace's vision, if it has one.
pub async fn vision(ws: &Workspace) -> Result<Option<String>, AppError> {
    let s = ws.read_session().await?;
    let v = s.workspace().vision.clone();
    s.commit().await?;
    Ok(v)
}

/// Sets the vision; returns it.
pub async fn set_vision(ws: &Workspace, text: String) -> Result<String, AppError> {
    let mut s = ws.session().await?;
    s.set_vision(Some(&text)).await?;
    s.commit().await?;
    Ok(text)
}

/// A team to save: a key, and the fields to set.
#[derive(Debug, Clone, Default)]
pub struct TeamChange {
    pub key: String,
    pub name: Option<String>,
    pub mission: Option<String>,
}

/// Creates the team, or updates the fields given; a new team without a
/// name is named by its key. Returns the team as saved.
pub async fn save_team(ws: &Workspace, change: TeamChange) -> Result<Team, AppError> {
    let mut s = ws.session().await?;
    let existing = s.teams().await?.into_iter().find(|t| t.key == change.key);
    let team = Team {
        name: change
            .name
            .or(existing.as_ref().map(|t| t.name.clone()))
            .unwrap_or_else(|| change.key.clone()),
        mission: change.mission.or(existing.and_then(|t| t.mission)),
        key: change.key,
    };
    s.put_team(&team).await?;
    s.commit().await?;
    Ok(team)
}

/// A team with the keys of its members.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamMembers {
    #[serde(flatten)]
    pub team: Team,
    pub members: Vec<String>,
}

/// Every team, with its members, from one snapshot.
pub async fn teams(ws: &Workspace) -> Result<Vec<TeamMembers>, AppError> {
    let mut s = ws.read_session().await?;
    let teams = s.teams().await?;
    let users = s.users().await?;
    s.commit().await?;
    Ok(teams
        .into_iter()
        .map(|team| {
            let members = users
                .iter()
                .filter(|u| u.team.as_deref() == Some(team.key.as_str()))
                .map(|u| u.key.clone())
                .collect();
            TeamMembers { team, members }
        })
        .collect())
}

/// A user to save: a key, and the fields to set.
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub key: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub team: Option<String>,
}

/// Creates the user, or updates the fields given; a new user without a
/// name is named by their key. Returns the user as saved.
pub async fn save_user(ws: &Workspace, change: UserChange) -> Result<User, AppError> {
    let mut s = ws.session().await?;
    let user = put_user(&mut s, change).await?;
    s.commit().await?;
    Ok(user)
}

/// [`save_user`] inside session `s`, which the caller commits.
pub(crate) async fn put_user(s: &mut Session, change: UserChange) -> Result<User, AppError> {
    let existing = s.users().await?.into_iter().find(|u| u.key == change.key);
    let e = existing.as_ref();
    let user = User {
        name: change
            .name
            .or(e.map(|u| u.name.clone()))
            .unwrap_or_else(|| change.key.clone()),
        email: change.email.or(e.and_then(|u| u.email.clone())),
        role: change.role.or(e.and_then(|u| u.role.clone())),
        team: change.team.or(e.and_then(|u| u.team.clone())),
        key: change.key,
    };
    s.put_user(&user).await?;
    Ok(user)
}

/// Every user.
pub async fn users(ws: &Workspace) -> Result<Vec<User>, AppError> {
    let mut s = ws.read_session().await?;
    let users = s.users().await?;
    s.commit().await?;
    Ok(users)
}
