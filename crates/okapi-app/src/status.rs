//! Where a cycle stands: every KR's current value, score, pace and
//! forecast, every objective's weighted score, from the stored check-ins.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use okapi_core::okr::{Confidence, CycleState, KrKind, ObjectiveState};
use okapi_core::pace::{forecast, pace};
use okapi_core::review::Level;
use okapi_core::scoring::{Grade, grade_band, objective_score};
use okapi_store::{CheckIn, Cycle, KeyResult, Objective};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KrStatus {
    pub key: String,
    pub objective: String,
    pub title: String,
    pub kind: KrKind,
    pub kpi: Option<String>,
    pub unit: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub current: Option<f64>,
    pub score: f64,
    pub grade: Grade,
    /// Share of the KR's time (cycle start to due date) elapsed.
    pub expected: f64,
    pub at_risk: bool,
    /// The end-of-cycle score projected from the check-in trend.
    pub forecast: Option<f64>,
    pub reaches_target_on: Option<NaiveDate>,
    pub confidence: Option<Confidence>,
    pub last_note: Option<String>,
    pub last_checkin: Option<DateTime<Utc>>,
    pub checkins: usize,
    /// The score after each check-in, oldest first (the progress chart).
    pub trend: Vec<(NaiveDate, f64)>,
    pub owner: Option<String>,
    pub weight: f64,
    pub reflection: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ObjectiveStatus {
    pub key: String,
    pub title: String,
    pub why: Option<String>,
    pub level: Level,
    pub team: Option<String>,
    pub owner: Option<String>,
    pub parent: Option<String>,
    pub committed: bool,
    pub state: ObjectiveState,
    pub score: Option<f64>,
    pub grade: Option<Grade>,
    pub at_risk: bool,
    /// Kept at close: a committed objective that ended below 1.0.
    pub flagged: bool,
    pub version: i64,
    pub krs: Vec<KrStatus>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CycleStatus {
    pub cycle: Cycle,
    /// The day pace is measured on.
    pub on: NaiveDate,
    pub expected: f64,
    pub objectives: Vec<ObjectiveStatus>,
}

/// The score after each check-in with a value (one pass over them).
fn trend(kr: &KeyResult, checkins: &[&CheckIn]) -> Vec<(NaiveDate, f64)> {
    let dated: Vec<(NaiveDate, f64)> = checkins
        .iter()
        .filter_map(|c| Some((c.at.date_naive(), c.value?)))
        .collect();
    let values: Vec<f64> = dated.iter().map(|(_, v)| *v).collect();
    let Ok(scores) = kr.running_scores(&values) else {
        return Vec::new();
    };
    dated
        .iter()
        .zip(scores)
        .filter_map(|((day, _), s)| Some((*day, s?)))
        .collect()
}

pub fn kr_status(
    cycle: &Cycle,
    kr: &KeyResult,
    checkins: &[&CheckIn],
    on: NaiveDate,
    tolerance: f64,
) -> KrStatus {
    let values: Vec<f64> = checkins.iter().filter_map(|c| c.value).collect();
    let live = kr.score(&values).unwrap_or(0.0);
    let closed = cycle.state == CycleState::Closed;
    let score = if closed {
        kr.final_score.unwrap_or(live)
    } else {
        live
    };
    let end = kr.due.unwrap_or(cycle.end).min(cycle.end);
    let p = pace(cycle.start, end, on, score, tolerance);
    let trend = trend(kr, checkins);
    // A closed cycle has its final scores: nothing left to forecast.
    let fc = if !closed && matches!(kr.kind, KrKind::Metric | KrKind::Kpi) {
        forecast(cycle.start, end, &trend)
    } else {
        None
    };
    let last = checkins.last();
    KrStatus {
        key: kr.key.clone(),
        objective: kr.objective.clone(),
        title: kr.title.clone(),
        kind: kr.kind,
        kpi: kr.kpi.clone(),
        unit: kr.unit.clone(),
        baseline: kr.baseline,
        target: kr.target,
        current: values.last().copied(),
        score,
        grade: grade_band(score),
        expected: p.expected,
        // Thresholds and milestones have no trend to be behind of, except
        // a broken threshold.
        at_risk: !closed
            && match kr.kind {
                KrKind::Metric | KrKind::Kpi => p.at_risk,
                KrKind::Threshold => !values.is_empty() && score < 1.0,
                KrKind::Milestone => on >= end && score < 1.0,
            },
        forecast: fc.map(|f| f.final_score),
        reaches_target_on: fc.and_then(|f| f.reaches_target_on),
        confidence: last.map(|c| c.confidence),
        last_note: last.and_then(|c| c.note.clone()),
        last_checkin: last.map(|c| c.at),
        checkins: checkins.len(),
        trend,
        owner: kr.owner.clone(),
        weight: kr.weight,
        reflection: kr.reflection.clone(),
    }
}

/// The status of every objective of `cycle` on day `on`.
pub fn cycle_status(
    cycle: &Cycle,
    objectives: &[Objective],
    krs: &[KeyResult],
    checkins: &[CheckIn],
    on: NaiveDate,
    tolerance: f64,
) -> CycleStatus {
    let mut by_kr: HashMap<&str, Vec<&CheckIn>> = HashMap::new();
    for c in checkins {
        by_kr.entry(c.kr.as_str()).or_default().push(c);
    }
    let objectives = objectives
        .iter()
        .filter(|o| o.cycle == cycle.key)
        .map(|o| {
            let ks: Vec<KrStatus> = krs
                .iter()
                .filter(|k| k.objective == o.key)
                .map(|k| {
                    let cs = by_kr.get(k.key.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                    kr_status(cycle, k, cs, on, tolerance)
                })
                .collect();
            let pairs: Vec<(f64, f64)> = ks.iter().map(|k| (k.score, k.weight)).collect();
            let live = objective_score(&pairs).ok().flatten();
            let score = if cycle.state == CycleState::Closed {
                o.final_score.or(live)
            } else {
                live
            };
            ObjectiveStatus {
                key: o.key.clone(),
                title: o.title.clone(),
                why: o.why.clone(),
                level: o.level,
                team: o.team.clone(),
                owner: o.owner.clone(),
                parent: o.parent.clone(),
                committed: o.committed,
                state: o.state,
                score,
                grade: score.map(grade_band),
                at_risk: ks.iter().any(|k| k.at_risk),
                flagged: o.flagged,
                version: o.version,
                krs: ks,
            }
        })
        .collect();
    CycleStatus {
        cycle: cycle.clone(),
        on,
        expected: okapi_core::pace::expected_progress(cycle.start, cycle.end, on),
        objectives,
    }
}

/// An objective's level with its team and owner: `team: sales · ana`.
pub fn level_text(o: &ObjectiveStatus) -> String {
    let mut t = o.level.as_str().to_string();
    if let Some(team) = &o.team {
        t.push_str(&format!(": {team}"));
    }
    if let Some(owner) = &o.owner {
        t.push_str(&format!(" · {owner}"));
    }
    t
}

/// The cycle a command works on when none is named: the active one (the
/// latest started if several), else the latest.
pub fn default_cycle(cycles: &[Cycle]) -> Option<&Cycle> {
    cycles
        .iter()
        .filter(|c| c.state == CycleState::Active)
        .max_by_key(|c| c.start)
        .or_else(|| cycles.iter().max_by_key(|c| c.start))
}

/// A KR is stale when its last check-in (or, without any, the cycle's
/// start) is more than `cadence` days before `on`.
pub fn stale_days(cycle: &Cycle, last: Option<DateTime<Utc>>, on: NaiveDate) -> i64 {
    let since = last.map(|t| t.date_naive()).unwrap_or(cycle.start);
    (on - since).num_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use okapi_store::CheckInSource;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn kr() -> KeyResult {
        KeyResult {
            baseline: Some(0.0),
            target: Some(1000.0),
            version: 1,
            ..KeyResult::new("KR-1", "O-1", "Calls", KrKind::Metric)
        }
    }

    fn ci(day: u32, v: f64) -> CheckIn {
        CheckIn {
            seq: day as i64,
            kr: "KR-1".into(),
            at: Utc.with_ymd_and_hms(2027, 1, day, 12, 0, 0).unwrap(),
            value: Some(v),
            confidence: Confidence::OnTrack,
            note: None,
            author: None,
            source: CheckInSource::Manual,
        }
    }

    #[test]
    fn pace_and_forecast_from_checkins() {
        // A 100-day cycle (1 Jan … 10 Apr 2027, both included: 31 + 28 +
        // 31 + 10 days); 20 February starts day 50: half is expected.
        let cycle = Cycle {
            key: "c".into(),
            name: "c".into(),
            start: d("2027-01-01"),
            end: d("2027-04-10"),
            state: CycleState::Active,
            version: 1,
        };
        // 100 on day 0 and 200 on day 10: scores 0.1 and 0.2, 0.01 a day,
        // so the line reaches 1.0 on day 90 = 1 Apr.
        let cs = [ci(1, 100.0), ci(11, 200.0)];
        let refs: Vec<&CheckIn> = cs.iter().collect();
        let s = kr_status(&cycle, &kr(), &refs, d("2027-02-20"), 0.15);
        assert_eq!(s.current, Some(200.0));
        assert!((s.score - 0.2).abs() < 1e-12);
        assert!((s.expected - 0.5).abs() < 1e-12);
        // 0.2 is 0.3 behind 0.5: at risk.
        assert!(s.at_risk);
        let f = s.forecast.unwrap();
        // Line: 0.1 + 0.01 × day; at day 100 → 1.1, clamped to 1.0.
        assert_eq!(f, 1.0);
        assert_eq!(s.reaches_target_on, Some(d("2027-04-01")));
    }
}
