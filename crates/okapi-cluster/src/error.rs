//! What can go wrong starting a node.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ClusterError {
    #[error("could not start the {what}: {reason}")]
    Start { what: &'static str, reason: String },
    #[error("`{0}` is not a scheduler address (expected HOST:PORT, e.g. 127.0.0.1:50050)")]
    Address(String),
}
