//! Bad input (docs: data-model.md, "Bad input"): every broken row or file
//! is refused by both `okapi check` and `okapi kpi`, with the file, the
//! line (as an editor counts them), the column and the reason; exit status
//! 1 for invalid rows, 2 for any other error; never a panic.

use std::path::Path;

use tempfile::TempDir;

use crate::{arg, data_dir, okapi};

const SUBS_HEADER: &str = "subscription_id,account_id,plan,mrr,start_date,end_date\n";

/// A valid subscriptions file, for cases about other tables.
const SUBS: &str = "subscription_id,account_id,plan,mrr,start_date,end_date\n\
                    s1,a1,pro,49.00,2024-01-01,\n\
                    s2,a2,basic,19.00,2024-01-15,2024-03-01\n";

fn subs(rows: &str) -> String {
    format!("{SUBS_HEADER}{rows}")
}

/// Runs `okapi check` and `okapi kpi --format csv` on `dir`: both must exit
/// with `code`, without a panic, and one line of stderr must contain every
/// one of `needles`; `kpi` must print no KPI.
#[track_caller]
fn assert_refused(dir: &Path, code: i32, needles: &[&str]) {
    let d = arg(dir);
    for args in [
        vec!["check", "--data", &d],
        vec!["kpi", "--data", &d, "--format", "csv"],
    ] {
        let run = okapi(&args);
        run.expect_code(code);
        assert!(
            run.stderr
                .lines()
                .any(|l| needles.iter().all(|n| l.contains(n))),
            "`okapi {}`: no line of stderr contains all of {needles:?}:\n{}",
            args[0],
            run.stderr
        );
        if args[0] == "kpi" {
            assert_eq!(run.stdout, "", "kpi computed something on bad input");
        }
    }
}

#[test]
fn wrong_number_of_fields() {
    let dir = data_dir(&[(
        "subscriptions.csv",
        &subs(
            "s1,a1,pro,10,2024-01-01,\n\
             s2,a2,pro,10,2024-01-01\n\
             s3,a3,pro,10,2024-01-01,,extra\n",
        ),
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 3",
            "wrong number of fields",
            "expected 6",
            "found 5",
            "no value for end_date",
        ],
    );
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 4",
            "wrong number of fields",
            "found 7",
        ],
    );
}

#[test]
fn a_quoted_field_spanning_lines_moves_later_lines_down() {
    // Line 2 holds a plan name over two lines (2 and 3): the bad row is
    // the fourth line of the file.
    let dir = data_dir(&[(
        "subscriptions.csv",
        &subs(
            "s1,a1,\"pro\nannual\",10,2024-01-01,\n\
             s2,a2,pro,ten,2024-01-01,\n",
        ),
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 4",
            "column mrr",
            "not a decimal number",
            "`ten`",
        ],
    );
}

#[test]
fn unterminated_quote() {
    // The quote opened in `plan` on line 4 is never closed: the csv crate
    // reads the rest of the file into that field; it must be refused, not
    // loaded as a plan name.
    let dir = data_dir(&[(
        "subscriptions.csv",
        &subs(
            "s1,a1,\"pro\nannual\",10,2024-01-01,\n\
             s2,a2,\"pro,10,2024-01-01,\n\
             s3,a3,pro,10,2024-01-01,\n",
        ),
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 4",
            "column plan",
            "unterminated quoted field",
        ],
    );
    // Even when the field count happens to match (the last column).
    let dir = data_dir(&[(
        "subscriptions.csv",
        &subs("s1,a1,pro,10,2024-01-01,\ns2,a2,pro,10,2024-01-01,\"2024-02-01\n"),
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 3",
            "column end_date",
            "unterminated quoted field",
        ],
    );
}

#[test]
fn missing_required_column() {
    let dir = data_dir(&[(
        "subscriptions.csv",
        "subscription_id,account_id,plan,start_date,end_date\ns1,a1,pro,2024-01-01,\n",
    )]);
    assert_refused(
        dir.path(),
        2,
        &[
            "subscriptions.csv",
            "line 1",
            "missing required column `mrr`",
        ],
    );
}

#[test]
fn unparseable_date() {
    let dir = data_dir(&[(
        "subscriptions.csv",
        &subs("s1,a1,pro,10,2024-01-01,\ns2,a2,pro,10,2024-13-01,\n"),
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 3",
            "column start_date",
            "not a date YYYY-MM-DD",
            "`2024-13-01`",
        ],
    );
}

#[test]
fn unparseable_timestamp() {
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "accounts.csv",
            "account_id,name,created_at,segment\n\
             a1,Acme,2024-01-01T10:00:00Z,smb\n\
             a2,Beta,2024-02-30T10:00:00Z,smb\n",
        ),
    ]);
    assert_refused(
        dir.path(),
        1,
        &[
            "accounts.csv: line 3",
            "column created_at",
            "not an ISO-8601 timestamp",
            "`2024-02-30T10:00:00Z`",
        ],
    );
}

#[test]
fn unparseable_event_timestamp() {
    // The events table is streamed, not loaded with the others.
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "events.csv",
            "ts,user_id,account_id,event\n\
             2024-01-02T08:00:00Z,u1,a1,login\n\
             yesterday,u1,a1,login\n",
        ),
    ]);
    assert_refused(
        dir.path(),
        1,
        &[
            "events.csv: line 3",
            "column ts",
            "not an ISO-8601 timestamp",
            "`yesterday`",
        ],
    );
}

#[test]
fn negative_money() {
    let dir = data_dir(&[(
        "subscriptions.csv",
        &subs("s1,a1,pro,10,2024-01-01,\ns2,a2,pro,-5.00,2024-01-01,\n"),
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 3",
            "column mrr",
            "negative money",
            "`-5.00`",
        ],
    );
}

#[test]
fn negative_money_in_json_lines() {
    // Blank lines count: the bad object is on line 4.
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "deals.jsonl",
            "{\"deal_id\":\"d1\",\"kind\":\"new\",\"created_at\":\"2024-01-01T00:00:00Z\",\"status\":\"open\",\"amount\":100}\n\
             \n\
             \n\
             {\"deal_id\":\"d2\",\"kind\":\"new\",\"created_at\":\"2024-01-01T00:00:00Z\",\"status\":\"open\",\"amount\":-1.5}\n",
        ),
    ]);
    assert_refused(
        dir.path(),
        1,
        &[
            "deals.jsonl: line 4",
            "column amount",
            "negative money",
            "`-1.5`",
        ],
    );
}

#[test]
fn end_date_before_start_date() {
    let dir = data_dir(&[(
        "subscriptions.csv",
        &subs("s1,a1,pro,10,2024-03-01,2024-02-01\n"),
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 2",
            "column end_date",
            "end_date before start_date",
            "`2024-02-01`",
        ],
    );
}

#[test]
fn unknown_deal_status_and_kind() {
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "deals.csv",
            "deal_id,account_id,kind,created_at,closed_at,status,amount\n\
             d1,a1,new,2024-01-01T00:00:00Z,,open,100\n\
             d2,a1,new,2024-01-01T00:00:00Z,2024-02-01T00:00:00Z,Won,100\n\
             d3,a1,upsell,2024-01-01T00:00:00Z,,open,100\n",
        ),
    ]);
    // Strings match exactly, case-sensitive: `Won` is not `won`.
    assert_refused(
        dir.path(),
        1,
        &[
            "deals.csv: line 3",
            "column status",
            "unknown status",
            "`Won`",
        ],
    );
    assert_refused(
        dir.path(),
        1,
        &[
            "deals.csv: line 4",
            "column kind",
            "unknown kind",
            "`upsell`",
        ],
    );
}

#[test]
fn unknown_spend_category() {
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "spend.csv",
            "month,category,channel,amount\n2024-01,sales,,1000\n2024-01,ads,paid,500\n",
        ),
    ]);
    assert_refused(
        dir.path(),
        1,
        &[
            "spend.csv: line 3",
            "column category",
            "unknown category",
            "`ads`",
        ],
    );
}

#[test]
fn duplicate_subscription_id() {
    let dir = data_dir(&[(
        "subscriptions.csv",
        &subs(
            "s1,a1,pro,10,2024-01-01,\n\
             s2,a2,pro,10,2024-01-01,\n\
             s1,a3,pro,10,2024-02-01,\n",
        ),
    )]);
    assert_refused(
        dir.path(),
        1,
        &[
            "subscriptions.csv: line 4",
            "column subscription_id",
            "duplicate subscription_id",
            "first seen at line 2",
            "`s1`",
        ],
    );
}

#[test]
fn empty_file() {
    let dir = data_dir(&[("subscriptions.csv", "")]);
    assert_refused(dir.path(), 2, &["subscriptions.csv", "file is empty"]);
}

#[test]
fn header_only_file_has_zero_rows() {
    let dir = data_dir(&[("subscriptions.csv", SUBS_HEADER)]);
    let run = okapi(&["check", "--data", &arg(dir.path())]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("subscriptions (subscriptions.csv)")
            && run.stdout.contains("rows: 0 valid, 0 invalid"),
        "{}",
        run.stdout
    );
    let run = okapi(&["kpi", "--data", &arg(dir.path()), "--format", "csv"]);
    run.expect_code(0);
    assert_eq!(
        run.stdout.lines().next(),
        Some("kpi,period_start,value,unit,note")
    );
}

#[test]
fn no_subscriptions_file() {
    let dir = data_dir(&[(
        "accounts.csv",
        "account_id,name,created_at,segment\na1,Acme,2024-01-01,smb\n",
    )]);
    assert_refused(
        dir.path(),
        2,
        &["no subscriptions table in", "subscriptions.csv"],
    );
}

#[test]
fn data_directory_that_does_not_exist() {
    let parent = TempDir::new().unwrap();
    let missing = parent.path().join("no-such-dir");
    assert_refused(&missing, 2, &[&arg(&missing), "does not exist"]);
}

#[test]
fn two_files_for_one_table() {
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "subscriptions.jsonl",
            "{\"subscription_id\":\"s1\",\"account_id\":\"a1\",\"mrr\":10,\"start_date\":\"2024-01-01\"}\n",
        ),
    ]);
    assert_refused(
        dir.path(),
        2,
        &["subscriptions", "subscriptions.csv", "subscriptions.jsonl"],
    );
}

#[test]
fn json_line_that_is_not_json() {
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "leads.jsonl",
            "{\"lead_id\":\"l1\",\"created_at\":\"2024-01-01T00:00:00Z\"}\n\
             {\"lead_id\": \"l2\", created_at: 2024-01-01}\n\
             [1, 2]\n",
        ),
    ]);
    assert_refused(dir.path(), 1, &["leads.jsonl: line 2", "malformed JSON"]);
    assert_refused(dir.path(), 1, &["leads.jsonl: line 3", "not a JSON object"]);
}

#[test]
fn lead_stage_before_created_at() {
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "leads.csv",
            "lead_id,created_at,source,signup_at,mql_at,pql_at,customer_at,lost_at,account_id\n\
             l1,2024-01-10T00:00:00Z,organic,2024-01-11T00:00:00Z,,,,,\n\
             l2,2024-01-10T12:00:00Z,paid,2024-01-11T00:00:00Z,2024-01-10T11:59:59Z,,,,\n",
        ),
    ]);
    assert_refused(
        dir.path(),
        1,
        &[
            "leads.csv: line 3",
            "column mql_at",
            "mql_at before created_at",
            "`2024-01-10T11:59:59Z`",
        ],
    );
}

#[test]
fn nps_score_out_of_range() {
    let dir = data_dir(&[
        ("subscriptions.csv", SUBS),
        (
            "surveys.csv",
            "responded_at,kind,score,account_id,user_id,comment\n\
             2024-01-05T00:00:00Z,nps,10,a1,u1,\"great, really\"\n\
             2024-01-06T00:00:00Z,nps,11,a1,u2,\n",
        ),
    ]);
    assert_refused(
        dir.path(),
        1,
        &[
            "surveys.csv: line 3",
            "column score",
            "nps score out of range 0–10",
            "`11`",
        ],
    );
}

#[test]
fn every_invalid_row_is_reported_in_file_order() {
    let dir = data_dir(&[(
        "subscriptions.csv",
        &subs(
            "s1,a1,pro,-1,2024-01-01,\n\
             s2,a2,pro,10,2024-01-01\n\
             s3,a3,pro,10,someday,\n",
        ),
    )]);
    let run = okapi(&["check", "--data", &arg(dir.path())]);
    run.expect_code(1);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("subscriptions.csv: line "))
        .collect();
    assert_eq!(lines.len(), 3, "{}", run.stderr);
    assert!(lines[0].starts_with("subscriptions.csv: line 2, column mrr"));
    assert!(lines[1].starts_with("subscriptions.csv: line 3: wrong number of fields"));
    assert!(lines[2].starts_with("subscriptions.csv: line 4, column start_date"));
    assert!(run.stderr.contains("3 invalid row(s)"), "{}", run.stderr);
}

#[test]
fn quarantine_writes_rejected_rows_and_loads_the_valid_ones() {
    let dir = data_dir(&[
        (
            "subscriptions.csv",
            &subs(
                "s1,a1,pro,10,2024-01-01,\n\
                 s2,a2,pro,-5,2024-01-01,\n\
                 s3,a3,basic,20,2024-01-15,2024-03-01\n\
                 s4,a4,pro,abc,2024-13-01,\n\
                 s5,a5,pro,30.25,2024-02-01,\n",
            ),
        ),
        (
            "leads.jsonl",
            "{\"lead_id\":\"l1\",\"created_at\":\"2024-01-01T00:00:00Z\"}\n{oops\n",
        ),
    ]);
    let qdir = TempDir::new().unwrap();
    let qfile = qdir.path().join("rejected.csv");
    let run = okapi(&[
        "check",
        "--data",
        &arg(dir.path()),
        "--quarantine",
        &arg(&qfile),
    ]);
    run.expect_code(1);
    // The valid rows load: the report counts them.
    assert!(
        run.stdout
            .contains("subscriptions (subscriptions.csv)\n  rows: 3 valid, 2 invalid"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("leads (leads.jsonl)\n  rows: 1 valid, 1 invalid"),
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("3 invalid row(s) written with their reasons to"),
        "{}",
        run.stderr
    );

    // Nothing but the quarantine file is written next to it, nor in the data directory.
    let names = |p: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(p)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(qdir.path()), ["rejected.csv"]);
    assert_eq!(names(dir.path()), ["leads.jsonl", "subscriptions.csv"]);

    let mut rdr = csv::Reader::from_path(&qfile).unwrap();
    assert_eq!(
        rdr.headers().unwrap().iter().collect::<Vec<_>>(),
        ["file", "location", "column", "value", "reason", "row"]
    );
    let rows: Vec<csv::StringRecord> = rdr.records().map(|r| r.unwrap()).collect();
    // One line per issue: the row on line 5 has two.
    let cells: Vec<Vec<&str>> = rows
        .iter()
        .take(3)
        .map(|r| r.iter().take(5).collect())
        .collect();
    assert_eq!(
        cells,
        [
            vec!["subscriptions.csv", "line 3", "mrr", "-5", "negative money"],
            vec![
                "subscriptions.csv",
                "line 5",
                "mrr",
                "abc",
                "not a decimal number"
            ],
            vec![
                "subscriptions.csv",
                "line 5",
                "start_date",
                "2024-13-01",
                "not a date YYYY-MM-DD"
            ],
        ][..],
        "{rows:?}"
    );
    let leads: Vec<&csv::StringRecord> = rows.iter().skip(3).collect();
    assert_eq!(leads.len(), 1, "{rows:?}");
    assert_eq!(&leads[0][0], "leads.jsonl");
    assert_eq!(&leads[0][1], "line 2");
    assert!(leads[0][4].contains("malformed JSON"), "{:?}", leads[0]);

    // `row` holds the raw row as a JSON object.
    let row: serde_json::Value = serde_json::from_str(&rows[0][5]).unwrap();
    assert_eq!(row["subscription_id"], "s2");
    assert_eq!(row["account_id"], "a2");
    assert_eq!(row["mrr"], "-5");
    assert_eq!(row["start_date"], "2024-01-01");
    assert_eq!(row["end_date"], serde_json::Value::Null);
    let row: serde_json::Value = serde_json::from_str(&rows[1][5]).unwrap();
    assert_eq!(row["subscription_id"], "s4");
}

#[test]
fn quarantine_with_valid_data_writes_only_the_header() {
    let dir = data_dir(&[("subscriptions.csv", SUBS)]);
    let qdir = TempDir::new().unwrap();
    let qfile = qdir.path().join("rejected.csv");
    let run = okapi(&[
        "check",
        "--data",
        &arg(dir.path()),
        "--quarantine",
        &arg(&qfile),
    ]);
    run.expect_code(0);
    assert!(
        run.stdout.contains("rows: 2 valid, 0 invalid"),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(&qfile).unwrap(),
        "file,location,column,value,reason,row\n"
    );
}
