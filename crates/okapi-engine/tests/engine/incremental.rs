//! Incremental events: after any sequence of appended days, late files
//! added to a day already there, and whole days deleted, the KPIs computed
//! from the saved state plus the new files equal those of a full scan of
//! the same files, and the scan says what it did. After an append, the
//! values of the periods before [`Engine::recompute_from`] are those
//! computed before it, at every grain: a refresh may keep them.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{Array, TimestampMicrosecondArray};
use datafusion::arrow::compute::filter_record_batch;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use okapi_core::catalog::CATALOG;
use okapi_core::period::Grain;
use okapi_core::settings::{Profile, Settings};
use okapi_engine::compute::{Engine, EventsMode};
use okapi_engine::demo::{DemoOptions, generate};
use okapi_engine::source::DataDir;
use proptest::prelude::*;

/// The demo's events split by UTC day: per day, two halves (the second is
/// the day's "late" events).
struct Days {
    schema: Arc<datafusion::arrow::datatypes::Schema>,
    days: Vec<(NaiveDate, RecordBatch, RecordBatch)>,
}

fn demo(dir: &Path) -> Days {
    let opts = DemoOptions {
        profile: Profile::B2b,
        out: dir.to_path_buf(),
        accounts: 40,
        events: 6_000,
        months: 3,
        seed: 11,
        end: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
    };
    generate(&opts, &|_| {}).unwrap();
    let path = dir.join("events.parquet");
    let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap())
        .unwrap()
        .build()
        .unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    let schema = batches[0].schema();
    let all = datafusion::arrow::compute::concat_batches(&schema, &batches).unwrap();
    std::fs::remove_file(&path).unwrap();
    let ts = all
        .column_by_name("ts")
        .unwrap()
        .as_any()
        .downcast_ref::<TimestampMicrosecondArray>()
        .unwrap()
        .clone();
    let mut by_day: BTreeMap<NaiveDate, Vec<usize>> = BTreeMap::new();
    for i in 0..ts.len() {
        let day = chrono::DateTime::from_timestamp_micros(ts.value(i))
            .unwrap()
            .date_naive();
        by_day.entry(day).or_default().push(i);
    }
    let pick = |rows: &[usize]| {
        let mask: datafusion::arrow::array::BooleanArray = (0..all.num_rows())
            .map(|i| Some(rows.binary_search(&i).is_ok()))
            .collect();
        filter_record_batch(&all, &mask).unwrap()
    };
    let days = by_day
        .into_iter()
        .map(|(d, rows)| {
            let half = rows.len().div_ceil(2);
            (d, pick(&rows[..half]), pick(&rows[half..]))
        })
        .collect();
    Days { schema, days }
}

fn write(path: &Path, schema: &Arc<datafusion::arrow::datatypes::Schema>, b: &RecordBatch) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut w =
        ArrowWriter::try_new(File::create(path).unwrap(), Arc::clone(schema), None).unwrap();
    w.write(b).unwrap();
    w.close().unwrap();
}

#[derive(Debug, Clone)]
enum Op {
    /// Write the first half of a day (a new day, or a day deleted before).
    Append(usize),
    /// Add the second half of a day already there, as another file.
    Late(usize),
    /// Remove a day's directory.
    Delete(usize),
}

fn op(days: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..days).prop_map(Op::Append),
        2 => (0..days).prop_map(Op::Late),
        1 => (0..days).prop_map(Op::Delete),
    ]
}

/// A KPI's value in one period: (grain, period start, KPI) → value.
type Values = BTreeMap<(Grain, NaiveDate, String), String>;

/// Every KPI of the catalog at every grain, in the periods starting on or
/// after `from` (per grain; all periods when absent), as comparable rows.
fn kpis_from(e: &Engine, from: &dyn Fn(Grain) -> Option<NaiveDate>) -> Values {
    let ids: Vec<String> = CATALOG.iter().map(|k| k.id.to_string()).collect();
    let mut out = Values::new();
    for grain in Grain::ALL {
        let periods: Vec<_> = e
            .periods(grain, None, None)
            .unwrap()
            .into_iter()
            .filter(|p| from(grain).is_none_or(|f| p.start >= f))
            .collect();
        for r in e.kpis(&ids, &periods, grain).unwrap().rows {
            out.insert((grain, r.period.start, r.kpi.id), format!("{:?}", r.value));
        }
    }
    out
}

fn kpis(e: &Engine) -> Values {
    kpis_from(e, &|_| None)
}

/// The daily `health_score` values, through their stored text (as a
/// refresh reads them back).
fn daily_health(e: &Engine) -> Vec<(NaiveDate, f64)> {
    let days = e.periods(Grain::Day, None, None).unwrap();
    e.kpis(&["health_score".to_string()], &days, Grain::Day)
        .unwrap()
        .rows
        .into_iter()
        .filter_map(|r| {
            let text = r.value.value?.to_string();
            Some((r.period.start, text.parse::<f64>().unwrap()))
        })
        .collect()
}

#[test]
fn appends_late_files_and_deletions_give_the_full_scan_s_kpis() {
    let base = tempfile::TempDir::new().unwrap();
    let days = demo(base.path());
    let n = days.days.len();
    assert!(n > 80, "{n} days of events");
    let ids: Vec<String> = CATALOG.iter().map(|k| k.id.to_string()).collect();
    let settings = Settings::default();

    let config = ProptestConfig {
        cases: 10,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(ops in proptest::collection::vec(op(n), 1..7))| {
        let work = tempfile::TempDir::new().unwrap();
        let data = work.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        for e in std::fs::read_dir(base.path()).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, data.join(p.file_name().unwrap())).unwrap();
        }
        let cache = work.path().join("state");
        // A first week of events, so the table is never empty.
        let mut present: BTreeMap<usize, bool> = BTreeMap::new(); // day → late file written
        for i in 0..7 {
            let (d, first, _) = &days.days[i];
            write(&data.join(format!("events/date={d}/part-0.parquet")), &days.schema, first);
            present.insert(i, false);
        }
        let (first, r) = Engine::for_kpis_cached(&DataDir::open(&data).unwrap(), &settings, &ids, &cache).unwrap();
        prop_assert_eq!(r.unwrap().mode, EventsMode::Full);
        // The values a refresh would have stored.
        let mut stored = kpis(&first);
        let mut stored_health = daily_health(&first);

        for op in ops {
            let expected = match op {
                Op::Append(i) => {
                    if present.contains_key(&i) { continue; }
                    let (d, first, _) = &days.days[i];
                    write(&data.join(format!("events/date={d}/part-0.parquet")), &days.schema, first);
                    present.insert(i, false);
                    EventsMode::Appended
                }
                Op::Late(i) => {
                    let (d, _, late) = &days.days[i];
                    if present.get(&i) != Some(&false) || late.num_rows() == 0 { continue; }
                    write(&data.join(format!("events/date={d}/late.parquet")), &days.schema, late);
                    present.insert(i, true);
                    EventsMode::Appended
                }
                Op::Delete(i) => {
                    if !present.contains_key(&i) || present.len() == 1 { continue; }
                    let (d, _, _) = &days.days[i];
                    std::fs::remove_dir_all(data.join(format!("events/date={d}"))).unwrap();
                    present.remove(&i);
                    EventsMode::Full
                }
            };
            let dir = DataDir::open(&data).unwrap();
            let (mut cached, report) = Engine::for_kpis_cached(&dir, &settings, &ids, &cache).unwrap();
            let report = report.unwrap();
            prop_assert_eq!(report.mode, expected, "{:?}", report);
            let full = Engine::for_kpis(&dir, &settings, &ids, None).unwrap();
            prop_assert_eq!(cached.events.as_ref().unwrap().rows(), full.events.as_ref().unwrap().rows());
            let all = kpis(&full);
            prop_assert_eq!(&kpis(&cached), &all);
            if report.mode == EventsMode::Appended {
                // The periods before the cut keep the values stored before;
                // those from it on are computed again from the state.
                let changed = report.changed_from.expect("an append says from when");
                let cut = |g: Grain| Engine::recompute_from(g, changed);
                // The health of the days before the new events is taken
                // from before, as a refresh does.
                cached.reuse_health_means(
                    stored_health.iter().copied().filter(|(d, _)| *d < changed),
                );
                let mut spliced: Values = stored
                    .into_iter()
                    .filter(|((g, start, _), _)| *start < cut(*g))
                    .collect();
                spliced.extend(kpis_from(&cached, &|g| Some(cut(g))));
                // Kept periods the data still covers; none lost, none extra.
                let differ: Vec<_> = all
                    .iter()
                    .filter(|(k, v)| spliced.get(*k) != Some(*v))
                    .map(|(k, v)| (k, v, spliced.get(k)))
                    .take(5)
                    .collect();
                prop_assert!(differ.is_empty(), "changed from {}: {:?}", changed, differ);
                prop_assert_eq!(spliced.len(), all.len());
            }
            stored = all;
            stored_health = daily_health(&full);
        }
        // Nothing new: the state is used as it is.
        let (_, r) = Engine::for_kpis_cached(&DataDir::open(&data).unwrap(), &settings, &ids, &cache).unwrap();
        let r = r.unwrap();
        prop_assert_eq!((r.mode, r.files_scanned, r.rows_scanned), (EventsMode::Reused, 0, 0));
    });
}

#[test]
fn a_reused_health_mean_is_the_day_s_health_score_and_no_other_s() {
    let dir = tempfile::TempDir::new().unwrap();
    let opts = DemoOptions {
        profile: Profile::B2b,
        out: dir.path().to_path_buf(),
        accounts: 30,
        events: 3_000,
        months: 3,
        seed: 5,
        end: NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
    };
    generate(&opts, &|_| {}).unwrap();
    let ids = vec!["health_score".to_string()];
    let data = DataDir::open(dir.path()).unwrap();
    let mut e = Engine::for_kpis(&data, &Settings::default(), &ids, None).unwrap();
    let before = daily_health(&e);
    assert!(
        before.len() > 30,
        "{} days with a health score",
        before.len()
    );
    let (day, mean) = before[before.len() / 2];
    // A mean no customer mix could give: it shows the value is taken.
    assert_ne!(mean, 123.25);
    e.reuse_health_means([(day, 123.25)]);
    let after = daily_health(&e);
    assert_eq!(after.len(), before.len());
    for ((d, was), (d2, now)) in before.iter().zip(&after) {
        assert_eq!(d, d2);
        let expected = if *d == day { 123.25 } else { *was };
        assert_eq!(*now, expected, "{d}");
    }
}
