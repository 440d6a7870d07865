//! The funnel, deals, visits and surveys measures as SQL on DataFusion.
//!
//! Loaded tables are registered as in-memory tables under their names, with
//! a scalar function `okapi_period(ts_or_date)` that returns the first day
//! of the period containing its argument (in the requested grain and the
//! workspace time zone). Custom SQL KPIs run in the same context.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Int64Array, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{Result as DfResult, exec_err};
use datafusion::datasource::MemTable;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};
use datafusion::prelude::{SessionConfig, SessionContext};
use okapi_core::period::{Grain, Period, date_of, day_num};
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
        let start = |day: i32| day_num(Period::containing(self.grain, date_of(day)).start);
        let out: Date32Array = match a.data_type() {
            DataType::Date32 => {
                let d = a.as_any().downcast_ref::<Date32Array>().expect("date32");
                d.iter().map(|v| v.map(start)).collect()
            }
            DataType::Timestamp(..) => {
                let t = cast(
                    a,
                    &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                )?;
                let t = t
                    .as_any()
                    .downcast_ref::<TimestampMicrosecondArray>()
                    .expect("timestamp");
                let mut m = self.zone.day_mapper();
                t.iter().map(|v| v.map(|us| start(m.day_of(us)))).collect()
            }
            other => return exec_err!("okapi_period expects a timestamp or a date, got {other}"),
        };
        Ok(ColumnarValue::Array(Arc::new(out) as ArrayRef))
    }
}

/// A DataFusion session holding the loaded tables.
pub struct Sql {
    pub ctx: SessionContext,
    runtime: tokio::runtime::Runtime,
}

impl Sql {
    /// Registers `tables` and `okapi_period` for `grain` in `zone`.
    pub fn new<'a>(
        tables: impl IntoIterator<Item = &'a LoadedTable>,
        grain: Grain,
        zone: Zone,
    ) -> Result<Sql, EngineError> {
        let config = SessionConfig::new().with_target_partitions(2);
        let ctx = SessionContext::new_with_config(config);
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
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .map_err(|e| EngineError::Query(e.to_string()))?;
        Ok(Sql { ctx, runtime })
    }

    /// Runs `sql` and collects its batches.
    pub fn query(&self, sql: &str) -> Result<Vec<RecordBatch>, EngineError> {
        self.runtime.block_on(async {
            let df = self.ctx.sql(sql).await?;
            Ok(df.collect().await?)
        })
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
            let cols: Vec<Vec<Option<i128>>> = b.columns()[1..]
                .iter()
                .map(numbers)
                .collect::<Result<_, _>>()?;
            for i in 0..b.num_rows() {
                if p.is_null(i) {
                    continue;
                }
                out.insert(p.value(i), cols.iter().map(|c| c[i].unwrap_or(0)).collect());
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
