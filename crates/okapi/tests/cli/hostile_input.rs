//! Hostile and careless input (docs: workspace.md `[limits]` and custom
//! KPIs, data-model.md "Input bounds"): custom SQL that is not a read-only
//! query, formulas nested without end, money and dates beyond the bounds,
//! ranges no business has, files of a million bad rows, corrupt Parquet.
//! Each is refused with what was refused and why, a non-zero exit, no
//! panic, no hang, and nothing written.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{Field, Schema};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use tempfile::TempDir;

use crate::{Run, arg, data_dir, okapi, write_files};

const SUBS: &str = "subscription_id,account_id,plan,mrr,start_date,end_date\n\
                    s1,a1,pro,49.00,2024-01-01,\n\
                    s2,a2,basic,19.00,2024-01-15,2024-03-01\n";

/// `okapi --config <dir>/okapi.toml ARGS…` with `toml` as the workspace file.
fn with_config(toml: &str, args: &[&str]) -> (TempDir, Run) {
    let dir = TempDir::new().expect("temp dir");
    let config = dir.path().join("okapi.toml");
    std::fs::write(&config, toml).expect("write okapi.toml");
    let mut all = vec!["--config".to_string(), arg(&config)];
    all.extend(args.iter().map(|a| a.to_string()));
    let run = okapi(&all);
    (dir, run)
}

/// Fails unless one line of stderr holds every needle.
#[track_caller]
fn assert_line(run: &Run, needles: &[&str]) {
    assert!(
        run.stderr
            .lines()
            .any(|l| needles.iter().all(|n| l.contains(n))),
        "no line of stderr contains all of {needles:?}:\n{}",
        run.stderr
    );
}

/// `okapi check` and `okapi kpi` on `dir` both exit with `code` and name
/// the problem on one line; `kpi` prints nothing.
#[track_caller]
fn assert_refused(dir: &Path, code: i32, needles: &[&str]) {
    let d = arg(dir);
    for args in [
        vec!["check", "--data", &d],
        vec!["kpi", "--data", &d, "--format", "csv"],
    ] {
        let run = okapi(&args);
        run.expect_code(code);
        assert_line(&run, needles);
        if args[0] == "kpi" {
            assert_eq!(run.stdout, "", "kpi computed something on bad input");
        }
    }
}

fn sql_kpi(sql: &str) -> String {
    format!("[[kpi]]\nid = \"custom\"\nunit = \"count\"\nsql = '''\n{sql}\n'''\n")
}

#[test]
fn custom_sql_that_is_not_one_read_only_query_is_refused_when_okapi_toml_is_read() {
    // The data directory does not exist: the settings are refused first.
    let cases: &[(&str, &str)] = &[
        ("CREATE TABLE t AS SELECT 1", "not `CREATE TABLE`"),
        ("INSERT INTO deals VALUES (1)", "not `INSERT INTO`"),
        ("DROP TABLE deals", "not `DROP TABLE`"),
        ("COPY deals TO '/tmp/x.csv'", "not `COPY`"),
        (
            "CREATE EXTERNAL TABLE x STORED AS CSV LOCATION '/etc/passwd'",
            "not `CREATE EXTERNAL TABLE`",
        ),
        (
            "SET datafusion.execution.batch_size = 1",
            "not `SET DATAFUSION.EXECUTION.BATCH_SIZE`",
        ),
        ("EXPLAIN ANALYZE SELECT 1", "not `EXPLAIN`"),
        (
            "SELECT okapi_period(ts), 1 FROM events; DROP TABLE events",
            "2 statements",
        ),
        (
            "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n, n FROM r",
            "recursive CTEs",
        ),
        (
            "SELECT value, value FROM generate_series(1, 1000000000000)",
            "table function `generate_series(…)`",
        ),
        (
            "SELECT * FROM read_parquet('/etc/shadow')",
            "table function `read_parquet(…)`",
        ),
        (
            "SELECT * FROM '/etc/passwd'",
            "unknown table `'/etc/passwd'`",
        ),
        (
            "SELECT * FROM information_schema.tables",
            "unknown table `information_schema.tables`",
        ),
        ("SELECT 1, 2 INTO t2 FROM deals", "SELECT … INTO"),
        (
            "SELECT okapi_period(ts), COUNT(*) FROM events GROUP BY 1",
            "the events table is not available to SQL KPIs",
        ),
        ("WITH x AS (DELETE FROM deals) SELECT 1, 2", ""),
    ];
    for (sql, why) in cases {
        let (_dir, run) = with_config(
            &sql_kpi(sql),
            &[
                "kpi",
                "--data",
                "/nonexistent/okapi-data",
                "--format",
                "csv",
            ],
        );
        run.expect_code(2);
        assert_line(&run, &["okapi.toml: kpi `custom`: sql: ", why]);
        assert!(
            !run.stderr.contains("nonexistent"),
            "{sql}: read data first"
        );
        assert_eq!(run.stdout, "", "{sql}");
    }
}

#[test]
fn deeply_nested_sql_is_refused_cleanly() {
    // 5,000 nested parentheses: past the parser's recursion limit.
    let parens = format!(
        "SELECT okapi_period(closed_at), {}1{} FROM deals GROUP BY 1",
        "(".repeat(5_000),
        ")".repeat(5_000)
    );
    let (_d, run) = with_config(&sql_kpi(&parens), &["kpi", "--list", "--format", "csv"]);
    run.expect_code(2);
    assert_line(&run, &["kpi `custom`: sql: cannot parse the query"]);
    // `1+1+…+1` with 5,000 operators parses as a chain 5,000 deep: refused
    // by the nesting limit before it is planned.
    let chain = format!(
        "SELECT okapi_period(closed_at), {} FROM deals GROUP BY 1",
        vec!["1"; 5_001].join("+")
    );
    let (_d, run) = with_config(&sql_kpi(&chain), &["kpi", "--list", "--format", "csv"]);
    run.expect_code(2);
    assert_line(
        &run,
        &["kpi `custom`: sql: the query nests more than 128 levels deep"],
    );
}

/// A data directory with `n` visits, one per visitor, one a minute from
/// 2024-01-01T00:00Z.
fn visits_dir(n: usize) -> TempDir {
    let mut visits = String::from("ts,visitor_id,channel\n");
    for i in 0..n {
        visits.push_str(&format!(
            "2024-01-01T{:02}:{:02}:00Z,v{i},organic\n",
            (i / 60) % 24,
            i % 60
        ));
    }
    data_dir(&[("subscriptions.csv", SUBS), ("visits.csv", &visits)])
}

#[test]
fn a_custom_query_past_its_time_limit_is_stopped() {
    // 1,000 visits joined with themselves three times: 10^9 rows to count,
    // far more than a second's work in a debug build.
    let data = visits_dir(1_000);
    let toml = format!(
        "[limits]\nquery_timeout = 1\n{}",
        sql_kpi("SELECT okapi_period(a.ts), COUNT(*) FROM visits a, visits b, visits c GROUP BY 1")
    );
    let started = std::time::Instant::now();
    let (_d, run) = with_config(
        &toml,
        &[
            "kpi",
            "--data",
            &arg(data.path()),
            "--kpi",
            "custom",
            "--format",
            "csv",
        ],
    );
    run.expect_code(2);
    assert_line(
        &run,
        &[
            "custom KPI `custom`",
            "stopped after 1 s",
            "limits.query_timeout",
        ],
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_custom_query_past_its_memory_limit_is_stopped() {
    // Counting the distinct pairs of 1,000 × 1,000 visitors holds a
    // million text keys: tens of MiB, past a limit of 16 that nothing may
    // spill beyond.
    let data = visits_dir(1_000);
    let toml = format!(
        "[limits]\nquery_memory = 16\nquery_timeout = 600\n{}",
        sql_kpi(
            "SELECT okapi_period(a.ts), COUNT(DISTINCT a.visitor_id || '-' || b.visitor_id) \
             FROM visits a, visits b GROUP BY 1"
        )
    );
    let (_d, run) = with_config(
        &toml,
        &[
            "kpi",
            "--data",
            &arg(data.path()),
            "--kpi",
            "custom",
            "--format",
            "csv",
        ],
    );
    run.expect_code(2);
    assert_line(
        &run,
        &[
            "custom KPI `custom`",
            "more than 16 MiB",
            "limits.query_memory",
        ],
    );
}

#[test]
fn a_custom_query_past_its_row_limit_is_refused() {
    // One row per visit (30 of them) against a limit of 10.
    let data = visits_dir(30);
    let toml = format!(
        "[limits]\nquery_rows = 10\n{}",
        sql_kpi("SELECT CAST(ts AS DATE), 1 FROM visits")
    );
    let (_d, run) = with_config(
        &toml,
        &[
            "kpi",
            "--data",
            &arg(data.path()),
            "--kpi",
            "custom",
            "--format",
            "csv",
        ],
    );
    run.expect_code(2);
    assert_line(
        &run,
        &[
            "custom KPI `custom`",
            "more than 10 rows",
            "limits.query_rows",
        ],
    );
    // Within the limit, the same query runs: its 30 rows all fall on
    // 2024-01-01, the last one wins for that day's period.
    let toml = format!(
        "[limits]\nquery_rows = 30\n{}",
        sql_kpi("SELECT CAST(ts AS DATE), 1 FROM visits")
    );
    let (_d, run) = with_config(
        &toml,
        &[
            "kpi",
            "--data",
            &arg(data.path()),
            "--kpi",
            "custom",
            "--grain",
            "day",
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-01",
            "--format",
            "csv",
        ],
    );
    run.expect_code(0);
    assert!(
        run.stdout.contains("custom,2024-01-01,1,count,"),
        "{}",
        run.stdout
    );
}

#[test]
fn formulas_nested_too_deep_or_chained_too_far_are_refused() {
    let deep = format!("{}ltv{}", "(".repeat(5_000), ")".repeat(5_000));
    let (_d, run) = with_config(
        &format!("[[kpi]]\nid = \"deep\"\nformula = \"{deep}\"\n"),
        &["kpi", "--list"],
    );
    run.expect_code(2);
    assert_line(&run, &["okapi.toml: kpi `deep`: formula: 10003 characters"]);
    let nested = format!("{}ltv{}", "(".repeat(40), ")".repeat(40));
    let (_d, run) = with_config(
        &format!("[[kpi]]\nid = \"deep\"\nformula = \"{nested}\"\n"),
        &["kpi", "--list"],
    );
    run.expect_code(2);
    assert_line(
        &run,
        &["okapi.toml: kpi `deep`: formula: nested more than 32 deep"],
    );
    // k1 = ltv, k2 = k1 + 1, …, k17 = k16 + 1: a chain of 17 custom KPIs.
    let mut toml = String::from("[[kpi]]\nid = \"k1\"\nformula = \"ltv\"\n");
    for i in 2..=17 {
        toml.push_str(&format!(
            "[[kpi]]\nid = \"k{i}\"\nformula = \"k{} + 1\"\n",
            i - 1
        ));
    }
    let (_d, run) = with_config(&toml, &["kpi", "--list"]);
    run.expect_code(2);
    assert_line(
        &run,
        &["kpi `k17`", "chain of 17 custom KPIs", "at most 16"],
    );
}

#[test]
fn money_beyond_ten_to_the_fifteen_is_refused_with_its_line() {
    let dir = data_dir(&[(
        "subscriptions.csv",
        "subscription_id,account_id,plan,mrr,start_date,end_date\n\
         s1,a1,pro,1000000000000000,2024-01-01,\n\
         s2,a2,pro,1000000000000000.01,2024-01-01,\n",
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 3, column mrr",
            "money above 10^15",
            "`1000000000000000.01`",
        ],
    );
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "deals.jsonl",
            "{\"deal_id\":\"d1\",\"kind\":\"new\",\"created_at\":\"2024-01-02\",\"status\":\"open\",\"amount\":1e300}\n",
        ),
    ]);
    assert_refused(dir.path(), 1, &["deals.jsonl: line 1, column amount"]);
}

#[test]
fn many_maximal_amounts_add_up_exactly_without_overflow() {
    // 10,000 won deals and 10,000 subscriptions of 10^15 each: their sums,
    // 10^19, are past what a Decimal holds at 10 decimal places (about
    // 7.9 × 10^18), so they must drop decimals, not panic or wrap.
    let mut deals = String::from("deal_id,kind,created_at,closed_at,status,amount\n");
    let mut subs = String::from("subscription_id,account_id,plan,mrr,start_date,end_date\n");
    for i in 0..10_000 {
        deals.push_str(&format!(
            "d{i},new,2024-01-02,2024-01-10,won,1000000000000000\n"
        ));
        subs.push_str(&format!("s{i},a{i},pro,1000000000000000,2024-01-01,\n"));
    }
    let dir = data_dir(&[("subscriptions.csv", &subs), ("deals.csv", &deals)]);
    let d = arg(dir.path());
    let run = okapi(&[
        "kpi",
        "--data",
        &d,
        "--kpi",
        "average_deal_size,mrr",
        "--from",
        "2024-01-01",
        "--to",
        "2024-01-31",
        "--format",
        "csv",
    ]);
    run.expect_code(0);
    // 10,000 × 10^15 / 10,000 deals = 10^15; MRR is the sum, 10^19.
    assert!(
        run.stdout
            .contains("average_deal_size,2024-01-01,1000000000000000,money,"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("mrr,2024-01-01,10000000000000000000,money,"),
        "{}",
        run.stdout
    );
}

#[test]
fn dates_outside_the_window_are_refused_in_every_format() {
    let dir = data_dir(&[(
        "subscriptions.csv",
        "subscription_id,account_id,plan,mrr,start_date,end_date\n\
         s1,a1,pro,10,2024-01-01,2201-01-01\n",
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 2, column end_date",
            "outside the dates okapi accepts (1900-01-01 … 2200-12-31)",
        ],
    );
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "accounts.jsonl",
            "{\"account_id\":\"a1\",\"created_at\":\"1899-12-31T23:00:00Z\"}\n",
        ),
    ]);
    assert_refused(
        dir.path(),
        1,
        &[
            "accounts.jsonl: line 1, column created_at",
            "outside the dates",
        ],
    );
}

#[test]
fn ranges_beyond_the_window_or_too_many_periods_are_refused() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let d = arg(dir.path());
    let run = okapi(&[
        "kpi",
        "--data",
        &d,
        "--from",
        "1800-01-01",
        "--format",
        "csv",
    ]);
    run.expect_code(2);
    assert_line(
        &run,
        &["--from 1800-01-01 is outside the dates okapi handles"],
    );
    let run = okapi(&["mrr", "--data", &d, "--to", "9999-12-31", "--format", "csv"]);
    run.expect_code(2);
    assert_line(&run, &["--to 9999-12-31 is outside"]);
    let run = okapi(&["inactive", "--data", &d, "--at", "3000-01-01"]);
    run.expect_code(2);
    assert_line(&run, &["--at 3000-01-01 is outside"]);
    let run = okapi(&["inactive", "--data", &d, "--window", "4000000000"]);
    run.expect_code(2);
    assert_line(
        &run,
        &["--window must be between 1 and 3660 days, not 4000000000"],
    );
    // 1900-01-01 … 2200-12-31 by day: 109,938 periods.
    let run = okapi(&[
        "kpi",
        "--data",
        &d,
        "--grain",
        "day",
        "--from",
        "1900-01-01",
        "--to",
        "2200-12-31",
        "--kpi",
        "mrr",
        "--format",
        "csv",
    ]);
    run.expect_code(2);
    assert_line(&run, &["is 109938 periods, more than the 36600"]);
    assert_eq!(run.stdout, "");
    // By month the same range is 3,612 periods: fine.
    let run = okapi(&[
        "mrr",
        "--data",
        &d,
        "--from",
        "1900-01-01",
        "--to",
        "2200-12-31",
        "--format",
        "csv",
    ]);
    run.expect_code(0);
    assert_eq!(run.stdout.lines().count(), 1 + 3_612);
}

#[test]
fn the_datas_own_range_is_capped_too() {
    // Rows from 1900-01-01 to 2200-12-01 (the last start of an open
    // subscription): by day that is 109,938 − 30 = 109,908 periods, too
    // many; by year it is 301.
    let dir = data_dir(&[(
        "subscriptions.csv",
        "subscription_id,account_id,plan,mrr,start_date,end_date\n\
         s1,a1,pro,10,1900-01-01,1900-02-01\n\
         s2,a2,pro,10,2200-12-01,\n",
    )]);
    let d = arg(dir.path());
    let run = okapi(&["mrr", "--data", &d, "--grain", "day", "--format", "csv"]);
    run.expect_code(2);
    assert_line(
        &run,
        &["error: 1900-01-01 … 2200-12-01 by day is 109908 periods, more than the 36600"],
    );
    assert_eq!(run.stderr.matches("periods").count(), 1, "{}", run.stderr);
    let run = okapi(&["mrr", "--data", &d, "--grain", "year", "--format", "csv"]);
    run.expect_code(0);
    assert_eq!(run.stdout.lines().count(), 1 + 301);
}

#[test]
fn a_json_timestamp_far_in_the_future_is_refused_quickly() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    write_files(
        dir.path(),
        &[(
            "events.jsonl",
            "{\"ts\":\"2024-01-01T00:00:00Z\",\"user_id\":\"u1\",\"event\":\"login\"}\n\
             {\"ts\":\"+200000-01-01T00:00:00Z\",\"user_id\":\"u2\",\"event\":\"login\"}\n",
        )],
    );
    let started = std::time::Instant::now();
    assert_refused(dir.path(), 1, &["events.jsonl: line 2, column ts"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60));
}

/// Writes a Parquet file of `columns`.
fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
            .collect::<Vec<_>>(),
    ));
    let batch =
        RecordBatch::try_new(schema.clone(), columns.into_iter().map(|c| c.1).collect()).unwrap();
    let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

#[test]
fn a_parquet_timestamp_far_in_the_future_is_refused_quickly() {
    // Before the date window, an event in the year 50,000 made `okapi kpi`
    // build day arrays up to it. 2024-01-01T00:00Z is 1,704,067,200 s
    // after the epoch; the second event is 1.5 × 10^18 µs (about 47,500
    // years) after it.
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    write_parquet(
        &dir.path().join("events.parquet"),
        vec![
            (
                "ts",
                Arc::new(
                    TimestampMicrosecondArray::from(vec![
                        1_704_067_200_000_000,
                        1_500_000_000_000_000_000,
                    ])
                    .with_timezone("UTC"),
                ),
            ),
            ("user_id", Arc::new(StringArray::from(vec!["u1", "u2"]))),
            ("event", Arc::new(StringArray::from(vec!["login", "login"]))),
        ],
    );
    let started = std::time::Instant::now();
    assert_refused(
        dir.path(),
        1,
        &[
            "events.parquet: row 2, column ts",
            "outside the dates okapi accepts",
        ],
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_truncated_parquet_file_is_an_error_naming_it() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("subscriptions.parquet");
    write_parquet(
        &path,
        vec![
            ("subscription_id", Arc::new(StringArray::from(vec!["s1"]))),
            ("account_id", Arc::new(StringArray::from(vec!["a1"]))),
            ("mrr", Arc::new(StringArray::from(vec!["49.00"]))),
            (
                "start_date",
                Arc::new(StringArray::from(vec!["2024-01-01"])),
            ),
        ],
    );
    let d = arg(dir.path());
    okapi(&["kpi", "--data", &d, "--kpi", "mrr", "--format", "csv"]).expect_code(0);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    assert_refused(
        dir.path(),
        2,
        &["subscriptions.parquet: not a readable Parquet file"],
    );
}

#[test]
fn a_million_bad_rows_report_the_first_thousand_and_the_count() {
    // 5,000 lines that are not JSON objects, then 5,000 with a bad mrr.
    let mut lines = String::new();
    for i in 0..5_000 {
        lines.push_str(&format!("[{i}]\n"));
    }
    for i in 0..5_000 {
        lines.push_str(&format!(
            "{{\"subscription_id\":\"s{i}\",\"account_id\":\"a\",\"mrr\":\"-1\",\"start_date\":\"2024-01-01\"}}\n"
        ));
    }
    let dir = data_dir(&[("subscriptions.jsonl", &lines)]);
    let d = arg(dir.path());
    let run = okapi(&["check", "--data", &d, "--format", "csv"]);
    run.expect_code(1);
    let shown = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("subscriptions.jsonl: line "))
        .count();
    assert_eq!(
        shown,
        1_000,
        "{}",
        &run.stderr[..2000.min(run.stderr.len())]
    );
    assert_line(&run, &["subscriptions.jsonl: line 1:", "not a JSON object"]);
    assert_line(&run, &["subscriptions.jsonl: line 1000:"]);
    assert!(!run.stderr.contains("subscriptions.jsonl: line 1001:"));
    assert_line(&run, &["… and 9000 more issue(s) not shown (10000 in all"]);
    assert_line(&run, &["error: 10000 invalid row(s)"]);
    assert!(
        run.stdout.contains("rows: 0 valid, 10000 invalid"),
        "{}",
        run.stdout
    );
    let run = okapi(&["kpi", "--data", &d, "--format", "csv"]);
    run.expect_code(1);
    assert_line(&run, &["error: 10000 invalid row(s); nothing was computed"]);
    assert_line(&run, &["… and 9000 more issue(s) not shown"]);
    // JSON lists the first 1,000 with the totals.
    let run = okapi(&["check", "--data", &d, "--format", "json"]);
    run.expect_code(1);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(doc["issues"].as_array().map(Vec::len), Some(1_000));
    assert_eq!(doc["issue_count"], 10_000);
    assert_eq!(doc["invalid_rows"], 10_000);
    assert_eq!(doc["issues"][999]["location"]["number"], 1_000);

    // The quarantine file holds every rejected row, in file order.
    let out = TempDir::new().unwrap();
    let q = out.path().join("rejected.csv");
    let run = okapi(&[
        "check",
        "--data",
        &d,
        "--quarantine",
        &arg(&q),
        "--format",
        "csv",
    ]);
    run.expect_code(1);
    assert_line(
        &run,
        &["10000 invalid row(s) written with their reasons to"],
    );
    let text = std::fs::read_to_string(&q).unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 1 + 10_000);
    assert!(
        rows[1].starts_with("subscriptions.jsonl,line 1,,[0],not a JSON object,"),
        "{}",
        rows[1]
    );
    assert!(
        rows[10_000].starts_with("subscriptions.jsonl,line 10000,mrr,-1,negative money,"),
        "{}",
        rows[10_000]
    );
}

#[test]
fn long_lines_and_too_many_extra_keys_in_json_lines() {
    // A 2 MiB line is refused without being read whole; the rows around
    // it are checked as usual.
    let long = format!(
        "{{\"subscription_id\":\"s1\",\"account_id\":\"a1\",\"mrr\":\"1\",\"start_date\":\"2024-01-01\",\"plan\":\"{}\"}}\n",
        "x".repeat(2 << 20)
    );
    let lines = format!(
        "{long}{{\"subscription_id\":\"s2\",\"account_id\":\"a2\",\"mrr\":\"ten\",\"start_date\":\"2024-01-01\"}}\n"
    );
    let dir = data_dir(&[("subscriptions.jsonl", &lines)]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.jsonl: line 1:",
            "line longer than 1048576 bytes",
        ],
    );
    assert_refused(dir.path(), 1, &["subscriptions.jsonl: line 2, column mrr"]);
    // In CSV a line that long refuses the whole file: a file read in part
    // is never loaded.
    let csv = format!(
        "subscription_id,account_id,plan,mrr,start_date,end_date\n\
         s1,a1,pro,1,2024-01-01,\n\
         s2,a2,{},1,2024-01-01,\n",
        "x".repeat(2 << 20)
    );
    let dir = data_dir(&[("subscriptions.csv", &csv)]);
    assert_refused(
        dir.path(),
        2,
        &["subscriptions.csv: cannot be read: line 3 is longer than 1048576 bytes"],
    );
    // accounts keeps extra keys as segments, at most 256 of them.
    let mut accounts = String::new();
    for i in 0..300 {
        accounts.push_str(&format!(
            "{{\"account_id\":\"a{i}\",\"created_at\":\"2024-01-01\",\"extra_{i:03}\":\"x\"}}\n"
        ));
    }
    let dir = data_dir(&[("subscriptions.csv", SUBS), ("accounts.jsonl", &accounts)]);
    let run = okapi(&["check", "--data", &arg(dir.path())]);
    run.expect_code(2);
    assert_line(
        &run,
        &[
            "accounts.jsonl: line 257: 257 columns beyond the data model (at most 256)",
            "`extra_256`",
        ],
    );
}

#[test]
fn corrupt_parquet_files_are_errors_naming_the_file() {
    let garbage_with_magic = {
        // PAR1, junk, a footer length of 16 and the closing magic: the
        // 16 bytes of "metadata" are not Thrift.
        let mut b = b"PAR1".to_vec();
        b.extend(std::iter::repeat_n(0xAB_u8, 64));
        b.extend(16u32.to_le_bytes());
        b.extend(b"PAR1");
        b
    };
    let footer_outside = {
        // A footer length far larger than the file.
        let mut b = b"PAR1".to_vec();
        b.extend([0u8; 8]);
        b.extend(1_000_000u32.to_le_bytes());
        b.extend(b"PAR1");
        b
    };
    for (what, bytes) in [("garbage", garbage_with_magic), ("footer", footer_outside)] {
        for table in ["subscriptions", "events"] {
            let dir = data_dir(&[("subscriptions.csv", SUBS)]);
            if table == "subscriptions" {
                std::fs::remove_file(dir.path().join("subscriptions.csv")).unwrap();
            }
            std::fs::write(dir.path().join(format!("{table}.parquet")), &bytes).unwrap();
            let d = arg(dir.path());
            for args in [
                vec!["check", "--data", &d],
                vec!["kpi", "--data", &d, "--format", "csv"],
                vec!["retention", "--data", &d, "--format", "csv"],
            ] {
                let run = okapi(&args);
                run.expect_code(2);
                assert_line(
                    &run,
                    &[&format!("{table}.parquet: not a readable Parquet file")],
                );
                assert_eq!(run.stdout, "", "{what} {table} {args:?}");
            }
        }
    }
}

#[test]
fn deals_closed_without_a_date_or_open_with_one_are_refused() {
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "deals.csv",
            "deal_id,account_id,kind,created_at,closed_at,status,amount\n\
             d1,a1,new,2024-01-02,,won,100\n\
             d2,a1,new,2024-01-02,,lost,100\n\
             d3,a1,new,2024-01-02,2024-01-05,open,100\n\
             d4,a1,new,2024-01-02,,open,100\n",
        ),
    ]);
    assert_refused(
        dir.path(),
        1,
        &[
            "deals.csv: line 2, column closed_at",
            "a won deal needs closed_at",
        ],
    );
    assert_refused(
        dir.path(),
        1,
        &[
            "deals.csv: line 3, column closed_at",
            "a lost deal needs closed_at",
        ],
    );
    assert_refused(
        dir.path(),
        1,
        &[
            "deals.csv: line 4, column closed_at",
            "an open deal has no closed_at",
            "`2024-01-05",
        ],
    );
    let run = okapi(&["check", "--data", &arg(dir.path()), "--format", "csv"]);
    assert!(!run.stderr.contains("line 5"), "{}", run.stderr);
}

#[test]
fn the_quality_report_buckets_days_in_the_workspace_time_zone() {
    // 23:30Z on 1 March is 2 March in Paris; 00:30Z on 3 March is 3 March.
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "events.csv",
            "ts,user_id,account_id,event\n\
             2024-03-01T23:30:00Z,u1,a1,login\n\
             2024-03-03T00:30:00Z,u1,a1,login\n",
        ),
    ]);
    let d = arg(dir.path());
    let run = okapi(&["check", "--data", &d, "--format", "table"]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("date range: 2024-03-01 … 2024-03-03"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("days with no rows: 1 (2024-03-02)"),
        "{}",
        run.stdout
    );
    let (_c, run) = with_config(
        "time_zone = \"Europe/Paris\"\n",
        &["check", "--data", &d, "--format", "table"],
    );
    run.expect_code(0);
    assert!(
        run.stdout.contains("date range: 2024-03-02 … 2024-03-03"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("days with no rows: 0"),
        "{}",
        run.stdout
    );
}
