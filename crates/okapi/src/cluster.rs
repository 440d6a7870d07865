//! `okapi cluster scheduler|executor` and `--cluster HOST:PORT`: the
//! events scan on a Ballista cluster (cargo feature `cluster`; a build
//! without it says how to get it).

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use clap::{Args, Subcommand};
use okapi_engine::compute::EventsScanner;

/// Where the events are scanned.
#[derive(Debug, Clone, Args)]
pub struct ClusterArg {
    /// Scan the events on the cluster whose scheduler is at HOST:PORT
    /// (Parquet events every node reads at the same path).
    #[arg(long, value_name = "HOST:PORT")]
    pub cluster: Option<String>,
    /// Tasks the cluster's scan is split into (about its cores in all).
    #[arg(long, default_value_t = 4, requires = "cluster")]
    pub cluster_tasks: usize,
    /// Seconds after which a cluster scan is abandoned with an error.
    #[arg(long, default_value_t = 3600, requires = "cluster")]
    pub cluster_timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCmd {
    /// Start a scheduler: executors register with it, `--cluster` submits to it.
    Scheduler {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: std::net::SocketAddr,
        /// Seconds without a heartbeat after which an executor is dead and
        /// its tasks run elsewhere.
        #[arg(long, default_value_t = 30)]
        executor_timeout: u64,
    },
    /// Start an executor serving a scheduler.
    Executor {
        /// The scheduler, HOST:PORT.
        #[arg(long)]
        scheduler: String,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Address the other nodes reach it at (default: --bind).
        #[arg(long)]
        external_host: Option<String>,
        /// Port of its data (Arrow Flight) service.
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// Port of its task (gRPC) service.
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
        /// Tasks it runs at once (default: its cores).
        #[arg(long)]
        cores: Option<usize>,
        /// Directory for its shuffle data (default: a temporary one).
        #[arg(long)]
        work_dir: Option<String>,
        /// Seconds between heartbeats to the scheduler.
        #[arg(long, default_value_t = 5)]
        heartbeat: u64,
    },
}

/// The scanner `arg` asks for, if any.
pub fn scanner(arg: &ClusterArg) -> Result<Option<Arc<dyn EventsScanner>>> {
    let Some(addr) = &arg.cluster else {
        return Ok(None);
    };
    imp::scanner(addr, arg.cluster_tasks, arg.cluster_timeout)
}

pub fn run(cmd: ClusterCmd) -> Result<ExitCode> {
    imp::run(cmd)
}

#[cfg(feature = "cluster")]
mod imp {
    use super::*;
    use okapi_cluster::process::{ExecutorOptions, SchedulerOptions};

    pub fn scanner(
        addr: &str,
        tasks: usize,
        timeout: u64,
    ) -> Result<Option<Arc<dyn EventsScanner>>> {
        Ok(Some(Arc::new(
            okapi_cluster::ClusterScanner::new(addr, tasks)?
                .with_timeout(std::time::Duration::from_secs(timeout.max(1))),
        )))
    }

    /// A runtime for a node: Ballista plans recurse deeply, so its
    /// threads get big stacks.
    fn runtime() -> Result<tokio::runtime::Runtime> {
        Ok(tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_stack_size(32 * 1024 * 1024)
            .build()?)
    }

    pub fn run(cmd: ClusterCmd) -> Result<ExitCode> {
        let rt = runtime()?;
        match cmd {
            ClusterCmd::Scheduler {
                bind,
                executor_timeout,
            } => {
                eprintln!("okapi cluster scheduler listening on {bind}");
                rt.block_on(okapi_cluster::process::run_scheduler(SchedulerOptions {
                    bind,
                    executor_timeout_secs: executor_timeout,
                }))?;
            }
            ClusterCmd::Executor {
                scheduler,
                bind,
                external_host,
                port,
                grpc_port,
                cores,
                work_dir,
                heartbeat,
            } => {
                let (scheduler_host, scheduler_port) = okapi_cluster::parse_address(&scheduler)?;
                eprintln!(
                    "okapi cluster executor on {bind}:{port} (tasks on {bind}:{grpc_port}) serving {scheduler}"
                );
                rt.block_on(okapi_cluster::process::run_executor(ExecutorOptions {
                    scheduler_host,
                    scheduler_port,
                    bind_host: bind,
                    external_host,
                    port,
                    grpc_port,
                    cores,
                    work_dir,
                    heartbeat_secs: heartbeat.max(1),
                }))?;
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

#[cfg(not(feature = "cluster"))]
mod imp {
    use super::*;

    const MISSING: &str = "this okapi was built without cluster support: build it with `cargo build --release -p okapi --features cluster`";

    pub fn scanner(
        _addr: &str,
        _tasks: usize,
        _timeout: u64,
    ) -> Result<Option<Arc<dyn EventsScanner>>> {
        anyhow::bail!(MISSING)
    }

    pub fn run(_cmd: ClusterCmd) -> Result<ExitCode> {
        anyhow::bail!(MISSING)
    }
}
