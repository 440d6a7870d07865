//! Time to value: from an account's start milestone to its first value.
//!
//! kpis.md, exact reading: the clock starts at the account's earliest
//! start milestone (default `contract_signed`), else at the account's
//! `created_at`; an account with neither is left out. With several
//! first-value rows the earliest counts. Durations are exact fractional
//! days. Phases are consecutive milestones in time order between the start
//! and first value; their mean durations show the slowest phase.

use std::collections::HashMap;

use serde::Serialize;

use crate::timezone::MICROS_PER_DAY;

/// One milestone row.
#[derive(Debug, Clone, PartialEq)]
pub struct MilestoneRow {
    pub account: String,
    pub milestone: String,
    /// Instant, µs since the epoch (UTC).
    pub at: i64,
}

/// One account's onboarding timeline.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct AccountTtv {
    pub account: String,
    /// The milestone the clock started at (`created_at` when it fell back).
    pub start_milestone: String,
    pub start_at: i64,
    /// First value instant, if reached.
    pub first_value_at: Option<i64>,
    /// Days from start to first value.
    pub days: Option<f64>,
    /// `(milestone, instant)` from start to first value, in time order.
    pub steps: Vec<(String, i64)>,
}

/// Mean days spent in one phase across accounts.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PhaseStat {
    pub from: String,
    pub to: String,
    pub accounts: u64,
    pub mean_days: f64,
}

/// Builds every account's timeline. `created_at` gives accounts' creation
/// instants (from the `accounts` table, when present).
pub fn timelines(
    rows: &[MilestoneRow],
    created_at: &HashMap<String, i64>,
    start_milestone: &str,
    first_value: &str,
) -> Vec<AccountTtv> {
    // Earliest instant of each milestone per account.
    let mut per_account: HashMap<&str, HashMap<&str, i64>> = HashMap::new();
    for r in rows {
        let m = per_account.entry(r.account.as_str()).or_default();
        let e = m.entry(r.milestone.as_str()).or_insert(r.at);
        if r.at < *e {
            *e = r.at;
        }
    }
    let mut out = Vec::new();
    let mut accounts: Vec<(&str, &HashMap<&str, i64>)> =
        per_account.iter().map(|(a, ms)| (*a, ms)).collect();
    accounts.sort_unstable_by_key(|(a, _)| *a);
    for (account, ms) in accounts {
        let (start_name, start_at) = match ms.get(start_milestone) {
            Some(&t) => (start_milestone.to_string(), t),
            None => match created_at.get(account) {
                Some(&t) => ("created_at".to_string(), t),
                None => continue,
            },
        };
        let fv = ms.get(first_value).copied();
        let end = fv.unwrap_or(i64::MAX);
        let mut steps: Vec<(String, i64)> = ms
            .iter()
            .filter(|(name, t)| **name != start_milestone && **t >= start_at && **t <= end)
            .map(|(name, t)| (name.to_string(), *t))
            .collect();
        steps.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        // The first-value milestone closes the timeline.
        if let Some(pos) = steps.iter().position(|(n, _)| n == first_value) {
            steps.truncate(pos + 1);
        }
        steps.insert(0, (start_name.clone(), start_at));
        out.push(AccountTtv {
            account: account.to_string(),
            start_milestone: start_name,
            start_at,
            first_value_at: fv,
            days: fv.map(|t| (t - start_at) as f64 / MICROS_PER_DAY as f64),
            steps,
        });
    }
    out
}

/// Mean days per phase over accounts that reached first value, slowest first.
pub fn phase_stats(timelines: &[AccountTtv]) -> Vec<PhaseStat> {
    let mut acc: HashMap<(String, String), (u64, i128)> = HashMap::new();
    for t in timelines.iter().filter(|t| t.first_value_at.is_some()) {
        for (a, b) in t.steps.iter().zip(t.steps.iter().skip(1)) {
            let e = acc.entry((a.0.clone(), b.0.clone())).or_default();
            e.0 += 1;
            e.1 += i128::from(b.1) - i128::from(a.1);
        }
    }
    let mut out: Vec<PhaseStat> = acc
        .into_iter()
        .map(|((from, to), (n, total))| PhaseStat {
            from,
            to,
            accounts: n,
            mean_days: total as f64 / MICROS_PER_DAY as f64 / n as f64,
        })
        .collect();
    out.sort_by(|a, b| {
        b.mean_days
            .total_cmp(&a.mean_days)
            .then_with(|| a.from.cmp(&b.from))
            .then_with(|| a.to.cmp(&b.to))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = MICROS_PER_DAY;

    fn row(a: &str, m: &str, day: f64) -> MilestoneRow {
        MilestoneRow {
            account: a.into(),
            milestone: m.into(),
            at: (day * DAY as f64) as i64,
        }
    }

    #[test]
    fn timelines_use_earliest_rows_and_fall_back_to_created_at() {
        let rows = vec![
            row("a", "contract_signed", 10.0),
            row("a", "access_granted", 12.0),
            row("a", "integration_live", 22.0),
            row("a", "first_value", 25.5),
            row("a", "first_value", 40.0), // later duplicate: ignored
            row("b", "access_granted", 3.0),
            row("b", "first_value", 9.0),
            row("c", "first_value", 5.0), // no start and no created_at: left out
        ];
        let created: HashMap<String, i64> = [("b".to_string(), DAY)].into();
        let t = timelines(&rows, &created, "contract_signed", "first_value");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].account, "a");
        assert_eq!(t[0].days, Some(15.5));
        assert_eq!(t[1].start_milestone, "created_at");
        assert_eq!(t[1].days, Some(8.0));
        // Phases: a: signed→access 2, access→integration 10, integration→fv 3.5;
        // b: created→access 2, access→fv 6.
        let p = phase_stats(&t);
        assert_eq!(
            (p[0].from.as_str(), p[0].to.as_str(), p[0].mean_days),
            ("access_granted", "integration_live", 10.0)
        );
        assert_eq!((p[1].to.as_str(), p[1].mean_days), ("first_value", 6.0));
        assert_eq!(p.len(), 5);
    }
}
