//! The client side: the events scan submitted to a scheduler as one
//! aggregate over a Parquet listing of exactly the files a local scan
//! would read, and the merged state it returns finished here.

use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::execution::SessionStateBuilder;
use datafusion::prelude::{SessionConfig, SessionContext, col, lit};
use okapi_engine::EngineError;
use okapi_engine::compute::EventsScanner;
use okapi_engine::compute::events::partial::{self, PartialScan};
use okapi_engine::compute::events::{EventOptions, EventsScan};
use okapi_engine::source::{Format, SourceFile};

use crate::udaf::{self, ScanArgs};
use crate::{ClusterError, MAX_MESSAGE_BYTES, parse_address};

/// Scans the events on the cluster whose scheduler is at an address.
#[derive(Debug, Clone)]
pub struct ClusterScanner {
    scheduler: String,
    /// Tasks the scan is split into (about the cluster's cores: more
    /// tasks balance better, each adds a partial state to merge).
    tasks: usize,
    /// How long a scan may take before it is abandoned with an error (a
    /// job whose executors died can wait on the scheduler for ever).
    timeout: std::time::Duration,
}

impl ClusterScanner {
    /// The cluster whose scheduler listens at `scheduler` (`HOST:PORT`),
    /// the scan split into `tasks` tasks.
    pub fn new(scheduler: &str, tasks: usize) -> Result<ClusterScanner, ClusterError> {
        parse_address(scheduler)?;
        Ok(ClusterScanner {
            scheduler: scheduler.to_string(),
            tasks: tasks.max(1),
            timeout: std::time::Duration::from_secs(3600),
        })
    }

    /// The same cluster, a scan abandoned after `timeout`.
    pub fn with_timeout(mut self, timeout: std::time::Duration) -> ClusterScanner {
        self.timeout = timeout;
        self
    }

    fn error(&self, file: &SourceFile, reason: impl std::fmt::Display) -> EngineError {
        let text = reason.to_string();
        let reason = if text.contains("tcp connect error") || text.contains("ConnectError") {
            format!(
                "cannot reach the scheduler ({}); is `okapi cluster scheduler` running there?",
                if text.contains("Connection refused") {
                    "connection refused"
                } else {
                    "no connection"
                }
            )
        } else {
            text
        };
        EngineError::File {
            file: file.display_name(),
            reason: format!("on the cluster at {}: {reason}", self.scheduler),
        }
    }

    async fn scan_async(
        &self,
        file: &SourceFile,
        opts: EventOptions,
    ) -> Result<EventsScan, EngineError> {
        let config = SessionConfig::new_with_ballista()
            .with_target_partitions(self.tasks)
            .with_ballista_grpc_client_max_message_size(MAX_MESSAGE_BYTES as usize)
            .with_ballista_job_name("okapi events scan")
            // Text as plain strings, the validator's canonical type, not
            // string views it would convert.
            .set_bool(
                "datafusion.execution.parquet.schema_force_view_types",
                false,
            );
        let mut state = SessionStateBuilder::new()
            .with_default_features()
            .with_config(config)
            .build();
        let scan_fn = udaf::events_scan();
        datafusion::execution::FunctionRegistry::register_udaf(
            &mut state,
            Arc::new(scan_fn.clone()),
        )
        .map_err(|e| self.error(file, e))?;
        let ctx = SessionContext::remote_with_state(&format!("df://{}", self.scheduler), state)
            .await
            .map_err(|e| self.error(file, e))?;

        // Exactly the files a local scan reads, by absolute path.
        let mut urls = Vec::new();
        for f in file.files() {
            let path = std::path::absolute(&f.path).map_err(|source| EngineError::Io {
                path: f.path.clone(),
                source,
            })?;
            let url = ListingTableUrl::parse(path.to_string_lossy().as_ref())
                .map_err(|e| self.error(file, e))?;
            urls.push(url);
        }
        let listing =
            ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let inferred = ListingTableConfig::new_with_multi_paths(urls.clone())
            .with_listing_options(listing.clone())
            .infer_schema(&ctx.state())
            .await
            .map_err(|e| self.error(file, e))?;
        // Every column nullable: a NULL where the files' schema says there
        // is none is a bad row for okapi to name, not a reader's error.
        let nullable = inferred.file_schema.as_ref().map(|s| {
            Arc::new(datafusion::arrow::datatypes::Schema::new(
                s.fields()
                    .iter()
                    .map(|f| f.as_ref().clone().with_nullable(true))
                    .collect::<Vec<_>>(),
            ))
        });
        let mut table_config =
            ListingTableConfig::new_with_multi_paths(urls).with_listing_options(listing);
        if let Some(schema) = nullable {
            table_config = table_config.with_schema(schema);
        }
        let table = ListingTable::try_new(table_config).map_err(|e| self.error(file, e))?;
        let schema = datafusion::datasource::TableProvider::schema(&table);
        partial::check_schema(&schema).map_err(|e| match e {
            EngineError::File { reason, .. } => EngineError::File {
                file: file.display_name(),
                reason,
            },
            other => other,
        })?;
        ctx.register_table("events", Arc::new(table))
            .map_err(|e| self.error(file, e))?;

        let present: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let columns = PartialScan::columns(&opts, &present);
        let args = ScanArgs {
            options: opts.to_json(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
        };
        let mut exprs: Vec<_> = columns.iter().map(|c| col(*c)).collect();
        exprs.push(lit(
            udaf::args_literal(&args).map_err(|e| self.error(file, e))?
        ));
        let df = ctx
            .table("events")
            .await
            .map_err(|e| self.error(file, e))?
            .aggregate(vec![], vec![scan_fn.call(exprs).alias("state")])
            .map_err(|e| self.error(file, e))?;
        let batches = df.collect().await.map_err(|e| self.error(file, e))?;

        let mut whole = PartialScan::new(opts.clone());
        for b in &batches {
            let Some(states) = b.columns().first() else {
                continue;
            };
            let states = states.as_binary::<i64>();
            for i in 0..states.len() {
                if !states.is_null(i) {
                    whole.merge(PartialScan::from_bytes(&opts, states.value(i))?);
                }
            }
        }
        whole.finish()
    }
}

impl EventsScanner for ClusterScanner {
    fn scan(&self, file: &SourceFile, opts: EventOptions) -> Result<EventsScan, EngineError> {
        if file.format != Format::Parquet {
            return Err(self.error(
                file,
                "a cluster scans events in Parquet (one file, or a directory of \
                 date=YYYY-MM-DD partitions); convert this file to Parquet",
            ));
        }
        // Its own runtime on its own thread: the caller may be inside
        // another runtime's blocking pool.
        std::thread::scope(|s| {
            s.spawn(|| {
                let rt = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .map_err(|source| EngineError::Io {
                        path: file.path.clone(),
                        source,
                    })?;
                rt.block_on(async {
                    match tokio::time::timeout(self.timeout, self.scan_async(file, opts)).await {
                        Ok(r) => r,
                        Err(_) => Err(self.error(
                            file,
                            format!(
                                "the scan did not finish within {} s and was abandoned \
                                 (an executor may have died mid-scan; the scheduler's log \
                                 says which)",
                                self.timeout.as_secs()
                            ),
                        )),
                    }
                })
            })
            .join()
            .unwrap_or_else(|_| Err(self.error(file, "the scan's thread failed")))
        })
    }

    fn describe(&self) -> String {
        format!("the cluster at {}", self.scheduler)
    }
}
