//! MRR timelines and the MRR bridge (movements) per period.
//!
//! Each account's MRR is a step function of the day: the sum of `mrr` over
//! its subscription rows with `start_date <= day < end_date`. For a period
//! P the bridge compares every account's MRR on `s` (the day before P) with
//! its MRR on `e` (the last day of P) and puts it in exactly one class:
//! new, reactivation, expansion, contraction or churn (kpis.md, Revenue).
//! By construction the classes reconcile:
//! `mrr(e) − mrr(s) = new + reactivation + expansion − contraction − churn`.
//!
//! Money is exact ([`Decimal`]); nothing here rounds. Every sum is checked:
//! amounts beyond what a [`Decimal`] holds (about 7.9 × 10^28) are a
//! [`MoneyOverflow`] error, never a panic or a wrapped number. With the
//! input bound of 10^15 per row (data-model.md) that takes tens of
//! trillions of rows, but the bound is enforced, not assumed.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::period::{DayNum, Period, day_num};

/// Money sums too large to hold exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "MRR adds up beyond {} (the largest exact amount okapi can hold)",
    Decimal::MAX
)]
pub struct MoneyOverflow;

fn add(a: Decimal, b: Decimal) -> Result<Decimal, MoneyOverflow> {
    a.checked_add(b).ok_or(MoneyOverflow)
}

/// One subscription row, with its account as an index into a name table.
#[derive(Debug, Clone, PartialEq)]
pub struct SubscriptionRow {
    pub account: u32,
    pub mrr: Decimal,
    /// First day paid (inclusive).
    pub start: DayNum,
    /// First day no longer paid (exclusive); `None` while open.
    pub end: Option<DayNum>,
}

/// One account's MRR as a step function of the day.
#[derive(Debug, Clone, Default)]
pub struct AccountTimeline {
    /// `(day, mrr from that day on)`, sorted by day, with no two equal
    /// consecutive amounts.
    steps: Vec<(DayNum, Decimal)>,
    /// The first day with MRR > 0, if any.
    first_paid: Option<DayNum>,
}

impl AccountTimeline {
    /// Builds the timeline of one account from its rows.
    pub fn from_rows<'a>(
        rows: impl IntoIterator<Item = &'a SubscriptionRow>,
    ) -> Result<Self, MoneyOverflow> {
        let mut deltas: Vec<(DayNum, Decimal)> = Vec::new();
        let mut first_paid: Option<DayNum> = None;
        for r in rows {
            let active = match r.end {
                Some(end) => end > r.start,
                None => true,
            };
            if !active || r.mrr.is_zero() {
                continue;
            }
            first_paid = Some(first_paid.map_or(r.start, |f| f.min(r.start)));
            deltas.push((r.start, r.mrr));
            if let Some(end) = r.end {
                deltas.push((end, -r.mrr));
            }
        }
        deltas.sort_by_key(|(d, _)| *d);
        let mut steps: Vec<(DayNum, Decimal)> = Vec::with_capacity(deltas.len());
        let mut level = Decimal::ZERO;
        for same_day in deltas.chunk_by(|a, b| a.0 == b.0) {
            let Some(&(day, _)) = same_day.first() else {
                continue;
            };
            for (_, delta) in same_day {
                level = add(level, *delta)?;
            }
            let same = steps.last().is_some_and(|(_, l)| *l == level);
            if !same {
                steps.push((day, level.normalize()));
            }
        }
        Ok(AccountTimeline { steps, first_paid })
    }

    /// MRR on `day`.
    pub fn mrr_on(&self, day: DayNum) -> Decimal {
        let i = self.steps.partition_point(|(d, _)| *d <= day);
        i.checked_sub(1)
            .and_then(|last| self.steps.get(last))
            .map_or(Decimal::ZERO, |(_, level)| *level)
    }

    /// The first day the account paid anything.
    pub fn first_paid(&self) -> Option<DayNum> {
        self.first_paid
    }

    /// The last day with MRR > 0 on or before `day`, if any.
    pub fn last_paid_on_or_before(&self, day: DayNum) -> Option<DayNum> {
        if self.mrr_on(day) > Decimal::ZERO {
            return Some(day);
        }
        let i = self.steps.partition_point(|(d, _)| *d <= day);
        // steps[i-1] is the zero level in force on `day`; the paying level
        // before it ended the day before it started.
        let earlier = self.steps.get(..i).unwrap_or(&self.steps);
        earlier.windows(2).rev().find_map(|pair| match pair {
            [(_, before), (started, _)] if *before > Decimal::ZERO => Some(started - 1),
            _ => None,
        })
    }
}

/// How an account's MRR moved over a period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Movement {
    New,
    Reactivation,
    Expansion,
    Contraction,
    Churn,
}

impl Movement {
    pub fn as_str(self) -> &'static str {
        match self {
            Movement::New => "new",
            Movement::Reactivation => "reactivation",
            Movement::Expansion => "expansion",
            Movement::Contraction => "contraction",
            Movement::Churn => "churn",
        }
    }
}

/// Classifies one account for a period from its MRR on `s` and `e` and
/// whether it paid on any day before the period started.
pub fn classify(start: Decimal, end: Decimal, paid_before: bool) -> Option<(Movement, Decimal)> {
    let zero = Decimal::ZERO;
    if start.is_zero() && end > zero {
        Some(if paid_before {
            (Movement::Reactivation, end)
        } else {
            (Movement::New, end)
        })
    } else if start > zero && end.is_zero() {
        Some((Movement::Churn, start))
    } else if start > zero && end > start {
        Some((Movement::Expansion, end - start))
    } else if end > zero && end < start {
        Some((Movement::Contraction, start - end))
    } else {
        None
    }
}

/// One account's movement in one period (the `--accounts` audit trail).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccountMovement {
    pub account: u32,
    pub start_mrr: Decimal,
    pub end_mrr: Decimal,
    pub movement: Movement,
    /// Positive amount of the movement (contraction and churn included).
    pub amount: Decimal,
}

/// The MRR bridge of one period.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct MrrBridge {
    /// MRR on the day before the period.
    pub start_mrr: Decimal,
    /// MRR on the last day of the period.
    pub end_mrr: Decimal,
    pub new: Decimal,
    pub reactivation: Decimal,
    pub expansion: Decimal,
    pub contraction: Decimal,
    pub churn: Decimal,
    pub customers_start: u64,
    pub customers_end: u64,
    pub new_customers: u64,
    pub reactivated_customers: u64,
    pub expanded_accounts: u64,
    pub contracted_accounts: u64,
    pub churned_customers: u64,
}

impl MrrBridge {
    /// new + reactivation + expansion − contraction − churn.
    ///
    /// Cannot overflow for a bridge built by [`mrr_bridges`]: new,
    /// reactivation and expansion are parts of `end_mrr`, contraction and
    /// churn parts of `start_mrr`, and both were summed with checks.
    pub fn net_new(&self) -> Decimal {
        self.new + self.reactivation + self.expansion - self.contraction - self.churn
    }

    fn add(&mut self, m: Movement, amount: Decimal) -> Result<(), MoneyOverflow> {
        let (sum, count) = match m {
            Movement::New => (&mut self.new, &mut self.new_customers),
            Movement::Reactivation => (&mut self.reactivation, &mut self.reactivated_customers),
            Movement::Expansion => (&mut self.expansion, &mut self.expanded_accounts),
            Movement::Contraction => (&mut self.contraction, &mut self.contracted_accounts),
            Movement::Churn => (&mut self.churn, &mut self.churned_customers),
        };
        *sum = add(*sum, amount)?;
        *count += 1;
        Ok(())
    }
}

/// The MRR bridges of periods and the accounts' movements in them.
pub type Bridges = (Vec<MrrBridge>, Vec<Vec<AccountMovement>>);

/// The MRR bridge of every period and, when `with_accounts`, every
/// account's movement per period (sorted by account index).
pub fn mrr_bridges(
    timelines: &[AccountTimeline],
    periods: &[Period],
    with_accounts: bool,
) -> Result<Bridges, MoneyOverflow> {
    let mut bridges = vec![MrrBridge::default(); periods.len()];
    let mut details: Vec<Vec<AccountMovement>> = if with_accounts {
        vec![Vec::new(); periods.len()]
    } else {
        Vec::new()
    };
    for (account, tl) in timelines.iter().enumerate() {
        let Some(first_paid) = tl.first_paid else {
            continue;
        };
        for (pi, (p, b)) in periods.iter().zip(bridges.iter_mut()).enumerate() {
            let s = day_num(p.day_before());
            let e = day_num(p.last_day());
            let (start, end) = (tl.mrr_on(s), tl.mrr_on(e));
            b.start_mrr = add(b.start_mrr, start)?;
            b.end_mrr = add(b.end_mrr, end)?;
            if start > Decimal::ZERO {
                b.customers_start += 1;
            }
            if end > Decimal::ZERO {
                b.customers_end += 1;
            }
            if let Some((m, amount)) = classify(start, end, first_paid < p.start_num()) {
                b.add(m, amount)?;
                if let Some(movements) = details.get_mut(pi) {
                    movements.push(AccountMovement {
                        account: account as u32,
                        start_mrr: start,
                        end_mrr: end,
                        movement: m,
                        amount,
                    });
                }
            }
        }
    }
    for b in &mut bridges {
        for v in [
            &mut b.start_mrr,
            &mut b.end_mrr,
            &mut b.new,
            &mut b.reactivation,
            &mut b.expansion,
            &mut b.contraction,
            &mut b.churn,
        ] {
            *v = v.normalize();
        }
    }
    Ok((bridges, details))
}

/// Groups rows by account and builds each account's timeline.
/// `accounts` is the number of distinct account indices.
pub fn timelines(
    rows: &[SubscriptionRow],
    accounts: usize,
) -> Result<Vec<AccountTimeline>, MoneyOverflow> {
    let mut by_account: Vec<Vec<&SubscriptionRow>> = vec![Vec::new(); accounts];
    for r in rows {
        if let Some(v) = by_account.get_mut(r.account as usize) {
            v.push(r);
        }
    }
    by_account
        .into_iter()
        .map(AccountTimeline::from_rows)
        .collect()
}

#[cfg(test)]
mod tests;
