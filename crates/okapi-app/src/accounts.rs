//! People logging in: passwords (Argon2id, never stored or logged in
//! clear), access (admin, editor, viewer), login sessions (a random secret
//! kept as its SHA-256, valid [`SESSION_HOURS`] hours), and what each may
//! change.
//!
//! - An admin changes everything; a viewer reads.
//! - An editor changes the OKRs of their team: a check-in on a key result
//!   whose objective is their team's, or that they own (the key result or
//!   its objective).
//! - A login that fails says only that the user or the password is wrong,
//!   and takes as long whether the user exists or not.

use crate::secrets::{random_bytes, random_hex, sha256_hex};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, TimeDelta, Utc};
use okapi_store::{Access, Login};
use serde::Serialize;

use crate::error::AppError;
use crate::tokens::{Credential, Principal};
use crate::workspace::Workspace;

/// The fewest characters a password may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// How long a login session lasts.
pub const SESSION_HOURS: i64 = 12;

/// The prefix of a session secret.
const PREFIX: &str = "okapis_";

/// The Argon2id hash (PHC string) of `password`, on the blocking pool.
async fn hash_password(password: String) -> Result<String, AppError> {
    let salt = random_bytes::<16>()?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt)
            .map_err(|e| AppError::Internal(format!("password salt: {e}")))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("password hash: {e}")))
    })
    .await?
}

/// A hash no password matches (of a random one, made once): checked
/// against when a user has no password, so that the answer takes as long.
fn stand_in_hash() -> Option<&'static str> {
    static STAND_IN: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    STAND_IN
        .get_or_init(|| {
            let password = random_hex::<32>().ok()?;
            let salt = SaltString::encode_b64(&random_bytes::<16>().ok()?).ok()?;
            Argon2::default()
                .hash_password(password.as_bytes(), &salt)
                .ok()
                .map(|h| h.to_string())
        })
        .as_deref()
}

/// Whether `password` matches `hash`, on the blocking pool.
async fn password_matches(password: String, hash: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let real = hash.is_some();
        let Some(hash) = hash.as_deref().or_else(|| stand_in_hash()) else {
            return false;
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let matches = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        real && matches
    })
    .await
    .map_err(AppError::from)
}

/// Sets `user`'s access and, when given, password (at least
/// [`MIN_PASSWORD_CHARS`] characters).
pub async fn set_login(
    ws: &Workspace,
    user: &str,
    access: Access,
    password: Option<String>,
) -> Result<(), AppError> {
    let hash = match password {
        Some(p) if p.chars().count() < MIN_PASSWORD_CHARS => {
            return Err(AppError::input(
                "password",
                format!("must have at least {MIN_PASSWORD_CHARS} characters"),
            ));
        }
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let mut s = ws.session().await?;
    s.set_login(user, access, hash.as_deref()).await?;
    s.commit().await?;
    Ok(())
}

/// Whether the workspace has an admin who can log in.
pub async fn has_admin(ws: &Workspace) -> Result<bool, AppError> {
    let mut s = ws.read_session().await?;
    let n = s.admins().await?;
    s.commit().await?;
    Ok(n > 0)
}

/// A login session just opened: its secret is the session cookie (left
/// out of `Debug` and of the serialized form).
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginSession {
    #[serde(skip)]
    pub secret: String,
    pub user: String,
    pub access: Access,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for LoginSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginSession")
            .field("secret", &"***")
            .field("user", &self.user)
            .field("access", &self.access)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The user key a login names: `user` itself, or the key of the user whose
/// email address it is (in any case); what login attempts are counted
/// by, so that an account's key and its email share one limit. An email
/// no user has is its own name, lowercased, which no user key matches (a
/// key has no `@`).
pub async fn account_of(ws: &Workspace, user: &str) -> Result<String, AppError> {
    let user = user.trim();
    if !user.contains('@') {
        return Ok(user.to_string());
    }
    let mut r = ws.read_session().await?;
    let users = r.users().await?;
    r.commit().await?;
    Ok(users
        .into_iter()
        .find(|u| {
            u.email
                .as_deref()
                .is_some_and(|e| e.trim().eq_ignore_ascii_case(user))
        })
        .map(|u| u.key)
        .unwrap_or_else(|| user.to_lowercase()))
}

/// Logs `user` (a user's key, or their email address, in any case) in
/// with `password`.
pub async fn login(
    ws: &Workspace,
    user: &str,
    password: String,
    now: DateTime<Utc>,
) -> Result<LoginSession, AppError> {
    let refused = || AppError::Unauthenticated("wrong user or password".into());
    let key = account_of(ws, user).await?;
    let mut r = ws.read_session().await?;
    let found = match r.login(&key).await {
        Ok(l) => Some(l),
        Err(okapi_store::StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    r.commit().await?;
    let hash = found.as_ref().and_then(|l| l.password_hash.clone());
    if !password_matches(password, hash).await? {
        return Err(refused());
    }
    let Some(login) = found else {
        return Err(refused());
    };
    let secret = format!("{PREFIX}{}", random_hex::<32>()?);
    let expires_at = now + TimeDelta::try_hours(SESSION_HOURS).unwrap_or_default();
    let mut s = ws.session().await?;
    s.open_login_session(&login.user, &sha256_hex(secret.as_bytes()), now, expires_at)
        .await?;
    s.commit().await?;
    Ok(LoginSession {
        secret,
        user: login.user,
        access: login.access,
        expires_at,
    })
}

/// Ends the session of `secret`.
pub async fn logout(ws: &Workspace, secret: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut s = ws.session().await?;
    s.close_login_session(&sha256_hex(secret.as_bytes()), now)
        .await?;
    s.commit().await?;
    Ok(())
}

/// The principal of a session `secret` of the workspace, refused when it
/// is unknown, expired, or another workspace's.
pub async fn authenticate_session(
    ws: &Workspace,
    secret: &str,
    now: DateTime<Utc>,
) -> Result<Principal, AppError> {
    let refused = || AppError::Unauthenticated("no valid session: log in".into());
    if !secret.starts_with(PREFIX) {
        return Err(refused());
    }
    let hash = sha256_hex(secret.as_bytes());
    let found = ws
        .memo
        .sessions
        .get_or_read(&ws.store, hash.clone(), || async {
            ws.store.session_login(&hash).await
        })
        .await?;
    let Some((login, expires_at)) = found.as_ref() else {
        return Err(refused());
    };
    if *expires_at <= now || login.workspace != ws.id || login.password_hash.is_none() {
        return Err(refused());
    }
    Ok(principal_of(login.clone()))
}

fn principal_of(login: Login) -> Principal {
    Principal {
        workspace: login.workspace,
        name: login.user,
        credential: Credential::User {
            team: login.team,
            access: login.access,
        },
    }
}

/// Refuses `principal` a check-in on key result `kr` it may not make.
pub async fn may_check_in(ws: &Workspace, principal: &Principal, kr: &str) -> Result<(), AppError> {
    principal.require_write()?;
    let Credential::User {
        team,
        access: Access::Editor,
    } = &principal.credential
    else {
        return Ok(());
    };
    let mut r = ws.read_session().await?;
    let k = r.key_result(kr).await?;
    let o = r.objective(&k.objective).await?;
    r.commit().await?;
    let me = Some(principal.name.as_str());
    let mine =
        (team.is_some() && o.team == *team) || k.owner.as_deref() == me || o.owner.as_deref() == me;
    if mine {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "{} edits the OKRs of {}; key result `{kr}` is {}'s",
            principal.name,
            team.as_deref()
                .map(|t| format!("team {t}"))
                .unwrap_or_else(|| "their own".into()),
            o.team
                .as_deref()
                .map(|t| format!("team {t}"))
                .or(o.owner.clone())
                .unwrap_or_else(|| "the company".into())
        )))
    }
}

/// Refuses `principal` a change of the workspace's data (an upload): an
/// admin's, or a writing token's.
pub fn may_manage_data(principal: &Principal) -> Result<(), AppError> {
    match principal.credential {
        Credential::Token { .. } => principal.require_write(),
        Credential::User { .. } => principal.require_admin(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_secret_is_never_in_debug_output() {
        let s = LoginSession {
            secret: "okapis_very_secret".into(),
            user: "ana".into(),
            access: Access::Admin,
            expires_at: Utc::now(),
        };
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("very_secret") && shown.contains("ana"),
            "{shown}"
        );
        assert!(!serde_json::to_string(&s).unwrap().contains("very_secret"));
    }
}
