//! Insights: what the stored KPI values and the OKRs say together, in
//! sentences an executive reads (the maths is `okapi_core::insights`).
//!
//! Read from the values the last refresh stored, never from the data:
//!
//! - **anomalies** in the real-time KPIs: each day of the last
//!   [`DAYS_JUDGED`] days (counts) and each week of the last
//!   [`WEEKS_JUDGED`] weeks (every real-time KPI), complete periods only
//!   (the data's last day is the last day stored at day grain);
//! - **dissonances** between adjacent journey stages in each of the last
//!   [`MONTHS_JUDGED`] complete months;
//! - **OKR risks** in the current cycle: key results behind pace, without
//!   a check-in for longer than the cadence, and committed objectives whose
//!   forecast ends below 1.0;
//! - **customer risks** on the data's last day, from the views the refresh
//!   stored: inactive paying accounts (largest MRR first), accounts whose
//!   health score fell sharply in four weeks, onboardings stuck in a phase
//!   well beyond its usual length, and the slowest onboarding phase.
//!
//! Newest first within each kind. Every finding carries a stable `id`
//! (kind, subject, period): the same finding found at the next refresh has
//! the same id, which is how [`crate::findings`] keeps its first-seen time
//! and acknowledgement, shown here as `seen`.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use okapi_core::catalog::Direction;
use okapi_core::insights::anomaly::{self, AnomalyRule};
use okapi_core::insights::dissonance::{self, DissonanceRule, Monthly, Move};
use okapi_core::insights::{Cadence, anomaly_grains, cadence, series_kind};
use okapi_core::period::Grain;
use okapi_core::units::with_unit;
use okapi_engine::compute::kpi_info;
use serde::Serialize;

use crate::error::AppError;
use crate::okr_views::{self, StatusQuery};
use crate::status::stale_days;
use crate::workspace::Workspace;

/// Days back from the data's last day whose daily values are judged.
pub const DAYS_JUDGED: u64 = 28;
/// Weeks back whose weekly values are judged.
pub const WEEKS_JUDGED: u64 = 8;
/// Complete months back judged for dissonances.
pub const MONTHS_JUDGED: u32 = 3;

/// A KPI's value far from its usual.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnomalyFinding {
    pub id: String,
    pub kpi: String,
    pub name: String,
    pub grain: Grain,
    /// The period's first day.
    pub period: NaiveDate,
    pub unit: String,
    pub value: f64,
    pub expected: f64,
    pub low: f64,
    pub high: f64,
    /// Spreads from the usual, signed.
    pub score: f64,
    /// Whether the move is good news given the KPI's direction.
    pub good: bool,
    /// For a week: its days that were anomalies the same way too (folded
    /// into the week's finding rather than listed apart).
    pub days: Vec<NaiveDate>,
    pub sentence: String,
    pub seen: Option<Seen>,
}

/// Two adjacent stages pulling apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DissonanceFinding {
    pub id: String,
    /// The month's first day.
    pub period: NaiveDate,
    pub first: String,
    pub first_name: String,
    pub next: String,
    pub next_name: String,
    pub first_move: Move,
    pub next_move: Move,
    pub teams: Vec<String>,
    pub sentence: String,
    pub seen: Option<Seen>,
}

/// What puts a key result or an objective at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OkrRiskKind {
    BehindPace,
    Stale,
    ForecastBelowTarget,
}

/// A key result or committed objective at risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OkrRisk {
    pub id: String,
    pub kind: OkrRiskKind,
    /// The key result's key (the objective's for a forecast).
    pub key: String,
    pub title: String,
    pub owner: Option<String>,
    pub sentence: String,
    pub seen: Option<Seen>,
}

impl OkrRiskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OkrRiskKind::BehindPace => "behind_pace",
            OkrRiskKind::Stale => "stale",
            OkrRiskKind::ForecastBelowTarget => "forecast_below_target",
        }
    }
}

/// What puts a customer at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CustomerRiskKind {
    /// Pays, and nobody used the product in the inactivity window.
    InactiveAccount,
    /// Its health score fell sharply in four weeks.
    HealthDrop,
    /// Its onboarding waits in a phase far longer than usual.
    StuckOnboarding,
}

impl CustomerRiskKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CustomerRiskKind::InactiveAccount => "inactive_account",
            CustomerRiskKind::HealthDrop => "health_drop",
            CustomerRiskKind::StuckOnboarding => "stuck_onboarding",
        }
    }
}

/// A customer at risk.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerRisk {
    pub id: String,
    pub kind: CustomerRiskKind,
    pub account: String,
    /// Its MRR on the data's last day, when known.
    pub mrr: Option<f64>,
    /// Days inactive, or days waiting in the phase.
    pub days: Option<f64>,
    pub sentence: String,
    pub seen: Option<Seen>,
}

/// The onboarding phase that takes longest.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlowPhase {
    pub id: String,
    pub from: String,
    pub to: String,
    pub mean_days: f64,
    /// Its share of the mean time to value (0–1).
    pub share: f64,
    /// Onboardings stuck in it now.
    pub stuck: u64,
    pub sentence: String,
    pub seen: Option<Seen>,
}

/// What the stored findings say of one found again: when it was first
/// found, whether this refresh is the first to find it, and whether
/// someone acknowledged it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Seen {
    pub first_seen: chrono::DateTime<chrono::Utc>,
    pub last_seen: chrono::DateTime<chrono::Utc>,
    pub acknowledged: Option<okapi_store::Acknowledgement>,
}

/// Everything found.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Insights {
    /// The data's last day (the last day stored); `None` before the first
    /// refresh.
    pub data_through: Option<NaiveDate>,
    pub anomalies: Vec<AnomalyFinding>,
    pub dissonances: Vec<DissonanceFinding>,
    /// The cycle the OKR risks are read in.
    pub cycle: Option<String>,
    pub okr_risks: Vec<OkrRisk>,
    pub customer_risks: Vec<CustomerRisk>,
    pub slow_phase: Option<SlowPhase>,
}

/// A stored series: period start and value.
type Series = Vec<(NaiveDate, Option<f64>)>;

fn period_words(grain: Grain, start: NaiveDate) -> String {
    match grain {
        Grain::Day => format!("on {}", start.format("%a %-d %b %Y")),
        Grain::Week => format!("in the week of {}", start.format("%-d %b %Y")),
        Grain::Month => format!("in {}", start.format("%B %Y")),
        _ => format!("in the period from {start}"),
    }
}

fn percent(change: f64) -> String {
    format!("{:.0} %", change.abs() * 100.0)
}

/// Folds the daily anomalies of a KPI into its weekly one, when the week
/// they fall in is an anomaly the same way: one finding says it.
fn fold_days(all: Vec<AnomalyFinding>) -> Vec<AnomalyFinding> {
    let (mut weeks, days): (Vec<_>, Vec<_>) = all.into_iter().partition(|a| a.grain != Grain::Day);
    let mut kept = Vec::new();
    for d in days {
        let week = okapi_core::period::Period::containing(Grain::Week, d.period).start;
        match weeks.iter_mut().find(|w| {
            w.kpi == d.kpi
                && w.grain == Grain::Week
                && w.period == week
                && (w.score > 0.0) == (d.score > 0.0)
        }) {
            Some(w) => w.days.push(d.period),
            None => kept.push(d),
        }
    }
    for w in &mut weeks {
        if !w.days.is_empty() {
            w.days.sort();
            let list: Vec<String> = w
                .days
                .iter()
                .map(|d| d.format("%a %-d").to_string())
                .collect();
            w.sentence
                .push_str(&format!(" Day by day too: {}.", list.join(", ")));
        }
    }
    weeks.extend(kept);
    weeks
}

/// The insights of the workspace on `today`.
pub async fn insights(ws: &Workspace, today: NaiveDate) -> Result<Insights, AppError> {
    let started = std::time::Instant::now();
    let ms = || started.elapsed().as_millis() as u64;
    let settings = &ws.settings;
    let mut s = ws.read_session().await?;
    let through = s.last_kpi_period("", Grain::Day).await?;
    let mut series: BTreeMap<(String, Grain), Series> = BTreeMap::new();
    let mut wanted: Vec<(String, Grain)> = Vec::new();
    for k in okapi_core::catalog::CATALOG {
        if cadence(k.id) == Cadence::RealTime && kpi_info(settings, k.id).is_some() {
            for g in anomaly_grains(k.unit) {
                wanted.push((k.id.to_string(), *g));
            }
        }
    }
    let pairs = settings.insights.pairs.clone();
    for p in &pairs {
        for id in [&p.first, &p.next] {
            wanted.push((id.clone(), Grain::Month));
        }
    }
    for (kpi, grain) in wanted {
        if series.contains_key(&(kpi.clone(), grain)) {
            continue;
        }
        let points = s.kpi_points(&kpi, "", grain).await?;
        series.insert(
            (kpi, grain),
            points
                .into_iter()
                .map(|(start, value)| (start, value.and_then(|t| t.parse::<f64>().ok())))
                .collect(),
        );
    }
    s.commit().await?;
    tracing::debug!(ms = ms(), series = series.len(), "insights: series read");

    let mut anomalies = Vec::new();
    let mut dissonances = Vec::new();
    if let Some(through) = through {
        for ((kpi, grain), values) in &series {
            if *grain == Grain::Month {
                continue;
            }
            let Some(def) = okapi_core::catalog::find(kpi) else {
                continue;
            };
            let kind = series_kind(def.unit);
            let back = match grain {
                Grain::Day => DAYS_JUDGED - 1,
                _ => 7 * WEEKS_JUDGED,
            };
            let from = through.checked_sub_days(Days::new(back)).unwrap_or(through);
            let rule = AnomalyRule::for_series(kind, *grain);
            for a in anomaly::find(values, *grain, kind, &rule, from, through) {
                let up = a.score > 0.0;
                let good = up == (def.direction == Direction::Higher);
                let unit = def.unit.as_str();
                let sentence = format!(
                    "{} was {} {}, against {} usually ({} to {}): {:.1} times its usual spread {} — {} news.",
                    def.name,
                    with_unit(a.value, Some(unit)),
                    period_words(*grain, a.period),
                    with_unit(a.expected, Some(unit)),
                    with_unit(a.low.max(0.0), Some(unit)),
                    with_unit(a.high, Some(unit)),
                    a.score.abs(),
                    if up { "above" } else { "below" },
                    if good { "good" } else { "bad" },
                );
                anomalies.push(AnomalyFinding {
                    id: format!("anomaly:{kpi}:{}:{}", grain.as_str(), a.period),
                    kpi: kpi.clone(),
                    name: def.name.to_string(),
                    grain: *grain,
                    period: a.period,
                    unit: unit.to_string(),
                    value: a.value,
                    expected: a.expected,
                    low: a.low,
                    high: a.high,
                    score: a.score,
                    good,
                    days: Vec::new(),
                    sentence,
                    seen: None,
                });
            }
        }
        anomalies = fold_days(anomalies);
        let from = through
            .with_day(1)
            .and_then(|m| m.checked_sub_months(chrono::Months::new(MONTHS_JUDGED)))
            .unwrap_or(through);
        for p in &pairs {
            let (Some(a), Some(b)) = (
                okapi_core::catalog::find(&p.first),
                okapi_core::catalog::find(&p.next),
            ) else {
                continue;
            };
            let empty = Vec::new();
            let first = series
                .get(&(p.first.clone(), Grain::Month))
                .unwrap_or(&empty);
            let next = series
                .get(&(p.next.clone(), Grain::Month))
                .unwrap_or(&empty);
            for d in dissonance::find(
                Monthly {
                    series: first,
                    direction: a.direction,
                },
                Monthly {
                    series: next,
                    direction: b.direction,
                },
                &DissonanceRule::default(),
                from,
                through,
            ) {
                let verb = |change: f64| if change > 0.0 { "rose" } else { "fell" };
                let sentence = format!(
                    "In {}, {} {} {} (from {} to {}) while {} {} {} (from {} to {}): the gain upstream may be the loss downstream — {} should talk.",
                    d.period.format("%B %Y"),
                    a.name,
                    verb(d.first.change),
                    percent(d.first.change),
                    with_unit(d.first.before, Some(a.unit.as_str())),
                    with_unit(d.first.after, Some(a.unit.as_str())),
                    b.name,
                    verb(d.next.change),
                    percent(d.next.change),
                    with_unit(d.next.before, Some(b.unit.as_str())),
                    with_unit(d.next.after, Some(b.unit.as_str())),
                    p.teams.join(" and "),
                );
                dissonances.push(DissonanceFinding {
                    id: format!("dissonance:{}>{}:{}", p.first, p.next, d.period),
                    period: d.period,
                    first: p.first.clone(),
                    first_name: a.name.to_string(),
                    next: p.next.clone(),
                    next_name: b.name.to_string(),
                    first_move: d.first,
                    next_move: d.next,
                    teams: p.teams.clone(),
                    sentence,
                    seen: None,
                });
            }
        }
    }
    anomalies.sort_by(|x, y| y.period.cmp(&x.period).then(x.kpi.cmp(&y.kpi)));
    dissonances.sort_by_key(|x| std::cmp::Reverse(x.period));

    tracing::debug!(ms = ms(), "insights: anomalies and dissonances found");
    let (cycle, okr_risks) = okr_risks(ws, today).await?;
    tracing::debug!(ms = ms(), "insights: OKR risks found");
    let (customer_risks, slow_phase) = customer_risks(ws).await?;
    tracing::debug!(ms = ms(), "insights: customer risks found");
    let mut found = Insights {
        data_through: through,
        anomalies,
        dissonances,
        cycle,
        okr_risks,
        customer_risks,
        slow_phase,
    };
    crate::findings::annotate(ws, &mut found).await?;
    Ok(found)
}

async fn okr_risks(
    ws: &Workspace,
    today: NaiveDate,
) -> Result<(Option<String>, Vec<OkrRisk>), AppError> {
    let st = match okr_views::status_shared(ws, StatusQuery::default(), today).await {
        Ok(st) => st,
        Err(AppError::Missing(_)) => return Ok((None, Vec::new())),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    if st.cycle.state != okapi_core::okr::CycleState::Active {
        return Ok((Some(st.cycle.key.clone()), out));
    }
    let cadence = i64::from(ws.settings.okrs.checkin_cadence);
    for o in &st.objectives {
        for k in &o.krs {
            let owner = k.owner.clone().or(o.owner.clone());
            if k.at_risk {
                out.push(OkrRisk {
                    id: format!("behind_pace:{}", k.key),
                    seen: None,
                    kind: OkrRiskKind::BehindPace,
                    key: k.key.clone(),
                    title: k.title.clone(),
                    owner: owner.clone(),
                    sentence: format!(
                        "{} ({}) scores {:.2} where {:.2} of its time has passed: behind pace.",
                        k.key, k.title, k.score, k.expected
                    ),
                });
            }
            let days = stale_days(&st.cycle, k.last_checkin, st.on);
            if days > cadence {
                out.push(OkrRisk {
                    id: format!("stale:{}", k.key),
                    seen: None,
                    kind: OkrRiskKind::Stale,
                    key: k.key.clone(),
                    title: k.title.clone(),
                    owner,
                    sentence: match k.last_checkin {
                        Some(t) => format!(
                            "{} ({}) was last checked in on {}, {days} days ago (the cadence is {cadence}).",
                            k.key,
                            k.title,
                            t.date_naive()
                        ),
                        None => format!(
                            "{} ({}) has had no check-in in the {days} days since the cycle began.",
                            k.key, k.title
                        ),
                    },
                });
            }
        }
        if o.committed && !o.krs.is_empty() {
            let pairs: Vec<(f64, f64)> = o
                .krs
                .iter()
                .map(|k| (k.forecast.unwrap_or(k.score), k.weight))
                .collect();
            if let Ok(Some(f)) = okapi_core::scoring::objective_score(&pairs)
                && f < 1.0
            {
                out.push(OkrRisk {
                    id: format!("forecast_below_target:{}", o.key),
                    seen: None,
                    kind: OkrRiskKind::ForecastBelowTarget,
                    key: o.key.clone(),
                    title: o.title.clone(),
                    owner: o.owner.clone(),
                    sentence: format!(
                        "Committed objective {} ({}) is forecast to end at {f:.2}: a commitment must reach 1.0.",
                        o.key, o.title
                    ),
                });
            }
        }
    }
    Ok((Some(st.cycle.key.clone()), out))
}

fn money(v: f64) -> String {
    with_unit(v, Some("money"))
}

/// The customer risks on the data's last day, from the stored views (none
/// before the first refresh, or when the data cannot give a view).
async fn customer_risks(
    ws: &Workspace,
) -> Result<(Vec<CustomerRisk>, Option<SlowPhase>), AppError> {
    use crate::data::{HealthReport, InactiveReport, TtvReport};
    use crate::refresh::views;
    use crate::stored::view;
    use okapi_core::insights::customers::{
        HEALTH_DROP_DAYS, HealthDropRule, StuckRule, health_drops, stuck_onboardings,
    };
    use rust_decimal::prelude::ToPrimitive;

    fn ok<T>(v: Option<Result<T, String>>) -> Option<T> {
        v.and_then(Result::ok)
    }
    let inactive: Option<InactiveReport> = ok(view(ws, views::INACTIVE).await?);
    let health: Option<HealthReport> = ok(view(ws, views::HEALTH).await?);
    let before: Option<HealthReport> = ok(view(ws, views::HEALTH_BEFORE).await?);
    let ttv: Option<TtvReport> = ok(view(ws, views::TTV).await?);
    let mrr_of: BTreeMap<&str, f64> = health
        .iter()
        .flat_map(|h| &h.accounts)
        .map(|a| (a.account_id.as_str(), a.mrr.to_f64().unwrap_or(0.0)))
        .collect();
    let mut out = Vec::new();

    if let Some(r) = &inactive {
        for a in &r.accounts {
            let mrr = a.mrr.to_f64().unwrap_or(0.0);
            let since = a.last_active.clone().unwrap_or_else(|| "never".into());
            out.push(CustomerRisk {
                id: format!("inactive_account:{}:{since}", a.account_id),
                kind: CustomerRiskKind::InactiveAccount,
                account: a.account_id.clone(),
                mrr: Some(mrr),
                days: a.days_since_last_activity.map(|d| d as f64),
                sentence: match (&a.last_active, a.days_since_last_activity) {
                    (Some(last), Some(days)) => format!(
                        "{} pays {} a month and nobody has used the product for {days} days (last active {last}).",
                        a.account_id,
                        money(mrr)
                    ),
                    _ => format!(
                        "{} pays {} a month and nobody has ever used the product.",
                        a.account_id,
                        money(mrr)
                    ),
                },
                seen: None,
            });
        }
    }

    if let (Some(now), Some(before)) = (&health, &before) {
        let score = |r: &HealthReport| -> Vec<(String, f64)> {
            r.accounts
                .iter()
                .map(|a| (a.account_id.clone(), a.score))
                .collect()
        };
        let rule = HealthDropRule {
            min_points: ws.settings.insights.health_drop,
        };
        for d in health_drops(&score(before), &score(now), rule) {
            let mrr = mrr_of.get(d.account.as_str()).copied();
            out.push(CustomerRisk {
                id: format!("health_drop:{}", d.account),
                kind: CustomerRiskKind::HealthDrop,
                account: d.account.clone(),
                mrr,
                days: None,
                sentence: format!(
                    "{}'s health score fell from {:.0} to {:.0} in {HEALTH_DROP_DAYS} days{}.",
                    d.account,
                    d.before,
                    d.now,
                    mrr.map(|m| format!(" ({} a month)", money(m)))
                        .unwrap_or_default()
                ),
                seen: None,
            });
        }
    }

    let mut slow = None;
    if let Some(t) = &ttv {
        // The clock of a stuck onboarding: the end of the data's last day.
        let last = health
            .as_ref()
            .map(|h| h.at)
            .or(inactive.as_ref().map(|i| i.at));
        let rule = StuckRule {
            times_median: ws.settings.insights.stuck_after,
            ..StuckRule::default()
        };
        let mut stuck_in: BTreeMap<String, u64> = BTreeMap::new();
        if let Some(last) = last {
            let now = last
                .succ_opt()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_micros())
                .unwrap_or(i64::MAX);
            // Only the onboardings of accounts paying now (when known).
            let paying = |a: &str| health.is_none() || mrr_of.contains_key(a);
            for s in stuck_onboardings(&t.accounts, now, rule, paying) {
                *stuck_in.entry(s.phase.from.clone()).or_default() += 1;
                let mrr = mrr_of.get(s.account.as_str()).copied();
                out.push(CustomerRisk {
                    id: format!("stuck_onboarding:{}:{}", s.account, s.phase.from),
                    kind: CustomerRiskKind::StuckOnboarding,
                    account: s.account.clone(),
                    mrr,
                    days: Some(s.days),
                    sentence: format!(
                        "{}'s onboarding has waited {:.0} days since {} for {}; that phase usually takes {:.1} days (9 in 10 within {:.1}).",
                        s.account,
                        s.days,
                        s.phase.from,
                        s.phase.to,
                        s.phase.median_days,
                        s.phase.p90_days
                    ),
                    seen: None,
                });
            }
        }
        let total: f64 = t.phases.iter().map(|p| p.mean_days).sum();
        if let Some(p) = t.phases.first()
            && total > 0.0
        {
            let share = p.mean_days / total;
            let stuck = stuck_in.get(&p.from).copied().unwrap_or(0);
            slow = Some(SlowPhase {
                id: format!("slow_phase:{}>{}", p.from, p.to),
                from: p.from.clone(),
                to: p.to.clone(),
                mean_days: p.mean_days,
                share,
                stuck,
                sentence: format!(
                    "Onboarding is slowest from {} to {}: {:.1} days on average, {:.0} % of the time to value{}.",
                    p.from,
                    p.to,
                    p.mean_days,
                    share * 100.0,
                    match stuck {
                        0 => String::new(),
                        1 => "; 1 onboarding is stuck there now".to_string(),
                        n => format!("; {n} onboardings are stuck there now"),
                    }
                ),
                seen: None,
            });
        }
    }
    Ok((out, slow))
}
