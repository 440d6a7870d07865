//! The review coach: every rule of okrs.md "Choosing good OKRs", run on a
//! draft (or a whole cycle) the way an experienced coach would, each
//! finding with its rule id, a reason and a suggestion.
//!
//! Rules and ids:
//! - `kr-count`: an objective needs at least one KR, ideally 3; more than 4
//!   is too many.
//! - `kr-measurable`: a KR needs a number, a unit and a target, and a due
//!   date (its own or the cycle's).
//! - `kr-task`: a KR that reads like a task belongs in a to-do list.
//! - `kr-so-what`: a KR states why it matters to its objective.
//! - `gross-revenue`: gross revenue (revenue, MRR, ARR, bookings or sales
//!   as an amount) as a company-wide objective or KR; not a rate or ratio
//!   built on it (net revenue retention, revenue churn, revenue per lead).
//! - `maturity-funnel`: lagging bottom-of-funnel KRs for a starting
//!   program; top-of-funnel KRs for an optimizing one.
//! - `sales-cycle`: a KR that only closing deals moves (revenue, new or
//!   expansion MRR, deals won, deal size, new logos) when the measured
//!   sales cycle of new-business deals is longer than the OKR cycle.
//!
//! The rules that read the words of titles live in [`titles`], each backed
//! by a table of labelled titles.
//! - `funnel-conflict`: one team pushing a volume KPI while another is held
//!   to the conversion rate just below it.

use serde::{Deserialize, Serialize};

pub mod titles;

/// Level of an objective's owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Level {
    Company,
    Team,
    Person,
}

/// Where in the funnel a KR measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Funnel {
    Top,
    Middle,
    Bottom,
}

/// Maturity of the program a KR measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Maturity {
    Starting,
    Scaling,
    Optimizing,
}

crate::impl_words!(Level, "level", { Company => "company", Team => "team", Person => "person" });
crate::impl_words!(Funnel, "funnel position", { Top => "top", Middle => "middle", Bottom => "bottom" });
crate::impl_words!(Maturity, "maturity", {
    Starting => "starting",
    Scaling => "scaling",
    Optimizing => "optimizing",
});

/// A KR as the coach sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DraftKr {
    pub id: String,
    pub title: String,
    /// Milestones need no number; every other kind does.
    pub milestone: bool,
    pub unit: Option<String>,
    pub target: Option<f64>,
    pub has_due_date: bool,
    pub why: Option<String>,
    /// The linked KPI, for KPI-linked KRs.
    pub kpi: Option<String>,
    pub funnel: Option<Funnel>,
    /// `Some(true)` leading, `Some(false)` lagging.
    pub leading: Option<bool>,
    pub maturity: Option<Maturity>,
    /// The team that owns the KR (for conflicts across teams).
    pub team: Option<String>,
}

/// An objective and its KRs.
#[derive(Debug, Clone, PartialEq)]
pub struct DraftObjective {
    pub id: String,
    pub title: String,
    pub level: Level,
    pub krs: Vec<DraftKr>,
}

/// What the coach knows beyond the drafts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReviewContext {
    /// Length of the OKR cycle in days.
    pub cycle_days: Option<i64>,
    /// The measured `sales_cycle_length` KPI, in days.
    pub sales_cycle_days: Option<f64>,
}

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub objective: String,
    pub kr: Option<String>,
    pub reason: String,
    pub suggestion: String,
}

/// KPIs that are revenue.
const REVENUE_KPIS: &[&str] = &[
    "mrr",
    "arr",
    "new_mrr",
    "net_new_mrr",
    "expansion_mrr",
    "average_deal_size",
];

/// Volume KPIs and the conversion rate right below them in the funnel.
const FUNNEL_HANDOFFS: &[(&str, &str)] = &[
    ("visitors", "visitor_to_signup_rate"),
    ("signups", "signup_to_pql_rate"),
    ("leads", "lead_conversion_rate"),
    ("mqls", "lead_conversion_rate"),
    ("pqls", "pql_to_customer_rate"),
];

fn is_revenue_kr(kr: &DraftKr) -> bool {
    kr.kpi.as_deref().is_some_and(|k| REVENUE_KPIS.contains(&k))
        || titles::names_closed_revenue(&kr.title)
}

/// KPIs that are gross revenue.
const GROSS_REVENUE_KPIS: &[&str] = &["mrr", "arr"];

/// Runs every rule over `objectives`.
pub fn review(objectives: &[DraftObjective], ctx: &ReviewContext) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut find = |rule,
                    severity,
                    o: &DraftObjective,
                    kr: Option<&DraftKr>,
                    reason: String,
                    suggestion: &str| {
        out.push(Finding {
            rule,
            severity,
            objective: o.id.clone(),
            kr: kr.map(|k| k.id.clone()),
            reason,
            suggestion: suggestion.to_string(),
        })
    };
    for o in objectives {
        match o.krs.len() {
            0 => find(
                "kr-count",
                Severity::Error,
                o,
                None,
                "the objective has no key result".into(),
                "add the 3 or so numbers that will tell everyone it was reached",
            ),
            1 | 2 => find(
                "kr-count",
                Severity::Info,
                o,
                None,
                format!("{} key result(s); 3 is the usual balance", o.krs.len()),
                "consider another KR that measures the objective from a different side",
            ),
            3 | 4 => {}
            n => find(
                "kr-count",
                Severity::Warning,
                o,
                None,
                format!("{n} key results are too many to focus on"),
                "split the objective in two, or keep the 3–4 KRs that matter most",
            ),
        }
        if o.level == Level::Company && titles::names_gross_revenue(&o.title) {
            find(
                "gross-revenue",
                Severity::Warning,
                o,
                None,
                "gross revenue as a company-wide objective does not tell anyone what to do next"
                    .into(),
                "aim at the customer value that drives revenue: time to value, inactive customers, net revenue retention",
            );
        }
        for kr in &o.krs {
            let mut missing = Vec::new();
            if !kr.milestone {
                if kr.target.is_none() {
                    missing.push("target");
                }
                if kr.unit.as_deref().is_none_or(|u| u.trim().is_empty()) {
                    missing.push("unit");
                }
            }
            if !kr.has_due_date {
                missing.push("due date");
            }
            if !missing.is_empty() {
                find(
                    "kr-measurable",
                    Severity::Error,
                    o,
                    Some(kr),
                    format!("the key result has no {}", missing.join(", no ")),
                    "state the number, its unit, the target and the date, e.g. 'from 65 to 55 days by 30 June'",
                );
            }
            if titles::reads_like_task(&kr.title) {
                find(
                    "kr-task",
                    Severity::Warning,
                    o,
                    Some(kr),
                    format!("'{}' reads like a task, not a result", kr.title),
                    "keep the task in a to-do list and measure what it should change (sign-ups, conversion, time saved)",
                );
            }
            if kr.why.as_deref().is_none_or(|w| w.trim().is_empty()) {
                find(
                    "kr-so-what",
                    Severity::Info,
                    o,
                    Some(kr),
                    "the key result does not say why it matters to the objective".into(),
                    "add one sentence answering 'so what?'",
                );
            }
            if o.level == Level::Company
                && (kr
                    .kpi
                    .as_deref()
                    .is_some_and(|k| GROSS_REVENUE_KPIS.contains(&k))
                    || titles::names_gross_revenue(&kr.title))
            {
                find(
                    "gross-revenue",
                    Severity::Warning,
                    o,
                    Some(kr),
                    "gross revenue as a company-wide KR does not tell anyone what to do next"
                        .into(),
                    "track customer-value KPIs instead: time_to_value, inactive_accounts, net_revenue_retention",
                );
            }
            match kr.maturity {
                Some(Maturity::Starting) if kr.funnel == Some(Funnel::Bottom) && kr.leading == Some(false) => {
                    find("maturity-funnel", Severity::Warning, o, Some(kr),
                        "a lagging bottom-of-funnel KR for a program that is starting sets the team up to fail".into(),
                        "measure leading, activity and top-of-funnel results first (articles published, visitors, sign-ups)")
                }
                Some(Maturity::Optimizing) if kr.funnel == Some(Funnel::Top) => {
                    find("maturity-funnel", Severity::Info, o, Some(kr),
                        "an optimizing program measured at the top of the funnel".into(),
                        "measure the lowest-funnel result that is still meaningful (conversions, revenue per lead)")
                }
                _ => {}
            }
            if let (Some(sales), Some(days)) = (ctx.sales_cycle_days, ctx.cycle_days)
                && is_revenue_kr(kr)
                && sales > days as f64
            {
                find(
                    "sales-cycle",
                    Severity::Warning,
                    o,
                    Some(kr),
                    format!(
                        "the measured sales cycle is {sales:.1} days, longer than this {days}-day cycle: deals started now close after it ends"
                    ),
                    "measure what the team can move within the cycle: qualified pipeline, demos, PQLs",
                );
            }
        }
    }
    // Conflicts across teams: a volume KR upstream of another team's rate KR.
    let krs: Vec<(&DraftObjective, &DraftKr)> = objectives
        .iter()
        .flat_map(|o| o.krs.iter().map(move |k| (o, k)))
        .collect();
    for (vo, vk) in &krs {
        for (ro, rk) in &krs {
            let (Some(v), Some(r)) = (vk.kpi.as_deref(), rk.kpi.as_deref()) else {
                continue;
            };
            let handoff = FUNNEL_HANDOFFS.iter().any(|(a, b)| *a == v && *b == r);
            if handoff && vk.team.is_some() && rk.team.is_some() && vk.team != rk.team {
                out.push(Finding {
                    rule: "funnel-conflict",
                    severity: Severity::Warning,
                    objective: vo.id.clone(),
                    kr: Some(vk.id.clone()),
                    reason: format!(
                        "{} pushes {v} up while {} is held to {r} ({}, {}): more, weaker {v} lower that rate",
                        vk.team.as_deref().unwrap_or(""),
                        rk.team.as_deref().unwrap_or(""),
                        ro.id,
                        rk.id
                    ),
                    suggestion: "agree on a shared definition of a qualified lead, or give both teams the downstream KPI".into(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kr(id: &str, title: &str) -> DraftKr {
        DraftKr {
            id: id.into(),
            title: title.into(),
            unit: Some("count".into()),
            target: Some(100.0),
            has_due_date: true,
            why: Some("it moves the objective".into()),
            ..DraftKr::default()
        }
    }

    fn objective(id: &str, title: &str, level: Level, krs: Vec<DraftKr>) -> DraftObjective {
        DraftObjective {
            id: id.into(),
            title: title.into(),
            level,
            krs,
        }
    }

    fn rules(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.rule).collect()
    }

    fn good() -> DraftObjective {
        objective(
            "o1",
            "Delight new customers",
            Level::Team,
            vec![
                kr("k1", "Reach 40 NPS"),
                kr("k2", "Cut time to value to 55 days"),
                kr("k3", "Grow weekly active users to 900"),
            ],
        )
    }

    #[test]
    fn a_good_draft_has_no_findings() {
        assert!(review(&[good()], &ReviewContext::default()).is_empty());
    }

    #[test]
    fn kr_count() {
        let none = objective("o", "Win", Level::Team, vec![]);
        assert_eq!(
            rules(&review(&[none], &ReviewContext::default())),
            vec!["kr-count"]
        );
        let mut many = good();
        many.krs
            .extend([kr("k4", "Reach 5 referrals"), kr("k5", "Reach 6 demos")]);
        let f = review(&[many], &ReviewContext::default());
        assert_eq!((f[0].rule, f[0].severity), ("kr-count", Severity::Warning));
        let mut four = good();
        four.krs.push(kr("k4", "Reach 5 referrals"));
        assert!(review(&[four], &ReviewContext::default()).is_empty());
    }

    #[test]
    fn measurable_and_time_bound() {
        let mut o = good();
        o.krs[0].target = None;
        o.krs[0].unit = None;
        o.krs[1].has_due_date = false;
        let f = review(&[o], &ReviewContext::default());
        assert_eq!(rules(&f), vec!["kr-measurable", "kr-measurable"]);
        assert_eq!(f[0].reason, "the key result has no target, no unit");
        assert_eq!(f[1].reason, "the key result has no due date");
        // A milestone needs no number.
        let mut m = good();
        m.krs[0].milestone = true;
        m.krs[0].target = None;
        m.krs[0].unit = None;
        assert!(review(&[m], &ReviewContext::default()).is_empty());
    }

    #[test]
    fn tasks_are_not_results() {
        let mut o = good();
        o.krs[0].title = "Launch the new pricing page".into();
        assert_eq!(
            rules(&review(&[o.clone()], &ReviewContext::default())),
            vec!["kr-task"]
        );
        // With a number it is a result: "Launch 3 integrations".
        o.krs[0].title = "Launch 3 integrations used by 50 customers".into();
        assert!(review(&[o], &ReviewContext::default()).is_empty());
    }

    #[test]
    fn so_what() {
        let mut o = good();
        o.krs[2].why = None;
        assert_eq!(
            rules(&review(&[o], &ReviewContext::default())),
            vec!["kr-so-what"]
        );
    }

    #[test]
    fn gross_revenue_at_company_level() {
        let o = objective("o", "Grow revenue", Level::Company, good().krs);
        assert_eq!(
            rules(&review(&[o], &ReviewContext::default())),
            vec!["gross-revenue"]
        );
        let mut o = good();
        o.level = Level::Company;
        o.krs[0].kpi = Some("mrr".into());
        assert_eq!(
            rules(&review(&[o.clone()], &ReviewContext::default())),
            vec!["gross-revenue"]
        );
        // The same KR at team level is fine.
        o.level = Level::Team;
        assert!(review(&[o], &ReviewContext::default()).is_empty());
        // A company KR titled as gross revenue is flagged on the KR.
        let mut o = good();
        o.level = Level::Company;
        o.krs[1].title = "Reach $10M ARR".into();
        let f = review(&[o], &ReviewContext::default());
        assert_eq!(rules(&f), vec!["gross-revenue"]);
        assert_eq!(f[0].kr.as_deref(), Some("k2"));
        // Retention, churn and ratios built on revenue are not gross
        // revenue, at any level.
        for title in [
            "Raise net revenue retention to 110%",
            "Cut revenue churn to 1% a month",
            "Grow revenue per lead to $400",
            "Shorten the sales cycle to 45 days",
        ] {
            let o = objective("o", title, Level::Company, good().krs);
            assert!(
                review(&[o], &ReviewContext::default()).is_empty(),
                "{title}"
            );
        }
    }

    #[test]
    fn maturity_and_funnel() {
        let mut o = good();
        o.krs[0].maturity = Some(Maturity::Starting);
        o.krs[0].funnel = Some(Funnel::Bottom);
        o.krs[0].leading = Some(false);
        assert_eq!(
            rules(&review(&[o.clone()], &ReviewContext::default())),
            vec!["maturity-funnel"]
        );
        o.krs[0].leading = Some(true);
        assert!(review(&[o.clone()], &ReviewContext::default()).is_empty());
        o.krs[0].maturity = Some(Maturity::Optimizing);
        o.krs[0].funnel = Some(Funnel::Top);
        assert_eq!(
            rules(&review(&[o], &ReviewContext::default())),
            vec!["maturity-funnel"]
        );
    }

    #[test]
    fn sales_cycle_longer_than_the_okr_cycle() {
        let mut o = good();
        o.krs[0].kpi = Some("new_mrr".into());
        let long = ReviewContext {
            cycle_days: Some(90),
            sales_cycle_days: Some(120.5),
        };
        let f = review(&[o.clone()], &long);
        assert_eq!(rules(&f), vec!["sales-cycle"]);
        assert!(f[0].reason.contains("120.5 days"), "{}", f[0].reason);
        let short = ReviewContext {
            cycle_days: Some(90),
            sales_cycle_days: Some(45.0),
        };
        assert!(review(&[o], &short).is_empty());
    }

    #[test]
    fn funnel_conflicts_across_teams() {
        let mut marketing = good();
        marketing.krs[0].kpi = Some("mqls".into());
        marketing.krs[0].team = Some("marketing".into());
        let mut sales = objective("o2", "Close better deals", Level::Team, good().krs);
        sales.krs[0].kpi = Some("lead_conversion_rate".into());
        sales.krs[0].team = Some("sales".into());
        let f = review(
            &[marketing.clone(), sales.clone()],
            &ReviewContext::default(),
        );
        assert_eq!(rules(&f), vec!["funnel-conflict"]);
        assert!(
            f[0].reason.contains("marketing pushes mqls"),
            "{}",
            f[0].reason
        );
        // The same team owning both is not a conflict between departments.
        sales.krs[0].team = Some("marketing".into());
        assert!(review(&[marketing, sales], &ReviewContext::default()).is_empty());
    }
}
