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
//!   [`Session::commit`].
//! - **History**: check-ins are append-only (a trigger refuses updates).
//! - **Concurrency**: cycles, objectives and key results carry a version;
//!   saving a value read at an older version fails with
//!   [`StoreError::Conflict`] instead of overwriting.
//! - **Export/import**: [`ExportDocument`] is the whole workspace as JSON.
//!
//! The domain rules (dates, transitions, alignment, scores) come from
//! `okapi-core`; this crate applies them inside the transaction that
//! writes.

mod error;
mod export;
mod model;
mod session;
mod store;

pub use error::{StoreError, redact_url};
pub use export::validate as validate_export;
pub use model::*;
pub use session::{Session, check_key};
pub use store::{Backend, SCHEMA_VERSION, Store, sqlite_url};
