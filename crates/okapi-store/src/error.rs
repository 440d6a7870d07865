//! The errors of the store, one enum at the crate boundary.

use okapi_core::okr::OkrRuleError;
use okapi_core::scoring::ScoreError;

/// What can go wrong reading or writing the OKR store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {reason}")]
    Open {
        /// The URL with any password masked.
        url: String,
        /// The driver's message, with every secret of the URL removed.
        reason: String,
    },
    #[error("cannot create the database file {path}: {error}")]
    Create {
        path: std::path::PathBuf,
        error: std::io::Error,
    },
    #[error("unsupported database URL `{0}` (expected sqlite:PATH or postgres://…)")]
    UnsupportedUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error(
        "the database schema is at version {current}, this okapi needs version {needed}: run `okapi migrate`"
    )]
    SchemaBehind { current: i64, needed: i64 },
    #[error(
        "the database schema is at version {current}, newer than this okapi knows ({known}): upgrade okapi"
    )]
    SchemaAhead { current: i64, known: i64 },
    #[error("there is no {kind} `{key}` in this workspace")]
    NotFound { kind: &'static str, key: String },
    #[error("{kind} `{key}` already exists in this workspace")]
    Duplicate { kind: &'static str, key: String },
    #[error(
        "{kind} `{key}` was changed meanwhile (it is at version {actual}, this change was made on version {expected}): reload it and try again"
    )]
    Conflict {
        kind: &'static str,
        key: String,
        expected: i64,
        actual: i64,
    },
    #[error(transparent)]
    Rule(#[from] OkrRuleError),
    #[error(transparent)]
    Alignment(#[from] crate::alignment::AlignmentError),
    #[error("key result `{key}`: {error}")]
    Score { key: String, error: ScoreError },
    #[error("{0}")]
    Invalid(String),
    #[error("the document cannot be imported:{}", problems.iter().map(|p| format!("\n  - {p}")).collect::<String>())]
    Document {
        problems: Vec<crate::document::Problem>,
    },
    #[error("stored {what} is unreadable: {reason}")]
    Corrupt { what: String, reason: String },
}
