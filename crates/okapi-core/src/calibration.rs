//! Realistic targets from a KPI's own history (okrs.md, "Feedback loops").
//!
//! Every window of `horizon` consecutive periods in the history (a cycle's
//! length, e.g. 3 months for a quarter) gives one achieved change, last
//! value minus first. The proposal takes the change at a stated percentile
//! in the good direction (by default the 75th: achieved in one comparable
//! window out of four, ambitious but seen before) and adds it to the
//! current value. Percentiles interpolate linearly between the sorted
//! changes.

use serde::Serialize;

use crate::catalog::Direction;

/// Default percentile of the proposal.
pub const DEFAULT_PERCENTILE: f64 = 75.0;

/// A proposed target and how it was found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetProposal {
    /// The latest value: the KR's baseline.
    pub baseline: f64,
    /// The change achieved at the percentile, in the good direction.
    pub change: f64,
    pub target: f64,
    pub percentile: f64,
    /// Windows the changes were drawn from.
    pub windows: usize,
}

/// The `p`-th percentile (0–100) of `values`, interpolated linearly.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() || !(0.0..=100.0).contains(&p) {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = p / 100.0 * (v.len() - 1) as f64;
    let (lo, hi) = (rank.floor() as usize, rank.ceil() as usize);
    let (a, b) = (*v.get(lo)?, *v.get(hi)?);
    Some(a + (b - a) * (rank - lo as f64))
}

/// Proposes a target `horizon` periods ahead from `history` (consecutive
/// periods, oldest first). `None` without a full window.
pub fn propose_target(
    history: &[f64],
    horizon: usize,
    direction: Direction,
    pct: f64,
) -> Option<TargetProposal> {
    if horizon == 0 || history.len() <= horizon {
        return None;
    }
    let changes: Vec<f64> = history
        .iter()
        .zip(history.iter().skip(horizon))
        .map(|(then, now)| now - then)
        .collect();
    // Good direction: high changes when higher is better, low when lower is.
    let p = match direction {
        Direction::Higher => pct,
        Direction::Lower => 100.0 - pct,
    };
    let change = percentile(&changes, p)?;
    let baseline = *history.last()?;
    Some(TargetProposal {
        baseline,
        change,
        target: baseline + change,
        percentile: pct,
        windows: changes.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate() {
        assert_eq!(percentile(&[4.0, 1.0, 3.0, 2.0], 50.0), Some(2.5));
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0, 5.0], 75.0), Some(4.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn proposals_follow_the_good_direction() {
        // Monthly NPS; quarterly windows (3 months): changes
        // 30−20=10, 28−22=6, 35−25=10, 33−30=3, 40−28=12.
        let nps = [20.0, 22.0, 25.0, 30.0, 28.0, 35.0, 33.0, 40.0];
        let p = propose_target(&nps, 3, Direction::Higher, 75.0).unwrap();
        // Sorted 3, 6, 10, 10, 12: the 75th percentile is rank 3 → 10.
        assert_eq!(
            (p.baseline, p.change, p.target, p.windows),
            (40.0, 10.0, 50.0, 5)
        );
        // Time to value (lower is better): changes −5, −2, +1 → the good
        // side's 75th percentile is the 25th of the changes: −3.5.
        let ttv = [65.0, 62.0, 61.0, 60.0, 60.0, 62.0];
        let p = propose_target(&ttv, 3, Direction::Lower, 75.0).unwrap();
        assert_eq!((p.change, p.target), (-3.5, 58.5));
        assert!(propose_target(&ttv, 6, Direction::Lower, 75.0).is_none());
    }
}
