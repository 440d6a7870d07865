//! Pace and forecast of a key result over its cycle (okrs.md, "Reviewing
//! progress").
//!
//! - A cycle's dates are inclusive: 2026-01-01 … 2026-03-31 is 90 days
//!   ([`cycle_days`]). Expected progress on a date is the share of the
//!   cycle elapsed at the start of that day, `(date − start) / days`,
//!   clamped to [0, 1]: on 2026-02-15 that is 45/90 = 0.5. A KR whose
//!   score is behind that by more than the tolerance (default
//!   [`DEFAULT_TOLERANCE`] = 0.15) is at risk.
//! - The forecast is a least-squares line through the check-in scores
//!   against their day in the cycle (day 0 = the first day), read at the
//!   end of the last day (day `days`) and clamped to [0, 1], with the day
//!   the line reaches 1.0 (when it rises). One check-in is not a trend: it
//!   needs two on different days.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::okr::Confidence;

/// Default pace tolerance.
pub const DEFAULT_TOLERANCE: f64 = 0.15;

/// Days in the cycle `[start, end]`, both included (at least 1).
pub fn cycle_days(start: NaiveDate, end: NaiveDate) -> i64 {
    ((end - start).num_days() + 1).max(1)
}

/// The day a status is read on, for a day `on` asked about: within the
/// cycle itself, before it its first day, after it the day after its end
/// (when the whole cycle has elapsed).
pub fn status_day(start: NaiveDate, end: NaiveDate, on: NaiveDate) -> NaiveDate {
    on.clamp(start, end.succ_opt().unwrap_or(end))
}

/// Share of the cycle `[start, end]` (both included) elapsed at the start
/// of day `on`.
pub fn expected_progress(start: NaiveDate, end: NaiveDate, on: NaiveDate) -> f64 {
    let total = cycle_days(start, end);
    ((on - start).num_days() as f64 / total as f64).clamp(0.0, 1.0)
}

/// Where a KR stands against its pace.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Pace {
    pub expected: f64,
    pub score: f64,
    /// `score − expected`.
    pub gap: f64,
    pub at_risk: bool,
}

pub fn pace(start: NaiveDate, end: NaiveDate, on: NaiveDate, score: f64, tolerance: f64) -> Pace {
    let expected = expected_progress(start, end, on);
    let gap = score - expected;
    Pace {
        expected,
        score,
        gap,
        at_risk: gap < -tolerance,
    }
}

/// How far behind its pace a KR at risk must be to read off track.
pub const OFF_TRACK_GAP: f64 = 0.3;

/// The confidence the pace gives a check-in that states none (a computed
/// check-in, or one written by closing the cycle): on track, at risk when
/// `at_risk`, off track when also more than [`OFF_TRACK_GAP`] behind the
/// expected progress.
pub fn confidence_from_pace(at_risk: bool, expected: f64, score: f64) -> Confidence {
    if at_risk && expected - score > OFF_TRACK_GAP {
        Confidence::OffTrack
    } else if at_risk {
        Confidence::AtRisk
    } else {
        Confidence::OnTrack
    }
}

/// The projected end-of-cycle score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Forecast {
    /// The line's value at the cycle's end, clamped to [0, 1].
    pub final_score: f64,
    /// Score gained per day.
    pub slope_per_day: f64,
    /// The day the line reaches 1.0, if it rises (may be after the end).
    pub reaches_target_on: Option<NaiveDate>,
}

/// Fits the check-ins `(date, score)`; `None` with fewer than two distinct
/// days.
pub fn forecast(
    start: NaiveDate,
    end: NaiveDate,
    checkins: &[(NaiveDate, f64)],
) -> Option<Forecast> {
    let pts: Vec<(f64, f64)> = checkins
        .iter()
        .map(|(d, s)| ((*d - start).num_days() as f64, *s))
        .collect();
    let n = pts.len() as f64;
    if pts.len() < 2 {
        return None;
    }
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        return None;
    }
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    // Read at the end of the last day.
    let end_day = cycle_days(start, end) as f64;
    let reaches = if slope > 0.0 {
        let day = ((1.0 - intercept) / slope).ceil().max(0.0);
        // Beyond any calendar the line is meaningless.
        if day < 36_500.0 {
            start.checked_add_days(Days::new(day as u64))
        } else {
            None
        }
    } else {
        None
    };
    Some(Forecast {
        final_score: (intercept + slope * end_day).clamp(0.0, 1.0),
        slope_per_day: slope,
        reaches_target_on: reaches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn expected_progress_is_the_share_of_the_cycle() {
        // Q1 2026: 1 Jan to 31 Mar, both included, is 31 + 28 + 31 = 90
        // days; 15 Feb starts day 45 (31 of January + 14 of February).
        let (s, e) = (d("2026-01-01"), d("2026-03-31"));
        assert_eq!(cycle_days(s, e), 90);
        assert_eq!(expected_progress(s, e, d("2026-02-15")), 0.5);
        assert_eq!(expected_progress(s, e, s), 0.0);
        // The last day starts at 89/90; the day after the cycle is 1.0.
        assert!((expected_progress(s, e, e) - 89.0 / 90.0).abs() < 1e-12);
        assert_eq!(expected_progress(s, e, d("2026-04-01")), 1.0);
        assert_eq!(expected_progress(s, e, d("2025-12-01")), 0.0);
        assert_eq!(expected_progress(s, e, d("2026-05-01")), 1.0);
        let p = pace(s, e, d("2026-02-15"), 0.3, DEFAULT_TOLERANCE);
        // 0.3 − 0.5 = −0.2: more than 0.15 behind.
        assert!(p.at_risk);
        assert!((p.gap + 0.2).abs() < 1e-12);
        // 0.36 − 0.5 = −0.14: within the tolerance.
        assert!(!pace(s, e, d("2026-02-15"), 0.36, DEFAULT_TOLERANCE).at_risk);
        // A status asked for after the cycle reads the day after its end.
        assert_eq!(status_day(s, e, d("2026-06-01")), d("2026-04-01"));
        assert_eq!(status_day(s, e, d("2025-06-01")), s);
        assert_eq!(status_day(s, e, d("2026-02-15")), d("2026-02-15"));
        // A one-day cycle: nothing elapsed on its day, all of it after.
        assert_eq!(expected_progress(s, s, s), 0.0);
        assert_eq!(expected_progress(s, s, d("2026-01-02")), 1.0);
    }

    #[test]
    fn confidence_follows_the_pace() {
        // 0.00 against 0.989 expected (the last day of a 90-day cycle):
        // 0.989 behind, more than 0.3.
        assert_eq!(
            confidence_from_pace(true, 89.0 / 90.0, 0.0),
            Confidence::OffTrack
        );
        // 0.25 behind: at risk, not off track.
        assert_eq!(confidence_from_pace(true, 0.5, 0.25), Confidence::AtRisk);
        assert_eq!(confidence_from_pace(false, 0.5, 0.45), Confidence::OnTrack);
    }

    #[test]
    fn forecast_fits_a_line_through_checkins() {
        let s = d("2025-01-01");
        let e = d("2025-03-31"); // 90 days: the end of the last day is day 90
        // Exactly linear: 0.1 on day 10, 0.2 on day 20, 0.3 on day 30 →
        // 0.01 a day; at day 90: 0.90; reaches 1.0 on day 100 (11 April).
        let f = forecast(
            s,
            e,
            &[
                (d("2025-01-11"), 0.1),
                (d("2025-01-21"), 0.2),
                (d("2025-01-31"), 0.3),
            ],
        )
        .unwrap();
        assert!((f.slope_per_day - 0.01).abs() < 1e-12);
        assert!((f.final_score - 0.90).abs() < 1e-12);
        assert_eq!(f.reaches_target_on, Some(d("2025-04-11")));
        // Falling scores never reach the target and clamp at 0.
        let f = forecast(s, e, &[(d("2025-01-11"), 0.5), (d("2025-02-10"), 0.1)]).unwrap();
        assert_eq!(f.final_score, 0.0);
        assert_eq!(f.reaches_target_on, None);
        // One check-in, or two on the same day, is no trend.
        assert!(forecast(s, e, &[(d("2025-01-11"), 0.5)]).is_none());
        assert!(forecast(s, e, &[(d("2025-01-11"), 0.5), (d("2025-01-11"), 0.6)]).is_none());
    }
}
