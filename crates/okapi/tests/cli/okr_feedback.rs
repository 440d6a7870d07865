//! The feedback loop and the views built on stored OKRs: calibration, the
//! coach with the measured sales cycle, templates, the report and the demo
//! workspace.

use tempfile::TempDir;

use crate::arg;
use crate::okrs::{SUBS, init, json, ws};
use crate::{okapi, write_files};

/// Two new-business deals won in Q1 2024: 136 days (1 Sep → 15 Jan) and
/// 123 days (15 Oct → 15 Feb); the quarter's sales cycle is their mean,
/// 129.5. The sales cycle is new business only: the expansion won in 10
/// days in Q1 and the renewal won in 4 days in Q2 (which leaves Q2 without
/// a sales cycle, so Q1 stays the latest measured) do not count.
const DEALS: &str = "\
deal_id,account_id,kind,created_at,closed_at,status,amount
d1,a1,new,2023-09-01T00:00:00Z,2024-01-15T00:00:00Z,won,1200
d2,a2,new,2023-10-15T00:00:00Z,2024-02-15T00:00:00Z,won,600
d3,a1,expansion,2024-01-02T00:00:00Z,2024-01-12T00:00:00Z,won,300
d4,a2,renewal,2024-04-01T00:00:00Z,2024-04-05T00:00:00Z,won,600
";

#[test]
fn calibration_compares_targets_with_results_and_proposes_targets() {
    let dir = init();
    let w = dir.path();
    // A row that is never active (it ends as it starts) takes the data
    // back to November 2023, two months of MRR 0 before the first
    // customer: calibration leaves them out.
    let subs = format!("{SUBS}s0,a9,pro,10,2023-11-01,2023-11-01\n");
    write_files(&w.join("data"), &[("subscriptions.csv", &subs)]);
    ws(w, &["team", "add", "sales"]).expect_code(0);
    // A closed quarter: calls 5 of 10 (0.5) and demos 4 of 4 (1.0); mean
    // 0.75, one green, one yellow.
    ws(w, &["cycle", "create", "2023-Q4"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "add",
            "--cycle",
            "2023-Q4",
            "--title",
            "Fill the pipeline",
            "--team",
            "sales",
        ],
    )
    .expect_code(0);
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "Calls",
            "--baseline",
            "0",
            "--target",
            "10",
        ],
    )
    .expect_code(0);
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "Demos",
            "--baseline",
            "0",
            "--target",
            "4",
        ],
    )
    .expect_code(0);
    ws(w, &["cycle", "activate", "2023-Q4"]).expect_code(0);
    ws(
        w,
        &["checkin", "KR-1", "--value", "5", "--at", "2023-12-01"],
    )
    .expect_code(0);
    ws(
        w,
        &["checkin", "KR-2", "--value", "4", "--at", "2023-12-01"],
    )
    .expect_code(0);
    ws(w, &["cycle", "close", "2023-Q4", "--at", "2023-12-31"]).expect_code(0);
    // An open one-month cycle with an MRR KR: the history before it is
    // January 150.5 and February 200, one one-month window with a change
    // of +49.5, so the proposal is 200 + 49.5 = 249.5. (With the zero
    // months: changes 0, 150.5, 49.5, 3 windows, 75th percentile 100.)
    ws(
        w,
        &[
            "cycle",
            "create",
            "mar-2024",
            "--start",
            "2024-03-01",
            "--end",
            "2024-03-31",
        ],
    )
    .expect_code(0);
    ws(
        w,
        &[
            "okr", "add", "--cycle", "mar-2024", "--title", "Grow", "--team", "sales",
        ],
    )
    .expect_code(0);
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-2",
            "--title",
            "MRR to 300",
            "--kpi",
            "mrr",
            "--target",
            "300",
        ],
    )
    .expect_code(0);

    let run = ws(w, &["calibrate", "--format", "json"]);
    run.expect_code(0);
    let v = json(&run);
    let team = &v["teams"][0];
    assert_eq!(team["team"], "sales");
    assert_eq!(team["cycle"], "2023-Q4");
    assert_eq!(team["mean_score"], 0.75);
    assert_eq!(
        (
            team["green"].as_u64(),
            team["yellow"].as_u64(),
            team["red"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
    assert_eq!(team["results"][0]["achieved"], 5.0);
    let p = &v["proposals"][0];
    assert_eq!(p["key"], "KR-3");
    assert_eq!(p["baseline"], 200.0);
    assert_eq!(p["proposed_target"], 249.5);
    assert_eq!(p["windows"], 1);
    assert_eq!(p["current_target"], 300.0);
    let text = ws(w, &["calibrate"]);
    assert!(text.stdout.contains("well calibrated"), "{}", text.stdout);
}

#[test]
fn the_revenue_rule_reads_the_measured_sales_cycle() {
    let dir = init();
    let w = dir.path();
    write_files(
        &w.join("data"),
        &[("subscriptions.csv", SUBS), ("deals.csv", DEALS)],
    );
    ws(w, &["cycle", "create", "2024-Q2"]).expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2024-Q2", "--title", "Grow"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "Grow MRR to 300",
            "--kpi",
            "mrr",
            "--baseline",
            "200",
            "--target",
            "300",
            "--unit",
            "USD",
            "--why",
            "Revenue pays for the roadmap",
        ],
    )
    .expect_code(0);
    let v = json(&ws(w, &["review", "--format", "json"]));
    assert_eq!(v["sales_cycle_days"], 129.5);
    assert_eq!(v["sales_cycle_measured_on"], "quarter of 2024-01-01");
    assert_eq!(v["cycle_days"], 91);
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "sales-cycle")
        .expect("a sales-cycle finding");
    assert_eq!(f["kr"], "KR-1");
    assert!(f["reason"].as_str().unwrap().contains("129.5 days"), "{f}");
    // A year-long cycle is longer than the sales cycle: no finding.
    ws(w, &["cycle", "create", "2025"]).expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2025", "--title", "Grow"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-2",
            "--title",
            "Grow MRR to 300",
            "--kpi",
            "mrr",
            "--baseline",
            "200",
            "--target",
            "300",
            "--unit",
            "USD",
            "--why",
            "Revenue pays for the roadmap",
        ],
    )
    .expect_code(0);
    let v = json(&ws(w, &["review", "--cycle", "2025", "--format", "json"]));
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["rule"] != "sales-cycle"),
        "{v}"
    );
}

#[test]
fn a_template_becomes_objectives_the_coach_accepts() {
    let dir = init();
    let w = dir.path();
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    let run = ws(
        w,
        &[
            "okr",
            "new",
            "--template",
            "organic-search-starting",
            "--cycle",
            "2027-Q1",
            "--team",
            "marketing-team",
            "--format",
            "json",
        ],
    );
    // The team must exist first.
    run.expect_code(2);
    assert!(
        run.stderr.contains("there is no team `marketing-team`"),
        "{}",
        run.stderr
    );
    ws(w, &["team", "add", "marketing"]).expect_code(0);
    let run = ws(
        w,
        &[
            "okr",
            "new",
            "--template",
            "organic-search-starting",
            "--cycle",
            "2027-Q1",
            "--team",
            "marketing",
            "--format",
            "json",
        ],
    );
    run.expect_code(0);
    let v = json(&run);
    assert_eq!(
        v["objective"]["title"],
        "Build a sustainable organic search channel"
    );
    assert_eq!(v["objective"]["level"], "team");
    let krs = v["key_results"].as_array().unwrap();
    // Without data the template's own numbers stay: 2,000 → 5,000 visitors.
    let visitors = krs.iter().find(|k| k["kpi"] == "visitors").unwrap();
    assert_eq!(
        (visitors["baseline"].as_f64(), visitors["target"].as_f64()),
        (Some(2000.0), Some(5000.0))
    );
    assert_eq!(visitors["kind"], "kpi");
    let review = json(&ws(w, &["review", "--format", "json"]));
    assert_eq!(review["findings"], serde_json::json!([]), "{review}");
    let unknown = ws(
        w,
        &["okr", "new", "--template", "nope", "--cycle", "2027-Q1"],
    );
    unknown.expect_code(2);
    assert!(unknown.stderr.contains("unknown template `nope`"));
    // The report shows it.
    let md = ws(w, &["report", "--cycle", "2027-Q1"]);
    md.expect_code(0);
    assert!(
        md.stdout
            .starts_with("# OKR report — Q1 2027 (2027-01-01 … 2027-03-31)"),
        "{}",
        md.stdout
    );
    assert!(
        md.stdout
            .contains("| O-1 Build a sustainable organic search channel | team: marketing |"),
        "{}",
        md.stdout
    );
}

#[test]
fn the_demo_is_a_workspace_with_a_graded_past_and_a_live_present() {
    let dir = TempDir::new().unwrap();
    let out = dir.path().join("demo");
    okapi(&[
        "demo",
        "--out",
        &arg(&out),
        "--accounts",
        "120",
        "--events",
        "20000",
        "--months",
        "14",
        "--end",
        "2026-10-31",
        "--seed",
        "7",
        "--quiet",
    ])
    .expect_code(0);
    let cycles = json(&crate::okrs::ws(
        &out,
        &["cycle", "list", "--format", "json"],
    ));
    let states: Vec<(String, String)> = cycles
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["key"].as_str().unwrap().to_string(),
                c["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        vec![
            ("2026-Q4".into(), "active".into()),
            ("2026-Q3".into(), "closed".into())
        ]
    );
    let past = json(&ws(
        &out,
        &["okr", "list", "--cycle", "2026-Q3", "--format", "json"],
    ));
    for o in past["objectives"].as_array().unwrap() {
        assert_eq!(o["state"], "closed");
        assert!(o["grade"].is_string(), "{o}");
    }
    let now = json(&ws(
        &out,
        &["okr", "list", "--cycle", "2026-Q4", "--format", "json"],
    ));
    let levels: Vec<&str> = now["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["level"].as_str().unwrap())
        .collect();
    for l in ["company", "team", "person"] {
        assert!(levels.contains(&l), "{levels:?}");
    }
    let krs: Vec<&serde_json::Value> = now["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["krs"].as_array().unwrap())
        .collect();
    assert!(
        krs.iter()
            .any(|k| k["kind"] == "kpi" && k["checkins"].as_u64().unwrap() >= 4)
    );
    // The demo's OKRs are also code: applying its file changes nothing.
    let applied = json(&ws(
        &out,
        &[
            "okr",
            "apply",
            &arg(&out.join("okrs.toml")),
            "--format",
            "json",
        ],
    ));
    assert!(
        applied
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["action"] == "unchanged"),
        "{applied}"
    );
    let report = ws(&out, &["report", "--cycle", "2026-Q3"]);
    assert!(report.stdout.contains("reflection:"), "{}", report.stdout);
    // Inside a workspace the data commands read its data directory.
    let inside = ws(&out, &["kpi", "--kpi", "mrr", "--format", "csv"]);
    inside.expect_code(0);
    let given = okapi(&[
        "kpi",
        "--data",
        &arg(&out),
        "--kpi",
        "mrr",
        "--format",
        "csv",
    ]);
    assert_eq!(inside.stdout, given.stdout);
    let outside = okapi(&["kpi", "--kpi", "mrr"]);
    outside.expect_code(2);
    assert!(
        outside
            .stderr
            .contains("--data DIR is required outside a workspace"),
        "{}",
        outside.stderr
    );
}
