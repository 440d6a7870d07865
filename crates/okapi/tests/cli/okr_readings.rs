//! How the OKR commands read dates and numbers: inclusive cycle dates,
//! negative numbers as users type them, the confidence a close gives, and
//! numbers shown at the precision of their unit. Also `okapi demo --out`
//! never clobbering a workspace, and a killed demo leaving the old one.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::okrs::{SUBS, init, json, ws};
use crate::{arg, okapi, write_files};

#[test]
fn a_cycle_counts_its_last_day() {
    let dir = init();
    let w = dir.path();
    ws(
        w,
        &[
            "cycle",
            "create",
            "2026-Q1",
            "--start",
            "2026-01-01",
            "--end",
            "2026-03-31",
        ],
    )
    .expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2026-Q1", "--title", "Grow"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "Demos booked",
            "--baseline",
            "0",
            "--target",
            "100",
            "--unit",
            "demos",
        ],
    )
    .expect_code(0);
    ws(w, &["cycle", "activate", "2026-Q1"]).expect_code(0);
    // 1 January … 31 March is 31 + 28 + 31 = 90 days; 15 February starts
    // day 45: expected progress 45 / 90 = 0.5. A score of 0.36 is 0.14
    // behind (within the 0.15 tolerance), 0.34 is 0.16 behind (at risk).
    let ci = json(&ws(
        w,
        &[
            "checkin",
            "KR-1",
            "--value",
            "36",
            "--at",
            "2026-02-15",
            "--format",
            "json",
        ],
    ));
    assert_eq!(ci["expected"], 0.5);
    assert_eq!(ci["at_risk"], false);
    let ci = json(&ws(
        w,
        &[
            "checkin",
            "KR-1",
            "--value",
            "34",
            "--at",
            "2026-02-15",
            "--format",
            "json",
        ],
    ));
    assert_eq!(ci["at_risk"], true);
    // The forecast is read at the end of 31 March (day 90): scores 0.1
    // on day 10 (11 January) and 0.2 on day 20 (21 January) rise 0.01 a
    // day, 0.9 at day 90.
    let dir = init();
    let w = dir.path();
    ws(
        w,
        &[
            "cycle",
            "create",
            "2026-Q1",
            "--start",
            "2026-01-01",
            "--end",
            "2026-03-31",
        ],
    )
    .expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2026-Q1", "--title", "Grow"]).expect_code(0);
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "Demos booked",
            "--baseline",
            "0",
            "--target",
            "100",
        ],
    )
    .expect_code(0);
    ws(w, &["cycle", "activate", "2026-Q1"]).expect_code(0);
    for (v, at) in [("10", "2026-01-11"), ("20", "2026-01-21")] {
        ws(w, &["checkin", "KR-1", "--value", v, "--at", at]).expect_code(0);
    }
    let list = json(&ws(
        w,
        &["okr", "list", "--at", "2026-01-21", "--format", "json"],
    ));
    let f = list["objectives"][0]["krs"][0]["forecast"]
        .as_f64()
        .unwrap();
    assert!((f - 0.9).abs() < 1e-9, "{f}");
}

#[test]
fn negative_numbers_are_typed_as_they_are_written() {
    let dir = init();
    let w = dir.path();
    ws(
        w,
        &[
            "cycle",
            "create",
            "2026-Q1",
            "--start",
            "2026-01-01",
            "--end",
            "2026-03-31",
        ],
    )
    .expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2026-Q1", "--title", "Cash"]).expect_code(0);
    let kr = ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "Operating margin from -10 to -5 points",
            "--baseline",
            "-10",
            "--target",
            "-5",
            "--unit",
            "points",
            "--format",
            "json",
        ],
    );
    kr.expect_code(0);
    let kr = json(&kr);
    assert_eq!(kr["baseline"], -10.0);
    assert_eq!(kr["target"], -5.0);
    ws(w, &["cycle", "activate", "2026-Q1"]).expect_code(0);
    // (−8 − (−10)) / (−5 − (−10)) = 2 / 5 = 0.4.
    let ci = ws(
        w,
        &[
            "checkin",
            "KR-1",
            "--value",
            "-8",
            "--at",
            "2026-01-10",
            "--format",
            "json",
        ],
    );
    ci.expect_code(0);
    let ci = json(&ci);
    assert_eq!(ci["checkin"]["value"], -8.0);
    assert!((ci["score"].as_f64().unwrap() - 0.4).abs() < 1e-12);
    // Changed later, with a negative target again.
    let set = ws(
        w,
        &[
            "okr", "kr-set", "KR-1", "--target", "-3", "--format", "json",
        ],
    );
    set.expect_code(0);
    assert_eq!(json(&set)["target"], -3.0);
    // A word that is not a number is still refused.
    let bad = ws(w, &["checkin", "KR-1", "--value", "ten"]);
    bad.expect_code(2);
    assert!(bad.stderr.contains("--value"), "{}", bad.stderr);
}

#[test]
fn a_kr_that_closes_far_behind_reads_off_track() {
    let dir = init();
    let w = dir.path();
    write_files(&w.join("data"), &[("subscriptions.csv", SUBS)]);
    ws(
        w,
        &[
            "cycle",
            "create",
            "march",
            "--start",
            "2024-03-01",
            "--end",
            "2024-03-31",
        ],
    )
    .expect_code(0);
    ws(w, &["okr", "add", "--cycle", "march", "--title", "Grow"]).expect_code(0);
    // MRR at the end of March: a1 150 + a3 80 = 230 (a2 ended on 5
    // March); at the end of February 200. Either way at or below the
    // baseline of 230: score 0.
    ws(
        w,
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--title",
            "MRR to 300",
            "--kpi",
            "mrr",
            "--baseline",
            "230",
            "--target",
            "300",
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
            "Demos booked",
            "--baseline",
            "0",
            "--target",
            "10",
        ],
    )
    .expect_code(0);
    ws(w, &["cycle", "activate", "march"]).expect_code(0);
    ws(
        w,
        &["checkin", "KR-2", "--value", "10", "--at", "2024-03-20"],
    )
    .expect_code(0);
    ws(w, &["cycle", "close", "march", "--at", "2024-04-02"]).expect_code(0);
    // Closed after the cycle's end: the pace expects 1.0, and 0.00 is
    // 1.0 behind, more than 0.3: off track.
    let report = json(&ws(w, &["report", "--cycle", "march", "--format", "json"]));
    let krs = &report["objectives"][0]["krs"];
    assert_eq!(krs[0]["key"], "KR-1");
    assert_eq!(krs[0]["score"], 0.0);
    assert_eq!(krs[0]["confidence"], "off_track");
    let history = json(&ws(w, &["okr", "history", "KR-1", "--format", "json"]));
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["source"], "kpi");
    assert_eq!(last["confidence"], "off_track");
}

#[test]
fn numbers_are_shown_at_the_precision_of_their_unit() {
    let dir = init();
    let w = dir.path();
    ws(
        w,
        &[
            "cycle",
            "create",
            "2026-Q1",
            "--start",
            "2026-01-01",
            "--end",
            "2026-03-31",
        ],
    )
    .expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2026-Q1", "--title", "Serve"]).expect_code(0);
    for (title, baseline, target, unit) in [
        ("Uptime", "97.25", "99.5", "percent"),
        ("Expansion bookings", "1000", "2500000", "USD"),
        ("Support tickets a week", "1200", "900", "tickets"),
        ("Time to value", "65", "55", "days"),
    ] {
        ws(
            w,
            &[
                "okr",
                "kr",
                "--objective",
                "O-1",
                "--title",
                title,
                "--baseline",
                baseline,
                "--target",
                target,
                "--unit",
                unit,
            ],
        )
        .expect_code(0);
    }
    ws(w, &["cycle", "activate", "2026-Q1"]).expect_code(0);
    for (kr, v) in [
        ("KR-1", "99.329"),
        ("KR-2", "1234567.891"),
        ("KR-3", "1050"),
        ("KR-4", "58.26"),
    ] {
        ws(w, &["checkin", kr, "--value", v, "--at", "2026-02-01"]).expect_code(0);
    }
    let list = ws(w, &["okr", "list", "--at", "2026-02-01"]);
    list.expect_code(0);
    // 97.25 → 97.2 (half to even), 99.329 → 99.3, 99.5 → 99.5.
    for expected in [
        "97.2% → 99.3% of 99.5%",
        "1,000.00 → 1,234,567.89 of 2,500,000.00 USD",
        "1,200 → 1,050 of 900 tickets",
        "65.0 → 58.3 of 55.0 days",
    ] {
        assert!(
            list.stdout.contains(expected),
            "`{expected}` not in:\n{}",
            list.stdout
        );
    }
    assert!(!list.stdout.contains("percent"), "{}", list.stdout);
    let md = ws(w, &["report", "--cycle", "2026-Q1", "--at", "2026-02-01"]);
    md.expect_code(0);
    for expected in [
        "| 97.2% | 99.3% | 99.5% |",
        "| 1,000.00 USD | 1,234,567.89 USD | 2,500,000.00 USD |",
        "| 1,200 tickets | 1,050 tickets | 900 tickets |",
        "| 65.0 days | 58.3 days | 55.0 days |",
    ] {
        assert!(
            md.stdout.contains(expected),
            "`{expected}` not in:\n{}",
            md.stdout
        );
    }
    // Machine output keeps every digit.
    let history = json(&ws(w, &["okr", "history", "KR-2", "--format", "json"]));
    assert_eq!(history[0]["value"], 1234567.891);
}

/// The demo's arguments for a small company.
fn demo_args(out: &Path, seed: &str) -> Vec<String> {
    [
        "demo",
        "--out",
        &arg(out),
        "--accounts",
        "40",
        "--events",
        "4000",
        "--months",
        "8",
        "--end",
        "2026-10-31",
        "--seed",
        seed,
        "--quiet",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Every file of `dir` with its bytes, sorted by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_demo_never_overwrites_what_it_did_not_write() {
    // A workspace of someone's: refused, untouched.
    let dir = init();
    let w = dir.path();
    let before = files(w);
    let run = okapi(&demo_args(w, "7"));
    run.expect_code(2);
    assert!(
        run.stderr
            .contains("holds an okapi workspace that `okapi demo` did not create"),
        "{}",
        run.stderr
    );
    assert_eq!(files(w), before);
    // A directory with other files: refused, untouched.
    let other = TempDir::new().unwrap();
    std::fs::write(other.path().join("notes.txt"), "mine").unwrap();
    let run = okapi(&demo_args(other.path(), "7"));
    run.expect_code(2);
    assert!(run.stderr.contains("is not empty"), "{}", run.stderr);
    assert_eq!(
        files(other.path()),
        vec![("notes.txt".into(), b"mine".to_vec())]
    );
    // Nothing was left beside them.
    let parent = TempDir::new().unwrap();
    let out = parent.path().join("demo");
    okapi(&demo_args(&out, "7")).expect_code(0);
    // Its own earlier demo is replaced, and nothing else is left beside it.
    okapi(&demo_args(&out, "8")).expect_code(0);
    let names: Vec<String> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["demo".to_string()]);
    ws(&out, &["okr", "list"]).expect_code(0);
}

#[test]
fn a_killed_demo_leaves_the_previous_one_whole() {
    let parent = TempDir::new().unwrap();
    let out = parent.path().join("demo");
    okapi(&demo_args(&out, "7")).expect_code(0);
    let before = files(&out);
    // Killed while writing its OKRs, after every data file of the new
    // company (another seed) was written.
    let mut child = Command::new(env!("CARGO_BIN_EXE_okapi"))
        .args(demo_args(&out, "8"))
        .env("OKAPI_PAUSE_AFTER_WRITES", "3")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn okapi");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    loop {
        match lines.next() {
            Some(Ok(l)) => {
                seen.push_str(&l);
                seen.push('\n');
                if l.contains("paused after") {
                    break;
                }
            }
            _ => panic!("okapi ended before pausing:\n{seen}"),
        }
    }
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success());
    assert_eq!(files(&out), before, "the old demo changed");
    // The next run cleans up after the killed one.
    okapi(&demo_args(&out, "8")).expect_code(0);
    assert_ne!(files(&out), before);
    let names: Vec<String> = std::fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["demo".to_string()]);
}
