//! Loading a data directory: reading each table's file (CSV, JSON lines or
//! Parquet), checking every row against the data model, and collecting a
//! data-quality report.
//!
//! Nothing is silently dropped or guessed: every row that breaks the
//! contract is reported as a [`RowIssue`] (file, line or row, column, value,
//! reason). By default any issue refuses the load
//! ([`EngineError::InvalidRows`]); with [`OnInvalid::Quarantine`] the valid
//! rows load and the rejected ones are returned for the quarantine file.
//!
//! Lines are counted as an editor counts them (the CSV header is line 1);
//! Parquet rows are numbered from 1.

pub mod cells;
mod csv_reader;
mod jsonl_reader;
pub mod parallel;
mod parquet_reader;
pub mod quality;
pub mod validate;

use std::collections::BTreeMap;
use std::fmt;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use okapi_core::data_model::Table;
use serde::Serialize;

use crate::error::EngineError;
use crate::source::{DataDir, Format, SourceFile};
use quality::{QualityAccumulator, TableQuality};
pub use validate::{RawBatch, Validated, Validator};

/// Rows per batch handed from readers to validation and kernels.
pub const BATCH_ROWS: usize = 65_536;

/// Where a row is in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", content = "number", rename_all = "lowercase")]
pub enum Location {
    /// Line in a text file (CSV, JSON lines), 1-based; the CSV header is line 1.
    Line(u64),
    /// Row of a Parquet file, 1-based.
    Row(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// One problem with one cell (or a whole row, when `column` is empty).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowIssue {
    pub file: String,
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

/// A rejected row: its raw values and every issue found in it.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    pub location: Location,
    pub values: Vec<(String, String)>,
    pub issues: Vec<RowIssue>,
}

/// What to do with invalid rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// Refuse the whole load (the default).
    Refuse,
    /// Load the valid rows; return the rejected ones.
    Quarantine,
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
    pub issues: Vec<RowIssue>,
    pub rejected: Vec<RejectedRow>,
}

/// Reads `file`, validating every batch and handing the valid rows of each
/// to `sink`, while `quality` accumulates the report.
pub fn scan_file(
    file: &SourceFile,
    quality: &mut QualityAccumulator,
    sink: &mut dyn FnMut(&RecordBatch) -> Result<(), EngineError>,
) -> Result<ScanOutcome, EngineError> {
    let mut outcome = ScanOutcome::default();
    let mut handle = |v: Validated| -> Result<(), EngineError> {
        quality.add_issues(&v.issues);
        quality.add(&v.batch);
        outcome.issues.extend(v.issues);
        outcome.rejected.extend(v.rejected);
        if v.batch.num_rows() > 0 {
            sink(&v.batch)?;
        }
        Ok(())
    };
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
    }
    // Readers report some rows (malformed lines) after the others: list
    // them in file order.
    outcome.issues.sort_by_key(|i| i.location);
    outcome.rejected.sort_by_key(|r| r.location);
    Ok(outcome)
}

/// Reads a whole table into memory.
pub fn load_table(file: &SourceFile) -> Result<(LoadedTable, ScanOutcome), EngineError> {
    let mut quality = QualityAccumulator::new(file.table, file.display_name());
    let mut batches = Vec::new();
    let mut schema = None;
    let outcome = scan_file(file, &mut quality, &mut |b| {
        schema.get_or_insert_with(|| b.schema());
        batches.push(b.clone());
        Ok(())
    })?;
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

/// Every table of a data directory, loaded (the `events` table is only
/// scanned for its report unless `keep_events`).
#[derive(Debug, Clone, Default)]
pub struct LoadedData {
    pub tables: BTreeMap<Table, LoadedTable>,
    pub issues: Vec<RowIssue>,
    pub rejected: Vec<RejectedRow>,
}

/// Loads every table of `dir`. With [`OnInvalid::Refuse`], any invalid row
/// fails the load with every issue found.
pub fn load_dir(
    dir: &DataDir,
    on_invalid: OnInvalid,
    tables: &[Table],
) -> Result<LoadedData, EngineError> {
    let mut out = LoadedData::default();
    for (table, file) in &dir.files {
        if !tables.contains(table) {
            continue;
        }
        let (loaded, outcome) = load_table(file)?;
        out.issues.extend(outcome.issues);
        out.rejected.extend(outcome.rejected);
        out.tables.insert(*table, loaded);
    }
    if on_invalid == OnInvalid::Refuse && !out.issues.is_empty() {
        return Err(EngineError::InvalidRows(std::mem::take(&mut out.issues)));
    }
    Ok(out)
}

/// Writes rejected rows to a quarantine CSV: `file,location,column,value,reason,row`
/// where `row` is the raw row as a JSON object.
pub fn write_quarantine(
    path: &std::path::Path,
    rejected: &[RejectedRow],
) -> Result<(), EngineError> {
    let werr = |e: &dyn fmt::Display| EngineError::Write {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    let tmp = path.with_extension("tmp-quarantine");
    {
        let mut w = csv::Writer::from_path(&tmp).map_err(|e| werr(&e))?;
        w.write_record(["file", "location", "column", "value", "reason", "row"])
            .map_err(|e| werr(&e))?;
        for r in rejected {
            let row: serde_json::Map<String, serde_json::Value> = r
                .values
                .iter()
                .map(|(k, v)| {
                    let v = if v.is_empty() {
                        serde_json::Value::Null
                    } else {
                        serde_json::Value::String(v.clone())
                    };
                    (k.clone(), v)
                })
                .collect();
            let row = serde_json::Value::Object(row).to_string();
            for i in &r.issues {
                w.write_record([
                    i.file.as_str(),
                    &i.location.to_string(),
                    &i.column,
                    &i.value,
                    &i.reason,
                    &row,
                ])
                .map_err(|e| werr(&e))?;
            }
        }
        w.flush().map_err(|e| werr(&e))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| werr(&e))
}
