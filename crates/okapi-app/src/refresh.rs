//! Refreshing the stored KPI values of a workspace, so that pages and the
//! API read stored values instead of waiting for a scan of the data.
//!
//! A refresh computes the whole catalog (built-in and custom KPIs) at every
//! grain (day, week, month, quarter, year) for all accounts, from one load
//! of the data directory; then, for each segment a key result links a KPI
//! at, those KPIs at their grains, from one load per segment (with the
//! views, on a second thread while the catalog is computed). All of it
//! runs on the blocking pool, before any write, under the workspace's
//! refresh lock (`.okapi/refresh.lock`): refreshes of one workspace run
//! one after the other. Only then one write session
//! replaces every set of values (one grain, one segment) and records the
//! refresh: a reader sees the previous refresh or this one, never a mix.
//! Sets no longer computed (a segment no key result links any more) are
//! removed in the same transaction.
//!
//! **When it recomputes.** The data's *fingerprint* is the SHA-256 of one
//! line `name:size:mtime_ns` per data file (the files the data directory's
//! tables are read from, by name); the *definitions* are the SHA-256 of
//! the settings file's text and of every key result's KPI link (KPI,
//! segment, grain). When both equal the last refresh's, nothing changed
//! that could change a value, and the refresh reports `unchanged` without
//! reading the data, unless `force` is set. The fingerprint is taken
//! before the data is read: a file written during a refresh changes the
//! fingerprint, so the next refresh computes again.
//!
//! Data in PostgreSQL has no such cheap fingerprint (a table's statistics
//! lag its writes): every refresh of a workspace whose data is in a
//! database computes again, and its fingerprint is `postgres:` and the
//! instant it was taken.
//!
//! **What it computes.** When only new files of a day-partitioned events
//! table arrived since the last refresh (the saved events state says which
//! files it holds), the other tables are as they were, and the stored
//! values are known to be those of that state (the last refresh's
//! fingerprint is the fingerprint of the state's files and of the other
//! tables' files now), the catalog is computed only from the first period
//! the new events can change ([`Engine::recompute_from`]) and the stored
//! values of earlier periods are kept. Otherwise every period is computed;
//! the report's `periods` says which and why.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use crate::secrets::sha256_hex;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use okapi_core::data_model::Table;
use okapi_core::period::Grain;
use okapi_core::settings::Settings;
use okapi_engine::EngineError;
use okapi_engine::compute::events::state::FileStamp;
use okapi_engine::compute::{Engine, EventsMode, EventsRefresh, KpiReport, Segment, kpi_info};
use okapi_engine::source::{DataDir, DataLocation};
use okapi_store::{KpiRefresh, StoredKpiValue};
use serde::Serialize;

use crate::data;
use crate::error::AppError;
use crate::inputs::KpiSelection;
use crate::location::Location;
use crate::workspace::Workspace;

/// What a refresh did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RefreshReport {
    /// Nothing changed since the last refresh, which was kept: the other
    /// fields describe that refresh (its sets are not listed).
    pub unchanged: bool,
    pub computed_at: DateTime<Utc>,
    /// The fingerprint of the data files (see the module's documentation).
    pub fingerprint: String,
    /// Distinct KPIs stored.
    pub kpis: u64,
    /// Values stored in all.
    pub values: u64,
    /// Values stored per set, by grain then segment.
    pub sets: Vec<SetCount>,
    /// Key results whose KPI link could not be computed, with the reason.
    pub skipped: Vec<SkippedLink>,
    /// Sets removed because nothing computes them any more.
    pub removed: Vec<SetName>,
    pub duration_ms: u64,
    /// The findings of the insights, recorded after the values (also when
    /// nothing changed: OKR risks move with check-ins and days).
    pub findings: crate::findings::RecordedFindings,
    /// The alerts the rules raised from them, sent after the findings.
    pub alerts: crate::alerts::AlertsReport,
    /// What was done with the events: every file scanned, only the files
    /// added since the last refresh, or none (absent when nothing was
    /// computed, or the data has no events table or is in a database).
    pub events: Option<EventsRefresh>,
    /// Which periods of the catalog were computed, and why: every period
    /// (and the reason), or only those new events files can change (each
    /// set's `from`). Absent when nothing was computed.
    pub periods: Option<String>,
}

/// One set of values stored: a grain and a segment (`""` for all
/// accounts).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetCount {
    pub grain: Grain,
    pub segment: String,
    pub kpis: u64,
    /// Values the set holds after the refresh.
    pub values: u64,
    /// The first period computed again, when only new events files were
    /// scanned: the values of earlier periods are kept from the last
    /// refresh, as those files cannot change them. Absent: every period
    /// was computed.
    pub from: Option<NaiveDate>,
    /// Values computed now (all of them when `from` is absent).
    pub computed: u64,
}

/// A set of values by its grain and segment.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SetName {
    pub grain: Grain,
    pub segment: String,
}

/// A key result's KPI link left out of a refresh.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkippedLink {
    pub key_result: String,
    pub reason: String,
}

/// A KPI a key result reads, at a segment and a grain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Link {
    kpi: String,
    segment: String,
    grain: String,
}

/// The KPI link of every key result that has one (grain `month` unless
/// set, as key results read it).
fn links_of(krs: &[okapi_store::KeyResult]) -> Vec<(String, Link)> {
    krs.iter()
        .filter_map(|kr| {
            let kpi = kr.kpi.clone()?;
            Some((
                kr.key.clone(),
                Link {
                    kpi,
                    segment: kr.segment.clone().unwrap_or_default().trim().to_string(),
                    grain: kr.grain.clone().unwrap_or_else(|| "month".into()),
                },
            ))
        })
        .collect()
}

/// The definitions a refresh depends on besides the data: the settings
/// file's text and the KPI links, sorted.
fn definitions(settings_text: &str, links: &[(String, Link)]) -> String {
    let set: BTreeSet<&Link> = links.iter().map(|(_, l)| l).collect();
    let mut text = format!("settings {}\n{settings_text}\n", settings_text.len());
    for l in set {
        text.push_str(&format!(
            "link {}\t{}\t{}\n",
            l.kpi.escape_default(),
            l.segment.escape_default(),
            l.grain.escape_default()
        ));
    }
    sha256_hex(text.as_bytes())
}

/// The fingerprint of the data at `location`: for a directory, the SHA-256
/// of one line `name:size:mtime_ns` per table file, sorted by name; for a
/// database, one never seen before (see the module's documentation).
/// Blocking.
pub fn fingerprint_of(location: &DataLocation) -> Result<String, AppError> {
    match location {
        DataLocation::Dir(dir) => fingerprint(dir),
        DataLocation::Postgres(_) => Ok(format!(
            "postgres:{}",
            Utc::now().timestamp_nanos_opt().unwrap_or_default()
        )),
    }
}

/// The fingerprint of the data directory `dir`: the SHA-256 of one line
/// `name:size:mtime_ns` per table file (each file of a partitioned table),
/// sorted by name. Blocking.
pub fn fingerprint(dir: &Path) -> Result<String, AppError> {
    let data = DataDir::open(dir)?;
    Ok(fingerprint_of_stamps(&stamps(&data, |_| true)?))
}

/// The stamps of the files of `data`'s tables that `wanted` keeps, each
/// named as in messages (`events/date=2025-04-30/part-0.parquet`).
fn stamps(data: &DataDir, wanted: impl Fn(Table) -> bool) -> Result<Vec<FileStamp>, AppError> {
    let mut out = Vec::new();
    for (_, file) in data.files.iter().filter(|(t, _)| wanted(**t)) {
        for file in file.files() {
            out.push(
                FileStamp::of(&file.path, file.display_name()).map_err(|e| match e {
                    EngineError::Io { path, source } => AppError::Read { path, source },
                    e => e.into(),
                })?,
            );
        }
    }
    Ok(out)
}

/// The SHA-256 of one line `name:size:mtime_ns` per stamp, sorted.
fn fingerprint_of_stamps(stamps: &[FileStamp]) -> String {
    let mut lines: Vec<String> = stamps
        .iter()
        .map(|s| format!("{}:{}:{}\n", s.name.escape_default(), s.size, s.mtime_ns))
        .collect();
    lines.sort();
    sha256_hex(lines.concat().as_bytes())
}

/// Whether the events state saved in `cache` is the state of the data
/// whose fingerprint is `fingerprint` (the last refresh's) with the other
/// tables' files as they are now: then the values that refresh stored are
/// those of the state, and of the other tables now. Blocking; any doubt
/// (no state, an unreadable one, a directory that cannot be listed) is a
/// no.
fn state_describes(dir: &Path, cache: &Path, fingerprint: &str) -> bool {
    let Ok(Some(meta)) = okapi_engine::compute::events::state::load_meta(cache) else {
        return false;
    };
    let Ok(data) = DataDir::open(dir) else {
        return false;
    };
    let Ok(mut all) = stamps(&data, |t| t != Table::Events) else {
        return false;
    };
    all.extend(meta.files);
    fingerprint_of_stamps(&all) == fingerprint
}

/// Per segment, per grain, the links to compute there: (KPI, key result).
type Segmented = BTreeMap<String, BTreeMap<Grain, Vec<(String, String)>>>;

/// One set's values as computed, before they carry a time.
struct ComputedSet {
    grain: Grain,
    segment: String,
    /// The first period computed; the stored values of earlier periods
    /// are kept. `None`: every period computed, the set replaced.
    from: Option<NaiveDate>,
    report: KpiReport,
}

/// The exact text of a value, or why it has none.
fn value_text(v: &okapi_core::formulas::KpiValue) -> (Option<String>, Option<String>) {
    match &v.value {
        Some(okapi_core::formulas::Value::Number(x)) if !x.is_finite() => {
            (None, Some("not a finite number".into()))
        }
        Some(x) => (Some(x.to_string()), v.note.clone()),
        None => (None, v.note.clone()),
    }
}

/// The views a refresh stores besides the values, by name: each is the
/// JSON of its report, or `{"unavailable": REASON}` when the data cannot
/// give it (a table missing, say).
fn views(engine: &Engine, settings: &Settings) -> Vec<(&'static str, String)> {
    fn doc<T: Serialize>(r: Result<T, AppError>) -> String {
        let r = r
            .and_then(|v| serde_json::to_string(&v).map_err(|e| AppError::Internal(e.to_string())));
        match r {
            Ok(text) => text,
            Err(e) => serde_json::json!({ "unavailable": e.to_string() }).to_string(),
        }
    }
    let months = engine.periods(Grain::Month, None, None);
    let started = Instant::now();
    let timed = |name: &'static str, body: String| {
        tracing::debug!(
            ms = duration_ms(started),
            view = name,
            "refresh: view computed"
        );
        (name, body)
    };
    // The health on the data's last day and four weeks before, from the
    // customers' inputs gathered once.
    let health = {
        let days = engine
            .data_range()
            .and_then(|(_, last)| {
                let before = last.checked_sub_days(chrono::Days::new(
                    okapi_core::insights::customers::HEALTH_DROP_DAYS,
                ))?;
                Some([last, before])
            })
            .ok_or_else(|| AppError::Invalid("the data has no dates".into()));
        let reports = days
            .and_then(|days| data::health_on_days(engine, &days))
            .map_err(|e| e.to_string());
        // Report `i` of both, or why there is none.
        let nth = |i: usize| match &reports {
            Ok(r) => r
                .get(i)
                .ok_or_else(|| AppError::Internal("no health report".into())),
            Err(why) => Err(AppError::Invalid(why.clone())),
        };
        (
            timed(views::HEALTH, doc(nth(0))),
            timed(views::HEALTH_BEFORE, doc(nth(1))),
        )
    };
    vec![
        timed(
            views::INACTIVE,
            doc(
                crate::inputs::InactivityWindow::new(settings.inactivity_window)
                    .and_then(|w| data::inactive_of(engine, w, None)),
            ),
        ),
        timed(
            views::MRR,
            doc(months
                .map_err(AppError::from)
                .and_then(|p| data::mrr_of(engine, p, true))),
        ),
        health.0,
        health.1,
        timed(views::TTV, doc(data::ttv_of(engine))),
        timed(
            views::RETENTION,
            doc(data::retention_of(engine, Grain::Month)),
        ),
        timed(views::COMMENTS, doc(Ok(engine.survey_comments()))),
    ]
}

/// The names of the views a refresh stores ([`crate::stored::view`]).
pub mod views {
    /// [`crate::data::InactiveReport`] on the data's last day.
    pub const INACTIVE: &str = "inactive";
    /// [`crate::data::MrrPeriod`]s by month, with the accounts.
    pub const MRR: &str = "mrr";
    /// [`crate::data::HealthReport`] on the data's last day.
    pub const HEALTH: &str = "health";
    /// [`crate::data::HealthReport`] four weeks before the data's last day
    /// (`okapi_core::insights::customers::HEALTH_DROP_DAYS`), to find
    /// sharp drops.
    pub const HEALTH_BEFORE: &str = "health_before";
    /// [`crate::data::TtvReport`].
    pub const TTV: &str = "ttv";
    /// [`crate::data::RetentionReport`] by month.
    pub const RETENTION: &str = "retention";
    /// The survey responses with a comment
    /// ([`okapi_engine::compute::SurveyComment`]), newest first.
    pub const COMMENTS: &str = "comments";
    /// Every view a refresh stores.
    pub const ALL: [&str; 7] = [
        INACTIVE,
        MRR,
        HEALTH,
        HEALTH_BEFORE,
        TTV,
        RETENTION,
        COMMENTS,
    ];
}

/// What [`compute`] gives: the sets of values, the views, the links it
/// skipped, what it did with the events' saved state, which periods it
/// computed and why.
type Computed = (
    Vec<ComputedSet>,
    Vec<(&'static str, String)>,
    Vec<SkippedLink>,
    Option<EventsRefresh>,
    String,
);

/// Loads the data once for the catalog and computes it at every grain
/// and its views, then once per linked segment for its links. When `keep`
/// is `Ok` (the stored values are those of the saved events state and of
/// the other tables as they are) and only new events files were scanned,
/// the catalog is computed only from the first period they can change
/// ([`Engine::recompute_from`]), and the stored daily health means it
/// holds are reused for the days before the new events
/// ([`Engine::reuse_health_means`]); `Err` says why every period is
/// computed. Blocking.
fn compute(
    dir: &DataLocation,
    settings: &Settings,
    segmented: &Segmented,
    cache: Option<&Path>,
    keep: Result<Vec<(NaiveDate, f64)>, String>,
    scanner: Option<Arc<dyn okapi_engine::compute::EventsScanner>>,
) -> Result<Computed, AppError> {
    let started = Instant::now();
    let mut data = DataDir::open_location(dir)?;
    data.events_scanner = scanner;
    let ids = KpiSelection::all(settings).ids().to_vec();
    let mut sets = Vec::new();
    let (mut engine, events) = match cache {
        Some(cache) => Engine::for_kpis_cached(&data, settings, &ids, cache)?,
        None => (Engine::for_kpis(&data, settings, &ids, None)?, None),
    };
    tracing::debug!(ms = duration_ms(started), "refresh: data loaded");
    let (changed, periods) = match (&keep, &events) {
        (Ok(_), Some(e)) if e.mode == EventsMode::Appended && e.changed_from.is_some() => (
            e.changed_from,
            format!(
                "only those the new events can change: from the period before the one holding \
                 {} (the new events' first day, or the last day before them) less {} days, \
                 as far as a period's KPIs look ahead",
                e.changed_from.map(|d| d.to_string()).unwrap_or_default(),
                okapi_engine::compute::events::LOOK_AHEAD_DAYS
            ),
        ),
        (Ok(_), Some(e)) => (None, format!("every period: {}", e.reason)),
        (Ok(_), None) => (None, "every period: no events table".to_string()),
        (Err(why), _) => (None, format!("every period: {why}")),
    };
    // A day's health reads the data up to that day: the days before the
    // new events keep the means stored for them.
    if let (Some(changed), Ok(known)) = (changed, keep) {
        engine.reuse_health_means(known.into_iter().filter(|(day, _)| *day < changed));
    }
    // Every grain in one computation: what they share is worked out once.
    let mut wanted = Vec::new();
    for grain in Grain::ALL {
        let from = changed.map(|d| Engine::recompute_from(grain, d));
        let periods: Vec<_> = engine
            .periods(grain, None, None)?
            .into_iter()
            .filter(|p| from.is_none_or(|f| p.start >= f))
            .collect();
        wanted.push((grain, from, periods));
    }
    let by_grain: Vec<(Grain, &[okapi_core::period::Period])> =
        wanted.iter().map(|(g, _, p)| (*g, p.as_slice())).collect();
    // The views on a thread of their own beside the catalog: both only
    // read the loaded data, and most of the catalog's work after an
    // append (the health scores of each period's last day) is on one core.
    let (reports, views) = std::thread::scope(|s| {
        let views = s.spawn(|| {
            let v = views(&engine, settings);
            tracing::debug!(ms = duration_ms(started), "refresh: views computed");
            let segments = segment_sets(&data, settings, segmented);
            tracing::debug!(ms = duration_ms(started), "refresh: segments computed");
            (v, segments)
        });
        let reports = engine.kpis_by_grain(&ids, &by_grain);
        tracing::debug!(ms = duration_ms(started), "refresh: catalog computed");
        let views = views
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (reports, views)
    });
    let reports = reports?;
    let (views, segments) = views;
    let (segment_sets, skipped) = segments?;
    for ((grain, from, _), report) in wanted.iter().zip(reports) {
        sets.push(ComputedSet {
            grain: *grain,
            segment: String::new(),
            from: *from,
            report,
        });
    }
    drop(engine);
    tracing::debug!(ms = duration_ms(started), "refresh: data dropped");
    sets.extend(segment_sets);
    Ok((sets, views, skipped, events, periods))
}

/// The sets of the key results' links at a segment: the data loaded once
/// per segment, each segment's KPIs at their grains, every period. A
/// segment the data cannot select skips its links. Blocking.
fn segment_sets(
    data: &DataDir,
    settings: &Settings,
    segmented: &Segmented,
) -> Result<(Vec<ComputedSet>, Vec<SkippedLink>), AppError> {
    let mut sets = Vec::new();
    let mut skipped = Vec::new();
    for (segment, by_grain) in segmented {
        let skip_all = |reason: String, skipped: &mut Vec<SkippedLink>| {
            for (_, krs) in by_grain.values().flatten() {
                skipped.push(SkippedLink {
                    key_result: krs.clone(),
                    reason: reason.clone(),
                });
            }
        };
        let seg = match segment.parse::<Segment>() {
            Ok(s) => s,
            Err(reason) => {
                skip_all(reason, &mut skipped);
                continue;
            }
        };
        let kpis: Vec<String> = by_grain
            .values()
            .flatten()
            .map(|(kpi, _)| kpi.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let engine = match Engine::for_kpis(data, settings, &kpis, Some(seg)) {
            Ok(e) => e,
            // A segment the data cannot select is the key result's problem,
            // not the refresh's: the rest is stored.
            Err(e @ EngineError::Segment(_)) => {
                skip_all(e.to_string(), &mut skipped);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        for (grain, links) in by_grain {
            let kpis: Vec<String> = links
                .iter()
                .map(|(kpi, _)| kpi.clone())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect();
            let periods = engine.periods(*grain, None, None)?;
            sets.push(ComputedSet {
                grain: *grain,
                segment: segment.clone(),
                from: None,
                report: engine.kpis(&kpis, &periods, *grain)?,
            });
        }
    }
    Ok((sets, skipped))
}

/// Computes and stores the workspace's KPI values (see the module's
/// documentation); with `force`, even when nothing changed.
pub async fn refresh(loc: &Location, force: bool) -> Result<RefreshReport, AppError> {
    refresh_with(loc, force, None).await
}

/// [`refresh`] with the events scanned by `scanner` (a cluster).
pub async fn refresh_with(
    loc: &Location,
    force: bool,
    scanner: Option<Arc<dyn okapi_engine::compute::EventsScanner>>,
) -> Result<RefreshReport, AppError> {
    let mut ws = Workspace::open(loc).await?;
    ws.events_scanner = scanner;
    let report = refresh_workspace(&ws, force).await;
    ws.store.close().await;
    report
}

/// The lock one refresh of a workspace holds from start to end, so that
/// refreshes of it (the server's periodic one, one after an upload, an
/// `okapi refresh` in a shell) run one after the other: the second then
/// finds what the first stored, and the saved events state is never
/// written by two at once. An advisory lock on `.okapi/refresh.lock`
/// (released when the file is closed, also when the process dies).
async fn lock_refreshes(ws: &Workspace) -> Result<std::fs::File, AppError> {
    let path = ws.root.join(".okapi").join("refresh.lock");
    tokio::task::spawn_blocking(move || {
        let failed = |source| AppError::Write {
            path: path.clone(),
            source,
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(failed)?;
        }
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(failed)?;
        file.lock().map_err(failed)?;
        Ok(file)
    })
    .await?
}

/// [`refresh`] of a workspace already open (the server's).
pub async fn refresh_workspace(ws: &Workspace, force: bool) -> Result<RefreshReport, AppError> {
    let started = Instant::now();
    let dir: DataLocation = ws.data_location()?;
    // Held to the end of this function; what the last refresh stored is
    // read under it.
    let _lock = lock_refreshes(ws).await?;
    tracing::debug!(ms = duration_ms(started), "refresh: lock taken");

    let mut r = ws.read_session().await?;
    let krs = r.key_results(None).await?;
    let last = r.last_kpi_refresh().await?;
    // A refresh stored before a view was added lacks it: compute again.
    let stored_views = r.stored_view_names().await?;
    let has_views = views::ALL
        .iter()
        .all(|name| stored_views.iter().any(|s| s == name));
    r.commit().await?;

    let links = links_of(&krs);
    let definitions = definitions(&ws.settings_text, &links);
    let fingerprint = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || fingerprint_of(&dir)).await??
    };
    tracing::debug!(ms = duration_ms(started), "refresh: fingerprint taken");

    if let Some(last) = &last
        && !force
        && has_views
        && last.fingerprint == fingerprint
        && last.definitions == definitions
    {
        let (findings, alerts) = record_findings(ws).await?;
        return Ok(RefreshReport {
            unchanged: true,
            computed_at: last.computed_at,
            fingerprint: last.fingerprint.clone(),
            kpis: u64::try_from(last.kpis).unwrap_or(0),
            values: u64::try_from(last.values).unwrap_or(0),
            sets: Vec::new(),
            skipped: Vec::new(),
            removed: Vec::new(),
            duration_ms: duration_ms(started),
            findings,
            alerts,
            events: None,
            periods: None,
        });
    }

    // The links to compute besides the catalog: those with a segment.
    // A link to an unknown KPI or grain is reported, not computed.
    let mut skipped = Vec::new();
    let mut segmented = Segmented::new();
    for (kr, link) in &links {
        let grain = match link.grain.parse::<Grain>() {
            Ok(g) => g,
            Err(reason) => {
                skipped.push(SkippedLink {
                    key_result: kr.clone(),
                    reason,
                });
                continue;
            }
        };
        if kpi_info(&ws.settings, &link.kpi).is_none() {
            skipped.push(SkippedLink {
                key_result: kr.clone(),
                reason: format!("`{}` is not a KPI", link.kpi),
            });
            continue;
        }
        if link.segment.is_empty() {
            // The catalog at every grain holds it.
            continue;
        }
        segmented
            .entry(link.segment.clone())
            .or_default()
            .entry(grain)
            .or_default()
            .push((link.kpi.clone(), kr.clone()));
    }

    let settings = Arc::clone(&ws.settings);
    let cache = ws.events_state();
    if force && let Some(c) = &cache {
        // A forced refresh scans every events file again.
        okapi_engine::compute::events::state::forget(c)?;
    }
    // The stored values may be kept where new events cannot reach them
    // when they were computed from the saved state, under the same
    // definitions, and no custom SQL KPI (which may read any period).
    let keep: Result<(), String> = match &last {
        _ if force => Err("--force".into()),
        None => Err("no refresh before this one".into()),
        Some(_) if !has_views => Err("the last refresh stored no views".into()),
        Some(l) if l.definitions != definitions => {
            Err("the settings or the key results' KPI links changed".into())
        }
        Some(_)
            if settings
                .custom_kpis
                .iter()
                .any(|k| matches!(k.definition, okapi_core::custom::Definition::Sql(_))) =>
        {
            Err("a custom SQL KPI can read any period".into())
        }
        Some(_) => Ok(()),
    };
    // When values may be kept, the stored daily health means: those of
    // the days before the new events are not computed again.
    let known_health: Vec<(NaiveDate, f64)> = if keep.is_ok() {
        let mut r = ws.read_session().await?;
        let points = r.kpi_points("health_score", "", Grain::Day).await?;
        r.commit().await?;
        points
            .into_iter()
            .filter_map(|(day, v)| Some((day, v?.parse::<f64>().ok()?)))
            .collect()
    } else {
        Vec::new()
    };
    let (computed, views, more_skipped, events, periods) = {
        let dir = dir.clone();
        let scanner = ws.events_scanner.clone();
        let last_fingerprint = last.as_ref().map(|l| l.fingerprint.clone());
        tokio::task::spawn_blocking(move || {
            let keep = keep.and_then(|()| match (&dir, &cache, &last_fingerprint) {
                (DataLocation::Dir(d), Some(c), Some(f)) => {
                    if state_describes(d, c, f) {
                        Ok(())
                    } else {
                        Err(
                            "tables other than the events changed, or the stored values \
                             are not those of the saved events state"
                                .to_string(),
                        )
                    }
                }
                (DataLocation::Postgres(_), _, _) => {
                    Err("the data is in a database, without a saved events state".into())
                }
                _ => Err("no saved events state".into()),
            });
            let keep = keep.map(|()| known_health);
            compute(&dir, &settings, &segmented, cache.as_deref(), keep, scanner)
        })
        .await??
    };
    tracing::debug!(ms = duration_ms(started), "refresh: computed everything");
    skipped.extend(more_skipped);
    skipped.sort_by(|a, b| a.key_result.cmp(&b.key_result));

    let computed_at = Utc::now().trunc_subsecs(0);
    let sets: Vec<(Grain, String, Option<NaiveDate>, Vec<StoredKpiValue>)> = computed
        .into_iter()
        .map(|set| {
            let rows = set
                .report
                .rows
                .iter()
                .map(|row| {
                    let (value, note) = value_text(&row.value);
                    StoredKpiValue {
                        kpi: row.kpi.id.clone(),
                        segment: set.segment.clone(),
                        grain: set.grain,
                        period_start: row.period.start,
                        value,
                        note,
                        unit: row.kpi.unit.as_str().to_string(),
                        computed_at,
                        fingerprint: fingerprint.clone(),
                    }
                })
                .collect();
            (set.grain, set.segment, set.from, rows)
        })
        .collect();

    // One write session stores everything; nothing is computed inside it.
    let mut s = ws.session().await?;
    if sets.iter().any(|(_, _, from, _)| from.is_some()) {
        // Values kept are those of the last refresh seen before computing:
        // if another refresh stored its own since, this one's periods would
        // land beside values of other data. Checked under the workspace's
        // lock, which every writer of values takes first.
        s.lock_workspace().await?;
        if s.last_kpi_refresh().await? != last {
            return Err(AppError::Conflict(
                "another refresh stored KPI values while this one was computing; \
                 nothing was stored: refresh again"
                    .into(),
            ));
        }
    }
    let mut counts = Vec::new();
    let mut kpis = BTreeSet::new();
    let mut values = 0;
    for (grain, segment, from, rows) in &sets {
        let stored = match from {
            Some(f) => {
                s.replace_kpi_values_since(*grain, segment, *f, rows)
                    .await?
            }
            None => s.replace_kpi_values(*grain, segment, rows).await?,
        };
        let in_set: BTreeSet<&str> = rows.iter().map(|v| v.kpi.as_str()).collect();
        counts.push(SetCount {
            grain: *grain,
            segment: segment.clone(),
            kpis: in_set.len() as u64,
            values: stored,
            from: *from,
            computed: rows.len() as u64,
        });
        kpis.extend(in_set.into_iter().map(str::to_string));
        values += stored;
    }
    let mut removed = Vec::new();
    for (grain, segment) in s.kpi_value_sets().await? {
        if !sets
            .iter()
            .any(|(g, seg, _, _)| *g == grain && *seg == segment)
        {
            s.replace_kpi_values(grain, &segment, &[]).await?;
            removed.push(SetName { grain, segment });
        }
    }
    // A view computed again to the text stored is not written again.
    for (name, body) in &views {
        s.put_view_if_changed(name, body, computed_at).await?;
    }
    let duration_ms = duration_ms(started);
    s.record_kpi_refresh(&KpiRefresh {
        computed_at,
        fingerprint: fingerprint.clone(),
        definitions,
        kpis: i64::try_from(kpis.len()).unwrap_or(i64::MAX),
        values: i64::try_from(values).unwrap_or(i64::MAX),
        duration_ms: i64::try_from(duration_ms).unwrap_or(i64::MAX),
    })
    .await?;
    s.commit().await?;
    tracing::debug!(ms = self::duration_ms(started), "refresh: stored");
    counts.sort_by(|a, b| (a.grain, &a.segment).cmp(&(b.grain, &b.segment)));
    let (findings, alerts) = record_findings(ws).await?;
    tracing::debug!(
        ms = self::duration_ms(started),
        "refresh: findings recorded"
    );
    Ok(RefreshReport {
        unchanged: false,
        computed_at,
        fingerprint,
        kpis: kpis.len() as u64,
        values,
        sets: counts,
        skipped,
        removed,
        duration_ms,
        findings,
        alerts,
        events,
        periods: Some(periods),
    })
}

/// Records the insights found now ([`crate::findings::record`]), then
/// sends the alerts they raise ([`crate::alerts::evaluate`]).
async fn record_findings(
    ws: &Workspace,
) -> Result<
    (
        crate::findings::RecordedFindings,
        crate::alerts::AlertsReport,
    ),
    AppError,
> {
    let now = Utc::now();
    let (found, recorded) = crate::findings::record(ws, now.date_naive(), now).await?;
    let alerts = crate::alerts::evaluate(ws, &crate::findings::flatten(&found)).await?;
    Ok((recorded, alerts))
}

fn duration_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn link(kpi: &str, segment: &str, grain: &str) -> (String, Link) {
        (
            "KR-1".into(),
            Link {
                kpi: kpi.into(),
                segment: segment.into(),
                grain: grain.into(),
            },
        )
    }

    #[test]
    fn the_definitions_change_with_the_settings_and_with_the_links_only() {
        let a = definitions("x = 1", &[link("mrr", "", "month")]);
        // The same links in another order, or twice, are the same.
        assert_eq!(
            a,
            definitions(
                "x = 1",
                &[link("mrr", "", "month"), link("mrr", "", "month")]
            )
        );
        assert_ne!(a, definitions("x = 2", &[link("mrr", "", "month")]));
        assert_ne!(a, definitions("x = 1", &[link("mrr", "plan=pro", "month")]));
        assert_ne!(a, definitions("x = 1", &[link("mrr", "", "week")]));
        assert_ne!(a, definitions("x = 1", &[]));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn sha256_is_the_standard_one() {
        // The test vector of FIPS 180-2 for "abc".
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_fingerprint_follows_each_file_s_size_and_time() {
        let dir = tempfile::tempdir().unwrap();
        let subs = dir.path().join("subscriptions.csv");
        std::fs::write(&subs, "a").unwrap();
        let first = fingerprint(dir.path()).unwrap();
        assert_eq!(first, fingerprint(dir.path()).unwrap());
        // A file of no table does not count.
        std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
        assert_eq!(first, fingerprint(dir.path()).unwrap());
        // Same size, another modification time.
        let f = std::fs::File::options().write(true).open(&subs).unwrap();
        f.set_modified(UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000))
            .unwrap();
        let touched = fingerprint(dir.path()).unwrap();
        assert_ne!(first, touched);
        // Same time, another size.
        std::fs::write(&subs, "ab").unwrap();
        f.set_modified(UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000))
            .unwrap();
        assert_ne!(touched, fingerprint(dir.path()).unwrap());
    }

    #[test]
    fn values_are_exact_text_and_non_finite_numbers_are_absent() {
        use okapi_core::formulas::{KpiValue, Value};
        use rust_decimal::Decimal;
        assert_eq!(
            value_text(&KpiValue::of(Value::Money(Decimal::new(123_4500, 4)))),
            (Some("123.45".into()), None)
        );
        assert_eq!(
            value_text(&KpiValue::of(Value::Count(7))),
            (Some("7".into()), None)
        );
        assert_eq!(
            value_text(&KpiValue::of(Value::Number(0.1))),
            (Some("0.1".into()), None)
        );
        assert_eq!(
            value_text(&KpiValue::of(Value::Number(f64::INFINITY))),
            (None, Some("not a finite number".into()))
        );
        assert_eq!(
            value_text(&KpiValue::absent("no customers")),
            (None, Some("no customers".into()))
        );
    }
}
