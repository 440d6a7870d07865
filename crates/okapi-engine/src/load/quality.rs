//! The data-quality report of one table: row count, date range, NULL rate
//! per column, duplicate ids, rows out of order and days with no rows.
//!
//! Accumulated batch by batch, so it costs one pass even over hundreds of
//! millions of events.

use datafusion::arrow::array::{Array, Date32Array, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use okapi_core::data_model::Table;
use okapi_core::period::{DayNum, date_of};
use okapi_core::timezone::MICROS_PER_DAY;
use serde::Serialize;

use super::RowIssue;
use super::validate::canonical_schema;
use crate::day_bits::DayBits;

/// The quality report of one table.
#[derive(Debug, Clone, Serialize, PartialEq)]
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
}

impl QualityAccumulator {
    pub fn new(table: Table, file: String) -> QualityAccumulator {
        QualityAccumulator {
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
            if self.last_invalid != Some(i.location) {
                self.invalid_rows += 1;
                self.last_invalid = Some(i.location);
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
            for i in 0..ts.len() {
                if ts.is_valid(i) {
                    let t = ts.value(i);
                    visit(t, t.div_euclid(MICROS_PER_DAY) as DayNum);
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
