//! # okapi-engine
//!
//! From a company's raw data to every KPI: finding a data directory's
//! tables ([`source`]), loading and validating them with a data-quality
//! report ([`load`]), and computing the KPI catalog per period
//! ([`compute`]) on Apache DataFusion and dedicated Arrow kernels. The
//! [`demo`] module writes a realistic demo company; [`web_analytics`]
//! turns web-analytics exports into rows of the `visits` table.
//!
//! Everything read is someone else's input and is held to bounds (see
//! `docs/data-model.md`, "Input bounds", and `docs/workspace.md`,
//! `[limits]`): values outside them are bad input reported with file,
//! line and column; custom SQL KPIs are checked by [`validate_settings`]
//! before any data is loaded and run under time, memory and row limits.
//!
//! ```
//! use okapi_core::period::Grain;
//! use okapi_core::settings::Settings;
//! use okapi_engine::compute::Engine;
//! use okapi_engine::source::DataDir;
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::write(
//!     dir.path().join("subscriptions.csv"),
//!     "subscription_id,account_id,plan,mrr,start_date,end_date\n\
//!      s1,a1,pro,100.00,2024-01-01,\n\
//!      s2,a2,pro,50.00,2024-01-15,2024-02-01\n",
//! )
//! .unwrap();
//! let data = DataDir::open(dir.path()).unwrap();
//! let engine = Engine::for_kpis(&data, &Settings::default(), &["mrr".into()], None).unwrap();
//! let feb = chrono::NaiveDate::from_ymd_opt(2024, 2, 29);
//! let periods = engine.periods(Grain::Month, None, feb).unwrap();
//! let report = engine.kpis(&["mrr".into()], &periods, Grain::Month).unwrap();
//! let mrr: Vec<String> = report.rows.iter().map(|r| r.value.value.unwrap().to_string()).collect();
//! // a2 pays through 31 January: its end date (1 February) is exclusive.
//! assert_eq!(mrr, ["150", "100"]);
//! ```

pub mod compute;
mod containment;
pub mod day_bits;
pub mod demo;
pub mod error;
pub mod load;
pub mod postgres;
pub mod source;
pub mod web_analytics;

pub use error::EngineError;

use okapi_core::custom::Definition;
use okapi_core::settings::{Settings, SettingsError};

/// Checks what only the engine can judge in validated settings: that each
/// custom SQL KPI is a query okapi will run (one read-only `SELECT` or
/// `WITH` over the input tables, within the size and nesting limits; see
/// [`compute::sql::validate_sql`]). Call it wherever settings are read
/// (`okapi.toml`, an import), before any data is loaded.
///
/// ```
/// use okapi_core::settings::Settings;
///
/// let ok = Settings::from_toml("[[kpi]]\nid = \"won\"\nsql = \"SELECT okapi_period(closed_at), COUNT(*) FROM deals GROUP BY 1\"").unwrap();
/// assert!(okapi_engine::validate_settings(&ok).is_ok());
/// let bad = Settings::from_toml("[[kpi]]\nid = \"wipe\"\nsql = \"DROP TABLE deals\"").unwrap();
/// let e = okapi_engine::validate_settings(&bad).unwrap_err();
/// assert!(e.to_string().starts_with("okapi.toml: kpi `wipe`: sql: "), "{e}");
/// ```
pub fn validate_settings(settings: &Settings) -> Result<(), SettingsError> {
    for k in &settings.custom_kpis {
        if let Definition::Sql(sql) = &k.definition {
            compute::sql::validate_sql(sql).map_err(|e| SettingsError::Invalid {
                key: format!("kpi `{}`", k.id),
                reason: format!("sql: {e}"),
            })?;
        }
    }
    Ok(())
}
