//! The one error type of the application layer, and the table that gives
//! every error a stable [`Code`], an HTTP status and an exit status.
//!
//! An adapter never decides what an error means: the command line exits
//! with [`Code::exit_status`] and prints the message; the server answers
//! with [`Code::http_status`] and `{ "code", "message" }`. The messages
//! name what was refused and why; an [`AppError::Input`] names the input
//! field (`window`, `from`, `kpi`, …), which each adapter shows in its own
//! terms (the command line as `--window`).

use std::path::PathBuf;

use okapi_core::period::RangeError;
use okapi_core::settings::SettingsError;
use okapi_engine::EngineError;
use okapi_store::StoreError;
use serde::Serialize;

/// What kind of failure an error is: stable, part of the API (the `code` of
/// an error body) and of the command line's exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Code {
    /// The request breaks a rule: a bad argument, an unknown KPI, a
    /// setting or an OKR change the method refuses.
    Invalid,
    /// Rows of the data break the data model; nothing was computed.
    InvalidRows,
    /// A data file or directory cannot be used as it is (missing, corrupt,
    /// ambiguous, a column of the wrong type, sums past the money bound).
    InvalidData,
    /// What was asked for does not exist in this workspace.
    NotFound,
    /// It exists already, or it changed since it was read.
    Conflict,
    /// No valid credentials.
    Unauthenticated,
    /// Valid credentials, not allowed to do this.
    Forbidden,
    /// Too many attempts (logins): wait and try again.
    TooManyRequests,
    /// The request's body is larger than allowed (an upload).
    TooLarge,
    /// The path exists, but not with this method (the server's answer
    /// only).
    MethodNotAllowed,
    /// The database cannot be reached, or its schema is not this build's.
    Unavailable,
    /// A bug or an unexpected failure; the message says what failed.
    Internal,
}

impl Code {
    /// Every code, for tables and tests.
    pub const ALL: [Code; 12] = [
        Code::Invalid,
        Code::InvalidRows,
        Code::InvalidData,
        Code::NotFound,
        Code::Conflict,
        Code::Unauthenticated,
        Code::Forbidden,
        Code::TooManyRequests,
        Code::TooLarge,
        Code::MethodNotAllowed,
        Code::Unavailable,
        Code::Internal,
    ];

    /// The code as it appears in an error body.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::Invalid => "invalid",
            Code::InvalidRows => "invalid_rows",
            Code::InvalidData => "invalid_data",
            Code::NotFound => "not_found",
            Code::Conflict => "conflict",
            Code::Unauthenticated => "unauthenticated",
            Code::Forbidden => "forbidden",
            Code::TooManyRequests => "too_many_requests",
            Code::TooLarge => "too_large",
            Code::MethodNotAllowed => "method_not_allowed",
            Code::Unavailable => "unavailable",
            Code::Internal => "internal",
        }
    }

    /// The HTTP status the server answers with.
    pub fn http_status(self) -> u16 {
        match self {
            Code::Invalid => 400,
            Code::InvalidRows | Code::InvalidData => 422,
            Code::NotFound => 404,
            Code::Conflict => 409,
            Code::Unauthenticated => 401,
            Code::Forbidden => 403,
            Code::TooManyRequests => 429,
            Code::TooLarge => 413,
            Code::MethodNotAllowed => 405,
            Code::Unavailable => 503,
            Code::Internal => 500,
        }
    }

    /// The command line's exit status: 1 when the data has invalid rows,
    /// 2 for every other error (0 is success).
    pub fn exit_status(self) -> u8 {
        match self {
            Code::InvalidRows => 1,
            _ => 2,
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// An input field refused: `field` is its name (`window`, `from`,
    /// `kpi`), `reason` reads after it ("must be between 1 and 3660 days").
    #[error("{field} {reason}")]
    Input { field: &'static str, reason: String },
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Something the request names or needs is not there (a workspace,
    /// its database).
    #[error("{0}")]
    Missing(String),
    /// It exists already.
    #[error("{0}")]
    Conflict(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    /// No valid credentials: a missing, unknown or revoked token.
    #[error("{0}")]
    Unauthenticated(String),
    /// Valid credentials that do not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// Too many attempts: the message says when to try again.
    #[error("{0}")]
    TooManyRequests(String),
    /// A body larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// A request that needs something the workspace lacks (no data
    /// directory outside a workspace, no dates in the data).
    #[error("{0}")]
    Invalid(String),
    #[error("internal error: {0}")]
    Internal(String),
    /// A file-system error, given its context (the path, what was being
    /// done) with [`Context`].
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An error with what it is about (`okrs.toml:12: key result `KR-3``);
    /// its code is its source's.
    #[error("{context}: {source}")]
    Context {
        context: String,
        source: Box<AppError>,
    },
}

/// Adds what an error is about, keeping its code.
pub trait Context<T> {
    fn context(self, context: impl std::fmt::Display) -> Result<T, AppError>;
    fn with_context<C: std::fmt::Display>(self, f: impl FnOnce() -> C) -> Result<T, AppError>;
}

impl<T, E: Into<AppError>> Context<T> for Result<T, E> {
    fn context(self, context: impl std::fmt::Display) -> Result<T, AppError> {
        self.map_err(|e| AppError::Context {
            context: context.to_string(),
            source: Box::new(e.into()),
        })
    }

    fn with_context<C: std::fmt::Display>(self, f: impl FnOnce() -> C) -> Result<T, AppError> {
        self.map_err(|e| AppError::Context {
            context: f().to_string(),
            source: Box::new(e.into()),
        })
    }
}

impl AppError {
    /// The error's code, from which both adapters derive what they show.
    pub fn code(&self) -> Code {
        match self {
            AppError::Input { .. } | AppError::Settings(_) | AppError::Invalid(_) => Code::Invalid,
            AppError::Engine(e) => engine_code(e),
            AppError::Store(e) => store_code(e),
            AppError::Read { .. } | AppError::Write { .. } | AppError::Io(_) => Code::Unavailable,
            AppError::Missing(_) => Code::NotFound,
            AppError::Unauthenticated(_) => Code::Unauthenticated,
            AppError::Forbidden(_) => Code::Forbidden,
            AppError::TooManyRequests(_) => Code::TooManyRequests,
            AppError::TooLarge(_) => Code::TooLarge,
            AppError::Conflict(_) => Code::Conflict,
            AppError::Internal(_) => Code::Internal,
            AppError::Context { source, .. } => source.code(),
        }
    }

    /// The error of a failed write of `path`, for `map_err`.
    pub(crate) fn write_to(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> AppError {
        let path = path.to_path_buf();
        move |source| AppError::Write { path, source }
    }

    pub(crate) fn input(field: &'static str, reason: impl Into<String>) -> AppError {
        AppError::Input {
            field,
            reason: reason.into(),
        }
    }

    /// The rows refused, when the error is [`Code::InvalidRows`].
    pub fn invalid_rows(&self) -> Option<&okapi_engine::load::Issues> {
        match self {
            AppError::Engine(EngineError::InvalidRows(issues)) => Some(issues),
            AppError::Context { source, .. } => source.invalid_rows(),
            _ => None,
        }
    }
}

fn engine_code(e: &EngineError) -> Code {
    match e {
        EngineError::InvalidRows(_) => Code::InvalidRows,
        EngineError::NoDirectory(_)
        | EngineError::NotADirectory(_)
        | EngineError::NoSubscriptions(_)
        | EngineError::NoSubscriptionsTable(_)
        | EngineError::AmbiguousTable { .. }
        | EngineError::File { .. }
        | EngineError::Io { .. }
        | EngineError::Money(_) => Code::InvalidData,
        EngineError::Segment(_)
        | EngineError::CustomKpi { .. }
        | EngineError::Range(_)
        | EngineError::SqlRefused(_)
        | EngineError::DataUrl { .. } => Code::Invalid,
        EngineError::Write { .. } | EngineError::Database { .. } => Code::Unavailable,
        EngineError::Query(_) => Code::Internal,
    }
}

fn store_code(e: &StoreError) -> Code {
    match e {
        StoreError::NotFound { .. } => Code::NotFound,
        StoreError::Duplicate { .. } | StoreError::Conflict { .. } => Code::Conflict,
        StoreError::Rule(_)
        | StoreError::Alignment(_)
        | StoreError::Score { .. }
        | StoreError::Invalid(_)
        | StoreError::Document { .. }
        | StoreError::UnsupportedUrl(_) => Code::Invalid,
        StoreError::Open { .. }
        | StoreError::Create { .. }
        | StoreError::Database(_)
        | StoreError::SchemaBehind { .. }
        | StoreError::SchemaAhead { .. } => Code::Unavailable,
        StoreError::Migrate(_) | StoreError::Corrupt { .. } => Code::Internal,
    }
}

impl From<RangeError> for AppError {
    fn from(e: RangeError) -> Self {
        AppError::Engine(EngineError::Range(e))
    }
}

impl From<okapi_store::AlignmentError> for AppError {
    fn from(e: okapi_store::AlignmentError) -> Self {
        AppError::Store(StoreError::Alignment(e))
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("a background task failed: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_distinct_and_serialized_as_written() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} twice");
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            assert!(
                c.as_str()
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_')
            );
        }
        assert_eq!(Code::NotFound.as_str(), "not_found");
        assert_eq!(Code::InvalidRows.as_str(), "invalid_rows");
    }

    #[test]
    fn the_table_gives_each_code_its_http_and_exit_status() {
        let table = [
            (Code::Invalid, 400, 2),
            (Code::InvalidRows, 422, 1),
            (Code::InvalidData, 422, 2),
            (Code::NotFound, 404, 2),
            (Code::Conflict, 409, 2),
            (Code::Unauthenticated, 401, 2),
            (Code::Forbidden, 403, 2),
            (Code::TooManyRequests, 429, 2),
            (Code::TooLarge, 413, 2),
            (Code::MethodNotAllowed, 405, 2),
            (Code::Unavailable, 503, 2),
            (Code::Internal, 500, 2),
        ];
        assert_eq!(table.len(), Code::ALL.len());
        for (code, http, exit) in table {
            assert_eq!(code.http_status(), http, "{code}");
            assert_eq!(code.exit_status(), exit, "{code}");
        }
    }

    #[test]
    fn errors_of_the_layers_below_get_their_codes() {
        let not_found = AppError::from(StoreError::NotFound {
            kind: "key result",
            key: "KR-9".into(),
        });
        assert_eq!(not_found.code(), Code::NotFound);
        let stale = AppError::from(StoreError::Conflict {
            kind: "objective",
            key: "O-1".into(),
            expected: 1,
            actual: 2,
        });
        assert_eq!(stale.code(), Code::Conflict);
        let behind = AppError::from(StoreError::SchemaBehind {
            current: 1,
            needed: 3,
        });
        assert_eq!(behind.code(), Code::Unavailable);
        let rows = AppError::from(EngineError::InvalidRows(Default::default()));
        assert_eq!(rows.code(), Code::InvalidRows);
        assert!(rows.invalid_rows().is_some());
        let file = AppError::from(EngineError::File {
            file: "events.parquet".into(),
            reason: "not a readable Parquet file".into(),
        });
        assert_eq!(file.code(), Code::InvalidData);
        assert!(file.invalid_rows().is_none());
        let input = AppError::input("window", "must be between 1 and 3660 days, not 0");
        assert_eq!(input.code(), Code::Invalid);
        assert_eq!(
            input.to_string(),
            "window must be between 1 and 3660 days, not 0"
        );
    }
}
