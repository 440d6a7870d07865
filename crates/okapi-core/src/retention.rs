//! User retention cohorts (kpis.md `user_retention`).
//!
//! Users are grouped by the period of their first event; cell (cohort, k)
//! is the share of the cohort active in the k-th period after it (k = 0 is
//! 100 % by definition).

use serde::Serialize;

/// One cohort row.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct CohortRow {
    /// Index of the cohort's period.
    pub period: usize,
    pub users: u64,
    /// `retained[k]` = % of the cohort active k periods later, for every
    /// k up to the last period.
    pub retained: Vec<f64>,
}

/// Builds the cohort table from each user's active period indices (sorted,
/// distinct), over `periods` periods.
pub fn cohort_table<'a>(
    users: impl IntoIterator<Item = &'a [u32]>,
    periods: usize,
) -> Vec<CohortRow> {
    // counts[c][k] = users of cohort c active in period c + k.
    let mut counts: Vec<Vec<u64>> = (0..periods).map(|c| vec![0; periods - c]).collect();
    for active in users {
        let Some(&first) = active.first() else {
            continue;
        };
        let c = first as usize;
        let Some(row) = counts.get_mut(c) else {
            continue;
        };
        for &p in active {
            if let Some(cell) = (p as usize).checked_sub(c).and_then(|k| row.get_mut(k)) {
                *cell += 1;
            }
        }
    }
    counts
        .into_iter()
        .enumerate()
        .filter_map(|(c, row)| {
            let size = row.first().copied().filter(|&n| n > 0)?;
            Some(CohortRow {
                period: c,
                users: size,
                retained: row
                    .iter()
                    .map(|&n| n as f64 * 100.0 / size as f64)
                    .collect(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohorts_by_first_period() {
        // Four users over three periods.
        let users: Vec<Vec<u32>> = vec![vec![0, 1, 2], vec![0, 2], vec![1], vec![1, 2]];
        let t = cohort_table(users.iter().map(|v| v.as_slice()), 3);
        assert_eq!(t.len(), 2);
        assert_eq!((t[0].period, t[0].users), (0, 2));
        // Cohort 0: period 1 one of two (50 %), period 2 both (100 %).
        assert_eq!(t[0].retained, vec![100.0, 50.0, 100.0]);
        // Cohort 1: two users, one back in period 2.
        assert_eq!(t[1].retained, vec![100.0, 50.0]);
    }
}
