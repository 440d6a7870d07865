//! Insights: what the KPIs say together, computed from their series.
//!
//! - [`Cadence`]: whether a KPI is watched day by day (real-time) or read
//!   as a quarterly trend (long-term); anomalies are looked for only in
//!   real-time KPIs, never in the daily noise of a long-term one.
//! - [`anomaly`]: a period far outside what the same kind of period usually
//!   gives (robust, weekday-aware).
//! - [`dissonance`]: one journey stage improving while the next one sinks.
//! - [`customers`]: accounts whose health fell sharply, onboardings stuck
//!   in a phase.
//! - [`PAIRS`]: the adjacent stages okapi compares unless told otherwise,
//!   with the teams each pair concerns.

pub mod anomaly;
pub mod customers;
pub mod dissonance;

use serde::Serialize;

use crate::catalog::Unit;
use crate::period::Grain;
use anomaly::SeriesKind;

/// How often a KPI is worth reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Cadence {
    /// Moves day by day and is acted on at once: watched daily and weekly.
    RealTime,
    /// Moves slowly: read as a quarterly trend, never alerted on daily
    /// noise.
    LongTerm,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::RealTime => "real-time",
            Cadence::LongTerm => "long-term",
        }
    }
}

/// The long-term KPIs read as quarterly trends: a month of them is mostly
/// noise (a few renewals, a few large deals), so their page opens at the
/// quarter.
pub const QUARTERLY_TRENDS: &[&str] = &[
    "ltv",
    "ltv_cac",
    "cac",
    "cac_payback",
    "net_revenue_retention",
    "gross_revenue_retention",
];

/// The built-in KPIs watched in real time: what customers, leads and users
/// do this week. Every other built-in KPI is long-term.
pub const REAL_TIME: &[&str] = &[
    "new_mrr",
    "churned_mrr",
    "new_customers",
    "churned_customers",
    "customer_churn_rate",
    "visitors",
    "signups",
    "visitor_to_signup_rate",
    "leads",
    "mqls",
    "pqls",
    "signup_to_pql_rate",
    "dau_mau",
    "active_users",
    "inactive_accounts",
    "app_installs",
];

/// The cadence of the built-in KPI `id` (a custom KPI is long-term unless
/// its definition says otherwise).
pub fn cadence(id: &str) -> Cadence {
    if REAL_TIME.contains(&id) {
        Cadence::RealTime
    } else {
        Cadence::LongTerm
    }
}

/// The grains anomalies are looked for at, for a KPI of `unit`: counts by
/// day and by week; amounts, rates and ratios by week only (a day's new MRR
/// is one sale or none, a day's rate rests on a handful of events: their
/// daily values are lumpy, not unusual).
pub fn anomaly_grains(unit: Unit) -> &'static [Grain] {
    match unit {
        Unit::Count => &[Grain::Day, Grain::Week],
        _ => &[Grain::Week],
    }
}

/// Whether a series of `unit` counts things (Poisson noise) or measures
/// them.
pub fn series_kind(unit: Unit) -> SeriesKind {
    match unit {
        Unit::Count => SeriesKind::Count,
        _ => SeriesKind::Measure,
    }
}

/// Two adjacent stages of the customer journey compared for dissonances.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Pair {
    /// The earlier stage's KPI.
    pub first: String,
    /// The KPI of the stage right after it.
    pub next: String,
    /// The teams that should talk when they pull apart.
    pub teams: Vec<String>,
}

/// The pairs compared by default: (first, next, teams).
pub const PAIRS: &[(&str, &str, &[&str])] = &[
    (
        "visitor_to_signup_rate",
        "signup_to_pql_rate",
        &["marketing", "product"],
    ),
    ("time_to_pql", "pql_to_customer_rate", &["product", "sales"]),
    ("mqls", "lead_conversion_rate", &["marketing", "sales"]),
];

/// [`PAIRS`] as values.
pub fn default_pairs() -> Vec<Pair> {
    PAIRS
        .iter()
        .map(|(first, next, teams)| Pair {
            first: first.to_string(),
            next: next.to_string(),
            teams: teams.iter().map(|t| t.to_string()).collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{CATALOG, find};

    #[test]
    fn every_named_kpi_is_in_the_catalog() {
        for id in REAL_TIME {
            assert!(find(id).is_some(), "{id}");
        }
        for id in QUARTERLY_TRENDS {
            assert!(find(id).is_some(), "{id}");
            assert_eq!(cadence(id), Cadence::LongTerm, "{id}");
        }
        for (a, b, _) in PAIRS {
            assert!(find(a).is_some() && find(b).is_some(), "{a} {b}");
        }
        // The long-term examples of docs/insights.md are long-term.
        for id in [
            "ltv",
            "cac",
            "cac_payback",
            "net_revenue_retention",
            "gross_revenue_retention",
        ] {
            assert_eq!(cadence(id), Cadence::LongTerm, "{id}");
        }
        assert!(CATALOG.iter().any(|k| cadence(k.id) == Cadence::LongTerm));
    }
}
