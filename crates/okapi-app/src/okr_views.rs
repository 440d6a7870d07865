//! Reading OKRs: a cycle's status (scores, pace and forecast on a day,
//! optionally with KPIs read live and filtered to a team or a person), the
//! alignment tree, stale key results and a key result's history.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveTime};
use okapi_core::okr::{Confidence, CycleState, KrKind};
use okapi_store::{CheckIn, CheckInSource, Cycle, Objective, Reader, User};
use serde::Serialize;

use crate::error::AppError;
use crate::kpi_reader::KpiReader;
use crate::status::{
    CycleStatus, ObjectiveStatus, cycle_status, default_cycle, level_text, stale_days,
};
use crate::workspace::Workspace;

/// The cycle `key`, else the default one (the active cycle, else the
/// latest).
pub async fn pick_cycle(s: &mut Reader, key: Option<&str>) -> Result<Cycle, AppError> {
    match key {
        Some(k) => Ok(s.cycle(k).await?),
        None => {
            let cycles = s.cycles().await?;
            default_cycle(&cycles).cloned().ok_or_else(|| {
                AppError::Missing("no cycles yet: okapi cycle create 2027-Q1".into())
            })
        }
    }
}

/// Which objectives and key results a status shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub team: Option<String>,
    pub owner: Option<String>,
}

impl Filter {
    /// Keeps a team's objectives, or what a person owns: their objectives
    /// whole, and their key results within others' objectives.
    pub fn apply(&self, st: &mut CycleStatus) {
        if let Some(t) = &self.team {
            st.objectives.retain(|o| o.team.as_deref() == Some(t));
        }
        if let Some(u) = &self.owner {
            st.objectives.retain_mut(|o| {
                if o.owner.as_deref() == Some(u) {
                    return true;
                }
                o.krs.retain(|k| k.owner.as_deref() == Some(u));
                !o.krs.is_empty()
            });
        }
    }
}

/// What status to read.
#[derive(Debug, Clone, Default)]
pub struct StatusQuery {
    /// Default: the active cycle, else the latest.
    pub cycle: Option<String>,
    /// The day to read the status on (default: `today`), held to the
    /// cycle's dates.
    pub at: Option<NaiveDate>,
    /// Read every KPI-linked key result of an open cycle from the data
    /// now, as if checked in (nothing is stored).
    pub live: bool,
    pub filter: Filter,
}

/// A cycle's status on a day.
pub async fn status(
    ws: &Workspace,
    q: StatusQuery,
    today: NaiveDate,
) -> Result<CycleStatus, AppError> {
    Ok(Arc::unwrap_or_clone(status_shared(ws, q, today).await?))
}

/// [`status`], shared: a status read from the database alone (not live,
/// not filtered) is kept in the workspace's memo until the database
/// changes ([`crate::memo`]), so that the pages and the API read a cycle's
/// check-ins once per change instead of once per request.
pub async fn status_shared(
    ws: &Workspace,
    q: StatusQuery,
    today: NaiveDate,
) -> Result<Arc<CycleStatus>, AppError> {
    if q.live || q.filter.team.is_some() || q.filter.owner.is_some() {
        return Ok(Arc::new(read_status(ws, q, today).await?));
    }
    let key = (ws.id.clone(), q.cycle.clone(), q.at.unwrap_or(today));
    ws.memo
        .status
        .get_or_read(&ws.store, key, || read_status(ws, q, today))
        .await
}

async fn read_status(
    ws: &Workspace,
    q: StatusQuery,
    today: NaiveDate,
) -> Result<CycleStatus, AppError> {
    let mut s = ws.read_session().await?;
    let c = pick_cycle(&mut s, q.cycle.as_deref()).await?;
    let objectives = s.objectives(Some(&c.key)).await?;
    let krs = s.key_results(Some(&c.key)).await?;
    let mut checkins = s.checkins(None, Some(&c.key)).await?;
    s.commit().await?;
    let on = okapi_core::pace::status_day(c.start, c.end, q.at.unwrap_or(today));
    if q.live && c.state != CycleState::Closed {
        let mut reader = KpiReader::new(&ws.settings, ws.data_location()?);
        reader.prefetch_krs(krs.iter().filter(|k| k.kind == KrKind::Kpi))?;
        for k in krs.iter().filter(|k| k.kind == KrKind::Kpi) {
            let (value, period) = reader.kr_value(k, on)?;
            checkins.push(CheckIn {
                seq: i64::MAX,
                kr: k.key.clone(),
                at: on.and_time(NaiveTime::MIN).and_utc(),
                value: Some(value),
                confidence: Confidence::OnTrack,
                note: Some(format!("live, from {period}")),
                author: None,
                source: CheckInSource::Kpi,
            });
        }
        checkins.sort_by_key(|c| (c.at, c.seq));
    }
    let mut st = cycle_status(
        &c,
        &objectives,
        &krs,
        &checkins,
        on,
        ws.settings.okrs.pace_tolerance,
    );
    q.filter.apply(&mut st);
    Ok(st)
}

/// An objective in the alignment tree, with the objectives aligned under it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TreeNode {
    pub key: String,
    pub title: String,
    pub level: String,
    pub score: Option<f64>,
    pub grade: Option<&'static str>,
    pub at_risk: bool,
    /// The objectives aligned under this one (the tree is its own schema:
    /// the document refers to it rather than unfolding it).
    #[cfg_attr(feature = "openapi", schema(no_recursion))]
    pub children: Vec<TreeNode>,
}

/// The alignment tree of a status: its roots are the objectives with no
/// parent, or a parent outside the cycle.
pub fn tree(st: &CycleStatus) -> Vec<TreeNode> {
    let keys: HashSet<&str> = st.objectives.iter().map(|o| o.key.as_str()).collect();
    // Objectives are placed once each: a bounded walk even if the data
    // held a loop (the store refuses them).
    let mut placed = HashSet::new();
    build(None, &st.objectives, &keys, &mut placed)
}

fn build<'a>(
    parent: Option<&str>,
    objs: &'a [ObjectiveStatus],
    keys: &HashSet<&str>,
    placed: &mut HashSet<&'a str>,
) -> Vec<TreeNode> {
    let mut out = Vec::new();
    for o in objs.iter().filter(|o| match parent {
        None => o.parent.as_deref().is_none_or(|p| !keys.contains(p)),
        Some(p) => o.parent.as_deref() == Some(p),
    }) {
        if !placed.insert(o.key.as_str()) {
            continue;
        }
        out.push(TreeNode {
            key: o.key.clone(),
            title: o.title.clone(),
            level: level_text(o),
            score: o.score,
            grade: o.grade.map(|g| g.as_str()),
            at_risk: o.at_risk,
            children: build(Some(&o.key), objs, keys, placed),
        });
    }
    out
}

/// A key result without a check-in for longer than the cadence.
#[derive(Debug, Clone, Serialize)]
pub struct StaleKr {
    pub key: String,
    pub title: String,
    pub objective: String,
    pub cycle: String,
    pub last_checkin: Option<NaiveDate>,
    pub days_since: i64,
}

/// Stale key results of the active cycles, by owner.
#[derive(Debug, Clone, Serialize)]
pub struct Stale {
    pub on: NaiveDate,
    pub cadence_days: i64,
    /// By owner: the key result's, else its objective's, else its team's
    /// (`team growth`); a user shown as `key (name)`.
    pub owners: BTreeMap<String, Vec<StaleKr>>,
}

/// Key results of the active cycles with no check-in for more than
/// `cadence` days (default: the workspace's `checkin_cadence`) on `on`.
pub async fn stale(ws: &Workspace, on: NaiveDate, cadence: Option<u32>) -> Result<Stale, AppError> {
    let cadence = i64::from(cadence.unwrap_or(ws.settings.okrs.checkin_cadence));
    let mut s = ws.read_session().await?;
    let cycles = s.cycles().await?;
    let users: HashMap<String, User> = s
        .users()
        .await?
        .into_iter()
        .map(|u| (u.key.clone(), u))
        .collect();
    let mut owners: BTreeMap<String, Vec<StaleKr>> = BTreeMap::new();
    for c in cycles.iter().filter(|c| c.state == CycleState::Active) {
        let objectives: HashMap<String, Objective> = s
            .objectives(Some(&c.key))
            .await?
            .into_iter()
            .map(|o| (o.key.clone(), o))
            .collect();
        let krs = s.key_results(Some(&c.key)).await?;
        let checkins = s.checkins(None, Some(&c.key)).await?;
        for kr in &krs {
            let last = checkins
                .iter()
                .filter(|ci| ci.kr == kr.key)
                .map(|ci| ci.at)
                .max();
            let days = stale_days(c, last, on.min(c.end));
            if days <= cadence {
                continue;
            }
            // Every key result belongs to an objective of its cycle.
            let Some(o) = objectives.get(&kr.objective) else {
                continue;
            };
            let owner = kr
                .owner
                .clone()
                .or(o.owner.clone())
                .or(o.team.as_ref().map(|t| format!("team {t}")))
                .unwrap_or_else(|| "(no owner)".into());
            let owner = match users.get(&owner) {
                Some(u) => format!("{} ({})", u.key, u.name),
                None => owner,
            };
            owners.entry(owner).or_default().push(StaleKr {
                key: kr.key.clone(),
                title: kr.title.clone(),
                objective: kr.objective.clone(),
                cycle: c.key.clone(),
                last_checkin: last.map(|t| t.date_naive()),
                days_since: days,
            });
        }
    }
    s.commit().await?;
    Ok(Stale {
        on,
        cadence_days: cadence,
        owners,
    })
}

/// A check-in with the key result's score once it was made.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryRow {
    #[serde(flatten)]
    pub checkin: CheckIn,
    pub score: Option<f64>,
}

/// A key result and its check-ins, oldest first, each with the score it
/// gave.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct History {
    pub key_result: okapi_store::KeyResult,
    pub checkins: Vec<HistoryRow>,
}

pub async fn history(ws: &Workspace, kr: &str) -> Result<History, AppError> {
    let mut s = ws.read_session().await?;
    let k = s.key_result(kr).await?;
    let checkins = s.checkins(Some(kr), None).await?;
    s.commit().await?;
    let mut values = Vec::new();
    let rows = checkins
        .into_iter()
        .map(|c| {
            if let Some(v) = c.value {
                values.push(v);
            }
            HistoryRow {
                score: k.score(&values).ok(),
                checkin: c,
            }
        })
        .collect();
    Ok(History {
        key_result: k,
        checkins: rows,
    })
}
