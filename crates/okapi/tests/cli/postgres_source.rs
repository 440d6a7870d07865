//! Data in PostgreSQL: the demo company's tables loaded into a schema of the
//! machine's PostgreSQL (`OKAPI_TEST_POSTGRES_URL`) give exactly the KPIs
//! of the same tables as files, and a bad row there is named by its table,
//! its key and its column.
//!
//! The tables are copied without okapi: each Parquet file is read with
//! DataFusion, its column types mapped to PostgreSQL's by their Arrow
//! types, and its rows sent with `COPY … FROM STDIN` as CSV.

use std::path::Path;

use datafusion::arrow::datatypes::DataType;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use sqlx::Connection;
use sqlx::postgres::PgConnection;

use super::okrs::{init, json, ws};
use super::{arg, okapi};

/// The test database and a fresh schema in it, dropped at the end.
struct Schema {
    base: String,
    name: String,
}

impl Schema {
    async fn create(base: &str, name: &str) -> Schema {
        let mut c = PgConnection::connect(base).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"
        )))
        .execute(&mut c)
        .await
        .expect("create schema");
        Schema {
            base: base.to_string(),
            name: name.to_string(),
        }
    }

    /// A fresh schema `{prefix}_{pid}` in the test database; `None` (the
    /// test is skipped, and says so) when there is no test database.
    async fn fresh(prefix: &str) -> Option<Schema> {
        let base = test_database()?;
        Some(Schema::create(&base, &format!("{prefix}_{}", std::process::id())).await)
    }

    /// The data URL of the schema.
    fn url(&self) -> String {
        format!("{}?schema={}", self.base, self.name)
    }

    async fn run(&self, sql: &str) {
        let mut c = PgConnection::connect(&self.base).await.expect("connect");
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut c)
            .await
            .expect(sql);
    }

    async fn drop(self) {
        self.run(&format!("DROP SCHEMA IF EXISTS {} CASCADE", self.name))
            .await;
    }
}

/// PostgreSQL's type for an Arrow type as the demo writes it.
fn pg_type(dt: &DataType) -> String {
    match dt {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Dictionary(_, _) => {
            "text".into()
        }
        DataType::Decimal128(p, s) => format!("numeric({p},{s})"),
        DataType::Date32 => "date".into(),
        DataType::Timestamp(_, Some(_)) => "timestamptz".into(),
        DataType::Timestamp(_, None) => "timestamp".into(),
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::Int64 => "bigint".into(),
        DataType::Float64 => "double precision".into(),
        DataType::Boolean => "boolean".into(),
        other => panic!("no PostgreSQL type chosen for {other}"),
    }
}

/// Copies every `TABLE.parquet` of `dir` into a table `TABLE` of `schema`.
async fn copy_tables(dir: &Path, schema: &Schema) -> Vec<String> {
    let ctx = SessionContext::new();
    let mut c = PgConnection::connect(&schema.base).await.expect("connect");
    sqlx::raw_sql("SET TIME ZONE 'UTC'")
        .execute(&mut c)
        .await
        .unwrap();
    let mut tables = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    files.sort();
    for path in files {
        let table = path.file_stem().unwrap().to_str().unwrap().to_string();
        let df = ctx
            .read_parquet(arg(&path), ParquetReadOptions::default())
            .await
            .unwrap();
        let arrow_schema = df.schema().as_arrow().clone();
        let batches = df.collect().await.unwrap();
        let columns: Vec<String> = arrow_schema
            .fields()
            .iter()
            .map(|f| format!("\"{}\" {}", f.name(), pg_type(f.data_type())))
            .collect();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE TABLE {}.{table} ({})",
            schema.name,
            columns.join(", ")
        )))
        .execute(&mut c)
        .await
        .unwrap();
        // CSV with RFC 3339 timestamps; an empty field is NULL.
        let mut csv = Vec::new();
        {
            let mut w = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .with_timestamp_format("%Y-%m-%dT%H:%M:%S%.f".into())
                .with_timestamp_tz_format("%Y-%m-%dT%H:%M:%S%.f%:z".into())
                .build(&mut csv);
            for b in &batches {
                w.write(b).unwrap();
            }
        }
        let mut copy = c
            .copy_in_raw(&format!(
                "COPY {}.{table} FROM STDIN (FORMAT csv, HEADER true)",
                schema.name
            ))
            .await
            .unwrap();
        copy.send(csv).await.unwrap();
        let rows = copy.finish().await.unwrap();
        let expected: usize = batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows, expected as u64, "{table}: rows copied");
        tables.push(table);
    }
    tables
}

fn test_database() -> Option<String> {
    match std::env::var("OKAPI_TEST_POSTGRES_URL") {
        Ok(u) => Some(u),
        Err(_) => {
            eprintln!(
                "SKIPPED postgres_source: OKAPI_TEST_POSTGRES_URL is not set, so the PostgreSQL source did NOT run"
            );
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kpi_from_postgresql_equals_the_same_tables_as_files() {
    let Some(base) = test_database() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    okapi(&[
        "demo",
        "--out",
        &arg(&data),
        "--accounts",
        "150",
        "--events",
        "30000",
        "--months",
        "14",
        "--end",
        "2025-06-30",
        "--quiet",
    ])
    .expect_code(0);
    let schema = Schema::create(&base, &format!("okapi_src_{}", std::process::id())).await;
    let tables = copy_tables(&data, &schema).await;
    // Every table of the data model is there, events included.
    for t in [
        "subscriptions",
        "accounts",
        "events",
        "leads",
        "deals",
        "spend",
    ] {
        assert!(tables.iter().any(|x| x == t), "{t} copied: {tables:?}");
    }
    let url = schema.url();

    for grain in ["day", "week", "month", "quarter", "year"] {
        let files = okapi(&[
            "kpi",
            "--data",
            &arg(&data),
            "--grain",
            grain,
            "--format",
            "json",
        ]);
        files.expect_code(0);
        let database = okapi(&["kpi", "--data", &url, "--grain", grain, "--format", "json"]);
        database.expect_code(0);
        assert!(
            files.stdout.len() > 1_000,
            "{grain}: a real report: {}",
            files.stdout
        );
        assert_eq!(
            files.stdout, database.stdout,
            "{grain}: the KPIs from PostgreSQL differ from the files'"
        );
    }
    // A segment too: its events are read alone from PostgreSQL, whole
    // from the files.
    for grain in ["week", "month"] {
        let seg = |d: &str| {
            okapi(&[
                "kpi",
                "--data",
                d,
                "--grain",
                grain,
                "--segment",
                "plan=pro",
                "--format",
                "json",
            ])
        };
        let (files, database) = (seg(&arg(&data)), seg(&url));
        files.expect_code(0);
        database.expect_code(0);
        assert!(files.stdout.len() > 1_000, "{grain}: {}", files.stdout);
        assert_eq!(
            files.stdout, database.stdout,
            "{grain}: the segment's KPIs from PostgreSQL differ from the files'"
        );
    }
    // The bridge and the data-quality report agree too.
    let mrr = |d: &str| okapi(&["mrr", "--data", d, "--format", "json"]);
    assert_eq!(mrr(&arg(&data)).stdout, mrr(&url).stdout);
    let check = okapi(&["check", "--data", &url]);
    check.expect_code(0);
    assert!(
        check.stdout.contains(&format!("{}.events", schema.name)),
        "{}",
        check.stdout
    );

    // A workspace whose data is the schema: a refresh stores the catalog
    // and computes again every time (no fingerprint for a database).
    let w = init();
    let toml = w.path().join("okapi.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let with_url = |u: &str| text.replace("data = \"data\"", &format!("data = \"{u}\""));
    assert_ne!(with_url(&url), text, "the settings name a data directory");
    std::fs::write(&toml, with_url(&url)).unwrap();
    for _ in 0..2 {
        let r = json(ws(w.path(), &["refresh", "--format", "json"]).expect_code(0));
        assert_eq!(r["unchanged"], false, "{r}");
        assert!(
            r["fingerprint"].as_str().unwrap().starts_with("postgres:"),
            "{r}"
        );
        assert!(r["values"].as_u64().unwrap() > 1_000, "{r}");
    }
    // The workspace's MRR is the files' (the latest month of each).
    let kpi = |args: &[&str]| json(okapi(args).expect_code(0));
    let from_files = kpi(&[
        "kpi",
        "--data",
        &arg(&data),
        "--kpi",
        "mrr",
        "--format",
        "json",
    ]);
    let from_ws = json(ws(w.path(), &["kpi", "--kpi", "mrr", "--format", "json"]).expect_code(0));
    assert_eq!(from_files, from_ws);
    // A password has no place in okapi.toml.
    let secret = url.replace("postgres://", "postgres://postgres:hunter2@");
    std::fs::write(&toml, with_url(&secret)).unwrap();
    let refused = ws(w.path(), &["refresh"]);
    assert_ne!(refused.code, Some(0));
    assert!(refused.stderr.contains("PGPASSWORD"), "{}", refused.stderr);
    assert!(!refused.stderr.contains("hunter2"), "{}", refused.stderr);
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_segment_asks_postgresql_for_its_accounts_events_alone() {
    let Some(schema) = Schema::fresh("okapi_seg").await else {
        return;
    };
    let s = &schema.name;
    // a-1 is on pro, a-2 on basic. a-1's users start on 5 and 10 January
    // (u-1 completes onboarding on the 8th); a-2 has the table's last event,
    // on the 30th, and an event without a time.
    let events = "('2025-01-05 10:00:00+00', 'u-1', 'a-1', 'login'),
               ('2025-01-08 10:00:00+00', 'u-1', 'a-1', 'onboarding_completed'),
               ('2025-01-10 10:00:00+00', 'u-2', 'a-1', 'login'),
               ('2025-01-30 10:00:00+00', 'u-3', 'a-2', 'login'),
               (NULL, 'u-3', 'a-2', 'login')";
    schema
        .run(&format!(
            "CREATE TABLE {s}.subscriptions (subscription_id text, account_id text, plan text, \
               mrr numeric(12,2), start_date date, end_date date);
             INSERT INTO {s}.subscriptions VALUES
               ('s-1', 'a-1', 'pro', 49.00, '2025-01-01', NULL),
               ('s-2', 'a-2', 'basic', 19.00, '2025-01-01', NULL);
             CREATE TABLE {s}.events (ts timestamptz, user_id text, account_id text, event text);
             INSERT INTO {s}.events VALUES {events};"
        ))
        .await;
    let url = schema.url();
    let pro = |kpis: &str| {
        okapi(&[
            "kpi",
            "--data",
            &url,
            "--kpi",
            kpis,
            "--segment",
            "plan=pro",
            "--format",
            "json",
        ])
    };
    // All accounts: the bad row is read, and refused.
    let all = okapi(&["kpi", "--data", &url, "--kpi", "active_users"]);
    assert_ne!(all.code, Some(0));
    assert!(all.stderr.contains("invalid row"), "{}", all.stderr);
    // The pro plan: only a-1's events are asked for, so a-2's bad row is
    // never read; u-1 and u-2 were active in January. The last event is
    // still the whole table's (a-2's, on the 30th): both users' 14 days
    // end before it, so both count for onboarding and one of two
    // completed: 50 %. Had the last event been a-1's own (the 10th), both
    // would be left out and the rate absent.
    let got = json(pro("active_users,onboarding_completion_rate").expect_code(0));
    let value = |kpi: &str| {
        got.as_array()
            .unwrap()
            .iter()
            .find(|r| r["kpi"] == kpi && r["period_start"] == "2025-01-01")
            .unwrap_or_else(|| panic!("no {kpi} for January: {got}"))["value"]
            .as_f64()
    };
    assert_eq!(value("active_users"), Some(2.0), "{got}");
    assert_eq!(value("onboarding_completion_rate"), Some(50.0), "{got}");
    // The query PostgreSQL runs carries the filter.
    let parsed = std::sync::Arc::new(okapi_engine::source::PostgresUrl::parse(&url).unwrap());
    let dir = okapi_engine::postgres::open(&parsed).unwrap();
    let mut file = dir.files[&okapi_core::data_model::Table::Events].clone();
    assert_eq!(
        okapi_engine::postgres::instant_range(&file, "ts").unwrap(),
        // 5 January and 30 January 2025, 10:00 UTC, in µs.
        Some(Some((1_736_071_200_000_000, 1_738_231_200_000_000)))
    );
    file.accounts = Some(std::sync::Arc::new(["a-1".to_string()].into()));
    let plan = okapi_engine::postgres::plan(&file, Some(&["ts", "user_id", "account_id"])).unwrap();
    assert!(
        plan.contains("WHERE") && plan.contains("'a-1'") && !plan.contains("FilterExec"),
        "the filter is not run by PostgreSQL: {plan}"
    );
    // Times kept as text are converted by okapi's rules, not PostgreSQL's:
    // the whole table is read, so the bad row is found under the segment
    // too.
    schema
        .run(&format!(
            "DROP TABLE {s}.events;
             CREATE TABLE {s}.events (ts text, user_id text, account_id text, event text);
             INSERT INTO {s}.events VALUES {};",
            events.replace(" 10:00:00+00", "T10:00:00Z")
        ))
        .await;
    assert_eq!(
        okapi_engine::postgres::instant_range(&file, "ts").unwrap(),
        None
    );
    let text = pro("active_users");
    assert_ne!(text.code, Some(0));
    assert!(text.stderr.contains("invalid row"), "{}", text.stderr);
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_row_in_postgresql_is_named_by_its_table_key_and_column() {
    let Some(schema) = Schema::fresh("okapi_bad").await else {
        return;
    };
    let s = &schema.name;
    schema
        .run(&format!(
            "CREATE TABLE {s}.subscriptions (subscription_id text, account_id text, plan text, \
               mrr numeric(12,2), start_date date, end_date date);
             INSERT INTO {s}.subscriptions VALUES
               ('s-1', 'a-1', 'pro', 49.00, '2025-01-01', NULL),
               ('s-2', 'a-2', 'pro', -5.00, '2025-02-01', NULL),
               ('s-3', 'a-3', 'pro', 10.00, '2025-03-01', '2025-02-01');
             CREATE TABLE {s}.events (ts timestamptz, user_id text, account_id text, event text);
             INSERT INTO {s}.events VALUES
               ('2025-01-05 10:00:00+00', 'u-1', 'a-1', 'login'),
               ('2025-01-06 10:00:00+00', 'u-2', 'a-1', NULL);"
        ))
        .await;
    let url = schema.url();
    let check = okapi(&["check", "--data", &url]);
    let out = format!("{}{}", check.stdout, check.stderr);
    // The negative MRR: table, key, column, value.
    assert!(
        out.contains(&format!(
            "{s}.subscriptions: row subscription_id = 's-2', column mrr"
        )),
        "{out}"
    );
    assert!(out.contains("-5"), "{out}");
    // The period that ends before it starts.
    assert!(
        out.contains(&format!("{s}.subscriptions: row subscription_id = 's-3'")),
        "{out}"
    );
    // An event without a name, named by its values.
    assert!(
        out.contains(&format!(
            "{s}.events: row ts = '2025-01-06T10:00:00Z' AND user_id = 'u-2' AND event IS NULL, column event"
        )),
        "{out}"
    );
    // KPIs refuse the data, as for files.
    let kpi = okapi(&["kpi", "--data", &url, "--kpi", "mrr"]);
    assert_ne!(kpi.code, Some(0));
    assert!(kpi.stderr.contains("invalid row"), "{}", kpi.stderr);

    // A column of the wrong type is named with the type found.
    schema
        .run(&format!(
            "DELETE FROM {s}.subscriptions WHERE subscription_id <> 's-1';
             DROP TABLE {s}.events;
             CREATE TABLE {s}.events (ts boolean, user_id text, account_id text, event text)"
        ))
        .await;
    let kpi = okapi(&["kpi", "--data", &url, "--kpi", "active_users"]);
    assert_ne!(kpi.code, Some(0));
    assert!(
        kpi.stderr.contains(&format!("{s}.events")) && kpi.stderr.contains("`ts`"),
        "{}",
        kpi.stderr
    );
    let base = schema.base.clone();
    schema.drop().await;

    // A schema without the tables, and a server that is not there.
    let none = okapi(&["kpi", "--data", &format!("{base}?schema=no_such_schema")]);
    assert_ne!(none.code, Some(0));
    assert!(
        none.stderr
            .contains("no subscriptions table in postgres://"),
        "{}",
        none.stderr
    );
    let gone = okapi(&[
        "kpi",
        "--data",
        "postgres://okapi:secret-pw@127.0.0.1:1/test?schema=x",
    ]);
    assert_ne!(gone.code, Some(0));
    assert!(gone.stderr.contains("cannot connect"), "{}", gone.stderr);
    assert!(
        !gone.stderr.contains("secret-pw"),
        "the password is never shown: {}",
        gone.stderr
    );
}
