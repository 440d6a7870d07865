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
            .filter_map(|(a, mut r)| {
                // Every account of `raw` is in `index`, built from it above.
                r.account = *index.get(&a)?;
                Some(r)
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::array::ArrayRef;

    use super::*;
    use crate::load::validate::canonical_schema;

    /// A canonical subscriptions batch of one account with `raw` MRR cells
    /// (at scale 10), all from 2024-01-01.
    fn batch(raw: &[i128]) -> RecordBatch {
        let n = raw.len();
        let ids: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(ids)),
            Arc::new(StringArray::from(vec!["a1"; n])),
            Arc::new(StringArray::from(vec![None::<&str>; n])),
            Arc::new(
                Decimal128Array::from(raw.to_vec())
                    .with_precision_and_scale(38, 10)
                    .unwrap(),
            ),
            Arc::new(Date32Array::from(vec![19_723; n])),
            Arc::new(Date32Array::from(vec![None; n])),
        ];
        RecordBatch::try_new(
            canonical_schema(okapi_core::data_model::Table::Subscriptions, &[]),
            columns,
        )
        .unwrap()
    }

    #[test]
    fn amounts_too_large_to_add_are_an_error() {
        // Two rows of 10^15 (the most a cell may hold) add up exactly.
        let max = crate::load::cells::MAX_MONEY_RAW;
        let r = Revenue::from_batches(&[batch(&[max, max])], &|_, _| true).unwrap();
        assert_eq!(
            r.timelines[0].mrr_on(19_723).to_string(),
            "2000000000000000"
        );
        // Cells beyond the load's bound (never loaded, but the kernel does
        // not rely on it): five of i128::MAX / 10^10 ≈ 1.7 × 10^28 exceed
        // a Decimal's 7.9 × 10^28.
        let e = Revenue::from_batches(&[batch(&[i128::MAX; 5])], &|_, _| true).unwrap_err();
        assert!(matches!(e, EngineError::Money(_)), "{e:?}");
        assert!(e.to_string().contains("MRR adds up beyond"), "{e}");
    }
}
