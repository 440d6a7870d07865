//! Anomalies: a period's value far outside what the same kind of period
//! usually gives.
//!
//! **Baseline.** A day is compared with the same weekday of the
//! [`AnomalyRule::baseline`] weeks before it (Mondays with Mondays: a
//! business's weekend is not an anomaly); any other grain with the
//! `baseline` periods before it. At least [`AnomalyRule::min_baseline`] of
//! them must have a value.
//!
//! **Robust.** The expected value is the baseline's median, its spread the
//! median absolute deviation scaled to a standard deviation (× 1.4826), so
//! that one past spike does not hide the next. The spread has a floor: a
//! count is at least as noisy as a Poisson count of its median (√median),
//! any other value varies by at least [`AnomalyRule::floor`] of its median.
//!
//! **Unusual.** A value is an anomaly when it is more than
//! [`AnomalyRule::threshold`] spreads from the median *and* moves by more
//! than [`AnomalyRule::min_change`] of the median (and, for a count, by more
//! than [`AnomalyRule::min_count`]): far for the series, and large enough to
//! matter. Its *expected range* is the band inside which it would not be
//! one; its *score* how many spreads away it is.
//!
//! A measure whose median is zero (an amount that is usually nothing) is
//! not judged: it has no scale. Only complete periods are judged: a week whose last day is after the
//! data's last day would look like a dip.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::period::{Grain, Period};

/// How unusual a value must be to be an anomaly.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct AnomalyRule {
    /// Weeks (for days) or periods in the baseline.
    pub baseline: usize,
    /// Values the baseline needs, at least.
    pub min_baseline: usize,
    /// Spreads from the median.
    pub threshold: f64,
    /// Share of the median the value must move by.
    pub min_change: f64,
    /// For counts: the least absolute move.
    pub min_count: f64,
    /// For values other than counts: the least spread, as a share of the
    /// median.
    pub floor: f64,
}

/// Whether a series counts things (people, accounts, events) or measures
/// them (money, rates, days): counts have Poisson noise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SeriesKind {
    Count,
    Measure,
}

impl AnomalyRule {
    /// The rule okapi applies to a series of `kind` at `grain`: 8 weeks of
    /// the same weekday for days, 12 periods otherwise; 4 spreads; a move
    /// of a fifth of the median for counts (and at least 3), a quarter for
    /// measures, whose spread is at least a twentieth of the median.
    pub fn for_series(kind: SeriesKind, grain: Grain) -> AnomalyRule {
        let baseline = if grain == Grain::Day { 8 } else { 12 };
        match kind {
            SeriesKind::Count => AnomalyRule {
                baseline,
                min_baseline: 6,
                threshold: 4.0,
                min_change: 0.2,
                min_count: 3.0,
                floor: 0.0,
            },
            SeriesKind::Measure => AnomalyRule {
                baseline,
                min_baseline: 6,
                threshold: 4.0,
                min_change: 0.25,
                min_count: 0.0,
                floor: 0.05,
            },
        }
    }
}

/// A value outside its expected range.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Anomaly {
    /// The period's first day.
    pub period: NaiveDate,
    pub value: f64,
    /// The baseline's median.
    pub expected: f64,
    /// The range inside which the value would not be an anomaly.
    pub low: f64,
    pub high: f64,
    /// Spreads from the median, signed (above is positive).
    pub score: f64,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    let at = |i: usize| values.get(i).copied().unwrap_or(f64::NAN);
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => at(n / 2),
        _ => (at(n / 2 - 1) + at(n / 2)) / 2.0,
    }
}

/// The anomalies of `series` (period start, value; in period order) at
/// `grain` among the complete periods that start on or after `from` and
/// end on or before `through` (the data's last day).
pub fn find(
    series: &[(NaiveDate, Option<f64>)],
    grain: Grain,
    kind: SeriesKind,
    rule: &AnomalyRule,
    from: NaiveDate,
    through: NaiveDate,
) -> Vec<Anomaly> {
    let by_day: std::collections::HashMap<NaiveDate, f64> = series
        .iter()
        .filter_map(|(d, v)| Some((*d, (*v).filter(|v| v.is_finite())?)))
        .collect();
    let mut out = Vec::new();
    for (i, (start, value)) in series.iter().enumerate() {
        let Some(value) = value.filter(|v| v.is_finite()) else {
            continue;
        };
        if *start < from || Period::containing(grain, *start).last_day() > through {
            continue;
        }
        let mut base: Vec<f64> = if grain == Grain::Day {
            (1..=rule.baseline as u64)
                .filter_map(|k| start.checked_sub_days(Days::new(7 * k)))
                .filter_map(|d| by_day.get(&d).copied())
                .collect()
        } else {
            series
                .get(..i)
                .unwrap_or_default()
                .iter()
                .rev()
                .take(rule.baseline)
                .filter_map(|(_, v)| v.filter(|v| v.is_finite()))
                .collect()
        };
        if base.len() < rule.min_baseline {
            continue;
        }
        let expected = median(&mut base);
        // An amount or a rate usually at zero has no scale to be judged
        // against (a tiny company's first churned MRR is news, but no
        // anomaly of a series).
        if kind == SeriesKind::Measure && expected == 0.0 {
            continue;
        }
        let mut deviations: Vec<f64> = base.iter().map(|v| (v - expected).abs()).collect();
        let mad = median(&mut deviations) * 1.4826;
        let floor = match kind {
            SeriesKind::Count => expected.max(1.0).sqrt(),
            SeriesKind::Measure => rule.floor * expected.abs(),
        };
        let spread = mad.max(floor).max(f64::EPSILON);
        let half = (rule.threshold * spread)
            .max(rule.min_change * expected.abs())
            .max(match kind {
                SeriesKind::Count => rule.min_count,
                SeriesKind::Measure => 0.0,
            });
        if (value - expected).abs() > half {
            out.push(Anomaly {
                period: *start,
                value,
                expected,
                low: expected - half,
                high: expected + half,
                score: (value - expected) / spread,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// A small deterministic generator (xorshift), so the noise is the
    /// same on every run without a dependency.
    struct Noise(u64);
    impl Noise {
        fn unit(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
        /// A Poisson count of mean `l` (Knuth's method; `l` is small).
        fn poisson(&mut self, l: f64) -> f64 {
            let limit = (-l).exp();
            let (mut k, mut p) = (0.0, 1.0);
            loop {
                p *= self.unit();
                if p <= limit {
                    return k;
                }
                k += 1.0;
            }
        }
    }

    /// Two years of daily sign-ups: about 30 on weekdays, 12 on weekends,
    /// growing by half over the years, with Poisson noise.
    fn daily(seed: u64) -> Vec<(NaiveDate, Option<f64>)> {
        let mut n = Noise(seed);
        let start = d("2024-01-01"); // a Monday
        (0..728u64)
            .map(|i| {
                let day = start + Days::new(i);
                let weekday = if i % 7 >= 5 { 0.4 } else { 1.0 };
                let mean = 30.0 * weekday * (1.0 + 0.5 * i as f64 / 728.0);
                (day, Some(n.poisson(mean)))
            })
            .collect()
    }

    fn weekly(days: &[(NaiveDate, Option<f64>)]) -> Vec<(NaiveDate, Option<f64>)> {
        days.chunks(7)
            .map(|w| (w[0].0, Some(w.iter().filter_map(|x| x.1).sum())))
            .collect()
    }

    fn rule(grain: Grain) -> AnomalyRule {
        AnomalyRule::for_series(SeriesKind::Count, grain)
    }

    #[test]
    fn noise_and_weekends_are_not_anomalies() {
        for seed in [1, 7, 42, 2024] {
            let days = daily(seed);
            let last = days.last().unwrap().0;
            let found = find(
                &days,
                Grain::Day,
                SeriesKind::Count,
                &rule(Grain::Day),
                d("2024-01-01"),
                last,
            );
            assert!(found.is_empty(), "seed {seed}: {found:?}");
            let weeks = weekly(&days);
            let found = find(
                &weeks,
                Grain::Week,
                SeriesKind::Count,
                &rule(Grain::Week),
                d("2024-01-01"),
                last,
            );
            assert!(found.is_empty(), "seed {seed}: {found:?}");
        }
    }

    #[test]
    fn a_planted_spike_and_dip_are_found_on_their_day() {
        let mut days = daily(7);
        let last = days.last().unwrap().0;
        // A Wednesday four times its usual; a Tuesday with none (the form
        // broke). A dip to a fifth of a day's 40 is within four spreads of
        // eight days' noise: the weekly series finds those (below).
        let spike = days.iter().position(|x| x.0 == d("2025-10-15")).unwrap();
        let usual = days[spike].1.unwrap();
        days[spike].1 = Some(usual * 4.0);
        let dip = days.iter().position(|x| x.0 == d("2025-11-04")).unwrap();
        days[dip].1 = Some(0.0);
        let found = find(
            &days,
            Grain::Day,
            SeriesKind::Count,
            &rule(Grain::Day),
            d("2024-01-01"),
            last,
        );
        let periods: Vec<NaiveDate> = found.iter().map(|a| a.period).collect();
        assert_eq!(periods, vec![d("2025-10-15"), d("2025-11-04")], "{found:?}");
        assert!(found[0].score > 4.0 && found[0].value > found[0].high);
        assert!(found[1].score < -4.0 && found[1].value < found[1].low);
        // The expected value is the usual Wednesday's: about 30 × 1.39.
        assert!((found[0].expected - 41.7).abs() < 8.0, "{:?}", found[0]);
    }

    #[test]
    fn a_saturday_is_compared_with_saturdays() {
        // Weekends at 12 are not dips against weekdays at 30, and a
        // Saturday at 30 is a spike against Saturdays.
        let mut days = daily(42);
        let last = days.last().unwrap().0;
        let sat = days.iter().position(|x| x.0 == d("2025-06-14")).unwrap();
        days[sat].1 = Some(40.0);
        let found = find(
            &days,
            Grain::Day,
            SeriesKind::Count,
            &rule(Grain::Day),
            d("2024-01-01"),
            last,
        );
        assert_eq!(
            found.iter().map(|a| a.period).collect::<Vec<_>>(),
            vec![d("2025-06-14")]
        );
    }

    #[test]
    fn a_spike_week_is_found_and_an_unfinished_week_is_not_judged() {
        let mut days = daily(1);
        // Three times the usual churn in the week of 6 October 2025, and a
        // fifth of it in the week of 3 November.
        for x in days
            .iter_mut()
            .filter(|x| x.0 >= d("2025-10-06") && x.0 < d("2025-10-13"))
        {
            x.1 = x.1.map(|v| v * 3.0);
        }
        for x in days
            .iter_mut()
            .filter(|x| x.0 >= d("2025-11-03") && x.0 < d("2025-11-10"))
        {
            x.1 = x.1.map(|v| (v / 5.0).floor());
        }
        let weeks = weekly(&days);
        let last_full = days.last().unwrap().0;
        let found = find(
            &weeks,
            Grain::Week,
            SeriesKind::Count,
            &rule(Grain::Week),
            d("2025-09-01"),
            last_full,
        );
        assert_eq!(
            found.iter().map(|a| a.period).collect::<Vec<_>>(),
            vec![d("2025-10-06"), d("2025-11-03")]
        );
        assert!(found[0].score > 0.0 && found[1].score < 0.0);
        // The data ending on a Wednesday: its week is not judged, however
        // low its three days' total.
        let cut = d("2025-12-17");
        let found = find(
            &weeks,
            Grain::Week,
            SeriesKind::Count,
            &rule(Grain::Week),
            d("2025-12-01"),
            cut,
        );
        assert!(
            found.iter().all(|a| a.period != d("2025-12-15")),
            "{found:?}"
        );
    }

    #[test]
    fn too_short_a_history_judges_nothing() {
        let days: Vec<_> = daily(3).into_iter().take(30).collect();
        let mut spiked = days.clone();
        spiked[29].1 = Some(500.0);
        let last = spiked[29].0;
        // Four earlier same weekdays at most: fewer than six.
        assert!(
            find(
                &spiked,
                Grain::Day,
                SeriesKind::Count,
                &rule(Grain::Day),
                d("2024-01-01"),
                last
            )
            .is_empty()
        );
    }

    #[test]
    fn an_amount_usually_nothing_is_not_judged() {
        // Churned MRR of a company of three accounts: nothing for months,
        // then 50.
        let start = d("2025-01-06");
        let mut weeks: Vec<(NaiveDate, Option<f64>)> = (0..20u64)
            .map(|i| (start + Days::new(7 * i), Some(0.0)))
            .collect();
        weeks[19].1 = Some(50.0);
        let r = AnomalyRule::for_series(SeriesKind::Measure, Grain::Week);
        assert!(
            find(
                &weeks,
                Grain::Week,
                SeriesKind::Measure,
                &r,
                start,
                d("2025-12-31")
            )
            .is_empty()
        );
    }

    #[test]
    fn a_measure_must_move_by_a_quarter() {
        // A flat rate of 50 % with a 1-point wobble: 56 is 12 % up (not
        // an anomaly however small the spread), 70 is 40 % up (one).
        let start = d("2025-01-06");
        let mut weeks: Vec<(NaiveDate, Option<f64>)> = (0..20u64)
            .map(|i| {
                (
                    start + Days::new(7 * i),
                    Some(if i % 2 == 0 { 50.0 } else { 51.0 }),
                )
            })
            .collect();
        weeks[14].1 = Some(56.0);
        weeks[18].1 = Some(70.0);
        let r = AnomalyRule::for_series(SeriesKind::Measure, Grain::Week);
        let found = find(
            &weeks,
            Grain::Week,
            SeriesKind::Measure,
            &r,
            start,
            d("2025-12-31"),
        );
        assert_eq!(
            found.iter().map(|a| a.period).collect::<Vec<_>>(),
            vec![weeks[18].0]
        );
        // Twelve weeks before: five at 50, six at 51 and the 56: median
        // 51; the spread's floor (2.55) is under a quarter of it, so the
        // range is 51 ± 12.75.
        assert!((found[0].expected - 51.0).abs() < 1e-9);
        assert!((found[0].high - 63.75).abs() < 1e-9);
    }
}
