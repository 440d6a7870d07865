//! What the pages show, composed from the stored KPI values, the stored
//! views of a refresh and the OKR store: the executive home, a KPI's page
//! and a key result's page. Every number here was stored by a refresh or
//! a check-in; nothing scans the data.
//!
//! **Executive tiles.** The seven subjects every executive review leads
//! with (kpis.md, "B2B and B2C profiles"): customer churn, average deal
//! size, qualified leads (MQLs for a B2B workspace, PQLs for a B2C one,
//! the other beside it), net revenue retention, revenue per lead, NPS with
//! CSAT, and sales efficiency with CAC payback; each at monthly grain, for
//! all accounts, in the last month stored.
//!
//! **Change.** A tile's change is against the month before: in points for
//! a percent (`+1.2 pts`), else relative (`+3.4%`), or the plain difference
//! when the month before was 0. It is *good* when it moves the way the
//! KPI's direction says is better, *bad* the other way, neither when
//! unchanged or unknown.

use std::sync::Arc;

use chrono::NaiveDate;
use okapi_core::catalog::Direction;
use okapi_core::period::Grain;
use okapi_core::settings::Profile;
use okapi_engine::compute::kpi_info;
use okapi_store::{KpiRefresh, StoredKpiValue};
use serde::Serialize;

use crate::data::{CatalogEntry, InactiveReport};
use crate::error::AppError;
use crate::okr_views::{self, History, StatusQuery};
use crate::refresh::views;
use crate::status::{CycleStatus, KrStatus};
use crate::stored;
use crate::workspace::Workspace;

/// How many periods a tile's sparkline shows.
pub const SPARK_PERIODS: usize = 12;

/// One KPI as a tile: its latest stored value, the change from the period
/// before and a short series.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KpiTile {
    pub kpi: String,
    pub name: String,
    pub unit: String,
    pub direction: Direction,
    /// The period of `value` (its first day).
    pub period: Option<NaiveDate>,
    pub value: Option<f64>,
    /// Why the value is absent, when it is.
    pub note: Option<String>,
    pub previous: Option<f64>,
    /// The change as people read it (`+1.2 pts`, `-3.4%`).
    pub change: Option<String>,
    /// Whether the change is good news given the KPI's direction.
    pub good: Option<bool>,
    /// The last [`SPARK_PERIODS`] periods, oldest first.
    pub series: Vec<(NaiveDate, Option<f64>)>,
}

/// One executive subject: its main KPI and, for the paired subjects, the
/// one beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExecutiveTile {
    pub title: &'static str,
    pub main: KpiTile,
    pub also: Option<KpiTile>,
}

/// The executive subjects of a profile: (title, main KPI, KPI beside it).
pub fn executive_subjects(
    profile: Profile,
) -> [(&'static str, &'static str, Option<&'static str>); 7] {
    let (leads, other) = match profile {
        Profile::B2b => ("mqls", "pqls"),
        Profile::B2c => ("pqls", "mqls"),
    };
    [
        ("Customer churn", "customer_churn_rate", None),
        ("Average deal size", "average_deal_size", None),
        ("Qualified leads", leads, Some(other)),
        ("Net revenue retention", "net_revenue_retention", None),
        ("Revenue per lead", "revenue_per_lead", None),
        ("Customer satisfaction", "nps", Some("csat")),
        ("Sales efficiency", "sales_efficiency", Some("cac_payback")),
    ]
}

/// A stored value as a number.
fn number(v: &StoredKpiValue) -> Option<f64> {
    v.value.as_deref().and_then(|t| t.parse::<f64>().ok())
}

/// The change from `previous` to `value` as people read it, and whether
/// it is good news (see the module's documentation).
pub fn change(
    value: Option<f64>,
    previous: Option<f64>,
    unit: &str,
    direction: Direction,
) -> (Option<String>, Option<bool>) {
    let (Some(v), Some(p)) = (value, previous) else {
        return (None, None);
    };
    let diff = v - p;
    let text = if unit == "percent" {
        format!("{:+.1} pts", diff)
    } else if p != 0.0 {
        format!("{:+.1}%", diff / p.abs() * 100.0)
    } else {
        format!("{diff:+}")
    };
    let good = if diff == 0.0 {
        None
    } else {
        Some((diff > 0.0) == (direction == Direction::Higher))
    };
    (Some(text), good)
}

/// The tile of KPI `id` from its stored series at `grain` for `segment`.
pub async fn tile(
    ws: &Workspace,
    id: &str,
    grain: Grain,
    segment: &str,
) -> Result<KpiTile, AppError> {
    let info = kpi_info(&ws.settings, id)
        .ok_or_else(|| AppError::Missing(format!("there is no KPI `{id}`")))?;
    let series = stored::series(ws, id, grain, segment).await?;
    Ok(tile_of(
        id,
        &info.name,
        info.unit.as_str(),
        info.direction,
        &series,
    ))
}

/// The tile of a KPI from its stored series (the last value, the one
/// before, the change, the last [`SPARK_PERIODS`] periods).
pub(crate) fn tile_of(
    id: &str,
    name: &str,
    unit: &str,
    direction: Direction,
    series: &[StoredKpiValue],
) -> KpiTile {
    let last = series.last();
    let value = last.and_then(number);
    let previous = series.iter().rev().nth(1).and_then(number);
    let (change, good) = change(value, previous, unit, direction);
    let skip = series.len().saturating_sub(SPARK_PERIODS);
    KpiTile {
        kpi: id.to_string(),
        name: name.to_string(),
        unit: unit.to_string(),
        direction,
        period: last.map(|v| v.period_start),
        value,
        note: last.and_then(|v| v.note.clone()),
        previous,
        change,
        good,
        series: series
            .iter()
            .skip(skip)
            .map(|v| (v.period_start, number(v)))
            .collect(),
    }
}

/// A key result at risk, for the home page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskyKr {
    pub key: String,
    pub title: String,
    pub objective: String,
    pub owner: Option<String>,
    pub score: f64,
    pub expected: f64,
    pub grade: &'static str,
}

/// The executive home.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Home {
    pub workspace: String,
    pub vision: Option<String>,
    pub profile: &'static str,
    /// The refresh the numbers come from; `None` before the first.
    pub refreshed: Option<KpiRefresh>,
    pub tiles: Vec<ExecutiveTile>,
    /// The cycle the risks are read in, if there is one.
    pub cycle: Option<String>,
    pub at_risk: Vec<RiskyKr>,
    /// Inactive paying accounts, largest MRR first (`None` before the
    /// first refresh; `unavailable` says why the data cannot tell).
    pub inactive: Option<InactiveReport>,
    pub inactive_unavailable: Option<String>,
    /// Dissonances, then anomalies, newest first, at most
    /// [`FINDINGS_SHOWN`] ([`crate::insights`]).
    pub findings: Vec<Finding>,
    /// Findings beyond those shown (`okapi insights` lists them all).
    pub more_findings: usize,
}

/// How many findings the home shows.
pub const FINDINGS_SHOWN: usize = 8;

/// A finding as the home shows it: a dissonance, the slowest onboarding
/// phase, the accounts whose health fell, an anomaly (in that order).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Finding {
    /// `dissonance`, `slow_phase`, `health_drop` or `anomaly`.
    pub kind: &'static str,
    /// The KPI it links to (for a dissonance, the stage that sank).
    pub kpi: String,
    /// The period's first day (the data's last day for the onboarding
    /// and health lines).
    pub period: NaiveDate,
    pub good: bool,
    pub sentence: String,
}

/// The cycle status the pages read (the active cycle, else the latest),
/// or `None` when the workspace has no cycle.
async fn current_status(
    ws: &Workspace,
    today: NaiveDate,
) -> Result<Option<Arc<CycleStatus>>, AppError> {
    match okr_views::status_shared(ws, StatusQuery::default(), today).await {
        Ok(st) => Ok(Some(st)),
        Err(AppError::Missing(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The executive home on `today`, kept in the workspace's memo until the
/// database changes ([`crate::memo`]).
pub async fn home(ws: &Workspace, today: NaiveDate) -> Result<Arc<Home>, AppError> {
    ws.memo
        .home
        .get_or_read(&ws.store, (ws.id.clone(), today), || read_home(ws, today))
        .await
}

async fn read_home(ws: &Workspace, today: NaiveDate) -> Result<Home, AppError> {
    let mut tiles = Vec::new();
    for (title, main, also) in executive_subjects(ws.settings.profile) {
        let main = tile(ws, main, Grain::Month, "").await?;
        let also = match also {
            Some(id) => Some(tile(ws, id, Grain::Month, "").await?),
            None => None,
        };
        tiles.push(ExecutiveTile { title, main, also });
    }
    let status = current_status(ws, today).await?;
    let at_risk = status
        .as_ref()
        .map(|st| {
            st.objectives
                .iter()
                .flat_map(|o| o.krs.iter().map(move |k| (o, k)))
                .filter(|(_, k)| k.at_risk)
                .map(|(o, k)| RiskyKr {
                    key: k.key.clone(),
                    title: k.title.clone(),
                    objective: o.title.clone(),
                    owner: k.owner.clone().or(o.owner.clone()),
                    score: k.score,
                    expected: k.expected,
                    grade: k.grade.as_str(),
                })
                .collect()
        })
        .unwrap_or_default();
    let found = crate::insights::insights(ws, today).await?;
    let on = found.data_through.unwrap_or(today);
    // Customers: the slowest onboarding phase (with those stuck in it),
    // then the accounts whose health fell sharply, in one line.
    let drops: Vec<&str> = found
        .customer_risks
        .iter()
        .filter(|r| r.kind == crate::insights::CustomerRiskKind::HealthDrop)
        .map(|r| r.account.as_str())
        .collect();
    let health = (!drops.is_empty()).then(|| Finding {
        kind: "health_drop",
        kpi: "health_score".to_string(),
        period: on,
        good: false,
        sentence: format!(
            "{} paying {} lost {} health points or more in four weeks: {}.",
            drops.len(),
            if drops.len() == 1 {
                "account"
            } else {
                "accounts"
            },
            ws.settings.insights.health_drop,
            drops.join(", ")
        ),
    });
    let onboarding = found.slow_phase.as_ref().map(|p| Finding {
        kind: "slow_phase",
        kpi: "time_to_value".to_string(),
        period: on,
        good: false,
        sentence: p.sentence.clone(),
    });
    let findings: Vec<Finding> = found
        .dissonances
        .into_iter()
        .map(|d| Finding {
            kind: "dissonance",
            kpi: d.next,
            period: d.period,
            good: false,
            sentence: d.sentence,
        })
        .chain(onboarding)
        .chain(health)
        .chain(found.anomalies.into_iter().map(|a| Finding {
            kind: "anomaly",
            kpi: a.kpi,
            period: a.period,
            good: a.good,
            sentence: a.sentence,
        }))
        .collect();
    let (inactive, inactive_unavailable) =
        match stored::view::<InactiveReport>(ws, views::INACTIVE).await? {
            None => (None, None),
            Some(Ok(r)) => (Some(r), None),
            Some(Err(why)) => (None, Some(why)),
        };
    Ok(Home {
        workspace: ws
            .settings
            .workspace
            .name
            .clone()
            .unwrap_or_else(|| ws.id.clone()),
        vision: crate::people::vision(ws).await?,
        profile: ws.settings.profile.as_str(),
        refreshed: stored::last_refresh(ws).await?,
        tiles,
        cycle: status.map(|s| s.cycle.key.clone()),
        at_risk,
        inactive,
        inactive_unavailable,
        more_findings: findings.len().saturating_sub(FINDINGS_SHOWN),
        findings: findings.into_iter().take(FINDINGS_SHOWN).collect(),
    })
}

/// A key result that links a KPI, for the KPI's page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkedKr {
    pub key: String,
    pub title: String,
    pub segment: Option<String>,
    pub grain: Option<String>,
    pub cycle: String,
}

/// A KPI's page: its definition, its series at a grain and segment, and
/// the key results that link it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KpiPage {
    pub entry: CatalogEntry,
    pub owner: Option<String>,
    pub question: Option<String>,
    pub review_date: Option<NaiveDate>,
    pub grain: Grain,
    pub segment: String,
    pub tile: KpiTile,
    /// The whole stored series at the grain, oldest first.
    pub series: Vec<(NaiveDate, Option<f64>)>,
    /// The segments stored for this KPI at this grain (`""`: all).
    pub segments: Vec<String>,
    pub key_results: Vec<LinkedKr>,
    /// What people said in the surveys of the tile's period (only NPS
    /// comments on the NPS page, only CSAT ones on the CSAT page), newest
    /// first, at most [`COMMENTS_SHOWN`].
    pub comments: Vec<okapi_engine::compute::SurveyComment>,
    /// Watched day by day and week by week, or read as a quarterly trend.
    pub cadence: okapi_core::insights::Cadence,
    /// The current findings about this KPI (its anomalies, the
    /// dissonances it is part of), the most recent period first.
    pub findings: Vec<okapi_store::StoredFinding>,
}

/// The grain a KPI's page opens at: the quarter for the long-term KPIs
/// read as quarterly trends (LTV, CAC, CAC payback, NRR, GRR:
/// `okapi_core::insights::QUARTERLY_TRENDS`), else the month.
pub fn default_grain(id: &str) -> Grain {
    if okapi_core::insights::QUARTERLY_TRENDS.contains(&id) {
        Grain::Quarter
    } else {
        Grain::Month
    }
}

/// How many survey comments a KPI's page shows.
pub const COMMENTS_SHOWN: usize = 12;

/// The page of KPI `id` at `grain` for `segment` (`""`: all accounts).
pub async fn kpi_page(
    ws: &Workspace,
    id: &str,
    grain: Grain,
    segment: &str,
) -> Result<KpiPage, AppError> {
    let entry = crate::data::catalog(&ws.settings)
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(|| AppError::Missing(format!("there is no KPI `{id}`")))?;
    let custom = ws.settings.custom_kpis.iter().find(|k| k.id == id);
    let values = stored::series(ws, id, grain, segment).await?;
    let tile = tile_of(id, &entry.name, &entry.unit, entry.direction, &values);
    let mut s = ws.read_session().await?;
    let krs = s.key_results(None).await?;
    let objectives = s.objectives(None).await?;
    let sets = s.kpi_value_sets().await?;
    s.commit().await?;
    let key_results = krs
        .into_iter()
        .filter(|k| k.kpi.as_deref() == Some(id))
        .map(|k| LinkedKr {
            cycle: objectives
                .iter()
                .find(|o| o.key == k.objective)
                .map(|o| o.cycle.clone())
                .unwrap_or_default(),
            key: k.key,
            title: k.title,
            segment: k.segment,
            grain: k.grain,
        })
        .collect();
    let mut segments: Vec<String> = sets
        .into_iter()
        .filter(|(g, _)| *g == grain)
        .map(|(_, s)| s)
        .collect();
    segments.sort();
    segments.dedup();
    let comments = match (
        tile.period,
        stored::view::<Vec<okapi_engine::compute::SurveyComment>>(ws, views::COMMENTS).await?,
    ) {
        (Some(start), Some(Ok(all))) => {
            let period = okapi_core::period::Period::containing(grain, start);
            all.into_iter()
                .filter(|c| period.contains(c.day))
                .filter(|c| match id {
                    "nps" | "csat" => c.kind == id,
                    _ => true,
                })
                .take(COMMENTS_SHOWN)
                .collect()
        }
        _ => Vec::new(),
    };
    let mut findings: Vec<okapi_store::StoredFinding> = {
        let mut s = ws.read_session().await?;
        let current = s.findings(true).await?;
        s.commit().await?;
        current
            .into_iter()
            .filter(|f| match f.kind.as_str() {
                "anomaly" | "threshold" => f.subject == id,
                "dissonance" => f.subject.split('>').any(|k| k == id),
                _ => false,
            })
            .collect()
    };
    findings.sort_by(|a, b| b.period.cmp(&a.period).then(a.id.cmp(&b.id)));
    Ok(KpiPage {
        comments,
        cadence: okapi_core::insights::cadence(id),
        findings,
        owner: custom.and_then(|k| k.owner.clone()),
        question: custom.and_then(|k| k.question.clone()),
        review_date: custom.and_then(|k| k.review_date),
        entry,
        grain,
        segment: segment.to_string(),
        tile,
        series: values.iter().map(|v| (v.period_start, number(v))).collect(),
        segments,
        key_results,
    })
}

/// A key result's page: its status in its cycle on `today` (score, pace,
/// forecast, trend) and its check-ins.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KrPage {
    pub cycle: String,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    /// The day the status is read on.
    pub on: NaiveDate,
    pub objective_key: String,
    pub objective_title: String,
    pub status: KrStatus,
    pub history: History,
    /// The latest stored value of its KPI, for a KPI-linked key result:
    /// what a check-in form offers.
    pub kpi_value: Option<f64>,
}

/// The page of key result `key` on `today`.
pub async fn kr_page(ws: &Workspace, key: &str, today: NaiveDate) -> Result<KrPage, AppError> {
    let history = okr_views::history(ws, key).await?;
    let mut s = ws.read_session().await?;
    let objective = s.objective(&history.key_result.objective).await?;
    s.commit().await?;
    let st = okr_views::status(
        ws,
        StatusQuery {
            cycle: Some(objective.cycle.clone()),
            ..Default::default()
        },
        today,
    )
    .await?;
    let status = st
        .objectives
        .iter()
        .flat_map(|o| o.krs.iter())
        .find(|k| k.key == key)
        .cloned()
        .ok_or_else(|| AppError::Missing(format!("there is no key result `{key}`")))?;
    let kpi_value = match &history.key_result.kpi {
        Some(kpi) => {
            let grain = history
                .key_result
                .grain
                .as_deref()
                .unwrap_or("month")
                .parse::<Grain>()
                .unwrap_or(Grain::Month);
            let segment = history.key_result.segment.clone().unwrap_or_default();
            stored::series(ws, kpi, grain, segment.trim())
                .await
                .ok()
                .and_then(|s| s.last().and_then(number))
        }
        None => None,
    };
    Ok(KrPage {
        cycle: st.cycle.key.clone(),
        cycle_start: st.cycle.start,
        cycle_end: st.cycle.end,
        on: st.on,
        objective_key: objective.key,
        objective_title: objective.title,
        status,
        history,
        kpi_value,
    })
}

/// The funnel of a profile, stage by stage: (stage, KPI counted there).
/// B2B: visitors, leads, marketing-qualified leads, new customers; B2C:
/// visitors, sign-ups, product-qualified leads, new customers.
pub fn funnel_kpis(profile: Profile) -> [(&'static str, &'static str); 4] {
    match profile {
        Profile::B2b => [
            ("awareness", "visitors"),
            ("consideration", "leads"),
            ("consideration", "mqls"),
            ("decision", "new_customers"),
        ],
        Profile::B2c => [
            ("awareness", "visitors"),
            ("awareness", "signups"),
            ("consideration", "pqls"),
            ("decision", "new_customers"),
        ],
    }
}

/// The stages of the customer journey, in order, then revenue and
/// efficiency.
pub const STAGES: [&str; 6] = [
    "awareness",
    "consideration",
    "decision",
    "retention",
    "revenue",
    "efficiency",
];

/// One stage of the journey with its KPIs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageKpis {
    pub stage: &'static str,
    pub kpis: Vec<KpiTile>,
}

/// The customer journey: the funnel in the last month stored, and each
/// stage's KPIs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Journey {
    pub funnel: Vec<KpiTile>,
    pub stages: Vec<StageKpis>,
}

/// The customer journey of the workspace (monthly, all accounts).
pub async fn journey(ws: &Workspace) -> Result<Journey, AppError> {
    let mut funnel = Vec::new();
    for (_, id) in funnel_kpis(ws.settings.profile) {
        funnel.push(tile(ws, id, Grain::Month, "").await?);
    }
    let mut stages = Vec::new();
    for stage in STAGES {
        let mut kpis = Vec::new();
        for k in okapi_core::catalog::CATALOG
            .iter()
            .filter(|k| k.stage.as_str() == stage)
        {
            kpis.push(tile(ws, k.id, Grain::Month, "").await?);
        }
        stages.push(StageKpis { stage, kpis });
    }
    Ok(Journey { funnel, stages })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_in_points_for_percents_and_relative_otherwise() {
        // Churn from 5.0% to 6.2%: +1.2 points, bad (lower is better).
        assert_eq!(
            change(Some(6.2), Some(5.0), "percent", Direction::Lower),
            (Some("+1.2 pts".into()), Some(false))
        );
        // Deal size from 1,000 to 1,100: +10.0%, good.
        assert_eq!(
            change(Some(1100.0), Some(1000.0), "money", Direction::Higher),
            (Some("+10.0%".into()), Some(true))
        );
        // From 0 the relative change is not defined: the difference.
        assert_eq!(
            change(Some(3.0), Some(0.0), "count", Direction::Higher),
            (Some("+3".into()), Some(true))
        );
        assert_eq!(
            change(Some(3.0), Some(3.0), "count", Direction::Higher).1,
            None
        );
        assert_eq!(
            change(None, Some(3.0), "count", Direction::Higher),
            (None, None)
        );
    }

    #[test]
    fn each_profile_leads_with_its_qualified_leads() {
        let b2b = executive_subjects(Profile::B2b);
        let b2c = executive_subjects(Profile::B2c);
        assert_eq!(b2b[2].1, "mqls");
        assert_eq!(b2c[2].1, "pqls");
        assert_eq!(b2b.len(), 7);
    }
}
