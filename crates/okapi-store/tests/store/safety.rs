//! Bad changes, failed transactions, tenancy, stale writes and history.

use std::collections::BTreeMap;

use okapi_core::okr::{KrKind, ObjectiveState, OkrRuleError};
use okapi_core::review::Level;
use okapi_core::scoring::ScoreError;
use okapi_store::{ExportDocument, Store, StoreError};

use crate::fixtures::{checkin, company, d, metric, objective};
use crate::support::{Db, now, ready};

async fn snapshot(store: &Store, ws: &str) -> ExportDocument {
    let mut s = store.read_session(ws).await.unwrap();
    let doc = s.export(None, now()).await.unwrap();
    s.commit().await.unwrap();
    doc
}

async fn setup(db: Db) -> Db {
    let db = ready(db).await;
    db.store
        .create_workspace("acme", "Acme", "b2b", now())
        .await
        .unwrap();
    let mut s = db.store.session("acme").await.unwrap();
    company(&mut s).await;
    s.create_cycle("2026-Q3", "Q3 2026", d("2026-07-01"), d("2026-09-30"))
        .await
        .unwrap();
    s.create_objective(&objective("Q3-1", "2026-Q3", Level::Company, None))
        .await
        .unwrap();
    s.create_key_result(&metric("KR-Q3", "Q3-1", 10.0, 20.0))
        .await
        .unwrap();
    s.activate_cycle("2026-Q3").await.unwrap();
    s.close_cycle("2026-Q3", &BTreeMap::new()).await.unwrap();
    s.create_cycle("2027-Q1", "Q1 2027", d("2027-01-01"), d("2027-03-31"))
        .await
        .unwrap();
    s.commit().await.unwrap();
    db
}

pub async fn bad_changes_are_refused_and_change_nothing(db: Db) {
    let db = setup(db).await;
    let before = snapshot(&db.store, "acme").await;

    macro_rules! refused {
        (|$s:ident| $body:expr, $pat:pat) => {{
            let mut $s = db.store.session("acme").await.unwrap();
            let r = async { $body }.await;
            match r {
                Err($pat) => {}
                Err(other) => panic!("{}: wrong error: {other}", stringify!($body)),
                Ok(_) => panic!("{}: accepted", stringify!($body)),
            }
            // The session is dropped without commit: rolled back.
        }};
    }

    // A cycle whose end precedes its start.
    refused!(
        |s| s
            .create_cycle("bad", "Bad", d("2027-06-30"), d("2027-04-01"))
            .await,
        StoreError::Rule(OkrRuleError::CycleDates { .. })
    );
    // A KR with target equal to baseline.
    refused!(
        |s| s
            .create_key_result(&metric("KR-9", "C-1", 50.0, 50.0))
            .await,
        StoreError::Score {
            error: ScoreError::NoDirection(_),
            ..
        }
    );
    // A check-in on a closed cycle.
    refused!(
        |s| s.check_in(&checkin("KR-Q3", 1, 15.0)).await,
        StoreError::Rule(OkrRuleError::ClosedCycle)
    );
    // A parent objective in another cycle.
    refused!(
        |s| s
            .create_objective(&objective("N-1", "2027-Q1", Level::Team, Some("C-1")))
            .await,
        StoreError::Rule(OkrRuleError::ParentInOtherCycle { .. })
    );
    // A cyclic alignment: C-1 under its own child M-1.
    refused!(
        |s| {
            let mut c1 = s.objective("C-1").await?;
            c1.parent = Some("M-1".into());
            s.save_objective(&c1).await
        },
        StoreError::Rule(OkrRuleError::AlignmentLoop { .. })
    );
    // Unknown ids.
    refused!(
        |s| s.check_in(&checkin("KR-99", 1, 1.0)).await,
        StoreError::NotFound {
            kind: "key result",
            ..
        }
    );
    refused!(
        |s| s.create_key_result(&metric("KR-9", "O-99", 0.0, 1.0)).await,
        StoreError::NotFound {
            kind: "objective",
            ..
        }
    );
    refused!(
        |s| s
            .create_objective(&objective("N-1", "2099-Q1", Level::Team, None))
            .await,
        StoreError::NotFound { kind: "cycle", .. }
    );
    refused!(
        |s| {
            let mut o = objective("N-1", "2027-Q1", Level::Person, None);
            o.owner = Some("nobody".into());
            s.create_objective(&o).await
        },
        StoreError::NotFound { kind: "user", .. }
    );
    refused!(
        |s| s.objective("C-404").await,
        StoreError::NotFound {
            kind: "objective",
            ..
        }
    );
    // A KPI-linked KR that names no KPI; a milestone checked in at 0.5; a
    // duplicate key; a key with a space; a draft jumping to active.
    refused!(
        |s| {
            let mut kr = metric("KR-9", "C-1", 0.0, 1.0);
            kr.kind = KrKind::Kpi;
            s.create_key_result(&kr).await
        },
        StoreError::Invalid(_)
    );
    refused!(
        |s| s.check_in(&checkin("KR-3", 20, 0.5)).await,
        StoreError::Invalid(_)
    );
    refused!(
        |s| s
            .create_cycle("2026-Q4", "Again", d("2026-10-01"), d("2026-12-31"))
            .await,
        StoreError::Duplicate { kind: "cycle", .. }
    );
    refused!(
        |s| s
            .create_cycle("q 1", "Spaced", d("2026-10-01"), d("2026-12-31"))
            .await,
        StoreError::Invalid(_)
    );
    refused!(
        |s| {
            let mut o = s.objective("C-1").await?;
            assert_eq!(o.state, ObjectiveState::Draft);
            o.state = ObjectiveState::Active;
            s.save_objective(&o).await
        },
        StoreError::Rule(OkrRuleError::ObjectiveTransition { .. })
    );

    assert_eq!(snapshot(&db.store, "acme").await, before);
    db.finish().await;
}

pub async fn a_failed_session_keeps_none_of_its_writes(db: Db) {
    let db = setup(db).await;
    let before = snapshot(&db.store, "acme").await;
    {
        let mut s = db.store.session("acme").await.unwrap();
        s.create_objective(&objective("N-1", "2027-Q1", Level::Company, None))
            .await
            .unwrap();
        s.create_key_result(&metric("KR-10", "N-1", 0.0, 10.0))
            .await
            .unwrap();
        s.check_in(&checkin("KR-1", 19, 700.0)).await.unwrap();
        // The fourth write fails: the caller gives up on the session.
        assert!(
            s.create_key_result(&metric("KR-11", "N-1", 3.0, 3.0))
                .await
                .is_err()
        );
    }
    let mut s = db.store.session("acme").await.unwrap();
    assert!(matches!(
        s.objective("N-1").await,
        Err(StoreError::NotFound { .. })
    ));
    drop(s);
    assert_eq!(snapshot(&db.store, "acme").await, before);
    db.finish().await;
}

pub async fn workspaces_cannot_see_or_touch_each_other(db: Db) {
    let db = setup(db).await;
    db.store
        .create_workspace("globex", "Globex", "b2c", now())
        .await
        .unwrap();
    let before = snapshot(&db.store, "acme").await;
    let acme_c1 = before
        .objectives
        .iter()
        .find(|o| o.key == "C-1")
        .unwrap()
        .clone();

    let mut g = db.store.session("globex").await.unwrap();
    // Reads: nothing of acme's is visible.
    assert!(matches!(
        g.objective("C-1").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        g.key_result("KR-1").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        g.cycle("2026-Q4").await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(g.objectives(None).await.unwrap().is_empty());
    assert!(g.key_results(None).await.unwrap().is_empty());
    assert!(g.checkins(None, None).await.unwrap().is_empty());
    assert!(g.teams().await.unwrap().is_empty());
    assert!(g.users().await.unwrap().is_empty());
    // Writes: acme's rows cannot be changed, checked in on or aligned to.
    let mut stolen = acme_c1.clone();
    stolen.title = "Owned by globex".into();
    assert!(matches!(
        g.save_objective(&stolen).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        g.check_in(&checkin("KR-1", 20, 1200.0)).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        g.create_key_result(&metric("KR-50", "C-1", 0.0, 1.0)).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        g.close_cycle("2026-Q4", &BTreeMap::new()).await,
        Err(StoreError::NotFound { .. })
    ));
    // Globex may use the same keys for its own rows, and still cannot align
    // under acme's objective.
    g.create_cycle("2026-Q4", "Q4", d("2026-10-01"), d("2026-12-31"))
        .await
        .unwrap();
    g.create_objective(&objective("C-1", "2026-Q4", Level::Company, None))
        .await
        .unwrap();
    let e = g
        .create_objective(&objective("T-1", "2026-Q4", Level::Team, Some("M-1")))
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Rule(OkrRuleError::UnknownParent { .. })),
        "{e}"
    );
    g.commit().await.unwrap();

    assert_eq!(snapshot(&db.store, "acme").await, before);
    let globex = snapshot(&db.store, "globex").await;
    assert_eq!(globex.objectives.len(), 1);
    assert_eq!(globex.objectives[0].title, "Objective C-1");
    db.finish().await;
}

pub async fn stale_writes_are_conflicts(db: Db) {
    let db = setup(db).await;
    let other = db.second_store().await;

    let mut s = db.store.session("acme").await.unwrap();
    let mine = s.objective("C-1").await.unwrap();
    let my_kr = s.key_result("KR-1").await.unwrap();
    s.commit().await.unwrap();
    let mut s = other.session("acme").await.unwrap();
    let theirs = s.objective("C-1").await.unwrap();
    let their_kr = s.key_result("KR-1").await.unwrap();
    s.commit().await.unwrap();
    assert_eq!(mine.version, theirs.version);

    // They save first.
    let mut s = other.session("acme").await.unwrap();
    let mut t = theirs.clone();
    t.title = "Win the mid-market".into();
    let saved = s.save_objective(&t).await.unwrap();
    assert_eq!(saved.version, theirs.version + 1);
    let mut k = their_kr.clone();
    k.target = Some(1500.0);
    s.save_key_result(&k).await.unwrap();
    s.commit().await.unwrap();

    // My copies are stale now: refused, not overwritten.
    let mut s = db.store.session("acme").await.unwrap();
    let mut m = mine.clone();
    m.title = "Win the enterprise".into();
    match s.save_objective(&m).await {
        Err(StoreError::Conflict {
            kind: "objective",
            expected,
            actual,
            ..
        }) => assert_eq!((expected, actual), (mine.version, mine.version + 1)),
        other => panic!("expected a conflict, got {other:?}"),
    }
    let mut k = my_kr.clone();
    k.target = Some(1000.0);
    assert!(matches!(
        s.save_key_result(&k).await,
        Err(StoreError::Conflict {
            kind: "key result",
            ..
        })
    ));
    drop(s);
    let mut s = db.store.session("acme").await.unwrap();
    assert_eq!(
        s.objective("C-1").await.unwrap().title,
        "Win the mid-market"
    );
    assert_eq!(s.key_result("KR-1").await.unwrap().target, Some(1500.0));
    s.commit().await.unwrap();
    other.close().await;
    db.finish().await;
}

pub async fn checkins_are_append_only(db: Db) {
    let db = setup(db).await;
    let before = snapshot(&db.store, "acme").await;
    let e = db
        .raw("UPDATE checkins SET value = 0")
        .await
        .expect_err("an update of a check-in must be refused");
    assert!(e.to_string().contains("append-only"), "{e}");
    // Nor deleted, one or all, at the database itself.
    for sql in ["DELETE FROM checkins WHERE seq = 1", "DELETE FROM checkins"] {
        let e = db.raw(sql).await.expect_err(sql);
        assert!(
            e.to_string().contains("history cannot be deleted"),
            "{sql}: {e}"
        );
    }
    if db.store.backend() == okapi_store::Backend::Postgres {
        let e = db.raw("TRUNCATE checkins").await.expect_err("TRUNCATE");
        assert!(e.to_string().contains("history cannot be deleted"), "{e}");
    }
    assert_eq!(snapshot(&db.store, "acme").await, before);
    // A new check-in adds to the history; the old ones stay as they were.
    let mut s = db.store.session("acme").await.unwrap();
    let c = s.check_in(&checkin("KR-1", 19, 900.0)).await.unwrap();
    s.commit().await.unwrap();
    let after = snapshot(&db.store, "acme").await;
    assert_eq!(after.checkins.len(), before.checkins.len() + 1);
    assert_eq!(
        &after.checkins[..before.checkins.len()],
        &before.checkins[..]
    );
    assert_eq!(
        c.seq,
        before.checkins.iter().map(|c| c.seq).max().unwrap() + 1
    );
    db.finish().await;
}

pub async fn concurrent_checkins_are_all_kept(db: Db) {
    let db = setup(db).await;
    let before = snapshot(&db.store, "acme").await.checkins.len();
    // Two writers, as two processes would be, each checking in ten times.
    let writer = |store: Store, kr: &'static str| async move {
        for day in 1..=10 {
            let mut s = store.session("acme").await.unwrap();
            s.check_in(&checkin(kr, day, f64::from(day))).await.unwrap();
            s.commit().await.unwrap();
        }
        store.close().await;
    };
    let a = tokio::spawn(writer(db.second_store().await, "KR-1"));
    let b = tokio::spawn(writer(db.second_store().await, "KR-2"));
    a.await.unwrap();
    b.await.unwrap();
    let after = snapshot(&db.store, "acme").await;
    assert_eq!(after.checkins.len(), before + 20);
    let mut seqs: Vec<i64> = after.checkins.iter().map(|c| c.seq).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), before + 20, "every check-in has its own number");
    db.finish().await;
}

pub async fn only_mistakes_without_history_can_be_deleted(db: Db) {
    let db = setup(db).await;
    let mut s = db.store.session("acme").await.unwrap();
    // KR-1 has check-ins: history stays.
    let e = s.delete_key_result("KR-1").await.unwrap_err();
    assert!(e.to_string().contains("has 2 check-in(s)"), "{e}");
    drop(s);
    // C-1 has M-1 aligned under it.
    let mut s = db.store.session("acme").await.unwrap();
    let e = s.delete_objective("C-1").await.unwrap_err();
    assert!(e.to_string().contains("aligned objectives (M-1)"), "{e}");
    drop(s);
    // Closed cycles keep everything.
    let mut s = db.store.session("acme").await.unwrap();
    let e = s.delete_objective("Q3-1").await.unwrap_err();
    assert!(
        matches!(e, StoreError::Rule(OkrRuleError::ClosedCycle)),
        "{e}"
    );
    drop(s);
    // A draft with a KR never checked in goes, KR and all.
    let mut s = db.store.session("acme").await.unwrap();
    s.create_objective(&objective("N-1", "2027-Q1", Level::Team, None))
        .await
        .unwrap();
    s.create_key_result(&metric("KR-20", "N-1", 0.0, 5.0))
        .await
        .unwrap();
    s.commit().await.unwrap();
    let before = snapshot(&db.store, "acme").await;
    let mut s = db.store.session("acme").await.unwrap();
    s.delete_objective("N-1").await.unwrap();
    s.commit().await.unwrap();
    let after = snapshot(&db.store, "acme").await;
    assert_eq!(after.objectives.len(), before.objectives.len() - 1);
    assert_eq!(after.key_results.len(), before.key_results.len() - 1);
    assert!(!after.key_results.iter().any(|k| k.key == "KR-20"));
    assert_eq!(after.checkins, before.checkins);
    db.finish().await;
}

/// Runs a check-in of `value` on `kr` in its own session on `store`, as a
/// second okapi would.
async fn check_in_elsewhere(
    store: Store,
    kr: &'static str,
    value: f64,
) -> Result<okapi_store::CheckIn, StoreError> {
    let r = async {
        let mut s = store.session("acme").await?;
        let c = s.check_in(&checkin(kr, 20, value)).await?;
        s.commit().await?;
        Ok(c)
    }
    .await;
    store.close().await;
    r
}

/// Waits long enough for a blocked writer to show it is blocked.
async fn a_moment() {
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
}

pub async fn a_checkin_never_lands_after_the_close(db: Db) {
    let db = setup(db).await;

    // A check-in holds its locks, and the close waits for it: the value
    // counts in the final score. KR-1 at 1,200 of 1,200 scores 1.0, KR-2
    // stays at 0.5 (65 → 60 of 65 → 55), so C-1 is
    // (1.0 × 1 + 0.5 × 3) / 4 = 0.625.
    let mut checking = db.store.session("acme").await.unwrap();
    checking
        .check_in(&checkin("KR-1", 19, 1200.0))
        .await
        .unwrap();
    let other = db.second_store().await;
    let closing = tokio::spawn(async move {
        let r = async {
            let mut s = other.session("acme").await?;
            let closed = s.close_cycle("2026-Q4", &BTreeMap::new()).await?;
            s.commit().await?;
            Ok::<_, StoreError>(closed)
        }
        .await;
        other.close().await;
        r
    });
    a_moment().await;
    assert!(!closing.is_finished(), "the close did not wait");
    checking.commit().await.unwrap();
    let closed = closing.await.unwrap().unwrap();
    let c1 = closed.iter().find(|o| o.key == "C-1").unwrap();
    assert_eq!(c1.score, Some(0.625));

    // The other way round: the close holds its locks, and a check-in
    // waits, then finds the cycle closed and is refused.
    let mut s = db.store.session("acme").await.unwrap();
    s.create_objective(&objective("N-1", "2027-Q1", Level::Company, None))
        .await
        .unwrap();
    s.create_key_result(&metric("KR-20", "N-1", 0.0, 10.0))
        .await
        .unwrap();
    s.activate_cycle("2027-Q1").await.unwrap();
    s.commit().await.unwrap();
    let mut closing = db.store.session("acme").await.unwrap();
    let closed = closing
        .close_cycle("2027-Q1", &BTreeMap::new())
        .await
        .unwrap();
    assert_eq!(closed[0].score, Some(0.0));
    let checking = tokio::spawn(check_in_elsewhere(db.second_store().await, "KR-20", 10.0));
    a_moment().await;
    assert!(!checking.is_finished(), "the check-in did not wait");
    closing.commit().await.unwrap();
    match checking.await.unwrap() {
        Err(StoreError::Rule(OkrRuleError::ClosedCycle)) => {}
        other => panic!("expected the closed cycle to refuse the check-in, got {other:?}"),
    }
    let after = snapshot(&db.store, "acme").await;
    assert!(!after.checkins.iter().any(|c| c.kr == "KR-20"));
    let n1 = after.objectives.iter().find(|o| o.key == "N-1").unwrap();
    assert_eq!(n1.final_score, Some(0.0));
    db.finish().await;
}

pub async fn an_export_reads_one_snapshot(db: Db) {
    let db = setup(db).await;
    let mut reading = db.store.read_session("acme").await.unwrap();
    let seen = reading.checkins(None, None).await.unwrap().len();
    // Another okapi checks in meanwhile, and commits.
    check_in_elsewhere(db.second_store().await, "KR-1", 900.0)
        .await
        .unwrap();
    let doc = reading.export(None, now()).await.unwrap();
    reading.commit().await.unwrap();
    assert_eq!(doc.checkins.len(), seen, "the export mixed two states");
    // A new read sees the check-in.
    assert_eq!(snapshot(&db.store, "acme").await.checkins.len(), seen + 1);
    db.finish().await;
}

pub async fn reads_run_while_another_okapi_writes(db: Db) {
    let db = setup(db).await;
    // A writer holds its transaction open (on SQLite, the write lock).
    let mut writing = db.store.session("acme").await.unwrap();
    writing.check_in(&checkin("KR-1", 19, 700.0)).await.unwrap();
    // A reader on another connection neither waits nor sees the
    // uncommitted check-in.
    let other = db.second_store().await;
    let read = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        let mut s = other.read_session("acme").await?;
        let doc = s.export(None, now()).await?;
        s.commit().await?;
        Ok::<_, StoreError>(doc)
    })
    .await
    .expect("the read waited for the writer")
    .unwrap();
    // The company's seven check-ins (see `fixtures::company`).
    assert_eq!(read.checkins.len(), 7);
    other.close().await;
    writing.commit().await.unwrap();
    assert_eq!(snapshot(&db.store, "acme").await.checkins.len(), 8);
    db.finish().await;
}

/// A server holds one store: its reads run while its own writer holds a
/// transaction open, and side by side.
pub async fn reads_of_one_store_run_beside_its_writer_and_each_other(db: Db) {
    let db = setup(db).await;
    let mut writing = db.store.session("acme").await.unwrap();
    writing.check_in(&checkin("KR-1", 19, 700.0)).await.unwrap();
    let read = || async {
        let mut s = db.store.read_session("acme").await?;
        let n = s.checkins(None, None).await?.len();
        s.commit().await?;
        Ok::<_, StoreError>(n)
    };
    // Three readers at once (each holding its snapshot until the others
    // have theirs), none waiting for the writer, none seeing its
    // uncommitted check-in.
    let all = tokio::time::timeout(std::time::Duration::from_secs(2), async {
        tokio::try_join!(read(), read(), read())
    })
    .await
    .expect("a read waited for the store's own writer")
    .unwrap();
    assert_eq!(all, (7, 7, 7));
    writing.commit().await.unwrap();
    assert_eq!(read().await.unwrap(), 8);
    db.finish().await;
}

/// Logins: access and password hash per user, sessions found by their
/// hash until they expire, in their own workspace only.
pub async fn logins_and_their_sessions_hold_per_workspace(db: Db) {
    use okapi_store::Access;
    let db = setup(db).await;
    let t0 = now();
    let later = t0 + chrono::TimeDelta::try_hours(12).unwrap();
    let mut s = db.store.session("acme").await.unwrap();
    // A user starts as a viewer without a password.
    let fresh = s.login("ana").await.unwrap();
    assert_eq!((fresh.access, fresh.password_hash), (Access::Viewer, None));
    assert_eq!(s.admins().await.unwrap(), 0);
    s.set_login("ana", Access::Admin, Some("$argon2id$stand-in"))
        .await
        .unwrap();
    assert!(matches!(
        s.set_login("nobody", Access::Admin, None).await,
        Err(StoreError::NotFound { .. })
    ));
    s.open_login_session("ana", "aa11", t0, later)
        .await
        .unwrap();
    s.commit().await.unwrap();

    let found = db
        .store
        .login_by_session("aa11", t0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.workspace.as_str(), found.user.as_str(), found.access),
        ("acme", "ana", Access::Admin)
    );
    assert_eq!(found.team.as_deref(), Some("marketing"));
    assert_eq!(found.password_hash.as_deref(), Some("$argon2id$stand-in"));
    // Expired, or another secret: nothing.
    assert!(
        db.store
            .login_by_session("aa11", later)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        db.store
            .login_by_session("bb22", t0)
            .await
            .unwrap()
            .is_none()
    );
    let mut r = db.store.read_session("acme").await.unwrap();
    assert_eq!(r.admins().await.unwrap(), 1);
    // Each user's access, and whether they may log in; ana alone is an
    // admin, and has a password.
    let accesses = r.accesses().await.unwrap();
    assert_eq!(accesses.get("ana"), Some(&(Access::Admin, true)));
    assert_eq!(
        accesses
            .values()
            .filter(|(a, p)| *a == Access::Admin || *p)
            .count(),
        1
    );
    r.commit().await.unwrap();

    // Another workspace cannot reach acme's user, nor close its session.
    db.store
        .create_workspace("other", "Other", "b2b", now())
        .await
        .unwrap();
    let mut o = db.store.session("other").await.unwrap();
    assert!(matches!(
        o.set_login("ana", Access::Viewer, None).await,
        Err(StoreError::NotFound { .. })
    ));
    assert!(o.accesses().await.unwrap().is_empty());
    o.close_login_session("aa11", t0).await.unwrap();
    o.commit().await.unwrap();
    assert!(
        db.store
            .login_by_session("aa11", t0)
            .await
            .unwrap()
            .is_some()
    );

    // Logging out ends it.
    let mut s = db.store.session("acme").await.unwrap();
    s.close_login_session("aa11", t0).await.unwrap();
    s.commit().await.unwrap();
    assert!(
        db.store
            .login_by_session("aa11", t0)
            .await
            .unwrap()
            .is_none()
    );
    db.finish().await;
}
