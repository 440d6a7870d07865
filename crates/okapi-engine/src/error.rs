//! The engine's error type.

use std::path::PathBuf;

use crate::load::Issues;

/// Why the engine could not load data or compute KPIs.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("data directory {0} does not exist")]
    NoDirectory(PathBuf),
    #[error("{0} is not a directory")]
    NotADirectory(PathBuf),
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "no subscriptions table in {0} (expected subscriptions.csv, subscriptions.parquet or subscriptions.jsonl)"
    )]
    NoSubscriptions(PathBuf),
    #[error("several files for table {table}: {}; keep exactly one", .files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(" and "))]
    AmbiguousTable { table: String, files: Vec<PathBuf> },
    /// A problem with a whole file (empty, unreadable, missing column, wrong column type).
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    /// Rows that break the data model; nothing was computed. The first
    /// issues are kept in full, with the count of all.
    #[error("{} invalid row(s); first: {}", .0.rows(), .0.first().map(|i| i.to_string()).unwrap_or_default())]
    InvalidRows(Issues),
    #[error("{0}")]
    Segment(String),
    #[error("custom KPI `{id}`: {reason}")]
    CustomKpi { id: String, reason: String },
    /// A range of periods refused (outside the date window, too long).
    #[error(transparent)]
    Range(#[from] okapi_core::period::RangeError),
    /// Money sums too large to hold exactly.
    #[error(transparent)]
    Money(#[from] okapi_core::mrr::MoneyOverflow),
    #[error("query engine: {0}")]
    Query(String),
    /// A custom KPI's SQL refused before it ran.
    #[error(transparent)]
    SqlRefused(#[from] crate::compute::sql::SqlRefused),
    /// A data URL that cannot be read.
    #[error("data URL: {reason}")]
    DataUrl { reason: String },
    /// A database that holds the data cannot be reached or read (the
    /// message names it without its password).
    #[error("{database}: {reason}")]
    Database { database: String, reason: String },
    /// No `subscriptions` table in a database schema.
    #[error("no subscriptions table in {0}")]
    NoSubscriptionsTable(String),
    #[error("cannot write {path}: {reason}")]
    Write { path: PathBuf, reason: String },
}

impl From<datafusion::error::DataFusionError> for EngineError {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        EngineError::Query(e.to_string())
    }
}

impl From<datafusion::arrow::error::ArrowError> for EngineError {
    fn from(e: datafusion::arrow::error::ArrowError) -> Self {
        EngineError::Query(e.to_string())
    }
}
