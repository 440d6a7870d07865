//! Web-analytics exports imported into the `visits` table: the small
//! exports under `tests/fixtures/web-analytics`, with every count worked
//! out by hand.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use okapi_app::Code;
use okapi_app::data::{self, DataSource, KpiQuery};
use okapi_app::inputs::{DateRange, KpiSelection};
use okapi_app::visits::{ImportVisits, Tool, VisitsImported, import_visits};
use okapi_core::period::Grain;
use okapi_core::settings::Settings;

const SUBS: &str = "\
subscription_id,account_id,plan,mrr,start_date,end_date
s1,a1,pro,100,2026-01-01,
";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/web-analytics")
        .join(name)
}

fn data_dir(settings: Settings, files: &[(&str, &str)]) -> (tempfile::TempDir, DataSource) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("subscriptions.csv"), SUBS).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let src = DataSource::new(settings, dir.path().to_path_buf());
    (dir, src)
}

async fn import(
    src: &DataSource,
    tool: Tool,
    name: &str,
) -> Result<VisitsImported, okapi_app::AppError> {
    import_visits(
        src,
        ImportVisits {
            tool,
            file: fixture(name),
        },
    )
    .await
}

/// The rows of `visits.csv`, without its header (no cell written here
/// needs quoting).
fn visits(dir: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(dir.join("visits.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("ts,visitor_id,channel"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 3, "{l}");
            (f[0].to_string(), f[1].to_string(), f[2].to_string())
        })
        .collect()
}

fn channels(rows: &[(String, String, String)]) -> BTreeMap<String, u64> {
    let mut m = BTreeMap::new();
    for (_, _, c) in rows {
        *m.entry(if c.is_empty() {
            "none".into()
        } else {
            c.clone()
        })
        .or_insert(0) += 1;
    }
    m
}

fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// `plausible-sources.csv`: 1 Nov: Google 5 (organic) + 1 (utm_medium
/// cpc: paid), direct 3, Twitter 2 (social); 2 Nov: Google 4, Hacker News
/// 6 (referral), Newsletter 2 (email); 30 Nov: Facebook 1 (social);
/// 1 Dec: Google 7. 31 visitors in all, 24 in November.
#[tokio::test]
async fn a_plausible_sources_export_becomes_one_row_per_visitor_with_its_channel() {
    let (dir, src) = data_dir(Settings::default(), &[]);
    let out = import(&src, Tool::Plausible, "plausible-sources.csv")
        .await
        .unwrap();
    assert_eq!(
        (out.written.imported, out.written.replaced, out.written.kept),
        (31, 0, 0)
    );
    assert_eq!(out.written.days, 4);
    assert_eq!(out.written.first_day, NaiveDate::from_ymd_opt(2026, 11, 1));
    assert_eq!(out.written.last_day, NaiveDate::from_ymd_opt(2026, 12, 1));
    assert_eq!(out.written.file, "visits.csv");
    let expected = counts(&[
        ("organic", 16),
        ("paid", 1),
        ("direct", 3),
        ("social", 3),
        ("referral", 6),
        ("email", 2),
    ]);
    assert_eq!(out.written.channels, expected);
    let rows = visits(dir.path());
    assert_eq!(rows.len(), 31);
    assert_eq!(channels(&rows), expected);
    // By day, then source: 1 Nov's direct visitors first.
    assert_eq!(
        rows[0],
        (
            "2026-11-01T00:00:00Z".into(),
            "plausible:2026-11-01:direct:1".into(),
            "direct".into()
        )
    );
    // Google's organic visitors are 1 … 5, its paid one 6.
    assert!(rows.contains(&(
        "2026-11-01T00:00:00Z".into(),
        "plausible:2026-11-01:google:5".into(),
        "organic".into()
    )));
    assert!(rows.contains(&(
        "2026-11-01T00:00:00Z".into(),
        "plausible:2026-11-01:google:6".into(),
        "paid".into()
    )));
    assert_eq!(
        rows[30],
        (
            "2026-12-01T00:00:00Z".into(),
            "plausible:2026-12-01:google:7".into(),
            "organic".into()
        )
    );
    // Every id is distinct.
    let ids: std::collections::BTreeSet<_> = rows.iter().map(|r| &r.1).collect();
    assert_eq!(ids.len(), 31);
}

#[tokio::test]
async fn importing_the_same_export_twice_leaves_the_same_file() {
    let (dir, src) = data_dir(Settings::default(), &[]);
    import(&src, Tool::Plausible, "plausible-sources.csv")
        .await
        .unwrap();
    let first = std::fs::read(dir.path().join("visits.csv")).unwrap();
    let again = import(&src, Tool::Plausible, "plausible-sources.csv")
        .await
        .unwrap();
    assert_eq!(
        (
            again.written.imported,
            again.written.replaced,
            again.written.kept
        ),
        (31, 31, 0)
    );
    assert_eq!(std::fs::read(dir.path().join("visits.csv")).unwrap(), first);
}

/// The days an export covers are replaced; the other days' rows stay, in
/// time order around the imported ones.
#[tokio::test]
async fn an_import_replaces_the_days_it_covers_and_keeps_the_others() {
    let before = "\
ts,visitor_id,channel
2026-10-31T09:00:00Z,v1,organic
2026-11-01T10:00:00Z,v2,paid
2026-11-03T08:30:00.250Z,v3,
2026-11-03T09:00:00Z,v4,email
";
    let (dir, src) = data_dir(Settings::default(), &[("visits.csv", before)]);
    let out = import(&src, Tool::Plausible, "plausible-visitors.csv")
        .await
        .unwrap();
    // 1 Nov: 10, 2 Nov: 0, 3 Nov: 7 visitors, without a channel; v2
    // (1 Nov) and v3, v4 (3 Nov) are replaced, v1 kept.
    assert_eq!(
        (out.written.imported, out.written.replaced, out.written.kept),
        (17, 3, 1)
    );
    assert_eq!(out.written.days, 3);
    assert_eq!(out.written.channels, counts(&[("none", 17)]));
    let rows = visits(dir.path());
    assert_eq!(rows.len(), 18);
    assert_eq!(
        rows[0],
        ("2026-10-31T09:00:00Z".into(), "v1".into(), "organic".into())
    );
    assert_eq!(rows[1].1, "plausible:2026-11-01:1");
    assert_eq!(rows[10].1, "plausible:2026-11-01:10");
    assert_eq!(
        rows[11],
        (
            "2026-11-03T00:00:00Z".into(),
            "plausible:2026-11-03:1".into(),
            String::new()
        )
    );
    // Another export covering other days keeps these.
    let out = import(&src, Tool::Plausible, "plausible-sources.csv")
        .await
        .unwrap();
    // It covers 1 Nov (10 rows replaced), keeps 31 Oct and 3 Nov (1 + 7).
    assert_eq!(
        (out.written.imported, out.written.replaced, out.written.kept),
        (31, 10, 8)
    );
    let rows = visits(dir.path());
    assert_eq!(rows.len(), 39);
    let ts: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    let mut sorted = ts.clone();
    sorted.sort();
    assert_eq!(ts, sorted, "rows stay in time order");
}

/// The GA4 export: `#` lines, a totals row, YYYYMMDD dates, channel
/// groups. 6 + 3 + 2 on 1 Nov, 4 + 1 + 2 on 2 Nov, 1 + 2 on 3 Nov: 21.
#[tokio::test]
async fn a_ga4_channel_group_export_skips_its_comments_and_totals() {
    let (dir, src) = data_dir(Settings::default(), &[]);
    let out = import(&src, Tool::Ga4, "ga4-channels.csv").await.unwrap();
    assert_eq!(out.written.imported, 21);
    assert_eq!(out.written.totals_skipped, 1);
    assert_eq!(out.written.days, 3);
    let expected = counts(&[
        ("organic", 6),
        ("direct", 3),
        ("social", 2),
        ("paid", 6),
        ("email", 1),
        ("referral", 2),
        ("none", 1),
    ]);
    assert_eq!(out.written.channels, expected);
    let rows = visits(dir.path());
    assert_eq!(channels(&rows), expected);
    assert_eq!(
        rows[0],
        (
            "2026-11-01T00:00:00Z".into(),
            "ga4:2026-11-01:direct:1".into(),
            "direct".into()
        )
    );
    assert!(
        rows.iter()
            .any(|r| r.1 == "ga4:2026-11-01:organic-search:6")
    );
    assert!(
        rows.iter()
            .any(|r| r.1 == "ga4:2026-11-03:unassigned:1" && r.2.is_empty())
    );
}

/// Source / medium: the medium decides when it says something (cpc,
/// email), else the source. 3 + 2 + 4 + 1 + 2 + 1 = 13, `Grand total`
/// skipped.
#[tokio::test]
async fn a_ga4_source_medium_export_maps_mediums_then_sources() {
    let (dir, src) = data_dir(Settings::default(), &[]);
    let out = import(&src, Tool::Ga4, "ga4-source-medium.csv")
        .await
        .unwrap();
    assert_eq!(out.written.imported, 13);
    assert_eq!(out.written.totals_skipped, 1);
    assert_eq!(
        out.written.channels,
        counts(&[
            ("organic", 3),
            ("paid", 2),
            ("direct", 4),
            ("social", 1),
            ("email", 2),
            ("referral", 1),
        ])
    );
    let rows = visits(dir.path());
    assert!(
        rows.iter()
            .any(|r| r.1 == "ga4:2026-11-01:google:5" && r.2 == "paid")
    );
    assert!(
        rows.iter()
            .any(|r| r.1 == "ga4:2026-11-01:direct:4" && r.2 == "direct")
    );
}

/// Days are the workspace's: in Paris, 1 November starts at 23:00 UTC the
/// day before, and the KPIs bucket it back into November.
#[tokio::test]
async fn days_start_at_midnight_in_the_workspace_time_zone() {
    let settings = Settings::from_toml("time_zone = \"Europe/Paris\"").unwrap();
    let (dir, src) = data_dir(settings, &[]);
    import(&src, Tool::Plausible, "plausible-visitors.csv")
        .await
        .unwrap();
    let rows = visits(dir.path());
    assert_eq!(rows[0].0, "2026-10-31T23:00:00Z");
    assert_eq!(rows[0].1, "plausible:2026-11-01:1");
    // Again: the same days in Paris are found and replaced.
    let again = import(&src, Tool::Plausible, "plausible-visitors.csv")
        .await
        .unwrap();
    assert_eq!((again.written.replaced, again.written.kept), (17, 0));
    assert_eq!(visitors_per_month(&src).await, vec![17, 0]);
}

/// The visitors KPI of November and December, 2026.
async fn visitors_per_month(src: &DataSource) -> Vec<u64> {
    let query = KpiQuery {
        kpis: KpiSelection::new(&src.settings, vec!["visitors".into()]).unwrap(),
        grain: Grain::Month,
        range: DateRange::new(
            NaiveDate::from_ymd_opt(2026, 11, 1),
            NaiveDate::from_ymd_opt(2026, 12, 31),
        )
        .unwrap(),
        segment: None,
    };
    let report = data::kpis(src, query).await.unwrap();
    report
        .rows
        .iter()
        .map(|r| {
            r.value
                .value
                .map(|v| v.to_string().parse::<u64>().unwrap())
                .unwrap_or(0)
        })
        .collect()
}

/// After the import, the month's unique visitors are the sum of its days'
/// visitors: 11 + 12 + 1 = 24 in November, 7 in December; with three
/// sign-ups in November, the visitor-to-signup rate is 3 / 24 = 12.5 %.
#[tokio::test]
async fn the_visitor_kpis_of_a_month_are_the_sums_of_its_days() {
    let leads = "\
lead_id,created_at,signup_at
l1,2026-11-02T10:00:00Z,2026-11-02T10:00:00Z
l2,2026-11-05T10:00:00Z,2026-11-05T10:00:00Z
l3,2026-11-20T10:00:00Z,2026-11-21T10:00:00Z
";
    let (_dir, src) = data_dir(Settings::default(), &[("leads.csv", leads)]);
    import(&src, Tool::Plausible, "plausible-sources.csv")
        .await
        .unwrap();
    assert_eq!(visitors_per_month(&src).await, vec![24, 7]);
    let query = KpiQuery {
        kpis: KpiSelection::new(&src.settings, vec!["visitor_to_signup_rate".into()]).unwrap(),
        grain: Grain::Month,
        range: DateRange::new(
            NaiveDate::from_ymd_opt(2026, 11, 1),
            NaiveDate::from_ymd_opt(2026, 11, 30),
        )
        .unwrap(),
        segment: None,
    };
    let report = data::kpis(&src, query).await.unwrap();
    let rate: f64 = report.rows[0]
        .value
        .value
        .unwrap()
        .to_string()
        .parse()
        .unwrap();
    assert!((rate - 12.5).abs() < 1e-9, "{rate}");
}

/// Every bad row is reported with the file, line, column and reason, and
/// nothing is written: the old file stays as it was, no temporary file is
/// left.
#[tokio::test]
async fn bad_rows_are_named_and_nothing_is_written() {
    let before = "ts,visitor_id,channel\n2026-11-02T10:00:00Z,v1,organic\n";
    let (dir, src) = data_dir(Settings::default(), &[("visits.csv", before)]);
    let e = import(&src, Tool::Plausible, "plausible-bad.csv")
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidRows);
    let issues: Vec<String> = e
        .invalid_rows()
        .unwrap()
        .kept()
        .iter()
        .map(|i| {
            let s = i.to_string();
            s.rsplit_once('/').map_or(s.clone(), |(_, t)| t.to_string())
        })
        .collect();
    assert_eq!(
        issues,
        [
            "plausible-bad.csv: line 3, column date: not a date (expected YYYY-MM-DD or YYYYMMDD) (value `2026-11-31`)",
            "plausible-bad.csv: line 4, column visitors: negative number of visitors (value `-2`)",
            "plausible-bad.csv: line 5, column visitors: not a whole number of visitors (value `2.5`)",
            "plausible-bad.csv: line 6, column visitors: missing number of visitors",
        ]
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("visits.csv")).unwrap(),
        before
    );
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[tokio::test]
async fn a_missing_column_is_named() {
    let (dir, src) = data_dir(Settings::default(), &[]);
    let e = import(&src, Tool::Plausible, "plausible-no-visitors.csv")
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidData);
    let msg = e.to_string();
    assert!(
        msg.contains("plausible-no-visitors.csv: line 1: missing column `visitors`"),
        "{msg}"
    );
    assert!(
        msg.contains("columns found: date, source, pageviews"),
        "{msg}"
    );
    assert!(!dir.path().join("visits.csv").exists());
    // A GA4 export without a users column.
    let e = import(&src, Tool::Ga4, "plausible-visitors.csv")
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("missing column `Total users` (or `Active users`)"),
        "{e}"
    );
}

/// A table kept as JSON lines becomes `visits.csv`, its old file removed.
#[tokio::test]
async fn a_visits_table_in_another_format_is_rewritten_as_csv() {
    let before = "{\"ts\":\"2026-10-01T12:00:00Z\",\"visitor_id\":\"v9\",\"channel\":null}\n";
    let (dir, src) = data_dir(Settings::default(), &[("visits.jsonl", before)]);
    let out = import(&src, Tool::Ga4, "ga4-channels.csv").await.unwrap();
    assert_eq!(out.written.replaced_files, ["visits.jsonl"]);
    assert_eq!((out.written.kept, out.written.imported), (1, 21));
    assert!(!dir.path().join("visits.jsonl").exists());
    let rows = visits(dir.path());
    assert_eq!(
        rows[0],
        ("2026-10-01T12:00:00Z".into(), "v9".into(), String::new())
    );
}
