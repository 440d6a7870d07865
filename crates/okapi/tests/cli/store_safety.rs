//! The OKR store against hostile and careless input, as a user meets it:
//! import documents checked whole before anything is written (and never
//! half-imported, even when killed), keys that would overflow a counter,
//! alignment chains without end, read-only commands while another okapi
//! writes, a private database file, and passwords kept out of every
//! message.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::okrs::{init, json as parse_json, snapshot, ws};
use crate::{Run, arg, okapi};

/// A small workspace as `okapi export` writes it: a team, a user, an
/// active cycle, a company objective with a team objective under it, a
/// metric and a milestone key result, and two check-ins.
const DOCUMENT: &str = r#"{
  "format": "okapi-export",
  "format_version": 1,
  "exported_at": "2027-02-01T10:00:00Z",
  "workspace": {
    "id": "acme",
    "name": "Acme",
    "vision": "Numbers everyone trusts",
    "profile": "b2b",
    "created_at": "2027-01-01T00:00:00Z"
  },
  "settings": "profile = \"b2b\"\n\n[workspace]\nid = \"acme\"\nname = \"Acme\"\ndata = \".\"\n",
  "teams": [
    { "key": "sales", "name": "Sales", "mission": "Customers who fit" }
  ],
  "users": [
    { "key": "ana", "name": "Ana Lima", "email": null, "role": "Head of sales", "team": "sales" }
  ],
  "cycles": [
    { "key": "2027-Q1", "name": "Q1 2027", "start": "2027-01-01", "end": "2027-03-31", "state": "active", "version": 2 }
  ],
  "objectives": [
    {
      "key": "O-1", "cycle": "2027-Q1", "title": "Grow", "why": null, "level": "company",
      "team": null, "owner": "ana", "parent": null, "committed": false, "state": "draft",
      "final_score": null, "grade": null, "flagged": false, "version": 1
    },
    {
      "key": "O-2", "cycle": "2027-Q1", "title": "Sell", "why": null, "level": "team",
      "team": "sales", "owner": null, "parent": "O-1", "committed": false, "state": "draft",
      "final_score": null, "grade": null, "flagged": false, "version": 1
    }
  ],
  "key_results": [
    {
      "key": "KR-1", "objective": "O-1", "title": "Calls", "kind": "metric", "kpi": null,
      "segment": null, "grain": null, "baseline": 0.0, "target": 10.0, "above": null,
      "unit": "count", "due": null, "weight": 1.0, "kr_type": null, "funnel": null,
      "leading": null, "maturity": null, "why": null, "owner": null, "final_score": null,
      "grade": null, "reflection": null, "version": 1
    },
    {
      "key": "KR-2", "objective": "O-2", "title": "Pricing page live", "kind": "milestone",
      "kpi": null, "segment": null, "grain": null, "baseline": null, "target": null,
      "above": null, "unit": null, "due": null, "weight": 2.0, "kr_type": null,
      "funnel": null, "leading": null, "maturity": null, "why": null, "owner": "ana",
      "final_score": null, "grade": null, "reflection": null, "version": 1
    }
  ],
  "checkins": [
    {
      "seq": 1, "kr": "KR-1", "at": "2027-01-15T00:00:00Z", "value": 4.0,
      "confidence": "on_track", "note": "ok", "author": "ana", "source": "manual"
    },
    {
      "seq": 2, "kr": "KR-2", "at": "2027-01-20T00:00:00Z", "value": 1.0,
      "confidence": "on_track", "note": null, "author": null, "source": "manual"
    }
  ]
}
"#;

fn document() -> Value {
    serde_json::from_str(DOCUMENT).expect("the test document is JSON")
}

/// Writes `doc` as pretty JSON into `dir` and returns its path and text.
fn write_doc(dir: &Path, name: &str, doc: &Value) -> (String, String) {
    let text = serde_json::to_string_pretty(doc).unwrap() + "\n";
    let path = dir.join(name);
    std::fs::write(&path, &text).unwrap();
    (arg(&path), text)
}

/// The 1-based line of the first line of `text` containing `needle`.
fn line_with(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` is not in the document"))
        + 1
}

/// The files of a directory, by name.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_test_document_imports_and_exports_as_written() {
    let docs = TempDir::new().unwrap();
    let (path, _) = write_doc(docs.path(), "acme.json", &document());
    let target = TempDir::new().unwrap();
    let t = target.path();
    ws(t, &["import", &path]).expect_code(0);
    let mut exported = snapshot(t);
    let mut expected = document();
    expected.as_object_mut().unwrap().remove("exported_at");
    // The import wrote the document's settings as the workspace file.
    assert_eq!(
        std::fs::read_to_string(t.join("okapi.toml")).unwrap(),
        expected["settings"].as_str().unwrap()
    );
    exported.as_object_mut().unwrap().remove("exported_at");
    assert_eq!(exported, expected);
}

#[test]
fn an_invalid_document_is_refused_whole_and_nothing_is_written() {
    // Each case: a change to the document, and what the error says.
    type Change = fn(&mut Value);
    let cases: Vec<(&str, Change, &str)> = vec![
        (
            "a key with a space",
            |d| d["objectives"][1]["key"] = json!("O 2"),
            "objective key `O 2` must be 1–64 letters",
        ),
        (
            "a key twice",
            |d| d["key_results"][1]["key"] = json!("KR-1"),
            "key result `KR-1` appears twice",
        ),
        (
            "a reference to nothing",
            |d| d["objectives"][1]["parent"] = json!("O-404"),
            "parent: refers to objective `O-404`, which the document lacks",
        ),
        (
            "a weight of 0",
            |d| d["key_results"][0]["weight"] = json!(0),
            "weight: must be a number above 0 and at most 1000, not 0",
        ),
        (
            "a weight above the bound",
            |d| d["key_results"][0]["weight"] = json!(1000.5),
            "not 1000.5",
        ),
        (
            "a milestone checked in at one half",
            |d| d["checkins"][1]["value"] = json!(0.5),
            "`KR-2` is a milestone: 1 (done) or 0 (not done), not 0.5",
        ),
        (
            "a check-in number twice",
            |d| d["checkins"][1]["seq"] = json!(1),
            "check-in number 1 appears twice",
        ),
        (
            "a check-in number below 1",
            |d| d["checkins"][0]["seq"] = json!(0),
            "check-ins are numbered from 1 to 999999999999999, not 0",
        ),
        (
            "a final score above 1",
            |d| d["objectives"][0]["final_score"] = json!(1.5),
            "a score is between 0 and 1, not 1.5",
        ),
        (
            "a baseline equal to the target",
            |d| d["key_results"][0]["baseline"] = json!(10.0),
            "KR-1`) target:",
        ),
        (
            "a key whose number overflows",
            |d| d["key_results"][0]["key"] = json!("KR-99999999999999999999"),
            "the number after the last `-` is too large",
        ),
        (
            "a loop of parents",
            |d| d["objectives"][0]["parent"] = json!("O-2"),
            "is aligned in a loop",
        ),
        (
            "a parent in another cycle",
            |d| {
                d["cycles"].as_array_mut().unwrap().push(json!({
                    "key": "2027-Q2", "name": "Q2 2027", "start": "2027-04-01",
                    "end": "2027-06-30", "state": "planning", "version": 1
                }));
                d["objectives"][1]["cycle"] = json!("2027-Q2");
            },
            "a parent is in its child's cycle",
        ),
        (
            "settings that are not TOML",
            |d| d["settings"] = json!("profile = \"b2b\"\n[workspace\n"),
            "settings (the okapi.toml the document carries)",
        ),
        (
            "settings of another workspace",
            |d| d["settings"] = json!("[workspace]\nid = \"globex\"\n"),
            "its [workspace] id is `globex`, but the document holds workspace `acme`",
        ),
        (
            "settings with a bad value",
            |d| d["settings"] = json!("gross_margin = 7\n"),
            "gross_margin",
        ),
        (
            "settings with a custom SQL KPI that writes",
            |d| {
                d["settings"] = json!(
                    "[[kpi]]\nid = \"wipe\"\nname = \"Wipe\"\nunit = \"count\"\nsql = \"DROP TABLE deals\"\n"
                )
            },
            "kpi `wipe`: sql: only a SELECT or WITH query may define a KPI",
        ),
        (
            "settings with a custom SQL KPI that reads a file",
            |d| {
                d["settings"] = json!(
                    "[[kpi]]\nid = \"peek\"\nname = \"Peek\"\nunit = \"count\"\nsql = \"SELECT * FROM read_csv('/etc/passwd')\"\n"
                )
            },
            "kpi `peek`: sql:",
        ),
        (
            "a number too large for a double",
            |_| {},
            "not an okapi export",
        ),
    ];
    let docs = TempDir::new().unwrap();
    for (what, change, message) in cases {
        let mut doc = document();
        change(&mut doc);
        let (path, mut text) = write_doc(docs.path(), "bad.json", &doc);
        if what == "a number too large for a double" {
            text = text.replace("\"value\": 4.0", "\"value\": 1e999");
            std::fs::write(&path, &text).unwrap();
        }
        // Into an empty directory, and into a settings-only one.
        for settings_only in [false, true] {
            let target = TempDir::new().unwrap();
            let t = target.path();
            let before = "gross_margin = 0.7\n";
            if settings_only {
                std::fs::write(t.join("okapi.toml"), before).unwrap();
            }
            let run = ws(t, &["import", &path]);
            run.expect_code(2);
            assert!(
                run.stderr.contains(message),
                "{what}: expected `{message}` in:\n{}",
                run.stderr
            );
            assert!(
                run.stderr.contains(&path),
                "{what}: no file named:\n{}",
                run.stderr
            );
            let left = files_in(t);
            if settings_only {
                assert_eq!(left, ["okapi.toml"], "{what}");
                assert_eq!(
                    std::fs::read_to_string(t.join("okapi.toml")).unwrap(),
                    before
                );
            } else {
                assert!(left.is_empty(), "{what}: left {left:?}");
            }
        }
    }
}

#[test]
fn every_problem_is_reported_with_its_line_and_field() {
    let mut doc = document();
    doc["key_results"][1]["weight"] = json!(0);
    doc["checkins"][0]["kr"] = json!("KR-404");
    let docs = TempDir::new().unwrap();
    let (path, text) = write_doc(docs.path(), "bad.json", &doc);
    let run = ws(TempDir::new().unwrap().path(), &["import", &path]);
    run.expect_code(2);
    // Lines found by reading the text, not from okapi.
    let weight = line_with(&text, "\"weight\": 0,");
    let kr = line_with(&text, "\"kr\": \"KR-404\"");
    for expected in [
        format!(
            "{path}:{weight}: key_results[1] (`KR-2`) weight: must be a number above 0 and at most 1000, not 0"
        ),
        format!(
            "{path}:{kr}: checkins[0] (number 1) kr: refers to key result `KR-404`, which the document lacks"
        ),
    ] {
        assert!(
            run.stderr.contains(&expected),
            "expected\n{expected}\nin\n{}",
            run.stderr
        );
    }
    assert!(run.stderr.contains("nothing was written"), "{}", run.stderr);
}

/// Runs `okapi --workspace W args…` with the fault-injection pause after
/// `writes` row writes, waits until it says it paused (in the middle of
/// its transaction) and kills it with SIGKILL.
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
    child.kill().expect("kill okapi");
    assert!(!child.wait().unwrap().success());
}

#[test]
fn a_killed_or_failed_import_leaves_the_settings_file_and_the_database_as_they_were() {
    let docs = TempDir::new().unwrap();
    let (path, _) = write_doc(docs.path(), "acme.json", &document());
    let target = TempDir::new().unwrap();
    let t = target.path();
    let settings_only = "# our settings\ngross_margin = 0.7\n";
    std::fs::write(t.join("okapi.toml"), settings_only).unwrap();
    // Killed after four rows: the team, the user, the cycle and the first
    // objective.
    kill_mid_run(t, &["import", &path], 4);
    assert_eq!(
        std::fs::read_to_string(t.join("okapi.toml")).unwrap(),
        settings_only
    );
    // The database holds no workspace: another import of it goes through.
    let run = ws(t, &["import", &path]);
    run.expect_code(0);
    let toml = std::fs::read_to_string(t.join("okapi.toml")).unwrap();
    assert!(toml.starts_with(settings_only), "{toml}");
    assert!(toml.contains("id = \"acme\""), "{toml}");
    assert_eq!(
        parse_json(&ws(t, &["okr", "list", "--format", "json"]))["objectives"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );

    // The database refuses the import after the settings were checked (the
    // workspace exists): the settings-only file stays as it was, and no
    // temporary file is left.
    std::fs::write(t.join("okapi.toml"), settings_only).unwrap();
    let run = ws(t, &["import", &path]);
    run.expect_code(2);
    assert!(run.stderr.contains("already exists"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(t.join("okapi.toml")).unwrap(),
        settings_only
    );
    assert_eq!(files_in(t), ["okapi.db", "okapi.toml"]);
}

#[test]
fn keys_that_would_overflow_a_counter_are_refused_wherever_they_are_read() {
    let dir = init();
    let w = dir.path();
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    let before = snapshot(w);
    for args in [
        &[
            "okr",
            "add",
            "--cycle",
            "2027-Q1",
            "--key",
            "O-18446744073709551615",
            "--title",
            "Grow",
        ][..],
        &["okr", "set", "O-18446744073709551615", "--title", "Grow"][..],
        &["checkin", "KR-99999999999999999999", "--value", "1"][..],
        &[
            "okr",
            "kr",
            "--objective",
            "O-1",
            "--key",
            "KR-99999999999999999999",
            "--title",
            "Calls",
            "--baseline",
            "0",
            "--target",
            "1",
        ][..],
        &["okr", "history", "KR-99999999999999999999"][..],
    ] {
        let run = ws(w, args);
        run.expect_code(2);
        assert!(
            run.stderr
                .contains("the number after the last `-` is too large (at most 999999999999999)"),
            "{args:?}:\n{}",
            run.stderr
        );
    }
    // In an OKR file, with its line.
    let file = w.join("okrs.toml");
    std::fs::write(
        &file,
        "[[objective]]\nkey = \"O-1\"\ncycle = \"2027-Q1\"\ntitle = \"Grow\"\n\n[[objective]]\nkey = \"O-18446744073709551615\"\ncycle = \"2027-Q1\"\ntitle = \"Sell\"\n",
    )
    .unwrap();
    let run = ws(w, &["okr", "apply", &arg(&file)]);
    run.expect_code(2);
    assert!(
        run.stderr.contains(&format!("{}:7", file.display())) && run.stderr.contains("too large"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(w), before);

    // The highest key there may be: the next one is refused, not wrapped.
    ws(
        w,
        &[
            "okr",
            "add",
            "--cycle",
            "2027-Q1",
            "--key",
            "O-999999999999998",
            "--title",
            "Grow",
        ],
    )
    .expect_code(0);
    let o = parse_json(&ws(
        w,
        &[
            "okr", "add", "--cycle", "2027-Q1", "--title", "Sell", "--format", "json",
        ],
    ));
    assert_eq!(o["key"], "O-999999999999999");
    let before = snapshot(w);
    let run = ws(w, &["okr", "add", "--cycle", "2027-Q1", "--title", "More"]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("no key left after `O-999999999999999`"),
        "{}",
        run.stderr
    );
    assert_eq!(snapshot(w), before);
}

/// An OKR file with a chain of `n` objectives, each under the previous
/// one, listed deepest first.
fn chain_file(n: usize) -> String {
    let mut text = String::from("[[cycle]]\nkey = \"2027-Q1\"\n");
    for i in (1..=n).rev() {
        text.push_str(&format!(
            "\n[[objective]]\nkey = \"C-{i}\"\ncycle = \"2027-Q1\"\ntitle = \"Level {i}\"\n"
        ));
        if i > 1 {
            text.push_str(&format!("parent = \"C-{}\"\n", i - 1));
        }
    }
    text
}

#[test]
fn alignment_chains_are_bounded_and_loops_are_named() {
    let dir = init();
    let w = dir.path();
    let file = w.join("okrs.toml");
    let before = snapshot(w);

    // A loop: its line and its path.
    std::fs::write(
        &file,
        "[[cycle]]\nkey = \"2027-Q1\"\n\n[[objective]]\nkey = \"A\"\ncycle = \"2027-Q1\"\ntitle = \"A\"\nparent = \"B\"\n\n[[objective]]\nkey = \"B\"\ncycle = \"2027-Q1\"\ntitle = \"B\"\nparent = \"A\"\n",
    )
    .unwrap();
    let run = ws(w, &["okr", "apply", &arg(&file)]);
    run.expect_code(2);
    assert!(
        run.stderr.contains(&format!(
            "{}:5: objective `A` is aligned in a loop: A → B → A",
            file.display()
        )),
        "{}",
        run.stderr
    );

    // 33 levels are one too many; a chain of 100,000 is refused as fast,
    // with no deep recursion.
    for n in [33, 100_000] {
        std::fs::write(&file, chain_file(n)).unwrap();
        let started = Instant::now();
        let run = ws(w, &["okr", "apply", &arg(&file)]);
        run.expect_code(2);
        assert!(
            run.stderr.contains("more than 32 levels deep"),
            "{}",
            run.stderr
        );
        assert!(started.elapsed() < Duration::from_secs(60));
    }
    assert_eq!(snapshot(w), before);
    // 32 levels are fine, and the tree shows them.
    std::fs::write(&file, chain_file(32)).unwrap();
    ws(w, &["okr", "apply", &arg(&file)]).expect_code(0);
    let tree = ws(w, &["okr", "tree", "--cycle", "2027-Q1"]);
    tree.expect_code(0);
    assert!(tree.stdout.contains("C-32"), "{}", tree.stdout);
    // A 33rd level cannot be added through the command line either.
    let run = ws(
        w,
        &[
            "okr", "add", "--cycle", "2027-Q1", "--parent", "C-32", "--title", "Deeper",
        ],
    );
    run.expect_code(2);
    assert!(
        run.stderr.contains("more than 32 levels deep"),
        "{}",
        run.stderr
    );

    // In an import document, a chain of 5,000 is refused at once.
    let mut doc = document();
    let objectives: Vec<Value> = (1..=5000)
        .map(|i| {
            let mut o = doc["objectives"][0].clone();
            o["key"] = json!(format!("C-{i}"));
            o["parent"] = if i > 1 {
                json!(format!("C-{}", i - 1))
            } else {
                Value::Null
            };
            o
        })
        .collect();
    doc["objectives"] = Value::Array(objectives);
    doc["key_results"] = json!([]);
    doc["checkins"] = json!([]);
    let (path, _) = write_doc(dir.path(), "deep.json", &doc);
    let target = TempDir::new().unwrap();
    let run = ws(target.path(), &["import", &path]);
    run.expect_code(2);
    assert!(
        run.stderr.contains("more than 32 levels deep"),
        "{}",
        run.stderr
    );
    assert!(files_in(target.path()).is_empty());
}

/// A workspace with a cycle, an objective, a key result and a check-in.
fn busy_workspace() -> TempDir {
    let dir = init();
    let w = dir.path();
    ws(w, &["team", "add", "sales"]).expect_code(0);
    ws(w, &["cycle", "create", "2027-Q1"]).expect_code(0);
    ws(w, &["okr", "add", "--cycle", "2027-Q1", "--title", "Grow"]).expect_code(0);
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
        &["checkin", "KR-1", "--value", "4", "--at", "2027-02-01"],
    )
    .expect_code(0);
    dir
}

#[test]
fn read_only_commands_run_while_another_okapi_holds_the_write_lock() {
    let dir = busy_workspace();
    let w = dir.path();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = okapi_store::sqlite_url(&w.join("okapi.db"));
    sqlx::any::install_default_drivers();
    // Another connection takes SQLite's write lock and keeps it.
    let holder = rt.block_on(async {
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query("UPDATE workspaces SET version = version + 1")
            .execute(&mut c)
            .await
            .unwrap();
        c
    });
    // The lock is held: a writer that will not wait is refused.
    let refused = rt.block_on(async {
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::query("PRAGMA busy_timeout = 0")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE").execute(&mut c).await
    });
    assert!(refused.is_err(), "the write lock is not held");
    for args in [
        &["okr", "list"][..],
        &["okr", "tree"][..],
        &["okr", "stale", "--at", "2027-03-01"][..],
        &["okr", "history", "KR-1"][..],
        &["review"][..],
        &["calibrate"][..],
        &["report", "--at", "2027-02-15"][..],
        &["export"][..],
        &["cycle", "list"][..],
        &["team", "list"][..],
        &["user", "list"][..],
        &["vision"][..],
    ] {
        let started = Instant::now();
        let run = ws(w, args);
        run.expect_code(0);
        // Well under SQLite's 5-second wait for a lock.
        assert!(
            started.elapsed() < Duration::from_secs(4),
            "{args:?} waited for the write lock"
        );
    }
    drop(holder);
}

#[cfg(unix)]
#[test]
fn the_database_file_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let dir = init();
    let w = dir.path();
    assert_eq!(mode(&w.join("okapi.db")), 0o600);
    // Open, SQLite adds its -wal and -shm files, with the same mode.
    let rt = tokio::runtime::Runtime::new().unwrap();
    sqlx::any::install_default_drivers();
    let url = okapi_store::sqlite_url(&w.join("okapi.db"));
    rt.block_on(async {
        let mut c = <sqlx::AnyConnection as sqlx::Connection>::connect(&url)
            .await
            .unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut c)
            .await
            .unwrap();
        sqlx::query("UPDATE workspaces SET version = version + 1")
            .execute(&mut c)
            .await
            .unwrap();
        for side in ["okapi.db-wal", "okapi.db-shm"] {
            assert_eq!(mode(&w.join(side)), 0o600, "{side}");
        }
        sqlx::query("COMMIT").execute(&mut c).await.unwrap();
    });
    // An import creates its database the same way.
    let docs = TempDir::new().unwrap();
    let (path, _) = write_doc(docs.path(), "acme.json", &document());
    let target = TempDir::new().unwrap();
    ws(target.path(), &["import", &path]).expect_code(0);
    assert_eq!(mode(&target.path().join("okapi.db")), 0o600);
}

/// Fails unless neither stream holds any of `secrets`.
#[track_caller]
fn assert_secret(run: &Run, url: &str, secrets: &[&str]) {
    run.expect_code(2);
    for s in secrets {
        assert!(
            !run.stderr.contains(s) && !run.stdout.contains(s),
            "`{s}` of {url} reached the output:\n--- stdout\n{}\n--- stderr\n{}",
            run.stdout,
            run.stderr
        );
    }
}

#[test]
fn a_refused_database_connection_is_reported_as_refused() {
    // Nothing listens on port 1: the driver's own reason is the message,
    // not the pool's "timed out" after retrying.
    let dir = TempDir::new().unwrap();
    let run = okapi(&[
        "--database-url",
        "postgres://okapi_nobody@127.0.0.1:1/test",
        "init",
        &arg(dir.path()),
    ]);
    run.expect_code(2);
    assert!(
        run.stderr.to_lowercase().contains("connection refused"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("timed out"), "{}", run.stderr);
    assert!(!dir.path().join("okapi.toml").exists());
}

#[test]
fn a_database_password_never_appears_whatever_form_the_url_takes() {
    // Port 1 refuses connections; 5432 is PostgreSQL when it runs (with no
    // such role). Each form, each secret as written and decoded.
    let cases: [(&str, &[&str], &str); 8] = [
        (
            "postgres://okapi_nobody:s3cr3t-pw@127.0.0.1:5432/test",
            &["s3cr3t-pw"],
            "postgres://okapi_nobody:***@127.0.0.1:5432/test",
        ),
        (
            "postgresql://okapi_nobody:s3cr3t-pw@127.0.0.1:1/test",
            &["s3cr3t-pw"],
            "postgresql://okapi_nobody:***@127.0.0.1:1/test",
        ),
        (
            "postgres://okapi_nobody:p%40ss-s3cr3t@127.0.0.1:1/test",
            &["p%40ss-s3cr3t", "p@ss-s3cr3t", "ss-s3cr3t"],
            "postgres://okapi_nobody:***@127.0.0.1:1/test",
        ),
        (
            "postgres://127.0.0.1:1/test?user=okapi_nobody&password=s3cr3t-pw",
            &["s3cr3t-pw"],
            "password=***",
        ),
        (
            "host=127.0.0.1 port=1 user=okapi_nobody password=s3cr3t-pw dbname=test",
            &["s3cr3t-pw"],
            "password=***",
        ),
        (
            "postgres://okapi_nobody:s3cr3t-pw@127.0.0.1:notaport/test",
            &["s3cr3t-pw"],
            "okapi_nobody:***@",
        ),
        (
            "postgres://okapi_nobody:s3c?r3t-pw@127.0.0.1:1/test",
            &["s3c?r3t-pw", "r3t-pw"],
            "okapi_nobody:***@",
        ),
        (
            "postgres://okapi_nobody:123/s3cr3t@127.0.0.1:1/test",
            &["123/s3cr3t", "s3cr3t"],
            "okapi_nobody:***@",
        ),
    ];
    for (url, secrets, shown) in cases {
        // Creating a workspace.
        let dir = TempDir::new().unwrap();
        let run = okapi(&["--database-url", url, "init", &arg(dir.path())]);
        assert_secret(&run, url, secrets);
        assert!(
            run.stderr.contains(shown),
            "{url}: expected `{shown}` in:\n{}",
            run.stderr
        );
        assert!(!dir.path().join("okapi.toml").exists(), "{url}");
        // A command on an existing workspace, the URL from the environment.
        std::fs::write(
            dir.path().join("okapi.toml"),
            "[workspace]\nid = \"acme\"\n",
        )
        .unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_okapi"))
            .args(["--workspace", &arg(dir.path()), "okr", "list"])
            .env("OKAPI_DATABASE_URL", url)
            .env_remove("OKAPI_LOG")
            .output()
            .unwrap();
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert_secret(&run, url, secrets);
        assert!(
            run.stderr.contains(shown),
            "{url}: expected `{shown}` in:\n{}",
            run.stderr
        );
    }
}
