//! The two databases the suite runs on: a fresh SQLite file per test, and,
//! when `OKAPI_TEST_POSTGRES_URL` is set, a fresh schema per test in that
//! PostgreSQL database (dropped at the end).

use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{TimeZone, Utc};
use okapi_store::{Store, sqlite_url};
use sqlx::AssertSqlSafe;

pub struct Db {
    pub store: Store,
    /// The URL the store was opened with (to open a second store on it).
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

impl Db {
    /// A second, independent connection pool on the same database, as a
    /// second process would have.
    pub async fn second_store(&self) -> Store {
        Store::connect(&self.url).await.expect("second store")
    }

    /// Runs raw SQL on the database outside of the store's API.
    pub async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&self.url).await?;
        let r = sqlx::query(AssertSqlSafe(sql.to_string()))
            .execute(&pool)
            .await
            .map(|r| r.rows_affected());
        pool.close().await;
        r
    }

    /// A fresh, migrated database of the same kind (SQLite or PostgreSQL),
    /// to import into.
    pub async fn sibling(&self, test: &str) -> Db {
        let db = match &self.pg_schema {
            Some(_) => postgres_empty(test)
                .await
                .expect("PostgreSQL is configured: this database is on it"),
            None => sqlite_empty().await,
        };
        ready(db).await
    }

    pub async fn finish(self) {
        self.store.close().await;
        if let Some((base, schema)) = self.pg_schema {
            let pool = sqlx::AnyPool::connect(&base).await.expect("postgres");
            sqlx::query(AssertSqlSafe(format!("DROP SCHEMA {schema} CASCADE")))
                .execute(&pool)
                .await
                .expect("drop schema");
            pool.close().await;
        }
    }
}

pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique() -> String {
    format!(
        "{}_{}_{}",
        std::process::id(),
        Utc::now().timestamp_micros(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh, empty SQLite database (not migrated).
pub async fn sqlite_empty() -> Db {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = sqlite_url(&dir.path().join("okapi.db"));
    let store = Store::connect(&url).await.expect("open sqlite");
    Db {
        store,
        url,
        _dir: Some(dir),
        pg_schema: None,
    }
}

/// A fresh, empty PostgreSQL schema, or `None` (announced on stderr, past
/// the test harness's capture) when no server is configured.
pub async fn postgres_empty(test: &str) -> Option<Db> {
    let Ok(base) = std::env::var("OKAPI_TEST_POSTGRES_URL") else {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED postgres::{test}: OKAPI_TEST_POSTGRES_URL is not set, so this test did NOT run on PostgreSQL"
        );
        return None;
    };
    sqlx::any::install_default_drivers();
    let schema = format!("okapi_test_{}", unique());
    let pool = sqlx::AnyPool::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("OKAPI_TEST_POSTGRES_URL is set but unreachable: {e}"));
    drop_abandoned_schemas(&pool).await;
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .execute(&pool)
        .await
        .expect("create schema");
    pool.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let store = Store::connect(&url).await.expect("open postgres");
    Some(Db {
        store,
        url,
        _dir: None,
        pg_schema: Some((base, schema)),
    })
}

/// Drops the schemas of test runs more than an hour old (a failed test
/// does not reach `finish`). Their names hold their creation time.
async fn drop_abandoned_schemas(pool: &sqlx::AnyPool) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 'okapi_test_%' OR nspname LIKE 'okapi_cli_%'",
    )
    .fetch_all(pool)
    .await
    .unwrap_or_default();
    let hour_ago = Utc::now().timestamp_micros() - 3_600_000_000;
    for name in names {
        let created = name.split('_').nth(3).and_then(|t| t.parse::<i64>().ok());
        if created.is_some_and(|t| t < hour_ago) {
            // Another run may drop it at the same time: ignore failures.
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS {name} CASCADE"
            )))
            .execute(pool)
            .await;
        }
    }
}

/// Migrates to the current schema.
pub async fn ready(db: Db) -> Db {
    db.store.migrate().await.expect("migrate");
    db
}
