//! Stored KPI values: written and read back exactly, replaced a whole set
//! at a time, and private to their workspace.

use chrono::{Duration, NaiveDate};
use okapi_core::period::Grain;
use okapi_store::{KpiRefresh, StoreError, StoredKpiValue};

use crate::support::{Db, now, ready};

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn v(kpi: &str, segment: &str, grain: Grain, start: &str, value: Option<&str>) -> StoredKpiValue {
    StoredKpiValue {
        kpi: kpi.into(),
        segment: segment.into(),
        grain,
        period_start: d(start),
        value: value.map(str::to_string),
        note: value
            .is_none()
            .then(|| "no customers at the start".to_string()),
        unit: "money".into(),
        computed_at: now(),
        fingerprint: "f1".into(),
    }
}

async fn two_workspaces(db: Db) -> Db {
    let db = ready(db).await;
    for id in ["acme", "globex"] {
        db.store
            .create_workspace(id, id, "b2b", now())
            .await
            .unwrap();
    }
    db
}

pub async fn kpi_values_round_trip_exactly(db: Db) {
    let db = two_workspaces(db).await;
    let month = vec![
        // Money past f64's 15–17 digits, a long ratio, a negative, an
        // absent value with its note, a value with trailing zeros.
        v(
            "mrr",
            "",
            Grain::Month,
            "2024-01-01",
            Some("12345678901234567.891"),
        ),
        v(
            "mrr",
            "",
            Grain::Month,
            "2024-02-01",
            Some("-0.000000000000000001"),
        ),
        v("mrr", "", Grain::Month, "2024-03-01", None),
        v(
            "nrr",
            "",
            Grain::Month,
            "2024-01-01",
            Some("0.3333333333333333"),
        ),
        v("nrr", "", Grain::Month, "2024-02-01", Some("100.500")),
    ];
    let mut s = db.store.session("acme").await.unwrap();
    assert_eq!(
        s.replace_kpi_values(Grain::Month, "", &month)
            .await
            .unwrap(),
        5
    );
    let refresh = KpiRefresh {
        computed_at: now(),
        fingerprint: "f1".into(),
        definitions: "d1".into(),
        kpis: 2,
        values: 5,
        duration_ms: 1234,
    };
    s.record_kpi_refresh(&refresh).await.unwrap();
    s.commit().await.unwrap();

    let mut r = db.store.read_session("acme").await.unwrap();
    // Period order, whatever the insertion order.
    assert_eq!(
        r.kpi_series("mrr", "", Grain::Month).await.unwrap(),
        month[..3].to_vec()
    );
    assert_eq!(
        r.kpi_series("nrr", "", Grain::Month).await.unwrap(),
        month[3..].to_vec()
    );
    // The points alone: each period's start and exact value text.
    assert_eq!(
        r.kpi_points("nrr", "", Grain::Month).await.unwrap(),
        vec![
            (
                NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
                Some("0.3333333333333333".to_string())
            ),
            (
                NaiveDate::from_ymd_opt(2024, 2, 1).unwrap(),
                Some("100.500".to_string())
            ),
        ]
    );
    assert_eq!(
        r.kpi_points("mrr", "", Grain::Month).await.unwrap().last(),
        Some(&(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(), None))
    );
    assert!(
        r.kpi_points("mrr", "plan=pro", Grain::Month)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        r.kpi_series("mrr", "", Grain::Week)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        r.kpi_series("mrr", "plan=pro", Grain::Month)
            .await
            .unwrap()
            .is_empty()
    );
    // The latest of mrr is March's, absent; of nrr February's.
    let latest = r.latest_kpi_values("", Grain::Month).await.unwrap();
    assert_eq!(latest, vec![month[2].clone(), month[4].clone()]);
    // The set's last period is March's, though mrr's value there is absent;
    // a set with no value has none.
    assert_eq!(
        r.last_kpi_period("", Grain::Month).await.unwrap(),
        NaiveDate::from_ymd_opt(2024, 3, 1)
    );
    assert_eq!(r.last_kpi_period("", Grain::Week).await.unwrap(), None);
    assert_eq!(
        r.last_kpi_period("plan=pro", Grain::Month).await.unwrap(),
        None
    );
    assert_eq!(r.last_kpi_refresh().await.unwrap(), Some(refresh));
    assert_eq!(
        r.kpi_value_sets().await.unwrap(),
        vec![(Grain::Month, String::new())]
    );
    r.commit().await.unwrap();
    // The other workspace stored nothing.
    let mut g = db.store.read_session("globex").await.unwrap();
    assert_eq!(g.last_kpi_period("", Grain::Month).await.unwrap(), None);
    g.commit().await.unwrap();
    db.finish().await;
}

pub async fn replacing_a_set_leaves_no_stale_rows(db: Db) {
    let db = two_workspaces(db).await;
    let mut s = db.store.session("acme").await.unwrap();
    let first = vec![
        v("mrr", "", Grain::Month, "2024-01-01", Some("100")),
        v("mrr", "", Grain::Month, "2024-02-01", Some("200")),
        v("arpa", "", Grain::Month, "2024-01-01", Some("50")),
    ];
    s.replace_kpi_values(Grain::Month, "", &first)
        .await
        .unwrap();
    // Other sets of the same workspace: another segment, another grain.
    let pro = vec![v("mrr", "plan=pro", Grain::Month, "2024-01-01", Some("70"))];
    s.replace_kpi_values(Grain::Month, "plan=pro", &pro)
        .await
        .unwrap();
    let year = vec![v("mrr", "", Grain::Year, "2024-01-01", Some("200"))];
    s.replace_kpi_values(Grain::Year, "", &year).await.unwrap();
    s.commit().await.unwrap();

    // The data shrank to January and `arpa` went: nothing of the old
    // set stays, the other sets are untouched.
    let later = now() + Duration::try_hours(1).unwrap();
    let second = vec![StoredKpiValue {
        computed_at: later,
        fingerprint: "f2".into(),
        ..v("mrr", "", Grain::Month, "2024-01-01", Some("110"))
    }];
    let mut s = db.store.session("acme").await.unwrap();
    assert_eq!(
        s.replace_kpi_values(Grain::Month, "", &second)
            .await
            .unwrap(),
        1
    );
    s.commit().await.unwrap();
    let mut r = db.store.read_session("acme").await.unwrap();
    assert_eq!(r.kpi_series("mrr", "", Grain::Month).await.unwrap(), second);
    assert!(
        r.kpi_series("arpa", "", Grain::Month)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        r.kpi_series("mrr", "plan=pro", Grain::Month).await.unwrap(),
        pro
    );
    assert_eq!(r.kpi_series("mrr", "", Grain::Year).await.unwrap(), year);
    r.commit().await.unwrap();

    // An empty replacement removes the set.
    let mut s = db.store.session("acme").await.unwrap();
    s.replace_kpi_values(Grain::Month, "plan=pro", &[])
        .await
        .unwrap();
    assert_eq!(
        s.kpi_value_sets().await.unwrap(),
        vec![(Grain::Month, String::new()), (Grain::Year, String::new())]
    );
    s.commit().await.unwrap();

    // A value of another set, a non-decimal, a duplicate period: refused,
    // and the stored set is as it was.
    let mut s = db.store.session("acme").await.unwrap();
    let wrong_set = [v("mrr", "", Grain::Week, "2024-01-01", Some("1"))];
    assert!(matches!(
        s.replace_kpi_values(Grain::Month, "", &wrong_set).await,
        Err(StoreError::Invalid(_))
    ));
    let nan = [v("mrr", "", Grain::Month, "2024-01-01", Some("NaN"))];
    assert!(matches!(
        s.replace_kpi_values(Grain::Month, "", &nan).await,
        Err(StoreError::Invalid(_))
    ));
    let twice = [
        v("mrr", "", Grain::Month, "2024-01-01", Some("1")),
        v("mrr", "", Grain::Month, "2024-01-01", Some("2")),
    ];
    assert!(matches!(
        s.replace_kpi_values(Grain::Month, "", &twice).await,
        Err(StoreError::Database(_))
    ));
    drop(s);
    let mut r = db.store.read_session("acme").await.unwrap();
    assert_eq!(r.kpi_series("mrr", "", Grain::Month).await.unwrap(), second);
    r.commit().await.unwrap();
    db.finish().await;
}

pub async fn replacing_the_periods_from_a_day_keeps_the_earlier_ones(db: Db) {
    let db = two_workspaces(db).await;
    let mut s = db.store.session("acme").await.unwrap();
    let first = vec![
        v("mrr", "", Grain::Month, "2024-01-01", Some("100")),
        v("mrr", "", Grain::Month, "2024-02-01", Some("200")),
        v("mrr", "", Grain::Month, "2024-03-01", Some("300")),
        v("arpa", "", Grain::Month, "2024-02-01", Some("50")),
    ];
    s.replace_kpi_values(Grain::Month, "", &first)
        .await
        .unwrap();
    let other = vec![v("mrr", "plan=pro", Grain::Month, "2024-03-01", Some("7"))];
    s.replace_kpi_values(Grain::Month, "plan=pro", &other)
        .await
        .unwrap();
    s.commit().await.unwrap();

    // From February on: February's arpa goes, March changes, April comes;
    // January stays, and so does the other segment's March.
    let since = vec![
        v("mrr", "", Grain::Month, "2024-02-01", Some("210")),
        v("mrr", "", Grain::Month, "2024-03-01", Some("310")),
        v("mrr", "", Grain::Month, "2024-04-01", Some("400")),
    ];
    let mut s = db.store.session("acme").await.unwrap();
    // The set holds 1 kept value and 3 new ones.
    assert_eq!(
        s.replace_kpi_values_since(Grain::Month, "", d("2024-02-01"), &since)
            .await
            .unwrap(),
        4
    );
    // A value before the day is refused, and nothing written.
    let early = [v("mrr", "", Grain::Month, "2024-01-01", Some("1"))];
    assert!(matches!(
        s.replace_kpi_values_since(Grain::Month, "", d("2024-02-01"), &early)
            .await,
        Err(StoreError::Invalid(_))
    ));
    s.commit().await.unwrap();
    let mut r = db.store.read_session("acme").await.unwrap();
    let mut expected = vec![first[0].clone()];
    expected.extend(since.iter().cloned());
    assert_eq!(
        r.kpi_series("mrr", "", Grain::Month).await.unwrap(),
        expected
    );
    assert!(
        r.kpi_series("arpa", "", Grain::Month)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        r.kpi_series("mrr", "plan=pro", Grain::Month).await.unwrap(),
        other
    );
    r.commit().await.unwrap();
    db.finish().await;
}

pub async fn kpi_values_are_private_to_their_workspace(db: Db) {
    let db = two_workspaces(db).await;
    // More rows than one INSERT batch holds, to cross its boundary.
    let days: Vec<StoredKpiValue> = (0..450)
        .map(|i| StoredKpiValue {
            period_start: d("2024-01-01") + Duration::try_days(i).unwrap(),
            value: Some(format!("{i}.5")),
            ..v("mrr", "", Grain::Day, "2024-01-01", Some("0"))
        })
        .collect();
    let mut s = db.store.session("acme").await.unwrap();
    assert_eq!(
        s.replace_kpi_values(Grain::Day, "", &days).await.unwrap(),
        450
    );
    s.record_kpi_refresh(&KpiRefresh {
        computed_at: now(),
        fingerprint: "f1".into(),
        definitions: "d1".into(),
        kpis: 1,
        values: 450,
        duration_ms: 1,
    })
    .await
    .unwrap();
    s.commit().await.unwrap();

    let mut g = db.store.read_session("globex").await.unwrap();
    assert!(
        g.kpi_series("mrr", "", Grain::Day)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        g.latest_kpi_values("", Grain::Day)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(g.kpi_value_sets().await.unwrap().is_empty());
    assert_eq!(g.last_kpi_refresh().await.unwrap(), None);
    g.commit().await.unwrap();

    // globex replacing its own (empty) day set deletes nothing of acme's.
    let mut g = db.store.session("globex").await.unwrap();
    let theirs = vec![v("mrr", "", Grain::Day, "2024-01-01", Some("9"))];
    g.replace_kpi_values(Grain::Day, "", &theirs).await.unwrap();
    g.commit().await.unwrap();

    let mut a = db.store.read_session("acme").await.unwrap();
    assert_eq!(a.kpi_series("mrr", "", Grain::Day).await.unwrap(), days);
    let latest = a.latest_kpi_values("", Grain::Day).await.unwrap();
    assert_eq!(latest.len(), 1);
    // Day 449 after 2024-01-01: 366 days (2024 is a leap year) reach
    // 2025-01-01, 83 more: 31 to February 1st, 28 to March 1st, 24 to
    // March 25th.
    assert_eq!(latest[0].period_start, d("2025-03-25"));
    assert_eq!(latest[0].value.as_deref(), Some("449.5"));
    a.commit().await.unwrap();
    let mut g = db.store.read_session("globex").await.unwrap();
    assert_eq!(g.kpi_series("mrr", "", Grain::Day).await.unwrap(), theirs);
    g.commit().await.unwrap();
    db.finish().await;
}

pub async fn concurrent_replacements_keep_one_whole_set(db: Db) {
    let db = two_workspaces(db).await;
    // Two refreshes replace the same set at once, each with its own
    // values: whichever commits last is stored, whole, with nothing of
    // the other beside it and no error.
    let writer = |store: okapi_store::Store, tag: &'static str| async move {
        let values: Vec<StoredKpiValue> = (0..30)
            .map(|i| StoredKpiValue {
                period_start: d("2024-01-01") + Duration::try_days(i).unwrap(),
                fingerprint: tag.into(),
                ..v("mrr", "", Grain::Day, "2024-01-01", Some(&format!("{i}")))
            })
            .collect();
        for _ in 0..5 {
            let mut s = store.session("acme").await.unwrap();
            s.replace_kpi_values(Grain::Day, "", &values).await.unwrap();
            s.commit().await.unwrap();
        }
        store.close().await;
    };
    let a = tokio::spawn(writer(db.second_store().await, "a"));
    let b = tokio::spawn(writer(db.second_store().await, "b"));
    a.await.unwrap();
    b.await.unwrap();
    let mut r = db.store.read_session("acme").await.unwrap();
    let series = r.kpi_series("mrr", "", Grain::Day).await.unwrap();
    assert_eq!(series.len(), 30);
    let tags: std::collections::BTreeSet<&str> =
        series.iter().map(|v| v.fingerprint.as_str()).collect();
    assert_eq!(tags.len(), 1, "a mix of two refreshes: {tags:?}");
    r.commit().await.unwrap();
    db.finish().await;
}

pub async fn stored_views_are_replaced_whole_and_private(db: Db) {
    let db = two_workspaces(db).await;
    let mut s = db.store.session("acme").await.unwrap();
    s.put_view("inactive", r#"{"accounts":[1]}"#, now())
        .await
        .unwrap();
    s.put_view("inactive", r#"{"accounts":[1,2]}"#, now())
        .await
        .unwrap();
    s.commit().await.unwrap();
    // A view written in a transaction that is dropped is not kept.
    let mut s = db.store.session("acme").await.unwrap();
    s.put_view("mrr", "[]", now()).await.unwrap();
    drop(s);

    let mut r = db.store.read_session("acme").await.unwrap();
    let v = r.stored_view("inactive").await.unwrap().unwrap();
    assert_eq!(v.body, r#"{"accounts":[1,2]}"#);
    assert_eq!(v.computed_at, now());
    assert!(r.stored_view("mrr").await.unwrap().is_none());
    assert_eq!(r.stored_view_names().await.unwrap(), vec!["inactive"]);
    r.commit().await.unwrap();

    // The same text again is not written: the view keeps when it was
    // computed. Another text replaces it.
    let later = now() + Duration::hours(1);
    let mut s = db.store.session("acme").await.unwrap();
    assert!(
        !s.put_view_if_changed("inactive", r#"{"accounts":[1,2]}"#, later)
            .await
            .unwrap()
    );
    assert!(s.put_view_if_changed("mrr", "[]", later).await.unwrap());
    s.commit().await.unwrap();
    let mut r = db.store.read_session("acme").await.unwrap();
    assert_eq!(
        r.stored_view("inactive")
            .await
            .unwrap()
            .unwrap()
            .computed_at,
        now()
    );
    assert_eq!(
        r.stored_view("mrr").await.unwrap().unwrap().computed_at,
        later
    );
    r.commit().await.unwrap();
    let mut s = db.store.session("acme").await.unwrap();
    assert!(
        s.put_view_if_changed("inactive", r#"{"accounts":[2]}"#, later)
            .await
            .unwrap()
    );
    s.commit().await.unwrap();
    let mut r = db.store.read_session("acme").await.unwrap();
    let v = r.stored_view("inactive").await.unwrap().unwrap();
    assert_eq!(
        (v.body.as_str(), v.computed_at),
        (r#"{"accounts":[2]}"#, later)
    );
    r.commit().await.unwrap();
    let mut g = db.store.read_session("globex").await.unwrap();
    assert!(g.stored_view("inactive").await.unwrap().is_none());
    g.commit().await.unwrap();
    db.finish().await;
}
