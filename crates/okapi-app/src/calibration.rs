//! Calibration: how each team's closed cycles scored against their
//! targets (too easy, too ambitious, well calibrated), and realistic
//! targets for the KPI-linked key results of open cycles, proposed from
//! the changes the KPI achieved over comparable past windows.

use std::collections::{BTreeMap, HashMap};

use okapi_core::calibration::{DEFAULT_PERCENTILE, propose_target};
use okapi_core::okr::{CycleState, KrKind};
use okapi_core::period::Grain;
use okapi_store::{Cycle, Objective};
use serde::Serialize;

use crate::error::AppError;
use crate::kpi_reader::{KpiReader, direction, grain_of};
use crate::workspace::Workspace;

/// A team's key results of one closed cycle, against their targets.
#[derive(Debug, Clone, Serialize)]
pub struct TeamCycle {
    pub team: String,
    pub cycle: String,
    pub key_results: usize,
    pub mean_score: f64,
    pub green: usize,
    pub yellow: usize,
    pub red: usize,
    pub verdict: &'static str,
    pub results: Vec<KrResult>,
}

/// A key result's final score with what it aimed at and achieved.
#[derive(Debug, Clone, Serialize)]
pub struct KrResult {
    pub key: String,
    pub title: String,
    pub unit: Option<String>,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub achieved: Option<f64>,
    pub score: f64,
}

/// A realistic target for a KPI-linked key result of an open cycle.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    pub key: String,
    pub title: String,
    pub kpi: String,
    pub unit: Option<String>,
    pub cycle: String,
    pub baseline: f64,
    pub current_target: Option<f64>,
    pub proposed_target: Option<f64>,
    pub change: Option<f64>,
    pub percentile: f64,
    pub windows: usize,
    pub note: Option<String>,
}

fn verdict(mean: f64) -> &'static str {
    if mean >= 0.9 {
        "targets too easy: raise them"
    } else if mean < 0.4 {
        "targets too ambitious: lower them or resource them"
    } else {
        "well calibrated"
    }
}

/// The calibration of a workspace.
#[derive(Debug, Clone, Serialize)]
pub struct Calibration {
    #[serde(skip)]
    pub percentile: f64,
    pub teams: Vec<TeamCycle>,
    pub proposals: Vec<Proposal>,
}

/// Every team's closed cycles, oldest first: how their key results scored
/// against their targets (read from the store only).
pub async fn past_cycles(ws: &Workspace) -> Result<Vec<TeamCycle>, AppError> {
    let mut s = ws.read_session().await?;
    let cycles = s.cycles().await?;
    let objectives = s.objectives(None).await?;
    let krs = s.key_results(None).await?;
    let checkins = s.checkins(None, None).await?;
    s.commit().await?;
    Ok(team_cycles(&cycles, &objectives, &krs, &checkins))
}

fn team_cycles(
    cycles: &[Cycle],
    objectives: &[Objective],
    krs: &[okapi_store::KeyResult],
    checkins: &[okapi_store::CheckIn],
) -> Vec<TeamCycle> {
    let obj: HashMap<&str, &Objective> = objectives.iter().map(|o| (o.key.as_str(), o)).collect();
    let team_of = |o: &Objective| {
        o.team.clone().unwrap_or_else(|| match o.level {
            okapi_core::review::Level::Company => "company".into(),
            _ => o
                .owner
                .clone()
                .map_or("—".into(), |u| format!("person {u}")),
        })
    };
    let mut rows: Vec<TeamCycle> = Vec::new();
    let mut closed: Vec<&Cycle> = cycles
        .iter()
        .filter(|c| c.state == CycleState::Closed)
        .collect();
    closed.sort_by_key(|c| c.start);
    for c in &closed {
        let mut teams: BTreeMap<String, Vec<KrResult>> = BTreeMap::new();
        for (k, o) in krs.iter().filter_map(|k| {
            obj.get(k.objective.as_str())
                .filter(|o| o.cycle == c.key)
                .map(|o| (k, *o))
        }) {
            let Some(score) = k.final_score else { continue };
            let achieved = checkins
                .iter()
                .filter(|ci| ci.kr == k.key)
                .filter_map(|ci| ci.value)
                .next_back();
            teams.entry(team_of(o)).or_default().push(KrResult {
                key: k.key.clone(),
                title: k.title.clone(),
                unit: k.unit.clone(),
                baseline: k.baseline,
                target: k.target,
                achieved,
                score,
            });
        }
        for (team, results) in teams {
            let n = results.len();
            let mean = results.iter().map(|r| r.score).sum::<f64>() / n as f64;
            let band = |lo: f64, hi: f64| {
                results
                    .iter()
                    .filter(|r| r.score >= lo && r.score < hi)
                    .count()
            };
            rows.push(TeamCycle {
                team,
                cycle: c.key.clone(),
                key_results: n,
                mean_score: mean,
                green: band(0.7, f64::INFINITY),
                yellow: band(0.4, 0.7),
                red: band(f64::NEG_INFINITY, 0.4),
                verdict: verdict(mean),
                results,
            });
        }
    }
    rows
}

/// Calibrates targets at `percentile` (default
/// [`DEFAULT_PERCENTILE`]) of comparable past windows.
pub async fn calibrate(ws: &Workspace, percentile: Option<f64>) -> Result<Calibration, AppError> {
    let pct = percentile.unwrap_or(DEFAULT_PERCENTILE);
    if !(0.0..=100.0).contains(&pct) {
        return Err(AppError::input("percentile", "must be between 0 and 100"));
    }
    let mut s = ws.read_session().await?;
    let cycles = s.cycles().await?;
    let objectives = s.objectives(None).await?;
    let krs = s.key_results(None).await?;
    let checkins = s.checkins(None, None).await?;
    s.commit().await?;
    let rows = team_cycles(&cycles, &objectives, &krs, &checkins);
    let obj: HashMap<&str, &Objective> = objectives.iter().map(|o| (o.key.as_str(), o)).collect();
    // Proposals for the KPI-linked KRs of cycles still open.
    let mut reader = KpiReader::new(&ws.settings, ws.data_location()?);
    let open: Vec<&str> = cycles
        .iter()
        .filter(|c| c.state != CycleState::Closed)
        .map(|c| c.key.as_str())
        .collect();
    reader.prefetch_krs(krs.iter().filter(|k| {
        k.kind == KrKind::Kpi
            && obj
                .get(k.objective.as_str())
                .is_some_and(|o| open.contains(&o.cycle.as_str()))
    }))?;
    let mut proposals = Vec::new();
    for c in cycles.iter().filter(|c| c.state != CycleState::Closed) {
        for k in krs.iter().filter(|k| {
            k.kind == KrKind::Kpi
                && obj
                    .get(k.objective.as_str())
                    .is_some_and(|o| o.cycle == c.key)
        }) {
            let kpi = k.kpi.clone().unwrap_or_default();
            let grain = grain_of(k.grain.as_deref())?;
            let day_before = c.start.pred_opt().unwrap_or(c.start);
            let history = reader
                .history_before(&kpi, k.segment.as_deref(), grain, day_before)
                .unwrap_or_default();
            let horizon = match grain {
                Grain::Day => ((c.end - c.start).num_days() + 1) as usize,
                Grain::Week => (((c.end - c.start).num_days() + 1) as f64 / 7.0).round() as usize,
                Grain::Month => (((c.end - c.start).num_days() + 1) as f64 / 30.4).round() as usize,
                Grain::Quarter => {
                    (((c.end - c.start).num_days() + 1) as f64 / 91.3).round() as usize
                }
                Grain::Year => 1,
            }
            .max(1);
            let p = propose_target(&history, horizon, direction(&ws.settings, &kpi), pct);
            proposals.push(Proposal {
                key: k.key.clone(),
                title: k.title.clone(),
                kpi: kpi.clone(),
                unit: k.unit.clone(),
                cycle: c.key.clone(),
                baseline: p
                    .as_ref()
                    .map_or(history.last().copied().unwrap_or(f64::NAN), |p| p.baseline),
                current_target: k.target,
                proposed_target: p.as_ref().map(|p| p.target),
                change: p.as_ref().map(|p| p.change),
                percentile: pct,
                windows: p.as_ref().map_or(0, |p| p.windows),
                note: p.is_none().then(|| {
                    format!(
                        "not enough history: {} complete {}s before the cycle, {} needed",
                        history.len(),
                        grain.as_str(),
                        horizon + 1
                    )
                }),
            });
        }
    }
    Ok(Calibration {
        percentile: pct,
        teams: rows,
        proposals,
    })
}
