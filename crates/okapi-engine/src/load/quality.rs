//! The data-quality report of one table: row count, date range, NULL rate
//! per column, duplicate ids, rows out of order and days with no rows.
//!
//! Accumulated batch by batch, so it costs one pass even over hundreds of
//! millions of events. Timestamps fall on days of the workspace time zone,
//! as they do for the KPIs: the date range and the days without rows are
//! those a report by day would show.

use datafusion::arrow::array::{Array, Date32Array, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use okapi_core::data_model::Table;
use okapi_core::period::{DayNum, date_of};
use okapi_core::timezone::Zone;
use serde::Serialize;

use super::RowIssue;
use super::validate::canonical_schema;
use crate::day_bits::DayBits;

/// The quality report of one table.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TableQuality {
    pub table: String,
    pub file: String,
    /// Valid rows loaded.
    pub rows: u64,
    /// Rows rejected for breaking the data model.
    pub invalid_rows: u64,
    /// First and last day of the table's time column.
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    /// `(column, share of NULL cells)` over valid rows.
    pub null_rates: Vec<(String, f64)>,
    /// Rows rejected because their id was already used.
    pub duplicate_ids: u64,
    /// Rows whose time is earlier than the row before them.
    pub rows_out_of_order: u64,
    /// Days inside the date range with no rows (event-like tables only).
    pub days_without_rows: Option<u64>,
    /// Up to five such gaps as `(first day, last day)`.
    pub gaps: Vec<(String, String)>,
}

/// Accumulates a [`TableQuality`] batch by batch.
pub struct QualityAccumulator {
    table: Table,
    file: String,
    rows: u64,
    invalid_rows: u64,
    last_invalid: Option<super::Location>,
    nulls: Vec<(String, u64)>,
    duplicate_ids: u64,
    out_of_order: u64,
    prev: Option<i64>,
    /// Time of the first row seen (to check order across merged parts).
    first_time: Option<i64>,
    days: DayBits,
    schema: Option<SchemaRef>,
    /// The zone whose calendar days timestamps fall on.
    zone: Zone,
}

impl QualityAccumulator {
    /// A report of `file` holding `table`, its days in `zone`.
    pub fn new(table: Table, file: String, zone: Zone) -> QualityAccumulator {
        QualityAccumulator {
            zone,
            table,
            file,
            rows: 0,
            invalid_rows: 0,
            last_invalid: None,
            nulls: Vec::new(),
            duplicate_ids: 0,
            out_of_order: 0,
            prev: None,
            first_time: None,
            days: DayBits::new(),
            schema: None,
        }
    }

    /// The canonical schema when no batch was seen.
    pub fn schema_hint(&self) -> SchemaRef {
        self.schema
            .clone()
            .unwrap_or_else(|| canonical_schema(self.table, &[]))
    }

    pub fn add_issues(&mut self, issues: &[RowIssue]) {
        for i in issues {
            if self.last_invalid != Some(i.location.clone()) {
                self.invalid_rows += 1;
                self.last_invalid = Some(i.location.clone());
            }
            if i.reason.starts_with("duplicate ") {
                self.duplicate_ids += 1;
            }
        }
    }

    pub fn add(&mut self, batch: &RecordBatch) {
        if self.schema.is_none() {
            self.schema = Some(batch.schema());
            self.nulls = batch
                .schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), 0))
                .collect();
        }
        self.rows += batch.num_rows() as u64;
        for (i, (_, n)) in self.nulls.iter_mut().enumerate() {
            if let Some(c) = batch.columns().get(i) {
                *n += c.null_count() as u64;
            }
        }
        let Some(col) = batch.column_by_name(self.table.time_column()) else {
            return;
        };
        // Time as an ordered i64 plus its day.
        let mut last_day = DayNum::MIN;
        let mut visit = |t: i64, day: DayNum| {
            if let Some(p) = self.prev
                && t < p
            {
                self.out_of_order += 1;
            }
            self.prev = Some(t);
            self.first_time.get_or_insert(t);
            // Rows in time order repeat their day: set it once per run.
            if day != last_day {
                self.days.insert(day);
                last_day = day;
            }
        };
        if let Some(ts) = col.as_any().downcast_ref::<TimestampMicrosecondArray>() {
            let mut days = self.zone.day_mapper();
            for i in 0..ts.len() {
                if ts.is_valid(i) {
                    let t = ts.value(i);
                    visit(t, days.day_of(t));
                }
            }
        } else if let Some(d) = col.as_any().downcast_ref::<Date32Array>() {
            for i in 0..d.len() {
                if d.is_valid(i) {
                    visit(d.value(i) as i64, d.value(i));
                }
            }
        } else if let Some(m) = col.as_any().downcast_ref::<StringArray>() {
            for i in 0..m.len() {
                if m.is_valid(i)
                    && let Ok(day) = super::cells::date(&format!("{}-01", m.value(i)))
                {
                    visit(day as i64, day);
                }
            }
        }
    }

    /// Appends the report of the rows that follow this part in the file
    /// (parts scanned in parallel).
    pub fn merge_following(&mut self, next: QualityAccumulator) {
        if self.schema.is_none() {
            self.schema = next.schema.clone();
            self.nulls = next.nulls.clone();
        } else {
            for ((_, a), (_, b)) in self.nulls.iter_mut().zip(&next.nulls) {
                *a += b;
            }
        }
        self.rows += next.rows;
        self.invalid_rows += next.invalid_rows;
        self.duplicate_ids += next.duplicate_ids;
        self.out_of_order += next.out_of_order;
        if let (Some(p), Some(f)) = (self.prev, next.first_time)
            && f < p
        {
            self.out_of_order += 1;
        }
        if self.first_time.is_none() {
            self.first_time = next.first_time;
        }
        if next.prev.is_some() {
            self.prev = next.prev;
        }
        self.days.union_with(&next.days);
    }

    pub fn finish(self) -> TableQuality {
        let rows = self.rows;
        let first = self.days.first();
        let last = self.days.last_on_or_before(DayNum::MAX);
        let daily = matches!(self.table, Table::Events | Table::Visits);
        let (days_without_rows, gaps) = match (daily, first, last) {
            (true, Some(f), Some(l)) => {
                let mut missing = 0u64;
                let mut gaps = Vec::new();
                let mut d = f;
                while d <= l {
                    if !self.days.contains(d) {
                        let start = d;
                        while d <= l && !self.days.contains(d) {
                            missing += 1;
                            d += 1;
                        }
                        if gaps.len() < 5 {
                            gaps.push((date_of(start).to_string(), date_of(d - 1).to_string()));
                        }
                    }
                    d += 1;
                }
                (Some(missing), gaps)
            }
            _ => (None, Vec::new()),
        };
        TableQuality {
            table: self.table.name().to_string(),
            file: self.file,
            rows,
            invalid_rows: self.invalid_rows,
            first_day: first.map(|d| date_of(d).to_string()),
            last_day: last.map(|d| date_of(d).to_string()),
            null_rates: self
                .nulls
                .into_iter()
                .map(|(c, n)| {
                    (
                        c,
                        if rows == 0 {
                            0.0
                        } else {
                            n as f64 / rows as f64
                        },
                    )
                })
                .collect(),
            duplicate_ids: self.duplicate_ids,
            rows_out_of_order: self.out_of_order,
            days_without_rows,
            gaps,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::ArrayRef;
    use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};

    use super::*;

    fn events_at(stamps: &[&str]) -> RecordBatch {
        let micros: Vec<i64> = stamps
            .iter()
            .map(|s| {
                chrono::DateTime::parse_from_rfc3339(s)
                    .unwrap()
                    .timestamp_micros()
            })
            .collect();
        let ts = TimestampMicrosecondArray::from(micros).with_timezone("UTC");
        let schema = Schema::new(vec![Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            false,
        )]);
        RecordBatch::try_new(Arc::new(schema), vec![Arc::new(ts) as ArrayRef]).unwrap()
    }

    #[test]
    fn days_are_those_of_the_workspace_time_zone() {
        // 23:30Z on 1 March is 00:30 on 2 March in Paris (UTC+1 in winter);
        // 00:30Z on 3 March is 01:30 on 3 March there.
        let batch = events_at(&["2024-03-01T23:30:00Z", "2024-03-03T00:30:00Z"]);
        let report = |zone: Zone| {
            let mut q = QualityAccumulator::new(Table::Events, "events.csv".into(), zone);
            q.add(&batch);
            q.finish()
        };
        // In UTC: 1 and 3 March, 2 March empty.
        let utc = report(Zone::Utc);
        assert_eq!(utc.first_day.as_deref(), Some("2024-03-01"));
        assert_eq!(utc.last_day.as_deref(), Some("2024-03-03"));
        assert_eq!(utc.days_without_rows, Some(1));
        assert_eq!(
            utc.gaps,
            vec![("2024-03-02".to_string(), "2024-03-02".to_string())]
        );
        // In Paris: 2 and 3 March, no gap.
        let paris = report("Europe/Paris".parse().unwrap());
        assert_eq!(paris.first_day.as_deref(), Some("2024-03-02"));
        assert_eq!(paris.last_day.as_deref(), Some("2024-03-03"));
        assert_eq!(paris.days_without_rows, Some(0));
        assert!(paris.gaps.is_empty());
    }
}
