//! # okapi-store
//!
//! Persistence of the OKR model — workspaces, teams, users, cycles,
//! objectives, key results and check-ins — in SQLite (embedded, the
//! default: one `okapi.db` file in WAL mode) or PostgreSQL, through one
//! sqlx `Any` pool and the same SQL text for both (`$1` parameters, dates
//! and times as ISO-8601 text, booleans as integers).
//!
//! - **Schema**: versioned migrations, one file per backend and version
//!   under `migrations/`, embedded in the binary. [`Store::migrate`]
//!   upgrades; [`Store::check_schema`] refuses a database that is behind
//!   or ahead of this build.
//! - **Tenancy**: every row carries its workspace id and every key is
//!   unique only within its workspace. All reads and writes of a workspace
//!   go through a [`Session`] bound to it, so a query cannot reach another
//!   workspace's rows; composite foreign keys make cross-workspace
//!   references impossible in the database itself.
//! - **Transactions**: a session is one transaction; nothing is kept until
//!   [`Session::commit`]. A [`ReadSession`] only reads, from one snapshot,
//!   without taking SQLite's write lock ([`Store::read_session`]).
//! - **Locks**: writes that need a cycle open, and a cycle's close, take
//!   the workspace's row and then the cycle's row, and read the cycle's
//!   state under them: a check-in never lands after the final scores.
//! - **History**: check-ins are append-only (triggers refuse updates and
//!   deletes).
//! - **Bounds**: keys are short words whose number, if any, has at most 15
//!   digits ([`check_key`]); alignment chains are at most
//!   [`MAX_ALIGNMENT_DEPTH`] deep; KR weights are in (0, [`MAX_WEIGHT`]].
//! - **Concurrency**: cycles, objectives and key results carry a version;
//!   saving a value read at an older version fails with
//!   [`StoreError::Conflict`] instead of overwriting.
//! - **Stored KPI values**: values computed from the data are kept per
//!   KPI, segment, grain and period, replaced a whole set (one grain, one
//!   segment) at a time, with the workspace's last refresh
//!   ([`Session::replace_kpi_values`], [`Reader::kpi_series`]).
//! - **Export/import**: [`ExportDocument`] is the whole workspace as JSON,
//!   checked whole before an import writes anything, numbers exact.
//!
//! The domain rules (dates, transitions, alignment, scores) come from
//! `okapi-core`; this crate applies them inside the transaction that
//! writes.
//!
//! ```
//! use chrono::{NaiveDate, Utc};
//! use okapi_core::review::Level;
//! use okapi_store::{Objective, Store, StoreError};
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let store = Store::connect("sqlite::memory:").await?;
//! store.migrate().await?;
//! store.create_workspace("acme", "Acme", "b2b", Utc::now()).await?;
//!
//! let mut s = store.session("acme").await?;
//! let d = |m, day| NaiveDate::from_ymd_opt(2027, m, day).unwrap();
//! s.create_cycle("2027-Q1", "Q1 2027", d(1, 1), d(3, 31)).await?;
//! let o = Objective::draft("O-1", "2027-Q1", "Customers reach value fast", Level::Company);
//! s.create_objective(&o).await?;
//! s.commit().await?;
//!
//! // Another workspace sees none of it.
//! store.create_workspace("globex", "Globex", "b2c", Utc::now()).await?;
//! let mut g = store.session("globex").await?;
//! assert!(matches!(g.objective("O-1").await, Err(StoreError::NotFound { .. })));
//! # Ok::<(), StoreError>(())
//! # }).unwrap();
//! ```

mod alignment;
mod bind;
mod document;
mod error;
mod export;
mod findings;
mod keys;
mod kpi_values;
mod logins;
mod model;
mod reader;
mod redact;
mod session;
mod store;
mod tokens;
mod views;

pub use alignment::{AlignmentError, MAX_ALIGNMENT_DEPTH, parents_first};
pub use document::{Problem, validate as validate_export};
pub use error::StoreError;
pub use findings::{Acknowledgement, AlertDelivery, NewFinding, StoredFinding};
pub use keys::{MAX_KEY_NUMBER, check_key};
pub use kpi_values::{KpiRefresh, StoredKpiValue};
pub use logins::{Access, Login};
pub use model::*;
pub use reader::{ReadSession, Reader};
pub use redact::redact_url;
pub use session::{MAX_WEIGHT, Session};
pub use store::{Backend, SCHEMA_VERSION, Store, sqlite_url};
pub use tokens::{ApiToken, TokenAccess};
pub use views::StoredView;
