//! Logins: a person's access to the workspace (admin, editor, viewer), the
//! Argon2id hash of their password (hashed and checked by the application
//! layer; this crate never sees a password), and the sessions a login
//! opens, kept as the SHA-256 of their secret.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::error::StoreError;
use crate::reader::{Reader, fmt_time, not_found, parse_time, word};
use crate::session::Session;
use crate::store::Store;

/// What a person may do in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Everything, settings and people included.
    Admin,
    /// OKRs and check-ins of their team.
    Editor,
    /// Read.
    Viewer,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Admin => "admin",
            Access::Editor => "editor",
            Access::Viewer => "viewer",
        }
    }
}

impl std::str::FromStr for Access {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Access::Admin),
            "editor" => Ok(Access::Editor),
            "viewer" => Ok(Access::Viewer),
            other => Err(format!(
                "unknown access `{other}` (expected admin, editor or viewer)"
            )),
        }
    }
}

/// A person who can log in, or could once a password is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub workspace: String,
    pub user: String,
    pub team: Option<String>,
    pub access: Access,
    /// `None` until a password is set.
    pub password_hash: Option<String>,
}

impl Reader {
    /// The login of user `key`.
    pub async fn login(&mut self, key: &str) -> Result<Login, StoreError> {
        let row = sqlx::query(
            "SELECT team_key, access, password_hash FROM users WHERE workspace_id = $1 AND key = $2",
        )
        .bind(self.id())
        .bind(key)
        .fetch_optional(&mut *self.tx)
        .await?
        .ok_or_else(|| not_found("user", key))?;
        Ok(Login {
            workspace: self.id(),
            user: key.to_string(),
            team: row.try_get("team_key")?,
            access: word(&row.try_get::<String, _>("access")?)?,
            password_hash: row.try_get("password_hash")?,
        })
    }

    /// Every user's access, and whether they have a password (can log
    /// in), by key; never the hashes themselves.
    pub async fn accesses(
        &mut self,
    ) -> Result<std::collections::BTreeMap<String, (Access, bool)>, StoreError> {
        let rows =
            sqlx::query("SELECT key, access, password_hash FROM users WHERE workspace_id = $1")
                .bind(self.id())
                .fetch_all(&mut *self.tx)
                .await?;
        rows.iter()
            .map(|r| {
                let access = word(&r.try_get::<String, _>("access")?)?;
                let hash: Option<String> = r.try_get("password_hash")?;
                let can_log_in = hash.is_some();
                Ok((r.try_get("key")?, (access, can_log_in)))
            })
            .collect()
    }

    /// How many admins with a password the workspace has.
    pub async fn admins(&mut self) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM users WHERE workspace_id = $1 AND access = 'admin' \
             AND password_hash IS NOT NULL",
        )
        .bind(self.id())
        .fetch_one(&mut *self.tx)
        .await?)
    }
}

impl Session {
    /// Sets user `key`'s access and, when given, password hash.
    pub async fn set_login(
        &mut self,
        key: &str,
        access: Access,
        password_hash: Option<&str>,
    ) -> Result<(), StoreError> {
        let done = match password_hash {
            Some(hash) => {
                sqlx::query(
                    "UPDATE users SET access = $3, password_hash = $4 \
                     WHERE workspace_id = $1 AND key = $2",
                )
                .bind(self.id())
                .bind(key)
                .bind(access.as_str())
                .bind(hash)
                .execute(&mut *self.tx)
                .await?
            }
            None => {
                sqlx::query("UPDATE users SET access = $3 WHERE workspace_id = $1 AND key = $2")
                    .bind(self.id())
                    .bind(key)
                    .bind(access.as_str())
                    .execute(&mut *self.tx)
                    .await?
            }
        };
        if done.rows_affected() == 0 {
            return Err(not_found("user", key));
        }
        Ok(())
    }

    /// Opens a login session for user `key`, kept by the SHA-256 (hex) of
    /// its secret, valid until `expires_at`.
    pub async fn open_login_session(
        &mut self,
        key: &str,
        sha256_hex: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO login_sessions (token_sha256, workspace_id, user_key, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(sha256_hex)
        .bind(self.id())
        .bind(key)
        .bind(fmt_time(now))
        .bind(fmt_time(expires_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Ends a login session (and every expired one of the workspace).
    pub async fn close_login_session(
        &mut self,
        sha256_hex: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM login_sessions WHERE workspace_id = $1 AND (token_sha256 = $2 OR expires_at < $3)",
        )
        .bind(self.id())
        .bind(sha256_hex)
        .bind(fmt_time(now))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

impl Store {
    /// The login of the session whose secret has this SHA-256 (hex), while
    /// the session has not expired on `now`.
    pub async fn login_by_session(
        &self,
        sha256_hex: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Login>, StoreError> {
        Ok(self
            .session_login(sha256_hex)
            .await?
            .filter(|(_, expires_at)| *expires_at > now)
            .map(|(login, _)| login))
    }

    /// The login of the session whose secret has SHA-256 `sha256_hex`,
    /// and when the session expires (expired or not), if it is open.
    pub async fn session_login(
        &self,
        sha256_hex: &str,
    ) -> Result<Option<(Login, DateTime<Utc>)>, StoreError> {
        let row = sqlx::query(
            "SELECT s.workspace_id, s.user_key, s.expires_at, u.team_key, u.access, u.password_hash \
             FROM login_sessions s JOIN users u \
             ON u.workspace_id = s.workspace_id AND u.key = s.user_key \
             WHERE s.token_sha256 = $1",
        )
        .bind(sha256_hex)
        .fetch_optional(self.readers())
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expires_at = parse_time(&row.try_get::<String, _>("expires_at")?)?;
        Ok(Some((
            Login {
                workspace: row.try_get("workspace_id")?,
                user: row.try_get("user_key")?,
                team: row.try_get("team_key")?,
                access: word(&row.try_get::<String, _>("access")?)?,
                password_hash: row.try_get("password_hash")?,
            },
            expires_at,
        )))
    }
}
