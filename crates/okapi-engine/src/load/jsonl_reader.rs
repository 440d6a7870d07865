//! Newline-delimited JSON: one object per line, `null` for NULL. Numbers
//! are read as their JSON text (`49.00` stays exact), so the CSV rules
//! apply to every value. Blank lines are skipped.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::Value;

use super::validate::{RawBatch, Validated, Validator};
use super::{BATCH_ROWS, Location, RejectedRow, RowIssue};
use crate::error::EngineError;
use crate::source::SourceFile;

pub fn read(
    file: &SourceFile,
    handle: &mut dyn FnMut(Validated) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let name = file.display_name();
    let f = std::fs::File::open(&file.path).map_err(|source| EngineError::Io {
        path: file.path.clone(),
        source,
    })?;
    let table = file.table;
    // JSON lines files are read whole: the set of keys (and so of extra
    // segment columns) is known only at the end.
    let mut rows: Vec<(u64, serde_json::Map<String, Value>)> = Vec::new();
    let mut bad: Vec<RowIssue> = Vec::new();
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line_no = i as u64 + 1;
        let line = match line {
            Ok(l) => l,
            Err(e) => {
                bad.push(issue(
                    &name,
                    line_no,
                    "",
                    &format!("cannot read the line: {e}"),
                ));
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(map)) => {
                keys.extend(map.keys().cloned());
                rows.push((line_no, map));
            }
            Ok(_) => bad.push(issue(&name, line_no, &line, "not a JSON object")),
            Err(e) => {
                // serde_json counts lines within this one line: keep the column.
                let msg = e.to_string();
                let suffix = format!(" at line {} column {}", e.line(), e.column());
                let msg = msg.strip_suffix(&suffix).unwrap_or(&msg);
                bad.push(issue(
                    &name,
                    line_no,
                    &line,
                    &format!("malformed JSON at character {}: {msg}", e.column()),
                ))
            }
        }
    }
    let extras: Vec<String> = if table.keeps_extra_columns() {
        keys.iter()
            .filter(|k| table.column(k).is_none())
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    let mut validator = Validator::new(table, name.clone(), extras.clone());
    if !rows.is_empty() {
        validator.require_columns(&keys.iter().cloned().collect::<Vec<_>>())?;
    }
    let columns: Vec<String> = table
        .columns()
        .iter()
        .map(|c| c.name.to_string())
        .chain(extras)
        .collect();
    for chunk in rows.chunks(BATCH_ROWS) {
        let mut builders: Vec<StringBuilder> =
            columns.iter().map(|_| StringBuilder::new()).collect();
        let mut locations = Vec::with_capacity(chunk.len());
        for (line_no, map) in chunk {
            for (c, b) in columns.iter().zip(builders.iter_mut()) {
                match map.get(c) {
                    None | Some(Value::Null) => b.append_null(),
                    Some(Value::String(s)) if s.is_empty() => b.append_null(),
                    Some(Value::String(s)) => b.append_value(s),
                    Some(Value::Number(n)) => b.append_value(n.to_string()),
                    Some(Value::Bool(x)) => b.append_value(x.to_string()),
                    // Nested values cannot be a cell; their text fails the
                    // column's type check with the value shown.
                    Some(other) => b.append_value(other.to_string()),
                }
            }
            locations.push(Location::Line(*line_no));
        }
        let raw = RawBatch {
            columns: columns
                .iter()
                .cloned()
                .zip(
                    builders
                        .iter_mut()
                        .map(|b| Arc::new(b.finish()) as ArrayRef),
                )
                .collect(),
            locations,
        };
        handle(validator.validate(raw)?)?;
    }
    for i in bad {
        handle(Validated {
            batch: RecordBatch::new_empty(validator.schema()),
            rejected: vec![RejectedRow {
                location: i.location,
                values: vec![("line".into(), i.value.clone())],
                issues: vec![i.clone()],
            }],
            issues: vec![i],
        })?;
    }
    Ok(())
}

fn issue(file: &str, line: u64, value: &str, reason: &str) -> RowIssue {
    RowIssue {
        file: file.to_string(),
        location: Location::Line(line),
        column: String::new(),
        value: value.chars().take(200).collect(),
        reason: reason.to_string(),
    }
}
