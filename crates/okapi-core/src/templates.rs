//! The built-in library of example OKRs: the examples of the method (an
//! organic search channel at three program maturities, NPS, MRR through
//! upsell, a feature launch, the product vision, time to value from 65 to
//! 55 days) and B2B and B2C sets for marketing, sales, customer success and
//! product. Numbers are examples to edit; KPI-linked KRs take their
//! baseline from the data when instantiated.

use serde::Serialize;

use crate::review::{Funnel, Maturity};

/// A key result of a template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateKr {
    pub title: &'static str,
    /// The catalog KPI it links to, if any.
    pub kpi: Option<&'static str>,
    pub unit: &'static str,
    pub baseline: Option<f64>,
    pub target: Option<f64>,
    pub milestone: bool,
    /// `input`, `output` or `outcome`.
    pub kr_type: &'static str,
    pub funnel: Funnel,
    pub leading: bool,
    pub why: &'static str,
}

/// An objective template.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Template {
    pub id: &'static str,
    pub team: &'static str,
    /// `b2b`, `b2c` or `both`.
    pub audience: &'static str,
    pub maturity: Option<Maturity>,
    pub objective: &'static str,
    pub why: &'static str,
    pub krs: Vec<TemplateKr>,
}

#[allow(clippy::too_many_arguments)]
fn kr(
    title: &'static str,
    kpi: Option<&'static str>,
    unit: &'static str,
    baseline: Option<f64>,
    target: Option<f64>,
    kr_type: &'static str,
    funnel: Funnel,
    leading: bool,
    why: &'static str,
) -> TemplateKr {
    TemplateKr {
        title,
        kpi,
        unit,
        baseline,
        target,
        milestone: false,
        kr_type,
        funnel,
        leading,
        why,
    }
}

fn milestone(title: &'static str, why: &'static str) -> TemplateKr {
    TemplateKr {
        title,
        kpi: None,
        unit: "done",
        baseline: None,
        target: None,
        milestone: true,
        kr_type: "output",
        funnel: Funnel::Middle,
        leading: true,
        why,
    }
}

use Funnel::*;

/// Every built-in template.
pub fn library() -> Vec<Template> {
    vec![
        Template {
            id: "organic-search-starting",
            team: "marketing",
            audience: "both",
            maturity: Some(Maturity::Starting),
            objective: "Build a sustainable organic search channel",
            why: "Paid acquisition gets dearer every quarter; search compounds.",
            krs: vec![
                kr(
                    "Publish 24 in-depth articles on our customers' top questions",
                    None,
                    "articles",
                    Some(0.0),
                    Some(24.0),
                    "input",
                    Top,
                    true,
                    "Content is what search can find.",
                ),
                kr(
                    "Earn 40 backlinks from relevant sites",
                    None,
                    "backlinks",
                    Some(0.0),
                    Some(40.0),
                    "input",
                    Top,
                    true,
                    "Links make the content rank.",
                ),
                kr(
                    "Grow monthly organic visitors from 2,000 to 5,000",
                    Some("visitors"),
                    "count",
                    Some(2000.0),
                    Some(5000.0),
                    "output",
                    Top,
                    true,
                    "Visitors show the channel starts to work.",
                ),
            ],
        },
        Template {
            id: "organic-search-scaling",
            team: "marketing",
            audience: "both",
            maturity: Some(Maturity::Scaling),
            objective: "Build a sustainable organic search channel",
            why: "The channel works; now it must carry a real share of sign-ups.",
            krs: vec![
                kr(
                    "Grow monthly organic visitors from 5,000 to 15,000",
                    Some("visitors"),
                    "count",
                    Some(5000.0),
                    Some(15000.0),
                    "output",
                    Top,
                    true,
                    "More of the right readers.",
                ),
                kr(
                    "Raise visitor-to-signup from 2% to 3.5%",
                    Some("visitor_to_signup_rate"),
                    "percent",
                    Some(2.0),
                    Some(3.5),
                    "output",
                    Middle,
                    true,
                    "Readers must become users.",
                ),
                kr(
                    "Reach 600 sign-ups a month",
                    Some("signups"),
                    "count",
                    Some(250.0),
                    Some(600.0),
                    "output",
                    Middle,
                    true,
                    "Sign-ups are what sales and product work with.",
                ),
            ],
        },
        Template {
            id: "organic-search-optimizing",
            team: "marketing",
            audience: "both",
            maturity: Some(Maturity::Optimizing),
            objective: "Build a sustainable organic search channel",
            why: "A mature channel is judged by the customers it brings.",
            krs: vec![
                kr(
                    "Raise signup-to-PQL from 20% to 30%",
                    Some("signup_to_pql_rate"),
                    "percent",
                    Some(20.0),
                    Some(30.0),
                    "outcome",
                    Bottom,
                    false,
                    "Qualified users, not just more users.",
                ),
                kr(
                    "Raise revenue per lead from 90 to 120",
                    Some("revenue_per_lead"),
                    "money",
                    Some(90.0),
                    Some(120.0),
                    "outcome",
                    Bottom,
                    false,
                    "The channel pays for itself.",
                ),
                kr(
                    "Raise PQL-to-customer from 15% to 20%",
                    Some("pql_to_customer_rate"),
                    "percent",
                    Some(15.0),
                    Some(20.0),
                    "outcome",
                    Bottom,
                    false,
                    "The lowest step that marketing still influences.",
                ),
            ],
        },
        Template {
            id: "increase-nps",
            team: "customer-success",
            audience: "both",
            maturity: None,
            objective: "Increase NPS",
            why: "Promoters renew, expand and refer.",
            krs: vec![
                kr(
                    "Raise NPS from 25 to 40",
                    Some("nps"),
                    "score",
                    Some(25.0),
                    Some(40.0),
                    "outcome",
                    Bottom,
                    false,
                    "The promise customers would repeat.",
                ),
                kr(
                    "Raise CSAT on support tickets from 80% to 90%",
                    Some("csat"),
                    "percent",
                    Some(80.0),
                    Some(90.0),
                    "outcome",
                    Bottom,
                    true,
                    "Every ticket is a moment of truth.",
                ),
                kr(
                    "Call back 100% of detractors within 7 days",
                    None,
                    "percent",
                    Some(0.0),
                    Some(100.0),
                    "input",
                    Bottom,
                    true,
                    "A heard detractor often becomes a passive.",
                ),
            ],
        },
        Template {
            id: "mrr-through-upsell",
            team: "sales",
            audience: "b2b",
            maturity: None,
            objective: "Increase MRR through upsell",
            why: "Expansion from happy customers is the cheapest growth.",
            krs: vec![
                kr(
                    "Raise the MRR expansion rate from 1% to 2.5% a month",
                    Some("mrr_expansion_rate"),
                    "percent",
                    Some(1.0),
                    Some(2.5),
                    "outcome",
                    Bottom,
                    false,
                    "Expansion must outgrow churn.",
                ),
                kr(
                    "Upgrade 60 accounts to a higher plan",
                    Some("upgraded_accounts"),
                    "count",
                    Some(0.0),
                    Some(60.0),
                    "output",
                    Bottom,
                    false,
                    "Upgrades are the unit of upsell.",
                ),
                kr(
                    "Raise net revenue retention from 98% to 104%",
                    Some("net_revenue_retention"),
                    "percent",
                    Some(98.0),
                    Some(104.0),
                    "outcome",
                    Bottom,
                    false,
                    "Net negative churn: the base grows by itself.",
                ),
            ],
        },
        Template {
            id: "feature-launch",
            team: "product",
            audience: "both",
            maturity: None,
            objective: "Make the new reporting module a habit for our customers",
            why: "Reports are why customers log in every week.",
            krs: vec![
                milestone(
                    "Reporting module generally available by mid-cycle",
                    "Nothing is adopted before it ships.",
                ),
                kr(
                    "Get 40% of active accounts to create a report",
                    None,
                    "percent",
                    Some(0.0),
                    Some(40.0),
                    "output",
                    Middle,
                    true,
                    "Adoption, not availability.",
                ),
                kr(
                    "Raise DAU/MAU from 20% to 25%",
                    Some("dau_mau"),
                    "percent",
                    Some(20.0),
                    Some(25.0),
                    "outcome",
                    Bottom,
                    true,
                    "Habit shows in daily use.",
                ),
            ],
        },
        Template {
            id: "product-vision",
            team: "product",
            audience: "both",
            maturity: None,
            objective: "Become the tool our customers open every morning",
            why: "The product vision, made measurable.",
            krs: vec![
                kr(
                    "Raise DAU/MAU from 20% to 30%",
                    Some("dau_mau"),
                    "percent",
                    Some(20.0),
                    Some(30.0),
                    "outcome",
                    Bottom,
                    true,
                    "Daily use is the vision in numbers.",
                ),
                kr(
                    "Bring inactive paying accounts from 40 to 15",
                    Some("inactive_accounts"),
                    "count",
                    Some(40.0),
                    Some(15.0),
                    "outcome",
                    Bottom,
                    true,
                    "Quiet customers are the next churners.",
                ),
                kr(
                    "Raise the average health score from 60 to 70",
                    Some("health_score"),
                    "score",
                    Some(60.0),
                    Some(70.0),
                    "outcome",
                    Bottom,
                    true,
                    "Health blends usage, recency and satisfaction.",
                ),
            ],
        },
        Template {
            id: "time-to-value-65-55",
            team: "customer-success",
            audience: "b2b",
            maturity: None,
            objective: "Reduce time to value from 65 to 55 days by the end of Q2",
            why: "Customers who see value early stay and expand.",
            krs: vec![
                kr(
                    "Cut time to value from 65 to 55 days",
                    Some("time_to_value"),
                    "days",
                    Some(65.0),
                    Some(55.0),
                    "outcome",
                    Bottom,
                    true,
                    "The objective itself, measured.",
                ),
                kr(
                    "Cut the integration phase from 20 to 12 days",
                    None,
                    "days",
                    Some(20.0),
                    Some(12.0),
                    "output",
                    Middle,
                    true,
                    "The slowest onboarding phase.",
                ),
                kr(
                    "Run a kickoff within 3 days for 90% of new accounts",
                    None,
                    "percent",
                    Some(50.0),
                    Some(90.0),
                    "input",
                    Middle,
                    true,
                    "A fast start shortens everything after it.",
                ),
            ],
        },
        Template {
            id: "b2b-marketing-pipeline",
            team: "marketing",
            audience: "b2b",
            maturity: Some(Maturity::Scaling),
            objective: "Fill the pipeline with leads sales wants",
            why: "Sales capacity is wasted on unqualified leads.",
            krs: vec![
                kr(
                    "Grow MQLs from 150 to 250 a month",
                    Some("mqls"),
                    "count",
                    Some(150.0),
                    Some(250.0),
                    "output",
                    Middle,
                    true,
                    "Enough qualified leads for the quarter's targets.",
                ),
                kr(
                    "Raise lead conversion from 3% to 5%",
                    Some("lead_conversion_rate"),
                    "percent",
                    Some(3.0),
                    Some(5.0),
                    "outcome",
                    Bottom,
                    false,
                    "Quality, agreed with sales.",
                ),
                kr(
                    "Bring CAC from 6,000 to 4,500",
                    Some("cac"),
                    "money",
                    Some(6000.0),
                    Some(4500.0),
                    "outcome",
                    Bottom,
                    false,
                    "Growth we can afford.",
                ),
            ],
        },
        Template {
            id: "b2b-sales-efficiency",
            team: "sales",
            audience: "b2b",
            maturity: None,
            objective: "Close deals faster without discounting",
            why: "A shorter cycle frees capacity and cash.",
            krs: vec![
                kr(
                    "Cut the sales cycle from 75 to 60 days",
                    Some("sales_cycle_length"),
                    "days",
                    Some(75.0),
                    Some(60.0),
                    "outcome",
                    Bottom,
                    true,
                    "Time is the sales team's scarcest resource.",
                ),
                kr(
                    "Hold the average deal size at 12,000 or more",
                    Some("average_deal_size"),
                    "money",
                    Some(12000.0),
                    Some(12500.0),
                    "outcome",
                    Bottom,
                    false,
                    "Faster must not mean cheaper.",
                ),
                kr(
                    "Bring CAC payback from 18 to 14 months",
                    Some("cac_payback"),
                    "months",
                    Some(18.0),
                    Some(14.0),
                    "outcome",
                    Bottom,
                    false,
                    "Efficiency investors read first.",
                ),
            ],
        },
        Template {
            id: "b2b-customer-success-retention",
            team: "customer-success",
            audience: "b2b",
            maturity: None,
            objective: "Keep every customer who gets value",
            why: "Retention compounds; acquisition does not.",
            krs: vec![
                kr(
                    "Cut monthly customer churn from 2% to 1.2%",
                    Some("customer_churn_rate"),
                    "percent",
                    Some(2.0),
                    Some(1.2),
                    "outcome",
                    Bottom,
                    false,
                    "Fewer customers leaving.",
                ),
                kr(
                    "Bring inactive paying accounts from 30 to 10",
                    Some("inactive_accounts"),
                    "count",
                    Some(30.0),
                    Some(10.0),
                    "output",
                    Bottom,
                    true,
                    "Reach quiet accounts before renewal.",
                ),
                kr(
                    "Raise the renewal rate from 85% to 92%",
                    Some("renewal_rate"),
                    "percent",
                    Some(85.0),
                    Some(92.0),
                    "outcome",
                    Bottom,
                    false,
                    "Renewals are the verdict.",
                ),
            ],
        },
        Template {
            id: "b2c-marketing-growth",
            team: "marketing",
            audience: "b2c",
            maturity: Some(Maturity::Scaling),
            objective: "Grow the user base through word of mouth",
            why: "Referred users cost less and stay longer.",
            krs: vec![
                kr(
                    "Raise the referral rate from 2% to 5%",
                    Some("referral_rate"),
                    "percent",
                    Some(2.0),
                    Some(5.0),
                    "output",
                    Top,
                    true,
                    "Users recommending us is the cheapest channel.",
                ),
                kr(
                    "Grow app installs from 8,000 to 12,000 a month",
                    Some("app_installs"),
                    "count",
                    Some(8000.0),
                    Some(12000.0),
                    "output",
                    Top,
                    true,
                    "Installs are the top of our funnel.",
                ),
                kr(
                    "Raise visitor-to-signup from 4% to 6%",
                    Some("visitor_to_signup_rate"),
                    "percent",
                    Some(4.0),
                    Some(6.0),
                    "output",
                    Middle,
                    true,
                    "Interest must turn into accounts.",
                ),
            ],
        },
        Template {
            id: "b2c-product-activation",
            team: "product",
            audience: "b2c",
            maturity: None,
            objective: "Get every new user to their first win in the first week",
            why: "Users who finish onboarding keep using the app.",
            krs: vec![
                kr(
                    "Raise onboarding completion from 45% to 65%",
                    Some("onboarding_completion_rate"),
                    "percent",
                    Some(45.0),
                    Some(65.0),
                    "output",
                    Middle,
                    true,
                    "Completion predicts retention.",
                ),
                kr(
                    "Raise next-month user retention from 35% to 45%",
                    Some("user_retention"),
                    "percent",
                    Some(35.0),
                    Some(45.0),
                    "outcome",
                    Bottom,
                    true,
                    "Coming back is the real activation.",
                ),
                kr(
                    "Cut trial-to-paid time from 12 to 8 days",
                    Some("trial_to_paid_time"),
                    "days",
                    Some(12.0),
                    Some(8.0),
                    "outcome",
                    Bottom,
                    true,
                    "Faster value, faster conversion.",
                ),
            ],
        },
        Template {
            id: "b2c-customer-success-loyalty",
            team: "customer-success",
            audience: "b2c",
            maturity: None,
            objective: "Turn subscribers into fans",
            why: "Loyal subscribers churn less and refer more.",
            krs: vec![
                kr(
                    "Raise CSAT from 78% to 88%",
                    Some("csat"),
                    "percent",
                    Some(78.0),
                    Some(88.0),
                    "outcome",
                    Bottom,
                    true,
                    "Satisfaction at every contact.",
                ),
                kr(
                    "Cut monthly revenue churn from 5% to 3.5%",
                    Some("revenue_churn_rate"),
                    "percent",
                    Some(5.0),
                    Some(3.5),
                    "outcome",
                    Bottom,
                    false,
                    "Fewer subscribers leaving.",
                ),
                kr(
                    "Raise ARPU from 9.50 to 11",
                    Some("arpu"),
                    "money",
                    Some(9.5),
                    Some(11.0),
                    "outcome",
                    Bottom,
                    false,
                    "Fans upgrade.",
                ),
            ],
        },
        Template {
            id: "b2c-sales-conversion",
            team: "sales",
            audience: "b2c",
            maturity: None,
            objective: "Convert more trials into paying subscribers",
            why: "Every trial that lapses is acquisition money lost.",
            krs: vec![
                kr(
                    "Raise PQL-to-customer from 18% to 25%",
                    Some("pql_to_customer_rate"),
                    "percent",
                    Some(18.0),
                    Some(25.0),
                    "outcome",
                    Bottom,
                    false,
                    "Engaged trials must become customers.",
                ),
                kr(
                    "Grow new customers from 900 to 1,200 a month",
                    Some("new_customers"),
                    "count",
                    Some(900.0),
                    Some(1200.0),
                    "output",
                    Bottom,
                    false,
                    "Volume of conversions.",
                ),
                kr(
                    "Bring CAC from 45 to 38",
                    Some("cac"),
                    "money",
                    Some(45.0),
                    Some(38.0),
                    "outcome",
                    Bottom,
                    false,
                    "Conversion at a sustainable cost.",
                ),
            ],
        },
    ]
}

/// The template `id`.
pub fn find(id: &str) -> Option<Template> {
    library().into_iter().find(|t| t.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::review::{DraftKr, DraftObjective, Level, ReviewContext, Severity, review};
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_kpis_exist() {
        let lib = library();
        let ids: HashSet<_> = lib.iter().map(|t| t.id).collect();
        assert_eq!(ids.len(), lib.len());
        for t in &lib {
            for k in &t.krs {
                if let Some(kpi) = k.kpi {
                    assert!(
                        crate::catalog::find(kpi).is_some(),
                        "{}: unknown KPI {kpi}",
                        t.id
                    );
                }
                if let (Some(b), Some(g)) = (k.baseline, k.target) {
                    assert_ne!(b, g, "{}: {}", t.id, k.title);
                }
            }
        }
    }

    #[test]
    fn the_methods_examples_and_every_team_set_are_there() {
        for id in [
            "organic-search-starting",
            "organic-search-scaling",
            "organic-search-optimizing",
            "increase-nps",
            "mrr-through-upsell",
            "feature-launch",
            "product-vision",
            "time-to-value-65-55",
        ] {
            assert!(find(id).is_some(), "{id}");
        }
        let ttv = find("time-to-value-65-55").unwrap();
        assert_eq!(
            (ttv.krs[0].baseline, ttv.krs[0].target),
            (Some(65.0), Some(55.0))
        );
        let lib = library();
        for audience in ["b2b", "b2c"] {
            for team in ["marketing", "sales", "customer-success", "product"] {
                assert!(
                    lib.iter().any(|t| t.team == team && (t.audience == audience || t.audience == "both")),
                    "no {audience} template for {team}"
                );
            }
        }
    }

    #[test]
    fn templates_pass_the_coach() {
        // Every template is a good draft: no warning or error from the coach.
        for t in library() {
            let o = DraftObjective {
                id: t.id.into(),
                title: t.objective.into(),
                level: Level::Team,
                krs: t
                    .krs
                    .iter()
                    .enumerate()
                    .map(|(i, k)| DraftKr {
                        id: format!("kr{i}"),
                        title: k.title.into(),
                        milestone: k.milestone,
                        unit: Some(k.unit.into()),
                        target: k.target,
                        has_due_date: true,
                        why: Some(k.why.into()),
                        kpi: k.kpi.map(String::from),
                        funnel: Some(k.funnel),
                        leading: Some(k.leading),
                        maturity: t.maturity,
                        team: Some(t.team.into()),
                    })
                    .collect(),
            };
            let f: Vec<_> = review(&[o], &ReviewContext::default())
                .into_iter()
                .filter(|f| f.severity > Severity::Info)
                .collect();
            assert!(f.is_empty(), "{}: {f:?}", t.id);
        }
    }
}
