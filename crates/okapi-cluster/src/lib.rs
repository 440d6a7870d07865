//! okapi on a cluster: the events scan, the one part of a refresh that
//! grows with the company's product usage, run by Apache DataFusion
//! Ballista's scheduler and executors.
//!
//! The events are read where they lie (Parquet every node can read at the
//! same path) by `okapi_events_scan` ([`udaf`]), an aggregate function
//! whose partial states are okapi's own scan state: each executor task
//! validates and scans its share of the row groups, the states are merged
//! by Ballista's final aggregate, and the client finishes the merged scan
//! and computes every events KPI from it exactly as a single machine does.
//! The other tables (billing, funnel, spend, surveys) are small and are
//! read and validated on the client as usual.
//!
//! [`process`] starts the nodes from the okapi binary; [`ClusterScanner`]
//! is the client, plugged into the engine as its events scanner.

mod client;
pub mod error;
pub mod process;
pub mod udaf;

pub use client::ClusterScanner;
pub use error::ClusterError;

/// The largest gRPC message a node sends or accepts: a partial scan state
/// travels as one value (about 15 MiB at 100 million events).
pub const MAX_MESSAGE_BYTES: u32 = 1 << 30;

/// `HOST:PORT` taken apart.
pub fn parse_address(addr: &str) -> Result<(String, u16), ClusterError> {
    let (host, port) = addr
        .rsplit_once(':')
        .ok_or_else(|| ClusterError::Address(addr.to_string()))?;
    let port: u16 = port
        .parse()
        .map_err(|_| ClusterError::Address(addr.to_string()))?;
    if host.is_empty() {
        return Err(ClusterError::Address(addr.to_string()));
    }
    Ok((host.to_string(), port))
}
