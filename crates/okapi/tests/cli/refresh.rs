//! `okapi refresh`: every KPI at every grain stored in the workspace's
//! database, read back here straight from the SQLite file; recomputed only
//! when the data files or the definitions change, or when forced.

use std::path::Path;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::okrs::{init, json, ws};

/// Three accounts, January to March 2024. An `end_date` is the first day
/// no longer paid; the data runs from 1 January to 1 March (the latest
/// start; the last paid days, `end_date − 1`, are earlier).
///
/// MRR on each month's last day:
/// - 31 January: a1 100.25 (s1) + a2 49.99 (s3, from 15 January) = 150.24;
/// - 29 February: a1 100.25 (s1, last paid day) + a3 300 (s4, from 10
///   February) = 400.25 (a2 left: its last paid day was 19 February);
/// - 31 March (the month is computed in full): a1 120 (s2) + a3 300 = 420.
///
/// The first quarter ends on 31 March too: 420; so does 2024 on 31
/// December, both subscriptions still open: 420.
///
/// New MRR in February: a3, 300. For the pro plan only (a1 and a3): 100.25
/// in January, 400.25 in February, 420 in March.
const SUBS: &str = "\
subscription_id,account_id,plan,mrr,start_date,end_date
s1,a1,pro,100.25,2024-01-01,2024-03-01
s2,a1,pro,120.00,2024-03-01,
s3,a2,basic,49.99,2024-01-15,2024-02-20
s4,a3,pro,300,2024-02-10,
";

/// MRR at the end of each month of [`SUBS`], as worked out above.
const MRR_BY_MONTH: [(&str, &str); 3] = [
    ("2024-01-01", "150.24"),
    ("2024-02-01", "400.25"),
    ("2024-03-01", "420"),
];

/// The stored values of `kpi` for `segment` at `grain`, as (period start,
/// value text) in period order, read from the SQLite file directly.
fn stored(w: &Path, kpi: &str, segment: &str, grain: &str) -> Vec<(String, Option<String>)> {
    query(
        w,
        &format!(
            "SELECT period_start, value FROM kpi_values WHERE workspace_id = 'acme-inc' \
             AND kpi_id = '{kpi}' AND segment = '{segment}' AND grain = '{grain}' \
             ORDER BY period_start"
        ),
    )
}

fn query(w: &Path, sql: &str) -> Vec<(String, Option<String>)> {
    let url = okapi_store::sqlite_url(&w.join("okapi.db"));
    let sql = sql.to_string();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let rows: Vec<(String, Option<String>)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(&pool)
                .await
                .unwrap();
            pool.close().await;
            rows
        })
}

fn count(w: &Path, sql: &str) -> i64 {
    let url = okapi_store::sqlite_url(&w.join("okapi.db"));
    let sql = sql.to_string();
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&url).await.unwrap();
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&pool)
                .await
                .unwrap();
            pool.close().await;
            n
        })
}

fn refresh(w: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["refresh", "--format", "json"];
    args.extend_from_slice(extra);
    let run = ws(w, &args);
    run.expect_code(0);
    json(&run)
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, Option<String>)> {
    items
        .iter()
        .map(|(d, v)| (d.to_string(), Some(v.to_string())))
        .collect()
}

#[test]
fn refresh_stores_every_grain_and_recomputes_only_on_change() {
    let dir = init();
    let w = dir.path();
    std::fs::write(w.join("data").join("subscriptions.csv"), SUBS).unwrap();

    let first = refresh(w, &[]);
    assert_eq!(first["unchanged"], false);
    assert_eq!(stored(w, "mrr", "", "month"), pairs(&MRR_BY_MONTH));
    assert_eq!(
        stored(w, "mrr", "", "quarter"),
        pairs(&[("2024-01-01", "420")])
    );
    assert_eq!(
        stored(w, "mrr", "", "year"),
        pairs(&[("2024-01-01", "420")])
    );
    assert_eq!(
        stored(w, "new_mrr", "", "month")[1],
        ("2024-02-01".to_string(), Some("300".to_string()))
    );
    // Days: 1 January to 1 March is 31 + 29 + 1 = 61; on 1 January only
    // s1 pays (100.25), on 15 January s3 joins (150.24).
    let days = stored(w, "mrr", "", "day");
    assert_eq!(days.len(), 61);
    assert_eq!(days[0], ("2024-01-01".to_string(), Some("100.25".into())));
    assert_eq!(days[14], ("2024-01-15".to_string(), Some("150.24".into())));
    assert_eq!(days[60].0, "2024-03-01");

    // Every grain was stored, and the report counts what the table holds.
    let sets = first["sets"].as_array().unwrap();
    let grains: Vec<&str> = sets.iter().map(|s| s["grain"].as_str().unwrap()).collect();
    assert_eq!(grains, ["day", "week", "month", "quarter", "year"]);
    let rows = count(w, "SELECT COUNT(*) FROM kpi_values");
    assert_eq!(first["values"].as_i64().unwrap(), rows);
    let month_rows = count(
        w,
        "SELECT COUNT(*) FROM kpi_values WHERE grain = 'month' AND segment = ''",
    );
    // Every KPI of the catalog once per month: three months.
    assert_eq!(month_rows, 3 * first["kpis"].as_i64().unwrap());
    // An absent value keeps its reason: no customer before January.
    let churn = query(
        w,
        "SELECT period_start, note FROM kpi_values WHERE kpi_id = 'customer_churn_rate' \
         AND grain = 'month' AND value IS NULL ORDER BY period_start",
    );
    assert_eq!(
        churn,
        vec![(
            "2024-01-01".to_string(),
            Some("no customers at period start".to_string())
        )]
    );
    let fingerprint = first["fingerprint"].as_str().unwrap().to_string();
    assert_eq!(fingerprint.len(), 64);
    assert_eq!(
        query(
            w,
            "SELECT DISTINCT fingerprint, computed_at FROM kpi_values"
        ),
        vec![(
            fingerprint.clone(),
            Some(first["computed_at"].as_str().unwrap().to_string())
        )]
    );

    // Nothing changed: nothing computed, the values kept.
    let second = refresh(w, &[]);
    assert_eq!(second["unchanged"], true);
    assert_eq!(second["computed_at"], first["computed_at"]);
    assert_eq!(second["values"], first["values"]);
    let text = ws(w, &["refresh"]);
    text.expect_code(0);
    assert!(text.stdout.starts_with("Unchanged"), "{}", text.stdout);

    // Forced: computed again, the same values.
    let forced = refresh(w, &["--force"]);
    assert_eq!(forced["unchanged"], false);
    assert_eq!(forced["fingerprint"], fingerprint.as_str());
    assert_eq!(forced["values"], first["values"]);
    assert_eq!(count(w, "SELECT COUNT(*) FROM kpi_values"), rows);

    // The file touched, not changed: another fingerprint, computed again.
    let subs = std::fs::File::options()
        .write(true)
        .open(w.join("data").join("subscriptions.csv"))
        .unwrap();
    subs.set_modified(SystemTime::now() + Duration::from_secs(3600))
        .unwrap();
    drop(subs);
    let touched = refresh(w, &[]);
    assert_eq!(touched["unchanged"], false);
    assert_ne!(touched["fingerprint"], fingerprint.as_str());
    assert_eq!(
        query(
            w,
            "SELECT DISTINCT fingerprint, grain FROM kpi_values WHERE grain = 'year'"
        ),
        vec![(
            touched["fingerprint"].as_str().unwrap().to_string(),
            Some("year".to_string())
        )]
    );
    assert_eq!(refresh(w, &[])["unchanged"], true);
}

#[test]
fn a_key_result_on_a_segment_gets_its_values_and_loses_them_with_the_link() {
    let dir = init();
    let w = dir.path();
    std::fs::write(w.join("data").join("subscriptions.csv"), SUBS).unwrap();
    assert_eq!(refresh(w, &[])["unchanged"], false);
    assert!(stored(w, "mrr", "plan=pro", "month").is_empty());

    ws(
        w,
        &[
            "cycle",
            "create",
            "2024-Q1",
            "--start",
            "2024-01-01",
            "--end",
            "2024-03-31",
        ],
    )
    .expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2024-Q1", "--title", "Grow"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "Pro MRR to 500",
            "--kpi",
            "mrr",
            "--segment",
            "plan=pro",
            "--grain",
            "month",
            "--baseline",
            "100",
            "--target",
            "500",
        ],
    )
    .expect_code(0);
    // A segment the data cannot select: reported, the rest stored.
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "EU MRR to 50",
            "--kpi",
            "mrr",
            "--segment",
            "region=eu",
            "--baseline",
            "10",
            "--target",
            "50",
        ],
    )
    .expect_code(0);
    // The data did not change, the links did: computed again.
    let linked = refresh(w, &[]);
    assert_eq!(linked["unchanged"], false);
    let skipped = linked["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["key_result"], "KR-2");
    assert!(
        skipped[0]["reason"]
            .as_str()
            .unwrap()
            .contains("there is no accounts table"),
        "{skipped:?}"
    );
    assert_eq!(
        count(
            w,
            "SELECT COUNT(*) FROM kpi_values WHERE segment = 'region=eu'"
        ),
        0
    );
    assert_eq!(
        stored(w, "mrr", "plan=pro", "month"),
        pairs(&[
            ("2024-01-01", "100.25"),
            ("2024-02-01", "400.25"),
            ("2024-03-01", "420"),
        ])
    );
    // Only the linked KPI, at the linked grain, for the segment.
    assert_eq!(
        count(
            w,
            "SELECT COUNT(*) FROM kpi_values WHERE segment = 'plan=pro'"
        ),
        3
    );
    assert!(
        linked["sets"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["segment"] == "plan=pro" && s["values"] == 3)
    );

    ws(w, &["okr", "delete", "KR-1"]).expect_code(0);
    let unlinked = refresh(w, &[]);
    assert_eq!(unlinked["unchanged"], false);
    assert_eq!(
        unlinked["removed"],
        serde_json::json!([{ "grain": "month", "segment": "plan=pro" }])
    );
    assert_eq!(
        count(
            w,
            "SELECT COUNT(*) FROM kpi_values WHERE segment = 'plan=pro'"
        ),
        0
    );
}

#[test]
fn two_refreshes_at_once_run_one_after_the_other() {
    let dir = init();
    let w = dir.path();
    std::fs::write(w.join("data").join("subscriptions.csv"), SUBS).unwrap();
    // Two processes refresh at once (a scheduled `okapi refresh` and the
    // server's, say). The second waits for the first to finish, then finds
    // its values current: one computes, the other stores nothing.
    let runs: Vec<Value> = std::thread::scope(|s| {
        let a = s.spawn(|| refresh(w, &[]));
        let b = s.spawn(|| refresh(w, &[]));
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    let mut unchanged: Vec<bool> = runs
        .iter()
        .map(|r| r["unchanged"].as_bool().unwrap())
        .collect();
    unchanged.sort();
    assert_eq!(unchanged, [false, true], "{runs:?}");
    assert_eq!(stored(w, "mrr", "", "month"), pairs(&MRR_BY_MONTH));
}

#[test]
fn refresh_needs_a_workspace() {
    let dir = tempfile::TempDir::new().unwrap();
    let run = ws(dir.path(), &["refresh"]);
    run.expect_code(2);
    assert!(run.stderr.contains("okapi.toml"), "{}", run.stderr);
}

#[test]
fn invalid_rows_store_nothing_and_keep_the_last_values() {
    let dir = init();
    let w = dir.path();
    let subs = w.join("data").join("subscriptions.csv");
    std::fs::write(&subs, SUBS).unwrap();
    let first = refresh(w, &[]);
    let before = stored(w, "mrr", "", "month");
    // A row with one field too few: the data is refused, exit status 1.
    std::fs::write(&subs, format!("{SUBS}s5,a4,pro,10,2024-03-01\n")).unwrap();
    let run = ws(w, &["refresh"]);
    run.expect_code(1);
    assert!(
        run.stderr.contains("subscriptions.csv: line 6"),
        "{}",
        run.stderr
    );
    assert_eq!(stored(w, "mrr", "", "month"), before);
    assert_eq!(
        query(w, "SELECT fingerprint, computed_at FROM kpi_refreshes"),
        vec![(
            first["fingerprint"].as_str().unwrap().to_string(),
            Some(first["computed_at"].as_str().unwrap().to_string())
        )]
    );
    // Fixed: computed again from the new data (a4 pays 10 from March:
    // March's MRR is 420 + 10 = 430).
    std::fs::write(&subs, format!("{SUBS}s5,a4,pro,10,2024-03-01,\n")).unwrap();
    assert_eq!(refresh(w, &[])["unchanged"], false);
    assert_eq!(
        stored(w, "mrr", "", "month")[2],
        ("2024-03-01".to_string(), Some("430".to_string()))
    );
}
