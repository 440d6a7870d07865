//! CSV with a header row. Lines are counted as an editor counts them: the
//! header is line 1, a quoted field spanning lines moves the count on.
//!
//! Read as a stream: one batch of rows is held at a time, and a row the
//! reader itself rejects (wrong number of fields, bad UTF-8) is handed on
//! in its place in the file, after the rows before it. A physical line
//! longer than [`MAX_LINE_BYTES`] refuses the file before it is held, as
//! does any error reading it: a file read only in part is never loaded.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringBuilder};
use datafusion::arrow::record_batch::RecordBatch;

use super::validate::{RawBatch, Validated, Validator};
use super::{BATCH_ROWS, Location, MAX_LINE_BYTES, RejectedRow, RowIssue};
use crate::error::EngineError;
use crate::source::SourceFile;

pub fn read(
    file: &SourceFile,
    handle: &mut dyn FnMut(Validated) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let name = file.display_name();
    let file_err = |reason: String| EngineError::File {
        file: name.clone(),
        reason,
    };
    let f = std::fs::File::open(&file.path).map_err(|source| EngineError::Io {
        path: file.path.clone(),
        source,
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(LineCap::new(f));
    let file_len = std::fs::metadata(&file.path)
        .map_err(|source| EngineError::Io {
            path: file.path.clone(),
            source,
        })?
        .len();
    let mut rec = csv::StringRecord::new();
    let has_header = rdr
        .read_record(&mut rec)
        .map_err(|e| file_err(format!("line 1: cannot read the header: {e}")))?;
    if !has_header {
        return Err(file_err("file is empty (expected a header row)".into()));
    }
    let header: Vec<String> = rec
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                h
            };
            h.trim().to_string()
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for h in &header {
        if !seen.insert(h.as_str()) {
            return Err(file_err(format!(
                "line 1: column `{h}` appears twice in the header"
            )));
        }
    }
    let table = file.table;
    let extras: Vec<String> = if table.keeps_extra_columns() {
        header
            .iter()
            .filter(|h| table.column(h).is_none() && !h.is_empty())
            .cloned()
            .collect()
    } else {
        Vec::new()
    };
    // Which header positions we keep, and under which name.
    let kept: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .filter(|(_, h)| table.column(h).is_some() || extras.contains(h))
        .map(|(i, h)| (i, h.clone()))
        .collect();
    super::validate::check_extra_columns(&name, &extras)?;
    let mut validator = Validator::new(table, name.clone(), extras);
    validator.require_columns(&header).map_err(|e| match e {
        EngineError::File { file, reason } => EngineError::File {
            file,
            reason: format!("line 1 (header): {reason}"),
        },
        e => e,
    })?;

    let new_builders =
        || -> Vec<StringBuilder> { kept.iter().map(|_| StringBuilder::new()).collect() };
    let mut builders = new_builders();
    let mut locations: Vec<Location> = Vec::with_capacity(BATCH_ROWS);
    // Validates the rows gathered so far, then hands on `rejected` (a row
    // the reader refused), so that everything comes in file order.
    let mut flush = |builders: &mut Vec<StringBuilder>,
                     locations: &mut Vec<Location>,
                     validator: &mut Validator,
                     rejected: Option<Validated>|
     -> Result<(), EngineError> {
        if !locations.is_empty() {
            let columns: Vec<(String, ArrayRef)> = kept
                .iter()
                .zip(builders.iter_mut())
                .map(|((_, n), b)| (n.clone(), Arc::new(b.finish()) as ArrayRef))
                .collect();
            let raw = RawBatch {
                columns,
                locations: std::mem::take(locations),
            };
            handle(validator.validate(raw)?)?;
        }
        match rejected {
            Some(v) => handle(v),
            None => Ok(()),
        }
    };
    loop {
        match rdr.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {
                let line = rec.position().map(|p| p.line()).unwrap_or(0);
                // The csv crate ends a quoted field left open at the end of
                // the file: the last record is checked for it.
                if rdr.position().byte() >= file_len
                    && let Some(start) = rec.position().map(|p| p.byte())
                    && let Some(field) = unclosed_quote(&file.path, start)
                {
                    let column = header.get(field).cloned().unwrap_or_default();
                    let value = rec.get(field).unwrap_or("");
                    let first_line = value.lines().next().unwrap_or("");
                    let issue = RowIssue {
                        file: name.clone(),
                        location: Location::Line(line),
                        column,
                        value: if first_line.len() < value.len() {
                            format!("\"{first_line}…")
                        } else {
                            format!("\"{value}")
                        },
                        reason: "malformed CSV: unterminated quoted field (the quote is never \
                                 closed, so the rest of the file was read into this field)"
                            .into(),
                    };
                    let v = row_issue(&validator, issue, &header, &rec);
                    flush(&mut builders, &mut locations, &mut validator, Some(v))?;
                    continue;
                }
                if rec.len() != header.len() {
                    let detail = if rec.len() < header.len() {
                        format!(
                            "no value for {}",
                            header.get(rec.len()..).unwrap_or_default().join(", ")
                        )
                    } else {
                        format!("{} more than the header", rec.len() - header.len())
                    };
                    let issue = RowIssue {
                        file: name.clone(),
                        location: Location::Line(line),
                        column: String::new(),
                        value: rec.iter().collect::<Vec<_>>().join(","),
                        reason: format!(
                            "wrong number of fields: expected {} (as in the header), found {} \
                             ({detail})",
                            header.len(),
                            rec.len()
                        ),
                    };
                    let v = row_issue(&validator, issue, &header, &rec);
                    flush(&mut builders, &mut locations, &mut validator, Some(v))?;
                    continue;
                }
                for ((i, _), b) in kept.iter().zip(builders.iter_mut()) {
                    // Every record has the header's length (checked above).
                    let v = rec.get(*i).unwrap_or_default();
                    if v.is_empty() {
                        b.append_null()
                    } else {
                        b.append_value(v)
                    }
                }
                locations.push(Location::Line(line));
                if locations.len() >= BATCH_ROWS {
                    flush(&mut builders, &mut locations, &mut validator, None)?;
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                if let csv::ErrorKind::Io(io) = e.kind() {
                    return Err(file_err(format!("cannot be read: {io}")));
                }
                let reason = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => "malformed CSV: invalid UTF-8".to_string(),
                    _ => format!("malformed CSV: {e}"),
                };
                let issue = RowIssue {
                    file: name.clone(),
                    location: Location::Line(line),
                    column: String::new(),
                    value: String::new(),
                    reason,
                };
                let v = row_issue(&validator, issue, &header, &rec);
                flush(&mut builders, &mut locations, &mut validator, Some(v))?;
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
            }
        }
    }
    flush(&mut builders, &mut locations, &mut validator, None)?;
    Ok(())
}

/// Passes bytes through, failing once a physical line grows past
/// [`MAX_LINE_BYTES`], so that no line is ever held whole beyond it.
struct LineCap<R> {
    inner: R,
    /// Bytes since the last end of line.
    run: usize,
    /// Lines ended so far.
    lines: u64,
}

impl<R> LineCap<R> {
    fn new(inner: R) -> LineCap<R> {
        LineCap {
            inner,
            run: 0,
            lines: 0,
        }
    }
}

impl<R: std::io::Read> std::io::Read for LineCap<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for &b in buf.get(..n).unwrap_or_default() {
            if b == b'\n' {
                self.lines += 1;
                self.run = 0;
            } else {
                self.run += 1;
                if self.run > MAX_LINE_BYTES {
                    return Err(std::io::Error::other(format!(
                        "line {} is longer than {MAX_LINE_BYTES} bytes",
                        self.lines + 1
                    )));
                }
            }
        }
        Ok(n)
    }
}

/// Whether the record starting at byte `start` of `path` and running to
/// the end of the file leaves a quoted field open; returns that field's
/// index. Follows the csv crate's rules: a quote opens a field only at its
/// start, `""` inside it is a quote, and text after the closing quote is
/// kept as is.
fn unclosed_quote(path: &std::path::Path, start: u64) -> Option<usize> {
    use std::io::{BufRead, BufReader, Seek, SeekFrom};
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut f = std::fs::File::open(path).ok()?;
    f.seek(SeekFrom::Start(start)).ok()?;
    let mut r = BufReader::new(f);
    let mut state = State::FieldStart;
    let mut field = 0;
    loop {
        let buf = r.fill_buf().ok()?;
        if buf.is_empty() {
            break;
        }
        for &b in buf {
            state = match (state, b) {
                (State::Quoted, b'"') => State::QuoteInQuoted,
                (State::Quoted, _) => State::Quoted,
                (State::QuoteInQuoted, b'"') => State::Quoted,
                (State::FieldStart, b'"') => State::Quoted,
                (_, b',') => {
                    field += 1;
                    State::FieldStart
                }
                // Blank lines before the record are skipped, as the csv
                // crate does.
                (State::FieldStart, b'\n' | b'\r') if field == 0 => State::FieldStart,
                (_, b'\n' | b'\r') => return None,
                _ => State::Unquoted,
            };
        }
        let n = buf.len();
        r.consume(n);
    }
    (state == State::Quoted).then_some(field)
}

/// A row rejected by the reader itself (before any cell was parsed).
fn row_issue(
    validator: &Validator,
    issue: RowIssue,
    header: &[String],
    rec: &csv::StringRecord,
) -> Validated {
    let values = header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.clone(), rec.get(i).unwrap_or("").to_string()))
        .collect();
    Validated {
        batch: RecordBatch::new_empty(validator.schema()),
        rejected: vec![RejectedRow {
            location: issue.location.clone(),
            values,
            issues: vec![issue.clone()],
        }],
        issues: vec![issue],
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn line_cap_passes_short_lines_and_stops_a_long_one() {
        let mut ok = String::new();
        LineCap::new("a,b\n1,2\n".as_bytes())
            .read_to_string(&mut ok)
            .unwrap();
        assert_eq!(ok, "a,b\n1,2\n");
        // Line 2 holds MAX_LINE_BYTES + 1 bytes.
        let mut text = b"a,b\n".to_vec();
        text.extend(vec![b'x'; MAX_LINE_BYTES + 1]);
        let e = LineCap::new(text.as_slice())
            .read_to_end(&mut Vec::new())
            .unwrap_err();
        assert_eq!(e.to_string(), "line 2 is longer than 1048576 bytes");
    }
}
