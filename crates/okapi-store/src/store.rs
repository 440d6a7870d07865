//! Opening a database, its schema version and migrations.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Row, SqlSafeStr};

use crate::error::StoreError;
use crate::model::Workspace;
use crate::reader::{ReadSession, Reader};
use crate::redact::{redact_url, scrub};
use crate::session::Session;

/// The database behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a URL names.
    pub fn of_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }
}

/// Migrations, in order: (version, description, SQLite text, PostgreSQL text).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        1,
        "okrs",
        include_str!("../migrations/sqlite/0001_okrs.sql"),
        include_str!("../migrations/postgres/0001_okrs.sql"),
    ),
    (
        2,
        "history and indexes",
        include_str!("../migrations/sqlite/0002_history_and_indexes.sql"),
        include_str!("../migrations/postgres/0002_history_and_indexes.sql"),
    ),
    (
        3,
        "history cannot be deleted",
        include_str!("../migrations/sqlite/0003_history_cannot_be_deleted.sql"),
        include_str!("../migrations/postgres/0003_history_cannot_be_deleted.sql"),
    ),
    (
        4,
        "kpi values",
        include_str!("../migrations/sqlite/0004_kpi_values.sql"),
        include_str!("../migrations/postgres/0004_kpi_values.sql"),
    ),
    (
        5,
        "api tokens",
        include_str!("../migrations/sqlite/0005_api_tokens.sql"),
        include_str!("../migrations/postgres/0005_api_tokens.sql"),
    ),
    (
        6,
        "logins",
        include_str!("../migrations/sqlite/0006_logins.sql"),
        include_str!("../migrations/postgres/0006_logins.sql"),
    ),
    (
        7,
        "stored views",
        include_str!("../migrations/sqlite/0007_stored_views.sql"),
        include_str!("../migrations/postgres/0007_stored_views.sql"),
    ),
    (
        8,
        "findings and alerts",
        include_str!("../migrations/sqlite/0008_findings_and_alerts.sql"),
        include_str!("../migrations/postgres/0008_findings_and_alerts.sql"),
    ),
    (
        9,
        "kpi values by period",
        include_str!("../migrations/sqlite/0009_kpi_values_by_period.sql"),
        include_str!("../migrations/postgres/0009_kpi_values_by_period.sql"),
    ),
];

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: i64 = match MIGRATIONS.last() {
    Some(last) => last.0,
    None => 0,
};

fn migrator(backend: Backend) -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|(version, description, sqlite, postgres)| {
                let sql = match backend {
                    Backend::Sqlite => *sqlite,
                    Backend::Postgres => *postgres,
                };
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// The URL of the embedded database file at `path` (created if missing).
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Creates the database file that `url` asks to create (`mode=rwc`),
/// readable and writable by its owner only (0600 on Unix), before SQLite
/// opens it: SQLite then gives its `-wal` and `-shm` files the same mode.
/// An existing file is left as it is.
fn create_private_file(url: &str) -> Result<(), StoreError> {
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    if in_memory || !url.contains("mode=rwc") {
        return Ok(());
    }
    let path = SqliteConnectOptions::from_str(url)
        .map_err(|e| StoreError::Open {
            url: redact_url(url),
            reason: scrub(&e.to_string(), url),
        })?
        .get_filename()
        .to_path_buf();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(StoreError::Create { path, error }),
    }
}

/// How long opening a database may wait for the server or the pool.
const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// An open OKR database (SQLite or PostgreSQL), shared by all workspaces in
/// it. Every read and write of a workspace's rows goes through a
/// [`Session`] bound to that workspace.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    /// Connections for read sessions. On SQLite a pool of its own beside
    /// the one writer (WAL mode lets readers run while it writes), so that
    /// a server's reads do not wait in line behind each other or behind a
    /// write; on PostgreSQL the same pool.
    readers: AnyPool,
    backend: Backend,
    /// What this process knows of the changes to the database (see
    /// [`Store::generation`]).
    changes: Arc<Changes>,
}

/// Changes to a database, as a process sees them: a counter of its own
/// committed writes and of the others' it has noticed, and the revision of
/// each workspace it saw last.
///
/// Every write session raises its workspace's revision (the `version` of
/// its row) when it starts, so another process's commit is seen by reading
/// that number ([`Store::notice_changes`]).
#[derive(Debug, Default)]
struct Changes {
    generation: AtomicU64,
    seen: Mutex<HashMap<String, i64>>,
}

impl Changes {
    /// A write session of workspace `id` at `revision` committed.
    fn committed(&self, id: &str, revision: i64) {
        if let Ok(mut seen) = self.seen.lock() {
            let r = seen.entry(id.to_string()).or_insert(revision);
            *r = (*r).max(revision);
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// Records, when a write session commits, that the database changed.
#[derive(Debug, Clone)]
pub(crate) struct CommitNotice {
    changes: Arc<Changes>,
    revision: i64,
}

impl CommitNotice {
    pub(crate) fn committed(&self, id: &str) {
        self.changes.committed(id, self.revision);
    }
}

/// Read connections to an embedded database.
const SQLITE_READERS: u32 = 4;

impl Store {
    /// Connects to `url` (`sqlite://PATH?mode=rwc` or `postgres://…`).
    /// Does not touch the schema: see [`Store::migrate`] and
    /// [`Store::check_schema`].
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::of_url(url)?;
        let open_err = |error: sqlx::Error| StoreError::Open {
            url: redact_url(url),
            reason: scrub(&error.to_string(), url),
        };
        if backend == Backend::Sqlite {
            create_private_file(url)?;
        }
        let options = AnyConnectOptions::from_str(url)
            .map_err(open_err)?
            .disable_statement_logging();
        if backend == Backend::Postgres {
            // The pool retries a failing server until its timeout and then
            // reports only "pool timed out"; one direct attempt first says
            // why (connection refused, unknown host, no such role) at once.
            let probe =
                tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect_with(&options))
                    .await
                    .map_err(|_| StoreError::Open {
                        url: redact_url(url),
                        reason: format!(
                            "no answer from the server within {} seconds",
                            CONNECT_TIMEOUT.as_secs()
                        ),
                    })?
                    .map_err(open_err)?;
            probe.close().await.map_err(open_err)?;
        }
        let reader_options = options.clone();
        let pool = AnyPoolOptions::new()
            // One writer for the embedded file: a second connection would
            // only wait on SQLite's lock.
            .max_connections(if backend == Backend::Sqlite { 1 } else { 4 })
            // A command-line user should not wait half a minute for an
            // unreachable server.
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(open_err)?;
        if backend == Backend::Sqlite {
            // WAL: readers never block the writer. The mode is kept in the
            // file; it is set once, on a new database (setting it needs an
            // exclusive lock, which a read-only command must not wait for
            // while another okapi writes).
            let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                .fetch_one(&pool)
                .await
                .map_err(open_err)?;
            if !mode.eq_ignore_ascii_case("wal") {
                sqlx::query("PRAGMA journal_mode = WAL")
                    .fetch_one(&pool)
                    .await
                    .map_err(open_err)?;
            }
            sqlx::query("PRAGMA foreign_keys = ON")
                .execute(&pool)
                .await
                .map_err(open_err)?;
        }
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let readers = match backend {
            // An in-memory database is one connection's: it reads there.
            Backend::Sqlite if in_memory => pool.clone(),
            // Opened when first needed: a command that only writes never
            // opens them.
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(SQLITE_READERS)
                .acquire_timeout(CONNECT_TIMEOUT)
                .connect_lazy_with(reader_options),
            Backend::Postgres => pool.clone(),
        };
        Ok(Store {
            pool,
            readers,
            backend,
            changes: Arc::default(),
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connections for reads outside a session.
    pub(crate) fn readers(&self) -> &AnyPool {
        &self.readers
    }

    /// Applies every pending migration; returns the versions applied.
    pub async fn migrate(&self) -> Result<Vec<i64>, StoreError> {
        self.migrate_to(SCHEMA_VERSION).await
    }

    /// Applies pending migrations up to `target` (older schemas, for
    /// upgrade tests); returns the versions applied.
    pub async fn migrate_to(&self, target: i64) -> Result<Vec<i64>, StoreError> {
        let before = self.schema_version().await?;
        if before > SCHEMA_VERSION {
            return Err(StoreError::SchemaAhead {
                current: before,
                known: SCHEMA_VERSION,
            });
        }
        migrator(self.backend).run_to(target, &self.pool).await?;
        let after = self.schema_version().await?;
        Ok(MIGRATIONS
            .iter()
            .map(|m| m.0)
            .filter(|v| *v > before && *v <= after)
            .collect())
    }

    /// The highest migration applied (0 for an empty database).
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let exists_sql = match self.backend {
            Backend::Sqlite => {
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
            }
            Backend::Postgres => {
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
            }
        };
        let exists: i64 = sqlx::query_scalar(exists_sql).fetch_one(&self.pool).await?;
        if exists == 0 {
            return Ok(0);
        }
        let v: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(&self.pool)
                .await?;
        Ok(v.unwrap_or(0))
    }

    /// Refuses a database whose schema is not this build's.
    pub async fn check_schema(&self) -> Result<(), StoreError> {
        let current = self.schema_version().await?;
        if current < SCHEMA_VERSION {
            Err(StoreError::SchemaBehind {
                current,
                needed: SCHEMA_VERSION,
            })
        } else if current > SCHEMA_VERSION {
            Err(StoreError::SchemaAhead {
                current,
                known: SCHEMA_VERSION,
            })
        } else {
            Ok(())
        }
    }

    /// Creates a workspace.
    pub async fn create_workspace(
        &self,
        id: &str,
        name: &str,
        profile: &str,
        now: DateTime<Utc>,
    ) -> Result<Workspace, StoreError> {
        crate::keys::check_key("workspace", id)?;
        let mut tx = self.begin().await?;
        let exists: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspaces WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        if exists > 0 {
            return Err(StoreError::Duplicate {
                kind: "workspace",
                key: id.to_string(),
            });
        }
        let ws = Workspace {
            id: id.to_string(),
            name: name.to_string(),
            vision: None,
            profile: profile.to_string(),
            created_at: now,
        };
        insert_workspace(&mut tx, &ws).await?;
        tx.commit().await?;
        Ok(ws)
    }

    /// Every workspace in the database.
    pub async fn workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
        let rows =
            sqlx::query("SELECT id, name, vision, profile, created_at FROM workspaces ORDER BY id")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(workspace_from_row).collect()
    }

    /// Starts a transaction scoped to workspace `id` that reads and writes:
    /// everything done through the session is committed together or not at
    /// all.
    ///
    /// A session raises the workspace's revision when it starts (which
    /// also locks the workspace's row on PostgreSQL: writers of one
    /// workspace take turns, as they do on SQLite), so that others see
    /// that it changed once it commits.
    pub async fn session(&self, id: &str) -> Result<Session, StoreError> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(
            "UPDATE workspaces SET version = version + 1 WHERE id = $1 \
             RETURNING id, name, vision, profile, created_at, version",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound {
                kind: "workspace",
                key: id.to_string(),
            });
        };
        let ws = workspace_from_row(&row)?;
        let notice = self.commit_notice(row.try_get("version")?);
        Ok(Session::new(Reader::new(tx, ws, self.backend), notice))
    }

    pub(crate) fn commit_notice(&self, revision: i64) -> CommitNotice {
        CommitNotice {
            changes: self.changes.clone(),
            revision,
        }
    }

    /// A number that changes whenever this process commits a write to the
    /// database, or notices another's ([`Store::notice_changes`]): what was
    /// read from the database while it held one value may be reused as
    /// long as it holds it.
    pub fn generation(&self) -> u64 {
        self.changes.generation.load(Ordering::Acquire)
    }

    /// Reads workspace `id`'s revision and raises [`Store::generation`]
    /// when another process changed the workspace since this one last
    /// looked (or committed). Returns whether it did.
    pub async fn notice_changes(&self, id: &str) -> Result<bool, StoreError> {
        let revision: Option<i64> =
            sqlx::query_scalar("SELECT version FROM workspaces WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.readers)
                .await?;
        let Some(revision) = revision else {
            return Ok(false);
        };
        let changed = match self.changes.seen.lock() {
            Ok(mut seen) => seen.insert(id.to_string(), revision) != Some(revision),
            Err(_) => true,
        };
        if changed {
            self.changes.generation.fetch_add(1, Ordering::AcqRel);
        }
        Ok(changed)
    }

    /// Starts a transaction scoped to workspace `id` that only reads, from
    /// one snapshot and without taking SQLite's write lock: a read-only
    /// command runs while another okapi writes.
    pub async fn read_session(&self, id: &str) -> Result<ReadSession, StoreError> {
        let mut tx = match self.backend {
            // Deferred: a read transaction, whose snapshot (WAL mode) is
            // taken at its first read.
            Backend::Sqlite => self.readers.begin_with("BEGIN").await?,
            Backend::Postgres => {
                self.readers
                    .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .await?
            }
        };
        let ws = bound_workspace(&mut tx, id).await?;
        Ok(ReadSession::new(Reader::new(tx, ws, self.backend)))
    }

    /// Starts a transaction not bound to a workspace yet (import).
    ///
    /// On SQLite the transaction takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a second writer waits for the first (up to the busy
    /// timeout) instead of failing when it upgrades a stale read. On
    /// PostgreSQL writes are guarded by the versions, keys and row locks.
    pub(crate) async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Closes the pool, waiting for connections to finish.
    pub async fn close(self) {
        self.readers.close().await;
        self.pool.close().await;
    }
}

pub(crate) async fn insert_workspace(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    ws: &Workspace,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO workspaces (id, name, vision, profile, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&ws.id)
    .bind(&ws.name)
    .bind(&ws.vision)
    .bind(&ws.profile)
    .bind(crate::reader::fmt_time(ws.created_at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The workspace `id`, read in `tx`, or not found.
async fn bound_workspace(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
) -> Result<Workspace, StoreError> {
    let row =
        sqlx::query("SELECT id, name, vision, profile, created_at FROM workspaces WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    match row {
        Some(row) => workspace_from_row(&row),
        None => Err(StoreError::NotFound {
            kind: "workspace",
            key: id.to_string(),
        }),
    }
}

fn workspace_from_row(row: &sqlx::any::AnyRow) -> Result<Workspace, StoreError> {
    Ok(Workspace {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        vision: row.try_get("vision")?,
        profile: row.try_get("profile")?,
        created_at: crate::reader::parse_time(&row.try_get::<String, _>("created_at")?)?,
    })
}
