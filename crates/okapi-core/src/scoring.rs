//! OKR scoring: key-result scores, objective scores and grade bands
//! (okrs.md, "Key results").
//!
//! - A numeric KR scores `(current − baseline) / (target − baseline)`,
//!   clamped to [0, 1]; a target below the baseline is a decrease and the
//!   same formula handles it. A KR whose target equals its baseline has no
//!   direction and is refused.
//! - A milestone scores 0 or 1; a threshold scores 1 while every value
//!   checked in so far holds the line, 0 once one breaks it.
//! - An objective scores the weighted mean of its KRs.
//! - Grades: below 0.4 red, below 0.7 yellow, else green. The method names
//!   the bands 0.0–0.3, 0.4–0.6 and 0.7–1.0 in tenths; a score between two
//!   bands (0.35, 0.65) belongs to the lower one: a grade is earned, never
//!   rounded up.

use serde::{Deserialize, Serialize};

/// How a KR is measured.
#[derive(Debug, Clone, PartialEq)]
pub enum KrMeasure {
    /// A number moving from `baseline` to `target` (either direction).
    Numeric { baseline: f64, target: f64 },
    /// Done or not.
    Milestone,
    /// Keep the value at or above (`above`) or at or below `line`.
    Threshold { line: f64, above: bool },
}

/// Why a KR cannot be scored.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScoreError {
    #[error("target equals baseline ({0}): a key result must move a number")]
    NoDirection(f64),
    #[error("values must be finite numbers")]
    NotFinite,
    #[error("weights must be non-negative with a positive sum")]
    BadWeights,
}

impl KrMeasure {
    /// Checks the measure can be scored.
    pub fn validate(&self) -> Result<(), ScoreError> {
        match self {
            KrMeasure::Numeric { baseline, target } => {
                if !baseline.is_finite() || !target.is_finite() {
                    Err(ScoreError::NotFinite)
                } else if baseline == target {
                    Err(ScoreError::NoDirection(*baseline))
                } else {
                    Ok(())
                }
            }
            KrMeasure::Milestone => Ok(()),
            KrMeasure::Threshold { line, .. } => {
                if line.is_finite() {
                    Ok(())
                } else {
                    Err(ScoreError::NotFinite)
                }
            }
        }
    }

    /// The score of a numeric KR at `current`, or of a milestone (`current`
    /// non-zero = done), or of a threshold whose values so far are
    /// `history` (its latest value is `current`). No value yet scores 0.
    pub fn score(&self, current: Option<f64>, history: &[f64]) -> Result<f64, ScoreError> {
        self.validate()?;
        let Some(current) = current else {
            return Ok(0.0);
        };
        if !current.is_finite() {
            return Err(ScoreError::NotFinite);
        }
        Ok(match self {
            KrMeasure::Numeric { baseline, target } => {
                ((current - baseline) / (target - baseline)).clamp(0.0, 1.0)
            }
            KrMeasure::Milestone => {
                if current != 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            KrMeasure::Threshold { line, above } => {
                let holds = |v: f64| if *above { v >= *line } else { v <= *line };
                if history.iter().copied().chain([current]).all(holds) {
                    1.0
                } else {
                    0.0
                }
            }
        })
    }
}

impl KrMeasure {
    /// The score after each of `values` (oldest first): element `i` is
    /// [`KrMeasure::score`] of `values[i]` with `values[..i]` as history,
    /// `None` where that is an error (a value that is not finite). One pass:
    /// a long check-in history costs no more than its length.
    pub fn running_scores(&self, values: &[f64]) -> Result<Vec<Option<f64>>, ScoreError> {
        self.validate()?;
        let mut held = true;
        let mut out = Vec::with_capacity(values.len());
        for &v in values {
            out.push(match self {
                KrMeasure::Threshold { line, above } => {
                    held &= if *above { v >= *line } else { v <= *line };
                    v.is_finite().then_some(if held { 1.0 } else { 0.0 })
                }
                _ => self.score(Some(v), &[]).ok(),
            });
        }
        Ok(out)
    }
}

/// The weighted mean of `(score, weight)` pairs; `None` without KRs.
pub fn objective_score(krs: &[(f64, f64)]) -> Result<Option<f64>, ScoreError> {
    if krs.is_empty() {
        return Ok(None);
    }
    if krs
        .iter()
        .any(|(s, w)| !s.is_finite() || !w.is_finite() || *w < 0.0)
    {
        return Err(ScoreError::BadWeights);
    }
    let total: f64 = krs.iter().map(|(_, w)| w).sum();
    if total <= 0.0 {
        return Err(ScoreError::BadWeights);
    }
    Ok(Some(krs.iter().map(|(s, w)| s * w).sum::<f64>() / total))
}

/// Red, yellow or green.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Grade {
    Red,
    Yellow,
    Green,
}

crate::impl_words!(Grade, "grade", { Red => "red", Yellow => "yellow", Green => "green" });

/// The grade band of a score.
pub fn grade_band(score: f64) -> Grade {
    if score < 0.4 {
        Grade::Red
    } else if score < 0.7 {
        Grade::Yellow
    } else {
        Grade::Green
    }
}

/// Whether an objective is flagged at close: committed and below 1.0.
pub fn flagged_at_close(committed: bool, score: f64) -> bool {
    committed && score < 1.0
}

#[cfg(test)]
mod tests {

    #[test]
    fn running_scores_are_each_prefix_scored_alone() {
        let values = [5.0, 12.0, f64::NAN, 9.0, 15.0, 20.0, 3.0];
        for m in [
            KrMeasure::Numeric {
                baseline: 10.0,
                target: 20.0,
            },
            KrMeasure::Numeric {
                baseline: 20.0,
                target: 10.0,
            },
            KrMeasure::Milestone,
            KrMeasure::Threshold {
                line: 8.0,
                above: true,
            },
            KrMeasure::Threshold {
                line: 16.0,
                above: false,
            },
        ] {
            for n in 1..=values.len() {
                let running = m.running_scores(&values[..n]).unwrap();
                assert_eq!(running.len(), n);
                for (i, got) in running.iter().enumerate() {
                    let alone = m.score(Some(values[i]), &values[..i]).ok();
                    assert_eq!(*got, alone, "{m:?} after value {i}");
                }
            }
        }
        // By hand: a line at or above 8 holds for 12 only after 5 broke it.
        let t = KrMeasure::Threshold {
            line: 8.0,
            above: true,
        };
        assert_eq!(
            t.running_scores(&[9.0, 12.0, 7.0, 12.0]).unwrap(),
            vec![Some(1.0), Some(1.0), Some(0.0), Some(0.0)]
        );
    }

    use super::*;

    fn numeric(baseline: f64, target: f64) -> KrMeasure {
        KrMeasure::Numeric { baseline, target }
    }

    #[test]
    fn numeric_scores_clamp_in_both_directions() {
        // 600 calls of 1,200 from 0: 0.5.
        assert_eq!(numeric(0.0, 1200.0).score(Some(600.0), &[]).unwrap(), 0.5);
        // Time to value 65 → 55 days, now 60: half way.
        assert_eq!(numeric(65.0, 55.0).score(Some(60.0), &[]).unwrap(), 0.5);
        // Worse than the baseline: 0; beyond the target: 1.
        assert_eq!(numeric(65.0, 55.0).score(Some(70.0), &[]).unwrap(), 0.0);
        assert_eq!(numeric(65.0, 55.0).score(Some(50.0), &[]).unwrap(), 1.0);
        assert_eq!(numeric(10.0, 20.0).score(None, &[]).unwrap(), 0.0);
        assert_eq!(
            numeric(5.0, 5.0).score(Some(5.0), &[]),
            Err(ScoreError::NoDirection(5.0))
        );
    }

    #[test]
    fn milestones_and_thresholds() {
        assert_eq!(KrMeasure::Milestone.score(Some(1.0), &[]).unwrap(), 1.0);
        assert_eq!(KrMeasure::Milestone.score(Some(0.0), &[]).unwrap(), 0.0);
        let keep_nps_above_40 = KrMeasure::Threshold {
            line: 40.0,
            above: true,
        };
        assert_eq!(
            keep_nps_above_40.score(Some(42.0), &[45.0, 40.0]).unwrap(),
            1.0
        );
        // Once broken, broken for the cycle.
        assert_eq!(
            keep_nps_above_40.score(Some(50.0), &[45.0, 39.0]).unwrap(),
            0.0
        );
        let keep_churn_below_2 = KrMeasure::Threshold {
            line: 2.0,
            above: false,
        };
        assert_eq!(keep_churn_below_2.score(Some(1.5), &[]).unwrap(), 1.0);
    }

    #[test]
    fn objectives_and_grades() {
        // (1.0 × 1 + 0.5 × 1 + 0.0 × 2) / 4 = 0.375.
        let s = objective_score(&[(1.0, 1.0), (0.5, 1.0), (0.0, 2.0)])
            .unwrap()
            .unwrap();
        assert_eq!(s, 0.375);
        assert_eq!(objective_score(&[]).unwrap(), None);
        assert!(objective_score(&[(0.5, 0.0)]).is_err());
        assert_eq!(grade_band(0.3), Grade::Red);
        assert_eq!(grade_band(0.35), Grade::Red);
        assert_eq!(grade_band(0.4), Grade::Yellow);
        assert_eq!(grade_band(0.65), Grade::Yellow);
        assert_eq!(grade_band(0.7), Grade::Green);
        assert_eq!(grade_band(1.0), Grade::Green);
        assert!(flagged_at_close(true, 0.9));
        assert!(!flagged_at_close(false, 0.7));
        assert!(!flagged_at_close(true, 1.0));
    }
}
