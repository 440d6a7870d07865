//! API tokens: created with a random secret shown once (`okapi_` and 64
//! hex digits, 256 bits from the operating system), kept as its SHA-256;
//! scoped to one workspace; reading, or reading and writing; revocable.
//! [`authenticate`] turns a bearer secret into the [`Principal`] a request
//! acts as.

use crate::secrets::{random_hex, sha256_hex};
use chrono::{DateTime, Utc};
use okapi_store::{ApiToken, TokenAccess};
use serde::Serialize;

use crate::error::AppError;
use crate::workspace::Workspace;

/// The prefix of every secret, so that a leaked one is recognisable.
pub const PREFIX: &str = "okapi_";

/// A token just created, with its secret: the only time it is shown (it
/// is serialized, for the one who created it, but never in `Debug`).
#[derive(Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    pub token: ApiToken,
    pub secret: String,
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewToken")
            .field("token", &self.token)
            .field("secret", &"***")
            .finish()
    }
}

/// Creates a token named `name` (who or what uses it).
pub async fn create(
    ws: &Workspace,
    name: &str,
    access: TokenAccess,
    now: DateTime<Utc>,
) -> Result<NewToken, AppError> {
    let secret = format!("{PREFIX}{}", random_hex::<32>()?);
    let mut s = ws.session().await?;
    let token = s
        .create_token(name, access, &sha256_hex(secret.as_bytes()), now)
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

/// How a request proved who it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Credential {
    /// An API token.
    Token { id: String, access: TokenAccess },
    /// A person's login session.
    User {
        team: Option<String>,
        access: okapi_store::Access,
    },
}

/// Who a request acts as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Principal {
    pub workspace: String,
    /// The token's name, or the user's key.
    pub name: String,
    pub credential: Credential,
}

impl Principal {
    /// Refuses a change to a principal that may only read.
    pub fn require_write(&self) -> Result<(), AppError> {
        use okapi_store::Access;
        let may = match &self.credential {
            Credential::Token { access, .. } => *access == TokenAccess::Write,
            Credential::User { access, .. } => matches!(access, Access::Admin | Access::Editor),
        };
        if may {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("{} may only read", self.name)))
        }
    }

    /// Refuses what only an admin may do to anyone else.
    pub fn require_admin(&self) -> Result<(), AppError> {
        match &self.credential {
            Credential::User {
                access: okapi_store::Access::Admin,
                ..
            } => Ok(()),
            _ => Err(AppError::Forbidden(format!(
                "{} is not an admin of the workspace",
                self.name
            ))),
        }
    }
}

/// The principal of a bearer `secret` for the workspace: refused when the
/// secret is not a token's, the token was revoked, or it is another
/// workspace's. The refusals do not say which, nor echo the secret.
pub async fn authenticate(ws: &Workspace, secret: &str) -> Result<Principal, AppError> {
    let refused = || AppError::Unauthenticated("invalid or revoked token".into());
    if !secret.starts_with(PREFIX) {
        return Err(refused());
    }
    let hash = sha256_hex(secret.as_bytes());
    let found = ws
        .memo
        .tokens
        .get_or_read(&ws.store, hash.clone(), || async {
            ws.store.token_by_hash(&hash).await
        })
        .await?;
    let Some((owner, token)) = found.as_ref() else {
        return Err(refused());
    };
    if *owner != ws.id || token.revoked_at.is_some() {
        return Err(refused());
    }
    Ok(Principal {
        workspace: owner.clone(),
        name: token.name.clone(),
        credential: Credential::Token {
            id: token.id.clone(),
            access: token.access,
        },
    })
}

/// Who signs a check-in `principal` makes: a logged-in user themself; for
/// a token, the user the token is named after, when there is one (a token
/// named `ana` acts for the user `ana`), else no one.
pub async fn author_of(ws: &Workspace, principal: &Principal) -> Result<Option<String>, AppError> {
    if let Credential::User { .. } = principal.credential {
        return Ok(Some(principal.name.clone()));
    }
    let users = crate::people::users(ws).await?;
    Ok(users
        .into_iter()
        .any(|u| u.key == principal.name)
        .then(|| principal.name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_secret_is_never_in_debug_output() {
        let t = NewToken {
            token: ApiToken {
                id: "T-1".into(),
                name: "ci".into(),
                access: TokenAccess::Read,
                created_at: Utc::now(),
                revoked_at: None,
            },
            secret: "okapi_very_secret".into(),
        };
        let shown = format!("{t:?}");
        assert!(
            !shown.contains("very_secret") && shown.contains("T-1"),
            "{shown}"
        );
    }
}
