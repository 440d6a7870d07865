//! The quarantine file: every rejected row, with its reasons, as CSV
//! `file,location,column,value,reason,row` (`row` is the raw row as a JSON
//! object; a row with several issues has one line per issue).
//!
//! Rows are written as the readers find them, so the file holds every
//! rejected row however many there are, without holding them in memory.
//! It is written beside its destination and renamed into place by
//! [`Quarantine::commit`]; dropped without a commit (a file that cannot be
//! read, say), it leaves nothing behind.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::RejectedRow;
use crate::error::EngineError;

/// A quarantine file being written.
pub struct Quarantine {
    path: PathBuf,
    tmp: PathBuf,
    writer: Option<csv::Writer<File>>,
    rows: u64,
}

impl Quarantine {
    /// Starts the quarantine file `path` (its header written).
    pub fn create(path: &Path) -> Result<Quarantine, EngineError> {
        let mut name = path.file_name().unwrap_or_default().to_os_string();
        name.push(".partial");
        let tmp = path.with_file_name(name);
        let mut q = Quarantine {
            path: path.to_path_buf(),
            writer: None,
            tmp,
            rows: 0,
        };
        let mut w = csv::Writer::from_path(&q.tmp).map_err(|e| q.error(&e))?;
        w.write_record(["file", "location", "column", "value", "reason", "row"])
            .map_err(|e| q.error(&e))?;
        q.writer = Some(w);
        Ok(q)
    }

    fn error(&self, e: &dyn std::fmt::Display) -> EngineError {
        EngineError::Write {
            path: self.path.clone(),
            reason: e.to_string(),
        }
    }

    /// Appends one rejected row.
    pub fn write(&mut self, r: &RejectedRow) -> Result<(), EngineError> {
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
        let result = match self.writer.as_mut() {
            Some(w) => r.issues.iter().try_for_each(|i| {
                w.write_record([
                    i.file.as_str(),
                    &i.location.to_string(),
                    &i.column,
                    &i.value,
                    &i.reason,
                    &row,
                ])
            }),
            None => return Err(self.error(&"already closed")),
        };
        result.map_err(|e| self.error(&e))?;
        self.rows += 1;
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Finishes the file and moves it into place; returns the rows written.
    pub fn commit(mut self) -> Result<u64, EngineError> {
        if let Some(mut w) = self.writer.take() {
            w.flush().map_err(|e| self.error(&e))?;
        }
        std::fs::rename(&self.tmp, &self.path).map_err(|e| self.error(&e))?;
        Ok(self.rows)
    }
}

impl Drop for Quarantine {
    fn drop(&mut self) {
        // Not committed: nothing is left behind. (A committed file was
        // renamed away, so there is nothing to remove.)
        if self.writer.take().is_some() || self.tmp.exists() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Location, RowIssue};

    fn rejected(line: u64, issues: &[(&str, &str)]) -> RejectedRow {
        RejectedRow {
            location: Location::Line(line),
            values: vec![("mrr".into(), "-5".into()), ("plan".into(), String::new())],
            issues: issues
                .iter()
                .map(|(column, reason)| RowIssue {
                    file: "subscriptions.csv".into(),
                    location: Location::Line(line),
                    column: column.to_string(),
                    value: "-5".into(),
                    reason: reason.to_string(),
                })
                .collect(),
        }
    }

    #[test]
    fn writes_one_line_per_issue_and_appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.csv");
        let mut q = Quarantine::create(&path).unwrap();
        q.write(&rejected(3, &[("mrr", "negative money")])).unwrap();
        q.write(&rejected(5, &[("mrr", "negative money"), ("plan", "x")]))
            .unwrap();
        assert!(!path.exists(), "visible before commit");
        assert_eq!(q.commit().unwrap(), 2);
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4, "{text}");
        assert_eq!(lines[0], "file,location,column,value,reason,row");
        assert_eq!(
            lines[1],
            r#"subscriptions.csv,line 3,mrr,-5,negative money,"{""mrr"":""-5"",""plan"":null}""#
        );
        assert!(lines[3].starts_with("subscriptions.csv,line 5,plan,"));
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn dropped_without_commit_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.csv");
        let mut q = Quarantine::create(&path).unwrap();
        q.write(&rejected(3, &[("mrr", "negative money")])).unwrap();
        drop(q);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
