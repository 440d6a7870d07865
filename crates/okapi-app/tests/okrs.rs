//! A cycle's life through the application layer: create, activate, an
//! objective, a check-in scored against the pace, a stale change refused,
//! the close with its final scores.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // tests

use chrono::{NaiveDate, TimeZone, Utc};
use okapi_app::checkins::{self, CheckInRequest};
use okapi_app::cycles::{self, Close, NewCycle};
use okapi_app::objectives::{self, ObjectiveChange, ObjectiveFields};
use okapi_app::workspace::{self, InitRequest, Workspace};
use okapi_app::{Code, Location};
use okapi_core::okr::{Confidence, CycleState, KrKind};
use okapi_core::review::Level;
use okapi_core::settings::Profile;
use okapi_store::KeyResult;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn workspace(dir: &std::path::Path) -> Workspace {
    workspace::init(InitRequest {
        dir: dir.to_path_buf(),
        database_url: None,
        profile: Profile::B2b,
        name: Some("Acme".into()),
        id: None,
    })
    .await
    .unwrap();
    Workspace::open(&Location {
        dir: dir.to_path_buf(),
        config: None,
        database_url: None,
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cycle_from_creation_to_close() {
    let dir = tempfile::tempdir().unwrap();
    let ws = workspace(dir.path()).await;

    // No key: the quarter of the day given; its dates and name implied.
    let c = cycles::create(&ws, NewCycle::default(), d("2027-02-10"))
        .await
        .unwrap();
    assert_eq!((c.key.as_str(), c.name.as_str()), ("2027-Q1", "Q1 2027"));
    assert_eq!((c.start, c.end), (d("2027-01-01"), d("2027-03-31")));
    let e = cycles::create(
        &ws,
        NewCycle {
            key: Some("H1".into()),
            ..Default::default()
        },
        d("2027-02-10"),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::Invalid);
    cycles::activate(&ws, "2027-Q1").await.unwrap();
    okapi_app::people::save_team(
        &ws,
        okapi_app::people::TeamChange {
            key: "success".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    let o = objectives::add(
        &ws,
        "2027-Q1",
        None,
        ObjectiveFields {
            title: Some("Customers stay".into()),
            team: Some("success".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((o.key.as_str(), o.level), ("O-1", Level::Team));

    // A metric key result from 0 to 10, written through the store.
    let mut kr = KeyResult::new("KR-1", "O-1", "Renewals signed", KrKind::Metric);
    kr.baseline = Some(0.0);
    kr.target = Some(10.0);
    let mut s = ws.session().await.unwrap();
    s.create_key_result(&kr).await.unwrap();
    s.commit().await.unwrap();

    // 15 Feb: 45 of the cycle's 90 days are over (Jan 31 + Feb 1–14), so
    // 0.5 is expected; 5 of 10 scores 0.5: on pace, on track.
    let done = checkins::check_in(
        &ws,
        CheckInRequest {
            kr: "KR-1".into(),
            value: Some(5.0),
            at: Some(d("2027-02-15")),
            ..Default::default()
        },
        Utc.with_ymd_and_hms(2027, 2, 15, 9, 0, 0).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(done.score, 0.5);
    assert_eq!(done.expected, 0.5);
    assert!(!done.at_risk);
    assert_eq!(done.checkin.confidence, Confidence::OnTrack);

    // A metric key result without a value is refused, naming the field.
    let e = checkins::check_in(
        &ws,
        CheckInRequest {
            kr: "KR-1".into(),
            ..Default::default()
        },
        Utc::now(),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::Invalid);
    assert!(e.to_string().starts_with("value is needed"), "{e}");

    // A change made on a version that is not the latest is a conflict.
    let e = objectives::change(
        &ws,
        ObjectiveChange {
            key: "O-1".into(),
            fields: ObjectiveFields {
                title: Some("Customers stay and grow".into()),
                ..Default::default()
            },
            state: None,
            if_version: Some(o.version - 1),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), Code::Conflict);

    // A key result with a check-in is history: it cannot be deleted.
    let e = objectives::delete(&ws, "KR-1").await.unwrap_err();
    assert_ne!(e.code(), Code::Internal);
    let e = objectives::delete(&ws, "KR-9").await.unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // The close keeps the last value: 0.5, the objective's only KR.
    let closed = cycles::close(
        &ws,
        Close {
            key: "2027-Q1".into(),
            reflections: [("KR-1".to_string(), "Renewals came late".to_string())].into(),
            at: d("2027-04-02"),
        },
    )
    .await
    .unwrap();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].score, Some(0.5));
    assert_eq!(
        closed[0].krs[0].reflection.as_deref(),
        Some("Renewals came late")
    );
    let listed = cycles::list(&ws).await.unwrap();
    assert_eq!(listed[0].state, CycleState::Closed);
    let again = cycles::close(
        &ws,
        Close {
            key: "2027-Q1".into(),
            reflections: Default::default(),
            at: d("2027-04-03"),
        },
    )
    .await
    .unwrap_err();
    assert_eq!(again.code(), Code::Conflict);
}
