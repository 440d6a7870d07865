//! The scheduler and executor processes: Ballista's own, started from the
//! okapi binary with okapi's functions registered, so that every node
//! plans and runs `okapi_events_scan` the same way.

use std::net::SocketAddr;
use std::sync::Arc;

use ballista_core::registry::BallistaFunctionRegistry;
use ballista_core::utils::default_session_builder;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;
use datafusion::execution::FunctionRegistry;

use crate::error::ClusterError;
use crate::{MAX_MESSAGE_BYTES, udaf};

/// How a scheduler listens and how soon it gives up on a silent executor.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    pub bind: SocketAddr,
    /// An executor that has not been heard from for this long is dead: its
    /// tasks run again elsewhere.
    pub executor_timeout_secs: u64,
}

/// Where an executor listens, which scheduler it serves, and how much.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    pub scheduler_host: String,
    pub scheduler_port: u16,
    pub bind_host: String,
    /// The address other nodes reach it at (default: `bind_host`).
    pub external_host: Option<String>,
    /// Port of its Arrow Flight service (shuffle data and results).
    pub port: u16,
    /// Port of its gRPC service (tasks pushed by the scheduler).
    pub grpc_port: u16,
    /// Tasks it runs at once (default: its cores).
    pub cores: Option<usize>,
    /// Where it keeps shuffle data (default: a temporary directory).
    pub work_dir: Option<String>,
    pub heartbeat_secs: u64,
}

/// Runs a scheduler until the process is stopped.
pub async fn run_scheduler(opts: SchedulerOptions) -> Result<(), ClusterError> {
    let config = SchedulerConfig {
        bind_host: opts.bind.ip().to_string(),
        bind_port: opts.bind.port(),
        external_host: opts.bind.ip().to_string(),
        executor_timeout_seconds: opts.executor_timeout_secs,
        no_executors_grace_period_seconds: opts.executor_timeout_secs,
        expire_dead_executor_interval_seconds: (opts.executor_timeout_secs / 3).clamp(1, 15),
        grpc_server_max_decoding_message_size: MAX_MESSAGE_BYTES,
        grpc_server_max_encoding_message_size: MAX_MESSAGE_BYTES,
        grpc_client_max_message_size: MAX_MESSAGE_BYTES,
        override_session_builder: Some(Arc::new(|config| {
            let mut state = default_session_builder(config)?;
            state.register_udaf(Arc::new(udaf::events_scan()))?;
            Ok(state)
        })),
        ..SchedulerConfig::default()
    };
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(|e| ClusterError::Start {
            what: "scheduler",
            reason: e.to_string(),
        })?;
    start_server(cluster, opts.bind, Arc::new(config))
        .await
        .map_err(|e| ClusterError::Start {
            what: "scheduler",
            reason: e.to_string(),
        })
}

/// Runs an executor until the process is stopped or its scheduler is gone.
pub async fn run_executor(opts: ExecutorOptions) -> Result<(), ClusterError> {
    let mut registry = BallistaFunctionRegistry::default();
    let scan = Arc::new(udaf::events_scan());
    registry
        .aggregate_functions
        .insert(scan.name().to_string(), scan);
    let config = ExecutorProcessConfig {
        bind_host: opts.bind_host.clone(),
        external_host: Some(opts.external_host.unwrap_or(opts.bind_host)),
        port: opts.port,
        grpc_port: opts.grpc_port,
        scheduler_host: opts.scheduler_host,
        scheduler_port: opts.scheduler_port,
        scheduler_connect_timeout_seconds: 10,
        vcores: opts.cores.unwrap_or(0),
        work_dir: opts.work_dir,
        grpc_max_decoding_message_size: MAX_MESSAGE_BYTES,
        grpc_max_encoding_message_size: MAX_MESSAGE_BYTES,
        executor_heartbeat_interval_seconds: opts.heartbeat_secs,
        override_function_registry: Some(Arc::new(registry)),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| ClusterError::Start {
            what: "executor",
            reason: e.to_string(),
        })
}
