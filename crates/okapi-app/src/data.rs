//! The data use cases: checking a data directory, the KPI catalog, KPI
//! values, the MRR bridge, inactive accounts, health scores, time to value
//! and retention cohorts.
//!
//! Each loads what it needs from the data directory (only the tables and
//! event columns its KPIs use) on the blocking thread pool, and returns a
//! typed, serializable report. Rows that break the data model fail the use
//! case with [`crate::Code::InvalidRows`] and every row issue, nothing
//! computed.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use okapi_core::catalog::{self, Direction};
use okapi_core::custom::KpiStatus;
use okapi_core::mrr::{Movement, MrrBridge};
use okapi_core::period::{Grain, Period};
use okapi_core::retention::CohortRow;
use okapi_core::settings::Settings;
use okapi_core::ttv::{AccountTtv, PhaseStat};
use okapi_engine::compute::events::InactiveAccount;
use okapi_engine::compute::{AccountHealth, Engine, KpiReport, Segment};
use okapi_engine::load::quality::TableQuality;
use okapi_engine::load::{Issues, Quarantine};
use okapi_engine::source::{DataDir, DataLocation};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::AppError;
use crate::inputs::{self, DateRange, InactivityWindow, KpiSelection};
use crate::location::Location;

/// Settings and the data they apply to (a directory, or a PostgreSQL
/// schema).
#[derive(Debug, Clone)]
pub struct DataSource {
    pub settings: Arc<Settings>,
    pub data: DataLocation,
    /// Where the events are scanned when not here (a cluster).
    pub events_scanner: Option<Arc<dyn okapi_engine::compute::EventsScanner>>,
}

impl DataSource {
    pub fn new(settings: Settings, data: impl Into<DataLocation>) -> DataSource {
        DataSource {
            settings: Arc::new(settings),
            data: data.into(),
            events_scanner: None,
        }
    }

    /// The same data with its events scanned by `scanner` (a cluster).
    pub fn with_events_scanner(
        mut self,
        scanner: Arc<dyn okapi_engine::compute::EventsScanner>,
    ) -> DataSource {
        self.events_scanner = Some(scanner);
        self
    }

    /// The tables at the data's location, the events scanned where this
    /// source says.
    pub(crate) fn open_dir(&self) -> Result<DataDir, AppError> {
        let mut dir = DataDir::open_location(&self.data)?;
        dir.events_scanner = self.events_scanner.clone();
        Ok(dir)
    }

    /// The settings at `loc` and the data `given` (a directory or a
    /// PostgreSQL URL), else the workspace's.
    pub async fn at(loc: &Location, given: Option<PathBuf>) -> Result<DataSource, AppError> {
        let settings = loc.settings().await?;
        let data = loc.data(&settings, given)?;
        Ok(DataSource::new(settings, data))
    }

    /// The data directory, for what writes files into it; refused when
    /// the data is in a database.
    pub fn dir(&self) -> Result<&std::path::Path, AppError> {
        self.data.dir().ok_or_else(|| {
            AppError::Invalid(format!(
                "the data is in PostgreSQL ({}); load tables there, not through okapi",
                self.data
            ))
        })
    }

    /// Loads what the KPIs `ids` need. Blocking: call inside [`blocking`].
    fn engine(&self, ids: &[String], segment: Option<Segment>) -> Result<Engine, AppError> {
        let dir = self.open_dir()?;
        Ok(Engine::for_kpis(&dir, &self.settings, ids, segment)?)
    }
}

/// Runs `f` on the blocking thread pool of the current runtime.
async fn blocking<T, F>(f: F) -> Result<T, AppError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(f).await?
}

/// The day a report is read on: `at`, else the data's last day.
fn day_or_last(engine: &Engine, at: Option<NaiveDate>) -> Result<NaiveDate, AppError> {
    match at {
        Some(a) => inputs::day("at", a),
        None => engine
            .data_range()
            .map(|(_, last)| last)
            .ok_or_else(|| AppError::Invalid("the data has no dates".into())),
    }
}

/// One entry of the KPI catalog, built-in or custom.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CatalogEntry {
    pub id: String,
    pub name: String,
    /// The journey stage, or `custom (STATUS)` for a custom KPI.
    pub stage: String,
    pub unit: String,
    /// Which way is good (`higher` or `lower`).
    pub direction: Direction,
    /// `b2b`, `b2c` or `both`.
    pub audience: String,
    /// `leading` or `lagging`; empty for a custom KPI.
    pub timing: String,
    pub formula: String,
    /// A custom KPI's governance, from `okapi.toml` (`null` for the
    /// catalog's): who owns it, the question it is meant to raise, where it
    /// is in its lifecycle and when it is reviewed next.
    pub owner: Option<String>,
    pub question: Option<String>,
    pub status: Option<KpiStatus>,
    pub review_date: Option<NaiveDate>,
}

/// The catalog, then the custom KPIs of `settings`.
pub fn catalog(settings: &Settings) -> Vec<CatalogEntry> {
    let builtin = catalog::CATALOG.iter().map(|k| CatalogEntry {
        id: k.id.to_string(),
        name: k.name.to_string(),
        stage: k.stage.as_str().to_string(),
        unit: k.unit.as_str().to_string(),
        direction: k.direction,
        audience: k.audience.as_str().to_string(),
        timing: k.timing.as_str().to_string(),
        formula: k.formula.to_string(),
        owner: None,
        question: None,
        status: None,
        review_date: None,
    });
    let custom = settings.custom_kpis.iter().map(|k| CatalogEntry {
        id: k.id.clone(),
        name: k.name.clone(),
        stage: format!("custom ({})", k.status.as_str()),
        unit: k.unit.as_str().to_string(),
        direction: k.direction,
        audience: "both".into(),
        timing: String::new(),
        formula: k.formula_text(),
        owner: k.owner.clone(),
        question: k.question.clone(),
        status: Some(k.status),
        review_date: k.review_date,
    });
    builtin.chain(custom).collect()
}

/// What `check` found in a data directory.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    /// The quality report of every table.
    pub tables: Vec<TableQuality>,
    /// The first issues in full, and the count of all of them.
    pub issues: Issues,
    /// Rows written to the quarantine file, when one was asked for.
    pub quarantined: Option<u64>,
}

/// Validates every table of the data directory and reports its quality;
/// with `quarantine`, rejected rows are written there with their reasons
/// (the file appears only once the whole directory was read). Invalid rows
/// are the report's content here, not an error.
pub async fn check(src: &DataSource, quarantine: Option<PathBuf>) -> Result<CheckReport, AppError> {
    let src = src.clone();
    blocking(move || {
        let dir = DataDir::open_location(&src.data)?;
        let mut file = quarantine.as_deref().map(Quarantine::create).transpose()?;
        let outcome = okapi_engine::load::check(&dir, src.settings.time_zone, file.as_mut())?;
        let quarantined = file.map(Quarantine::commit).transpose()?;
        Ok(CheckReport {
            tables: outcome.quality,
            issues: outcome.issues,
            quarantined,
        })
    })
    .await
}

/// Which KPIs, over which periods, for which accounts.
#[derive(Debug, Clone)]
pub struct KpiQuery {
    pub kpis: KpiSelection,
    pub grain: Grain,
    pub range: DateRange,
    pub segment: Option<Segment>,
}

/// The values of the KPIs asked, KPI by KPI, period by period.
pub async fn kpis(src: &DataSource, q: KpiQuery) -> Result<KpiReport, AppError> {
    let src = src.clone();
    blocking(move || {
        let engine = src.engine(q.kpis.ids(), q.segment)?;
        let periods = engine.periods(q.grain, q.range.from(), q.range.to())?;
        Ok(engine.kpis(q.kpis.ids(), &periods, q.grain)?)
    })
    .await
}

/// One account's MRR movement in one period.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct NamedMovement {
    pub account_id: String,
    pub movement: Movement,
    pub start_mrr: Decimal,
    pub end_mrr: Decimal,
    /// Positive, contraction and churn included.
    pub amount: Decimal,
}

/// The MRR bridge of one period and, when asked, the accounts behind it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct MrrPeriod {
    pub period: Period,
    pub bridge: MrrBridge,
    pub accounts: Vec<NamedMovement>,
}

/// The MRR bridge per period; with `accounts`, every account's movement.
pub async fn mrr(
    src: &DataSource,
    grain: Grain,
    range: DateRange,
    accounts: bool,
) -> Result<Vec<MrrPeriod>, AppError> {
    let src = src.clone();
    blocking(move || {
        let engine = src.engine(&["mrr".to_string()], None)?;
        let periods = engine.periods(grain, range.from(), range.to())?;
        mrr_of(&engine, periods, accounts)
    })
    .await
}

/// The MRR bridge of `periods` from a loaded engine. Blocking.
pub(crate) fn mrr_of(
    engine: &Engine,
    periods: Vec<Period>,
    accounts: bool,
) -> Result<Vec<MrrPeriod>, AppError> {
    let (bridges, details) = engine.mrr(&periods, accounts)?;
    let mut details = details.into_iter();
    Ok(periods
        .into_iter()
        .zip(bridges)
        .map(|(period, bridge)| {
            let accounts = details
                .next()
                .unwrap_or_default()
                .into_iter()
                .map(|m| NamedMovement {
                    account_id: engine.account_name(m.account).to_string(),
                    movement: m.movement,
                    start_mrr: m.start_mrr,
                    end_mrr: m.end_mrr,
                    amount: m.amount,
                })
                .collect();
            MrrPeriod {
                period,
                bridge,
                accounts,
            }
        })
        .collect())
}

/// Paying accounts without activity in the window ending on a day.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InactiveReport {
    pub at: NaiveDate,
    pub window_days: u32,
    /// Largest MRR first.
    pub accounts: Vec<InactiveAccount>,
}

/// Paying accounts on `at` (default: the data's last day) with no activity
/// in `window` days (default: the workspace's `inactivity_window`).
pub async fn inactive(
    src: &DataSource,
    window: Option<InactivityWindow>,
    at: Option<NaiveDate>,
) -> Result<InactiveReport, AppError> {
    let window = match window {
        Some(w) => w,
        None => InactivityWindow::new(src.settings.inactivity_window)?,
    };
    let src = src.clone();
    blocking(move || {
        let engine = src.engine(&["inactive_accounts".to_string()], None)?;
        inactive_of(&engine, window, at)
    })
    .await
}

/// [`inactive`] from a loaded engine. Blocking.
pub(crate) fn inactive_of(
    engine: &Engine,
    window: InactivityWindow,
    at: Option<NaiveDate>,
) -> Result<InactiveReport, AppError> {
    let at = day_or_last(engine, at)?;
    let accounts = engine.inactive(at, window.days())?;
    Ok(InactiveReport {
        at,
        window_days: window.days(),
        accounts,
    })
}

/// Health scores of the paying accounts on a day.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct HealthReport {
    pub at: NaiveDate,
    /// Lowest score first.
    pub accounts: Vec<AccountHealth>,
}

/// Health scores on `at` (default: the data's last day).
pub async fn health(src: &DataSource, at: Option<NaiveDate>) -> Result<HealthReport, AppError> {
    let src = src.clone();
    blocking(move || {
        let engine = src.engine(&["health_score".to_string()], None)?;
        health_of(&engine, at)
    })
    .await
}

/// [`health`] from a loaded engine. Blocking.
pub(crate) fn health_of(engine: &Engine, at: Option<NaiveDate>) -> Result<HealthReport, AppError> {
    let at = day_or_last(engine, at)?;
    let accounts = engine.health(at)?;
    Ok(HealthReport { at, accounts })
}

/// [`health_of`] on each of `days`, the customers' inputs gathered once.
/// Blocking.
pub(crate) fn health_on_days(
    engine: &Engine,
    days: &[NaiveDate],
) -> Result<Vec<HealthReport>, AppError> {
    for d in days {
        inputs::day("at", *d)?;
    }
    let lists = engine.health_on_days(days)?;
    Ok(days
        .iter()
        .zip(lists)
        .map(|(at, accounts)| HealthReport { at: *at, accounts })
        .collect())
}

/// Time to value: the phases, slowest first, and every account's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct TtvReport {
    pub phases: Vec<PhaseStat>,
    pub accounts: Vec<AccountTtv>,
}

pub async fn ttv(src: &DataSource) -> Result<TtvReport, AppError> {
    let src = src.clone();
    blocking(move || {
        let engine = src.engine(&["time_to_value".to_string()], None)?;
        ttv_of(&engine)
    })
    .await
}

/// [`ttv`] from a loaded engine. Blocking.
pub(crate) fn ttv_of(engine: &Engine) -> Result<TtvReport, AppError> {
    let (accounts, phases) = engine.ttv()?;
    Ok(TtvReport { phases, accounts })
}

/// User retention cohorts: the periods of the data, and per cohort (the
/// index of its first period) the share of its users active k periods on.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct RetentionReport {
    pub periods: Vec<Period>,
    pub cohorts: Vec<CohortRow>,
}

pub async fn retention(src: &DataSource, grain: Grain) -> Result<RetentionReport, AppError> {
    let src = src.clone();
    blocking(move || {
        let engine = src.engine(&["active_users".to_string()], None)?;
        retention_of(&engine, grain)
    })
    .await
}

/// [`retention`] from a loaded engine. Blocking.
pub(crate) fn retention_of(engine: &Engine, grain: Grain) -> Result<RetentionReport, AppError> {
    let periods = engine.periods(grain, None, None)?;
    let cohorts = engine.retention(&periods)?;
    Ok(RetentionReport { periods, cohorts })
}
