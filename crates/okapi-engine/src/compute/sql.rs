//! The funnel, deals, visits and surveys measures as SQL on DataFusion.
//!
//! Loaded tables are registered as in-memory tables under their names, with
//! a scalar function `okapi_period(ts_or_date)` that returns the first day
//! of the period containing its argument (in the requested grain and the
//! workspace time zone). Custom SQL KPIs run in the same context.
//!
//! A custom SQL KPI is someone else's text: [`Sql::custom_query`] runs it
//! only if [`validate_sql`] accepts it — exactly one read-only `SELECT` or
//! `WITH` query over the loaded tables, checked on the parsed syntax tree
//! (no DDL, DML, `COPY`, `SET`, `EXPLAIN`, recursive CTE, table function,
//! qualified or unknown table, the `events` table (streamed by the events
//! kernel, never registered), `SELECT … INTO`, nor anything nested deeper
//! than [`MAX_SQL_DEPTH`]) — and then plans it with DataFusion's
//! [`SQLOptions`] forbidding DDL, DML and statements, under the workspace's
//! [`QueryLimits`]: a time limit, a memory pool with no spilling to disk,
//! and a cap on the rows returned. DataFusion is built with its
//! `recursive_protection` feature, so planning a deep expression cannot
//! overflow the stack either.
//!
//! Queries run on the caller's tokio runtime when there is one (the
//! application layer calls the engine on its blocking pool), else on one
//! runtime shared by the process. A custom query alone gets a thread and a
//! small runtime of its own: that is what lets its caller have the answer
//! at the time limit even while DataFusion is inside an operator that
//! seldom yields.

use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use datafusion::arrow::array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Int64Array, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{Result as DfResult, exec_err};
use datafusion::datasource::MemTable;
use datafusion::execution::context::SQLOptions;
use datafusion::execution::disk_manager::{DiskManagerBuilder, DiskManagerMode};
use datafusion::execution::memory_pool::GreedyMemoryPool;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    Expr, ObjectNamePart, Query, Select, SetExpr, Statement, TableFactor, Visit, Visitor,
};
use okapi_core::custom::MAX_SQL_CHARS;
use okapi_core::data_model::Table;
use okapi_core::period::{Grain, Period, date_of, day_num};
use okapi_core::settings::QueryLimits;
use okapi_core::timezone::Zone;

use crate::error::EngineError;
use crate::load::LoadedTable;

/// `okapi_period(x)`: the first day of the period containing `x`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct PeriodFunction {
    grain: Grain,
    zone: Zone,
    signature: Signature,
}

impl ScalarUDFImpl for PeriodFunction {
    fn name(&self) -> &str {
        "okapi_period"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let Some(a) = arrays.first() else {
            return exec_err!("okapi_period takes one argument");
        };
        // Dates outside the window (a query may compute any date) are
        // refused rather than bucketed.
        let outside = || {
            exec_err!(
                "okapi_period: a date {}",
                crate::load::cells::outside_window()
            )
        };
        let start = |day: i32| -> DfResult<i32> {
            if !crate::load::cells::in_window_day(day) {
                return outside();
            }
            Ok(day_num(Period::containing(self.grain, date_of(day)).start))
        };
        let out: Date32Array = match a.data_type() {
            DataType::Date32 => {
                let Some(d) = a.as_any().downcast_ref::<Date32Array>() else {
                    return exec_err!("okapi_period: not a date array");
                };
                d.iter()
                    .map(|v| v.map(start).transpose())
                    .collect::<DfResult<_>>()?
            }
            DataType::Timestamp(..) => {
                let t = cast(
                    a,
                    &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                )?;
                let Some(t) = t.as_any().downcast_ref::<TimestampMicrosecondArray>() else {
                    return exec_err!("okapi_period: not a timestamp array");
                };
                let mut m = self.zone.day_mapper();
                t.iter()
                    .map(|v| {
                        v.map(|us| {
                            if crate::load::cells::in_window_micros(us) {
                                start(m.day_of(us))
                            } else {
                                outside()
                            }
                        })
                        .transpose()
                    })
                    .collect::<DfResult<_>>()?
            }
            other => return exec_err!("okapi_period expects a timestamp or a date, got {other}"),
        };
        Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
    }
}

/// A DataFusion session holding the loaded tables.
pub struct Sql {
    pub ctx: SessionContext,
    limits: QueryLimits,
}

/// Runs `work` to its end from synchronous code: on the caller's tokio
/// runtime when there is one (the application layer calls the engine on
/// its blocking pool, so queries share the process's runtime), else on one
/// runtime kept for the whole process, built on first use (tests, tools).
pub(crate) fn run_blocking<T>(
    work: impl std::future::Future<Output = Result<T, EngineError>>,
) -> Result<T, EngineError> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    static FALLBACK: std::sync::OnceLock<Result<tokio::runtime::Runtime, String>> =
        std::sync::OnceLock::new();
    match Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == RuntimeFlavor::MultiThread => {
            // On a worker thread, hand the worker's other tasks on first.
            tokio::task::block_in_place(|| handle.block_on(work))
        }
        _ => {
            let rt = FALLBACK.get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("okapi-engine")
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            });
            match rt {
                Ok(rt) => rt.block_on(work),
                Err(e) => Err(EngineError::Query(format!(
                    "cannot start the query runtime: {e}"
                ))),
            }
        }
    }
}

impl Sql {
    /// Registers `tables` and `okapi_period` for `grain` in `zone`, for
    /// okapi's own queries.
    pub fn new<'a>(
        tables: impl IntoIterator<Item = &'a LoadedTable>,
        grain: Grain,
        zone: Zone,
    ) -> Result<Sql, EngineError> {
        let config = SessionConfig::new().with_target_partitions(2);
        let ctx = SessionContext::new_with_config(config);
        Sql::register(ctx, tables, grain, zone, QueryLimits::default())
    }

    /// [`Sql::new`] for custom queries: their working memory held to
    /// `limits.memory_mib` (no spilling to disk), their time and rows to
    /// the other limits by [`Sql::custom_query`].
    pub fn with_limits<'a>(
        tables: impl IntoIterator<Item = &'a LoadedTable>,
        grain: Grain,
        zone: Zone,
        limits: QueryLimits,
    ) -> Result<Sql, EngineError> {
        let config = SessionConfig::new().with_target_partitions(2);
        let bytes = (limits.memory_mib as usize).saturating_mul(1024 * 1024);
        let runtime = RuntimeEnvBuilder::new()
            .with_memory_pool(Arc::new(GreedyMemoryPool::new(bytes)))
            .with_disk_manager_builder(
                DiskManagerBuilder::default().with_mode(DiskManagerMode::Disabled),
            )
            .build_arc()?;
        let ctx = SessionContext::new_with_config_rt(config, runtime);
        Sql::register(ctx, tables, grain, zone, limits)
    }

    fn register<'a>(
        ctx: SessionContext,
        tables: impl IntoIterator<Item = &'a LoadedTable>,
        grain: Grain,
        zone: Zone,
        limits: QueryLimits,
    ) -> Result<Sql, EngineError> {
        for t in tables {
            let mem = MemTable::try_new(t.schema.clone(), vec![t.batches.clone()])?;
            ctx.register_table(t.source.table.name(), Arc::new(mem))?;
        }
        let ts = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        let signature = Signature::one_of(
            vec![
                TypeSignature::Exact(vec![ts]),
                TypeSignature::Exact(vec![DataType::Date32]),
            ],
            Volatility::Immutable,
        );
        ctx.register_udf(ScalarUDF::new_from_impl(PeriodFunction {
            grain,
            zone,
            signature,
        }));
        Ok(Sql { ctx, limits })
    }

    /// Runs okapi's own `sql` and collects its batches.
    pub fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, EngineError> {
        run_blocking(async {
            let df = self.ctx.sql(sql).await?;
            Ok(df.collect().await?)
        })
    }

    /// Runs a custom KPI's `sql`: checked by [`validate_sql`], planned with
    /// DDL, DML and statements forbidden, stopped past the time limit, the
    /// memory limit (see [`Sql::with_limits`]) or the row limit.
    ///
    /// The query runs on a thread of its own, and the caller waits for it
    /// no longer than the time limit. DataFusion stops a query only where
    /// it yields, which some operators (a join producing rows) rarely do:
    /// past the limit the caller has its error at once, and the query,
    /// cancelled at its next yield, is left to end on its own thread
    /// within its memory limit, its result discarded.
    pub fn custom_query(&self, sql: &str) -> Result<Vec<RecordBatch>, EngineError> {
        validate_sql(sql)?;
        let limits = self.limits;
        let timeout = Duration::from_secs(u64::from(limits.timeout_secs));
        let too_slow = || {
            EngineError::Query(format!(
                "stopped after {} s, the time limit (limits.query_timeout in okapi.toml)",
                limits.timeout_secs
            ))
        };
        let ctx = self.ctx.clone();
        let text = sql.to_string();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("okapi-custom-kpi".into())
            .stack_size(QUERY_STACK_BYTES)
            .spawn(move || {
                let result =
                    crate::containment::contained(|| run_custom(&ctx, &text, limits, timeout))
                        .unwrap_or_else(|panic| {
                            Some(Err(EngineError::Query(format!(
                                "the query engine failed on this query ({panic})"
                            ))))
                        });
                // The caller may have stopped waiting.
                let _ = tx.send(result);
            })
            .map_err(|e| EngineError::Query(format!("cannot start the query: {e}")))?;
        let batches = match rx.recv_timeout(timeout) {
            Ok(Some(result)) => result?,
            Ok(None) | Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Err(too_slow()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(EngineError::Query(
                    "the query ended without a result".into(),
                ));
            }
        };
        let max_rows = limits.max_rows as usize;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if rows > max_rows {
            return Err(EngineError::Query(format!(
                "returns more than {max_rows} rows, the row limit (limits.query_rows in \
                 okapi.toml); a KPI query returns one row per period"
            )));
        }
        Ok(batches)
    }

    /// Runs a query whose first column is a period start (`Date32`) and
    /// whose other columns are numbers; returns, per period start day, the
    /// other columns as `i128` (integers; decimals at their scale).
    pub fn by_period(&self, sql: &str) -> Result<HashMap<i32, Vec<i128>>, EngineError> {
        let mut out = HashMap::new();
        for b in self.query(sql)? {
            let p = b
                .column(0)
                .as_any()
                .downcast_ref::<Date32Array>()
                .ok_or_else(|| {
                    EngineError::Query(format!("first column of `{sql}` is not a date"))
                })?;
            let cols: Vec<Vec<Option<i128>>> = b
                .columns()
                .iter()
                .skip(1)
                .map(numbers)
                .collect::<Result<_, _>>()?;
            for i in 0..b.num_rows() {
                if p.is_null(i) {
                    continue;
                }
                let row = cols
                    .iter()
                    .map(|c| c.get(i).copied().flatten().unwrap_or(0));
                out.insert(p.value(i), row.collect());
            }
        }
        Ok(out)
    }
}

/// A numeric column as `i128` values (decimals keep their raw scaled value).
fn numbers(a: &ArrayRef) -> Result<Vec<Option<i128>>, EngineError> {
    if let Some(d) = a.as_any().downcast_ref::<Decimal128Array>() {
        return Ok(d.iter().collect());
    }
    let c = cast(a, &DataType::Int64)?;
    let c = c
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| EngineError::Query("not a number column".into()))?;
    Ok(c.iter().map(|v| v.map(i128::from)).collect())
}

/// Stack of the thread a custom query runs on.
const QUERY_STACK_BYTES: usize = 16 << 20;

/// Plans and runs a checked custom query on a runtime of its own, with
/// DDL, DML and statements forbidden, at most one row past the row limit
/// collected, and cancelled at its first yield past `timeout` (`None`).
fn run_custom(
    ctx: &SessionContext,
    sql: &str,
    limits: QueryLimits,
    timeout: Duration,
) -> Option<Result<Vec<RecordBatch>, EngineError>> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(r) => r,
        Err(e) => return Some(Err(EngineError::Query(e.to_string()))),
    };
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let max_rows = limits.max_rows as usize;
    let run = async {
        let df = ctx.sql_with_options(sql, options).await?;
        // One row past the cap is enough to know it is exceeded.
        let df = df.limit(0, Some(max_rows.saturating_add(1)))?;
        Ok::<_, EngineError>(df.collect().await?)
    };
    let result = runtime
        .block_on(async { tokio::time::timeout(timeout, run).await })
        .ok()?;
    Some(result.map_err(|e| match e {
        EngineError::Query(m) if m.contains("Resources exhausted") => EngineError::Query(format!(
            "needs more than {} MiB of working memory, the memory limit \
                     (limits.query_memory in okapi.toml): {m}",
            limits.memory_mib
        )),
        e => e,
    }))
}

/// The deepest a custom query may nest expressions and subqueries (each
/// operator, function call, parenthesis or subquery is a level).
pub const MAX_SQL_DEPTH: usize = 128;

/// Scalar functions whose one result can be made as large as a number in
/// the query asks (`repeat('x', 1e9)`) or multiplied by nesting
/// (`replace`): a single value the memory pool does not see. KPI queries
/// count and sum; they have no need of them.
const UNBOUNDED_FUNCTIONS: &[&str] = &[
    "repeat",
    "lpad",
    "rpad",
    "replace",
    "regexp_replace",
    "array_repeat",
    "range",
    "generate_series",
];

/// Parser recursion allowed while reading a custom query.
const PARSER_RECURSION: usize = 64;

/// Stack of the thread that parses and checks a custom query: a chain of
/// operators parses into a tree as deep as it is long (up to about 10,000
/// levels in [`MAX_SQL_CHARS`]), which is walked and dropped before it can
/// be refused.
const CHECK_STACK_BYTES: usize = 64 << 20;

/// Why a custom KPI's SQL is refused before it runs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SqlRefused {
    #[error("{0} characters; a query may hold at most {MAX_SQL_CHARS}")]
    TooLong(usize),
    #[error("cannot parse the query: {0}")]
    Parse(String),
    #[error("the query is empty")]
    Empty,
    #[error("{0} statements; a KPI is exactly one SELECT or WITH query")]
    Statements(usize),
    /// A statement that is not a query, named by its first words.
    #[error("only a SELECT or WITH query may define a KPI, not `{0}`")]
    NotAQuery(String),
    #[error("a KPI query may not change data or run statements")]
    ChangesData,
    #[error("recursive CTEs (WITH RECURSIVE) are not allowed")]
    Recursive,
    #[error("only plain SELECT queries are allowed (no FOR, SETTINGS, FORMAT or pipe clauses)")]
    Clause,
    #[error("`TABLE name` is not allowed; write SELECT * FROM name")]
    TableStatement,
    #[error("SELECT … INTO is not allowed: a KPI query may not create tables")]
    SelectInto,
    #[error("table function `{0}(…)` is not allowed: a KPI query reads only the input tables")]
    TableFunction(String),
    #[error("unknown table `{0}` (a KPI query reads the input tables: {tables})", tables = sql_tables().join(", "))]
    UnknownTable(String),
    #[error(
        "the events table is not available to SQL KPIs: okapi reads it in one streaming pass for the built-in events KPIs and does not hold it in memory; build on those KPIs with a formula instead"
    )]
    EventsTable,
    #[error(
        "only input tables, CTEs and subqueries may appear in FROM (no table functions, UNNEST, PIVOT or the like)"
    )]
    FromClause,
    #[error(
        "function `{0}` is not allowed: it builds a value as large as its arguments ask, beyond any memory limit"
    )]
    UnboundedFunction(String),
    #[error("the query nests more than {MAX_SQL_DEPTH} levels deep")]
    TooDeep,
    /// The check itself could not run (no thread to run it on).
    #[error("the query could not be checked: {0}")]
    Unchecked(String),
}

/// Checks that `sql` is a custom KPI query okapi will run: at most
/// [`MAX_SQL_CHARS`] characters, exactly one read-only `SELECT`/`WITH`
/// query over the input tables, and nothing nested deeper than
/// [`MAX_SQL_DEPTH`]. Returns why not.
pub fn validate_sql(sql: &str) -> Result<(), SqlRefused> {
    let chars = sql.chars().count();
    if chars > MAX_SQL_CHARS {
        return Err(SqlRefused::TooLong(chars));
    }
    let text = sql.to_string();
    std::thread::Builder::new()
        .name("okapi-sql-check".into())
        .stack_size(CHECK_STACK_BYTES)
        .spawn(move || {
            crate::containment::contained(|| check_sql(&text))
                .unwrap_or_else(|panic| Err(SqlRefused::Unchecked(panic)))
        })
        .map_err(|e| SqlRefused::Unchecked(e.to_string()))?
        .join()
        .unwrap_or_else(|_| Err(SqlRefused::Unchecked("the check failed".into())))
}

fn check_sql(sql: &str) -> Result<(), SqlRefused> {
    let mut statements = DFParserBuilder::new(sql)
        .with_recursion_limit(PARSER_RECURSION)
        .build()
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| SqlRefused::Parse(e.to_string()))?;
    let statement = match (statements.pop_front(), statements.is_empty()) {
        (Some(s), true) => s,
        (None, _) => return Err(SqlRefused::Empty),
        (Some(_), false) => return Err(SqlRefused::Statements(statements.len() + 1)),
    };
    let not_a_query = |kind: &str| Err(SqlRefused::NotAQuery(kind.into()));
    let query = match statement {
        DfStatement::Statement(s) => match *s {
            Statement::Query(q) => q,
            _ => return not_a_query(&first_words(sql)),
        },
        DfStatement::CreateExternalTable(_) => return not_a_query("CREATE EXTERNAL TABLE"),
        DfStatement::CopyTo(_) => return not_a_query("COPY"),
        DfStatement::Explain(_) => return not_a_query("EXPLAIN"),
        DfStatement::Reset(_) => return not_a_query("RESET"),
    };
    let mut guard = ReadOnly {
        ctes: HashSet::new(),
        depth: 0,
    };
    match query.visit(&mut guard) {
        ControlFlow::Break(reason) => Err(reason),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// The first two words of `sql`, past comment lines: what kind of
/// statement it is (`INSERT INTO`, `CREATE TABLE`, `SET x` …).
fn first_words(sql: &str) -> String {
    let words: Vec<&str> = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .flat_map(str::split_whitespace)
        .take(2)
        .collect();
    words.join(" ").to_uppercase()
}

/// Walks a parsed query, refusing anything that is not a read-only query
/// over the input tables. The walk itself is guarded against deep trees
/// by sqlparser's `recursive-protection`.
struct ReadOnly {
    /// Names of the common table expressions defined so far.
    ctes: HashSet<String>,
    depth: usize,
}

impl ReadOnly {
    fn enter(&mut self) -> ControlFlow<SqlRefused> {
        self.depth += 1;
        if self.depth > MAX_SQL_DEPTH {
            return ControlFlow::Break(SqlRefused::TooDeep);
        }
        ControlFlow::Continue(())
    }

    fn leave(&mut self) -> ControlFlow<SqlRefused> {
        self.depth = self.depth.saturating_sub(1);
        ControlFlow::Continue(())
    }
}

/// The input tables an SQL KPI may read: all but `events`.
fn sql_tables() -> Vec<&'static str> {
    Table::ALL
        .iter()
        .filter(|t| **t != Table::Events)
        .map(|t| t.name())
        .collect()
}

fn refuse(reason: SqlRefused) -> ControlFlow<SqlRefused> {
    ControlFlow::Break(reason)
}

impl Visitor for ReadOnly {
    type Break = SqlRefused;

    fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<SqlRefused> {
        self.enter()?;
        if let Some(with) = &q.with {
            if with.recursive {
                return refuse(SqlRefused::Recursive);
            }
            for cte in &with.cte_tables {
                self.ctes.insert(cte.alias.name.value.to_lowercase());
            }
        }
        if !q.locks.is_empty()
            || q.for_clause.is_some()
            || q.settings.is_some()
            || q.format_clause.is_some()
            || !q.pipe_operators.is_empty()
        {
            return refuse(SqlRefused::Clause);
        }
        // The set operations of the body, walked without recursion.
        let mut stack: Vec<&SetExpr> = vec![&q.body];
        while let Some(e) = stack.pop() {
            match e {
                SetExpr::SetOperation { left, right, .. } => {
                    stack.push(left);
                    stack.push(right);
                }
                SetExpr::Select(_) | SetExpr::Query(_) | SetExpr::Values(_) => {}
                SetExpr::Table(_) => {
                    return refuse(SqlRefused::TableStatement);
                }
                SetExpr::Insert(_)
                | SetExpr::Update(_)
                | SetExpr::Delete(_)
                | SetExpr::Merge(_) => {
                    return refuse(SqlRefused::ChangesData);
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _q: &Query) -> ControlFlow<SqlRefused> {
        self.leave()
    }

    fn pre_visit_select(&mut self, s: &Select) -> ControlFlow<SqlRefused> {
        if s.into.is_some() {
            return refuse(SqlRefused::SelectInto);
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, _s: &Statement) -> ControlFlow<SqlRefused> {
        // The query itself is visited, not its statement: any statement
        // met is nested in it (`WITH x AS (INSERT …)`).
        refuse(SqlRefused::ChangesData)
    }

    fn pre_visit_table_factor(&mut self, t: &TableFactor) -> ControlFlow<SqlRefused> {
        match t {
            TableFactor::Table { name, args, .. } => {
                let shown = name.to_string();
                if args.is_some() {
                    return refuse(SqlRefused::TableFunction(shown));
                }
                let parts: Vec<&ObjectNamePart> = name.0.iter().collect();
                let plain = match parts.as_slice() {
                    [ObjectNamePart::Identifier(id)] => Some(id.value.to_lowercase()),
                    _ => None,
                };
                match plain {
                    Some(n) if self.ctes.contains(&n) => ControlFlow::Continue(()),
                    Some(n) if n == Table::Events.name() => refuse(SqlRefused::EventsTable),
                    Some(n) if Table::ALL.iter().any(|t| t.name() == n) => {
                        ControlFlow::Continue(())
                    }
                    _ => refuse(SqlRefused::UnknownTable(shown)),
                }
            }
            TableFactor::Derived { .. } | TableFactor::NestedJoin { .. } => {
                ControlFlow::Continue(())
            }
            _ => refuse(SqlRefused::FromClause),
        }
    }

    fn pre_visit_expr(&mut self, e: &Expr) -> ControlFlow<SqlRefused> {
        self.enter()?;
        if let Expr::Function(f) = e {
            let name = f.name.to_string().to_lowercase();
            let base = name.rsplit('.').next().unwrap_or(&name).trim_matches('"');
            if UNBOUNDED_FUNCTIONS.contains(&base) {
                return refuse(SqlRefused::UnboundedFunction(base.to_string()));
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, _e: &Expr) -> ControlFlow<SqlRefused> {
        self.leave()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn refused(sql: &str, why: &str) {
        match validate_sql(sql) {
            Ok(()) => panic!("accepted: {sql}"),
            Err(e) => assert!(e.to_string().contains(why), "{sql}: {e}"),
        }
    }

    #[test]
    fn one_read_only_query_over_the_input_tables_is_accepted() {
        for sql in [
            "SELECT okapi_period(closed_at), COUNT(*) FROM deals WHERE status = 'won' GROUP BY 1",
            "WITH w AS (SELECT * FROM deals WHERE status = 'won') \
             SELECT okapi_period(w.closed_at), SUM(w.amount) FROM w JOIN accounts a \
             ON a.account_id = w.account_id GROUP BY 1",
            "SELECT p, n FROM (SELECT okapi_period(ts) AS p, COUNT(DISTINCT visitor_id) AS n \
             FROM visits GROUP BY 1) t UNION ALL SELECT DATE '2024-01-01', 0",
            "-- a comment\nSELECT okapi_period(start_date), SUM(mrr) FROM Subscriptions GROUP BY 1",
        ] {
            assert_eq!(validate_sql(sql), Ok(()), "{sql}");
        }
    }

    #[test]
    fn statements_that_are_not_queries_are_refused_by_kind() {
        refused("CREATE TABLE t (x INT)", "not `CREATE TABLE`");
        refused("CREATE VIEW v AS SELECT 1", "not `CREATE VIEW`");
        refused("DELETE FROM deals", "not `DELETE FROM`");
        refused("-- wipe\nTRUNCATE deals", "not `TRUNCATE DEALS`");
        refused("COPY (SELECT 1) TO 'out.csv'", "not `COPY`");
        refused(
            "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION '/'",
            "not `CREATE EXTERNAL TABLE`",
        );
        refused("EXPLAIN SELECT 1", "not `EXPLAIN`");
        refused("SET x = 1", "not `SET X`");
        refused("RESET datafusion.execution.batch_size", "not `RESET`");
        refused("", "the query is empty");
        refused("SELECT 1; SELECT 2; SELECT 3", "3 statements");
    }

    #[test]
    fn what_reads_beyond_the_input_tables_is_refused() {
        refused(
            "SELECT * FROM read_csv('/etc/passwd')",
            "table function `read_csv(…)`",
        );
        refused("SELECT * FROM range(10)", "table function `range(…)`");
        refused("SELECT * FROM public.deals", "unknown table `public.deals`");
        refused("SELECT * FROM secrets", "unknown table `secrets`");
        refused(
            "SELECT okapi_period(ts), COUNT(*) FROM events GROUP BY 1",
            "the events table is not available to SQL KPIs",
        );
        refused(
            "SELECT p, n FROM (SELECT okapi_period(ts) AS p, COUNT(*) AS n FROM Events GROUP BY 1) t",
            "the events table is not available to SQL KPIs",
        );
        refused(
            "SELECT * FROM UNNEST([1, 2])",
            "only input tables, CTEs and subqueries",
        );
        // A CTE's name reads like a table.
        assert_eq!(
            validate_sql("WITH s AS (SELECT 1 AS x) SELECT x, x FROM s"),
            Ok(())
        );
        refused(
            "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r) SELECT n, n FROM r",
            "recursive CTEs",
        );
        refused("SELECT 1, 2 INTO t FROM deals", "SELECT … INTO");
        // `TABLE name` is not even parsed in DataFusion's dialect.
        refused("TABLE deals", "cannot parse the query");
        refused("SELECT repeat('x', 1000000000), 1", "function `repeat`");
        refused("SELECT lpad('x', 1000000000, 'y'), 1", "function `lpad`");
        refused(
            "SELECT replace(replace('aaaa', 'a', 'aaaa'), 'a', 'aaaa'), 1",
            "function `replace`",
        );
    }

    #[test]
    fn deep_queries_are_refused_before_they_are_planned() {
        // Parentheses nest the parser's recursion, allowed 64 levels: 20
        // pairs parse, 5,000 do not.
        let parens = |n: usize| format!("SELECT {}1{}, 1", "(".repeat(n), ")".repeat(n));
        assert_eq!(validate_sql(&parens(20)), Ok(()));
        refused(&parens(5_000), "cannot parse the query");
        // A chain of k operators is the query's level, k operators and the
        // innermost `1`: k + 2 levels. 126 operators fit in 128; 127,
        // 5,000 and 9,000 do not.
        let chain = |k: usize| format!("SELECT {}, 1", vec!["1"; k + 1].join("+"));
        assert_eq!(validate_sql(&chain(126)), Ok(()));
        refused(&chain(127), "nests more than 128 levels");
        refused(&chain(5_000), "nests more than 128 levels");
        refused(&chain(9_000), "nests more than 128 levels");
        // `SELECT ` (7) + 10,001 ones + 10,000 pluses + `, 1` (3) = 20,011
        // characters: refused unread.
        refused(&chain(10_000), "20011 characters");
    }
}
