//! Customers at risk, besides the inactive paying accounts (which the
//! engine lists): accounts whose health score dropped sharply, and
//! onboardings stuck in a phase well beyond its usual length.
//!
//! - **Health drop**: the score (0–100) on the data's last day against the
//!   score [`HEALTH_DROP_DAYS`] days before, for accounts paying on both
//!   days; a drop of at least [`HealthDropRule::min_points`] points is
//!   sharp (20 by default: from a healthy 70 to a worrying 50, say).
//! - **Stuck onboarding**: the usual length of a phase is read from the
//!   onboardings that went through it and reached first value: the median
//!   and the 90th percentile of their days from the phase's milestone to
//!   the next. An onboarding that has not reached first value and has
//!   waited at a milestone for longer than both twice the median and the
//!   90th percentile is stuck. A phase needs [`StuckRule::min_completed`]
//!   completed passages before it is judged (else its usual length is not
//!   known).

use std::collections::HashMap;

use serde::Serialize;

use crate::timezone::MICROS_PER_DAY;
use crate::ttv::AccountTtv;

/// Days between the two health scores compared.
pub const HEALTH_DROP_DAYS: u64 = 28;

/// When a health drop is sharp.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthDropRule {
    /// Points lost at least.
    pub min_points: f64,
}

impl Default for HealthDropRule {
    fn default() -> Self {
        HealthDropRule { min_points: 20.0 }
    }
}

/// An account whose health fell.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HealthDrop {
    pub account: String,
    pub before: f64,
    pub now: f64,
}

/// The accounts in both `before` and `now` (account, score) whose score
/// fell by at least the rule's points, the biggest fall first.
pub fn health_drops(
    before: &[(String, f64)],
    now: &[(String, f64)],
    rule: HealthDropRule,
) -> Vec<HealthDrop> {
    let before: HashMap<&str, f64> = before.iter().map(|(a, s)| (a.as_str(), *s)).collect();
    let mut out: Vec<HealthDrop> = now
        .iter()
        .filter_map(|(a, s)| {
            let b = *before.get(a.as_str())?;
            (b - s >= rule.min_points).then(|| HealthDrop {
                account: a.clone(),
                before: b,
                now: *s,
            })
        })
        .collect();
    out.sort_by(|x, y| {
        (y.before - y.now)
            .total_cmp(&(x.before - x.now))
            .then_with(|| x.account.cmp(&y.account))
    });
    out
}

/// When an onboarding is stuck.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StuckRule {
    /// Waited longer than this many times the phase's median.
    pub times_median: f64,
    /// Completed passages a phase needs to be judged.
    pub min_completed: usize,
}

impl Default for StuckRule {
    fn default() -> Self {
        StuckRule {
            times_median: 2.0,
            min_completed: 5,
        }
    }
}

/// A phase's usual length, from the onboardings that went through it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhaseLength {
    pub from: String,
    /// The milestone that most often comes next.
    pub to: String,
    pub completed: usize,
    pub median_days: f64,
    pub p90_days: f64,
}

/// An onboarding waiting at a milestone far longer than usual.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StuckOnboarding {
    pub account: String,
    pub phase: PhaseLength,
    /// The instant it reached the phase's milestone (µs since the epoch).
    pub since: i64,
    pub days: f64,
}

/// The `q` quantile (0–1) of sorted values, by linear interpolation.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * sorted.len().saturating_sub(1) as f64;
    let lo = pos.floor() as usize;
    match (sorted.get(lo), sorted.get(pos.ceil() as usize)) {
        (Some(a), Some(b)) => a + (b - a) * (pos - lo as f64),
        _ => f64::NAN,
    }
}

/// The usual length of each phase, by its first milestone, from the
/// timelines that reached first value.
pub fn phase_lengths(timelines: &[AccountTtv], rule: StuckRule) -> HashMap<String, PhaseLength> {
    let mut passages: HashMap<&str, HashMap<&str, Vec<f64>>> = HashMap::new();
    for t in timelines.iter().filter(|t| t.first_value_at.is_some()) {
        for (a, b) in t.steps.iter().zip(t.steps.iter().skip(1)) {
            passages
                .entry(a.0.as_str())
                .or_default()
                .entry(b.0.as_str())
                .or_default()
                .push((b.1 - a.1) as f64 / MICROS_PER_DAY as f64);
        }
    }
    let mut out = HashMap::new();
    for (from, nexts) in passages {
        // The usual next milestone; all passages out of `from` count for
        // the length (an onboarding waiting there may go either way).
        let Some((to, _)) = nexts
            .iter()
            .max_by(|x, y| x.1.len().cmp(&y.1.len()).then_with(|| y.0.cmp(x.0)))
        else {
            continue;
        };
        let mut days: Vec<f64> = nexts.values().flatten().copied().collect();
        if days.len() < rule.min_completed {
            continue;
        }
        days.sort_by(f64::total_cmp);
        out.insert(
            from.to_string(),
            PhaseLength {
                from: from.to_string(),
                to: to.to_string(),
                completed: days.len(),
                median_days: quantile(&days, 0.5),
                p90_days: quantile(&days, 0.9),
            },
        );
    }
    out
}

/// The onboardings among `timelines` that have not reached first value,
/// of the accounts `keep` accepts, waiting at their last milestone on
/// `now` (µs since the epoch) longer than the rule allows; the longest
/// wait first.
pub fn stuck_onboardings(
    timelines: &[AccountTtv],
    now: i64,
    rule: StuckRule,
    keep: impl Fn(&str) -> bool,
) -> Vec<StuckOnboarding> {
    let lengths = phase_lengths(timelines, rule);
    let mut out: Vec<StuckOnboarding> = timelines
        .iter()
        .filter(|t| t.first_value_at.is_none() && keep(&t.account))
        .filter_map(|t| {
            let (milestone, since) = t.steps.last()?;
            let phase = lengths.get(milestone)?;
            let days = (now - since) as f64 / MICROS_PER_DAY as f64;
            let limit = (phase.median_days * rule.times_median).max(phase.p90_days);
            (days > limit).then(|| StuckOnboarding {
                account: t.account.clone(),
                phase: phase.clone(),
                since: *since,
                days,
            })
        })
        .collect();
    out.sort_by(|x, y| {
        y.days
            .total_cmp(&x.days)
            .then_with(|| x.account.cmp(&y.account))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = MICROS_PER_DAY;

    /// A timeline through `steps` (milestone, day), reaching first value
    /// when the last is `first_value`.
    fn timeline(account: &str, steps: &[(&str, i64)]) -> AccountTtv {
        let done = steps.last().is_some_and(|s| s.0 == "first_value");
        AccountTtv {
            account: account.into(),
            start_milestone: steps[0].0.into(),
            start_at: steps[0].1 * DAY,
            first_value_at: done.then(|| steps.last().unwrap().1 * DAY),
            days: None,
            steps: steps
                .iter()
                .map(|(m, d)| (m.to_string(), d * DAY))
                .collect(),
        }
    }

    #[test]
    fn a_sharp_health_drop_is_found_and_a_small_one_is_not() {
        let before = vec![
            ("a".to_string(), 80.0),
            ("b".to_string(), 70.0),
            ("c".to_string(), 60.0),
            ("gone".to_string(), 90.0),
        ];
        let now = vec![
            ("a".to_string(), 45.0), // -35
            ("b".to_string(), 50.0), // -20: exactly the rule, counts
            ("c".to_string(), 45.0), // -15
            ("new".to_string(), 10.0),
        ];
        let d = health_drops(&before, &now, HealthDropRule::default());
        let got: Vec<(&str, f64, f64)> = d
            .iter()
            .map(|x| (x.account.as_str(), x.before, x.now))
            .collect();
        assert_eq!(got, vec![("a", 80.0, 45.0), ("b", 70.0, 50.0)]);
    }

    #[test]
    fn an_onboarding_waiting_past_twice_the_median_and_the_p90_is_stuck() {
        // Ten completed onboardings: integration takes 10..=19 days
        // (median 14.5, 90th percentile 18.1); the other phases 1 day.
        let mut t: Vec<AccountTtv> = (0..10)
            .map(|i| {
                let name = format!("done{i}");
                let integ = 1 + 10 + i;
                timeline(
                    &name,
                    &[
                        ("contract_signed", 0),
                        ("access_granted", 1),
                        ("integration_live", integ),
                        ("first_value", integ + 1),
                    ],
                )
            })
            .collect();
        let lengths = phase_lengths(&t, StuckRule::default());
        let integ = &lengths["access_granted"];
        assert_eq!(integ.to, "integration_live");
        assert_eq!(integ.completed, 10);
        assert!((integ.median_days - 14.5).abs() < 1e-9);
        assert!((integ.p90_days - 18.1).abs() < 1e-9);
        // On day 100: waiting since day 70 at access (30 days > 29): stuck;
        // since day 72 (28 days): not yet; at contract since day 97 (3
        // days, usual 1): stuck; one that reached first value: never.
        t.push(timeline(
            "late",
            &[("contract_signed", 69), ("access_granted", 70)],
        ));
        t.push(timeline(
            "fine",
            &[("contract_signed", 71), ("access_granted", 72)],
        ));
        t.push(timeline("slowstart", &[("contract_signed", 97)]));
        t.push(timeline(
            "ignored",
            &[("contract_signed", 10), ("access_granted", 11)],
        ));
        let stuck = stuck_onboardings(&t, 100 * DAY, StuckRule::default(), |a| a != "ignored");
        let got: Vec<(&str, &str, f64)> = stuck
            .iter()
            .map(|s| (s.account.as_str(), s.phase.from.as_str(), s.days))
            .collect();
        assert_eq!(
            got,
            vec![
                ("late", "access_granted", 30.0),
                ("slowstart", "contract_signed", 3.0)
            ]
        );
    }

    #[test]
    fn a_phase_with_few_completed_passages_is_not_judged() {
        let t = vec![
            timeline("a", &[("contract_signed", 0), ("first_value", 2)]),
            timeline("b", &[("contract_signed", 0)]),
        ];
        assert!(stuck_onboardings(&t, 1000 * DAY, StuckRule::default(), |_| true).is_empty());
    }
}
