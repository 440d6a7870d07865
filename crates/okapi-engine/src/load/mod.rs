//! Loading a data directory: reading each table's file (CSV, JSON lines or
//! Parquet), checking every row against the data model, and collecting a
//! data-quality report.
//!
//! Nothing is silently dropped or guessed: every row that breaks the
//! contract is reported as a [`RowIssue`] (file, line or row, column, value,
//! reason). Any issue refuses a load for KPIs ([`EngineError::InvalidRows`]);
//! [`check()`] reports them all, and can write every rejected row to a
//! [`Quarantine`] file while the valid rows load.
//!
//! Memory stays bounded however broken a file is: every reader streams
//! (CSV, JSON lines and Parquet alike hold one batch of rows at a time),
//! and [`Issues`] keeps the first [`MAX_ISSUES_KEPT`] issues in full with
//! the count of all of them; the quarantine file receives every rejected
//! row as it is found, on disk.
//!
//! Lines are counted as an editor counts them (the CSV header is line 1);
//! Parquet rows are numbered from 1.

pub mod cells;
pub mod check;
mod csv_reader;
mod jsonl_reader;
pub mod parallel;
mod parquet_reader;
pub mod quality;
pub mod quarantine;
pub mod validate;

use std::fmt;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use serde::Serialize;

use crate::error::EngineError;
use crate::source::{Format, SourceFile};
pub use check::{CheckOutcome, check};
use okapi_core::timezone::Zone;
use quality::{QualityAccumulator, TableQuality};
pub use quarantine::Quarantine;
pub use validate::{RawBatch, Validated, Validator};

/// Rows per batch handed from readers to validation and kernels.
pub const BATCH_ROWS: usize = 65_536;

/// Issues kept in full (in file order) by a load or a check; beyond them
/// only the count grows.
pub const MAX_ISSUES_KEPT: usize = 1_000;

/// The longest line of a text file (CSV, JSON lines), in bytes (1 MiB):
/// far above any real row.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Characters of a cell shown in an issue (the quarantine file's raw row
/// holds the whole value).
const MAX_VALUE_CHARS: usize = 200;

/// Where a row is in its file, or, in a database table, which row it is.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(into = "LocationJson")]
pub enum Location {
    /// Line in a text file (CSV, JSON lines), 1-based; the CSV header is line 1.
    Line(u64),
    /// Row of a Parquet file, 1-based.
    Row(u64),
    /// A database row, named by its key columns as a `WHERE` clause would
    /// (`subscription_id = 's-17'`); see
    /// [`okapi_core::data_model::Table::key_columns`].
    Key(String),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
            Location::Key(k) => write!(f, "row {k}"),
        }
    }
}

/// Where a row is: `{"kind": "line", "number": 5}` in a text file,
/// `{"kind": "row", "number": 3}` in a Parquet file, or
/// `{"kind": "key", "key": "deal_id = 'd-1'"}` in a database table.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(as = Location))]
pub enum LocationJson {
    /// Line in a text file (CSV, JSON lines), 1-based; the CSV header is line 1.
    Line { number: u64 },
    /// Row of a Parquet file, 1-based.
    Row { number: u64 },
    /// A database row, named by its key columns as a `WHERE` clause would.
    Key { key: String },
}

impl From<Location> for LocationJson {
    fn from(l: Location) -> LocationJson {
        match l {
            Location::Line(number) => LocationJson::Line { number },
            Location::Row(number) => LocationJson::Row { number },
            Location::Key(key) => LocationJson::Key { key },
        }
    }
}

/// One problem with one cell (or a whole row, when `column` is empty).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowIssue {
    pub file: String,
    #[cfg_attr(feature = "openapi", schema(value_type = LocationJson))]
    pub location: Location,
    pub column: String,
    pub value: String,
    pub reason: String,
}

impl fmt::Display for RowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.location)?;
        if !self.column.is_empty() {
            write!(f, ", column {}", self.column)?;
        }
        write!(f, ": {}", self.reason)?;
        if !self.value.is_empty() {
            write!(f, " (value `{}`)", self.value)?;
        }
        Ok(())
    }
}

/// The issues of a load: the first [`MAX_ISSUES_KEPT`] in full, and how
/// many issues and invalid rows there were in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Issues {
    kept: Vec<RowIssue>,
    total: u64,
    rows: u64,
    /// The row of the last issue counted, to count each invalid row once.
    last_row: Option<(String, Location)>,
}

impl Issues {
    pub fn new() -> Issues {
        Issues::default()
    }

    /// Counts `issue`, keeping it while fewer than [`MAX_ISSUES_KEPT`] are.
    /// Issues of one row come one after the other.
    pub fn push(&mut self, issue: RowIssue) {
        self.total += 1;
        if self
            .last_row
            .as_ref()
            .is_none_or(|(f, l)| (f.as_str(), l) != (issue.file.as_str(), &issue.location))
        {
            self.rows += 1;
            self.last_row = Some((issue.file.clone(), issue.location.clone()));
        }
        if self.kept.len() < MAX_ISSUES_KEPT {
            let mut issue = issue;
            if issue.value.chars().count() > MAX_VALUE_CHARS {
                issue.value = issue.value.chars().take(MAX_VALUE_CHARS).collect();
                issue.value.push('…');
            }
            self.kept.push(issue);
        }
    }

    /// Appends the issues of the rows that follow (a later file or part).
    pub fn append(&mut self, other: Issues) {
        self.total += other.total;
        self.rows += other.rows;
        let room = MAX_ISSUES_KEPT.saturating_sub(self.kept.len());
        self.kept.extend(other.kept.into_iter().take(room));
        if other.last_row.is_some() {
            self.last_row = other.last_row;
        }
    }

    /// The issues kept, in file order.
    pub fn kept(&self) -> &[RowIssue] {
        &self.kept
    }

    /// How many issues there were, kept or not.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// How many invalid rows there were (a row may have several issues).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Whether issues were left out of [`Issues::kept`].
    pub fn truncated(&self) -> bool {
        self.total > self.kept.len() as u64
    }

    /// The number of invalid rows, as for a list.
    pub fn len(&self) -> usize {
        usize::try_from(self.rows).unwrap_or(usize::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn first(&self) -> Option<&RowIssue> {
        self.kept.first()
    }

    /// Issues carried elsewhere: `kept` of `total` issues in `rows` rows.
    pub fn from_parts(kept: Vec<RowIssue>, total: u64, rows: u64) -> Issues {
        let last_row = kept.last().map(|i| (i.file.clone(), i.location.clone()));
        Issues {
            kept,
            total,
            rows,
            last_row,
        }
    }

    pub(crate) fn sort(&mut self) {
        self.kept.sort_by(|a, b| a.location.cmp(&b.location));
    }
}

impl Serialize for Issues {
    /// The issues kept, as a list.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.kept.serialize(s)
    }
}

/// A rejected row: its raw values and every issue found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    pub location: Location,
    pub values: Vec<(String, String)>,
    pub issues: Vec<RowIssue>,
}

/// One loaded table: its valid rows and its quality report.
#[derive(Debug, Clone)]
pub struct LoadedTable {
    pub source: SourceFile,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub quality: TableQuality,
}

impl LoadedTable {
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }
}

/// The outcome of reading one file batch by batch.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    pub issues: Issues,
}

/// Where rejected rows go as they are found (the quarantine file), or
/// nowhere.
pub type RejectSink<'a> = &'a mut dyn FnMut(&RejectedRow) -> Result<(), EngineError>;

/// Reads `file`, validating every batch and handing the valid rows of each
/// to `sink` and each rejected row to `rejects`, while `quality`
/// accumulates the report. Readers hand rows over in file order, so both
/// the issues and the rejected rows come in file order.
pub fn scan_file(
    file: &SourceFile,
    quality: &mut QualityAccumulator,
    sink: &mut dyn FnMut(&RecordBatch) -> Result<(), EngineError>,
    rejects: RejectSink<'_>,
) -> Result<ScanOutcome, EngineError> {
    scan_columns(file, None, quality, sink, rejects)
}

/// [`scan_file`] reading only the columns `only` where the source can
/// leave the others unread (a database table); other columns are NULL.
pub fn scan_columns(
    file: &SourceFile,
    only: Option<&[&str]>,
    quality: &mut QualityAccumulator,
    sink: &mut dyn FnMut(&RecordBatch) -> Result<(), EngineError>,
    rejects: RejectSink<'_>,
) -> Result<ScanOutcome, EngineError> {
    if !file.parts.is_empty() {
        // A partitioned table: its files one after the other, each one's
        // issues in its own order.
        let mut outcome = ScanOutcome::default();
        for part in file.files() {
            let o = scan_columns(&part, only, quality, sink, rejects)?;
            outcome.issues.append(o.issues);
        }
        return Ok(outcome);
    }
    let mut outcome = ScanOutcome::default();
    let mut handle = |v: Validated| -> Result<(), EngineError> {
        quality.add_issues(&v.issues);
        quality.add(&v.batch);
        for i in v.issues {
            outcome.issues.push(i);
        }
        for r in &v.rejected {
            rejects(r)?;
        }
        if v.batch.num_rows() > 0 {
            sink(&v.batch)?;
        }
        Ok(())
    };
    if file.format == Format::Postgres {
        crate::postgres::read(file, only, &mut handle)?;
        outcome.issues.sort();
        return Ok(outcome);
    }
    let meta = std::fs::metadata(&file.path).map_err(|source| EngineError::Io {
        path: file.path.clone(),
        source,
    })?;
    if meta.len() == 0 {
        return Err(EngineError::File {
            file: file.display_name(),
            reason: match file.format {
                Format::Csv => "file is empty (expected a header row)".into(),
                _ => "file is empty".into(),
            },
        });
    }
    match file.format {
        Format::Csv => csv_reader::read(file, &mut handle)?,
        Format::JsonLines => jsonl_reader::read(file, &mut handle)?,
        Format::Parquet => parquet_reader::read(file, &mut handle)?,
        Format::Postgres => {}
    }
    outcome.issues.sort();
    Ok(outcome)
}

/// Reads a whole table into memory, its quality report's days in `zone`.
pub fn load_table(
    file: &SourceFile,
    zone: Zone,
) -> Result<(LoadedTable, ScanOutcome), EngineError> {
    let mut quality = QualityAccumulator::new(file.table, file.display_name(), zone);
    let mut batches = Vec::new();
    let mut schema = None;
    let outcome = scan_file(
        file,
        &mut quality,
        &mut |b| {
            schema.get_or_insert_with(|| b.schema());
            batches.push(b.clone());
            Ok(())
        },
        &mut |_| Ok(()),
    )?;
    let schema = schema.unwrap_or_else(|| quality.schema_hint());
    Ok((
        LoadedTable {
            source: file.clone(),
            schema,
            batches,
            quality: quality.finish(),
        },
        outcome,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(file: &str, line: u64, column: &str) -> RowIssue {
        RowIssue {
            file: file.into(),
            location: Location::Line(line),
            column: column.into(),
            value: "v".repeat(300),
            reason: "bad".into(),
        }
    }

    #[test]
    fn issues_keep_the_first_thousand_and_count_them_all() {
        let mut a = Issues::new();
        // Lines 2 … 1,501 with two issues each: 3,000 issues, 1,500 rows.
        for line in 2..=1_501 {
            a.push(issue("a.csv", line, "mrr"));
            a.push(issue("a.csv", line, "plan"));
        }
        assert_eq!((a.total(), a.rows(), a.len()), (3_000, 1_500, 1_500));
        assert_eq!(a.kept().len(), MAX_ISSUES_KEPT);
        assert!(a.truncated());
        // The 1,000th issue kept is line 501's second (2 per line from
        // line 2: issues 999 and 1,000 are line 501's).
        assert_eq!(a.kept()[999].location, Location::Line(501));
        assert_eq!(a.kept()[999].column, "plan");
        // Values are cut at 200 characters for display.
        assert_eq!(a.kept()[0].value.chars().count(), 201);
        assert!(a.kept()[0].value.ends_with('…'));
        // A later file adds to the counts; nothing more is kept.
        let mut b = Issues::new();
        b.push(issue("b.csv", 2, "mrr"));
        a.append(b);
        assert_eq!((a.total(), a.rows()), (3_001, 1_501));
        assert_eq!(a.kept().len(), MAX_ISSUES_KEPT);
        // The same line number in another file is another row.
        let mut c = Issues::new();
        c.push(issue("a.csv", 2, "mrr"));
        c.push(issue("b.csv", 2, "mrr"));
        assert_eq!(c.rows(), 2);
        assert!(!c.truncated());
    }
}
