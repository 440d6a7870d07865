//! The data use cases as a server calls them: async, on a multi-threaded
//! runtime, several at once, over a small data directory whose numbers are
//! worked out by hand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use chrono::NaiveDate;
use okapi_app::Code;
use okapi_app::data::{self, DataSource, KpiQuery};
use okapi_app::inputs::{DateRange, InactivityWindow, KpiSelection};
use okapi_core::mrr::Movement;
use okapi_core::period::Grain;
use okapi_core::settings::Settings;
use rust_decimal::Decimal;

/// a1 pays 100.50 from Jan 1, then 150 from Feb 15; a2 pays 50 from Jan 10
/// to Mar 5; a3 pays 80 from Mar 1. MRR on the last day of each month:
/// Jan 100.50 + 50 = 150.50; Feb 150 + 50 = 200; Mar 150 + 80 = 230.
/// March's bridge: a3 new (80), a2 churned (50).
const SUBS: &str = "\
subscription_id,account_id,plan,mrr,start_date,end_date
s1,a1,pro,100.50,2024-01-01,2024-02-15
s2,a1,pro,150.00,2024-02-15,
s3,a2,basic,50,2024-01-10,2024-03-05
s4,a3,pro,80,2024-03-01,
";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn money(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn source(files: &[(&str, &str)]) -> (tempfile::TempDir, DataSource) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let src = DataSource::new(Settings::default(), dir.path().to_path_buf());
    (dir, src)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kpis_and_the_mrr_bridge_run_side_by_side() {
    let (_dir, src) = source(&[("subscriptions.csv", SUBS)]);
    let settings = Settings::default();
    let query = KpiQuery {
        kpis: KpiSelection::new(&settings, vec!["mrr".into(), "new_customers".into()]).unwrap(),
        grain: Grain::Month,
        range: DateRange::new(Some(d("2024-01-01")), Some(d("2024-03-31"))).unwrap(),
        segment: None,
    };
    let (kpis, bridge) = tokio::join!(
        data::kpis(&src, query),
        data::mrr(&src, Grain::Month, DateRange::all(), true)
    );
    let kpis = kpis.unwrap();
    let mrr: Vec<String> = kpis
        .rows
        .iter()
        .filter(|r| r.kpi.id == "mrr")
        .map(|r| r.value.value.unwrap().to_string())
        .collect();
    assert_eq!(mrr, ["150.5", "200", "230"]);

    let bridge = bridge.unwrap();
    assert_eq!(bridge.len(), 3);
    let march = &bridge[2];
    assert_eq!(march.period.start, d("2024-03-01"));
    assert_eq!(march.bridge.start_mrr, money("200"));
    assert_eq!(march.bridge.end_mrr, money("230"));
    assert_eq!(march.bridge.new, money("80"));
    assert_eq!(march.bridge.churn, money("50"));
    let mut moves: Vec<(&str, Movement)> = march
        .accounts
        .iter()
        .map(|m| (m.account_id.as_str(), m.movement))
        .collect();
    moves.sort_by_key(|(a, _)| *a);
    assert_eq!(moves, [("a2", Movement::Churn), ("a3", Movement::New)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_rows_fail_with_their_code_and_every_row() {
    let bad = format!("{SUBS}s5,a4,pro,lots,2024-01-01,\ns6,a5,pro,10,2024-13-01,\n");
    let (_dir, src) = source(&[("subscriptions.csv", &bad)]);
    let query = KpiQuery {
        kpis: KpiSelection::all(&Settings::default()),
        grain: Grain::Month,
        range: DateRange::all(),
        segment: None,
    };
    let e = data::kpis(&src, query).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidRows);
    assert_eq!(e.code().http_status(), 422);
    assert_eq!(e.code().exit_status(), 1);
    let issues = e.invalid_rows().unwrap();
    assert_eq!(issues.rows(), 2);
    let text: Vec<String> = issues.kept().iter().map(|i| i.to_string()).collect();
    assert!(
        text.iter()
            .any(|t| t.contains("line 6") && t.contains("mrr")),
        "{text:?}"
    );
    assert!(
        text.iter()
            .any(|t| t.contains("line 7") && t.contains("start_date")),
        "{text:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_directory_is_invalid_data_and_the_window_defaults_to_the_settings() {
    let src = DataSource::new(
        Settings::default(),
        std::path::PathBuf::from("/nonexistent/okapi-data"),
    );
    let e = data::ttv(&src).await.unwrap_err();
    assert_eq!(e.code(), Code::InvalidData);
    assert!(e.to_string().contains("/nonexistent/okapi-data"), "{e}");

    // On Mar 31 a1 and a3 pay. a1 was active on Mar 20, a3 on Mar 10: in
    // the settings' 14-day window (Mar 18 … 31) only a3 is inactive; in a
    // 30-day window (Mar 2 … 31) neither is.
    let (_dir, src) = source(&[
        ("subscriptions.csv", SUBS),
        (
            "events.csv",
            "ts,user_id,account_id,event\n\
             2024-03-20T10:00:00Z,u1,a1,login\n\
             2024-03-10T10:00:00Z,u3,a3,login\n",
        ),
    ]);
    let report = data::inactive(&src, None, Some(d("2024-03-31")))
        .await
        .unwrap();
    assert_eq!(report.window_days, 14);
    let ids: Vec<&str> = report
        .accounts
        .iter()
        .map(|a| a.account_id.as_str())
        .collect();
    assert_eq!(ids, ["a3"]);
    assert_eq!(report.accounts[0].days_since_last_activity, Some(21));
    let window = Some(InactivityWindow::new(30).unwrap());
    let report = data::inactive(&src, window, Some(d("2024-03-31")))
        .await
        .unwrap();
    assert_eq!(report.window_days, 30);
    assert!(report.accounts.is_empty(), "{:?}", report.accounts);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_results_read_their_kpis_from_one_load() {
    use okapi_app::kpi_reader::KpiReader;
    let (dir, _src) = source(&[("subscriptions.csv", SUBS)]);
    let settings = Settings::default();
    // Prefetched together, read one by one: the values of the latest
    // complete month on each day. On Mar 10 February is the latest: MRR
    // 200; on Apr 1 March: 230, and one new customer (a3).
    let mut together = KpiReader::new(&settings, dir.path().to_path_buf());
    together
        .prefetch([
            ("mrr", None, Grain::Month),
            ("new_customers", None, Grain::Month),
            ("no_such_kpi", None, Grain::Month),
        ])
        .unwrap();
    let mrr = together
        .value_on("mrr", None, Grain::Month, d("2024-03-10"))
        .unwrap();
    assert_eq!((mrr.period.start, mrr.value), (d("2024-02-01"), 200.0));
    let mrr = together
        .value_on("mrr", None, Grain::Month, d("2024-04-01"))
        .unwrap();
    assert_eq!(mrr.value, 230.0);
    let new = together
        .value_on("new_customers", None, Grain::Month, d("2024-04-01"))
        .unwrap();
    assert_eq!(new.value, 1.0);
    // An unknown KPI is still refused by name when read.
    let e = together
        .value_on("no_such_kpi", None, Grain::Month, d("2024-04-01"))
        .unwrap_err();
    assert!(e.to_string().contains("unknown KPI `no_such_kpi`"), "{e}");
    // The same as reading each alone.
    let mut alone = KpiReader::new(&settings, dir.path().to_path_buf());
    assert_eq!(
        alone.history("mrr", None, Grain::Month).unwrap(),
        together.history("mrr", None, Grain::Month).unwrap()
    );
}

/// An upload streamed in chunks is refused as soon as it passes the bound,
/// before the chunk that passes it is written, and leaves nothing behind:
/// no table file, no staging directory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_past_the_bound_is_refused_and_leaves_nothing() {
    use okapi_app::upload::{MAX_UPLOAD_BYTES, StagedUpload};
    use okapi_app::workspace::{self, InitRequest, Workspace};
    use okapi_core::data_model::Table;
    use okapi_engine::source::Format;
    let dir = tempfile::tempdir().unwrap();
    workspace::init(InitRequest {
        dir: dir.path().to_path_buf(),
        database_url: None,
        profile: okapi_core::settings::Profile::B2b,
        name: Some("Acme".into()),
        id: None,
    })
    .await
    .unwrap();
    let ws = Workspace::open(&okapi_app::Location {
        dir: dir.path().to_path_buf(),
        config: None,
        database_url: None,
    })
    .await
    .unwrap();
    let mut staged = StagedUpload::begin(&ws, Table::Subscriptions, Format::Csv)
        .await
        .unwrap();
    let header = b"subscription_id,account_id,plan,mrr,start_date,end_date\n";
    staged.write(header).await.unwrap();
    // The bound less what was written fits; one byte more does not.
    let header = header.len();
    let rest = vec![b' '; MAX_UPLOAD_BYTES - header + 1];
    let e = staged.write(&rest).await.unwrap_err();
    assert_eq!(e.code(), okapi_app::Code::TooLarge);
    assert_eq!(e.code().http_status(), 413);
    drop(staged);
    let left: Vec<_> = std::fs::read_dir(ws.data_dir().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
