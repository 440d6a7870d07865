//! # okapi-engine
//!
//! From a company's raw data to every KPI: finding a data directory's
//! tables ([`source`]), loading and validating them with a data-quality
//! report ([`load`]), and computing the KPI catalog per period
//! ([`compute`]) on Apache DataFusion and dedicated Arrow kernels. The
//! [`demo`] module writes a realistic demo company.
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
//! let periods = engine.periods(Grain::Month, None, feb);
//! let report = engine.kpis(&["mrr".into()], &periods, Grain::Month).unwrap();
//! let mrr: Vec<String> = report.rows.iter().map(|r| r.value.value.unwrap().to_string()).collect();
//! // a2 pays through 31 January: its end date (1 February) is exclusive.
//! assert_eq!(mrr, ["150", "100"]);
//! ```

pub mod compute;
pub mod day_bits;
pub mod demo;
pub mod error;
pub mod load;
pub mod source;

pub use error::EngineError;
