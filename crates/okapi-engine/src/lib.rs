//! # okapi-engine
//!
//! From a company's raw data to every KPI: finding a data directory's
//! tables ([`source`]), loading and validating them with a data-quality
//! report ([`load`]), and computing the KPI catalog per period
//! ([`compute`]) on Apache DataFusion and dedicated Arrow kernels.

pub mod compute;
pub mod day_bits;
pub mod demo;
pub mod error;
pub mod load;
pub mod source;

pub use error::EngineError;
