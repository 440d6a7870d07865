//! Integration tests of the engine: one test binary, one module per area.

mod anchor;
mod bad_parquet;
mod demo;
mod hostile;
mod kpis;
mod parallel;
