//! OKRs as code (`okapi okr apply`): idempotent, refused whole on any error
//! with the file and line, and atomic even when the process is killed in
//! the middle of writing — as is `okapi import`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::arg;
use crate::okrs::{init, json, snapshot, ws};

const OKRS: &str = r#"
vision = "Every SaaS team runs on numbers it trusts"

[[team]]
key = "marketing"
name = "Marketing"
mission = "Make us the first name buyers think of"

[[user]]
key = "ana"
name = "Ana Lima"
team = "marketing"

[[cycle]]
key = "2027-Q1"
state = "active"

[[objective]]
key = "C-1"
cycle = "2027-Q1"
title = "Customers reach value in weeks, not months"
committed = true
state = "active"

[[objective.kr]]
key = "KR-1"
title = "Cut time to value from 65 to 55 days"
baseline = 65
target = 55
unit = "days"
why = "Customers who see value early stay"

[[objective]]
key = "M-1"
cycle = "2027-Q1"
parent = "C-1"
team = "marketing"
owner = "ana"
title = "Build a sustainable organic search channel"

[[objective.kr]]
key = "KR-2"
title = "Publish 12 in-depth articles"
baseline = 0
target = 12
unit = "articles"
why = "Content is what search rewards"

[[objective.kr]]
key = "KR-3"
title = "Keep NPS at or above 40"
kind = "threshold"
target = 40
why = "Growth must not cost satisfaction"
"#;

fn counts(run: &crate::Run) -> (usize, usize, usize) {
    let v = json(run);
    let n = |a: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .filter(|c| c["action"] == a)
            .count()
    };
    (n("created"), n("updated"), n("unchanged"))
}

#[test]
fn applying_a_file_twice_changes_nothing() {
    let dir = init();
    let w = dir.path();
    let file = w.join("okrs.toml");
    std::fs::write(&file, OKRS).unwrap();
    let first = ws(w, &["okr", "apply", &arg(&file), "--format", "json"]);
    first.expect_code(0);
    // vision, 1 team, 1 user, 1 cycle, 2 objectives, 3 KRs.
    assert_eq!(counts(&first), (8, 1, 0));
    let after_first = snapshot(w);
    let second = ws(w, &["okr", "apply", &arg(&file), "--format", "json"]);
    second.expect_code(0);
    assert_eq!(counts(&second), (0, 0, 8));
    assert_eq!(snapshot(w), after_first);
    // What the file said is what is stored.
    let tree = ws(w, &["okr", "tree"]);
    assert!(
        tree.stdout
            .contains("└── M-1 [team: marketing · ana] Build a sustainable organic search channel"),
        "{}",
        tree.stdout
    );
    let v = &after_first;
    assert_eq!(
        v["workspace"]["vision"],
        "Every SaaS team runs on numbers it trusts"
    );
    let c1 = v["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["key"] == "C-1")
        .unwrap();
    assert_eq!(c1["state"], "active");
    assert_eq!(c1["level"], "company");
    // An edit to one KR updates that KR only.
    std::fs::write(&file, OKRS.replace("target = 12", "target = 10")).unwrap();
    let third = ws(w, &["okr", "apply", &arg(&file), "--format", "json"]);
    assert_eq!(counts(&third), (0, 1, 7));
    let kr2 = json(&ws(w, &["okr", "list", "--format", "json"]))["objectives"][1]["krs"][0].clone();
    assert_eq!(kr2["key"], "KR-2");
    assert_eq!(kr2["target"], 10.0);
}

#[test]
fn a_file_with_errors_is_refused_whole_with_its_line() {
    let dir = init();
    let w = dir.path();
    let file = w.join("okrs.toml");
    let cases = [
        // Line 42 holds KR-2's key; its target equals its baseline.
        (
            OKRS.replace("target = 12", "target = 0"),
            "okrs.toml:42: key result `KR-2`",
        ),
        (
            OKRS.replace("why = \"Content", "kpi = \"articles\"\nwhy = \"Content"),
            "unknown KPI `articles`",
        ),
        (
            OKRS.replace("parent = \"C-1\"", "parent = \"C-9\""),
            "there is no objective C-9",
        ),
        (
            OKRS.replace("title = \"Keep NPS", "colour = \"red\"\ntitle = \"Keep NPS"),
            "unknown field `colour`",
        ),
        (
            OKRS.replace(
                "key = \"2027-Q1\"\nstate",
                "key = \"2027-Q1\"\nstart = 2027-03-01\nend = 2027-01-01\nstate",
            ),
            "cannot end (2027-01-01) before it starts",
        ),
        (
            format!(
                "{OKRS}\n[[objective]]\nkey = \"C-1\"\ncycle = \"2027-Q1\"\ntitle = \"again\"\n"
            ),
            "objective `C-1` appears twice",
        ), // Words of the method are read once, with the words accepted.
        (
            OKRS.replace("why = \"Content", "grain = \"hour\"\nwhy = \"Content"),
            "unknown grain `hour` (expected day, week, month, quarter or year)",
        ),
        (
            OKRS.replace("why = \"Content", "kind = \"milestne\"\nwhy = \"Content"),
            "unknown key result kind `milestne`",
        ),
        (
            OKRS.replace("why = \"Content", "segment = \"plan\"\nwhy = \"Content"),
            "segment `plan` is not COLUMN=VALUE",
        ),
    ];
    let before = snapshot(w);
    for (text, message) in cases {
        std::fs::write(&file, &text).unwrap();
        let run = ws(w, &["okr", "apply", &arg(&file)]);
        run.expect_code(2);
        assert!(
            run.stderr.contains(message),
            "expected `{message}` in:\n{}",
            run.stderr
        );
        assert_eq!(
            snapshot(w),
            before,
            "a refused file changed the workspace: {message}"
        );
    }
}

/// Runs `okapi` with the fault-injection pause after `writes` row writes,
/// waits until it says it paused (in the middle of its transaction) and
/// kills it with SIGKILL.
fn kill_mid_run(w: &Path, args: &[&str], writes: u32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_okapi"))
        .arg("--workspace")
        .arg(w)
        .args(args)
        .env("OKAPI_PAUSE_AFTER_WRITES", writes.to_string())
        .env_remove("OKAPI_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn okapi");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
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
    child.kill().expect("kill okapi");
    let status = child.wait().unwrap();
    assert!(!status.success());
}

#[test]
fn a_crash_in_the_middle_of_apply_leaves_the_database_as_it_was() {
    let dir = init();
    let w = dir.path();
    let file = w.join("okrs.toml");
    std::fs::write(&file, OKRS).unwrap();
    let before = snapshot(w);
    // Killed after the vision, the team, the user and the cycle were
    // written, before any objective.
    kill_mid_run(w, &["okr", "apply", &arg(&file)], 4);
    assert_eq!(snapshot(w), before);
    // The database is healthy: the same file applies in full.
    let run = ws(w, &["okr", "apply", &arg(&file), "--format", "json"]);
    run.expect_code(0);
    assert_eq!(counts(&run), (8, 1, 0));
}

#[test]
fn a_crash_in_the_middle_of_import_leaves_the_database_as_it_was() {
    let dir = init();
    let w = dir.path();
    let file = w.join("okrs.toml");
    std::fs::write(&file, OKRS).unwrap();
    ws(w, &["okr", "apply", &arg(&file)]).expect_code(0);
    ws(
        w,
        &["checkin", "KR-1", "--value", "60", "--at", "2027-02-01"],
    )
    .expect_code(0);
    let export = w.join("export.json");
    ws(w, &["export", "--out", &arg(&export)]).expect_code(0);

    let target = TempDir::new().unwrap();
    let t = target.path();
    kill_mid_run(t, &["import", &arg(&export)], 5);
    // Nothing of the workspace was kept, and no settings file was written.
    assert!(!t.join("okapi.toml").exists());
    let run = ws(t, &["import", &arg(&export)]);
    run.expect_code(0);
    assert_eq!(snapshot(t), snapshot(w));
}
