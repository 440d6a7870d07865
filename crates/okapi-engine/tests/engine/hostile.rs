//! Hostile input at the engine's doors: corrupt Parquet files on every
//! read path (schema, row groups, the parallel events scan, the check),
//! typed Parquet values beyond the bounds, custom SQL under its limits,
//! and random bytes and rows fed to every loader (property tests, a few
//! small cases each): never a panic, every failure an error naming the
//! file.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Date32Array, Decimal128Array, StringArray, TimestampMicrosecondArray,
    TimestampSecondArray,
};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::file::properties::WriterProperties;
use okapi_core::settings::Settings;
use okapi_core::timezone::Zone;
use okapi_engine::EngineError;
use okapi_engine::compute::Engine;
use okapi_engine::load::check;
use okapi_engine::source::DataDir;
use proptest::prelude::*;
use tempfile::TempDir;

const SUBS: &str = "subscription_id,account_id,plan,mrr,start_date,end_date\n\
                    s1,a1,pro,49.00,2024-01-01,\n";

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>, group_rows: usize) {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(group_rows))
        .build();
    let mut w =
        ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

/// A valid events.parquet of `n` rows in row groups of 100, beside a
/// subscriptions.csv.
fn events_dir(n: usize) -> TempDir {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("subscriptions.csv"), SUBS).unwrap();
    // 2024-01-01T00:00Z, one event a minute.
    let ts: Vec<i64> = (0..n as i64)
        .map(|i| 1_704_067_200_000_000 + i * 60_000_000)
        .collect();
    let users: Vec<String> = (0..n).map(|i| format!("u{}", i % 37)).collect();
    write_parquet(
        &dir.path().join("events.parquet"),
        vec![
            (
                "ts",
                Arc::new(TimestampMicrosecondArray::from(ts).with_timezone("UTC")),
            ),
            ("user_id", Arc::new(StringArray::from(users))),
            ("account_id", Arc::new(StringArray::from(vec!["a1"; n]))),
            ("event", Arc::new(StringArray::from(vec!["login"; n]))),
        ],
        100,
    );
    dir
}

/// Every path that reads `dir`'s events: the check, a sequential load of
/// all tables, and the parallel scan behind the events KPIs.
fn read_every_way(dir: &Path) -> Vec<Result<(), EngineError>> {
    let data = DataDir::open(dir).unwrap();
    let settings = Settings::default();
    vec![
        check(&data, Zone::Utc, None).map(|_| ()),
        Engine::open(
            &data,
            &settings,
            &[okapi_core::data_model::Table::Events],
            None,
        )
        .map(|_| ()),
        Engine::for_kpis(&data, &settings, &["active_users".into()], None).map(|_| ()),
    ]
}

#[track_caller]
fn assert_file_error(results: Vec<Result<(), EngineError>>, file: &str, needle: &str) {
    for (i, r) in results.into_iter().enumerate() {
        match r {
            Err(EngineError::File { file: f, reason }) => {
                assert_eq!(f, file, "path {i}: {reason}");
                assert!(reason.contains(needle), "path {i}: {reason}");
            }
            other => panic!("path {i}: expected a file error, got {other:?}"),
        }
    }
}

#[test]
fn a_valid_events_file_reads_every_way() {
    let dir = events_dir(1_000);
    let pages = ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(dir.path().join("events.parquet")).unwrap(),
    )
    .unwrap();
    assert_eq!(pages.metadata().num_row_groups(), 10);
    for r in read_every_way(dir.path()) {
        r.unwrap();
    }
}

#[test]
fn a_truncated_parquet_file_is_an_error_naming_it() {
    let dir = events_dir(1_000);
    let path = dir.path().join("events.parquet");
    let bytes = std::fs::read(&path).unwrap();
    for keep in [bytes.len() / 2, bytes.len() - 1, 7, 1] {
        std::fs::write(&path, &bytes[..keep]).unwrap();
        assert_file_error(
            read_every_way(dir.path()),
            "events.parquet",
            "not a readable Parquet file",
        );
    }
}

#[test]
fn corrupt_pages_behind_a_valid_footer_are_an_error_naming_the_file() {
    let dir = events_dir(1_000);
    let path = dir.path().join("events.parquet");
    let meta = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(&path).unwrap())
        .unwrap()
        .metadata()
        .clone();
    // Garbage over the first page header of every column chunk of the
    // last row group: the footer still reads, the pages do not.
    let mut bytes = std::fs::read(&path).unwrap();
    let last = meta.row_group(meta.num_row_groups() - 1);
    for c in last.columns() {
        let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset()) as usize;
        for b in &mut bytes[start..start + 16] {
            *b = 0xFF;
        }
    }
    std::fs::write(&path, &bytes).unwrap();
    assert_file_error(
        read_every_way(dir.path()),
        "events.parquet",
        "corrupt data at row",
    );
}

#[test]
fn typed_parquet_values_beyond_the_bounds_are_bad_rows() {
    let dir = TempDir::new().unwrap();
    // Row 1 is fine; row 2's start date is in 2300; row 3's mrr is 10^16
    // (at scale 2: 10^18); row 4's end date is day i32::MAX.
    write_parquet(
        &dir.path().join("subscriptions.parquet"),
        vec![
            (
                "subscription_id",
                Arc::new(StringArray::from(vec!["s1", "s2", "s3", "s4"])),
            ),
            (
                "account_id",
                Arc::new(StringArray::from(vec!["a1", "a2", "a3", "a4"])),
            ),
            (
                "mrr",
                Arc::new(
                    Decimal128Array::from(vec![4900_i128, 4900, 10_i128.pow(18), 4900])
                        .with_precision_and_scale(20, 2)
                        .unwrap(),
                ),
            ),
            (
                "start_date",
                // 2024-01-01 is day 19,723. 2300-01-01 is 330 years after
                // 1970-01-01 with 80 leap days (1972 … 2296 by fours, 82,
                // less 2100 and 2200): 330 × 365 + 80 = 120,530.
                Arc::new(Date32Array::from(vec![19_723, 120_530, 19_723, 19_723])),
            ),
            (
                "end_date",
                Arc::new(Date32Array::from(vec![None, None, None, Some(i32::MAX)])),
            ),
        ],
        100,
    );
    // Timestamps in seconds whose microseconds overflow an i64.
    write_parquet(
        &dir.path().join("accounts.parquet"),
        vec![
            ("account_id", Arc::new(StringArray::from(vec!["a1", "a2"]))),
            (
                "created_at",
                Arc::new(TimestampSecondArray::from(vec![
                    1_704_067_200,
                    i64::MAX / 2,
                ])),
            ),
        ],
        100,
    );
    let data = DataDir::open(dir.path()).unwrap();
    let started = std::time::Instant::now();
    let outcome = check(&data, Zone::Utc, None).unwrap();
    let got: Vec<String> = outcome
        .issues
        .kept()
        .iter()
        .map(|i| i.to_string())
        .collect();
    assert_eq!(
        got,
        vec![
            "subscriptions.parquet: row 2, column start_date: outside the dates okapi accepts (1900-01-01 … 2200-12-31) (value `2300-01-01`)",
            "subscriptions.parquet: row 3, column mrr: money above 10^15 (1,000,000,000,000,000), the most one cell may hold (value `10000000000000000.00`)",
            "subscriptions.parquet: row 4, column end_date: outside the dates okapi accepts (1900-01-01 … 2200-12-31) (value `2147483647 days since 1970-01-01`)",
            "accounts.parquet: row 2, column created_at: ISO-8601 timestamp out of range (value `4611686018427387903 s since 1970-01-01T00:00:00Z`)",
        ],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    match Engine::open(&data, &Settings::default(), &[], None) {
        // Loading for KPIs reads subscriptions only (accounts serve segments).
        Err(EngineError::InvalidRows(issues)) => assert_eq!(issues.rows(), 3),
        other => panic!("expected invalid rows, got {:?}", other.err()),
    }
}

fn custom_settings(extra: &str, sql: &str) -> Settings {
    let s = Settings::from_toml(&format!(
        "{extra}\n[[kpi]]\nid = \"custom\"\nunit = \"count\"\nsql = '''\n{sql}\n'''\n"
    ))
    .unwrap();
    okapi_engine::validate_settings(&s).unwrap();
    s
}

#[test]
fn custom_sql_runs_within_its_limits_and_is_stopped_past_them() {
    // 300 visits, one a minute from 2024-01-01T00:00Z.
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("subscriptions.csv"), SUBS).unwrap();
    let mut visits = String::from("ts,visitor_id,channel\n");
    for i in 0..300 {
        visits.push_str(&format!(
            "2024-01-01T{:02}:{:02}:00Z,v{i},organic\n",
            i / 60,
            i % 60
        ));
    }
    std::fs::write(dir.path().join("visits.csv"), visits).unwrap();
    let data = DataDir::open(dir.path()).unwrap();
    let kpi = |settings: &Settings| {
        let e = Engine::for_kpis(&data, settings, &["custom".into()], None).unwrap();
        let periods = e
            .periods(okapi_core::period::Grain::Month, None, None)
            .unwrap();
        e.kpis(
            &["custom".into()],
            &periods,
            okapi_core::period::Grain::Month,
        )
    };
    // 300 visits over 5 hours of 1 January: one row for January, 300.
    let ok = custom_settings(
        "",
        "SELECT okapi_period(ts), COUNT(*) FROM visits GROUP BY 1",
    );
    let report = kpi(&ok).unwrap();
    assert_eq!(report.rows.len(), 1);
    assert_eq!(report.rows[0].value.value.unwrap().as_f64(), 300.0);
    // The same 300 rows one by one, against a limit of 299.
    let rows = custom_settings("[limits]\nquery_rows = 299", "SELECT ts, 1 FROM visits");
    let e = kpi(&rows).unwrap_err().to_string();
    assert!(e.contains("returns more than 299 rows"), "{e}");
    // 300^3 = 27 million joined rows: more than a second of work.
    let slow = custom_settings(
        "[limits]\nquery_timeout = 1",
        "SELECT okapi_period(a.ts), COUNT(*) FROM visits a, visits b, visits c GROUP BY 1",
    );
    let started = std::time::Instant::now();
    let e = kpi(&slow).unwrap_err().to_string();
    assert!(e.contains("stopped after 1 s"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

/// Runs `check` on a directory holding `name` with `bytes` (and a valid
/// subscriptions table when `name` is another table): it may succeed or
/// fail, never panic; every issue names the file and a line or row.
fn check_bytes(name: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let dir = TempDir::new().unwrap();
    if !name.starts_with("subscriptions.") {
        std::fs::write(dir.path().join("subscriptions.csv"), SUBS).unwrap();
    }
    std::fs::write(dir.path().join(name), bytes).unwrap();
    let data = DataDir::open(dir.path()).unwrap();
    match check(&data, Zone::Utc, None) {
        Ok(outcome) => {
            for i in outcome.issues.kept() {
                prop_assert_eq!(&i.file, name, "{}", i);
            }
        }
        Err(e) => {
            let msg = e.to_string();
            prop_assert!(msg.contains(name), "{msg}");
        }
    }
    let settings = Settings::default();
    let _ = Engine::open(&data, &settings, &okapi_core::data_model::Table::ALL, None);
    Ok(())
}

/// One CSV cell: anything, including separators, quotes and newlines.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{0,6}",
        "-?[0-9]{1,20}(\\.[0-9]{0,12})?",
        "(19|20|21|22|99)[0-9]{2}-[01][0-9]-[0-3][0-9]",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(Z|[+-][0-9]{2}(:[0-9]{2})?)?",
        ".{0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic_a_loader(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
        which in 0usize..4,
    ) {
        let name = ["subscriptions.csv", "deals.jsonl", "events.parquet", "accounts.csv"][which];
        check_bytes(name, &bytes)?;
    }

    #[test]
    fn random_bytes_between_parquet_magic_never_panic(
        body in prop::collection::vec(any::<u8>(), 0..300),
        footer in any::<u32>(),
    ) {
        let mut bytes = b"PAR1".to_vec();
        bytes.extend(&body);
        bytes.extend(footer.to_le_bytes());
        bytes.extend(b"PAR1");
        check_bytes("subscriptions.parquet", &bytes)?;
    }

    #[test]
    fn random_rows_never_panic_the_text_loaders(
        rows in prop::collection::vec(prop::collection::vec(cell(), 0..9), 0..12),
        json in any::<bool>(),
    ) {
        let header = ["deal_id", "account_id", "kind", "created_at", "closed_at", "status", "amount", "extra"];
        if json {
            let mut text = String::new();
            for r in &rows {
                let obj: serde_json::Map<String, serde_json::Value> = header
                    .iter()
                    .zip(r)
                    .map(|(h, v)| (h.to_string(), serde_json::Value::String(v.clone())))
                    .collect();
                text.push_str(&serde_json::Value::Object(obj).to_string());
                text.push('\n');
            }
            check_bytes("deals.jsonl", text.as_bytes())?;
        } else {
            let mut text = header.join(",");
            text.push('\n');
            for r in &rows {
                text.push_str(&r.join(","));
                text.push('\n');
            }
            check_bytes("deals.csv", text.as_bytes())?;
        }
    }

    #[test]
    fn mutated_parquet_files_never_panic(
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
    ) {
        let dir = events_dir(250);
        let path = dir.path().join("events.parquet");
        let mut bytes = std::fs::read(&path).unwrap();
        for (at, b) in flips {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        std::fs::write(&path, &bytes).unwrap();
        for r in read_every_way(dir.path()) {
            if let Err(e) = r {
                let msg = e.to_string();
                prop_assert!(msg.contains("events.parquet"), "{msg}");
            }
        }
    }
}
