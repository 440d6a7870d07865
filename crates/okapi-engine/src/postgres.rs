//! PostgreSQL as a data source: the data-model tables in one schema of a
//! database, under the same names and columns as the files of a data
//! directory.
//!
//! Each table is read through DataFusion's PostgreSQL table provider
//! (datafusion-table-providers): only the columns a computation needs are
//! selected (the projection is pushed down into the query PostgreSQL runs),
//! and rows stream in batches into the same validation as a file's, so the
//! same KPIs come out and a bad row gets the same message, naming the table
//! (`schema.table`), the row by its key columns, the column and the reason.
//!
//! Column types are checked as for Parquet: money `numeric` or text, dates
//! `date` or text, timestamps `timestamp`/`timestamptz` or text, ids text or
//! integers. A table may be a view.
//!
//! Built with the `postgres` cargo feature; without it a PostgreSQL data
//! URL is refused with a message saying so.

#[cfg(not(feature = "postgres"))]
use std::sync::Arc;

#[cfg(not(feature = "postgres"))]
use crate::error::EngineError;
#[cfg(not(feature = "postgres"))]
use crate::load::Validated;
#[cfg(not(feature = "postgres"))]
use crate::source::{DataDir, PostgresUrl, SourceFile};

#[cfg(feature = "postgres")]
pub use imp::{instant_range, open, plan, read};

#[cfg(not(feature = "postgres"))]
fn not_built(url: &PostgresUrl) -> EngineError {
    EngineError::Database {
        database: url.to_string(),
        reason: "this okapi was built without PostgreSQL data sources (cargo feature `postgres`)"
            .into(),
    }
}

/// Lists the data-model tables of the URL's schema.
#[cfg(not(feature = "postgres"))]
pub fn open(url: &Arc<PostgresUrl>) -> Result<DataDir, EngineError> {
    Err(not_built(url))
}

/// The earliest and latest instants of a table's timestamp column.
#[cfg(not(feature = "postgres"))]
pub fn instant_range(
    file: &SourceFile,
    _column: &str,
) -> Result<Option<Option<(i64, i64)>>, EngineError> {
    read(file, None, &mut |_| Ok(())).map(|_| None)
}

/// The plan reading a database table, as text.
#[cfg(not(feature = "postgres"))]
pub fn plan(file: &SourceFile, _only: Option<&[&str]>) -> Result<String, EngineError> {
    read(file, None, &mut |_| Ok(())).map(|_| String::new())
}

/// Reads a database table, validating every batch.
#[cfg(not(feature = "postgres"))]
pub fn read(
    file: &SourceFile,
    _only: Option<&[&str]>,
    _handle: &mut dyn FnMut(Validated) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    match &file.database {
        Some(url) => Err(not_built(url)),
        None => Err(EngineError::File {
            file: file.display_name(),
            reason: "not a database table".into(),
        }),
    }
}

#[cfg(feature = "postgres")]
mod imp {
    use std::collections::{BTreeMap, HashMap};
    use std::path::PathBuf;
    use std::sync::Arc;

    use datafusion::common::TableReference;
    use datafusion::prelude::{SessionContext, col, lit};
    use datafusion_table_providers_postgres::PostgresTableFactory;
    use datafusion_table_providers_postgres::pool::PostgresConnectionPool;
    use futures::StreamExt;
    use okapi_core::data_model::Table;
    use secrecy::SecretString;

    use crate::error::EngineError;
    use crate::load::validate::{RawBatch, Validator};
    use crate::load::{BATCH_ROWS, Validated};
    use crate::source::{DataDir, Format, PostgresUrl, SourceFile};

    fn db_error(url: &PostgresUrl, reason: impl std::fmt::Display) -> EngineError {
        EngineError::Database {
            database: url.to_string(),
            reason: reason.to_string(),
        }
    }

    /// An error with its causes, each once, first lines only (the
    /// driver's own messages add advice spread over several lines).
    fn causes(e: &(dyn std::error::Error + 'static)) -> String {
        let mut parts: Vec<String> = Vec::new();
        let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(err) = next {
            let text = err.to_string();
            let line = text
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .trim_end_matches('.')
                .to_string();
            if !line.is_empty() && !parts.iter().any(|p| p.contains(&line)) {
                parts.push(line);
            }
            next = err.source();
        }
        parts.join(": ")
    }

    /// A small pool: okapi reads one table at a time.
    async fn pool(url: &PostgresUrl) -> Result<Arc<PostgresConnectionPool>, EngineError> {
        let mut params: HashMap<String, SecretString> = HashMap::new();
        let mut put = |k: &str, v: String| {
            params.insert(k.to_string(), SecretString::from(v));
        };
        put("host", url.host.clone());
        put("port", url.port.to_string());
        put("user", url.user.clone());
        put("db", url.database.clone());
        put("sslmode", url.sslmode.clone());
        put("connection_pool_size", "2".into());
        if let Some(p) = url.password() {
            put("pass", p);
        }
        PostgresConnectionPool::new(params)
            .await
            .map(Arc::new)
            .map_err(|e| db_error(url, format!("cannot connect: {}", causes(&e))))
    }

    /// Lists the data-model tables (and views) of the URL's schema; others
    /// are ignored; `subscriptions` is required.
    pub fn open(url: &Arc<PostgresUrl>) -> Result<DataDir, EngineError> {
        let names: Vec<String> = crate::compute::sql::run_blocking(async {
            let pool = pool(url).await?;
            let conn = pool
                .connect_direct()
                .await
                .map_err(|e| db_error(url, format!("cannot connect: {}", causes(&e))))?;
            let rows = conn
                .conn
                .query(
                    "SELECT table_name::text FROM information_schema.tables \
                     WHERE table_schema = $1",
                    &[&url.schema],
                )
                .await
                .map_err(|e| db_error(url, format!("cannot list the tables: {}", causes(&e))))?;
            rows.iter()
                .map(|r| {
                    r.try_get::<_, String>(0)
                        .map_err(|e| db_error(url, format!("cannot list the tables: {e}")))
                })
                .collect()
        })?;
        let mut files = BTreeMap::new();
        for name in names {
            let Ok(table) = name.parse::<Table>() else {
                continue;
            };
            files.insert(
                table,
                SourceFile {
                    table,
                    path: PathBuf::from(format!("{}.{}", url.schema, table.name())),
                    format: Format::Postgres,
                    database: Some(url.clone()),
                    parts: Vec::new(),
                    accounts: None,
                },
            );
        }
        if !files.contains_key(&Table::Subscriptions) {
            return Err(EngineError::NoSubscriptionsTable(url.to_string()));
        }
        Ok(DataDir {
            root: PathBuf::new(),
            files,
            events_scanner: None,
        })
    }

    /// The database `file` is a table of; an error for a file.
    fn database_of(file: &SourceFile) -> Result<Arc<PostgresUrl>, EngineError> {
        file.database.clone().ok_or_else(|| EngineError::File {
            file: file.display_name(),
            reason: "not a database table".into(),
        })
    }

    /// A name as a quoted SQL identifier.
    fn quoted(name: &str) -> String {
        format!("\"{}\"", name.replace('"', "\"\""))
    }

    /// The earliest and latest instants (µs since the epoch, a `timestamp`
    /// taken as UTC as the validator takes it) of the table's `column`,
    /// over every row, computed by PostgreSQL: `Some(None)` when the table
    /// has no such instant, `None` when the column is not a `timestamp` or
    /// `timestamptz` (text is converted by okapi's own rules, which
    /// PostgreSQL's `min` and `max` of the text do not follow).
    pub fn instant_range(
        file: &SourceFile,
        column: &str,
    ) -> Result<Option<Option<(i64, i64)>>, EngineError> {
        let url = database_of(file)?;
        let name = file.display_name();
        let table = file.table;
        let column = column.to_string();
        crate::compute::sql::run_blocking(async move {
            let pool = pool(&url).await?;
            let conn = pool
                .connect_direct()
                .await
                .map_err(|e| db_error(&url, format!("cannot connect: {}", causes(&e))))?;
            let failed = |e: &(dyn std::error::Error + 'static)| EngineError::File {
                file: name.clone(),
                reason: format!("cannot read the range of `{column}`: {}", causes(e)),
            };
            let types = conn
                .conn
                .query(
                    "SELECT data_type::text FROM information_schema.columns \
                     WHERE table_schema = $1 AND table_name = $2 AND column_name = $3",
                    &[&url.schema, &table.name(), &column],
                )
                .await
                .map_err(|e| failed(&e))?;
            let data_type: Option<String> = types.first().and_then(|r| r.try_get(0).ok());
            if !matches!(
                data_type.as_deref(),
                Some("timestamp with time zone" | "timestamp without time zone")
            ) {
                return Ok(None);
            }
            let c = quoted(&column);
            let sql = format!(
                "SELECT (extract(epoch FROM min({c})) * 1000000)::int8, \
                        (extract(epoch FROM max({c})) * 1000000)::int8 \
                 FROM {}.{}",
                quoted(&url.schema),
                quoted(table.name())
            );
            let row = conn
                .conn
                .query_one(&sql, &[])
                .await
                .map_err(|e| failed(&e))?;
            let lo: Option<i64> = row.try_get(0).map_err(|e| failed(&e))?;
            let hi: Option<i64> = row.try_get(1).map_err(|e| failed(&e))?;
            Ok(Some(lo.zip(hi)))
        })
    }

    /// What reading a table needs: the frame to run, the validator of its
    /// batches, the table's name in messages.
    struct Reading {
        frame: datafusion::dataframe::DataFrame,
        validator: Validator,
        name: String,
    }

    /// The frame reading the table of `file`: only the columns `only` (all
    /// when `None`) with the key columns, and only the rows of
    /// `file.accounts` when it is set and the table has an `account_id`.
    /// Both are pushed into the query PostgreSQL runs.
    async fn reading(file: &SourceFile, only: Option<&[&str]>) -> Result<Reading, EngineError> {
        let url = database_of(file)?;
        let name = file.display_name();
        let table = file.table;
        let pool = pool(&url).await?;
        let provider = PostgresTableFactory::new(pool)
            .table_provider(TableReference::partial(url.schema.as_str(), table.name()))
            .await
            .map_err(|e| EngineError::File {
                file: name.clone(),
                reason: format!("cannot read the table: {}", causes(e.as_ref())),
            })?;
        let schema = provider.schema();
        let names: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let (mut validator, extras) = Validator::for_schema(table, name.clone(), &schema)?;
        validator.name_rows_by_key();
        if let Some(o) = only {
            validator.only_columns(o, &[]);
        }
        // The columns to read: the model's (or those asked for, with the
        // key columns that name a bad row) and the extras kept.
        let wanted: Vec<String> = names
            .iter()
            .filter(|n| table.column(n).is_some() || extras.contains(n))
            .filter(|n| {
                only.is_none_or(|o| {
                    o.contains(&n.as_str()) || table.key_columns().contains(&n.as_str())
                })
            })
            .cloned()
            .collect();
        let only_accounts = file
            .accounts
            .as_ref()
            .filter(|_| names.iter().any(|n| n == "account_id"));
        let ctx = SessionContext::new_with_config(
            datafusion::prelude::SessionConfig::new().with_batch_size(BATCH_ROWS),
        );
        let frame = ctx
            .read_table(provider)
            .and_then(|df| match only_accounts {
                None => Ok(df),
                Some(set) => {
                    let mut ids: Vec<&String> = set.iter().collect();
                    ids.sort();
                    df.filter(if ids.is_empty() {
                        lit(false)
                    } else {
                        col("account_id").in_list(ids.into_iter().map(lit).collect(), false)
                    })
                }
            })
            .and_then(|df| {
                df.select_columns(&wanted.iter().map(String::as_str).collect::<Vec<_>>())
            })
            .map_err(|e| EngineError::File {
                file: name.clone(),
                reason: format!("cannot read the table: {e}"),
            })?;
        Ok(Reading {
            frame,
            validator,
            name,
        })
    }

    /// The plan that reads the table of `file` as [`read`] does, as text:
    /// its scan shows the query sent to PostgreSQL, with the columns and
    /// the rows it asks for.
    pub fn plan(file: &SourceFile, only: Option<&[&str]>) -> Result<String, EngineError> {
        crate::compute::sql::run_blocking(async move {
            let r = reading(file, only).await?;
            let plan = r
                .frame
                .create_physical_plan()
                .await
                .map_err(|e| EngineError::File {
                    file: r.name.clone(),
                    reason: format!("cannot read the table: {e}"),
                })?;
            Ok(datafusion::physical_plan::displayable(plan.as_ref())
                .indent(true)
                .to_string())
        })
    }

    /// Reads the table of `file`, only the columns `only` (all when
    /// `None`), and only the rows of `file.accounts` when it is set and the
    /// table has an `account_id` (the filter runs in PostgreSQL), handing
    /// each validated batch to `handle`.
    pub fn read(
        file: &SourceFile,
        only: Option<&[&str]>,
        handle: &mut dyn FnMut(Validated) -> Result<(), EngineError>,
    ) -> Result<(), EngineError> {
        crate::compute::sql::run_blocking(async move {
            let Reading {
                frame: df,
                mut validator,
                name,
            } = reading(file, only).await?;
            let mut stream = df.execute_stream().await.map_err(|e| EngineError::File {
                file: name.clone(),
                reason: format!("cannot read the table: {e}"),
            })?;
            let mut offset = 0u64;
            while let Some(batch) = stream.next().await {
                let batch = batch.map_err(|e| EngineError::File {
                    file: name.clone(),
                    reason: format!("reading row {} or after: {e}", offset + 1),
                })?;
                let raw = RawBatch::numbered(&batch, offset);
                offset += batch.num_rows() as u64;
                handle(validator.validate(raw)?)?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::source::PostgresUrl;

    #[test]
    fn a_url_is_shown_without_its_password() {
        let u = PostgresUrl::parse("postgres://ana:s3cr%40t@db.example:6543/acme?schema=analytics")
            .unwrap();
        assert_eq!(
            u.to_string(),
            "postgres://ana@db.example:6543/acme?schema=analytics"
        );
        assert_eq!(u.password().as_deref(), Some("s3cr@t"));
        assert!(!format!("{u:?}").contains("s3cr"));
        let d = PostgresUrl::parse("postgresql://localhost/test").unwrap();
        assert_eq!(
            (d.schema.as_str(), d.port, d.sslmode.as_str()),
            ("public", 5432, "prefer")
        );
    }

    #[test]
    fn a_url_without_a_database_or_with_unknown_parameters_is_refused() {
        for (url, words) in [
            ("postgres://localhost", "name the database"),
            ("postgres://localhost/db?schema=", "schema is empty"),
            ("postgres://localhost/db?sslmode=maybe", "sslmode `maybe`"),
            (
                "postgres://localhost/db?password=x",
                "unknown parameter `password`",
            ),
        ] {
            let e = PostgresUrl::parse(url).unwrap_err().to_string();
            assert!(e.contains(words), "{url}: {e}");
        }
    }
}
