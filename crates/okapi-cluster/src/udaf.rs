//! `okapi_events_scan`: the events scan as an aggregate function, so that
//! Ballista can run it where the data is.
//!
//! Its arguments are the events columns a scan reads (named, in order, in
//! its last argument: the scan's options as JSON, a dictionary literal so
//! that it costs a few bytes per batch, not a copy per row). Each task
//! validates and scans its rows into an [`PartialScan`]; the partial states
//! travel as one binary value each, are merged, and the final value is the
//! whole scan's state, finished by the client.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::{DataFusionError, Result, ScalarValue};
use datafusion::logical_expr::function::{AccumulatorArgs, StateFieldsArgs};
use datafusion::logical_expr::{
    Accumulator, AggregateUDF, AggregateUDFImpl, Signature, Volatility,
};
use datafusion::physical_expr::expressions::Literal;
use okapi_engine::compute::events::EventOptions;
use okapi_engine::compute::events::partial::PartialScan;
use serde::{Deserialize, Serialize};

/// The function's name, as plans refer to it on every node.
pub const NAME: &str = "okapi_events_scan";

/// What the last argument carries.
#[derive(Serialize, Deserialize)]
pub struct ScanArgs {
    /// The scan's options ([`EventOptions::to_json`]).
    pub options: String,
    /// The names of the other arguments, in order.
    pub columns: Vec<String>,
}

/// The last argument: `args` as a dictionary literal.
pub fn args_literal(args: &ScanArgs) -> Result<ScalarValue> {
    let json = serde_json::to_string(args).map_err(|e| DataFusionError::External(Box::new(e)))?;
    Ok(ScalarValue::Dictionary(
        Box::new(DataType::Int32),
        Box::new(ScalarValue::Utf8(Some(json))),
    ))
}

/// The aggregate function, registered on the client, the scheduler and
/// every executor.
pub fn events_scan() -> AggregateUDF {
    AggregateUDF::new_from_impl(EventsScanUdaf {
        signature: Signature::variadic_any(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct EventsScanUdaf {
    signature: Signature,
}

impl AggregateUDFImpl for EventsScanUdaf {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::LargeBinary)
    }

    fn accumulator(&self, acc_args: AccumulatorArgs) -> Result<Box<dyn Accumulator>> {
        let last = acc_args
            .exprs
            .last()
            .and_then(|e| e.downcast_ref::<Literal>())
            .ok_or_else(|| plan("its last argument must be the scan's options"))?;
        let json = match last.value() {
            ScalarValue::Dictionary(_, inner) => match inner.as_ref() {
                ScalarValue::Utf8(Some(s)) => s.clone(),
                _ => return Err(plan("its options must be text")),
            },
            ScalarValue::Utf8(Some(s)) => s.clone(),
            _ => return Err(plan("its options must be text")),
        };
        let args: ScanArgs =
            serde_json::from_str(&json).map_err(|e| plan(&format!("its options: {e}")))?;
        let opts = EventOptions::from_json(&args.options).map_err(|e| plan(&e))?;
        Ok(Box::new(ScanAccumulator {
            part: PartialScan::new(opts.clone()),
            opts,
            columns: args.columns,
        }))
    }

    fn state_fields(&self, _args: StateFieldsArgs) -> Result<Vec<FieldRef>> {
        Ok(vec![Arc::new(Field::new(
            "okapi_events_state",
            DataType::LargeBinary,
            true,
        ))])
    }
}

fn plan(why: &str) -> DataFusionError {
    DataFusionError::Plan(format!("{NAME}: {why}"))
}

/// An engine error, kept whole in its text: the client shows it as is.
fn engine(e: okapi_engine::EngineError) -> DataFusionError {
    DataFusionError::External(Box::new(e))
}

struct ScanAccumulator {
    opts: EventOptions,
    columns: Vec<String>,
    part: PartialScan,
}

impl fmt::Debug for ScanAccumulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanAccumulator")
            .field("columns", &self.columns)
            .finish_non_exhaustive()
    }
}

impl ScanAccumulator {
    fn bytes(&mut self) -> Result<ScalarValue> {
        let bytes = self.part.to_bytes().map_err(engine)?;
        Ok(ScalarValue::LargeBinary(Some(bytes)))
    }
}

impl Accumulator for ScanAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef]) -> Result<()> {
        let columns = values.get(..self.columns.len()).unwrap_or(values);
        self.part.add(&self.columns, columns).map_err(engine)
    }

    fn evaluate(&mut self) -> Result<ScalarValue> {
        self.bytes()
    }

    fn size(&self) -> usize {
        std::mem::size_of::<Self>()
    }

    fn state(&mut self) -> Result<Vec<ScalarValue>> {
        Ok(vec![self.bytes()?])
    }

    fn merge_batch(&mut self, states: &[ArrayRef]) -> Result<()> {
        let Some(states) = states.first() else {
            return Ok(());
        };
        let states = states.as_binary::<i64>();
        for i in 0..states.len() {
            if states.is_null(i) {
                continue;
            }
            let other = PartialScan::from_bytes(&self.opts, states.value(i)).map_err(engine)?;
            self.part.merge(other);
        }
        Ok(())
    }
}
