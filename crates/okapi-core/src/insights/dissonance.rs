//! Dissonances: one stage of the customer journey improving markedly while
//! the stage right after it sinks, over the same month.
//!
//! For a pair (`first`, `next`) and a complete month M, each KPI's move is
//! its value in M against the mean of the [`DissonanceRule::baseline`]
//! months before (at least two of them with a value), as a share of that
//! mean. A dissonance is `first` moving the good way by more than
//! [`DissonanceRule::min_change`] while `next` moves the bad way by more
//! than it: more visitors signing up while fewer sign-ups become PQLs;
//! PQLs found faster while fewer of them buy. Either move alone is news for
//! one team; together they say two teams should talk (the first's gain may
//! be the next's loss: a looser form brings sign-ups who never use the
//! product).

use chrono::NaiveDate;
use serde::Serialize;

use crate::catalog::Direction;
use crate::period::{Grain, Period};

/// How marked both moves must be.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DissonanceRule {
    /// Months averaged before the month judged.
    pub baseline: usize,
    /// Share of the baseline each KPI must move by.
    pub min_change: f64,
}

impl Default for DissonanceRule {
    /// Three months before; a move of a fifth.
    fn default() -> Self {
        DissonanceRule {
            baseline: 3,
            min_change: 0.2,
        }
    }
}

/// One KPI's move over the month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Move {
    /// The mean of the baseline months.
    pub before: f64,
    /// The month's value.
    pub after: f64,
    /// `(after − before) / |before|`.
    pub change: f64,
}

/// A month where `first` improved and `next` sank.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Dissonance {
    /// The month's first day.
    pub period: NaiveDate,
    pub first: Move,
    pub next: Move,
}

/// A KPI's monthly series with its direction of good.
#[derive(Debug, Clone, Copy)]
pub struct Monthly<'a> {
    pub series: &'a [(NaiveDate, Option<f64>)],
    pub direction: Direction,
}

fn move_in(series: &[(NaiveDate, Option<f64>)], month: NaiveDate, baseline: usize) -> Option<Move> {
    let i = series.iter().position(|(d, _)| *d == month)?;
    let after = series.get(i)?.1.filter(|v| v.is_finite())?;
    let before: Vec<f64> = series
        .get(..i)?
        .iter()
        .rev()
        .take(baseline)
        .filter_map(|(_, v)| v.filter(|v| v.is_finite()))
        .collect();
    if before.len() < 2 {
        return None;
    }
    let before = before.iter().sum::<f64>() / before.len() as f64;
    if before == 0.0 {
        return None;
    }
    Some(Move {
        before,
        after,
        change: (after - before) / before.abs(),
    })
}

/// How much `m` moved the good way (negative: the bad way).
fn gain(m: &Move, direction: Direction) -> f64 {
    match direction {
        Direction::Higher => m.change,
        Direction::Lower => -m.change,
    }
}

/// The months from `from` whose last day is on or before `through` (the
/// data's last day) where `first` improved and `next` sank, both by more
/// than the rule's share.
pub fn find(
    first: Monthly<'_>,
    next: Monthly<'_>,
    rule: &DissonanceRule,
    from: NaiveDate,
    through: NaiveDate,
) -> Vec<Dissonance> {
    first
        .series
        .iter()
        .map(|(d, _)| *d)
        .filter(|d| *d >= from && Period::containing(Grain::Month, *d).last_day() <= through)
        .filter_map(|month| {
            let a = move_in(first.series, month, rule.baseline)?;
            let b = move_in(next.series, month, rule.baseline)?;
            (gain(&a, first.direction) > rule.min_change
                && gain(&b, next.direction) < -rule.min_change)
                .then_some(Dissonance {
                    period: month,
                    first: a,
                    next: b,
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn months(values: &[f64]) -> Vec<(NaiveDate, Option<f64>)> {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let start = d("2026-01-01")
                    .checked_add_months(chrono::Months::new(i as u32))
                    .unwrap();
                (start, Some(*v))
            })
            .collect()
    }

    #[test]
    fn a_surge_of_signups_that_never_become_pqls_is_found_in_its_month() {
        // Visitor to sign-up about 4 %, then 7.7 % in June; sign-up to PQL
        // about 50 %, then 28 % in June; July back to normal.
        let signup = months(&[4.1, 4.2, 4.0, 4.2, 4.1, 7.7, 4.2]);
        let pql = months(&[51.0, 50.0, 52.0, 49.0, 50.5, 28.0, 49.8]);
        let found = find(
            Monthly {
                series: &signup,
                direction: Direction::Higher,
            },
            Monthly {
                series: &pql,
                direction: Direction::Higher,
            },
            &DissonanceRule::default(),
            d("2026-01-01"),
            d("2026-07-31"),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        let f = found[0];
        assert_eq!(f.period, d("2026-06-01"));
        // Before: the means of March to May, by hand.
        assert!((f.first.before - 12.3 / 3.0).abs() < 1e-9);
        assert!((f.first.change - (7.7 - 4.1) / 4.1).abs() < 1e-9);
        assert!((f.next.before - 151.5 / 3.0).abs() < 1e-9);
        assert!(f.next.change < -0.4);
    }

    #[test]
    fn a_faster_time_to_pql_is_an_improvement_when_lower_is_better() {
        // Days to PQL fall from 10 to 6 while PQL to customer falls from
        // 30 % to 20 %.
        let ttp = months(&[10.0, 10.5, 9.5, 6.0]);
        let buy = months(&[30.0, 31.0, 29.0, 20.0]);
        let found = find(
            Monthly {
                series: &ttp,
                direction: Direction::Lower,
            },
            Monthly {
                series: &buy,
                direction: Direction::Higher,
            },
            &DissonanceRule::default(),
            d("2026-01-01"),
            d("2026-04-30"),
        );
        assert_eq!(
            found.iter().map(|f| f.period).collect::<Vec<_>>(),
            vec![d("2026-04-01")]
        );
    }

    #[test]
    fn steady_stages_moving_together_or_slightly_are_not_dissonances() {
        // Both up; both down; one up 10 % and the other down 10 %.
        let up = months(&[10.0, 10.0, 10.0, 13.0, 13.0, 13.0, 11.0]);
        let up_too = months(&[50.0, 50.0, 50.0, 65.0, 40.0, 40.0, 45.0]);
        let found = find(
            Monthly {
                series: &up,
                direction: Direction::Higher,
            },
            Monthly {
                series: &up_too,
                direction: Direction::Higher,
            },
            &DissonanceRule::default(),
            d("2026-01-01"),
            d("2026-07-31"),
        );
        // April: both up. May: first up 13 vs 11 (+18 %, not a fifth).
        // June: 13 vs 12 (+8 %). July: first down.
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn an_unfinished_month_is_not_judged() {
        let signup = months(&[4.0, 4.0, 4.0, 8.0]);
        let pql = months(&[50.0, 50.0, 50.0, 20.0]);
        let args = |through| {
            find(
                Monthly {
                    series: &signup,
                    direction: Direction::Higher,
                },
                Monthly {
                    series: &pql,
                    direction: Direction::Higher,
                },
                &DissonanceRule::default(),
                d("2026-01-01"),
                through,
            )
        };
        assert!(args(d("2026-04-29")).is_empty());
        assert_eq!(args(d("2026-04-30")).len(), 1);
    }
}
