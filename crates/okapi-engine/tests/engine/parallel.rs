//! The events table scanned in parallel parts gives the same KPIs as one
//! sequential scan: a demo company's events rewritten with small row
//! groups (many parts) against the original file (one row group, one part).

use std::fs::File;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::file::properties::WriterProperties;
use okapi_core::data_model::Table;
use okapi_core::period::Grain;
use okapi_core::settings::{Profile, Settings};
use okapi_engine::compute::Engine;
use okapi_engine::demo::{DemoOptions, generate};
use okapi_engine::source::DataDir;

#[test]
fn parallel_parts_match_a_single_scan() {
    let one = tempfile::TempDir::new().unwrap();
    let opts = DemoOptions {
        profile: Profile::B2c,
        out: one.path().to_path_buf(),
        accounts: 60,
        events: 30_000,
        months: 4,
        seed: 5,
        end: NaiveDate::from_ymd_opt(2025, 4, 30).unwrap(),
    };
    generate(&opts, &|_| {}).unwrap();
    let many = tempfile::TempDir::new().unwrap();
    for entry in std::fs::read_dir(one.path()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        if name != "events.parquet" {
            std::fs::copy(&path, many.path().join(&name)).unwrap();
        }
    }
    let reader = ParquetRecordBatchReaderBuilder::try_new(
        File::open(one.path().join("events.parquet")).unwrap(),
    )
    .unwrap();
    assert_eq!(reader.metadata().num_row_groups(), 1);
    let schema = reader.schema().clone();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(997))
        .build();
    let mut w = ArrowWriter::try_new(
        File::create(many.path().join("events.parquet")).unwrap(),
        Arc::clone(&schema),
        Some(props),
    )
    .unwrap();
    for b in reader.build().unwrap() {
        w.write(&b.unwrap()).unwrap();
    }
    w.close().unwrap();

    let ids: Vec<String> = [
        "dau_mau",
        "active_users",
        "inactive_accounts",
        "onboarding_completion_rate",
        "referral_rate",
        "app_installs",
        "arpu",
    ]
    .map(String::from)
    .to_vec();
    let compute = |dir: &std::path::Path| {
        let e = Engine::open(
            &DataDir::open(dir).unwrap(),
            &Settings::default(),
            &Table::ALL,
            None,
        )
        .unwrap();
        let periods = e.periods(Grain::Week, None, None);
        let r = e.kpis(&ids, &periods, Grain::Week).unwrap();
        let quality = e
            .quality
            .iter()
            .find(|q| q.table == "events")
            .unwrap()
            .clone();
        (
            r.rows
                .into_iter()
                .map(|r| (r.kpi.id, r.period, r.value))
                .collect::<Vec<_>>(),
            quality,
        )
    };
    let (a, qa) = compute(one.path());
    let (b, qb) = compute(many.path());
    assert!(a.len() > 100);
    assert_eq!(a, b);
    assert_eq!(qa.rows, 30_000);
    assert_eq!(
        (qa.rows, qa.rows_out_of_order, &qa.first_day, &qa.last_day),
        (qb.rows, qb.rows_out_of_order, &qb.first_day, &qb.last_day)
    );
    assert_eq!(qa.null_rates, qb.null_rates);
}
