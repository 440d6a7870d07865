//! Computing KPIs: an [`Engine`] holds a data directory's loaded tables,
//! the MRR timelines and the events day sets, and answers every report:
//! the KPI table, the MRR bridge, inactive accounts, time to value and
//! retention cohorts.
//!
//! Where the work happens:
//! - revenue (MRR bridge): Rust kernel over subscription rows ([`revenue`]);
//! - events: one streaming Arrow pass into day bitsets ([`events`]);
//! - leads, deals, visits, surveys and custom SQL KPIs: SQL on DataFusion
//!   ([`sql`]);
//! - the formulas: `okapi_core::formulas`.

pub mod events;
pub mod revenue;
pub mod sql;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{
    Array, Date32Array, Decimal128Array, StringArray, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use okapi_core::catalog::{self, Direction, Unit};
use okapi_core::custom::{CustomKpi, Definition};
use okapi_core::data_model::Table;
use okapi_core::formulas::{FormulaContext, KpiValue, Value, evaluate};
use okapi_core::measures::{
    DealMeasures, LeadMeasures, PeriodMeasures, SurveyMeasures, TtvMeasures,
};
use okapi_core::mrr::{AccountMovement, MrrBridge, mrr_bridges};
use okapi_core::period::{DayNum, Grain, Period, date_of, day_num, days_in_month, periods_between};
use okapi_core::settings::Settings;
use okapi_core::timezone::MICROS_PER_DAY;
use okapi_core::ttv::{
    AccountTtv, MilestoneRow, PhaseStat, phase_stats, timelines as ttv_timelines,
};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::error::EngineError;
use crate::load::cells::{MONEY_SCALE, decimal_of};
use crate::load::quality::TableQuality;
pub use crate::load::{CheckOutcome, check};
use crate::load::{Issues, LoadedTable, load_table};
use crate::source::DataDir;
use events::{EventNeeds, EventOptions, EventsScan, InactiveAccount};
use revenue::{Revenue, col};
use sql::Sql;

/// `--segment COLUMN=VALUE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub column: String,
    pub value: String,
}

impl std::str::FromStr for Segment {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('=') {
            Some((c, v)) if !c.trim().is_empty() => Ok(Segment {
                column: c.trim().to_string(),
                value: v.to_string(),
            }),
            _ => Err(format!("segment `{s}` is not COLUMN=VALUE")),
        }
    }
}

/// What [`Engine::for_kpis_cached`] did with the events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventsRefresh {
    /// `full` (every file scanned), `appended` (only new files scanned and
    /// folded into the saved state) or `reused` (nothing new).
    pub mode: EventsMode,
    /// Why, in words.
    pub reason: String,
    /// Files scanned, and files in the table.
    pub files_scanned: u64,
    pub files: u64,
    /// Rows scanned now, and rows in the state.
    pub rows_scanned: u64,
    pub rows: u64,
    /// With `appended`: the first day whose KPI values the new rows can
    /// change — the earliest day of a new row, or the last day of the
    /// events before them if that is earlier (a later last day moves what
    /// is counted as over: onboarding windows, next periods). The values
    /// of periods far enough before it, given how far past its end a
    /// period's KPIs look, are those of the previous state.
    pub changed_from: Option<chrono::NaiveDate>,
}

/// How the events were brought up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum EventsMode {
    Full,
    Appended,
    Reused,
}

/// Scans the events `file` (every part) on every core into one state.
fn scan_events(
    file: &crate::source::SourceFile,
    opts: EventOptions,
    zone: okapi_core::timezone::Zone,
) -> Result<(EventsScan, TableQuality), EngineError> {
    let columns = opts.columns();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (parts, outcome) = crate::load::parallel::scan_parallel(
        file,
        threads,
        Some(&columns),
        zone,
        &|| EventsScan::new(opts.clone()),
        &|scan, b| scan.add(b),
    )?;
    if !outcome.issues.is_empty() {
        return Err(EngineError::InvalidRows(outcome.issues));
    }
    let mut parts = parts.into_iter();
    let Some(first) = parts.next() else {
        return Err(EngineError::File {
            file: file.display_name(),
            reason: "no rows could be read".into(),
        });
    };
    let (mut scan, mut q) = (first.sink, first.quality);
    for p in parts {
        scan.merge(p.sink);
        q.merge_following(p.quality);
    }
    scan.finish();
    scan.check().map_err(|e| EngineError::File {
        file: file.display_name(),
        reason: e.to_string(),
    })?;
    Ok((scan, q.finish()))
}

/// The events of `file` brought up to date from the state saved in
/// `cache`: only files not folded into it yet are scanned, unless a file
/// folded in changed or is gone (then all are). Saves the new state.
fn scan_events_cached(
    file: &crate::source::SourceFile,
    root: &std::path::Path,
    opts: EventOptions,
    cache: &std::path::Path,
    remote: Option<&dyn EventsScanner>,
) -> Result<(EventsScan, EventsRefresh), EngineError> {
    use events::state::{self, FileStamp, Meta};
    let files = file.files();
    let mut stamps = Vec::with_capacity(files.len());
    for f in &files {
        let name = f
            .path
            .strip_prefix(root)
            .unwrap_or(&f.path)
            .to_string_lossy()
            .into_owned();
        stamps.push(FileStamp::of(&f.path, name)?);
    }
    let zone = opts.zone;
    let key = state::settings_key(&opts);
    let started = std::time::Instant::now();
    let ms = || started.elapsed().as_millis() as u64;
    let (saved, none_why) = match state::load(cache, &opts) {
        Ok(s) => (s, "no saved state for these settings"),
        Err(e) => {
            tracing::warn!("{e}");
            (None, "the saved state could not be read")
        }
    };
    let (base, new, mode, reason): (Option<EventsScan>, Vec<usize>, EventsMode, String) =
        match saved {
            None => (
                None,
                (0..files.len()).collect(),
                EventsMode::Full,
                none_why.into(),
            ),
            Some((meta, scan)) => {
                let current: HashMap<&str, &FileStamp> =
                    stamps.iter().map(|s| (s.name.as_str(), s)).collect();
                match meta
                    .files
                    .iter()
                    .find(|s| current.get(s.name.as_str()) != Some(s))
                {
                    Some(gone) => (
                        None,
                        (0..files.len()).collect(),
                        EventsMode::Full,
                        if current.contains_key(gone.name.as_str()) {
                            format!("{} changed", gone.name)
                        } else {
                            format!("{} was removed", gone.name)
                        },
                    ),
                    None => {
                        let known: HashSet<&str> =
                            meta.files.iter().map(|s| s.name.as_str()).collect();
                        let new: Vec<usize> = stamps
                            .iter()
                            .enumerate()
                            .filter(|(_, s)| !known.contains(s.name.as_str()))
                            .map(|(i, _)| i)
                            .collect();
                        let (mode, reason) = if new.is_empty() {
                            (EventsMode::Reused, "no new events file".to_string())
                        } else {
                            let names: Vec<&str> = new
                                .iter()
                                .filter_map(|&i| stamps.get(i))
                                .map(|s| s.name.as_str())
                                .take(3)
                                .collect();
                            let more = new.len().saturating_sub(names.len());
                            (
                                EventsMode::Appended,
                                format!(
                                    "{} new file(s): {}{}",
                                    new.len(),
                                    names.join(", "),
                                    if more > 0 {
                                        format!(" and {more} more")
                                    } else {
                                        String::new()
                                    }
                                ),
                            )
                        };
                        (Some(scan), new, mode, reason)
                    }
                }
            }
        };
    tracing::debug!(ms = ms(), "events: saved state loaded");
    let mut scan = base.unwrap_or_else(|| EventsScan::new(opts.clone()));
    let before = scan.rows();
    let mut changed_from = None;
    if !new.is_empty() {
        // A single file is scanned as it is; new files of a partitioned
        // table as a table of their own.
        let part = if file.parts.is_empty() {
            file.clone()
        } else {
            crate::source::SourceFile {
                table: file.table,
                path: file.path.clone(),
                format: file.format,
                database: None,
                accounts: None,
                parts: new
                    .iter()
                    .filter_map(|&i| files.get(i))
                    .map(|f| f.path.clone())
                    .collect(),
            }
        };
        let fresh = match remote {
            Some(r) => r.scan(&part, opts)?,
            None => scan_events(&part, opts, zone)?.0,
        };
        if mode == EventsMode::Appended {
            let old_last = scan.day_range().map(|(_, last)| last);
            let new_first = fresh.day_range().map(|(first, _)| first);
            changed_from = match (new_first, old_last) {
                (Some(n), Some(o)) => Some(n.min(o)),
                (n, o) => n.or(o),
            }
            .map(okapi_core::period::date_of);
        }
        scan.merge(fresh);
    }
    scan.finish();
    scan.check().map_err(|e| EngineError::File {
        file: file.display_name(),
        reason: e.to_string(),
    })?;
    if mode != EventsMode::Reused {
        let meta = Meta {
            version: state::VERSION,
            settings: key,
            files: stamps,
            rows: scan.rows(),
            ts_range: scan.ts_range(),
        };
        tracing::debug!(ms = ms(), files = new.len(), "events: new files scanned");
        state::save(&scan, &meta, cache)?;
        tracing::debug!(ms = ms(), "events: state saved");
    }
    let reason = match remote {
        Some(r) if mode != EventsMode::Reused => format!("{reason}; scanned on {}", r.describe()),
        _ => reason,
    };
    let report = EventsRefresh {
        mode,
        reason,
        files_scanned: if mode == EventsMode::Full {
            files.len() as u64
        } else {
            new.len() as u64
        },
        files: files.len() as u64,
        rows_scanned: scan
            .rows()
            .saturating_sub(if mode == EventsMode::Full { 0 } else { before }),
        rows: scan.rows(),
        changed_from,
    };
    Ok((scan, report))
}

/// Scans the events somewhere other than this machine's cores (a
/// cluster): given the events table and what to look for, the finished
/// scan, exactly as a local scan would give it. Set on
/// [`crate::source::DataDir::events_scanner`].
pub trait EventsScanner: Send + Sync + std::fmt::Debug {
    fn scan(
        &self,
        file: &crate::source::SourceFile,
        opts: EventOptions,
    ) -> Result<EventsScan, EngineError>;

    /// Where it scans, for reports (`the cluster at host:port`).
    fn describe(&self) -> String;
}

/// A loaded data directory, ready to answer reports.
pub struct Engine {
    pub settings: Settings,
    pub tables: HashMap<Table, LoadedTable>,
    pub quality: Vec<TableQuality>,
    pub revenue: Revenue,
    pub events: Option<EventsScan>,
    segment: Option<Segment>,
    /// Accounts in the segment, when one is set.
    segment_accounts: Option<Arc<HashSet<String>>>,
    first_day: Option<DayNum>,
    last_day: Option<DayNum>,
    /// Whether `health_score` can be computed (its event state was kept).
    health_wanted: bool,
    /// Mean health scores known from before, by day, not computed again
    /// ([`Engine::reuse_health_means`]).
    known_health: HashMap<DayNum, f64>,
}

impl Engine {
    /// Loads the `tables` of `dir` that exist (subscriptions always),
    /// refusing any invalid row, restricted to `segment`.
    pub fn open(
        dir: &DataDir,
        settings: &Settings,
        tables: &[Table],
        segment: Option<Segment>,
    ) -> Result<Engine, EngineError> {
        Engine::open_with(dir, settings, tables, segment, EventNeeds::ALL)
    }

    /// Loads what the KPIs `ids` (built-in or custom) need, and no more:
    /// their tables, and of the events only the columns and state their
    /// kernels use.
    pub fn for_kpis(
        dir: &DataDir,
        settings: &Settings,
        ids: &[String],
        segment: Option<Segment>,
    ) -> Result<Engine, EngineError> {
        let builtin = builtin_closure(settings, ids);
        let needs = match builtin {
            Some(set) => EventNeeds::for_kpis(set.iter().map(|s| s.as_str())),
            None => EventNeeds::ALL,
        };
        Engine::open_with(dir, settings, &tables_for(settings, ids), segment, needs)
    }

    /// [`Engine::for_kpis`] over the whole data (no segment), with the
    /// events scan's state kept in `cache` between calls: only the events
    /// files added since the state was saved are scanned (see
    /// [`events::state`]); a file changed or removed, other settings, or no
    /// state means a full scan. Says what it scanned and why. The events'
    /// quality report is not produced on this path.
    pub fn for_kpis_cached(
        dir: &DataDir,
        settings: &Settings,
        ids: &[String],
        cache: &std::path::Path,
    ) -> Result<(Engine, Option<EventsRefresh>), EngineError> {
        let builtin = builtin_closure(settings, ids);
        let needs = match builtin {
            Some(set) => EventNeeds::for_kpis(set.iter().map(|s| s.as_str())),
            None => EventNeeds::ALL,
        };
        let mut refresh = None;
        let engine = Engine::open_inner(
            dir,
            settings,
            &tables_for(settings, ids),
            None,
            needs,
            Some((cache, &mut refresh)),
        )?;
        Ok((engine, refresh))
    }

    /// [`Engine::open`] keeping only `needs` of the events.
    pub fn open_with(
        dir: &DataDir,
        settings: &Settings,
        tables: &[Table],
        segment: Option<Segment>,
        needs: EventNeeds,
    ) -> Result<Engine, EngineError> {
        Engine::open_inner(dir, settings, tables, segment, needs, None)
    }

    fn open_inner(
        dir: &DataDir,
        settings: &Settings,
        tables: &[Table],
        segment: Option<Segment>,
        needs: EventNeeds,
        cache: Option<(&std::path::Path, &mut Option<EventsRefresh>)>,
    ) -> Result<Engine, EngineError> {
        // The events, read from the saved state or scanned; for a segment,
        // only its accounts' (known from the other tables).
        let events_of = |segment_accounts: Option<Arc<HashSet<String>>>| -> Result<
            (Option<EventsScan>, Option<TableQuality>),
            EngineError,
        > {
            let Some(file) = dir.get(Table::Events).filter(|_| tables.contains(&Table::Events))
            else {
                return Ok((None, None));
            };
            let mut opts = EventOptions::from_settings(settings, needs);
            opts.accounts = segment_accounts;
            match (&dir.events_scanner, cache) {
                // The saved state is kept here; a cluster scans the files
                // it lacks.
                (remote, Some((cache, report))) if opts.accounts.is_none() => {
                    let (scan, r) =
                        scan_events_cached(file, &dir.root, opts, cache, remote.as_deref())?;
                    *report = Some(r);
                    Ok((Some(scan), None))
                }
                (Some(remote), _) => Ok((Some(remote.scan(file, opts)?), None)),
                _ => {
                    // A database reads a segment's events alone, when it
                    // can say where the whole table's events begin and
                    // end (the KPIs read those from the whole table).
                    let mut file = file.clone();
                    let mut whole = None;
                    if file.database.is_some()
                        && opts.accounts.is_some()
                        && let Some(range) = crate::postgres::instant_range(&file, "ts")?
                    {
                        file.accounts = opts.accounts.clone();
                        whole = Some(range);
                    }
                    let (mut scan, q) = scan_events(&file, opts, settings.time_zone)?;
                    if let Some(range) = whole {
                        scan.set_ts_range(range);
                    }
                    Ok((Some(scan), Some(q)))
                }
            }
        };
        let (loaded, mut quality, segment_accounts, (events, events_quality)) = match &segment {
            // The other tables are read beside the events (a table's bad
            // rows are reported first, as when read one after the other).
            None => {
                let (tables, events) = std::thread::scope(|s| {
                    let tables = s.spawn(|| load_tables(dir, settings, tables, false));
                    let events = events_of(None);
                    (
                        tables
                            .join()
                            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                        events,
                    )
                });
                let (loaded, quality) = tables?;
                (loaded, quality, None, events?)
            }
            Some(s) => {
                let (loaded, quality) = load_tables(dir, settings, tables, true)?;
                let accounts = Arc::new(segment_accounts(&loaded, s)?);
                let events = events_of(Some(accounts.clone()))?;
                (loaded, quality, Some(accounts), events)
            }
        };
        quality.extend(events_quality);
        let plan = segment
            .as_ref()
            .filter(|s| s.column == "plan")
            .map(|s| s.value.clone());
        let subs = loaded
            .get(&Table::Subscriptions)
            .map(|t| t.batches.as_slice())
            .unwrap_or(&[]);
        let revenue = Revenue::from_batches(subs, &|account, row_plan| match (
            &plan,
            &segment_accounts,
        ) {
            (Some(p), _) => row_plan == Some(p.as_str()),
            (None, Some(set)) => set.contains(account),
            (None, None) => true,
        })?;
        let mut engine = Engine {
            settings: settings.clone(),
            tables: loaded,
            quality,
            revenue,
            events,
            segment,
            segment_accounts,
            first_day: None,
            last_day: None,
            health_wanted: needs.pairs && needs.account_activity,
            known_health: HashMap::new(),
        };
        engine.restrict_to_segment()?;
        engine.compute_range();
        Ok(engine)
    }

    /// Keeps only the segment's rows in account-bearing tables.
    fn restrict_to_segment(&mut self) -> Result<(), EngineError> {
        let Some(set) = self.segment_accounts.clone() else {
            return Ok(());
        };
        for (table, t) in self.tables.iter_mut() {
            if matches!(table, Table::Subscriptions | Table::Accounts) {
                continue;
            }
            if table.column("account_id").is_none() {
                continue;
            }
            let mut kept = Vec::new();
            for b in &t.batches {
                let Some(acc) = col::<StringArray>(b, "account_id") else {
                    continue;
                };
                let mask: datafusion::arrow::array::BooleanArray = (0..b.num_rows())
                    .map(|i| Some(acc.is_valid(i) && set.contains(acc.value(i))))
                    .collect();
                kept.push(datafusion::arrow::compute::filter_record_batch(b, &mask)?);
            }
            t.batches = kept;
        }
        Ok(())
    }

    /// The data's first and last day: every date and timestamp column of
    /// the loaded tables (timestamps as days in the workspace zone), the
    /// events' days, and for subscriptions the last day paid (`end_date − 1`).
    fn compute_range(&mut self) {
        let mut first: Option<DayNum> = None;
        let mut last: Option<DayNum> = None;
        let mut see = |d: DayNum| {
            first = Some(first.map_or(d, |f| f.min(d)));
            last = Some(last.map_or(d, |l| l.max(d)));
        };
        let zone = self.settings.time_zone;
        for t in self.tables.values() {
            for b in &t.batches {
                for (field, column) in b.schema().fields().iter().zip(b.columns()) {
                    if let Some(ts) = column.as_any().downcast_ref::<TimestampMicrosecondArray>() {
                        let (lo, hi) = (
                            datafusion::arrow::compute::min(ts),
                            datafusion::arrow::compute::max(ts),
                        );
                        if let (Some(lo), Some(hi)) = (lo, hi) {
                            see(zone.day_of(lo));
                            see(zone.day_of(hi));
                        }
                    } else if let Some(d) = column.as_any().downcast_ref::<Date32Array>() {
                        let shift = if field.name() == "end_date" { 1 } else { 0 };
                        if let (Some(lo), Some(hi)) = (
                            datafusion::arrow::compute::min(d),
                            datafusion::arrow::compute::max(d),
                        ) {
                            // The earliest end date never starts the data.
                            if shift == 0 {
                                see(lo);
                            }
                            see(hi - shift);
                        }
                    }
                }
            }
        }
        if let Some((lo, hi)) = self.events.as_ref().and_then(|e| e.day_range()) {
            see(lo);
            see(hi);
        }
        self.first_day = first;
        self.last_day = last;
    }

    /// The first and last day of the data.
    pub fn data_range(&self) -> Option<(NaiveDate, NaiveDate)> {
        Some((date_of(self.first_day?), date_of(self.last_day?)))
    }

    /// The periods from the one containing `from` (default: the data's
    /// first day) to the one containing `to` (default: its last day);
    /// refused outside the date window or beyond
    /// [`okapi_core::period::MAX_PERIODS`].
    pub fn periods(
        &self,
        grain: Grain,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<Period>, EngineError> {
        let (df, dt) = self.data_range().unzip();
        // A bound given alone still selects its own period when the data
        // lies entirely on its other side.
        let from = from.or(df.map(|d| to.map_or(d, |t| d.min(t))));
        let to = to.or(dt.map(|d| from.map_or(d, |f| d.max(f))));
        match (from, to) {
            (Some(f), Some(t)) => Ok(periods_between(grain, f, t)?),
            _ => Ok(Vec::new()),
        }
    }

    /// Takes the mean health score of the customers on each of these
    /// days as known: `health_score` of a period ending on one of them is
    /// this value, not computed again. A day's health reads the data up to
    /// that day only, so after an append the days before the new events'
    /// [`EventsRefresh::changed_from`] keep the means a previous
    /// computation of the same other tables and settings gave (a refresh
    /// passes its stored daily `health_score`). The caller answers for
    /// that; a day given here that the data changed gets a wrong mean.
    pub fn reuse_health_means(&mut self, means: impl IntoIterator<Item = (NaiveDate, f64)>) {
        self.known_health
            .extend(means.into_iter().map(|(d, m)| (day_num(d), m)));
    }

    /// The start of the first period of `grain` whose KPIs can differ
    /// when events from day `changed` on are added (see
    /// [`EventsRefresh::changed_from`]); every period before it keeps its
    /// values. A period's value reads events up to its end, and further:
    /// `user_retention` reads the next period, and the onboarding rate the
    /// 14 days after a first event, counted once they are over by the last
    /// event ([`events::LOOK_AHEAD_DAYS`]). So the first period to
    /// recompute is the one before the period holding `changed` less that
    /// look-ahead. The other tables are the same as before (the caller
    /// checks); a custom SQL KPI can read any period and is not covered.
    pub fn recompute_from(grain: Grain, changed: NaiveDate) -> NaiveDate {
        let reach = changed
            .checked_sub_days(chrono::Days::new(events::LOOK_AHEAD_DAYS))
            .unwrap_or(changed);
        Period::containing(grain, reach).previous().start
    }

    /// The MRR bridge per period and, with `accounts`, every movement.
    pub fn mrr(
        &self,
        periods: &[Period],
        accounts: bool,
    ) -> Result<(Vec<MrrBridge>, Vec<Vec<AccountMovement>>), EngineError> {
        Ok(mrr_bridges(&self.revenue.timelines, periods, accounts)?)
    }

    /// The id of the account at `index` in the MRR movements; empty for
    /// an index they never give (there is no such account).
    pub fn account_name(&self, index: u32) -> &str {
        self.revenue
            .accounts
            .get(index as usize)
            .map_or("", |a| a.as_str())
    }

    /// Paying accounts on `at` with no activity in `window` days.
    pub fn inactive(
        &self,
        at: NaiveDate,
        window: u32,
    ) -> Result<Vec<InactiveAccount>, EngineError> {
        let scan = self.events.as_ref().ok_or_else(|| EngineError::File {
            file: "events".into(),
            reason: "no events table in the data directory".into(),
        })?;
        Ok(scan.inactive(&self.revenue, day_num(at), window)?)
    }

    /// Time to value per account and mean days per phase, slowest first.
    pub fn ttv(&self) -> Result<(Vec<AccountTtv>, Vec<PhaseStat>), EngineError> {
        let t = self
            .tables
            .get(&Table::Milestones)
            .ok_or_else(|| EngineError::File {
                file: "milestones".into(),
                reason: "no milestones table in the data directory".into(),
            })?;
        let timelines = self.ttv_timelines(t);
        let phases = phase_stats(&timelines);
        Ok((timelines, phases))
    }

    fn ttv_timelines(&self, t: &LoadedTable) -> Vec<AccountTtv> {
        let mut rows = Vec::new();
        for b in &t.batches {
            let (Some(a), Some(m), Some(at)) = (
                col::<StringArray>(b, "account_id"),
                col::<StringArray>(b, "milestone"),
                col::<TimestampMicrosecondArray>(b, "at"),
            ) else {
                continue;
            };
            for i in 0..b.num_rows() {
                rows.push(MilestoneRow {
                    account: a.value(i).to_string(),
                    milestone: m.value(i).to_string(),
                    at: at.value(i),
                });
            }
        }
        let mut created = HashMap::new();
        if let Some(acc) = self.tables.get(&Table::Accounts) {
            for b in &acc.batches {
                if let (Some(a), Some(c)) = (
                    col::<StringArray>(b, "account_id"),
                    col::<TimestampMicrosecondArray>(b, "created_at"),
                ) {
                    for i in 0..b.num_rows() {
                        created.insert(a.value(i).to_string(), c.value(i));
                    }
                }
            }
        }
        ttv_timelines(
            &rows,
            &created,
            &self.settings.ttv_start_milestone,
            &self.settings.ttv_first_value_milestone,
        )
    }

    /// Why a table-based group is absent under the current segment.
    fn unsegmentable(&self, table: Table) -> Option<String> {
        self.segment.as_ref().map(|s| {
            format!(
                "{table} cannot be restricted to segment {}={}",
                s.column, s.value
            )
        })
    }

    /// Every base measure of every period.
    pub fn measures(
        &self,
        periods: &[Period],
        grain: Grain,
    ) -> Result<Vec<PeriodMeasures>, EngineError> {
        let mut all = self.measures_by_grain(&[(grain, periods)])?;
        Ok(all.pop().unwrap_or_default())
    }

    /// Every base measure of every period of each set of periods of one
    /// grain. What does not depend on the grain — each customer's health
    /// inputs, the daily actives, the time-to-value timelines, spend by
    /// month — is worked out once for all the sets.
    pub fn measures_by_grain(
        &self,
        sets: &[(Grain, &[Period])],
    ) -> Result<Vec<Vec<PeriodMeasures>>, EngineError> {
        let started = std::time::Instant::now();
        let ms = || started.elapsed().as_millis() as u64;
        // The mean health on the last day of every period of every set,
        // each day once (a week's last day is also a day's): on a thread
        // of its own while the other measures are worked out.
        let health_means = || {
            let scan = self.events.as_ref().filter(|_| self.health_wanted)?;
            let means = self
                .with_health_accounts(scan, |accounts| {
                    tracing::debug!(ms = ms(), "measures: health inputs per customer");
                    let mut days: Vec<DayNum> = sets
                        .iter()
                        .flat_map(|(_, ps)| ps.iter().map(|p| day_num(p.last_day())))
                        .collect();
                    days.sort_unstable();
                    days.dedup();
                    // Days whose mean is known are not computed again.
                    days.retain(|d| !self.known_health.contains_key(d));
                    let means = mean_health_on(accounts, &days, &self.settings.health);
                    let mut all: HashMap<DayNum, Option<f64>> =
                        days.into_iter().zip(means).collect();
                    all.extend(self.known_health.iter().map(|(d, m)| (*d, Some(*m))));
                    all
                })
                .map_err(|e| e.to_string());
            tracing::debug!(ms = ms(), "measures: mean health on the periods' last days");
            Some(means)
        };
        let others = || -> Result<Vec<Vec<PeriodMeasures>>, EngineError> {
            let spend = self.tables.get(&Table::Spend).map(spend_by_month);
            let ttv = self
                .tables
                .get(&Table::Milestones)
                .map(|t| self.ttv_timelines(t));
            tracing::debug!(ms = ms(), "measures: spend and time-to-value timelines");
            let daily = self.events.as_ref().map(|scan| scan.daily());
            tracing::debug!(ms = ms(), "measures: daily actives");
            let totals = self.day_totals(sets)?;
            tracing::debug!(ms = ms(), "measures: the other tables' totals per day");
            let shared = Shared {
                spend: spend.as_deref(),
                ttv: ttv.as_deref(),
                daily: daily.as_ref(),
                totals: &totals,
            };
            sets.iter()
                .map(|(grain, periods)| {
                    let m = self.measures_with(periods, *grain, &shared);
                    tracing::debug!(ms = ms(), %grain, periods = periods.len(), "measures: grain");
                    m
                })
                .collect()
        };
        let (health, others) = std::thread::scope(|s| {
            let health = s.spawn(health_means);
            let others = others();
            (
                health
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                others,
            )
        });
        let mut all = others?;
        if let Some(means) = health {
            for ((_, periods), out) in sets.iter().zip(all.iter_mut()) {
                for (p, m) in periods.iter().zip(out.iter_mut()) {
                    m.health = match &means {
                        Ok(means) => Ok(means.get(&day_num(p.last_day())).copied().flatten()),
                        Err(e) => Err(e.clone()),
                    };
                }
            }
        }
        Ok(all)
    }

    /// The measures of `periods` of `grain`, with the parts shared by all
    /// grains in `shared`.
    fn measures_with(
        &self,
        periods: &[Period],
        grain: Grain,
        shared: &Shared<'_>,
    ) -> Result<Vec<PeriodMeasures>, EngineError> {
        let started = std::time::Instant::now();
        let (bridges, _) = self.mrr(periods, false)?;
        let mut out: Vec<PeriodMeasures> = bridges
            .into_iter()
            .map(|b| PeriodMeasures {
                revenue: Ok(b),
                ..PeriodMeasures::missing()
            })
            .collect();
        // The additive measures: each period's days summed (a count or a
        // sum over a period is the sum of its days').
        let index = okapi_core::period::PeriodIndex::new(periods);
        let fill = |name: &str| -> Vec<Vec<i128>> {
            let mut rows: Vec<Vec<i128>> = vec![Vec::new(); periods.len()];
            for (day, values) in shared.totals.get(name).into_iter().flatten() {
                let Some(row) = index.of(*day).and_then(|i| rows.get_mut(i)) else {
                    continue;
                };
                if row.len() < values.len() {
                    row.resize(values.len(), 0);
                }
                for (sum, v) in row.iter_mut().zip(values) {
                    *sum = sum.saturating_add(*v);
                }
            }
            rows
        };
        // Value `k` of period `i` of a `fill`; 0 for a period without a row.
        let at = |v: &[Vec<i128>], i: usize, k: usize| {
            v.get(i).and_then(|row| row.get(k)).copied().unwrap_or(0)
        };
        if self.tables.contains_key(&Table::Leads) {
            let leads = fill("leads");
            let signups = fill("signups");
            let mqls = fill("mqls");
            let pqls = fill("pqls");
            let converted = fill("converted");
            let pql_converted = fill("pql_converted");
            let pql_time = fill("pql_time");
            let trial = fill("trial");
            for (i, m) in out.iter_mut().enumerate() {
                m.leads = Ok(LeadMeasures {
                    leads: at(&leads, i, 0) as u64,
                    signups: at(&signups, i, 0) as u64,
                    mqls: at(&mqls, i, 0) as u64,
                    pqls: at(&pqls, i, 0) as u64,
                    converted: at(&converted, i, 0) as u64,
                    pql_converted: at(&pql_converted, i, 0) as u64,
                    pql_time_n: at(&pql_time, i, 0) as u64,
                    pql_time_us: at(&pql_time, i, 1),
                    trial_time_n: at(&trial, i, 0) as u64,
                    trial_time_us: at(&trial, i, 1),
                });
            }
        }
        if self.tables.contains_key(&Table::Deals) {
            let won = fill("won");
            let renewals = fill("renewals");
            for (i, m) in out.iter_mut().enumerate() {
                m.deals = Ok(DealMeasures {
                    won: at(&won, i, 0) as u64,
                    // A sum past a Decimal's digits loses decimal places, never
                    // its whole part (10,000 deals of 10^15 add up exactly).
                    won_amount: Some(decimal_of(at(&won, i, 1))),
                    won_cycle_us: at(&won, i, 2),
                    renewals_won: at(&renewals, i, 0) as u64,
                    renewals_lost: at(&renewals, i, 1) as u64,
                });
            }
        }
        if self.tables.contains_key(&Table::Visits) {
            match self.unsegmentable(Table::Visits) {
                Some(reason) => out
                    .iter_mut()
                    .for_each(|m| m.visitors = Err(reason.clone())),
                None => {
                    // Distinct visitors do not add up over days: one query
                    // per grain.
                    let sql = Sql::new(
                        self.tables.get(&Table::Visits),
                        grain,
                        self.settings.time_zone,
                    )?;
                    let mut rows = sql.by_period(&format!(
                        "SELECT okapi_period(ts), COUNT(DISTINCT visitor_id) FROM visits \
                         WHERE ts IS NOT NULL{} GROUP BY 1",
                        within_days(periods, "ts")
                    ))?;
                    for (p, m) in periods.iter().zip(out.iter_mut()) {
                        let n = rows.remove(&p.start_num()).unwrap_or_default();
                        m.visitors = Ok(n.first().copied().unwrap_or(0) as u64);
                    }
                }
            }
        }
        if self.tables.contains_key(&Table::Surveys) {
            let s = fill("surveys");
            for (i, m) in out.iter_mut().enumerate() {
                m.surveys = Ok(SurveyMeasures {
                    nps_responses: at(&s, i, 0) as u64,
                    nps_promoters: at(&s, i, 1) as u64,
                    nps_detractors: at(&s, i, 2) as u64,
                    csat_responses: at(&s, i, 3) as u64,
                    csat_satisfied: at(&s, i, 4) as u64,
                });
            }
        }
        if let Some(months) = shared.spend {
            match self.unsegmentable(Table::Spend) {
                Some(reason) => out.iter_mut().for_each(|m| {
                    m.spend = Err(reason.clone());
                    m.spend_previous = Err(reason.clone());
                }),
                None => {
                    for (p, m) in periods.iter().zip(out.iter_mut()) {
                        m.spend = spend_in(months, p);
                        m.spend_previous = spend_in(months, &p.previous());
                    }
                }
            }
        }
        if let Some(timelines) = shared.ttv {
            match self.ttv_by_period(timelines, periods) {
                Ok(ttv) => {
                    for (m, t) in out.iter_mut().zip(ttv) {
                        m.ttv = Ok(t);
                    }
                }
                Err(reason) => out.iter_mut().for_each(|m| m.ttv = Err(reason.clone())),
            }
        }
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "measures: revenue and the other tables' queries"
        );
        if let Some(scan) = &self.events {
            let em = match shared.daily {
                Some(Ok(daily)) => scan.measures_with(
                    periods,
                    &self.revenue,
                    self.settings.inactivity_window,
                    daily,
                ),
                Some(Err(e)) => Err(*e),
                None => scan.measures(periods, &self.revenue, self.settings.inactivity_window),
            };
            match em {
                Ok(em) => {
                    for (m, e) in out.iter_mut().zip(em) {
                        m.events = Ok(e);
                    }
                }
                Err(e) => out.iter_mut().for_each(|m| m.events = Err(e.to_string())),
            }
        }
        Ok(out)
    }

    /// The additive measures of leads, deals and surveys (counts, and sums
    /// of amounts and of times between two steps) per day of the
    /// workspace's time zone, over the days of every set's periods: each
    /// query runs once for all grains, and each grain's periods sum their
    /// days ([`Engine::measures_by_grain`]).
    fn day_totals(&self, sets: &[(Grain, &[Period])]) -> Result<DayTotals, EngineError> {
        let mut totals = DayTotals::new();
        let first = sets
            .iter()
            .filter_map(|(_, ps)| ps.first())
            .min_by_key(|p| p.start);
        let last = sets
            .iter()
            .filter_map(|(_, ps)| ps.last())
            .max_by_key(|p| p.end());
        let (Some(first), Some(last)) = (first, last) else {
            return Ok(totals);
        };
        let wanted = [Table::Leads, Table::Deals, Table::Surveys];
        if !wanted.iter().any(|t| self.tables.contains_key(t)) {
            return Ok(totals);
        }
        let span = [*first, *last];
        let within = |c: &str| within_days(&span, c);
        let mut queries: Vec<(&'static str, String)> = Vec::new();
        if self.tables.contains_key(&Table::Leads) {
            let count = |c: &str| {
                format!(
                    "SELECT okapi_period({c}), COUNT(*) FROM leads WHERE {c} IS NOT NULL{} GROUP BY 1",
                    within(c)
                )
            };
            queries.push(("leads", count("created_at")));
            queries.push(("signups", count("signup_at")));
            queries.push(("mqls", count("mql_at")));
            queries.push(("pqls", count("pql_at")));
            queries.push(("converted", count("customer_at")));
            queries.push((
                "pql_converted",
                format!(
                    "SELECT okapi_period(customer_at), COUNT(*) FROM leads \
                     WHERE customer_at IS NOT NULL AND pql_at IS NOT NULL AND pql_at <= customer_at{} \
                     GROUP BY 1",
                    within("customer_at")
                ),
            ));
            let span = |to: &str, from: &str| {
                format!(
                    "SELECT okapi_period({to}), COUNT(*), SUM(CAST(CAST({to} AS BIGINT) - CAST({from} AS BIGINT) AS DECIMAL(38,0))) \
                     FROM leads WHERE {to} IS NOT NULL AND {from} IS NOT NULL{} GROUP BY 1",
                    within(to)
                )
            };
            queries.push(("pql_time", span("pql_at", "signup_at")));
            queries.push(("trial", span("customer_at", "signup_at")));
        }
        if self.tables.contains_key(&Table::Deals) {
            // Deal size and cycle: new business only; renewals and
            // expansions have their own size and timing.
            queries.push((
                "won",
                format!(
                    "SELECT okapi_period(closed_at), COUNT(*), SUM(amount), \
                     SUM(CAST(CAST(closed_at AS BIGINT) - CAST(created_at AS BIGINT) AS DECIMAL(38,0))) \
                     FROM deals WHERE kind = 'new' AND status = 'won' AND closed_at IS NOT NULL{} GROUP BY 1",
                    within("closed_at")
                ),
            ));
            queries.push((
                "renewals",
                format!(
                    "SELECT okapi_period(closed_at), SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), \
                     SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END) \
                     FROM deals WHERE kind = 'renewal' AND closed_at IS NOT NULL{} GROUP BY 1",
                    within("closed_at")
                ),
            ));
        }
        if self.tables.contains_key(&Table::Surveys) {
            queries.push((
                "surveys",
                format!(
                    "SELECT okapi_period(responded_at), \
                     SUM(CASE WHEN kind = 'nps' THEN 1 ELSE 0 END), \
                     SUM(CASE WHEN kind = 'nps' AND score >= 9 THEN 1 ELSE 0 END), \
                     SUM(CASE WHEN kind = 'nps' AND score <= 6 THEN 1 ELSE 0 END), \
                     SUM(CASE WHEN kind = 'csat' THEN 1 ELSE 0 END), \
                     SUM(CASE WHEN kind = 'csat' AND score >= 4 THEN 1 ELSE 0 END) \
                     FROM surveys WHERE responded_at IS NOT NULL{} GROUP BY 1",
                    within("responded_at")
                ),
            ));
        }
        let sql = Sql::new(
            wanted.iter().filter_map(|t| self.tables.get(t)),
            Grain::Day,
            self.settings.time_zone,
        )?;
        for (name, q) in queries {
            totals.insert(name, sql.by_period(&q)?);
        }
        Ok(totals)
    }

    /// Time-to-value measures per period: the accounts reaching first
    /// value in it and their total time.
    fn ttv_by_period(
        &self,
        timelines: &[AccountTtv],
        periods: &[Period],
    ) -> Result<Vec<TtvMeasures>, String> {
        let index = okapi_core::period::PeriodIndex::new(periods);
        let mut ttv = vec![TtvMeasures::default(); periods.len()];
        for a in timelines {
            if let (Some(fv), Some(_)) = (a.first_value_at, a.days)
                && let Some(p) = index.of(self.settings.time_zone.day_of(fv))
            {
                // `index` gives positions in `periods`, as many as `ttv` holds.
                let m = ttv
                    .get_mut(p)
                    .ok_or("internal error: a period index outside the periods")?;
                m.accounts += 1;
                m.total_us += (fv - a.start_at) as i128;
            }
        }
        Ok(ttv)
    }

    /// Runs a custom SQL KPI: rows of `(period_start, value)`.
    fn custom_sql(
        &self,
        sql_text: &str,
        grain: Grain,
        unit: Unit,
    ) -> Result<HashMap<i32, Value>, String> {
        let sql = Sql::with_limits(
            self.tables.values(),
            grain,
            self.settings.time_zone,
            self.settings.limits,
        )
        .map_err(|e| e.to_string())?;
        let batches = sql.custom_query(sql_text).map_err(|e| e.to_string())?;
        let mut out = HashMap::new();
        for b in batches {
            if b.num_columns() < 2 {
                return Err("the query must return (period_start, value)".into());
            }
            let p =
                cast(b.column(0), &DataType::Date32).map_err(|e| format!("period_start: {e}"))?;
            let p = p
                .as_any()
                .downcast_ref::<Date32Array>()
                .ok_or("period_start is not a date")?;
            let v = cast(b.column(1), &DataType::Utf8).map_err(|e| format!("value: {e}"))?;
            let v = v
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or("value is not a number")?;
            for i in 0..b.num_rows() {
                if p.is_null(i) || v.is_null(i) {
                    continue;
                }
                let text = v.value(i);
                let d: Decimal = text
                    .parse()
                    .or_else(|_| Decimal::from_scientific(text))
                    .map_err(|_| format!("value `{text}` is not a number"))?;
                let value = match unit {
                    Unit::Money => Value::Money(d.normalize()),
                    _ => Value::Number(text.parse::<f64>().unwrap_or_default()),
                };
                out.insert(p.value(i), value);
            }
        }
        Ok(out)
    }

    /// Computes `ids` (built-in or custom; all when empty) for `periods`.
    pub fn kpis(
        &self,
        ids: &[String],
        periods: &[Period],
        grain: Grain,
    ) -> Result<KpiReport, EngineError> {
        let mut all = self.kpis_by_grain(ids, &[(grain, periods)])?;
        all.pop()
            .ok_or_else(|| EngineError::Query("internal error: no report".into()))
    }

    /// [`Engine::kpis`] for each set of periods of one grain, the parts
    /// all grains share worked out once ([`Engine::measures_by_grain`]).
    pub fn kpis_by_grain(
        &self,
        ids: &[String],
        sets: &[(Grain, &[Period])],
    ) -> Result<Vec<KpiReport>, EngineError> {
        let measures = self.measures_by_grain(sets)?;
        sets.iter()
            .zip(measures)
            .map(|((grain, periods), m)| self.report(ids, periods, *grain, &m))
            .collect()
    }

    /// The report of `ids` over `periods` from their measures.
    fn report(
        &self,
        ids: &[String],
        periods: &[Period],
        grain: Grain,
        measures: &[PeriodMeasures],
    ) -> Result<KpiReport, EngineError> {
        let ctx = FormulaContext {
            grain,
            gross_margin: self.settings.gross_margin,
        };
        let mut values: HashMap<String, Vec<KpiValue>> = HashMap::new();
        for def in catalog::CATALOG {
            let v: Vec<KpiValue> = measures
                .iter()
                .map(|m| {
                    evaluate(def.id, m, &ctx).unwrap_or_else(|| KpiValue::absent("unknown KPI"))
                })
                .collect();
            values.insert(def.id.to_string(), v);
        }
        for k in &self.settings.custom_kpis {
            let v = self.custom_values(k, periods, grain, &values)?;
            values.insert(k.id.clone(), v);
        }
        let mut rows = Vec::new();
        for id in ids {
            let info = kpi_info(&self.settings, id).ok_or_else(|| EngineError::CustomKpi {
                id: id.clone(),
                reason: "unknown KPI".into(),
            })?;
            // Every catalog and custom KPI was computed above.
            let computed = values
                .get(id.as_str())
                .ok_or_else(|| EngineError::CustomKpi {
                    id: id.clone(),
                    reason: "internal error: not computed".into(),
                })?;
            for (p, v) in periods.iter().zip(computed) {
                rows.push(KpiRow {
                    kpi: info.clone(),
                    period: *p,
                    value: v.clone(),
                });
            }
        }
        Ok(KpiReport {
            periods: periods.to_vec(),
            rows,
        })
    }

    fn custom_values(
        &self,
        k: &CustomKpi,
        periods: &[Period],
        grain: Grain,
        values: &HashMap<String, Vec<KpiValue>>,
    ) -> Result<Vec<KpiValue>, EngineError> {
        Ok(match &k.definition {
            Definition::Formula { expr, .. } => (0..periods.len())
                .map(|i| {
                    let lookup = |id: &str| -> Result<Decimal, String> {
                        let v = values
                            .get(id)
                            .and_then(|v| v.get(i))
                            .ok_or_else(|| "not computed".to_string())?;
                        match v.value {
                            Some(x) => x.as_decimal().ok_or_else(|| "not a number".to_string()),
                            None => Err(v.note.clone().unwrap_or_default()),
                        }
                    };
                    match expr.eval(&lookup) {
                        Ok(d) => KpiValue::of(match k.unit {
                            Unit::Money => Value::Money(d.normalize()),
                            Unit::Count if d.fract().is_zero() && !d.is_sign_negative() => {
                                Value::Count(
                                    u64::try_from(d.mantissa() / 10i128.pow(d.scale()))
                                        .unwrap_or(0),
                                )
                            }
                            _ => Value::Number(
                                rust_decimal::prelude::ToPrimitive::to_f64(&d).unwrap_or(f64::NAN),
                            ),
                        }),
                        Err(reason) => KpiValue::absent(reason),
                    }
                })
                .collect(),
            Definition::Sql(text) => {
                let got = self.custom_sql(text, grain, k.unit).map_err(|reason| {
                    EngineError::CustomKpi {
                        id: k.id.clone(),
                        reason,
                    }
                })?;
                periods
                    .iter()
                    .map(|p| match got.get(&p.start_num()) {
                        Some(v) => KpiValue::of(*v),
                        None => KpiValue::absent("no row for this period"),
                    })
                    .collect()
            }
        })
    }

    /// Every customer's health on `at`, lowest score first.
    pub fn health(&self, at: NaiveDate) -> Result<Vec<AccountHealth>, EngineError> {
        let mut all = self.health_on_days(&[at])?;
        all.pop()
            .ok_or_else(|| EngineError::Query("internal error: no health list".into()))
    }

    /// [`Engine::health`] on each of `days`, in their order: the customers'
    /// inputs (surveys, tickets, users) gathered once for all.
    pub fn health_on_days(
        &self,
        days: &[NaiveDate],
    ) -> Result<Vec<Vec<AccountHealth>>, EngineError> {
        let scan = self.events.as_ref().ok_or_else(|| EngineError::File {
            file: "events".into(),
            reason: "no events table in the data directory".into(),
        })?;
        Ok(self.with_health_accounts(scan, |accounts| {
            days.iter()
                .map(|d| self.health_on(accounts, day_num(*d)))
                .collect()
        })?)
    }

    /// Calls `f` with every customer as its health reads it: its MRR
    /// timeline, activity, users, NPS answers and tickets, each looked up
    /// once.
    fn with_health_accounts<R>(
        &self,
        scan: &EventsScan,
        f: impl FnOnce(&[events::HealthAccount<'_>]) -> R,
    ) -> Result<R, events::ScanBroken> {
        let ctx = self.health_context(scan);
        let accounts =
            scan.health_accounts(&self.revenue, &ctx.nps, &ctx.tickets, &ctx.users_of)?;
        Ok(f(&accounts))
    }

    /// The survey responses that carry a comment, newest first: the
    /// qualitative context shown beside the numbers. Empty without a
    /// surveys table (or without comments in it).
    pub fn survey_comments(&self) -> Vec<SurveyComment> {
        let zone = self.settings.time_zone;
        let mut out = Vec::new();
        let Some(t) = self.tables.get(&Table::Surveys) else {
            return out;
        };
        for b in &t.batches {
            let (Some(k), Some(s), Some(at), Some(c)) = (
                col::<StringArray>(b, "kind"),
                col::<datafusion::arrow::array::Int64Array>(b, "score"),
                col::<TimestampMicrosecondArray>(b, "responded_at"),
                col::<StringArray>(b, "comment"),
            ) else {
                continue;
            };
            let account = col::<StringArray>(b, "account_id");
            for i in 0..b.num_rows() {
                if !c.is_valid(i) || c.value(i).trim().is_empty() {
                    continue;
                }
                out.push(SurveyComment {
                    day: date_of(zone.day_of(at.value(i))),
                    kind: k.value(i).to_string(),
                    score: s.value(i),
                    account_id: account
                        .filter(|a| a.is_valid(i))
                        .map(|a| a.value(i).to_string()),
                    comment: c.value(i).to_string(),
                });
            }
        }
        out.sort_by(|a, b| b.day.cmp(&a.day).then(a.comment.cmp(&b.comment)));
        out
    }

    /// NPS responses and tickets per account, read once for every day scored.
    fn health_context<'a>(&self, scan: &'a EventsScan) -> HealthContext<'a> {
        let zone = self.settings.time_zone;
        let mut nps: HashMap<String, Vec<(DayNum, i64)>> = HashMap::new();
        if let Some(t) = self.tables.get(&Table::Surveys) {
            for b in &t.batches {
                let (Some(a), Some(k), Some(s), Some(at)) = (
                    col::<StringArray>(b, "account_id"),
                    col::<StringArray>(b, "kind"),
                    col::<datafusion::arrow::array::Int64Array>(b, "score"),
                    col::<TimestampMicrosecondArray>(b, "responded_at"),
                ) else {
                    continue;
                };
                for i in 0..b.num_rows() {
                    if a.is_valid(i) && k.value(i) == "nps" {
                        nps.entry(a.value(i).to_string())
                            .or_default()
                            .push((zone.day_of(at.value(i)), s.value(i)));
                    }
                }
            }
        }
        let mut tickets: HashMap<String, Vec<(DayNum, Option<DayNum>)>> = HashMap::new();
        if let Some(t) = self.tables.get(&Table::SupportTickets) {
            for b in &t.batches {
                let (Some(a), Some(o), Some(c)) = (
                    col::<StringArray>(b, "account_id"),
                    col::<TimestampMicrosecondArray>(b, "opened_at"),
                    col::<TimestampMicrosecondArray>(b, "closed_at"),
                ) else {
                    continue;
                };
                for i in 0..b.num_rows() {
                    if a.is_valid(i) {
                        tickets.entry(a.value(i).to_string()).or_default().push((
                            zone.day_of(o.value(i)),
                            c.is_valid(i).then(|| zone.day_of(c.value(i))),
                        ));
                    }
                }
            }
        }
        HealthContext {
            nps,
            tickets,
            users_of: scan.users_by_account(),
        }
    }

    fn health_on(&self, accounts: &[events::HealthAccount<'_>], e: DayNum) -> Vec<AccountHealth> {
        let weights = self.settings.health;
        let mut out: Vec<AccountHealth> = accounts
            .iter()
            .filter_map(|a| {
                a.inputs_on(e).map(|(mrr, inputs)| AccountHealth {
                    score: inputs.score(&weights),
                    signals: inputs.signals(),
                    account_id: a.name.clone(),
                    mrr,
                    inputs,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            a.score
                .total_cmp(&b.score)
                .then_with(|| a.account_id.cmp(&b.account_id))
        });
        out
    }

    /// The user retention cohort table.
    pub fn retention(
        &self,
        periods: &[Period],
    ) -> Result<Vec<okapi_core::retention::CohortRow>, EngineError> {
        let scan = self.events.as_ref().ok_or_else(|| EngineError::File {
            file: "events".into(),
            reason: "no events table in the data directory".into(),
        })?;
        Ok(scan.cohorts(periods))
    }
}

/// The accounts whose `accounts` column (or subscription `plan`) matches.
fn segment_accounts(
    tables: &HashMap<Table, LoadedTable>,
    s: &Segment,
) -> Result<HashSet<String>, EngineError> {
    let mut out = HashSet::new();
    if s.column == "plan" {
        let t = tables.get(&Table::Subscriptions).ok_or_else(|| {
            EngineError::Segment(format!(
                "--segment plan={}: there is no subscriptions table to read plans from",
                s.value
            ))
        })?;
        for b in &t.batches {
            if let (Some(a), Some(p)) = (
                col::<StringArray>(b, "account_id"),
                col::<StringArray>(b, "plan"),
            ) {
                for i in 0..b.num_rows() {
                    if p.is_valid(i) && p.value(i) == s.value {
                        out.insert(a.value(i).to_string());
                    }
                }
            }
        }
        return Ok(out);
    }
    let t = tables.get(&Table::Accounts).ok_or_else(|| {
        EngineError::Segment(format!(
            "--segment {}={}: there is no accounts table to read `{}` from",
            s.column, s.value, s.column
        ))
    })?;
    if t.schema.field_with_name(&s.column).is_err() {
        let cols: Vec<_> = t.schema.fields().iter().map(|f| f.name().clone()).collect();
        return Err(EngineError::Segment(format!(
            "--segment: accounts has no column `{}` (columns: {}, or plan)",
            s.column,
            cols.join(", ")
        )));
    }
    for b in &t.batches {
        let a = col::<StringArray>(b, "account_id");
        let c = b
            .column_by_name(&s.column)
            .map(|c| cast(c, &DataType::Utf8));
        if let (Some(a), Some(Ok(c))) = (a, c) {
            let c = c.as_any().downcast_ref::<StringArray>().cloned();
            if let Some(c) = c {
                for i in 0..b.num_rows() {
                    if c.is_valid(i) && c.value(i) == s.value {
                        out.insert(a.value(i).to_string());
                    }
                }
            }
        }
    }
    Ok(out)
}

/// A money amount at the loaded tables' scale, or `None` when it does not
/// fit a [`Decimal`].
fn money_of(raw: i128) -> Option<Decimal> {
    Decimal::try_from_i128_with_scale(raw, MONEY_SCALE)
        .ok()
        .map(|d| d.normalize())
}

/// Spend per calendar month (sales and marketing together); `None` for a
/// month whose total does not fit a [`Decimal`].
fn spend_by_month(t: &LoadedTable) -> Vec<(NaiveDate, Option<Decimal>)> {
    let mut by: HashMap<NaiveDate, Option<Decimal>> = HashMap::new();
    for b in &t.batches {
        if let (Some(m), Some(a)) = (
            col::<StringArray>(b, "month"),
            col::<Decimal128Array>(b, "amount"),
        ) {
            for i in 0..b.num_rows() {
                if let Ok(d) = NaiveDate::parse_from_str(&format!("{}-01", m.value(i)), "%Y-%m-%d")
                {
                    let total = by.entry(d).or_insert(Some(Decimal::ZERO));
                    *total = total
                        .zip(money_of(a.value(i)))
                        .and_then(|(t, amount)| t.checked_add(amount));
                }
            }
        }
    }
    by.into_iter().collect()
}

/// Spend of the months in `p`: whole months inside it, or pro rata to the
/// days of a month inside it (week and day grains); `Err` when the total
/// does not fit a [`Decimal`].
fn spend_in(months: &[(NaiveDate, Option<Decimal>)], p: &Period) -> Result<Decimal, String> {
    let (ps, pe) = (p.start, p.end());
    let mut total = Decimal::ZERO;
    for (first, amount) in months {
        let month = Period::containing(Grain::Month, *first);
        let (s, e) = (month.start.max(ps), month.end().min(pe));
        if s >= e {
            continue;
        }
        let overlap = (e - s).num_days();
        let dim = days_in_month(*first);
        let part = if overlap == dim {
            *amount
        } else {
            // Multiplying first is exact; an amount too large for that
            // still has a share that fits.
            let (o, dim) = (Decimal::from(overlap), Decimal::from(dim));
            amount.and_then(|a| {
                a.checked_mul(o)
                    .and_then(|x| x.checked_div(dim))
                    .or_else(|| a.checked_div(dim).and_then(|x| x.checked_mul(o)))
            })
        };
        total = part
            .and_then(|x| total.checked_add(x))
            .ok_or(OUT_OF_RANGE)?;
    }
    Ok(total.normalize())
}

/// Why a money total is absent: it does not fit a [`Decimal`].
const OUT_OF_RANGE: &str = "value out of range";

/// A KPI's identity as reports show it.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiInfo {
    pub id: String,
    pub name: String,
    pub unit: Unit,
    pub direction: Direction,
}

/// The catalog entry or custom KPI `id`.
pub fn kpi_info(settings: &Settings, id: &str) -> Option<KpiInfo> {
    if let Some(d) = catalog::find(id) {
        return Some(KpiInfo {
            id: d.id.into(),
            name: d.name.into(),
            unit: d.unit,
            direction: d.direction,
        });
    }
    settings
        .custom_kpis
        .iter()
        .find(|k| k.id == id)
        .map(|k| KpiInfo {
            id: k.id.clone(),
            name: k.name.clone(),
            unit: k.unit,
            direction: k.direction,
        })
}

/// The built-in KPIs that `ids` reach through custom formulas; `None` when
/// a custom SQL KPI is among them (it may read anything).
fn builtin_closure(settings: &Settings, ids: &[String]) -> Option<HashSet<String>> {
    let mut out = HashSet::new();
    let mut stack: Vec<String> = ids.to_vec();
    let mut seen = HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if catalog::find(&id).is_some() {
            out.insert(id);
        } else if let Some(k) = settings.custom_kpis.iter().find(|k| k.id == id) {
            match &k.definition {
                Definition::Formula { .. } => stack.extend(k.dependencies()),
                Definition::Sql(_) => return None,
            }
        }
    }
    Some(out)
}

/// Tables needed to compute `ids`.
pub fn tables_for(settings: &Settings, ids: &[String]) -> Vec<Table> {
    let mut out: Vec<Table> = vec![Table::Subscriptions];
    let mut add = |t: Table| {
        if !out.contains(&t) {
            out.push(t)
        }
    };
    let mut stack: Vec<String> = ids.to_vec();
    let mut seen = HashSet::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id.clone()) {
            continue;
        }
        if let Some(d) = catalog::find(&id) {
            d.tables.iter().for_each(|t| add(*t));
            if id == "time_to_value" {
                add(Table::Accounts);
            }
            if id == "health_score" {
                add(Table::Surveys);
                add(Table::SupportTickets);
            }
        } else if let Some(k) = settings.custom_kpis.iter().find(|k| k.id == id) {
            match &k.definition {
                Definition::Formula { .. } => stack.extend(k.dependencies()),
                Definition::Sql(_) => Table::ALL.iter().for_each(|t| add(*t)),
            }
        }
    }
    out
}

/// Every table of `dir` but the events that `tables` names, with
/// subscriptions always and accounts for a segment (`segment`), validated:
/// the tables and their quality reports, or every bad row of them.
fn load_tables(
    dir: &DataDir,
    settings: &Settings,
    tables: &[Table],
    segment: bool,
) -> Result<(HashMap<Table, LoadedTable>, Vec<TableQuality>), EngineError> {
    let mut loaded: HashMap<Table, LoadedTable> = HashMap::new();
    let mut quality = Vec::new();
    let mut issues = Issues::new();
    for (table, file) in &dir.files {
        let wanted = tables.contains(table)
            || *table == Table::Subscriptions
            || (*table == Table::Accounts && segment);
        if *table == Table::Events || !wanted {
            continue;
        }
        let (t, outcome) = load_table(file, settings.time_zone)?;
        issues.append(outcome.issues);
        quality.push(t.quality.clone());
        loaded.insert(*table, t);
    }
    if !issues.is_empty() {
        return Err(EngineError::InvalidRows(issues));
    }
    Ok((loaded, quality))
}

/// The mean health score of the paying `accounts` on each of `days`; the
/// days shared out between the cores, each mean computed alone (summed in
/// the order of the health list: score, then account), so the result is
/// the same however shared.
fn mean_health_on(
    accounts: &[events::HealthAccount<'_>],
    days: &[DayNum],
    weights: &okapi_core::health::HealthWeights,
) -> Vec<Option<f64>> {
    let mean_on = |e: DayNum, scores: &mut Vec<(f64, u32)>| {
        scores.clear();
        scores.extend(
            accounts
                .iter()
                .filter_map(|a| a.inputs_on(e).map(|(_, i)| (i.score(weights), a.rank))),
        );
        scores.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        (!scores.is_empty()).then(|| scores.iter().map(|s| s.0).sum::<f64>() / scores.len() as f64)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(days.len().max(1));
    let chunk = days.len().div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let parts: Vec<_> = days
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut scores = Vec::with_capacity(accounts.len());
                    part.iter()
                        .map(|e| mean_on(*e, &mut scores))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// A filter keeping the rows of timestamp column `c` that can fall in
/// `periods` (consecutive, sorted): those of their days, widened by a day
/// on each side (a day in the time zone lies within a day of the same UTC
/// day). Empty when there are no periods.
fn within_days(periods: &[Period], c: &str) -> String {
    match (periods.first(), periods.last()) {
        (Some(first), Some(last)) => {
            let lo = (i64::from(first.start_num()) - 1) * MICROS_PER_DAY;
            let hi = (i64::from(last.end_num()) + 1) * MICROS_PER_DAY;
            format!(" AND CAST({c} AS BIGINT) >= {lo} AND CAST({c} AS BIGINT) < {hi}")
        }
        _ => String::new(),
    }
}

/// What every grain's measures share ([`Engine::measures_by_grain`]).
struct Shared<'a> {
    spend: Option<&'a [(NaiveDate, Option<Decimal>)]>,
    ttv: Option<&'a [AccountTtv]>,
    daily: Option<&'a Result<Option<events::Daily>, events::ScanBroken>>,
    /// The other tables' additive measures per day ([`Engine::day_totals`]).
    totals: &'a DayTotals,
}

/// Per query of [`Engine::day_totals`], by name: its values per day of
/// the workspace's time zone (a day without a row has none).
type DayTotals = HashMap<&'static str, HashMap<DayNum, Vec<i128>>>;

/// Per-account NPS responses `(day, score)` and tickets `(opened, closed)`.
struct HealthContext<'a> {
    nps: HashMap<String, Vec<(DayNum, i64)>>,
    tickets: HashMap<String, Vec<(DayNum, Option<DayNum>)>>,
    users_of: HashMap<u32, Vec<&'a crate::day_bits::DayBits>>,
}

/// One customer's health on a day.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AccountHealth {
    pub account_id: String,
    pub mrr: Decimal,
    /// 0–100.
    pub score: f64,
    pub signals: okapi_core::health::HealthSignals,
    pub inputs: okapi_core::health::HealthInputs,
}

/// A survey response with a comment.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SurveyComment {
    /// The day it was given, in the workspace's time zone.
    pub day: NaiveDate,
    /// `nps` or `csat`.
    pub kind: String,
    pub score: i64,
    pub account_id: Option<String>,
    pub comment: String,
}

/// One KPI value in one period.
#[derive(Debug, Clone, PartialEq)]
pub struct KpiRow {
    pub kpi: KpiInfo,
    pub period: Period,
    pub value: KpiValue,
}

/// KPI values, KPI by KPI, period by period.
#[derive(Debug, Clone)]
pub struct KpiReport {
    pub periods: Vec<Period>,
    pub rows: Vec<KpiRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn money_beyond_a_decimal_is_none() {
        // 1500.5 at scale 10.
        assert_eq!(money_of(15_005_000_000_000), Some(Decimal::new(15005, 1)));
        assert_eq!(money_of(i128::MAX), None);
    }

    #[test]
    fn spend_too_large_for_a_decimal_is_absent_not_a_panic() {
        let months = vec![
            (d("2024-01-01"), Some(Decimal::MAX)),
            (d("2024-02-01"), Some(Decimal::MAX)),
            (d("2024-03-01"), None),
        ];
        let period = |g: Grain, day: &str| Period::containing(g, d(day));
        assert_eq!(
            spend_in(&months, &period(Grain::Month, "2024-01-15")),
            Ok(Decimal::MAX)
        );
        // January and February together do not fit.
        assert_eq!(
            spend_in(&months, &period(Grain::Quarter, "2024-01-15")),
            Err(OUT_OF_RANGE.to_string())
        );
        // March's own total did not fit.
        assert_eq!(
            spend_in(&months, &period(Grain::Month, "2024-03-15")),
            Err(OUT_OF_RANGE.to_string())
        );
        // A week inside January: MAX × 7 / 31 fits, though MAX × 7 does not.
        let week = spend_in(&months, &period(Grain::Week, "2024-01-10")).unwrap();
        let expected = Decimal::MAX / Decimal::from(31) * Decimal::from(7);
        assert!((week - expected).abs() < Decimal::ONE, "{week}");
    }
}
