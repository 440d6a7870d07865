//! An events scan run in parts elsewhere (on a cluster's executors): each
//! part validates and scans the rows it is given, its state travels as
//! bytes, the parts are merged, and the caller finishes the whole.
//!
//! A part sees batches of the events columns as a query engine decodes
//! them from Parquet, not a file with numbered rows, so a bad row is named
//! by its key (`ts = '…' AND user_id = '…' AND event = '…'`), as for a
//! database table. Its issues travel with its state: the merged scan fails
//! with every invalid row counted, never with a number computed from the
//! rows that happened to be valid.
//!
//! On the wire a part is a small JSON header (rows, the instants the
//! events span, the issues) followed by the five parts of the saved state
//! ([`super::state`]) as Arrow IPC streams, each with its length.

use std::io::Cursor;
use std::path::Path;

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::ipc::reader::StreamReader;
use datafusion::arrow::ipc::writer::StreamWriter;
use datafusion::arrow::record_batch::RecordBatch;
use okapi_core::data_model::Table;
use serde::{Deserialize, Serialize};

use super::{EventOptions, EventsScan, state};
use crate::error::EngineError;
use crate::load::{Issues, Location, RawBatch, RowIssue, Validator};

/// The format of a part on the wire; another is refused.
const WIRE_VERSION: u32 = 1;

/// One part of an events scan.
pub struct PartialScan {
    scan: EventsScan,
    /// The validator of the columns given (built on the first batch,
    /// from its types).
    validator: Option<Validator>,
    issues: Issues,
}

/// What a part's header holds.
#[derive(Serialize, Deserialize)]
struct Header {
    version: u32,
    rows: u64,
    ts_range: Option<(i64, i64)>,
    issues: Vec<WireIssue>,
    issues_total: u64,
    issue_rows: u64,
}

#[derive(Serialize, Deserialize)]
struct WireIssue {
    file: String,
    key: String,
    column: String,
    value: String,
    reason: String,
}

impl PartialScan {
    pub fn new(opts: EventOptions) -> PartialScan {
        PartialScan {
            scan: EventsScan::new(opts),
            validator: None,
            issues: Issues::new(),
        }
    }

    /// The events columns a part is given: what the scan reads and the key
    /// columns that name a bad row, in the table's order, of those in
    /// `present` (the table's columns).
    pub fn columns(opts: &EventOptions, present: &[String]) -> Vec<&'static str> {
        let read = opts.columns();
        Table::Events
            .columns()
            .iter()
            .map(|c| c.name)
            .filter(|c| read.contains(c) || Table::Events.key_columns().contains(c))
            .filter(|c| present.iter().any(|p| p == c))
            .collect()
    }

    /// Validates the rows of `columns` (named `names`, as
    /// [`PartialScan::columns`] gives them) and scans the valid ones.
    pub fn add(&mut self, names: &[String], columns: &[ArrayRef]) -> Result<(), EngineError> {
        if names.len() != columns.len() {
            return Err(EngineError::File {
                file: "events".into(),
                reason: format!(
                    "{} columns given for {} names ({})",
                    columns.len(),
                    names.len(),
                    names.join(", ")
                ),
            });
        }
        let validator = match &mut self.validator {
            Some(v) => v,
            None => {
                let fields: Vec<(String, DataType)> = names
                    .iter()
                    .zip(columns)
                    .map(|(n, c)| (n.clone(), c.data_type().clone()))
                    .collect();
                let mut v = Validator::new(Table::Events, "events".into(), Vec::new());
                v.check_types(&fields)?;
                v.name_rows_by_key();
                let read: Vec<&str> = self.scan.opts.columns();
                v.only_columns(&read, &[]);
                self.validator.insert(v)
            }
        };
        let n = columns.first().map_or(0, |c| c.len());
        let raw = RawBatch {
            columns: names.iter().cloned().zip(columns.iter().cloned()).collect(),
            locations: (1..=n as u64).map(Location::Row).collect(),
        };
        let valid = validator.validate(raw)?;
        for issue in valid.issues {
            self.issues.push(issue);
        }
        if valid.batch.num_rows() > 0 {
            self.scan.add(&valid.batch);
        }
        Ok(())
    }

    /// Folds in another part over other rows.
    pub fn merge(&mut self, other: PartialScan) {
        self.scan.merge(other.scan);
        self.issues.append(other.issues);
    }

    /// The part as bytes, for [`PartialScan::from_bytes`].
    pub fn to_bytes(&mut self) -> Result<Vec<u8>, EngineError> {
        self.scan.finish();
        let header = Header {
            version: WIRE_VERSION,
            rows: self.scan.rows,
            ts_range: self.scan.ts_range,
            issues: self
                .issues
                .kept()
                .iter()
                .map(|i| WireIssue {
                    file: i.file.clone(),
                    key: match &i.location {
                        Location::Key(k) => k.clone(),
                        other => other.to_string(),
                    },
                    column: i.column.clone(),
                    value: i.value.clone(),
                    reason: i.reason.clone(),
                })
                .collect(),
            issues_total: self.issues.total(),
            issue_rows: self.issues.rows(),
        };
        let header = serde_json::to_vec(&header).map_err(|e| wire(e.to_string()))?;
        let mut out = Vec::new();
        push_chunk(&mut out, &header);
        for batch in state::to_batches(&self.scan)? {
            let mut buf = Vec::new();
            let mut w = StreamWriter::try_new(&mut buf, &batch.schema())?;
            w.write(&batch)?;
            w.finish()?;
            drop(w);
            push_chunk(&mut out, &buf);
        }
        Ok(out)
    }

    /// A part sent by [`PartialScan::to_bytes`], scanned with `opts`.
    pub fn from_bytes(opts: &EventOptions, bytes: &[u8]) -> Result<PartialScan, EngineError> {
        let mut rest = bytes;
        let header = take_chunk(&mut rest)?;
        let header: Header =
            serde_json::from_slice(header).map_err(|e| wire(format!("its header: {e}")))?;
        if header.version != WIRE_VERSION {
            return Err(wire(format!(
                "format {} (this okapi reads format {WIRE_VERSION}: run the same version everywhere)",
                header.version
            )));
        }
        let mut parts: [Vec<RecordBatch>; 5] = Default::default();
        for part in parts.iter_mut() {
            let chunk = take_chunk(&mut rest)?;
            let reader =
                StreamReader::try_new(Cursor::new(chunk), None).map_err(|e| wire(e.to_string()))?;
            *part = reader
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| wire(e.to_string()))?;
        }
        let scan = state::restore(opts, Path::new(""), parts, header.rows, header.ts_range)?;
        let kept = header
            .issues
            .into_iter()
            .map(|i| RowIssue {
                file: i.file,
                location: Location::Key(i.key),
                column: i.column,
                value: i.value,
                reason: i.reason,
            })
            .collect();
        Ok(PartialScan {
            scan,
            validator: None,
            issues: Issues::from_parts(kept, header.issues_total, header.issue_rows),
        })
    }

    /// The whole scan, once every part is merged in: an error listing the
    /// invalid rows if there were any.
    pub fn finish(self) -> Result<EventsScan, EngineError> {
        let PartialScan {
            mut scan,
            mut issues,
            ..
        } = self;
        if !issues.is_empty() {
            issues.sort();
            return Err(EngineError::InvalidRows(issues));
        }
        scan.finish();
        scan.check().map_err(|e| EngineError::File {
            file: "events".into(),
            reason: e.to_string(),
        })?;
        Ok(scan)
    }
}

/// Checks the events table's `schema` (required columns, types) as a
/// local scan would, before a cluster scans it.
pub fn check_schema(schema: &Schema) -> Result<(), EngineError> {
    Validator::for_schema(Table::Events, "events".into(), schema).map(|_| ())
}

fn wire(why: String) -> EngineError {
    EngineError::File {
        file: "events".into(),
        reason: format!("a part of the events scan sent by an executor is unreadable ({why})"),
    }
}

fn push_chunk(out: &mut Vec<u8>, chunk: &[u8]) {
    out.extend_from_slice(&(chunk.len() as u64).to_le_bytes());
    out.extend_from_slice(chunk);
}

fn take_chunk<'a>(rest: &mut &'a [u8]) -> Result<&'a [u8], EngineError> {
    let (len, tail) = rest
        .split_first_chunk::<8>()
        .ok_or_else(|| wire("it ends early".into()))?;
    let len = usize::try_from(u64::from_le_bytes(*len)).map_err(|e| wire(e.to_string()))?;
    if tail.len() < len {
        return Err(wire("it ends early".into()));
    }
    let (chunk, tail) = tail.split_at(len);
    *rest = tail;
    Ok(chunk)
}
