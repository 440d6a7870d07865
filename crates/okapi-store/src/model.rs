//! The stored OKR model: what a workspace holds, as plain values.
//!
//! Keys are short, human-typed ids (`2026-Q4`, `O-3`, `KR-12`, `marketing`)
//! unique within a workspace. Objectives and key results carry a `version`
//! that every change bumps: a change made on an older version is refused
//! (optimistic concurrency), see [`crate::Session::save_objective`].

use chrono::{DateTime, NaiveDate, Utc};
use okapi_core::okr::{Confidence, CycleState, KrKind, KrType, ObjectiveState};
use okapi_core::review::{Funnel, Level, Maturity};
use okapi_core::scoring::{Grade, KrMeasure, ScoreError, grade_band};
use serde::{Deserialize, Serialize};

/// A workspace: one company, the tenant every other row belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub vision: Option<String>,
    /// `b2b` or `b2c`.
    pub profile: String,
    pub created_at: DateTime<Utc>,
}

/// A team and its mission.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Team {
    pub key: String,
    pub name: String,
    pub mission: Option<String>,
}

/// A person. Password hashes, when the server adds them, are never part of
/// this value, so they never reach exports or output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub key: String,
    pub name: String,
    pub email: Option<String>,
    pub role: Option<String>,
    pub team: Option<String>,
}

/// A time box: a quarter, a year or any date range (both ends inclusive).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Cycle {
    pub key: String,
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub state: CycleState,
    pub version: i64,
}

/// An objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    pub key: String,
    pub cycle: String,
    pub title: String,
    pub why: Option<String>,
    pub level: Level,
    pub team: Option<String>,
    pub owner: Option<String>,
    pub parent: Option<String>,
    /// Committed (expected to reach 1.0) or aspirational (0.7 is success).
    pub committed: bool,
    pub state: ObjectiveState,
    /// Kept at the cycle's close.
    pub final_score: Option<f64>,
    pub grade: Option<Grade>,
    /// A committed objective that closed below 1.0.
    pub flagged: bool,
    pub version: i64,
}

impl Objective {
    /// A new draft objective, aspirational, with no team, owner or parent.
    pub fn draft(key: &str, cycle: &str, title: &str, level: Level) -> Objective {
        Objective {
            key: key.to_string(),
            cycle: cycle.to_string(),
            title: title.to_string(),
            why: None,
            level,
            team: None,
            owner: None,
            parent: None,
            committed: false,
            state: ObjectiveState::Draft,
            final_score: None,
            grade: None,
            flagged: false,
            version: 0,
        }
    }
}

/// A key result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyResult {
    pub key: String,
    pub objective: String,
    pub title: String,
    pub kind: KrKind,
    /// The linked KPI (kind `kpi`).
    pub kpi: Option<String>,
    /// The segment the KPI is computed for.
    pub segment: Option<String>,
    /// The period grain the KPI is read at (`month` unless set).
    pub grain: Option<String>,
    pub baseline: Option<f64>,
    /// The target; for a threshold, the line to hold.
    pub target: Option<f64>,
    /// Thresholds: hold at or above the line (`true`) or at or below.
    pub above: Option<bool>,
    pub unit: Option<String>,
    /// The cycle's end unless set.
    pub due: Option<NaiveDate>,
    pub weight: f64,
    pub kr_type: Option<KrType>,
    pub funnel: Option<Funnel>,
    /// `Some(true)` leading, `Some(false)` lagging.
    pub leading: Option<bool>,
    pub maturity: Option<Maturity>,
    /// Why it matters to the objective.
    pub why: Option<String>,
    pub owner: Option<String>,
    /// Kept at the cycle's close.
    pub final_score: Option<f64>,
    pub grade: Option<Grade>,
    pub reflection: Option<String>,
    pub version: i64,
}

impl KeyResult {
    /// A new key result of weight 1 with nothing else set.
    pub fn new(key: &str, objective: &str, title: &str, kind: KrKind) -> KeyResult {
        KeyResult {
            key: key.to_string(),
            objective: objective.to_string(),
            title: title.to_string(),
            kind,
            kpi: None,
            segment: None,
            grain: None,
            baseline: None,
            target: None,
            above: None,
            unit: None,
            due: None,
            weight: 1.0,
            kr_type: None,
            funnel: None,
            leading: None,
            maturity: None,
            why: None,
            owner: None,
            final_score: None,
            grade: None,
            reflection: None,
            version: 0,
        }
    }

    /// How the KR is scored, checked: a numeric KR needs a baseline and a
    /// target that differ, a threshold its line.
    pub fn measure(&self) -> Result<KrMeasure, ScoreError> {
        let m = match self.kind {
            KrKind::Metric | KrKind::Kpi => KrMeasure::Numeric {
                baseline: self.baseline.ok_or(ScoreError::NotFinite)?,
                target: self.target.ok_or(ScoreError::NotFinite)?,
            },
            KrKind::Milestone => KrMeasure::Milestone,
            KrKind::Threshold => KrMeasure::Threshold {
                line: self.target.ok_or(ScoreError::NotFinite)?,
                above: self.above.unwrap_or(true),
            },
        };
        m.validate()?;
        Ok(m)
    }

    /// The score given the values checked in so far, oldest first.
    pub fn score(&self, values: &[f64]) -> Result<f64, ScoreError> {
        let measure = self.measure()?;
        match values.split_last() {
            Some((last, history)) => measure.score(Some(*last), history),
            None => measure.score(None, &[]),
        }
    }

    /// The score after each of `values` (oldest first), in one pass;
    /// `None` where a value cannot be scored.
    pub fn running_scores(&self, values: &[f64]) -> Result<Vec<Option<f64>>, ScoreError> {
        self.measure()?.running_scores(values)
    }

    /// The score's grade.
    pub fn grade_of(score: f64) -> Grade {
        grade_band(score)
    }
}

/// Manual or computed from the linked KPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CheckInSource {
    Manual,
    Kpi,
}
okapi_core::impl_words!(CheckInSource, "check-in source", { Manual => "manual", Kpi => "kpi" });

/// One check-in: history, never changed once written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckIn {
    /// Order of writing within the workspace.
    pub seq: i64,
    pub kr: String,
    pub at: DateTime<Utc>,
    pub value: Option<f64>,
    pub confidence: Confidence,
    pub note: Option<String>,
    pub author: Option<String>,
    pub source: CheckInSource,
}

/// A check-in to write.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCheckIn {
    pub kr: String,
    pub at: DateTime<Utc>,
    pub value: Option<f64>,
    pub confidence: Confidence,
    pub note: Option<String>,
    pub author: Option<String>,
    pub source: CheckInSource,
}

/// What closing a cycle kept, per objective.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClosedObjective {
    pub key: String,
    pub title: String,
    pub committed: bool,
    pub score: Option<f64>,
    pub grade: Option<Grade>,
    pub flagged: bool,
    pub krs: Vec<ClosedKr>,
}

/// What closing a cycle kept, per key result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClosedKr {
    pub key: String,
    pub title: String,
    pub score: f64,
    pub grade: Grade,
    pub reflection: Option<String>,
}

/// The whole of a workspace as one JSON document (`okapi export`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportDocument {
    /// Always `okapi-export`.
    pub format: String,
    /// The document's layout version.
    pub format_version: u32,
    pub exported_at: DateTime<Utc>,
    pub workspace: Workspace,
    /// The workspace file (`okapi.toml`) as text: settings and the KPI
    /// registry (custom KPIs).
    pub settings: Option<String>,
    pub teams: Vec<Team>,
    pub users: Vec<User>,
    pub cycles: Vec<Cycle>,
    pub objectives: Vec<Objective>,
    pub key_results: Vec<KeyResult>,
    pub checkins: Vec<CheckIn>,
}

impl ExportDocument {
    pub const FORMAT: &'static str = "okapi-export";
    pub const FORMAT_VERSION: u32 = 1;
}
