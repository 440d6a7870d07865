//! Newline-delimited JSON: one object per line, `null` for NULL. Numbers
//! are read as their JSON text (`49.00` stays exact), so the CSV rules
//! apply to every value. Blank lines are skipped.
//!
//! Read as a stream, one batch of rows at a time, with every line in its
//! place in the file. A line longer than [`MAX_LINE_BYTES`] is refused
//! without being held. `accounts` keeps keys beyond the data model as
//! segment columns; their set is gathered by a first pass over the file
//! (keys only, at most [`super::validate::MAX_EXTRA_COLUMNS`] of them).
//! For other tables, extra keys are ignored, and a required column absent
//! from every line is found at the end of the one pass.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::Value;

use super::validate::{RawBatch, Validated, Validator, check_extra_columns};
use super::{BATCH_ROWS, Location, MAX_LINE_BYTES, RejectedRow, RowIssue};
use crate::error::EngineError;
use crate::source::SourceFile;

/// One line of the file.
enum Line {
    /// The line's text (without its end of line).
    Text(String),
    /// Longer than [`MAX_LINE_BYTES`]; its first bytes, lossily decoded.
    TooLong(String),
    /// Not UTF-8.
    NotUtf8,
}

/// Reads lines of at most [`MAX_LINE_BYTES`], never holding more.
struct Lines<R> {
    reader: R,
    buf: Vec<u8>,
}

impl<R: BufRead> Lines<R> {
    fn next_line(&mut self) -> std::io::Result<Option<Line>> {
        self.buf.clear();
        let mut too_long = false;
        let mut any = false;
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                break;
            }
            any = true;
            let (part, done) = match chunk.split(|&b| b == b'\n').next() {
                Some(line) if line.len() < chunk.len() => (line, Some(line.len() + 1)),
                _ => (chunk, None),
            };
            let room = MAX_LINE_BYTES.saturating_sub(self.buf.len());
            if part.len() > room {
                too_long = true;
            }
            self.buf
                .extend_from_slice(part.get(..part.len().min(room)).unwrap_or(part));
            let used = done.unwrap_or(chunk.len());
            self.reader.consume(used);
            if done.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if self.buf.last() == Some(&b'\r') && !too_long {
            self.buf.pop();
        }
        if too_long {
            let head: String =
                String::from_utf8_lossy(self.buf.get(..200).unwrap_or(&self.buf)).into_owned();
            return Ok(Some(Line::TooLong(head)));
        }
        Ok(Some(
            match String::from_utf8(std::mem::take(&mut self.buf)) {
                Ok(s) => Line::Text(s),
                Err(_) => Line::NotUtf8,
            },
        ))
    }
}

impl Lines<BufReader<std::fs::File>> {
    /// The next line; a read error is an error of the whole file.
    fn next(&mut self, file: &SourceFile) -> Result<Option<Line>, EngineError> {
        self.next_line().map_err(|source| EngineError::Io {
            path: file.path.clone(),
            source,
        })
    }
}

fn open(file: &SourceFile) -> Result<Lines<BufReader<std::fs::File>>, EngineError> {
    let f = std::fs::File::open(&file.path).map_err(|source| EngineError::Io {
        path: file.path.clone(),
        source,
    })?;
    Ok(Lines {
        reader: BufReader::with_capacity(1 << 16, f),
        buf: Vec::new(),
    })
}

/// What one line holds.
enum Parsed {
    Blank,
    Object(serde_json::Map<String, Value>),
    Bad(RowIssue),
}

fn parse_line(name: &str, line_no: u64, line: Line) -> Parsed {
    let text = match line {
        Line::Text(t) => t,
        Line::TooLong(head) => {
            return Parsed::Bad(issue(
                name,
                line_no,
                &head,
                &format!("line longer than {MAX_LINE_BYTES} bytes"),
            ));
        }
        Line::NotUtf8 => {
            return Parsed::Bad(issue(name, line_no, "", "malformed JSON: invalid UTF-8"));
        }
    };
    if text.trim().is_empty() {
        return Parsed::Blank;
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Parsed::Object(map),
        Ok(_) => Parsed::Bad(issue(name, line_no, &text, "not a JSON object")),
        Err(e) => {
            // serde_json counts lines within this one line: keep the column.
            let msg = e.to_string();
            let suffix = format!(" at line {} column {}", e.line(), e.column());
            let msg = msg.strip_suffix(&suffix).unwrap_or(&msg);
            Parsed::Bad(issue(
                name,
                line_no,
                &text,
                &format!("malformed JSON at character {}: {msg}", e.column()),
            ))
        }
    }
}

/// The first pass for `accounts`: the keys beyond the data model, in
/// order, refusing more than the cap.
fn extra_keys(file: &SourceFile) -> Result<Vec<String>, EngineError> {
    let name = file.display_name();
    let table = file.table;
    let mut lines = open(file)?;
    let mut extras: BTreeSet<String> = BTreeSet::new();
    let mut line_no = 0u64;
    while let Some(line) = lines.next(file)? {
        line_no += 1;
        if let Parsed::Object(map) = parse_line(&name, line_no, line) {
            for k in map.keys() {
                if table.column(k).is_none() && !extras.contains(k) {
                    extras.insert(k.clone());
                    let list: Vec<String> = extras.iter().cloned().collect();
                    check_extra_columns(&name, &list).map_err(|e| match e {
                        EngineError::File { file, reason } => EngineError::File {
                            file,
                            reason: format!("line {line_no}: {reason}"),
                        },
                        e => e,
                    })?;
                }
            }
        }
    }
    Ok(extras.into_iter().collect())
}

pub fn read(
    file: &SourceFile,
    handle: &mut dyn FnMut(Validated) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let name = file.display_name();
    let table = file.table;
    let extras = if table.keeps_extra_columns() {
        extra_keys(file)?
    } else {
        Vec::new()
    };
    let mut validator = Validator::new(table, name.clone(), extras.clone());
    let columns: Vec<String> = table
        .columns()
        .iter()
        .map(|c| c.name.to_string())
        .chain(extras)
        .collect();
    // Which of the data model's columns appeared as a key on some line.
    let mut present = vec![false; table.columns().len()];
    let mut any_object = false;
    let mut rows: Vec<(u64, serde_json::Map<String, Value>)> = Vec::with_capacity(1024);
    // Validates the rows gathered so far, then hands on `rejected` (a line
    // that is not an object), so that everything comes in file order.
    let mut flush = |rows: &mut Vec<(u64, serde_json::Map<String, Value>)>,
                     validator: &mut Validator,
                     rejected: Option<Validated>|
     -> Result<(), EngineError> {
        if !rows.is_empty() {
            flush_rows(rows, validator, &columns, handle)?;
        }
        match rejected {
            Some(v) => handle(v),
            None => Ok(()),
        }
    };
    let mut lines = open(file)?;
    let mut line_no = 0u64;
    while let Some(line) = lines.next(file)? {
        line_no += 1;
        match parse_line(&name, line_no, line) {
            Parsed::Blank => {}
            Parsed::Object(map) => {
                any_object = true;
                for (seen, c) in present.iter_mut().zip(table.columns()) {
                    *seen |= map.contains_key(c.name);
                }
                rows.push((line_no, map));
                if rows.len() >= BATCH_ROWS {
                    flush(&mut rows, &mut validator, None)?;
                }
            }
            Parsed::Bad(i) => {
                let v = Validated {
                    batch: RecordBatch::new_empty(validator.schema()),
                    rejected: vec![RejectedRow {
                        location: i.location.clone(),
                        values: vec![("line".into(), i.value.clone())],
                        issues: vec![i.clone()],
                    }],
                    issues: vec![i],
                };
                flush(&mut rows, &mut validator, Some(v))?;
            }
        }
    }
    flush(&mut rows, &mut validator, None)?;
    if any_object {
        let seen: Vec<String> = table
            .columns()
            .iter()
            .zip(&present)
            .filter(|(_, p)| **p)
            .map(|(c, _)| c.name.to_string())
            .collect();
        validator.require_columns(&seen)?;
    }
    Ok(())
}

/// Validates `rows` as one batch of text columns `columns`.
fn flush_rows(
    rows: &mut Vec<(u64, serde_json::Map<String, Value>)>,
    validator: &mut Validator,
    columns: &[String],
    handle: &mut dyn FnMut(Validated) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let mut builders: Vec<StringBuilder> = columns.iter().map(|_| StringBuilder::new()).collect();
    let mut locations = Vec::with_capacity(rows.len());
    for (line_no, map) in rows.drain(..) {
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
        locations.push(Location::Line(line_no));
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
    handle(validator.validate(raw)?)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(bytes: &[u8]) -> Vec<String> {
        // A small buffer, so that lines span many reads.
        let mut lines = Lines {
            reader: BufReader::with_capacity(7, bytes),
            buf: Vec::new(),
        };
        let mut out = Vec::new();
        while let Some(l) = lines.next_line().unwrap() {
            out.push(match l {
                Line::Text(t) => format!("text:{t}"),
                Line::TooLong(head) => format!("long:{}", head.len()),
                Line::NotUtf8 => "not utf-8".into(),
            });
        }
        out
    }

    #[test]
    fn lines_are_read_within_their_cap() {
        assert_eq!(
            lines_of(b"{\"a\":1}\r\n\n{\"b\":2}"),
            vec!["text:{\"a\":1}", "text:", "text:{\"b\":2}"]
        );
        assert_eq!(
            lines_of(b"ok\n\xff\xfe\nok\n"),
            vec!["text:ok", "not utf-8", "text:ok"]
        );
        // A line of MAX_LINE_BYTES + 1 bytes is too long; only its first
        // 200 bytes are kept for the message, and the next line reads.
        let mut big = vec![b'x'; MAX_LINE_BYTES + 1];
        big.extend(b"\nnext\n");
        assert_eq!(lines_of(&big), vec!["long:200", "text:next"]);
        // Exactly MAX_LINE_BYTES is fine.
        let exact = vec![b'y'; MAX_LINE_BYTES];
        assert_eq!(lines_of(&exact)[0].len(), "text:".len() + MAX_LINE_BYTES);
    }
}
