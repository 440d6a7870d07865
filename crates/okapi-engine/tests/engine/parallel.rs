//! The events table scanned in parallel parts gives the same KPIs as one
//! sequential scan: a demo company's events rewritten with small row
//! groups (many parts) against the original file (one row group, one part);
//! and text read dictionary-encoded gives the same KPIs as plain strings
//! (a copy with `LargeUtf8` columns, which the reader takes row by row).

use std::fs::File;
use std::sync::Arc;

use chrono::NaiveDate;
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Schema};
use datafusion::arrow::record_batch::RecordBatch;
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
    copy_tables(one.path(), many.path());
    write_events(one.path(), many.path(), Some(997), false);
    let plain = tempfile::TempDir::new().unwrap();
    copy_tables(one.path(), plain.path());
    write_events(one.path(), plain.path(), None, true);
    let reader = ParquetRecordBatchReaderBuilder::try_new(
        File::open(one.path().join("events.parquet")).unwrap(),
    )
    .unwrap();
    assert_eq!(reader.metadata().num_row_groups(), 1);

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
        let periods = e.periods(Grain::Week, None, None).unwrap();
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
    let (c, _) = compute(plain.path());
    assert_eq!(a, c, "dictionary-encoded and plain text differ");
    assert!(a.len() > 100);
    assert_eq!(a, b);
    assert_eq!(qa.rows, 30_000);
    assert_eq!(
        (qa.rows, qa.rows_out_of_order, &qa.first_day, &qa.last_day),
        (qb.rows, qb.rows_out_of_order, &qb.first_day, &qb.last_day)
    );
    assert_eq!(qa.null_rates, qb.null_rates);
}

/// Copies every table but `events`.
fn copy_tables(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        if name != "events.parquet" {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// Rewrites `events.parquet` with row groups of `group_rows`, and with its
/// text columns as `LargeUtf8` when `large_text`.
fn write_events(
    from: &std::path::Path,
    to: &std::path::Path,
    group_rows: Option<usize>,
    large_text: bool,
) {
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(File::open(from.join("events.parquet")).unwrap())
            .unwrap();
    let schema = reader.schema().clone();
    let target = |dt: &DataType| {
        if large_text && *dt == DataType::Utf8 {
            DataType::LargeUtf8
        } else {
            dt.clone()
        }
    };
    let out_schema = Arc::new(Schema::new(
        schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_data_type(target(f.data_type())))
            .collect::<Vec<_>>(),
    ));
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(group_rows)
        .build();
    let mut w = ArrowWriter::try_new(
        File::create(to.join("events.parquet")).unwrap(),
        Arc::clone(&out_schema),
        Some(props),
    )
    .unwrap();
    for b in reader.build().unwrap() {
        let b = b.unwrap();
        let columns = b
            .columns()
            .iter()
            .map(|c| cast(c, &target(c.data_type())).unwrap())
            .collect();
        w.write(&RecordBatch::try_new(Arc::clone(&out_schema), columns).unwrap())
            .unwrap();
    }
    w.close().unwrap();
}
