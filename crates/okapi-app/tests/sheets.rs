//! A cycle through a spreadsheet: exported as xlsx and as CSV, imported
//! into a fresh workspace and into the same one, twice; and a bad cell
//! refused with its place, nothing written.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use std::path::Path;

use calamine::{Data, Reader};
use chrono::{NaiveDate, TimeZone, Utc};
use okapi_app::checkins::{self, CheckInRequest};
use okapi_app::okr_file;
use okapi_app::sheets::{self, Cell, SheetFormat};
use okapi_app::workspace::{self, InitRequest, Workspace};
use okapi_app::{Code, Location};
use okapi_core::okr::Confidence;
use okapi_core::settings::Profile;
use okapi_store::{CheckIn, Cycle, KeyResult, Objective};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn loc(dir: &Path) -> Location {
    Location {
        dir: dir.to_path_buf(),
        config: None,
        database_url: None,
    }
}

const PEOPLE: &str = r#"
[[team]]
key = "growth"
name = "Growth"

[[user]]
key = "ana"
name = "Ana Lima"
team = "growth"

[[user]]
key = "bob"
name = "Bob Stone"
"#;

const OKRS: &str = r#"
[[cycle]]
key = "2027-Q1"
state = "active"

[[objective]]
key = "O-1"
cycle = "2027-Q1"
title = "Win the mid-market"
why = "Bigger deals, fewer logos to serve"
team = "growth"
owner = "ana"
committed = true
state = "active"

[[objective.kr]]
key = "KR-1"
title = "Grow paying customers from 100 to 150"
baseline = 100
target = 150
unit = "customers"
owner = "bob"
weight = 2
type = "outcome"
why = "Logos are the proof"

[[objective.kr]]
key = "KR-2"
title = "Ship the SSO integration"
kind = "milestone"
due = "2027-02-15"

[[objective.kr]]
key = "KR-3"
title = "Keep monthly churn below 5%"
kind = "threshold"
target = 5
below = true
unit = "%"
leading = false

[[objective]]
key = "O-2"
cycle = "2027-Q1"
title = "Bob's pipeline, all of it qualified"
owner = "bob"
parent = "O-1"
"#;

async fn new_workspace(dir: &Path) -> Workspace {
    workspace::init(InitRequest {
        dir: dir.to_path_buf(),
        database_url: None,
        profile: Profile::B2b,
        name: Some("Acme".into()),
        id: None,
    })
    .await
    .unwrap();
    okr_file::apply_file(&loc(dir), Path::new("people.toml"), PEOPLE, false)
        .await
        .unwrap();
    Workspace::open(&loc(dir)).await.unwrap()
}

async fn check_in(ws: &Workspace, kr: &str, day: &str, value: f64, note: &str, c: Confidence) {
    checkins::check_in(
        ws,
        CheckInRequest {
            kr: kr.into(),
            value: Some(value),
            confidence: Some(c),
            note: (!note.is_empty()).then(|| note.to_string()),
            author: Some("bob".into()),
            at: Some(d(day)),
        },
        Utc.with_ymd_and_hms(2027, 2, 15, 9, 0, 0).unwrap(),
    )
    .await
    .unwrap();
}

/// The workspace of the tests: the people, the OKRs above and five
/// check-ins (two equal in day and value, with different notes).
async fn set_up(dir: &Path) -> Workspace {
    let ws = new_workspace(dir).await;
    okr_file::apply_file(&loc(dir), Path::new("okrs.toml"), OKRS, false)
        .await
        .unwrap();
    check_in(
        &ws,
        "KR-1",
        "2027-01-10",
        110.0,
        "first deals",
        Confidence::OnTrack,
    )
    .await;
    check_in(&ws, "KR-3", "2027-01-31", 4.2, "", Confidence::AtRisk).await;
    check_in(
        &ws,
        "KR-1",
        "2027-02-01",
        120.0,
        "a comma, and \"quotes\"",
        Confidence::OnTrack,
    )
    .await;
    check_in(
        &ws,
        "KR-1",
        "2027-02-01",
        120.0,
        "same day, same value",
        Confidence::AtRisk,
    )
    .await;
    check_in(&ws, "KR-2", "2027-02-10", 1.0, "live", Confidence::OnTrack).await;
    ws
}

/// What a workspace holds for the cycle, without its versions and
/// check-in numbers.
async fn contents(ws: &Workspace) -> (Cycle, Vec<Objective>, Vec<KeyResult>, Vec<CheckIn>) {
    let mut s = ws.read_session().await.unwrap();
    let mut c = s.cycle("2027-Q1").await.unwrap();
    let mut o = s.objectives(Some("2027-Q1")).await.unwrap();
    let mut k = s.key_results(Some("2027-Q1")).await.unwrap();
    let mut ci = s.checkins(None, Some("2027-Q1")).await.unwrap();
    s.commit().await.unwrap();
    c.version = 0;
    o.iter_mut().for_each(|o| o.version = 0);
    k.iter_mut().for_each(|k| k.version = 0);
    ci.iter_mut().for_each(|c| c.seq = 0);
    (c, o, k, ci)
}

fn created(imported: &sheets::Imported, kind: &str) -> usize {
    imported
        .changes
        .iter()
        .filter(|c| c.kind == kind && c.action == "created")
        .count()
}

fn all_unchanged(imported: &sheets::Imported) {
    let changed: Vec<_> = imported
        .changes
        .iter()
        .filter(|c| c.action != "unchanged")
        .collect();
    assert!(changed.is_empty(), "{changed:?}");
}

/// Exports, then imports into a fresh workspace (twice) and into the same
/// one: the same cycle, objectives, key results and check-ins each time.
async fn round_trip(format: SheetFormat) {
    let dir = tempfile::tempdir().unwrap();
    let ws = set_up(&dir.path().join("a")).await;
    let out = dir.path().join(format!("okrs.{}", format.extension()));
    let done = sheets::export(&ws, "2027-Q1", format, &out, d("2027-02-15"))
        .await
        .unwrap();
    assert_eq!(
        (done.objectives, done.key_results, done.checkins),
        (2, 3, 5)
    );
    let original = contents(&ws).await;

    let fresh = new_workspace(&dir.path().join("b")).await;
    let first = sheets::import(&loc(&dir.path().join("b")), &out, false)
        .await
        .unwrap();
    assert_eq!(created(&first, "cycle"), 1);
    assert_eq!(created(&first, "objective"), 2);
    assert_eq!(created(&first, "key result"), 3);
    assert_eq!(created(&first, "check-in"), 5);
    assert_eq!(contents(&fresh).await, original);

    // Twice: nothing changes.
    let second = sheets::import(&loc(&dir.path().join("b")), &out, false)
        .await
        .unwrap();
    all_unchanged(&second);
    assert_eq!(second.changes.len(), first.changes.len());
    assert_eq!(contents(&fresh).await, original);

    // Into the workspace it came from: nothing changes either.
    let same = sheets::import(&loc(&dir.path().join("a")), &out, false)
        .await
        .unwrap();
    all_unchanged(&same);
    assert_eq!(contents(&ws).await, original);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_xlsx_round_trip_loses_nothing_and_duplicates_nothing() {
    round_trip(SheetFormat::Xlsx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_csv_round_trip_loses_nothing_and_duplicates_nothing() {
    round_trip(SheetFormat::Csv).await;
}

fn header_index(headers: &[Data], name: &str) -> usize {
    headers
        .iter()
        .position(|h| matches!(h, Data::String(s) if s == name))
        .unwrap_or_else(|| panic!("no column {name}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_workbook_holds_what_was_set_up() {
    let dir = tempfile::tempdir().unwrap();
    let ws = set_up(dir.path()).await;
    let out = dir.path().join("okrs.xlsx");
    sheets::export(&ws, "2027-Q1", SheetFormat::Xlsx, &out, d("2027-02-15"))
        .await
        .unwrap();
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook(&out).unwrap();
    assert_eq!(wb.sheet_names(), vec!["Key results", "Check-ins"]);

    let krs = wb.worksheet_range("Key results").unwrap();
    let rows: Vec<&[Data]> = krs.rows().collect();
    let h = rows[0];
    let at = |row: usize, name: &str| rows[row][header_index(h, name)].clone();
    // One row per key result, and one for O-2, which has none.
    assert_eq!(rows.len(), 1 + 3 + 1);
    let kr1 = (1..rows.len())
        .find(|&r| at(r, "KR") == Data::String("KR-1".into()))
        .unwrap();
    assert_eq!(at(kr1, "objective"), Data::String("O-1".into()));
    assert_eq!(
        at(kr1, "objective title"),
        Data::String("Win the mid-market".into())
    );
    assert_eq!(at(kr1, "owner"), Data::String("ana".into()));
    assert_eq!(at(kr1, "team"), Data::String("growth".into()));
    assert_eq!(at(kr1, "KR owner"), Data::String("bob".into()));
    assert_eq!(at(kr1, "kind"), Data::String("metric".into()));
    assert_eq!(at(kr1, "baseline"), Data::Float(100.0));
    assert_eq!(at(kr1, "target"), Data::Float(150.0));
    // The last check-in: 120 of 100 → 150 is 0.4, yellow; its confidence
    // and note are the last written's.
    assert_eq!(at(kr1, "current"), Data::Float(120.0));
    assert_eq!(at(kr1, "score"), Data::Float(0.4));
    assert_eq!(at(kr1, "grade"), Data::String("yellow".into()));
    assert_eq!(at(kr1, "confidence"), Data::String("at_risk".into()));
    assert_eq!(
        at(kr1, "last note"),
        Data::String("same day, same value".into())
    );
    assert_eq!(at(kr1, "committed"), Data::Bool(true));
    let o2 = (1..rows.len())
        .find(|&r| at(r, "objective") == Data::String("O-2".into()))
        .unwrap();
    assert_eq!(at(o2, "KR"), Data::Empty);
    assert_eq!(at(o2, "parent"), Data::String("O-1".into()));

    let cis = wb.worksheet_range("Check-ins").unwrap();
    let rows: Vec<&[Data]> = cis.rows().collect();
    assert_eq!(rows.len(), 1 + 5);
    let h = rows[0];
    let col = |name: &str| header_index(h, name);
    // Oldest first: KR-1 on 10 January.
    assert_eq!(rows[1][col("KR")], Data::String("KR-1".into()));
    match &rows[1][col("date")] {
        Data::DateTime(t) => assert_eq!(t.to_ymd_hms_milli(), (2027, 1, 10, 0, 0, 0, 0)),
        other => panic!("not a date: {other:?}"),
    }
    assert_eq!(rows[1][col("value")], Data::Float(110.0));
    assert_eq!(rows[1][col("note")], Data::String("first deals".into()));
    assert_eq!(rows[1][col("author")], Data::String("bob".into()));
    assert_eq!(rows[1][col("confidence")], Data::String("on_track".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_cell_is_refused_with_its_place_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let ws = new_workspace(dir.path()).await;

    // CSV: the target of the second key result (row 3) is not a number.
    let csv = dir.path().join("plan.csv");
    std::fs::write(
        &csv,
        "cycle,objective,objective title,KR,KR title,baseline,target\n\
         2027-Q1,O-1,Win the mid-market,KR-1,More customers,100,150\n\
         2027-Q1,O-1,,KR-2,Less churn,6,about five\n",
    )
    .unwrap();
    let e = sheets::import(&loc(dir.path()), &csv, false)
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Invalid);
    let msg = e.to_string();
    assert!(msg.contains("plan.csv, row 3, column G `target`"), "{msg}");
    assert!(msg.contains("`about five` is not a number"), "{msg}");
    let mut s = ws.read_session().await.unwrap();
    assert!(s.cycles().await.unwrap().is_empty());
    assert!(s.objectives(None).await.unwrap().is_empty());
    s.commit().await.unwrap();

    // An objective's rows disagree on its title.
    std::fs::write(
        &csv,
        "cycle,objective,objective title,KR,KR title,baseline,target\n\
         2027-Q1,O-1,Win the mid-market,KR-1,More customers,100,150\n\
         2027-Q1,O-1,Win the enterprise,KR-2,Less churn,6,5\n",
    )
    .unwrap();
    let msg = sheets::import(&loc(dir.path()), &csv, false)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains(
            "plan.csv, row 3, column C `objective title`: `Win the enterprise` differs from row 2"
        ),
        "{msg}"
    );

    // A rule broken after the first rows were applied: nothing written
    // either (a metric key result needs a baseline).
    std::fs::write(
        &csv,
        "cycle,objective,objective title,KR,KR title,baseline,target\n\
         2027-Q1,O-1,Win the mid-market,KR-1,More customers,100,150\n\
         2027-Q1,O-1,,KR-2,Less churn,,5\n",
    )
    .unwrap();
    let e = sheets::import(&loc(dir.path()), &csv, false)
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("plan.csv, row 3: key result `KR-2`"), "{msg}");
    assert!(msg.contains("needs a baseline and a target"), "{msg}");
    let mut s = ws.read_session().await.unwrap();
    assert!(s.cycles().await.unwrap().is_empty());
    assert!(s.objectives(None).await.unwrap().is_empty());
    s.commit().await.unwrap();

    // xlsx: a baseline typed as a word, in the sheet's fourth row.
    let src = tempfile::tempdir().unwrap();
    let full = set_up(src.path()).await;
    let mut book = sheets::workbook(&full, "2027-Q1", d("2027-02-15"))
        .await
        .unwrap();
    let baseline = book
        .key_results
        .headers
        .iter()
        .position(|h| *h == "baseline")
        .unwrap();
    book.key_results.rows[2][baseline] = Cell::Text("lots".into());
    let xlsx = dir.path().join("plan.xlsx");
    std::fs::write(&xlsx, sheets::xlsx_bytes(&book).unwrap()).unwrap();
    let e = sheets::import(&loc(dir.path()), &xlsx, false)
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains(
            "plan.xlsx, sheet `Key results`, row 4, column I `baseline`: `lots` is not a number"
        ),
        "{msg}"
    );
    let mut s = ws.read_session().await.unwrap();
    assert!(s.objectives(None).await.unwrap().is_empty());
    assert!(s.checkins(None, None).await.unwrap().is_empty());
    s.commit().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_sheet_changes_only_what_was_edited() {
    let dir = tempfile::tempdir().unwrap();
    let ws = set_up(dir.path()).await;
    let out = dir.path().join("okrs.csv");
    sheets::export(&ws, "2027-Q1", SheetFormat::Csv, &out, d("2027-02-15"))
        .await
        .unwrap();
    // A new title for KR-3, computed columns typed over (ignored), and a
    // new check-in without a confidence.
    let text = std::fs::read_to_string(&out).unwrap();
    let text = text.replace("Keep monthly churn below 5%", "Keep monthly churn under 5%");
    let text = text.replace(",yellow,", ",green,");
    std::fs::write(&out, text).unwrap();
    let checkins = sheets::checkins_csv_path(&out);
    let mut extra = std::fs::read_to_string(&checkins).unwrap();
    extra.push_str("KR-1,2027-02-14,130,,closed two more,ana,\n");
    std::fs::write(&checkins, extra).unwrap();

    let done = sheets::import(&loc(dir.path()), &out, false).await.unwrap();
    let changed: Vec<_> = done
        .changes
        .iter()
        .filter(|c| c.action != "unchanged")
        .map(|c| (c.kind, c.key.as_str(), c.action))
        .collect();
    assert_eq!(
        changed,
        vec![
            ("key result", "KR-3", "updated"),
            ("check-in", "KR-1 2027-02-14", "created")
        ]
    );
    let (_, _, krs, cis) = contents(&ws).await;
    assert_eq!(
        krs.iter().find(|k| k.key == "KR-3").unwrap().title,
        "Keep monthly churn under 5%"
    );
    let last = cis.last().unwrap();
    assert_eq!(last.value, Some(130.0));
    assert_eq!(last.author.as_deref(), Some("ana"));
    assert_eq!(last.note.as_deref(), Some("closed two more"));
    assert_eq!(last.at, Utc.with_ymd_and_hms(2027, 2, 14, 0, 0, 0).unwrap());
    // 130 of 100 → 150 on 14 Feb (0.6 against about 0.48 expected): on
    // track, from the pace.
    assert_eq!(last.confidence, Confidence::OnTrack);
}
