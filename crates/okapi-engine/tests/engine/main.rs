//! Integration tests of the engine: one test binary, one module per area.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests: a failed unwrap or index is a failed test

mod anchor;
mod bad_parquet;
mod demo;
mod hostile;
mod incremental;
mod kpis;
mod parallel;
mod partial;
