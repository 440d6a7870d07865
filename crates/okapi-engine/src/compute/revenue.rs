//! Revenue: subscription rows into account timelines and MRR bridges.
//!
//! The MRR bridge is stateful per account ("had MRR on any earlier day"),
//! a poor fit for SQL; it runs as a Rust kernel over the loaded rows (a
//! billing history is small next to the events table).
//!
//! Money stays exact and checked: each row was bounded at load (10^15),
//! and every sum over rows is checked (`okapi_core::mrr`), so an amount
//! too large to hold is an error, never a panic or a wrapped number.

use std::collections::HashMap;

use datafusion::arrow::array::{Array, Date32Array, Decimal128Array, StringArray};
use datafusion::arrow::record_batch::RecordBatch;
use okapi_core::mrr::{AccountTimeline, SubscriptionRow, timelines};

use crate::error::EngineError;
use crate::load::cells::decimal_of;

/// Accounts (sorted by id) and their MRR timelines.
#[derive(Debug, Clone, Default)]
pub struct Revenue {
    pub accounts: Vec<String>,
    pub index: HashMap<String, u32>,
    pub timelines: Vec<AccountTimeline>,
}

impl Revenue {
    /// Builds timelines from canonical `subscriptions` batches, keeping
    /// only rows accepted by `keep(account_id, plan)`.
    pub fn from_batches(
        batches: &[RecordBatch],
        keep: &dyn Fn(&str, Option<&str>) -> bool,
    ) -> Result<Revenue, EngineError> {
        let mut raw: Vec<(String, SubscriptionRow)> = Vec::new();
        for b in batches {
            let (Some(acc), Some(plan), Some(mrr), Some(start), Some(end)) = (
                col::<StringArray>(b, "account_id"),
                col::<StringArray>(b, "plan"),
                col::<Decimal128Array>(b, "mrr"),
                col::<Date32Array>(b, "start_date"),
                col::<Date32Array>(b, "end_date"),
            ) else {
                continue;
            };
            for i in 0..b.num_rows() {
                let account = acc.value(i);
                let plan = plan.is_valid(i).then(|| plan.value(i));
                if !keep(account, plan) {
                    continue;
                }
                raw.push((
                    account.to_string(),
                    SubscriptionRow {
                        account: 0,
                        mrr: decimal_of(mrr.value(i)),
                        start: start.value(i),
                        end: end.is_valid(i).then(|| end.value(i)),
                    },
                ));
            }
        }
        let mut accounts: Vec<String> = raw.iter().map(|(a, _)| a.clone()).collect();
        accounts.sort_unstable();
        accounts.dedup();
        let index: HashMap<String, u32> = accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.clone(), i as u32))
            .collect();
        let rows: Vec<SubscriptionRow> = raw
            .into_iter()
            .map(|(a, mut r)| {
                r.account = index[&a];
                r
            })
            .collect();
        let timelines = timelines(&rows, accounts.len())?;
        Ok(Revenue {
            accounts,
            index,
            timelines,
        })
    }
}

pub(crate) fn col<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> Option<&'a T> {
    b.column_by_name(name)?.as_any().downcast_ref::<T>()
}
