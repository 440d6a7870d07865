//! Cycles: creating, listing, changing, activating and closing them.
//!
//! A cycle key like `2027-Q1` or `2027` implies its dates and its name;
//! any other key needs both dates. Closing a cycle reads every KPI-linked
//! key result's KPI on the close day (at most the cycle's last day) before
//! any transaction starts, then, in one transaction, checks those values in
//! with the confidence their pace gives and writes the final scores, grades
//! and reflections.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate, NaiveTime};
use okapi_core::okr::{Confidence, CycleState, KrKind};
use okapi_store::{CheckIn, CheckInSource, ClosedObjective, Cycle, KeyResult, NewCheckIn};

use crate::error::AppError;
use crate::kpi_reader::KpiReader;
use crate::status::kr_status;
use crate::workspace::Workspace;

/// The key of the quarter containing `day` (`2027-Q1`).
pub fn quarter_key(day: NaiveDate) -> String {
    format!("{}-Q{}", day.year(), day.month0() / 3 + 1)
}

/// The dates a cycle key implies: `2027-Q1` a quarter, `2027` a year.
pub fn dates_from_key(key: &str) -> Option<(NaiveDate, NaiveDate)> {
    if let Some((y, q)) = key.split_once("-Q") {
        let y: i32 = y.parse().ok()?;
        let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
        let start = NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1)?;
        let end = if q == 4 {
            NaiveDate::from_ymd_opt(y, 12, 31)?
        } else {
            NaiveDate::from_ymd_opt(y, q * 3 + 1, 1)?.pred_opt()?
        };
        return Some((start, end));
    }
    if key.len() == 4 {
        let y: i32 = key.parse().ok()?;
        return Some((
            NaiveDate::from_ymd_opt(y, 1, 1)?,
            NaiveDate::from_ymd_opt(y, 12, 31)?,
        ));
    }
    None
}

/// The display name a cycle key implies (`Q1 2027`).
pub fn name_from_key(key: &str) -> String {
    match key.split_once("-Q") {
        Some((y, q)) if dates_from_key(key).is_some() => format!("Q{q} {y}"),
        _ => key.to_string(),
    }
}

/// A cycle to create.
#[derive(Debug, Clone, Default)]
pub struct NewCycle {
    /// Default: the quarter of `today`.
    pub key: Option<String>,
    /// Default: the name the key implies, else the key.
    pub name: Option<String>,
    /// Default: the dates the key implies.
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

/// Creates a cycle, in planning.
pub async fn create(ws: &Workspace, new: NewCycle, today: NaiveDate) -> Result<Cycle, AppError> {
    let key = new.key.unwrap_or_else(|| quarter_key(today));
    let (start, end) = match (new.start, new.end, dates_from_key(&key)) {
        (Some(s), Some(e), _) => (s, e),
        (s, e, Some(d)) => (s.unwrap_or(d.0), e.unwrap_or(d.1)),
        _ => {
            return Err(AppError::Invalid(format!(
                "cycle `{key}`: give --start and --end (only keys like 2027-Q1 or 2027 imply their dates)"
            )));
        }
    };
    let name = new.name.unwrap_or_else(|| name_from_key(&key));
    let mut s = ws.session().await?;
    let c = s.create_cycle(&key, &name, start, end).await?;
    s.commit().await?;
    Ok(c)
}

/// Every cycle.
pub async fn list(ws: &Workspace) -> Result<Vec<Cycle>, AppError> {
    let mut s = ws.read_session().await?;
    let cycles = s.cycles().await?;
    s.commit().await?;
    Ok(cycles)
}

/// A change of a cycle's name or dates (until it closes).
#[derive(Debug, Clone, Default)]
pub struct CycleChange {
    pub key: String,
    pub name: Option<String>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
}

pub async fn change(ws: &Workspace, change: CycleChange) -> Result<Cycle, AppError> {
    let mut s = ws.session().await?;
    let mut c = s.cycle(&change.key).await?;
    if let Some(n) = change.name {
        c.name = n;
    }
    c.start = change.start.unwrap_or(c.start);
    c.end = change.end.unwrap_or(c.end);
    let c = s.save_cycle(&c).await?;
    s.commit().await?;
    Ok(c)
}

/// Makes the cycle the active one.
pub async fn activate(ws: &Workspace, key: &str) -> Result<Cycle, AppError> {
    let mut s = ws.session().await?;
    let c = s.activate_cycle(key).await?;
    s.commit().await?;
    Ok(c)
}

/// Closing a cycle.
#[derive(Debug, Clone)]
pub struct Close {
    pub key: String,
    /// Reflections by key result key.
    pub reflections: BTreeMap<String, String>,
    /// The day of the close.
    pub at: NaiveDate,
}

fn refuse_unless_active(cycle: &Cycle) -> Result<(), AppError> {
    if cycle.state == CycleState::Active {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "cycle `{}` is {}: only an active cycle can be closed",
            cycle.key, cycle.state
        )))
    }
}

/// Closes an active cycle: a last check-in of each KPI-linked key result
/// (its KPI on the close day, at most the cycle's last day, with the
/// confidence its pace gives at that moment: the end of the cycle once it
/// is over), then the final scores, grades and reflections. The KPIs are
/// computed outside any transaction; the cycle and its key results are
/// read again before writing, and any change meanwhile refuses the close.
pub async fn close(ws: &Workspace, req: Close) -> Result<Vec<ClosedObjective>, AppError> {
    let key = req.key.as_str();
    let mut s = ws.read_session().await?;
    let cycle = s.cycle(key).await?;
    refuse_unless_active(&cycle)?;
    let on = req.at.min(cycle.end);
    let pace_day = req.at.min(cycle.end.succ_opt().unwrap_or(cycle.end));
    let krs = s.key_results(Some(key)).await?;
    let history = s.checkins(None, Some(key)).await?;
    s.commit().await?;

    let mut reader = KpiReader::new(&ws.settings, ws.data_location()?);
    reader.prefetch_krs(krs.iter().filter(|k| k.kind == KrKind::Kpi))?;
    let mut last = Vec::new();
    for kr in krs.iter().filter(|k| k.kind == KrKind::Kpi) {
        let (value, period) = reader.kr_value(kr, on)?;
        let pending = CheckIn {
            seq: 0,
            kr: kr.key.clone(),
            at: on.and_time(NaiveTime::MIN).and_utc(),
            value: Some(value),
            confidence: Confidence::OnTrack,
            note: Some(format!("value at close ({period})")),
            author: None,
            source: CheckInSource::Kpi,
        };
        let mut refs: Vec<&CheckIn> = history.iter().filter(|c| c.kr == kr.key).collect();
        refs.push(&pending);
        let status = kr_status(&cycle, kr, &refs, pace_day, ws.settings.okrs.pace_tolerance);
        last.push(NewCheckIn {
            kr: pending.kr.clone(),
            at: pending.at,
            value: pending.value,
            confidence: okapi_core::pace::confidence_from_pace(
                status.at_risk,
                status.expected,
                status.score,
            ),
            note: pending.note.clone(),
            author: None,
            source: CheckInSource::Kpi,
        });
    }

    let mut s = ws.session().await?;
    refuse_unless_active(&s.cycle(key).await?)?;
    let versions = |krs: &[KeyResult]| -> Vec<(String, i64)> {
        krs.iter().map(|k| (k.key.clone(), k.version)).collect()
    };
    if versions(&s.key_results(Some(key)).await?) != versions(&krs) {
        return Err(AppError::Conflict(format!(
            "the key results of cycle `{key}` changed while their KPIs were computed: nothing was closed; run the command again"
        )));
    }
    for c in &last {
        s.check_in(c).await?;
    }
    let closed = s.close_cycle(key, &req.reflections).await?;
    s.commit().await?;
    Ok(closed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn keys_imply_dates_and_names() {
        assert_eq!(quarter_key(d("2027-02-15")), "2027-Q1");
        assert_eq!(quarter_key(d("2026-12-31")), "2026-Q4");
        assert_eq!(
            dates_from_key("2027-Q1"),
            Some((d("2027-01-01"), d("2027-03-31")))
        );
        assert_eq!(
            dates_from_key("2024-Q4"),
            Some((d("2024-10-01"), d("2024-12-31")))
        );
        assert_eq!(
            dates_from_key("2027"),
            Some((d("2027-01-01"), d("2027-12-31")))
        );
        assert_eq!(dates_from_key("2027-Q5"), None);
        assert_eq!(dates_from_key("H1-2027"), None);
        assert_eq!(name_from_key("2027-Q3"), "Q3 2027");
        assert_eq!(name_from_key("H1-2027"), "H1-2027");
    }
}
