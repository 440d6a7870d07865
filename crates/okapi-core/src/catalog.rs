//! The built-in KPI catalog: every KPI of the specification with its id,
//! name, journey stage, unit, direction of good, profile, timing, the
//! tables it reads and its formula in words.
//!
//! The formulas themselves live in [`crate::formulas`], next to their
//! tests; this module is the reference card users see in `okapi kpi --list`.

use serde::Serialize;

use crate::data_model::Table;

/// Where in the customer journey a KPI sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Awareness,
    Consideration,
    Decision,
    Retention,
    Revenue,
    Efficiency,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Awareness => "awareness",
            Stage::Consideration => "consideration",
            Stage::Decision => "decision",
            Stage::Retention => "retention",
            Stage::Revenue => "revenue",
            Stage::Efficiency => "efficiency",
        }
    }
}

/// The unit a KPI value is expressed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    Count,
    Percent,
    Money,
    Days,
    Months,
    Ratio,
    Score,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "count",
            Unit::Percent => "percent",
            Unit::Money => "money",
            Unit::Days => "days",
            Unit::Months => "months",
            Unit::Ratio => "ratio",
            Unit::Score => "score",
        }
    }

    pub fn parse(s: &str) -> Option<Unit> {
        Some(match s {
            "count" => Unit::Count,
            "percent" => Unit::Percent,
            "money" => Unit::Money,
            "days" => Unit::Days,
            "months" => Unit::Months,
            "ratio" => Unit::Ratio,
            "score" => Unit::Score,
            _ => return None,
        })
    }
}

/// Which way is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Direction {
    Higher,
    Lower,
}

impl Direction {
    pub fn arrow(self) -> &'static str {
        match self {
            Direction::Higher => "↑",
            Direction::Lower => "↓",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
        }
    }
}

/// Which business model a KPI is meant for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    B2b,
    B2c,
    Both,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::B2b => "B2B",
            Audience::B2c => "B2C",
            Audience::Both => "both",
        }
    }
}

/// Whether a KPI predicts (leading) or records (lagging) results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Timing {
    Leading,
    Lagging,
}

impl Timing {
    pub fn as_str(self) -> &'static str {
        match self {
            Timing::Leading => "leading",
            Timing::Lagging => "lagging",
        }
    }
}

/// One KPI of the catalog.
#[derive(Debug, Clone, Serialize)]
pub struct KpiDef {
    pub id: &'static str,
    pub name: &'static str,
    pub stage: Stage,
    pub unit: Unit,
    pub direction: Direction,
    pub audience: Audience,
    pub timing: Timing,
    /// Tables the KPI reads; it is absent when one of them is missing.
    pub tables: &'static [Table],
    pub formula: &'static str,
}

use Audience::*;
use Direction::*;
use Stage::*;
use Table as T;
use Timing::*;
use Unit::*;

macro_rules! kpi {
    ($id:literal, $name:literal, $stage:expr, $unit:expr, $dir:expr, $aud:expr, $timing:expr, [$($t:expr),*], $formula:literal) => {
        KpiDef {
            id: $id,
            name: $name,
            stage: $stage,
            unit: $unit,
            direction: $dir,
            audience: $aud,
            timing: $timing,
            tables: &[$($t),*],
            formula: $formula,
        }
    };
}

/// The built-in catalog, in the order reports show it.
pub const CATALOG: &[KpiDef] = &[
    // Revenue
    kpi!(
        "mrr",
        "Monthly recurring revenue",
        Revenue,
        Money,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "Sum of the mrr of subscription rows active on the last day of the period."
    ),
    kpi!(
        "arr",
        "Annual recurring revenue",
        Revenue,
        Money,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "12 × mrr."
    ),
    kpi!(
        "new_mrr",
        "New MRR",
        Revenue,
        Money,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "MRR at the period's last day of accounts with no MRR the day before the period and never any before it."
    ),
    kpi!(
        "expansion_mrr",
        "Expansion MRR",
        Revenue,
        Money,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "Increase of MRR of accounts paying both the day before and the last day of the period."
    ),
    kpi!(
        "contraction_mrr",
        "Contraction MRR",
        Revenue,
        Money,
        Lower,
        Both,
        Lagging,
        [T::Subscriptions],
        "Decrease of MRR of accounts paying both the day before and the last day of the period."
    ),
    kpi!(
        "churned_mrr",
        "Churned MRR",
        Revenue,
        Money,
        Lower,
        Both,
        Lagging,
        [T::Subscriptions],
        "MRR the day before the period of accounts paying nothing on its last day."
    ),
    kpi!(
        "reactivation_mrr",
        "Reactivation MRR",
        Revenue,
        Money,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "MRR at the period's last day of accounts with no MRR the day before the period that had MRR on some earlier day."
    ),
    kpi!(
        "net_new_mrr",
        "Net new MRR",
        Revenue,
        Money,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "new + reactivation + expansion − contraction − churn = mrr(end) − mrr(start)."
    ),
    kpi!(
        "customers",
        "Customers",
        Revenue,
        Count,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "Accounts with MRR > 0 on the last day of the period."
    ),
    kpi!(
        "new_customers",
        "New customers",
        Revenue,
        Count,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "Accounts counted as new in the period."
    ),
    kpi!(
        "churned_customers",
        "Churned customers",
        Retention,
        Count,
        Lower,
        Both,
        Lagging,
        [T::Subscriptions],
        "Accounts counted as churn in the period."
    ),
    kpi!(
        "customer_churn_rate",
        "Customer churn rate",
        Retention,
        Percent,
        Lower,
        Both,
        Lagging,
        [T::Subscriptions],
        "churned_customers / accounts paying the day before the period × 100."
    ),
    kpi!(
        "revenue_churn_rate",
        "Revenue churn rate",
        Retention,
        Percent,
        Lower,
        Both,
        Lagging,
        [T::Subscriptions],
        "(churned + contraction MRR) / MRR the day before the period × 100 (= 100 − gross revenue retention)."
    ),
    kpi!(
        "mrr_expansion_rate",
        "MRR expansion rate",
        Retention,
        Percent,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "expansion MRR / MRR the day before the period × 100."
    ),
    kpi!(
        "net_revenue_retention",
        "Net revenue retention",
        Retention,
        Percent,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "(start MRR + expansion − contraction − churn) / start MRR × 100; above 100 is net negative churn."
    ),
    kpi!(
        "gross_revenue_retention",
        "Gross revenue retention",
        Retention,
        Percent,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "(start MRR − contraction − churn) / start MRR × 100."
    ),
    kpi!(
        "quick_ratio",
        "SaaS quick ratio",
        Revenue,
        Ratio,
        Higher,
        Both,
        Leading,
        [T::Subscriptions],
        "(new + reactivation + expansion) / (contraction + churn)."
    ),
    kpi!(
        "arpa",
        "Average revenue per account",
        Revenue,
        Money,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "mrr / customers."
    ),
    kpi!(
        "ltv",
        "Customer lifetime value",
        Revenue,
        Money,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "arpa × gross margin / monthly customer churn rate."
    ),
    kpi!(
        "ltv_cac",
        "LTV to CAC",
        Efficiency,
        Ratio,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions, T::Spend],
        "ltv / cac."
    ),
    // Awareness
    kpi!(
        "visitors",
        "Visitors",
        Awareness,
        Count,
        Higher,
        Both,
        Leading,
        [T::Visits],
        "Distinct visitor_id with a visit in the period."
    ),
    kpi!(
        "signups",
        "Signups",
        Awareness,
        Count,
        Higher,
        Both,
        Leading,
        [T::Leads],
        "Leads with signup_at in the period."
    ),
    kpi!(
        "visitor_to_signup_rate",
        "Visitor to signup rate",
        Awareness,
        Percent,
        Higher,
        Both,
        Leading,
        [T::Visits, T::Leads],
        "signups / visitors × 100."
    ),
    // Consideration
    kpi!(
        "leads",
        "Leads",
        Consideration,
        Count,
        Higher,
        Both,
        Leading,
        [T::Leads],
        "Leads with created_at in the period."
    ),
    kpi!(
        "mqls",
        "Marketing-qualified leads",
        Consideration,
        Count,
        Higher,
        B2b,
        Leading,
        [T::Leads],
        "Leads with mql_at in the period."
    ),
    kpi!(
        "pqls",
        "Product-qualified leads",
        Consideration,
        Count,
        Higher,
        Both,
        Leading,
        [T::Leads],
        "Leads with pql_at in the period."
    ),
    kpi!(
        "signup_to_pql_rate",
        "Signup to PQL rate",
        Consideration,
        Percent,
        Higher,
        Both,
        Leading,
        [T::Leads],
        "pqls / signups × 100."
    ),
    kpi!(
        "time_to_pql",
        "Time to PQL",
        Consideration,
        Days,
        Lower,
        Both,
        Leading,
        [T::Leads],
        "Mean days from signup_at to pql_at over leads with pql_at in the period (leads without signup left out)."
    ),
    // Decision and sales efficiency
    kpi!(
        "pql_to_customer_rate",
        "PQL to customer rate",
        Decision,
        Percent,
        Higher,
        Both,
        Leading,
        [T::Leads],
        "Leads with customer_at in the period and a pql_at on or before it / pqls × 100 (sales-led customers are not PQL conversions)."
    ),
    kpi!(
        "average_deal_size",
        "Average deal size",
        Decision,
        Money,
        Higher,
        B2b,
        Lagging,
        [T::Deals],
        "Mean amount of deals of kind new won (closed_at in the period); renewals and expansions left out."
    ),
    kpi!(
        "sales_cycle_length",
        "Sales cycle length",
        Decision,
        Days,
        Lower,
        B2b,
        Leading,
        [T::Deals],
        "Mean days from created_at to closed_at of the deals of kind new won in the period."
    ),
    kpi!(
        "lead_conversion_rate",
        "Lead conversion rate",
        Decision,
        Percent,
        Higher,
        Both,
        Leading,
        [T::Leads],
        "Leads with customer_at in the period / leads with created_at in the period × 100."
    ),
    kpi!(
        "cac",
        "Customer acquisition cost",
        Efficiency,
        Money,
        Lower,
        Both,
        Lagging,
        [T::Spend, T::Subscriptions],
        "Sales and marketing spend of the period / new_customers."
    ),
    kpi!(
        "cac_payback",
        "CAC payback",
        Efficiency,
        Months,
        Lower,
        Both,
        Lagging,
        [T::Spend, T::Subscriptions],
        "cac / ((new MRR / new_customers) × gross margin)."
    ),
    kpi!(
        "revenue_per_lead",
        "Revenue per lead",
        Efficiency,
        Money,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions, T::Leads],
        "12 × new MRR / leads."
    ),
    kpi!(
        "sales_efficiency",
        "Sales efficiency (magic number)",
        Efficiency,
        Ratio,
        Higher,
        B2b,
        Lagging,
        [T::Subscriptions, T::Spend],
        "net_new_mrr × 12 / sales and marketing spend of the previous period of the same grain, with no other factor at any grain."
    ),
    // Retention and engagement
    kpi!(
        "dau_mau",
        "DAU / MAU",
        Retention,
        Percent,
        Higher,
        Both,
        Leading,
        [T::Events],
        "Mean over the days of the period of distinct users that day / distinct users in the 30 days ending that day × 100; days whose 30 days start before the events data are left out."
    ),
    kpi!(
        "active_users",
        "Active users",
        Retention,
        Count,
        Higher,
        Both,
        Leading,
        [T::Events],
        "Distinct user_id with an event in the period."
    ),
    kpi!(
        "inactive_accounts",
        "Inactive paying accounts",
        Retention,
        Count,
        Lower,
        B2b,
        Leading,
        [T::Subscriptions, T::Events],
        "Customers on the last day with no activity event in the inactivity window ending that day."
    ),
    kpi!(
        "user_retention",
        "User retention (next period)",
        Retention,
        Percent,
        Higher,
        Both,
        Leading,
        [T::Events],
        "% of the users whose first event is in the period active again in the next period: cell (cohort, 1) of the cohort table (okapi retention shows every cell)."
    ),
    kpi!(
        "health_score",
        "Account health score",
        Retention,
        Score,
        Higher,
        Both,
        Leading,
        [T::Subscriptions, T::Events],
        "Mean over customers on the last day of a 0–100 blend of usage trend, share of active users, recency, latest NPS and open tickets (weights in okapi.toml)."
    ),
    kpi!(
        "nps",
        "Net promoter score",
        Retention,
        Score,
        Higher,
        Both,
        Lagging,
        [T::Surveys],
        "% of NPS responses scoring 9–10 − % scoring 0–6."
    ),
    kpi!(
        "csat",
        "Customer satisfaction",
        Retention,
        Percent,
        Higher,
        Both,
        Lagging,
        [T::Surveys],
        "% of CSAT responses scoring 4 or 5."
    ),
    kpi!(
        "time_to_value",
        "Time to value",
        Retention,
        Days,
        Lower,
        B2b,
        Leading,
        [T::Milestones],
        "Mean days from the start milestone (contract_signed, else created_at) to first value, over accounts reaching first value in the period."
    ),
    // B2C and engagement
    kpi!(
        "trial_to_paid_time",
        "Trial to paid time",
        Decision,
        Days,
        Lower,
        B2c,
        Leading,
        [T::Leads],
        "Mean days from signup_at to customer_at over leads with customer_at in the period."
    ),
    kpi!(
        "onboarding_completion_rate",
        "Onboarding completion rate",
        Retention,
        Percent,
        Higher,
        B2c,
        Leading,
        [T::Events],
        "% of users whose first event is in the period with an onboarding_completed event within 14 days of it; users whose 14 days end after the last event of the data are left out."
    ),
    kpi!(
        "referral_rate",
        "Referral rate",
        Awareness,
        Percent,
        Higher,
        B2c,
        Leading,
        [T::Events],
        "% of active users with a referral_sent event in the period."
    ),
    kpi!(
        "app_installs",
        "App installs",
        Awareness,
        Count,
        Higher,
        B2c,
        Leading,
        [T::Events],
        "Events named app_installed in the period."
    ),
    kpi!(
        "upgraded_accounts",
        "Upgraded accounts",
        Revenue,
        Count,
        Higher,
        Both,
        Lagging,
        [T::Subscriptions],
        "Accounts in the expansion class in the period."
    ),
    kpi!(
        "renewal_rate",
        "Renewal rate",
        Retention,
        Percent,
        Higher,
        B2b,
        Lagging,
        [T::Deals],
        "won / (won + lost) × 100 over renewal deals closed in the period."
    ),
    kpi!(
        "arpu",
        "Average revenue per user",
        Revenue,
        Money,
        Higher,
        B2c,
        Lagging,
        [T::Subscriptions, T::Events],
        "mrr / distinct users, paying or not, with an event in the 30 days ending on the period's last day."
    ),
];

/// The catalog entry of `id`.
pub fn find(id: &str) -> Option<&'static KpiDef> {
    CATALOG.iter().find(|k| k.id == id)
}

/// The seven executive KPIs every executive review leads with.
pub const EXECUTIVE: &[&str] = &[
    "customer_churn_rate",
    "average_deal_size",
    "mqls",
    "pqls",
    "net_revenue_retention",
    "revenue_per_lead",
    "nps",
    "csat",
    "sales_efficiency",
    "cac_payback",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_required_id_is_in_the_catalog_once() {
        let required = [
            "mrr",
            "arr",
            "new_mrr",
            "expansion_mrr",
            "contraction_mrr",
            "churned_mrr",
            "reactivation_mrr",
            "net_new_mrr",
            "customers",
            "new_customers",
            "churned_customers",
            "customer_churn_rate",
            "revenue_churn_rate",
            "mrr_expansion_rate",
            "net_revenue_retention",
            "gross_revenue_retention",
            "quick_ratio",
            "arpa",
            "ltv",
            "ltv_cac",
            "visitors",
            "signups",
            "visitor_to_signup_rate",
            "leads",
            "mqls",
            "pqls",
            "signup_to_pql_rate",
            "time_to_pql",
            "pql_to_customer_rate",
            "average_deal_size",
            "sales_cycle_length",
            "lead_conversion_rate",
            "cac",
            "cac_payback",
            "revenue_per_lead",
            "sales_efficiency",
            "dau_mau",
            "active_users",
            "inactive_accounts",
            "nps",
            "csat",
            "time_to_value",
        ];
        for id in required {
            assert!(find(id).is_some(), "{id} missing from the catalog");
        }
        let ids: HashSet<_> = CATALOG.iter().map(|k| k.id).collect();
        assert_eq!(ids.len(), CATALOG.len(), "duplicate ids in the catalog");
        for id in EXECUTIVE {
            assert!(find(id).is_some(), "executive KPI {id} not in catalog");
        }
    }
}
