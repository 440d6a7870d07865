//! A partitioned events table (`events/date=YYYY-MM-DD/*.parquet`, as
//! DataFusion's `COPY … PARTITIONED BY` writes it) gives exactly the KPIs of
//! the same events in one file, and a bad row is named by its part file.

use std::path::Path;

use datafusion::prelude::{ParquetReadOptions, SessionContext};

use super::okrs::{init, json, ws};
use super::{arg, okapi};

/// Copies the tables of `from` into `to`, the events partitioned by day.
pub(super) async fn partition(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() && p.file_name().unwrap() != "events.parquet" {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
    let ctx = SessionContext::new();
    ctx.register_parquet(
        "events",
        arg(&from.join("events.parquet")),
        ParquetReadOptions::default(),
    )
    .await
    .unwrap();
    let out = to.join("events");
    std::fs::create_dir_all(&out).unwrap();
    ctx.sql(&format!(
        "COPY (SELECT *, to_char(ts, '%Y-%m-%d') AS date FROM events) \
         TO '{}/' STORED AS PARQUET PARTITIONED BY (date)",
        arg(&out)
    ))
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
}

/// The files under `dir`, at any depth.
/// `okapi refresh --format json ARGS` in the workspace at `w`: its report,
/// the run required to succeed.
pub(super) fn refresh_json(w: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["refresh", "--format", "json"];
    all.extend_from_slice(args);
    json(ws(w, &all).expect_code(0))
}

/// Whether a refresh report says it computed only the periods new events
/// can change (and kept the others).
pub(super) fn only_new_periods(report: &serde_json::Value) -> bool {
    report["periods"]
        .as_str()
        .is_some_and(|p| p.starts_with("only those the new events can change"))
}

/// Every stored value of the workspace at `w`: (KPI, segment, grain,
/// period start, value, note), in that order.
pub(super) async fn all_values(
    w: &Path,
) -> Vec<(
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
)> {
    let url = okapi_store::sqlite_url(&w.join("okapi.db"));
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let rows = sqlx::query_as(
        "SELECT kpi_id, segment, grain, period_start, value, note FROM kpi_values \
         ORDER BY kpi_id, segment, grain, period_start",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    pool.close().await;
    rows
}

fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_table_partitioned_by_day_gives_the_kpis_of_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let one = dir.path().join("one");
    okapi(&[
        "demo",
        "--out",
        &arg(&one),
        "--accounts",
        "120",
        "--events",
        "20000",
        "--months",
        "8",
        "--end",
        "2025-06-30",
        "--quiet",
    ])
    .expect_code(0);
    let parts = dir.path().join("parts");
    partition(&one, &parts).await;
    let written = files_under(&parts.join("events"));
    // One directory per day with events: about 240 days in 8 months.
    let days: std::collections::BTreeSet<_> = written
        .iter()
        .map(|p| p.parent().unwrap().to_path_buf())
        .collect();
    assert!(days.len() > 200, "{} day directories", days.len());
    assert!(
        days.iter().all(|d| d
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("date=")),
        "hive-style directories"
    );

    for grain in ["day", "week", "month", "quarter"] {
        let run = |d: &Path| {
            let r = okapi(&[
                "kpi",
                "--data",
                &arg(d),
                "--grain",
                grain,
                "--format",
                "json",
            ]);
            r.expect_code(0);
            r.stdout
        };
        let (a, b) = (run(&one), run(&parts));
        assert!(a.len() > 1_000, "{grain}: a real report");
        assert_eq!(a, b, "{grain}: the partitioned table's KPIs differ");
    }
    let check = okapi(&["check", "--data", &arg(&parts)]);
    check.expect_code(0);
    assert!(check.stdout.contains("events (events)"), "{}", check.stdout);
    assert!(
        check.stdout.contains("rows: 20000 valid"),
        "{}",
        check.stdout
    );

    // A late file in one day's directory, with a row without its event.
    let day = days.iter().next().unwrap();
    let ctx = SessionContext::new();
    ctx.sql(&format!(
        "COPY (SELECT CAST('2024-11-01T08:00:00Z' AS TIMESTAMP) AS ts, 'u-late' AS user_id, \
                'a-late' AS account_id, CAST(NULL AS VARCHAR) AS event) \
         TO '{}' STORED AS PARQUET",
        arg(&day.join("late.parquet"))
    ))
    .await
    .unwrap()
    .collect()
    .await
    .unwrap();
    let bad = okapi(&["check", "--data", &arg(&parts)]);
    assert_eq!(bad.code, Some(1), "{}", bad.stderr);
    let day_name = day.file_name().unwrap().to_str().unwrap();
    assert!(
        bad.stderr.contains(&format!(
            "events/{day_name}/late.parquet: row 1, column event: missing value"
        )),
        "{}",
        bad.stderr
    );
    assert!(
        bad.stdout.contains("rows: 20000 valid, 1 invalid"),
        "{}",
        bad.stdout
    );

    // `events/` beside `events.parquet` is ambiguous.
    std::fs::remove_file(day.join("late.parquet")).unwrap();
    std::fs::copy(one.join("events.parquet"), parts.join("events.parquet")).unwrap();
    let both = okapi(&["kpi", "--data", &arg(&parts)]);
    assert_ne!(both.code, Some(0));
    assert!(
        both.stderr.contains("several files for table events"),
        "{}",
        both.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_scans_only_the_events_files_added_since_the_last() {
    let w = init();
    let demo = w.path().join("demo");
    okapi(&[
        "demo",
        "--out",
        &arg(&demo),
        "--accounts",
        "60",
        "--events",
        "8000",
        "--months",
        "4",
        "--end",
        "2025-04-30",
        "--quiet",
    ])
    .expect_code(0);
    let data = w.path().join("data");
    std::fs::remove_dir_all(&data).unwrap();
    partition(&demo, &data).await;
    // The last day is held back, to arrive later.
    let mut days: Vec<_> = std::fs::read_dir(data.join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    days.sort();
    let last = days.pop().unwrap();
    let held = w.path().join("held");
    std::fs::rename(&last, &held).unwrap();
    let held_rows: usize = files_under(&held)
        .iter()
        .map(|p| {
            datafusion::parquet::file::reader::SerializedFileReader::new(
                std::fs::File::open(p).unwrap(),
            )
            .map(|r| {
                use datafusion::parquet::file::reader::FileReader;
                r.metadata().file_metadata().num_rows() as usize
            })
            .unwrap()
        })
        .sum();
    assert!(held_rows > 0);

    let refresh = |args: &[&str]| refresh_json(w.path(), args);
    let first = refresh(&[]);
    assert_eq!(first["events"]["mode"], "full", "{first}");
    assert_eq!(first["events"]["files"], days.len(), "{first}");
    assert_eq!(first["events"]["rows"], 8000 - held_rows, "{first}");

    // The late day arrives: only its file is scanned.
    std::fs::rename(&held, &last).unwrap();
    let second = refresh(&[]);
    assert_eq!(second["unchanged"], false);
    let e = &second["events"];
    assert_eq!(e["mode"], "appended", "{second}");
    assert_eq!(
        (e["files_scanned"].as_u64(), e["files"].as_u64()),
        (Some(1), Some(days.len() as u64 + 1))
    );
    assert_eq!(e["rows_scanned"], held_rows, "{second}");
    assert_eq!(e["rows"], 8000, "{second}");
    let day = last.file_name().unwrap().to_str().unwrap();
    assert!(e["reason"].as_str().unwrap().contains(day), "{second}");
    // The new day can change no period that ended before the held-back
    // day less 16 days, nor the period before that (a cohort's next
    // period). The events before it end on 29 April; less 16 days, 13
    // April: the days from 12 April, the weeks from Monday 31 March, the
    // months from March, the quarters from January, the years from 2024.
    assert!(only_new_periods(&second), "{second}");
    assert!(
        second["periods"].as_str().unwrap().contains("2025-04-29"),
        "{second}"
    );
    assert_eq!(first["periods"], "every period: no refresh before this one");
    let from: Vec<(String, String)> = second["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["grain"].as_str().unwrap().to_string(),
                s["from"].as_str().unwrap_or("all").to_string(),
            )
        })
        .collect();
    let expect = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(g, f)| (g.to_string(), f.to_string()))
            .collect()
    };
    assert_eq!(
        from,
        expect(&[
            ("day", "2025-04-12"),
            ("week", "2025-03-31"),
            ("month", "2025-03-01"),
            ("quarter", "2025-01-01"),
            ("year", "2024-01-01"),
        ]),
        "{second}"
    );
    let day_set = &second["sets"][0];
    // 19 days computed again (12 to 30 April), every KPI of each; the
    // earlier days kept.
    let kpis = day_set["kpis"].as_u64().unwrap();
    assert_eq!(day_set["computed"].as_u64().unwrap(), 19 * kpis, "{second}");
    assert!(day_set["values"].as_u64().unwrap() > 100 * kpis, "{second}");
    let kept = all_values(w.path()).await;
    // The table output says how many were computed and how many are held.
    let computed: u64 = second["sets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["computed"].as_u64().unwrap())
        .sum();
    assert!(computed < second["values"].as_u64().unwrap(), "{second}");
    // A forced refresh scans everything again and computes every period:
    // the values are those kept and computed by the appended refresh.
    let forced = refresh(&["--force"]);
    assert_eq!(forced["events"]["mode"], "full", "{forced}");
    assert_eq!(forced["values"], second["values"]);
    assert!(forced["sets"][0]["from"].is_null(), "{forced}");
    let all = all_values(w.path()).await;
    assert_eq!(kept.len() as u64, forced["values"].as_u64().unwrap());
    assert!(
        kept == all,
        "the appended refresh's values differ from a full one's"
    );
    assert_eq!(forced["periods"], "every period: --force");

    // Late events of the last day arrive as another file, and the
    // subscriptions change too: the events are appended, but every
    // period is computed again, and the report says why.
    let part = files_under(&last).pop().unwrap();
    std::fs::copy(&part, last.join("late.parquet")).unwrap();
    let subs = data.join("subscriptions.parquet");
    let f = std::fs::File::options().write(true).open(&subs).unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5))
        .unwrap();
    let third = refresh(&[]);
    assert_eq!(third["events"]["mode"], "appended", "{third}");
    assert!(
        third["periods"]
            .as_str()
            .unwrap()
            .starts_with("every period: tables other than the events changed"),
        "{third}"
    );
    assert!(third["sets"][0]["from"].is_null(), "{third}");
    let text = ws(w.path(), &["refresh", "--force"]);
    assert!(
        text.stdout.contains("Events: every events file scanned")
            && text
                .stdout
                .contains("Periods computed: every period: --force."),
        "{}",
        text.stdout
    );
    // One more late file: only the periods it can reach are computed, and
    // the table output says how many of the values held that is. The last
    // day before it is now 30 April: the days from 13 April.
    std::fs::copy(&part, last.join("later.parquet")).unwrap();
    let text = ws(w.path(), &["refresh"]);
    let held = forced["values"].as_u64().unwrap();
    assert!(
        text.stdout.contains(&format!(" values ({held} held) of "))
            && text
                .stdout
                .contains("Periods computed: only those the new events can change")
            && text
                .stdout
                .contains("periods from 2025-04-13 (earlier ones kept)"),
        "{}",
        text.stdout
    );
}
