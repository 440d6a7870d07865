//! Stored KPI values: what a refresh computed from the data, kept so that
//! pages read them without scanning the data.
//!
//! Values are kept per KPI, segment (`""` for all accounts), grain and
//! period. A set of values — one grain and one segment — is replaced whole
//! ([`Session::replace_kpi_values`]): the old rows are deleted and the new
//! ones inserted in the session's transaction, so a reader sees either the
//! old set or the new one, never a mix. Its periods from a day on can be
//! replaced alone ([`Session::replace_kpi_values_since`]), the earlier
//! ones kept. Writes first take the workspace's
//! lock, as every numbering write does: two refreshes of one workspace
//! replace a set one after the other, never side by side. A value is its
//! exact decimal text (never a float), absent with a note saying why.

use chrono::{DateTime, NaiveDate, Utc};
use okapi_core::period::Grain;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::StoreError;
use crate::reader::{Reader, fmt_time, parse_date, parse_time, word};
use crate::session::Session;

/// Rows per `INSERT`: 10 parameters each, far below the limits of SQLite
/// (32766) and PostgreSQL (65535). Kept small because binding a numbered
/// parameter of SQLite looks its name up in a list as long as the
/// statement's parameters: the work per statement grows with the square of
/// its rows. At 200 rows that lookup was 16 % of a whole refresh; at 25 it
/// is under 3 %, and the statement (the same text each time) stays cached.
const BATCH: usize = 25;

/// One stored KPI value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StoredKpiValue {
    pub kpi: String,
    /// `column=value`, or `""` for all accounts.
    pub segment: String,
    pub grain: Grain,
    pub period_start: NaiveDate,
    /// The exact decimal text (`1234.5`, `-0.25`); `None` when absent.
    pub value: Option<String>,
    /// Why the value is absent (or a remark on it).
    pub note: Option<String>,
    /// The KPI's unit (`money`, `percent`, `count`, …).
    pub unit: String,
    pub computed_at: DateTime<Utc>,
    /// The fingerprint of the data the value was computed from.
    pub fingerprint: String,
}

/// A workspace's last refresh of its stored KPI values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiRefresh {
    pub computed_at: DateTime<Utc>,
    /// The fingerprint of the data files.
    pub fingerprint: String,
    /// A hash of what else decides the values: the settings and the key
    /// results' KPI links.
    pub definitions: String,
    /// KPIs computed.
    pub kpis: i64,
    /// Values stored.
    pub values: i64,
    pub duration_ms: i64,
}

/// Whether `s` is a plain decimal: an optional `-`, digits, at most one
/// `.` with digits on both sides. No exponent, no `NaN`, no `inf`.
fn is_decimal_text(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let all_digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    all_digits(int) && frac.is_none_or(all_digits)
}

const COLS: &str =
    "kpi_id, segment, grain, period_start, value, note, unit, computed_at, fingerprint";

fn value_from_row(r: &AnyRow) -> Result<StoredKpiValue, StoreError> {
    Ok(StoredKpiValue {
        kpi: r.try_get("kpi_id")?,
        segment: r.try_get("segment")?,
        grain: word(&r.try_get::<String, _>("grain")?)?,
        period_start: parse_date(&r.try_get::<String, _>("period_start")?)?,
        value: r.try_get("value")?,
        note: r.try_get("note")?,
        unit: r.try_get("unit")?,
        computed_at: parse_time(&r.try_get::<String, _>("computed_at")?)?,
        fingerprint: r.try_get("fingerprint")?,
    })
}

impl Reader {
    /// The columns `cols` of the stored values of one KPI for one segment
    /// and grain, in period order.
    async fn series_rows(
        &mut self,
        cols: &str,
        kpi: &str,
        segment: &str,
        grain: Grain,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let sql = format!(
            "SELECT {cols} FROM kpi_values WHERE workspace_id = $1 AND kpi_id = $2 AND segment = $3 AND grain = $4 ORDER BY period_start"
        );
        Ok(sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .bind(kpi)
            .bind(segment)
            .bind(grain.as_str())
            .fetch_all(&mut *self.tx)
            .await?)
    }

    /// The stored values of one KPI for one segment and grain, in period
    /// order.
    pub async fn kpi_series(
        &mut self,
        kpi: &str,
        segment: &str,
        grain: Grain,
    ) -> Result<Vec<StoredKpiValue>, StoreError> {
        let rows = self.series_rows(COLS, kpi, segment, grain).await?;
        rows.iter().map(value_from_row).collect()
    }

    /// [`Reader::kpi_series`] with only each period's start and value (the
    /// exact decimal text; `None` when absent): what a chart or an anomaly
    /// rule reads, without decoding the other columns of every row.
    pub async fn kpi_points(
        &mut self,
        kpi: &str,
        segment: &str,
        grain: Grain,
    ) -> Result<Vec<(NaiveDate, Option<String>)>, StoreError> {
        let rows = self
            .series_rows("period_start, value", kpi, segment, grain)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    parse_date(&r.try_get::<String, _>(0)?)?,
                    r.try_get::<Option<String>, _>(1)?,
                ))
            })
            .collect()
    }

    /// The last period of any value stored for `segment` at `grain` (where
    /// the data ends); `None` when the set is empty. One step down the
    /// set's index, whatever its size.
    pub async fn last_kpi_period(
        &mut self,
        segment: &str,
        grain: Grain,
    ) -> Result<Option<NaiveDate>, StoreError> {
        let last: Option<String> = sqlx::query_scalar(
            "SELECT MAX(period_start) FROM kpi_values \
             WHERE workspace_id = $1 AND grain = $2 AND segment = $3",
        )
        .bind(self.id())
        .bind(grain.as_str())
        .bind(segment)
        .fetch_one(&mut *self.tx)
        .await?;
        last.as_deref().map(parse_date).transpose()
    }

    /// Per KPI stored for `segment` at `grain`, its value in the last
    /// period stored (which may be absent, with its note), by KPI id.
    pub async fn latest_kpi_values(
        &mut self,
        segment: &str,
        grain: Grain,
    ) -> Result<Vec<StoredKpiValue>, StoreError> {
        let sql = format!(
            "SELECT {COLS} FROM kpi_values v WHERE workspace_id = $1 AND segment = $2 AND grain = $3 \
             AND period_start = (SELECT MAX(w.period_start) FROM kpi_values w \
             WHERE w.workspace_id = v.workspace_id AND w.kpi_id = v.kpi_id \
             AND w.segment = v.segment AND w.grain = v.grain) \
             ORDER BY kpi_id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(self.id())
            .bind(segment)
            .bind(grain.as_str())
            .fetch_all(&mut *self.tx)
            .await?;
        rows.iter().map(value_from_row).collect()
    }

    /// The sets of values stored: every (grain, segment) with at least one
    /// value, by grain and segment.
    pub async fn kpi_value_sets(&mut self) -> Result<Vec<(Grain, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT DISTINCT grain, segment FROM kpi_values WHERE workspace_id = $1 ORDER BY grain, segment",
        )
        .bind(self.id())
        .fetch_all(&mut *self.tx)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    word(&r.try_get::<String, _>("grain")?)?,
                    r.try_get("segment")?,
                ))
            })
            .collect()
    }

    /// The workspace's last refresh, if it ever had one.
    pub async fn last_kpi_refresh(&mut self) -> Result<Option<KpiRefresh>, StoreError> {
        let row = sqlx::query(
            "SELECT computed_at, fingerprint, definitions, kpis, value_count, duration_ms FROM kpi_refreshes WHERE workspace_id = $1",
        )
        .bind(self.id())
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(|r| {
            Ok(KpiRefresh {
                computed_at: parse_time(&r.try_get::<String, _>("computed_at")?)?,
                fingerprint: r.try_get("fingerprint")?,
                definitions: r.try_get("definitions")?,
                kpis: r.try_get("kpis")?,
                values: r.try_get("value_count")?,
                duration_ms: r.try_get("duration_ms")?,
            })
        })
        .transpose()
    }
}

impl Session {
    /// Replaces every stored value of `segment` at `grain` with `values`
    /// (none removes the set); returns how many were stored. Each value
    /// must belong to that set, its value be plain decimal text, and no
    /// (KPI, period) appear twice; otherwise nothing is written.
    pub async fn replace_kpi_values(
        &mut self,
        grain: Grain,
        segment: &str,
        values: &[StoredKpiValue],
    ) -> Result<u64, StoreError> {
        self.replace_values(grain, segment, None, values).await
    }

    /// Replaces the stored values of `segment` at `grain` whose period
    /// starts on or after `since` with `values`, and keeps the earlier
    /// ones; returns how many values the set then holds. Each value must
    /// belong to that set and start on or after `since`, as
    /// [`Session::replace_kpi_values`] requires; otherwise nothing is
    /// written.
    pub async fn replace_kpi_values_since(
        &mut self,
        grain: Grain,
        segment: &str,
        since: NaiveDate,
        values: &[StoredKpiValue],
    ) -> Result<u64, StoreError> {
        self.replace_values(grain, segment, Some(since), values)
            .await?;
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM kpi_values WHERE workspace_id = $1 AND grain = $2 AND segment = $3",
        )
        .bind(self.id())
        .bind(grain.as_str())
        .bind(segment)
        .fetch_one(&mut *self.tx)
        .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Deletes the set's values (those from `since` on, when given) and
    /// inserts `values`; returns how many were inserted.
    async fn replace_values(
        &mut self,
        grain: Grain,
        segment: &str,
        since: Option<NaiveDate>,
        values: &[StoredKpiValue],
    ) -> Result<u64, StoreError> {
        for v in values {
            if v.grain != grain || v.segment != segment {
                return Err(StoreError::Invalid(format!(
                    "KPI value `{}` of {} `{}` given to replace the set of {} `{}`",
                    v.kpi, v.grain, v.segment, grain, segment
                )));
            }
            if let Some(since) = since
                && v.period_start < since
            {
                return Err(StoreError::Invalid(format!(
                    "KPI value `{}` on {} given to replace the values from {since} on",
                    v.kpi, v.period_start
                )));
            }
            if let Some(text) = &v.value
                && !is_decimal_text(text)
            {
                return Err(StoreError::Invalid(format!(
                    "KPI value `{}` on {}: `{text}` is not a plain decimal",
                    v.kpi, v.period_start
                )));
            }
        }
        // Two refreshes of a workspace write one after the other: the
        // second deletes what the first stored, never inserts beside it.
        self.lock_workspace().await?;
        // Period starts are ISO dates: their text sorts as the dates do,
        // and after the empty text.
        sqlx::query(
            "DELETE FROM kpi_values WHERE workspace_id = $1 AND grain = $2 AND segment = $3 AND period_start >= $4",
        )
        .bind(self.id())
        .bind(grain.as_str())
        .bind(segment)
        .bind(since.map_or(String::new(), |d| d.format("%Y-%m-%d").to_string()))
        .execute(&mut *self.tx)
        .await?;
        let id = self.id();
        let mut stored = 0;
        for chunk in values.chunks(BATCH) {
            let placeholders: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = i * 10;
                    format!(
                        "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                        p + 1,
                        p + 2,
                        p + 3,
                        p + 4,
                        p + 5,
                        p + 6,
                        p + 7,
                        p + 8,
                        p + 9,
                        p + 10
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO kpi_values (workspace_id, {COLS}) VALUES {}",
                placeholders.join(", ")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in chunk {
                q = q
                    .bind(id.clone())
                    .bind(v.kpi.clone())
                    .bind(v.segment.clone())
                    .bind(v.grain.as_str())
                    .bind(v.period_start.format("%Y-%m-%d").to_string())
                    .bind(v.value.clone())
                    .bind(v.note.clone())
                    .bind(v.unit.clone())
                    .bind(fmt_time(v.computed_at))
                    .bind(v.fingerprint.clone());
            }
            stored += q.execute(&mut *self.tx).await?.rows_affected();
        }
        Ok(stored)
    }

    /// Records `r` as the workspace's last refresh (replacing the one
    /// before).
    pub async fn record_kpi_refresh(&mut self, r: &KpiRefresh) -> Result<(), StoreError> {
        self.lock_workspace().await?;
        sqlx::query("DELETE FROM kpi_refreshes WHERE workspace_id = $1")
            .bind(self.id())
            .execute(&mut *self.tx)
            .await?;
        sqlx::query(
            "INSERT INTO kpi_refreshes (workspace_id, computed_at, fingerprint, definitions, kpis, value_count, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(self.id())
        .bind(fmt_time(r.computed_at))
        .bind(r.fingerprint.clone())
        .bind(r.definitions.clone())
        .bind(r.kpis)
        .bind(r.values)
        .bind(r.duration_ms)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_decimals_are_values() {
        for ok in ["0", "12", "-3", "1234.5", "-0.25", "0.3333333333333333"] {
            assert!(is_decimal_text(ok), "{ok}");
        }
        for bad in [
            "", "-", ".5", "5.", "1e5", "NaN", "inf", "-inf", "1.2.3", "+1", " 1", "1,5",
        ] {
            assert!(!is_decimal_text(bad), "{bad}");
        }
    }
}
