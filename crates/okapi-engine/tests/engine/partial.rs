//! An events scan run in parts (as a cluster's executors run it): rows
//! dealt to parts in any order, each part's state sent as bytes and
//! merged, give exactly the KPIs of one local scan; a bad row in any part
//! fails the whole scan, named by its key.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::array::{ArrayRef, StringArray};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use okapi_core::catalog::CATALOG;
use okapi_core::period::Grain;
use okapi_core::settings::{Profile, Settings};
use okapi_engine::EngineError;
use okapi_engine::compute::events::partial::PartialScan;
use okapi_engine::compute::events::{EventOptions, EventsScan};
use okapi_engine::compute::{Engine, EventsScanner};
use okapi_engine::demo::{DemoOptions, generate};
use okapi_engine::source::{DataDir, SourceFile};

/// Deals every `parts`-th slice of 97 rows to a part, sends each part's
/// state through bytes, merges them in reverse order; `spoil` replaces
/// the events of one row by NULL first.
#[derive(Debug)]
struct InParts {
    parts: usize,
    spoil: bool,
}

impl EventsScanner for InParts {
    fn scan(&self, file: &SourceFile, opts: EventOptions) -> Result<EventsScan, EngineError> {
        // The options cross a process boundary too.
        let opts = EventOptions::from_json(&opts.to_json()).unwrap();
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&file.path).unwrap())
            .unwrap()
            .build()
            .unwrap();
        let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
        let present: Vec<String> = batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let names: Vec<String> = PartialScan::columns(&opts, &present)
            .into_iter()
            .map(String::from)
            .collect();
        let mut parts: Vec<PartialScan> = (0..self.parts)
            .map(|_| PartialScan::new(opts.clone()))
            .collect();
        let mut slice = 0usize;
        for b in &batches {
            let mut at = 0;
            while at < b.num_rows() {
                let len = 97.min(b.num_rows() - at);
                let s = b.slice(at, len);
                let mut columns: Vec<ArrayRef> = names
                    .iter()
                    .map(|n| s.column_by_name(n).unwrap().clone())
                    .collect();
                if self.spoil && slice == 5 {
                    let i = names.iter().position(|n| n == "event").unwrap();
                    let mut events: Vec<Option<String>> =
                        (0..len).map(|r| Some(okapi_text(&columns[i], r))).collect();
                    events[3] = None;
                    columns[i] = Arc::new(StringArray::from(events));
                }
                parts[slice % self.parts].add(&names, &columns)?;
                slice += 1;
                at += len;
            }
        }
        let mut sent: Vec<PartialScan> = parts
            .iter_mut()
            .map(|p| PartialScan::from_bytes(&opts, &p.to_bytes().unwrap()).unwrap())
            .collect();
        let mut whole = sent.pop().unwrap();
        while let Some(p) = sent.pop() {
            whole.merge(p);
        }
        whole.finish()
    }

    fn describe(&self) -> String {
        format!("{} parts", self.parts)
    }
}

/// The text of a string cell, plain or dictionary-encoded.
fn okapi_text(a: &ArrayRef, row: usize) -> String {
    datafusion::arrow::util::display::array_value_to_string(a, row).unwrap()
}

fn demo(dir: &Path) {
    generate(
        &DemoOptions {
            profile: Profile::B2b,
            out: dir.to_path_buf(),
            accounts: 50,
            events: 8_000,
            months: 4,
            seed: 5,
            end: NaiveDate::from_ymd_opt(2025, 4, 30).unwrap(),
        },
        &|_| {},
    )
    .unwrap();
}

fn kpis(dir: &DataDir) -> Vec<(String, String, String)> {
    let ids: Vec<String> = CATALOG.iter().map(|k| k.id.to_string()).collect();
    let e = Engine::for_kpis(dir, &Settings::default(), &ids, None).unwrap();
    let mut out = Vec::new();
    for grain in [Grain::Day, Grain::Month] {
        let periods = e.periods(grain, None, None).unwrap();
        for r in e.kpis(&ids, &periods, grain).unwrap().rows {
            out.push((
                r.kpi.id,
                r.period.start.to_string(),
                format!("{:?}", r.value),
            ));
        }
    }
    out
}

#[test]
fn parts_merged_from_bytes_give_the_local_scan_s_kpis() {
    let base = tempfile::TempDir::new().unwrap();
    demo(base.path());
    let local = DataDir::open(base.path()).unwrap();
    let expected = kpis(&local);
    assert!(expected.len() > 1_000, "a real catalog: {}", expected.len());
    for parts in [1, 3, 7] {
        let mut dir = DataDir::open(base.path()).unwrap();
        dir.events_scanner = Some(Arc::new(InParts {
            parts,
            spoil: false,
        }));
        assert_eq!(kpis(&dir), expected, "{parts} parts");
    }
}

#[test]
fn a_bad_row_in_any_part_fails_the_whole_scan_named_by_its_key() {
    let base = tempfile::TempDir::new().unwrap();
    demo(base.path());
    let mut dir = DataDir::open(base.path()).unwrap();
    dir.events_scanner = Some(Arc::new(InParts {
        parts: 3,
        spoil: true,
    }));
    let ids: Vec<String> = CATALOG.iter().map(|k| k.id.to_string()).collect();
    let err = Engine::for_kpis(&dir, &Settings::default(), &ids, None)
        .err()
        .expect("refused");
    let EngineError::InvalidRows(issues) = err else {
        panic!("not a row error: {err}");
    };
    assert_eq!(issues.rows(), 1);
    let first = issues.first().unwrap();
    assert_eq!(first.column, "event");
    let at = first.location.to_string();
    assert!(
        at.contains("ts = '") && at.contains("AND user_id = '") && at.contains("event IS NULL"),
        "{at}"
    );
}
