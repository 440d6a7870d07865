//! The OKR commands end to end on a workspace directory: init, cycles,
//! objectives, key results (KPI-linked ones computed from the workspace's
//! data), check-ins, close, the coach, stale KRs, export and import, and
//! schema upgrades. Scores are worked out by hand in the comments.

use std::path::Path;

use serde_json::Value;
use tempfile::TempDir;

use crate::{Run, arg, okapi, write_files};

/// Runs `okapi --workspace WS args…`.
pub fn ws(ws: &Path, args: &[&str]) -> Run {
    let mut all = vec!["--workspace".to_string(), arg(ws)];
    all.extend(args.iter().map(|a| a.to_string()));
    okapi(&all)
}

pub fn json(run: &Run) -> Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", run.stdout, run.stderr))
}

/// A new workspace in a temporary directory.
pub fn init() -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    okapi(&["init", &arg(dir.path()), "--name", "Acme Inc"]).expect_code(0);
    dir
}

/// The whole workspace as JSON, without the export's timestamp.
pub fn snapshot(w: &Path) -> Value {
    let run = ws(w, &["export"]);
    run.expect_code(0);
    let mut v = json(&run);
    v.as_object_mut().unwrap().remove("exported_at");
    v
}

/// Subscriptions of three accounts, January–March 2024 (see
/// `outputs.rs`): MRR is 150.5 at the end of January and 200 at the end
/// of February; the data ends on 4 March, so March is not complete.
pub const SUBS: &str = "\
subscription_id,account_id,plan,mrr,start_date,end_date
s1,a1,pro,100.50,2024-01-01,2024-02-15
s2,a1,pro,150.00,2024-02-15,
s3,a2,basic,50,2024-01-10,2024-03-05
s4,a3,pro,80,2024-03-01,
";

#[test]
fn init_creates_a_workspace_and_refuses_to_do_it_twice() {
    let dir = init();
    let p = dir.path();
    assert!(p.join("okapi.db").exists());
    assert!(p.join("data").is_dir());
    let toml = std::fs::read_to_string(p.join("okapi.toml")).unwrap();
    assert!(toml.contains("id = \"acme-inc\""), "{toml}");
    // A cycle without a key is the current quarter.
    let now = json(&ws(p, &["cycle", "create", "--format", "json"]));
    let today = chrono::Utc::now().date_naive();
    use chrono::Datelike;
    assert_eq!(
        now["key"],
        format!("{}-Q{}", today.year(), today.month0() / 3 + 1)
    );
    assert_eq!(now["state"], "planning");
    let again = okapi(&["init", &arg(p)]);
    again.expect_code(2);
    assert!(
        again.stderr.contains("already workspace `acme-inc`"),
        "{}",
        again.stderr
    );
    // Outside a workspace, OKR commands say what to do.
    let empty = TempDir::new().unwrap();
    let run = ws(empty.path(), &["cycle", "list"]);
    run.expect_code(2);
    assert!(run.stderr.contains("okapi init"), "{}", run.stderr);
}

#[test]
fn a_cycle_from_creation_to_graded_close() {
    let dir = init();
    let w = dir.path();
    ws(
        w,
        &[
            "team",
            "add",
            "sales",
            "--mission",
            "Turn interest into customers",
        ],
    )
    .expect_code(0);
    ws(
        w,
        &[
            "user", "add", "ana", "--name", "Ana Lima", "--team", "sales",
        ],
    )
    .expect_code(0);
    let c = ws(w, &["cycle", "create", "2026-Q4", "--format", "json"]);
    c.expect_code(0);
    let c = json(&c);
    assert_eq!(
        (c["start"].as_str(), c["end"].as_str()),
        (Some("2026-10-01"), Some("2026-12-31"))
    );
    assert_eq!(c["state"], "planning");
    ws(
        w,
        &[
            "okr",
            "add",
            "--cycle",
            "2026-Q4",
            "--title",
            "Win the mid-market",
            "--committed",
            "true",
            "--owner",
            "ana",
            "--level",
            "company",
        ],
    )
    .expect_code(0);
    // O-1: calls 0 → 1,200 (weight 1) and time to value 65 → 55 days
    // (weight 3).
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "Make 1,200 discovery calls",
            "--baseline",
            "0",
            "--target",
            "1200",
            "--unit",
            "calls",
            "--why",
            "Calls fill the pipeline",
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
            "Cut time to value from 65 to 55 days",
            "--baseline",
            "65",
            "--target",
            "55",
            "--unit",
            "days",
            "--weight",
            "3",
            "--why",
            "Value early keeps customers",
        ],
    )
    .expect_code(0);
    ws(w, &["cycle", "activate", "2026-Q4"]).expect_code(0);

    // 600 of 1,200 calls: 0.5; on 15 Nov, 45 of the cycle's 91 days have
    // passed: 45/91 = 0.4945 expected, so on pace.
    let ci = ws(
        w,
        &[
            "checkin",
            "KR-1",
            "--value",
            "600",
            "--at",
            "2026-11-15",
            "--note",
            "half way",
            "--author",
            "ana",
            "--format",
            "json",
        ],
    );
    ci.expect_code(0);
    let ci = json(&ci);
    assert_eq!(ci["score"], 0.5);
    // 1 October … 31 December is 92 days; 15 November starts day 45.
    assert!((ci["expected"].as_f64().unwrap() - 45.0 / 92.0).abs() < 1e-9);
    assert_eq!(ci["at_risk"], false);
    assert_eq!(ci["checkin"]["confidence"], "on_track");
    // 65 → 62 of 65 → 55: 0.3; 0.3 is 0.19 behind 45/92 = 0.49: at risk.
    let ci = ws(
        w,
        &[
            "checkin",
            "KR-2",
            "--value",
            "62",
            "--at",
            "2026-11-15",
            "--format",
            "json",
        ],
    );
    ci.expect_code(0);
    let ci = json(&ci);
    assert!((ci["score"].as_f64().unwrap() - 0.3).abs() < 1e-9);
    assert_eq!(ci["at_risk"], true);
    assert_eq!(ci["checkin"]["confidence"], "at_risk");

    let tree = ws(w, &["okr", "tree"]);
    tree.expect_code(0);
    assert!(
        tree.stdout
            .contains("O-1 [company · ana] Win the mid-market"),
        "{}",
        tree.stdout
    );

    // Close: KR-1 0.5, KR-2 (65 → 60) 0.5; O-1 = (0.5 + 0.5 × 3) / 4 = 0.5,
    // yellow, committed so flagged.
    ws(
        w,
        &["checkin", "KR-2", "--value", "60", "--at", "2026-12-20"],
    )
    .expect_code(0);
    let closed = ws(
        w,
        &[
            "cycle",
            "close",
            "2026-Q4",
            "--reflection",
            "KR-1=Two people short all quarter",
            "--format",
            "json",
        ],
    );
    closed.expect_code(0);
    let closed = json(&closed);
    let o = &closed[0];
    assert_eq!(o["score"], 0.5);
    assert_eq!(o["grade"], "yellow");
    assert_eq!(o["flagged"], true);
    assert_eq!(o["krs"][0]["reflection"], "Two people short all quarter");
    let list = json(&ws(
        w,
        &["okr", "list", "--cycle", "2026-Q4", "--format", "json"],
    ));
    assert_eq!(list["objectives"][0]["state"], "closed");
    assert_eq!(list["objectives"][0]["krs"][1]["score"], 0.5);

    // A closed cycle takes no more check-ins, and nothing changed.
    let before = snapshot(w);
    let late = ws(w, &["checkin", "KR-1", "--value", "900"]);
    late.expect_code(2);
    assert!(late.stderr.contains("closed"), "{}", late.stderr);
    assert_eq!(snapshot(w), before);
}

#[test]
fn bad_changes_get_clear_errors_and_change_nothing() {
    let dir = init();
    let w = dir.path();
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    ws(w, &["cycle", "create", "2027-Q2"]).expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2027-Q1", "--title", "Grow"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "add",
            "--cycle",
            "2027-Q1",
            "--title",
            "Grow more",
            "--parent",
            "O-1",
        ],
    )
    .expect_code(0);
    let before = snapshot(w);
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                "Flat",
                "--baseline",
                "5",
                "--target",
                "5",
            ],
            "target equals baseline",
        ),
        // Words of the method are parsed once, at the flag, with the words
        // accepted; a segment is COLUMN=VALUE.
        (
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                "Done",
                "--kind",
                "milestne",
            ],
            "unknown key result kind `milestne` (expected one of: metric, kpi, milestone, threshold)",
        ),
        (
            &["okr", "kr-set", "--grain", "hour", "KR-1"],
            "unknown grain `hour`",
        ),
        (
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                "MRR",
                "--kpi",
                "mrr",
                "--segment",
                "plan",
                "--baseline",
                "1",
                "--target",
                "2",
            ],
            "segment `plan` is not COLUMN=VALUE",
        ),
        (
            &[
                "cycle",
                "create",
                "spring",
                "--start",
                "2027-06-30",
                "--end",
                "2027-04-01",
            ],
            "cannot end (2027-04-01) before it starts",
        ),
        (
            &[
                "okr", "add", "--cycle", "2027-Q2", "--title", "X", "--parent", "O-1",
            ],
            "the parent objective O-1 is in another cycle",
        ),
        (
            &["okr", "set", "O-1", "--parent", "O-2"],
            "would make a loop: O-1 → O-2 → O-1",
        ),
        (
            &[
                "okr",
                "kr",
                "--objective",
                "O-404",
                "--title",
                "X",
                "--baseline",
                "0",
                "--target",
                "1",
            ],
            "there is no objective `O-404`",
        ),
        (
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                "X",
                "--kpi",
                "mrrr",
                "--target",
                "1",
            ],
            "unknown KPI `mrrr`",
        ),
        (
            &["checkin", "KR-9", "--value", "1"],
            "there is no key result `KR-9`",
        ),
        (
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                "X",
                "--baseline",
                "0",
                "--target",
                "1",
                "--weight",
                "1e300",
            ],
            "at most 1000",
        ),
        (
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                "X",
                "--baseline",
                "0",
                "--target",
                "1",
                "--weight",
                "0",
            ],
            "above 0",
        ),
        (
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                "X",
                "--baseline",
                "0",
                "--target",
                "inf",
            ],
            "finite",
        ),
        (
            &["okr", "add", "--cycle", "2099-Q1", "--title", "X"],
            "there is no cycle `2099-Q1`",
        ),
        (
            &["okr", "set", "O-1", "--state", "active"],
            "an objective cannot go from draft to active",
        ),
        (
            &["cycle", "close", "2027-Q1"],
            "only an active cycle can be closed",
        ),
        (
            &["okr", "set", "O-1", "--title", "Stale", "--if-version", "0"],
            "changed meanwhile",
        ),
    ];
    for (args, message) in cases {
        let run = ws(w, args);
        run.expect_code(2);
        assert!(
            run.stderr.contains(message),
            "{args:?}: expected `{message}` in:\n{}",
            run.stderr
        );
    }
    assert_eq!(snapshot(w), before);
}

#[test]
fn kpi_linked_key_results_read_the_workspace_data() {
    let dir = init();
    let w = dir.path();
    write_files(&w.join("data"), &[("subscriptions.csv", SUBS)]);
    ws(
        w,
        &[
            "cycle",
            "create",
            "feb-apr",
            "--start",
            "2024-02-01",
            "--end",
            "2024-04-30",
        ],
    )
    .expect_code(0);
    ws(w, &["okr", "add", "--cycle", "feb-apr", "--title", "Grow"]).expect_code(0);
    // No baseline given: the last complete month before 1 February is
    // January, MRR 150.5.
    let kr = ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "MRR to 250",
            "--kpi",
            "mrr",
            "--target",
            "250",
            "--format",
            "json",
        ],
    );
    kr.expect_code(0);
    let kr = json(&kr);
    assert_eq!(kr["kind"], "kpi");
    assert_eq!(kr["baseline"], 150.5);
    ws(w, &["cycle", "activate", "feb-apr"]).expect_code(0);
    // On demand, without a check-in: February's 200, stored nowhere.
    let before = snapshot(w);
    let live = json(&ws(
        w,
        &[
            "okr",
            "list",
            "--live",
            "--at",
            "2024-03-04",
            "--format",
            "json",
        ],
    ));
    let k = &live["objectives"][0]["krs"][0];
    assert_eq!(k["current"], 200.0);
    assert!((k["score"].as_f64().unwrap() - 49.5 / 99.5).abs() < 1e-12);
    assert_eq!(snapshot(w), before);
    // On 4 March the last complete month is February: MRR 200; score
    // (200 − 150.5) / (250 − 150.5) = 49.5 / 99.5.
    let ci = ws(
        w,
        &["checkin", "KR-1", "--at", "2024-03-04", "--format", "json"],
    );
    ci.expect_code(0);
    let ci = json(&ci);
    assert_eq!(ci["checkin"]["value"], 200.0);
    assert_eq!(ci["checkin"]["source"], "kpi");
    assert!((ci["score"].as_f64().unwrap() - 49.5 / 99.5).abs() < 1e-12);
    // Before February ends, no complete month after January: 150.5.
    let early = json(&ws(
        w,
        &["checkin", "KR-1", "--at", "2024-02-20", "--format", "json"],
    ));
    assert_eq!(early["checkin"]["value"], 150.5);
}

#[test]
fn the_coach_reviews_a_stored_cycle_rule_by_rule() {
    let dir = init();
    let w = dir.path();
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "add",
            "--cycle",
            "2027-Q1",
            "--title",
            "Relaunch pricing",
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
            "--kind",
            "milestone",
            "--title",
            "Launch the new pricing page",
        ],
    )
    .expect_code(0);
    let run = ws(w, &["review", "--format", "json"]);
    run.expect_code(0);
    let v = json(&run);
    let rules: Vec<&str> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    // A task, not a result; no "so what"; and one KR where three is ideal.
    assert!(rules.contains(&"kr-task"), "{rules:?}");
    assert!(rules.contains(&"kr-so-what"), "{rules:?}");
    assert!(rules.contains(&"kr-count"), "{rules:?}");
    assert_eq!(v["cycle_days"], 90);
    let text = ws(w, &["review"]);
    assert!(
        text.stdout.contains("kr-task — O-1 / KR-1"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("try: "), "{}", text.stdout);
}

#[test]
fn stale_key_results_are_listed_per_owner() {
    let dir = init();
    let w = dir.path();
    ws(w, &["user", "add", "ana"]).expect_code(0);
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    ws(
        w,
        &[
            "okr", "add", "--cycle", "2027-Q1", "--title", "Grow", "--owner", "ana",
        ],
    )
    .expect_code(0);
    for t in ["Calls", "Demos"] {
        ws(
            w,
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                t,
                "--baseline",
                "0",
                "--target",
                "10",
            ],
        )
        .expect_code(0);
    }
    ws(w, &["cycle", "activate", "2027-Q1"]).expect_code(0);
    ws(
        w,
        &["checkin", "KR-1", "--value", "2", "--at", "2027-01-20"],
    )
    .expect_code(0);
    ws(
        w,
        &["checkin", "KR-2", "--value", "2", "--at", "2027-01-30"],
    )
    .expect_code(0);
    // On 1 Feb with a weekly cadence: KR-1 is 12 days old, KR-2 2 days.
    let v = json(&ws(
        w,
        &["okr", "stale", "--at", "2027-02-01", "--format", "json"],
    ));
    let ana = v["owners"]["ana (ana)"].as_array().unwrap();
    assert_eq!(ana.len(), 1);
    assert_eq!(ana[0]["key"], "KR-1");
    assert_eq!(ana[0]["days_since"], 12);
}

#[test]
fn export_and_import_round_trip_through_the_cli() {
    let dir = init();
    let w = dir.path();
    ws(w, &["vision", "Numbers everyone trusts"]).expect_code(0);
    ws(
        w,
        &["team", "add", "sales", "--mission", "Customers who fit"],
    )
    .expect_code(0);
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    ws(
        w,
        &[
            "okr", "add", "--cycle", "2027-Q1", "--title", "Grow", "--team", "sales",
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
    ws(w, &["cycle", "activate", "2027-Q1"]).expect_code(0);
    ws(
        w,
        &[
            "checkin",
            "KR-1",
            "--value",
            "4",
            "--at",
            "2027-02-01",
            "--note",
            "ok",
        ],
    )
    .expect_code(0);
    let file = w.join("export.json");
    ws(w, &["export", "--out", &arg(&file)]).expect_code(0);

    let target = TempDir::new().unwrap();
    let run = ws(target.path(), &["import", &arg(&file)]);
    run.expect_code(0);
    assert_eq!(snapshot(target.path()), snapshot(w));
    // Importing the same workspace again is refused.
    let again = ws(target.path(), &["import", &arg(&file)]);
    again.expect_code(2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn an_old_database_is_refused_until_migrated() {
    let dir = TempDir::new().unwrap();
    let w = dir.path();
    std::fs::write(w.join("okapi.toml"), "[workspace]\nid = \"old\"\n").unwrap();
    // A database at schema version 1, as an earlier okapi left it.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = okapi_store::Store::connect(&okapi_store::sqlite_url(&w.join("okapi.db")))
            .await
            .unwrap();
        store.migrate_to(1).await.unwrap();
        store
            .create_workspace("old", "Old", "b2b", chrono::Utc::now())
            .await
            .unwrap();
        store.close().await;
    });
    let run = ws(w, &["cycle", "list"]);
    run.expect_code(2);
    assert!(run.stderr.contains("run `okapi migrate`"), "{}", run.stderr);
    let m = json(&ws(w, &["migrate", "--format", "json"]));
    assert_eq!(m["from"], 1);
    assert_eq!(m["applied"], serde_json::json!([2, 3, 4, 5, 6, 7, 8, 9]));
    ws(w, &["cycle", "list"]).expect_code(0);
    let m = json(&ws(w, &["migrate", "--format", "json"]));
    assert_eq!(m["applied"], serde_json::json!([]));
}

#[test]
fn the_same_commands_run_on_postgresql() {
    let Ok(base) = std::env::var("OKAPI_TEST_POSTGRES_URL") else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED the_same_commands_run_on_postgresql: OKAPI_TEST_POSTGRES_URL is not set, so the CLI did NOT run on PostgreSQL"
        );
        return;
    };
    // A schema of its own, so that runs never meet.
    let schema = format!(
        "okapi_cli_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let exec = |sql: String| {
        rt.block_on(async {
            sqlx::any::install_default_drivers();
            let pool = sqlx::AnyPool::connect(&base).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        })
    };
    exec(format!("CREATE SCHEMA {schema}"));
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
    let dir = TempDir::new().unwrap();
    let w = dir.path();
    okapi(&["--database-url", &url, "init", &arg(w), "--name", "Pg Co"]).expect_code(0);
    assert!(!w.join("okapi.db").exists());
    let pg = |args: &[&str]| {
        let mut all = vec!["--database-url", url.as_str(), "--workspace"];
        let wa = arg(w);
        all.push(&wa);
        all.extend(args);
        okapi(&all)
    };
    pg(&["cycle", "create", "2027-Q1"]).expect_code(0);
    pg(&["okr", "add", "--cycle", "2027-Q1", "--title", "Grow"]).expect_code(0);
    pg(&[
        "okr",
        "kr",
        "--objective",
        "O-1",
        "--title",
        "Calls",
        "--baseline",
        "0",
        "--target",
        "8",
    ])
    .expect_code(0);
    pg(&["cycle", "activate", "2027-Q1"]).expect_code(0);
    let ci = pg(&[
        "checkin",
        "KR-1",
        "--value",
        "2",
        "--at",
        "2027-02-01",
        "--format",
        "json",
    ]);
    ci.expect_code(0);
    assert_eq!(json(&ci)["score"], 0.25);
    // OKRs as code on PostgreSQL: the second apply changes nothing.
    let file = w.join("okrs.toml");
    std::fs::write(
        &file,
        "[[objective]]\nkey = \"T-1\"\ncycle = \"2027-Q1\"\ntitle = \"Team goal\"\nparent = \"O-1\"\nstate = \"active\"\n\n[[objective.kr]]\nkey = \"T-KR\"\ntitle = \"Demos\"\nbaseline = 0\ntarget = 4\n",
    )
    .unwrap();
    let fa = arg(&file);
    pg(&["okr", "apply", &fa]).expect_code(0);
    let again = json(&pg(&["okr", "apply", &fa, "--format", "json"]));
    assert!(
        again
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["action"] == "unchanged"),
        "{again}"
    );
    let tree = pg(&["okr", "tree"]);
    assert!(
        tree.stdout.contains("└── T-1 [team] Team goal"),
        "{}",
        tree.stdout
    );
    exec(format!("DROP SCHEMA {schema} CASCADE"));
}

#[test]
fn a_database_password_never_reaches_the_output() {
    let dir = TempDir::new().unwrap();
    // No such role (or, without a server, no server): the connection
    // fails, and the message names the database without its password.
    let run = okapi(&[
        "--database-url",
        "postgres://okapi_nobody:s3cr3t-pw@127.0.0.1:5432/test",
        "init",
        &arg(dir.path()),
    ]);
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("postgres://okapi_nobody:***@127.0.0.1:5432/test"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("s3cr3t-pw"), "{}", run.stderr);
    assert!(!run.stdout.contains("s3cr3t-pw"), "{}", run.stdout);
    // Nothing was written.
    assert!(!dir.path().join("okapi.toml").exists());
}

#[test]
fn import_into_a_settings_only_directory_makes_it_the_workspace() {
    let dir = init();
    let w = dir.path();
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    let file = w.join("export.json");
    ws(w, &["export", "--out", &arg(&file)]).expect_code(0);
    let target = TempDir::new().unwrap();
    let t = target.path();
    std::fs::write(t.join("okapi.toml"), "gross_margin = 0.7\n").unwrap();
    ws(t, &["import", &arg(&file)]).expect_code(0);
    let toml = std::fs::read_to_string(t.join("okapi.toml")).unwrap();
    assert!(toml.starts_with("gross_margin = 0.7\n"), "{toml}");
    assert!(toml.contains("id = \"acme-inc\""), "{toml}");
    let cycles = json(&ws(t, &["cycle", "list", "--format", "json"]));
    assert_eq!(cycles[0]["key"], "2027-Q1");
}

#[test]
fn refresh_checks_in_the_kpi_linked_krs_whose_value_changed() {
    let dir = init();
    let w = dir.path();
    write_files(&w.join("data"), &[("subscriptions.csv", SUBS)]);
    ws(
        w,
        &[
            "cycle",
            "create",
            "feb-apr",
            "--start",
            "2024-02-01",
            "--end",
            "2024-04-30",
        ],
    )
    .expect_code(0);
    ws(w, &["okr", "add", "--cycle", "feb-apr", "--title", "Grow"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "MRR to 250",
            "--kpi",
            "mrr",
            "--target",
            "250",
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
            "9",
        ],
    )
    .expect_code(0);
    ws(w, &["cycle", "activate", "feb-apr"]).expect_code(0);
    let refresh = |day: &str| json(&ws(w, &["okr", "refresh", "--at", day, "--format", "json"]));
    // 20 Feb: January's 150.5, the first value.
    let r = refresh("2024-02-20");
    assert_eq!(r.as_array().unwrap().len(), 1);
    assert_eq!(
        (r[0]["kr"].as_str(), r[0]["value"].as_f64()),
        (Some("KR-1"), Some(150.5))
    );
    assert!(r[0]["previous"].is_null());
    // 25 Feb: still January: nothing to add.
    assert_eq!(refresh("2024-02-25"), serde_json::json!([]));
    // 4 Mar: February's 200.
    let r = refresh("2024-03-04");
    assert_eq!(
        (r[0]["value"].as_f64(), r[0]["previous"].as_f64()),
        (Some(200.0), Some(150.5))
    );
    let before = snapshot(w);
    assert_eq!(refresh("2024-03-04"), serde_json::json!([]));
    assert_eq!(snapshot(w), before);
    // Two check-ins on KR-1, none on the metric KR-2.
    let n = |kr: &str| {
        before["checkins"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["kr"] == kr)
            .count()
    };
    assert_eq!((n("KR-1"), n("KR-2")), (2, 0));
}

#[test]
fn mistakes_can_be_deleted_but_history_cannot() {
    let dir = init();
    let w = dir.path();
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2027-Q1", "--title", "Grow"]).expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2027-Q1", "--title", "Typo"]).expect_code(0);
    for t in ["Calls", "Demos"] {
        ws(
            w,
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                t,
                "--baseline",
                "0",
                "--target",
                "8",
            ],
        )
        .expect_code(0);
    }
    ws(w, &["cycle", "activate", "2027-Q1"]).expect_code(0);
    ws(
        w,
        &[
            "checkin",
            "KR-1",
            "--value",
            "2",
            "--at",
            "2027-01-20",
            "--note",
            "first week",
        ],
    )
    .expect_code(0);
    ws(
        w,
        &["checkin", "KR-1", "--value", "6", "--at", "2027-02-03"],
    )
    .expect_code(0);

    let before = snapshot(w);
    for (key, message) in [
        ("KR-1", "has 2 check-in(s)"),
        ("O-1", "has 2 check-in(s)"),
        ("O-9", "there is no objective or key result `O-9`"),
    ] {
        let run = ws(w, &["okr", "delete", key]);
        run.expect_code(2);
        assert!(run.stderr.contains(message), "{key}: {}", run.stderr);
    }
    assert_eq!(snapshot(w), before);
    ws(w, &["okr", "delete", "KR-2"]).expect_code(0);
    ws(w, &["okr", "delete", "O-2"]).expect_code(0);
    let after = snapshot(w);
    assert_eq!(after["objectives"].as_array().unwrap().len(), 1);
    assert_eq!(after["key_results"].as_array().unwrap().len(), 1);

    // The history: 2 of 8 is 0.25, then 6 of 8 is 0.75.
    let h = json(&ws(w, &["okr", "history", "KR-1", "--format", "json"]));
    let scores: Vec<f64> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert_eq!(scores, vec![0.25, 0.75]);
    assert_eq!(h[0]["note"], "first week");
}

#[test]
fn the_html_report_is_one_safe_page_with_progress_charts() {
    let dir = init();
    let w = dir.path();
    ws(w, &["vision", "Numbers & people <both>"]).expect_code(0);
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "add",
            "--cycle",
            "2027-Q1",
            "--title",
            "Win <script>alert(1)</script> deals",
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
    ws(w, &["cycle", "activate", "2027-Q1"]).expect_code(0);
    ws(
        w,
        &["checkin", "KR-1", "--value", "2", "--at", "2027-01-15"],
    )
    .expect_code(0);
    ws(
        w,
        &[
            "checkin",
            "KR-1",
            "--value",
            "5",
            "--at",
            "2027-02-15",
            "--note",
            "a \"good\" week",
        ],
    )
    .expect_code(0);
    let run = ws(w, &["report", "--format", "html", "--at", "2027-02-15"]);
    run.expect_code(0);
    let html = &run.stdout;
    assert!(html.starts_with("<!doctype html>"), "{html}");
    assert!(html.trim_end().ends_with("</html>"));
    // User text is escaped wherever it appears: no tag can be injected.
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("Win &lt;script&gt;alert(1)&lt;/script&gt; deals"));
    assert!(html.contains("Numbers &amp; people &lt;both&gt;"));
    assert!(html.contains("a &quot;good&quot; week"));
    // One chart for the KR: its two check-ins as a line, 0.2 and 0.5.
    assert_eq!(html.matches("<svg").count(), 1);
    assert_eq!(html.matches("<circle").count(), 2);
    assert!(html.contains("<polyline"));
    // No external resource: the page stands alone.
    assert!(!html.contains("src=") && !html.contains("<link"), "{html}");
}

#[test]
fn lists_narrow_to_a_team_or_an_owner() {
    let dir = init();
    let w = dir.path();
    for t in ["sales", "marketing"] {
        ws(w, &["team", "add", t]).expect_code(0);
    }
    for u in ["ana", "ben"] {
        ws(w, &["user", "add", u]).expect_code(0);
    }
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    ws(
        w,
        &[
            "okr", "add", "--cycle", "2027-Q1", "--title", "Sell", "--team", "sales",
        ],
    )
    .expect_code(0);
    ws(
        w,
        &[
            "okr", "add", "--cycle", "2027-Q1", "--title", "Learn", "--owner", "ana",
        ],
    )
    .expect_code(0);
    ws(
        w,
        &[
            "okr",
            "add",
            "--cycle",
            "2027-Q1",
            "--title",
            "Be known",
            "--team",
            "marketing",
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
            "9",
            "--owner",
            "ben",
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
            "9",
        ],
    )
    .expect_code(0);
    let keys = |args: &[&str]| -> Vec<(String, usize)> {
        let mut all = vec!["okr", "list", "--format", "json"];
        all.extend(args);
        json(&ws(w, &all))["objectives"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["key"].as_str().unwrap().to_string(),
                    o["krs"].as_array().unwrap().len(),
                )
            })
            .collect()
    };
    assert_eq!(keys(&["--team", "sales"]), vec![("O-1".to_string(), 2)]);
    assert_eq!(keys(&["--owner", "ana"]), vec![("O-2".to_string(), 0)]);
    // Ben owns one KR of the sales objective: only that KR is shown.
    assert_eq!(keys(&["--owner", "ben"]), vec![("O-1".to_string(), 1)]);
    assert_eq!(keys(&[]).len(), 3);
}

#[test]
fn a_cycle_can_be_renamed_and_moved_until_it_closes() {
    let dir = init();
    let w = dir.path();
    ws(
        w,
        &[
            "cycle",
            "create",
            "sprint",
            "--start",
            "2027-01-04",
            "--end",
            "2027-01-31",
        ],
    )
    .expect_code(0);
    let bad = ws(w, &["cycle", "set", "sprint", "--end", "2027-01-01"]);
    bad.expect_code(2);
    assert!(
        bad.stderr
            .contains("cannot end (2027-01-01) before it starts (2027-01-04)"),
        "{}",
        bad.stderr
    );
    let c = json(&ws(
        w,
        &[
            "cycle",
            "set",
            "sprint",
            "--name",
            "Sprint 1",
            "--end",
            "2027-02-14",
            "--format",
            "json",
        ],
    ));
    assert_eq!(
        (c["name"].as_str(), c["end"].as_str(), c["version"].as_i64()),
        (Some("Sprint 1"), Some("2027-02-14"), Some(2))
    );
    ws(w, &["cycle", "activate", "sprint"]).expect_code(0);
    ws(w, &["cycle", "close", "sprint", "--at", "2027-02-14"]).expect_code(0);
    let closed = ws(w, &["cycle", "set", "sprint", "--name", "Renamed"]);
    closed.expect_code(2);
    assert!(
        closed.stderr.contains("the cycle is closed"),
        "{}",
        closed.stderr
    );
}

#[test]
fn a_database_without_the_workspace_says_so() {
    let other = init();
    let dir = TempDir::new().unwrap();
    let w = dir.path();
    std::fs::write(w.join("okapi.toml"), "[workspace]\nid = \"ghost\"\n").unwrap();
    std::fs::copy(other.path().join("okapi.db"), w.join("okapi.db")).unwrap();
    let run = ws(w, &["okr", "list"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("holds no workspace `ghost`"),
        "{}",
        run.stderr
    );
}
