//! Bad Parquet input: a column of the wrong type refuses the file, naming
//! the file, the column and the types accepted; a bad value is reported
//! with its row (numbered from 1).

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Date32Array, Decimal128Array, Float64Array, Int64Array, StringArray,
    TimestampMicrosecondArray,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use okapi_core::settings::Settings;
use okapi_core::timezone::Zone;
use okapi_engine::EngineError;
use okapi_engine::compute::Engine;
use okapi_engine::load::Location;
use okapi_engine::load::check;
use okapi_engine::source::DataDir;
use tempfile::TempDir;

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef, bool)>) {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, a, nullable)| Field::new(*n, a.data_type().clone(), *nullable))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn text(v: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

/// 2024-01-01 as days since the epoch.
const JAN_1: i32 = 19_723;

#[test]
fn wrong_column_types_name_the_file_the_columns_and_the_expected_types() {
    let dir = TempDir::new().unwrap();
    write_parquet(
        &dir.path().join("subscriptions.parquet"),
        vec![
            ("subscription_id", text(&["s1", "s2"]), false),
            ("account_id", text(&["a1", "a2"]), false),
            ("plan", text(&["pro", "basic"]), true),
            ("mrr", Arc::new(Float64Array::from(vec![49.0, 19.5])), false),
            (
                "start_date",
                Arc::new(Int64Array::from(vec![20240101, 20240115])),
                false,
            ),
            (
                "end_date",
                Arc::new(Date32Array::from(vec![None, Some(JAN_1 + 60)])),
                true,
            ),
        ],
    );
    let data = DataDir::open(dir.path()).unwrap();
    let err = match check(&data, Zone::Utc, None) {
        Err(e) => e,
        Ok(o) => panic!("loaded with {} issues", o.issues.len()),
    };
    let EngineError::File { file, reason } = &err else {
        panic!("expected a file error, got {err:?}");
    };
    assert_eq!(file, "subscriptions.parquet");
    assert!(
        reason.contains("column `mrr` has type Float64; expected decimal or text"),
        "{reason}"
    );
    assert!(
        reason.contains("column `start_date` has type Int64; expected date or text"),
        "{reason}"
    );
    let msg = err.to_string();
    assert!(msg.starts_with("subscriptions.parquet: "), "{msg}");

    // Loading for KPIs refuses the file the same way.
    let err = Engine::open(&data, &Settings::default(), &[], None)
        .err()
        .expect("refused");
    assert!(
        matches!(&err, EngineError::File { file, .. } if file == "subscriptions.parquet"),
        "{err:?}"
    );
}

#[test]
fn negative_decimal_money_reports_its_row() {
    let dir = TempDir::new().unwrap();
    let mrr = Decimal128Array::from(vec![4900_i128, 1950, -100])
        .with_precision_and_scale(10, 2)
        .unwrap();
    write_parquet(
        &dir.path().join("subscriptions.parquet"),
        vec![
            ("subscription_id", text(&["s1", "s2", "s3"]), false),
            ("account_id", text(&["a1", "a2", "a3"]), false),
            ("mrr", Arc::new(mrr), false),
            (
                "start_date",
                Arc::new(Date32Array::from(vec![JAN_1, JAN_1, JAN_1 + 14])),
                false,
            ),
            (
                "end_date",
                Arc::new(Date32Array::from(vec![None, None, None])),
                true,
            ),
        ],
    );
    let data = DataDir::open(dir.path()).unwrap();
    let outcome = check(&data, Zone::Utc, None).unwrap();
    assert_eq!(outcome.issues.total(), 1, "{:?}", outcome.issues);
    let issue = &outcome.issues.kept()[0];
    assert_eq!(issue.file, "subscriptions.parquet");
    assert_eq!(issue.location, Location::Row(3));
    assert_eq!(issue.column, "mrr");
    assert_eq!(issue.value, "-1.00");
    assert_eq!(issue.reason, "negative money");
    assert_eq!(
        issue.to_string(),
        "subscriptions.parquet: row 3, column mrr: negative money (value `-1.00`)"
    );
    // The valid rows are counted, the bad one is rejected with its values.
    assert_eq!(outcome.quality[0].rows, 2);
    assert_eq!(outcome.quality[0].invalid_rows, 1);
    let q = dir.path().join("rejected.csv");
    let mut quarantine = okapi_engine::load::Quarantine::create(&q).unwrap();
    check(&data, Zone::Utc, Some(&mut quarantine)).unwrap();
    assert_eq!(quarantine.commit().unwrap(), 1);
    let text = std::fs::read_to_string(&q).unwrap();
    assert!(text.contains(r#"""subscription_id"":""s3"""#), "{text}");

    // Loading for KPIs refuses every invalid row.
    match Engine::open(&data, &Settings::default(), &[], None) {
        Err(EngineError::InvalidRows(issues)) => assert_eq!(issues, outcome.issues),
        Err(e) => panic!("expected invalid rows, got {e:?}"),
        Ok(_) => panic!("loaded a negative mrr"),
    }
}

#[test]
fn accepted_parquet_types_load() {
    // Integer ids (read as their decimal text), DECIMAL and integer money,
    // DATE dates, TIMESTAMP without a zone (UTC).
    let dir = TempDir::new().unwrap();
    write_parquet(
        &dir.path().join("subscriptions.parquet"),
        vec![
            (
                "subscription_id",
                Arc::new(Int64Array::from(vec![1, 2])),
                false,
            ),
            ("account_id", Arc::new(Int64Array::from(vec![42, 7])), false),
            ("mrr", Arc::new(Int64Array::from(vec![49, 0])), false),
            (
                "start_date",
                Arc::new(Date32Array::from(vec![JAN_1, JAN_1])),
                false,
            ),
            (
                "end_date",
                Arc::new(Date32Array::from(vec![None, Some(JAN_1 + 31)])),
                true,
            ),
        ],
    );
    let ts = TimestampMicrosecondArray::from(vec![1_704_067_200_000_000_i64]);
    assert_eq!(
        ts.data_type(),
        &DataType::Timestamp(TimeUnit::Microsecond, None)
    );
    write_parquet(
        &dir.path().join("accounts.parquet"),
        vec![
            ("account_id", Arc::new(Int64Array::from(vec![42])), false),
            ("created_at", Arc::new(ts), false),
        ],
    );
    let data = DataDir::open(dir.path()).unwrap();
    let outcome = check(&data, Zone::Utc, None).unwrap();
    assert!(outcome.issues.is_empty(), "{:?}", outcome.issues);
    let rows: Vec<(String, u64)> = outcome
        .quality
        .iter()
        .map(|q| (q.table.clone(), q.rows))
        .collect();
    assert!(rows.contains(&("subscriptions".to_string(), 2)), "{rows:?}");
    assert!(rows.contains(&("accounts".to_string(), 1)), "{rows:?}");
}

#[test]
fn timestamps_without_a_zone_are_the_same_instants_in_utc_in_every_unit() {
    use datafusion::arrow::array::{
        TimestampMillisecondArray, TimestampNanosecondArray, TimestampSecondArray,
    };
    // 2024-01-01T00:00:00.123456789 UTC, then a day in 2301 (past the
    // dates okapi handles), then none.
    const NS: i64 = 1_704_067_200_123_456_789;
    const FAR_S: i64 = 10_445_241_600; // 2301-01-01T00:00:00 UTC
    let cases: Vec<(ArrayRef, i64)> = vec![
        (
            Arc::new(TimestampNanosecondArray::from(vec![Some(NS), None])),
            1_704_067_200_123_456,
        ),
        (
            Arc::new(TimestampMicrosecondArray::from(vec![
                Some(NS / 1_000),
                None,
            ])),
            1_704_067_200_123_456,
        ),
        (
            Arc::new(TimestampMillisecondArray::from(vec![
                Some(NS / 1_000_000),
                None,
            ])),
            1_704_067_200_123_000,
        ),
        (
            Arc::new(TimestampSecondArray::from(vec![
                Some(NS / 1_000_000_000),
                Some(FAR_S),
            ])),
            1_704_067_200_000_000,
        ),
    ];
    for (column, micros) in cases {
        let unit = column.data_type().clone();
        assert!(matches!(unit, DataType::Timestamp(_, None)), "{unit}");
        let dir = TempDir::new().unwrap();
        let far = column.null_count() == 0;
        write_parquet(
            &dir.path().join("accounts.parquet"),
            vec![
                ("account_id", Arc::new(Int64Array::from(vec![1, 2])), false),
                ("created_at", column, true),
            ],
        );
        let file = okapi_engine::source::SourceFile::file(
            okapi_core::data_model::Table::Accounts,
            dir.path().join("accounts.parquet"),
            okapi_engine::source::Format::Parquet,
        );
        let (table, outcome) = okapi_engine::load::load_table(&file, Zone::Utc).unwrap();
        let at = table.batches[0]
            .column_by_name("created_at")
            .unwrap()
            .as_any()
            .downcast_ref::<TimestampMicrosecondArray>()
            .unwrap()
            .clone();
        // The same instant, in microseconds, labelled UTC.
        assert_eq!(
            at.data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            "{unit}"
        );
        assert_eq!(at.value(0), micros, "{unit}");
        // The second row has no time, or one past 2200: an issue, and not
        // loaded.
        assert_eq!(at.len(), 1, "{unit}");
        assert_eq!(outcome.issues.len(), 1, "{unit}: {:?}", outcome.issues);
        let why = format!("{:?}", outcome.issues);
        assert!(
            why.contains(if far { "2200" } else { "missing" }),
            "{unit}: {why}"
        );
    }
}
