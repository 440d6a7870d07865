//! API tokens: created with a random secret shown once (`okapi_` and 64
//! hex digits, 256 bits from the operating system), kept as its SHA-256;
//! scoped to one workspace; reading, or reading and writing; revocable.
//! [`authenticate`] turns a bearer secret into the [`Principal`] a request
//! acts as.

use chrono::{DateTime, Utc};
use okapi_store::{ApiToken, Store, TokenAccess};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::workspace::Workspace;

/// The prefix of every secret, so that a leaked one is recognisable.
pub const PREFIX: &str = "okapi_";

/// A token just created, with its secret: the only time it is shown.
#[derive(Debug, Clone, Serialize)]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}

fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates a token named `name` (who or what uses it).
pub async fn create(
    ws: &Workspace,
    name: &str,
    access: TokenAccess,
    now: DateTime<Utc>,
) -> Result<NewToken, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::Internal(format!("no randomness from the system: {e}")))?;
    let secret = format!("{PREFIX}{}", hex::encode(bytes));
    let mut s = ws.session().await?;
    let token = s
        .create_token(name, access, &sha256_hex(&secret), now)
        .await?;
    s.commit().await?;
    Ok(NewToken { token, secret })
}

/// Every token of the workspace (never their secrets).
pub async fn list(ws: &Workspace) -> Result<Vec<ApiToken>, AppError> {
    let mut s = ws.read_session().await?;
    let tokens = s.tokens().await?;
    s.commit().await?;
    Ok(tokens)
}

/// Revokes a token: it authenticates nothing from now on.
pub async fn revoke(ws: &Workspace, id: &str, now: DateTime<Utc>) -> Result<ApiToken, AppError> {
    let mut s = ws.session().await?;
    let token = s.revoke_token(id, now).await?;
    s.commit().await?;
    Ok(token)
}

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub workspace: String,
    /// The token's id and name.
    pub token: String,
    pub name: String,
    pub access: TokenAccess,
}

impl Principal {
    /// Refuses a change to a principal that may only read.
    pub fn require_write(&self) -> Result<(), AppError> {
        match self.access {
            TokenAccess::Write => Ok(()),
            TokenAccess::Read => Err(AppError::Forbidden(format!(
                "token {} ({}) may only read",
                self.token, self.name
            ))),
        }
    }
}

/// The principal of a bearer `secret` for `workspace`: refused when the
/// secret is not a token's, the token was revoked, or it is another
/// workspace's. The refusals do not say which, nor echo the secret.
pub async fn authenticate(
    store: &Store,
    workspace: &str,
    secret: &str,
) -> Result<Principal, AppError> {
    let refused = || AppError::Unauthenticated("invalid or revoked token".into());
    if !secret.starts_with(PREFIX) {
        return Err(refused());
    }
    let Some((ws, token)) = store.token_by_hash(&sha256_hex(secret)).await? else {
        return Err(refused());
    };
    if ws != workspace || token.revoked_at.is_some() {
        return Err(refused());
    }
    Ok(Principal {
        workspace: ws,
        token: token.id,
        name: token.name,
        access: token.access,
    })
}

/// Who signs a check-in made with `principal`'s token: the user the token
/// is named after, when there is one (a token named `ana` acts for the user
/// `ana`), else no one.
pub async fn author_of(ws: &Workspace, principal: &Principal) -> Result<Option<String>, AppError> {
    let users = crate::people::users(ws).await?;
    Ok(users
        .into_iter()
        .any(|u| u.key == principal.name)
        .then(|| principal.name.clone()))
}
