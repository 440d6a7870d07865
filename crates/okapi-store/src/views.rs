//! Stored views: JSON documents a refresh computed from the data besides
//! the KPI values (inactive paying accounts, the accounts behind the MRR
//! movements, health scores…), kept so that pages read them without
//! scanning the data. The store does not read the documents: it keeps
//! each whole, by name, with when it was computed, and a write replaces
//! it in the session's transaction (a reader sees the old one or the new
//! one).

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row;

use crate::error::StoreError;
use crate::reader::{Reader, fmt_time, parse_time};
use crate::session::Session;

/// A stored view: its JSON text and when it was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredView {
    pub name: String,
    pub body: String,
    pub computed_at: DateTime<Utc>,
}

impl Reader {
    /// The stored view `name`, if a refresh stored one.
    pub async fn stored_view(&mut self, name: &str) -> Result<Option<StoredView>, StoreError> {
        let row = sqlx::query(
            "SELECT body, computed_at FROM stored_views WHERE workspace_id = $1 AND name = $2",
        )
        .bind(self.id())
        .bind(name)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| {
            Ok(StoredView {
                name: name.to_string(),
                body: r.try_get("body")?,
                computed_at: parse_time(&r.try_get::<String, _>("computed_at")?)?,
            })
        })
        .transpose()
    }
}

impl Reader {
    /// The names of the views stored, sorted (without reading them).
    pub async fn stored_view_names(&mut self) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT name FROM stored_views WHERE workspace_id = $1 ORDER BY name")
                .bind(self.id())
                .fetch_all(&mut *self.tx)
                .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }
}

impl Session {
    /// Stores `body` as the view `name`, replacing the one before, unless
    /// the one stored has this very text: then it is kept as it is, with
    /// its `computed_at` (the database compares the texts; they are not
    /// read back). Whether it was written.
    pub async fn put_view_if_changed(
        &mut self,
        name: &str,
        body: &str,
        computed_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let same: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM stored_views WHERE workspace_id = $1 AND name = $2 AND body = $3",
        )
        .bind(self.id())
        .bind(name)
        .bind(body)
        .fetch_one(&mut *self.tx)
        .await?;
        if same > 0 {
            return Ok(false);
        }
        self.put_view(name, body, computed_at).await?;
        Ok(true)
    }

    /// Stores `body` as the view `name`, replacing the one before.
    pub async fn put_view(
        &mut self,
        name: &str,
        body: &str,
        computed_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.lock_workspace().await?;
        sqlx::query("DELETE FROM stored_views WHERE workspace_id = $1 AND name = $2")
            .bind(self.id())
            .bind(name)
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO stored_views (workspace_id, name, body, computed_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(self.id())
        .bind(name)
        .bind(body)
        .bind(fmt_time(computed_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
