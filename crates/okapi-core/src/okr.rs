//! The OKR model's rules that do not depend on storage: cycle and
//! objective states and their transitions, and alignment (an objective's
//! parent must be in the same cycle, and alignment never loops).

use std::collections::HashMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A cycle's state: `planning` → `active` → `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CycleState {
    Planning,
    Active,
    Closed,
}

/// An objective's state: `draft` → `in review` → `active` → `closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ObjectiveState {
    Draft,
    InReview,
    Active,
    Closed,
}

crate::impl_words!(CycleState, "cycle state", {
    Planning => "planning",
    Active => "active",
    Closed => "closed",
});
crate::impl_words!(ObjectiveState, "objective state", {
    Draft => "draft",
    InReview => "in_review",
    Active => "active",
    Closed => "closed",
});

/// How a key result gets its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KrKind {
    /// A number updated by check-ins.
    Metric,
    /// A number computed from a KPI of the catalog.
    Kpi,
    /// Done or not done.
    Milestone,
    /// A value kept above or below a line for the whole cycle.
    Threshold,
}
crate::impl_words!(KrKind, "key result kind", {
    Metric => "metric",
    Kpi => "kpi",
    Milestone => "milestone",
    Threshold => "threshold",
});

/// What a key result counts: effort, tangible results or impact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum KrType {
    Input,
    Output,
    Outcome,
}
crate::impl_words!(KrType, "key result type", {
    Input => "input",
    Output => "output",
    Outcome => "outcome",
});

/// The confidence given with a check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Confidence {
    OnTrack,
    AtRisk,
    OffTrack,
}
crate::impl_words!(Confidence, "confidence", {
    OnTrack => "on_track",
    AtRisk => "at_risk",
    OffTrack => "off_track",
});

impl fmt::Display for CycleState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CycleState::Planning => "planning",
            CycleState::Active => "active",
            CycleState::Closed => "closed",
        })
    }
}

impl fmt::Display for ObjectiveState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectiveState::Draft => "draft",
            ObjectiveState::InReview => "in review",
            ObjectiveState::Active => "active",
            ObjectiveState::Closed => "closed",
        })
    }
}

/// A rule of the OKR model that a change would break.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OkrRuleError {
    #[error("a cycle cannot end ({end}) before it starts ({start})")]
    CycleDates { start: NaiveDate, end: NaiveDate },
    #[error("a cycle cannot go from {from} to {to}")]
    CycleTransition { from: CycleState, to: CycleState },
    #[error("an objective cannot go from {from} to {to}")]
    ObjectiveTransition {
        from: ObjectiveState,
        to: ObjectiveState,
    },
    #[error("the cycle is closed: nothing in it can change")]
    ClosedCycle,
    #[error("there is no objective {parent} in this workspace")]
    UnknownParent { parent: String },
    #[error("the parent objective {parent} is in another cycle")]
    ParentInOtherCycle { parent: String },
    #[error("aligning {child} under {parent} would make a loop: {path}")]
    AlignmentLoop {
        child: String,
        parent: String,
        path: String,
    },
}

/// Checks a cycle's dates.
pub fn check_cycle_dates(start: NaiveDate, end: NaiveDate) -> Result<(), OkrRuleError> {
    if end < start {
        Err(OkrRuleError::CycleDates { start, end })
    } else {
        Ok(())
    }
}

/// Checks a cycle's move to `to`: one step forward at a time.
pub fn check_cycle_transition(from: CycleState, to: CycleState) -> Result<(), OkrRuleError> {
    use CycleState::*;
    match (from, to) {
        (Planning, Active) | (Active, Closed) => Ok(()),
        _ => Err(OkrRuleError::CycleTransition { from, to }),
    }
}

/// Checks an objective's move to `to`. A draft goes to review; a review
/// goes live or back to draft; anything open can be closed.
pub fn check_objective_transition(
    from: ObjectiveState,
    to: ObjectiveState,
) -> Result<(), OkrRuleError> {
    use ObjectiveState::*;
    match (from, to) {
        (Draft, InReview)
        | (InReview, Active)
        | (InReview, Draft)
        | (Draft | InReview | Active, Closed) => Ok(()),
        _ => Err(OkrRuleError::ObjectiveTransition { from, to }),
    }
}

/// Checks that `child` (in `child_cycle`) may be aligned under `parent`,
/// given every objective's `(cycle, parent)`.
pub fn check_alignment(
    child: &str,
    child_cycle: &str,
    parent: &str,
    objectives: &HashMap<String, (String, Option<String>)>,
) -> Result<(), OkrRuleError> {
    match objectives.get(parent) {
        Some((cycle, _)) if cycle != child_cycle => {
            return Err(OkrRuleError::ParentInOtherCycle {
                parent: parent.to_string(),
            });
        }
        None => {
            return Err(OkrRuleError::UnknownParent {
                parent: parent.to_string(),
            });
        }
        _ => {}
    }
    // Walk up from the parent: meeting the child again is a loop.
    let mut path = vec![child.to_string(), parent.to_string()];
    let mut current = parent.to_string();
    while let Some((_, Some(up))) = objectives.get(&current) {
        if up == child {
            path.push(child.to_string());
            return Err(OkrRuleError::AlignmentLoop {
                child: child.to_string(),
                parent: parent.to_string(),
                path: path.join(" → "),
            });
        }
        if path.contains(up) {
            break;
        }
        path.push(up.clone());
        current = up.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn cycles_move_forward_one_step() {
        assert!(check_cycle_dates(d("2025-01-01"), d("2025-03-31")).is_ok());
        assert!(check_cycle_dates(d("2025-04-01"), d("2025-03-31")).is_err());
        assert!(check_cycle_transition(CycleState::Planning, CycleState::Active).is_ok());
        assert!(check_cycle_transition(CycleState::Active, CycleState::Closed).is_ok());
        let e = check_cycle_transition(CycleState::Closed, CycleState::Active).unwrap_err();
        assert_eq!(e.to_string(), "a cycle cannot go from closed to active");
        assert!(check_cycle_transition(CycleState::Planning, CycleState::Closed).is_err());
    }

    #[test]
    fn objectives_go_through_review() {
        use ObjectiveState::*;
        assert!(check_objective_transition(Draft, InReview).is_ok());
        assert!(check_objective_transition(InReview, Active).is_ok());
        assert!(check_objective_transition(InReview, Draft).is_ok());
        assert!(check_objective_transition(Active, Closed).is_ok());
        assert!(check_objective_transition(Draft, Active).is_err());
        assert!(check_objective_transition(Closed, Draft).is_err());
    }

    #[test]
    fn alignment_stays_in_the_cycle_and_never_loops() {
        let objs: HashMap<String, (String, Option<String>)> = [
            ("company".to_string(), ("q1".to_string(), None)),
            (
                "team".to_string(),
                ("q1".to_string(), Some("company".to_string())),
            ),
            (
                "person".to_string(),
                ("q1".to_string(), Some("team".to_string())),
            ),
            ("other".to_string(), ("q2".to_string(), None)),
        ]
        .into();
        assert!(check_alignment("new", "q1", "person", &objs).is_ok());
        assert_eq!(
            check_alignment("new", "q1", "other", &objs),
            Err(OkrRuleError::ParentInOtherCycle {
                parent: "other".into()
            })
        );
        let e = check_alignment("company", "q1", "person", &objs).unwrap_err();
        assert_eq!(
            e.to_string(),
            "aligning company under person would make a loop: company → person → team → company"
        );
        assert_eq!(
            check_alignment("x", "q1", "missing", &objs),
            Err(OkrRuleError::UnknownParent {
                parent: "missing".into()
            })
        );
    }
}
