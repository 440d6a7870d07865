//! Check-ins: a person's, and the ones okapi writes when a KPI-linked key
//! result's KPI moves (`refresh_krs`).
//!
//! Both read first, compute any KPI outside a transaction (it may take a
//! while on large data), then write in a session of their own, where the
//! key result is read again: a change made meanwhile refuses the write.
//! Without a stated confidence, the pace gives one.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use okapi_core::okr::{Confidence, CycleState, KrKind};
use okapi_store::{CheckIn, CheckInSource, NewCheckIn};
use serde::Serialize;

use crate::error::AppError;
use crate::kpi_reader::KpiReader;
use crate::status::{KrStatus, kr_status};
use crate::workspace::Workspace;

/// The confidence the pace gives a check-in that states none.
fn confidence_from_pace(status: &KrStatus) -> Confidence {
    okapi_core::pace::confidence_from_pace(status.at_risk, status.expected, status.score)
}

/// A check-in to write.
#[derive(Debug, Clone, Default)]
pub struct CheckInRequest {
    pub kr: String,
    /// The new value; a KPI-linked key result without one reads its KPI.
    pub value: Option<f64>,
    /// Default: the one the pace gives.
    pub confidence: Option<Confidence>,
    pub note: Option<String>,
    pub author: Option<String>,
    /// The day checked in for (default: now).
    pub at: Option<NaiveDate>,
}

/// A check-in written, with the key result's standing after it.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckedIn {
    pub checkin: CheckIn,
    pub score: f64,
    pub expected: f64,
    pub at_risk: bool,
    pub forecast: Option<f64>,
    pub reaches_target_on: Option<NaiveDate>,
    #[serde(skip)]
    pub grade: okapi_core::scoring::Grade,
    /// The KPI period the value was computed from, for a computed one.
    #[serde(skip)]
    pub period: Option<String>,
    #[serde(skip)]
    pub unit: Option<String>,
}

/// Checks in on a key result of an open cycle; `now` is the instant of a
/// check-in without a day.
pub async fn check_in(
    ws: &Workspace,
    req: CheckInRequest,
    now: DateTime<Utc>,
) -> Result<CheckedIn, AppError> {
    let mut s = ws.read_session().await?;
    let kr = s.key_result(&req.kr).await?;
    let o = s.objective(&kr.objective).await?;
    let cycle = s.cycle(&o.cycle).await?;
    s.commit().await?;
    if cycle.state == CycleState::Closed {
        return Err(AppError::Conflict(format!(
            "cycle `{}` is closed: no more check-ins on `{}`",
            cycle.key, kr.key
        )));
    }
    let on = req.at.unwrap_or_else(|| now.date_naive());
    let at = match req.at {
        Some(day) => day.and_time(NaiveTime::MIN).and_utc(),
        None => now,
    };
    let (value, source, period) = match (req.value, kr.kind) {
        (Some(v), _) => (Some(v), CheckInSource::Manual, None),
        (None, KrKind::Kpi) => {
            let mut reader = KpiReader::new(&ws.settings, ws.data_location()?);
            let (v, p) = reader.kr_value(&kr, on)?;
            (Some(v), CheckInSource::Kpi, Some(p))
        }
        (None, _) => {
            return Err(AppError::input(
                "value",
                format!(
                    "is needed: key result `{}` is a {} and reads no KPI",
                    kr.key,
                    kr.kind.as_str()
                ),
            ));
        }
    };
    let mut s = ws.session().await?;
    let current = s.key_result(&kr.key).await?;
    if current.version != kr.version {
        return Err(AppError::Conflict(format!(
            "key result `{}` was changed meanwhile (version {}, now {}): nothing was checked in; run the command again",
            kr.key, kr.version, current.version
        )));
    }
    let history = s.checkins(Some(&kr.key), None).await?;
    let pending = CheckIn {
        seq: 0,
        kr: kr.key.clone(),
        at,
        value,
        confidence: Confidence::OnTrack,
        note: None,
        author: None,
        source,
    };
    let mut refs: Vec<&CheckIn> = history.iter().collect();
    refs.push(&pending);
    let status = kr_status(&cycle, &kr, &refs, on, ws.settings.okrs.pace_tolerance);
    let confidence = req
        .confidence
        .unwrap_or_else(|| confidence_from_pace(&status));
    let note = match (req.note, &period) {
        (Some(n), _) => Some(n),
        (None, Some(p)) => Some(format!("computed from {p}")),
        (None, None) => None,
    };
    let checkin = s
        .check_in(&NewCheckIn {
            kr: kr.key.clone(),
            at,
            value,
            confidence,
            note,
            author: req.author,
            source,
        })
        .await?;
    s.commit().await?;
    Ok(CheckedIn {
        checkin,
        score: status.score,
        expected: status.expected,
        at_risk: status.at_risk,
        forecast: status.forecast,
        reaches_target_on: status.reaches_target_on,
        grade: status.grade,
        period,
        unit: kr.unit.clone(),
    })
}

/// One KPI-linked key result checked in by [`refresh_krs`].
#[derive(Debug, Clone, Serialize)]
pub struct Refreshed {
    pub kr: String,
    #[serde(skip)]
    pub unit: Option<String>,
    pub value: f64,
    pub period: String,
    pub previous: Option<f64>,
    pub score: f64,
    pub confidence: Confidence,
}

/// What [`refresh_krs`] did.
#[derive(Debug, Clone, Serialize)]
pub struct KrRefresh {
    /// KPI-linked key results of the active cycles read.
    #[serde(skip)]
    pub checked: usize,
    /// Those whose value changed, checked in.
    pub refreshed: Vec<Refreshed>,
}

/// Checks in every KPI-linked key result of the active cycles whose KPI
/// value on `on_day` (clamped to its cycle) differs from its last value.
/// Running it again on the same data adds nothing.
pub async fn refresh_krs(ws: &Workspace, on_day: NaiveDate) -> Result<KrRefresh, AppError> {
    let mut s = ws.read_session().await?;
    let cycles: Vec<_> = s
        .cycles()
        .await?
        .into_iter()
        .filter(|c| c.state == CycleState::Active)
        .collect();
    let mut work = Vec::new();
    for c in &cycles {
        let krs = s.key_results(Some(&c.key)).await?;
        let checkins = s.checkins(None, Some(&c.key)).await?;
        for kr in krs.into_iter().filter(|k| k.kind == KrKind::Kpi) {
            let history: Vec<CheckIn> = checkins
                .iter()
                .filter(|ci| ci.kr == kr.key)
                .cloned()
                .collect();
            work.push((c.clone(), kr, history));
        }
    }
    s.commit().await?;

    let mut reader = KpiReader::new(&ws.settings, ws.data_location()?);
    reader.prefetch_krs(work.iter().map(|(_, kr, _)| kr))?;
    let mut writes = Vec::new();
    for (c, kr, history) in &work {
        let on = on_day.clamp(c.start, c.end);
        let (value, period) = reader.kr_value(kr, on)?;
        let previous = history.iter().rev().find_map(|ci| ci.value);
        if previous == Some(value) {
            continue;
        }
        let at = on.and_time(NaiveTime::MIN).and_utc();
        let pending = CheckIn {
            seq: 0,
            kr: kr.key.clone(),
            at,
            value: Some(value),
            confidence: Confidence::OnTrack,
            note: None,
            author: None,
            source: CheckInSource::Kpi,
        };
        let mut refs: Vec<&CheckIn> = history.iter().collect();
        refs.push(&pending);
        let status = kr_status(c, kr, &refs, on, ws.settings.okrs.pace_tolerance);
        let confidence = confidence_from_pace(&status);
        writes.push((
            NewCheckIn {
                kr: kr.key.clone(),
                at,
                value: Some(value),
                confidence,
                note: Some(format!("computed from {period}")),
                author: None,
                source: CheckInSource::Kpi,
            },
            Refreshed {
                kr: kr.key.clone(),
                unit: kr.unit.clone(),
                value,
                period,
                previous,
                score: status.score,
                confidence,
            },
            kr.version,
        ));
    }

    let mut s = ws.session().await?;
    let mut refreshed = Vec::new();
    for (c, r, version) in writes {
        // The key result is the one the value was computed for, and no one
        // checked that value in since.
        let current = s.key_result(&c.kr).await?;
        if current.version != version {
            return Err(AppError::Conflict(format!(
                "key result `{}` was changed while its KPI was computed (version {version}, now {}): nothing was checked in; run `okapi okr refresh` again",
                c.kr, current.version
            )));
        }
        let history = s.checkins(Some(&c.kr), None).await?;
        if history.iter().rev().find_map(|h| h.value) == c.value {
            continue;
        }
        s.check_in(&c).await?;
        refreshed.push(r);
    }
    s.commit().await?;
    Ok(KrRefresh {
        checked: work.len(),
        refreshed,
    })
}
