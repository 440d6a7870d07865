//! API tokens: kept as the SHA-256 of the secret (the secret itself is
//! shown once, by whoever created it, and never stored), scoped to one
//! workspace, reading or reading and writing, revocable.
//!
//! A token is found by its hash across workspaces ([`Store::token_by_hash`]):
//! the hash is of a random secret, so knowing one names nothing else.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::StoreError;
use crate::keys::next_numbered;
use crate::reader::{Reader, fmt_time, not_found, parse_time, word};
use crate::session::Session;
use crate::store::Store;

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum TokenAccess {
    Read,
    Write,
}

impl TokenAccess {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAccess::Read => "read",
            TokenAccess::Write => "write",
        }
    }
}

impl std::str::FromStr for TokenAccess {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "read" => Ok(TokenAccess::Read),
            "write" => Ok(TokenAccess::Write),
            other => Err(format!("unknown access `{other}` (expected read or write)")),
        }
    }
}

/// An API token as stored: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiToken {
    /// `T-1`, `T-2`, … within the workspace.
    pub id: String,
    pub name: String,
    pub access: TokenAccess,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn token_of(row: &AnyRow) -> Result<ApiToken, StoreError> {
    let access: String = row.try_get("access")?;
    let revoked: Option<String> = row.try_get("revoked_at")?;
    Ok(ApiToken {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        access: word(&access)?,
        created_at: parse_time(&row.try_get::<String, _>("created_at")?)?,
        revoked_at: revoked.as_deref().map(parse_time).transpose()?,
    })
}

impl Reader {
    /// Every token of the workspace, revoked ones included, by id.
    pub async fn tokens(&mut self) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, access, created_at, revoked_at FROM api_tokens WHERE workspace_id = $1",
        )
            .bind(self.id())
            .fetch_all(&mut *self.tx)
            .await?;
        let mut tokens = rows.iter().map(token_of).collect::<Result<Vec<_>, _>>()?;
        tokens.sort_by_key(|t| crate::keys::natural_key(&t.id));
        Ok(tokens)
    }
}

impl Session {
    /// Stores a new token by the SHA-256 (hex) of its secret.
    pub async fn create_token(
        &mut self,
        name: &str,
        access: TokenAccess,
        sha256_hex: &str,
        now: DateTime<Utc>,
    ) -> Result<ApiToken, StoreError> {
        if name.trim().is_empty() {
            return Err(StoreError::Invalid("a token needs a name".into()));
        }
        self.lock_workspace().await?;
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM api_tokens WHERE workspace_id = $1")
                .bind(self.id())
                .fetch_all(&mut *self.tx)
                .await?;
        let id = next_numbered("T", ids.iter().map(String::as_str))?;
        sqlx::query(
            "INSERT INTO api_tokens (workspace_id, id, name, access, token_sha256, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(self.id())
        .bind(&id)
        .bind(name)
        .bind(access.as_str())
        .bind(sha256_hex)
        .bind(fmt_time(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(ApiToken {
            id,
            name: name.to_string(),
            access,
            created_at: now,
            revoked_at: None,
        })
    }

    /// Revokes a token; revoking it again changes nothing.
    pub async fn revoke_token(
        &mut self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<ApiToken, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, access, created_at, revoked_at FROM api_tokens \
             WHERE workspace_id = $1 AND id = $2",
        )
        .bind(self.id())
        .bind(id)
        .fetch_optional(&mut *self.tx)
        .await?
        .ok_or_else(|| not_found("token", id))?;
        let mut token = token_of(&row)?;
        if token.revoked_at.is_none() {
            sqlx::query(
                "UPDATE api_tokens SET revoked_at = $3 WHERE workspace_id = $1 AND id = $2",
            )
            .bind(self.id())
            .bind(id)
            .bind(fmt_time(now))
            .execute(&mut *self.tx)
            .await?;
            token.revoked_at = Some(now);
        }
        Ok(token)
    }
}

impl Store {
    /// The workspace and the token whose secret has this SHA-256 (hex),
    /// revoked or not; `None` when no token has it.
    pub async fn token_by_hash(
        &self,
        sha256_hex: &str,
    ) -> Result<Option<(String, ApiToken)>, StoreError> {
        let row = sqlx::query(
            "SELECT workspace_id, id, name, access, created_at, revoked_at FROM api_tokens \
             WHERE token_sha256 = $1",
        )
        .bind(sha256_hex)
        .fetch_optional(self.readers())
        .await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some((row.try_get("workspace_id")?, token_of(&row)?))),
        }
    }
}
