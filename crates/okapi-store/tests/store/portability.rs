//! Export and import.

use okapi_core::okr::{KrKind, KrType};
use okapi_core::review::{Funnel, Maturity};
use okapi_store::{KeyResult, StoreError};

use crate::fixtures::company;
use crate::support::{Db, now, ready, sqlite_empty};

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

    let mut s = db.store.session("acme").await.unwrap();
    let settings = "profile = \"b2b\"\n\n[[kpi]]\nid = \"ltv_to_cac\"\nformula = \"ltv / cac\"\n";
    let doc = s.export(Some(settings.into()), now()).await.unwrap();
    s.commit().await.unwrap();
    assert_eq!(doc.teams.len(), 1);
    assert_eq!(doc.users.len(), 1);
    assert_eq!(doc.cycles.len(), 2);
    assert_eq!(doc.objectives.len(), 2);
    assert_eq!(doc.key_results.len(), 5);
    assert_eq!(doc.checkins.len(), 7);
    let kr5 = doc.key_results.iter().find(|k| k.key == "KR-5").unwrap();
    assert_eq!(kr5.segment.as_deref(), Some("plan=pro"));
    assert_eq!(kr5.final_score, Some(0.0));
    // Through JSON text, into a database of the other kind.
    let json = serde_json::to_string_pretty(&doc).unwrap();
    assert!(!json.contains("password"));
    let back: okapi_store::ExportDocument = serde_json::from_str(&json).unwrap();
    assert_eq!(back, doc);

    let target = ready(sqlite_empty().await).await;
    let mut calls = 0;
    target
        .store
        .import(&back, &mut |done, total| {
            calls += 1;
            assert!(done <= total);
        })
        .await
        .unwrap();
    assert_eq!(calls, 1 + 1 + 2 + 2 + 5 + 7);
    let mut s = target.store.session("acme").await.unwrap();
    let again = s.export(Some(settings.into()), now()).await.unwrap();
    s.commit().await.unwrap();
    assert_eq!(again, doc);

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
    target.finish().await;
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
    let mut doc = s.export(None, now()).await.unwrap();
    s.commit().await.unwrap();
    doc.key_results[1].objective = "C-404".into();
    doc.checkins[0].kr = "KR-404".into();
    let e = db.store.import(&doc, &mut |_, _| {}).await.unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("key result `KR-2` refers to objective `C-404`"),
        "{msg}"
    );
    assert!(msg.contains("refers to key result `KR-404`"), "{msg}");
    assert!(db.store.workspaces().await.unwrap().is_empty());
    source.finish().await;
    db.finish().await;
}
