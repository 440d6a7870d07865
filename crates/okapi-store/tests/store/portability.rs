//! Export and import.

use chrono::{DateTime, Utc};
use okapi_core::okr::{KrKind, KrType};
use okapi_core::review::{Funnel, Maturity};
use okapi_store::{CheckInSource, ExportDocument, KeyResult, NewCheckIn, Store, StoreError};

use crate::fixtures::{checkin, company};
use crate::support::{Db, now, ready, sqlite_empty};

/// The document a store exports for workspace `ws`, as JSON text, with the
/// export's time set to `at` (so that two exports compare equal).
async fn exported(store: &Store, ws: &str, settings: Option<String>, at: DateTime<Utc>) -> String {
    let mut s = store.read_session(ws).await.unwrap();
    let doc = s.export(settings, at).await.unwrap();
    s.commit().await.unwrap();
    doc.to_json().unwrap()
}

/// Imports `json` into `db`, exports it, imports that export into a fresh
/// database of the same kind and exports again: both exports are `json`,
/// to the byte.
async fn round_trips(db: &Db, json: &str, test: &str) {
    let doc = ExportDocument::from_json(json).unwrap();
    let ws = doc.workspace.id.clone();
    db.store.import(&doc, &mut |_, _| {}).await.unwrap();
    let first = exported(&db.store, &ws, doc.settings.clone(), doc.exported_at).await;
    assert_same_text(json, &first);
    let other = db.sibling(test).await;
    other
        .store
        .import(&ExportDocument::from_json(&first).unwrap(), &mut |_, _| {})
        .await
        .unwrap();
    let second = exported(&other.store, &ws, doc.settings.clone(), doc.exported_at).await;
    assert_same_text(json, &second);
    other.finish().await;
}

/// Equal texts, or the first differing line of each.
#[track_caller]
fn assert_same_text(expected: &str, got: &str) {
    if let Some((n, (e, g))) = expected
        .trim_end()
        .lines()
        .zip(got.trim_end().lines())
        .enumerate()
        .find(|(_, (e, g))| e != g)
    {
        panic!("line {}: expected\n{e}\ngot\n{g}", n + 1);
    }
    assert_eq!(expected.trim_end(), got.trim_end());
}

pub async fn export_then_import_loses_nothing(db: Db) {
    let db = ready(db).await;
    db.store
        .create_workspace("acme", "Acme", "b2b", now())
        .await
        .unwrap();
    let mut s = db.store.session("acme").await.unwrap();
    company(&mut s).await;
    // A KR with every optional field set, so that the round trip is checked
    // on all of them.
    let full = KeyResult {
        kind: KrKind::Kpi,
        kpi: Some("net_revenue_retention".into()),
        segment: Some("plan=pro".into()),
        grain: Some("quarter".into()),
        baseline: Some(101.5),
        target: Some(104.25),
        unit: Some("percent".into()),
        due: Some(crate::fixtures::d("2026-12-15")),
        weight: 2.5,
        kr_type: Some(KrType::Outcome),
        funnel: Some(Funnel::Bottom),
        leading: Some(true),
        maturity: Some(Maturity::Optimizing),
        why: Some("Expansion pays for growth".into()),
        owner: Some("ana".into()),
        ..KeyResult::new("KR-5", "M-1", "Raise NRR to 104.25%", KrKind::Kpi)
    };
    s.create_key_result(&full).await.unwrap();
    // KPI check-ins whose values need all 17 digits to come back exactly.
    for (day, value) in [(19, 101.33037311709795), (26, 102.33037311709795)] {
        s.check_in(&NewCheckIn {
            source: CheckInSource::Kpi,
            author: None,
            note: Some("computed from quarter 2026-07-01".into()),
            ..checkin("KR-5", day, value)
        })
        .await
        .unwrap();
    }
    let reflections = [("KR-2".to_string(), "Five days faster".to_string())].into();
    s.close_cycle("2026-Q4", &reflections).await.unwrap();
    s.create_cycle(
        "2027-Q1",
        "Q1 2027",
        crate::fixtures::d("2027-01-01"),
        crate::fixtures::d("2027-03-31"),
    )
    .await
    .unwrap();
    s.commit().await.unwrap();

    let mut s = db.store.read_session("acme").await.unwrap();
    let settings = "profile = \"b2b\"\n\n[[kpi]]\nid = \"ltv_to_cac\"\nformula = \"ltv / cac\"\n";
    let doc = s.export(Some(settings.into()), now()).await.unwrap();
    s.commit().await.unwrap();
    assert_eq!(doc.teams.len(), 1);
    assert_eq!(doc.users.len(), 1);
    assert_eq!(doc.cycles.len(), 2);
    assert_eq!(doc.objectives.len(), 2);
    assert_eq!(doc.key_results.len(), 5);
    assert_eq!(doc.checkins.len(), 9);
    let kr5 = doc.key_results.iter().find(|k| k.key == "KR-5").unwrap();
    assert_eq!(kr5.segment.as_deref(), Some("plan=pro"));
    // (102.33037311709795 − 101.5) / (104.25 − 101.5) = 0.83037311709795 / 2.75
    //   = 0.301953860762890…
    let score = kr5.final_score.unwrap();
    assert!((score - 0.30195386076289).abs() < 1e-12, "{score}");
    let value = doc.checkins.iter().find(|c| c.kr == "KR-5").unwrap().value;
    assert_eq!(
        value.map(f64::to_bits),
        Some(101.33037311709795f64.to_bits())
    );
    let json = doc.to_json().unwrap();
    assert!(!json.contains("password"));
    assert!(json.contains("\"value\": 101.33037311709795,"), "{json}");
    assert_eq!(ExportDocument::from_json(&json).unwrap(), doc);

    // Into a fresh database of the same kind and back, twice.
    let same_kind = db.sibling("export_then_import_loses_nothing_target").await;
    round_trips(&same_kind, &json, "export_then_import_loses_nothing_again").await;
    // Into SQLite, with progress reported row by row.
    let target = ready(sqlite_empty().await).await;
    let mut calls = 0;
    target
        .store
        .import(&doc, &mut |done, total| {
            calls += 1;
            assert!(done <= total);
        })
        .await
        .unwrap();
    assert_eq!(calls, 1 + 1 + 2 + 2 + 5 + 9);
    let again = exported(&target.store, "acme", Some(settings.into()), now()).await;
    assert_same_text(&json, &again);

    // Importing a workspace that exists is refused.
    let e = target.store.import(&doc, &mut |_, _| {}).await.unwrap_err();
    assert!(
        matches!(
            e,
            StoreError::Duplicate {
                kind: "workspace",
                ..
            }
        ),
        "{e}"
    );
    same_kind.finish().await;
    target.finish().await;
    db.finish().await;
}

/// The demo company's own export (a closed quarter with final scores and
/// reflections, an active one, KPI check-ins), as `okapi export` wrote it:
/// open and closed objectives in one import, and numbers of 17 digits.
const DEMO_EXPORT: &str = include_str!("demo-export.json");

pub async fn the_demo_export_round_trips_exactly(db: Db) {
    let db = ready(db).await;
    let doc = ExportDocument::from_json(DEMO_EXPORT).unwrap();
    // The fixture holds what this test is about.
    let closed = doc.objectives.iter().filter(|o| o.final_score.is_some());
    assert!(closed.count() > 0);
    assert!(doc.objectives.iter().any(|o| o.final_score.is_none()));
    assert!(doc.key_results.iter().any(|k| k.reflection.is_some()));
    assert!(DEMO_EXPORT.contains("\"value\": 101.33037311709795,"));
    round_trips(
        &db,
        DEMO_EXPORT,
        "the_demo_export_round_trips_exactly_target",
    )
    .await;
    db.finish().await;
}

pub async fn a_bad_document_imports_nothing(db: Db) {
    let db = ready(db).await;
    let source = ready(sqlite_empty().await).await;
    source
        .store
        .create_workspace("acme", "Acme", "b2b", now())
        .await
        .unwrap();
    let mut s = source.store.session("acme").await.unwrap();
    company(&mut s).await;
    let good = s.export(None, now()).await.unwrap();
    s.commit().await.unwrap();
    // The company fixture: KR-3 is the milestone, M-1 sits under C-1.
    type Change = fn(&mut ExportDocument);
    let cases: Vec<(Change, &str)> = vec![
        (
            |d| d.key_results[1].objective = "C-404".into(),
            "key_results[1] (`KR-2`) objective: refers to objective `C-404`, which the document lacks",
        ),
        (
            |d| d.checkins[0].kr = "KR-404".into(),
            "checkins[0] (number 1) kr: refers to key result `KR-404`, which the document lacks",
        ),
        (
            |d| d.key_results[0].weight = 0.0,
            "key_results[0] (`KR-1`) weight: must be a number above 0 and at most 1000, not 0",
        ),
        (
            |d| d.key_results[0].weight = f64::INFINITY,
            "weight: must be a number above 0 and at most 1000, not inf",
        ),
        (
            |d| d.key_results[1].baseline = Some(f64::NAN),
            "key_results[1] (`KR-2`) baseline: must be a finite number, not NaN",
        ),
        (
            |d| d.checkins[1].value = Some(f64::NEG_INFINITY),
            "checkins[1] (number 2) value: must be a finite number, not -inf",
        ),
        (
            |d| {
                let c = d.checkins.iter_mut().find(|c| c.kr == "KR-3").unwrap();
                c.value = Some(0.5);
            },
            "`KR-3` is a milestone: 1 (done) or 0 (not done), not 0.5",
        ),
        (
            |d| d.checkins[1].seq = d.checkins[0].seq,
            "check-in number 1 appears twice",
        ),
        (
            |d| d.checkins[0].seq = -3,
            "check-ins are numbered from 1 to 999999999999999, not -3",
        ),
        (
            |d| d.checkins[0].seq = i64::MAX,
            "check-ins are numbered from 1 to 999999999999999, not 9223372036854775807",
        ),
        (
            |d| d.objectives[1].version = i64::MAX,
            "objectives[1] (`M-1`) version: versions count from 1 to 999999999999999",
        ),
        (
            |d| d.objectives[0].key = "O-18446744073709551615".into(),
            "objective key `O-18446744073709551615`: the number after the last `-` is too large",
        ),
        (
            |d| d.objectives[0].parent = Some("M-1".into()),
            "is aligned in a loop: C-1 → M-1 → C-1",
        ),
        (
            |d| d.workspace.id = "ac me".into(),
            "workspace id: workspace key `ac me` must be 1–64 letters",
        ),
    ];
    for (change, message) in cases {
        let mut doc = good.clone();
        change(&mut doc);
        let e = db.store.import(&doc, &mut |_, _| {}).await.unwrap_err();
        assert!(matches!(e, StoreError::Document { .. }), "{e}");
        let msg = e.to_string();
        assert!(msg.contains(message), "expected `{message}` in:\n{msg}");
        assert!(db.store.workspaces().await.unwrap().is_empty());
    }
    // From text, each problem has its line: the row's, or its field's.
    let mut doc = good.clone();
    doc.key_results[1].weight = 0.0;
    let json = doc.to_json().unwrap();
    let line = json
        .lines()
        .position(|l| l.contains("\"weight\": 0.0"))
        .unwrap()
        + 1;
    match ExportDocument::from_json(&json) {
        Err(StoreError::Document { problems }) => {
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert_eq!(problems[0].line, Some(line));
            assert_eq!(problems[0].field, "key_results[1] (`KR-2`) weight");
        }
        other => panic!("expected a refused document, got {other:?}"),
    }
    let e = ExportDocument::from_json("{\n  \"format\": \"okapi-export\",\n  oops\n}").unwrap_err();
    assert!(e.to_string().contains("line 3: not an okapi export"), "{e}");
    source.finish().await;
    db.finish().await;
}
