//! Finding a data directory's tables: one file per table, named after it,
//! as CSV (`.csv`), Parquet (`.parquet`) or JSON lines (`.jsonl`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use okapi_core::data_model::Table;

use crate::error::EngineError;

/// A file's format, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Parquet,
    JsonLines,
}

impl Format {
    /// The file extension of the format (`csv`, `parquet`, `jsonl`).
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
            Format::JsonLines => "jsonl",
        }
    }

    /// The format of a file extension (`ndjson` is JSON lines too).
    pub fn from_extension(ext: &str) -> Option<Format> {
        match ext {
            "csv" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// One table's file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub table: Table,
    pub path: PathBuf,
    pub format: Format,
}

impl SourceFile {
    /// The name shown in messages: the file name.
    pub fn display_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.path.display().to_string())
    }
}

/// The tables found in a data directory.
#[derive(Debug, Clone, Default)]
pub struct DataDir {
    pub root: PathBuf,
    pub files: BTreeMap<Table, SourceFile>,
}

impl DataDir {
    /// Lists the table files of `root`. Files of unknown names are ignored;
    /// two files for one table are an error naming both; `subscriptions`
    /// is required.
    pub fn open(root: &Path) -> Result<DataDir, EngineError> {
        if !root.exists() {
            return Err(EngineError::NoDirectory(root.to_path_buf()));
        }
        if !root.is_dir() {
            return Err(EngineError::NotADirectory(root.to_path_buf()));
        }
        let entries = std::fs::read_dir(root).map_err(|source| EngineError::Io {
            path: root.to_path_buf(),
            source,
        })?;
        let mut found: BTreeMap<Table, Vec<SourceFile>> = BTreeMap::new();
        for entry in entries {
            let entry = entry.map_err(|source| EngineError::Io {
                path: root.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let (Some(stem), Some(ext)) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|s| s.to_str()),
            ) else {
                continue;
            };
            let (Ok(table), Some(format)) = (stem.parse::<Table>(), Format::from_extension(ext))
            else {
                continue;
            };
            found.entry(table).or_default().push(SourceFile {
                table,
                path,
                format,
            });
        }
        let mut files = BTreeMap::new();
        for (table, mut v) in found {
            if v.len() > 1 {
                v.sort_by(|a, b| a.path.cmp(&b.path));
                return Err(EngineError::AmbiguousTable {
                    table: table.name().to_string(),
                    files: v.into_iter().map(|f| f.path).collect(),
                });
            }
            files.insert(table, v.remove(0));
        }
        if !files.contains_key(&Table::Subscriptions) {
            return Err(EngineError::NoSubscriptions(root.to_path_buf()));
        }
        Ok(DataDir {
            root: root.to_path_buf(),
            files,
        })
    }

    pub fn get(&self, table: Table) -> Option<&SourceFile> {
        self.files.get(&table)
    }
}
