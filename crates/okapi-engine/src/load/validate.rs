//! Checking a batch of raw rows against the data model and turning it into
//! the canonical Arrow schema.
//!
//! Readers (CSV, JSON lines, Parquet) hand over *raw* columns: text, or the
//! Parquet file's own types. Each column is converted to its canonical type
//! (ids and text `Utf8`, money `Decimal128(38, 10)`, dates `Date32`,
//! timestamps `Timestamp(µs, UTC)`, integers `Int64`, months `Utf8`); every
//! cell that does not fit becomes a [`RowIssue`] naming file, line or row,
//! column, value and reason. Rows with an issue are left out of the
//! returned batch and kept, with their reasons, for the quarantine file.
//!
//! Typed Parquet values are held to the bounds text is (see [`cells`]):
//! a date or timestamp outside the window, or one too large to convert,
//! is an issue of its row, never a silent NULL.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Int64Array, StringArray,
    TimestampMicrosecondArray, new_null_array,
};
use datafusion::arrow::compute::{cast, filter_record_batch};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::array_value_to_string;
use okapi_core::data_model::{ColumnSpec, ColumnType, Table};

use super::cells::{self, MONEY_SCALE};
use super::{Location, RejectedRow, RowIssue};
use crate::error::EngineError;

/// The most columns beyond the data model a file may bring (kept as
/// segment dimensions in `accounts`).
pub const MAX_EXTRA_COLUMNS: usize = 256;

/// Refuses a file with more than [`MAX_EXTRA_COLUMNS`] extra columns.
pub fn check_extra_columns(file: &str, extras: &[String]) -> Result<(), EngineError> {
    let Some(first_too_many) = extras.get(MAX_EXTRA_COLUMNS) else {
        return Ok(());
    };
    Err(EngineError::File {
        file: file.to_string(),
        reason: format!(
            "{} columns beyond the data model (at most {MAX_EXTRA_COLUMNS}); the {}th is `{}`",
            extras.len(),
            MAX_EXTRA_COLUMNS + 1,
            first_too_many
        ),
    })
}

/// The canonical Arrow type of a column type.
pub fn canonical_type(ty: ColumnType) -> DataType {
    match ty {
        ColumnType::Id | ColumnType::Text | ColumnType::Enum(_) | ColumnType::Month => {
            DataType::Utf8
        }
        ColumnType::Money => DataType::Decimal128(38, MONEY_SCALE as i8),
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        ColumnType::Integer => DataType::Int64,
    }
}

/// Text as `Dictionary(Int32, Utf8)`.
fn dictionary_text() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// The canonical schema of `table`, plus `extras` (kept as text).
pub fn canonical_schema(table: Table, extras: &[String]) -> SchemaRef {
    let mut fields: Vec<Field> = table
        .columns()
        .iter()
        .map(|c| Field::new(c.name, canonical_type(c.ty), !c.required))
        .collect();
    fields.extend(extras.iter().map(|e| Field::new(e, DataType::Utf8, true)));
    Arc::new(Schema::new(fields))
}

/// A batch of rows as a reader found them.
pub struct RawBatch {
    /// Columns by name, in the reader's types.
    pub columns: Vec<(String, ArrayRef)>,
    /// Where each row is in the file.
    pub locations: Vec<Location>,
}

impl RawBatch {
    /// The rows of `batch` as a reader of numbered rows hands them over:
    /// the first is row `offset + 1`.
    pub fn numbered(batch: &RecordBatch, offset: u64) -> RawBatch {
        let n = batch.num_rows() as u64;
        RawBatch {
            columns: batch
                .schema()
                .fields()
                .iter()
                .zip(batch.columns())
                .map(|(f, a)| (f.name().clone(), a.clone()))
                .collect(),
            locations: (offset + 1..=offset + n).map(Location::Row).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.locations.len()
    }

    pub fn is_empty(&self) -> bool {
        self.locations.is_empty()
    }

    fn column(&self, name: &str) -> Option<&ArrayRef> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }
}

/// The outcome of validating one batch.
pub struct Validated {
    /// The valid rows, in the canonical schema.
    pub batch: RecordBatch,
    pub issues: Vec<RowIssue>,
    pub rejected: Vec<RejectedRow>,
}

/// Validates the batches of one file, remembering ids across batches.
pub struct Validator {
    table: Table,
    file: String,
    schema: SchemaRef,
    /// The canonical schema with every field nullable: cells that fail to
    /// parse are NULL until their rows are filtered out.
    unchecked_schema: SchemaRef,
    extras: Vec<String>,
    seen_ids: HashMap<String, Location>,
    /// When set, only these columns are read and checked; the others are
    /// NULL in the output (a kernel that does not need them).
    only: Option<Vec<String>>,
    /// Columns kept dictionary-encoded (see [`Validator::only_columns`]).
    dictionary: Vec<String>,
    /// Rows are named by their key columns (a database table), not by
    /// their place in a file.
    by_key: bool,
}

/// A cell-level problem found while converting a column.
struct CellIssue {
    row: usize,
    column: &'static str,
    reason: String,
}

impl Validator {
    /// A validator for `file` holding `table` whose columns are `schema`
    /// (a typed source: Parquet, a database table): its extra columns
    /// checked and kept where the table keeps them, required columns
    /// present, every column's type accepted. Returns the extras kept.
    pub fn for_schema(
        table: Table,
        file: String,
        schema: &Schema,
    ) -> Result<(Validator, Vec<String>), EngineError> {
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let extras: Vec<String> = if table.keeps_extra_columns() {
            names
                .iter()
                .filter(|n| table.column(n).is_none())
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        check_extra_columns(&file, &extras)?;
        let validator = Validator::new(table, file, extras.clone());
        validator.require_columns(&names)?;
        let fields: Vec<(String, DataType)> = schema
            .fields()
            .iter()
            .map(|f| (f.name().clone(), f.data_type().clone()))
            .collect();
        validator.check_types(&fields)?;
        Ok((validator, extras))
    }

    /// A validator for `file` holding `table`. `extras` are the file's
    /// columns beyond the specification that the table keeps.
    pub fn new(table: Table, file: String, extras: Vec<String>) -> Validator {
        let schema = canonical_schema(table, &extras);
        let unchecked_schema = Arc::new(Schema::new(
            schema
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<_>>(),
        ));
        Validator {
            table,
            schema,
            unchecked_schema,
            file,
            extras,
            seen_ids: HashMap::new(),
            by_key: false,
            only: None,
            dictionary: Vec::new(),
        }
    }

    /// Reads and checks only `columns` (a scan for a kernel that needs no
    /// others); the other columns come out NULL and unchecked. Columns in
    /// `dictionary` arrive and stay dictionary-encoded text.
    pub fn only_columns(&mut self, columns: &[&str], dictionary: &[&str]) {
        self.only = Some(columns.iter().map(|c| c.to_string()).collect());
        self.dictionary = dictionary.iter().map(|c| c.to_string()).collect();
        let fields: Vec<Field> = self
            .schema
            .fields()
            .iter()
            .map(|f| {
                let keep = columns.contains(&f.name().as_str());
                let f = f.as_ref().clone().with_nullable(f.is_nullable() || !keep);
                if dictionary.contains(&f.name().as_str()) {
                    f.with_data_type(dictionary_text())
                } else {
                    f
                }
            })
            .collect();
        self.unchecked_schema = Arc::new(Schema::new(
            fields
                .iter()
                .map(|f| f.clone().with_nullable(true))
                .collect::<Vec<_>>(),
        ));
        self.schema = Arc::new(Schema::new(fields));
    }

    /// Whether `column` is read.
    pub fn reads(&self, column: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|o| o.iter().any(|c| c == column))
    }

    pub fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    /// Checks that every required column is among `present` (for formats
    /// with a header or schema).
    pub fn require_columns(&self, present: &[String]) -> Result<(), EngineError> {
        for c in self.table.columns().iter().filter(|c| c.required) {
            if !present.iter().any(|p| p == c.name) {
                return Err(EngineError::File {
                    file: self.file.clone(),
                    reason: format!(
                        "missing required column `{}` (found: {})",
                        c.name,
                        if present.is_empty() {
                            "no columns".to_string()
                        } else {
                            present.join(", ")
                        }
                    ),
                });
            }
        }
        Ok(())
    }

    /// Checks that the raw type of each column can be read as its type
    /// (Parquet files carry their own types).
    /// Every column of the wrong type is named.
    pub fn check_types(&self, fields: &[(String, DataType)]) -> Result<(), EngineError> {
        let wrong: Vec<String> = fields
            .iter()
            .filter_map(|(name, dt)| {
                let spec = self.table.column(name)?;
                (!accepts(spec.ty, dt)).then(|| {
                    format!(
                        "column `{name}` has type {dt}; expected {}",
                        expected_types(spec.ty)
                    )
                })
            })
            .collect();
        if wrong.is_empty() {
            return Ok(());
        }
        Err(EngineError::File {
            file: self.file.clone(),
            reason: wrong.join("; "),
        })
    }

    /// Names rows by their key columns, as a `WHERE` clause would
    /// (`deal_id = 'd-1'`, `ts = '…' AND user_id = 'u-1' AND event = 'login'`):
    /// for database tables, whose rows have no line numbers.
    pub fn name_rows_by_key(&mut self) {
        self.by_key = true;
    }

    /// Row `row` of `raw` named by the table's key columns.
    fn key_of(&self, raw: &RawBatch, row: usize) -> String {
        let parts: Vec<String> = self
            .table
            .key_columns()
            .iter()
            .filter_map(|&c| raw.column(c).map(|a| (c, a)))
            .map(|(c, a)| {
                if a.is_null(row) {
                    format!("{c} IS NULL")
                } else {
                    format!("{c} = '{}'", cell_text(a, row).replace('\'', "''"))
                }
            })
            .collect();
        if parts.is_empty() {
            "(no key column read)".into()
        } else {
            parts.join(" AND ")
        }
    }

    /// Validates one batch.
    pub fn validate(&mut self, raw: RawBatch) -> Result<Validated, EngineError> {
        let n = raw.len();
        let mut issues: Vec<CellIssue> = Vec::new();
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        for spec in self.table.columns() {
            if !self.reads(spec.name) {
                arrays.push(new_null_array(&canonical_type(spec.ty), n));
                continue;
            }
            let dictionary = self.dictionary.iter().any(|c| c == spec.name);
            let arr = match raw.column(spec.name) {
                Some(a) if dictionary && *a.data_type() == dictionary_text() => a.clone(),
                Some(a) => convert(spec, a, &mut issues).map_err(|reason| EngineError::File {
                    file: self.file.clone(),
                    reason: format!("column `{}`: {reason}", spec.name),
                })?,
                None if dictionary => new_null_array(&dictionary_text(), n),
                None => new_null_array(&canonical_type(spec.ty), n),
            };
            if spec.required && arr.null_count() > 0 {
                for row in 0..n {
                    if arr.is_null(row)
                        && !issues.iter().any(|i| i.row == row && i.column == spec.name)
                    {
                        issues.push(CellIssue {
                            row,
                            column: spec.name,
                            reason: "missing value (required)".into(),
                        });
                    }
                }
            }
            arrays.push(arr);
        }
        for extra in &self.extras {
            let arr = match raw.column(extra) {
                Some(a) => cast(a, &DataType::Utf8)?,
                None => new_null_array(&DataType::Utf8, n),
            };
            arrays.push(arr);
        }
        let batch = RecordBatch::try_new(self.unchecked_schema.clone(), arrays)?;
        self.row_rules(&batch, &raw.locations, &mut issues);
        if issues.is_empty() {
            return Ok(Validated {
                batch: RecordBatch::try_new(self.schema.clone(), batch.columns().to_vec())?,
                issues: Vec::new(),
                rejected: Vec::new(),
            });
        }
        issues.sort_by_key(|i| i.row);
        let mut keep = vec![true; n];
        let mut out_issues = Vec::with_capacity(issues.len());
        let mut rejected: Vec<RejectedRow> = Vec::new();
        for i in &issues {
            // Issues are found on the rows of `raw`, so both lookups hit.
            let (Some(location), Some(kept)) = (raw.locations.get(i.row), keep.get_mut(i.row))
            else {
                continue;
            };
            let location = if self.by_key {
                Location::Key(self.key_of(&raw, i.row))
            } else {
                location.clone()
            };
            let value = raw
                .column(i.column)
                .map(|a| cell_text(a, i.row))
                .unwrap_or_default();
            let issue = RowIssue {
                file: self.file.clone(),
                location,
                column: i.column.to_string(),
                value,
                reason: i.reason.clone(),
            };
            if *kept {
                *kept = false;
                rejected.push(RejectedRow {
                    location: issue.location.clone(),
                    values: raw
                        .columns
                        .iter()
                        .map(|(name, a)| (name.clone(), cell_text(a, i.row)))
                        .collect(),
                    issues: Vec::new(),
                });
            }
            if let Some(r) = rejected.last_mut() {
                r.issues.push(issue.clone());
            }
            out_issues.push(issue);
        }
        let mask = BooleanArray::from(keep);
        let batch = filter_record_batch(&batch, &mask)?;
        Ok(Validated {
            batch: RecordBatch::try_new(self.schema.clone(), batch.columns().to_vec())?,
            issues: out_issues,
            rejected,
        })
    }

    /// Rules across columns and rows: date order, stage order, score
    /// ranges, unique ids.
    fn row_rules(
        &mut self,
        batch: &RecordBatch,
        locations: &[Location],
        issues: &mut Vec<CellIssue>,
    ) {
        let ts = |name: &str| -> Option<&TimestampMicrosecondArray> {
            batch.column_by_name(name)?.as_any().downcast_ref()
        };
        let not_before =
            |issues: &mut Vec<CellIssue>, later: &'static str, earlier: &'static str| {
                if let (Some(b), Some(a)) = (ts(later), ts(earlier)) {
                    for row in 0..batch.num_rows() {
                        if b.is_valid(row) && a.is_valid(row) && b.value(row) < a.value(row) {
                            issues.push(CellIssue {
                                row,
                                column: later,
                                reason: format!("{later} before {earlier}"),
                            });
                        }
                    }
                }
            };
        match self.table {
            Table::Subscriptions => {
                let start = batch
                    .column_by_name("start_date")
                    .and_then(|a| a.as_any().downcast_ref::<Date32Array>());
                let end = batch
                    .column_by_name("end_date")
                    .and_then(|a| a.as_any().downcast_ref::<Date32Array>());
                if let (Some(s), Some(e)) = (start, end) {
                    for row in 0..batch.num_rows() {
                        if s.is_valid(row) && e.is_valid(row) && e.value(row) < s.value(row) {
                            issues.push(CellIssue {
                                row,
                                column: "end_date",
                                reason: "end_date before start_date".into(),
                            });
                        }
                    }
                }
            }
            Table::Leads => {
                for stage in ["signup_at", "mql_at", "pql_at", "customer_at", "lost_at"] {
                    not_before(issues, stage, "created_at");
                }
            }
            Table::Deals => {
                not_before(issues, "closed_at", "created_at");
                let status = batch
                    .column_by_name("status")
                    .and_then(|a| a.as_any().downcast_ref::<StringArray>());
                if let (Some(status), Some(closed)) = (status, ts("closed_at")) {
                    for row in 0..batch.num_rows() {
                        if status.is_null(row) {
                            continue;
                        }
                        let reason = match (status.value(row), closed.is_valid(row)) {
                            (s @ ("won" | "lost"), false) => {
                                format!("a {s} deal needs closed_at (when it was {s})")
                            }
                            ("open", true) => {
                                "an open deal has no closed_at (set status won or lost)".into()
                            }
                            _ => continue,
                        };
                        issues.push(CellIssue {
                            row,
                            column: "closed_at",
                            reason,
                        });
                    }
                }
            }
            Table::SupportTickets => {
                not_before(issues, "first_response_at", "opened_at");
                not_before(issues, "closed_at", "opened_at");
            }
            Table::Surveys => {
                let kind = batch
                    .column_by_name("kind")
                    .and_then(|a| a.as_any().downcast_ref::<StringArray>());
                let score = batch
                    .column_by_name("score")
                    .and_then(|a| a.as_any().downcast_ref::<Int64Array>());
                if let (Some(k), Some(s)) = (kind, score) {
                    for row in 0..batch.num_rows() {
                        if !(k.is_valid(row) && s.is_valid(row)) {
                            continue;
                        }
                        let (lo, hi) = if k.value(row) == "nps" {
                            (0, 10)
                        } else {
                            (1, 5)
                        };
                        if !(lo..=hi).contains(&s.value(row)) {
                            issues.push(CellIssue {
                                row,
                                column: "score",
                                reason: format!("{} score out of range {lo}–{hi}", k.value(row)),
                            });
                        }
                    }
                }
            }
            _ => {}
        }
        if let Some(id_col) = self.table.id_column()
            && let Some(ids) = batch
                .column_by_name(id_col)
                .and_then(|a| a.as_any().downcast_ref::<StringArray>())
        {
            for (row, location) in locations.iter().enumerate().take(batch.num_rows()) {
                if ids.is_null(row) {
                    continue;
                }
                let id = ids.value(row);
                match self.seen_ids.get(id) {
                    Some(first) => issues.push(CellIssue {
                        row,
                        column: id_col,
                        reason: match first {
                            // A database row is named by this very id.
                            _ if self.by_key => {
                                format!("duplicate {id_col} (on more than one row)")
                            }
                            _ => format!("duplicate {id_col} (first seen at {first})"),
                        },
                    }),
                    None => {
                        self.seen_ids.insert(id.to_string(), location.clone());
                    }
                }
            }
        }
    }
}

fn is_text(dt: &DataType) -> bool {
    matches!(
        dt,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    ) || matches!(dt, DataType::Dictionary(_, v) if is_text(v))
}

fn is_int(dt: &DataType) -> bool {
    dt.is_integer()
}

fn accepts(ty: ColumnType, dt: &DataType) -> bool {
    if is_text(dt) || *dt == DataType::Null {
        return true;
    }
    match ty {
        ColumnType::Id => is_int(dt),
        ColumnType::Text | ColumnType::Enum(_) | ColumnType::Month => false,
        ColumnType::Money => matches!(dt, DataType::Decimal128(..)) || is_int(dt),
        ColumnType::Date => matches!(dt, DataType::Date32 | DataType::Date64),
        ColumnType::Timestamp => matches!(
            dt,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64
        ),
        ColumnType::Integer => is_int(dt),
    }
}

fn expected_types(ty: ColumnType) -> &'static str {
    match ty {
        ColumnType::Id => "text or integer",
        ColumnType::Text | ColumnType::Enum(_) => "text",
        ColumnType::Month => "text YYYY-MM",
        ColumnType::Money => "decimal or text",
        ColumnType::Date => "date or text",
        ColumnType::Timestamp => "timestamp or text",
        ColumnType::Integer => "integer or text",
    }
}

/// The text of one cell, for messages and the quarantine file. A date or
/// timestamp too far out to be shown as one is shown as its raw number.
pub fn cell_text(a: &ArrayRef, row: usize) -> String {
    if a.is_null(row) {
        return String::new();
    }
    match array_value_to_string(a, row) {
        Ok(s) if !s.starts_with("ERROR:") => s,
        _ => raw_number(a, row).unwrap_or_default(),
    }
}

/// A temporal cell as its stored number and unit.
fn raw_number(a: &ArrayRef, row: usize) -> Option<String> {
    let unit = match a.data_type() {
        DataType::Date32 => "days since 1970-01-01",
        DataType::Date64 => "ms since 1970-01-01",
        DataType::Timestamp(u, _) => match u {
            TimeUnit::Second => "s since 1970-01-01T00:00:00Z",
            TimeUnit::Millisecond => "ms since 1970-01-01T00:00:00Z",
            TimeUnit::Microsecond => "µs since 1970-01-01T00:00:00Z",
            TimeUnit::Nanosecond => "ns since 1970-01-01T00:00:00Z",
        },
        _ => return None,
    };
    let n = cast(&a.slice(row, 1), &DataType::Int64).ok()?;
    let n = n.as_any().downcast_ref::<Int64Array>()?;
    Some(format!("{} {unit}", n.value(0)))
}

/// Converts one raw column to its canonical type; bad cells become NULL
/// and an issue. `Err` is a file-level type mismatch.
fn convert(
    spec: &ColumnSpec,
    a: &ArrayRef,
    issues: &mut Vec<CellIssue>,
) -> Result<ArrayRef, String> {
    let dt = a.data_type().clone();
    if !accepts(spec.ty, &dt) {
        return Err(format!(
            "has type {dt}; expected {}",
            expected_types(spec.ty)
        ));
    }
    let target = canonical_type(spec.ty);
    if is_text(&dt) {
        let text = cast(a, &DataType::Utf8).map_err(|e| e.to_string())?;
        let s = text
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or("not text")?;
        return Ok(parse_text(spec, s, issues));
    }
    if dt == DataType::Null {
        return Ok(new_null_array(&target, a.len()));
    }
    match spec.ty {
        ColumnType::Id => cast(a, &DataType::Utf8).map_err(|e| e.to_string()),
        ColumnType::Money => Ok(money_from_numeric(spec, a, issues)?),
        ColumnType::Timestamp
            if matches!(dt, DataType::Timestamp(_, None))
                && matches!(&target, DataType::Timestamp(TimeUnit::Microsecond, Some(tz)) if tz.as_ref() == "UTC") =>
        {
            // A timestamp without a zone is taken as UTC. Arrow's cast to a
            // zone reads each value as a local time there, converting them
            // one by one; in UTC that changes nothing, so only the unit is
            // cast and the zone set on the array.
            let naive = cast(a, &DataType::Timestamp(TimeUnit::Microsecond, None))
                .map_err(|e| e.to_string())?;
            let out = naive
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .ok_or("not a timestamp")?
                .clone()
                .with_timezone("UTC");
            Ok(bound_typed(spec, a, Arc::new(out), issues))
        }
        ColumnType::Date | ColumnType::Timestamp | ColumnType::Integer => {
            let out = cast(a, &target).map_err(|e| e.to_string())?;
            Ok(bound_typed(spec, a, out, issues))
        }
        _ => Err(format!(
            "has type {dt}; expected {}",
            expected_types(spec.ty)
        )),
    }
}

/// Holds a converted typed column to the data model's bounds: a value that
/// did not survive the conversion (too large for its new unit) or a date
/// or timestamp outside the window becomes NULL and an issue of its row.
fn bound_typed(
    spec: &ColumnSpec,
    raw: &ArrayRef,
    out: ArrayRef,
    issues: &mut Vec<CellIssue>,
) -> ArrayRef {
    let n = out.len();
    let mut bad: Vec<(usize, String)> = Vec::new();
    // A cast keeps every NULL and adds one per value it cannot convert: with
    // as many NULLs after as before, every value survived.
    if out.null_count() != raw.null_count() {
        for row in 0..n {
            if out.is_null(row) && !raw.is_null(row) {
                bad.push((row, format!("{} out of range", spec.ty.describe())));
            }
        }
    }
    // The window is checked on the values first (a NULL slot holds some
    // value too), and validity only for a value outside it.
    if let Some(d) = out.as_any().downcast_ref::<Date32Array>() {
        for (row, &day) in d.values().iter().enumerate() {
            if !cells::in_window_day(day) && d.is_valid(row) {
                bad.push((row, cells::outside_window()));
            }
        }
    } else if let Some(t) = out.as_any().downcast_ref::<TimestampMicrosecondArray>() {
        for (row, &micros) in t.values().iter().enumerate() {
            if !cells::in_window_micros(micros) && t.is_valid(row) {
                bad.push((row, cells::outside_window()));
            }
        }
    }
    if bad.is_empty() {
        return out;
    }
    let mut keep = vec![true; n];
    for (row, reason) in bad {
        if let Some(k) = keep.get_mut(row) {
            *k = false;
        }
        issues.push(CellIssue {
            row,
            column: spec.name,
            reason,
        });
    }
    // Out-of-bounds cells become NULL (their rows are dropped anyway).
    let refused: BooleanArray = keep.iter().map(|k| Some(!k)).collect();
    datafusion::arrow::compute::nullif(&out, &refused).unwrap_or(out)
}

fn parse_text(spec: &ColumnSpec, s: &StringArray, issues: &mut Vec<CellIssue>) -> ArrayRef {
    let n = s.len();
    let mut bad = |row: usize, reason: String| {
        issues.push(CellIssue {
            row,
            column: spec.name,
            reason,
        })
    };
    match spec.ty {
        ColumnType::Id | ColumnType::Text => Arc::new(s.clone()),
        ColumnType::Enum(values) => {
            for row in 0..n {
                if s.is_valid(row) && !values.contains(&s.value(row)) {
                    bad(
                        row,
                        format!("unknown {} (expected {})", spec.name, values.join(", ")),
                    );
                }
            }
            Arc::new(s.clone())
        }
        ColumnType::Month => {
            let v: StringArray = (0..n)
                .map(|row| {
                    if s.is_null(row) {
                        return None;
                    }
                    cells::month(s.value(row)).map_err(|r| bad(row, r)).ok()
                })
                .collect();
            Arc::new(v)
        }
        ColumnType::Money => {
            let v: Decimal128Array = (0..n)
                .map(|row| {
                    if s.is_null(row) {
                        return None;
                    }
                    cells::money(s.value(row)).map_err(|r| bad(row, r)).ok()
                })
                .collect();
            Arc::new(
                v.with_precision_and_scale(38, MONEY_SCALE as i8)
                    .unwrap_or_else(|_| Decimal128Array::from(vec![None::<i128>; n])),
            )
        }
        ColumnType::Date => {
            let v: Date32Array = (0..n)
                .map(|row| {
                    if s.is_null(row) {
                        return None;
                    }
                    cells::date(s.value(row)).map_err(|r| bad(row, r)).ok()
                })
                .collect();
            Arc::new(v)
        }
        ColumnType::Timestamp => {
            let v: TimestampMicrosecondArray = (0..n)
                .map(|row| {
                    if s.is_null(row) {
                        return None;
                    }
                    cells::timestamp(s.value(row)).map_err(|r| bad(row, r)).ok()
                })
                .collect();
            Arc::new(v.with_timezone("UTC"))
        }
        ColumnType::Integer => {
            let v: Int64Array = (0..n)
                .map(|row| {
                    if s.is_null(row) {
                        return None;
                    }
                    cells::integer(s.value(row)).map_err(|r| bad(row, r)).ok()
                })
                .collect();
            Arc::new(v)
        }
    }
}

fn money_from_numeric(
    spec: &ColumnSpec,
    a: &ArrayRef,
    issues: &mut Vec<CellIssue>,
) -> Result<ArrayRef, String> {
    // Integers and decimals both go through Decimal128 at their own scale.
    let (raw, scale): (Decimal128Array, i8) = match a.data_type() {
        DataType::Decimal128(_, s) => (
            a.as_any()
                .downcast_ref::<Decimal128Array>()
                .ok_or("bad decimal")?
                .clone(),
            *s,
        ),
        _ => {
            let c = cast(a, &DataType::Decimal128(38, 0)).map_err(|e| e.to_string())?;
            (
                c.as_any()
                    .downcast_ref::<Decimal128Array>()
                    .ok_or("bad decimal")?
                    .clone(),
                0,
            )
        }
    };
    let n = raw.len();
    let v: Decimal128Array = (0..n)
        .map(|row| {
            if raw.is_null(row) {
                return None;
            }
            let d = rust_decimal::Decimal::try_from_i128_with_scale(
                raw.value(row),
                scale.max(0) as u32,
            );
            let res = d
                .map_err(|_| "decimal out of range".to_string())
                .and_then(cells::money_from_decimal);
            match res {
                Ok(x) => Some(x),
                Err(reason) => {
                    issues.push(CellIssue {
                        row,
                        column: spec.name,
                        reason,
                    });
                    None
                }
            }
        })
        .collect();
    Ok(Arc::new(
        v.with_precision_and_scale(38, MONEY_SCALE as i8)
            .map_err(|e| e.to_string())?,
    ))
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::array::{Date64Array, TimestampSecondArray};

    use super::*;

    fn text(v: &[Option<&str>]) -> ArrayRef {
        Arc::new(StringArray::from(v.to_vec()))
    }

    fn reasons(v: &Validated) -> Vec<String> {
        v.issues.iter().map(|i| i.to_string()).collect()
    }

    #[test]
    fn closed_deals_need_a_close_date_and_open_ones_have_none() {
        let mut validator = Validator::new(Table::Deals, "deals.csv".into(), Vec::new());
        let day = Some("2024-01-02");
        let raw = RawBatch {
            columns: vec![
                (
                    "deal_id".into(),
                    text(&[Some("d1"), Some("d2"), Some("d3"), Some("d4"), Some("d5")]),
                ),
                ("kind".into(), text(&[Some("new"); 5])),
                ("created_at".into(), text(&[day; 5])),
                (
                    "closed_at".into(),
                    text(&[None, Some("2024-01-09"), Some("2024-01-09"), None, None]),
                ),
                (
                    "status".into(),
                    text(&[
                        Some("won"),
                        Some("won"),
                        Some("open"),
                        Some("open"),
                        Some("lost"),
                    ]),
                ),
                ("amount".into(), text(&[Some("10"); 5])),
            ],
            locations: (2..=6).map(Location::Line).collect(),
        };
        let v = validator.validate(raw).unwrap();
        assert_eq!(
            reasons(&v),
            vec![
                "deals.csv: line 2, column closed_at: a won deal needs closed_at (when it was won)",
                "deals.csv: line 4, column closed_at: an open deal has no closed_at (set status won or lost) (value `2024-01-09`)",
                "deals.csv: line 6, column closed_at: a lost deal needs closed_at (when it was lost)",
            ]
        );
        // d2 (won and closed) and d4 (open, not closed) load.
        assert_eq!(v.batch.num_rows(), 2);
    }

    #[test]
    fn typed_dates_and_timestamps_beyond_the_window_are_issues_not_nulls() {
        let mut validator = Validator::new(Table::Accounts, "accounts.parquet".into(), Vec::new());
        // Date64 milliseconds: 2024-01-01, then 3000-01-01 (outside).
        // Timestamps in seconds: fine, then one whose microseconds overflow.
        let raw = RawBatch {
            columns: vec![
                (
                    "account_id".into(),
                    text(&[Some("a1"), Some("a2"), Some("a3")]),
                ),
                (
                    "created_at".into(),
                    Arc::new(TimestampSecondArray::from(vec![
                        1_704_067_200,
                        i64::MAX / 1_000,
                        0,
                    ])),
                ),
            ],
            locations: (1..=3).map(Location::Row).collect(),
        };
        let v = validator.validate(raw).unwrap();
        assert_eq!(
            reasons(&v),
            vec![
                "accounts.parquet: row 2, column created_at: ISO-8601 timestamp out of range (value `9223372036854775 s since 1970-01-01T00:00:00Z`)",
            ]
        );
        // Row 3, the epoch itself, is within the window.
        assert_eq!(v.batch.num_rows(), 2);

        let mut validator = Validator::new(
            Table::Subscriptions,
            "subscriptions.parquet".into(),
            Vec::new(),
        );
        // 3000-01-01 is 1,030 years after 1970 with 250 leap days
        // (1972 … 2996 by fours: 257, less 2100, 2200, 2300, 2500, 2600,
        // 2700, 2900): 1,030 × 365 + 250 = 376,200 days.
        assert_eq!(
            chrono::NaiveDate::from_ymd_opt(3000, 1, 1).unwrap()
                - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap(),
            chrono::TimeDelta::try_days(376_200).unwrap()
        );
        let ms = |days: i64| days * 86_400_000;
        let raw = RawBatch {
            columns: vec![
                ("subscription_id".into(), text(&[Some("s1"), Some("s2")])),
                ("account_id".into(), text(&[Some("a1"), Some("a2")])),
                ("mrr".into(), text(&[Some("1"), Some("1")])),
                (
                    "start_date".into(),
                    Arc::new(Date64Array::from(vec![ms(19_723), ms(376_200)])),
                ),
            ],
            locations: (1..=2).map(Location::Row).collect(),
        };
        let v = validator.validate(raw).unwrap();
        assert_eq!(
            reasons(&v),
            vec![
                "subscriptions.parquet: row 2, column start_date: outside the dates okapi accepts (1900-01-01 … 2200-12-31) (value `3000-01-01T00:00:00`)",
            ]
        );
    }

    #[test]
    fn too_many_extra_columns_are_refused_naming_the_first_past_the_cap() {
        let extras: Vec<String> = (0..=MAX_EXTRA_COLUMNS).map(|i| format!("x{i}")).collect();
        assert!(check_extra_columns("accounts.csv", &extras[..MAX_EXTRA_COLUMNS]).is_ok());
        let e = check_extra_columns("accounts.csv", &extras).unwrap_err();
        assert_eq!(
            e.to_string(),
            "accounts.csv: 257 columns beyond the data model (at most 256); the 257th is `x256`"
        );
    }
}
