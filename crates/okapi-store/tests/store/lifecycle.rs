//! Schema versions and an OKR cycle from planning to its graded close.

use std::collections::BTreeMap;

use okapi_core::okr::{CycleState, ObjectiveState, OkrRuleError};
use okapi_core::review::Level;
use okapi_core::scoring::Grade;
use okapi_store::{SCHEMA_VERSION, StoreError};

use crate::fixtures::{checkin, company, objective};
use crate::support::{Db, now, ready};

pub async fn schema_is_versioned_and_upgrades(db: Db) {
    assert_eq!(db.store.schema_version().await.unwrap(), 0);
    assert_eq!(db.store.migrate_to(1).await.unwrap(), vec![1]);
    match db.store.check_schema().await {
        Err(StoreError::SchemaBehind { current: 1, needed }) => assert_eq!(needed, SCHEMA_VERSION),
        other => panic!("expected SchemaBehind, got {other:?}"),
    }
    // A version-1 database already holds data; the upgrade keeps it.
    db.store
        .create_workspace("acme", "Acme", "b2b", now())
        .await
        .unwrap();
    assert_eq!(
        db.store.migrate().await.unwrap(),
        vec![2, 3, 4, 5, 6, 7, 8, 9]
    );
    assert_eq!(db.store.migrate().await.unwrap(), Vec::<i64>::new());
    db.store.check_schema().await.unwrap();
    assert_eq!(db.store.workspaces().await.unwrap().len(), 1);
    db.finish().await;
}

pub async fn an_upgrade_to_version_3_protects_existing_history(db: Db) {
    // A version-2 database, with check-ins, as okapi left it before
    // deletes were refused.
    assert_eq!(db.store.migrate_to(2).await.unwrap(), vec![1, 2]);
    db.store
        .create_workspace("acme", "Acme", "b2b", now())
        .await
        .unwrap();
    let mut s = db.store.session("acme").await.unwrap();
    company(&mut s).await;
    s.commit().await.unwrap();
    assert_eq!(db.store.migrate().await.unwrap(), vec![3, 4, 5, 6, 7, 8, 9]);
    let e = db
        .raw("DELETE FROM checkins WHERE kr_key = 'KR-1'")
        .await
        .expect_err("a delete of a check-in must be refused");
    assert!(e.to_string().contains("history cannot be deleted"), "{e}");
    let mut s = db.store.read_session("acme").await.unwrap();
    assert_eq!(s.checkins(None, None).await.unwrap().len(), 7);
    s.commit().await.unwrap();
    db.finish().await;
}

pub async fn a_cycle_runs_from_planning_to_graded_close(db: Db) {
    let db = ready(db).await;
    db.store
        .create_workspace("acme", "Acme", "b2b", now())
        .await
        .unwrap();
    let mut s = db.store.session("acme").await.unwrap();
    company(&mut s).await;
    s.commit().await.unwrap();

    let mut s = db.store.session("acme").await.unwrap();
    assert_eq!(
        s.workspace().vision.as_deref(),
        Some("Every SaaS team runs on numbers it trusts")
    );
    // Live scores before the close: 600 of 1,200 calls is 0.5; 65 → 60 of
    // 65 → 55 days is 0.5.
    let values = s.values_by_kr("2026-Q4").await.unwrap();
    let kr1 = s.key_result("KR-1").await.unwrap();
    assert_eq!(kr1.score(&values["KR-1"]).unwrap(), 0.5);
    let kr2 = s.key_result("KR-2").await.unwrap();
    assert_eq!(kr2.score(&values["KR-2"]).unwrap(), 0.5);

    let reflections = BTreeMap::from([(
        "KR-1".to_string(),
        "Half the calls: the team was two people short".to_string(),
    )]);
    let closed = s.close_cycle("2026-Q4", &reflections).await.unwrap();
    s.commit().await.unwrap();

    // C-1: (0.5 × 1 + 0.5 × 3) / 4 = 0.5, yellow, committed so flagged.
    let c1 = closed.iter().find(|o| o.key == "C-1").unwrap();
    assert_eq!(c1.score, Some(0.5));
    assert_eq!(c1.grade, Some(Grade::Yellow));
    assert!(c1.flagged);
    // M-1: milestone done (1.0) and NPS held at 44 and 41 ≥ 40 (1.0).
    let m1 = closed.iter().find(|o| o.key == "M-1").unwrap();
    assert_eq!(m1.score, Some(1.0));
    assert_eq!(m1.grade, Some(Grade::Green));
    assert!(!m1.flagged);

    let mut s = db.store.session("acme").await.unwrap();
    assert_eq!(s.cycle("2026-Q4").await.unwrap().state, CycleState::Closed);
    let o = s.objective("C-1").await.unwrap();
    assert_eq!(o.state, ObjectiveState::Closed);
    assert_eq!(
        (o.final_score, o.grade, o.flagged),
        (Some(0.5), Some(Grade::Yellow), true)
    );
    let kr1 = s.key_result("KR-1").await.unwrap();
    assert_eq!(kr1.final_score, Some(0.5));
    assert_eq!(kr1.grade, Some(Grade::Yellow));
    assert_eq!(
        kr1.reflection.as_deref(),
        Some("Half the calls: the team was two people short")
    );

    // Closed means closed: no check-in, no new objective, no edit but the
    // reflection.
    let e = s.check_in(&checkin("KR-1", 20, 900.0)).await.unwrap_err();
    assert!(
        matches!(e, StoreError::Rule(OkrRuleError::ClosedCycle)),
        "{e}"
    );
    let e = s
        .create_objective(&objective("C-2", "2026-Q4", Level::Company, None))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Rule(OkrRuleError::ClosedCycle)),
        "{e}"
    );
    let mut edited = kr1.clone();
    edited.target = Some(900.0);
    let e = s.save_key_result(&edited).await.unwrap_err();
    assert!(
        matches!(e, StoreError::Rule(OkrRuleError::ClosedCycle)),
        "{e}"
    );
    let mut reflected = s.key_result("KR-2").await.unwrap();
    reflected.reflection = Some("Onboarding calls cut five days".into());
    let saved = s.save_key_result(&reflected).await.unwrap();
    assert_eq!(saved.version, reflected.version + 1);
    s.commit().await.unwrap();
    db.finish().await;
}

pub async fn generated_keys_count_up_and_sort_naturally(db: Db) {
    let db = acme_with_q1(db).await;
    let mut s = db.store.session("acme").await.unwrap();
    for i in 1..=10 {
        let key = s.next_key("O").await.unwrap();
        assert_eq!(key, format!("O-{i}"));
        s.create_objective(&objective(&key, "2027-Q1", Level::Team, None))
            .await
            .unwrap();
    }
    assert_eq!(s.next_key("KR").await.unwrap(), "KR-1");
    let keys: Vec<String> = s
        .objectives(Some("2027-Q1"))
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    let expected: Vec<String> = (1..=10).map(|i| format!("O-{i}")).collect();
    assert_eq!(keys, expected);
    s.commit().await.unwrap();
    db.finish().await;
}

pub async fn concurrent_sessions_generate_different_keys(db: Db) {
    let db = acme_with_q1(db).await;
    // Two writers each add five objectives with generated keys.
    let writer = |store: okapi_store::Store| async move {
        for _ in 0..5 {
            let mut s = store.session("acme").await.unwrap();
            let key = s.next_key("O").await.unwrap();
            s.create_objective(&objective(&key, "2027-Q1", Level::Team, None))
                .await
                .unwrap();
            s.commit().await.unwrap();
        }
        store.close().await;
    };
    let a = tokio::spawn(writer(db.second_store().await));
    let b = tokio::spawn(writer(db.second_store().await));
    a.await.unwrap();
    b.await.unwrap();
    let mut s = db.store.session("acme").await.unwrap();
    let keys: Vec<String> = s
        .objectives(None)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.key)
        .collect();
    s.commit().await.unwrap();
    let expected: Vec<String> = (1..=10).map(|i| format!("O-{i}")).collect();
    assert_eq!(keys, expected);
    db.finish().await;
}

/// Workspace `acme` with an empty cycle `2027-Q1`.
async fn acme_with_q1(db: Db) -> Db {
    let db = ready(db).await;
    db.store
        .create_workspace("acme", "Acme", "b2b", now())
        .await
        .unwrap();
    let mut s = db.store.session("acme").await.unwrap();
    s.create_cycle(
        "2027-Q1",
        "Q1 2027",
        crate::fixtures::d("2027-01-01"),
        crate::fixtures::d("2027-03-31"),
    )
    .await
    .unwrap();
    s.commit().await.unwrap();
    db
}

pub async fn keys_and_alignment_chains_are_bounded(db: Db) {
    let db = ready(db).await;
    db.store
        .create_workspace("acme", "Acme", "b2b", now())
        .await
        .unwrap();
    let mut s = db.store.session("acme").await.unwrap();
    s.create_cycle(
        "2027-Q1",
        "Q1 2027",
        crate::fixtures::d("2027-01-01"),
        crate::fixtures::d("2027-03-31"),
    )
    .await
    .unwrap();
    // A key whose number would overflow a counter is refused, on writes
    // and on reads.
    let e = s
        .create_objective(&objective(
            "O-18446744073709551615",
            "2027-Q1",
            Level::Company,
            None,
        ))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("too large"), "{e}");
    let e = s.key_result("KR-99999999999999999999").await.unwrap_err();
    assert!(e.to_string().contains("too large"), "{e}");
    // The largest number there may be: the next key is refused, not wrapped.
    s.create_objective(&objective(
        "O-999999999999999",
        "2027-Q1",
        Level::Company,
        None,
    ))
    .await
    .unwrap();
    let e = s.next_key("O").await.unwrap_err();
    assert!(e.to_string().contains("no key left"), "{e}");

    // Two chains: A-1 … A-20 and B-1 … B-13 (each under the one before).
    for (head, n) in [("A", 20), ("B", 13)] {
        for i in 1..=n {
            let parent = (i > 1).then(|| format!("{head}-{}", i - 1));
            let o = objective(
                &format!("{head}-{i}"),
                "2027-Q1",
                Level::Team,
                parent.as_deref(),
            );
            s.create_objective(&o).await.unwrap();
        }
    }
    // B-1 with its 13 levels under A-20 makes 20 + 13 = 33: refused.
    let mut b1 = s.objective("B-1").await.unwrap();
    b1.parent = Some("A-20".into());
    let e = s.save_objective(&b1).await.unwrap_err();
    assert!(
        matches!(e, StoreError::Alignment(okapi_store::AlignmentError::TooDeep { ref key, .. }) if key == "B-1"),
        "{e}"
    );
    // Under A-19 it makes 19 + 13 = 32: accepted.
    b1.parent = Some("A-19".into());
    s.save_objective(&b1).await.unwrap();
    // And nothing more fits under B-13, now at level 32.
    let e = s
        .create_objective(&objective("C-1", "2027-Q1", Level::Person, Some("B-13")))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("more than 32 levels deep"), "{e}");
    s.commit().await.unwrap();
    db.finish().await;
}
