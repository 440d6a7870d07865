//! Findings and alert deliveries.
//!
//! A *finding* is one thing the insights found (an anomaly, a dissonance,
//! an OKR or a customer at risk), kept by a stable id the application
//! builds from its kind, subject and period: found again at a later
//! refresh it is the same row, its `first_seen` kept and its `last_seen`
//! moved on. The findings last seen at the latest run
//! ([`Reader::findings_run`]) are the *current* ones; the others were found
//! once and are no longer. Acknowledging one records who, when and a note;
//! it stays acknowledged when found again.
//!
//! An *alert delivery* is one rule's finding sent (or tried) to one
//! webhook: one row per (rule, finding, webhook), so that the same finding
//! is never sent twice there. Webhooks are named, never stored by address.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::StoreError;
use crate::reader::{Reader, fmt_time, not_found, parse_date, parse_time};
use crate::session::Session;

/// A finding as the insights give it, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFinding {
    /// Stable across refreshes: kind, subject and period.
    pub id: String,
    /// `anomaly`, `dissonance`, `okr_risk`, `inactive_account`, …
    pub kind: String,
    /// What it is about: a KPI, a key result, an account.
    pub subject: String,
    pub period: Option<NaiveDate>,
    /// Good news (an anomaly in the good direction).
    pub good: bool,
    pub sentence: String,
}

/// Who acknowledged a finding, when, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Acknowledgement {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: Option<String>,
}

/// A stored finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredFinding {
    pub id: String,
    pub kind: String,
    pub subject: String,
    pub period: Option<NaiveDate>,
    pub good: bool,
    pub sentence: String,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    pub acknowledged: Option<Acknowledgement>,
}

/// One rule's finding sent, or tried, to one webhook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertDelivery {
    pub rule: String,
    pub finding_id: String,
    /// The webhook's name in the settings.
    pub webhook: String,
    /// The alert's text.
    pub sentence: String,
    /// `delivered` or `failed`.
    pub status: String,
    pub attempts: i64,
    /// The last answer's HTTP status, if one came.
    pub http_status: Option<i64>,
    /// Why the last attempt failed.
    pub error: Option<String>,
    pub first_try_at: DateTime<Utc>,
    pub last_try_at: DateTime<Utc>,
}

const FINDING_COLS: &str = "id, kind, subject, period, good, sentence, first_seen, last_seen, acknowledged_by, acknowledged_at, ack_note";
const DELIVERY_COLS: &str = "rule, finding_id, webhook, sentence, status, attempts, http_status, error, first_try_at, last_try_at";

fn finding_from_row(r: &AnyRow) -> Result<StoredFinding, StoreError> {
    let by: Option<String> = r.try_get("acknowledged_by")?;
    let at: Option<String> = r.try_get("acknowledged_at")?;
    let acknowledged = match (by, at) {
        (Some(by), Some(at)) => Some(Acknowledgement {
            by,
            at: parse_time(&at)?,
            note: r.try_get("ack_note")?,
        }),
        _ => None,
    };
    Ok(StoredFinding {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        subject: r.try_get("subject")?,
        period: r
            .try_get::<Option<String>, _>("period")?
            .map(|p| parse_date(&p))
            .transpose()?,
        good: r.try_get::<i64, _>("good")? != 0,
        sentence: r.try_get("sentence")?,
        first_seen: parse_time(&r.try_get::<String, _>("first_seen")?)?,
        last_seen: parse_time(&r.try_get::<String, _>("last_seen")?)?,
        acknowledged,
    })
}

fn delivery_from_row(r: &AnyRow) -> Result<AlertDelivery, StoreError> {
    Ok(AlertDelivery {
        rule: r.try_get("rule")?,
        finding_id: r.try_get("finding_id")?,
        webhook: r.try_get("webhook")?,
        sentence: r.try_get("sentence")?,
        status: r.try_get("status")?,
        attempts: r.try_get("attempts")?,
        http_status: r.try_get("http_status")?,
        error: r.try_get("error")?,
        first_try_at: parse_time(&r.try_get::<String, _>("first_try_at")?)?,
        last_try_at: parse_time(&r.try_get::<String, _>("last_try_at")?)?,
    })
}

impl Reader {
    /// When findings were last recorded, if ever.
    pub async fn findings_run(&mut self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let row = sqlx::query("SELECT ran_at FROM finding_runs WHERE workspace_id = $1")
            .bind(self.id())
            .fetch_optional(&mut *self.tx)
            .await?;
        row.map(|r| parse_time(&r.try_get::<String, _>("ran_at")?))
            .transpose()
    }

    /// The findings, the most recently seen first (then the newest first
    /// seen): only those of the latest run when `current_only`.
    pub async fn findings(&mut self, current_only: bool) -> Result<Vec<StoredFinding>, StoreError> {
        let filter = if current_only {
            " AND last_seen = (SELECT ran_at FROM finding_runs r WHERE r.workspace_id = f.workspace_id)"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {FINDING_COLS} FROM findings f WHERE workspace_id = $1{filter} \
             ORDER BY last_seen DESC, first_seen DESC, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(finding_from_row).collect()
    }

    /// The finding `id`.
    pub async fn finding(&mut self, id: &str) -> Result<Option<StoredFinding>, StoreError> {
        let sql =
            format!("SELECT {FINDING_COLS} FROM findings WHERE workspace_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .bind(id)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(finding_from_row).transpose()
    }

    /// The last `limit` alert deliveries, the latest tried first.
    pub async fn alert_deliveries(&mut self, limit: i64) -> Result<Vec<AlertDelivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLS} FROM alert_deliveries WHERE workspace_id = $1 \
             ORDER BY last_try_at DESC, rule, finding_id, webhook LIMIT $2"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .bind(limit)
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(delivery_from_row).collect()
    }

    /// The delivery of `finding` to `webhook` under `rule`, if one was
    /// tried.
    pub async fn alert_delivery(
        &mut self,
        rule: &str,
        finding: &str,
        webhook: &str,
    ) -> Result<Option<AlertDelivery>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLS} FROM alert_deliveries WHERE workspace_id = $1 \
             AND rule = $2 AND finding_id = $3 AND webhook = $4"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .bind(rule)
            .bind(finding)
            .bind(webhook)
            .fetch_optional(&mut *self.tx)
            .await?;
        row.as_ref().map(delivery_from_row).transpose()
    }
}

impl Session {
    /// Records the findings of a run at `at`: new ones are inserted (first
    /// and last seen `at`), known ones have their last seen, text and
    /// period updated (acknowledgements are kept). Returns the ids of the
    /// new ones, in the order given.
    pub async fn record_findings(
        &mut self,
        found: &[NewFinding],
        at: DateTime<Utc>,
    ) -> Result<Vec<String>, StoreError> {
        self.lock_workspace().await?;
        let known: std::collections::HashSet<String> =
            sqlx::query("SELECT id FROM findings WHERE workspace_id = $1")
                .bind(self.id())
                .fetch_all(&mut *self.tx)
                .await?
                .iter()
                .map(|r| r.try_get::<String, _>("id"))
                .collect::<Result<_, _>>()?;
        let at_text = fmt_time(at);
        let mut new = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for f in found {
            if !seen.insert(f.id.as_str()) {
                continue;
            }
            let period = f.period.map(|p| p.to_string());
            if known.contains(&f.id) {
                sqlx::query(
                    "UPDATE findings SET kind = $1, subject = $2, period = $3, good = $4, \
                     sentence = $5, last_seen = $6 WHERE workspace_id = $7 AND id = $8",
                )
                .bind(&f.kind)
                .bind(&f.subject)
                .bind(period)
                .bind(i64::from(f.good))
                .bind(&f.sentence)
                .bind(&at_text)
                .bind(self.id())
                .bind(&f.id)
                .execute(&mut *self.tx)
                .await?;
            } else {
                sqlx::query(
                    "INSERT INTO findings (workspace_id, id, kind, subject, period, good, sentence, first_seen, last_seen) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(self.id())
                .bind(&f.id)
                .bind(&f.kind)
                .bind(&f.subject)
                .bind(period)
                .bind(i64::from(f.good))
                .bind(&f.sentence)
                .bind(&at_text)
                .bind(&at_text)
                .execute(&mut *self.tx)
                .await?;
                new.push(f.id.clone());
            }
        }
        sqlx::query("DELETE FROM finding_runs WHERE workspace_id = $1")
            .bind(self.id())
            .execute(&mut *self.tx)
            .await?;
        sqlx::query("INSERT INTO finding_runs (workspace_id, ran_at) VALUES ($1, $2)")
            .bind(self.id())
            .bind(&at_text)
            .execute(&mut *self.tx)
            .await?;
        Ok(new)
    }

    /// Acknowledges the finding `id`, replacing an earlier
    /// acknowledgement.
    pub async fn acknowledge_finding(
        &mut self,
        id: &str,
        ack: &Acknowledgement,
    ) -> Result<StoredFinding, StoreError> {
        self.lock_workspace().await?;
        let n = sqlx::query(
            "UPDATE findings SET acknowledged_by = $1, acknowledged_at = $2, ack_note = $3 \
             WHERE workspace_id = $4 AND id = $5",
        )
        .bind(&ack.by)
        .bind(fmt_time(ack.at))
        .bind(&ack.note)
        .bind(self.id())
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(not_found("finding", id));
        }
        self.finding(id)
            .await?
            .ok_or_else(|| not_found("finding", id))
    }

    /// Stores a delivery, replacing the one of the same rule, finding and
    /// webhook.
    pub async fn record_alert_delivery(&mut self, d: &AlertDelivery) -> Result<(), StoreError> {
        self.lock_workspace().await?;
        sqlx::query(
            "DELETE FROM alert_deliveries WHERE workspace_id = $1 AND rule = $2 AND finding_id = $3 AND webhook = $4",
        )
        .bind(self.id())
        .bind(&d.rule)
        .bind(&d.finding_id)
        .bind(&d.webhook)
        .execute(&mut *self.tx)
        .await?;
        sqlx::query(
            "INSERT INTO alert_deliveries (workspace_id, rule, finding_id, webhook, sentence, status, attempts, http_status, error, first_try_at, last_try_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(self.id())
        .bind(&d.rule)
        .bind(&d.finding_id)
        .bind(&d.webhook)
        .bind(&d.sentence)
        .bind(&d.status)
        .bind(d.attempts)
        .bind(d.http_status)
        .bind(&d.error)
        .bind(fmt_time(d.first_try_at))
        .bind(fmt_time(d.last_try_at))
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}
