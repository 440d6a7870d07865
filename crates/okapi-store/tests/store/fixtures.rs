//! A small company's OKRs, written by hand, with scores worked out below.

use chrono::{NaiveDate, TimeZone, Utc};
use okapi_core::okr::{Confidence, CycleState, KrKind, KrType};
use okapi_core::review::{Funnel, Level, Maturity};
use okapi_store::{CheckInSource, KeyResult, NewCheckIn, Objective, Session, Team, User};

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

pub fn objective(key: &str, cycle: &str, level: Level, parent: Option<&str>) -> Objective {
    Objective {
        why: Some("because it matters".into()),
        parent: parent.map(Into::into),
        ..Objective::draft(key, cycle, &format!("Objective {key}"), level)
    }
}

pub fn metric(key: &str, objective: &str, baseline: f64, target: f64) -> KeyResult {
    KeyResult {
        baseline: Some(baseline),
        target: Some(target),
        unit: Some("count".into()),
        kr_type: Some(KrType::Output),
        funnel: Some(Funnel::Middle),
        leading: Some(false),
        maturity: Some(Maturity::Scaling),
        why: Some("so that we know".into()),
        ..KeyResult::new(key, objective, &format!("Key result {key}"), KrKind::Metric)
    }
}

pub fn checkin(kr: &str, day: u32, value: f64) -> NewCheckIn {
    NewCheckIn {
        kr: kr.into(),
        at: Utc.with_ymd_and_hms(2026, 10, day, 9, 30, 0).unwrap(),
        value: Some(value),
        confidence: Confidence::OnTrack,
        note: Some(format!("week of the {day}th")),
        author: Some("ana".into()),
        source: CheckInSource::Manual,
    }
}

/// Q4 2026 (active): company objective C-1 (committed) with
/// - KR-1: sales calls 0 → 1,200, weight 1, check-ins 300 then 600;
/// - KR-2: time to value 65 → 55 days, weight 3, check-ins 62 then 60;
///
/// and team objective M-1 under it with
/// - KR-3: pricing page live (milestone), checked in 1;
/// - KR-4: NPS ≥ 40 (threshold), check-ins 44 then 41.
pub async fn company(s: &mut Session) {
    s.put_team(&Team {
        key: "marketing".into(),
        name: "Marketing".into(),
        mission: Some("Make okapi the first name buyers think of".into()),
    })
    .await
    .unwrap();
    s.put_user(&User {
        key: "ana".into(),
        name: "Ana Lima".into(),
        email: Some("ana@example.com".into()),
        role: Some("Head of Marketing".into()),
        team: Some("marketing".into()),
    })
    .await
    .unwrap();
    s.set_vision(Some("Every SaaS team runs on numbers it trusts"))
        .await
        .unwrap();
    s.create_cycle("2026-Q4", "Q4 2026", d("2026-10-01"), d("2026-12-31"))
        .await
        .unwrap();
    let mut c1 = objective("C-1", "2026-Q4", Level::Company, None);
    c1.committed = true;
    c1.owner = Some("ana".into());
    s.create_objective(&c1).await.unwrap();
    let mut m1 = objective("M-1", "2026-Q4", Level::Team, Some("C-1"));
    m1.team = Some("marketing".into());
    s.create_objective(&m1).await.unwrap();
    s.create_key_result(&metric("KR-1", "C-1", 0.0, 1200.0))
        .await
        .unwrap();
    let mut kr2 = metric("KR-2", "C-1", 65.0, 55.0);
    kr2.weight = 3.0;
    kr2.unit = Some("days".into());
    s.create_key_result(&kr2).await.unwrap();
    let mut kr3 = metric("KR-3", "M-1", 0.0, 1.0);
    kr3.kind = KrKind::Milestone;
    kr3.baseline = None;
    kr3.target = None;
    s.create_key_result(&kr3).await.unwrap();
    let mut kr4 = metric("KR-4", "M-1", 0.0, 40.0);
    kr4.kind = KrKind::Threshold;
    kr4.baseline = None;
    kr4.above = Some(true);
    s.create_key_result(&kr4).await.unwrap();
    let cycle = s.activate_cycle("2026-Q4").await.unwrap();
    assert_eq!(cycle.state, CycleState::Active);
    for (kr, day, v) in [
        ("KR-1", 5, 300.0),
        ("KR-2", 5, 62.0),
        ("KR-4", 5, 44.0),
        ("KR-1", 12, 600.0),
        ("KR-2", 12, 60.0),
        ("KR-3", 12, 1.0),
        ("KR-4", 12, 41.0),
    ] {
        s.check_in(&checkin(kr, day, v)).await.unwrap();
    }
}
