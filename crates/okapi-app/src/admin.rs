//! What only an admin of the workspace changes: its vision, its teams, its
//! people and their access, its API tokens.
//!
//! Every use case here takes an [`Admin`], which only
//! [`Admin::of`] makes, from a principal that is an admin logged in
//! ([`Principal::require_admin`]). An API token, even a writing one, is
//! never an admin: tokens read and manage data, people manage people and
//! tokens, so a leaked token can neither mint other tokens nor raise
//! anyone's access.
//!
//! The workspace keeps an admin who can log in: a change of access that
//! would leave none is refused (`conflict`), as `okapi serve` needs one.

use chrono::{DateTime, Utc};
use okapi_store::{Access, ApiToken, Team, TokenAccess};
use serde::Serialize;

use crate::error::AppError;
use crate::people::{self, TeamChange, UserChange};
use crate::tokens::{self, NewToken, Principal};
use crate::workspace::Workspace;

/// Proof that a request acts as an admin of the workspace.
#[derive(Debug, Clone)]
pub struct Admin(Principal);

impl Admin {
    /// The admin `principal` is, or `forbidden`.
    pub fn of(principal: &Principal) -> Result<Admin, AppError> {
        principal.require_admin()?;
        Ok(Admin(principal.clone()))
    }

    /// Who the admin is (their user key).
    pub fn name(&self) -> &str {
        &self.0.name
    }
}

/// Sets the vision; an empty one removes it. Returns it as saved.
pub async fn set_vision(
    ws: &Workspace,
    _by: &Admin,
    text: &str,
) -> Result<Option<String>, AppError> {
    let text = Some(text.trim()).filter(|t| !t.is_empty());
    let mut s = ws.session().await?;
    s.set_vision(text).await?;
    s.commit().await?;
    Ok(text.map(str::to_string))
}

/// Creates a team, or changes the fields given ([`people::save_team`]).
pub async fn save_team(ws: &Workspace, _by: &Admin, change: TeamChange) -> Result<Team, AppError> {
    people::save_team(ws, change).await
}

/// A person as an admin sees them: who, where, and what they may do;
/// whether they have a password, never its hash.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Person {
    pub key: String,
    pub name: String,
    pub email: Option<String>,
    /// Their role in the company (a title, not an access).
    pub role: Option<String>,
    pub team: Option<String>,
    pub access: Access,
    /// Whether they have a password, and so may log in.
    pub can_log_in: bool,
}

/// Every person of the workspace, by key.
pub async fn people(ws: &Workspace, _by: &Admin) -> Result<Vec<Person>, AppError> {
    let mut r = ws.read_session().await?;
    let users = r.users().await?;
    let mut accesses = r.accesses().await?;
    r.commit().await?;
    Ok(users
        .into_iter()
        .map(|u| {
            let (access, can_log_in) = accesses.remove(&u.key).unwrap_or((Access::Viewer, false));
            Person {
                key: u.key,
                name: u.name,
                email: u.email,
                role: u.role,
                team: u.team,
                access,
                can_log_in,
            }
        })
        .collect())
}

/// A person to save: the fields of the user to set, and their access.
#[derive(Debug, Clone, Default)]
pub struct PersonChange {
    pub user: UserChange,
    pub access: Option<Access>,
}

/// Creates a person, or changes the fields given, in one transaction; a
/// new person without an access is a viewer. Refused when it would leave
/// the workspace without an admin who can log in. Returns the person as
/// saved.
pub async fn save_person(
    ws: &Workspace,
    _by: &Admin,
    change: PersonChange,
) -> Result<Person, AppError> {
    let key = change.user.key.clone();
    let mut s = ws.session().await?;
    // Changes of access wait for each other here, so that two admins
    // demoting each other cannot both pass the check below.
    s.lock_workspace().await?;
    let admins_before = s.admins().await?;
    let user = people::put_user(&mut s, change.user).await?;
    if let Some(access) = change.access {
        s.set_login(&key, access, None).await?;
    }
    if admins_before > 0 && s.admins().await? == 0 {
        return Err(AppError::Conflict(format!(
            "{key} is the last admin who can log in; make another admin first"
        )));
    }
    let login = s.login(&key).await?;
    s.commit().await?;
    Ok(Person {
        key: user.key,
        name: user.name,
        email: user.email,
        role: user.role,
        team: user.team,
        access: login.access,
        can_log_in: login.password_hash.is_some(),
    })
}

/// Every API token of the workspace, revoked ones included (never their
/// secrets).
pub async fn tokens(ws: &Workspace, _by: &Admin) -> Result<Vec<ApiToken>, AppError> {
    tokens::list(ws).await
}

/// Creates an API token; its secret is in the answer, and nowhere else
/// ever again.
pub async fn create_token(
    ws: &Workspace,
    _by: &Admin,
    name: &str,
    access: TokenAccess,
    now: DateTime<Utc>,
) -> Result<NewToken, AppError> {
    tokens::create(ws, name.trim(), access, now).await
}

/// Revokes an API token: it authenticates nothing from now on.
pub async fn revoke_token(
    ws: &Workspace,
    _by: &Admin,
    id: &str,
    now: DateTime<Utc>,
) -> Result<ApiToken, AppError> {
    tokens::revoke(ws, id, now).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokens::Credential;

    fn principal(credential: Credential) -> Principal {
        Principal {
            workspace: "acme".into(),
            name: "ana".into(),
            credential,
        }
    }

    #[test]
    fn only_an_admin_logged_in_is_an_admin() {
        let user = |access| principal(Credential::User { team: None, access });
        assert!(Admin::of(&user(Access::Admin)).is_ok());
        for p in [
            user(Access::Editor),
            user(Access::Viewer),
            principal(Credential::Token {
                id: "T-1".into(),
                access: TokenAccess::Write,
            }),
        ] {
            let refused = Admin::of(&p).unwrap_err();
            assert_eq!(refused.code(), crate::Code::Forbidden, "{p:?}");
        }
    }
}
