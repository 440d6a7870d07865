//! The errors of the store, one enum at the crate boundary.

use okapi_core::okr::OkrRuleError;
use okapi_core::scoring::ScoreError;

/// What can go wrong reading or writing the OKR store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {url}: {error}")]
    Open {
        /// The URL with any password masked.
        url: String,
        error: sqlx::Error,
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
    #[error("key result `{key}`: {error}")]
    Score { key: String, error: ScoreError },
    #[error("{0}")]
    Invalid(String),
    #[error("stored {what} is unreadable: {reason}")]
    Corrupt { what: String, reason: String },
}

/// Masks the password of a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.rsplit_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_never_reach_messages() {
        assert_eq!(
            redact_url("postgres://ana:s3cret@db.example:5432/okapi"),
            "postgres://ana:***@db.example:5432/okapi"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite:okapi.db"), "sqlite:okapi.db");
    }
}
