//! # okapi-core
//!
//! The domain of okapi, free of I/O: the input data model, periods and time
//! zones, the KPI catalog, MRR movements, per-period measures and the KPI
//! formulas, workspace settings and custom KPIs, and the OKR maths:
//! key-result and objective scores, grade bands, pace and forecast.
//!
//! The engine (`okapi-engine`) reads a company's data and fills
//! [`measures::PeriodMeasures`]; everything a KPI *means* is decided here.
//!
//! ```
//! use okapi_core::formulas::{evaluate, FormulaContext};
//! use okapi_core::measures::PeriodMeasures;
//! use okapi_core::mrr::MrrBridge;
//! use okapi_core::period::Grain;
//!
//! let bridge = MrrBridge {
//!     start_mrr: "100".parse().unwrap(),
//!     end_mrr: "90".parse().unwrap(),
//!     churn: "10".parse().unwrap(),
//!     customers_start: 2,
//!     customers_end: 1,
//!     churned_customers: 1,
//!     ..Default::default()
//! };
//! let m = PeriodMeasures { revenue: Ok(bridge), ..PeriodMeasures::missing() };
//! let ctx = FormulaContext { grain: Grain::Month, gross_margin: "0.8".parse().unwrap() };
//! let churn = evaluate("customer_churn_rate", &m, &ctx).unwrap();
//! assert_eq!(churn.value.unwrap().as_f64(), 50.0);
//! ```

pub mod alerting;
pub mod calibration;
pub mod catalog;
pub mod custom;
pub mod data_model;
pub mod formulas;
pub mod health;
pub mod insights;
pub mod measures;
pub mod mrr;
pub mod okr;
pub mod pace;
pub mod period;
pub mod retention;
pub mod review;
pub mod scoring;
pub mod settings;
pub mod templates;
pub mod timezone;
pub mod ttv;
pub mod units;
pub mod words;
