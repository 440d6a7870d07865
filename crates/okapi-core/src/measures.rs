//! Per-period base measures: the counts and sums the engine extracts from
//! the data, from which [`crate::formulas`] derives every KPI.
//!
//! Each group is an [`Input`]: `Err(reason)` when the table it comes from is
//! missing (or cannot be restricted to a segment), so every KPI built on it
//! is absent with that reason, never 0.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::mrr::MrrBridge;

/// A group of measures, or why it is not available.
pub type Input<T> = Result<T, String>;

/// Measures from `leads`, each counted in the period of its own timestamp.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LeadMeasures {
    /// `created_at` in P.
    pub leads: u64,
    /// `signup_at` in P.
    pub signups: u64,
    /// `mql_at` in P.
    pub mqls: u64,
    /// `pql_at` in P.
    pub pqls: u64,
    /// `customer_at` in P.
    pub converted: u64,
    /// `customer_at` in P with a `pql_at` on or before it: customers who
    /// came through the product.
    pub pql_converted: u64,
    /// Sum of `pql_at − signup_at` (µs) over leads with `pql_at` in P and a signup.
    pub pql_time_us: i128,
    pub pql_time_n: u64,
    /// Sum of `customer_at − signup_at` (µs) over leads with `customer_at` in P and a signup.
    pub trial_time_us: i128,
    pub trial_time_n: u64,
}

/// Measures from `deals`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DealMeasures {
    /// Won deals of kind `new` with `closed_at` in P (renewals and
    /// expansions have their own size and timing).
    pub won: u64,
    /// Sum of their amounts; `None` when the sum is out of range.
    pub won_amount: Option<Decimal>,
    /// Sum of `closed_at − created_at` (µs) over the same deals.
    pub won_cycle_us: i128,
    /// Renewal deals closed in P, won and lost.
    pub renewals_won: u64,
    pub renewals_lost: u64,
}

impl Default for DealMeasures {
    /// No deals: nothing won, a sum of 0.
    fn default() -> DealMeasures {
        DealMeasures {
            won: 0,
            won_amount: Some(Decimal::ZERO),
            won_cycle_us: 0,
            renewals_won: 0,
            renewals_lost: 0,
        }
    }
}

/// Measures from `surveys`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SurveyMeasures {
    pub nps_responses: u64,
    pub nps_promoters: u64,
    pub nps_detractors: u64,
    pub csat_responses: u64,
    pub csat_satisfied: u64,
}

/// The mean of a period's daily DAU/MAU30 percentages, or why there is none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub enum DauMau {
    Mean(f64),
    /// Every day of the period has a 30-day window that starts before the
    /// first day of the events data.
    BeforeHistory,
    /// Every day left has nobody active in its 30 days.
    #[default]
    NoUsers,
}

/// Measures from `events`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct EventMeasures {
    /// Mean of the daily DAU/MAU30 percentages over the days whose 30-day
    /// window lies within the events data.
    pub dau_mau: DauMau,
    pub active_users: u64,
    /// Customers on `e` with no activity in the window ending on `e`.
    pub inactive_accounts: u64,
    /// Users whose first event is in P and whose 14 days from it end by the
    /// latest event of the data.
    pub first_time_users: u64,
    /// Of those, users with `onboarding_completed` within the 14 days.
    pub onboarded_users: u64,
    /// Active users with a `referral_sent` event in P.
    pub referring_users: u64,
    /// `app_installed` events in P.
    pub app_installs: u64,
    /// Distinct users, paying or not, with an event in the 30 days ending
    /// on `e` (`mau30(e)`).
    pub users_30d: u64,
    /// Users whose first event ever falls in P (the cohort of P).
    pub cohort_users: u64,
    /// Of those, users active in the next period; `None` when the next
    /// period is beyond the data.
    pub cohort_retained_next: Option<u64>,
}

/// Time-to-value measures from `milestones`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TtvMeasures {
    /// Sum over accounts whose first value falls in P of days to value (µs).
    pub total_us: i128,
    pub accounts: u64,
}

/// Everything the formulas need for one period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodMeasures {
    pub revenue: Input<MrrBridge>,
    /// Distinct visitors in P.
    pub visitors: Input<u64>,
    pub leads: Input<LeadMeasures>,
    pub deals: Input<DealMeasures>,
    /// Sales and marketing spend of the months in P.
    pub spend: Input<Decimal>,
    /// Spend of the previous period of the same grain.
    pub spend_previous: Input<Decimal>,
    pub surveys: Input<SurveyMeasures>,
    pub events: Input<EventMeasures>,
    pub ttv: Input<TtvMeasures>,
    /// Mean health score (0–100) of the customers on the last day, `None`
    /// without customers.
    pub health: Input<Option<f64>>,
}

fn m<T>(table: &str) -> Input<T> {
    Err(format!("no {table} table"))
}

impl PeriodMeasures {
    /// Measures with every group missing for `reason` (a starting point).
    pub fn missing() -> PeriodMeasures {
        PeriodMeasures {
            revenue: m("subscriptions"),
            visitors: m("visits"),
            leads: m("leads"),
            deals: m("deals"),
            spend: m("spend"),
            spend_previous: m("spend"),
            surveys: m("surveys"),
            events: m("events"),
            ttv: m("milestones"),
            health: m("events"),
        }
    }
}
