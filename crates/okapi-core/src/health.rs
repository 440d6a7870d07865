//! Account health score, 0–100: a weighted blend of five signals, each
//! scaled to 0–1 on day `e`:
//!
//! | signal | 0–1 value |
//! | --- | --- |
//! | usage trend | active days in the 30 days ending `e` / active days in the 60 days ending `e` (0.5 = steady, 1 = all recent, 0 = gone quiet); 0 with no activity |
//! | active users | users of the account active in the 30 days ending `e` / its users seen by `e`; 0 without users |
//! | recency | 1 − days since the last activity / 30, at least 0; 0 when never active |
//! | NPS | latest NPS score of the account by `e` / 10; 0.5 (neutral) without a response |
//! | support | 1 / (1 + tickets open on `e`) |
//!
//! The score is `100 × Σ wᵢ·sᵢ / Σ wᵢ`; the weights are workspace settings
//! (`[health]` in `okapi.toml`), by default 0.25, 0.20, 0.25, 0.15, 0.15.

use serde::{Deserialize, Serialize};

/// Weights of the five signals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthWeights {
    pub usage_trend: f64,
    pub active_users: f64,
    pub recency: f64,
    pub nps: f64,
    pub support: f64,
}

impl Default for HealthWeights {
    fn default() -> Self {
        HealthWeights {
            usage_trend: 0.25,
            active_users: 0.20,
            recency: 0.25,
            nps: 0.15,
            support: 0.15,
        }
    }
}

impl HealthWeights {
    /// Checks the weights are non-negative with a positive sum.
    pub fn validate(&self) -> Result<(), String> {
        let all = [
            self.usage_trend,
            self.active_users,
            self.recency,
            self.nps,
            self.support,
        ];
        if all.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err("weights must be non-negative numbers".into());
        }
        if all.iter().sum::<f64>() <= 0.0 {
            return Err("at least one weight must be positive".into());
        }
        Ok(())
    }
}

/// The facts about one account on day `e`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, serde::Deserialize)]
pub struct HealthInputs {
    /// Active days in the 30 days ending `e`.
    pub active_days_recent: u32,
    /// Active days in the 30 days before those.
    pub active_days_previous: u32,
    pub users_active_30d: u64,
    pub users_total: u64,
    /// Days since the last activity, `None` when never active.
    pub days_since_activity: Option<i64>,
    /// Latest NPS score (0–10) by `e`.
    pub latest_nps: Option<i64>,
    /// Support tickets open on `e`.
    pub open_tickets: u64,
}

/// The five signals, each 0–1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, serde::Deserialize)]
pub struct HealthSignals {
    pub usage_trend: f64,
    pub active_users: f64,
    pub recency: f64,
    pub nps: f64,
    pub support: f64,
}

impl HealthInputs {
    pub fn signals(&self) -> HealthSignals {
        let total_days = self.active_days_recent + self.active_days_previous;
        HealthSignals {
            usage_trend: if total_days == 0 {
                0.0
            } else {
                self.active_days_recent as f64 / total_days as f64
            },
            active_users: if self.users_total == 0 {
                0.0
            } else {
                self.users_active_30d as f64 / self.users_total as f64
            },
            recency: self
                .days_since_activity
                .map_or(0.0, |d| (1.0 - d as f64 / 30.0).max(0.0)),
            nps: self.latest_nps.map_or(0.5, |s| s as f64 / 10.0),
            support: 1.0 / (1.0 + self.open_tickets as f64),
        }
    }

    /// The score, 0–100.
    pub fn score(&self, w: &HealthWeights) -> f64 {
        let s = self.signals();
        let total = w.usage_trend + w.active_users + w.recency + w.nps + w.support;
        100.0
            * (w.usage_trend * s.usage_trend
                + w.active_users * s.active_users
                + w.recency * s.recency
                + w.nps * s.nps
                + w.support * s.support)
            / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_healthy_and_a_quiet_account() {
        let w = HealthWeights::default();
        // Active 20 of the last 30 days and 10 of the 30 before (trend 2/3),
        // 3 of 4 users active, active today, promoter 9, no open ticket:
        // 100 × (0.25·2/3 + 0.2·0.75 + 0.25·1 + 0.15·0.9 + 0.15·1)
        //   = 100 × (0.1666… + 0.15 + 0.25 + 0.135 + 0.15) = 85.1666…
        let healthy = HealthInputs {
            active_days_recent: 20,
            active_days_previous: 10,
            users_active_30d: 3,
            users_total: 4,
            days_since_activity: Some(0),
            latest_nps: Some(9),
            open_tickets: 0,
        };
        assert!((healthy.score(&w) - (85.0 + 1.0 / 6.0)).abs() < 1e-9);
        // Gone quiet 45 days ago, no NPS (neutral), two open tickets:
        // 100 × (0 + 0 + 0 + 0.15·0.5 + 0.15/3) = 12.5.
        let quiet = HealthInputs {
            users_total: 2,
            days_since_activity: Some(45),
            open_tickets: 2,
            ..HealthInputs::default()
        };
        assert!((quiet.score(&w) - 12.5).abs() < 1e-9);
    }

    #[test]
    fn weights_are_checked() {
        assert!(HealthWeights::default().validate().is_ok());
        let zero = HealthWeights {
            usage_trend: 0.0,
            active_users: 0.0,
            recency: 0.0,
            nps: 0.0,
            support: 0.0,
        };
        assert!(zero.validate().is_err());
        let negative = HealthWeights {
            nps: -1.0,
            ..HealthWeights::default()
        };
        assert!(negative.validate().is_err());
    }
}
